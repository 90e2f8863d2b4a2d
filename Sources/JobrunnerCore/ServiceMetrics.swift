/// Where the service counts what it does, for `/metrics`. Each process counts its own work
/// (Prometheus sums over instances); cluster-wide queue figures come from the store instead.
public protocol ServiceMetrics: Sendable {
    /// A webhook delivery was answered.
    func deliveryAnswered(outcome: DeliveryAnswer)
    /// A stage attempt ended.
    func stageAttemptFinished(kind: StageKind, result: StageAttemptResult, duration: Duration)
    /// A script run ended.
    func executionFinished(outcome: ExecutionOutcome)
}

/// How a webhook delivery was answered: the `outcome` label of `jobrunner_deliveries_total` and
/// of intake's summary line. A closed set, so a label cannot be misspelt at one call site.
public enum DeliveryAnswer: String, Sendable, CaseIterable {
    /// Recorded (`DeliveryOutcome`).
    case accepted, ignored, failed
    /// GitHub's ping when a webhook is set up.
    case pong
    /// A delivery already recorded, answered as it was the first time.
    case redelivery
    /// Refused before anything was recorded.
    case badSignature = "bad-signature", tooLarge = "too-large", storeUnavailable = "store-unavailable", malformed
}

/// How a stage attempt ended: the `result` label of the stage-duration histogram.
public enum StageAttemptResult: String, Sendable, CaseIterable {
    case succeeded, retrying, failed, released, interrupted, deferred, cancelled
    /// The lease was rescued or taken over while the stage ran; its result was discarded.
    case leaseLost = "lease-lost"
}
