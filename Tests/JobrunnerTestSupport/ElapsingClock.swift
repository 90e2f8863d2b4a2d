import Foundation
import JobrunnerCore

/// A clock whose `sleep` returns at once and moves its time forward by what was asked, keeping
/// a list of the waits: backoff tests check how long code would have waited, without waiting.
public final class ElapsingClock: JobClock {
    private let state: Locked<(now: Date, sleeps: [Duration])>

    public init(start: Date = Date()) {
        state = Locked((start, []))
    }

    public func now() -> Date { state.withLock { $0.now } }

    public var sleeps: [Duration] { state.withLock { $0.sleeps } }

    public func advance(by duration: Duration) {
        state.withLock { $0.now = $0.now.adding(duration) }
    }

    public func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        state.withLock {
            $0.sleeps.append(duration)
            $0.now = $0.now.adding(duration)
        }
    }
}
