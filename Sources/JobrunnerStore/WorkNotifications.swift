import Foundation

/// A store that can tell this process when another node made a stage runnable, so idle
/// workers wake at once instead of at their next poll. Polling stays the fallback: a
/// notification lost while the connection was down only delays work until the next poll.
public protocol WorkNotifying: Sendable {
    /// Calls `wake` for every notification until the task is cancelled, reconnecting after
    /// database failures. Also calls it after every (re)connection: work may have arrived
    /// while nobody listened.
    func listenForWork(_ wake: @escaping @Sendable () -> Void) async
}
