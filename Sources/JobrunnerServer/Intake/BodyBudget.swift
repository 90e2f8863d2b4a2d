import JobrunnerCore

/// The bytes of webhook bodies being read at once, across all requests: each body reserves its
/// bytes as they arrive and returns them when it is done. Many slow uploads hold little; many
/// large bodies at once get 503 instead of the server's memory.
final class BodyBudget: Sendable {
    let limit: Int
    private let used = Locked(0)

    init(limit: Int) { self.limit = limit }

    /// Takes `bytes` if they fit.
    func reserve(_ bytes: Int) -> Bool {
        used.withLock { used in
            guard used + bytes <= limit else { return false }
            used += bytes
            return true
        }
    }

    func release(_ bytes: Int) {
        used.withLock { $0 -= bytes }
    }

    var inUse: Int { used.value }
}

/// The body would not fit in what is left of the budget.
struct BodyBudgetExhausted: Error {}
