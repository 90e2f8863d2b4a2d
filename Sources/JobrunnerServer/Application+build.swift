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
    /// Rung when intake or an operator queues work, so idle workers start at once.
    public var workAvailable: Beacon
    /// Extensions that are scripts: those of the built-in and configured toolchains.
    public var scriptExtensions: Set<String> = ScriptLanguage.builtInExtensions
    /// The GitHub API, when credentials are configured (needed for incomplete pushes).
    public var github: (any GitHubAPI)?
    public var logger: Logger

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

/// Builds the HTTP application: health, readiness and webhook intake (when a webhook secret is
/// configured); the dashboard and API are added by their own route files. `serve` and the tests call this same function.
public func buildApplication(_ context: ApplicationContext, services: [any Service] = []) -> some ApplicationProtocol {
    let router = Router()
    HealthRoutes(store: context.store).register(on: router)
    if !context.settings.webhookSecrets.isEmpty {
        WebhookRoutes(
            verifier: WebhookVerifier(secrets: context.settings.webhookSecrets),
            store: context.store,
            intake: PushIntake(
                repositories: Set(context.settings.repositories), branch: context.settings.branch,
                detector: ScriptDetector(
                    jobsDirectory: context.settings.jobsDirectory, supportedExtensions: context.scriptExtensions),
                github: context.github),
            maxBodySize: context.settings.webhookMaxBodySize,
            workAvailable: context.workAvailable,
            logger: context.logger
        ).register(on: router)
    }
    return Application(
        router: router,
        configuration: .init(
            address: .hostname(context.settings.httpHost, port: context.settings.httpPort),
            serverName: "jobrunner"),
        services: services,
        logger: context.logger)
}
