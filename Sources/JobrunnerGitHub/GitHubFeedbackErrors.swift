import Foundation
import JobrunnerCore

/// How a GitHub error counts for the feedback outbox: a rate limit asks to be tried again when
/// it resets (not a failed attempt), a 4xx that no retry can fix (no such pull request, a body
/// GitHub refuses) is refused for good, anything else is retried with backoff.
enum GitHubFeedbackErrors {
    static func classify(_ error: any Error, now: Date) -> any Error {
        guard let error = error as? GitHubAPIError else { return error }
        switch error {
        case .rateLimited(_, let resetAt, let retryAfter):
            if let retryAfter { return FeedbackDeferral(until: now.adding(retryAfter)) }
            if let resetAt { return FeedbackDeferral(until: Date(timeIntervalSince1970: TimeInterval(resetAt))) }
            return FeedbackDeferral(until: now.addingTimeInterval(60))
        case .http(let status, _, _) where [404, 410, 422].contains(status):
            return FeedbackRefused(error.description)
        default:
            return error
        }
    }
}
