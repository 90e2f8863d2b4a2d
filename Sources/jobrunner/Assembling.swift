import ArgumentParser
import JobrunnerCore
import JobrunnerServer
import JobrunnerStages
import JobrunnerStore
import Logging

/// The process from its settings (`ServiceAssembly`), or the problem and its exit status.
func assemble(
    _ settings: Settings, role: ServiceAssembly.Role, logger: Logger,
    overrides: ServiceAssembly.Overrides = ServiceAssembly.Overrides()
) async throws -> ServiceAssembly {
    do {
        return try await ServiceAssembly.assemble(settings, role: role, logger: logger, overrides: overrides)
    } catch let error as AssemblyError {
        printError("jobrunner: \(error)")
        throw ExitCode(error.exitCode)
    }
}

/// The configured store for administrative commands, or the problem and exit 69.
func openStore(_ settings: Settings) async throws -> any PipelineStore {
    do {
        return try await StoreFactory.open(settings)
    } catch {
        printError("jobrunner: \(error)")
        throw ExitCode(69)
    }
}

/// The toolchains (built-in and `JOBRUNNER_TOOLCHAINS_FILE`), or the problem and exit 78.
func loadToolchains(_ settings: Settings) throws -> [Toolchain] {
    do {
        return try ToolchainFile.toolchains(settings: settings)
    } catch {
        printError("jobrunner: \(error)")
        throw ExitCode(78)
    }
}

/// Before a service process runs any script: hardens itself (`ServiceHardening`), and says at
/// start what isolation scripts get — a warning without it, an error when the sandbox cannot start
/// here (scripts then fail to start, with the same explanation, until it is fixed).
func prepareToRunScripts(_ settings: Settings, logger: Logger) async throws {
    do {
        var databaseFile: String?
        if case .sqlite(let path) = settings.database { databaseFile = path }
        try ServiceHardening.apply(dataDirectory: settings.dataDirectory, databaseFile: databaseFile)
    } catch {
        printError("jobrunner: \(error)")
        throw ExitCode(73)
    }
    guard settings.workers > 0 else { return }
    switch settings.scriptIsolation {
    case .none:
        logger.warning(
            "JOBRUNNER_SCRIPT_ISOLATION=none: scripts run without a sandbox, as the service's user, and can read what it can read (docs/security.md)")
    case .bubblewrap:
        let sandbox = BubblewrapSandbox(settings: settings)
        do {
            try await sandbox.check(scratchDirectory: settings.dataDirectory + "/work/sandbox-check")
        } catch {
            logger.error("\(error)")
        }
        let cgroups = ScriptCgroups.detect()
        cgroups?.removeLeftovers()
        // Which mechanism holds which limit here: the kernel's cgroups, else rlimits.
        let byCgroup = cgroups?.holds ?? []
        logger.info(
            "scripts run sandboxed",
            metadata: [
                "user": "\(sandbox.identity?.description ?? "the service's own, in a user namespace")",
                "network": "\(settings.scriptNetwork.rawValue)", "limits": "\(settings.scriptLimits)",
                "memory_and_processes": "\(cgroups.map { "\($0)" } ?? "rlimits (no writable cgroup): memory per process, processes per user")",
                "cpu": "\(byCgroup.contains("cpu") ? "cgroup" : "not limited (no cgroup cpu controller)")",
                "tmp_and_disk": "tmpfs size; the run directory is measured while it runs",
            ])
        if settings.scriptNetwork == .egress {
            logger.info(
                "scripts' network: egress only",
                metadata: ["destinations": "\(settings.scriptEgress.isEmpty ? "none (DNS only)" : settings.scriptEgress.map(\.description).joined(separator: ","))"])
        } else if !settings.scriptEgress.isEmpty {
            logger.warning("JOBRUNNER_SCRIPT_EGRESS is ignored: it applies with JOBRUNNER_SCRIPT_NETWORK=egress only")
        }
        if settings.scriptUser != nil && sandbox.identity == nil {
            logger.warning("JOBRUNNER_SCRIPT_USER is ignored: only a service running as root can run scripts as another user")
        }
    }
}
