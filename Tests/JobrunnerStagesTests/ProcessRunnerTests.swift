import Foundation
import JobrunnerCore
import JobrunnerStages
import JobrunnerTestSupport
import Testing

/// Real processes through the same executor EXECUTE uses.
@Suite("Running scripts")
struct ProcessRunnerTests {
    func run(
        _ script: String, timeout: Duration? = nil, grace: Duration = .seconds(2), limit: Int = 1 << 20,
        secrets: [String] = [], passThrough: [String: String] = [:],
        onOutput: @escaping @Sendable (StandardStream, [UInt8]) async -> Void = { _, _ in }
    ) async throws -> ScriptRun {
        let directory = try TemporaryDirectory("run")
        let artifact = Artifact(
            toolchain: "bash", toolchainVersion: "bash", fileName: "script.sh", runCommand: ["bash", "{artifact}"],
            content: Array(script.utf8), digest: "", sourceDigest: "", buildDuration: .zero, isText: true, timeout: timeout)
        let executor = ScriptExecutor(
            scratchDirectory: directory.path, gracePeriod: grace, outputLimit: limit, passThrough: passThrough,
            masker: SecretMasker(values: secrets))
        return try await executor.execute(
            artifact, facts: RunFacts(pipelineID: "7", repository: "acme/ops", commit: "abc", scriptPath: "jobs/x.sh", attempt: 2),
            onOutput: onOutput)
    }

    @Test
    func fiftyMegabytesOfOutputKeepHeadAndTailAndCountEverything() async throws {
        let result = try await run(
            "head -c 52428800 /dev/zero | tr '\\0' 'x'; echo; echo THE-END", limit: 64 * 1024)
        #expect(result.outcome == .succeeded)
        #expect(result.stdoutBytes == 52_428_800 + 1 + 8)
        #expect(result.stdoutTruncated)
        let text = String(decoding: result.stdout, as: UTF8.self)
        #expect(text.hasPrefix("xxxx"))
        #expect(text.hasSuffix("THE-END\n"))
        #expect(text.contains("bytes cut"))
        #expect(result.stdout.count < 70 * 1024)
    }

    @Test
    func aSecretAtEitherSideOfTheTruncationCutLeavesNoFragment() async throws {
        let secret = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
        // 64 KiB kept: the first 32 KiB and the last 32 KiB. One secret straddles the end of the
        // head, another the start of the tail.
        let script = """
            head -c 32760 /dev/zero | tr '\\0' 'x'; printf '%s' "$TOKEN"
            head -c 100000 /dev/zero | tr '\\0' 'y'
            printf '%s' "$TOKEN"; head -c 32750 /dev/zero | tr '\\0' 'z'

            """
        let result = try await run(script, limit: 64 * 1024, secrets: [secret], passThrough: ["TOKEN": secret])
        #expect(result.stdoutTruncated)
        let text = String(decoding: result.stdout, as: UTF8.self)
        let characters = Array(secret)
        for start in 0...(characters.count - 6) {
            let fragment = String(characters[start..<(start + 6)])
            #expect(!text.contains(fragment), "a fragment of the secret survived the cut: \(fragment)")
        }
    }

    @Test
    func binaryOutputIsKeptByteForByte() async throws {
        let result = try await run("printf '\\000\\377\\376A\\n\\200'")
        #expect(result.stdout == [0x00, 0xFF, 0xFE, 0x41, 0x0A, 0x80])
    }

    @Test
    func aScriptThatNeverExitsIsStoppedAtItsTimeoutAndLeavesNoGrandchild() async throws {
        let directory = try TemporaryDirectory("grandchild")
        let pidFile = directory.file("sleep.pid")
        let result = try await run(
            "sleep 300 & echo $! > \(pidFile)\necho started\nwait\n", timeout: .milliseconds(500), grace: .milliseconds(500))
        #expect(result.outcome == .timedOut)
        #expect(result.timedOut)
        #expect(String(decoding: result.stdout, as: UTF8.self) == "started\n")
        let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        try await eventually("the sleep grandchild is gone", timeout: .seconds(10)) { !processIsRunning(pid) }
    }

    @Test
    func aScriptIgnoringSIGTERMIsKilledAfterTheGracePeriod() async throws {
        let result = try await run("trap '' TERM\nwhile true; do sleep 0.1; done\n", timeout: .milliseconds(300), grace: .milliseconds(300))
        #expect(result.outcome == .timedOut)
        #expect(result.signal == SIGKILL)
    }

    @Test
    func backgroundChildrenDoNotOutliveAScriptThatExits() async throws {
        let directory = try TemporaryDirectory("orphan")
        let pidFile = directory.file("orphan.pid")
        let started = ContinuousClock.now
        let result = try await run("(sleep 300) & echo $! > \(pidFile)\necho done\n", timeout: .seconds(60))
        #expect(result.outcome == .succeeded)
        #expect(ContinuousClock.now - started < .seconds(30), "did not wait for the orphan")
        let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // SIGKILL is delivered asynchronously; under load the kernel may take a moment to tear the orphan down.
        try await eventually("the orphan was killed with the script's process group", timeout: .seconds(5)) {
            !processIsRunning(pid)
        }
    }

    @Test
    func standardInputIsEmpty() async throws {
        let result = try await run("if read -r line; then echo \"got: $line\"; else echo eof; fi")
        #expect(String(decoding: result.stdout, as: UTF8.self) == "eof\n")
    }

    @Test
    func deathBySignalIsRecordedAsSuch() async throws {
        let result = try await run("echo before; kill -SEGV $$; echo after")
        #expect(result.outcome == .killed)
        #expect(result.signal == SIGSEGV)
        #expect(result.exitCode == nil)
        #expect(String(decoding: result.stdout, as: UTF8.self) == "before\n")
    }

    @Test
    func aNonZeroExitIsAScriptFailureWithItsStatus() async throws {
        let result = try await run("echo oops >&2; exit 4")
        #expect(result.outcome == .failed)
        #expect(result.exitCode == 4)
        #expect(String(decoding: result.stderr, as: UTF8.self) == "oops\n")
        #expect(result.summary.contains("exit 4"))
    }

    @Test
    func secretsAreMaskedInCapturedAndLiveOutputEvenWhenSplitAcrossWrites() async throws {
        let live = Locked<[UInt8]>([])
        let result = try await run(
            "echo \"token=$API_TOKEN\"; printf 'half: s3cr'; sleep 0.2; printf 'et-value\\n'; echo \"$API_TOKEN\" >&2",
            secrets: ["s3cret-value"], passThrough: ["API_TOKEN": "s3cret-value"]
        ) { stream, bytes in
            if stream == .stdout { live.withLock { $0 += bytes } }
        }
        let stdout = String(decoding: result.stdout, as: UTF8.self)
        #expect(stdout == "token=***\nhalf: ***\n")
        #expect(String(decoding: result.stderr, as: UTF8.self) == "***\n")
        #expect(String(decoding: live.value, as: UTF8.self) == stdout)
    }

    @Test
    func theEnvironmentIsMinimalPlusPassThroughAndFacts() async throws {
        setenv("JOBRUNNER_TEST_LEAK", "leaked", 1)
        let result = try await run(
            "echo \"$JOBRUNNER_PIPELINE_ID $JOBRUNNER_REPOSITORY $JOBRUNNER_COMMIT $JOBRUNNER_SCRIPT $JOBRUNNER_ATTEMPT\"; echo \"leak=${JOBRUNNER_TEST_LEAK:-none} db=$DATABASE_URL\"; pwd",
            passThrough: ["DATABASE_URL": "postgres://db/prod"])
        let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
        #expect(lines[0] == "7 acme/ops abc jobs/x.sh 2")
        #expect(lines[1] == "leak=none db=postgres://db/prod")
        #expect(lines[2].contains("/run-"), "a fresh working directory")
        #expect(!FileManager.default.fileExists(atPath: String(lines[2])), "removed afterwards")
    }

    @Test
    func cancellingTheRunKillsTheProcessGroup() async throws {
        let directory = try TemporaryDirectory("cancel")
        let pidFile = directory.file("pid")
        let task = Task {
            try await run("sleep 300 & echo $! > \(pidFile); wait", timeout: .seconds(60), grace: .milliseconds(300))
        }
        let written: @Sendable () -> Int32? = { Int32((try? String(contentsOfFile: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") }
        try await eventually("the script started its child", timeout: .seconds(30)) { written() != nil }
        task.cancel()
        let result = try await task.value
        #expect(result.outcome == .cancelled)
        let pid = try #require(written())
        try await eventually("the child died with the script's process group", timeout: .seconds(10)) { !processIsRunning(pid) }
    }
}

@Suite("Relative data directories")
struct RelativeDirectoryTests {
    @Test
    func aRelativeScratchDirectoryStillBuildsAndRuns() async throws {
        let base = try TemporaryDirectory("relative")
        // A relative path to the temporary directory, from wherever the tests run.
        let depth = FileManager.default.currentDirectoryPath.split(separator: "/").count
        let relative = String(repeating: "../", count: depth) + base.path.dropFirst() + "/data/work"
        try FileManager.default.createDirectory(atPath: base.file("data/work"), withIntermediateDirectories: true)
        let builder = ScriptBuilder(scratchDirectory: relative)
        let executor = ScriptExecutor(scratchDirectory: relative)
        #expect(builder.scratchDirectory == base.path + "/data/work")
        #expect(executor.scratchDirectory == base.path + "/data/work")
        let artifact = try await builder.build(
            ScriptSource(path: "jobs/r.ts", files: ["jobs/r.ts": Array("console.log('relative ok')\n".utf8)]))
        let run = try await executor.execute(
            artifact, facts: RunFacts(pipelineID: "1", repository: "a/b", commit: "c", scriptPath: "jobs/r.ts", attempt: 1))
        #expect(String(decoding: run.stdout, as: UTF8.self) == "relative ok\n")
    }
}

/// The same executor inside bubblewrap (`JOBRUNNER_SCRIPT_ISOLATION=bubblewrap`, the default).
@Suite("Running scripts in the sandbox")
struct SandboxedRunTests {
    func run(
        _ script: String, sandboxed: Bool = true, timeout: Duration? = nil, grace: Duration = .seconds(2),
        appDirectory: String? = nil, cancelOnceRunning marker: String? = nil
    ) async throws -> ScriptRun {
        let directory = try TemporaryDirectory("sandboxed")
        let artifact = Artifact(
            toolchain: "bash", toolchainVersion: "bash", fileName: "script.sh", runCommand: ["bash", "{artifact}"],
            content: Array(script.utf8), digest: "", sourceDigest: "", buildDuration: .zero, isText: true, timeout: timeout)
        var executor = ScriptExecutor(scratchDirectory: directory.file("data/work"), gracePeriod: grace)
        executor.appDirectory = appDirectory
        if sandboxed { executor.sandbox = BubblewrapSandbox(hiddenPaths: [directory.file("data")]) }
        let facts = RunFacts(pipelineID: "7", repository: "acme/ops", commit: "abc", scriptPath: "jobs/x.sh", attempt: 1)
        let task = Task { try await executor.execute(artifact, facts: facts) }
        if let marker {
            try await eventually("the script runs", timeout: .seconds(20)) { !processes(named: marker).isEmpty }
            task.cancel()
        }
        return try await task.value
    }

    /// Processes whose command line contains `marker`, anywhere on the machine.
    func processes(named marker: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.filter { Int32($0) != nil }.filter { pid in
            guard let line = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: line, as: UTF8.self).contains(marker)
        }
    }

    @Test(arguments: [true, false])
    func aDescendantThatLeftTheProcessGroupIsStoppedWithTheRun(sandboxed: Bool) async throws {
        // `setsid` puts the sleeper in a session and group of its own: a group kill misses it.
        let marker = "escapee-\(UUID().uuidString.prefix(8))"
        let result = try await run(
            "setsid bash -c 'exec -a \(marker) sleep 300' &\necho started\nwait\n", sandboxed: sandboxed,
            timeout: .milliseconds(800), grace: .milliseconds(300))
        #expect(result.outcome == .timedOut)
        try await eventually("the escapee is gone", timeout: .seconds(5)) { processes(named: marker).isEmpty }
    }

    @Test
    func anOrphanedSetsidDaemonDiesWithItsSandbox() async throws {
        // Double fork: the daemon is no longer anyone's descendant; only the PID namespace holds it.
        let marker = "daemon-\(UUID().uuidString.prefix(8))"
        let result = try await run("(setsid bash -c 'exec -a \(marker) sleep 300' &)\necho detached\n", timeout: .seconds(30))
        #expect(result.outcome == .succeeded)
        try await eventually("the daemon is gone", timeout: .seconds(5)) { processes(named: marker).isEmpty }
    }

    @Test
    func atTheTimeLimitTheScriptGetsSIGTERMAndItsGracePeriod() async throws {
        let result = try await run(
            "trap 'echo stopping; sleep 0.2; echo stopped; exit 0' TERM\necho running\nsleep 300 & wait\n",
            timeout: .milliseconds(700), grace: .seconds(3))
        #expect(result.outcome == .timedOut)
        #expect(String(decoding: result.stdout, as: UTF8.self) == "running\nstopping\nstopped\n")
    }

    @Test
    func deathBySignalInsideTheSandboxIsRecordedAsSuch() async throws {
        let result = try await run("echo before; kill -SEGV $$")
        #expect(result.outcome == .killed)
        #expect(result.signal == SIGSEGV)
        let failed = try await run("exit 3")
        #expect(failed.outcome == .failed)
        #expect(failed.exitCode == 3)
    }

    @Test
    func cancellingStopsEverythingInTheSandbox() async throws {
        let marker = "cancelled-\(UUID().uuidString.prefix(8))"
        let result = try await run(
            "bash -c 'exec -a \(marker) sleep 300' &\nwait\n", timeout: .seconds(60), grace: .milliseconds(300),
            cancelOnceRunning: marker)
        #expect(result.outcome == .cancelled)
        try await eventually("the sleeper is gone", timeout: .seconds(5)) { processes(named: marker).isEmpty }
    }

    @Test
    func theScriptSeesItsRunDirectoryTheApplicationReadOnlyAndNothingOfTheService() async throws {
        let application = try TemporaryDirectory("application")
        let hostTemporary = "/tmp/host-only-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: hostTemporary, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: hostTemporary) }
        try "app code\n".write(toFile: application.file("module.txt"), atomically: true, encoding: .utf8)
        let result = try await run(
            """
            cat module.txt
            touch module.txt 2>/dev/null && echo app-writable || echo app-read-only
            echo note > "$HOME/note" && cat "$HOME/note"
            test -e \(hostTemporary) && echo host-tmp || echo private-tmp
            ls "$HOME/../.." | tr '\\n' ' '; echo
            echo "pid $$"
            """, appDirectory: application.path)
        let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
        // PID 1 is bubblewrap's init, 2 the reporter of the script's exit status, 3 the script.
        #expect(lines == ["app code", "app-read-only", "note", "private-tmp", "work ", "pid 3"], "\(lines) \(String(decoding: result.stderr, as: UTF8.self))")
    }
}
