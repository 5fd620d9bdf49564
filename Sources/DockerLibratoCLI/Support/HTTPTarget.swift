/// An operator's address for a hub or collector HTTP endpoint: `http://host:port`, or just `host:port` / `:port`.
enum HTTPTarget {
    static func url(_ raw: String) -> String {
        var s = raw.trimmingSpaces
        while s.hasSuffix("/") { s.removeLast() }
        if s.hasPrefix("http://") || s.hasPrefix("https://") { return s }
        if s.hasPrefix(":") { s = "127.0.0.1" + s }
        return "http://" + s
    }

    /// The error of a failed request, in words.
    static func describe(_ error: any Error) -> String { describe(text: "\(error)") }

    /// A failed request's error text, in words.
    static func describe(text: String) -> String {
        if text.contains("connectTimeout") || text.contains("connect timeout") { return "no answer (connection timed out)" }
        if text.lowercased().contains("refused") { return "connection refused" }
        if text.contains("deadlineExceeded") { return "no answer within the timeout" }
        return text
    }
}
