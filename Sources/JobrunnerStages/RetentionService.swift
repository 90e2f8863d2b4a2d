import Foundation
import JobrunnerCore
import JobrunnerStore
import Logging
import ServiceLifecycle

/// Prunes finished pipelines older than the retention period, in batches (each its own short
/// transaction, so intake and workers are never held up long), every `interval`. Several
/// nodes may run it at once: a batch another node is deleting is skipped or found empty.
public struct RetentionService: Service {
    let store: any RetentionPruning
    let retention: Duration
    let clock: any JobClock
    let interval: Duration
    let batchSize: Int
    let logger: Logger

    public init(
        store: any RetentionPruning, retention: Duration, clock: any JobClock = SystemClock(),
        interval: Duration = .seconds(600), batchSize: Int = 500, logger: Logger
    ) {
        self.store = store
        self.retention = retention
        self.clock = clock
        self.interval = interval
        self.batchSize = batchSize
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            do {
                let removed = try await pruneOnce()
                if removed > 0 { logger.info("pruned finished pipelines", metadata: ["pipelines": "\(removed)"]) }
            } catch {
                logger.warning("pruning failed; trying again later", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One round: batches until a batch comes back short. Returns how many pipelines went.
    @discardableResult
    public func pruneOnce() async throws -> Int {
        let cutoff = clock.now().adding(.zero - retention)
        var total = 0
        while !Task.isCancelledOrShuttingDown {
            let removed = try await store.prune(finishedBefore: cutoff, limit: batchSize)
            total += removed
            if removed < batchSize { break }
            await Task.yield()
        }
        return total
    }
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}
