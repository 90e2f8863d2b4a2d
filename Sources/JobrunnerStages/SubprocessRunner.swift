import Foundation
import JobrunnerCore
import Subprocess
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// `ProcessRunner` on swift-subprocess.
///
/// The process leads its own process group, so every descendant can be signalled at once. At
/// the timeout (or on cancellation) the group gets SIGTERM, then SIGKILL after the grace
/// period. When the process itself exits, anything it left behind in its group is killed, so
/// no grandchild outlives a run. Standard input is /dev/null; stdout and stderr are read
/// concurrently, each kept to its head and tail.
public struct SubprocessRunner: ProcessRunner {
    public init() {}

    public func run(_ spec: ProcessSpec, onOutput: @escaping @Sendable (StandardStream, [UInt8]) async -> Void) async throws
        -> ProcessResult
    {
        var options = PlatformOptions()
        options.processGroupID = 0
        options.teardownSequence = [.send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: spec.gracePeriod)]
        var environment: [Environment.Key: String] = [:]
        for (name, value) in spec.environment {
            if let key = Environment.Key(rawValue: name) { environment[key] = value }
        }
        // Resolved here rather than by swift-subprocess, which tries a spawn per PATH entry
        // until one succeeds — a failed spawn per directory before the right one.
        guard let resolved = ExecutableLookup.resolve(spec.executable, path: spec.environment["PATH"]) else {
            throw ProcessLaunchError(
                executable: spec.executable,
                reason: "not found in PATH (\(spec.environment["PATH"] ?? "unset")); install it or set the toolchain's path")
        }
        let executable = Executable.path(FilePath(resolved))
        let startedAt = Date()
        let timedOut = Locked(false)
        let captures = Locked((stdout: OutputCapture(limit: spec.outputLimit), stderr: OutputCapture(limit: spec.outputLimit)))
        let result: ExecutionResult<Void, SequenceOutput, SequenceOutput>
        do {
            result = try await Subprocess.run(
                executable, arguments: Arguments(spec.arguments), environment: .custom(environment),
                workingDirectory: FilePath(spec.workingDirectory), platformOptions: options,
                input: .none, output: .sequence, error: .sequence
            ) { execution in
                let pid = execution.processIdentifier.value
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            for try await chunk in execution.standardOutput {
                                let bytes = chunk.withUnsafeBytes { Array($0) }
                                captures.withLock { $0.stdout.append(bytes) }
                                await onOutput(.stdout, bytes)
                            }
                        } catch {}
                    }
                    group.addTask {
                        do {
                            for try await chunk in execution.standardError {
                                let bytes = chunk.withUnsafeBytes { Array($0) }
                                captures.withLock { $0.stderr.append(bytes) }
                                await onOutput(.stderr, bytes)
                            }
                        } catch {}
                    }
                    // Watches the time limit and the process's own exit (to reap what it left behind).
                    let watcher = Task {
                        let deadline = spec.timeout.map { ContinuousClock.now + $0 }
                        while !Task.isCancelled {
                            try? await Task.sleep(for: .milliseconds(50))
                            if Self.hasExited(pid) {
                                kill(-pid, SIGKILL)
                                return
                            }
                            if let deadline, ContinuousClock.now >= deadline {
                                timedOut.withLock { $0 = true }
                                kill(-pid, SIGTERM)
                                try? await Task.sleep(for: spec.gracePeriod)
                                kill(-pid, SIGKILL)
                                return
                            }
                        }
                    }
                    await group.waitForAll()
                    watcher.cancel()
                }
            }
        } catch let error as CancellationError {
            throw error
        } catch {
            throw ProcessLaunchError(executable: spec.executable, reason: "\(error)")
        }
        let finished = captures.withLock { $0 }
        var exitCode: Int32?
        var signal: Int32?
        switch result.terminationStatus {
        case .exited(let code): exitCode = code
        case .signaled(let number): signal = number
        }
        return ProcessResult(
            exitCode: exitCode, signal: signal, timedOut: timedOut.withLock { $0 }, cancelled: Task.isCancelled,
            stdout: finished.stdout, stderr: finished.stderr, startedAt: startedAt, finishedAt: Date())
    }

    /// Whether the process has ended — reaped, or a zombie waiting to be — while descendants
    /// may still hold its output pipes open.
    static func hasExited(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else {
            return kill(pid, 0) != 0 && errno == ESRCH
        }
        guard let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].drop { $0 == " " }.first
        return state == "Z" || state == "X"
    }
}
