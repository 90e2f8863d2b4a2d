import Foundation

/// A real git repository for tests: a bare repository plus a work tree to commit from.
public final class GitFixture: Sendable {
    public let directory: TemporaryDirectory
    public let bare: String
    public let work: String

    public init(branch: String = "main") throws {
        directory = try TemporaryDirectory("git")
        bare = directory.file("origin.git")
        work = directory.file("work")
        try Self.git(["init", "--quiet", "--bare", "--initial-branch", branch, bare], in: directory.path)
        try Self.git(["init", "--quiet", "--initial-branch", branch, work], in: directory.path)
        try Self.git(["remote", "add", "origin", bare], in: work)
    }

    /// Writes files (path → content; nil removes), commits them, pushes, returns the commit id.
    @discardableResult
    public func commit(_ files: [String: String?], message: String = "change", symlinks: [String: String] = [:]) throws -> String {
        for (path, content) in files {
            let target = work + "/" + path
            if let content {
                try FileManager.default.createDirectory(
                    atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try content.write(toFile: target, atomically: true, encoding: .utf8)
            } else {
                try? FileManager.default.removeItem(atPath: target)
            }
        }
        for (path, destination) in symlinks {
            let target = work + "/" + path
            try FileManager.default.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: target, withDestinationPath: destination)
        }
        try Self.git(["add", "-A"], in: work)
        try Self.git(["commit", "--quiet", "-m", message], in: work)
        try Self.git(["push", "--quiet", "origin", "HEAD"], in: work)
        return try Self.git(["rev-parse", "HEAD"], in: work).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @discardableResult
    public static func git(_ arguments: [String], in directory: String) throws -> String {
        let result = try runToCompletion(
            ["git"] + arguments, in: directory,
            environment: [
                "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": directory, "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_AUTHOR_NAME": "Alice", "GIT_AUTHOR_EMAIL": "alice@acme.example",
                "GIT_COMMITTER_NAME": "Alice", "GIT_COMMITTER_EMAIL": "alice@acme.example",
            ])
        guard result.status == 0 else {
            throw GitFixtureError(arguments: arguments, message: String(decoding: result.stderr, as: UTF8.self))
        }
        return String(decoding: result.stdout, as: UTF8.self)
    }
}

public struct GitFixtureError: Error, CustomStringConvertible {
    public var arguments: [String]
    public var message: String
    public var description: String { "git \(arguments.joined(separator: " ")): \(message)" }
}

/// Whether a process is still running (a zombie waiting for its parent to reap it is not).
public func processIsRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return kill(pid, 0) == 0 }
    guard let close = stat.lastIndex(of: ")") else { return true }
    let state = stat[stat.index(after: close)...].drop { $0 == " " }.first
    return state != "Z" && state != "X"
}
