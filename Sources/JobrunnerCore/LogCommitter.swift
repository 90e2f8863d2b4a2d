import Foundation

/// "Remove this script and add this log" as one commit on the branch tip. The git backends
/// (libgit2, GitHub API) implement it. It must be idempotent: if the log is already on the
/// branch (a push whose acknowledgement was lost), it commits nothing.
public protocol LogCommitter: Sendable {
    func commitCleanup(_ request: CleanupRequest) async throws -> CleanupResult
}

public struct CleanupRequest: Sendable, Equatable {
    public var repository: RepositoryName
    public var branch: String
    public var scriptPath: String
    /// The commit the script ran from: only the script's version at this commit is removed.
    public var sourceCommit: String
    public var logPath: String
    public var logContent: String
    public var message: String
    public var authorName: String
    public var authorEmail: String

    public init(
        repository: RepositoryName, branch: String, scriptPath: String, sourceCommit: String, logPath: String,
        logContent: String, message: String, authorName: String, authorEmail: String
    ) {
        self.repository = repository
        self.branch = branch
        self.scriptPath = scriptPath
        self.sourceCommit = sourceCommit
        self.logPath = logPath
        self.logContent = logContent
        self.message = message
        self.authorName = authorName
        self.authorEmail = authorEmail
    }
}

extension CleanupRequest {
    /// The log as committed: when the script on the branch tip is not the version that ran, a
    /// note says so and why nothing (or nothing else) was removed. Both backends use it.
    public func logContent(after script: CleanupResult.Script) -> String {
        switch script {
        case .removed:
            logContent
        case .vanished:
            logContent
                + "\n## Cleanup note\n\n\(MarkdownText.codeSpan(scriptPath)) was no longer on \(MarkdownText.codeSpan(branch)) when this log was committed; nothing was removed.\n"
        case .changedOnBranch:
            logContent
                + "\n## Cleanup note\n\n\(MarkdownText.codeSpan(scriptPath)) on \(MarkdownText.codeSpan(branch)) is not the version that ran (it changed after \(sourceCommit.prefix(12))); it was left in place.\n"
        }
    }
}

public struct CleanupResult: Sendable, Equatable {
    public enum Script: String, Sendable, Equatable {
        /// Removed: the branch tip had the version that ran.
        case removed
        /// Kept: the branch tip has a different version than the one that ran.
        case changedOnBranch = "changed-on-branch"
        /// Already gone from the branch tip.
        case vanished
    }

    /// The commit on the branch that holds the log.
    public var commit: String
    /// `false` when the log was already there and nothing was committed.
    public var committed: Bool
    public var script: Script?
    /// Pushes that were rejected because the branch moved, then rebuilt on the new tip.
    public var retries: Int

    public init(commit: String, committed: Bool, script: Script?, retries: Int) {
        self.commit = commit
        self.committed = committed
        self.script = script
        self.retries = retries
    }
}

/// Where a pipeline's log goes: derived from the pipeline alone (date it arrived, script name,
/// id), so a retried CLEANUP writes the same path and never a second log.
public enum ExecutionLogPath {
    public static func path(for pipeline: PipelineRecord, logsDirectory: String) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let day = calendar.dateComponents([.year, .month, .day], from: pipeline.createdAt)
        let date = String(format: "%04d-%02d-%02d", day.year ?? 1970, day.month ?? 1, day.day ?? 1)
        let file = (pipeline.source.scriptPath as NSString).lastPathComponent
        let name = (file as NSString).deletingPathExtension.isEmpty ? file : (file as NSString).deletingPathExtension
        return "\(logsDirectory)/\(date)-\(name)-p\(pipeline.id.rawValue).md"
    }
}

/// The CLEANUP commit message: script, outcome, pipeline, `[skip ci]` (configurable), and the
/// `Jobrunner-Cleanup:` trailer intake uses to ignore the bot's own pushes.
public enum CleanupCommitMessage {
    /// `discardedBy`: the operator who discarded the pipeline; the script did not run (or may have).
    public static func make(
        scriptPath: String, outcome: String, pipeline: PipelineID, skipCI: Bool = true, discardedBy: String? = nil
    ) -> String {
        let verb = discardedBy == nil ? "ran" : "discarded"
        var message = "jobrunner: \(verb) \(scriptPath) — \(outcome) (pipeline \(pipeline.rawValue))"
        if skipCI { message += " [skip ci]" }
        let body = discardedBy.map { "Discarded by \($0): removes the script and adds a log saying why." }
            ?? "Removes the script and adds its execution log."
        message += "\n\n\(body)\n\n\(BotCommitMarker.trailer) pipeline \(pipeline.rawValue)\n"
        return message
    }
}
