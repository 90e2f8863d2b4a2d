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

struct DemoCommand: NotYetAvailable {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole flow against a throwaway local repository and show the committed log."
    )
    static let availability = "it needs intake, the stages and CLEANUP, which later work adds."

    @Flag(name: .long, help: "Exit when the pipeline is done instead of keeping the dashboard up.") var exit = false
}
