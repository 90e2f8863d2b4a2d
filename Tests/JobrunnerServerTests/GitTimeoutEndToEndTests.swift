import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

/// A git remote that accepts and never answers, or never stops sending, through `jobrunner
/// serve`: the fetch gives up as a transient failure and the repository is free again.
@Suite("Git operations are bounded")
struct GitTimeoutEndToEndTests {
    @Test(arguments: [
        ("silent", "did not answer for 1000 ms (JOBRUNNER_GIT_TIMEOUT)"),
        ("trickle", "deadline of the operation (JOBRUNNER_GIT_DEADLINE)"),
    ])
    func aRemoteThatNeverFinishesFailsTheAttemptAndReleasesTheRepository(mode: String, message: String) async throws {
        let remote = try await LocalHelperProcess.start(script: "stalling-git-server.py", arguments: [mode])
        defer { remote.stop() }
        let directory = try TemporaryDirectory("git-timeout")
        let port = TestPorts.free()
        let serve = try JobrunnerBinary.start(
            ["serve"],
            environment: [
                "JOBRUNNER_WEBHOOK_SECRET": "timeout-secret", "JOBRUNNER_REPOSITORIES": "acme/ops", "JOBRUNNER_HTTP_PORT": "\(port)",
                "JOBRUNNER_GIT_REMOTE": "http://127.0.0.1:\(remote.port)/{repository}.git", "JOBRUNNER_WORKERS": "2",
                "JOBRUNNER_GIT_TIMEOUT": "1s", "JOBRUNNER_GIT_DEADLINE": "3s",
            ],
            directory: directory.path)
        defer { kill(serve.process.processIdentifier, SIGKILL) }
        let first = String(repeating: "a", count: 40)
        let second = String(repeating: "b", count: 40)
        let push = try JobrunnerBinary.push([(first, "jobs/one.sh"), (second, "jobs/two.sh")])
        #expect(try await JobrunnerBinary.pushWebhook(push, port: port, secret: "timeout-secret", delivery: "stall-\(mode)") == 202)

        // Both pipelines' PROCESS tried and failed with why: the first fetch let go of the repository.
        let store = try SQLitePipelineStore(path: directory.file("data/jobrunner.sqlite"))
        try await eventually("both fetches gave up", timeout: .seconds(60)) {
            var failed = 0
            for id in [PipelineID(1), PipelineID(2)] {
                if let error = try await store.stage(id, .process)?.lastError, error.contains(message) { failed += 1 }
            }
            return failed == 2
        }
        let stage = try #require(try await store.stage(PipelineID(1), .process))
        #expect(stage.state == .queued || stage.state == .running, "transient: it will be tried again (\(stage.state))")
        #expect(serve.process.isRunning)
    }
}
