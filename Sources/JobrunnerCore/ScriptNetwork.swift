import Foundation

/// Which networks a sandboxed script reaches (`JOBRUNNER_SCRIPT_NETWORK`).
public enum ScriptNetwork: String, Sendable, CaseIterable {
    /// The host's network, loopback included (the service's own port too).
    case host
    /// No network at all: a network namespace with only its own loopback.
    case isolated
    /// A network namespace behind slirp4netns reaching only `JOBRUNNER_SCRIPT_EGRESS` (and
    /// DNS) — never the host itself, its loopback or any of its addresses.
    case egress
}

/// Where scripts may connect with `JOBRUNNER_SCRIPT_NETWORK=egress` (`JOBRUNNER_SCRIPT_EGRESS`):
/// networks (`10.20.0.0/16`), addresses (`192.0.2.7`, `2001:db8::7`) and host names
/// (`db.internal`, resolved when each run starts), each on every port or on one
/// (`db.internal:5432`, `10.20.0.0/16:443`, `[2001:db8::7]:5432`).
public struct EgressDestination: Sendable, Equatable, CustomStringConvertible {
    public enum Target: Sendable, Equatable {
        /// An address or a network: the address and its prefix length.
        case network(address: String, prefix: Int, ipv6: Bool)
        case host(String)
    }

    public var target: Target
    /// nil: every port.
    public var port: Int?

    public init(target: Target, port: Int? = nil) {
        self.target = target
        self.port = port
    }

    public init?(parsing text: String) {
        var rest = text.trimmingCharacters(in: .whitespaces)
        var port: Int?
        if rest.hasPrefix("[") {
            // [IPv6] or [IPv6/prefix], then optionally :port
            guard let close = rest.firstIndex(of: "]") else { return nil }
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = Int(after.dropFirst()) else { return nil }
                port = number
            }
            rest = String(rest[rest.index(after: rest.startIndex)..<close])
        } else if rest.filter({ $0 == ":" }).count == 1, let colon = rest.lastIndex(of: ":") {
            guard let number = Int(rest[rest.index(after: colon)...]) else { return nil }
            port = number
            rest = String(rest[..<colon])
        }
        if let port, !(1...65535).contains(port) { return nil }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), !parts[0].isEmpty else { return nil }
        if let ipv6 = Self.addressFamily(parts[0]) {
            let maximum = ipv6 ? 128 : 32
            let prefix = parts.count == 2 ? Int(parts[1]) : maximum
            guard let prefix, (0...maximum).contains(prefix) else { return nil }
            target = .network(address: parts[0], prefix: prefix, ipv6: ipv6)
        } else {
            guard parts.count == 1, Self.isHostName(parts[0]) else { return nil }
            target = .host(parts[0].lowercased())
        }
        self.port = port
    }

    public var description: String {
        let base: String =
            switch target {
            case let .network(address, prefix, ipv6):
                (prefix == (ipv6 ? 128 : 32) ? address : "\(address)/\(prefix)")
            case .host(let name): name
            }
        guard let port else { return base }
        if case .network(_, _, true) = target { return "[\(base)]:\(port)" }
        return "\(base):\(port)"
    }

    /// true: IPv6, false: IPv4, nil: not an address.
    static func addressFamily(_ text: String) -> Bool? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return false }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return true }
        return nil
    }

    static func isHostName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 253
            && text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
                (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                    && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            }
    }

    /// `JOBRUNNER_SCRIPT_EGRESS`: comma-separated destinations.
    public static func parseList(_ text: String) throws(SettingsProblem) -> [EgressDestination] {
        try text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map { item throws(SettingsProblem) in
            guard let destination = EgressDestination(parsing: item) else {
                throw SettingsProblem("'\(item)' is not a network, address or host name with an optional :port (examples: 10.20.0.0/16, db.internal:5432, [2001:db8::7]:443)")
            }
            return destination
        }
    }
}
