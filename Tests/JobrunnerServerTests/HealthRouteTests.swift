import Foundation
import Hummingbird
import HummingbirdTesting
import JobrunnerCore
import JobrunnerServer
import JobrunnerStore
import JobrunnerTestSupport
import Logging
import Testing

/// A store that is unreachable, for the readiness check.
struct UnreachableStore: PipelineStore {
    struct Down: Error, CustomStringConvertible { var description: String { "connection refused" } }
    func recordDelivery(_ delivery: NewDelivery, pipelines: [NewPipeline]) async throws -> RecordedDelivery { throw Down() }
    func claimNext(owner: String, kinds: Set<StageKind>, leaseDuration: Duration) async throws -> ClaimedStage? { throw Down() }
    func renew(_ lease: Lease, leaseDuration: Duration) async throws -> Lease { throw Down() }
    func release(_ lease: Lease, reason: String) async throws { throw Down() }
    func complete(_ lease: Lease, summary: String?) async throws { throw Down() }
    func fail(_ lease: Lease, failure: StageFailure) async throws -> FailureDisposition { throw Down() }
    func rescueExpiredLeases() async throws -> RescueReport { throw Down() }
    func retry(stage: StageID, operatorName: String, reason: String?) async throws { throw Down() }
    func cancel(pipeline: PipelineID, operatorName: String, reason: String?) async throws -> CancelOutcome { throw Down() }
    func cancelRequested(_ lease: Lease) async throws -> Bool { throw Down() }
    func finishCancelled(_ lease: Lease, reason: String) async throws { throw Down() }
    func statistics() async throws -> QueueStatistics { throw Down() }
    func prune(finishedBefore cutoff: Date, limit: Int) async throws -> Int { throw Down() }
    func pipelines(_ filter: PipelineFilter) async throws -> [PipelineSummary] { throw Down() }
    func pipeline(_ id: PipelineID) async throws -> PipelineDetail? { throw Down() }
    func delivery(_ id: DeliveryID) async throws -> DeliveryRecord? { throw Down() }
    func checkReady() async throws { throw Down() }
    func saveArtifact(_ artifact: Artifact, lease: Lease) async throws { throw Down() }
    func artifact(for pipeline: PipelineID) async throws -> Artifact? { throw Down() }
    func startExecution(lease: Lease) async throws -> Int64 { throw Down() }
    func appendOutput(execution: Int64, stdout: [UInt8], stderr: [UInt8]) async throws { throw Down() }
    func finishExecution(_ record: ExecutionRecord) async throws { throw Down() }
    func executions(for pipeline: PipelineID) async throws -> [ExecutionRecord] { throw Down() }
    func recordFeedback(_ record: FeedbackRecord) async throws { throw Down() }
    func feedback(for pipeline: PipelineID) async throws -> [FeedbackRecord] { throw Down() }
}

@Suite("Health and readiness")
struct HealthRouteTests {
    @Test
    func healthAndReadinessOverTheLiveServer() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLitePipelineStore(path: directory.file("jobrunner.sqlite"))
        var settings = Settings()
        settings.httpPort = 0
        let app = buildApplication(ApplicationContext(settings: settings, store: store, logger: quietLogger))
        try await app.test(.live) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
            }
            try await client.execute(uri: "/nothing-here", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test
    func notReadyWhenTheStoreIsUnreachable() async throws {
        let app = buildApplication(ApplicationContext(settings: Settings(), store: UnreachableStore(), logger: quietLogger))
        try await app.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("connection refused"))
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
