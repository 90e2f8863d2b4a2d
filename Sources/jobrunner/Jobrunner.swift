import ArgumentParser

@main
struct Jobrunner: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobrunner",
        abstract: "Run reviewed one-off scripts in production, driven by GitHub push webhooks.",
        discussion: """
            A script merged into jobs/ arrives as a signed push webhook and runs through three durable, \
            retryable stages: PROCESS (fetch and build), EXECUTE (run it, capturing output and timing) and \
            CLEANUP (remove the script and commit its execution log to jobrunner-logs/).

            Settings come from JOBRUNNER_* environment variables and an optional config file \
            (JOBRUNNER_CONFIG_FILE or --config); `jobrunner settings` lists them all.
            """,
        subcommands: [
            ServeCommand.self, WorkerCommand.self, TranspileCommand.self, RunCommand.self,
            CheckCommand.self, DemoCommand.self, PipelinesCommand.self, ShowCommand.self,
            RetryCommand.self, CancelCommand.self, DiscardCommand.self, SettingsCommand.self,
        ]
    )
}
