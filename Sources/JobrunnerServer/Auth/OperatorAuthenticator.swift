import Crypto
import Foundation
import JobrunnerCore

/// Who is acting: the name of the token that authenticated the request. Recorded with every
/// retry and cancel, so the committed log can say who re-ran a production script.
public struct OperatorIdentity: Sendable, Equatable {
    public var name: String

    public init(name: String) { self.name = name }
}

/// Checks operator tokens and dashboard sessions.
///
/// Sessions are stateless signed cookies (so every replica accepts them without shared state):
/// `v1.<name>.<expiry>.<nonce>.<mac>`, the MAC keyed per operator from that operator's token.
/// Removing or rotating a token therefore ends that operator's sessions on every replica.
/// CSRF tokens are derived from the session (synchronizer token), so a form posted from
/// another site cannot carry a valid one. Every comparison is constant-time.
public struct OperatorAuthenticator: Sendable {
    public let tokens: [OperatorToken]
    public let sessionLifetime: Duration
    let clock: any JobClock

    public init(tokens: [OperatorToken], sessionLifetime: Duration, clock: any JobClock = SystemClock()) {
        self.tokens = tokens
        self.sessionLifetime = sessionLifetime
        self.clock = clock
    }

    /// No tokens configured: the dashboard and API are closed.
    public var isEnabled: Bool { !tokens.isEmpty }

    /// The operator whose token this is. Every configured token is compared, so the time taken
    /// does not tell which one (or whether any) matched.
    public func operatorFor(token presented: String) -> OperatorIdentity? {
        // Digests first, so lengths are equal and nothing leaks through an early exit.
        let presentedDigest = Array(SHA256.hash(data: Data(presented.utf8)))
        var match: OperatorIdentity?
        for candidate in tokens {
            let expected = Array(SHA256.hash(data: Data(candidate.token.utf8)))
            if Self.constantTimeEqual(presentedDigest, expected), match == nil {
                match = OperatorIdentity(name: candidate.name)
            }
        }
        return match
    }

    /// `Authorization: Bearer <token>`.
    public func operatorFor(authorization header: String?) -> OperatorIdentity? {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        return operatorFor(token: String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))
    }

    // MARK: Sessions

    /// A new session cookie value for `identity`, and when it expires.
    public func newSession(for identity: OperatorIdentity) -> (value: String, expires: Date)? {
        guard let key = sessionKey(for: identity.name) else { return nil }
        let expires = clock.now().addingTimeInterval(sessionLifetime.secondsDouble)
        let nonce = Self.randomToken()
        let name = Self.base64URL(Data(identity.name.utf8))
        let payload = "v1.\(name).\(Int64(expires.timeIntervalSince1970)).\(nonce)"
        let mac = Self.base64URL(Data(HMAC<SHA256>.authenticationCode(for: Data(payload.utf8), using: key)))
        return (payload + "." + mac, expires)
    }

    /// A valid, unexpired session: its operator and the CSRF token forms must carry.
    public func session(_ value: String?) -> Session? {
        guard let value else { return nil }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[0] == "v1",
            let nameData = Self.data(base64URL: parts[1]), let name = String(data: nameData, encoding: .utf8),
            let expiry = Int64(parts[2]), let mac = Self.data(base64URL: parts[4]),
            let key = sessionKey(for: name)
        else { return nil }
        let payload = parts[0...3].joined(separator: ".")
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Data(payload.utf8), using: key) else { return nil }
        guard Double(expiry) > clock.now().timeIntervalSince1970 else { return nil }
        let csrf = Self.base64URL(Data(HMAC<SHA256>.authenticationCode(for: Data("csrf.\(parts[3])".utf8), using: key)))
        return Session(identity: OperatorIdentity(name: name), csrfToken: csrf, expires: Date(timeIntervalSince1970: Double(expiry)))
    }

    public struct Session: Sendable, Equatable {
        public var identity: OperatorIdentity
        public var csrfToken: String
        public var expires: Date

        /// Whether a form's CSRF field matches this session's token (constant-time).
        public func accepts(csrf presented: String?) -> Bool {
            guard let presented else { return false }
            return OperatorAuthenticator.constantTimeEqual(Array(presented.utf8), Array(csrfToken.utf8))
        }
    }

    // MARK: Login form protection

    /// A login form's CSRF token: bound to a random value in a short-lived cookie, so a login
    /// form posted from another site (login CSRF) fails.
    public func loginToken(nonce: String) -> String? {
        guard let key = loginKey else { return nil }
        return Self.base64URL(Data(HMAC<SHA256>.authenticationCode(for: Data("login.\(nonce)".utf8), using: key)))
    }

    public func acceptsLogin(nonce: String?, token presented: String?) -> Bool {
        guard let nonce, let presented, let expected = loginToken(nonce: nonce) else { return false }
        return Self.constantTimeEqual(Array(presented.utf8), Array(expected.utf8))
    }

    // MARK: Helpers

    private func sessionKey(for name: String) -> SymmetricKey? {
        guard let token = tokens.first(where: { $0.name == name }) else { return nil }
        return HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(token.token.utf8)), salt: Data("jobrunner-session-v1".utf8),
            info: Data(name.utf8), outputByteCount: 32)
    }

    private var loginKey: SymmetricKey? {
        guard !tokens.isEmpty else { return nil }
        let material = tokens.map { "\($0.name):\($0.token)" }.joined(separator: "\n")
        return HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(material.utf8)), salt: Data("jobrunner-login-v1".utf8),
            outputByteCount: 32)
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// 32 random bytes, base64url.
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return base64URL(Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func data(base64URL text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
