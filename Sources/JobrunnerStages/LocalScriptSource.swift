import Foundation
import JobrunnerCore

/// A script on disk laid out as PROCESS lays out a script read from the repository: the file
/// becomes `JOBS/NAME` and the files of its directory become the rest of `JOBS/`, so
/// `jobrunner transpile` builds exactly what PROCESS builds.
public enum LocalScriptSource {
    public static func load(file: String, jobsDirectory: String, maxDirectorySize: Int = 16 << 20) throws -> ScriptSource {
        let url = URL(fileURLWithPath: file).standardizedFileURL
        let directory = url.deletingLastPathComponent()
        guard let content = FileManager.default.contents(atPath: url.path) else {
            throw SourceReadError.fileNotFound(repository: "local files", commit: "working tree", path: file)
        }
        let scriptPath = jobsDirectory + "/" + url.lastPathComponent
        var files: [String: [UInt8]] = [scriptPath: [UInt8](content)]
        var total = content.count
        let enumerator = FileManager.default.enumerator(
            at: directory, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey], options: [.skipsHiddenFiles])
        while let next = enumerator?.nextObject() as? URL {
            let values = try? next.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
            guard values?.isRegularFile == true, next.standardizedFileURL != url else { continue }
            if next.pathComponents.contains("node_modules") { continue }
            let size = values?.fileSize ?? 0
            guard total + size <= maxDirectorySize, let data = FileManager.default.contents(atPath: next.path) else { continue }
            let relative = String(next.standardizedFileURL.path.dropFirst(directory.path.count + 1))
            files[jobsDirectory + "/" + relative] = [UInt8](data)
            total += size
        }
        return ScriptSource(path: scriptPath, files: files)
    }
}
