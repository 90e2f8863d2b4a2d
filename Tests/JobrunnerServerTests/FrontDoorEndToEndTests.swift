import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

/// The webhook endpoint under 500 slow uploads (slowloris) through `jobrunner serve`: a valid
/// delivery is still accepted at once, and the slow ones are cut off.
@Suite("The front door")
struct FrontDoorEndToEndTests {
    @Test
    func fiveHundredSlowUploadsNeitherBlockAValidDeliveryNorStayOpen() async throws {
        let git = try GitFixture()
        let commit = try git.commit(["jobs/hello.sh": "echo hello\n"])
        let directory = try TemporaryDirectory("front-door")
        let remote = try JobrunnerBinary.remote(serving: git, in: directory)
        let port = TestPorts.free()
        let serve = try JobrunnerBinary.start(
            ["serve"],
            environment: [
                "JOBRUNNER_WEBHOOK_SECRET": "front-door-secret", "JOBRUNNER_REPOSITORIES": "acme/ops", "JOBRUNNER_HTTP_PORT": "\(port)",
                "JOBRUNNER_GIT_REMOTE": remote, "JOBRUNNER_LOG_LEVEL": "error",
            ],
            directory: directory.path)
        defer { kill(serve.process.processIdentifier, SIGKILL) }
        try await eventually("serve is up", timeout: .seconds(30)) {
            (try? await JobrunnerBinary.pushWebhook(Data("{}".utf8), port: port, secret: "front-door-secret", delivery: "warm-up")) != nil
        }
        let status = directory.file("slow-status")
        let slow = try await LocalHelperProcess.start(script: "slow-uploads.py", arguments: ["\(port)", "500", status])
        defer { slow.stop() }
        #expect(slow.port == 500, "all 500 slow uploads are connected and waiting")

        let push = try JobrunnerBinary.push([(commit, "jobs/hello.sh")])
        let started = ContinuousClock.now
        #expect(try await JobrunnerBinary.pushWebhook(push, port: port, secret: "front-door-secret", delivery: "valid-1") == 202)
        #expect(ContinuousClock.now - started < .seconds(5), "answered while 500 uploads crawl")
        let store = try SQLitePipelineStore(path: directory.file("data/jobrunner.sqlite"))
        #expect(try await store.pipeline(PipelineID(1)) != nil, "durable")

        // Each slow upload gets 408 (or is closed) once its body is late.
        try await eventually("every slow upload was cut off", timeout: .seconds(60)) {
            Int((try? String(contentsOfFile: status, encoding: .utf8))?.split(separator: " ").first ?? "") == 500
        }
        #expect(serve.process.isRunning)
        #expect(try await store.delivery(DeliveryID("slow-0")) == nil, "none of them created anything")
    }

    @Test
    func bodiesBeingReadAtOnceAreBoundedInBytesAndBeyondThemA503SaysTryAgain() async throws {
        let directory = try TemporaryDirectory("body-budget")
        let port = TestPorts.free()
        let serve = try JobrunnerBinary.start(
            ["serve"],
            environment: [
                "JOBRUNNER_WEBHOOK_SECRET": "body-budget-secret", "JOBRUNNER_REPOSITORIES": "acme/ops", "JOBRUNNER_HTTP_PORT": "\(port)",
                "JOBRUNNER_GIT_REMOTE": directory.file("none") + "/{repository}.git", "JOBRUNNER_LOG_LEVEL": "error",
                // Bodies up to 64 KiB, so 256 KiB may be in flight at once.
                "JOBRUNNER_WEBHOOK_MAX_BODY_SIZE": "64KiB",
            ],
            directory: directory.path)
        defer { kill(serve.process.processIdentifier, SIGKILL) }
        try await eventually("serve is up", timeout: .seconds(30)) {
            (try? await JobrunnerBinary.pushWebhook(Data("{}".utf8), port: port, secret: "body-budget-secret", delivery: "warm-up")) != nil
        }
        // Six uploads send 60 KiB at once and then crawl: four fit, the others are told to retry.
        let status = directory.file("status")
        let uploads = try await LocalHelperProcess.start(script: "slow-uploads.py", arguments: ["\(port)", "6", status, "61440"])
        defer { uploads.stop() }
        try await eventually("two uploads were refused with 503", timeout: .seconds(8)) {
            let fields = ((try? String(contentsOfFile: status, encoding: .utf8)) ?? "").split(separator: " ").dropFirst()
            return fields.filter { $0 == "503" }.count == 2
        }
    }
}
