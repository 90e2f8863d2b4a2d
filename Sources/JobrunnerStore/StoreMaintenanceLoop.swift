import Logging
import ServiceLifecycle

/// Store upkeep that runs beside the service until it shuts down: one `step` at a time, again
/// at once while a step says more is waiting, otherwise after `interval`. A failed step is
/// logged and tried again later; it never stops the service.
public struct StoreMaintenanceLoop: Service {
    let doing: String
    let interval: Duration
    let logger: Logger
    /// One batch of work; true when more is waiting right away.
    let step: @Sendable () async throws -> Bool

    public init(doing: String, interval: Duration = .seconds(2), logger: Logger, step: @escaping @Sendable () async throws -> Bool) {
        self.doing = doing
        self.interval = interval
        self.logger = logger
        self.step = step
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var more = false
            do {
                more = try await step()
            } catch {
                logger.warning("\(doing) failed; trying again later", metadata: ["error": "\(error)"])
            }
            if !more {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            }
        }
    }
}
