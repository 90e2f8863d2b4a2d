import Foundation

/// Runs blocking work (libgit2 network calls, pipe reads, waiting for a child process) on a
/// thread of its own. The cooperative pool has one thread per core — two on small machines —
/// and blocking one of them starves every other task.
public func onDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
