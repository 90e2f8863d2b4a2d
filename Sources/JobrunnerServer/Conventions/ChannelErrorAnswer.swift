import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes

extension ChannelHandlerContext {
    /// Answers `status` with the API's JSON error (`{"error": message}`) and closes the
    /// connection once it is written. For handlers below the router — the decoder gave up, a
    /// body came too late — where no route can answer and the connection cannot go on.
    func answerAndClose(_ status: HTTPResponse.Status, error message: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let body = ByteBuffer(bytes: (try? encoder.encode(["error": message])) ?? Data())
        let head = HTTPResponse(
            status: status,
            headerFields: [
                .contentType: "application/json", .contentLength: String(body.readableBytes), .connection: "close",
                .cacheControl: "no-store",
            ])
        write(NIOAny(HTTPResponsePart.head(head)), promise: nil)
        write(NIOAny(HTTPResponsePart.body(body)), promise: nil)
        writeAndFlush(NIOAny(HTTPResponsePart.end(nil))).assumeIsolated().whenComplete { _ in self.close(promise: nil) }
    }
}
