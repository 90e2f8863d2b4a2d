/// Settings a script gives itself in a comment among its first lines:
/// `// jobrunner: timeout=10m` (or `# jobrunner: timeout=10m` for shell and Python).
public struct ScriptDirectives: Sendable, Equatable {
    public var timeout: Duration?

    public init(timeout: Duration? = nil) { self.timeout = timeout }

    /// Problems are reported, not ignored: a misspelled timeout must not silently become the default.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// Reads directives from the first 20 lines. Lines end at any line break: a script saved
    /// with CRLF line endings (one `Character` in Swift, so not split at "\n") keeps its directives.
    public static func parse(_ source: String) throws(Problem) -> ScriptDirectives {
        var directives = ScriptDirectives()
        let lines = source.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (offset, rawLine) in lines.prefix(20).enumerated() {
            var line = rawLine.drop { $0 == " " || $0 == "\t" }
            if line.hasPrefix("//") {
                line = line.dropFirst(2)
            } else if line.hasPrefix("#") && !line.hasPrefix("#!") {
                line = line.dropFirst()
            } else {
                continue
            }
            line = line.drop { $0 == " " || $0 == "\t" }
            guard line.hasPrefix("jobrunner:") else { continue }
            for setting in line.dropFirst("jobrunner:".count).split(whereSeparator: { $0 == " " || $0 == "," || $0.isWhitespace }) {
                let parts = setting.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else {
                    throw Problem(line: offset + 1, message: "'\(setting)' is not name=value")
                }
                switch parts[0] {
                case "timeout":
                    guard let duration = DurationParser.parse(String(parts[1])), duration > .zero else {
                        throw Problem(line: offset + 1, message: "timeout '\(parts[1])' is not a duration (examples: 90s, 10m, 2h)")
                    }
                    directives.timeout = duration
                default:
                    throw Problem(line: offset + 1, message: "unknown directive '\(parts[0])' (known: timeout)")
                }
            }
        }
        return directives
    }
}
