import ArgumentParser

/// Commands whose machinery lands with later work. They exist now so `--help` describes the
/// whole tool; each says plainly that it is not available and exits with EX_UNAVAILABLE (69).
protocol NotYetAvailable: AsyncParsableCommand {
    static var availability: String { get }
}

extension NotYetAvailable {
    func run() async throws {
        printError("jobrunner \(Self.configuration.commandName ?? ""): not available yet in this build — \(Self.availability)")
        throw ExitCode(69)
    }
}

struct TranspileCommand: NotYetAvailable {
    static let configuration = CommandConfiguration(
        commandName: "transpile",
        abstract: "Print or write the exact artifact PROCESS would build from FILE."
    )
    static let availability = "it arrives with the PROCESS/EXECUTE toolchains."

    @Argument(help: "The script, e.g. jobs/2026-11-backfill.ts.") var file: String
    @Option(name: .shortAndLong, help: "Write the artifact here instead of standard output.") var output: String?
}

struct RunCommand: NotYetAvailable {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Build and run FILE locally exactly as EXECUTE would, then print the log CLEANUP would commit."
    )
    static let availability = "it arrives with the PROCESS/EXECUTE toolchains."

    @Argument(help: "The script to build and run.") var file: String
    @Flag(name: .long, help: "Build only; do not run.") var dryRun = false
}

struct CheckCommand: NotYetAvailable {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Pull-request guard: every added or changed script builds, and scripts are not mixed with other files."
    )
    static let availability = "it arrives with the PROCESS/EXECUTE toolchains."

    @Option(name: .long, help: "The base to compare against (default: the merge base with the default branch).")
    var base: String?
}

struct DemoCommand: NotYetAvailable {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole flow against a throwaway local repository and show the committed log."
    )
    static let availability = "it needs intake, the stages and CLEANUP, which later work adds."

    @Flag(name: .long, help: "Exit when the pipeline is done instead of keeping the dashboard up.") var exit = false
}
