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

    public func read(repository: RepositoryName, commit: String, path: String, scope: SourceScope) async throws -> ScriptSource {
        let (script, files) = try await run(repository: repository, commit: commit, path: path, scope: scope)
        guard script.mode.isRegularFile else {
            throw script.mode == .symlink ? SourceReadError.symlink(path: path) : SourceReadError.submodule(path: path)
        }
        return ScriptSource(path: path, files: files, blobID: script.blobID)
    }

    /// One file at a commit, with its mode and blob id (symbolic links and submodules included).
    public func file(repository: RepositoryName, commit: String, path: String) async throws -> GitFile {
        try await run(repository: repository, commit: commit, path: path, scope: nil).script
    }

    /// Whether `revision` contains `commit` (equal, or a descendant), both fetched if needed.
    public func contains(repository: RepositoryName, revision: String, commit: String) async throws -> Bool {
        let request = request(repository, commit: revision, path: "", scope: nil, token: try await credentials?.token(for: repository))
        return try await locks.withLock(request.cache) {
            try await onDedicatedThread { try request.contains(commit) }
        }
    }

    /// The files directly in `directory` at the tip of `branch`, fetched first.
    public func filesAtTip(repository: RepositoryName, branch: String, directory: String) async throws -> BranchDirectory {
        let request = request(repository, commit: "", path: directory, scope: nil, token: try await credentials?.token(for: repository))
        return try await locks.withLock(request.cache) {
            try await onDedicatedThread { try request.list(branch: branch) }
        }
    }

    private func run(
        repository: RepositoryName, commit: String, path: String, scope: SourceScope?
    ) async throws -> (script: GitFile, files: [String: [UInt8]]) {
        let request = request(repository, commit: commit, path: path, scope: scope, token: try await credentials?.token(for: repository))
        return try await locks.withLock(request.cache) {
            try await onDedicatedThread { try request.run() }
        }
    }

    private func request(_ repository: RepositoryName, commit: String, path: String, scope: SourceScope?, token: String?) -> ReadRequest {
        ReadRequest(
            url: remoteTemplate.replacingOccurrences(of: "{repository}", with: repository.rawValue),
            cache: cacheDirectory + "/" + repository.rawValue + ".git", repository: repository.rawValue, commit: commit,
            path: path, scope: scope, token: token, maxFileSize: maxFileSize, maxDirectorySize: maxDirectorySize)
    }
}

/// Everything one read needs; `run()` does all the libgit2 work synchronously.
private struct ReadRequest: Sendable {
    var url: String
    var cache: String
    var repository: String
    var commit: String
    var path: String
    var scope: SourceScope?
    var token: String?
    var maxFileSize: Int
    var maxDirectorySize: Int

    /// The commit `id`, fetched into the cache when it is not there yet.
    private func lookup(_ repo: OpaquePointer?, _ id: String, local: Bool) throws -> (OpaquePointer?, git_oid) {
        var oid = git_oid()
        guard id.count == 40, git_oid_fromstr(&oid, id) == 0 else {
            throw SourceReadError.commitNotFound(repository: repository, commit: id)
        }
        var commitHandle: OpaquePointer?
        if git_commit_lookup(&commitHandle, repo, &oid) < 0 {
            if local { throw SourceReadError.commitNotFound(repository: repository, commit: id) }
            // Branches, and pull requests' heads (a dry run reads a head that may live only in a fork).
            try GitCache.fetch(
                repo, url: url, token: token,
                refspecs: ["+refs/heads/*:refs/remotes/origin/*", "+refs/pull/*/head:refs/remotes/origin/pull/*"], repository: repository)
            guard git_commit_lookup(&commitHandle, repo, &oid) == 0 else {
                throw SourceReadError.commitNotFound(repository: repository, commit: id)
            }
        }
        return (commitHandle, oid)
    }

    /// Whether `commit` is `self.commit` or one of its ancestors.
    func contains(_ ancestor: String) throws -> Bool {
        let local = GitCache.openLocal(url)
        let repo = try local ?? GitCache.open(cache, repository: repository)
        defer { git_repository_free(repo) }
        let (revisionHandle, revisionID) = try lookup(repo, commit, local: local != nil)
        git_commit_free(revisionHandle)
        let (ancestorHandle, ancestorOID) = try lookup(repo, ancestor, local: local != nil)
        git_commit_free(ancestorHandle)
        var revision = revisionID
        var ancestorID = ancestorOID
        if git_oid_equal(&revision, &ancestorID) != 0 { return true }
        let answer = git_graph_descendant_of(repo, &revision, &ancestorID)
        try GitError.check(answer < 0 ? answer : 0, "comparing \(ancestor) with \(commit)", repository: repository)
        return answer == 1
    }

    /// The regular files directly in `path` at the tip of `branch` (the remote's, fetched now; a
    /// repository on a local path is read where it is).
    func list(branch: String) throws -> BranchDirectory {
        let local = GitCache.openLocal(url)
        let repo = try local ?? GitCache.open(cache, repository: repository)
        defer { git_repository_free(repo) }
        let reference: String
        if local == nil {
            try GitCache.fetch(
                repo, url: url, token: token, refspec: "+refs/heads/\(branch):refs/remotes/origin/\(branch)", repository: repository)
            reference = "refs/remotes/origin/\(branch)"
        } else {
            reference = "refs/heads/\(branch)"
        }
        var oid = git_oid()
        try GitError.check(git_reference_name_to_id(&oid, repo, reference), "resolving \(reference)", repository: repository)
        let tip = GitCache.hex(oid)
        var commitHandle: OpaquePointer?
        try GitError.check(git_commit_lookup(&commitHandle, repo, &oid), "reading \(tip)", repository: repository)
        defer { git_commit_free(commitHandle) }
        var tree: OpaquePointer?
        try GitError.check(git_commit_tree(&tree, commitHandle), "reading the tree of \(tip)", repository: repository)
        defer { git_tree_free(tree) }
        var entry: OpaquePointer?
        guard git_tree_entry_bypath(&entry, tree, path) == 0 else { return BranchDirectory(commit: tip, blobs: [:]) }
        defer { git_tree_entry_free(entry) }
        var directory: OpaquePointer?
        guard git_tree_entry_filemode(entry) == GIT_FILEMODE_TREE, git_tree_lookup(&directory, repo, git_tree_entry_id(entry)) == 0
        else { return BranchDirectory(commit: tip, blobs: [:]) }
        defer { git_tree_free(directory) }
        var blobs: [String: String] = [:]
        for index in 0..<git_tree_entrycount(directory) {
            guard let child = git_tree_entry_byindex(directory, index), let name = git_tree_entry_name(child) else { continue }
            let mode = git_tree_entry_filemode(child)
            if mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE {
                blobs[path + "/" + String(cString: name)] = GitCache.hex(git_tree_entry_id(child)!.pointee)
            }
        }
        return BranchDirectory(commit: tip, blobs: blobs)
    }

    func run() throws -> (script: GitFile, files: [String: [UInt8]]) {
        let local = GitCache.openLocal(url)
        let repo = try local ?? GitCache.open(cache, repository: repository)
        defer { git_repository_free(repo) }
        let (commitHandle, _) = try lookup(repo, commit, local: local != nil)
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
        switch scope {
        case .jobsDirectory(let jobsDirectory)? where mode.isRegularFile:
            // The jobs directory, for modules the script imports, while it fits.
            var directoryEntry: OpaquePointer?
            if git_tree_entry_bypath(&directoryEntry, tree, jobsDirectory) == 0 {
                defer { git_tree_entry_free(directoryEntry) }
                var directory: OpaquePointer?
                if git_tree_lookup(&directory, repo, git_tree_entry_id(directoryEntry)) == 0 {
                    defer { git_tree_free(directory) }
                    try collect(repo, directory, prefix: jobsDirectory, into: &files, total: &total, budget: .skipBeyond(maxDirectorySize))
                }
            }
        case .repository(_, let limit)? where mode.isRegularFile:
            // The whole tree at the commit (the script's imports), without what the scope excludes.
            do {
                try collect(repo, tree, prefix: "", into: &files, total: &total, budget: .failBeyond(limit), scope: scope)
            } catch Overflow.limit {
                throw SourceReadError.treeTooLarge(repository: repository, commit: commit, limit: limit)
            }
        default:
            break
        }
        return (file, files)
    }

    /// What happens when the files collected would add up to more than a limit.
    private enum Budget {
        /// Leave out the files that do not fit (the jobs directory: best effort, as always).
        case skipBeyond(Int)
        /// Stop: the tree is too large to build against.
        case failBeyond(Int)
    }

    private enum Overflow: Error { case limit }

    private func collect(
        _ repo: OpaquePointer?, _ tree: OpaquePointer?, prefix: String, into files: inout [String: [UInt8]], total: inout Int,
        budget: Budget, scope: SourceScope? = nil
    ) throws {
        for index in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, index), let name = git_tree_entry_name(entry) else { continue }
            let entryPath = prefix.isEmpty ? String(cString: name) : prefix + "/" + String(cString: name)
            if let scope, !scope.includes(entryPath) { continue }
            switch git_tree_entry_filemode(entry) {
            case GIT_FILEMODE_TREE:
                var subtree: OpaquePointer?
                guard git_tree_lookup(&subtree, repo, git_tree_entry_id(entry)) == 0 else { continue }
                defer { git_tree_free(subtree) }
                try collect(repo, subtree, prefix: entryPath, into: &files, total: &total, budget: budget, scope: scope)
            case GIT_FILEMODE_BLOB, GIT_FILEMODE_BLOB_EXECUTABLE:
                guard files[entryPath] == nil else { continue }
                switch budget {
                case .skipBeyond(let limit):
                    let bytes = try blob(repo, git_tree_entry_id(entry)!.pointee, path: entryPath)
                    guard total + bytes.count <= limit else { continue }
                    files[entryPath] = bytes
                    total += bytes.count
                case .failBeyond(let limit):
                    let bytes = try blob(repo, git_tree_entry_id(entry)!.pointee, path: entryPath, maxSize: limit)
                    total += bytes.count
                    guard total <= limit else { throw Overflow.limit }
                    files[entryPath] = bytes
                }
            default:
                continue
            }
        }
    }

    private func blob(_ repo: OpaquePointer?, _ id: git_oid, path: String, maxSize: Int? = nil) throws -> [UInt8] {
        var oid = id
        var handle: OpaquePointer?
        try GitError.check(git_blob_lookup(&handle, repo, &oid), "reading \(path)", repository: repository)
        defer { git_blob_free(handle) }
        let size = Int(git_blob_rawsize(handle))
        if let maxSize, size > maxSize { throw Overflow.limit }
        guard maxSize != nil || size <= maxFileSize else { throw SourceReadError.tooLarge(path: path, size: size, limit: maxFileSize) }
        guard size > 0, let raw = git_blob_rawcontent(handle) else { return [] }
        return Array(UnsafeRawBufferPointer(start: raw, count: size))
    }
}

