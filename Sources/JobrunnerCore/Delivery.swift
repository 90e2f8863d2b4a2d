import Foundation

/// What intake decided about one webhook delivery. Every delivery is recorded with one of
/// these, accepted or not, so the table doubles as an audit trail.
public enum DeliveryOutcome: String, Sendable, Codable, CaseIterable {
    /// Verified and turned into zero or more pipelines.
    case accepted
    /// Verified but not for us (other branch, other event, bot commit…); `reason` says why.
    case ignored
    /// Verified but could not be turned into pipelines (e.g. compare API needed but not
    /// configured); `reason` says why and what to do.
    case failed
}

/// A delivery as intake hands it to the store.
public struct NewDelivery: Sendable, Equatable {
    public var id: DeliveryID
    public var event: String
    /// `repository.full_name` as received, even when not a configured repository.
    public var repository: String?
    public var ref: String?
    public var headCommit: String?
    public var sender: String?
    public var outcome: DeliveryOutcome
    public var reason: String?

    public init(
        id: DeliveryID, event: String, repository: String? = nil, ref: String? = nil,
        headCommit: String? = nil, sender: String? = nil, outcome: DeliveryOutcome,
        reason: String? = nil
    ) {
        self.id = id
        self.event = event
        self.repository = repository
        self.ref = ref
        self.headCommit = headCommit
        self.sender = sender
        self.outcome = outcome
        self.reason = reason
    }
}

/// A stored delivery.
public struct DeliveryRecord: Sendable, Equatable {
    public var delivery: NewDelivery
    public var receivedAt: Date
    /// Pipelines this delivery created or matched (dedupe by repository, path and commit).
    public var pipelineIDs: [PipelineID]

    public init(delivery: NewDelivery, receivedAt: Date, pipelineIDs: [PipelineID]) {
        self.delivery = delivery
        self.receivedAt = receivedAt
        self.pipelineIDs = pipelineIDs
    }
}

/// The store's answer to recording a delivery.
public struct RecordedDelivery: Sendable, Equatable {
    public var record: DeliveryRecord
    /// `true` when this GUID had been recorded before: nothing new was created.
    public var isRedelivery: Bool
    /// The pipelines, in arrival order, each with whether this call created it.
    public var pipelines: [(id: PipelineID, path: String, created: Bool)]
    /// Modified scripts that start nothing (`ModifiedScriptRule`), and why.
    public var skipped: [ScriptDetector.Skipped]

    public init(
        record: DeliveryRecord, isRedelivery: Bool,
        pipelines: [(id: PipelineID, path: String, created: Bool)], skipped: [ScriptDetector.Skipped] = []
    ) {
        self.record = record
        self.isRedelivery = isRedelivery
        self.pipelines = pipelines
        self.skipped = skipped
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.record == rhs.record && lhs.isRedelivery == rhs.isRedelivery
            && lhs.pipelines.map(\.id) == rhs.pipelines.map(\.id)
            && lhs.pipelines.map(\.path) == rhs.pipelines.map(\.path)
            && lhs.pipelines.map(\.created) == rhs.pipelines.map(\.created) && lhs.skipped == rhs.skipped
    }
}

/// How scripts the store skipped change what a delivery records: its reason keeps every skip (the
/// audit trail says why a modified script did not run), and a delivery left with no pipeline is
/// `ignored`.
public enum DeliverySkips {
    /// The outcome and reason to record instead, or `nil` when nothing was skipped.
    public static func outcome(of delivery: NewDelivery, created pipelines: Int, skipped: [ScriptDetector.Skipped])
        -> (outcome: DeliveryOutcome, reason: String)?
    {
        guard !skipped.isEmpty else { return nil }
        let list = skipped.map { "\($0.path): \($0.reason)" }.joined(separator: "; ")
        if pipelines == 0 { return (.ignored, "nothing to run — \(list)") }
        return (delivery.outcome, "skipped \(list)")
    }
}
