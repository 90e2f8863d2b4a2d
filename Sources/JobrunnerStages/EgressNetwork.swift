import Foundation
import JobrunnerCore

#if canImport(Glibc)
import Glibc
#endif

/// The network of a run with `JOBRUNNER_SCRIPT_NETWORK=egress`: bubblewrap's network namespace,
/// connected by slirp4netns (user-mode NAT, host loopback disabled) and filtered by an nftables
/// ruleset inside the namespace that lets out only DNS and `JOBRUNNER_SCRIPT_EGRESS` — and never
/// the host itself, whichever of its addresses a destination names or covers. The ruleset is in
/// place before the script starts; the script, without capabilities, cannot change it.
public struct EgressNetwork: Sendable, Equatable {
    public var destinations: [EgressDestination]
    /// slirp4netns's address for the host (refused by `--disable-host-loopback` too).
    public static let gateway = "10.0.2.2"
    /// slirp4netns's DNS forwarder: the script's only name server.
    public static let nameServer = "10.0.2.3"
    /// The programs the launcher needs besides bubblewrap.
    public static let tools = ["slirp4netns", "nft", "nsenter", "setpriv"]

    public init(destinations: [EgressDestination]) {
        self.destinations = destinations
    }

    /// The nftables ruleset of one run: host names resolved now, the host's own addresses
    /// refused before anything is allowed.
    public func ruleset(hostAddresses: [String] = Self.hostAddresses(), resolve: (String) -> [String] = Self.resolve) throws(EgressError)
        -> String
    {
        var lines = [
            "table inet jobrunner_egress {", "  chain output {", "    type filter hook output priority 0; policy drop;",
            "    oifname \"lo\" accept", "    ct state established,related accept",
            "    ip daddr \(Self.nameServer) udp dport 53 accept", "    ip daddr \(Self.nameServer) tcp dport 53 accept",
        ]
        let own = ([Self.gateway] + hostAddresses).filter { !Self.isLoopback($0) }
        let ownV4 = own.filter { !$0.contains(":") }, ownV6 = own.filter { $0.contains(":") }
        if !ownV4.isEmpty { lines.append("    ip daddr { \(ownV4.joined(separator: ", ")) } reject with icmpx type admin-prohibited") }
        if !ownV6.isEmpty { lines.append("    ip6 daddr { \(ownV6.joined(separator: ", ")) } reject with icmpx type admin-prohibited") }
        for destination in destinations {
            let networks: [(String, Bool)]
            switch destination.target {
            case let .network(address, prefix, ipv6):
                networks = [(prefix == (ipv6 ? 128 : 32) ? address : "\(address)/\(prefix)", ipv6)]
            case .host(let name):
                let addresses = resolve(name)
                guard !addresses.isEmpty else {
                    throw EgressError("\(name) (JOBRUNNER_SCRIPT_EGRESS) does not resolve: the script was not started")
                }
                networks = addresses.map { ($0, $0.contains(":")) }
            }
            for (network, ipv6) in networks {
                let match = "\(ipv6 ? "ip6" : "ip") daddr \(network)"
                if let port = destination.port {
                    lines.append("    \(match) tcp dport \(port) accept")
                    lines.append("    \(match) udp dport \(port) accept")
                } else {
                    lines.append("    \(match) accept")
                }
            }
        }
        // Refused at once rather than dropped: a script's connection fails instead of hanging.
        lines += ["    meta l4proto tcp reject with tcp reset", "    reject with icmpx type admin-prohibited", "  }", "}"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// What the script's `/etc/resolv.conf` says: slirp4netns's forwarder, which asks the
    /// host's resolvers (the host's own may listen on its loopback, which the script cannot reach).
    public static let resolvConf = "nameserver \(nameServer)\n"

    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address == "::1"
    }

    /// Every address of this host's interfaces.
    public static func hostAddresses() -> [String] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        return addresses(list, next: \.ifa_next, address: \.ifa_addr)
    }

    /// A host name's addresses, as the service resolves it.
    public static func resolve(_ name: String) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &result) == 0 else { return [] }
        defer { freeaddrinfo(result) }
        return addresses(result, next: \.ai_next, address: \.ai_addr)
    }

    /// The distinct addresses of a C list (`ifaddrs`, `addrinfo`), as text.
    static func addresses<Node>(
        _ first: UnsafeMutablePointer<Node>?, next: (Node) -> UnsafeMutablePointer<Node>?,
        address: (Node) -> UnsafeMutablePointer<sockaddr>?
    ) -> [String] {
        var found: Set<String> = []
        var entry = first
        while let current = entry {
            if let socketAddress = address(current.pointee), let text = text(of: socketAddress) { found.insert(text) }
            entry = next(current.pointee)
        }
        return found.sorted()
    }

    static func text(of address: UnsafeMutablePointer<sockaddr>) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                var raw = v4.pointee.sin_addr
                return inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count)).map { _ in String(cString: buffer) }
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                var raw = v6.pointee.sin6_addr
                return inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count)).map { _ in String(cString: buffer) }
            }
        default:
            return nil
        }
    }

    /// What the launcher does for an egress run once it has joined the run's cgroups (with `$d`,
    /// the run's egress directory, and `$rules` set; `"$@"` is the rest of the command — rlimits,
    /// then bubblewrap, which stops before the script (`--block-fd`) once it made the network
    /// namespace, whose PID `--info-fd` says). The ruleset goes in, slirp4netns connects the
    /// namespace, and only once it is ready is the script let go. Any step that fails stops the
    /// run before the script starts (exit 125, saying why). The launcher dies with the service
    /// (`--pdeathsig`, see `ScriptExecutor.launcher`), and slirp4netns with the launcher.
    static var startScript: String {
        let enterUser = geteuid() == 0 ? "" : " --user --preserve-credentials"
        return """
            "$@" 4<>"$d/info" 5<>"$d/block" &
            b=$!
            exec 6<"$d/info"
            pid=
            while read -r line <&6; do case $line in *child-pid*) pid=$(printf '%s' "$line" | tr -dc 0-9); break;; esac; done
            fail() { echo "jobrunner: egress network: $1" >&2; kill -KILL $b 2>/dev/null; wait $b 2>/dev/null; exit 125; }
            [ -n "$pid" ] || fail "the sandbox did not start"
            t="$PATH:/usr/sbin:/sbin"
            PATH=$t nsenter --target "$pid" --net\(enterUser) nft -f "$rules" || fail "nft could not load the run's rules"
            PATH=$t setpriv --pdeathsig KILL -- slirp4netns --configure --mtu=65520 --disable-host-loopback --ready-fd 7 "$pid" tap0 7>"$d/ready" >"$d/slirp.log" 2>&1 &
            s=$!
            [ "$(head -c 1 "$d/ready")" = 1 ] || fail "slirp4netns did not start: $(cat "$d/slirp.log")"
            echo go > "$d/block"
            wait $b; code=$?
            kill -KILL $s 2>/dev/null; wait $s 2>/dev/null
            exit $code
            """
    }

    /// One run's egress directory, made before anything starts (names resolved, rules written:
    /// a run never has another network than the one configured): the launcher's meeting points
    /// (the sandbox's info and block pipes, slirp4netns's ready pipe), the ruleset and the
    /// script's `resolv.conf`.
    struct Prepared {
        var directory: String
        var rules: String { directory + "/rules.nft" }
        var resolvConf: String { directory + "/resolv.conf" }
    }

    func prepare(_ directory: String) throws -> Prepared {
        let rules = try ruleset()
        let prepared = Prepared(directory: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for name in ["info", "block", "ready"] where mkfifo(directory + "/" + name, 0o600) != 0 {
            throw EgressError("cannot make \(directory)/\(name): \(String(cString: strerror(errno)))")
        }
        try rules.write(toFile: prepared.rules, atomically: true, encoding: .utf8)
        try Self.resolvConf.write(toFile: prepared.resolvConf, atomically: true, encoding: .utf8)
        chmod(prepared.resolvConf, 0o644)
        return prepared
    }
}

/// The egress network of a run could not be set up; the script was not started.
public struct EgressError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
