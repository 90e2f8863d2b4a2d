import Foundation

/// A script and the files it may import, as read from the repository (PROCESS) or a checkout
/// (`jobrunner transpile`). Paths are relative to the repository root.
public struct ScriptSource: Sendable, Equatable {
    public var path: String
    /// The script and, per `SourceScope`, the jobs directory or the whole repository tree, so
    /// imports can be bundled.
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

/// Which files come with a script.
public enum SourceScope: Sendable, Equatable {
    /// The script and every file of the jobs directory (what a shell or Python script needs).
    case jobsDirectory(String)
    /// The whole repository tree at the commit — what a TypeScript/JavaScript script may import
    /// from — without the directories in `excluding` (the execution logs), up to `limit` bytes.
    case repository(excluding: [String], limit: Int)
}

/// Reads a script, and the files `scope` names, at a commit. The git backends (libgit2, GitHub
/// API) implement it; tests read a repository on this machine with the `git` command.
public protocol ScriptSourceReader: Sendable {
    func read(repository: RepositoryName, commit: String, path: String, scope: SourceScope) async throws -> ScriptSource
}

extension SourceScope {
    /// Whether a file of the tree belongs to the scope (the script itself always does).
    public func includes(_ path: String) -> Bool {
        switch self {
        case .jobsDirectory(let directory):
            return path.hasPrefix(directory + "/")
        case .repository(let excluding, _):
            return !excluding.contains { path == $0 || path.hasPrefix($0 + "/") }
        }
    }
}

/// Why a script could not be read from the repository.
public enum SourceReadError: Error, Sendable, Equatable, CustomStringConvertible, ClassifiedError {
    case commitNotFound(repository: String, commit: String)
    case fileNotFound(repository: String, commit: String, path: String)
    case symlink(path: String)
    case submodule(path: String)
    case tooLarge(path: String, size: Int, limit: Int)
    /// The repository tree a script is built against is larger than `JOBRUNNER_REPOSITORY_TREE_LIMIT`.
    case treeTooLarge(repository: String, commit: String, limit: Int)
    case git(repository: String, message: String)

    public var description: String {
        switch self {
        case let .commitNotFound(repository, commit): "\(repository) has no commit \(commit) (yet)"
        case let .fileNotFound(repository, commit, path): "\(path) does not exist in \(repository) at \(commit)"
        case let .symlink(path): "\(path) is a symbolic link; scripts must be regular files"
        case let .submodule(path): "\(path) is a submodule; scripts must be regular files"
        case let .tooLarge(path, size, limit): "\(path) is \(size) bytes; the limit is \(limit)"
        case let .treeTooLarge(repository, commit, limit):
            "the tree of \(repository) at \(commit) is larger than \(ByteSizeParser.format(limit)), the limit on what PROCESS reads to build a script against (JOBRUNNER_REPOSITORY_TREE_LIMIT); raise it, or move large files out of the repository"
        case let .git(repository, message): "reading \(repository) failed: \(message)"
        }
    }

    /// A commit that is not there may still arrive (fetch lag); everything else is final.
    public var failureKind: FailureKind {
        switch self {
        case .commitNotFound, .git: .transient
        case .fileNotFound, .symlink, .submodule, .tooLarge, .treeTooLarge: .permanent
        }
    }
}
