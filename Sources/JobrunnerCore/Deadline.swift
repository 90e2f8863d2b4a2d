/// Runs work against a deadline without waiting for work that ignores cancellation.
///
/// Structured concurrency (a task group racing the work with a timer) waits for every child
/// before it returns, so an await that never honours cancellation (a network call on a dead
/// connection) would hold the caller forever. Here the caller resumes with whichever comes
/// first; the loser is cancelled and left to end on its own.
public enum Deadline {
    public static func run<T: Sendable>(
        _ timeout: Duration, onExpiry expired: any Error, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let race = Race<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                race.begin(continuation)
                let work = Task { race.finish(await Result(catching: body)) }
                let timer = Task {
                    try? await Task.sleep(for: timeout)
                    if !Task.isCancelled { race.finish(.failure(expired)) }
                }
                race.attach([work, timer])
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }

    /// The first result wins; later ones are dropped and the other tasks cancelled.
    final class Race<T: Sendable>: Sendable {
        private struct State: Sendable {
            var continuation: CheckedContinuation<T, any Error>?
            var result: Result<T, any Error>?
            var tasks: [Task<Void, Never>] = []
        }
        private let state = Locked(State())

        func begin(_ continuation: CheckedContinuation<T, any Error>) {
            let early = state.withLock { state -> Result<T, any Error>? in
                if let result = state.result { return result }
                state.continuation = continuation
                return nil
            }
            // Cancelled before it began.
            if let early { continuation.resume(with: early) }
        }

        func attach(_ tasks: [Task<Void, Never>]) {
            let finished = state.withLock { state -> Bool in
                state.tasks = tasks
                return state.result != nil
            }
            if finished { tasks.forEach { $0.cancel() } }
        }

        func finish(_ result: Result<T, any Error>) {
            let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<T, any Error>?, [Task<Void, Never>]) in
                guard state.result == nil else { return (nil, []) }
                state.result = result
                defer { state.continuation = nil }
                return (state.continuation, state.tasks)
            }
            continuation?.resume(with: result)
            tasks.forEach { $0.cancel() }
        }
    }
}

extension Result where Failure == any Error {
    /// The result of an async throwing body.
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
