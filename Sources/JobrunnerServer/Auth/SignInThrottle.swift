import Foundation
import JobrunnerCore
import Logging

/// Failed sign-ins — a wrong token on the login form or in an API `Authorization` header — are
/// logged and counted per client: after `limit` failures within `window`, that client's
/// attempts are refused with 429 until the oldest failure leaves the window, without the token
/// being looked at. Guessing a token becomes slow and loud; other clients are unaffected.
///
/// A client is its address, except on loopback: there a script of the host network shares
/// 127.0.0.1 with operators behind a local proxy, so each script's sandbox is a client of its own.
public final class SignInThrottle: Sendable {
    public let limit: Int
    public let window: Duration
    private let clock: any JobClock
    private let logger: Logger
    private let scripts: any ScriptConnections
    private let failures = Locked<[String: [Date]]>([:])

    public init(
        limit: Int = 10, window: Duration = .seconds(300), clock: any JobClock = SystemClock(), logger: Logger,
        scripts: any ScriptConnections = ProcScriptConnections()
    ) {
        self.limit = limit
        self.window = window
        self.clock = clock
        self.logger = logger
        self.scripts = scripts
    }

    /// How long `connection`'s client must wait before its next attempt is looked at; nil: go ahead.
    public func retryAfter(_ connection: ClientConnection) -> Duration? {
        retryAfter(key: knownClient(connection))
    }

    /// `client(connection)` where it can matter: finding a script's socket reads /proc, so it is
    /// done only while some client of that address has failures to count.
    private func knownClient(_ connection: ClientConnection) -> String {
        let hasFailures = connection.isLoopback && failures.withLock { failures in
            failures.keys.contains { $0 == connection.address || $0.hasPrefix(connection.address + " (") }
        }
        return hasFailures ? client(connection) : connection.address
    }

    private func retryAfter(key client: String) -> Duration? {
        let now = clock.now()
        return failures.withLock { failures in
            let recent = (failures[client] ?? []).filter { now.timeIntervalSince($0) < window.secondsDouble }
            failures[client] = recent.isEmpty ? nil : recent
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return .seconds(max(1, (window.secondsDouble - now.timeIntervalSince(oldest)).rounded(.up)))
        }
    }

    /// Who failures of `connection` count against: its address, or a script's sandbox on it.
    func client(_ connection: ClientConnection) -> String {
        guard connection.isLoopback, let run = scripts.scriptRun(holding: connection) else { return connection.address }
        return "\(connection.address) (\(run))"
    }

    /// Records and logs a failed attempt from `connection` through `channel` (dashboard, api).
    public func failed(_ connection: ClientConnection, channel: String) {
        let client = client(connection)
        let now = clock.now()
        let count = failures.withLock { failures in
            failures[client, default: []].append(now)
            // Bounded: only the failures that can still count are kept.
            failures[client] = Array(failures[client]!.suffix(limit))
            return failures[client]!.count
        }
        logger.warning(
            "sign-in failed", metadata: ["client": "\(client)", "via": "\(channel)", "recent_failures": "\(count)"])
        if count >= limit {
            logger.warning("sign-ins refused for a while", metadata: ["client": "\(client)", "window": "\(window)"])
        }
    }

    /// Forgets the client's failures once it signed in.
    public func succeeded(_ connection: ClientConnection) {
        let client = knownClient(connection)
        _ = failures.withLock { $0.removeValue(forKey: client) }
    }
}
