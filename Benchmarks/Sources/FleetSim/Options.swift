import Foundation

/// FleetSim's command line. Modes: the orchestrator (default), and the two kinds of child process it starts:
/// `--serve-fake` (the strict fake Librato, counting what it accepts) and `--worker` (a share of the collectors).
struct Options {
    var collectors = 10
    var containers = 100
    var interval = 10.0
    var seconds = 180.0
    var warmup: Double?
    var period = 60.0
    var hubs = 1
    var killHubAfter: Double?
    var restartDelay = 2.0
    var rateLimit: Int?
    var rateWindow = 60.0
    var perWorker = 200
    var hubBinary = ".build/release/docker-librato"
    var naming = "default"
    var api = "legacy"
    var extraHubEnv: [String: String] = [:]

    // child modes
    var serveFake = false
    var worker = false
    var port = 0
    var statsFile = ""
    var firstCollector = 0
    var dataAddress = ""
    var controlAddress = ""
    var keyFile = ""
    var controlFile = ""
    var reportFile = ""
    var windowStart = 0.0
    var windowEnd = 0.0
    var hubIndex = 0
    var cluster = "fleet"

    static let usage = """
        FleetSim: N simulated collectors (the collector's real delivery code, real nanomsg TCP connections) against a
        real `docker-librato hub` process and the strict fake Librato in a process of its own.

          FleetSim --collectors N --containers M --interval T --seconds S [--period P] [--warmup W]
                   [--kill-hub-after X [--restart-delay D]] [--rate-limit R [--rate-window W]] [--hubs H]
                   [--hub-binary PATH] [--naming default|seed] [--api legacy|tagged] [--hub-env KEY=VALUE]...

          --kill-hub-after X   SIGKILL hub 0 X s into the window, once it is inside a period's submission (its
                               progress journal ≥ 64 KiB, then 0–5 s more; the line printed says which), and
                               restart it D s later (2 by default) from its state directory.

        Run from the Benchmarks directory, with the hub built by the same package:
          swift build -c release --product docker-librato && swift build -c release --product FleetSim
          .build/release/FleetSim --collectors 100 --containers 100 --interval 10 --seconds 180
        """

    static func parse(_ args: [String]) -> Options {
        var o = Options()
        var i = 1
        func value() -> String {
            i += 1
            guard i < args.count else { fail("\(args[i - 1]) needs a value") }
            return args[i]
        }
        func number(_ name: String) -> Double {
            let v = value()
            guard let d = Double(v) else { fail("\(name) must be a number, got \(v)") }
            return d
        }
        while i < args.count {
            switch args[i] {
            case "--collectors": o.collectors = Int(number("--collectors"))
            case "--containers": o.containers = Int(number("--containers"))
            case "--interval": o.interval = number("--interval")
            case "--seconds": o.seconds = number("--seconds")
            case "--warmup": o.warmup = number("--warmup")
            case "--period": o.period = number("--period")
            case "--hubs": o.hubs = Int(number("--hubs"))
            case "--kill-hub-after": o.killHubAfter = number("--kill-hub-after")
            case "--restart-delay": o.restartDelay = number("--restart-delay")
            case "--rate-limit": o.rateLimit = Int(number("--rate-limit"))
            case "--rate-window": o.rateWindow = number("--rate-window")
            case "--per-worker": o.perWorker = Int(number("--per-worker"))
            case "--hub-binary": o.hubBinary = value()
            case "--naming": o.naming = value()
            case "--api": o.api = value()
            case "--hub-env":
                let kv = value().split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { fail("--hub-env takes KEY=VALUE") }
                o.extraHubEnv[kv[0]] = kv[1]
            case "--serve-fake": o.serveFake = true
            case "--worker": o.worker = true
            case "--port": o.port = Int(number("--port"))
            case "--stats-file": o.statsFile = value()
            case "--first-collector": o.firstCollector = Int(number("--first-collector"))
            case "--data": o.dataAddress = value()
            case "--control": o.controlAddress = value()
            case "--key-file": o.keyFile = value()
            case "--control-file": o.controlFile = value()
            case "--report-file": o.reportFile = value()
            case "--window-start": o.windowStart = number("--window-start")
            case "--window-end": o.windowEnd = number("--window-end")
            case "--hub-index": o.hubIndex = Int(number("--hub-index"))
            case "--cluster": o.cluster = value()
            case "--help", "-h":
                print(usage)
                exit(0)
            default: fail("unknown option \(args[i])\n\n\(usage)")
            }
            i += 1
        }
        return o
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("FleetSim: " + message + "\n").utf8))
    exit(2)
}

/// Raises the open-files limit to its hard maximum (every collector holds two sockets; the hub one connection each).
func raiseFileLimit() {
    var limit = rlimit()
    guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
}

func nowSeconds() -> Double { Date().timeIntervalSince1970 }
