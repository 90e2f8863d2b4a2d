import Foundation
import HTTPTypes
import Hummingbird
import JobrunnerCore
import JobrunnerStore
import NIOCore

/// Server-sent events for a pipeline page: stage states and new output of the current run.
/// Read from the store at an interval, so a script running on another node streams too.
/// Ends with `event: end` once nothing of the pipeline is queued or running; a stream that
/// lasts longer than `maximumDuration` just closes (the browser reconnects).
struct LiveEvents: Sendable {
    let store: any PipelineLookup & RunRecords
    let interval: Duration
    let maximumDuration: Duration

    init(store: any PipelineLookup & RunRecords, interval: Duration = .milliseconds(500), maximumDuration: Duration = .seconds(600)) {
        self.store = store
        self.interval = interval
        self.maximumDuration = maximumDuration
    }

    /// - Parameters:
    ///   - stillSignedIn: checked before every read: a session that expired ends the stream
    ///     (the browser's reconnect is then refused).
    ///   - ended: called once the stream is over, however it ended.
    func response(
        for id: PipelineID, stillSignedIn: @escaping @Sendable () -> Bool = { true }, ended: @escaping @Sendable () -> Void = {}
    ) -> Response {
        let body = ResponseBody { writer in
            defer { ended() }
            var state = StreamState()
            let deadline = ContinuousClock.now + maximumDuration
            var lastWrite = ContinuousClock.now
            try await writer.write(ByteBuffer(string: "retry: 3000\n\n"))
            while ContinuousClock.now < deadline, stillSignedIn() {
                guard let detail = try await store.pipeline(id) else { break }
                var events = state.stageEvents(detail.summary)
                if let run = try await store.executions(for: id).last { events += state.outputEvents(run) }
                for event in events {
                    try await writer.write(ByteBuffer(string: event))
                    lastWrite = ContinuousClock.now
                }
                if detail.summary.stages.allSatisfy({ $0.state != .queued && $0.state != .running }) {
                    try await writer.write(ByteBuffer(string: "event: end\ndata: {}\n\n"))
                    break
                }
                if ContinuousClock.now - lastWrite > .seconds(15) {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    lastWrite = ContinuousClock.now
                }
                try await Task.sleep(for: interval)
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store", Self.accelBuffering: "no"],
            body: body)
    }

    static let accelBuffering = HTTPField.Name("X-Accel-Buffering")!

    /// What the stream has sent so far.
    struct StreamState {
        var stages = ""
        var execution: Int64?
        var finished = false
        var sent = (stdout: 0, stderr: 0)
        var progress = ""

        mutating func stageEvents(_ summary: PipelineSummary) -> [String] {
            let object: [String: Any] = [
                "status": summary.status.rawValue,
                "stages": summary.stages.map { ["kind": $0.kind.rawValue, "state": $0.state.rawValue] },
            ]
            let json = LiveEvents.json(object)
            guard json != stages else { return [] }
            stages = json
            return ["event: stages\ndata: \(json)\n\n"]
        }

        /// New output of `run`; everything again (with `reset`) for a new run, and once more
        /// when it finishes, since the final record keeps only the head and tail of long output.
        mutating func outputEvents(_ run: ExecutionRecord) -> [String] {
            var reset = false
            if run.id != execution || (run.finishedAt != nil && !finished && (run.stdoutTruncated || run.stderrTruncated)) {
                execution = run.id
                sent = (0, 0)
                reset = true
            }
            finished = run.finishedAt != nil
            var events: [String] = []
            if let report = run.progress {
                let json = LiveEvents.json(DashboardTemplates.visible(DashboardPages.progress(report)))
                if json != progress {
                    progress = json
                    events.append("event: progress\ndata: \(json)\n\n")
                }
            }
            for stream in ["stdout", "stderr"] {
                let bytes = stream == "stdout" ? run.stdout : run.stderr
                let offset = stream == "stdout" ? sent.stdout : sent.stderr
                guard bytes.count > offset || reset else { continue }
                let chunk = DashboardFormat.completeUTF8Prefix(bytes[min(offset, bytes.count)...])
                if stream == "stdout" { sent.stdout = offset + chunk.count } else { sent.stderr = offset + chunk.count }
                let text = MarkdownText.visible(String(decoding: chunk, as: UTF8.self), keepingLayout: true)
                let object: [String: Any] = ["stream": stream, "text": text, "reset": reset]
                events.append("event: output\ndata: \(LiveEvents.json(object))\n\n")
            }
            return events
        }
    }

    static func json(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
