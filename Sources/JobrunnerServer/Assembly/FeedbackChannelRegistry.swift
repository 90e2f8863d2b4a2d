import JobrunnerCore
import JobrunnerFeedback
import JobrunnerGitHub
import JobrunnerStages

/// The feedback channels the settings turn on. A new channel is one file (its
/// `FeedbackChannel`, in JobrunnerFeedback or JobrunnerGitHub) plus one line here.
enum FeedbackChannelRegistry {
    static func channels(_ settings: Settings, github: GitHubAccess) -> [any FeedbackChannel] {
        let channels: [(any FeedbackChannel)?] = [
            github.api.map { CommitStatusChannel(api: $0, dashboardURL: settings.publicURL) },
            github.api.map { PullRequestCommentChannel(api: $0) },
            CallbackChannel(settings: settings),
        ]
        return channels.compactMap { $0 }
    }
}
