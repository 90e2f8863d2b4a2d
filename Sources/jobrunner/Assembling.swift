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
