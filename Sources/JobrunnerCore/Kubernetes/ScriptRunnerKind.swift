/// Where EXECUTE runs a script (`JOBRUNNER_RUNNER`).
public enum ScriptRunnerKind: String, Sendable, CaseIterable {
    /// A child process of the worker, isolated by `JOBRUNNER_SCRIPT_ISOLATION`. It ends with the
    /// worker: a worker that dies mid-run leaves the run `interrupted`.
    case local
    /// A `batch/v1` Job in the application's image. It outlives the worker: a run whose worker
    /// died or shut down is re-attached, never started again.
    case kubernetes

    /// Whether a run goes on without the worker that started it (and can be re-attached).
    public var outlivesWorker: Bool { self == .kubernetes }
}
