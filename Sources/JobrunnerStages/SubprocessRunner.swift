import Foundation
import JobrunnerCore
import Subprocess
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// `ProcessRunner` on swift-subprocess.
///
/// The process leads its own session and process group (no controlling terminal). At the
/// timeout or on cancellation it gets SIGTERM — with its group and every descendant, including
/// those that left the group with `setsid` — then SIGKILL after the grace period. When the
/// process itself exits, anything it left behind is killed, so no descendant outlives a run.
/// Every signal is sent while the process is not yet reaped (its PID and group cannot be
/// reused), and descendants are signalled by pidfd (`ProcessTree`). Standard input is
/// /dev/null; stdout and stderr are read concurrently, each kept to its head and tail.
public struct SubprocessRunner: ProcessRunner {
    public init() {}

    public func run(_ spec: ProcessSpec, onOutput: @escaping @Sendable (StandardStream, [UInt8]) async -> Void) async throws
        -> ProcessResult
    {
        var options = PlatformOptions()
        options.createSession = true
        // Termination is ours (`Termination`); swift-subprocess's own teardown on cancellation
        // only waits, then kills the process itself if it is somehow still there.
        options.teardownSequence = [
            .send(signal: Signal(rawValue: 0), toProcessGroup: false, allowedDurationToNextStep: spec.gracePeriod + .seconds(10))
        ]
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
        let watch = Locked(WatchState())
        let captures = Locked((stdout: OutputCapture(limit: spec.outputLimit), stderr: OutputCapture(limit: spec.outputLimit)))
        let result: ExecutionResult<Void, SequenceOutput, SequenceOutput>
        do {
            result = try await Subprocess.run(
                executable, arguments: Arguments(spec.arguments), environment: .custom(environment),
                workingDirectory: FilePath(spec.workingDirectory), platformOptions: options,
                input: .none, output: .sequence, error: .sequence
            ) { execution in
                let pid = execution.processIdentifier.value
                // Not a child task: it must go on signalling after this task is cancelled, and
                // is awaited below, before swift-subprocess reaps the process.
                let watcher = Task { await Self.watch(pid, spec: spec, state: watch) }
                await withTaskCancellationHandler {
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask { await Self.drain(execution.standardOutput, .stdout, captures, onOutput) }
                        group.addTask { await Self.drain(execution.standardError, .stderr, captures, onOutput) }
                        await group.waitForAll()
                    }
                } onCancel: {
                    watch.withLock { $0.stopRequested = true }
                }
                await watcher.value
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
        case .exited(let code):
            if spec.isLauncher, code > 128, code <= 128 + 64 { signal = code - 128 } else { exitCode = code }
        case .signaled(let number): signal = number
        }
        let state = watch.value
        return ProcessResult(
            exitCode: exitCode, signal: signal, timedOut: state.timedOut, cancelled: state.stopRequested || Task.isCancelled,
            stdout: finished.stdout, stderr: finished.stderr, startedAt: startedAt, finishedAt: Date())
    }

    /// Reads one stream to its end: each chunk is kept (head and tail) and handed on live.
    static func drain(
        _ output: SubprocessOutputSequence, _ stream: StandardStream,
        _ captures: Locked<(stdout: OutputCapture, stderr: OutputCapture)>,
        _ onOutput: @escaping @Sendable (StandardStream, [UInt8]) async -> Void
    ) async {
        do {
            for try await chunk in output {
                let bytes = chunk.withUnsafeBytes { Array($0) }
                captures.withLock { stream == .stdout ? $0.stdout.append(bytes) : $0.stderr.append(bytes) }
                await onOutput(stream, bytes)
            }
        } catch {}
    }

    struct WatchState: Sendable {
        var stopRequested = false
        var timedOut = false
    }

    /// Until the process has ended: stops it at the time limit or when asked to, and kills what
    /// it left behind once it exits.
    static func watch(_ pid: pid_t, spec: ProcessSpec, state: Locked<WatchState>) async {
        let deadline = spec.timeout.map { ContinuousClock.now + $0 }
        // Looked at after 1, 2, 4 … ms, then every 50 ms: the run ends only once this notices the
        // exit, and a fixed 50 ms tick added ~60 ms to every build step and every script start
        // (`bash -n` of one line: 11 ms of work, noticed 63 ms after it began).
        var pause = 1
        while true {
            if hasExited(pid) {
                signalEverything(pid, SIGKILL, includingLeader: true)
                return
            }
            let stop = state.withLock { state -> Bool in
                if let deadline, ContinuousClock.now >= deadline { state.timedOut = true }
                return state.timedOut || state.stopRequested
            }
            if stop {
                await terminate(pid, spec: spec)
                return
            }
            try? await Task.sleep(for: .milliseconds(pause))
            pause = min(pause * 2, 50)
        }
    }

    /// SIGTERM to the process (unless it is a launcher), its group and its descendants; after the
    /// grace period, or as soon as all of them are gone, SIGKILL to whatever remains.
    static func terminate(_ pid: pid_t, spec: ProcessSpec) async {
        signalEverything(pid, SIGTERM, includingLeader: !spec.isLauncher)
        let deadline = ContinuousClock.now + spec.gracePeriod
        while ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
            if hasExited(pid) && ProcessTree.descendants(of: pid).isEmpty { break }
        }
        signalEverything(pid, SIGKILL, includingLeader: true)
    }

    /// `pid` is not reaped yet (swift-subprocess reaps after the body returns), so neither it nor
    /// its group id can name another process.
    static func signalEverything(_ pid: pid_t, _ signal: Int32, includingLeader: Bool) {
        // Read before anything dies: a child whose parent died is re-parented out of the tree.
        let descendants = ProcessTree.descendants(of: pid)
        if includingLeader { kill(-pid, signal) }
        for member in descendants {
            ProcessTree.signal(member, signal)
        }
    }

    /// Whether the process has ended — reaped, or a zombie waiting to be — while descendants
    /// may still hold its output pipes open.
    static func hasExited(_ pid: pid_t) -> Bool {
        guard let process = ProcessTree.read(pid) else { return kill(pid, 0) != 0 && errno == ESRCH }
        return process.state == "Z" || process.state == "X"
    }
}
