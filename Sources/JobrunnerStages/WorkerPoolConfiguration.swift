/// Tuning of a worker pool. The defaults suit production; tests shorten them.
public struct WorkerPoolConfiguration: Sendable, Equatable {
    /// Concurrent workers in this process (`JOBRUNNER_WORKERS`).
    public var workers: Int
    /// Prefix of lease owner names; unique per process so a lease names the process that held it.
    public var nodeName: String
    /// How long a claim holds without renewal. A crashed worker's stages are rescued this long
    /// after its last renewal.
    public var leaseDuration: Duration
    /// How often a running stage's lease is renewed (well below `leaseDuration`).
    public var renewInterval: Duration
    /// A stage whose lease could not be renewed is stopped this long before the lease would
    /// expire, so a rescue on another node can never start it while it still runs here.
    public var fenceMargin: Duration { leaseDuration / 4 }
    /// How long an idle worker waits before looking for work again when nothing woke it.
    public var pollInterval: Duration
    /// How often expired leases are looked for.
    public var rescueInterval: Duration
    /// How often a running EXECUTE looks for an operator's cancel request (in the store, so
    /// a request made on any node reaches it).
    public var cancelCheckInterval: Duration
    /// How long running stages may take to finish after shutdown begins before they are
    /// stopped and handed back.
    public var shutdownGracePeriod: Duration
    /// EXECUTE's runs go on without their worker (`JOBRUNNER_RUNNER=kubernetes`): at shutdown
    /// the worker lets go of them at once, and a stage handed back or rescued is queued to be
    /// re-attached instead of `interrupted`.
    public var executeOutlivesWorker: Bool = false

    public init(
        workers: Int = 4,
        nodeName: String,
        leaseDuration: Duration = .seconds(60),
        renewInterval: Duration = .seconds(15),
        pollInterval: Duration = .seconds(1),
        rescueInterval: Duration = .seconds(30),
        shutdownGracePeriod: Duration = .seconds(30),
        cancelCheckInterval: Duration = .milliseconds(500)
    ) {
        self.cancelCheckInterval = cancelCheckInterval
        self.workers = workers
        self.nodeName = nodeName
        self.leaseDuration = leaseDuration
        self.renewInterval = renewInterval
        self.pollInterval = pollInterval
        self.rescueInterval = rescueInterval
        self.shutdownGracePeriod = shutdownGracePeriod
    }
}
