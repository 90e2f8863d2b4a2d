import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// A request's body must have fully arrived `deadline` after its head, or the client hears 408
/// and the connection closes: a slow upload (slowloris) cannot hold a connection and the memory
/// of its body for long. GitHub sends a delivery's body at once and itself gives up after 10 s.
///
/// The deadline is a timer on the connection's event loop, armed at the head and cancelled at the
/// end of the body. A route that waited on a timer of its own paid for a child task and a
/// Dispatch timer per request — a quarter of intake's throughput (perf, bench/README.md).
/// When the deadline passes after the route has begun its answer, the connection just closes.
final class RequestBodyDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let deadline: TimeAmount
    private let logger: Logger
    /// The path of the request whose body is arriving, for the log line.
    private var path = ""
    /// Armed while a body is arriving.
    private var timer: Scheduled<Void>?
    /// Whether the answer to the request whose body is arriving has begun.
    private var answerStarted = false

    init(deadline: Duration, logger: Logger) {
        self.deadline = TimeAmount(deadline)
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            disarm()
            answerStarted = false
            path = request.path ?? ""
            let loop = context.eventLoop.assumeIsolated()
            timer = loop.scheduleTask(in: deadline) { [self] in expired(context: context) }
        case .end:
            disarm()
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if timer != nil, case .head = unwrapOutboundIn(data) { answerStarted = true }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }

    private func expired(context: ChannelHandlerContext) {
        timer = nil
        guard context.channel.isActive else { return }
        logger.warning("request body not received in time; closing the connection", metadata: [
            "path": "\(path)", "deadline": "\(Self.describe(deadline))", "answered": "\(answerStarted)",
        ])
        guard !answerStarted else {
            context.close(promise: nil)
            return
        }
        context.answerAndClose(.requestTimeout, error: "the body did not arrive within \(Self.describe(deadline))")
    }

    /// "10 seconds", "300 ms": how the deadline reads in the answer.
    static func describe(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) seconds" : "\(milliseconds) ms"
    }
}
