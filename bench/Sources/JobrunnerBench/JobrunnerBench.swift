import ArgumentParser

/// The in-process half of the benchmarks (`bench/run` is the other half): measurements that
/// need Jobrunner's own code paths without its HTTP front — queue transitions through a
/// `PipelineStore`, the raw commit rate of the same database, one spawn and one log push alone.
/// Each subcommand prints one JSON object on stdout for `bench/run` to tabulate.
@main
struct JobrunnerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobrunner-bench",
        abstract: "Jobrunner's in-process benchmarks; each prints one JSON object.",
        subcommands: [QueueCommand.self, CommitRateCommand.self, SpawnCommand.self, PushCommand.self, TranspileCommand.self]
    )
}
