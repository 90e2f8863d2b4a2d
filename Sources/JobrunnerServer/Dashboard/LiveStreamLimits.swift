import JobrunnerCore

/// How many live-output streams may be open at once: per session and in all, so open pages
/// (or a script reconnecting in a loop) cannot hold the server's connections and store reads.
final class LiveStreamLimits: Sendable {
    let perSession: Int
    let total: Int
    private let open = Locked<[String: Int]>([:])

    init(perSession: Int = 6, total: Int = 100) {
        self.perSession = perSession
        self.total = total
    }

    /// Takes a place for `session`; nil with the reason when none is left. Call `release` after.
    func acquire(_ session: String) -> String? {
        open.withLock { open in
            if open.values.reduce(0, +) >= total { return "the server has \(total) live streams open; try again shortly" }
            if open[session, default: 0] >= perSession { return "this session has \(perSession) live streams open; close a tab" }
            open[session, default: 0] += 1
            return nil
        }
    }

    func release(_ session: String) {
        open.withLock { open in
            open[session, default: 1] -= 1
            if open[session] == 0 { open[session] = nil }
        }
    }

    var count: Int { open.withLock { $0.values.reduce(0, +) } }
}
