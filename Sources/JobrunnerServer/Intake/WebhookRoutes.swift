import Foundation
import HTTPTypes
import Hummingbird
import JobrunnerCore
import JobrunnerGitHub
import JobrunnerStages
import JobrunnerStore
import Logging
import NIOFoundationCompat

/// `POST /webhooks/github`: the front door. In order: refuse a request without a signature
/// header before reading its body (401), read at most `maxBodySize` bytes (413), verify the
/// signature before anything else (401), require the event and delivery headers
/// (400), read the JSON in either content type (400/415), decide, record durably, answer.
struct WebhookRoutes: Sendable {
    let verifier: WebhookVerifier
    let store: any DeliveryRecording & PipelineLookup & DryRunLog
    let intake: PushIntake
    /// `pull_request` and `pull_request_review` events, for dry runs.
    var pullRequests = PullRequestIntake(enabled: false, repositories: [], branch: nil)
    /// Rung when a pull request is due to be looked at for dry runs.
    var dryRunsDue: Beacon? = nil
    let maxBodySize: Int
    let workAvailable: Beacon
    let logger: Logger
    /// Counts answers by outcome for `/metrics`.
    var metrics: (any ServiceMetrics)? = nil
    /// Counts them for intake's periodic `info` line (each delivery is logged at `debug`).
    var logSummary: IntakeLogSummary? = nil
    /// Bytes of all bodies being read at once: four full-size bodies.
    var bodyBudget: BodyBudget

    static let eventHeader = HTTPField.Name("X-GitHub-Event")!
    static let deliveryHeader = HTTPField.Name("X-GitHub-Delivery")!
    static let signatureHeader = HTTPField.Name("X-Hub-Signature-256")!
    static let legacySignatureHeader = HTTPField.Name("X-Hub-Signature")!

    func register(on router: CatalogedRouter) {
        router.post("/webhooks/github") { request, _ in
            let response = await handle(request)
            let outcome = Self.outcomeLabel(response)
            metrics?.deliveryAnswered(outcome: outcome)
            logSummary?.answered(outcome: outcome)
            return response
        }
    }

    /// Reads the body, counting its bytes against `limit` and the shared budget as they arrive.
    /// How long it may take is bounded for every route by `RequestBodyDeadlineHandler`.
    static func readBody(_ request: Request, upTo limit: Int, budget: BodyBudget) async throws -> Data {
        var body = ByteBuffer()
        defer { budget.release(body.readableBytes) }
        for try await chunk in request.body {
            guard body.readableBytes + chunk.readableBytes <= limit else { throw BodyTooLarge() }
            guard budget.reserve(chunk.readableBytes) else { throw BodyBudgetExhausted() }
            var chunk = chunk
            body.writeBuffer(&chunk)
        }
        return Data(buffer: body)
    }

    struct BodyTooLarge: Error {}

    func handle(_ request: Request) async -> Response {
        // Without a SHA-256 signature nothing can verify: refuse before reading (buffering) a
        // byte of the body, so unsigned uploads cost no memory.
        if request.headers.value(Self.signatureHeader) == nil {
            do {
                try verifier.verify(body: Data(), signature: nil, legacySignature: request.headers.value(Self.legacySignatureHeader))
            } catch {
                logger.warning("webhook refused", metadata: ["reason": "\(error)"])
                return Self.answer(.unauthorized, ["error": "\(error)"])
            }
        }
        let body: Data
        do {
            body = try await Self.readBody(request, upTo: maxBodySize, budget: bodyBudget)
        } catch is BodyBudgetExhausted {
            logger.warning("webhook body refused: too many bodies in flight", metadata: ["in_use": "\(bodyBudget.inUse)"])
            var response = Self.answer(.serviceUnavailable, ["error": "too many webhook bodies are being received at once; try again"])
            response.headers[.retryAfter] = "5"
            response.headers[.connection] = "close"
            return response
        } catch is BodyTooLarge {
            return Self.answer(.contentTooLarge, ["error": "body larger than \(maxBodySize) bytes"])
        } catch {
            logger.warning("webhook body could not be read", metadata: ["error": "\(error)"])
            return Self.answer(.badRequest, ["error": "the body could not be read: \(error)"])
        }
        // Cut short: the connection closed mid-body (its deadline passed, or the client left).
        if let declared = request.headers.value(.contentLength).flatMap(Int.init), declared != body.count {
            logger.warning("webhook body cut short", metadata: ["received": "\(body.count)", "declared": "\(declared)"])
            return Self.answer(.badRequest, ["error": "the body ended after \(body.count) of its \(declared) bytes"])
        }
        do {
            try verifier.verify(
                body: body, signature: request.headers.value(Self.signatureHeader),
                legacySignature: request.headers.value(Self.legacySignatureHeader))
        } catch {
            logger.warning("webhook refused", metadata: ["reason": "\(error)"])
            return Self.answer(.unauthorized, ["error": "\(error)"])
        }
        guard let event = request.headers.value(Self.eventHeader), !event.isEmpty else {
            return Self.answer(.badRequest, ["error": "missing X-GitHub-Event header"])
        }
        guard let deliveryText = request.headers.value(Self.deliveryHeader), Self.isValidDeliveryID(deliveryText) else {
            return Self.answer(.badRequest, ["error": "missing or malformed X-GitHub-Delivery header"])
        }
        let deliveryID = DeliveryID(deliveryText)
        var logger = logger
        logger[metadataKey: "delivery"] = "\(deliveryID)"
        logger[metadataKey: "event"] = "\(event)"

        let json: Data
        do {
            json = try WebhookPayload.json(body: body, contentType: request.headers.value(.contentType))
        } catch let error as WebhookPayloadError {
            let unsupported = error.message.hasPrefix("unsupported content type")
            return Self.answer(unsupported ? .unsupportedMediaType : .badRequest, ["error": error.message])
        } catch {
            return Self.answer(.badRequest, ["error": "\(error)"])
        }

        do {
            switch event {
            case "ping":
                let ping = try WebhookPayload.decode(PingEvent.self, from: json)
                _ = try await store.recordDelivery(
                    NewDelivery(id: deliveryID, event: event, outcome: .ignored, reason: "ping"), pipelines: [])
                logger.debug("webhook ping", metadata: ["hook": "\(ping.hookID.map(String.init) ?? "-")"])
                return Self.answer(.ok, IntakeAnswer(delivery: deliveryID.rawValue, outcome: "pong", reason: ping.zen))
            case "push":
                let push = try PushEvent.read(from: json).validated()
                return try await handlePush(push, id: deliveryID, logger: logger)
            case _ where pullRequests.handles(event):
                let pull = try WebhookPayload.decode(PullRequestEvent.self, from: json).validated()
                return try await handlePullRequest(pull, name: event, id: deliveryID, logger: logger)
            default:
                let reason = PullRequestIntake.ignoredReason(event)
                _ = try await store.recordDelivery(
                    NewDelivery(id: deliveryID, event: event, outcome: .ignored, reason: reason), pipelines: [])
                return Self.answer(.accepted, IntakeAnswer(delivery: deliveryID.rawValue, outcome: "ignored", reason: reason))
            }
        } catch let error as WebhookPayloadError {
            logger.warning("webhook body refused", metadata: ["reason": "\(error)"])
            return Self.answer(.badRequest, ["error": error.message])
        } catch {
            // The store could not record it: tell GitHub it failed, so it can be redelivered.
            logger.error("could not record the delivery", metadata: ["error": "\(error)"])
            return Self.answer(.serviceUnavailable, ["error": "could not record the delivery: \(error)"])
        }
    }

    private func handlePush(_ push: PushEvent, id: DeliveryID, logger: Logger) async throws -> Response {
        // A redelivery answers with what the first delivery created, without asking GitHub
        // again. Without GitHub, the decision is cheap and `recordDelivery` itself answers a
        // redelivery with what it recorded the first time, so the store is asked only once.
        if PushIntake.needsComparison(push), let existing = try await store.delivery(id),
            existing.delivery.outcome != .failed
        {
            let recorded = try await store.recordDelivery(existing.delivery, pipelines: [])
            return Self.answer(.accepted, IntakeAnswer(recorded))
        }
        var delivery = NewDelivery(
            id: id, event: "push", repository: push.repository.fullName, ref: push.ref, headCommit: push.after,
            sender: push.sender?.login ?? push.pusher.name, outcome: .accepted)
        let decision = await intake.decide(push)
        switch decision {
        case .accepted(let pipelines, let skipped):
            let recorded = try await store.recordDelivery(delivery, pipelines: pipelines)
            let created = recorded.pipelines.count { $0.created }
            if created > 0 { workAvailable.signal() }
            logSummary?.created(pipelines: created)
            logger.debug(
                "push accepted",
                metadata: [
                    "pipelines": .string(recorded.pipelines.map { "\($0.id.rawValue):\($0.path)" }.joined(separator: ",")),
                    "repository": .string(push.repository.fullName),
                ])
            return Self.answer(.accepted, IntakeAnswer(recorded, skipped: skipped + recorded.skipped))
        case .ignored(let reason, let skipped):
            delivery.outcome = .ignored
            delivery.reason = reason
            let recorded = try await store.recordDelivery(delivery, pipelines: [])
            logger.debug("push ignored", metadata: ["reason": "\(reason)"])
            return Self.answer(.accepted, IntakeAnswer(recorded, skipped: skipped))
        case .failed(let reason, let retryable):
            delivery.outcome = .failed
            delivery.reason = reason
            let recorded = try await store.recordDelivery(delivery, pipelines: [])
            logger.error("push could not be processed", metadata: ["reason": "\(reason)"])
            return Self.answer(retryable ? .badGateway : .unprocessableContent, IntakeAnswer(recorded))
        }
    }

    private func handlePullRequest(_ event: PullRequestEvent, name: String, id: DeliveryID, logger: Logger) async throws -> Response {
        var delivery = NewDelivery(
            id: id, event: name, repository: event.repository.fullName, ref: "refs/heads/\(event.pullRequest.base.ref)",
            headCommit: event.pullRequest.head.sha, sender: nil, outcome: .accepted,
            reason: "pull request #\(event.pullRequest.number) \(event.action): to be looked at for dry runs")
        var signal: PullRequestSignal?
        switch pullRequests.decide(event, name: name) {
        case .signal(let found):
            signal = found
        case .ignored(let reason):
            delivery.outcome = .ignored
            delivery.reason = reason
        }
        let recorded = try await store.recordPullRequestDelivery(delivery, signal: signal)
        if signal != nil && !recorded.isRedelivery { dryRunsDue?.signal() }
        logger.debug("\(name) \(recorded.record.delivery.outcome.rawValue)", metadata: ["reason": "\(recorded.record.delivery.reason ?? "")"])
        return Self.answer(.accepted, IntakeAnswer(recorded))
    }

    static func isValidDeliveryID(_ text: String) -> Bool {
        (1...200).contains(text.utf8.count)
            && text.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }
    }

    static let outcomeHeader = HTTPField.Name("X-Jobrunner-Outcome")!

    /// One encoder for every answer (made once, not per delivery).
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func answer(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let data = (try? encoder.encode(value)) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Every answered delivery gets one: written by `IntakeAnswer.json()`, not `JSONEncoder`.
    static func answer(_ status: HTTPResponse.Status, _ intake: IntakeAnswer) -> Response {
        let headers: HTTPFields = [.contentType: "application/json", outcomeHeader: intake.redelivery ? "redelivery" : intake.outcome]
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: intake.json())))
    }

    /// The metrics label of an answer: the intake outcome, or why the request was refused.
    static func outcomeLabel(_ response: Response) -> DeliveryAnswer {
        if let outcome = response.headers.value(outcomeHeader) { return DeliveryAnswer(rawValue: outcome) ?? .malformed }
        switch response.status {
        case .unauthorized: return .badSignature
        case .contentTooLarge: return .tooLarge
        case .serviceUnavailable: return .storeUnavailable
        default: return .malformed
        }
    }
}

/// The JSON answer to a delivery; GitHub shows it in the webhook's delivery log.
struct IntakeAnswer: Encodable {
    struct Pipeline: Encodable {
        var id: Int64
        var path: String
        var created: Bool
    }
    struct Skipped: Encodable {
        var path: String
        var reason: String
    }

    var delivery: String
    var outcome: String
    var reason: String?
    /// One line for people reading GitHub's delivery log, e.g. "ignored: branch deletion".
    var message: String
    var redelivery = false
    var pipelines: [Pipeline] = []
    var skipped: [Skipped] = []

    init(delivery: String, outcome: String, reason: String?) {
        self.delivery = delivery
        self.outcome = outcome
        self.reason = reason
        message = Self.message(outcome: outcome, reason: reason, scripts: nil, redelivery: false)
    }

    init(_ recorded: RecordedDelivery, skipped: [ScriptDetector.Skipped] = []) {
        let outcome = recorded.record.delivery.outcome.rawValue
        let reason = recorded.record.delivery.reason
        delivery = recorded.record.delivery.id.rawValue
        self.outcome = outcome
        self.reason = reason
        message = Self.message(
            outcome: outcome, reason: reason, scripts: recorded.pipelines.count, redelivery: recorded.isRedelivery)
        redelivery = recorded.isRedelivery
        pipelines = recorded.pipelines.map { Pipeline(id: $0.id.rawValue, path: $0.path, created: $0.created) }
        self.skipped = skipped.map { Skipped(path: $0.path, reason: $0.reason) }
    }

    static func message(outcome: String, reason: String?, scripts: Int?, redelivery: Bool) -> String {
        if let reason { return "\(outcome): \(reason)" }
        guard let scripts else { return outcome }
        return "\(outcome): \(scripts) script(s)" + (redelivery ? " (redelivery)" : "")
    }
}
