import Foundation
/// Finds the scripts a push adds to the jobs directory.
///
/// Rules (documented in docs/intake.md):
/// - A script is a file directly in the jobs directory (`jobs/name.ext`) with a supported
///   extension. Files in sub-folders (`jobs/lib/util.ts`) are support files — modules a script
///   may import — and never run. Hidden files and other extensions are skipped.
/// - Every commit of the push counts, not only the head commit; a file removed again later in
///   the same push is not a script of this push.
/// - A script the push only *modifies* (it was in the jobs directory before the push) comes out
///   with `modifiesExisting`: whether it runs depends on its earlier pipeline (`ModifiedScriptRule`).
/// - Files added by the bot's own commits (see `BotCommitMarker`) are ignored.
/// - Unsafe names (`..`, control characters, backslashes, a leading `-` or `.`) are rejected.
/// - Scripts come out in arrival order: the order of the commit that first added them, then path.
///   Each is attributed to the last commit of the push that added or modified it, whose content is
///   what was reviewed and merged.
public struct ScriptDetector: Sendable {
    public var jobsDirectory: String
    public var supportedExtensions: Set<String>

    public init(jobsDirectory: String, supportedExtensions: Set<String> = Toolchain.builtInExtensions) {
        self.jobsDirectory = jobsDirectory
        self.supportedExtensions = supportedExtensions
    }

    /// One commit as the push payload or the compare API describes it.
    public struct Commit: Sendable, Equatable {
        public var id: String
        public var message: String
        public var author: String?
        public var added: [String]
        public var removed: [String]
        public var modified: [String]

        public init(
            id: String, message: String, author: String? = nil, added: [String] = [], removed: [String] = [],
            modified: [String] = []
        ) {
            self.id = id
            self.message = message
            self.author = author
            self.added = added
            self.removed = removed
            self.modified = modified
        }
    }

    public struct Script: Sendable, Equatable {
        public var path: String
        /// The commit whose content runs: the last of the push that added or modified the file.
        public var commit: String
        /// Author (login or name) of the commit that added the script.
        public var author: String?
        /// The push modified the script rather than adding it.
        public var modifiesExisting: Bool = false
    }

    /// A file in the jobs directory that is not a script, and why.
    public struct Skipped: Sendable, Equatable {
        public var path: String
        public var reason: String

        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
    }

    public struct Result: Sendable, Equatable {
        public var scripts: [Script] = []
        public var skipped: [Skipped] = []
        /// Commits ignored because the bot made them.
        public var botCommits: [String] = []
    }

    public func detect(_ commits: [Commit]) -> Result {
        var result = Result()
        struct Candidate {
            var order: Int
            var commit: String
            var author: String?
            var modifiesExisting = false
        }
        var candidates: [String: Candidate] = [:]
        var skipped: [String: String] = [:]
        for (index, commit) in commits.enumerated() {
            if BotCommitMarker.isBotCommit(message: commit.message) {
                result.botCommits.append(commit.id)
                for path in commit.removed { candidates[path] = nil }
                continue
            }
            for path in commit.added {
                switch classify(path) {
                case .script:
                    if var existing = candidates[path] {
                        existing.commit = commit.id
                        candidates[path] = existing
                    } else {
                        candidates[path] = Candidate(order: index, commit: commit.id, author: commit.author)
                    }
                case .skip(let reason):
                    skipped[path] = reason
                case .outside:
                    break
                }
            }
            for path in commit.modified {
                if candidates[path] != nil {
                    candidates[path]?.commit = commit.id
                } else if classify(path) == .script {
                    candidates[path] = Candidate(order: index, commit: commit.id, author: commit.author, modifiesExisting: true)
                }
            }
            for path in commit.removed {
                candidates[path] = nil
                skipped[path] = nil
            }
        }
        result.scripts = candidates.sorted { lhs, rhs in
            (lhs.value.order, lhs.key) < (rhs.value.order, rhs.key)
        }.map {
            Script(path: $0.key, commit: $0.value.commit, author: $0.value.author, modifiesExisting: $0.value.modifiesExisting)
        }
        result.skipped = skipped.sorted { $0.key < $1.key }.map { Skipped(path: $0.key, reason: $0.value) }
        return result
    }

    /// A script's file name becomes part of its log's (`DATE-NAME-pPIPELINE.md`), and file systems
    /// refuse names over 255 bytes.
    public static let maximumNameLength = 200

    /// Whether `path` is a script that could run (directly in the jobs directory, supported, safe).
    public func isScript(_ path: String) -> Bool { classify(path) == .script }

    enum Classification: Equatable {
        case script
        case skip(String)
        case outside
    }

    func classify(_ path: String) -> Classification {
        let prefix = jobsDirectory + "/"
        guard path.hasPrefix(prefix) else {
            // Paths that only pretend to leave and re-enter the directory are refused, not ignored.
            return path.contains(prefix) && Self.unsafeReason(path) != nil ? .skip(Self.unsafeReason(path)!) : .outside
        }
        if let reason = Self.unsafeReason(path) { return .skip(reason) }
        let name = String(path.dropFirst(prefix.count))
        // Bytes, not Foundation's string search (a tenth of intake's detection time): a slash
        // byte is a slash to the file system whatever follows it.
        if name.utf8.contains(UInt8(ascii: "/")) {
            return .skip("in a sub-folder of \(jobsDirectory)/: support files there never run")
        }
        if name.hasPrefix(".") { return .skip("hidden file") }
        if name.utf8.count > Self.maximumNameLength {
            return .skip("name longer than \(Self.maximumNameLength) bytes: its execution log's file name would be too long for git checkouts")
        }
        if name.hasPrefix("-") { return .skip("unsafe name: starts with '-'") }
        // Swift compares strings by canonical equivalence, macOS checkouts store names normalized:
        // "é" as one character and as "e" + accent would be one script here and two files in git.
        if !name.utf8.allSatisfy({ $0 < 0x80 }) && !name.utf8.elementsEqual(name.precomposedStringWithCanonicalMapping.utf8) {
            return .skip("name not in Unicode normalization form C (an equivalent spelling could be another file): rename it")
        }
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else {
            return .skip("no extension: not a script")
        }
        let fileExtension = String(name[name.index(after: dot)...]).lowercased()
        guard supportedExtensions.contains(fileExtension) else {
            return .skip("unsupported extension .\(fileExtension): not a script")
        }
        return .script
    }

    static func unsafeReason(_ path: String) -> String? {
        if path.hasPrefix("/") { return "unsafe path: absolute" }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "unsafe path: control character"
        }
        if path.utf8.contains(UInt8(ascii: "\\")) { return "unsafe path: backslash" }
        if path.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) {
            return "unsafe path: '.', '..' or empty component"
        }
        return nil
    }
}
