import Foundation
import JobrunnerCore
import Testing

@Suite("Kubernetes runner rules")
struct KubernetesRulesTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test
    func anExecuteThatOutlivesItsWorkerIsQueuedToBeReattachedWithItsAttemptGivenBack() {
        for decision in [
            StageKind.execute.rescued(attempt: 1, maxAttempts: 1, owner: "w", expiredAt: Self.now, reattachable: true),
            StageKind.execute.released(reason: "shutdown", reattachable: true),
        ] {
            #expect(decision.state == .queued)
            #expect(decision.refundsAttempt, "the same attempt names the same Job")
            #expect(decision.message.contains("re-attached"))
        }
        // Without it, as before: interrupted, never run again without an operator.
        #expect(StageKind.execute.rescued(attempt: 1, maxAttempts: 1, owner: "w", expiredAt: Self.now).state == .interrupted)
        #expect(StageKind.execute.released(reason: "shutdown").state == .interrupted)
        // Idempotent stages do not change with the runner.
        #expect(
            StageKind.process.rescued(attempt: 1, maxAttempts: 3, owner: "w", expiredAt: Self.now, reattachable: true)
                == StageKind.process.rescued(attempt: 1, maxAttempts: 3, owner: "w", expiredAt: Self.now))
    }

    @Test
    func howAContainerEndedDecidesTheOutcome() {
        #expect(KubernetesTermination(exitCode: 0, reason: "Completed").outcome == .succeeded)
        #expect(KubernetesTermination(exitCode: 3, reason: "Error").outcome == .failed)
        #expect(KubernetesTermination(exitCode: 3, reason: "Error").signal == nil)
        let oom = KubernetesTermination(exitCode: 137, reason: "OOMKilled")
        #expect(oom.outcome == .killed)
        #expect(oom.signal == 9)
        #expect(KubernetesTermination(exitCode: nil, reason: "DeadlineExceeded").outcome == .timedOut)
        #expect(KubernetesTermination(exitCode: 137, reason: "DeadlineExceeded").outcome == .timedOut, "the deadline wins over the kill it caused")
        #expect(KubernetesTermination(exitCode: nil, reason: "Evicted").outcome == .killed)
        #expect(KubernetesTermination(exitCode: nil, reason: nil).outcome == .killed, "no exit code: it did not end by itself")
    }

    @Test
    func aJobIsNamedByItsPipelineAndAttemptAlone() {
        #expect(KubernetesNames.job(pipeline: PipelineID(42), attempt: 2) == "jobrunner-42-2")
        #expect(KubernetesNames.isValidName(KubernetesNames.job(pipeline: PipelineID(Int64.max), attempt: 99)))
    }

    @Test
    func settingsAreParsedWithClearErrors() throws {
        #expect(KubernetesContainerReference(parsing: "web")?.container == nil)
        #expect(KubernetesContainerReference(parsing: "web/app")?.container == "app")
        #expect(KubernetesContainerReference(parsing: "Web/app") == nil)
        #expect(KubernetesContainerReference(parsing: "a/b/c") == nil)
        #expect(KubernetesEnvironmentSource(parsing: "configmap:app-config") == .configMap("app-config"))
        #expect(KubernetesEnvironmentSource(parsing: "Secret:db") == .secret("db"))
        #expect(KubernetesEnvironmentSource(parsing: "volume:x") == nil)
        let resources = try KubernetesResources(parsing: ["requests.cpu=250m", "requests.memory=256Mi", "limits.memory=1Gi", "limits.cpu=1.5"])
        #expect(resources.requests == ["cpu": "250m", "memory": "256Mi"])
        #expect(resources.limits == ["memory": "1Gi", "cpu": "1.5"])
        #expect(throws: SettingsProblem.self) { try KubernetesResources(parsing: ["memory=1Gi"]) }
        #expect(throws: SettingsProblem.self) { try KubernetesResources(parsing: ["limits.memory=lots"]) }
    }

    @Test
    func theLogSaysWhereItRanAndThatTheStreamsAreMerged() {
        var execution = ExecutionRecord(
            id: 1, pipelineID: PipelineID(1), attempt: 1, startedAt: Self.now, finishedAt: Self.now, outcome: .killed,
            exitCode: 137, signal: 9, stdout: Array("out and err\n".utf8), stdoutBytes: 12)
        execution.application = ApplicationFacts(
            directory: "/app",
            kubernetes: KubernetesRunFacts(namespace: "scripts", job: "jobrunner-1-1", image: "app:1", reason: "OOMKilled"))
        let artifact = Artifact(
            toolchain: "python", toolchainVersion: "3", fileName: "x.py", runCommand: ["python3", "{artifact}"],
            content: Array("print(1)".utf8), digest: "d", sourceDigest: "s", buildDuration: .zero, isText: true)
        let text = ExecutionLog(scriptPath: "jobs/x.py", artifact: artifact, source: Array("print(1)".utf8), execution: execution).render()
        #expect(text.contains("runner: \"kubernetes\""))
        #expect(text.contains("kubernetes_job: \"jobrunner-1-1\""))
        #expect(text.contains("termination_reason: \"OOMKilled\""))
        #expect(text.contains("Kubernetes merges the container's stdout and stderr"))
        #expect(!text.contains("## stderr"))
    }
}
