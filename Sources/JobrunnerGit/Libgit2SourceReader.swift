import CLibgit2
import Foundation
import JobrunnerCore


/// Reads scripts from any git host through libgit2: a cached bare clone per repository under
/// the data directory, fetched when the commit is not there yet. A repository on a local path
/// (`/srv/git/{repository}.git`, `file://…`) is read where it is — a fetch from it would copy
/// objects that are already on this disk (a few milliseconds between webhook and script).
///
/// libgit2 handles are created, used and freed inside one synchronous function that runs on a
/// thread of its own (libgit2 blocks on the network), so no handle is ever shared or escapes;
/// work on one repository is serialised by `RepositoryLocks`.
public struct Libgit2SourceReader: ScriptSourceReader {
    /// Clone URL template with `{repository}`; a path or `file://` works too.
    public let remoteTemplate: String
    public let cacheDirectory: String
    /// Its token is sent as the password of user `x-access-token` over HTTPS, as GitHub expects.
    public let credentials: (any AccessTokenProvider)?
    public let maxFileSize: Int
    public let maxDirectorySize: Int
    private var locks: RepositoryLocks { .shared }

    public init(
        remoteTemplate: String, cacheDirectory: String, credentials: (any AccessTokenProvider)? = nil, maxFileSize: Int = 1 << 20,
        maxDirectorySize: Int = 16 << 20
    ) {
        self.remoteTemplate = remoteTemplate
        self.cacheDirectory = URL(fileURLWithPath: cacheDirectory).standardizedFileURL.path
        self.credentials = credentials
        self.maxFileSize = maxFileSize
        self.maxDirectorySize = maxDirectorySize
    }

    public func read(repository: RepositoryName, commit: String, path: String, jobsDirectory: String) async throws -> ScriptSource {
        let (script, files) = try await run(repository: repository, commit: commit, path: path, jobsDirectory: jobsDirectory)
        guard script.mode.isRegularFile else {
            throw script.mode == .symlink ? SourceReadError.symlink(path: path) : SourceReadError.submodule(path: path)
        }
        return ScriptSource(path: path, files: files, blobID: script.blobID)
    }

    /// One file at a commit, with its mode and blob id (symbolic links and submodules included).
    public func file(repository: RepositoryName, commit: String, path: String) async throws -> GitFile {
        try await run(repository: repository, commit: commit, path: path, jobsDirectory: nil).script
    }

    private func run(
        repository: RepositoryName, commit: String, path: String, jobsDirectory: String?
    ) async throws -> (script: GitFile, files: [String: [UInt8]]) {
        let request = ReadRequest(
            url: remoteTemplate.replacingOccurrences(of: "{repository}", with: repository.rawValue),
            cache: cacheDirectory + "/" + repository.rawValue + ".git", repository: repository.rawValue, commit: commit,
            path: path, jobsDirectory: jobsDirectory, token: try await credentials?.token(for: repository),
            maxFileSize: maxFileSize, maxDirectorySize: maxDirectorySize)
        return try await locks.withLock(request.cache) {
            try await onDedicatedThread { try request.run() }
        }
    }
}

/// Everything one read needs; `run()` does all the libgit2 work synchronously.
private struct ReadRequest: Sendable {
    var url: String
    var cache: String
    var repository: String
    var commit: String
    var path: String
    var jobsDirectory: String?
    var token: String?
    var maxFileSize: Int
    var maxDirectorySize: Int

    func run() throws -> (script: GitFile, files: [String: [UInt8]]) {
        let local = GitCache.openLocal(url)
        let repo = try local ?? GitCache.open(cache, repository: repository)
        defer { git_repository_free(repo) }
        var oid = git_oid()
        guard commit.count == 40, git_oid_fromstr(&oid, commit) == 0 else {
            throw SourceReadError.commitNotFound(repository: repository, commit: commit)
        }
        var commitHandle: OpaquePointer?
        if git_commit_lookup(&commitHandle, repo, &oid) < 0 {
            if local != nil { throw SourceReadError.commitNotFound(repository: repository, commit: commit) }
            try GitCache.fetch(repo, url: url, token: token, refspec: "+refs/heads/*:refs/remotes/origin/*", repository: repository)
            guard git_commit_lookup(&commitHandle, repo, &oid) == 0 else {
                throw SourceReadError.commitNotFound(repository: repository, commit: commit)
            }
        }
        defer { git_commit_free(commitHandle) }
        var tree: OpaquePointer?
        try GitError.check(git_commit_tree(&tree, commitHandle), "reading the tree of \(commit)", repository: repository)
        defer { git_tree_free(tree) }

        var entry: OpaquePointer?
        guard git_tree_entry_bypath(&entry, tree, path) == 0 else {
            throw SourceReadError.fileNotFound(repository: repository, commit: commit, path: path)
        }
        defer { git_tree_entry_free(entry) }
        let id = git_tree_entry_id(entry)!.pointee
        let mode: GitFileMode
        switch git_tree_entry_filemode(entry) {
        case GIT_FILEMODE_LINK: mode = .symlink
        case GIT_FILEMODE_COMMIT:
            return (GitFile(path: path, mode: .submodule, blobID: GitCache.hex(id), content: []), [:])
        case GIT_FILEMODE_BLOB: mode = .regular
        case GIT_FILEMODE_BLOB_EXECUTABLE: mode = .executable
        default: throw SourceReadError.fileNotFound(repository: repository, commit: commit, path: path)
        }
        let script = try blob(repo, id, path: path)
        let file = GitFile(path: path, mode: mode, blobID: GitCache.hex(id), content: script)
        var files = [path: script]
        var total = script.count
        // The jobs directory, for modules the script imports.
        var directoryEntry: OpaquePointer?
        if mode.isRegularFile, let jobsDirectory, git_tree_entry_bypath(&directoryEntry, tree, jobsDirectory) == 0 {
            defer { git_tree_entry_free(directoryEntry) }
            var directory: OpaquePointer?
            if git_tree_lookup(&directory, repo, git_tree_entry_id(directoryEntry)) == 0 {
                defer { git_tree_free(directory) }
                try collect(repo, directory, prefix: jobsDirectory, into: &files, total: &total)
            }
        }
        return (file, files)
    }

    private func collect(
        _ repo: OpaquePointer?, _ tree: OpaquePointer?, prefix: String, into files: inout [String: [UInt8]], total: inout Int
    ) throws {
        for index in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, index), let name = git_tree_entry_name(entry) else { continue }
            let entryPath = prefix + "/" + String(cString: name)
            switch git_tree_entry_filemode(entry) {
            case GIT_FILEMODE_TREE:
                var subtree: OpaquePointer?
                guard git_tree_lookup(&subtree, repo, git_tree_entry_id(entry)) == 0 else { continue }
                defer { git_tree_free(subtree) }
                try collect(repo, subtree, prefix: entryPath, into: &files, total: &total)
            case GIT_FILEMODE_BLOB, GIT_FILEMODE_BLOB_EXECUTABLE:
                guard files[entryPath] == nil else { continue }
                let bytes = try blob(repo, git_tree_entry_id(entry)!.pointee, path: entryPath)
                guard total + bytes.count <= maxDirectorySize else { continue }
                files[entryPath] = bytes
                total += bytes.count
            default:
                continue
            }
        }
    }

    private func blob(_ repo: OpaquePointer?, _ id: git_oid, path: String) throws -> [UInt8] {
        var oid = id
        var handle: OpaquePointer?
        try GitError.check(git_blob_lookup(&handle, repo, &oid), "reading \(path)", repository: repository)
        defer { git_blob_free(handle) }
        let size = Int(git_blob_rawsize(handle))
        guard size <= maxFileSize else { throw SourceReadError.tooLarge(path: path, size: size, limit: maxFileSize) }
        guard size > 0, let raw = git_blob_rawcontent(handle) else { return [] }
        return Array(UnsafeRawBufferPointer(start: raw, count: size))
    }
}

