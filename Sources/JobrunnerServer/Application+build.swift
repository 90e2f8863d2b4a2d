import Foundation
import Hummingbird
import JobrunnerCore
import JobrunnerGitHub
import JobrunnerStages
import JobrunnerStore
import Logging
import ServiceLifecycle

/// What the HTTP application needs. Tests build it with a temporary store and settings.
public struct ApplicationContext: Sendable {
    public var settings: Settings
    public var store: any PipelineStore
    /// What `/readyz` asks; the store unless a test replaces it.
    public var readiness: (any StoreReadiness)?
    /// Rung when intake or an operator queues work, so idle workers start at once.
    public var workAvailable: Beacon
    /// Extensions that are scripts: those of the built-in and configured toolchains.
    public var scriptExtensions: Set<String> = Toolchain.builtInExtensions
    /// The GitHub API, when credentials are configured (needed for incomplete pushes).
    public var github: (any GitHubAPI)?
    public var logger: Logger
    /// Process counters and store gauges served at `/metrics`; workers of this process count here too.
    public var metrics = PrometheusServiceMetrics()
    /// Dashboard templates; nil: loaded from the bundled resources.
    public var templates: DashboardTemplates?
    /// false: only health, readiness and metrics (what `jobrunner worker` serves).
    public var servesDashboardAndIntake = true
    public var clock: any JobClock = SystemClock()
    /// How often the live view of a pipeline page reads the store.
    public var liveInterval: Duration = .milliseconds(500)
    /// Finds scripts left in the jobs directory, for the dashboard and `/metrics`.
    public var orphanScan: OrphanScriptScan?
    /// Rung when a pull request is due to be looked at for dry runs (or a dry run changed).
    public var dryRunsDue = Beacon()
    /// How long after its head a request's body may still be arriving (408 after).
    public var bodyDeadline: Duration = .seconds(10)
    /// How often intake logs its count of answered deliveries at `info`.
    public var intakeLogInterval: Duration = .seconds(60)

    public init(
        settings: Settings, store: any PipelineStore, workAvailable: Beacon = Beacon(),
        github: (any GitHubAPI)? = nil, logger: Logger
    ) {
        self.settings = settings
        self.store = store
        self.workAvailable = workAvailable
        self.github = github
        self.logger = logger
    }
}

/// Builds the HTTP application: health and readiness, metrics, and — unless it is a worker's —
/// webhook intake (when a webhook secret is configured), the JSON API and the dashboard.
/// `serve`, `worker`, `demo` and the tests call this same function.
public func buildApplication(_ context: ApplicationContext, services: [any Service] = []) -> some ApplicationProtocol {
    let catalog = RouteCatalog()
    let base = Router(context: ClientRequestContext.self, options: .autoGenerateHeadEndpoints)
    // First, so it sees every request — those no route matches too.
    base.add(middleware: HTTPConventionsMiddleware(catalog: catalog))
    let router = CatalogedRouter(router: base, catalog: catalog)
    let settings = context.settings
    var services = services
    let authenticator = OperatorAuthenticator(
        tokens: settings.dashboardTokens, sessionLifetime: settings.sessionLifetime, clock: context.clock)
    HealthRoutes(store: context.readiness ?? context.store).register(on: router)
    MetricsRoutes(
        store: context.store, metrics: context.metrics, authenticator: authenticator, isPublic: settings.metricsPublic,
        clock: context.clock, orphanScan: context.orphanScan
    ).register(on: router)
    if context.servesDashboardAndIntake {
        if !settings.webhookSecrets.isEmpty {
            let logSummary = IntakeLogSummary(interval: context.intakeLogInterval, logger: context.logger)
            services.append(logSummary)
            WebhookRoutes(
                verifier: WebhookVerifier(secrets: settings.webhookSecrets),
                store: context.store,
                intake: PushIntake(
                    repositories: Set(settings.repositories), branch: settings.branch,
                    detector: ScriptDetector(
                        jobsDirectory: settings.jobsDirectory, supportedExtensions: context.scriptExtensions),
                    github: context.github),
                pullRequests: PullRequestIntake(
                    enabled: settings.dryRun, repositories: Set(settings.repositories), branch: settings.branch),
                dryRunsDue: context.dryRunsDue,
                maxBodySize: settings.webhookMaxBodySize,
                workAvailable: context.workAvailable,
                logger: context.logger,
                metrics: context.metrics,
                logSummary: logSummary,
                bodyBudget: BodyBudget(limit: 4 * settings.webhookMaxBodySize)
            ).register(on: router)
        }
        let operations = PipelineOperations(store: context.store, workAvailable: context.workAvailable)
        let throttle = SignInThrottle(clock: context.clock, logger: context.logger)
        let links = RepositoryLinks(settings: settings)
        APIRoutes(
            store: context.store, operations: operations, authenticator: authenticator, links: links,
            logsDirectory: settings.logsDirectory, publicURL: settings.publicURL, throttle: throttle
        ).register(on: router)
        do {
            DashboardRoutes(
                store: context.store, operations: operations, authenticator: authenticator,
                templates: try context.templates ?? DashboardTemplates.bundled(),
                pages: DashboardPages(links: links, logsDirectory: settings.logsDirectory, repositories: settings.repositories),
                live: LiveEvents(store: context.store, interval: context.liveInterval),
                secureCookies: settings.publicURL?.hasPrefix("https://") ?? false, publicURL: settings.publicURL,
                orphanScan: context.orphanScan, clock: context.clock, throttle: throttle
            ).register(on: router)
        } catch {
            context.logger.error("the dashboard is unavailable", metadata: ["error": "\(error)"])
        }
    }
    let bodyDeadline = context.bodyDeadline
    let bodyLogger = context.logger
    return Application(
        router: base,
        // A connection that sends nothing for 30 s — between requests or in the middle of one —
        // is closed: idle and stalled connections do not accumulate. A body still arriving
        // `bodyDeadline` after its head is answered 408 and its connection closed.
        server: .http1(
            configuration: .init(
                additionalChannelHandlers: [
                    OversizedRequestHandler(), RequestBodyDeadlineHandler(deadline: bodyDeadline, logger: bodyLogger),
                ],
                idleTimeout: .seconds(30))),
        configuration: .init(
            address: .hostname(settings.httpHost, port: settings.httpPort),
            serverName: "jobrunner"),
        services: services,
        logger: context.logger)
}
