import CNanomsg

/// A failed nanomsg call, with nanomsg's own message (`nn_strerror`) and what we were doing.
public enum NanomsgError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The socket was closed (by us); every later operation fails with this.
    case closed
    /// An address nanomsg would reject, or one that would crash it (an ipc:// path of 108 bytes or more aborts
    /// nanomsg 1.1.5 instead of failing), checked before calling the library.
    case invalidAddress(String, reason: String)
    /// An option value outside what we allow (e.g. an unlimited receive size, which lets any peer crash the process).
    case invalidOption(String)
    /// The call timed out (`NN_SNDTIMEO`/`NN_RCVTIMEO`, or our own wait).
    case timedOut(operation: String)
    /// Any other error: errno and `nn_strerror(errno)`.
    case system(operation: String, code: Int32, message: String)

    static func last(_ operation: String) -> NanomsgError {
        let code = nn_errno()
        if code == ETIMEDOUT { return .timedOut(operation: operation) }
        return .system(operation: operation, code: code, message: String(cString: nn_strerror(code)))
    }

    /// The errno, when there is one.
    public var code: Int32? {
        if case .system(_, let code, _) = self { return code }
        if case .timedOut = self { return ETIMEDOUT }
        return nil
    }

    public var description: String {
        switch self {
        case .closed: "nanomsg socket is closed"
        case .invalidAddress(let address, let reason): "invalid nanomsg address \(address): \(reason)"
        case .invalidOption(let what): "invalid nanomsg option: \(what)"
        case .timedOut(let operation): "nanomsg \(operation) timed out"
        case .system(let operation, let code, let message): "nanomsg \(operation) failed: \(message) (errno \(code))"
        }
    }
}
