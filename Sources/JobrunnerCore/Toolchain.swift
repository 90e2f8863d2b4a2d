/// How scripts of some extensions are built, run and shown: one entry per language, in one
/// table (`builtIn`, plus `JOBRUNNER_TOOLCHAINS_FILE`). Intake treats the extensions as scripts,
/// PROCESS builds with it, EXECUTE runs with it, and the execution log fences the source and
/// the artifact with its languages. Commands use placeholders:
/// `{source}` (the script, relative to the build directory), `{output}` (where a transforming
/// build writes the artifact), `{artifact}` (the artifact when it runs), `{node-major}`.
public struct Toolchain: Sendable, Equatable {
    public enum Build: Sendable, Equatable {
        /// A check that must pass; the artifact is the source itself (bash -n, node --check…).
        case check([String])
        /// A build that writes the artifact to `{output}` (esbuild, swiftc).
        case transform([String])
    }

    public var name: String
    public var extensions: [String]
    public var build: Build
    /// Commands run after a transform, on `{output}` (e.g. removing a random section).
    public var postProcess: [[String]]
    /// File name of the artifact when it runs; `{ext}` is the script's extension.
    public var artifactName: String
    public var run: [String]
    /// Commands whose output names the toolchain's version, recorded with each artifact.
    public var versionCommands: [[String]]
    /// Whether the artifact is text (shown in the execution log).
    public var textArtifact: Bool
    /// The code-fence language of the source in the execution log (`ts`, `python`); empty: none.
    public var sourceLanguage: String
    /// The fence language of a text artifact that differs from the source (esbuild's `js`).
    public var artifactLanguage: String
    /// Whether the build reads the whole repository tree at the commit (imports of the
    /// application's modules, tsconfig aliases), not only the jobs directory.
    public var readsRepository: Bool

    public init(
        name: String, extensions: [String], build: Build, postProcess: [[String]] = [], artifactName: String,
        run: [String], versionCommands: [[String]], textArtifact: Bool = true, sourceLanguage: String = "",
        artifactLanguage: String? = nil, readsRepository: Bool = false
    ) {
        self.readsRepository = readsRepository
        self.name = name
        self.extensions = extensions
        self.build = build
        self.postProcess = postProcess
        self.artifactName = artifactName
        self.run = run
        self.versionCommands = versionCommands
        self.textArtifact = textArtifact
        self.sourceLanguage = sourceLanguage
        self.artifactLanguage = artifactLanguage ?? sourceLanguage
    }

    /// The toolchains every Jobrunner has.
    public static let builtIn: [Toolchain] = [
        esbuild(extensions: ["ts"], format: "esm", artifact: "script.mjs", sourceLanguage: "ts"),
        esbuild(extensions: ["mjs"], format: "esm", artifact: "script.mjs", sourceLanguage: "js"),
        // A .js file is CommonJS to Node (without "type": "module"), so it stays CommonJS.
        esbuild(extensions: ["js"], format: "cjs", artifact: "script.cjs", sourceLanguage: "js"),
        Toolchain(
            name: "bash", extensions: ["sh"], build: .check(["bash", "-n", "{source}"]),
            artifactName: "script.sh", run: ["bash", "{artifact}"], versionCommands: [["bash", "-c", "echo $BASH_VERSION"]],
            sourceLanguage: "sh"),
        Toolchain(
            name: "python3", extensions: ["py"],
            // What `python3 -m py_compile` checks, without writing __pycache__ into the build.
            build: .check(["python3", "-c", "import sys; compile(open(sys.argv[1], 'rb').read(), sys.argv[1], 'exec')", "{source}"]),
            // `{python}`: the application's interpreter when JOBRUNNER_APP_DIR has a virtualenv.
            artifactName: "script.py", run: ["{python}", "{artifact}"], versionCommands: [["python3", "--version"]],
            sourceLanguage: "python"),
        Toolchain(
            name: "swiftc", extensions: ["swift"],
            build: .transform([
                "swiftc", "-O", "{source}", "-o", "{output}", "-file-prefix-map", "{build-dir}=.",
                "-module-cache-path", "{module-cache}", "-Xlinker", "--build-id=none",
            ]),
            postProcess: [["objcopy", "--remove-section", ".swift_modhash", "{output}"]],
            artifactName: "script", run: ["{artifact}"], versionCommands: [["swiftc", "--version"]], textArtifact: false,
            sourceLanguage: "swift"),
    ]

    /// esbuild bundles the script with every module it imports from the repository at the commit
    /// (relative paths, tsconfig `paths`/`baseUrl`, package.json `imports`); packages stay imports,
    /// resolved where the script runs (the application's `node_modules`).
    static func esbuild(extensions: [String], format: String, artifact: String, sourceLanguage: String) -> Toolchain {
        Toolchain(
            name: "esbuild", extensions: extensions,
            build: .transform([
                "esbuild", "{source}", "--bundle", "--platform=node", "--format=\(format)", "--target=node{node-major}",
                "--packages=external", "{aliases}", "--log-level=warning", "--color=false", "--outfile={output}",
            ]),
            artifactName: artifact, run: ["node", "{artifact}"],
            versionCommands: [["esbuild", "--version"], ["node", "--version"]], sourceLanguage: sourceLanguage,
            artifactLanguage: "js", readsRepository: true)
    }

    /// The extensions of the built-in toolchains.
    public static var builtInExtensions: Set<String> { Set(builtIn.flatMap(\.extensions)) }

    /// The toolchain of `path` among `toolchains`, by extension.
    public static func forPath(_ path: String, in toolchains: [Toolchain] = builtIn) -> Toolchain? {
        let ext = String(path.split(separator: ".").last ?? "").lowercased()
        return toolchains.first { $0.extensions.contains(ext) }
    }
}
