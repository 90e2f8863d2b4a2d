import Foundation
import JobrunnerCore
import Synchronization

/// A counter that tasks can wait on: `signal()` bumps it and wakes every waiter.
///
/// Waiting "past a generation" instead of "for the next signal" means a signal sent between
/// reading the generation and starting to wait is never missed. Used for "new work was
/// queued" (wakes idle workers at once) and, fired once, for "shutdown has begun".
public final class Beacon: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public var generation: UInt64 { state.withLock { $0.generation } }

    /// `true` once `signal()` was called at least once.
    public var hasFired: Bool { generation > 0 }

    public func signal() {
        let waiters = state.withLock { state in
            state.generation &+= 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the generation is greater than `generation`, or the task is cancelled.
    public func wait(past generation: UInt64) async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.generation > generation || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}

extension Beacon {
    /// Returns once the generation is past `generation` or `duration` has passed on `clock`,
    /// whichever comes first: how a background loop idles between looks at the store.
    public func wait(past generation: UInt64, atMost duration: Duration, clock: any JobClock) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait(past: generation) }
            group.addTask { try? await clock.sleep(for: duration) }
            await group.next()
            group.cancelAll()
        }
    }
}
