import Foundation
import JobrunnerCore
import JobrunnerStages

/// Reads from repositories on this machine (a bare repository, or a clone) with `git`.
/// `location` maps a repository name to its git directory.
public struct GitRepositoryReader: ScriptSourceReader {
    public let location: @Sendable (RepositoryName) -> String
    public let runner: any ProcessRunner
    public let maxFileSize: Int
    public let maxDirectorySize: Int

    public init(
        runner: any ProcessRunner = SubprocessRunner(), maxFileSize: Int = 1 << 20, maxDirectorySize: Int = 16 << 20,
        location: @escaping @Sendable (RepositoryName) -> String
    ) {
        self.location = location
        self.runner = runner
        self.maxFileSize = maxFileSize
        self.maxDirectorySize = maxDirectorySize
    }

    public func read(repository: RepositoryName, commit: String, path: String, scope: SourceScope) async throws -> ScriptSource {
        let gitDirectory = location(repository)
        let exists = try await git(gitDirectory, repository, ["cat-file", "-e", "\(commit)^{commit}"], allowFailure: true)
        guard exists.succeeded else { throw SourceReadError.commitNotFound(repository: repository.rawValue, commit: commit) }
        var limit = maxDirectorySize
        var listed = ["ls-tree", "-r", "-l", "-z", commit]
        switch scope {
        case .jobsDirectory(let directory): listed += ["--", directory + "/", path]
        case .repository(_, let treeLimit): limit = treeLimit
        }
        let listing = try await git(gitDirectory, repository, listed)
        var entries: [String: (mode: String, sha: String, size: Int)] = [:]
        for record in listing.stdout.bytes.split(separator: 0) {
            let text = String(decoding: record, as: UTF8.self)
            guard let tab = text.firstIndex(of: "\t") else { continue }
            let fields = text[..<tab].split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 4 else { continue }
            let name = String(text[text.index(after: tab)...])
            guard name == path || scope.includes(name) else { continue }
            entries[name] = (String(fields[0]), String(fields[2]), Int(fields[3]) ?? 0)
        }
        if case .repository(_, let treeLimit) = scope, entries.values.reduce(0, { $0 + $1.size }) > treeLimit {
            throw SourceReadError.treeTooLarge(repository: repository.rawValue, commit: commit, limit: treeLimit)
        }
        guard let script = entries[path] else {
            throw SourceReadError.fileNotFound(repository: repository.rawValue, commit: commit, path: path)
        }
        if script.mode == "120000" { throw SourceReadError.symlink(path: path) }
        if script.mode == "160000" { throw SourceReadError.submodule(path: path) }
        guard script.size <= maxFileSize else { throw SourceReadError.tooLarge(path: path, size: script.size, limit: maxFileSize) }
        var files: [String: [UInt8]] = [:]
        var total = 0
        // The script first, then its neighbours (modules it may import) while they fit.
        for (name, entry) in [(path, script)] + entries.filter({ $0.key != path }).sorted(by: { $0.key < $1.key }) {
            guard entry.mode == "100644" || entry.mode == "100755", total + entry.size <= limit else { continue }
            let blob = try await git(gitDirectory, repository, ["cat-file", "blob", entry.sha], limit: max(maxFileSize, entry.size) + 1)
            files[name] = blob.stdout.bytes
            total += entry.size
        }
        return ScriptSource(path: path, files: files, blobID: script.sha)
    }

    private func git(
        _ directory: String, _ repository: RepositoryName, _ arguments: [String], allowFailure: Bool = false,
        limit: Int = 8 << 20
    ) async throws -> ProcessResult {
        let result = try await runner.run(
            ProcessSpec(
                executable: "git", arguments: ["--git-dir", directory] + arguments,
                environment: ["PATH": "/usr/local/bin:/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1", "HOME": NSTemporaryDirectory()],
                workingDirectory: NSTemporaryDirectory(), timeout: .seconds(60), outputLimit: limit))
        if !result.succeeded && !allowFailure {
            throw SourceReadError.git(
                repository: repository.rawValue,
                message: String(decoding: result.stderr.bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return result
    }
}
