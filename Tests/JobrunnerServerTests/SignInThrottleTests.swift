import Foundation
#if canImport(Glibc)
import Glibc
#endif
import JobrunnerCore
@testable import JobrunnerServer
import JobrunnerTestSupport
import Logging
import Testing

/// Failures are counted per client; on loopback a script's sandbox is a client of its own.
@Suite("Sign-in throttle")
struct SignInThrottleTests {
    /// Says which client ports belong to a script, and counts how often it was asked.
    final class Scripts: ScriptConnections {
        let ports: Set<Int>
        let asked = Locked(0)
        init(ports: Set<Int>) { self.ports = ports }
        func scriptRun(holding connection: ClientConnection) -> String? {
            asked.withLock { $0 += 1 }
            return connection.port.map(ports.contains) == true ? "script sandbox 7" : nil
        }
    }

    static func loopback(_ port: Int) -> ClientConnection {
        ClientConnection(address: "127.0.0.1", port: port, serverAddress: "127.0.0.1", serverPort: 8080)
    }

    @Test
    func aScriptOnLoopbackLocksOnlyItselfOut() {
        let scripts = Scripts(ports: [40001, 40002])
        let clock = ManualClock()
        let throttle = SignInThrottle(clock: clock, logger: Logger(label: "test"), scripts: scripts)
        #expect(throttle.retryAfter(Self.loopback(40001)) == nil)
        #expect(scripts.asked.value == 0, "nobody is refused: /proc is not read before an attempt")
        for _ in 1...10 { throttle.failed(Self.loopback(40001), channel: "api") }
        #expect(throttle.retryAfter(Self.loopback(40002)) != nil, "the script, on another connection, is refused")
        #expect(throttle.retryAfter(Self.loopback(50000)) == nil, "an operator on 127.0.0.1 is not")
        #expect(throttle.retryAfter(ClientConnection(address: "10.0.0.9")) == nil)
        clock.advance(by: .seconds(301))
        #expect(throttle.retryAfter(Self.loopback(40002)) == nil, "the window passed")
    }

    @Test
    func anOperatorsOwnFailuresStillCountAgainstTheirAddress() {
        let throttle = SignInThrottle(clock: ManualClock(), logger: Logger(label: "test"), scripts: Scripts(ports: [40001]))
        for port in 50001...50010 { throttle.failed(Self.loopback(port), channel: "dashboard") }
        #expect(throttle.retryAfter(Self.loopback(50011)) != nil)
        #expect(throttle.retryAfter(Self.loopback(40001)) == nil, "a script is a client of its own")
        for _ in 1...10 { throttle.failed(ClientConnection(address: "192.0.2.1"), channel: "api") }
        #expect(throttle.retryAfter(ClientConnection(address: "192.0.2.1")) != nil)
    }
}

@Suite("Finding a script's socket in /proc")
struct ProcScriptConnectionsTests {
    @Test
    func procAddressesReadAsTheClientsAddresses() throws {
        let v4 = try #require(ProcScriptConnections.endpoint("0100007F:1F90"))
        #expect(v4.port == 8080 && v4.address == ProcScriptConnections.bytes("127.0.0.1"))
        let v6 = try #require(ProcScriptConnections.endpoint("00000000000000000000000001000000:0050"))
        #expect(v6.port == 80 && v6.address == ProcScriptConnections.bytes("::1"))
        let mapped = try #require(ProcScriptConnections.endpoint("0000000000000000FFFF00000100007F:0050"))
        #expect(mapped.address == ProcScriptConnections.bytes("127.0.0.1"))
        #expect(ProcScriptConnections.endpoint("zz:1") == nil)
    }

    /// A loopback connection of a process that is no sandbox's is nobody's script.
    @Test
    func aConnectionOfThisProcessIsNoScripts() async throws {
        func port(of descriptor: Int32) -> Int {
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }
            return Int(UInt16(bigEndian: address.sin_port))
        }
        var loopback = sockaddr_in()
        loopback.sin_family = sa_family_t(AF_INET)
        loopback.sin_addr.s_addr = inet_addr("127.0.0.1")
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        let bound = withUnsafePointer(to: &loopback) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(bound == 0 && listen(listener, 1) == 0)
        let serverPort = port(of: listener)
        loopback.sin_port = in_port_t(UInt16(serverPort).bigEndian)
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        let connected = withUnsafePointer(to: &loopback) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        let connection = ClientConnection(address: "127.0.0.1", port: port(of: client), serverAddress: "127.0.0.1", serverPort: serverPort)
        let proc = ProcScriptConnections()
        let home = try #require(ProcScriptConnections.bytes("127.0.0.1"))
        #expect(proc.socketInode(client: (home, port(of: client)), server: (home, serverPort)) != nil, "the socket is in /proc/net/tcp")
        #expect(proc.scriptRun(holding: connection) == nil)
    }
}
