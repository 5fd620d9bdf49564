import Foundation

/// A temporary directory tree of small text files (cgroup and /proc fixtures, certificates), removed by
/// ``remove()``.
public struct FixtureDirectory: Sendable {
    /// Absolute path of the directory.
    public let path: String

    /// Creates `/tmp/dl-test-<tag>-<random>` holding `files` (relative path → contents; parents are created).
    public init(_ tag: String, files: [String: String]) throws {
        path = NSTemporaryDirectory().appending("dl-test-\(tag)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try write(files)
    }

    /// Adds or replaces files.
    public func write(_ files: [String: String]) throws {
        for (relative, contents) in files {
            let file = (path as NSString).appendingPathComponent(relative)
            try FileManager.default.createDirectory(
                atPath: (file as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true
            )
            try Data(contents.utf8).write(to: URL(fileURLWithPath: file))
        }
    }

    /// Creates an empty directory (e.g. a cgroup directory that must exist).
    public func makeDirectory(_ relative: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).appendingPathComponent(relative),
            withIntermediateDirectories: true
        )
    }

    /// Deletes the tree.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
