#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Ports for the servers tests start (`jobrunner serve`, chromedriver).
///
/// Random ports collided: the old range reached into the kernel's ephemeral range (32768 and up),
/// where stand-ins bound to port 0 and every client connection take theirs, and two tests running
/// side by side could draw the same number. These ports lie below the ephemeral range, are handed
/// out once per test process, and are checked free before they are returned.
public enum TestPorts {
    private static let first = 20_000
    private static let count = 12_000
    private static let cursor = Mutex(Int.random(in: 0..<count))

    /// A port on 127.0.0.1 nothing listens on and no other test of this process was given.
    public static func free() -> Int {
        while true {
            let port = cursor.withLock { offset in
                defer { offset = (offset + 1) % count }
                return first + offset
            }
            if isFree(port) { return port }
        }
    }

    /// Whether binding 127.0.0.1:`port` (without SO_REUSEADDR) succeeds right now.
    private static func isFree(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return true }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
