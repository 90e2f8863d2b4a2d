import Foundation

/// What the Kubernetes runner needs to build a script's Job (`JOBRUNNER_K8S_*`).
public struct KubernetesRunnerSettings: Sendable, Equatable {
    /// The scripts' namespace; nil: the namespace Jobrunner itself runs in (in-cluster).
    public var namespace: String?
    /// The Deployment whose container image scripts run in: `NAME` or `NAME/CONTAINER`.
    public var deployment: KubernetesContainerReference?
    /// An explicit image instead of a Deployment's.
    public var image: String?
    /// ConfigMaps and Secrets whose keys become the script's environment (besides the
    /// Deployment container's own `env`/`envFrom`).
    public var environmentSources: [KubernetesEnvironmentSource] = []
    /// Dry runs' ConfigMaps and Secrets: a dry run gets these only — never the Deployment
    /// container's own `env`/`envFrom` (the production configuration) nor `environmentSources`.
    public var dryRunEnvironmentSources: [KubernetesEnvironmentSource] = []
    /// The runner builds dry runs' Jobs (named after the dry run, with the dry-run environment).
    public var forDryRuns = false
    /// The pod's service account: one without any Role, so a script cannot call the API.
    public var serviceAccount: String = "jobrunner-script"
    /// `requests.cpu=250m,limits.memory=1Gi`-style requests and limits.
    public var resources: KubernetesResources = KubernetesResources()
    /// A kubeconfig file for running outside the cluster; nil: in-cluster credentials.
    public var kubeconfig: String?
    /// The application's directory inside the image (the working directory); nil: the
    /// Deployment container's `workingDir`, else the image's default.
    public var appDirectory: String?
    /// How long a finished Job stays (for re-attaching and `kubectl logs`).
    public var jobTTL: Duration = .seconds(86_400)
    /// The Python interpreter in the image.
    public var python: String = "python3"
    /// How the script pod's security contexts are made from the Deployment's.
    public var podSecurity: KubernetesPodSecurity = .restricted

    public init() {}
}

/// `NAME` or `NAME/CONTAINER`: a Deployment and (optionally) which of its containers.
public struct KubernetesContainerReference: Sendable, Equatable, CustomStringConvertible {
    public var deployment: String
    /// nil: the first container.
    public var container: String?

    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), parts.allSatisfy(KubernetesNames.isValidName) else { return nil }
        deployment = parts[0]
        container = parts.count == 2 ? parts[1] : nil
    }

    public var description: String { container.map { "\(deployment)/\($0)" } ?? deployment }
}

/// `configmap:NAME` or `secret:NAME`.
public enum KubernetesEnvironmentSource: Sendable, Equatable, CustomStringConvertible {
    case configMap(String)
    case secret(String)

    public init?(parsing text: String) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, KubernetesNames.isValidName(parts[1]) else { return nil }
        switch parts[0].lowercased() {
        case "configmap": self = .configMap(parts[1])
        case "secret": self = .secret(parts[1])
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .configMap(let name): "configmap:\(name)"
        case .secret(let name): "secret:\(name)"
        }
    }
}

/// A container's resource requests and limits, as Kubernetes quantities.
public struct KubernetesResources: Sendable, Equatable {
    public var requests: [String: String] = [:]
    public var limits: [String: String] = [:]

    public init(requests: [String: String] = [:], limits: [String: String] = [:]) {
        self.requests = requests
        self.limits = limits
    }

    /// `requests.cpu=250m,requests.memory=256Mi,limits.memory=1Gi`; throws what is wrong.
    public init(parsing items: [String]) throws(SettingsProblem) {
        for item in items {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let key = pair.first?.split(separator: ".", maxSplits: 1).map(String.init) ?? []
            guard pair.count == 2, key.count == 2, ["requests", "limits"].contains(key[0]),
                !key[1].isEmpty, Self.isQuantity(pair[1])
            else { throw SettingsProblem("'\(item)' is not requests.NAME=QUANTITY or limits.NAME=QUANTITY (e.g. limits.memory=1Gi)") }
            if key[0] == "requests" { requests[key[1]] = pair[1] } else { limits[key[1]] = pair[1] }
        }
    }

    /// A Kubernetes quantity: a number with an optional suffix (`250m`, `1.5`, `1Gi`, `1e3`).
    static func isQuantity(_ text: String) -> Bool {
        let suffixes = ["", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
        let number = text.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard !number.isEmpty, Double(number) != nil else { return false }
        let rest = String(text.dropFirst(number.count))
        if suffixes.contains(rest) { return true }
        if rest.first == "e" || rest.first == "E" { return Int(rest.dropFirst()) != nil }
        return false
    }
}

/// The naming rules of Kubernetes objects and labels.
public enum KubernetesNames {
    /// An RFC 1123 label: what namespaces, Deployments, containers, ConfigMaps and Secrets are named.
    public static func isValidName(_ text: String) -> Bool {
        guard (1...253).contains(text.count), let first = text.first, let last = text.last,
            first.isASCII && (first.isLowercase || first.isNumber), last.isASCII && (last.isLowercase || last.isNumber)
        else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == ".") }
    }

    /// The Job of one EXECUTE attempt. Derived from the pipeline and the attempt alone, so a
    /// second create of the same run is refused by the API server (409) instead of running twice.
    public static func job(pipeline: PipelineID, attempt: Int) -> String {
        "jobrunner-\(pipeline.rawValue)-\(attempt)"
    }

    /// The Job of a dry run (each dry run runs at most once).
    public static func dryRunJob(_ id: Int64) -> String { "jobrunner-dry-run-\(id)" }

    public static let dryRunLabel = "jobrunner.dev/dry-run"

    public static let pipelineLabel = "jobrunner.dev/pipeline"
    public static let attemptLabel = "jobrunner.dev/attempt"
    public static let managedByLabel = "app.kubernetes.io/managed-by"
}

/// `JOBRUNNER_K8S_POD_SECURITY`: the Deployment's security contexts made to meet the `restricted`
/// Pod Security Standard (so a script pod is admitted where the standard is enforced, and a
/// script gets no more than it needs), or copied as they are.
public enum KubernetesPodSecurity: String, Sendable, CaseIterable {
    /// Non-root, no privilege escalation, every capability dropped, RuntimeDefault seccomp —
    /// on top of the application's own user, group and filesystem settings.
    case restricted
    /// The Deployment's pod and container security contexts verbatim.
    case application
}
