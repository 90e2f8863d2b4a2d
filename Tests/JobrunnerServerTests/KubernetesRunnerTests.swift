import Foundation
import JobrunnerCore
import JobrunnerKubernetes
import JobrunnerStages
import JobrunnerTestSupport
import Testing

/// `KubernetesScriptRunner` with the real HTTP client against the API-server stand-in, which runs
/// every Job's command as a real local process.
@Suite("Kubernetes runner")
struct KubernetesRunnerTests {
    static let secret = "s3cr3t-kube-value-42"

    /// A Python script's artifact, as PROCESS stores it.
    static func python(_ source: String, timeout: Duration? = nil) -> Artifact {
        Artifact(
            toolchain: "python", toolchainVersion: "3", fileName: "script.py", runCommand: ["{python}", "{artifact}"],
            content: Array(source.utf8), digest: "d", sourceDigest: "s", buildDuration: .zero, isText: true, timeout: timeout,
            source: Array(source.utf8))
    }

    static func facts(_ pipeline: Int64, attempt: Int = 1) -> RunFacts {
        RunFacts(pipelineID: String(pipeline), repository: "acme/ops", commit: String(repeating: "a", count: 40), scriptPath: "jobs/x.py", attempt: attempt)
    }

    struct World {
        let directory: TemporaryDirectory
        let standIn: KubernetesStandIn
        let runner: KubernetesScriptRunner
        let app: String

        /// `restricted`: the namespace enforces the restricted Pod Security Standard; `pod` and
        /// `container`: more of the Deployment's pod template (KubernetesStandIn.createApplication).
        static func make(
            _ name: String, restricted: Bool = false, pod: [String: Any] = [:], container: [String: Any] = [:],
            configure: (inout KubernetesRunnerSettings) -> Void = { _ in }, before: (KubernetesStandIn) async throws -> Void = { _ in }
        ) async throws -> World {
            let directory = try TemporaryDirectory(name)
            let standIn = try await KubernetesStandIn.start(in: directory, restricted: restricted)
            let app = directory.file("app")
            try FileManager.default.createDirectory(atPath: app, withIntermediateDirectories: true)
            try "GREETING = 'hello from the application module'\n".write(toFile: app + "/appmodule.py", atomically: true, encoding: .utf8)
            try await before(standIn)
            try await standIn.createApplication(workingDir: app, pod: pod, container: container)
            var settings = KubernetesRunnerSettings()
            settings.deployment = KubernetesContainerReference(parsing: "web/app")
            settings.environmentSources = [.configMap("extra-config")]
            settings.resources = KubernetesResources(requests: ["cpu": "250m"], limits: ["memory": "512Mi"])
            configure(&settings)
            var runner = KubernetesScriptRunner(
                api: standIn.client, namespace: KubernetesStandIn.namespace, settings: settings,
                masker: SecretMasker(values: [KubernetesRunnerTests.secret]), outputLimit: 1 << 20, defaultTimeout: .seconds(60))
            runner.pollInterval = .milliseconds(100)
            runner.deadlineSlack = .seconds(5)
            return World(directory: directory, standIn: standIn, runner: runner, app: app)
        }

        /// `live` receives the output as it streams, for a test that acts on what the script printed.
        func run(_ artifact: Artifact, _ facts: RunFacts, stop: Bool = false, live: Locked<[UInt8]> = Locked([UInt8]())) async throws
            -> (ScriptRun, String)
        {
            let run = try await runner.execute(artifact, facts: facts, revision: nil, stopRequested: { stop }) { stream, bytes in
                #expect(stream == .stdout, "Kubernetes keeps one log: everything is stdout")
                live.withLock { $0 += bytes }
            }
            return (run, String(decoding: live.value, as: UTF8.self))
        }
    }

    @Test
    func aScriptRunsOnceAsAJobInTheApplicationsImageWithItsEnvironment() async throws {
        let world = try await World.make("k8s-success")
        defer { world.standIn.stop() }
        let (run, live) = try await world.run(
            Self.python("""
                import os, sys, appmodule
                print(appmodule.GREETING)
                print("to stderr", file=sys.stderr)
                for name in ["APP_NAME", "APP_MODE", "EXTRA", "DB_PASSWORD", "JOBRUNNER_PIPELINE_ID", "JOBRUNNER_ATTEMPT", "JOBRUNNER_REPOSITORY", "KUBERNETES_SERVICE_HOST"]:
                    print(name, "=", os.environ.get(name))
                print("cwd", os.getcwd())
                """), Self.facts(41))
        #expect(run.outcome == .succeeded, "\(live)")
        #expect(run.exitCode == 0)
        let output = String(decoding: run.stdout, as: UTF8.self)
        #expect(output == live, "what was streamed is what was kept")
        #expect(output.contains("hello from the application module"), "the application's modules import")
        #expect(output.contains("to stderr"), "stderr is in the one log")
        #expect(output.contains("APP_NAME = acme") && output.contains("APP_MODE = production") && output.contains("EXTRA = from-setting"))
        #expect(output.contains("DB_PASSWORD = hunter2-database-password"), "the Deployment's secret references resolve")
        #expect(output.contains("JOBRUNNER_PIPELINE_ID = 41") && output.contains("JOBRUNNER_ATTEMPT = 1"))
        #expect(output.contains("JOBRUNNER_REPOSITORY = acme/ops"))
        #expect(output.contains("cwd \(world.app)"))
        let facts = try #require(run.application?.kubernetes)
        #expect(facts == KubernetesRunFacts(namespace: "scripts", job: "jobrunner-41-1", image: "registry.example/acme/app:3f2a1c9", reason: "Completed"))
        #expect(run.application?.directory == world.app)

        // The Job as created: at most once, time limit, labels, no API access, resources.
        let job = try #require(try await world.standIn.get("/apis/batch/v1/namespaces/scripts/jobs/jobrunner-41-1"))
        let spec = try #require(job["spec"] as? [String: Any])
        #expect(spec["backoffLimit"] as? Int == 0)
        #expect(spec["activeDeadlineSeconds"] as? Int == 60)
        let template = try #require((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
        #expect(template["restartPolicy"] as? String == "Never")
        #expect(template["serviceAccountName"] as? String == "jobrunner-script")
        #expect(template["automountServiceAccountToken"] as? Bool == false)
        let container = try #require((template["containers"] as? [[String: Any]])?.first)
        #expect(container["image"] as? String == "registry.example/acme/app:3f2a1c9", "the named container's image, not the sidecar's")
        let resources = try #require(container["resources"] as? [String: [String: String]])
        #expect(resources == ["requests": ["cpu": "250m"], "limits": ["memory": "512Mi"]])
        let labels = try #require((job["metadata"] as? [String: Any])?["labels"] as? [String: String])
        #expect(labels["jobrunner.dev/pipeline"] == "41" && labels["jobrunner.dev/attempt"] == "1")
        let runs = try await world.standIn.runs()
        #expect(runs.count == 1)
        #expect(runs.first?.env["KUBERNETES_SERVICE_HOST"] == nil)
    }

    @Test
    func aFailingScriptReportsItsExitCodeAndReason() async throws {
        let world = try await World.make("k8s-failure")
        defer { world.standIn.stop() }
        let (run, _) = try await world.run(Self.python("import sys\nprint('about to fail')\nsys.exit(3)\n"), Self.facts(42))
        #expect(run.outcome == .failed)
        #expect(run.exitCode == 3)
        #expect(run.application?.kubernetes?.reason == "Error")
        #expect(String(decoding: run.stdout, as: UTF8.self).contains("about to fail"))
        #expect(run.summary.contains("exit 3"))
    }

    @Test
    func theTimeLimitIsTheJobsDeadline() async throws {
        let world = try await World.make("k8s-deadline")
        defer { world.standIn.stop() }
        let started = Date()
        let (run, _) = try await world.run(
            Self.python("import time\nprint('started', flush=True)\ntime.sleep(60)\n", timeout: .seconds(2)), Self.facts(43))
        #expect(run.outcome == .timedOut)
        #expect(run.timedOut)
        #expect(run.application?.kubernetes?.reason == "DeadlineExceeded")
        #expect(Date().timeIntervalSince(started) < 30, "ended by the deadline, not by the script")
        let job = try #require(try await world.standIn.get("/apis/batch/v1/namespaces/scripts/jobs/jobrunner-43-1"))
        #expect((job["spec"] as? [String: Any])?["activeDeadlineSeconds"] as? Int == 2)
    }

    @Test
    func aContainerKilledForItsMemoryIsReportedOOMKilled() async throws {
        let world = try await World.make("k8s-oom")
        defer { world.standIn.stop() }
        // The kernel's OOM killer sends SIGKILL; the stand-in reports it as Kubernetes does.
        let (run, _) = try await world.run(Self.python("import os, signal\nprint('allocating', flush=True)\nos.kill(os.getpid(), signal.SIGKILL)\n"), Self.facts(44))
        #expect(run.outcome == .killed)
        #expect(run.exitCode == 137)
        #expect(run.signal == 9)
        #expect(run.application?.kubernetes?.reason == "OOMKilled")
        #expect(run.summary.contains("OOMKilled"))
    }

    @Test
    func anEvictedPodIsReportedEvicted() async throws {
        let world = try await World.make("k8s-evicted")
        defer { world.standIn.stop() }
        let task = Task { try await world.run(Self.python("import time\nprint('working', flush=True)\ntime.sleep(60)\n"), Self.facts(45)) }
        try await eventually("the script runs", timeout: .seconds(20)) { try await world.standIn.runs().count == 1 }
        try await world.standIn.evict(pod: try await world.standIn.runs()[0].pod)
        let (run, _) = try await task.value
        #expect(run.outcome == .killed)
        #expect(run.application?.kubernetes?.reason == "Evicted")
        #expect(run.application?.kubernetes?.message?.contains("low on resource") == true)
    }

    @Test
    func outputIsMaskedAsItStreamsAndAtTheEnd() async throws {
        let world = try await World.make("k8s-masking")
        defer { world.standIn.stop() }
        let encoded = Data(Self.secret.utf8).base64EncodedString()
        let (run, live) = try await world.run(
            Self.python("""
                import sys, time
                secret = "\(Self.secret)"
                print("plain", secret, flush=True)
                sys.stdout.write(secret[:7]); sys.stdout.flush(); time.sleep(0.3); print(secret[7:], flush=True)
                print("encoded \(encoded)")
                """), Self.facts(46))
        let kept = String(decoding: run.stdout, as: UTF8.self)
        for text in [kept, live] {
            #expect(!text.contains(Self.secret), "\(text)")
            #expect(!text.contains(encoded))
            #expect(text.contains("plain ***"))
        }
    }

    @Test
    func anOperatorsStopDeletesTheJobInTheForeground() async throws {
        let world = try await World.make("k8s-cancel")
        defer { world.standIn.stop() }
        let live = Locked([UInt8]())
        let task = Task {
            try await world.run(Self.python("import time\nprint('long work', flush=True)\ntime.sleep(60)\n"), Self.facts(47), stop: true, live: live)
        }
        // Stopped only once its first line has streamed: a stop before it (a slow start) rightly keeps nothing.
        try await eventually("the script printed", timeout: .seconds(30)) { String(decoding: live.value, as: UTF8.self).contains("long work") }
        task.cancel()
        let (run, _) = try await task.value
        #expect(run.outcome == .cancelled)
        #expect(String(decoding: run.stdout, as: UTF8.self).contains("long work"), "the output until the stop is kept")
        #expect(try await world.standIn.get("/apis/batch/v1/namespaces/scripts/jobs/jobrunner-47-1") == nil, "the Job is deleted")
        #expect(try await world.standIn.runs().first?.exit_code == -15, "the container got SIGTERM")
    }

    @Test
    func aWorkerThatGoesAwayLeavesTheJobAndTheNextOneReattachesWithoutRunningItAgain() async throws {
        let world = try await World.make("k8s-reattach")
        defer { world.standIn.stop() }
        let script = Self.python("""
            import time
            for i in range(6):
                print("step", i, flush=True)
                time.sleep(1)
            raise SystemExit(5)
            """)
        // The first worker follows it for a while, then goes away (shutdown, lost lease).
        let followed = Locked([UInt8]())
        let first = Task { try await world.run(script, Self.facts(48), stop: false, live: followed) }
        try await eventually("the first worker follows the script's output", timeout: .seconds(20)) {
            String(decoding: followed.value, as: UTF8.self).contains("step 0\n")
        }
        first.cancel()
        await #expect(throws: ScriptRunDetached.self) { try await first.value }
        #expect(try await world.standIn.get("/apis/batch/v1/namespaces/scripts/jobs/jobrunner-48-1") != nil, "the Job goes on")

        // The next worker finds it by its labels and follows it from its beginning to its end.
        let live = Locked([UInt8]())
        let run = try await world.runner.reattach(script, facts: Self.facts(48), revision: nil, stopRequested: { false }) { _, bytes in
            live.withLock { $0 += bytes }
        }
        #expect(run.outcome == .failed)
        #expect(run.exitCode == 5)
        let output = String(decoding: run.stdout, as: UTF8.self)
        #expect((0..<6).allSatisfy { output.contains("step \($0)\n") }, "\(output)")
        // Starting the same attempt again is refused by the API server (409) and attaches instead.
        let (again, _) = try await world.run(script, Self.facts(48))
        #expect(again.exitCode == 5)
        #expect(try await world.standIn.runs().count == 1, "the script ran once")
    }

    @Test
    func aJobThatCannotBeFoundIsLostNotStarted() async throws {
        let world = try await World.make("k8s-lost")
        defer { world.standIn.stop() }
        await #expect(throws: ScriptRunLost.self) {
            _ = try await world.runner.reattach(Self.python("print(1)"), facts: Self.facts(49), revision: nil, stopRequested: { false }) { _, _ in }
        }
        #expect(try await world.standIn.runs().isEmpty, "re-attaching never starts a script")
    }

    @Test
    func anImageThatCannotBePulledFailsBeforeTheScriptStarts() async throws {
        let world = try await World.make("k8s-image") {
            $0.deployment = nil
            $0.image = "registry.example/does-not-exist:1"
        }
        var runner = world.runner
        runner.startTimeout = .seconds(1)
        await #expect(throws: KubernetesRunnerError.self) {
            _ = try await runner.execute(Self.python("print(1)"), facts: Self.facts(50), revision: nil, stopRequested: { false }) { _, _ in }
        }
        #expect(try await world.standIn.runs().isEmpty)
        #expect(try await world.standIn.get("/apis/batch/v1/namespaces/scripts/jobs/jobrunner-50-1") == nil, "the Job is taken away")
        world.standIn.stop()
    }

    @Test
    func credentialsAreCheckedAndAFileTokenIsReReadWhenItRotates() async throws {
        let world = try await World.make("k8s-auth")
        defer { world.standIn.stop() }
        let client = world.standIn.client
        #expect(try await client.list(.jobs, namespace: "scripts", labelSelector: "a=b").isEmpty)
        // The kubelet rotates the projected token: the stand-in now accepts only the new one.
        try "rotated-\(UUID().uuidString)".write(toFile: world.standIn.tokenFile, atomically: true, encoding: .utf8)
        #expect(try await client.list(.jobs, namespace: "scripts", labelSelector: "a=b").isEmpty, "the new token is read")
        let stale = KubernetesClient(connection: KubernetesConnection(server: world.standIn.server, token: .fixed("stale")))
        do {
            _ = try await stale.list(.jobs, namespace: "scripts", labelSelector: "a=b")
            Issue.record("a refused token must fail")
        } catch let error as KubernetesAPIError {
            guard case .status(_, _, 401, _, _) = error else { Issue.record("\(error)"); return }
            #expect(error.description.contains("credentials were refused"))
        }
    }

    @Test
    func inClusterCredentialsUseTheServiceAccountTokenAndCA() async throws {
        let directory = try TemporaryDirectory("k8s-in-cluster")
        let account = directory.file("serviceaccount")
        try FileManager.default.createDirectory(atPath: account, withIntermediateDirectories: true)
        let generated = try await onDedicatedThread {
            try runToCompletion(
                [
                    "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", directory.file("key.pem"), "-out", account + "/ca.crt",
                ], in: directory.path)
        }
        #expect(generated.status == 0, "\(String(decoding: generated.stderr, as: UTF8.self))")
        let standIn = try await KubernetesStandIn.start(in: directory, tls: (account + "/ca.crt", directory.file("key.pem")))
        defer { standIn.stop() }
        try FileManager.default.copyItem(atPath: standIn.tokenFile, toPath: account + "/token")
        try "scripts\n".write(toFile: account + "/namespace", atomically: true, encoding: .utf8)
        let connection = try KubernetesConnection.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "\(standIn.helper.port)"],
            directory: account)
        #expect(connection.namespace == "scripts")
        #expect(connection.server == "https://127.0.0.1:\(standIn.helper.port)")
        let client = KubernetesClient(connection: connection)
        #expect(try await client.list(.pods, namespace: "scripts", labelSelector: "job-name=x").isEmpty, "TLS with the pod's CA, its token")
        // Rotated by the kubelet: the stand-in and the token file change together.
        let rotated = "rotated-\(UUID().uuidString)"
        try rotated.write(toFile: standIn.tokenFile, atomically: true, encoding: .utf8)
        try rotated.write(toFile: account + "/token", atomically: true, encoding: .utf8)
        #expect(try await client.list(.pods, namespace: "scripts", labelSelector: "job-name=x").isEmpty, "the rotated token is read")

        #expect(throws: KubernetesCredentialsError.self) { try KubernetesConnection.inCluster(environment: [:], directory: account) }
    }

    @Test
    func aKubeconfigGivesTheServerTokenAndNamespaceAndRefusesExecPlugins() async throws {
        let directory = try TemporaryDirectory("k8s-kubeconfig")
        let standIn = try await KubernetesStandIn.start(in: directory)
        defer { standIn.stop() }
        let connection = try KubernetesConnection.kubeconfig(path: try standIn.kubeconfig(in: directory))
        #expect(connection.server == standIn.server)
        #expect(connection.namespace == "scripts")
        #expect(connection.token == .file(standIn.tokenFile))
        let exec = directory.file("exec.yaml")
        try """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://example.invalid"}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            users: [{name: u, user: {exec: {command: aws, args: [eks, get-token]}}}]
            """.write(toFile: exec, atomically: true, encoding: .utf8)
        #expect {
            try KubernetesConnection.kubeconfig(path: exec)
        } throws: { error in
            "\(error)".contains("exec or auth-provider plugin")
        }
    }

    @Test
    func theDeployGateReadsTheRevisionOfARolledOutDeployment() async throws {
        let directory = try TemporaryDirectory("k8s-revision")
        let standIn = try await KubernetesStandIn.start(in: directory)
        defer { standIn.stop() }
        let commit = "0123456789abcdef0123456789abcdef01234567"
        let other = "89abcdef0123456789abcdef0123456789abcdef"
        func deployment(_ name: String, image: String, annotation: String? = nil, updated: Int = 2) -> [String: Any] {
            var metadata: [String: Any] = ["name": name, "generation": 3]
            if let annotation { metadata["annotations"] = ["jobrunner.dev/revision": annotation] }
            return [
                "metadata": metadata,
                "spec": ["replicas": 2, "template": ["spec": ["containers": [["name": "app", "image": image]]]]],
                "status": ["observedGeneration": 3, "updatedReplicas": updated, "availableReplicas": 2],
            ]
        }
        try await standIn.create("/apis/apps/v1/namespaces/scripts/deployments", deployment("tagged", image: "registry:5000/acme/app:\(commit)"))
        try await standIn.create(
            "/apis/apps/v1/namespaces/scripts/deployments", deployment("annotated", image: "acme/app:v1.4.2", annotation: other))
        try await standIn.create(
            "/apis/apps/v1/namespaces/scripts/deployments", deployment("rolling", image: "acme/app:\(commit)", updated: 1))
        try await standIn.create("/apis/apps/v1/namespaces/scripts/deployments", deployment("untagged", image: "acme/app:latest"))
        func revision(_ name: String) async throws -> String {
            try await KubernetesDeploymentRevision(api: standIn.client, namespace: "scripts", deployment: name).currentRevision()
        }
        #expect(try await revision("tagged") == commit, "the commit in the image tag (not the registry's port)")
        #expect(try await revision("annotated") == other, "the annotation wins")
        await #expect { try await revision("rolling") } throws: { "\($0)".contains("rolling out") }
        await #expect { try await revision("untagged") } throws: { "\($0)".contains("names no commit") }
        await #expect { try await revision("missing") } throws: { "\($0)".contains("does not exist") }
        #expect(RevisionLocation(parsing: "deployment:web") == .kubernetesDeployment("web"))
        #expect(RevisionLocation(parsing: "deployment:Web") == nil)
    }

    @Test
    func aDryRunRunsInTheApplicationsImageWithTheDryRunEnvironmentOnly() async throws {
        let world = try await World.make("k8s-dry-run") { $0.dryRunEnvironmentSources = [.configMap("staging-config")] }
        defer { world.standIn.stop() }
        try await world.standIn.create(
            "/api/v1/namespaces/scripts/configmaps", ["metadata": ["name": "staging-config"], "data": ["DATABASE_URL": "postgres://staging"]])
        let runner = world.runner.forDryRuns(masker: SecretMasker(values: [Self.secret]))
        #expect(!runner.outlivesWorker, "a dry run is stopped with its worker, never re-attached")
        var facts = Self.facts(0)
        facts.pipelineID = ""
        facts.dryRunID = 7
        let run = try await runner.execute(
            Self.python("""
                import os, appmodule
                for name in ["DB_PASSWORD", "APP_NAME", "APP_MODE", "EXTRA", "DATABASE_URL", "JOBRUNNER_DRY_RUN", "JOBRUNNER_DRY_RUN_ID"]:
                    print(name, "=", os.environ.get(name))
                """), facts: facts, revision: nil, stopRequested: { true }) { _, _ in }
        let output = String(decoding: run.stdout, as: UTF8.self)
        #expect(run.outcome == .succeeded, "\(output)")
        #expect(output.contains("DB_PASSWORD = None") && output.contains("APP_NAME = None") && output.contains("APP_MODE = None"),
            "never the production configuration: \(output)")
        #expect(output.contains("EXTRA = None"), "nor EXECUTE's extra sources")
        #expect(output.contains("DATABASE_URL = postgres://staging"))
        #expect(output.contains("JOBRUNNER_DRY_RUN = 1") && output.contains("JOBRUNNER_DRY_RUN_ID = 7"))
        #expect(run.application?.kubernetes?.job == "jobrunner-dry-run-7")
        let job = try #require(try await world.standIn.get("/apis/batch/v1/namespaces/scripts/jobs/jobrunner-dry-run-7"))
        let labels = (job["metadata"] as? [String: Any])?["labels"] as? [String: String]
        #expect(labels?["jobrunner.dev/dry-run"] == "7" && labels?["jobrunner.dev/pipeline"] == nil)
    }
}
