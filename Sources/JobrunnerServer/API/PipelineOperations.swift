import Foundation
import JobrunnerCore
import JobrunnerStages
import JobrunnerStore

/// Retry, cancel and discard as operators ask for them, from the dashboard or the API: the same checks,
/// the same records, the same errors.
public struct PipelineOperations: Sendable {
    public let store: any OperatorControls & PipelineLookup & DryRunLog
    public let workAvailable: Beacon

    public init(store: any OperatorControls & PipelineLookup & DryRunLog, workAvailable: Beacon) {
        self.store = store
        self.workAvailable = workAvailable
    }

    /// Queues a failed or interrupted stage again. Re-running EXECUTE runs the script again in
    /// production, so it needs `confirmed`.
    public func retry(
        pipeline id: PipelineID, kind: StageKind, by identity: OperatorIdentity, reason: String?, confirmed: Bool
    ) async throws -> StageRecord {
        guard let detail = try await store.pipeline(id) else { throw OperatorActionError.pipelineNotFound(id) }
        guard let stage = detail.summary.stage(kind) else { throw OperatorActionError.stageNotFound(id, kind) }
        if kind == .execute && !confirmed { throw OperatorActionError.confirmationRequired(id) }
        do {
            try await store.retry(stage: stage.id, operatorName: identity.name, reason: try Self.clean(reason))
        } catch let error as PipelineStoreError {
            throw OperatorActionError.refused(error)
        }
        workAvailable.signal()
        return try await store.pipeline(id)?.summary.stage(kind) ?? stage
    }

    /// Cancels a queued pipeline, or asks the worker running its EXECUTE to kill the script.
    public func cancel(pipeline id: PipelineID, by identity: OperatorIdentity, reason: String?) async throws -> CancelOutcome {
        do {
            return try await store.cancel(pipeline: id, operatorName: identity.name, reason: try Self.clean(reason))
        } catch PipelineStoreError.pipelineNotFound {
            throw OperatorActionError.pipelineNotFound(id)
        } catch let error as PipelineStoreError {
            throw OperatorActionError.refused(error)
        }
    }

    /// Gives up on a pipeline's script: CLEANUP removes it and commits a log saying it did not
    /// run (or may have run), naming the operator. The reason is required: the log must say why.
    public func discard(pipeline id: PipelineID, by identity: OperatorIdentity, reason: String?) async throws {
        guard let reason = try Self.clean(reason) else { throw OperatorActionError.reasonRequired(id) }
        do {
            try await store.discard(pipeline: id, operatorName: identity.name, reason: reason)
        } catch PipelineStoreError.pipelineNotFound {
            throw OperatorActionError.pipelineNotFound(id)
        } catch let error as PipelineStoreError {
            throw OperatorActionError.refused(error)
        }
        workAvailable.signal()
    }

    /// Lets a pipeline's EXECUTE run although its content had no successful dry run
    /// (`JOBRUNNER_REQUIRE_DRY_RUN`). The reason is required: the committed log says who and why.
    public func overrideDryRun(pipeline id: PipelineID, by identity: OperatorIdentity, reason: String?) async throws {
        guard let reason = try Self.clean(reason) else { throw OperatorActionError.overrideReasonRequired(id) }
        do {
            try await store.overrideDryRun(pipeline: id, operatorName: identity.name, reason: reason)
        } catch PipelineStoreError.pipelineNotFound {
            throw OperatorActionError.pipelineNotFound(id)
        } catch let error as PipelineStoreError {
            throw OperatorActionError.refused(error)
        }
        workAvailable.signal()
    }

    /// The longest reason an operator may give: it is stored, shown and committed whole.
    public static let maximumReasonLength = 500

    /// Reasons are free text from a form: trimmed, empty means none; one that is too long is
    /// refused rather than cut, so what is recorded is what the operator wrote.
    static func clean(_ reason: String?) throws -> String? {
        // Counted in Unicode code points, as JSON Schema's maxLength counts (docs/openapi.yaml).
        if let reason, reason.unicodeScalars.count > maximumReasonLength {
            throw OperatorActionError.reasonTooLong(reason.unicodeScalars.count)
        }
        guard let trimmed = reason?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
        return trimmed
    }
}

/// Why an operator's action was not carried out.
public enum OperatorActionError: Error, Sendable, Equatable, CustomStringConvertible {
    case pipelineNotFound(PipelineID)
    case stageNotFound(PipelineID, StageKind)
    /// Retrying EXECUTE runs the script again; the request must say so explicitly.
    case confirmationRequired(PipelineID)
    /// Discarding needs a reason: the committed log says why the script did not run.
    case reasonRequired(PipelineID)
    /// Overriding the dry-run requirement needs a reason: the committed log says why.
    case overrideReasonRequired(PipelineID)
    /// The stage is not in a state the action applies to.
    case refused(PipelineStoreError)
    /// The reason is longer than `PipelineOperations.maximumReasonLength` characters.
    case reasonTooLong(Int)

    public var description: String {
        switch self {
        case .pipelineNotFound(let id): "pipeline \(id) does not exist"
        case .stageNotFound(let id, let kind):
            "pipeline \(id) has no \(kind.displayName) stage yet (a stage exists once the one before it finished)"
        case .confirmationRequired(let id):
            "retrying EXECUTE of pipeline \(id) runs the script again in production: confirm it explicitly (\"confirm\": true)"
        case .reasonRequired(let id):
            "discarding pipeline \(id) needs a reason: the log committed in place of its script says why it did not run (\"reason\": \"…\")"
        case .overrideReasonRequired(let id):
            "running pipeline \(id) without a successful dry run needs a reason: the committed log records who overrode and why (\"reason\": \"…\")"
        case .refused(let error): "\(error)"
        case .reasonTooLong(let count):
            "the reason has \(count) characters; at most \(PipelineOperations.maximumReasonLength) are recorded — shorten it"
        }
    }

    /// The HTTP status that says it.
    public var status: Int {
        switch self {
        case .pipelineNotFound, .stageNotFound: 404
        case .confirmationRequired, .reasonRequired, .overrideReasonRequired, .reasonTooLong: 422
        case .refused: 409
        }
    }
}
