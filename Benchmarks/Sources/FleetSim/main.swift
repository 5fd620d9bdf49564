// FleetSim: a fleet of simulated collectors against a real hub and the strict fake Librato. See Options.usage and
// BENCHMARKS.md ("Fleet scale").
import Foundation

let options = Options.parse(CommandLine.arguments)
if options.serveFake {
    try await serveFake(options)
} else if options.worker {
    try await runWorker(options)
} else {
    try Orchestrator(options).run()
}
