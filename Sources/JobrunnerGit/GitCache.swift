import CLibgit2
import Foundation
import JobrunnerCore

/// The libgit2 work shared by reading and committing: the per-repository bare cache, fetch and
/// push with token credentials. Synchronous, for use inside one confined closure; every handle
/// a function creates is freed before it returns, except the repository `open` hands back.
enum GitCache {
    static let initialized: Bool = {
        let ready = git_libgit2_init() > 0
        _ = jobrunner_git_set_timeout(Int32(clamping: Int64(limits.value.timeout.secondsDouble * 1000)))
        return ready
    }()

    /// How long a connection may make no progress, and the longest one fetch or push may take.
    static let limits = Locked(GitTimeouts())

    /// Applies `timeouts` to every fetch and push from now on (`JOBRUNNER_GIT_TIMEOUT`, `JOBRUNNER_GIT_DEADLINE`).
    static func configure(_ timeouts: GitTimeouts) {
        _ = initialized
        limits.withLock { $0 = timeouts }
        _ = jobrunner_git_set_timeout(Int32(clamping: Int64(timeouts.timeout.secondsDouble * 1000)))
    }

    /// Opens the bare cache at `path`, creating it on first use. The caller frees it.
    static func open(_ path: String, repository: String) throws -> OpaquePointer? {
        _ = initialized
        var repo: OpaquePointer?
        if git_repository_open_bare(&repo, path) == 0 { return repo }
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try GitError.check(git_repository_init(&repo, path, 1), "creating the cache \(path)", repository: repository)
        return repo
    }

    /// The repository at `url` when it is a local path or `file://` URL that opens (bare or
    /// not); `nil` for a network URL or a path that is not a repository.
    static func openLocal(_ url: String) -> OpaquePointer? {
        _ = initialized
        let path = url.hasPrefix("file://") ? String(url.dropFirst("file://".count)) : url
        guard path.hasPrefix("/") else { return nil }
        var repo: OpaquePointer?
        guard git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil) == 0 else { return nil }
        return repo
    }

    /// The 40-hex-digit spelling of an object id.
    static func hex(_ oid: git_oid) -> String {
        var copy = oid
        var buffer = [CChar](repeating: 0, count: 41)
        git_oid_tostr(&buffer, buffer.count, &copy)
        return String(cString: buffer)
    }

    static func fetch(_ repo: OpaquePointer?, url: String, token: String?, refspec: String, repository: String) throws {
        try fetch(repo, url: url, token: token, refspecs: [refspec], repository: repository)
    }

    static func fetch(_ repo: OpaquePointer?, url: String, token: String?, refspecs: [String], repository: String) throws {
        try withRemote(repo, url: url, repository: repository) { remote in
            var options = git_fetch_options()
            try GitError.check(git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)), "fetch options", repository: repository)
            // Only the refspec's objects: no tags, and no FETCH_HEAD (nothing reads it) — less
            // to list and write between a webhook and its script.
            options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
            options.update_fetchhead = 0
            try withCallbacks(token: token) { payload in
                options.callbacks.payload = payload
                options.callbacks.credentials = credentialCallback
                try withStrings(refspecs) { specs in
                    jobrunner_git_begin_operation(Int64(limits.value.deadline.secondsDouble * 1000))
                    try GitError.check(
                        git_remote_fetch(remote, &specs, &options, "jobrunner fetch"), "fetching \(url)", repository: repository)
                }
            }
        }
    }

    /// Pushes `refspec`; returns the server's reason when it rejected the update (the branch
    /// moved: fetch and rebuild), `nil` when the push was accepted.
    static func push(_ repo: OpaquePointer?, url: String, token: String?, refspec: String, repository: String) throws -> String? {
        try withRemote(repo, url: url, repository: repository) { remote in
            var options = git_push_options()
            try GitError.check(git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)), "push options", repository: repository)
            return try withCallbacks(token: token) { payload in
                options.callbacks.payload = payload
                options.callbacks.credentials = credentialCallback
                options.callbacks.push_update_reference = { _, status, data in
                    guard let status, let data else { return 0 }
                    let callbacks = data.assumingMemoryBound(to: CallbackPayload.self)
                    callbacks.pointee.rejection = strdup(status)
                    return 0
                }
                jobrunner_git_begin_operation(Int64(limits.value.deadline.secondsDouble * 1000))
                let code = try withStrings([refspec]) { specs in git_remote_push(remote, &specs, &options) }
                if let rejection = payload.assumingMemoryBound(to: CallbackPayload.self).pointee.rejection {
                    return String(cString: rejection)
                }
                if code == GIT_ENONFASTFORWARD.rawValue { return "non-fast-forward" }
                try GitError.check(code, "pushing to \(url)", repository: repository)
                return nil
            }
        }
    }

    private static func withRemote<T>(
        _ repo: OpaquePointer?, url: String, repository: String, _ body: (OpaquePointer?) throws -> T
    ) throws -> T {
        var remote: OpaquePointer?
        try GitError.check(git_remote_create_anonymous(&remote, repo, url), "opening remote \(url)", repository: repository)
        defer { git_remote_free(remote) }
        return try body(remote)
    }

    private static func withCallbacks<T>(token: String?, _ body: (UnsafeMutableRawPointer) throws -> T) throws -> T {
        let payload = UnsafeMutablePointer<CallbackPayload>.allocate(capacity: 1)
        payload.initialize(to: CallbackPayload(token: token.map { strdup($0) } ?? nil, attempts: 0, rejection: nil))
        defer {
            free(payload.pointee.token)
            free(payload.pointee.rejection)
            payload.deinitialize(count: 1)
            payload.deallocate()
        }
        return try body(UnsafeMutableRawPointer(payload))
    }

    private static func withStrings<T>(_ strings: [String], _ body: (inout git_strarray) throws -> T) rethrows -> T {
        var pointers = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        return try pointers.withUnsafeMutableBufferPointer { buffer in
            var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
            return try body(&array)
        }
    }

    /// Answers a credential request once with the token as user `x-access-token`; a second
    /// request means the token was refused.
    private static let credentialCallback: git_credential_acquire_cb = { out, _, _, _, payload in
        guard let payload else { return GIT_PASSTHROUGH.rawValue }
        let callbacks = payload.assumingMemoryBound(to: CallbackPayload.self)
        guard let token = callbacks.pointee.token, callbacks.pointee.attempts == 0 else { return GIT_EAUTH.rawValue }
        callbacks.pointee.attempts += 1
        return git_credential_userpass_plaintext_new(out, "x-access-token", token)
    }
}

/// What the callbacks read and write: the token, how often it was asked, a push rejection.
struct CallbackPayload {
    var token: UnsafeMutablePointer<CChar>?
    var attempts: Int
    var rejection: UnsafeMutablePointer<CChar>?
}

/// Bounds on libgit2's network operations, which have no timeout of their own in libgit2 1.5.
public struct GitTimeouts: Sendable, Equatable {
    /// Connecting, or waiting for the remote's next bytes, longer than this fails the operation.
    public var timeout: Duration
    /// No fetch or push takes longer than this, however slowly the remote keeps sending.
    public var deadline: Duration

    public init(timeout: Duration = .seconds(30), deadline: Duration = .seconds(600)) {
        self.timeout = timeout
        self.deadline = deadline
    }
}
