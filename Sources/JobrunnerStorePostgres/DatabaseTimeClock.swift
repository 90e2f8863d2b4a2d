import Foundation
import JobrunnerCore
import JobrunnerStore

/// The database server's time as seen from this node: the node's clock plus the offset measured
/// against the server. Every node of a PostgreSQL deployment stamps and compares leases (and
/// every other stored time) on it, so a lease expires when the database says so, not when the
/// clock of whichever node looks happens to say so. Re-measured at every lease rescue.
public final class DatabaseTimeClock: JobClock {
    private let local: any JobClock
    private let offset = Locked<TimeInterval>(0)

    /// - Parameter local: this node's clock (tests pass one that is deliberately wrong).
    public init(local: any JobClock = SystemClock()) {
        self.local = local
    }

    public func now() -> Date { local.now().addingTimeInterval(offset.value) }

    public func sleep(for duration: Duration) async throws { try await local.sleep(for: duration) }

    /// Seconds the server is ahead of this node.
    public var measuredOffset: TimeInterval { offset.value }

    /// Reads the server's time with `read` and keeps the offset, taking the middle of the round trip.
    func calibrate(_ read: () async throws -> Date) async throws {
        let before = local.now()
        let server = try await read()
        let after = local.now()
        let middle = before.addingTimeInterval(after.timeIntervalSince(before) / 2)
        offset.withLock { $0 = server.timeIntervalSince(middle) }
    }
}
