import Foundation
import JobrunnerStore
import Logging
import PostgresNIO

/// Workers on other nodes wake at once: `LISTEN` on the channel `jobrunner_complete` and
/// the other writers notify.
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
