import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

/// `jobrunner serve` with `JOBRUNNER_RUNNER=kubernetes` against the API-server stand-in: a merged
/// script runs as a Job in the application's image; the service is killed (or shut down) while it
/// runs, and the restarted service re-attaches to the same Job — the script runs once, and its
/// whole output and outcome reach the committed log.
@Suite("Kubernetes runner end to end")
struct KubernetesEndToEndTests {
    @Test(arguments: [SIGKILL, SIGTERM])
    func theServiceStopsMidRunAndTheRestartedOneReattachesToTheSameJob(signal: Int32) async throws {
        let directory = try TemporaryDirectory("k8s-e2e")
        let git = try GitFixture()
        let standIn = try await KubernetesStandIn.start(in: directory)
        defer { standIn.stop() }
        let app = directory.file("app")
        try FileManager.default.createDirectory(atPath: app, withIntermediateDirectories: true)
        try "def total(rows):\n    return sum(rows)\n".write(toFile: app + "/billing.py", atomically: true, encoding: .utf8)
        try await standIn.createApplication(workingDir: app)

        let remote = try JobrunnerBinary.remote(serving: git, in: directory)
        let port = TestPorts.free()
        let secret = "k8s-e2e-webhook-secret-0123456789"
        let environment = [
            "JOBRUNNER_WEBHOOK_SECRET": secret, "JOBRUNNER_REPOSITORIES": "acme/ops", "JOBRUNNER_HTTP_PORT": "\(port)",
            "JOBRUNNER_GIT_REMOTE": remote, "JOBRUNNER_WORKERS": "1", "JOBRUNNER_LEASE_DURATION": "4s",
            "JOBRUNNER_RUNNER": "kubernetes", "JOBRUNNER_K8S_KUBECONFIG": try standIn.kubeconfig(in: directory),
            "JOBRUNNER_K8S_DEPLOYMENT": "web/app", "JOBRUNNER_K8S_ENV_FROM": "configmap:extra-config",
            "JOBRUNNER_SECRETS": "EXTRA_SECRET", "EXTRA_SECRET": "hunter2-database-password",
        ]
        var serve = try JobrunnerBinary.start(["serve"], environment: environment, directory: directory.path)
        defer { kill(serve.process.processIdentifier, SIGKILL) }
        let commit = try git.commit([
            "jobs/backfill.py": """
                import time, os, billing
                for i in range(8):
                    print("batch", i, "total", billing.total([i, i]), flush=True)
                    time.sleep(0.5)
                print("password seen:", os.environ.get("DB_PASSWORD"))
                raise SystemExit(4)
                """
        ])
        let push = try JobrunnerBinary.push([(commit, "jobs/backfill.py")])
        let status = try await JobrunnerBinary.pushWebhook(push, port: port, secret: secret, delivery: "k8s-e2e-\(signal)")
        #expect(status == 202)

        let store = try SQLitePipelineStore(path: directory.file("data/jobrunner.sqlite"))
        try await eventually("the Job runs", timeout: .seconds(60)) { try await standIn.runs().count == 1 }
        try await eventually("output arrives", timeout: .seconds(20)) {
            (try await store.executions(for: PipelineID(1)).first?.stdout.count ?? 0) > 0
        }
        // The service goes away while the script runs: killed, or shut down gracefully.
        if signal == SIGKILL {
            kill(serve.process.processIdentifier, SIGKILL)
        } else {
            try await JobrunnerBinary.stop(serve.process, signal: SIGTERM)
            let execute = try #require(try await store.stage(PipelineID(1), .execute))
            #expect(execute.state == .queued, "handed back to be re-attached, not interrupted: \(execute.lastError ?? "")")
        }
        #expect(try await standIn.get("/apis/batch/v1/namespaces/scripts/jobs/jobrunner-1-1") != nil, "the Job goes on")

        serve = try JobrunnerBinary.start(["serve"], environment: environment, directory: directory.path)
        try await eventually("CLEANUP committed the log", timeout: .seconds(90)) {
            try await store.stage(PipelineID(1), .cleanup)?.state == .succeeded
        }
        let runs = try await standIn.runs()
        #expect(runs.count == 1, "the script ran once: \(runs.map(\.pod))")
        #expect(runs.first?.exit_code == 4)
        let executions = try await store.executions(for: PipelineID(1))
        #expect(executions.count == 1)
        let execution = try #require(executions.first)
        #expect(execution.outcome == .failed)
        #expect(execution.exitCode == 4)
        let output = String(decoding: execution.stdout, as: UTF8.self)
        #expect((0..<8).allSatisfy { output.contains("batch \($0) total \($0 * 2)\n") }, "\(output)")
        #expect(output.contains("password seen: ***"), "the service's secrets are masked in the Job's log")
        #expect(execution.application?.kubernetes?.job == "jobrunner-1-1")
        #expect(try await store.stage(PipelineID(1), .execute)?.state == .succeeded)

        let log = try await onDedicatedThread { try runToCompletion(["git", "--git-dir", git.bare, "log", "-p", "--all"], in: directory.path) }
        let committed = String(decoding: log.stdout, as: UTF8.self)
        #expect(committed.contains("runner: \"kubernetes\""))
        #expect(committed.contains("kubernetes_job: \"jobrunner-1-1\""))
        #expect(committed.contains("image: \"registry.example/acme/app:3f2a1c9\""))
        #expect(committed.contains("Kubernetes merges the container's stdout and stderr"))
        #expect(!committed.contains("hunter2-database-password"))
    }
}
