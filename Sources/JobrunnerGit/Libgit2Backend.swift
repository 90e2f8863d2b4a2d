import JobrunnerCore

/// The libgit2 `GitBackend`: reads through `Libgit2SourceReader`, commits through
/// `Libgit2LogCommitter`, both on the same cached clone per repository under the data directory.
public struct Libgit2Backend: GitBackend {
    public let reader: Libgit2SourceReader
    public let committer: Libgit2LogCommitter

    public init(remoteTemplate: String, cacheDirectory: String, credentials: (any AccessTokenProvider)? = nil) {
        reader = Libgit2SourceReader(remoteTemplate: remoteTemplate, cacheDirectory: cacheDirectory, credentials: credentials)
        committer = Libgit2LogCommitter(remoteTemplate: remoteTemplate, cacheDirectory: cacheDirectory, credentials: credentials)
    }

    /// Bounds every fetch and push of this process from now on (libgit2 1.5 has no timeout).
    public static func configure(_ timeouts: GitTimeouts) {
        GitCache.configure(timeouts)
    }

    public func read(repository: RepositoryName, commit: String, path: String, scope: SourceScope) async throws -> ScriptSource {
        try await reader.read(repository: repository, commit: commit, path: path, scope: scope)
    }

    public func contains(repository: RepositoryName, revision: String, commit: String) async throws -> Bool {
        try await reader.contains(repository: repository, revision: revision, commit: commit)
    }

    public func file(repository: RepositoryName, commit: String, path: String) async throws -> GitFile {
        try await reader.file(repository: repository, commit: commit, path: path)
    }

    public func filesAtTip(repository: RepositoryName, branch: String, directory: String) async throws -> BranchDirectory {
        try await reader.filesAtTip(repository: repository, branch: branch, directory: directory)
    }

    public func commitCleanup(_ request: CleanupRequest) async throws -> CleanupResult {
        try await committer.commitCleanup(request)
    }
}
