import Foundation
import JobrunnerCore
import NIOHTTP1

/// The GitHub API `GitBackend`: no clone at all. PROCESS reads the commit's tree and blobs
/// (`git/commits`, `git/trees?recursive=1`, `git/blobs` — they carry each file's mode and blob
/// id); CLEANUP builds one commit with the Git Data API — a blob for the log, a tree on
/// `base_tree` that adds it and deletes the script, a commit on the tip — and moves the branch
/// with a non-forced ref update, rebuilding on the new tip when GitHub answers that it is not a
/// fast-forward (bounded). Idempotent: a log already on the tip commits nothing.
public struct GitHubAPIBackend: GitBackend {
    public let requester: GitHubRequester
    private let credentials: any AccessTokenProvider
    public let maxFileSize: Int
    public let maxDirectorySize: Int
    /// Ref updates tried per CLEANUP before the stage gives up (and is retried later).
    public let maxAttempts: Int

    public init(
        requester: GitHubRequester, credentials: any AccessTokenProvider, maxFileSize: Int = 1 << 20,
        maxDirectorySize: Int = 16 << 20, maxAttempts: Int = 5
    ) {
        self.requester = requester
        self.credentials = credentials
        self.maxFileSize = maxFileSize
        self.maxDirectorySize = maxDirectorySize
        self.maxAttempts = maxAttempts
    }

    // MARK: Reading

    public func read(repository: RepositoryName, commit: String, path: String, scope: SourceScope) async throws -> ScriptSource {
        let session = try await Session(backend: self, repository: repository)
        let tree = try await session.tree(ofCommit: commit)
        let script = try await session.file(try session.entry(path, in: tree, commit: commit))
        guard script.mode.isRegularFile else {
            throw script.mode == .symlink ? SourceReadError.symlink(path: path) : SourceReadError.submodule(path: path)
        }
        guard case .jobsDirectory(let jobsDirectory) = scope else {
            // The whole tree: one archive, not one request per file.
            var files = try await session.archive(commit: commit, scope: scope)
            files[path] = script.content
            return ScriptSource(path: path, files: files, blobID: script.blobID)
        }
        var files = [path: script.content]
        var total = script.content.count
        // The jobs directory, for modules the script imports, while it fits.
        for neighbour in tree.filter({ $0.path.hasPrefix(jobsDirectory + "/") && $0.path != path && $0.type == "blob" })
            .sorted(by: { $0.path < $1.path })
        {
            guard let mode = GitFileMode(rawValue: neighbour.mode), mode.isRegularFile,
                total + (neighbour.size ?? 0) <= maxDirectorySize, (neighbour.size ?? 0) <= maxFileSize
            else { continue }
            let file = try await session.file(neighbour)
            files[neighbour.path] = file.content
            total += file.content.count
        }
        return ScriptSource(path: path, files: files, blobID: script.blobID)
    }

    /// The tip of the branch, then one tree per path component (never the recursive tree, which
    /// GitHub truncates for large repositories).
    public func filesAtTip(repository: RepositoryName, branch: String, directory: String) async throws -> BranchDirectory {
        let session = try await Session(backend: self, repository: repository)
        let tip = try await session.tip(of: branch)
        var tree = try await session.treeID(ofCommit: tip)
        for component in directory.split(separator: "/") {
            guard let next = try await session.entries(ofTree: tree).first(where: { $0.path == component && $0.type == "tree" })
            else { return BranchDirectory(commit: tip, blobs: [:]) }
            tree = next.sha ?? ""
        }
        var blobs: [String: String] = [:]
        for entry in try await session.entries(ofTree: tree)
        where entry.type == "blob" && (GitFileMode(rawValue: entry.mode)?.isRegularFile ?? false) {
            blobs[directory + "/" + entry.path] = entry.sha ?? ""
        }
        return BranchDirectory(commit: tip, blobs: blobs)
    }

    /// `GET /compare/{commit}...{revision}`: `identical` or `ahead` means the revision contains
    /// the commit.
    public func contains(repository: RepositoryName, revision: String, commit: String) async throws -> Bool {
        let session = try await Session(backend: self, repository: repository)
        struct Comparison: Decodable { var status: String }
        do {
            let comparison = try await session.send(.GET, "/compare/\(commit)...\(revision)?per_page=1")
                .decode(Comparison.self, url: session.base + "/compare")
            return comparison.status == "identical" || comparison.status == "ahead"
        } catch let error as GitHubAPIError where error.status == 404 {
            throw SourceReadError.commitNotFound(repository: repository.rawValue, commit: revision)
        }
    }

    public func file(repository: RepositoryName, commit: String, path: String) async throws -> GitFile {
        let session = try await Session(backend: self, repository: repository)
        let tree = try await session.tree(ofCommit: commit)
        return try await session.file(try session.entry(path, in: tree, commit: commit))
    }

    // MARK: Committing

    public func commitCleanup(_ request: CleanupRequest) async throws -> CleanupResult {
        let session = try await Session(backend: self, repository: request.repository)
        let sourceBlob = try await session.blobID(at: request.sourceCommit, path: request.scriptPath)
        var lastRejection = ""
        for attempt in 0..<maxAttempts {
            let tip = try await session.tip(of: request.branch)
            if let existing = try await session.blobID(at: tip, path: request.logPath) {
                let content = try await session.file(TreeEntry(path: request.logPath, mode: GitFileMode.regular.rawValue, type: "blob", sha: existing))
                guard request.isOwnLog(content.content) else {
                    throw LogPathTaken(repository: request.repository.rawValue, branch: request.branch, path: request.logPath)
                }
                return CleanupResult(commit: tip, committed: false, script: nil, retries: attempt)
            }
            let tipBlob = try await session.blobID(at: tip, path: request.scriptPath)
            let script: CleanupResult.Script =
                switch tipBlob {
                case nil: .vanished
                case sourceBlob: .removed
                default: .changedOnBranch
                }
            let log = try await session.createBlob(Data(request.logContent(after: script).utf8))
            var entries = [TreeEntry(path: request.logPath, mode: GitFileMode.regular.rawValue, type: "blob", sha: log)]
            if script == .removed {
                entries.append(TreeEntry(path: request.scriptPath, mode: GitFileMode.regular.rawValue, type: "blob", sha: nil))
            }
            let tree = try await session.createTree(base: try await session.treeID(ofCommit: tip), entries: entries)
            let commit = try await session.createCommit(
                message: request.message, tree: tree, parent: tip, authorName: request.authorName,
                authorEmail: request.authorEmail)
            do {
                try await session.moveBranch(request.branch, to: commit)
                return CleanupResult(commit: commit, committed: true, script: script, retries: attempt)
            } catch let error as GitHubAPIError where error.status == 422 {
                lastRejection = "\(error)"  // the branch moved: rebuild on the new tip
            }
        }
        throw GitHubBackendError.refUpdateKeptFailing(
            repository: request.repository.rawValue, branch: request.branch, attempts: maxAttempts, reason: lastRejection)
    }

    // MARK: Calls

    /// One token for a series of calls on one repository.
    private struct Session {
        let backend: GitHubAPIBackend
        let repository: RepositoryName
        let token: String
        var base: String { "/repos/\(repository.owner)/\(repository.name)" }

        init(backend: GitHubAPIBackend, repository: RepositoryName) async throws {
            self.backend = backend
            self.repository = repository
            token = try await backend.credentials.token(for: repository)
        }

        func send(_ method: HTTPMethod, _ path: String, body: (any Encodable & Sendable)? = nil) async throws
            -> GitHubRequester.Response
        {
            try await backend.requester.send(method, base + path, token: token, body: body)
        }

        func treeID(ofCommit commit: String) async throws -> String {
            struct Commit: Decodable {
                struct Tree: Decodable { var sha: String }
                var tree: Tree
            }
            do {
                return try await send(.GET, "/git/commits/\(commit)").decode(Commit.self, url: base + "/git/commits").tree.sha
            } catch let error as GitHubAPIError where error.status == 404 || error.status == 422 {
                throw SourceReadError.commitNotFound(repository: repository.rawValue, commit: commit)
            }
        }

        func tree(ofCommit commit: String) async throws -> [TreeEntry] {
            struct Tree: Decodable {
                var tree: [TreeEntry]
                var truncated: Bool
            }
            let id = try await treeID(ofCommit: commit)
            let tree = try await send(.GET, "/git/trees/\(id)?recursive=1").decode(Tree.self, url: base + "/git/trees")
            if tree.truncated {
                throw SourceReadError.git(
                    repository: repository.rawValue,
                    message: "the tree of \(commit) is too large for one GitHub API answer; use JOBRUNNER_GIT_BACKEND=libgit2")
            }
            return tree.tree
        }

        /// The entries directly in a tree (names, not paths).
        func entries(ofTree id: String) async throws -> [TreeEntry] {
            struct Tree: Decodable {
                var tree: [TreeEntry]
                var truncated: Bool
            }
            let tree = try await send(.GET, "/git/trees/\(id)").decode(Tree.self, url: base + "/git/trees")
            if tree.truncated {
                throw SourceReadError.git(repository: repository.rawValue, message: "tree \(id) is too large for one GitHub API answer")
            }
            return tree.tree
        }

        func entry(_ path: String, in tree: [TreeEntry], commit: String) throws -> TreeEntry {
            guard let entry = tree.first(where: { $0.path == path }) else {
                throw SourceReadError.fileNotFound(repository: repository.rawValue, commit: commit, path: path)
            }
            return entry
        }

        func file(_ entry: TreeEntry) async throws -> GitFile {
            guard let mode = GitFileMode(rawValue: entry.mode), let sha = entry.sha else {
                throw SourceReadError.git(repository: repository.rawValue, message: "\(entry.path) has mode \(entry.mode)")
            }
            if mode == .submodule || mode == .directory {
                return GitFile(path: entry.path, mode: mode, blobID: sha, content: [])
            }
            if let size = entry.size, size > backend.maxFileSize {
                throw SourceReadError.tooLarge(path: entry.path, size: size, limit: backend.maxFileSize)
            }
            struct Blob: Decodable {
                var content: String
                var encoding: String
            }
            let blob = try await send(.GET, "/git/blobs/\(sha)").decode(Blob.self, url: base + "/git/blobs/\(sha)")
            let bytes: [UInt8]
            if blob.encoding == "base64" {
                guard let data = Data(base64Encoded: blob.content, options: .ignoreUnknownCharacters) else {
                    throw GitHubAPIError.invalidResponse(url: base + "/git/blobs/\(sha)", reason: "content is not base64")
                }
                bytes = Array(data)
            } else {
                bytes = Array(blob.content.utf8)
            }
            return GitFile(path: entry.path, mode: mode, blobID: sha, content: bytes)
        }

        /// `GET /tarball/{commit}` (GitHub redirects to its archive host): the files of the tree
        /// that `scope` includes, within its limit.
        func archive(commit: String, scope: SourceScope) async throws -> [String: [UInt8]] {
            guard case .repository(_, let limit) = scope else { return [:] }
            let body = try await send(.GET, "/tarball/\(commit)").body
            do {
                return try TarGzArchive.files(body, stripComponents: 1, include: scope.includes, limit: limit)
            } catch TarGzArchive.Problem.tooLarge {
                throw SourceReadError.treeTooLarge(repository: repository.rawValue, commit: commit, limit: limit)
            } catch {
                throw SourceReadError.git(repository: repository.rawValue, message: "the archive of \(commit) is unreadable: \(error)")
            }
        }

        /// `GET /contents/{path}?ref=` for the blob id alone; nil when the path is not there.
        func blobID(at commit: String, path: String) async throws -> String? {
            struct Content: Decodable {
                var type: String
                var sha: String
            }
            let escaped = path.split(separator: "/").map { RESTGitHubClient.escape(String($0)) }.joined(separator: "/")
            do {
                let response = try await send(.GET, "/contents/\(escaped)?ref=\(commit)")
                // A directory answers with an array: not a file there.
                guard let content = try? JSONDecoder().decode(Content.self, from: response.body) else { return nil }
                return content.type == "file" || content.type == "symlink" ? content.sha : nil
            } catch let error as GitHubAPIError where error.status == 404 {
                return nil
            }
        }

        func tip(of branch: String) async throws -> String {
            struct Ref: Decodable {
                struct Object: Decodable { var sha: String }
                var object: Object
            }
            do {
                return try await send(.GET, "/git/ref/heads/\(branch)").decode(Ref.self, url: base + "/git/ref").object.sha
            } catch let error as GitHubAPIError where error.status == 404 {
                throw GitHubBackendError.branchNotFound(repository: repository.rawValue, branch: branch)
            }
        }

        func createBlob(_ data: Data) async throws -> String {
            struct NewBlob: Encodable, Sendable {
                var content: String
                var encoding = "base64"
            }
            return try await send(.POST, "/git/blobs", body: NewBlob(content: data.base64EncodedString()))
                .decode(Created.self, url: base + "/git/blobs").sha
        }

        func createTree(base tree: String, entries: [TreeEntry]) async throws -> String {
            struct NewTree: Encodable, Sendable {
                var base_tree: String
                var tree: [TreeEntry]
            }
            return try await send(.POST, "/git/trees", body: NewTree(base_tree: tree, tree: entries))
                .decode(Created.self, url: base + "/git/trees").sha
        }

        func createCommit(message: String, tree: String, parent: String, authorName: String, authorEmail: String)
            async throws -> String
        {
            struct Person: Encodable, Sendable {
                var name: String
                var email: String
            }
            struct NewCommit: Encodable, Sendable {
                var message: String
                var tree: String
                var parents: [String]
                var author: Person
                var committer: Person
            }
            let person = Person(name: authorName, email: authorEmail)
            return try await send(
                .POST, "/git/commits",
                body: NewCommit(message: message, tree: tree, parents: [parent], author: person, committer: person)
            ).decode(Created.self, url: base + "/git/commits").sha
        }

        func moveBranch(_ branch: String, to commit: String) async throws {
            struct RefUpdate: Encodable, Sendable {
                var sha: String
                var force = false
            }
            _ = try await send(.PATCH, "/git/refs/heads/\(branch)", body: RefUpdate(sha: commit))
        }
    }

    private struct Created: Decodable { var sha: String }
}

/// A tree entry as the Git Data API spells it; `sha: null` in a new tree deletes the path.
struct TreeEntry: Codable, Sendable {
    var path: String
    var mode: String
    var type: String
    var sha: String?
    var size: Int?

    init(path: String, mode: String, type: String, sha: String?, size: Int? = nil) {
        self.path = path
        self.mode = mode
        self.type = type
        self.sha = sha
        self.size = size
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(mode, forKey: .mode)
        try container.encode(type, forKey: .type)
        try container.encode(sha, forKey: .sha)  // an explicit null: delete
    }
}

/// Why the GitHub API backend could not commit.
public enum GitHubBackendError: Error, Sendable, Equatable, CustomStringConvertible, ClassifiedError {
    case branchNotFound(repository: String, branch: String)
    case refUpdateKeptFailing(repository: String, branch: String, attempts: Int, reason: String)

    public var description: String {
        switch self {
        case let .branchNotFound(repository, branch): "\(repository) has no branch \(branch)"
        case let .refUpdateKeptFailing(repository, branch, attempts, reason):
            "moving \(branch) of \(repository) was refused \(attempts) times (\(reason)); CLEANUP will retry"
        }
    }

    public var failureKind: FailureKind { .transient }
}
