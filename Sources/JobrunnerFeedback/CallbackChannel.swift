import AsyncHTTPClient
import Crypto
import Foundation
import JobrunnerCore
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// `JOBRUNNER_CALLBACK_URLS`: a JSON POST to each URL when a pipeline succeeds or fails, signed
/// with HMAC-SHA256 exactly as GitHub signs webhooks (`X-Hub-Signature-256: sha256=<hex>` over
/// the raw body, also sent as `X-Jobrunner-Signature-256`), so receivers can verify it with the
/// code they use for GitHub. 2xx counts as delivered; the outbox retries the rest with backoff,
/// with the same `X-Jobrunner-Delivery` id, so a receiver can drop a duplicate.
public struct CallbackChannel: FeedbackChannel {
    public let urls: [String]
    private let secret: String
    private let httpClient: HTTPClient
    private let clock: any JobClock
    private let timeout: TimeAmount

    public var name: String { "callback" }

    public init(
        urls: [String], secret: String, httpClient: HTTPClient = .shared, clock: any JobClock = SystemClock(),
        timeout: TimeAmount = .seconds(10)
    ) {
        self.urls = urls
        self.secret = secret
        self.httpClient = httpClient
        self.clock = clock
        self.timeout = timeout
    }

    /// The channel `JOBRUNNER_CALLBACK_URLS` and `JOBRUNNER_CALLBACK_SECRET` configure; nil when off.
    public init?(settings: Settings) {
        guard !settings.callbackURLs.isEmpty, let secret = settings.callbackSecret else { return nil }
        self.init(urls: settings.callbackURLs, secret: secret)
    }

    public func wants(_ event: PipelineEvent) -> Bool {
        switch event {
        case .started, .running, .progress, .waiting: false
        case .finished, .failed, .discarded: true
        }
    }

    public func deliver(_ delivery: FeedbackDelivery) async throws -> [String] {
        guard wants(delivery.event), !urls.isEmpty else { return [] }
        let event = delivery.event
        let body = try Self.payload(event, pipeline: delivery.pipeline, at: clock.now())
        let signature = Self.signature(for: body, secret: secret)
        let deliveryID = "pipeline-\(delivery.pipeline.id.rawValue)-message-\(delivery.messageID)"
        var failures: [String] = []
        var refusedOnly = true
        for url in urls {
            if let failure = await post(body, to: url, signature: signature, event: event.name, delivery: deliveryID) {
                failures.append("\(url): \(failure.reason)")
                refusedOnly = refusedOnly && failure.refused
            }
        }
        guard failures.isEmpty else {
            let error = CallbackError(failures: failures)
            if refusedOnly { throw FeedbackRefused(error.description) }
            throw error
        }
        return urls
    }

    /// `sha256=<hex>` of HMAC-SHA256 over `body`: GitHub's webhook signature, so receivers verify
    /// callbacks with the code they use for GitHub (GitHubAccessTests checks it against the
    /// intake's verifier).
    static func signature(for body: Data, secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }

    /// Nil when delivered; otherwise why the last try failed and whether the receiver refused it
    /// (a 4xx other than 408 and 429: trying again cannot help).
    private func post(_ body: Data, to url: String, signature: String, event: String, delivery: String) async -> (
        reason: String, refused: Bool
    )? {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "jobrunner")
        request.headers.add(name: "X-Jobrunner-Event", value: "pipeline.\(event)")
        request.headers.add(name: "X-Jobrunner-Delivery", value: delivery)
        request.headers.add(name: "X-Hub-Signature-256", value: signature)
        request.headers.add(name: "X-Jobrunner-Signature-256", value: signature)
        request.body = .bytes(ByteBuffer(data: body))
        do {
            let response = try await httpClient.execute(request, timeout: timeout)
            _ = try? await response.body.collect(upTo: 64 * 1024)
            let code = response.status.code
            if (200..<300).contains(code) { return nil }
            return ("answered \(code)", (400..<500).contains(code) && code != 429 && code != 408)
        } catch {
            return ("\(error)", false)
        }
    }

    /// The callback body: what happened, to which pipeline, and where the log is.
    static func payload(_ event: PipelineEvent, pipeline: PipelineRecord, at: Date) throws -> Data {
        let source = pipeline.source
        var body: [String: Any] = [
            "event": "pipeline.\(event.name)",
            "sent_at": ISO8601DateFormatter().string(from: at),
            "pipeline": [
                "id": pipeline.id.rawValue, "repository": source.repository.rawValue, "branch": source.branch,
                "commit": source.commit, "script": source.scriptPath, "delivery": pipeline.deliveryID.rawValue,
            ] as [String: Any],
        ]
        switch event {
        case .started, .running, .progress, .waiting:
            break
        case .finished(let report):
            var execution: [String: Any] = ["outcome": report.outcome.rawValue, "exit_status": report.exitCode.map { Int($0) as Any } ?? NSNull()]
            if let duration = report.duration { execution["duration_seconds"] = duration.secondsDouble }
            body["execution"] = execution
            var log: [String: Any] = ["path": report.logPath, "commit": report.logCommit]
            if let url = report.logURL { log["url"] = url }
            body["log"] = log
            if let number = report.pullRequest { body["pull_request"] = number }
        case .failed(let stage, let reason):
            body["failed_stage"] = stage.rawValue
            body["reason"] = reason
        case .discarded(let by, let reason, let path, let url, let commit):
            body["discard"] = ["by": by, "reason": reason] as [String: Any]
            var log: [String: Any] = ["path": path, "commit": commit]
            if let url { log["url"] = url }
            body["log"] = log
        }
        return try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
    }
}

/// Callbacks that could not be delivered, one line per URL.
public struct CallbackError: Error, Sendable, CustomStringConvertible {
    public var failures: [String]
    public var description: String { "callback not delivered: " + failures.joined(separator: "; ") }
}
