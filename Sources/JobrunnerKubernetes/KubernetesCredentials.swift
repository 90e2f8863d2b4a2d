import Foundation
import NIOSSL
import Yams

/// Where the API server is and how to prove who Jobrunner is: in a pod, its service account
/// (token and CA at the standard paths, the token re-read when the kubelet rotates it); outside,
/// a kubeconfig file.
public struct KubernetesConnection: Sendable {
    /// `https://HOST:PORT` (or `http://` for a local stand-in).
    public var server: String
    public var tls: TLSConfiguration?
    public var token: KubernetesToken?
    /// The namespace the credentials point at (the pod's own, or the kubeconfig context's).
    public var namespace: String?

    public init(server: String, tls: TLSConfiguration? = nil, token: KubernetesToken? = nil, namespace: String? = nil) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.tls = tls
        self.token = token
        self.namespace = namespace
    }

    /// The standard directory of a pod's service-account credentials.
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// A pod's own credentials: `KUBERNETES_SERVICE_HOST`/`_PORT`, and `token`, `ca.crt`,
    /// `namespace` in `directory`.
    public static func inCluster(
        environment: [String: String], directory: String = serviceAccountDirectory
    ) throws(KubernetesCredentialsError) -> KubernetesConnection {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty else {
            throw KubernetesCredentialsError(
                "not running in a Kubernetes pod (KUBERNETES_SERVICE_HOST is not set): set JOBRUNNER_K8S_KUBECONFIG to a kubeconfig file")
        }
        let port = environment["KUBERNETES_SERVICE_PORT"] ?? "443"
        let tokenPath = directory + "/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubernetesCredentialsError(
                "the service-account token \(tokenPath) cannot be read: is automountServiceAccountToken off for Jobrunner's pod?")
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(directory + "/ca.crt"))
        } catch {
            throw KubernetesCredentialsError("the cluster's CA \(directory)/ca.crt cannot be read: \(error)")
        }
        let namespace = (try? String(contentsOfFile: directory + "/namespace", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return KubernetesConnection(
            server: "https://\(bracketed):\(port)", tls: tls, token: .file(tokenPath), namespace: namespace)
    }

    /// The current context of a kubeconfig file: its cluster's server and CA, its user's token
    /// (or token file, or client certificate), its namespace.
    public static func kubeconfig(path: String) throws(KubernetesCredentialsError) -> KubernetesConnection {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw KubernetesCredentialsError("the kubeconfig \(path) cannot be read: \(error.localizedDescription)")
        }
        let config: Kubeconfig
        do {
            config = try YAMLDecoder().decode(Kubeconfig.self, from: text)
        } catch {
            throw KubernetesCredentialsError("the kubeconfig \(path) is not valid: \(error)")
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let resolve = { (file: String) in file.hasPrefix("/") ? file : base + "/" + file }
        guard let contextName = config.currentContext, let context = config.contexts?.first(where: { $0.name == contextName })?.context
        else { throw KubernetesCredentialsError("the kubeconfig \(path) has no current-context (kubectl config use-context NAME)") }
        guard let cluster = config.clusters?.first(where: { $0.name == context.cluster })?.cluster else {
            throw KubernetesCredentialsError("the kubeconfig \(path) has no cluster '\(context.cluster)' (context '\(contextName)')")
        }
        let user = context.user.flatMap { name in config.users?.first(where: { $0.name == name })?.user }
        var connection = KubernetesConnection(server: cluster.server, namespace: context.namespace)
        if cluster.server.hasPrefix("https://") {
            var tls = TLSConfiguration.makeClientConfiguration()
            do {
                if let data = cluster.certificateAuthorityData {
                    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(try decodeBase64(data))))
                } else if let file = cluster.certificateAuthority {
                    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(resolve(file)))
                }
                if cluster.insecureSkipTLSVerify == true { tls.certificateVerification = .none }
                if let user {
                    let certificate: [UInt8]? =
                        if let data = user.clientCertificateData { Array(try decodeBase64(data)) }
                        else if let file = user.clientCertificate { Array(try Data(contentsOf: URL(fileURLWithPath: resolve(file)))) }
                        else { nil }
                    let key: [UInt8]? =
                        if let data = user.clientKeyData { Array(try decodeBase64(data)) }
                        else if let file = user.clientKey { Array(try Data(contentsOf: URL(fileURLWithPath: resolve(file)))) }
                        else { nil }
                    if let certificate, let key {
                        tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(certificate).map { .certificate($0) }
                        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
                    }
                }
            } catch let error as KubernetesCredentialsError {
                throw error
            } catch {
                throw KubernetesCredentialsError("the kubeconfig \(path): a certificate or key cannot be read: \(error)")
            }
            connection.tls = tls
        }
        if let user {
            if user.exec != nil || user.authProvider != nil {
                throw KubernetesCredentialsError(
                    "the kubeconfig \(path): user '\(context.user ?? "")' uses an exec or auth-provider plugin, which Jobrunner does not run; give it a token (a service account's) instead")
            }
            if let token = user.token {
                connection.token = .fixed(token)
            } else if let file = user.tokenFile {
                connection.token = .file(resolve(file))
            }
        }
        return connection
    }

    private static func decodeBase64(_ text: String) throws(KubernetesCredentialsError) -> Data {
        guard let data = Data(base64Encoded: text.filter { !$0.isWhitespace }) else {
            throw KubernetesCredentialsError("a *-data field of the kubeconfig is not base64")
        }
        return data
    }
}

/// A bearer token: fixed, or a file read again whenever it changed (projected service-account
/// tokens are rotated by the kubelet; a stale one is refused after it expires).
public enum KubernetesToken: Sendable, Equatable {
    case fixed(String)
    case file(String)
}

public struct KubernetesCredentialsError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The parts of a kubeconfig Jobrunner reads.
struct Kubeconfig: Decodable {
    var currentContext: String?
    var clusters: [Named<Cluster>]?
    var contexts: [Named<Context>]?
    var users: [NamedUser]?

    enum CodingKeys: String, CodingKey {
        case currentContext = "current-context", clusters, contexts, users
    }

    struct Named<Value: Decodable>: Decodable {
        var name: String
        var cluster: Value?
        var context: Value?
    }

    struct NamedUser: Decodable {
        var name: String
        var user: User?
    }

    struct Cluster: Decodable {
        var server: String
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify: Bool?

        enum CodingKeys: String, CodingKey {
            case server, certificateAuthority = "certificate-authority", certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
        }
    }

    struct Context: Decodable {
        var cluster: String
        var user: String?
        var namespace: String?
    }

    struct User: Decodable {
        var token: String?
        var tokenFile: String?
        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?
        var exec: JSONValue?
        var authProvider: JSONValue?

        enum CodingKeys: String, CodingKey {
            case token, tokenFile, clientCertificate = "client-certificate", clientCertificateData = "client-certificate-data"
            case clientKey = "client-key", clientKeyData = "client-key-data", exec, authProvider = "auth-provider"
        }
    }
}
