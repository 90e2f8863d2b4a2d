import Hummingbird
import NIOCore

/// Every route's request context: Hummingbird's, plus the address the request came from, so
/// failed sign-ins can be counted per client (`SignInThrottle`).
public struct ClientRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address; "unknown" when the transport has none (tests' in-memory channels).
    public let clientAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}
