/// Where the service counts what it does, for `/metrics`. Each process counts its own work
/// (Prometheus sums over instances); cluster-wide queue figures come from the store instead.
public protocol ServiceMetrics: Sendable {
    /// A webhook delivery was answered: `created`, `duplicate`, `ignored`, `rejected`, ...
    func deliveryAnswered(outcome: String)
    /// A stage attempt ended: `succeeded`, `retrying`, `failed`, `released`, `cancelled`, `lease-lost`.
    func stageAttemptFinished(kind: StageKind, result: String, duration: Duration)
    /// A script run ended.
    func executionFinished(outcome: ExecutionOutcome)
}
