import AsyncHTTPClient
import Foundation
import JobrunnerCore
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// `JOBRUNNER_SLACK_WEBHOOK_URL`: a Block Kit message to a Slack incoming webhook (Mattermost and
/// others accept the same shape) when a script starts, succeeds or fails — naming the script,
/// the repository, who merged and who approved it, the outcome, the duration and links to the
/// dashboard, the execution log and the pull request.
public struct SlackChannel: FeedbackChannel {
    private let url: String
    public let dashboardURL: String?
    private let httpClient: HTTPClient
    private let clock: any JobClock
    private let timeout: TimeAmount

    public var name: String { "slack" }

    public init(
        url: String, dashboardURL: String?, httpClient: HTTPClient = .shared, clock: any JobClock = SystemClock(),
        timeout: TimeAmount = .seconds(10)
    ) {
        self.url = url
        self.dashboardURL = dashboardURL
        self.httpClient = httpClient
        self.clock = clock
        self.timeout = timeout
    }

    /// The channel the settings configure; nil when off.
    public init?(settings: Settings) {
        guard let url = settings.slackWebhookURL else { return nil }
        self.init(url: url, dashboardURL: settings.publicURL)
    }

    public func wants(_ event: PipelineEvent) -> Bool {
        switch event {
        case .running, .finished, .failed, .discarded: true
        case .started, .progress, .waiting: false
        }
    }

    public func deliver(_ delivery: FeedbackDelivery) async throws -> [String] {
        guard wants(delivery.event) else { return [] }
        let body = try JSONSerialization.data(withJSONObject: Self.message(delivery, dashboardURL: dashboardURL), options: [.sortedKeys])
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "jobrunner")
        request.body = .bytes(ByteBuffer(data: body))
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: timeout)
        } catch {
            throw SlackError(reason: "could not reach the Slack webhook: \(error)")
        }
        let answer = String(buffer: try await response.body.collect(upTo: 16 * 1024))
        let code = response.status.code
        if (200..<300).contains(code) { return ["slack webhook"] }
        if code == 429 {
            let seconds = response.headers.first(name: "Retry-After").flatMap(Double.init) ?? 30
            throw FeedbackDeferral(until: clock.now().addingTimeInterval(seconds))
        }
        let reason = "the Slack webhook answered \(code): \(answer.prefix(200))"
        // invalid_payload, no_service, channel_not_found...: sending it again cannot help.
        if (400..<500).contains(code) && code != 408 { throw FeedbackRefused(reason) }
        throw SlackError(reason: reason)
    }

    /// The message: `text` for notifications and clients without blocks; a header, the facts as
    /// section fields, a context line and link buttons, within Block Kit's documented limits.
    static func message(_ delivery: FeedbackDelivery, dashboardURL: String?) -> [String: Any] {
        let pipeline = delivery.pipeline
        let source = pipeline.source
        let approval = delivery.snapshot.artifact?.approval
        let (emoji, what): (String, String)
        var outcome: String
        var duration: Duration? = delivery.snapshot.execution?.duration
        var logURL: String?
        switch delivery.event {
        case .finished(let report):
            (emoji, what) = report.outcome == .succeeded ? ("✅", "succeeded") : ("❌", "failed")
            outcome = report.outcome.rawValue + (report.exitCode.map { ", exit status \($0)" } ?? "")
            duration = report.duration ?? duration
            logURL = report.logURL
        case .failed(let stage, let reason):
            (emoji, what) = ("❌", "failed")
            outcome = "\(stage.displayName) failed: \(reason)"
        case .discarded(let by, let reason, _, let url, _):
            (emoji, what) = ("⚪", "discarded")
            outcome = "discarded by \(by): \(reason)"
            duration = nil
            logURL = url
        default:
            (emoji, what) = ("▶️", "started")
            outcome = "running"
            duration = nil
        }
        let script = source.scriptPath
        let title = "\(emoji) Script \(what): \(script)"
        var fields: [(String, String)] = [
            ("Repository", source.repository.rawValue),
            ("Outcome", outcome),
            ("Merged by", approval?.mergedBy ?? source.pusher ?? "unknown"),
            ("Approved by", approval.map { $0.approvers.isEmpty ? "nobody" : $0.approvers.joined(separator: ", ") } ?? "not checked"),
        ]
        if let author = approval?.author ?? source.author { fields.append(("Author", author)) }
        if let duration { fields.append(("Duration", String(format: "%.1fs", duration.secondsDouble))) }
        let pipelineURL = dashboardURL.map { "\($0)/pipelines/\(pipeline.id.rawValue)" }
        var buttons: [[String: Any]] = []
        func button(_ text: String, _ url: String?) {
            guard let url, url.count <= 3000 else { return }
            buttons.append(["type": "button", "text": ["type": "plain_text", "text": text], "url": url])
        }
        button("Dashboard", pipelineURL)
        button("Execution log", logURL)
        button("Pull request #\(approval?.number ?? source.pullRequest ?? 0)", approval?.url)
        var blocks: [[String: Any]] = [
            ["type": "header", "text": ["type": "plain_text", "text": clip(title, 150), "emoji": true]],
            [
                "type": "section",
                "fields": fields.prefix(10).map { ["type": "mrkdwn", "text": clip("*\($0.0)*\n\(escape($0.1))", 2000)] },
            ],
            [
                "type": "context",
                "elements": [
                    ["type": "mrkdwn", "text": clip(escape("pipeline \(pipeline.id.rawValue) · commit \(source.commit.prefix(12)) on \(source.branch)"), 2000)]
                ],
            ],
        ]
        if !buttons.isEmpty { blocks.append(["type": "actions", "elements": buttons]) }
        let text = "\(title) in \(source.repository.rawValue) (pipeline \(pipeline.id.rawValue)): \(outcome)"
        return ["text": clip(escape(text), 3000), "blocks": blocks]
    }

    /// Slack's mrkdwn control characters, escaped as Slack documents.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    static func clip(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }
}

/// The Slack webhook could not be reached or failed; the outbox tries again.
public struct SlackError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
