import JobrunnerCore
import JobrunnerFeedback
import JobrunnerGitHub
import JobrunnerStages

/// The feedback channels the settings turn on. A new channel is one file (its
/// `FeedbackChannel`, in JobrunnerFeedback or JobrunnerGitHub) plus one line here.
enum FeedbackChannelRegistry {
    static func channels(_ settings: Settings, github: GitHubAccess, threads: any CommentThreadStore, clock: any JobClock)
        -> [any FeedbackChannel]
    {
        let channels: [(any FeedbackChannel)?] = [
            github.bestEffortAPI.map { CommitStatusChannel(api: $0, dashboardURL: settings.publicURL) },
            github.bestEffortAPI.map {
                PullRequestCommentChannel(
                    api: $0, threads: threads, dashboardURL: settings.publicURL, minimumInterval: settings.commentEditInterval,
                    clock: clock)
            },
            SlackChannel(settings: settings),
            CallbackChannel(settings: settings),
        ]
        return channels.compactMap { $0 }
    }
}
