/// Who reviewed and merged the pull request a script came from, as PROCESS found it. Stored
/// with the artifact and written into the execution log.
public struct PullRequestApproval: Sendable, Equatable, Codable {
    public var number: Int
    public var url: String
    public var title: String
    public var author: String
    /// Logins whose latest review approves, the author excluded; sorted.
    public var approvers: [String]
    public var mergedBy: String?
    /// What the policy asked for when it was checked (0: recorded only).
    public var requiredApprovals: Int

    public init(
        number: Int, url: String, title: String, author: String, approvers: [String], mergedBy: String?,
        requiredApprovals: Int
    ) {
        self.number = number
        self.url = url
        self.title = title
        self.author = author
        self.approvers = approvers
        self.mergedBy = mergedBy
        self.requiredApprovals = requiredApprovals
    }
}

/// The approval policy, checked by PROCESS before anything can run. Throws a permanent
/// `StageFailure` that says what is missing when the policy is not met; returns the pull
/// request it found (nil when the policy is off and none was found).
public protocol ApprovalGate: Sendable {
    func check(_ pipeline: PipelineRecord) async throws -> PullRequestApproval?
}
