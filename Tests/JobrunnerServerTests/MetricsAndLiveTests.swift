import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobrunnerCore
@testable import JobrunnerServer
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import NIOCore
import Prometheus
import Testing

@Suite("Metrics and live output")
struct MetricsAndLiveTests {
    @Test
    func metricsShowTheQueueFromTheStoreAndWhatThisProcessAnswered() async throws {
        let harness = try OperatorHarness()
        let ids = try await harness.record(3)
        _ = try await harness.store.runToSuccessForTests(.process)
        try await harness.store.cancel(pipeline: ids[2], operatorName: "alice", reason: nil)
        harness.clock.advance(by: .seconds(42))
        try await harness.app().test(.router) { client in
            let refused = try await client.execute(uri: "/metrics", method: .get)
            #expect(refused.status == .unauthorized)
            // An unsigned delivery is refused and counted.
            let unsigned = try await client.execute(
                uri: "/webhooks/github", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: "{}"))
            #expect(unsigned.status == .unauthorized)

            let response = try await client.execute(
                uri: "/metrics", method: .get, headers: OperatorHarness.bearer(OperatorHarness.aliceToken))
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = String(buffer: response.body)
            for line in [
                #"jobrunner_pipelines{state="queued"} 2.0"#, #"jobrunner_pipelines{state="cancelled"} 1.0"#,
                #"jobrunner_pipelines{state="succeeded"} 0.0"#, #"jobrunner_queue_depth{kind="execute"} 1.0"#,
                #"jobrunner_queue_depth{kind="process"} 1.0"#, #"jobrunner_stages_running{kind="execute"} 0.0"#,
                #"jobrunner_oldest_queued_stage_age_seconds 42.0"#,
                #"jobrunner_webhook_deliveries_total{outcome="bad-signature"} 1"#,
            ] {
                #expect(text.contains(line + "\n"), "\(line)\n--- in ---\n\(text)")
            }
            #expect(text.contains("# TYPE jobrunner_pipelines gauge"))
        }
    }

    @Test
    func workersCountStageDurationsAndExecutionOutcomes() {
        let metrics = PrometheusServiceMetrics()
        metrics.stageAttemptFinished(kind: .process, result: .succeeded, duration: .milliseconds(300))
        metrics.stageAttemptFinished(kind: .process, result: .succeeded, duration: .seconds(20))
        metrics.executionFinished(outcome: .timedOut)
        let text = metrics.registry.emitToString()
        #expect(text.contains(#"jobrunner_stage_duration_seconds_bucket{kind="process",result="succeeded",le="0.5"} 1"#))
        #expect(text.contains(#"jobrunner_stage_duration_seconds_bucket{kind="process",result="succeeded",le="30.0"} 2"#))
        #expect(text.contains(#"jobrunner_stage_duration_seconds_count{kind="process",result="succeeded"} 2"#))
        #expect(text.contains(#"jobrunner_executions_total{outcome="timed-out"} 1"#))
    }

    @Test
    func metricsCanBeMadePublic() async throws {
        let harness = try OperatorHarness { $0.metricsPublic = true }
        try await harness.app().test(.router) { client in
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            let api = try await client.execute(uri: "/api/v1/pipelines", method: .get)
            #expect(api.status == .unauthorized)
        }
    }

    @Test
    func livePagesStreamStagesAndOutputFromTheStoreUntilThePipelineRests() async throws {
        let harness = try OperatorHarness()
        let id = try await harness.record(1)[0]
        _ = try await harness.store.runToSuccessForTests(.process)
        let execute = try #require(try await harness.store.claimNext(owner: "elsewhere", kinds: [.execute], leaseDuration: .seconds(60)))
        let run = try await harness.store.startExecution(lease: execute.lease)
        // "é" split across two appends must not reach the page cut in two.
        try await harness.store.appendOutput(execution: run, stdout: Array("step 1 caf".utf8) + [0xC3], stderr: Array("warn\n".utf8))
        let store = harness.store
        // Another node finishes the run while the page is open.
        let finisher = Task {
            try await Task.sleep(for: .milliseconds(150))
            try await store.appendOutput(execution: run, stdout: [0xA9] + Array("\nstep 2\n".utf8), stderr: [])
            try await Task.sleep(for: .milliseconds(150))
            try await store.complete(execute.lease, summary: "exit 0")
            let cleanup = try #require(try await store.claimNext(owner: "elsewhere", kinds: [.cleanup], leaseDuration: .seconds(60)))
            try await store.complete(cleanup.lease, summary: "committed")
        }
        var context = ApplicationContext(settings: harness.settings, store: harness.store, logger: quietLogger)
        context.liveInterval = .milliseconds(40)
        try await buildApplication(context).test(.live) { client in
            let browser = try await OperatorHarness.signIn(client)
            let response = try await client.execute(
                uri: "/pipelines/\(id.rawValue)/events", method: .get, headers: browser.headers)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            let events = String(buffer: response.body).components(separatedBy: "\n\n").filter { !$0.isEmpty }
            let outputs = events.filter { $0.hasPrefix("event: output") }.compactMap { event -> [String: Any]? in
                guard let data = event.split(separator: "\n").first(where: { $0.hasPrefix("data: ") }) else { return nil }
                return try? JSONSerialization.jsonObject(with: Data(data.dropFirst(6).utf8)) as? [String: Any]
            }
            // How many polls saw the run in progress depends on the machine's load; what the page
            // ends up with does not.
            let stdout = outputs.filter { $0["stream"] as? String == "stdout" }.compactMap { $0["text"] as? String }.joined()
            #expect(stdout == "step 1 café\nstep 2\n")
            #expect(outputs.contains { $0["stream"] as? String == "stderr" && $0["text"] as? String == "warn\n" })
            let stages = events.filter { $0.hasPrefix("event: stages") }
            #expect(stages.last?.contains(#""status":"succeeded""#) == true)
            #expect(events.last?.hasPrefix("event: end") == true, "the stream ends once nothing is queued or running")
        }
        try await finisher.value
    }

    @Test
    func liveOutputNeverCutsACharacterAndStartsOverForANewOrTruncatedRun() {
        var state = LiveEvents.StreamState()
        var run = ExecutionRecord(
            id: 1, pipelineID: PipelineID(1), attempt: 1, startedAt: Date(), outcome: .running,
            stdout: Array("caf".utf8) + [0xC3], stderr: [])
        let texts: (inout LiveEvents.StreamState, ExecutionRecord) -> [String] = { state, run in
            state.outputEvents(run).compactMap { event in
                guard let data = event.split(separator: "\n").first(where: { $0.hasPrefix("data: ") }),
                    let object = try? JSONSerialization.jsonObject(with: Data(data.dropFirst(6).utf8)) as? [String: Any],
                    object["stream"] as? String == "stdout"
                else { return nil }
                return ((object["reset"] as? Bool) == true ? "|" : "") + (object["text"] as? String ?? "")
            }
        }
        #expect(texts(&state, run) == ["|caf"], "the lead byte waits for the rest of its character")
        run.stdout += [0xA9, 0x0A]
        #expect(texts(&state, run) == ["é\n"])
        #expect(texts(&state, run) == [], "nothing new, nothing sent")
        // The finished record keeps only head and tail: the page gets it whole, once.
        run.finishedAt = Date()
        run.outcome = .succeeded
        run.stdout = Array("head…tail\n".utf8)
        run.stdoutTruncated = true
        #expect(texts(&state, run) == ["|head…tail\n"])
        #expect(texts(&state, run) == [])
        // A new run (an operator's retry) starts the view over.
        let retry = ExecutionRecord(
            id: 2, pipelineID: PipelineID(1), attempt: 2, startedAt: Date(), outcome: .running, stdout: Array("again".utf8),
            stderr: [])
        #expect(texts(&state, retry) == ["|again"])
    }
}
