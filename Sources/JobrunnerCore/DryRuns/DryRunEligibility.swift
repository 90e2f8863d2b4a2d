/// Whether a pull request's head is dry-run now: decided from what GitHub says of it, before
/// anything is built. Unmerged code runs in production in a dry run, so approvals come first.
public enum DryRunEligibility {
    /// The facts the decision reads.
    public struct Facts: Sendable, Equatable {
        public var isOpen: Bool
        public var baseBranch: String
        public var fromFork: Bool
        public var head: String
        public var approvers: [String]
        public var scripts: [NewDryRun]

        public init(isOpen: Bool, baseBranch: String, fromFork: Bool, head: String, approvers: [String], scripts: [NewDryRun]) {
            self.isOpen = isOpen
            self.baseBranch = baseBranch
            self.fromFork = fromFork
            self.head = head
            self.approvers = approvers
            self.scripts = scripts
        }
    }

    /// The configuration the decision reads.
    public struct Policy: Sendable, Equatable {
        /// The configured branch; nil: the repository's default (intake checked the event's base).
        public var branch: String?
        public var requiredApprovals: Int
        public var allowForks: Bool
        public var jobsDirectory: String

        public init(branch: String?, requiredApprovals: Int, allowForks: Bool, jobsDirectory: String) {
            self.branch = branch
            self.requiredApprovals = requiredApprovals
            self.allowForks = allowForks
            self.jobsDirectory = jobsDirectory
        }
    }

    public enum Decision: Sendable, Equatable {
        /// Dry-run these scripts of the head.
        case run([NewDryRun])
        /// Nothing runs now; the reason is shown on the pull request and the dashboard.
        case wait(String)
        /// Nothing will ever run for this head (closed, fork, another branch, no scripts).
        case never(String)

        /// The words stored and shown for the decision.
        public var status: String {
            switch self {
            case .run(let scripts): "dry-running \(scripts.count) script(s)"
            case .wait(let reason): reason
            case .never(let reason): DryRunReport.refusedPrefix + reason
            }
        }
    }

    public static func decide(_ facts: Facts, policy: Policy) -> Decision {
        let head = String(facts.head.prefix(12))
        if !facts.isOpen { return .never("the pull request is closed") }
        if let branch = policy.branch, facts.baseBranch != branch {
            return .never("it targets \(facts.baseBranch), not \(branch)")
        }
        if facts.scripts.isEmpty { return .never("it adds or modifies no scripts in \(policy.jobsDirectory)/") }
        if facts.fromFork && !policy.allowForks {
            return .never("it comes from a fork: forks are not dry-run unless JOBRUNNER_DRY_RUN_FORKS=true")
        }
        if facts.approvers.count < policy.requiredApprovals {
            let missing = policy.requiredApprovals - facts.approvers.count
            return .wait(
                "waiting for \(missing) more approving review(s) of \(head) from reviewers with write access (\(policy.requiredApprovals) required; approved by \(facts.approvers.isEmpty ? "nobody" : facts.approvers.joined(separator: ", ")))")
        }
        return .run(facts.scripts)
    }
}
