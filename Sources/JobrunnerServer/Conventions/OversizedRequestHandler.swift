import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// A request line or header longer than the HTTP decoder takes (80 KiB) never reaches a route:
/// the decoder gives up. Instead of the empty 400 that would follow, the client hears 414 with
/// what happened, and the connection closes (the decoder cannot go on). Shorter but still
/// overlong URLs are refused by `HTTPConventionsMiddleware`.
final class OversizedRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, parserError == .headerOverflow else {
            context.fireErrorCaught(error)
            return
        }
        context.answerAndClose(.uriTooLong, error: "the request line or a header is longer than the server reads (80 KiB)")
    }
}
