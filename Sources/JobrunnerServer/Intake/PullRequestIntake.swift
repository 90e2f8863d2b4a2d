import Foundation
import JobrunnerCore
import JobrunnerGitHub

/// Decides what a verified `pull_request` or `pull_request_review` event means for dry runs:
/// nothing (dry runs off, another repository or base branch, an action that changes nothing),
/// or a signal that its pull request is due to be looked at. No I/O: what GitHub says of the
/// pull request now is read later, by the dry-run coordinator, so a redelivered or out-of-order
/// event cannot count a stale review.
struct PullRequestIntake: Sendable {
    /// `JOBRUNNER_DRY_RUN`: off, these events are not even decoded (any shape is ignored, as before dry runs).
    var enabled: Bool
    var repositories: Set<RepositoryName>
    var branch: String?

    enum Decision: Sendable, Equatable {
        case signal(PullRequestSignal)
        case ignored(String)
    }

    /// The events this intake reads.
    static let events: Set<String> = ["pull_request", "pull_request_review"]

    /// Whether `event` is one of ours and dry runs are on.
    func handles(_ event: String) -> Bool { enabled && Self.events.contains(event) }

    /// Why `event` is ignored when `handles` says no.
    static func ignoredReason(_ event: String) -> String {
        events.contains(event) ? "event \(event) is not handled: dry runs are off (JOBRUNNER_DRY_RUN)" : "event \(event) is not handled"
    }

    func decide(_ event: PullRequestEvent, name: String) -> Decision {
        let actions = name == "pull_request" ? PullRequestEvent.pullRequestActions : PullRequestEvent.reviewActions
        guard let repository = RepositoryName(rawValue: event.repository.fullName), repositories.contains(repository) else {
            return .ignored("repository \(event.repository.fullName) is not configured (JOBRUNNER_REPOSITORIES)")
        }
        guard let branch = branch ?? event.repository.defaultBranch else {
            return .ignored("the payload does not name the default branch; set JOBRUNNER_BRANCH")
        }
        guard event.pullRequest.base.ref == branch else {
            return .ignored("pull request #\(event.pullRequest.number) targets \(event.pullRequest.base.ref), not \(branch)")
        }
        guard actions.contains(event.action) else { return .ignored("\(name) action \(event.action) changes no dry run") }
        return .signal(
            PullRequestSignal(
                repository: repository, number: event.pullRequest.number, headCommit: event.pullRequest.head.sha,
                isOpen: event.pullRequest.state == "open" && event.action != "closed", title: event.pullRequest.title,
                url: event.pullRequest.htmlURL))
    }
}
