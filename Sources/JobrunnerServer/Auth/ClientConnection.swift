import NIOCore

/// Both ends of the TCP connection a request came over. The client's address keys failed
/// sign-ins; for a loopback client the pair also finds which local process holds the socket.
public struct ClientConnection: Sendable, Hashable {
    /// The peer's IP address; "unknown" when the transport has none (tests' in-memory channels).
    public var address: String
    public var port: Int?
    public var serverAddress: String?
    public var serverPort: Int?

    public init(address: String, port: Int? = nil, serverAddress: String? = nil, serverPort: Int? = nil) {
        self.address = address
        self.port = port
        self.serverAddress = serverAddress
        self.serverPort = serverPort
    }

    init(channel: any Channel) {
        self.init(
            address: channel.remoteAddress?.ipAddress ?? "unknown", port: channel.remoteAddress?.port,
            serverAddress: channel.localAddress?.ipAddress, serverPort: channel.localAddress?.port)
    }

    /// From this machine: any process on it, a script of the host network included, may be the peer.
    public var isLoopback: Bool {
        address == "::1" || address.hasPrefix("127.") || address.hasPrefix("::ffff:127.")
    }
}
