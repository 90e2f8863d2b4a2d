import Foundation
import JobrunnerCore
import JobrunnerKubernetes
import JobrunnerTestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The Kubernetes API stand-in (Tests/Support/kubernetes-standin.py): Jobs, pods, logs,
/// ConfigMaps, Secrets and Deployments in the documented REST shapes, each Job's command run as a
/// real local process. Bearer token: the current content of `tokenFile`.
struct KubernetesStandIn: Sendable {
    let helper: LocalHelperProcess
    let tokenFile: String
    let scheme: String
    static let namespace = "scripts"

    var server: String { "\(scheme)://127.0.0.1:\(helper.port)" }

    /// `restricted`: the scripts' namespace enforces the `restricted` Pod Security Standard.
    static func start(in directory: TemporaryDirectory, tls: (cert: String, key: String)? = nil, restricted: Bool = false) async throws
        -> KubernetesStandIn
    {
        let tokenFile = directory.file("k8s-token-\(UUID().uuidString)")
        try "token-\(UUID().uuidString)".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        var configuration: [String: Any] = [
            "namespace": namespace, "token_file": tokenFile, "restricted_namespaces": restricted ? [namespace] : [String](),
        ]
        if let tls {
            configuration["tls_cert"] = tls.cert
            configuration["tls_key"] = tls.key
        }
        let path = directory.file("k8s-standin-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: configuration).write(to: URL(fileURLWithPath: path))
        let helper = try await LocalHelperProcess.start(script: "kubernetes-standin.py", arguments: [path])
        return KubernetesStandIn(helper: helper, tokenFile: tokenFile, scheme: tls == nil ? "http" : "https")
    }

    func stop() { helper.stop() }

    var token: String { (try? String(contentsOfFile: tokenFile, encoding: .utf8)) ?? "" }

    /// A client with the current token.
    var client: KubernetesClient { KubernetesClient(connection: KubernetesConnection(server: server, token: .file(tokenFile))) }

    /// A kubeconfig file for this stand-in (what `JOBRUNNER_K8S_KUBECONFIG` names).
    func kubeconfig(in directory: TemporaryDirectory) throws -> String {
        let path = directory.file("kubeconfig-\(UUID().uuidString).yaml")
        try """
            apiVersion: v1
            kind: Config
            current-context: standin
            clusters:
            - name: local
              cluster:
                server: \(server)
            contexts:
            - name: standin
              context:
                cluster: local
                user: jobrunner
                namespace: \(Self.namespace)
            users:
            - name: jobrunner
              user:
                tokenFile: \(tokenFile)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// One process the stand-in started for a Job's pod.
    struct Run: Decodable, Sendable {
        var job: String
        var pod: String
        var command: [String]
        var env: [String: String]
        var cwd: String
        var exit_code: Int?
    }

    func runs() async throws -> [Run] {
        try JSONDecoder().decode([Run].self, from: try await call("GET", "/_standin/runs"))
    }

    /// Pods the `restricted` standard refused: their Job's name and the violations.
    func refused() async throws -> [[String: Any]] {
        try JSONSerialization.jsonObject(with: try await call("GET", "/_standin/refused")) as? [[String: Any]] ?? []
    }

    func evict(pod: String) async throws {
        _ = try await call("POST", "/_standin/evict/\(Self.namespace)/\(pod)")
    }

    /// Creates an object through the API (setup: Deployments, ConfigMaps, Secrets).
    func create(_ path: String, _ object: [String: Any]) async throws {
        _ = try await call("POST", path, body: try JSONSerialization.data(withJSONObject: object))
    }

    func get(_ path: String) async throws -> [String: Any]? {
        let data = try await call("GET", path, allowNotFound: true)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return object?["kind"] as? String == "Status" ? nil : object
    }

    /// The application's Deployment: `image`, a plain and a secret-referencing variable, a workingDir.
    /// `pod` and `container` add fields to the pod template and to its "app" container.
    func createApplication(
        workingDir: String, image: String = "registry.example/acme/app:3f2a1c9", pod: [String: Any] = [:], container: [String: Any] = [:]
    ) async throws {
        let ns = Self.namespace
        try await create("/api/v1/namespaces/\(ns)/secrets", [
            "metadata": ["name": "app-secrets"], "data": ["DATABASE_PASSWORD": Data("hunter2-database-password".utf8).base64EncodedString()],
        ])
        try await create("/api/v1/namespaces/\(ns)/configmaps", ["metadata": ["name": "app-config"], "data": ["APP_MODE": "production"]])
        try await create("/api/v1/namespaces/\(ns)/configmaps", ["metadata": ["name": "extra-config"], "data": ["EXTRA": "from-setting"]])
        try await create("/apis/apps/v1/namespaces/\(ns)/deployments", [
            "metadata": ["name": "web"],
            "spec": ["template": ["spec": pod.merging(["containers": [
                ["name": "sidecar", "image": "envoy:1"],
                container.merging([
                    "name": "app", "image": image, "workingDir": workingDir,
                    "env": [
                        ["name": "APP_NAME", "value": "acme"],
                        ["name": "DB_PASSWORD", "valueFrom": ["secretKeyRef": ["name": "app-secrets", "key": "DATABASE_PASSWORD"]]],
                    ] + (container["env"] as? [[String: Any]] ?? []),
                    "envFrom": [["configMapRef": ["name": "app-config"]]],
                ]) { $1 },
            ]]) { $1 }]],
        ])
    }

    private func call(_ method: String, _ path: String, body: Data? = nil, allowNotFound: Bool = false) async throws -> Data {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(helper.port)\(path)")!)
        request.httpMethod = method
        request.httpBody = body
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) || (allowNotFound && status == 404) else {
            throw KubernetesStandInError(message: "\(method) \(path): \(status) \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }
}

struct KubernetesStandInError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
