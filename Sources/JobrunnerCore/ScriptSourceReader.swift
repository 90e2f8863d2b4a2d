import Foundation

/// A script and the files next to it, as read from the repository (PROCESS) or the disk
/// (`jobrunner transpile`). Paths are relative to the repository root.
public struct ScriptSource: Sendable, Equatable {
    public var path: String
    /// Every file of the jobs directory, including the script, so local imports can be bundled.
    public var files: [String: [UInt8]]
    /// The script's git blob id, when it was read from a repository.
    public var blobID: String?

    public init(path: String, files: [String: [UInt8]], blobID: String? = nil) {
        self.path = path
        self.files = files
        self.blobID = blobID
    }

    public var content: [UInt8] { files[path] ?? [] }
    public var fileExtension: String { String(path.split(separator: ".").last ?? "").lowercased() }
}

/// Reads a script, and the files of the jobs directory next to it, at a commit. The git
/// backends (libgit2, GitHub API) implement it; `GitRepositoryReader` reads a repository on
/// this machine with the `git` command.
public protocol ScriptSourceReader: Sendable {
    func read(repository: RepositoryName, commit: String, path: String, jobsDirectory: String) async throws -> ScriptSource
}

/// Why a script could not be read from the repository.
public enum SourceReadError: Error, Sendable, Equatable, CustomStringConvertible, ClassifiedError {
    case commitNotFound(repository: String, commit: String)
    case fileNotFound(repository: String, commit: String, path: String)
    case symlink(path: String)
    case submodule(path: String)
    case tooLarge(path: String, size: Int, limit: Int)
    case git(repository: String, message: String)

    public var description: String {
        switch self {
        case let .commitNotFound(repository, commit): "\(repository) has no commit \(commit) (yet)"
        case let .fileNotFound(repository, commit, path): "\(path) does not exist in \(repository) at \(commit)"
        case let .symlink(path): "\(path) is a symbolic link; scripts must be regular files"
        case let .submodule(path): "\(path) is a submodule; scripts must be regular files"
        case let .tooLarge(path, size, limit): "\(path) is \(size) bytes; the limit is \(limit)"
        case let .git(repository, message): "reading \(repository) failed: \(message)"
        }
    }

    /// A commit that is not there may still arrive (fetch lag); everything else is final.
    public var failureKind: FailureKind {
        switch self {
        case .commitNotFound, .git: .transient
        case .fileNotFound, .symlink, .submodule, .tooLarge: .permanent
        }
    }
}
