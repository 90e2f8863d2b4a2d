import Configuration
import Foundation
import JobrunnerCore
import SystemPackage

/// Turns the environment and the optional config file into validated `Settings`.
///
/// Every problem is collected and reported at once, naming the setting, before anything
/// starts: a service that runs production scripts must not half-start on a typo.
public enum SettingsLoader {
    /// What the settings are for; decides which ones are required.
    public enum Purpose: Sendable, Equatable {
        /// `jobrunner serve`. In development mode a missing webhook secret is generated.
        case serve(development: Bool)
        /// `jobrunner worker`.
        case worker
        /// Local commands and administration: nothing is required.
        case local
    }

    /// Reads the process environment, then the config file it names (or `configFile`).
    public static func reader(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        configFile: String? = nil
    ) async throws -> ConfigReader {
        let secrets = Set(SettingsTable.declarations.filter(\.isSecret).map(\.setting.rawValue))
        let env = EnvironmentVariablesProvider(
            environmentVariables: environment, secretsSpecifier: .specific(secrets))
        guard let path = configFile ?? environment[Setting.configFile.rawValue], !path.isEmpty else {
            return ConfigReader(provider: env)
        }
        do {
            let file = try await EnvironmentVariablesProvider(
                environmentFilePath: FilePath(path), allowMissing: false,
                secretsSpecifier: .specific(secrets))
            return ConfigReader(providers: [env, file])
        } catch {
            throw SettingsErrors([SettingsError(.configFile, "cannot read \(path): \(error)")])
        }
    }

    /// Validates every setting, the files they name included (the toolchains file, the GitHub
    /// App key); throws `SettingsErrors` listing all problems.
    public static func load(from reader: ConfigReader, purpose: Purpose) throws -> Settings {
        var settings = Settings()
        var errors: [SettingsError] = []
        for declaration in SettingsTable.declarations {
            let input = SettingInput(reader: reader, setting: declaration.setting, isSecret: declaration.isSecret)
            if let problem = declaration.read(input, &settings) {
                errors.append(SettingsError(declaration.setting, problem))
            }
        }
        errors += SettingsRules.problems(settings, purpose: purpose)
        if !errors.isEmpty { throw SettingsErrors(errors) }
        return settings
    }
}

/// All problems found in the settings.
public struct SettingsErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public var errors: [SettingsError]
    public init(_ errors: [SettingsError]) { self.errors = errors }

    public var description: String {
        "invalid configuration:\n" + errors.map { "  - \($0)" }.joined(separator: "\n")
    }
}
