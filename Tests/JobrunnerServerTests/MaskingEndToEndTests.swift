import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

/// A secret that turns up in an error — here a build error quoting the script's line — is masked
/// in the stored error, in what is sent out (callbacks) and in the server's own log.
@Suite("Masking beyond the output")
struct MaskingEndToEndTests {
    @Test
    func aSecretInABuildErrorIsMaskedInTheStoredErrorTheCallbackAndTheServerLog() async throws {
        let secret = "sk_live_" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let git = try GitFixture()
        let commit = try git.commit(["jobs/broken.ts": "const key: string = \"\(secret)\" +;\n"])
        let directory = try TemporaryDirectory("masking")
        let remote = try JobrunnerBinary.remote(serving: git, in: directory)
        let receiver = try await GitHubAPIStandIn.start(["repositories": [String: String]()], in: directory)
        defer { receiver.stop() }
        let port = TestPorts.free()
        let serve = try JobrunnerBinary.start(
            ["serve"],
            environment: [
                "JOBRUNNER_WEBHOOK_SECRET": "masking-webhook-secret", "JOBRUNNER_REPOSITORIES": "acme/ops",
                "JOBRUNNER_HTTP_PORT": "\(port)", "JOBRUNNER_GIT_REMOTE": remote,
                "JOBRUNNER_SECRETS": "STRIPE_KEY", "STRIPE_KEY": secret,
                "JOBRUNNER_CALLBACK_URLS": receiver.baseURL + "/callbacks/ops", "JOBRUNNER_CALLBACK_SECRET": "callback-secret-value",
            ],
            directory: directory.path)
        defer { kill(serve.process.processIdentifier, SIGKILL) }
        let push = try JobrunnerBinary.push([(commit, "jobs/broken.ts")])
        #expect(try await JobrunnerBinary.pushWebhook(push, port: port, secret: "masking-webhook-secret", delivery: "m-1") == 202)
        let store = try SQLitePipelineStore(path: directory.file("data/jobrunner.sqlite"))
        try await eventually("PROCESS failed and the callback went out", timeout: .seconds(60)) {
            let failed = try await store.stage(PipelineID(1), .process)?.state == .failed
            let called = try await receiver.requests().contains { $0.path == "/callbacks/ops" }
            return failed && called
        }
        let error = try #require(try await store.stage(PipelineID(1), .process)?.lastError)
        #expect(error.contains("***"), "the build error quoted the line: \(error)")
        kill(serve.process.processIdentifier, SIGTERM)
        let log = try await serve.stderr.value
        let callbacks = try await receiver.requests().filter { $0.path == "/callbacks/ops" }.map { String(decoding: $0.body, as: UTF8.self) }
        let database = String(decoding: try Data(contentsOf: URL(fileURLWithPath: directory.file("data/jobrunner.sqlite"))), as: UTF8.self)
        for (place, text) in [("stored error", error), ("server log", log), ("database", database)] + callbacks.map({ ("callback", $0) }) {
            for form in SecretEncodings.forms(of: Array(secret.utf8)) + [Array(secret.utf8)] {
                #expect(!Array(text.utf8).contains(form), "the secret is in the \(place)")
            }
        }
        #expect(log.contains("stage failed"), "the failure was logged (masked)")
    }
}
