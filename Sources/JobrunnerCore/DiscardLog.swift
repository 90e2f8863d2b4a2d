import Foundation

/// The log CLEANUP commits for a discarded pipeline, in the same shape as `ExecutionLog`: it
/// says the script did not run — or, when its EXECUTE had started, that it may have run, with
/// whatever output was captured — why, and which operator discarded it.
public struct DiscardLog: Sendable, Equatable {
    public var pipeline: PipelineRecord
    public var discard: PipelineDiscard
    /// Why the pipeline stopped before it was discarded (the failed or interrupted stage's error).
    public var stoppedBecause: String?
    public var operatorActions: [OperatorAction]
    /// What PROCESS built, when it got that far.
    public var artifact: Artifact?
    /// The run that was interrupted, when EXECUTE started.
    public var execution: ExecutionRecord?
    public var toolchains: [Toolchain]

    public init(
        pipeline: PipelineRecord, discard: PipelineDiscard, stoppedBecause: String?, operatorActions: [OperatorAction],
        artifact: Artifact?, execution: ExecutionRecord?, toolchains: [Toolchain] = Toolchain.builtIn
    ) {
        self.pipeline = pipeline
        self.discard = discard
        self.stoppedBecause = stoppedBecause
        self.operatorActions = operatorActions
        self.artifact = artifact
        self.execution = execution
        self.toolchains = toolchains
    }

    /// `discarded-not-run` or `discarded-may-have-run`: the log's outcome and the commit message's.
    public var outcome: String { discard.mayHaveRun ? "discarded-may-have-run" : "discarded-not-run" }

    /// Each value masked on its own, as `ExecutionLog.render` does.
    public func render(masking masker: SecretMasker = SecretMasker(values: [])) -> String {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let source = pipeline.source
        let quote = { (value: String) in ExecutionLog.quote(masker.mask(value)) }
        let m = { (value: String) in masker.mask(value) }
        var facts: [(String, String)] = [
            ("script", quote(source.scriptPath)), ("repository", quote(source.repository.rawValue)),
            ("commit", quote(source.commit)), ("pipeline", String(pipeline.id.rawValue)),
        ]
        if let pullRequest = artifact?.approval?.number ?? source.pullRequest { facts.append(("pull_request", String(pullRequest))) }
        if let author = source.author { facts.append(("author", quote(author))) }
        if let pusher = source.pusher { facts.append(("pusher", quote(pusher))) }
        facts.append(("outcome", outcome))
        facts.append(("discarded_by", quote(discard.operatorName)))
        facts.append(("discarded_at", quote(iso.string(from: discard.at))))
        facts.append(("discard_reason", quote(discard.reason)))
        if let stoppedBecause { facts.append(("stopped_because", quote(stoppedBecause))) }
        if let execution {
            facts.append(("started_at", quote(iso.string(from: execution.startedAt))))
            facts.append(("stdout_bytes", String(execution.stdoutBytes)))
            facts.append(("stderr_bytes", String(execution.stderrBytes)))
            if let progress = execution.progress { facts.append(("progress", quote(progress.text))) }
        }
        if let artifact {
            facts.append(("toolchain", quote(artifact.toolchainVersion)))
            facts.append(("source_sha256", quote(artifact.sourceDigest)))
        }
        var text = ExecutionLog.frontMatter(facts, operatorActions: operatorActions, quote: quote, iso: iso)
        text += "# \(MarkdownText.visible(m(source.scriptPath)))\n\n"
        if discard.mayHaveRun {
            text += "Outcome: **discarded — the script may have run**. Its run was interrupted (the worker running it vanished), so it may have done some or all of its work; the output captured until then is below. It was not run again.\n\n"
        } else {
            text += "Outcome: **discarded — the script did not run**.\n\n"
        }
        text += "Discarded by **\(m(discard.operatorName))** on \(iso.string(from: discard.at)): \(m(discard.reason))\n\n"
        if let stoppedBecause { text += "The pipeline had stopped because: \(m(stoppedBecause))\n\n" }
        if let artifact {
            text += "## Source\n\n" + ExecutionLog.fence(
                masker.mask(artifact.source), language: Toolchain.forPath(source.scriptPath, in: toolchains)?.sourceLanguage ?? "")
        } else {
            text += "## Source\n\nNot built; the script is in commit `\(m(source.commit))` at `\(m(source.scriptPath))`.\n\n"
        }
        if let execution {
            text += "## stdout (partial)\n\n" + ExecutionLog.output(
                masker.mask(execution.stdout), truncated: execution.stdoutTruncated, total: execution.stdoutBytes)
            text += "## stderr (partial)\n\n" + ExecutionLog.output(
                masker.mask(execution.stderr), truncated: execution.stderrTruncated, total: execution.stderrBytes)
        }
        return text
    }
}
