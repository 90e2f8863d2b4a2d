import Crypto
import Foundation
import JobrunnerCore

/// Why a webhook request was refused before its body was read as JSON.
public enum WebhookSignatureError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing
    /// Only the legacy `X-Hub-Signature` (HMAC-SHA1) header was sent.
    case sha1Only
    case malformed
    case mismatch

    public var description: String {
        switch self {
        case .missing: "missing X-Hub-Signature-256 header"
        case .sha1Only: "only an X-Hub-Signature (SHA-1) header was sent; X-Hub-Signature-256 is required"
        case .malformed: "X-Hub-Signature-256 must be sha256= followed by 64 hex digits"
        case .mismatch: "signature does not match the configured webhook secret"
        }
    }
}

/// Checks `X-Hub-Signature-256` (HMAC-SHA256 of the raw body, hex) against one or more
/// secrets. Several secrets allow rotating the secret without refusing deliveries meanwhile.
/// The comparison is constant-time (swift-crypto's `isValidAuthenticationCode`).
public struct WebhookVerifier: Sendable {
    private let keys: [SymmetricKey]

    /// - Precondition: at least one non-empty secret (the server refuses to start otherwise).
    public init(secrets: [String]) {
        keys = secrets.filter { !$0.isEmpty }.map { SymmetricKey(data: Data($0.utf8)) }
        precondition(!keys.isEmpty, "a webhook verifier needs a secret")
    }

    public func verify(body: some DataProtocol, signature: String?, legacySignature: String? = nil) throws {
        guard let signature else {
            throw legacySignature == nil ? WebhookSignatureError.missing : WebhookSignatureError.sha1Only
        }
        guard let code = Self.parse(signature) else { throw WebhookSignatureError.malformed }
        for key in keys where HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: body, using: key) {
            return
        }
        throw WebhookSignatureError.mismatch
    }

    /// The signature GitHub would send for `body` with `secret`.
    public static func signature(for body: some DataProtocol, secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }

    static func parse(_ header: String) -> [UInt8]? {
        let trimmed = header.trimmingHorizontalSpace().utf8
        guard trimmed.count == 71, String(decoding: trimmed.prefix(7), as: UTF8.self).lowercased() == "sha256=" else { return nil }
        let hex = Array(trimmed.dropFirst(7))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var index = 0
        while index < 64 {
            guard let high = nibble(hex[index]), let low = nibble(hex[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
