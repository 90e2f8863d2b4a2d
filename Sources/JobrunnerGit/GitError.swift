import CLibgit2
import JobrunnerCore

/// A libgit2 call that failed, with libgit2's own message (read with `git_error_last()` right
/// after the call) and what Jobrunner was doing.
public struct GitError: Error, Sendable, Equatable, CustomStringConvertible, ClassifiedError {
    public var operation: String
    public var repository: String
    public var code: Int32
    public var message: String

    public var description: String { "\(operation) in \(repository) failed (libgit2 error \(code)): \(message)" }

    /// Network and lock trouble may pass; the rest is treated the same way, because a fetch
    /// that failed once is worth one more try before an operator has to look.
    public var failureKind: FailureKind { .transient }

    /// Checks a libgit2 return code.
    static func check(_ code: Int32, _ operation: @autoclosure () -> String, repository: String) throws {
        guard code < 0 else { return }
        throw GitError(operation: operation(), repository: repository, code: code, message: lastMessage())
    }

    static func lastMessage() -> String {
        guard let error = git_error_last(), let message = error.pointee.message else { return "unknown error" }
        return String(cString: message)
    }
}
