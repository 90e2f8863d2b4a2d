import ArgumentParser
import Foundation
import JobrunnerCore
import JobrunnerServer

/// Options every command that reads settings accepts.
struct SettingsOptions: ParsableArguments {
    @Option(name: .long, help: "A file of KEY=value lines with JOBRUNNER_* settings (the environment wins).")
    var config: String?

    /// Loads and validates the settings, or prints every problem and exits with EX_CONFIG (78).
    func load(for purpose: SettingsLoader.Purpose) async throws -> Settings {
        do {
            let reader = try await SettingsLoader.reader(configFile: config)
            var settings = try SettingsLoader.load(from: reader, purpose: purpose)
            if let config { settings.configFile = URL(fileURLWithPath: config).standardizedFileURL.path }
            return settings
        } catch let error as SettingsErrors {
            printError("jobrunner: \(error)")
            throw ExitCode(78)
        }
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
