/// Git access for the stages: PROCESS reads the source at the pushed commit, CLEANUP commits
/// "remove this script and add this log" on the branch tip. Two implementations: libgit2 on a
/// cached clone (any git host) and the GitHub REST API (Git Data API). Both are idempotent:
/// reads have no side effects, and a CLEANUP whose log is already on the branch commits nothing.
public protocol GitBackend: ScriptSourceReader, LogCommitter, CommitAncestry, BranchDirectoryReader {
    /// One file at a commit, with its mode and blob id.
    func file(repository: RepositoryName, commit: String, path: String) async throws -> GitFile
}

/// A tree entry and its content, as git stores it.
public struct GitFile: Sendable, Equatable {
    public var path: String
    public var mode: GitFileMode
    /// The blob id (for a submodule: the commit it points at).
    public var blobID: String
    /// The bytes (for a symbolic link: its target; for a submodule: empty).
    public var content: [UInt8]

    public init(path: String, mode: GitFileMode, blobID: String, content: [UInt8]) {
        self.path = path
        self.mode = mode
        self.blobID = blobID
        self.content = content
    }
}

/// Tree entry modes, spelled as git and the GitHub API spell them.
public enum GitFileMode: String, Sendable, Equatable {
    case regular = "100644"
    case executable = "100755"
    case symlink = "120000"
    case submodule = "160000"
    case directory = "040000"

    /// Whether a script may have this mode: only plain files run.
    public var isRegularFile: Bool { self == .regular || self == .executable }
}

/// What is in one directory at the tip of a branch: how the scan for scripts left behind in the
/// jobs directory (no live pipeline) sees the branch.
public protocol BranchDirectoryReader: Sendable {
    /// The regular files directly in `directory` at the tip of `branch` (none when it is absent).
    func filesAtTip(repository: RepositoryName, branch: String, directory: String) async throws -> BranchDirectory
}

public struct BranchDirectory: Sendable, Equatable {
    /// The tip that was read.
    public var commit: String
    /// Repository path (`jobs/x.ts`) → blob id, for each regular file.
    public var blobs: [String: String]

    public init(commit: String, blobs: [String: String]) {
        self.commit = commit
        self.blobs = blobs
    }

    /// The paths, sorted.
    public var paths: [String] { blobs.keys.sorted() }
}
