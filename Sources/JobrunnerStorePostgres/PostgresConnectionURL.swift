import Foundation
import JobrunnerCore
import JobrunnerStore
import NIOSSL
import PostgresNIO

/// `JOBRUNNER_DATABASE_URL=postgres://user:password@host:port/database?sslmode=…` as a
/// PostgreSQL client configuration. TLS follows libpq's `sslmode`: `disable`; `prefer` (the
/// default: TLS when the server offers it, unverified); `require` (TLS, unverified);
/// `verify-ca` (TLS, certificate checked against `sslrootcert` or the system roots);
/// `verify-full` (also the host name). `sslrootcert=PATH` names a PEM file of trusted roots.
public struct PostgresConnectionURL: Sendable {
    public let configuration: PostgresClient.Configuration
    /// The URL without its password, for logs and errors.
    public let redacted: String

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public init(_ text: String) throws {
        redacted = DatabaseLocation.postgres(url: text).redacted
        guard let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql"
        else { throw Invalid(description: "\(redacted) is not a postgres:// URL") }
        guard let host = components.host, !host.isEmpty else {
            throw Invalid(description: "\(redacted) names no host")
        }
        let user = components.user?.removingPercentEncoding ?? "postgres"
        let password = components.password?.removingPercentEncoding
        var database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = database.removingPercentEncoding ?? database
        var parameters: [String: String] = [:]
        for item in components.queryItems ?? [] { parameters[item.name.lowercased()] = item.value ?? "" }
        let unknown = Set(parameters.keys).subtracting(["sslmode", "sslrootcert", "application_name", "connect_timeout"])
        guard unknown.isEmpty else {
            throw Invalid(description: "\(redacted): unknown parameters \(unknown.sorted().joined(separator: ", ")) (known: sslmode, sslrootcert, application_name, connect_timeout)")
        }
        let tls = try Self.tls(mode: parameters["sslmode"] ?? "prefer", rootCertificate: parameters["sslrootcert"], url: redacted)
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: password,
            database: database.isEmpty ? nil : database, tls: tls)
        configuration.options.additionalStartupParameters = [("application_name", parameters["application_name"] ?? "jobrunner")]
        if let timeout = parameters["connect_timeout"] {
            guard let seconds = Int(timeout), seconds > 0 else {
                throw Invalid(description: "\(redacted): connect_timeout must be a number of seconds")
            }
            configuration.options.connectTimeout = .seconds(seconds)
        }
        self.configuration = configuration
    }

    static func tls(mode: String, rootCertificate: String?, url: String) throws -> PostgresClient.Configuration.TLS {
        var context = TLSConfiguration.makeClientConfiguration()
        if let rootCertificate {
            guard FileManager.default.isReadableFile(atPath: rootCertificate) else {
                throw Invalid(description: "\(url): sslrootcert \(rootCertificate) is not a readable file")
            }
            context.trustRoots = .file(rootCertificate)
        }
        switch mode.lowercased() {
        case "disable":
            return .disable
        case "prefer", "allow":
            context.certificateVerification = .none
            return .prefer(context)
        case "require":
            context.certificateVerification = rootCertificate == nil ? .none : .noHostnameVerification
            return .require(context)
        case "verify-ca":
            context.certificateVerification = .noHostnameVerification
            return .require(context)
        case "verify-full":
            context.certificateVerification = .fullVerification
            return .require(context)
        default:
            throw Invalid(description: "\(url): sslmode \(mode) is not one of disable, prefer, require, verify-ca, verify-full")
        }
    }
}
