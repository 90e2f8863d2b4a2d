/// How a script is kept away from the service that runs it (`JOBRUNNER_SCRIPT_ISOLATION`).
public enum ScriptIsolation: String, Sendable, CaseIterable {
    /// bubblewrap: new PID, mount, IPC and UTS namespaces that show only system directories,
    /// the application's directory (read-only) and the run's own directory — not the service's
    /// data directory, database, keys, config file or processes. The default.
    case bubblewrap
    /// The script runs as a plain child of the service, with the service's user and view of the
    /// file system. Only for machines where namespaces are unavailable; the service warns at start.
    case none
}
