import CLibgit2
import Foundation
import JobrunnerCore

/// CLEANUP through libgit2: on the freshly fetched branch tip, one commit that removes the
/// script (only the version that ran) and adds the log, pushed without force. When the push is
/// rejected because the branch moved, it fetches and rebuilds on the new tip (bounded).
/// Idempotent: a log already on the branch means the work was done.
public struct Libgit2LogCommitter: LogCommitter {
    public let remoteTemplate: String
    public let cacheDirectory: String
    public let credentials: (any AccessTokenProvider)?
    public let maxAttempts: Int
    private var locks: RepositoryLocks { .shared }

    public init(remoteTemplate: String, cacheDirectory: String, credentials: (any AccessTokenProvider)? = nil, maxAttempts: Int = 5) {
        self.remoteTemplate = remoteTemplate
        self.cacheDirectory = URL(fileURLWithPath: cacheDirectory).standardizedFileURL.path
        self.credentials = credentials
        self.maxAttempts = maxAttempts
    }

    public func commitCleanup(_ request: CleanupRequest) async throws -> CleanupResult {
        let job = CommitJob(
            url: remoteTemplate.replacingOccurrences(of: "{repository}", with: request.repository.rawValue),
            cache: cacheDirectory + "/" + request.repository.rawValue + ".git", request: request, token: try await credentials?.token(for: request.repository),
            maxAttempts: maxAttempts)
        return try await locks.withLock(job.cache) {
            try await onDedicatedThread { try job.run() }
        }
    }
}

/// Why CLEANUP could not commit, beyond a libgit2 failure.
public enum CleanupError: Error, Sendable, Equatable, CustomStringConvertible, ClassifiedError {
    case branchNotFound(repository: String, branch: String)
    case pushKeptFailing(repository: String, branch: String, attempts: Int, reason: String)

    public var description: String {
        switch self {
        case let .branchNotFound(repository, branch): "\(repository) has no branch \(branch)"
        case let .pushKeptFailing(repository, branch, attempts, reason):
            "pushing to \(branch) of \(repository) was rejected \(attempts) times (\(reason)); CLEANUP will retry"
        }
    }

    public var failureKind: FailureKind { .transient }
}

private struct CommitJob: Sendable {
    var url: String
    var cache: String
    var request: CleanupRequest
    var token: String?
    var maxAttempts: Int

    var repository: String { request.repository.rawValue }

    func run() throws -> CleanupResult {
        let repo = try GitCache.open(cache, repository: repository)
        defer { git_repository_free(repo) }
        var lastRejection = ""
        for attempt in 0..<maxAttempts {
            try GitCache.fetch(
                repo, url: url, token: token, refspec: "+refs/heads/*:refs/remotes/origin/*", repository: repository)
            switch try buildCommit(repo) {
            case .alreadyThere(let commit):
                return CleanupResult(commit: commit, committed: false, script: nil, retries: attempt)
            case .built(let commit, let script):
                let rejection = try GitCache.push(
                    repo, url: url, token: token, refspec: "refs/jobrunner/cleanup:refs/heads/\(request.branch)",
                    repository: repository)
                guard let rejection else {
                    return CleanupResult(commit: commit, committed: true, script: script, retries: attempt)
                }
                lastRejection = rejection
            }
        }
        throw CleanupError.pushKeptFailing(
            repository: repository, branch: request.branch, attempts: maxAttempts, reason: lastRejection)
    }

    enum Built {
        case alreadyThere(String)
        case built(String, CleanupResult.Script)
    }

    /// One commit on the fetched tip, referenced by `refs/jobrunner/cleanup` for the push.
    func buildCommit(_ repo: OpaquePointer?) throws -> Built {
        var tipOid = git_oid()
        guard git_reference_name_to_id(&tipOid, repo, "refs/remotes/origin/\(request.branch)") == 0 else {
            throw CleanupError.branchNotFound(repository: repository, branch: request.branch)
        }
        var tip: OpaquePointer?
        try GitError.check(git_commit_lookup(&tip, repo, &tipOid), "reading the branch tip", repository: repository)
        defer { git_commit_free(tip) }
        var tipTree: OpaquePointer?
        try GitError.check(git_commit_tree(&tipTree, tip), "reading the tip's tree", repository: repository)
        defer { git_tree_free(tipTree) }

        // Idempotent: the log on the branch means a previous attempt's push went through.
        if let existing = try blobID(tipTree, request.logPath) {
            guard request.isOwnLog(try blobContent(repo, existing)) else {
                throw LogPathTaken(repository: repository, branch: request.branch, path: request.logPath)
            }
            return .alreadyThere(GitCache.hex(tipOid))
        }
        // Remove only the version that ran.
        let ranBlob = try sourceBlob(repo)
        let tipBlob = try blobID(tipTree, request.scriptPath)
        let script: CleanupResult.Script =
            switch tipBlob {
            case nil: .vanished
            case let blob? where ranBlob != nil && git_oid_equal([blob], [ranBlob!]) == 1: .removed
            default: .changedOnBranch
            }
        let log = request.logContent(after: script)
        var logOid = git_oid()
        try log.utf8CString.withUnsafeBufferPointer { buffer in
            try GitError.check(
                git_blob_create_from_buffer(&logOid, repo, buffer.baseAddress, buffer.count - 1), "writing the log",
                repository: repository)
        }
        let logPath = strdup(request.logPath)
        let scriptPath = strdup(request.scriptPath)
        defer {
            free(logPath)
            free(scriptPath)
        }
        var updates = [git_tree_update(action: GIT_TREE_UPDATE_UPSERT, id: logOid, filemode: GIT_FILEMODE_BLOB, path: logPath)]
        if script == .removed {
            updates.append(git_tree_update(action: GIT_TREE_UPDATE_REMOVE, id: git_oid(), filemode: GIT_FILEMODE_BLOB, path: scriptPath))
        }
        var treeOid = git_oid()
        try GitError.check(
            git_tree_create_updated(&treeOid, repo, tipTree, updates.count, updates), "building the tree",
            repository: repository)
        var tree: OpaquePointer?
        try GitError.check(git_tree_lookup(&tree, repo, &treeOid), "reading the new tree", repository: repository)
        defer { git_tree_free(tree) }
        var signature: UnsafeMutablePointer<git_signature>?
        try GitError.check(
            git_signature_now(&signature, request.authorName, request.authorEmail), "making the signature",
            repository: repository)
        defer { git_signature_free(signature) }
        var commitOid = git_oid()
        var parents: [OpaquePointer?] = [tip]
        try parents.withUnsafeMutableBufferPointer { buffer in
            try GitError.check(
                git_commit_create(
                    &commitOid, repo, nil, signature, signature, "UTF-8", request.message, tree, 1, buffer.baseAddress),
                "creating the commit", repository: repository)
        }
        var reference: OpaquePointer?
        try GitError.check(
            git_reference_create(&reference, repo, "refs/jobrunner/cleanup", &commitOid, 1, "jobrunner cleanup"),
            "referencing the commit", repository: repository)
        git_reference_free(reference)
        return .built(GitCache.hex(commitOid), script)
    }

    /// The script's blob at the commit it ran from.
    func sourceBlob(_ repo: OpaquePointer?) throws -> git_oid? {
        var oid = git_oid()
        guard git_oid_fromstr(&oid, request.sourceCommit) == 0 else { return nil }
        var commit: OpaquePointer?
        guard git_commit_lookup(&commit, repo, &oid) == 0 else { return nil }
        defer { git_commit_free(commit) }
        var tree: OpaquePointer?
        try GitError.check(git_commit_tree(&tree, commit), "reading the source commit", repository: repository)
        defer { git_tree_free(tree) }
        return try blobID(tree, request.scriptPath)
    }

    func blobContent(_ repo: OpaquePointer?, _ id: git_oid) throws -> [UInt8] {
        var oid = id
        var blob: OpaquePointer?
        try GitError.check(git_blob_lookup(&blob, repo, &oid), "reading the file at the log path", repository: repository)
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let raw = git_blob_rawcontent(blob) else { return [] }
        return Array(UnsafeRawBufferPointer(start: raw, count: size))
    }

    func blobID(_ tree: OpaquePointer?, _ path: String) throws -> git_oid? {
        var entry: OpaquePointer?
        guard git_tree_entry_bypath(&entry, tree, path) == 0 else { return nil }
        defer { git_tree_entry_free(entry) }
        return git_tree_entry_id(entry)?.pointee
    }
}
