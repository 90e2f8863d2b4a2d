import JobrunnerStore
import Logging
import ServiceLifecycle

/// Wakes this process's idle workers when another node queues work (PostgreSQL's
/// LISTEN/NOTIFY), instead of at their next poll; polling stays the fallback.
public struct WorkWakeUps: Service {
    let source: any WorkNotifying
    let workAvailable: Beacon

    public init(source: any WorkNotifying, workAvailable: Beacon) {
        self.source = source
        self.workAvailable = workAvailable
    }

    public func run() async throws {
        let beacon = workAvailable
        await cancelWhenGracefulShutdown {
            await source.listenForWork { beacon.signal() }
        }
    }
}
