import Foundation

/// The application a script runs in (`JOBRUNNER_APP_DIR`): recorded with each run and in the
/// committed log, so the audit record says which release of which code the script used.
public struct ApplicationFacts: Sendable, Equatable, Codable {
    /// The application's directory: the script's working directory, its packages and virtualenv.
    public var directory: String
    /// The commit the application ran (`JOBRUNNER_APP_REVISION`), when the deploy gate read it.
    public var revision: String?
    /// The lockfile that pins the application's packages (`package-lock.json`, `poetry.lock`, …).
    public var lockfile: String?
    /// SHA-256 of the lockfile, hex.
    public var lockfileDigest: String?
    /// The Job it ran as, with the Kubernetes runner.
    public var kubernetes: KubernetesRunFacts?

    public init(
        directory: String, revision: String? = nil, lockfile: String? = nil, lockfileDigest: String? = nil,
        kubernetes: KubernetesRunFacts? = nil
    ) {
        self.kubernetes = kubernetes
        self.directory = directory
        self.revision = revision
        self.lockfile = lockfile
        self.lockfileDigest = lockfileDigest
    }

    /// Lockfiles in the order they are looked for: the first one present is recorded.
    public static let lockfiles = [
        "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb", "uv.lock", "poetry.lock",
        "Pipfile.lock", "requirements.txt", "Gemfile.lock", "go.sum", "Cargo.lock",
    ]
}

/// Where the commit the application runs now can be read (`JOBRUNNER_APP_REVISION`).
public enum RevisionLocation: Sendable, Equatable, CustomStringConvertible {
    /// A file written at deploy time (e.g. `REVISION`).
    case file(String)
    /// An HTTP(S) endpoint of the application (e.g. `/version`).
    case url(String)
    /// The application's Kubernetes Deployment (in `JOBRUNNER_K8S_NAMESPACE`): its
    /// `jobrunner.dev/revision` annotation, else the commit in its image tag — once rolled out.
    case kubernetesDeployment(String)

    /// `file:PATH`, an `http(s)://` URL or `deployment:NAME`; nil otherwise.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("deployment:") {
            let name = String(trimmed.dropFirst("deployment:".count))
            guard KubernetesNames.isValidName(name) else { return nil }
            self = .kubernetesDeployment(name)
        } else if trimmed.hasPrefix("file:") {
            let path = String(trimmed.dropFirst("file:".count))
            let plain = path.hasPrefix("//") ? String(path.dropFirst(2)) : path
            guard !plain.isEmpty else { return nil }
            self = .file(plain)
        } else if let url = URL(string: trimmed), url.scheme == "http" || url.scheme == "https", url.host != nil {
            self = .url(trimmed)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .file(let path): "file:\(path)"
        case .url(let url): url
        case .kubernetesDeployment(let name): "deployment:\(name)"
        }
    }

    /// The first full (40 hex digits) commit id in `text`, lower-cased.
    public static func commit(in text: String) -> String? {
        // Runs of hex digits; the first that is exactly 40 long.
        var run = ""
        for character in text.lowercased() + " " {
            if character.isHexDigit && character.isASCII {
                run.append(character)
            } else {
                if run.count == 40 { return run }
                run = ""
            }
        }
        return nil
    }
}

/// Reads which commit the application runs now.
public protocol DeployedRevisionSource: Sendable {
    /// The commit id; throws when it cannot be read (the gate then waits, showing why).
    func currentRevision() async throws -> String
}

/// Whether one commit is contained in another — what the deploy gate asks git.
public protocol CommitAncestry: Sendable {
    /// True when `commit` equals `revision` or is one of its ancestors.
    func contains(repository: RepositoryName, revision: String, commit: String) async throws -> Bool
}
