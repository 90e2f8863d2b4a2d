import Foundation
import JobrunnerCore
import JobrunnerStages
import JobrunnerTestSupport
import Testing

/// The runner finds a command name in the spec's own PATH, as a shell would, and says clearly
/// when it is not there.
@Suite("Finding executables")
struct ExecutableLookupTests {
    func spec(_ executable: String, path: String, in directory: TemporaryDirectory) -> ProcessSpec {
        ProcessSpec(executable: executable, environment: ["PATH": path], workingDirectory: directory.path)
    }

    @Test
    func aNameRunsTheFirstExecutableFileOfThatNameOnThePath() async throws {
        let directory = try TemporaryDirectory("lookup")
        for (folder, text) in [("a", "not executable"), ("b", "second"), ("c", "third")] {
            try FileManager.default.createDirectory(atPath: directory.file(folder), withIntermediateDirectories: true)
            let tool = directory.file("\(folder)/tool")
            try "#!/bin/sh\necho \(text)\n".write(toFile: tool, atomically: true, encoding: .utf8)
            if folder != "a" { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: tool) }
        }
        // A directory named like the tool is skipped too.
        try FileManager.default.createDirectory(atPath: directory.file("d/tool"), withIntermediateDirectories: true)
        let path = ["d", "missing", "a", "b", "c"].map { directory.file($0) }.joined(separator: ":")
        let result = try await SubprocessRunner().run(spec("tool", path: path, in: directory))
        #expect(result.succeeded)
        #expect(String(decoding: result.stdout.bytes, as: UTF8.self) == "second\n")
    }

    @Test
    func aNameNotOnThePathIsALaunchErrorNamingThePath() async throws {
        let directory = try TemporaryDirectory("lookup")
        await #expect {
            _ = try await SubprocessRunner().run(spec("no-such-tool", path: "/nonexistent:\(directory.path)", in: directory))
        } throws: { error in
            let launch = try #require(error as? ProcessLaunchError)
            return launch.executable == "no-such-tool" && launch.reason.contains("not found in PATH (/nonexistent:")
        }
    }
}
