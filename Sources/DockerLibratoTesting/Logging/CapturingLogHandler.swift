public import Logging
import Synchronization

/// Collects log lines in memory so tests can assert on them (e.g. "the token never appears").
///
/// ```swift
/// let logs = LogCapture()
/// let logger = logs.logger(label: "test", level: .trace)
/// // … use logger …
/// #expect(!logs.text.contains(token))
/// ```
public final class LogCapture: Sendable {
    /// One captured line.
    public struct Entry: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: Logger.Metadata
        public var label: String

        /// Message and metadata as one line, `key=value` pairs sorted by key.
        public var line: String {
            let meta = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            return "\(level) \(label): \(message)" + (meta.isEmpty ? "" : " " + meta)
        }
    }

    private let storage = Mutex<[Entry]>([])

    /// An empty capture.
    public init() {}

    /// Everything captured so far.
    public var entries: [Entry] { storage.withLock { $0 } }

    /// All lines joined with newlines.
    public var text: String { entries.map(\.line).joined(separator: "\n") }

    /// A logger writing into this capture.
    public func logger(label: String = "test", level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: label) { label in CapturingLogHandler(label: label, capture: self) }
        logger.logLevel = level
        return logger
    }

    fileprivate func append(_ e: Entry) { storage.withLock { $0.append(e) } }
}

/// The `LogHandler` behind ``LogCapture``.
public struct CapturingLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let capture: LogCapture

    init(label: String, capture: LogCapture) {
        self.label = label
        self.capture = capture
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { a, _ in a } }
        if let extra = event.metadata { all.merge(extra) { _, b in b } }
        capture.append(LogCapture.Entry(level: event.level, message: event.message.description, metadata: all, label: label))
    }
}
