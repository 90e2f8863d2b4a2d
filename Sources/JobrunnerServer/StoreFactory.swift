import JobrunnerCore
import JobrunnerStore

/// Opens the `PipelineStore` the settings name.
public enum StoreFactory {
    public static func open(_ settings: Settings, clock: any JobClock = SystemClock()) throws -> any PipelineStore {
        switch settings.database {
        case .sqlite(let path):
            return try SQLitePipelineStore(path: path, clock: clock)
        case .postgres:
            throw SettingsErrors([
                SettingsError(
                    .databaseURL,
                    "PostgreSQL (\(settings.database.redacted)) is not supported by this build yet; use a SQLite path")
            ])
        }
    }
}
