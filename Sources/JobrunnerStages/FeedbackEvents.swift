import JobrunnerCore

/// Which events the stages write to the feedback outbox with their stage changes: those some
/// configured channel wants, their free text masked. With no channel configured nothing is
/// written. `written` wakes this process's `FeedbackDeliverer` at once.
public struct FeedbackEvents: Sendable {
    public let channels: [any FeedbackChannel]
    public let secrets: SecretRegistry
    public let written: Beacon

    public init(channels: [any FeedbackChannel], secrets: SecretRegistry = .process, written: Beacon = Beacon()) {
        self.channels = channels
        self.secrets = secrets
        self.written = written
    }

    /// `events` as they go into the outbox (possibly none).
    public func callAsFunction(_ events: PipelineEvent...) -> [PipelineEvent] {
        events.filter { event in channels.contains { $0.wants(event) } }.map { $0.masked(secrets.masker) }
    }
}
