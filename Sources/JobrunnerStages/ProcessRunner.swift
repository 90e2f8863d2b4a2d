import Foundation
import JobrunnerCore

/// What to run and under which limits.
public struct ProcessSpec: Sendable, Equatable {
    /// A path, or a name looked up in `PATH` of `environment`.
    public var executable: String
    public var arguments: [String]
    /// The complete environment of the process: nothing is inherited.
    public var environment: [String: String]
    public var workingDirectory: String
    /// `nil`: no limit (builds have their own).
    public var timeout: Duration?
    /// After SIGTERM to the process group, how long before SIGKILL.
    public var gracePeriod: Duration
    /// Bytes kept per stream (head and tail).
    public var outputLimit: Int
    /// The executable only launches the real process and reports its exit (bubblewrap): SIGTERM
    /// goes to what it launched, not to it, so it stays to report how that ended; an exit status
    /// above 128 is read as the launched process's signal, as shells report it.
    public var isLauncher: Bool = false

    public init(
        executable: String, arguments: [String] = [], environment: [String: String], workingDirectory: String,
        timeout: Duration? = nil, gracePeriod: Duration = .seconds(10), outputLimit: Int = 1 << 20
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.timeout = timeout
        self.gracePeriod = gracePeriod
        self.outputLimit = outputLimit
    }
}

/// How a process ended, with its captured output.
public struct ProcessResult: Sendable, Equatable {
    public var exitCode: Int32?
    public var signal: Int32?
    public var timedOut: Bool
    /// Stopped because its task was cancelled (operator, shutdown).
    public var cancelled: Bool
    public var stdout: OutputCapture
    public var stderr: OutputCapture
    public var startedAt: Date
    public var finishedAt: Date

    public init(
        exitCode: Int32?, signal: Int32?, timedOut: Bool, cancelled: Bool, stdout: OutputCapture, stderr: OutputCapture,
        startedAt: Date, finishedAt: Date
    ) {
        self.exitCode = exitCode
        self.signal = signal
        self.timedOut = timedOut
        self.cancelled = cancelled
        self.stdout = stdout
        self.stderr = stderr
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }

    public var succeeded: Bool { exitCode == 0 && !timedOut && !cancelled }
}

/// Why a process could not be run at all (not: ran and failed).
public struct ProcessLaunchError: Error, Sendable, Equatable, CustomStringConvertible {
    public var executable: String
    public var reason: String
    public var description: String { "could not start \(executable): \(reason)" }
}

/// Runs a process to its end. One real implementation (`SubprocessRunner`); the same code
/// serves PROCESS builds, EXECUTE runs and the local `transpile`/`run` commands.
public protocol ProcessRunner: Sendable {
    /// - Parameter onOutput: called with each chunk as it arrives (for live output).
    func run(_ spec: ProcessSpec, onOutput: @escaping @Sendable (StandardStream, [UInt8]) async -> Void) async throws
        -> ProcessResult
}

extension ProcessRunner {
    public func run(_ spec: ProcessSpec) async throws -> ProcessResult {
        try await run(spec) { _, _ in }
    }
}
