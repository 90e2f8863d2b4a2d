import Foundation
import JobrunnerCore
import Testing

@Suite("Dry-run rules")
struct DryRunRulesTests {
    static let head = String(repeating: "c", count: 40)
    static let policy = DryRunEligibility.Policy(branch: "main", requiredApprovals: 2, allowForks: false, jobsDirectory: "jobs")
    static let script = NewDryRun(scriptPath: "jobs/a.sh", blob: String(repeating: "1", count: 40))

    static func facts(approvers: [String], fork: Bool = false, open: Bool = true, scripts: [NewDryRun] = [script]) -> DryRunEligibility.Facts {
        DryRunEligibility.Facts(isOpen: open, baseBranch: "main", fromFork: fork, head: head, approvers: approvers, scripts: scripts)
    }

    @Test
    func approvalsComeFirstAndForksClosedAndScriptlessPullRequestsNeverRun() {
        #expect(DryRunEligibility.decide(Self.facts(approvers: ["bob", "dave"]), policy: Self.policy) == .run([Self.script]))
        guard case .wait(let why) = DryRunEligibility.decide(Self.facts(approvers: ["bob"]), policy: Self.policy) else {
            Issue.record("one approval of two must wait")
            return
        }
        #expect(why.contains("1 more approving review") && why.contains("bob"))
        #expect(DryRunEligibility.decide(Self.facts(approvers: ["bob", "dave"], fork: true), policy: Self.policy).status.hasPrefix(DryRunReport.refusedPrefix))
        var forks = Self.policy
        forks.allowForks = true
        #expect(DryRunEligibility.decide(Self.facts(approvers: ["bob", "dave"], fork: true), policy: forks) == .run([Self.script]))
        if case .never = DryRunEligibility.decide(Self.facts(approvers: ["bob", "dave"], open: false), policy: Self.policy) {} else {
            Issue.record("a closed pull request never runs")
        }
        if case .never = DryRunEligibility.decide(Self.facts(approvers: ["bob", "dave"], scripts: []), policy: Self.policy) {} else {
            Issue.record("no scripts, nothing to run")
        }
    }

    @Test
    func approvalsCountAsThePolicyCountsThemFromReviewersWithWriteAccess() {
        let old = String(repeating: "d", count: 40)
        let reviews = [
            ApprovingReviews.Review(login: "bob", state: "APPROVED", commitID: Self.head, authorAssociation: "MEMBER"),
            ApprovingReviews.Review(login: "carol", state: "APPROVED", commitID: Self.head, authorAssociation: "CONTRIBUTOR"),
            ApprovingReviews.Review(login: "dave", state: "APPROVED", commitID: old, authorAssociation: "OWNER"),
            ApprovingReviews.Review(login: "erin", state: "APPROVED", commitID: Self.head, authorAssociation: "COLLABORATOR"),
            ApprovingReviews.Review(login: "erin", state: "CHANGES_REQUESTED", commitID: Self.head, authorAssociation: "COLLABORATOR"),
            ApprovingReviews.Review(login: "alice", state: "APPROVED", commitID: Self.head, authorAssociation: "OWNER"),
            ApprovingReviews.Review(login: "frank", state: "APPROVED", commitID: Self.head, authorAssociation: "OWNER"),
            ApprovingReviews.Review(login: "frank", state: "COMMENTED", commitID: Self.head, authorAssociation: "OWNER"),
        ]
        #expect(
            ApprovingReviews.approvers(of: Self.head, reviews: reviews, excluded: ["alice"], requireWriteAccess: true) == ["bob", "frank"])
        #expect(
            ApprovingReviews.approvers(of: Self.head, reviews: reviews, excluded: ["alice"], requireWriteAccess: false)
                == ["bob", "carol", "frank"])
    }

    @Test
    func theRequirementRunsDryRunContentOrAnOverrideAndOtherwiseWaitsSayingWhy() {
        let blob = String(repeating: "9", count: 40)
        #expect(DryRunRequirement.decide(required: false, blob: blob, scriptPath: "jobs/a.sh", successfulDryRun: nil, overriddenBy: nil) == .run(dryRun: nil))
        #expect(DryRunRequirement.decide(required: true, blob: blob, scriptPath: "jobs/a.sh", successfulDryRun: 4, overriddenBy: nil) == .run(dryRun: 4))
        #expect(DryRunRequirement.decide(required: true, blob: blob, scriptPath: "jobs/a.sh", successfulDryRun: nil, overriddenBy: "ops") == .run(dryRun: nil))
        guard case .wait(let why) = DryRunRequirement.decide(required: true, blob: blob, scriptPath: "jobs/a.sh", successfulDryRun: nil, overriddenBy: nil) else {
            Issue.record("no dry run, no override: it waits")
            return
        }
        #expect(why.contains("jobs/a.sh") && why.contains("JOBRUNNER_REQUIRE_DRY_RUN") && why.contains("override"))
    }

    @Test
    func theReportShowsTheHeadsResultsAndMarksEarlierHeadsOutdated() {
        let repository = RepositoryName(rawValue: "acme/ops")!
        let old = String(repeating: "d", count: 40)
        let pull = DryRunPullRequest(repository: repository, number: 7, headCommit: Self.head, status: "dry-running 1 script(s)", updatedAt: Date())
        var current = DryRunRecord(
            id: 2, repository: repository, pullRequest: 7, headCommit: Self.head, scriptPath: "jobs/a.sh", blob: "b", state: .finished,
            createdAt: Date(), startedAt: Date(timeIntervalSince1970: 0), finishedAt: Date(timeIntervalSince1970: 2), outcome: .failed,
            exitCode: 3, stdout: (1...100).map { "line \($0)" }.joined(separator: "\n"), stderr: "boom")
        let earlier = DryRunRecord(
            id: 1, repository: repository, pullRequest: 7, headCommit: old, scriptPath: "jobs/a.sh", blob: "a", state: .finished,
            outdated: true, createdAt: Date(), outcome: .succeeded, exitCode: 0)
        let report = DryRunReport.make(pull: pull, runs: [current, earlier]) { "https://jr.example/dry-runs/\($0)" }
        let comment = report.comment ?? ""
        #expect(report.status?.state == .failure && report.status?.description.contains("exit 3") == true)
        #expect(comment.contains("exit 3") && comment.contains("boom") && comment.contains("line 100") && !comment.contains("line 60\n"))
        #expect(comment.contains("[Full output](https://jr.example/dry-runs/2)"), "cut output links the whole")
        #expect(comment.contains("Outdated results") && comment.contains(String(old.prefix(12))))
        current.state = .running
        current.outcome = nil
        #expect(DryRunReport.make(pull: pull, runs: [current]) { _ in nil }.status?.state == .pending)
        let quiet = DryRunPullRequest(
            repository: repository, number: 8, headCommit: Self.head, status: DryRunReport.refusedPrefix + "it adds or modifies no scripts in jobs/",
            updatedAt: Date())
        #expect(DryRunReport.make(pull: quiet, runs: []) { _ in nil } == DryRunReport(comment: nil, status: nil))
    }
}
