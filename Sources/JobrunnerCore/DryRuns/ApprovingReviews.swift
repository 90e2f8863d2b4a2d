/// Who approves a pull request's head — one rule for the approval policy (after merge) and for
/// dry runs (before merge): each reviewer's latest decision counts (a later "changes requested"
/// or a dismissal withdraws an approval), only approvals given on `head` count (an approval of an
/// earlier head is stale), and nobody who opened the pull request or wrote or committed its code
/// can approve it.
public enum ApprovingReviews {
    /// One review as the rule needs it.
    public struct Review: Sendable, Equatable {
        public var login: String?
        /// APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED or PENDING.
        public var state: String
        public var commitID: String?
        /// OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, … (nil when GitHub did not say).
        public var authorAssociation: String?

        public init(login: String?, state: String, commitID: String?, authorAssociation: String? = nil) {
            self.login = login
            self.state = state
            self.commitID = commitID
            self.authorAssociation = authorAssociation
        }
    }

    /// Author associations of people with write access to the repository.
    public static let writeAccess: Set<String> = ["OWNER", "MEMBER", "COLLABORATOR"]

    /// The approvers of `head`, sorted. `excluded`: the author and the commits' authors and
    /// committers. `requireWriteAccess`: only reviewers whose association grants write access.
    public static func approvers(of head: String?, reviews: [Review], excluded: Set<String>, requireWriteAccess: Bool) -> [String] {
        var latest: [String: Review] = [:]
        for review in reviews {
            guard let login = review.login, review.state != "COMMENTED", review.state != "PENDING" else { continue }
            latest[login] = review
        }
        return latest.filter { login, review in
            review.state == "APPROVED" && !excluded.contains(login) && review.commitID != nil && review.commitID == head
                && (!requireWriteAccess || writeAccess.contains(review.authorAssociation ?? ""))
        }.keys.sorted()
    }
}
