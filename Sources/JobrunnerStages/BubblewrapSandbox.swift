import Foundation
import JobrunnerCore

#if canImport(Glibc)
import Glibc
#endif

/// The sandbox a script runs in (`JOBRUNNER_SCRIPT_ISOLATION=bubblewrap`): bubblewrap's new PID,
/// mount, IPC, UTS and cgroup namespaces. The script sees the system directories read-only, the
/// application's directory read-only, its own run directory writable, a private size-limited
/// `/tmp`, `/dev` and a `/proc` of its own processes only — so it can neither read the service's
/// environment or memory nor signal it, and the service's data directory, database (with its
/// `-wal`, `-shm` and `-journal`), keys, config and settings files are not there at all (hidden
/// even when they live inside a system directory). When the service runs as root and
/// `JOBRUNNER_SCRIPT_USER` names a user, the script runs as that user, so files only the
/// service's user or group may read stay closed wherever they are. The sandbox dies with the
/// process that started it, so no script outlives a killed service unowned.
public struct BubblewrapSandbox: Sendable, Equatable {
    /// Directories mounted read-only when present: what interpreters and their libraries need.
    public static let systemDirectories = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/nix"]
    /// Where Jobrunner's deployments keep its settings (deploy/systemd): never shown to a script,
    /// whatever the service itself can read.
    public static let settingsDirectories = ["/etc/jobrunner"]
    /// The files SQLite keeps beside a database while it is open or writing.
    public static let databaseCompanions = ["-wal", "-shm", "-journal"]

    /// The bubblewrap binary: a path, or a name looked up in the service's PATH.
    public var executable: String
    /// Paths that must not exist inside, wherever they are: data directory, database, keys, config.
    public var hiddenPaths: [String]
    public var systemDirectories: [String]
    /// Directories scripts may write besides their run directory (`JOBRUNNER_SCRIPT_SHARED_DIRS`).
    public var sharedDirectories: [String]
    /// Which networks the script reaches.
    public var network: ScriptNetwork
    /// With the egress network: where the script may connect.
    public var egress: [EgressDestination] = []
    /// Who the script runs as; nil: the service's own user (unprivileged, in a user namespace).
    public var identity: ScriptIdentity?
    /// Bytes the private `/tmp` may hold; nil: the kernel's default (half the RAM).
    public var tmpSize: Int?

    public init(
        executable: String = "bwrap", hiddenPaths: [String], sharedDirectories: [String] = [],
        systemDirectories: [String] = Self.systemDirectories, network: ScriptNetwork = .host, identity: ScriptIdentity? = nil,
        tmpSize: Int? = nil
    ) {
        self.executable = executable
        self.hiddenPaths = hiddenPaths.map(Self.absolute).filter { $0 != "/" }
        self.sharedDirectories = sharedDirectories.map(Self.absolute)
        self.systemDirectories = systemDirectories
        self.network = network
        self.identity = identity
        self.tmpSize = tmpSize
    }

    /// What the service must not show a script: `settings`' data directory, SQLite database and
    /// its companion files, GitHub App key, config file, application settings file (scripts get
    /// its variables, not the file), the settings directories of the deployments, systemd's
    /// credentials and whatever `JOBRUNNER_SCRIPT_HIDDEN_PATHS` names.
    public init(settings: Settings, executable: String = "bwrap", environment: [String: String] = ProcessInfo.processInfo.environment) {
        var hidden = [settings.dataDirectory]
        if case .sqlite(let path) = settings.database {
            hidden += [path] + Self.databaseCompanions.map { path + $0 }
        }
        hidden += [settings.githubAppPrivateKeyPath, settings.configFile, settings.scriptEnvironmentFile].compactMap { $0 }
        hidden += Self.settingsDirectories + settings.scriptHiddenPaths
        if let credentials = environment["CREDENTIALS_DIRECTORY"], !credentials.isEmpty { hidden.append(credentials) }
        self.init(
            executable: executable, hiddenPaths: hidden, sharedDirectories: settings.scriptSharedDirectories,
            network: settings.scriptNetwork, identity: Self.identity(settings.scriptUser), tmpSize: settings.scriptLimits.tmp)
        egress = settings.scriptEgress
    }

    /// Who scripts run as: the configured user, when the service is root (only root can switch).
    public static func identity(_ configured: ScriptIdentity?, effectiveUser: uid_t = geteuid()) -> ScriptIdentity? {
        effectiveUser == 0 ? configured : nil
    }

    /// The command that runs `command` inside the sandbox, in `workingDirectory`.
    /// - Parameters:
    ///   - runDirectory: the run's own directory (artifact, `HOME`, `TMPDIR`): the only writable place.
    ///   - readOnly: further directories the script reads (the application's). One inside a
    ///     hidden path (the data directory) is never shown.
    ///   - statusDescriptor: an open descriptor the sandbox inherits: a small reporter inside
    ///     writes `exit N` or `signal N` to it when the script ends, the one outcome bubblewrap
    ///     cannot tell (it reports a killed script as exit 128+N).
    ///   - resolvConf: with the egress network, the file shown as `/etc/resolv.conf`.
    public func wrap(
        _ command: [String], runDirectory: String, readOnly: [String], workingDirectory: String, statusDescriptor: Int32? = nil,
        resolvConf: String? = nil
    ) -> [String] {
        var arguments = [executable, "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        switch network {
        case .host: break
        case .isolated: arguments.append("--unshare-net")
        // The launcher reads the namespace's PID from 4, sets up its network, then writes to 5.
        case .egress: arguments += ["--unshare-net", "--info-fd", "4", "--block-fd", "5"]
        }
        if geteuid() == 0 {
            // Root inside would still be root over every file the service owns; the switch to
            // `identity` below needs these two, and the switch itself drops them.
            arguments += ["--cap-drop", "ALL"]
            if identity != nil { arguments += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"] }
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
        arguments += ["--proc", "/proc", "--dev", "/dev"]
        if let tmpSize { arguments += ["--size", String(tmpSize)] }
        arguments += ["--tmpfs", "/tmp"]
        let extra = readOnly.map(Self.absolute).filter { directory in
            !systemDirectories.contains { Self.isInside(directory, $0) } && !hiddenPaths.contains { Self.isInside(directory, $0) }
        }
        // Mount points below "/", "/tmp" and the system directories, each in the tmpfs above it.
        var mounts = ["/", "/tmp"] + systemDirectories
        for directory in extra where Self.exists(directory) {
            arguments += Self.traversable(directory, below: mounts) + ["--ro-bind", directory, directory]
            mounts.append(directory)
        }
        for directory in sharedDirectories where Self.exists(directory) {
            arguments += Self.traversable(directory, below: mounts) + ["--bind", directory, directory]
            mounts.append(directory)
        }
        // Hidden after the binds above, so a secret inside /etc, /opt or the application's
        // directory is covered too; outside them it is simply not mounted.
        let run = Self.absolute(runDirectory)
        let visible = systemDirectories + extra + sharedDirectories
        for path in hiddenPaths where visible.contains(where: { Self.isInside(path, $0) }) {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                arguments += isDirectory.boolValue ? ["--tmpfs", path] : ["--ro-bind", "/dev/null", path]
                if isDirectory.boolValue { mounts.append(path) }
            }
        }
        if let resolvConf {
            // Over the file the host's /etc/resolv.conf stands for (a link into /run, often).
            let shown = Self.resolvedLink("/etc/resolv.conf")
            arguments += Self.traversable(shown, below: mounts) + ["--ro-bind", resolvConf, shown]
        }
        arguments += Self.traversable(run, below: mounts)
        arguments += ["--bind", run, run, "--chdir", Self.absolute(workingDirectory), "--"]
        var inside = command
        if let identity {
            inside = ["setpriv", "--reuid=\(identity.uid)", "--regid=\(identity.gid)", "--clear-groups", "--inh-caps=-all", "--"] + inside
        }
        if let statusDescriptor { inside = Self.statusReporter(descriptor: statusDescriptor) + inside }
        return arguments + inside
    }

    /// Where the chain of symbolic links starting at `path` ends (absolute).
    static func resolvedLink(_ path: String) -> String {
        var current = path
        for _ in 0..<8 {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: current) else { break }
            current = target.hasPrefix("/") ? target : ((current as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
        }
        return absolute(current)
    }

    /// The directories bubblewrap would make on the way to mounting `path` — it makes them
    /// owner-only, which a script under another user could not pass — made first, world-traversable:
    /// those between the deepest of `mounts` that holds `path` and `path` itself.
    static func traversable(_ path: String, below mounts: [String]) -> [String] {
        let base = mounts.filter { isInside(path, $0) && path != $0 }.max { $0.count < $1.count } ?? "/"
        var arguments: [String] = []
        var current = base == "/" ? "" : base
        let rest = path.dropFirst(current.count).split(separator: "/").dropLast()
        for component in rest {
            current += "/" + component
            arguments += ["--perms", "0755", "--dir", current]
        }
        return arguments
    }

    /// Runs the rest of its arguments as a child, then writes how it ended (`exit N`, `signal N`)
    /// to `descriptor`, which the script itself never inherits. It ignores the SIGTERM a stop
    /// sends every process of the run, so it stays to report; SIGKILL ends it with the rest.
    /// Perl because Debian always has it (perl-base is essential) and it starts in milliseconds.
    static func statusReporter(descriptor: Int32) -> [String] {
        let program = """
            use Fcntl; open(my $s, ">&=", \(descriptor)) or die "jobrunner: no status descriptor: $!\\n";
            fcntl($s, F_SETFD, FD_CLOEXEC); $SIG{TERM} = $SIG{INT} = $SIG{HUP} = "IGNORE";
            my $pid = fork; die "jobrunner: cannot start the script: $!\\n" unless defined $pid;
            if ($pid == 0) { $SIG{TERM} = $SIG{INT} = $SIG{HUP} = "DEFAULT"; umask 077; exec { $ARGV[0] } @ARGV; print STDERR "jobrunner: cannot run $ARGV[0]: $!\\n"; exit 127; }
            waitpid($pid, 0); my $st = $?; syswrite($s, ($st & 127) ? "signal " . ($st & 127) . "\\n" : "exit " . ($st >> 8) . "\\n");
            exit(($st & 127) ? 128 + ($st & 127) : $st >> 8);
            """
        return ["perl", "-e", program, "--"]
    }

    /// Checks that bubblewrap can start a sandbox here; the error says what to do when not.
    public func check(runner: any ProcessRunner = SubprocessRunner(), scratchDirectory: String) async throws {
        try FileManager.default.createDirectory(atPath: scratchDirectory, withIntermediateDirectories: true)
        var probe = self
        if network == .egress {
            // The empty sandbox has no launcher to set the network up: its namespace is enough.
            probe.network = .isolated
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            let missing = EgressNetwork.tools.filter { ExecutableLookup.resolve($0, path: path + ":/usr/sbin:/sbin") == nil }
            if !missing.isEmpty {
                throw SandboxUnavailable(
                    reason: "JOBRUNNER_SCRIPT_NETWORK=egress needs \(missing.joined(separator: ", ")) (Debian: apt-get install slirp4netns nftables)")
            }
        }
        let command = probe.wrap(["true"], runDirectory: scratchDirectory, readOnly: [], workingDirectory: scratchDirectory)
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
