import Foundation

/// The Markdown execution log CLEANUP commits (and `jobrunner run` prints): a YAML front-matter
/// block with the facts of the run — GitHub renders it as a table — then the source, the
/// executed artifact, stdout and stderr, each in a fence its content cannot close.
public struct ExecutionLog: Sendable, Equatable {
    public var scriptPath: String
    public var repository: String?
    public var commit: String?
    public var pipelineID: PipelineID?
    public var pullRequest: Int?
    public var author: String?
    public var pusher: String?
    public var executeAttempt: Int?
    public var operatorActions: [OperatorAction]
    public var artifact: Artifact
    public var source: [UInt8]
    public var execution: ExecutionRecord
    /// Where the fence languages of the source and the artifact come from.
    public var toolchains: [Toolchain]
    /// The successful dry run of the same content, when there was one (`DryRunLink`).
    public var dryRun: DryRunLink?

    public init(
        scriptPath: String, repository: String? = nil, commit: String? = nil, pipelineID: PipelineID? = nil,
        pullRequest: Int? = nil, author: String? = nil, pusher: String? = nil, executeAttempt: Int? = nil,
        operatorActions: [OperatorAction] = [], artifact: Artifact, source: [UInt8], execution: ExecutionRecord,
        toolchains: [Toolchain] = Toolchain.builtIn
    ) {
        self.toolchains = toolchains
        self.scriptPath = scriptPath
        self.repository = repository
        self.commit = commit
        self.pipelineID = pipelineID
        self.pullRequest = pullRequest
        self.author = author
        self.pusher = pusher
        self.executeAttempt = executeAttempt
        self.operatorActions = operatorActions
        self.artifact = artifact
        self.source = source
        self.execution = execution
    }

    /// The log text, with every configured secret value masked — source and artifact included.
    /// Each value is masked on its own, never the assembled document, so a secret that happens to
    /// equal a word of the format (`false`, `null`, a key) cannot corrupt the front matter.
    public func render(masking masker: SecretMasker = SecretMasker(values: [])) -> String {
        let quote = { (value: String) in Self.quote(masker.mask(value)) }
        let m = { (value: String) in masker.mask(value) }
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var facts: [(String, String)] = [("script", quote(scriptPath))]
        if let repository { facts.append(("repository", quote(repository))) }
        if let commit { facts.append(("commit", quote(commit))) }
        if let pipelineID { facts.append(("pipeline", String(pipelineID.rawValue))) }
        if let approval = artifact.approval {
            facts.append(("pull_request", String(approval.number)))
            facts.append(("pull_request_url", quote(approval.url)))
            facts.append(("pull_request_author", quote(approval.author)))
            facts.append(("approved_by", "[" + approval.approvers.map(quote).joined(separator: ", ") + "]"))
            facts.append(("merged_by", approval.mergedBy.map(quote) ?? "null"))
            if approval.requiredApprovals > 0 { facts.append(("required_approvals", String(approval.requiredApprovals))) }
        } else if let pullRequest {
            facts.append(("pull_request", String(pullRequest)))
        }
        if let dryRun {
            facts.append(("dry_run", String(dryRun.id)))
            facts.append(("dry_run_pull_request", String(dryRun.pullRequest)))
            facts.append(("dry_run_head", quote(dryRun.headCommit)))
            if let url = dryRun.url { facts.append(("dry_run_url", quote(url))) }
        }
        if let author { facts.append(("author", quote(author))) }
        if let pusher { facts.append(("pusher", quote(pusher))) }
        if let executeAttempt { facts.append(("execute_attempt", String(executeAttempt))) }
        facts.append(("outcome", execution.outcome.rawValue))
        facts.append(("exit_status", execution.exitCode.map(String.init) ?? "null"))
        facts.append(("signal", execution.signal.map(String.init) ?? "null"))
        facts.append(("timed_out", execution.timedOut ? "true" : "false"))
        if let limit = execution.stoppedBy { facts.append(("stopped_by_limit", quote(limit.rawValue))) }
        facts.append(("started_at", quote(iso.string(from: execution.startedAt))))
        facts.append(("finished_at", execution.finishedAt.map { quote(iso.string(from: $0)) } ?? "null"))
        facts.append(("duration_seconds", execution.duration.map { String(format: "%.3f", $0.secondsDouble) } ?? "null"))
        if let application = execution.application {
            facts.append(("app_dir", quote(application.directory)))
            facts.append(("app_revision", application.revision.map(quote) ?? "null"))
            if let lockfile = application.lockfile, let digest = application.lockfileDigest {
                facts.append(("app_lockfile", quote(lockfile)))
                facts.append(("app_lockfile_sha256", quote(digest)))
            }
            if let kubernetes = application.kubernetes {
                facts.append(("runner", quote("kubernetes")))
                facts.append(("kubernetes_namespace", quote(kubernetes.namespace)))
                facts.append(("kubernetes_job", quote(kubernetes.job)))
                facts.append(("image", quote(kubernetes.image)))
                facts.append(("termination_reason", kubernetes.reason.map(quote) ?? "null"))
                if let message = kubernetes.message { facts.append(("termination_message", quote(message))) }
            }
        }
        if let progress = execution.progress {
            facts.append(("progress", quote(progress.text)))
            facts.append(("progress_rate_per_second", progress.ratePerSecond.map { String(format: "%.3f", $0) } ?? "null"))
        }
        facts.append(("toolchain", quote(artifact.toolchainVersion)))
        facts.append(("artifact_sha256", quote(artifact.digest)))
        facts.append(("source_sha256", quote(artifact.sourceDigest)))
        facts.append(("stdout_bytes", String(execution.stdoutBytes)))
        facts.append(("stderr_bytes", String(execution.stderrBytes)))
        var text = Self.frontMatter(facts, operatorActions: operatorActions, quote: quote, iso: iso)
        text += "# \(MarkdownText.visible(m(scriptPath)))\n\n"
        text += "Outcome: **\(execution.outcome.rawValue)**"
        if let code = execution.exitCode { text += ", exit status \(code)" }
        if let signal = execution.signal { text += ", signal \(signal)" }
        if let limit = execution.stoppedBy { text += " (killed: \(limit.killedBecause))" }
        text += ".\n\n"
        text += "## Source\n\n" + Self.fence(masker.mask(source), language: Toolchain.forPath(scriptPath, in: toolchains)?.sourceLanguage ?? "")
        if artifact.isText && artifact.content != source {
            text += "## Executed artifact (\(artifact.toolchain))\n\n" + Self.fence(
                masker.mask(artifact.content), language: toolchains.first { $0.name == artifact.toolchain }?.artifactLanguage ?? "")
        } else if !artifact.isText {
            text += "## Executed artifact (\(artifact.toolchain))\n\nA binary of \(artifact.content.count) bytes, sha256 `\(artifact.digest)`.\n\n"
        }
        if execution.application?.kubernetes != nil {
            // The pod's log is one stream: Kubernetes does not keep stdout and stderr apart.
            text += "## Output (stdout and stderr)\n\n> Kubernetes merges the container's stdout and stderr into one log; both are below, in the order they were written.\n\n"
            text += Self.output(masker.mask(execution.stdout + execution.stderr), truncated: execution.stdoutTruncated, total: execution.stdoutBytes + execution.stderrBytes)
            return text
        }
        text += "## stdout\n\n" + Self.output(masker.mask(execution.stdout), truncated: execution.stdoutTruncated, total: execution.stdoutBytes)
        text += "## stderr\n\n" + Self.output(masker.mask(execution.stderr), truncated: execution.stderrTruncated, total: execution.stderrBytes)
        return text
    }

    /// The YAML front matter both logs open with: the facts, then who did what (already quoted
    /// values in `facts`; `quote` masks and quotes the operator actions' text).
    static func frontMatter(
        _ facts: [(String, String)], operatorActions: [OperatorAction], quote: (String) -> String, iso: ISO8601DateFormatter
    ) -> String {
        var text = "---\n" + facts.map { "\($0.0): \($0.1)" }.joined(separator: "\n") + "\n"
        if !operatorActions.isEmpty {
            text += "operator_actions:\n"
            for action in operatorActions {
                text += "  - action: \(action.kind.rawValue)\n"
                if let stage = action.stageKind { text += "    stage: \(stage.rawValue)\n" }
                text += "    by: \(quote(action.operatorName))\n    at: \(quote(iso.string(from: action.at)))\n"
                if let reason = action.reason { text += "    reason: \(quote(reason))\n" }
            }
        }
        return text + "---\n\n"
    }

    static func output(_ bytes: [UInt8], truncated: Bool, total: Int) -> String {
        if bytes.isEmpty && total == 0 { return "(empty)\n\n" }
        var text = ""
        if truncated {
            text += "> Truncated: \(total) bytes were printed; the beginning and the end are kept.\n\n"
        }
        return text + fence(bytes, language: "")
    }

    static func fence(_ bytes: [UInt8], language: String) -> String {
        MarkdownText.fence(String(decoding: bytes, as: UTF8.self), language: language)
    }

    static func quote(_ value: String) -> String {
        var escaped = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                    escaped += String(format: "\\x%02X", scalar.value)
                } else if MarkdownText.isDeceptive(scalar) {
                    // Line separators, BOM, zero-width and bidi controls: YAML's \u escape.
                    escaped += String(format: "\\u%04X", scalar.value)
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return escaped + "\""
    }
}

/// The dry run an execution log points to: the successful dry run of the same script content.
public struct DryRunLink: Sendable, Equatable {
    public var id: Int64
    public var pullRequest: Int
    public var headCommit: String
    /// Its dashboard page, when `JOBRUNNER_PUBLIC_URL` is set.
    public var url: String?

    public init(id: Int64, pullRequest: Int, headCommit: String, url: String?) {
        self.id = id
        self.pullRequest = pullRequest
        self.headCommit = headCommit
        self.url = url
    }
}
