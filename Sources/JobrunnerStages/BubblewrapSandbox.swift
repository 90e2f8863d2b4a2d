import Foundation
import JobrunnerCore

#if canImport(Glibc)
import Glibc
#endif

/// The sandbox a script runs in (`JOBRUNNER_SCRIPT_ISOLATION=bubblewrap`): bubblewrap's new PID,
/// mount, IPC, UTS and cgroup namespaces. The script sees the system directories read-only, the
/// application's directory read-only, its own run directory writable, a private `/tmp`, `/dev`
/// and a `/proc` of its own processes only — so it can neither read the service's environment or
/// memory nor signal it, and the service's data directory, database, keys and config file are not
/// there at all (hidden even when they live inside a system directory). The network is shared:
/// scripts reach production services as the application does. As root, every capability is dropped.
public struct BubblewrapSandbox: Sendable, Equatable {
    /// Directories mounted read-only when present: what interpreters and their libraries need.
    public static let systemDirectories = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/nix"]

    /// The bubblewrap binary: a path, or a name looked up in the service's PATH.
    public var executable: String
    /// Paths that must not exist inside, wherever they are: data directory, database, keys, config.
    public var hiddenPaths: [String]
    public var systemDirectories: [String]
    /// Directories scripts may write besides their run directory (`JOBRUNNER_SCRIPT_SHARED_DIRS`).
    public var sharedDirectories: [String]

    public init(
        executable: String = "bwrap", hiddenPaths: [String], sharedDirectories: [String] = [],
        systemDirectories: [String] = Self.systemDirectories
    ) {
        self.executable = executable
        self.hiddenPaths = hiddenPaths.map(Self.absolute).filter { $0 != "/" }
        self.sharedDirectories = sharedDirectories.map(Self.absolute)
        self.systemDirectories = systemDirectories
    }

    /// What the service must not show a script: `settings`' data directory, SQLite database,
    /// GitHub App key, config file and application settings file (scripts get its variables, not
    /// the file).
    public init(settings: Settings, executable: String = "bwrap") {
        var hidden = [settings.dataDirectory]
        if case .sqlite(let path) = settings.database { hidden.append(path) }
        hidden += [settings.githubAppPrivateKeyPath, settings.configFile, settings.scriptEnvironmentFile].compactMap { $0 }
        self.init(executable: executable, hiddenPaths: hidden, sharedDirectories: settings.scriptSharedDirectories)
    }

    /// The command that runs `command` inside the sandbox, in `workingDirectory`.
    /// - Parameters:
    ///   - runDirectory: the run's own directory (artifact, `HOME`, `TMPDIR`): the only writable place.
    ///   - readOnly: further directories the script reads (the application's).
    public func wrap(
        _ command: [String], runDirectory: String, readOnly: [String], workingDirectory: String
    ) -> [String] {
        var arguments = [executable, "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        if geteuid() == 0 {
            // Root inside would still be root over every file the service owns.
            arguments += ["--cap-drop", "ALL"]
        } else {
            arguments += ["--unshare-user"]
        }
        for directory in systemDirectories where Self.exists(directory) {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: directory) {
                // Merged /usr: /bin → usr/bin stays a link, as on the host.
                arguments += ["--symlink", target, directory]
            } else {
                arguments += ["--ro-bind", directory, directory]
            }
        }
        // Before the binds below: a directory under /tmp must stay visible on top of this.
        arguments += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        let extra = readOnly.map(Self.absolute).filter { directory in !systemDirectories.contains { Self.isInside(directory, $0) } }
        for directory in extra where Self.exists(directory) {
            arguments += ["--ro-bind", directory, directory]
        }
        for directory in sharedDirectories where Self.exists(directory) {
            arguments += ["--bind", directory, directory]
        }
        // Hidden after the binds above, so a secret inside /etc, /opt or the application's
        // directory is covered too; outside them it is simply not mounted.
        let visible = systemDirectories + readOnly.map(Self.absolute) + sharedDirectories
        for path in hiddenPaths where visible.contains(where: { Self.isInside(path, $0) }) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            arguments += isDirectory.boolValue ? ["--tmpfs", path] : ["--ro-bind", "/dev/null", path]
        }
        let run = Self.absolute(runDirectory)
        arguments += ["--bind", run, run, "--chdir", Self.absolute(workingDirectory), "--"]
        return arguments + command
    }

    /// Checks that bubblewrap can start a sandbox here; the error says what to do when not.
    public func check(runner: any ProcessRunner = SubprocessRunner(), scratchDirectory: String) async throws {
        try FileManager.default.createDirectory(atPath: scratchDirectory, withIntermediateDirectories: true)
        let command = wrap(["true"], runDirectory: scratchDirectory, readOnly: [], workingDirectory: scratchDirectory)
        let result: ProcessResult
        do {
            result = try await runner.run(
                ProcessSpec(
                    executable: command[0], arguments: Array(command.dropFirst()),
                    environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"],
                    workingDirectory: scratchDirectory, timeout: .seconds(30), gracePeriod: .seconds(1)))
        } catch {
            throw SandboxUnavailable(reason: "\(error)")
        }
        if result.cancelled { throw CancellationError() }
        guard result.succeeded else {
            throw SandboxUnavailable(reason: String(decoding: result.stderr.bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Where the program `executable` is installed, to be shown read-only: the directory above its
    /// `bin` once symlinks are resolved (a virtualenv's python lives in a pyenv or /usr/local
    /// installation, node in an nvm one), or its own directory when that would be a home or `/`.
    public static func installation(of executable: String) -> String {
        let real = URL(fileURLWithPath: executable).resolvingSymlinksInPath().path
        let directory = (real as NSString).deletingLastPathComponent
        let prefix = (directory as NSString).deletingLastPathComponent
        let components = prefix.split(separator: "/")
        let isHome = prefix == "/root" || (components.first == "home" && components.count <= 2)
        return components.isEmpty || isHome ? directory : prefix
    }

    static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// Whether `path` is `directory` or below it.
    public static func isInside(_ path: String, _ directory: String) -> Bool {
        path == directory || path.hasPrefix(directory.hasSuffix("/") ? directory : directory + "/")
    }
}

/// bubblewrap cannot start a sandbox on this machine: scripts are not run rather than run unisolated.
public struct SandboxUnavailable: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String

    public var description: String {
        "scripts cannot be isolated: bubblewrap failed (\(reason.isEmpty ? "no reason given" : reason)). "
            + "Install bubblewrap (Debian: apt-get install bubblewrap) and allow namespaces (in a container: see docs/security.md), "
            + "or set JOBRUNNER_SCRIPT_ISOLATION=none to run scripts without isolation"
    }
}
