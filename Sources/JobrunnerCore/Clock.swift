import Foundation

/// The time source of the queue and the workers. Injected so that lease, retry and backoff
/// tests move time forward instead of sleeping.
public protocol JobClock: Sendable {
    /// Wall-clock time; stored in the database, so it must agree across processes and nodes.
    func now() -> Date
    /// Suspends for `duration` of this clock's time; throws `CancellationError` when cancelled.
    func sleep(for duration: Duration) async throws
}

/// The real clock.
public struct SystemClock: JobClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}

extension Date {
    /// This date moved by a `Duration`.
    public func adding(_ duration: Duration) -> Date {
        addingTimeInterval(duration.secondsDouble)
    }
}
