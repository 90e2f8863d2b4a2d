import ArgumentParser
import Foundation
import JobrunnerCore
import JobrunnerServer
import JobrunnerStages
import JobrunnerStore

/// Opens the configured store for an administrative command.
private func adminStore(_ options: SettingsOptions) async throws -> any PipelineStore {
    try await openStore(try await options.load(for: .local))
}

/// Runs an operator's action through the same `PipelineOperations` the dashboard and the API
/// use; a refusal is printed with what to do and exits 1.
private func operatorAction<T: Sendable>(
    on store: any PipelineStore, _ body: (PipelineOperations) async throws -> T
) async throws -> T {
    do {
        return try await body(PipelineOperations(store: store, workAvailable: Beacon()))
    } catch let error as OperatorActionError {
        printError("jobrunner: \(error)")
        throw ExitCode(1)
    }
}

private func format(_ date: Date?) -> String {
    date.map { $0.formatted(.iso8601) } ?? "-"
}

struct PipelinesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipelines", abstract: "List pipelines, newest first.")

    @OptionGroup var options: SettingsOptions
    @Option(help: "Only this status: \(PipelineStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
    var status: String?
    @Option(help: "Only this repository (owner/name).") var repository: String?
    @Option(help: "Text to find in script path, pusher or author.") var search: String?
    @Option(help: "How many to show.") var limit = 50

    func run() async throws {
        var filter = PipelineFilter(text: search, limit: limit)
        if let status {
            guard let parsed = PipelineStatus(rawValue: status) else {
                throw ValidationError("unknown status '\(status)'")
            }
            filter.status = parsed
        }
        if let repository {
            guard let parsed = RepositoryName(rawValue: repository) else {
                throw ValidationError("'\(repository)' is not owner/name")
            }
            filter.repository = parsed
        }
        let store = try await adminStore(options)
        let rows = try await store.pipelines(filter)
        print("ID\tSTATUS\tOUTCOME\tSTAGES\tREPOSITORY\tSCRIPT\tCOMMIT\tCREATED")
        for row in rows {
            let stages = row.stages.map { "\($0.kind.rawValue):\($0.state.rawValue)" }.joined(separator: ",")
            let source = row.pipeline.source
            print(
                "\(row.pipeline.id)\t\(row.status.rawValue)\t\(Self.outcome(row))\t\(stages)\t\(source.repository)\t\(source.scriptPath)\t\(source.commit.prefix(12))\t\(format(row.pipeline.createdAt))"
            )
        }
    }
}

extension PipelinesCommand {
    /// The script's result: `exited-non-zero (3)`, `timed-out`, `not-run`.
    static func outcome(_ summary: PipelineSummary) -> String {
        guard summary.outcome == .exitedNonZero, let code = summary.script?.exitCode else { return summary.outcome.rawValue }
        return "exited-non-zero (\(code))"
    }
}

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show one pipeline with its stages, attempts, operator actions and feedback deliveries.")

    @OptionGroup var options: SettingsOptions
    @Argument(help: "Pipeline id.") var pipeline: Int64

    func run() async throws {
        let store = try await adminStore(options)
        guard let detail = try await store.pipeline(PipelineID(pipeline)) else {
            printError("jobrunner: pipeline \(pipeline) does not exist")
            throw ExitCode(1)
        }
        let p = detail.summary.pipeline
        print("pipeline \(p.id): \(detail.summary.status.rawValue) — script \(PipelinesCommand.outcome(detail.summary))")
        print("  script      \(p.source.repository) \(p.source.scriptPath) @ \(p.source.commit)")
        print("  branch      \(p.source.branch)   delivery \(p.deliveryID)   created \(format(p.createdAt))")
        if let earlier = p.supersedes { print("  replaces    pipeline \(earlier) (a fix of this script pushed before that one ran)") }
        if let later = p.supersededBy { print("  superseded  by pipeline \(later) (a fix of this script; this one never runs)") }
        if let discard = p.discard {
            print("  discarded   by \(discard.operatorName) at \(format(discard.at)): \(discard.reason)\(discard.mayHaveRun ? " (its run was interrupted: it may have run)" : "")")
        }
        for stage in detail.summary.stages {
            print("  \(stage.kind.displayName.padding(toLength: 8, withPad: " ", startingAt: 0)) \(stage.state.rawValue) (stage \(stage.id), attempt \(stage.attempt)/\(stage.maxAttempts))\(stage.lastError.map { " — \($0)" } ?? "")")
            if let reason = stage.waitReason, stage.state == .queued {
                print("           \(reason) (since \(format(stage.waitingSince)), next check \(format(stage.runAfter)))")
            }
        }
        for attempt in detail.attempts {
            print("  attempt \(attempt.kind.rawValue)#\(attempt.attempt) by \(attempt.worker): \(attempt.outcome.rawValue) \(format(attempt.startedAt)) → \(format(attempt.finishedAt))\(attempt.error.map { " — \($0)" } ?? "")")
        }
        for action in detail.operatorActions {
            print("  \(action.kind.rawValue) \(action.stageKind?.rawValue ?? "") by \(action.operatorName) at \(format(action.at))\(action.reason.map { ": \($0)" } ?? "")")
        }
        for feedback in try await store.feedback(for: p.id) {
            let result = feedback.error.map { "NOT delivered — \($0)" } ?? "delivered"
            print("  feedback \(feedback.channel) (\(feedback.event)) → \(feedback.target): \(result) at \(format(feedback.at))")
        }
        for message in try await store.outbox(for: p.id) where message.state != .delivered {
            var line = "  outbox   \(message.event.name): \(message.state.rawValue), \(message.attempts) failed attempt(s)"
            if message.state == .pending { line += ", next try \(format(message.nextAttemptAt))" }
            if let channels = message.remainingChannels, message.state == .pending { line += " (to \(channels.joined(separator: ", ")))" }
            if let error = message.lastError { line += " — \(error)" }
            print(line)
        }
    }
}

struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Queue a failed or interrupted stage again (recorded with the operator's name).",
        discussion: "Retrying EXECUTE runs the script again: use --execute-again to confirm you mean it.")

    @OptionGroup var options: SettingsOptions
    @Argument(help: "Pipeline id.") var pipeline: Int64
    @Option(help: "Stage to retry: process, execute or cleanup (default: the failed one).") var stage: String?
    @Option(name: .customLong("operator"), help: "Who is asking (recorded and shown in the committed log).")
    var operatorName: String
    @Option(help: "Why (recorded).") var reason: String?
    @Flag(help: "Confirm that the script may run again.") var executeAgain = false

    func run() async throws {
        let store = try await adminStore(options)
        let id = PipelineID(pipeline)
        let kind: StageKind
        if let stage {
            guard let parsed = StageKind(rawValue: stage) else { throw ValidationError("unknown stage '\(stage)'") }
            kind = parsed
        } else {
            guard let detail = try await store.pipeline(id) else {
                printError("jobrunner: pipeline \(pipeline) does not exist")
                throw ExitCode(1)
            }
            guard let failed = detail.summary.stages.first(where: { $0.state.isRetryable }) else {
                printError("jobrunner: pipeline \(pipeline) has no failed or interrupted stage to retry")
                throw ExitCode(1)
            }
            kind = failed.kind
        }
        do {
            _ = try await PipelineOperations(store: store, workAvailable: Beacon()).retry(
                pipeline: id, kind: kind, by: OperatorIdentity(name: operatorName), reason: reason, confirmed: executeAgain)
        } catch OperatorActionError.confirmationRequired {
            // The CLI's own spelling of the confirmation; every other refusal as `operatorAction` prints it.
            printError("jobrunner: retrying EXECUTE runs the script again; add --execute-again to confirm")
            throw ExitCode(1)
        } catch let error as OperatorActionError {
            printError("jobrunner: \(error)")
            throw ExitCode(1)
        }
        print("queued \(kind.displayName) of pipeline \(pipeline) again")
    }
}

struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a pipeline whose current stage is queued, or stop its running EXECUTE (the script is killed).")

    @OptionGroup var options: SettingsOptions
    @Argument(help: "Pipeline id.") var pipeline: Int64
    @Option(name: .customLong("operator"), help: "Who is asking (recorded).") var operatorName: String
    @Option(help: "Why (recorded).") var reason: String?

    func run() async throws {
        let outcome = try await operatorAction(on: try await adminStore(options)) {
            try await $0.cancel(pipeline: PipelineID(pipeline), by: OperatorIdentity(name: operatorName), reason: reason)
        }
        switch outcome {
        case .cancelled: print("cancelled pipeline \(pipeline)")
        case .stopRequested:
            print("asked the worker running pipeline \(pipeline) to stop its script; CLEANUP will commit the log")
        }
    }
}

struct DiscardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discard",
        abstract: "Give up on a pipeline that failed or was cancelled before EXECUTE, or whose EXECUTE was interrupted: CLEANUP removes its script and commits a log saying why.")

    @OptionGroup var options: SettingsOptions
    @Argument(help: "Pipeline id.") var pipeline: Int64
    @Option(name: .customLong("operator"), help: "Who is asking (recorded in the log).") var operatorName: String
    @Option(help: "Why it will not run (required; committed in the log).") var reason: String

    func run() async throws {
        try await operatorAction(on: try await adminStore(options)) {
            try await $0.discard(pipeline: PipelineID(pipeline), by: OperatorIdentity(name: operatorName), reason: reason)
        }
        print("discarded pipeline \(pipeline): CLEANUP will remove its script and commit a log saying why")
    }
}

struct SettingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings", abstract: "List every setting Jobrunner reads, with its default.")

    func run() async throws {
        for declaration in SettingsTable.declarations {
            print("\(declaration.setting.rawValue)\(declaration.isSecret ? " (secret)" : "")\n    \(declaration.summary)")
        }
    }
}
