import Foundation
import JobrunnerCore
import JobrunnerStore
import Logging
import ServiceLifecycle

/// Delivers the feedback outbox in the background: claims due messages (the oldest pending one
/// of each pipeline, so each pipeline's messages go out in order), hands each to the channels
/// that want it, records every delivery, and settles the message as `OutboxRetryPolicy` says —
/// delivered, retried later with backoff (only the channels that still lack it), or abandoned.
/// Stages never wait for it, so an outage of GitHub or chat never holds a pipeline. A message
/// whose deliverer died is taken again once its lease expires: channels see it at least once.
public struct FeedbackDeliverer: Service {
    public let channels: [any FeedbackChannel]
    public let store: any FeedbackLog & PipelineLookup & RunRecords
    public let clock: any JobClock
    public let policy: OutboxRetryPolicy
    /// This process, as the lease owner.
    public let owner: String
    /// Signalled when this process wrote to the outbox.
    public let written: Beacon
    public let secrets: SecretRegistry
    public let logger: Logger
    /// How long a claimed message is held before another node may take it.
    public let leaseDuration: Duration
    /// Longest sleep between looks (messages other nodes wrote, retries coming due).
    public let pollInterval: Duration
    /// Messages claimed (and delivered concurrently, one per pipeline) per round.
    public let batchSize: Int

    public init(
        channels: [any FeedbackChannel], store: any FeedbackLog & PipelineLookup & RunRecords, clock: any JobClock = SystemClock(),
        policy: OutboxRetryPolicy = OutboxRetryPolicy(), owner: String, written: Beacon, secrets: SecretRegistry = .process,
        logger: Logger, leaseDuration: Duration = .seconds(120), pollInterval: Duration = .seconds(2), batchSize: Int = 16
    ) {
        self.channels = channels
        self.store = store
        self.clock = clock
        self.policy = policy
        self.owner = owner
        self.written = written
        self.secrets = secrets
        self.logger = logger
        self.leaseDuration = leaseDuration
        self.pollInterval = pollInterval
        self.batchSize = batchSize
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let generation = written.generation
                let delivered = await deliverDue()
                if delivered > 0 { continue }
                await sleepUntilDue(past: generation)
            }
        }
    }

    /// Claims and delivers one batch; returns how many messages it claimed.
    @discardableResult
    public func deliverDue() async -> Int {
        let claimed: [ClaimedFeedback]
        do {
            claimed = try await store.claimFeedback(owner: owner, limit: batchSize, leaseDuration: leaseDuration)
        } catch {
            logger.warning("could not read the feedback outbox", metadata: ["error": "\(secrets.mask("\(error)"))"])
            return 0
        }
        await withTaskGroup(of: Void.self) { group in
            for item in claimed {
                group.addTask { await deliver(item) }
            }
        }
        return claimed.count
    }

    private func sleepUntilDue(past generation: UInt64) async {
        let due = try? await store.nextFeedbackDue()
        let wait = due.map { min(pollInterval, .milliseconds(Int64(max(0, $0.timeIntervalSince(clock.now())) * 1000) + 10)) }
            ?? pollInterval
        await written.wait(past: generation, atMost: wait, clock: clock)
    }

    /// One round for one message.
    func deliver(_ item: ClaimedFeedback) async {
        let message = item.message
        let remaining = message.remainingChannels ?? channels.filter { $0.wants(message.event) }.map(\.name)
        var snapshot: PipelineSnapshot?
        var stillRemaining: [String] = []
        var errors: [String] = []
        var deferredUntil: Date?
        var records: [FeedbackRecord] = []
        for name in remaining {
            guard let channel = channels.first(where: { $0.name == name }) else { continue }  // switched off since
            do {
                if snapshot == nil { snapshot = try await self.snapshot(of: item.pipeline.id) }
                let delivery = FeedbackDelivery(
                    messageID: message.id, event: message.event, pipeline: item.pipeline, isLatest: item.isLatest, snapshot: snapshot!)
                for target in try await channel.deliver(delivery) {
                    records.append(record(item, channel: name, target: target, error: nil))
                }
            } catch let deferral as FeedbackDeferral {
                stillRemaining.append(name)
                deferredUntil = max(deferredUntil ?? deferral.until, deferral.until)
            } catch let refused as FeedbackRefused {
                let reason = secrets.mask(refused.reason)
                logger.warning(
                    "feedback refused for good", metadata: ["channel": "\(name)", "pipeline": "\(item.pipeline.id)", "error": "\(reason)"])
                records.append(record(item, channel: name, target: name, error: "refused, not retried: \(reason)"))
            } catch {
                let reason = secrets.mask("\(error)")
                stillRemaining.append(name)
                errors.append("\(name): \(reason)")
                records.append(record(item, channel: name, target: name, error: reason))
            }
        }
        let settlement = policy.settle(
            message, remaining: stillRemaining, errors: errors, deferredUntil: deferredUntil, now: clock.now(),
            jitter: Double.random(in: 0...1))
        switch settlement {
        case .retry(let at, _, let error?, true):
            logger.warning(
                "feedback not delivered; will retry",
                metadata: ["pipeline": "\(item.pipeline.id)", "event": "\(message.event.name)", "retry_at": "\(at)", "error": "\(error)"])
        case .abandoned(let error):
            logger.error(
                "feedback abandoned", metadata: ["pipeline": "\(item.pipeline.id)", "event": "\(message.event.name)", "error": "\(error)"])
        default:
            break
        }
        do {
            try await store.settleFeedback(message, owner: owner, settlement, records: records)
        } catch {
            logger.warning("could not settle feedback", metadata: ["message": "\(message.id)", "error": "\(secrets.mask("\(error)"))"])
        }
    }

    private func record(_ item: ClaimedFeedback, channel: String, target: String, error: String?) -> FeedbackRecord {
        FeedbackRecord(
            pipelineID: item.pipeline.id, channel: channel, event: item.message.event.name, target: target, error: error, at: clock.now())
    }

    private func snapshot(of pipeline: PipelineID) async throws -> PipelineSnapshot {
        async let detail = store.pipeline(pipeline)
        async let artifact = store.artifact(for: pipeline)
        async let executions = store.executions(for: pipeline)
        return PipelineSnapshot(detail: try await detail, artifact: try await artifact, execution: try await executions.last)
    }
}
