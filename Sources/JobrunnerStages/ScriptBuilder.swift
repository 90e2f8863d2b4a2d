import Crypto
import Foundation
import JobrunnerCore

/// Why a script could not be built. All are permanent: rebuilding the same source cannot help.
public enum BuildError: Error, Sendable, Equatable, CustomStringConvertible, ClassifiedError {
    /// `known` is sorted, so the same error compares equal wherever it is made.
    case unsupported(path: String, fileExtension: String, known: [String])
    case tooLarge(path: String, size: Int, limit: Int)
    case invalidDirectives(path: String, problem: String)
    case failed(path: String, toolchain: String, output: String)
    case toolMissing(path: String, toolchain: String, reason: String)

    public var description: String {
        switch self {
        case let .unsupported(path, ext, known):
            "\(path): no toolchain for .\(ext) (known: \(known.sorted().map { "." + $0 }.joined(separator: ", ")))"
        case let .tooLarge(path, size, limit): "\(path) is \(size) bytes; the limit is \(limit)"
        case let .invalidDirectives(path, problem): "\(path): jobrunner directive \(problem)"
        case let .failed(path, toolchain, output): "\(path) does not build with \(toolchain):\n\(output)"
        case let .toolMissing(path, toolchain, reason):
            "\(path): the \(toolchain) toolchain cannot run here (\(reason)); install it, then retry PROCESS"
        }
    }

    public var failureKind: FailureKind { .permanent }
}

/// Builds a script into its artifact. PROCESS and `jobrunner transpile`/`run` call this same
/// code, so the artifact a developer sees is byte for byte the one that runs.
///
/// Builds happen in a fresh directory that mirrors the repository layout, so outputs that embed
/// paths (esbuild's module comments, Swift's `#file`) are the same wherever they are built.
public struct ScriptBuilder: Sendable {
    public let toolchains: [Toolchain]
    public let runner: any ProcessRunner
    /// Where build directories are made (and removed).
    public let scratchDirectory: String
    public let maxSourceSize: Int
    /// `PATH` for the build tools.
    public let searchPath: String
    /// Toolchain versions, asked once per process rather than on every build.
    private let versions = VersionCache()

    public init(
        toolchains: [Toolchain] = Toolchain.builtIn, runner: any ProcessRunner = SubprocessRunner(),
        scratchDirectory: String = NSTemporaryDirectory(), maxSourceSize: Int = 1 << 20,
        searchPath: String = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    ) {
        self.toolchains = toolchains
        self.runner = runner
        // Absolute: tools run with their own working directory, so relative paths would break.
        self.scratchDirectory = URL(fileURLWithPath: scratchDirectory).standardizedFileURL.path
        self.maxSourceSize = maxSourceSize
        self.searchPath = searchPath
    }

    public var supportedExtensions: Set<String> { Set(toolchains.flatMap(\.extensions)) }

    public func toolchain(for path: String) -> Toolchain? { Toolchain.forPath(path, in: toolchains) }

    public func build(_ source: ScriptSource) async throws -> Artifact {
        guard let toolchain = toolchain(for: source.path) else {
            throw BuildError.unsupported(path: source.path, fileExtension: source.fileExtension, known: supportedExtensions.sorted())
        }
        guard source.content.count <= maxSourceSize else {
            throw BuildError.tooLarge(path: source.path, size: source.content.count, limit: maxSourceSize)
        }
        let directives: ScriptDirectives
        do {
            directives = try ScriptDirectives.parse(String(decoding: source.content, as: UTF8.self))
        } catch {
            throw BuildError.invalidDirectives(path: source.path, problem: error.description)
        }
        let started = ContinuousClock.now
        let directory = scratchDirectory + "/build-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (path, bytes) in source.files {
            let target = directory + "/" + path
            try FileManager.default.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try ScratchFile.write(bytes, to: target)
        }
        let output = directory + "/.jobrunner-artifact"
        let version = await versionText(toolchain)
        let substitutions = [
            "{source}": source.path, "{output}": output, "{build-dir}": directory,
            "{module-cache}": Self.moduleCache, "{node-major}": nodeMajor(version), "{ext}": source.fileExtension,
        ]
        // `{aliases}` stands for zero or more arguments: the repository's TypeScript aliases.
        let expansions = ["{aliases}": TypeScriptAliases.arguments(scriptPath: source.path, files: source.files)]
        let content: [UInt8]
        switch toolchain.build {
        case .check(let command):
            try await runStep(command, substitutions, expansions, in: directory, source: source, toolchain: toolchain)
            content = source.content
        case .transform(let command):
            try await runStep(command, substitutions, expansions, in: directory, source: source, toolchain: toolchain)
            for step in toolchain.postProcess {
                try await runStep(step, substitutions, expansions, in: directory, source: source, toolchain: toolchain)
            }
            guard let data = FileManager.default.contents(atPath: output) else {
                throw BuildError.failed(path: source.path, toolchain: toolchain.name, output: "the build wrote no artifact")
            }
            content = [UInt8](data)
        }
        return Artifact(
            toolchain: toolchain.name, toolchainVersion: version,
            fileName: toolchain.artifactName.replacingOccurrences(of: "{ext}", with: source.fileExtension),
            runCommand: toolchain.run, content: content, digest: Self.sha256(content),
            sourceDigest: Self.sha256(source.content), buildDuration: ContinuousClock.now - started,
            isText: toolchain.textArtifact, timeout: directives.timeout, source: source.content)
    }

    private func runStep(
        _ command: [String], _ substitutions: [String: String], _ expansions: [String: [String]], in directory: String,
        source: ScriptSource, toolchain: Toolchain
    ) async throws {
        let arguments = command.flatMap { argument in
            expansions[argument] ?? [substitutions.reduce(argument) { $0.replacingOccurrences(of: $1.key, with: $1.value) }]
        }
        let result: ProcessResult
        do {
            result = try await runner.run(
                ProcessSpec(
                    executable: arguments[0], arguments: Array(arguments.dropFirst()), environment: buildEnvironment(directory),
                    workingDirectory: directory, timeout: .seconds(300), gracePeriod: .seconds(5), outputLimit: 64 * 1024))
        } catch let error as ProcessLaunchError {
            throw BuildError.toolMissing(path: source.path, toolchain: toolchain.name, reason: error.reason)
        }
        guard result.succeeded else {
            let text = String(decoding: result.stderr.bytes + result.stdout.bytes, as: UTF8.self)
                .replacingOccurrences(of: directory + "/", with: "")
            let status = result.timedOut ? "timed out" : result.exitCode.map { "exit status \($0)" } ?? "signal \(result.signal ?? 0)"
            throw BuildError.failed(
                path: source.path, toolchain: toolchain.name,
                output: text.isEmpty ? status : text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    private func buildEnvironment(_ directory: String) -> [String: String] {
        ["PATH": searchPath, "HOME": directory, "LANG": "C.UTF-8", "TMPDIR": directory, "NO_COLOR": "1"]
    }

    /// The toolchain's version, e.g. "esbuild 0.17.0, node v20.20.2".
    func versionText(_ toolchain: Toolchain) async -> String {
        if let known = await versions.value(for: toolchain.name) { return known }
        let text = await askVersion(toolchain)
        await versions.set(text, for: toolchain.name)
        return text
    }

    /// Asks every version command at once (each is a process start), keeping their order.
    private func askVersion(_ toolchain: Toolchain) async -> String {
        let environment = buildEnvironment(scratchDirectory)
        let directory = scratchDirectory
        let runner = runner
        let answers = await withTaskGroup(of: (Int, String).self) { group in
            for (index, command) in toolchain.versionCommands.enumerated() {
                group.addTask {
                    let result = try? await runner.run(
                        ProcessSpec(
                            executable: command[0], arguments: Array(command.dropFirst()), environment: environment,
                            workingDirectory: directory, timeout: .seconds(30), outputLimit: 4096))
                    let text = result.map { String(decoding: $0.stdout.bytes, as: UTF8.self) }?
                        .split(separator: "\n").first.map(String.init) ?? "unknown"
                    return (index, "\(command[0]) \(text.trimmingCharacters(in: .whitespaces))")
                }
            }
            return await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
        }
        return answers.keys.sorted().compactMap { answers[$0] }.joined(separator: ", ")
    }

    private func nodeMajor(_ version: String) -> String {
        guard let range = version.range(of: "node v") else { return "18" }
        return String(version[range.upperBound...].prefix { $0.isNumber })
    }

    /// Fixed per user, so Swift builds are reproducible between the service and the CLI.
    static var moduleCache: String {
        NSTemporaryDirectory() + "jobrunner-swift-module-cache-\(getuid())"
    }

    public static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}

/// Versions of the toolchains a builder has asked about.
actor VersionCache {
    private var versions: [String: String] = [:]

    func value(for toolchain: String) -> String? { versions[toolchain] }

    func set(_ version: String, for toolchain: String) { versions[toolchain] = version }
}
