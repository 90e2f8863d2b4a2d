import Foundation
import Logging
import PostgresNIO

/// A store that can tell this process when another node made a stage runnable, so idle
/// workers wake at once instead of at their next poll. Polling stays the fallback: a
/// notification lost while the connection was down only delays work until the next poll.
public protocol WorkNotifying: Sendable {
    /// Calls `wake` for every notification until the task is cancelled, reconnecting after
    /// database failures. Also calls it after every (re)connection: work may have arrived
    /// while nobody listened.
    func listenForWork(_ wake: @escaping @Sendable () -> Void) async
}

extension PostgresPipelineStore: WorkNotifying {
    public func listenForWork(_ wake: @escaping @Sendable () -> Void) async {
        let logger = logger
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.workChannel) { notifications in
                        wake()
                        for try await _ in notifications { wake() }
                    }
                }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning(
                    "listening for work failed; polling until the database answers again",
                    metadata: ["database": "\(location)", "error": "\(mapped(error))"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
