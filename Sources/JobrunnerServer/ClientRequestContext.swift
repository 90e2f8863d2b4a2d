import Hummingbird
import NIOCore

/// Every route's request context: Hummingbird's, plus the connection the request came over, so
/// failed sign-ins can be counted per client (`SignInThrottle`).
public struct ClientRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let connection: ClientConnection
    /// The peer's IP address; "unknown" when the transport has none (tests' in-memory channels).
    public var clientAddress: String { connection.address }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        connection = ClientConnection(channel: source.channel)
    }
}
