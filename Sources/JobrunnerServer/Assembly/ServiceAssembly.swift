import Foundation
import Hummingbird
import JobrunnerCore
import JobrunnerGit
import JobrunnerGitHub
import JobrunnerKubernetes
import JobrunnerStages
import JobrunnerStore
import Logging
import ServiceLifecycle

/// A Jobrunner process, assembled from `Settings` in one place: the store, the toolchains, the
/// git backend, GitHub access, the feedback channels, the stage handlers, the worker pool and
/// the HTTP application. `serve`, `worker`, `demo` and the tests all call `assemble`, so what a
/// test runs is wired exactly as production is; `Overrides` replaces only what a test must
/// control (a store with a short retry policy, a clock, faster intervals).
public struct ServiceAssembly: Sendable {
    /// What the process does.
    public enum Role: Sendable, Equatable {
        /// Intake, dashboard, API and (with `JOBRUNNER_WORKERS` > 0) workers.
        case serve
        /// Workers, with health, readiness and metrics only.
        case worker
    }

    /// What a test or the demo replaces; everything else comes from the settings.
    public struct Overrides: Sendable {
        /// A store opened by the caller (e.g. with a test retry policy) instead of the configured one.
        public var store: (any PipelineStore)?
        public var clock: (any JobClock)?
        /// The service's environment: values of `JOBRUNNER_SCRIPT_ENV` and `JOBRUNNER_SECRETS`.
        public var environment: [String: String]?
        public var gitBackend: (any GitBackend)?
        /// Replaces the channels the settings turn on.
        public var feedbackChannels: [any FeedbackChannel]?
        public var workerPool: WorkerPoolConfiguration?
        public var templates: DashboardTemplates?
        /// How often a pipeline page's live view reads the store.
        public var liveInterval: Duration?
        /// How often a running script's output is written to the store.
        public var outputFlushInterval: Duration?

        public init() {}
    }

    public let role: Role
    public let settings: Settings
    public let store: any PipelineStore
    public let toolchains: [Toolchain]
    public let github: GitHubAccess
    public let git: any GitBackend
    public let feedback: FeedbackEvents
    public let handlers: StageHandlers
    /// Rung when intake or an operator queues work, so idle workers start at once.
    public let workAvailable: Beacon
    public let logger: Logger
    /// What the HTTP application is built from; `application()` uses it.
    public let context: ApplicationContext
    public let poolConfiguration: WorkerPoolConfiguration
    /// With `JOBRUNNER_DRY_RUN`: the coordinator and the dry-run worker (run where workers run).
    public let dryRunServices: [any Service]

    /// Builds everything. Throws `AssemblyError`: a configuration problem (exit 78) or a store
    /// that cannot be opened (exit 69).
    public static func assemble(
        _ settings: Settings, role: Role, logger: Logger, overrides: Overrides = Overrides()
    ) async throws -> ServiceAssembly {
        let clock = overrides.clock ?? SystemClock()
        let environment = overrides.environment ?? ProcessInfo.processInfo.environment
        let toolchains: [Toolchain]
        let github: GitHubAccess
        do {
            toolchains = try ToolchainFile.toolchains(settings: settings)
            github = try GitHubAccess(settings: settings, clock: clock)
        } catch {
            throw AssemblyError.configuration("\(error)")
        }
        var templates = overrides.templates
        if role == .serve && templates == nil {
            do {
                templates = try DashboardTemplates.bundled()
            } catch {
                throw AssemblyError.configuration("\(error)")
            }
        }
        let store: any PipelineStore
        if let given = overrides.store {
            store = given
        } else {
            do {
                store = try await StoreFactory.open(settings, clock: clock)
            } catch {
                throw AssemblyError.storeUnavailable("\(error)")
            }
        }
        let git = overrides.gitBackend ?? gitBackend(settings, github: github)
        let feedback = FeedbackEvents(
            channels: overrides.feedbackChannels
                ?? FeedbackChannelRegistry.channels(settings, github: github, threads: store, clock: clock))
        let workAvailable = Beacon()
        var context = ApplicationContext(
            settings: settings, store: store, workAvailable: workAvailable, github: github.intakeAPI, logger: logger)
        context.scriptExtensions = Set(toolchains.flatMap(\.extensions))
        context.templates = templates
        context.servesDashboardAndIntake = role == .serve
        context.clock = clock
        if let interval = overrides.liveInterval { context.liveInterval = interval }
        if role == .serve {
            context.orphanScan = OrphanScriptScan(
                reader: git, store: store,
                detector: ScriptDetector(jobsDirectory: settings.jobsDirectory, supportedExtensions: context.scriptExtensions),
                repositories: settings.repositories, branch: settings.branch, clock: clock, logger: logger)
        }

        let executor = ScriptExecutor(
            settings: settings, environment: environment,
            secretValues: SettingsTable.secretValues(of: settings, environment: environment))
        // Masked wherever text leaves the process: errors, feedback, logs (installation tokens join as they are minted).
        SecretRegistry.process.add(executor.currentMasker().values + [settings.database.password].compactMap { $0 })
        var handlers = StageHandlers()
        handlers[.process] = BuildStageHandler(
            store: store, reader: git,
            builder: ScriptBuilder(toolchains: toolchains, scratchDirectory: settings.dataDirectory + "/work"),
            scopes: SourceScopePolicy(settings: settings), approvalGate: github.approvalGate, feedback: feedback,
            branch: git)
        let runner = try scriptRunner(settings, executor: executor, environment: environment)
        var execute = ExecuteStageHandler(
            store: store, executor: runner, flushInterval: overrides.outputFlushInterval ?? .milliseconds(250),
            metrics: context.metrics,
            deployGate: try deployGate(settings, git: git, clock: clock, overrides: overrides, environment: environment),
            feedback: feedback)
        if settings.requireDryRun { execute.requiredDryRuns = store }
        execute.clock = clock
        handlers[.execute] = execute
        var cleanup = CleanupStageHandler(
            store: store, committer: git, logsDirectory: settings.logsDirectory, masker: executor.currentMasker(),
            authorName: settings.botName, authorEmail: settings.botEmail, skipCI: settings.skipCI,
            fileURLTemplate: github.fileURLTemplate, feedback: feedback, toolchains: toolchains)
        if settings.dryRun { cleanup.dryRuns = (store, dryRunPageURL(settings)) }
        handlers[.cleanup] = cleanup
        let dryRunServices = dryRunServices(
            settings, store: store, github: github, git: git, toolchains: toolchains, executor: executor, runner: runner,
            environment: environment,
            clock: clock, context: context, logger: logger)

        return ServiceAssembly(
            role: role, settings: settings, store: store, toolchains: toolchains, github: github, git: git,
            feedback: feedback, handlers: handlers, workAvailable: workAvailable, logger: logger, context: context,
            poolConfiguration: overrides.workerPool ?? poolConfiguration(settings), dryRunServices: dryRunServices)
    }

    /// Whether this process runs stage workers.
    public var runsWorkers: Bool { role == .worker || settings.workers > 0 }

    /// The stage workers with this assembly's handlers.
    public func workerPool() -> WorkerPool {
        WorkerPool(
            store: store, handlers: handlers, configuration: poolConfiguration, clock: context.clock, logger: logger,
            workAvailable: workAvailable, feedback: feedback, metrics: context.metrics)
    }

    /// Delivers the outbox the workers write, in the background.
    public func feedbackDeliverer() -> FeedbackDeliverer {
        FeedbackDeliverer(
            channels: feedback.channels, store: store, clock: context.clock, owner: poolConfiguration.nodeName + "-feedback",
            written: feedback.written, logger: logger)
    }

    /// The long-running parts, in start order (they stop in reverse): the store (PostgreSQL
    /// connections close last), wake-ups from other nodes, retention, then the workers.
    public func services() -> [any Service] {
        var services: [any Service] = store.upkeepServices(logger: logger)
        if runsWorkers, let notifying = store as? any WorkNotifying {
            services.append(WorkWakeUps(source: notifying, workAvailable: workAvailable))
        }
        if let retention = settings.retention {
            services.append(RetentionService(store: store, retention: retention, clock: context.clock, logger: logger))
        }
        if runsWorkers {
            services.append(workerPool())
            if !feedback.channels.isEmpty { services.append(feedbackDeliverer()) }
            services += dryRunServices
        }
        return services
    }

    /// The HTTP application running `services` (by default all of this process's services).
    public func application(services: [any Service]? = nil) -> some ApplicationProtocol {
        buildApplication(context, services: services ?? self.services())
    }

    /// `JOBRUNNER_GIT_BACKEND`: libgit2 on a cached clone under the data directory (any host,
    /// a local path too), or the GitHub API (the settings made sure there are credentials).
    static func gitBackend(_ settings: Settings, github: GitHubAccess) -> any GitBackend {
        if settings.gitBackend == .githubAPI, let backend = github.gitBackend { return backend }
        Libgit2Backend.configure(GitTimeouts(timeout: settings.gitTimeout, deadline: settings.gitDeadline))
        return Libgit2Backend(
            remoteTemplate: settings.gitRemoteTemplate, cacheDirectory: settings.dataDirectory + "/repos",
            credentials: github.credentials)
    }

    /// With `JOBRUNNER_DRY_RUN`: the coordinator that reads pull requests and publishes their
    /// reports, and the worker that runs their dry runs with the dry-run environment.
    static func dryRunServices(
        _ settings: Settings, store: any PipelineStore, github: GitHubAccess, git: any GitBackend, toolchains: [Toolchain],
        executor: ScriptExecutor, runner: any ScriptRunner, environment: [String: String], clock: any JobClock,
        context: ApplicationContext, logger: Logger
    ) -> [any Service] {
        guard settings.dryRun, let api = github.api else { return [] }
        let runsQueued = Beacon()
        let node = nodeName()
        let detector = ScriptDetector(jobsDirectory: settings.jobsDirectory, supportedExtensions: context.scriptExtensions)
        let publicURL = settings.publicURL
        let coordinator = DryRunCoordinator(
            store: store, inspector: GitHubPullRequestInspector(api: api, detector: detector),
            publisher: GitHubDryRunPublisher(api: api) { pull in
                publicURL.map { "\($0)/dry-runs?repository=\(pull.repository)&pull_request=\(pull.number)" }
            },
            policy: DryRunEligibility.Policy(
                branch: settings.branch, requiredApprovals: settings.effectiveDryRunApprovals, allowForks: settings.dryRunForks,
                jobsDirectory: settings.jobsDirectory),
            clock: clock, owner: node + "-dry-runs", wake: context.dryRunsDue, runsQueued: runsQueued,
            pageURL: dryRunPageURL(settings), logger: logger)
        let worker = DryRunWorker(
            store: store, reader: git,
            builder: ScriptBuilder(toolchains: toolchains, scratchDirectory: settings.dataDirectory + "/work"),
            scopes: SourceScopePolicy(settings: settings), executor: dryRunner(executor: executor, runner: runner, settings: settings, environment: environment),
            clock: clock, owner: node + "-dry-run-worker", runsQueued: runsQueued, changed: context.dryRunsDue, logger: logger)
        return [coordinator, worker]
    }

    /// Dry runs run where EXECUTE runs — locally, or as Kubernetes Jobs — with the dry-run
    /// environment only.
    static func dryRunner(executor: ScriptExecutor, runner: any ScriptRunner, settings: Settings, environment: [String: String])
        -> any ScriptRunner
    {
        let local = executor.forDryRuns(settings: settings, environment: environment)
        guard let kubernetes = runner as? KubernetesScriptRunner else { return local }
        return kubernetes.forDryRuns(masker: local.masker)
    }

    /// A dry run's dashboard page, for comments and logs (nil without `JOBRUNNER_PUBLIC_URL`).
    static func dryRunPageURL(_ settings: Settings) -> @Sendable (Int64) -> String? {
        let base = settings.publicURL
        return { id in base.map { "\($0)/dry-runs/\(id)" } }
    }

    /// `JOBRUNNER_APP_REVISION`: EXECUTE waits for the deploy of its commit.
    static func deployGate(
        _ settings: Settings, git: any GitBackend, clock: any JobClock, overrides: Overrides, environment: [String: String]
    ) throws -> DeployGate? {
        guard let location = settings.appRevision else { return nil }
        let source: any DeployedRevisionSource
        switch location {
        case .file(let path): source = FileRevisionSource(path: path)
        case .url(let url): source = HTTPRevisionSource(url: url)
        case .kubernetesDeployment(let name):
            let cluster = try kubernetesAPI(settings, environment: environment, purpose: "JOBRUNNER_APP_REVISION=\(location)")
            source = KubernetesDeploymentRevision(api: cluster.api, namespace: cluster.namespace, deployment: name)
        }
        return DeployGate(
            source: source, ancestry: git, location: location.description, maxWait: settings.deployWait, clock: clock)
    }

    static func poolConfiguration(_ settings: Settings) -> WorkerPoolConfiguration {
        var configuration = WorkerPoolConfiguration(
            workers: max(1, settings.workers), nodeName: nodeName(),
            leaseDuration: settings.leaseDuration, renewInterval: settings.leaseDuration / 4,
            // Expired leases are noticed within half a lease (at most 30 s) by any node.
            rescueInterval: min(settings.leaseDuration / 2, .seconds(30)),
            shutdownGracePeriod: settings.shutdownGracePeriod)
        configuration.executeOutlivesWorker = settings.runner.outlivesWorker
        return configuration
    }

    /// Where EXECUTE runs scripts: the local executor, or Jobs through the Kubernetes API with the
    /// pod's own service account (or `JOBRUNNER_K8S_KUBECONFIG`).
    static func scriptRunner(_ settings: Settings, executor: ScriptExecutor, environment: [String: String]) throws -> any ScriptRunner {
        guard settings.runner == .kubernetes else { return executor }
        let cluster = try kubernetesAPI(settings, environment: environment, purpose: "JOBRUNNER_RUNNER=kubernetes")
        var kubernetes = settings.kubernetes
        kubernetes.python = settings.pythonInterpreter ?? "python3"
        return KubernetesScriptRunner(
            api: cluster.api, namespace: cluster.namespace, settings: kubernetes, masker: executor.currentMasker(),
            outputLimit: executor.outputLimit, defaultTimeout: settings.executeTimeout)
    }

    /// The Kubernetes API with the pod's service account (or `JOBRUNNER_K8S_KUBECONFIG`), and the
    /// namespace scripts and the application live in.
    static func kubernetesAPI(_ settings: Settings, environment: [String: String], purpose: String) throws
        -> (api: any KubernetesAPI, namespace: String)
    {
        let connection: KubernetesConnection
        do {
            connection =
                if let kubeconfig = settings.kubernetes.kubeconfig { try KubernetesConnection.kubeconfig(path: kubeconfig) }
                else { try KubernetesConnection.inCluster(environment: environment) }
        } catch {
            throw AssemblyError.configuration("\(purpose): \(error)")
        }
        guard let namespace = settings.kubernetes.namespace ?? connection.namespace else {
            throw AssemblyError.configuration(
                "JOBRUNNER_K8S_NAMESPACE: not set, and the credentials name no namespace: set the application's namespace (\(purpose))")
        }
        return (KubernetesClient(connection: connection), namespace)
    }

    /// A lease-owner name that identifies this process: host, pid and a random suffix.
    public static func nodeName() -> String {
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        return "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(suffix)"
    }
}

/// Why a process could not be assembled.
public enum AssemblyError: Error, Sendable, CustomStringConvertible {
    /// A setting, or a file one names, is unusable (exit 78, EX_CONFIG).
    case configuration(String)
    /// The store cannot be opened (exit 69, EX_UNAVAILABLE).
    case storeUnavailable(String)

    public var description: String {
        switch self {
        case .configuration(let problem), .storeUnavailable(let problem): problem
        }
    }

    /// The exit status that says it (sysexits.h).
    public var exitCode: Int32 {
        switch self {
        case .configuration: 78
        case .storeUnavailable: 69
        }
    }
}
