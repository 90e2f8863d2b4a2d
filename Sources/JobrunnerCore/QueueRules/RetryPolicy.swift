import Foundation

/// When a stage that failed is tried again, and how often — the retry rule of the queue, as a
/// value (like swift-jobs' `JobRetryStrategy`, which pairs `shouldRetry` with its backoff).
/// Drivers ask it; none decides on its own.
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

    /// Attempts allowed for a stage of this kind. A stage that is not idempotent (EXECUTE) gets
    /// exactly one: at-most-once.
    public func attempts(for kind: StageKind) -> Int {
        kind.isIdempotent ? max(1, maxAttempts[kind] ?? 1) : 1
    }

    /// Whether a failed attempt is tried again by itself: only a transient failure, only while
    /// attempts are left.
    public func shouldRetry(_ failure: FailureKind, attempt: Int, maxAttempts: Int) -> Bool {
        failure == .transient && attempt < maxAttempts
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

    /// What becomes of a stage whose attempt `attempt` of `maxAttempts` failed, and the error
    /// the stage keeps — the whole decision a driver records in one transaction.
    public func decide(
        after failure: StageFailure, attempt: Int, maxAttempts: Int, now: Date, jitter: Double
    ) -> FailureDecision {
        let message = "attempt \(attempt) of \(maxAttempts): \(failure.message)"
        if shouldRetry(failure.kind, attempt: attempt, maxAttempts: maxAttempts) {
            return FailureDecision(
                disposition: .willRetry(at: now.adding(delay(afterAttempt: attempt, jitter: jitter))), stageError: message)
        }
        return FailureDecision(disposition: .failed, stageError: message)
    }

    /// The attempt budget an operator's retry grants: one more round of this kind's attempts
    /// on top of those used — for EXECUTE exactly one more run.
    public func maxAttemptsAfterOperatorRetry(kind: StageKind, attemptsUsed: Int) -> Int {
        attemptsUsed + attempts(for: kind)
    }
}

/// A failed attempt, decided: what happens to the stage and the error it keeps.
public struct FailureDecision: Sendable, Equatable {
    public var disposition: FailureDisposition
    /// "attempt 2 of 5: …", shown with the stage.
    public var stageError: String
}

extension Duration {
    /// The duration in seconds as a floating-point number.
    public var secondsDouble: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
