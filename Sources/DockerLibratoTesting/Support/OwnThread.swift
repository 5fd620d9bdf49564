// Test-only code: Foundation's Thread gives a CPU-heavy test body a thread of its own.
import Foundation

/// Runs CPU-heavy test work (fuzzing a million inputs, sorting a fleet's period in a debug build) on a thread of its
/// own instead of a Swift concurrency thread.
///
/// `swift test` starts every test at once on a pool of one thread per core. Two such bodies held both threads of a
/// 2-core CI machine for 38 s, and tests waiting on nanomsg or a clock stalled behind them until their timeouts
/// passed. On a thread of its own the work shares the cores through the kernel's scheduler, and the pool stays free.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
