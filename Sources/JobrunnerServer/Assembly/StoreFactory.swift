import JobrunnerCore
import JobrunnerStore
import JobrunnerStorePostgres
import JobrunnerStoreSQLite
import Logging

/// Opens the `PipelineStore` the settings name.
public enum StoreFactory {
    /// SQLite opens the file; PostgreSQL connects (failing within the connect timeout when the
    /// server is unreachable) and migrates.
    public static func open(
        _ settings: Settings, clock: any JobClock = SystemClock(), logger: Logger = Logger(label: "jobrunner.store")
    ) async throws -> any PipelineStore {
        switch settings.database {
        case .sqlite(let path):
            return try SQLitePipelineStore(path: path, clock: clock)
        case .postgres(let url):
            return try await PostgresPipelineStore.connect(url: url, clock: clock, logger: logger)
        }
    }
}
