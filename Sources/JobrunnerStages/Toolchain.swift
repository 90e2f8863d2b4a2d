import JobrunnerCore

/// How scripts of some extensions are built and run. Commands use placeholders:
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

    public init(
        name: String, extensions: [String], build: Build, postProcess: [[String]] = [], artifactName: String,
        run: [String], versionCommands: [[String]], textArtifact: Bool = true
    ) {
        self.name = name
        self.extensions = extensions
        self.build = build
        self.postProcess = postProcess
        self.artifactName = artifactName
        self.run = run
        self.versionCommands = versionCommands
        self.textArtifact = textArtifact
    }

    /// The toolchains every Jobrunner has.
    public static let builtIn: [Toolchain] = [
        Toolchain(
            name: "esbuild", extensions: ["ts"],
            build: .transform([
                "esbuild", "{source}", "--bundle", "--platform=node", "--format=esm", "--target=node{node-major}",
                "--packages=external", "--log-level=warning", "--color=false", "--outfile={output}",
            ]),
            artifactName: "script.mjs", run: ["node", "{artifact}"],
            versionCommands: [["esbuild", "--version"], ["node", "--version"]]),
        Toolchain(
            name: "node", extensions: ["js", "mjs"], build: .check(["node", "--check", "{source}"]),
            artifactName: "script.{ext}", run: ["node", "{artifact}"], versionCommands: [["node", "--version"]]),
        Toolchain(
            name: "bash", extensions: ["sh"], build: .check(["bash", "-n", "{source}"]),
            artifactName: "script.sh", run: ["bash", "{artifact}"], versionCommands: [["bash", "-c", "echo $BASH_VERSION"]]),
        Toolchain(
            name: "python3", extensions: ["py"],
            // What `python3 -m py_compile` checks, without writing __pycache__ into the build.
            build: .check(["python3", "-c", "import sys; compile(open(sys.argv[1], 'rb').read(), sys.argv[1], 'exec')", "{source}"]),
            artifactName: "script.py", run: ["python3", "{artifact}"], versionCommands: [["python3", "--version"]]),
        Toolchain(
            name: "swiftc", extensions: ["swift"],
            build: .transform([
                "swiftc", "-O", "{source}", "-o", "{output}", "-file-prefix-map", "{build-dir}=.",
                "-module-cache-path", "{module-cache}", "-Xlinker", "--build-id=none",
            ]),
            postProcess: [["objcopy", "--remove-section", ".swift_modhash", "{output}"]],
            artifactName: "script", run: ["{artifact}"], versionCommands: [["swiftc", "--version"]], textArtifact: false),
    ]
}
