import Foundation

/// Where EXECUTE's script runs: a local process (`ScriptExecutor`) or a Kubernetes Job
/// (`KubernetesScriptRunner`). EXECUTE, its re-attachment after a crash and an operator's stop
/// go through this protocol alone.
public protocol ScriptRunner: Sendable {
    /// Whether a run goes on when its worker stops, so that a later worker can re-attach to it.
    var outlivesWorker: Bool { get }
    /// The secrets masked in what is stored about a run.
    var masker: SecretMasker { get }
    /// Bytes kept per stream.
    var outputLimit: Int { get }

    /// Runs `artifact` to its end. When the task is cancelled, `stopRequested` says why: true, an
    /// operator stopped the run (it is ended, and reported `cancelled`); false, the worker is going
    /// away — a run that outlives its worker is left running and `ScriptRunDetached` thrown.
    func execute(
        _ artifact: Artifact, facts: RunFacts, revision: String?, stopRequested: @escaping @Sendable () async -> Bool,
        onOutput: @escaping @Sendable (StandardStream, [UInt8]) async -> Void
    ) async throws -> ScriptRun

    /// Follows a run an earlier worker started for `facts` (same pipeline, same attempt) to its
    /// end, its output from the beginning. Never starts anything: throws `ScriptRunLost` when the
    /// run cannot be found or ended without a status.
    func reattach(
        _ artifact: Artifact, facts: RunFacts, revision: String?, stopRequested: @escaping @Sendable () async -> Bool,
        onOutput: @escaping @Sendable (StandardStream, [UInt8]) async -> Void
    ) async throws -> ScriptRun
}

/// The worker let go of a run that goes on without it (shutdown, a lost lease): the next
/// worker re-attaches to it.
public struct ScriptRunDetached: Error, Sendable, CustomStringConvertible {
    public var run: String
    public init(run: String) { self.run = run }
    public var description: String { "left \(run) running for the next worker to re-attach" }
}

/// A run that was started cannot be followed to its end: what became of the script is unknown,
/// so the stage is `interrupted` — never started again without an operator.
public struct ScriptRunLost: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Masks a run's output as it arrives and keeps the head and tail of each stream. Masking
/// happens before the cut, so no fragment of a secret survives at either side of it.
public final class MaskedRunOutput: Sendable {
    private let maskers: Locked<(stdout: StreamMasker, stderr: StreamMasker)>
    private let captures: Locked<(stdout: OutputCapture, stderr: OutputCapture)>

    public init(masker: SecretMasker, limit: Int) {
        maskers = Locked((StreamMasker(masker), StreamMasker(masker)))
        captures = Locked((OutputCapture(limit: limit), OutputCapture(limit: limit)))
    }

    /// Masks and keeps `bytes`; returns what can be shown now (the start of what may be a
    /// secret is held back until the next chunk or `finish`).
    public func feed(_ stream: StandardStream, _ bytes: [UInt8]) -> [UInt8] {
        let masked = maskers.withLock { stream == .stdout ? $0.stdout.feed(bytes) : $0.stderr.feed(bytes) }
        keep(stream, masked)
        return masked
    }

    /// The held-back rest of each stream, masked and kept.
    public func finish() -> (stdout: [UInt8], stderr: [UInt8]) {
        let rests = maskers.withLock { ($0.stdout.finish(), $0.stderr.finish()) }
        keep(.stdout, rests.0)
        keep(.stderr, rests.1)
        return rests
    }

    public var captured: (stdout: OutputCapture, stderr: OutputCapture) { captures.value }

    private func keep(_ stream: StandardStream, _ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        captures.withLock { if stream == .stdout { $0.stdout.append(bytes) } else { $0.stderr.append(bytes) } }
    }
}

/// Which of a process's output streams bytes came from.
public enum StandardStream: String, Sendable { case stdout, stderr }
