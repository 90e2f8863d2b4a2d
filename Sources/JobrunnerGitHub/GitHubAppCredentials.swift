import Foundation
import JobrunnerCore
import NIOHTTP1
import _CryptoExtras

/// GitHub App authentication: an RS256 JWT signed with the App's private key finds the
/// installation for a repository and mints an installation token, which is cached until
/// shortly before it expires (GitHub gives an hour). Git over HTTPS and the REST API both use
/// the installation token.
public actor GitHubAppCredentials: AccessTokenProvider {
    public nonisolated let appID: String
    private let key: _RSA.Signing.PrivateKey
    private let requester: GitHubRequester
    private let clock: any JobClock
    /// Renew this long before `expires_at`.
    private let refreshMargin: TimeInterval
    private var installations: [RepositoryName: Int] = [:]
    private var tokens: [Int: (token: String, expiresAt: Date)] = [:]

    public init(
        appID: String, privateKeyPEM: String, requester: GitHubRequester, clock: any JobClock = SystemClock(),
        refreshMargin: TimeInterval = 300
    ) throws {
        self.appID = appID
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw GitHubAppError.invalidPrivateKey(reason: "\(error)")
        }
        self.requester = requester
        self.clock = clock
        self.refreshMargin = refreshMargin
    }

    /// The App's key from `path`, checked to be an RSA private key in PEM: what is wrong with it
    /// is a configuration problem, reported with the other settings before anything starts.
    public static func privateKey(atPath path: String) throws -> String {
        let pem: String
        do {
            pem = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw GitHubAppError.unreadablePrivateKey(path: path, reason: error.localizedDescription)
        }
        do {
            _ = try _RSA.Signing.PrivateKey(pemRepresentation: pem)
        } catch {
            throw GitHubAppError.invalidPrivateKey(reason: "\(path): \(error)")
        }
        return pem
    }

    public func token(for repository: RepositoryName) async throws -> String {
        let installation = try await installationID(for: repository)
        if let cached = tokens[installation], cached.expiresAt.timeIntervalSince(clock.now()) > refreshMargin {
            return cached.token
        }
        struct Minted: Decodable {
            var token: String
            var expires_at: String
        }
        let path = "/app/installations/\(installation)/access_tokens"
        let minted = try await requester.send(.POST, path, token: try jwt()).decode(Minted.self, url: path)
        guard let expiresAt = ISO8601DateFormatter().date(from: minted.expires_at) else {
            throw GitHubAPIError.invalidResponse(url: path, reason: "expires_at \(minted.expires_at) is not ISO 8601")
        }
        tokens[installation] = (minted.token, expiresAt)
        // A credential from now on: masked wherever text leaves the process.
        SecretRegistry.process.add(minted.token)
        return minted.token
    }

    /// `GET /repos/{owner}/{repo}/installation`, remembered: installations do not move.
    private func installationID(for repository: RepositoryName) async throws -> Int {
        if let known = installations[repository] { return known }
        struct Installation: Decodable { var id: Int }
        let path = "/repos/\(repository.owner)/\(repository.name)/installation"
        let id: Int
        do {
            id = try await requester.send(.GET, path, token: try jwt()).decode(Installation.self, url: path).id
        } catch let error as GitHubAPIError where error.status == 404 {
            throw GitHubAppError.notInstalled(appID: appID, repository: repository.rawValue)
        }
        installations[repository] = id
        return id
    }

    /// The App's JWT: issued a minute in the past against clock drift, valid for nine minutes
    /// (GitHub allows ten).
    func jwt() throws -> String {
        let now = Int(clock.now().timeIntervalSince1970)
        let header = #"{"alg":"RS256","typ":"JWT"}"#
        let claims = #"{"iat":\#(now - 60),"exp":\#(now + 540),"iss":"\#(appID)"}"#
        let signingInput = Self.base64URL(Data(header.utf8)) + "." + Self.base64URL(Data(claims.utf8))
        let signature = try key.signature(for: Data(signingInput.utf8), padding: .insecurePKCS1v1_5)
        return signingInput + "." + Self.base64URL(signature.rawRepresentation)
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// Why GitHub App credentials could not give a token.
public enum GitHubAppError: Error, Sendable, Equatable, CustomStringConvertible, ClassifiedError {
    case unreadablePrivateKey(path: String, reason: String)
    case invalidPrivateKey(reason: String)
    case notInstalled(appID: String, repository: String)

    public var description: String {
        switch self {
        case let .unreadablePrivateKey(path, reason):
            "\(path) cannot be read: \(reason)"
        case let .invalidPrivateKey(reason):
            "the GitHub App private key (JOBRUNNER_GITHUB_APP_PRIVATE_KEY_PATH) is not an RSA key in PEM form of at least 2048 bits: \(reason)"
        case let .notInstalled(appID, repository):
            "GitHub App \(appID) is not installed on \(repository); install it there (repository contents: write) and retry"
        }
    }

    public var failureKind: FailureKind { .permanent }
}
