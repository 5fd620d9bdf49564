import Glibc
import Librato
import Logging
import Timekeeping

/// Structured log lines on stderr: `ts=… level=info label=hub msg="hub started" listen=tcp://*:5555` (logfmt), or
/// one JSON object per line with `LOG_FORMAT=json`. Hand-written because swift-log ships only an unstructured
/// stream handler; metadata never carries secrets (credentials redact themselves).
struct LogfmtHandler: LogHandler {
    enum Format: String, CaseIterable {
        case logfmt
        case json
    }

    let label: String
    let format: Format
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        var line: String
        let ts = Self.timestamp()
        switch format {
        case .logfmt:
            line = "ts=\(ts) level=\(event.level) label=\(label) msg=\(Self.quote(event.message.description))"
            for (k, v) in all.sorted(by: { $0.key < $1.key }) { line += " \(k)=\(Self.quote("\(v)"))" }
        case .json:
            line = "{\"ts\":\"\(ts)\",\"level\":\"\(event.level)\",\"label\":\(Self.json(label)),\"msg\":\(Self.json(event.message.description))"
            for (k, v) in all.sorted(by: { $0.key < $1.key }) { line += ",\(Self.json(k)):\(Self.json("\(v)"))" }
            line += "}"
        }
        line += "\n"
        let bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            offset += n
        }

    }

    static func quote(_ s: String) -> String {
        if !s.isEmpty, !s.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }) { return s }
        return json(s)
    }

    static func json(_ s: String) -> String { JSONWriter.quoted(s) }

    static func timestamp() -> String {
        let now = WallClock.system.now()
        var t = tm()
        var secs = time_t(now.wholeSeconds)
        gmtime_r(&secs, &t)
        func pad(_ v: Int32, _ n: Int = 2) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        let ms = pad(Int32(now.milliseconds - now.wholeSeconds * 1000), 3)
        return "\(t.tm_year + 1900)-\(pad(t.tm_mon + 1))-\(pad(t.tm_mday))T\(pad(t.tm_hour)):\(pad(t.tm_min)):\(pad(t.tm_sec)).\(ms)Z"
    }

    /// Installs the handler for the process (`LOG_LEVEL`, `LOG_FORMAT`).
    static func bootstrap(settings: Settings) throws(ConfigError) {
        let level = try settings.choice(nil, "LOG_LEVEL", default: LogLevelChoice.info)
        let format = try settings.choice(nil, "LOG_FORMAT", default: Format.logfmt)
        LoggingSystem.bootstrap { label in
            LogfmtHandler(label: label, format: format, logLevel: level.level)
        }
    }
}

enum LogLevelChoice: String, CaseIterable {
    case trace, debug, info, notice, warning, error, critical

    var level: Logger.Level { Logger.Level(rawValue: rawValue)! }
}
