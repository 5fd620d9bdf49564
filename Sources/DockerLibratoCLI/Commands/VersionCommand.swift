import ArgumentParser
import Librato
import WireFormat

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print docker-librato's version and the frame format it speaks.",
        discussion: "A hub and its collectors must speak the same frame format; run the same version on all of them."
    )

    func run() {
        print("docker-librato \(LibratoClient.version) (frame format \(FrameHeader.currentVersion))")
    }
}
