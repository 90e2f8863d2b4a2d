import Foundation
import JobrunnerCore

/// A script on disk laid out as PROCESS lays out a script read from the repository, so
/// `jobrunner transpile`/`run`/`check` build exactly what PROCESS builds.
///
/// In a checkout (a `.git` above the file) the checkout is the repository: the script keeps
/// its path, and the files its scope names come from the working tree — tracked files and new
/// ones git does not ignore, as the commit will hold them. Outside a checkout the file becomes
/// `JOBS/NAME` and the files of its directory the rest of `JOBS/`.
public enum LocalScriptSource {
    public struct Loaded: Sendable {
        public var source: ScriptSource
        /// The checkout's root, when the file is in one.
        public var checkout: String?
    }

    public static func load(
        file: String, scopes: SourceScopePolicy, toolchains: [Toolchain] = Toolchain.builtIn,
        runner: any ProcessRunner = SubprocessRunner()
    ) async throws -> Loaded {
        let url = URL(fileURLWithPath: file).standardizedFileURL.resolvingSymlinksInPath()
        guard let content = FileManager.default.contents(atPath: url.path) else {
            throw SourceReadError.fileNotFound(repository: "local files", commit: "working tree", path: file)
        }
        guard let root = checkoutRoot(of: url.deletingLastPathComponent()) else {
            return Loaded(source: try loose(url, content: content, jobsDirectory: scopes.jobsDirectory), checkout: nil)
        }
        let scriptPath = String(url.path.dropFirst(root.count + 1))
        let scope = scopes.scope(for: Toolchain.forPath(scriptPath, in: toolchains))
        var files: [String: [UInt8]] = [scriptPath: [UInt8](content)]
        var total = content.count
        for path in try await workingTreeFiles(root, runner: runner) where path != scriptPath && scope.includes(path) {
            if path.split(separator: "/").contains("node_modules") { continue }
            guard let data = FileManager.default.contents(atPath: root + "/" + path) else { continue }
            switch scope {
            case .repository(_, let limit):
                total += data.count
                guard total <= limit else {
                    throw SourceReadError.treeTooLarge(repository: root, commit: "the working tree", limit: limit)
                }
            case .jobsDirectory:
                guard total + data.count <= 16 << 20 else { continue }
                total += data.count
            }
            files[path] = [UInt8](data)
        }
        return Loaded(source: ScriptSource(path: scriptPath, files: files), checkout: root)
    }

    /// The nearest directory at or above `directory` that holds `.git`.
    public static func checkoutRoot(of directory: URL) -> String? {
        var current = directory.standardizedFileURL
        while true {
            if FileManager.default.fileExists(atPath: current.appendingPathComponent(".git").path) { return current.path }
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { return nil }
            current = parent
        }
    }

    /// Tracked files and untracked ones git does not ignore, relative to `root`.
    static func workingTreeFiles(_ root: String, runner: any ProcessRunner) async throws -> [String] {
        let result = try await runner.run(
            ProcessSpec(
                executable: "git", arguments: ["-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()],
                workingDirectory: root, timeout: .seconds(60), outputLimit: 64 << 20))
        guard result.succeeded else {
            throw SourceReadError.git(
                repository: root, message: String(decoding: result.stderr.bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return Set(result.stdout.bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }).sorted()
    }

    /// The file as `JOBS/NAME`, next to the files of its directory, wherever it is.
    public static func load(file: String, jobsDirectory: String) throws -> ScriptSource {
        let url = URL(fileURLWithPath: file).standardizedFileURL.resolvingSymlinksInPath()
        guard let content = FileManager.default.contents(atPath: url.path) else {
            throw SourceReadError.fileNotFound(repository: "local files", commit: "working tree", path: file)
        }
        return try loose(url, content: content, jobsDirectory: jobsDirectory)
    }

    /// Outside a checkout: the file as `JOBS/NAME`, next to the files of its directory.
    static func loose(_ url: URL, content: Data, jobsDirectory: String, maxDirectorySize: Int = 16 << 20) throws -> ScriptSource {
        let directory = url.deletingLastPathComponent()
        let scriptPath = jobsDirectory + "/" + url.lastPathComponent
        var files: [String: [UInt8]] = [scriptPath: [UInt8](content)]
        var total = content.count
        let enumerator = FileManager.default.enumerator(
            at: directory, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey], options: [.skipsHiddenFiles])
        while let next = enumerator?.nextObject() as? URL {
            let values = try? next.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
            guard values?.isRegularFile == true, next.standardizedFileURL.resolvingSymlinksInPath() != url else { continue }
            if next.pathComponents.contains("node_modules") { continue }
            let size = values?.fileSize ?? 0
            guard total + size <= maxDirectorySize, let data = FileManager.default.contents(atPath: next.path) else { continue }
            let relative = String(next.standardizedFileURL.resolvingSymlinksInPath().path.dropFirst(directory.path.count + 1))
            files[jobsDirectory + "/" + relative] = [UInt8](data)
            total += size
        }
        return ScriptSource(path: scriptPath, files: files)
    }
}
