import ArgumentParser
import Foundation
import JobrunnerCore
import JobrunnerGit

/// One log commit pushed alone, through the committer CLEANUP uses (libgit2: fetch the branch
/// tip, commit "remove the script, add its log", push) to a local bare repository holding
/// `count` scripts — the full loop's other unavoidable part.
struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "push", abstract: "Log commit + push latency alone.")

    @Option var count = 100
    @Option(help: "A scratch directory; a bare repository and a clone cache are made in it.") var directory: String

    func run() async throws {
        let bare = directory + "/push-bench/remote.git"
        let work = directory + "/push-bench/work"
        try? FileManager.default.removeItem(atPath: directory + "/push-bench")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try git(["init", "--quiet", "--bare", "--initial-branch=main", bare], in: directory)
        try git(["init", "--quiet", "--initial-branch=main"], in: work)
        try FileManager.default.createDirectory(atPath: work + "/jobs", withIntermediateDirectories: true)
        for index in 0..<count {
            try "echo \(index)\n".write(toFile: work + "/jobs/script-\(index).sh", atomically: true, encoding: .utf8)
        }
        try git(["add", "."], in: work)
        try git(["-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "--quiet", "-m", "scripts"], in: work)
        try git(["push", "--quiet", bare, "main"], in: work)
        let commit = try git(["rev-parse", "HEAD"], in: work)

        let committer = Libgit2LogCommitter(remoteTemplate: bare, cacheDirectory: directory + "/push-bench/cache")
        var samples: [Double] = []
        for index in 0..<count {
            let request = CleanupRequest(
                repository: RepositoryName(rawValue: "bench/push")!, branch: "main", scriptPath: "jobs/script-\(index).sh",
                sourceCommit: commit, logPath: "jobrunner-logs/script-\(index).md", logContent: "# script-\(index)\n\nexit 0\n",
                message: "Remove jobs/script-\(index).sh and add its execution log", authorName: "jobrunner",
                authorEmail: "jobrunner@example.com")
            let watch = Stopwatch()
            let result = try await committer.commitCleanup(request)
            samples.append(watch.milliseconds)
            guard result.script == .removed else { throw ValidationError("script-\(index) was not removed: \(result)") }
        }
        try printJSON(LatencySummary(milliseconds: samples))
    }

    @discardableResult
    private func git(_ arguments: [String], in directory: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("git \(arguments.joined(separator: " ")) failed") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
