import Foundation
import JobrunnerCore

/// Extra toolchains from `JOBRUNNER_TOOLCHAINS_FILE`, a JSON array such as
///
/// ```json
/// [{"name": "ruby", "extensions": ["rb"], "check": ["ruby", "-c", "{source}"],
///   "artifact": "script.rb", "run": ["ruby", "{artifact}"], "version": ["ruby", "--version"]}]
/// ```
///
/// `check` keeps the source as the artifact; `build` instead writes it to `{output}`. A file
/// toolchain for an extension replaces the built-in one.
public enum ToolchainFile {
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { "\(Setting.toolchainsFile.rawValue) (\(path)): \(message)" }
    }

    struct Entry: Decodable {
        var name: String
        var extensions: [String]
        var check: [String]?
        var build: [String]?
        var artifact: String
        var run: [String]
        var version: [String]?
        var binary: Bool?
        /// Fence language of the source in the execution log.
        var language: String?
    }

    public static func load(_ path: String) throws -> [Toolchain] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Problem(path: path, message: "cannot be read")
        }
        let entries: [Entry]
        do {
            entries = try JSONDecoder().decode([Entry].self, from: data)
        } catch {
            throw Problem(path: path, message: "is not a JSON array of toolchains: \(error)")
        }
        return try entries.map { entry in
            let build: Toolchain.Build
            switch (entry.check, entry.build) {
            case (let check?, nil) where !check.isEmpty: build = .check(check)
            case (nil, let command?) where !command.isEmpty: build = .transform(command)
            default: throw Problem(path: path, message: "toolchain \(entry.name) needs exactly one of check or build")
            }
            guard !entry.extensions.isEmpty, !entry.run.isEmpty else {
                throw Problem(path: path, message: "toolchain \(entry.name) needs extensions and run")
            }
            return Toolchain(
                name: entry.name, extensions: entry.extensions.map { $0.lowercased() }, build: build,
                artifactName: entry.artifact, run: entry.run, versionCommands: entry.version.map { [$0] } ?? [],
                textArtifact: !(entry.binary ?? false), sourceLanguage: entry.language ?? "")
        }
    }

    /// Built-in toolchains, with those of the file replacing them per extension.
    public static func toolchains(settings: Settings) throws -> [Toolchain] {
        guard let path = settings.toolchainsFile else { return Toolchain.builtIn }
        let extra = try load(path)
        let replaced = Set(extra.flatMap(\.extensions))
        return extra + Toolchain.builtIn.filter { Set($0.extensions).isDisjoint(with: replaced) }
    }
}
