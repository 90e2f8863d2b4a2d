import Foundation
import Hummingbird
import HummingbirdTesting
import JobrunnerCore
import JobrunnerStages
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Scripts run in the application's context — its code at the commit, its installed packages,
/// its settings, its release — through `jobrunner serve` and `jobrunner run`, with real git,
/// esbuild, node and python.
@Suite("Scripts in the application's context")
struct ApplicationContextTests {
    static let token = "operator-token-0123456789"

    /// `jobrunner serve` on a free port with these settings; the repository acme/app is read
    /// in place (libgit2) unless the settings say otherwise.
    static func serve(
        _ app: ApplicationFixture, _ settings: [String: String], directory: TemporaryDirectory
    ) throws -> (process: Process, port: Int) {
        let remotes = directory.file("remotes")
        try FileManager.default.createDirectory(atPath: remotes + "/acme", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: remotes + "/acme/app.git", withDestinationPath: app.git.bare)
        let port = TestPorts.free()
        let environment = [
            "JOBRUNNER_WEBHOOK_SECRET": "app-context-secret", "JOBRUNNER_REPOSITORIES": "acme/app",
            "JOBRUNNER_HTTP_PORT": "\(port)", "JOBRUNNER_WORKERS": "2", "JOBRUNNER_GIT_REMOTE": remotes + "/{repository}.git",
            "JOBRUNNER_DASHBOARD_TOKEN": "ops:\(token)", "JOBRUNNER_LOG_LEVEL": "warning",
        ].merging(settings) { $1 }
        let process = try JobrunnerBinary.start(["serve"], environment: environment, directory: directory.path).process
        return (process, port)
    }

    /// `GET /api/v1/pipelines/ID` as an operator.
    static func pipeline(_ id: Int, port: Int) async throws -> [String: Any]? {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/pipelines/\(id)")!)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        guard let (data, response) = try? await URLSession.shared.data(for: request),
            (response as? HTTPURLResponse)?.statusCode == 200
        else { return nil }
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["pipeline"] as? [String: Any]
    }

    static func stage(_ pipeline: [String: Any]?, _ kind: String) -> [String: Any]? {
        (pipeline?["stages"] as? [[String: Any]])?.first { $0["kind"] as? String == kind }
    }

    @Test(arguments: ["libgit2", "github-api"])
    func aScriptImportingTheApplicationsModuleAndPackageRunsInItsDirectory(backend: String) async throws {
        let app = try ApplicationFixture()
        let commit = try app.git.commit(["jobs/rename-key.ts": ApplicationFixture.script], message: "Add rename-key (#9)")
        let directory = try TemporaryDirectory("app-e2e")
        var settings = [
            "JOBRUNNER_APP_DIR": app.appDirectory.path, "JOBRUNNER_SCRIPT_ENV_FILE": app.appDirectory.file("app.env"),
        ]
        var github: GitHubAPIStandIn?
        if backend == "github-api" {
            let standIn = try await GitHubAPIStandIn.start(
                ["repositories": ["acme/app": app.git.bare], "tokens": ["ghs_app"]], in: directory)
            github = standIn
            settings["JOBRUNNER_GIT_BACKEND"] = "github-api"
            settings["JOBRUNNER_GITHUB_API_URL"] = standIn.baseURL
            settings["JOBRUNNER_GITHUB_TOKEN"] = "ghs_app"
        }
        defer { github?.stop() }
        let (process, port) = try Self.serve(app, settings, directory: directory)
        defer { kill(process.processIdentifier, SIGTERM) }
        let body = try ApplicationFixture.push(
            before: app.base, commits: [(commit, "Add rename-key (#9)", ["jobs/rename-key.ts"])])
        #expect(try await JobrunnerBinary.pushWebhook(body, port: port, secret: "app-context-secret", delivery: "a-1") == 202)

        let store = try SQLitePipelineStore(path: directory.file("data/jobrunner.sqlite"))
        let id = PipelineID(1)
        try await eventually("the log is committed", timeout: .seconds(90)) {
            let stages = try await store.pipeline(id)?.summary.stages ?? []
            if let failed = stages.first(where: { $0.state == .failed }) {
                Issue.record("\(failed.kind) failed: \(failed.lastError ?? "")")
                return true
            }
            return stages.first { $0.kind == .cleanup }?.state == .succeeded
        }
        let execution = try #require(try await store.executions(for: id).first)
        let stdout = String(decoding: execution.stdout, as: UTF8.self)
        let appDirectory = URL(fileURLWithPath: app.appDirectory.path).resolvingSymlinksInPath().path
        #expect(execution.outcome == .succeeded, "\(String(decoding: execution.stderr, as: UTF8.self))")
        #expect(stdout.contains("renamed users.email to users.mail (\(ApplicationFixture.moduleMarker))"), "the repository's module")
        #expect(stdout.contains("driver connected to postgres://app:***@db.internal:5432/app"), "the installed package")
        #expect(stdout.contains("environment=production batch=500 greeting=hello from the app"), "aliases, imports and settings")
        #expect(stdout.contains("api key=*** cwd=\(appDirectory)"), "\(stdout)")
        for secret in ["pa55-w0rd-xyz", "sk_live_0123456789"] { #expect(!stdout.contains(secret)) }

        // The artifact holds the code at the commit, not the package.
        let artifact = try #require(try await store.artifact(for: id))
        let bundled = String(decoding: artifact.content, as: UTF8.self)
        #expect(bundled.contains(ApplicationFixture.moduleMarker))
        #expect(bundled.contains("from \"mongodb\""))
        #expect(!bundled.contains(ApplicationFixture.packageMarker))

        // The run and the committed log say where it ran.
        let lockfile = try Data(contentsOf: URL(fileURLWithPath: app.appDirectory.file("package-lock.json")))
        #expect(execution.application?.lockfile == "package-lock.json")
        #expect(execution.application?.lockfileDigest == ScriptBuilder.sha256([UInt8](lockfile)))
        let pipeline = try #require(try await store.pipeline(id)).summary.pipeline
        let log = try GitFixture.git(
            ["--git-dir", app.git.bare, "show", "main:" + ExecutionLogPath.path(for: pipeline, logsDirectory: "jobrunner-logs")],
            in: directory.path)
        #expect(log.contains("app_dir: \"\(app.appDirectory.path)\""))
        #expect(log.contains("app_lockfile: \"package-lock.json\""))
        #expect(log.contains("renamed users.email to users.mail"))
        for secret in ["pa55-w0rd-xyz", "sk_live_0123456789"] { #expect(!log.contains(secret)) }

        if let github {
            // The tree came in one archive, not file by file.
            let requests = try await github.requests()
            #expect(requests.contains { $0.method == "GET" && $0.path == "/repos/acme/app/tarball/\(commit)" })
            #expect(requests.filter { $0.method == "GET" && $0.path.hasPrefix("/repos/acme/app/git/blobs/") }.count <= 1)
        }
    }

    @Test
    func executeWaitsForTheDeployOfItsCommitInRepositoryOrderAndRunsOnceItIsThere() async throws {
        let app = try ApplicationFixture()
        let journals = try TemporaryDirectory("journal")
        let journal = journals.file("ran")
        let first = try app.git.commit(["jobs/first.sh": "echo first >> \(journal)\n"], message: "first (#1)")
        let second = try app.git.commit(["jobs/second.sh": "echo second >> \(journal)\n"], message: "second (#2)")
        // A release cut from elsewhere: it does not contain the scripts' commits.
        try GitFixture.git(["checkout", "--quiet", "-b", "hotfix", app.base], in: app.git.work)
        let unrelated = try app.git.commit(["HOTFIX": "1\n"], message: "hotfix")
        let directory = try TemporaryDirectory("gate")
        let revision = directory.file("REVISION")
        try (app.base + "\n").write(toFile: revision, atomically: true, encoding: .utf8)
        let (process, port) = try Self.serve(
            app,
            [
                "JOBRUNNER_APP_REVISION": "file:" + revision, "JOBRUNNER_DEPLOY_WAIT": "10m",
                // The journal is a host directory the scripts write: shared into their sandbox.
                "JOBRUNNER_SCRIPT_SHARED_DIRS": journals.path,
            ], directory: directory)
        defer { kill(process.processIdentifier, SIGTERM) }
        let body = try ApplicationFixture.push(
            before: app.base, commits: [(first, "first (#1)", ["jobs/first.sh"]), (second, "second (#2)", ["jobs/second.sh"])])
        #expect(try await JobrunnerBinary.pushWebhook(body, port: port, secret: "app-context-secret", delivery: "g-1") == 202)

        // Waiting, with the reason in the API; the later pipeline of the repository waits behind it.
        let waiting = "waiting for the deploy of \(first.prefix(7)); the application runs \(app.base.prefix(7))"
        try await eventually("EXECUTE waits with its reason", timeout: .seconds(60)) {
            Self.stage(try await Self.pipeline(1, port: port), "execute")?["wait_reason"] as? String == waiting
        }
        try await eventually("the second pipeline is built", timeout: .seconds(60)) {
            Self.stage(try await Self.pipeline(2, port: port), "execute")?["state"] as? String == "queued"
        }
        #expect(Self.stage(try await Self.pipeline(2, port: port), "execute")?["wait_reason"] == nil, "behind the first, not checked")
        let shown = try await JobrunnerBinary.run(
            ["show", "1"], environment: ["JOBRUNNER_DATA_DIR": directory.file("data")], directory: directory.path)
        #expect(shown.stdout.contains(waiting), "jobrunner show says why")

        // A release that does not contain the commit keeps it waiting.
        try (unrelated + "\n").write(toFile: revision, atomically: true, encoding: .utf8)
        try await eventually("the reason names the new release", timeout: .seconds(30)) {
            (Self.stage(try await Self.pipeline(1, port: port), "execute")?["wait_reason"] as? String)?
                .contains("the application runs \(unrelated.prefix(7))") == true
        }
        #expect(!FileManager.default.fileExists(atPath: journal), "nothing ran before its deploy")

        // The deploy of both commits lets both run, in order, within seconds.
        try (second + "\n").write(toFile: revision, atomically: true, encoding: .utf8)
        try await eventually("both ran", timeout: .seconds(30)) {
            (try? String(contentsOfFile: journal, encoding: .utf8)) == "first\nsecond\n"
        }
        let store = try SQLitePipelineStore(path: directory.file("data/jobrunner.sqlite"))
        try await eventually("both logs are committed", timeout: .seconds(30)) {
            try await store.stage(PipelineID(2), .cleanup)?.state == .succeeded
        }
        for id in [PipelineID(1), PipelineID(2)] {
            #expect(try await store.executions(for: id).count == 1)
            #expect(try await store.executions(for: id).first?.application == nil, "no APP_DIR here")
            #expect(try await store.stage(id, .execute)?.waitReason == nil)
        }
        let attempts = try #require(try await store.pipeline(PipelineID(1))).attempts.filter { $0.kind == .execute }
        #expect(attempts.count == 1, "the checks before the deploy are not attempts")
    }

    @Test
    func theRevisionCanComeFromAnHTTPEndpointAndAnUnreadableOneMeansWaiting() async throws {
        let app = try ApplicationFixture()
        let journals = try TemporaryDirectory("journal")
        let journal = journals.file("ran")
        let commit = try app.git.commit(["jobs/only.sh": "echo ran >> \(journal)\n"], message: "only (#3)")
        let answer = Locked<(status: HTTPResponse.Status, body: String)>((.serviceUnavailable, "starting"))
        let router = Router()
        router.get("/version") { _, _ -> Response in
            let (status, body) = answer.value
            return Response(status: status, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0))).test(.live) { client in
            let directory = try TemporaryDirectory("gate-http")
            let url = "http://127.0.0.1:\(try #require(client.port))/version"
            let (process, port) = try Self.serve(
                app, ["JOBRUNNER_APP_REVISION": url, "JOBRUNNER_SCRIPT_SHARED_DIRS": journals.path], directory: directory)
            defer { kill(process.processIdentifier, SIGTERM) }
            let body = try ApplicationFixture.push(before: app.base, commits: [(commit, "only (#3)", ["jobs/only.sh"])])
            #expect(try await JobrunnerBinary.pushWebhook(body, port: port, secret: "app-context-secret", delivery: "h-1") == 202)
            try await eventually("waiting: the revision cannot be read", timeout: .seconds(60)) {
                (Self.stage(try await Self.pipeline(1, port: port), "execute")?["wait_reason"] as? String)?
                    .contains("cannot be read from \(url): it answered 503") == true
            }
            answer.withLock { $0 = (.ok, #"{"version": "2026.11.29", "commit": "\#(commit)"}"#) }
            do {
                try await eventually("it ran", timeout: .seconds(30)) { FileManager.default.fileExists(atPath: journal) }
            } catch {
                Issue.record("pipeline: \(String(describing: try await Self.pipeline(1, port: port)))")
                kill(process.processIdentifier, SIGTERM)
                throw error
            }
            let store = try SQLitePipelineStore(path: directory.file("data/jobrunner.sqlite"))
            try await eventually("the log is committed", timeout: .seconds(30)) {
                try await store.stage(PipelineID(1), .cleanup)?.state == .succeeded
            }
        }
    }

    @Test
    func pastTheDeployWaitExecuteFailsAndTheScriptNeverRan() async throws {
        let app = try ApplicationFixture()
        let journals = try TemporaryDirectory("journal")
        let journal = journals.file("ran")
        let commit = try app.git.commit(["jobs/late.sh": "echo ran >> \(journal)\n"], message: "late (#4)")
        let directory = try TemporaryDirectory("gate-expiry")
        let revision = directory.file("REVISION")
        try app.base.write(toFile: revision, atomically: true, encoding: .utf8)
        let (process, port) = try Self.serve(
            app,
            ["JOBRUNNER_APP_REVISION": "file:" + revision, "JOBRUNNER_DEPLOY_WAIT": "3s", "JOBRUNNER_SCRIPT_SHARED_DIRS": journals.path],
            directory: directory)
        defer { kill(process.processIdentifier, SIGTERM) }
        let body = try ApplicationFixture.push(before: app.base, commits: [(commit, "late (#4)", ["jobs/late.sh"])])
        #expect(try await JobrunnerBinary.pushWebhook(body, port: port, secret: "app-context-secret", delivery: "e-1") == 202)
        let store = try SQLitePipelineStore(path: directory.file("data/jobrunner.sqlite"))
        try await eventually("EXECUTE failed", timeout: .seconds(60)) {
            try await store.stage(PipelineID(1), .execute)?.state == .failed
        }
        let execute = try #require(try await store.stage(PipelineID(1), .execute))
        #expect(execute.lastError?.contains("did not run a release containing \(commit.prefix(7)) within 3s") == true)
        #expect(execute.lastError?.contains("the script never started") == true)
        #expect(try await store.executions(for: PipelineID(1)).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: journal))
    }

    @Test
    func runFromACheckoutUsesItsModulesAndNodeModulesAndTranspileMatchesProcess() async throws {
        let app = try ApplicationFixture()
        let commit = try app.git.commit(
            ["jobs/rename-key.ts": ApplicationFixture.script, ".gitignore": "node_modules/\n"], message: "Add rename-key")
        // An engineer's checkout after `npm ci`.
        try FileManager.default.copyItem(
            atPath: app.appDirectory.file("node_modules"), toPath: app.git.work + "/node_modules")
        let run = try await JobrunnerBinary.run(
            ["run", "jobs/rename-key.ts"], environment: ["JOBRUNNER_SCRIPT_ENV_FILE": app.appDirectory.file("app.env")],
            directory: app.git.work)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("renamed users.email to users.mail (\(ApplicationFixture.moduleMarker))"))
        #expect(run.stdout.contains("driver connected to postgres://app:***@db.internal:5432/app"))
        #expect(run.stdout.contains("environment=production batch=500"))
        #expect(run.stdout.contains("app_dir: \""), "the log it would commit names the application directory")

        // `transpile` in the checkout gives PROCESS's artifact, byte for byte.
        let transpiled = try await JobrunnerBinary.run(["transpile", "jobs/rename-key.ts"], directory: app.git.work)
        #expect(transpiled.status == 0, "\(transpiled.stderr)")
        let source = try await GitRepositoryReader { _ in app.git.bare }.read(
            repository: Fixtures.repository("acme/app"), commit: commit, path: "jobs/rename-key.ts",
            scope: SourceScopePolicy.test.scope(for: Toolchain.forPath("jobs/rename-key.ts")))
        let processed = try await ScriptBuilder(scratchDirectory: try TemporaryDirectory("process").path).build(source)
        #expect(transpiled.stdout == String(decoding: processed.content, as: UTF8.self))
        #expect(transpiled.stderr.contains(processed.digest))
    }

    @Test
    func aPythonScriptUsesTheApplicationsVirtualenvAndModules() async throws {
        let git = try GitFixture()
        try git.commit([
            "shop/__init__.py": "",
            "shop/models.py": "def total():\n    return 42\n",
            "jobs/recount.py": """
                import sys
                import acme_billing
                from shop.models import total
                print(f"python={sys.executable} billing={acme_billing.VERSION} total={total()}")

                """,
            ".gitignore": ".venv/\n",
        ])
        let venv = git.work + "/.venv"
        let made = try runToCompletion(["python3", "-m", "venv", "--without-pip", venv], in: git.work)
        #expect(made.status == 0, "\(String(decoding: made.stderr, as: UTF8.self))")
        let library = try #require(
            try FileManager.default.contentsOfDirectory(atPath: venv + "/lib").first { $0.hasPrefix("python") })
        let package = venv + "/lib/" + library + "/site-packages/acme_billing"
        try FileManager.default.createDirectory(atPath: package, withIntermediateDirectories: true)
        try "VERSION = \"1.2.3\"\n".write(toFile: package + "/__init__.py", atomically: true, encoding: .utf8)
        let run = try await JobrunnerBinary.run(["run", "jobs/recount.py"], directory: git.work)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("python=\(venv)/bin/python billing=1.2.3 total=42"), "\(run.stdout)")
    }
}

@Suite("The deploy gate's reason on the dashboard")
struct DeployWaitDashboardTests {
    @Test
    func thePipelineListAndPageSayWhyAScriptWaits() async throws {
        let harness = try OperatorHarness()
        let id = try await harness.record(1)[0]
        _ = try await harness.store.runToSuccess(.process)
        let claimed = try #require(try await harness.store.claimNext(owner: "w", kinds: [.execute], leaseDuration: .seconds(30)))
        let reason = "waiting for the deploy of 1a2b3c4; the application runs 9f8e7d6"
        #expect(try await harness.store.deferStage(claimed.lease, until: harness.clock.now().addingTimeInterval(5), reason: reason))
        #expect(try await !harness.store.deferStage(
            try #require(try await harness.store.claimNext(owner: "w", kinds: [.execute], leaseDuration: .seconds(30), at: 6, clock: harness.clock)).lease,
            until: harness.clock.now().addingTimeInterval(10), reason: reason), "already waiting")
        try await harness.app().test(.router) { client in
            let browser = try await OperatorHarness.signIn(client)
            for path in ["/", "/pipelines/\(id.rawValue)"] {
                let page = String(buffer: try await client.execute(uri: path, method: .get, headers: browser.headers).body)
                #expect(page.contains(reason), "\(path)")
            }
        }
    }
}

extension PipelineStore {
    /// Claims after moving `clock` on by `seconds` (past a deferral's `run_after`).
    func claimNext(owner: String, kinds: Set<StageKind>, leaseDuration: Duration, at seconds: Int, clock: ManualClock) async throws
        -> ClaimedStage?
    {
        clock.advance(by: .seconds(seconds))
        return try await claimNext(owner: owner, kinds: kinds, leaseDuration: leaseDuration)
    }

    @discardableResult
    func runToSuccess(_ kind: StageKind) async throws -> ClaimedStage {
        let claimed = try #require(try await claimNext(owner: "w", kinds: [kind], leaseDuration: .seconds(30)))
        try await complete(claimed.lease, summary: nil)
        return claimed
    }
}
