/// One holder at a time per repository cache, across tasks: fetches into the same bare
/// repository must not overlap. Keyed by the cache's path and shared by the whole process, so
/// PROCESS reads and CLEANUP commits on the same clone are serialised too.
actor RepositoryLocks {
    static let shared = RepositoryLocks()

    private var held: Set<String> = []
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    func withLock<T: Sendable>(_ key: String, _ body: @Sendable () async throws -> T) async throws -> T {
        await acquire(key)
        do {
            let value = try await body()
            release(key)
            return value
        } catch {
            release(key)
            throw error
        }
    }

    private func acquire(_ key: String) async {
        if held.insert(key).inserted { return }
        await withCheckedContinuation { waiters[key, default: []].append($0) }
    }

    private func release(_ key: String) {
        if var queue = waiters[key], !queue.isEmpty {
            let next = queue.removeFirst()
            waiters[key] = queue
            next.resume()  // ownership passes to the next waiter
        } else {
            held.remove(key)
        }
    }
}
