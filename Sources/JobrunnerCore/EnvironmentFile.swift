import Foundation

/// A `KEY=value` file in the format systemd's `EnvironmentFile=` and Docker's `env_file` read:
/// `#` comments, blank lines, an optional `export `, values optionally in single or double
/// quotes (double quotes understand `\"`, `\\`, `\n`). The application's own settings reach
/// scripts this way (`JOBRUNNER_SCRIPT_ENV_FILE`) without naming each variable.
public enum EnvironmentFile {
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    public static func parse(_ text: String) throws -> [(name: String, value: String)] {
        var variables: [(name: String, value: String)] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : String(rawLine)
            line = line.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst("export ".count)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "=") else {
                throw Problem(line: index + 1, message: "is not KEY=value")
            }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }),
                !(name.first?.isNumber ?? true)
            else {
                throw Problem(line: index + 1, message: "'\(name)' is not a variable name")
            }
            variables.append((name, unquote(line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces))))
        }
        return variables
    }

    static func unquote(_ value: String) -> String {
        if value.count >= 2, value.hasPrefix("'"), value.hasSuffix("'") { return String(value.dropFirst().dropLast()) }
        guard value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else { return value }
        var result = ""
        var escaping = false
        for character in value.dropFirst().dropLast() {
            if escaping {
                result.append(character == "n" ? "\n" : character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// Values that look secret and are masked without being listed: those of variables whose
    /// names say so (PASSWORD or PASSWD, SECRET, TOKEN, KEY, CREDENTIAL),
    /// and passwords inside URLs (`scheme://user:password@host`).
    public static func secretValues(_ variables: [(name: String, value: String)]) -> [String] {
        var secrets: [String] = []
        for (name, value) in variables where !value.isEmpty {
            let upper = name.uppercased()
            if ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "KEY", "CREDENTIAL"].contains(where: upper.contains) {
                secrets.append(value)
            }
            secrets += urlPasswords(in: value)
        }
        return secrets
    }

    /// Passwords in `scheme://user:password@host` URLs anywhere in `text`.
    public static func urlPasswords(in text: String) -> [String] {
        text.matches(of: /[A-Za-z][A-Za-z0-9+.\-]*:\/\/[^\s:\/@]*:([^\s\/@]+)@/).map { String($0.output.1) }
    }
}
