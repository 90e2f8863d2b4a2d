import Foundation

extension CleanupRequest {
    /// Whether a file already at the log path is this pipeline's own log, committed by an earlier
    /// attempt whose acknowledgement was lost — the only case in which CLEANUP may commit nothing.
    /// It is when it equals the log as it would be committed, or when it names the same run: the
    /// pipeline, the artifact and the run's start to the millisecond, which nobody can know before
    /// the script ran. A file forged ahead at the predictable path is neither.
    public func isOwnLog(_ existing: [UInt8]) -> Bool {
        let text = String(decoding: existing, as: UTF8.self)
        let scripts: [CleanupResult.Script] = [.removed, .vanished, .changedOnBranch]
        if scripts.contains(where: { logContent(after: $0) == text }) { return true }
        let identity = ["pipeline", "started_at", "artifact_sha256"]
        let expected = Self.frontMatterValues(logContent, keys: identity)
        return expected.count == identity.count && expected == Self.frontMatterValues(text, keys: identity)
    }

    /// `key: value` lines of the leading front matter, for `keys`.
    static func frontMatterValues(_ text: String, keys: [String]) -> [String: String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first == "---" else { return [:] }
        var values: [String: String] = [:]
        for line in lines.dropFirst() {
            if line == "---" { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            if keys.contains(key) { values[key] = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces) }
        }
        return values
    }
}

/// The log path holds a file that is not this pipeline's log: CLEANUP stops rather than treat a
/// forged log as its own (and leave the script in place) or overwrite it.
public struct LogPathTaken: Error, Sendable, Equatable, CustomStringConvertible, ClassifiedError {
    public var repository: String
    public var branch: String
    public var path: String

    public init(repository: String, branch: String, path: String) {
        self.repository = repository
        self.branch = branch
        self.path = path
    }

    public var description: String {
        "\(path) already exists on \(branch) of \(repository) and is not this pipeline's execution log (Jobrunner did not write it): "
            + "move or delete that file on \(branch), then retry CLEANUP"
    }

    public var failureKind: FailureKind { .permanent }
}
