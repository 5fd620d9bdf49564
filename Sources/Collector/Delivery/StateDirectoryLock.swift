#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on `STATE_DIR/lock`: two collectors sharing one state directory would reuse each other's
/// sequence numbers and spool, so the second one refuses to start and says why.
package final class StateDirectoryLock: Sendable {
    let fd: Int32

    package init(directory: String) throws(StateDirectoryLockError) {
        mkdir(directory, 0o755)
        let path = directory + "/lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw .inUse(directory: directory)
        }
        self.fd = fd
    }

    package func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

package enum StateDirectoryLockError: Error, CustomStringConvertible {
    case inUse(directory: String)
    case cannotOpen(path: String, errno: Int32)

    package var description: String {
        switch self {
        case .inUse(let directory):
            "STATE_DIR \(directory) is in use by another collector; give every collector its own state directory"
        case .cannotOpen(let path, let e): "STATE_DIR lock \(path) cannot be opened: \(String(cString: strerror(e)))"
        }
    }
}
