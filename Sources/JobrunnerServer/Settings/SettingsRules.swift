import Foundation
import JobrunnerCore
import JobrunnerGitHub
import JobrunnerStages

/// Checks that span several settings, or read the files settings name: run after every setting
/// was read, so all problems are reported in one message.
enum SettingsRules {
    static func problems(_ settings: Settings, purpose: SettingsLoader.Purpose) -> [SettingsError] {
        var errors: [SettingsError] = []
        func require(_ condition: Bool, _ setting: Setting, _ problem: String) {
            if !condition { errors.append(SettingsError(setting, problem)) }
        }
        if (settings.githubAppID == nil) != (settings.githubAppPrivateKeyPath == nil) {
            errors.append(SettingsError(
                settings.githubAppID == nil ? .githubAppID : .githubAppPrivateKeyPath,
                "a GitHub App needs both JOBRUNNER_GITHUB_APP_ID and JOBRUNNER_GITHUB_APP_PRIVATE_KEY_PATH"))
        }
        let data = URL(fileURLWithPath: settings.dataDirectory).standardizedFileURL.path
        for shared in settings.scriptSharedDirectories
        where BubblewrapSandbox.isInside(shared, data) || BubblewrapSandbox.isInside(data, shared) {
            errors.append(SettingsError(
                .scriptSharedDirectories, "\(shared) overlaps the data directory \(data): scripts must never reach the service's data"))
        }
        require(
            settings.requiredApprovals == 0 || settings.hasGitHubAPIAccess, .requiredApprovals,
            "needs GitHub API access: set JOBRUNNER_GITHUB_TOKEN or a GitHub App (JOBRUNNER_GITHUB_APP_ID)")
        require(
            !settings.dryRun || settings.hasGitHubAPIAccess, .dryRun,
            "needs GitHub API access to read pull requests, their reviews and files: set JOBRUNNER_GITHUB_TOKEN or a GitHub App (JOBRUNNER_GITHUB_APP_ID)")
        require(
            !settings.requireDryRun || settings.dryRun, .requireDryRun,
            "needs JOBRUNNER_DRY_RUN=true: without dry runs no merged script could ever run")
        require(
            settings.gitBackend != .githubAPI || settings.hasGitHubAPIAccess, .gitBackend,
            "github-api needs JOBRUNNER_GITHUB_TOKEN or a GitHub App (JOBRUNNER_GITHUB_APP_ID)")
        require(
            settings.callbackURLs.isEmpty || settings.callbackSecret != nil, .callbackSecret,
            "is required with JOBRUNNER_CALLBACK_URLS: receivers verify callbacks with it")
        if settings.runner == .kubernetes {
            require(
                settings.kubernetes.deployment != nil || settings.kubernetes.image != nil, .kubernetesDeployment,
                "JOBRUNNER_RUNNER=kubernetes needs the image scripts run in: set JOBRUNNER_K8S_DEPLOYMENT (the application's Deployment) or JOBRUNNER_K8S_IMAGE")
            require(
                settings.kubernetes.deployment == nil || settings.kubernetes.image == nil, .kubernetesImage,
                "set either JOBRUNNER_K8S_DEPLOYMENT or JOBRUNNER_K8S_IMAGE, not both")
        }
        if case .serve = purpose {
            // Whoever guesses the secret can create work; a short one can be guessed offline
            // from any one signed delivery.
            for (index, secret) in settings.webhookSecrets.enumerated() where secret.count < Settings.minimumWebhookSecretLength {
                errors.append(SettingsError(
                    index == 0 ? .webhookSecret : .webhookPreviousSecret,
                    "is \(secret.count) characters long; use at least \(Settings.minimumWebhookSecretLength) (e.g. `openssl rand -hex 32`) and the same value on the GitHub webhook"))
            }
        }
        if case .serve(let development) = purpose, !development {
            require(
                !settings.webhookSecrets.isEmpty, .webhookSecret,
                "is required: without it webhooks cannot be verified (set it to the secret configured on the GitHub webhook, or use `serve --dev` to generate one for local use)")
            require(
                !settings.repositories.isEmpty, .repositories,
                "is required: name the repositories (owner/name, comma-separated) whose pushes may run scripts")
        }
        errors += fileProblems(settings)
        return errors
    }

    /// What is wrong inside the files the settings name — found now, with everything else,
    /// rather than when the service first needs them.
    static func fileProblems(_ settings: Settings) -> [SettingsError] {
        var errors: [SettingsError] = []
        if let path = settings.toolchainsFile, FileManager.default.isReadableFile(atPath: path) {
            do {
                _ = try ToolchainFile.load(path)
            } catch let problem as ToolchainFile.Problem {
                errors.append(SettingsError(.toolchainsFile, "\(path): \(problem.message)"))
            } catch {
                errors.append(SettingsError(.toolchainsFile, "\(path): \(error)"))
            }
        }
        if let path = settings.scriptEnvironmentFile, FileManager.default.isReadableFile(atPath: path) {
            do {
                _ = try EnvironmentFile.parse(try String(contentsOfFile: path, encoding: .utf8))
            } catch {
                errors.append(SettingsError(.scriptEnvironmentFile, "\(path): \(error)"))
            }
        }
        if let path = settings.dryRunEnvironmentFile, FileManager.default.isReadableFile(atPath: path) {
            do {
                _ = try EnvironmentFile.parse(try String(contentsOfFile: path, encoding: .utf8))
            } catch {
                errors.append(SettingsError(.dryRunEnvironmentFile, "\(path): \(error)"))
            }
        }
        if let path = settings.githubAppPrivateKeyPath, settings.githubAppID != nil {
            do {
                _ = try GitHubAppCredentials.privateKey(atPath: path)
            } catch {
                errors.append(SettingsError(.githubAppPrivateKeyPath, "\(error)"))
            }
        }
        return errors
    }
}
