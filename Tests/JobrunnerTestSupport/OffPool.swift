import Foundation

/// Runs blocking work (pipe reads, waiting for a child process) on its own thread. The
/// cooperative pool has one thread per core — two here — and a test that blocks one starves
/// the async tests around it, which can then never stop the processes the blocking test
/// waits for.
public func offCooperativePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
