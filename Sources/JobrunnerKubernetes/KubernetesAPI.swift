import Foundation

/// The kinds of object the runner touches, with where the API serves them.
public enum KubernetesResource: String, Sendable, CaseIterable {
    case jobs, pods, configMaps = "configmaps", deployments

    /// The group/version path the resource lives under.
    var apiPath: String {
        switch self {
        case .jobs: "/apis/batch/v1"
        case .deployments: "/apis/apps/v1"
        case .pods, .configMaps: "/api/v1"
        }
    }

    public func path(namespace: String, name: String? = nil) -> String {
        "\(apiPath)/namespaces/\(namespace)/\(rawValue)" + (name.map { "/\($0)" } ?? "")
    }
}

/// The Kubernetes API as the runner uses it: one real implementation (`KubernetesClient`, over
/// HTTPS with the cluster's credentials), exercised in tests against a stand-in API server that
/// follows the documented REST shapes.
public protocol KubernetesAPI: Sendable {
    /// Creates an object; a name already taken is `KubernetesAPIError` with `isAlreadyExists`.
    func create(_ resource: KubernetesResource, namespace: String, _ object: JSONValue) async throws -> JSONValue
    /// The object, or nil when there is none.
    func get(_ resource: KubernetesResource, namespace: String, name: String) async throws -> JSONValue?
    /// The objects whose labels match `labelSelector` (`key=value,key=value`).
    func list(_ resource: KubernetesResource, namespace: String, labelSelector: String) async throws -> [JSONValue]
    /// Deletes an object with `propagationPolicy` (`Foreground`, `Background`); gone already is fine.
    func delete(_ resource: KubernetesResource, namespace: String, name: String, propagationPolicy: String) async throws
    /// A container's log from its beginning, followed until the container ends (`follow=true`).
    func followLog(namespace: String, pod: String, container: String) async throws -> AsyncThrowingStream<[UInt8], any Error>
}

/// What went wrong talking to the API server, with what an operator needs to act.
public enum KubernetesAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server answered with an error `Status`.
    case status(method: String, path: String, code: Int, reason: String?, message: String?)
    /// No answer (connection refused, TLS, timeout): whether a create happened is unknown.
    case unreachable(server: String, reason: String)
    /// An answer that is not what the API documents.
    case invalidResponse(path: String, reason: String)

    public var isAlreadyExists: Bool {
        if case .status(_, _, 409, let reason, _) = self { return reason == nil || reason == "AlreadyExists" }
        return false
    }

    public var description: String {
        switch self {
        case let .status(method, path, code, reason, message):
            var text = "the Kubernetes API answered \(method) \(path) with \(code)"
            if let reason { text += " \(reason)" }
            if let message { text += ": \(message)" }
            if code == 401 { text += " (the credentials were refused: check the service-account token or kubeconfig)" }
            if code == 403 { text += " (the service account lacks a permission: see the Role in docs/kubernetes.md)" }
            return text
        case let .unreachable(server, reason): return "the Kubernetes API at \(server) cannot be reached: \(reason)"
        case let .invalidResponse(path, reason): return "the Kubernetes API answered \(path) with something unexpected: \(reason)"
        }
    }
}
