import JobrunnerCore
import JobrunnerStore
import Logging

/// Tells every feedback channel about a pipeline event and records each delivery with the
/// pipeline. Never throws and never fails a stage: feedback is best effort by design.
public struct FeedbackDispatcher: Sendable {
    public let channels: [any FeedbackChannel]
    public let store: any FeedbackLog
    public let clock: any JobClock
    /// Masks what leaves in statuses, comments, callbacks and chat, and what is recorded.
    public let secrets: SecretRegistry

    public init(
        channels: [any FeedbackChannel], store: any FeedbackLog, clock: any JobClock = SystemClock(), secrets: SecretRegistry = .process
    ) {
        self.channels = channels
        self.store = store
        self.clock = clock
        self.secrets = secrets
    }

    public func report(_ event: PipelineEvent, for pipeline: PipelineRecord, logger: Logger) async {
        let event = event.masked(secrets.masker)
        for channel in channels {
            var records: [FeedbackRecord] = []
            do {
                for target in try await channel.deliver(event, for: pipeline) {
                    records.append(
                        FeedbackRecord(
                            pipelineID: pipeline.id, channel: channel.name, event: event.name, target: target, error: nil,
                            at: clock.now()))
                }
            } catch {
                logger.warning("feedback not delivered", metadata: ["channel": "\(channel.name)", "error": "\(secrets.mask("\(error)"))"])
                records.append(
                    FeedbackRecord(
                        pipelineID: pipeline.id, channel: channel.name, event: event.name, target: channel.name,
                        error: secrets.mask("\(error)"), at: clock.now()))
            }
            for record in records {
                do {
                    try await store.recordFeedback(record)
                } catch {
                    logger.warning("feedback record not stored", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
