import Foundation

/// What a pull request shows of its dry runs: the one comment (edited for each new head) and
/// the `jobrunner/dry-run` commit status of its head. Rendered from the stored state each time,
/// so whichever node reports, and however late, shows the latest.
public struct DryRunReport: Sendable, Equatable {
    public enum StatusState: String, Sendable, Equatable {
        case pending, success, failure, error
    }

    /// The comment's Markdown; nil: nothing to say (no script was ever dry-run or waited for).
    public var comment: String?
    /// The head's commit status.
    public struct Status: Sendable, Equatable {
        public var state: StatusState
        /// At most 140 characters, as GitHub keeps.
        public var description: String

        public init(state: StatusState, description: String) {
            self.state = state
            self.description = String(description.prefix(140))
        }
    }

    /// The head's status; nil: none (closed, or no scripts).
    public var status: Status?

    public init(comment: String?, status: Status?) {
        self.comment = comment
        self.status = status
    }

    public static let context = "jobrunner/dry-run"
    /// Marks the comment as Jobrunner's dry-run comment.
    public static let marker = "<!-- jobrunner:dry-run -->"
    /// Lines of each stream kept in the comment (the page has all of it).
    public static let tailLines = 40
    /// Characters of each stream kept in the comment.
    public static let tailCharacters = 6_000

    /// What an evaluation says when the pull request will not be dry-run (shown as an error status).
    public static let refusedPrefix = "not dry-run: "

    /// `runs`: the pull request's dry runs, any head, any order. `pageURL`: a dry run's
    /// dashboard page, when the public URL is known.
    public static func make(pull: DryRunPullRequest, runs: [DryRunRecord], pageURL: (Int64) -> String?) -> DryRunReport {
        let current = runs.filter { $0.headCommit == pull.headCommit }.sorted { $0.scriptPath < $1.scriptPath }
        let earlier = runs.filter { $0.headCommit != pull.headCommit }
        let words = pull.status ?? ""
        // Nothing was ever said, and nothing to say: pull requests without scripts, closed ones.
        if current.isEmpty && earlier.isEmpty && pull.commentID == nil
            && (words.isEmpty || !pull.isOpen || words.hasPrefix(refusedPrefix + "it adds or modifies no scripts"))
        {
            return DryRunReport(comment: nil, status: nil)
        }
        let head = String(pull.headCommit.prefix(12))
        var status: Status?
        if pull.isOpen {
            if current.isEmpty {
                status = Status(state: words.hasPrefix(refusedPrefix) ? .error : .pending, description: words.isEmpty ? "dry run not started" : words)
            } else if let broken = current.first(where: { $0.state == .error || $0.state == .interrupted }) {
                status = Status(state: .error, description: "\(broken.scriptPath): \(broken.state == .error ? "could not run" : "interrupted")")
            } else if let failed = current.first(where: { $0.state == .finished && !$0.succeeded }) {
                status = Status(state: .failure, description: "\(failed.scriptPath): \(outcomeText(failed))")
            } else if current.contains(where: { !$0.state.isTerminal }) {
                let done = current.filter { $0.state.isTerminal }.count
                status = Status(state: .pending, description: "dry run in progress: \(done) of \(current.count) script(s) done")
            } else {
                status = Status(state: .success, description: "\(current.count) script(s) dry-run successfully")
            }
        }

        var text = marker + "\n### Jobrunner dry run of `\(head)`\n\n"
        if !pull.isOpen {
            text += "> The pull request is closed; nothing more is dry-run.\n\n"
        } else if current.isEmpty {
            text += "> \(words.isEmpty ? "Waiting to be looked at." : words.prefix(1).uppercased() + words.dropFirst())\n\n"
        }
        if !current.isEmpty {
            text += "Run with the dry-run environment (`JOBRUNNER_DRY_RUN=1`); nothing was committed and nothing counts as an execution.\n\n"
            text += "| Script | Outcome | Exit status | Duration | Progress |\n|---|---|---|---|---|\n"
            for run in current {
                let script = pageURL(run.id).map { "[\(MarkdownText.codeSpan(run.scriptPath))](\($0))" } ?? MarkdownText.codeSpan(run.scriptPath)
                text += "| \(script) | \(outcomeText(run)) | \(run.exitCode.map(String.init) ?? "—") | "
                    + "\(run.duration.map { DurationParser.format($0) } ?? "—") | \(run.progress.map { cell($0.text) } ?? "—") |\n"
            }
            text += "\n"
            for run in current where run.state.isTerminal {
                if let error = run.error, run.state != .finished {
                    text += "**\(MarkdownText.codeSpan(run.scriptPath))**: \(cell(error))\n\n"
                }
                for (name, output, truncated) in [("stdout", run.stdout, run.stdoutTruncated), ("stderr", run.stderr, run.stderrTruncated)]
                where !output.isEmpty {
                    let (tail, cut) = Self.tail(output)
                    text += "<details><summary>\(html(run.scriptPath)) — \(name)\(cut || truncated ? " (last lines)" : "")</summary>\n\n"
                    text += MarkdownText.fence(tail) + "\n"
                    if let url = pageURL(run.id) { text += "[Full output](\(url))\n\n" }
                    text += "</details>\n\n"
                }
            }
        }
        let outdated = Dictionary(grouping: earlier, by: \.headCommit).sorted { ($0.value.first?.id ?? 0) > ($1.value.first?.id ?? 0) }
        if !outdated.isEmpty {
            text += "<details><summary>Outdated results of earlier heads</summary>\n\n"
            for (commit, runs) in outdated.prefix(10) {
                text += "- `\(commit.prefix(12))` (outdated by `\(head)`): "
                    + runs.sorted { $0.scriptPath < $1.scriptPath }.map { run in
                        let label = "\(MarkdownText.codeSpan(run.scriptPath)) \(outcomeText(run))"
                        return pageURL(run.id).map { "[\(label)](\($0))" } ?? label
                    }.joined(separator: ", ") + "\n"
            }
            text += "\n</details>\n"
        }
        return DryRunReport(comment: text, status: status)
    }

    /// A dry run's result in words: "succeeded", "exit 3", "timed out", "queued", …
    public static func outcomeText(_ run: DryRunRecord) -> String {
        switch run.state {
        case .queued: return "queued"
        case .running: return "running"
        case .error: return "could not run"
        case .interrupted: return "interrupted"
        case .skipped: return "not run"
        case .finished:
            switch run.outcome {
            case .succeeded?: return "succeeded"
            case .failed?: return "exit \(run.exitCode.map(String.init) ?? "non-zero")"
            case .timedOut?: return "timed out"
            case .killed?: return "killed by signal \(run.signal.map(String.init) ?? "?")"
            case .cancelled?: return "stopped"
            case .running?, nil: return "finished"
            }
        }
    }

    /// The last `tailLines` lines (at most `tailCharacters`), and whether anything was cut.
    static func tail(_ text: String) -> (String, Bool) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var kept = lines.suffix(tailLines).joined(separator: "\n")
        var cut = lines.count > tailLines
        if kept.count > tailCharacters {
            kept = String(kept.suffix(tailCharacters))
            cut = true
        }
        return (kept, cut)
    }

    /// Text inside the comment's HTML (`<summary>`): visible characters, no markup.
    private static func html(_ text: String) -> String {
        MarkdownText.visible(text).replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    private static func cell(_ text: String) -> String {
        MarkdownText.visible(text).replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
