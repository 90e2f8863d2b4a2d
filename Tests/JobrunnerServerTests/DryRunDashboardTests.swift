import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobrunnerCore
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import NIOCore
import Testing

/// The dashboard's dry-run pages and the override button, through the router with a real store.
@Suite("Dry runs on the dashboard")
struct DryRunDashboardTests {
    static let ops = RepositoryName(rawValue: "acme/ops")!

    /// A finished dry run of #7 whose output holds markup.
    static func finishedDryRun(_ store: SQLitePipelineStore) async throws -> Int64 {
        let head = String(repeating: "f", count: 40)
        _ = try await store.recordPullRequestDelivery(
            NewDelivery(id: DeliveryID("pr-1"), event: "pull_request", outcome: .accepted),
            signal: PullRequestSignal(repository: ops, number: 7, headCommit: head, isOpen: true))
        _ = try await store.claimDryRunPullRequests(owner: "c", limit: 1, leaseDuration: .seconds(60))
        try await store.settleDryRunEvaluation(
            DryRunEvaluation(
                repository: ops, number: 7, head: head, isOpen: true, status: "dry-running 1 script(s)",
                queue: [NewDryRun(scriptPath: "jobs/fix-emails.sh", blob: String(repeating: "1", count: 40))], approvers: ["bob"]),
            owner: "c")
        var run = try #require(try await store.claimDryRun(owner: "w", leaseDuration: .seconds(60)))
        #expect(try await store.startDryRun(run.id, owner: "w", leaseDuration: .seconds(60)))
        run.state = .finished
        run.outcome = .failed
        run.exitCode = 4
        run.stdout = "would fix 12 rows <script>alert(1)</script>\n"
        try await store.finishDryRun(run, owner: "w", retryAt: nil)
        return run.id
    }

    @Test
    func dryRunsHaveTheirOwnPagesWithEscapedOutputBehindSignIn() async throws {
        let harness = try OperatorHarness()
        let id = try await Self.finishedDryRun(harness.store)
        try await harness.app().test(.router) { client in
            let anonymous = try await client.execute(uri: "/dry-runs", method: .get)
            #expect(anonymous.status == .seeOther && anonymous.headers[.location]?.hasPrefix("/login") == true)
            let browser = try await OperatorHarness.signIn(client)
            let list = String(buffer: try await client.execute(uri: "/dry-runs?repository=acme/ops", method: .get, headers: browser.headers).body)
            #expect(list.contains("id=\"dry-run-\(id)\"") && list.contains("jobs/fix-emails.sh") && list.contains("exit 4"))
            let other = String(buffer: try await client.execute(uri: "/dry-runs?pull_request=8", method: .get, headers: browser.headers).body)
            #expect(!other.contains("jobs/fix-emails.sh"))
            let page = try await client.execute(uri: "/dry-runs/\(id)", method: .get, headers: browser.headers)
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains("would fix 12 rows &lt;script&gt;") && !html.contains("<script>alert"))
            #expect(html.contains("id=\"exit-status\">4<"))
            #expect(try await client.execute(uri: "/dry-runs/999", method: .get, headers: browser.headers).status == .notFound)
        }
    }

    @Test
    func aScriptWaitingForItsDryRunCanBeLetRunByAnOperatorWithAReason() async throws {
        let harness = try OperatorHarness()
        let pipeline = try await harness.record(1)[0]
        _ = try await harness.store.runToSuccessForTests(.process)
        let execute = try #require(try await harness.store.claimNext(owner: "w", kinds: [.execute], leaseDuration: .seconds(60)))
        guard case .wait(let reason) = DryRunRequirement.decide(
            required: true, blob: String(repeating: "2", count: 40), scriptPath: "jobs/script-0.sh", successfulDryRun: nil, overriddenBy: nil)
        else { Issue.record("no dry run: it must wait"); return }
        _ = try await harness.store.deferStage(execute.lease, until: harness.clock.now().addingTimeInterval(60), reason: reason, feedbackIfBegan: [])
        try await harness.app().test(.router) { client in
            let browser = try await OperatorHarness.signIn(client)
            let page = String(buffer: try await client.execute(uri: "/pipelines/\(pipeline.rawValue)", method: .get, headers: browser.headers).body)
            #expect(page.contains("id=\"override-dry-run-form\""))
            let formType: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: browser.cookie]
            let uri = "/pipelines/\(pipeline.rawValue)/override-dry-run"
            let forged = try await client.execute(uri: uri, method: .post, headers: formType, body: OperatorHarness.form(["reason": "x"]))
            #expect(forged.status == .forbidden)
            let noReason = try await client.execute(uri: uri, method: .post, headers: formType, body: OperatorHarness.form(["csrf": browser.csrf]))
            #expect(noReason.status != .seeOther)
            #expect(try await harness.store.pipeline(pipeline)?.operatorActions.isEmpty == true)
            let done = try await client.execute(
                uri: uri, method: .post, headers: formType, body: OperatorHarness.form(["csrf": browser.csrf, "reason": "reviewed live"]))
            #expect(done.status == .seeOther && done.headers[.location] == "/pipelines/\(pipeline.rawValue)?done=dry-run-overridden")
        }
        let actions = try #require(try await harness.store.pipeline(pipeline)?.operatorActions)
        #expect(actions.map(\.kind) == [.overrideDryRun] && actions.first?.operatorName == "alice" && actions.first?.reason == "reviewed live")
        #expect(try await harness.store.stage(pipeline, .execute)?.runAfter ?? .distantFuture <= harness.clock.now(), "EXECUTE is due at once")
    }
}
