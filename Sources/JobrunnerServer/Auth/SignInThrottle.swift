import Foundation
import JobrunnerCore
import Logging

/// Failed sign-ins — a wrong token on the login form or in an API `Authorization` header — are
/// logged and counted per client address: after `limit` failures within `window`, that client's
/// attempts are refused with 429 until the oldest failure leaves the window, without the token
/// being looked at. Guessing a token becomes slow and loud; other clients are unaffected.
public final class SignInThrottle: Sendable {
    public let limit: Int
    public let window: Duration
    private let clock: any JobClock
    private let logger: Logger
    private let failures = Locked<[String: [Date]]>([:])

    public init(limit: Int = 10, window: Duration = .seconds(300), clock: any JobClock = SystemClock(), logger: Logger) {
        self.limit = limit
        self.window = window
        self.clock = clock
        self.logger = logger
    }

    /// How long `client` must wait before its next attempt is looked at; nil: go ahead.
    public func retryAfter(_ client: String) -> Duration? {
        let now = clock.now()
        return failures.withLock { failures in
            let recent = (failures[client] ?? []).filter { now.timeIntervalSince($0) < window.secondsDouble }
            failures[client] = recent.isEmpty ? nil : recent
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return .seconds(max(1, (window.secondsDouble - now.timeIntervalSince(oldest)).rounded(.up)))
        }
    }

    /// Records and logs a failed attempt from `client` through `channel` (dashboard, api).
    public func failed(_ client: String, channel: String) {
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

    /// Forgets `client`'s failures once it signed in.
    public func succeeded(_ client: String) {
        _ = failures.withLock { $0.removeValue(forKey: client) }
    }
}
