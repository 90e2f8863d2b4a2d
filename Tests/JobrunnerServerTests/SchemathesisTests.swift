import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

/// schemathesis (PyPI), a third-party OpenAPI fuzzer, against `jobrunner serve` with every check:
/// no 5xx, every answer's status, headers and body as docs/openapi.yaml documents them, invalid
/// input refused, valid input accepted, unsupported methods refused with `Allow`, no route that
/// works without the token. The test command installs it (`JOBRUNNER_TEST_SCHEMATHESIS`).
@Suite("The API against its OpenAPI document, fuzzed")
struct SchemathesisTests {
    static let executable = ProcessInfo.processInfo.environment["JOBRUNNER_TEST_SCHEMATHESIS"]

    @Test
    func everySchemathesisCheckPassesAgainstServe() async throws {
        guard let executable = Self.executable else {
            // The test command always installs it; only a bare `swift test` gets here.
            #expect(ProcessInfo.processInfo.environment["JOBRUNNER_TEST_REQUIRE_POSTGRES"] == nil, "scripts/test sets JOBRUNNER_TEST_SCHEMATHESIS")
            return
        }
        // Pipelines to act on: one built and run, one whose PROCESS failed for good (retryable).
        let git = try GitFixture()
        let good = try git.commit(["jobs/hello.sh": "echo hello\n"])
        let broken = try git.commit(["jobs/broken.sh": "if then fi (\n"])
        let directory = try TemporaryDirectory("schemathesis")
        let token = "fuzz-" + UUID().uuidString
        let port = TestPorts.free()
        let environment = [
            "JOBRUNNER_WEBHOOK_SECRET": "fuzz-webhook-secret", "JOBRUNNER_REPOSITORIES": "acme/ops", "JOBRUNNER_HTTP_PORT": "\(port)",
            "JOBRUNNER_GIT_REMOTE": try JobrunnerBinary.remote(serving: git, in: directory), "JOBRUNNER_DASHBOARD_TOKEN": "fuzz:\(token)",
            "JOBRUNNER_SCRIPT_ISOLATION": "none",
        ]
        let serve = try JobrunnerBinary.start(["serve"], environment: environment, directory: directory.path).process
        defer { kill(serve.processIdentifier, SIGTERM) }
        let push = try JobrunnerBinary.push([(good, "jobs/hello.sh"), (broken, "jobs/broken.sh")])
        #expect(try await JobrunnerBinary.pushWebhook(push, port: port, secret: "fuzz-webhook-secret", delivery: "fuzz-1") == 202)
        let store = try SQLitePipelineStore(path: directory.file("data/jobrunner.sqlite"))
        for _ in 0..<600 {
            let statuses = try await [PipelineID(1), PipelineID(2)].asyncMap { try await store.pipeline($0)?.summary.status }
            if statuses.allSatisfy({ $0?.isAtRest == true }) { break }
            try await Task.sleep(for: .milliseconds(50))
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--config-file", DeploymentFilesTests.root.appendingPathComponent("Tests/Support/schemathesis.toml").path,
            "run", DeploymentFilesTests.root.appendingPathComponent("docs/openapi.yaml").path, "--url", "http://127.0.0.1:\(port)",
            "--checks", "all", "-H", "Authorization: Bearer \(token)", "--max-examples", "40", "--workers", "1",
            "--request-timeout", "20", "--no-color",
        ]
        process.currentDirectoryURL = URL(fileURLWithPath: directory.path)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = try await onDedicatedThread {
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        #expect(process.terminationStatus == 0, "schemathesis found problems:\n\(text.suffix(6000))")
        #expect(text.contains("Selected: 8/8") && text.contains("passed"), "every operation was tested:\n\(text.suffix(2000))")
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
