public import Testing

/// Trait for tests that use the real dockerd: fails the test at once (never skips it) when the daemon does not
/// answer, and runs it while no other test with this trait runs.
///
/// Serialising matters for measurements: a test that compares CPU % across stats sources must not share the
/// two CPUs with other tests starting containers (vfs layer copies, runc), or dockerd's own readings skew. All
/// test targets run in one process, so one lock covers every suite that carries the trait.
public struct DockerDaemonTrait: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    /// Set while the current task holds the lock, so that nested scopes (a parameterised test and its cases)
    /// do not wait for themselves.
    @TaskLocal static var holdsLock = false

    /// A scope for test functions (and their cases), not for the suites around them.
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        test.isSuite ? nil : self
    }

    public func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        if Self.holdsLock { return try await function() }
        // The daemon is checked once the lock is held: dozens of tests start at once, and each asking dockerd
        // first would start as many docker CLIs together.
        await DockerTestLock.shared.acquire()
        do {
            try await DockerTestHelper.requireDaemon()
            try await Self.$holdsLock.withValue(true) { try await function() }
            await DockerTestLock.shared.release()
        } catch {
            await DockerTestLock.shared.release()
            throw error
        }
    }
}

extension Trait where Self == DockerDaemonTrait {
    /// Needs the real dockerd; runs alone among tests that need it.
    public static var dockerDaemon: Self { DockerDaemonTrait() }
}

/// A FIFO async mutex shared by every test carrying ``DockerDaemonTrait``.
actor DockerTestLock {
    static let shared = DockerTestLock()
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard held else {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            held = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
