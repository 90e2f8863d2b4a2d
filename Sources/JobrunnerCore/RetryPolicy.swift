/// When a stage that failed with a transient error is tried again, and how often.
///
/// Delays grow exponentially from `baseDelay`, capped at `maxDelay`, with "equal jitter":
/// half of the delay is fixed and half is random, so retries of many stages that failed
/// together (GitHub outage) spread out, yet each retry still waits at least half the step.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts (the first run included) for PROCESS and for CLEANUP.
    public var maxAttempts: [StageKind: Int]
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(
        maxAttempts: [StageKind: Int] = [.process: 5, .execute: 1, .cleanup: 8],
        baseDelay: Duration = .seconds(5),
        maxDelay: Duration = .seconds(15 * 60)
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Attempts allowed for a stage of this kind. EXECUTE is always 1: at-most-once.
    public func attempts(for kind: StageKind) -> Int {
        kind == .execute ? 1 : max(1, maxAttempts[kind] ?? 1)
    }

    /// The delay before the attempt after `attempt` (1-based) failed transiently.
    /// - Parameter jitter: a number in `0...1` (the random half of the delay).
    public func delay(afterAttempt attempt: Int, jitter: Double) -> Duration {
        let exponent = max(0, min(attempt - 1, 30))
        let base = baseDelay.secondsDouble * Double(1 << exponent)
        let capped = min(base, maxDelay.secondsDouble)
        let clampedJitter = min(max(jitter, 0), 1)
        return .milliseconds(Int64(((capped / 2) + (capped / 2) * clampedJitter) * 1000))
    }
}

extension Duration {
    /// The duration in seconds as a floating-point number.
    public var secondsDouble: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
