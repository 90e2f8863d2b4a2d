import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobrunnerCore
import JobrunnerGitHub
import JobrunnerServer
import JobrunnerStages
import JobrunnerStore
import JobrunnerTestSupport
import NIOCore
import Testing

/// A script's whole life through the service as `serve` wires it, with signed push webhooks, a
/// real repository and real scripts: a fix pushed after PROCESS failed runs; a change after
/// EXECUTE started runs nothing; an operator discards what will not run and `jobs/` keeps no
/// dead script; scripts left behind show on the dashboard and in `/metrics`.
@Suite("A script's life, end to end", .serialized)
struct ScriptLifecycleEndToEndTests {
    typealias Service = ScriptOutcomeAndProgressTests.Service

    /// Sends a signed push of `commit` that adds and modifies these paths.
    static func push(
        _ client: some TestClientProtocol, delivery: String, before: String, commit: String, added: [String] = [],
        modified: [String] = []
    ) async throws -> [String: Any] {
        let body = try JSONSerialization.data(withJSONObject: [
            "ref": "refs/heads/main", "before": before, "after": commit, "created": false, "deleted": false, "forced": false,
            "commits": [
                [
                    "id": commit, "message": "change", "author": ["name": "Alice", "username": "alice"], "added": added,
                    "removed": [String](), "modified": modified,
                ] as [String: Any]
            ],
            "head_commit": ["id": commit, "message": "change", "author": ["name": "Alice"]],
            "repository": ["full_name": "acme/ops", "default_branch": "main"],
            "pusher": ["name": "alice"], "sender": ["login": "alice"],
        ])
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[HTTPField.Name("X-GitHub-Event")!] = "push"
        headers[HTTPField.Name("X-GitHub-Delivery")!] = delivery
        headers[HTTPField.Name("X-Hub-Signature-256")!] = WebhookVerifier.signature(for: body, secret: "hook-secret")
        let response = try await client.execute(
            uri: "/webhooks/github", method: .post, headers: headers, body: ByteBuffer(bytes: body))
        #expect(response.status == .accepted)
        return try OperatorHarness.json(response)
    }

    static func tree(_ git: GitFixture) throws -> [String] {
        try GitFixture.git(["ls-tree", "-r", "--name-only", "main"], in: git.bare).split(separator: "\n").map(String.init)
    }

    /// The branch tip, or the zero commit while the repository is empty.
    static func head(_ git: GitFixture) throws -> String {
        (try? GitFixture.git(["rev-parse", "main"], in: git.bare).trimmingCharacters(in: .whitespacesAndNewlines))
            ?? PushEvent.zeroCommit
    }

    @Test
    func aFixAfterAFailedProcessRunsAndSupersedesTheBrokenPipeline() async throws {
        let service = try await Service([:])
        try await service.assembly.application().test(.live) { client in
            let base = try Self.head(service.git)
            let broken = try service.git.commit(["jobs/fix-me.sh": "if then fi\n"])
            _ = try await Self.push(client, delivery: "d1", before: base, commit: broken, added: ["jobs/fix-me.sh"])
            try await eventually("PROCESS fails on the syntax error", timeout: .seconds(60)) {
                try await service.store.status(PipelineID(1)) == .failed
            }
            let fixed = try service.git.commit(["jobs/fix-me.sh": "echo fixed content ran\n"])
            let answer = try await Self.push(client, delivery: "d2", before: broken, commit: fixed, modified: ["jobs/fix-me.sh"])
            let created = try #require((answer["pipelines"] as? [[String: Any]])?.first)
            #expect(created["id"] as? Int == 2 && created["created"] as? Bool == true)
            try await eventually("the fix ran and was logged", timeout: .seconds(60)) {
                try await service.store.status(PipelineID(2)) == .succeeded
            }
            let execution = try #require(try await service.store.executions(for: PipelineID(2)).last)
            #expect(String(decoding: execution.stdout, as: UTF8.self) == "fixed content ran\n")
            #expect(try await service.store.executions(for: PipelineID(1)).isEmpty, "the broken content never ran")

            let old = try await ScriptOutcomeAndProgressTests.api(client, "/api/v1/pipelines/1")
            let oldPipeline = try #require(old["pipeline"] as? [String: Any])
            #expect(oldPipeline["status"] as? String == "superseded")
            #expect(oldPipeline["superseded_by"] as? Int == 2)
            let new = try #require(try await ScriptOutcomeAndProgressTests.api(client, "/api/v1/pipelines/2")["pipeline"] as? [String: Any])
            #expect(new["supersedes"] as? Int == 1)
            let browser = try await OperatorHarness.signIn(client)
            let page = String(buffer: try await client.execute(uri: "/pipelines/1", method: .get, headers: browser.headers).body)
            #expect(page.contains("id=\"superseded-by\"") && page.contains("href=\"/pipelines/2\""))
            #expect(!page.contains("id=\"retry-process\""), "the broken content cannot be retried")
            let newPage = String(buffer: try await client.execute(uri: "/pipelines/2", method: .get, headers: browser.headers).body)
            #expect(newPage.contains("id=\"supersedes\"") && newPage.contains("href=\"/pipelines/1\""))
        }
        #expect(try !Self.tree(service.git).contains("jobs/fix-me.sh"), "CLEANUP removed the fixed script")
        let shown = try await JobrunnerBinary.run(
            ["show", "1"], environment: ["JOBRUNNER_DATA_DIR": service.directory.path], directory: service.directory.path)
        #expect(shown.stdout.contains("superseded  by pipeline 2"), "\(shown.stdout)")
    }

    @Test
    func aChangeAfterExecuteStartedRunsNothingAndSaysWhy() async throws {
        let service = try await Service([:])
        try await service.assembly.application().test(.live) { client in
            let base = try Self.head(service.git)
            let first = try service.git.commit(["jobs/once.sh": "echo first run\nsleep 4\n"])
            _ = try await Self.push(client, delivery: "d1", before: base, commit: first, added: ["jobs/once.sh"])
            try await eventually("EXECUTE runs", timeout: .seconds(60)) {
                try await service.store.stage(PipelineID(1), .execute)?.state == .running
            }
            let changed = try service.git.commit(["jobs/once.sh": "echo second run\n"])
            let answer = try await Self.push(client, delivery: "d2", before: first, commit: changed, modified: ["jobs/once.sh"])
            #expect((answer["pipelines"] as? [[String: Any]])?.isEmpty == true)
            let skipped = try #require((answer["skipped"] as? [[String: Any]])?.first)
            #expect(skipped["reason"] as? String == "already executed in pipeline 1 — add a new file to run it again")
            let delivery = try #require(try await service.store.delivery(DeliveryID("d2")))
            #expect(delivery.delivery.outcome == .ignored)
            #expect(delivery.delivery.reason?.contains("already executed in pipeline 1") == true)
            try await eventually("the first run is logged", timeout: .seconds(60)) {
                try await service.store.stage(PipelineID(1), .cleanup)?.state == .succeeded
            }
            #expect(try await service.store.pipelines(PipelineFilter()).count == 1, "nothing else was created")
            #expect(try await service.store.executions(for: PipelineID(1)).count == 1)
        }
    }

    @Test
    func discardingAFailedPipelineThroughTheAPIRemovesTheScriptInOneCommitNamingTheOperator() async throws {
        let service = try await Service([:])
        try await service.assembly.application().test(.live) { client in
            let base = try Self.head(service.git)
            let broken = try service.git.commit(["jobs/dead.sh": "if then fi\n"])
            _ = try await Self.push(client, delivery: "d1", before: base, commit: broken, added: ["jobs/dead.sh"])
            try await eventually("PROCESS fails", timeout: .seconds(60)) {
                try await service.store.status(PipelineID(1)) == .failed
            }
            // No reason: refused, nothing changes.
            let unexplained = try await client.execute(
                uri: "/api/v1/pipelines/1/discard", method: .post, headers: OperatorHarness.bearer(OperatorHarness.aliceToken),
                body: ByteBuffer(string: "{}"))
            #expect(unexplained.status == .unprocessableContent)
            let before = try Self.head(service.git)
            let answer = try await client.execute(
                uri: "/api/v1/pipelines/1/discard", method: .post, headers: OperatorHarness.bearer(OperatorHarness.aliceToken),
                body: ByteBuffer(string: #"{"reason": "the customer table it fixed was dropped"}"#))
            #expect(answer.status == .accepted)
            #expect(try OperatorHarness.json(answer)["outcome"] as? String == "discarded")
            try await eventually("CLEANUP commits the discard", timeout: .seconds(60)) {
                try await service.store.status(PipelineID(1)) == .discarded
            }
            let again = try await client.execute(
                uri: "/api/v1/pipelines/1/discard", method: .post, headers: OperatorHarness.bearer(OperatorHarness.aliceToken),
                body: ByteBuffer(string: #"{"reason": "twice"}"#))
            #expect(again.status == .conflict)
            let commits = try GitFixture.git(["rev-list", "\(before)..main"], in: service.git.bare).split(separator: "\n")
            #expect(commits.count == 1, "one commit removes the script and adds the log")
            let changed = try GitFixture.git(["show", "--name-status", "--format=%s", "main"], in: service.git.bare)
            #expect(changed.contains("D\tjobs/dead.sh"))
            #expect(changed.contains("jobrunner: discarded jobs/dead.sh — discarded-not-run (pipeline 1)"))
            let logPath = try #require(try Self.tree(service.git).first { $0.hasPrefix("jobrunner-logs/") })
            let log = try GitFixture.git(["show", "main:\(logPath)"], in: service.git.bare)
            #expect(log.contains("outcome: discarded-not-run"))
            #expect(log.contains("discarded_by: \"alice\""))
            #expect(log.contains("discard_reason: \"the customer table it fixed was dropped\""))
            #expect(log.contains("the script did not run"))
            #expect(log.contains("syntax error"), "why it stopped: the failed PROCESS")
        }
    }

    @Test
    func anInterruptedRunIsDiscardedInTheBrowserAndItsLogSaysItMayHaveRun() async throws {
        let service = try await Service([:])
        let store = service.store
        // A run whose worker vanished mid-way: EXECUTE started, output captured, lease lost.
        let commit = try service.git.commit(["jobs/half.sh": "echo batch 1 of 2\nsleep 60\n"])
        let id = try await store.recordDelivery(Fixtures.delivery("d1"), pipelines: [Fixtures.pipeline("jobs/half.sh", commit: commit)])
            .pipelines[0].id
        let source = Array("echo batch 1 of 2\nsleep 60\n".utf8)
        let process = try #require(try await store.claimNext(owner: "gone", kinds: [.process], leaseDuration: .seconds(30)))
        try await store.saveArtifact(
            Artifact(
                toolchain: "bash", toolchainVersion: "5", fileName: "half.sh", runCommand: ["bash", "{artifact}"],
                content: source, digest: "d", sourceDigest: "s", buildDuration: .milliseconds(1), isText: true,
                source: source),
            lease: process.lease)
        try await store.complete(process.lease, summary: "built")
        let execute = try #require(try await store.claimNext(owner: "gone", kinds: [.execute], leaseDuration: .seconds(1)))
        let run = try await store.startExecution(lease: execute.lease)
        try await store.appendOutput(execution: run, stdout: Array("batch 1 of 2\n".utf8), stderr: [])
        try await Task.sleep(for: .seconds(2))
        _ = try await store.rescueExpiredLeases()
        #expect(try await store.status(id) == .interrupted)

        try await service.assembly.application().test(.live) { client in
            let site = "http://127.0.0.1:\(try #require(client.port))"
            let browser = try await WebDriverSession.start()
            do {
                try await browser.open("\(site)/login?next=/pipelines/\(id.rawValue)")
                try await browser.type("#token", OperatorHarness.aliceToken)
                try await browser.click("#login button[type=submit]")
                try await eventually("the discard form shows", timeout: .seconds(10)) {
                    try await browser.text("#discard-form")?.contains("may have run") == true
                }
                try await browser.type("#discard-form input[name=reason]", "finished the second batch by hand")
                try await browser.click("#discard-form button[type=submit]")
                try await eventually("the page says it was discarded", timeout: .seconds(10)) {
                    try await browser.text("#discarded")?.contains("alice") == true
                }
                try DashboardBrowserTests.save(try await browser.screenshot(), as: "dashboard-4-discarded.png")
            } catch {
                try? DashboardBrowserTests.save(try await browser.screenshot(), as: "dashboard-discard-failure.png")
                await browser.quit()
                throw error
            }
            await browser.quit()
            try await eventually("CLEANUP commits the discard", timeout: .seconds(60)) {
                try await store.status(id) == .discarded
            }
        }
        #expect(try !Self.tree(service.git).contains("jobs/half.sh"))
        let logPath = try #require(try Self.tree(service.git).first { $0.hasPrefix("jobrunner-logs/") })
        let log = try GitFixture.git(["show", "main:\(logPath)"], in: service.git.bare)
        #expect(log.contains("outcome: discarded-may-have-run"))
        #expect(log.contains("discarded_by: \"alice\""))
        #expect(log.contains("the script may have run"))
        #expect(log.contains("batch 1 of 2"), "the partial output is kept")
        #expect(try await store.pipeline(id)?.operatorActions.map(\.kind) == [.discard])
    }

    @Test
    func scriptsLeftInTheJobsDirectoryAreListedAndCounted() async throws {
        let service = try await Service([:])
        try await service.assembly.application().test(.live) { client in
            let base = try Self.head(service.git)
            // One that fails and stays; one that was there before Jobrunner; one that runs through.
            let commit = try service.git.commit([
                "jobs/broken.sh": "if then fi\n", "jobs/legacy.sh": "echo old\n", "jobs/lib/helper.sh": "echo helper\n",
            ])
            let runs = try service.git.commit(["jobs/runs.sh": "echo runs\n"])
            _ = try await Self.push(client, delivery: "d1", before: base, commit: commit, added: ["jobs/broken.sh"])
            _ = try await Self.push(client, delivery: "d2", before: commit, commit: runs, added: ["jobs/runs.sh"])
            try await eventually("both pipelines come to rest", timeout: .seconds(60)) {
                let first = try await service.store.status(PipelineID(1))
                let second = try await service.store.status(PipelineID(2))
                return first == .failed && second == .succeeded
            }
            let browser = try await OperatorHarness.signIn(client)
            let page = String(buffer: try await client.execute(uri: "/", method: .get, headers: browser.headers).body)
            #expect(page.contains("id=\"overview-orphans\""))
            #expect(page.contains("jobs/broken.sh") && page.contains("jobs/legacy.sh"))
            #expect(!page.contains("acme/ops jobs/runs.sh"), "removed by its CLEANUP")
            #expect(!page.contains("jobs/lib/helper.sh"), "support files are not scripts")
            #expect(page.contains("id=\"overview-attention\"") && page.contains("#1 jobs/broken.sh"))
            #expect(page.contains("id=\"overview-recent\"") && page.contains("#2 jobs/runs.sh"))
            let metrics = String(
                buffer: try await client.execute(
                    uri: "/metrics", method: .get, headers: OperatorHarness.bearer(OperatorHarness.aliceToken)
                ).body)
            #expect(metrics.contains("jobrunner_orphan_scripts{repository=\"acme/ops\"} 2"), "\(metrics)")
        }
    }
}

extension ScriptLifecycleEndToEndTests {
    @Test
    func aReplayedPushAfterRetentionPrunedThePipelineRunsNothing() async throws {
        // Outside the data directory, which scripts never see.
        let shared = try TemporaryDirectory("runs")
        let service = try await Service([:], sharedDirectories: [shared.path])
        let marker = shared.file("runs.txt")
        try await service.assembly.application().test(.live) { client in
            let base = try Self.head(service.git)
            let commit = try service.git.commit(["jobs/once.sh": "echo ran >> \(marker)\n"])
            _ = try await Self.push(client, delivery: "d1", before: base, commit: commit, added: ["jobs/once.sh"])
            try await eventually("it ran and was logged", timeout: .seconds(60)) {
                try await service.store.status(PipelineID(1)) == .succeeded
            }
            // Retention forgets the pipeline and its delivery; then the old push arrives again.
            #expect(try await service.store.prune(finishedBefore: Date().addingTimeInterval(86_400), limit: 100) == 1)
            _ = try await Self.push(client, delivery: "d1", before: base, commit: commit, added: ["jobs/once.sh"])
            let replayed = try #require(try await service.store.pipelines(PipelineFilter()).first)
            try await eventually("PROCESS refuses", timeout: .seconds(60)) {
                try await service.store.status(replayed.pipeline.id) == .failed
            }
            let process = try #require(try await service.store.stage(replayed.pipeline.id, .process))
            #expect(process.lastError?.contains("jobs/once.sh is no longer on main") == true, "\(process.lastError ?? "")")
            #expect(try await service.store.stage(replayed.pipeline.id, .execute) == nil, "it never reaches EXECUTE")
            #expect(try await service.store.executions(for: replayed.pipeline.id).isEmpty)
        }
        #expect(try String(contentsOfFile: marker, encoding: .utf8) == "ran\n", "the script ran once")
    }
}

extension ScriptLifecycleEndToEndTests {
    @Test
    func anOperatorDiscardsFromTheCommandLine() async throws {
        let service = try await Service([:])
        let environment = ["JOBRUNNER_DATA_DIR": service.directory.path]
        try await service.assembly.application().test(.live) { client in
            let base = try Self.head(service.git)
            let broken = try service.git.commit(["jobs/typo.sh": "if then fi\n"])
            _ = try await Self.push(client, delivery: "d1", before: base, commit: broken, added: ["jobs/typo.sh"])
            try await eventually("PROCESS fails", timeout: .seconds(60)) {
                try await service.store.status(PipelineID(1)) == .failed
            }
            let unexplained = try await JobrunnerBinary.run(
                ["discard", "1", "--operator", "carol"], environment: environment, directory: service.directory.path)
            #expect(unexplained.status != 0, "a reason is required")
            let discarded = try await JobrunnerBinary.run(
                ["discard", "1", "--operator", "carol", "--reason", "superseded by hand"], environment: environment,
                directory: service.directory.path)
            #expect(discarded.status == 0, "\(discarded.stderr)")
            #expect(discarded.stdout.contains("discarded pipeline 1"))
            try await eventually("CLEANUP commits the discard", timeout: .seconds(60)) {
                try await service.store.status(PipelineID(1)) == .discarded
            }
            let again = try await JobrunnerBinary.run(
                ["discard", "1", "--operator", "carol", "--reason", "twice"], environment: environment,
                directory: service.directory.path)
            #expect(again.status == 1)
            #expect(again.stderr.contains("already discarded"), "\(again.stderr)")
            let shown = try await JobrunnerBinary.run(["show", "1"], environment: environment, directory: service.directory.path)
            #expect(shown.stdout.contains("discarded   by carol"), "\(shown.stdout)")
            let listed = try await JobrunnerBinary.run(
                ["pipelines", "--status", "discarded"], environment: environment, directory: service.directory.path)
            #expect(listed.stdout.contains("jobs/typo.sh"))
        }
        let log = try GitFixture.git(["log", "-1", "--format=%B", "main"], in: service.git.bare)
        #expect(log.contains("Discarded by carol"))
    }
}
