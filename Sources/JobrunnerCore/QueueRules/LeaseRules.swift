import Foundation

/// What becomes of a stage whose worker let go of it — handed back at shutdown, or its lease
/// expired (crash, hang). Decided here for every driver, from whether the stage is idempotent:
/// PROCESS and CLEANUP may run again; an EXECUTE may already have had effects, so it becomes
/// `interrupted` and never runs again without an operator.
public struct LeaseEndDecision: Sendable, Equatable {
    /// `queued`, `failed` or `interrupted`.
    public var state: StageState
    public var attemptOutcome: AttemptOutcome
    /// Whether the attempt is given back (a stage handed back before it could finish its work).
    public var refundsAttempt: Bool
    /// What the stage and its attempt record say about it.
    public var message: String

    /// Whether the stage ends here (needs a finish time).
    public var endsStage: Bool { state.isTerminal }
}

extension StageKind {
    /// A held stage handed back (graceful shutdown): an idempotent stage returns to the queue in
    /// its old place without using up the attempt; an EXECUTE is interrupted — it may have started.
    /// With `reattachable` (the run outlives its worker: a Kubernetes Job), an EXECUTE goes
    /// back to the queue with the same attempt, so the next worker re-attaches to that run.
    public func released(reason: String, reattachable: Bool = false) -> LeaseEndDecision {
        if !isIdempotent && reattachable { return reattach(reason) }
        return isIdempotent
            ? LeaseEndDecision(state: .queued, attemptOutcome: .released, refundsAttempt: true, message: reason)
            : LeaseEndDecision(state: .interrupted, attemptOutcome: .interrupted, refundsAttempt: false, message: reason)
    }

    /// A stage whose lease expired: an idempotent stage is queued again while attempts are left
    /// (failed otherwise); an EXECUTE is interrupted.
    public func rescued(attempt: Int, maxAttempts: Int, owner: String, expiredAt: Date, reattachable: Bool = false)
        -> LeaseEndDecision
    {
        let expired = "worker \(owner) stopped renewing its lease (expired \(expiredAt.formatted(.iso8601)))"
        if !isIdempotent && reattachable { return reattach(expired) }
        if !isIdempotent {
            return LeaseEndDecision(
                state: .interrupted, attemptOutcome: .interrupted, refundsAttempt: false,
                message: """
                    \(expired) while the script may have been running; it is not re-run automatically — \
                    check its effects, then retry it explicitly if that is safe
                    """)
        }
        if attempt < maxAttempts {
            return LeaseEndDecision(
                state: .queued, attemptOutcome: .abandoned, refundsAttempt: false, message: "\(expired); queued again")
        }
        return LeaseEndDecision(
            state: .failed, attemptOutcome: .abandoned, refundsAttempt: false,
            message: "\(expired) on the last of \(maxAttempts) attempts; retry it from the dashboard once the cause is fixed")
    }
}

extension StageKind {
    /// Queued again in its old place, the attempt given back: the same attempt names the same
    /// run (its Job), which the next claim finds and follows instead of starting anything.
    private func reattach(_ why: String) -> LeaseEndDecision {
        LeaseEndDecision(
            state: .queued, attemptOutcome: .released, refundsAttempt: true,
            message: "\(why); its run goes on without the worker and will be re-attached")
    }
}

extension RescueReport {
    /// Counts a rescued stage under what was decided for it.
    public mutating func record(_ stage: StageID, _ decision: LeaseEndDecision) {
        switch decision.state {
        case .interrupted: interrupted.append(stage)
        case .failed: failed.append(stage)
        case .queued, .running, .succeeded, .cancelled: requeued.append(stage)
        }
    }
}
