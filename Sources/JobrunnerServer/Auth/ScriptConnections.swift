import Foundation
import JobrunnerStages

#if canImport(Glibc)
import Glibc
#endif

/// Which sandboxed script, if any, holds the client end of a loopback connection. A script on
/// the host network reaches the service from 127.0.0.1 like an operator's browser or a local
/// reverse proxy; telling them apart keeps a script's wrong tokens from locking operators out.
public protocol ScriptConnections: Sendable {
    /// A name for the run whose process holds `connection`'s client end; nil: not a script's.
    func scriptRun(holding connection: ClientConnection) -> String?
}

/// Reads `/proc`: the socket's inode from `/proc/net/tcp{,6}`, then the processes below each
/// bubblewrap sandbox this service's binary started (`ProcessTree`; a script cannot leave that
/// tree: the sandbox has its own PID namespace, so even a daemonised process stays under it).
public struct ProcScriptConnections: ScriptConnections {
    public init() {}

    public func scriptRun(holding connection: ClientConnection) -> String? {
        guard connection.isLoopback, let port = connection.port, let serverAddress = connection.serverAddress,
            let serverPort = connection.serverPort, let client = Self.bytes(connection.address),
            let server = Self.bytes(serverAddress),
            let inode = socketInode(client: (client, port), server: (server, serverPort))
        else { return nil }
        let processes = ProcessTree.members()
        let byPID = Dictionary(processes.map { ($0.pid, $0) }, uniquingKeysWith: { first, _ in first })
        let ownName = byPID[getpid()]?.name ?? "jobrunner"
        let target = "socket:[\(inode)]"
        // The outermost bubblewrap of each run: started by a process of this service's binary.
        let sandboxes = processes.filter { $0.name == "bwrap" && byPID[$0.parent]?.name == ownName }.map(\.pid).sorted()
        for sandbox in sandboxes {
            for pid in [sandbox] + ProcessTree.descendants(of: sandbox, in: processes).map(\.pid) where Self.holds(pid, target) {
                return "script sandbox \(sandbox)"
            }
        }
        return nil
    }

    static func holds(_ pid: Int32, _ target: String) -> Bool {
        let directory = "/proc/\(pid)/fd"
        for descriptor in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + descriptor)) == target { return true }
        }
        return false
    }

    /// A file of `/proc` whole: they report a size of 0, and Foundation's readers may stop
    /// after the first block of a long one (seen with `/proc/net/tcp` of a busy machine).
    static func read(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return count == 0 ? String(decoding: bytes, as: UTF8.self) : nil }
            bytes += buffer[0..<count]
        }
    }

    /// The inode of the socket whose local end is `client` and remote end is `server`.
    func socketInode(client: ([UInt8], Int), server: ([UInt8], Int)) -> String? {
        for table in ["tcp", "tcp6"] {
            guard let text = Self.read("/proc/net/\(table)") else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                // Established only: an earlier connection of the same ports may linger in
                // TIME_WAIT, owned by no process (inode 0).
                guard fields.count > 9, fields[3] == "01", fields[9] != "0", let local = Self.endpoint(fields[1]),
                    let remote = Self.endpoint(fields[2]), local.port == client.1, remote.port == server.1,
                    local.address == client.0, remote.address == server.0
                else { continue }
                return String(fields[9])
            }
        }
        return nil
    }

    /// An address as 16 bytes (IPv4 as IPv4-mapped IPv6), so both tables compare alike.
    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] + withUnsafeBytes(of: v4) { Array($0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        return withUnsafeBytes(of: v6) { Array($0) }
    }

    /// `/proc/net/tcp`'s `HEX:PORT`: the address as 32-bit words in host byte order.
    static func endpoint(_ field: Substring) -> (address: [UInt8], port: Int)? {
        let parts = field.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1], radix: 16), parts[0].count == 8 || parts[0].count == 32 else { return nil }
        var address: [UInt8] = []
        var hex = parts[0][...]
        while !hex.isEmpty {
            guard let word = UInt32(hex.prefix(8), radix: 16) else { return nil }
            address += withUnsafeBytes(of: word) { Array($0) }
            hex = hex.dropFirst(8)
        }
        if address.count == 4 { address = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] + address }
        return (address, port)
    }
}
