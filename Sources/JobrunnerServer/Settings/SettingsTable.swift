import Foundation
import JobrunnerCore
import Logging

/// Every setting Jobrunner reads, declared once (see `SettingDeclaration`), in the order of
/// `Setting.allCases`. Adding a setting: a case in `Setting`, a field in `Settings` with its
/// default, and its declaration here — the switch makes the compiler ask for it.
public enum SettingsTable {
    public static let declarations: [SettingDeclaration] = Setting.allCases.map(declaration)

    /// The configured values that must never appear in anything stored or committed: every
    /// secret setting, and the variables named in `JOBRUNNER_SECRETS` (read from `environment`).
    public static func secretValues(of settings: Settings, environment: [String: String]) -> [String] {
        declarations.flatMap { $0.secretValues(settings) } + settings.secretNames.compactMap { environment[$0] }
    }

    // swiftlint:disable:next function_body_length cyclomatic_complexity
    static func declaration(_ setting: Setting) -> SettingDeclaration {
        switch setting {
        case .configFile:
            SettingDeclaration(setting, "optional file of KEY=value lines with any of these settings; the environment wins", default: nil) {
                input, settings in
                settings.configFile = input.text.map(absolutePath)
                return nil
            }
        case .webhookSecret:
            SettingDeclaration(
                setting, "secret of the GitHub webhook (required by `serve`; `serve --dev` generates one)", default: nil, secret: true,
                secretValues: { $0.webhookSecrets }
            ) { input, settings in
                input.text.map { settings.webhookSecrets.insert($0, at: 0) }
                return nil
            }
        case .webhookPreviousSecret:
            SettingDeclaration(
                setting, "the secret being rotated out: deliveries signed with it are still accepted until it is removed",
                default: nil, secret: true
            ) { input, settings in
                // Read after JOBRUNNER_WEBHOOK_SECRET (table order), so an empty list means it is unset.
                guard let text = input.text else { return nil }
                guard !settings.webhookSecrets.isEmpty else { return "is set without JOBRUNNER_WEBHOOK_SECRET: set the new secret too" }
                settings.webhookSecrets.append(text)
                return nil
            }
        case .webhookMaxBodySize:
            SettingDeclaration(
                setting, "largest webhook body accepted, e.g. 25MiB or 26214400 (GitHub caps payloads at 25 MB); larger bodies get 413",
                default: ByteSizeParser.format(Settings().webhookMaxBodySize)
            ) { input, settings in
                guard let text = input.text else { return nil }
                guard let size = input.value(ByteSizeSetting.self)?.bytes, size >= 1024 else {
                    return "'\(text)' is not a size of at least 1KiB (examples: 5MiB, 10485760)"
                }
                settings.webhookMaxBodySize = size
                return nil
            }
        case .repositories:
            SettingDeclaration(setting, "owner/name of each repository to accept pushes from, comma-separated (required by `serve`)", default: nil) {
                input, settings in
                var problems: [String] = []
                for name in input.list {
                    if let repository = RepositoryName(rawValue: name) {
                        settings.repositories.append(repository)
                    } else {
                        problems.append("'\(name)' is not owner/name")
                    }
                }
                return problems.isEmpty ? nil : problems.joined(separator: "; ")
            }
        case .branch:
            .optionalText(setting, \.branch, "branch whose pushes run scripts", default: "the repository's default branch")
        case .jobsDirectory:
            .text(setting, \.jobsDirectory, "directory holding scripts", check: repositoryDirectoryProblem, normalize: trimSlashes)
        case .logsDirectory:
            .text(setting, \.logsDirectory, "directory CLEANUP commits execution logs to", check: repositoryDirectoryProblem, normalize: trimSlashes)
        case .databaseURL:
            SettingDeclaration(
                setting, "SQLite file path or sqlite:PATH; postgres://… for PostgreSQL", default: "DATA_DIR/jobrunner.sqlite"
            ) { input, settings in
                guard let text = input.text else { return nil }
                guard let location = DatabaseLocation(parsing: text) else {
                    return "'\(text)' is neither a file path, sqlite:PATH nor postgres://…"
                }
                settings.database = location
                return nil
            }
        case .dataDirectory:
            .text(setting, \.dataDirectory, "where the database, clones and work directories live")
        case .gitBackend:
            .choice(setting, \.gitBackend, "how PROCESS reads scripts and CLEANUP commits logs")
        case .gitTimeout:
            .duration(setting, \.gitTimeout, "a git fetch or push (libgit2) whose remote connects or answers nothing for this long fails and is retried, e.g. 30s")
        case .gitDeadline:
            .duration(setting, \.gitDeadline, "the longest one git fetch or push (libgit2) may take, however slowly the remote sends, e.g. 10m")
        case .gitRemote:
            .text(
                setting, \.gitRemoteTemplate, "clone URL template with {repository}",
                check: { $0.contains("{repository}") ? nil : "'\($0)' must contain {repository}" })
        case .botName:
            .text(setting, \.botName, "author and committer name of CLEANUP commits")
        case .botEmail:
            .text(
                setting, \.botEmail, "author and committer e-mail of CLEANUP commits",
                check: { email in
                    email.contains("@") && !email.contains(where: { $0 == "<" || $0 == ">" || $0.isWhitespace })
                        ? nil : "'\(email)' is not an e-mail address"
                })
        case .skipCI:
            .boolean(setting, \.skipCI, "true or false: put [skip ci] in CLEANUP commit messages")
        case .githubAPIURL:
            .text(
                setting, \.githubAPIURL, "GitHub REST API base URL (GitHub Enterprise: https://HOST/api/v3)",
                check: httpURLProblem, normalize: trimTrailingSlash)
        case .githubToken:
            .optionalText(setting, \.githubToken, "token for git and the GitHub API", secret: true)
        case .githubAppID:
            .optionalText(setting, \.githubAppID, "GitHub App id (instead of a token)")
        case .githubAppPrivateKeyPath:
            .optionalText(setting, \.githubAppPrivateKeyPath, "PEM private key of the GitHub App")
        case .requiredApprovals:
            .integer(
                setting, \.requiredApprovals, in: 0...100,
                "approval policy: approving reviews (not by the author) a merged pull request needs before its scripts run; needs GitHub API access (0: off)")
        case .callbackURLs:
            SettingDeclaration(setting, "URLs that get a signed JSON POST when a pipeline succeeds or fails, comma-separated", default: nil) {
                input, settings in
                settings.callbackURLs = input.list
                let problems = settings.callbackURLs.compactMap(httpURLProblem)
                return problems.isEmpty ? nil : problems.joined(separator: "; ")
            }
        case .callbackSecret:
            .optionalText(
                setting, \.callbackSecret, "HMAC-SHA256 secret callbacks are signed with (X-Hub-Signature-256); required with JOBRUNNER_CALLBACK_URLS",
                secret: true)
        case .publicURL:
            .optionalText(
                setting, \.publicURL, "where people reach this service, e.g. https://jobrunner.example.com; links in commit statuses point there",
                check: httpURLProblem, normalize: trimTrailingSlash)
        case .slackWebhookURL:
            .optionalText(
                setting, \.slackWebhookURL,
                "Slack incoming-webhook URL (Mattermost and others accept the same messages): a message when a script starts, succeeds or fails",
                secret: true, check: httpURLProblem)
        case .commentEditInterval:
            .duration(
                setting, \.commentEditInterval,
                "the pull-request comment of a pipeline is edited at most once per this interval (a chatty script cannot exhaust the API quota), e.g. 10s")
        case .dryRun:
            .boolean(
                setting, \.dryRun,
                "true: scripts of approved pull requests are dry-run before merge, with the dry-run environment only (docs/dry-runs.md); needs GitHub API access")
        case .dryRunApprovals:
            SettingDeclaration(
                setting, "approving reviews of a pull request's head, from reviewers with write access, before its scripts are dry-run",
                default: "JOBRUNNER_REQUIRED_APPROVALS, at least 1"
            ) { input, settings in
                guard let text = input.text else { return nil }
                guard let value = Int(text), (1...100).contains(value) else { return "'\(text)' is not a whole number from 1 to 100" }
                settings.dryRunApprovals = value
                return nil
            }
        case .dryRunForks:
            .boolean(setting, \.dryRunForks, "true: pull requests from forks are dry-run too (their code runs in production before merge)")
        case .dryRunEnvironment:
            .variableNames(
                setting, \.dryRunEnvironment,
                "names of environment variables passed to dry runs, comma-separated (instead of JOBRUNNER_SCRIPT_ENV)")
        case .dryRunEnvironmentFile:
            .optionalText(
                setting, \.dryRunEnvironmentFile,
                "a KEY=value file dry runs get instead of JOBRUNNER_SCRIPT_ENV_FILE (e.g. read-only database credentials); values that look secret are masked",
                default: "none: dry runs get no application settings",
                check: { FileManager.default.isReadableFile(atPath: $0) ? nil : "\($0) cannot be read" }, normalize: absolutePath)
        case .requireDryRun:
            .boolean(
                setting, \.requireDryRun,
                "true: EXECUTE runs a merged script only if the same content had a successful dry run; otherwise it waits until an operator overrides")
        case .dashboardToken:
            SettingDeclaration(
                setting,
                "operators' tokens for the dashboard and the API: one token, or name:token pairs, comma-separated (at least 16 characters each; the name is recorded with every retry and cancel); without it the dashboard and API are closed",
                default: nil, secret: true, secretValues: { $0.dashboardTokens.map(\.token) }
            ) { input, settings in
                guard let text = input.text else { return nil }
                do {
                    settings.dashboardTokens = try OperatorToken.parseList(text)
                    return nil
                } catch {
                    return "\(error)"
                }
            }
        case .sessionLifetime:
            .duration(setting, \.sessionLifetime, "how long a dashboard login lasts, e.g. 8h")
        case .metricsPublic:
            .boolean(setting, \.metricsPublic, "true: /metrics answers without a token (false: Prometheus sends a dashboard token as Bearer)")
        case .httpHost:
            .text(setting, \.httpHost, "address the HTTP server binds")
        case .httpPort:
            .integer(setting, \.httpPort, in: 0...65535, "port the HTTP server listens on")
        case .scriptEnvironment:
            .variableNames(setting, \.scriptEnvironment, "names of environment variables passed through to scripts, comma-separated")
        case .secrets:
            .variableNames(setting, \.secretNames, "names of environment variables whose values are masked (***) in everything stored or committed")
        case .executeTimeout:
            .duration(setting, \.executeTimeout, "time limit of one script run, e.g. 90s, 10m, 1h")
        case .scriptIsolation:
            SettingDeclaration(
                setting,
                "bubblewrap: scripts run in a sandbox that hides the service's data, keys, config and processes (docs/security.md); none: without (a warning at start)",
                default: Settings().scriptIsolation.rawValue
            ) { input, settings in
                guard let text = input.text else { return nil }
                guard let isolation = ScriptIsolation(rawValue: text.lowercased()) else {
                    return "'\(text)' is not one of \(ScriptIsolation.allCases.map(\.rawValue).joined(separator: ", "))"
                }
                settings.scriptIsolation = isolation
                return nil
            }
        case .scriptSharedDirectories:
            SettingDeclaration(
                setting, "directories scripts may write inside the sandbox besides their own run directory, comma-separated (e.g. an export directory)",
                default: nil
            ) { input, settings in
                let directories = input.list.map(absolutePath)
                if let missing = directories.first(where: { !isDirectory($0) }) { return "\(missing) is not a directory" }
                settings.scriptSharedDirectories = directories
                return nil
            }
        case .scriptHiddenPaths:
            SettingDeclaration(
                setting,
                "further files or directories the sandbox hides from scripts, comma-separated (settings files the service does not read itself; /etc/jobrunner is always hidden)",
                default: nil
            ) { input, settings in
                settings.scriptHiddenPaths = input.list.map(absolutePath)
                return nil
            }
        case .scriptLimits:
            SettingDeclaration(
                setting,
                "what one script run may use, e.g. memory=2GiB,processes=512,cpu=2,tmp=1GiB,disk=10GiB (a name left out keeps its default, none lifts it); past a limit the run is stopped and recorded as such (docs/security.md)",
                default: Settings().scriptLimits.description
            ) { input, settings in
                guard let text = input.text else { return nil }
                do {
                    settings.scriptLimits = try ScriptLimits.parse(text)
                } catch {
                    return "\(error)"
                }
                return nil
            }
        case .scriptNetwork:
            .choice(
                setting, \.scriptNetwork,
                "host: scripts share the host's network, loopback included; isolated: no network at all; egress: only JOBRUNNER_SCRIPT_EGRESS and DNS, never the host itself (docs/security.md)")
        case .scriptEgress:
            SettingDeclaration(
                setting,
                "where scripts may connect with JOBRUNNER_SCRIPT_NETWORK=egress: networks, addresses or host names, each with an optional :port, e.g. 10.20.0.0/16,db.internal:5432",
                default: "nowhere but DNS"
            ) { input, settings in
                do {
                    settings.scriptEgress = try EgressDestination.parseList(input.list.joined(separator: ","))
                    return nil
                } catch {
                    return "\(error)"
                }
            }
        case .scriptUser:
            SettingDeclaration(
                setting, "UID or UID:GID sandboxed scripts run as when the service runs as root (never 0), e.g. 65534:65534 (nobody); its shared directories and the application must be readable by it",
                default: "the service's own user"
            ) { input, settings in
                guard let text = input.text else { return nil }
                guard let identity = ScriptIdentity(parsing: text) else { return "'\(text)' is not UID or UID:GID other than 0" }
                settings.scriptUser = identity
                return nil
            }
        case .appDirectory:
            .optionalText(
                setting, \.appDirectory,
                "the deployed application's directory: scripts run there, with its node_modules, virtualenv and files (docs/scripts.md)",
                default: "none: a fresh scratch directory per run",
                check: { isDirectory($0) ? nil : "\($0) is not a directory" }, normalize: absolutePath)
        case .scriptEnvironmentFile:
            .optionalText(
                setting, \.scriptEnvironmentFile,
                "a KEY=value file the application is configured from; every script gets its variables, values that look secret are masked",
                check: { FileManager.default.isReadableFile(atPath: $0) ? nil : "\($0) cannot be read" }, normalize: absolutePath)
        case .python:
            .optionalText(
                setting, \.pythonInterpreter, "the Python interpreter scripts run with",
                default: "APP_DIR/.venv/bin/python when present, else python3")
        case .appRevision:
            SettingDeclaration(
                setting,
                "where the commit the application runs is read — file:PATH, an http(s) URL (the first 40-hex commit id) or deployment:NAME (a Kubernetes Deployment's jobrunner.dev/revision annotation or image tag, once rolled out); EXECUTE waits until it contains the script's commit",
                default: "no deploy gate"
            ) { input, settings in
                guard let text = input.text else { return nil }
                guard let location = RevisionLocation(parsing: text) else {
                    return "'\(text)' is not file:PATH, an http(s) URL or deployment:NAME"
                }
                settings.appRevision = location
                return nil
            }
        case .deployWait:
            .duration(setting, \.deployWait, "how long EXECUTE waits for the deploy of its commit before it fails (it never started)")
        case .runner:
            .choice(
                setting, \.runner,
                "where EXECUTE runs scripts: local (a sandboxed child process) or kubernetes (a Job in the application's image, docs/kubernetes.md)")
        case .kubernetesNamespace:
            .optionalText(
                setting, \.kubernetes.namespace, "the namespace scripts' Jobs run in",
                default: "the namespace Jobrunner runs in (in-cluster) or the kubeconfig context's",
                check: { KubernetesNames.isValidName($0) ? nil : "'\($0)' is not a namespace name" })
        case .kubernetesDeployment:
            SettingDeclaration(
                setting, "the application's Deployment, NAME or NAME/CONTAINER: scripts run in its container's image, env and envFrom",
                default: nil
            ) { input, settings in
                guard let text = input.text else { return nil }
                guard let reference = KubernetesContainerReference(parsing: text) else { return "'\(text)' is not NAME or NAME/CONTAINER" }
                settings.kubernetes.deployment = reference
                return nil
            }
        case .kubernetesImage:
            .optionalText(setting, \.kubernetes.image, "an image to run scripts in instead of the Deployment's")
        case .kubernetesEnvironmentFrom:
            environmentSources(
                setting, "ConfigMaps and Secrets whose keys scripts get as variables, e.g. configmap:app-config,secret:app-secrets"
            ) { $0.kubernetes.environmentSources = $1 }
        case .kubernetesDryRunEnvironmentFrom:
            environmentSources(
                setting,
                "the only ConfigMaps and Secrets dry runs' Jobs get (not the Deployment's env), e.g. configmap:app-staging"
            ) { $0.kubernetes.dryRunEnvironmentSources = $1 }
        case .kubernetesServiceAccount:
            .text(
                setting, \.kubernetes.serviceAccount,
                "the service account scripts' pods run as: one without any Role (its token is not mounted either)",
                check: { KubernetesNames.isValidName($0) ? nil : "'\($0)' is not a service account name" })
        case .kubernetesResources:
            SettingDeclaration(
                setting, "the script container's requests and limits, e.g. requests.cpu=250m,requests.memory=256Mi,limits.memory=1Gi",
                default: nil
            ) { input, settings in
                do {
                    settings.kubernetes.resources = try KubernetesResources(parsing: input.list)
                    return nil
                } catch {
                    return "\(error)"
                }
            }
        case .kubernetesAppDirectory:
            .optionalText(
                setting, \.kubernetes.appDirectory,
                "the application's directory inside the image (the script's working directory, PYTHONPATH, NODE_PATH)",
                default: "the Deployment container's workingDir",
                check: { $0.hasPrefix("/") ? nil : "'\($0)' is not an absolute path" })
        case .kubernetesJobTTL:
            .duration(
                setting, \.kubernetes.jobTTL,
                "how long a finished script Job stays in the cluster (to re-attach after a crash, for kubectl logs)",
                minimum: (.seconds(60), "must be at least 1m"))
        case .kubernetesPodSecurity:
            .choice(
                setting, \.kubernetes.podSecurity,
                "restricted: the script pod meets the restricted Pod Security Standard (non-root, no privilege escalation, no capabilities, RuntimeDefault seccomp) on top of the Deployment's security contexts; application: the Deployment's contexts as they are (docs/kubernetes.md)")
        case .kubeconfig:
            .optionalText(
                setting, \.kubernetes.kubeconfig, "a kubeconfig file for running outside the cluster (its current context)",
                default: "in-cluster: the pod's service-account token and CA",
                check: { FileManager.default.isReadableFile(atPath: $0) ? nil : "\($0) cannot be read" }, normalize: absolutePath)
        case .repositoryTreeLimit:
            SettingDeclaration(
                setting, "the most PROCESS reads of a repository tree to build a TypeScript/JavaScript script against it",
                default: ByteSizeParser.format(Settings().repositoryTreeLimit)
            ) { input, settings in
                guard let text = input.text else { return nil }
                guard let size = input.value(ByteSizeSetting.self)?.bytes, size >= 1 << 20 else {
                    return "'\(text)' is not a size of at least 1MiB (examples: 64MiB, 256MiB)"
                }
                settings.repositoryTreeLimit = size
                return nil
            }
        case .toolchainsFile:
            .optionalText(
                setting, \.toolchainsFile, "optional JSON file of extra toolchains (extension, build or check command, run command); see docs/scripts.md",
                check: { FileManager.default.isReadableFile(atPath: $0) ? nil : "\($0) cannot be read" })
        case .workers:
            .integer(setting, \.workers, in: 0...256, "concurrent stage workers in this process (0 with `serve` = intake and dashboard only)")
        case .leaseDuration:
            .duration(
                setting, \.leaseDuration, "how long a claimed stage is held without renewal before it is rescued",
                minimum: (.seconds(3), "must be at least 3s so leases can be renewed in time"))
        case .shutdownGracePeriod:
            .duration(setting, \.shutdownGracePeriod, "how long running stages may finish after SIGTERM")
        case .retention:
            SettingDeclaration(
                setting,
                "how long finished pipelines, their output and deliveries stay in the database, e.g. 30d (0 keeps them forever); the committed logs are the lasting record",
                default: Settings().retention.map(DurationParser.format) ?? "0"
            ) { input, settings in
                guard let text = input.text else { return nil }
                if ["0", "forever", "off"].contains(text.lowercased()) {
                    settings.retention = nil
                    return nil
                }
                guard let value = input.value(DurationSetting.self)?.duration, value > .zero else {
                    return "'\(text)' is not a duration (examples: 90s, 10m, 1h)"
                }
                // GitHub lets a delivery be redelivered for 3 days; its pipeline must still be known then.
                guard value >= .seconds(3 * 86_400) else {
                    return "must be at least 3d, GitHub's redelivery window (or 0 to keep everything)"
                }
                settings.retention = value
                return nil
            }
        case .logLevel:
            .choice(setting, \.logLevel, "how much the service logs")
        case .logFormat:
            .choice(setting, \.logFormat, "plain text, or json (one JSON object per line)")
        }
    }

    /// `configmap:NAME,secret:NAME` lists.
    static func environmentSources(
        _ setting: Setting, _ meaning: String, store: @escaping @Sendable (inout Settings, [KubernetesEnvironmentSource]) -> Void
    ) -> SettingDeclaration {
        SettingDeclaration(setting, meaning, default: nil) { input, settings in
            var sources: [KubernetesEnvironmentSource] = []
            for item in input.list {
                guard let source = KubernetesEnvironmentSource(parsing: item) else { return "'\(item)' is not configmap:NAME or secret:NAME" }
                sources.append(source)
            }
            store(&settings, sources)
            return nil
        }
    }

    /// A directory inside the repository: relative, no `.` or `..`.
    static func repositoryDirectoryProblem(_ text: String) -> String? {
        let trimmed = trimSlashes(text)
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        guard !trimmed.isEmpty, !text.hasPrefix("/"), parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            return "'\(text)' must be a relative directory inside the repository"
        }
        return nil
    }

    static func httpURLProblem(_ text: String) -> String? {
        guard let url = URL(string: text), url.scheme == "https" || url.scheme == "http", url.host != nil else {
            return "'\(text)' is not an http(s) URL"
        }
        return nil
    }

    static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    /// Scripts run with their own working directory, so paths are made absolute once.
    static func absolutePath(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

    static func trimSlashes(_ text: String) -> String { text.trimmingCharacters(in: CharacterSet(charactersIn: "/")) }

    static func trimTrailingSlash(_ text: String) -> String { text.hasSuffix("/") ? String(text.dropLast()) : text }
}
