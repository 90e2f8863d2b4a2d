import Foundation

/// A token an operator logs in to the dashboard and API with, and the name that is recorded
/// with everything done under it (retries, cancels — they end up in the committed log).
public struct OperatorToken: Sendable, Equatable {
    public var name: String
    public var token: String

    public init(name: String, token: String) {
        self.name = name
        self.token = token
    }

    /// The name a bare token (no `name:` prefix) acts under.
    public static let defaultName = "operator"
    /// Shorter tokens are guessable; the settings refuse them.
    public static let minimumLength = 16

    /// Why a `JOBRUNNER_DASHBOARD_TOKEN` value was refused (the token itself is never quoted).
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Parses `token` or `alice:token1,bob:token2`. Names are letters, digits, `.`, `_`, `-`, `@`.
    public static func parseList(_ text: String) throws -> [OperatorToken] {
        var tokens: [OperatorToken] = []
        for (index, entry) in text.split(separator: ",").enumerated() {
            let entry = entry.trimmingCharacters(in: .whitespaces)
            guard !entry.isEmpty else { continue }
            var name = defaultName
            var token = entry
            if let colon = entry.firstIndex(of: ":") {
                let prefix = entry[..<colon]
                if !prefix.isEmpty, prefix.allSatisfy(isNameCharacter) {
                    name = String(prefix)
                    token = String(entry[entry.index(after: colon)...])
                }
            }
            guard token.count >= minimumLength else {
                throw ParseError(
                    description: "token #\(index + 1) (\(name)) is shorter than \(minimumLength) characters; generate one with `openssl rand -hex 32`")
            }
            guard !tokens.contains(where: { $0.name == name }) else {
                throw ParseError(description: "the name '\(name)' is given to more than one token")
            }
            tokens.append(OperatorToken(name: name, token: token))
        }
        return tokens
    }

    static func isNameCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "._-@".contains(character))
    }
}
