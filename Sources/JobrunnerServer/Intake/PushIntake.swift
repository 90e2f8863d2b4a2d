import Foundation
import JobrunnerCore
import JobrunnerGitHub

/// Decides what a verified push means: which configured repository and branch it is for, and
/// which scripts it adds or modifies. No I/O but the compare API call for incomplete payloads.
struct PushIntake: Sendable {
    var repositories: Set<RepositoryName>
    var branch: String?
    var detector: ScriptDetector
    var github: (any GitHubAPI)?

    enum Decision: Sendable {
        case accepted([NewPipeline], skipped: [ScriptDetector.Skipped])
        case ignored(String, skipped: [ScriptDetector.Skipped] = [])
        /// Could not be turned into pipelines; `retryable` when a redelivery may succeed as is.
        case failed(String, retryable: Bool)
    }

    /// Whether deciding needs GitHub's compare API: the payload of a forced push, or of a push
    /// of `payloadCommitLimit` commits or more, may not list every change. Any other decision
    /// is made from the payload alone.
    static func needsComparison(_ push: PushEvent) -> Bool {
        (push.forced || push.commits.count >= PushEvent.payloadCommitLimit) && push.before != PushEvent.zeroCommit
    }

    func decide(_ push: PushEvent) async -> Decision {
        guard let repository = RepositoryName(rawValue: push.repository.fullName),
            repositories.contains(repository)
        else {
            return .ignored("repository \(push.repository.fullName) is not configured (JOBRUNNER_REPOSITORIES)")
        }
        guard let branch = branch ?? push.repository.defaultBranch else {
            return .ignored("the payload does not name the default branch; set JOBRUNNER_BRANCH")
        }
        guard push.ref == "refs/heads/\(branch)" else {
            return .ignored("\(push.ref) is not the branch \(branch)")
        }
        if push.deleted { return .ignored("branch deletion") }

        let commits: [ScriptDetector.Commit]
        if Self.needsComparison(push) {
            let why = push.forced ? "a forced push" : "a push of \(push.commits.count) or more commits"
            guard let github else {
                return .failed(
                    "\(why): its payload may not list every change, and listing them needs the GitHub API — set JOBRUNNER_GITHUB_TOKEN, then redeliver this delivery from the webhook's settings",
                    retryable: false)
            }
            let comparison: Comparison
            do {
                comparison = try await github.compare(repository, base: push.before, head: push.after)
            } catch {
                let retryable = (error as? any ClassifiedError)?.failureKind != .permanent
                return .failed("\(why): comparing \(push.before.prefix(12))...\(push.after.prefix(12)) failed: \(error)", retryable: retryable)
            }
            if comparison.files.count >= Comparison.fileLimit {
                return .failed(
                    "\(why) changing \(Comparison.fileLimit) or more files: GitHub lists at most \(Comparison.fileLimit), so scripts could be missed — push the scripts separately",
                    retryable: false)
            }
            if !comparison.commits.isEmpty && comparison.commits.allSatisfy({ BotCommitMarker.isBotCommit(message: $0.message) }) {
                return .ignored("only the bot's own commits")
            }
            let added = comparison.files.filter { ["added", "copied", "renamed"].contains($0.status) }.map(\.filename)
            let modified = comparison.files.filter { $0.status == "modified" || $0.status == "changed" }.map(\.filename)
            let headMessage = comparison.commits.last?.message ?? push.headCommit?.message ?? ""
            commits = [
                ScriptDetector.Commit(
                    id: push.after, message: BotCommitMarker.isBotCommit(message: headMessage) ? "" : headMessage,
                    author: comparison.commits.last?.authorLogin, added: added, modified: modified)
            ]
        } else {
            commits = push.commits.map { commit in
                ScriptDetector.Commit(
                    id: commit.id, message: commit.message, author: commit.author.username ?? commit.author.name,
                    added: commit.added ?? [], removed: commit.removed ?? [], modified: commit.modified ?? [])
            }
        }
        let detected = detector.detect(commits)
        if !commits.isEmpty && detected.botCommits.count == commits.count {
            return .ignored("only the bot's own commits")
        }
        guard !detected.scripts.isEmpty else {
            return .ignored("no scripts added or modified under \(detector.jobsDirectory)/", skipped: detected.skipped)
        }
        let pullRequest = push.headCommit.flatMap { PullRequestReference.number(inCommitMessage: $0.message) }
        let pipelines = detected.scripts.map { script in
            NewPipeline(
                repository: repository, branch: branch, scriptPath: script.path, commit: script.commit, blob: nil,
                pusher: push.pusher.name, pullRequest: pullRequest, author: script.author,
                modifiesExisting: script.modifiesExisting)
        }
        return .accepted(pipelines, skipped: detected.skipped)
    }
}
