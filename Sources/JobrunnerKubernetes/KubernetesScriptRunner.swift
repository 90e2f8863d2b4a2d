import Foundation
import JobrunnerCore

/// EXECUTE as a Kubernetes Job in the application's image (`JOBRUNNER_RUNNER=kubernetes`).
/// The Job is named after the pipeline and the attempt, so it is created at most once; its pod's
/// log is the run's live output (stdout and stderr merged, as Kubernetes keeps them); its
/// container's status is the outcome. The run outlives the worker: a worker that stops leaves the
/// Job running and the next one re-attaches to it by its labels.
public struct KubernetesScriptRunner: ScriptRunner {
    public let api: any KubernetesAPI
    public let namespace: String
    public private(set) var settings: KubernetesRunnerSettings
    public private(set) var masker: SecretMasker
    public let outputLimit: Int
    public let defaultTimeout: Duration
    /// How often the Job and its pod are looked at while nothing streams.
    public var pollInterval: Duration = .seconds(1)
    /// Past the time limit Kubernetes enforces, how long Jobrunner still waits before it deletes
    /// the Job itself and records the run as timed out.
    public var deadlineSlack: Duration = .seconds(30)
    /// How long a pod may wait for its image or configuration (`ImagePullBackOff`,
    /// `CreateContainerConfigError`) before the run is given up; the script never started.
    public var startTimeout: Duration = .seconds(300)
    /// How long the API server may stay unreachable while a run is followed before the run is
    /// given up as `interrupted`.
    public var outageTolerance: Duration = .seconds(120)

    /// EXECUTE's runs outlive the worker; a dry run is stopped with it (it is never re-attached:
    /// a dry run whose worker stopped is `interrupted`, and the next head gets a new one).
    public var outlivesWorker: Bool { !settings.forDryRuns }

    /// The runner dry runs use: the same cluster, image, limits and masking, but only the dry-run
    /// ConfigMaps and Secrets (`JOBRUNNER_K8S_DRY_RUN_ENV_FROM`) — not the Deployment's `env` and
    /// `envFrom`, which hold the production configuration.
    public func forDryRuns(masker: SecretMasker) -> KubernetesScriptRunner {
        var runner = self
        runner.settings.forDryRuns = true
        runner.masker = masker
        return runner
    }

    public init(
        api: any KubernetesAPI, namespace: String, settings: KubernetesRunnerSettings, masker: SecretMasker,
        outputLimit: Int = 1 << 20, defaultTimeout: Duration = .seconds(3600)
    ) {
        self.api = api
        self.namespace = namespace
        self.settings = settings
        self.masker = masker
        self.outputLimit = outputLimit
        self.defaultTimeout = defaultTimeout
    }

    // MARK: - Starting and re-attaching

    public func execute(
        _ artifact: Artifact, facts: RunFacts, revision: String?, stopRequested: @escaping @Sendable () async -> Bool,
        onOutput: @escaping @Sendable (StandardStream, [UInt8]) async -> Void
    ) async throws -> ScriptRun {
        guard artifact.content.count <= KubernetesJobManifest.artifactLimit else {
            throw KubernetesRunnerError(
                "the artifact of \(facts.scriptPath) is \(artifact.content.count) bytes; a ConfigMap holds at most \(KubernetesJobManifest.artifactLimit) (split the script, or run it with JOBRUNNER_RUNNER=local)")
        }
        let name = try jobName(facts)
        let container = try await applicationContainer()
        let manifest = KubernetesJobManifest(
            name: name, namespace: namespace, container: container, settings: settings, artifact: artifact, facts: facts,
            timeout: artifact.timeout ?? defaultTimeout)
        let uid = try await createJob(manifest)
        do {
            _ = try await api.create(.configMaps, namespace: namespace, manifest.configMap(jobUID: uid))
        } catch let error as KubernetesAPIError where error.isAlreadyExists {
            // Created by this same attempt before (a create that was retried).
        } catch {
            // Its pod waits for the artifact and never starts the script: take the Job away.
            try? await api.delete(.jobs, namespace: namespace, name: name, propagationPolicy: "Foreground")
            throw KubernetesRunnerError("the artifact's ConfigMap \(namespace)/\(name) could not be created: \(error)")
        }
        return try await follow(
            job: name, image: container.image, directory: manifest.appDirectory, timeout: manifest.timeout, revision: revision,
            stopRequested: stopRequested, onOutput: onOutput)
    }

    public func reattach(
        _ artifact: Artifact, facts: RunFacts, revision: String?, stopRequested: @escaping @Sendable () async -> Bool,
        onOutput: @escaping @Sendable (StandardStream, [UInt8]) async -> Void
    ) async throws -> ScriptRun {
        let selector = "\(KubernetesNames.pipelineLabel)=\(facts.pipelineID),\(KubernetesNames.attemptLabel)=\(facts.attempt)"
        let jobs: [JSONValue]
        do {
            jobs = try await withOutageTolerance { try await api.list(.jobs, namespace: namespace, labelSelector: selector) }
        } catch {
            if Task.isCancelled { throw ScriptRunDetached(run: "the Job of pipeline \(facts.pipelineID)") }
            throw ScriptRunLost("the Job of pipeline \(facts.pipelineID), attempt \(facts.attempt) could not be looked up to re-attach: \(error)")
        }
        guard let job = jobs.first, let name = job["metadata"]?["name"]?.string else {
            throw ScriptRunLost(
                "no Job of pipeline \(facts.pipelineID), attempt \(facts.attempt) (labels \(selector)) in namespace \(namespace): it was never created or has been deleted, so what the script did is unknown — check its effects, then retry or discard it")
        }
        let container = job["spec"]?["template"]?["spec"]?["containers"]?.array?.first
        let seconds = job["spec"]?["activeDeadlineSeconds"]?.number
        return try await follow(
            job: name, image: container?["image"]?.string ?? "unknown", directory: container?["workingDir"]?.string,
            timeout: seconds.map { .seconds($0) } ?? (artifact.timeout ?? defaultTimeout), revision: revision,
            stopRequested: stopRequested, onOutput: onOutput)
    }

    /// The Job's name; the pipeline id must be a number (it always is for EXECUTE).
    func jobName(_ facts: RunFacts) throws(KubernetesRunnerError) -> String {
        if let dryRun = facts.dryRunID { return KubernetesNames.dryRunJob(dryRun) }
        guard let id = Int64(facts.pipelineID) else { throw KubernetesRunnerError("pipeline id '\(facts.pipelineID)' is not a number") }
        return KubernetesNames.job(pipeline: PipelineID(id), attempt: facts.attempt)
    }

    /// The image (and the application's environment) scripts run with, read now: a new release
    /// of the Deployment is what the next script gets.
    public func applicationContainer() async throws -> ApplicationContainer {
        if let image = settings.image { return ApplicationContainer(image: image) }
        guard let reference = settings.deployment else {
            throw KubernetesRunnerError("neither JOBRUNNER_K8S_DEPLOYMENT nor JOBRUNNER_K8S_IMAGE is set: no image to run scripts in")
        }
        guard let deployment = try await api.get(.deployments, namespace: namespace, name: reference.deployment) else {
            throw KubernetesRunnerError(
                "the Deployment \(reference.deployment) is not in namespace \(namespace) (JOBRUNNER_K8S_DEPLOYMENT, JOBRUNNER_K8S_NAMESPACE)")
        }
        return try ApplicationContainer(deployment: deployment, container: reference.container)
    }

    /// Creates the Job once. A name already taken means this attempt's Job exists (an earlier
    /// try got through): it is followed, not created again. Returns its uid.
    private func createJob(_ manifest: KubernetesJobManifest) async throws -> String? {
        var delay = Duration.milliseconds(500)
        for attempt in 1...4 {
            do {
                let created = try await api.create(.jobs, namespace: namespace, manifest.job)
                return created["metadata"]?["uid"]?.string
            } catch let error as KubernetesAPIError where error.isAlreadyExists {
                return try await api.get(.jobs, namespace: namespace, name: manifest.name)?["metadata"]?["uid"]?.string
            } catch let error as KubernetesAPIError {
                guard case .unreachable = error, attempt < 4, !Task.isCancelled else {
                    if case .unreachable = error {
                        throw ScriptRunLost(
                            "the Job \(namespace)/\(manifest.name) could not be created: \(error); whether the API server created it is unknown — check `kubectl get job \(manifest.name) -n \(namespace)`, then retry or discard")
                    }
                    throw error
                }
                try await Task.sleep(for: delay)
                delay *= 2
            }
        }
        throw ScriptRunLost("the Job \(namespace)/\(manifest.name) could not be created")
    }

    // MARK: - Following a run

    /// Follows the Job to its end. Cancelled, it asks `stopRequested`: an operator's stop deletes
    /// the Job (`stopJob`); otherwise the Job is left running for the next worker.
    private func follow(
        job: String, image: String, directory: String?, timeout: Duration, revision: String?,
        stopRequested: @escaping @Sendable () async -> Bool, onOutput: @escaping @Sendable (StandardStream, [UInt8]) async -> Void
    ) async throws -> ScriptRun {
        let masker = SecretMasker(values: masker.values + SecretRegistry.process.masker.values)
        let capture = MaskedRunOutput(masker: masker, limit: outputLimit)
        let followed = Date()
        var ending: Ending
        do {
            ending = try await watch(job: job, timeout: timeout, since: followed) { bytes in
                let masked = capture.feed(.stdout, bytes)
                if !masked.isEmpty { await onOutput(.stdout, masked) }
            }
        } catch {
            guard Task.isCancelled || error is CancellationError else { throw error }
            let api = api
            let namespace = namespace
            // Not this task's: it is cancelled, and the stop must still reach the API server.
            let stop = await Task { await stopRequested() }.value
            guard stop else { throw ScriptRunDetached(run: "the Job \(namespace)/\(job)") }
            await Task { await stopJob(job) }.value
            ending = Ending(
                termination: KubernetesTermination(exitCode: nil, reason: "Deleted", message: "stopped by an operator: the Job was deleted"),
                startedAt: nil, finishedAt: Date(), cancelled: true)
        }
        let rests = capture.finish()
        if !rests.stdout.isEmpty { await onOutput(.stdout, rests.stdout) }
        let termination = ending.termination
        let outcome: ExecutionOutcome = ending.cancelled ? .cancelled : termination.outcome
        var facts = ApplicationFacts(directory: directory ?? "(the image's working directory)", revision: revision)
        facts.kubernetes = KubernetesRunFacts(
            namespace: namespace, job: job, image: image, reason: termination.reason, message: termination.message.map(masker.mask))
        return ScriptRun(
            outcome: outcome, exitCode: termination.exitCode, signal: termination.signal, timedOut: outcome == .timedOut,
            timeout: timeout, output: capture.captured, startedAt: ending.startedAt ?? followed,
            finishedAt: ending.finishedAt ?? Date(), application: facts)
    }

    /// Deletes the Job with foreground propagation (its pod first: SIGTERM, then SIGKILL after
    /// the pod's grace period) and waits until it is gone, so a stopped run is over when reported.
    func stopJob(_ job: String) async {
        try? await api.delete(.jobs, namespace: namespace, name: job, propagationPolicy: "Foreground")
        let until = Date().addingTimeInterval(45)
        while Date() < until {
            guard (try? await api.get(.jobs, namespace: namespace, name: job)) != nil else { return }
            try? await Task.sleep(for: pollInterval)
        }
    }

    struct Ending {
        var termination: KubernetesTermination
        var startedAt: Date?
        var finishedAt: Date?
        var cancelled = false
    }

    /// Looks at the Job and its pod until the container ended, streaming the log while it runs
    /// (a log that breaks off is opened again and what was seen skipped).
    private func watch(job: String, timeout: Duration, since followed: Date, output: @escaping @Sendable ([UInt8]) async -> Void)
        async throws -> Ending
    {
        var received = 0
        var waitingSince: Date?
        var giveUpAt = followed.addingTimeInterval((timeout + deadlineSlack).secondsDouble)
        while true {
            try Task.checkCancellation()
            let (jobObject, pod) = try await withOutageTolerance { () async throws -> (JSONValue?, JSONValue?) in
                let jobObject = try await api.get(.jobs, namespace: namespace, name: job)
                // The Job's pods carry its template's labels (pipeline and attempt) as well as `job-name`.
                let templateLabels = jobObject?["spec"]?["template"]?["metadata"]?["labels"]?.object ?? [:]
                let selector =
                    if let pipeline = templateLabels[KubernetesNames.pipelineLabel]?.string,
                        let attempt = templateLabels[KubernetesNames.attemptLabel]?.string
                    { "\(KubernetesNames.pipelineLabel)=\(pipeline),\(KubernetesNames.attemptLabel)=\(attempt)" }
                    else { "job-name=\(job)" }
                let pods = try await api.list(.pods, namespace: namespace, labelSelector: selector)
                return (jobObject, pods.max { ($0["metadata"]?["creationTimestamp"]?.string ?? "") < ($1["metadata"]?["creationTimestamp"]?.string ?? "") })
            }
            guard let jobObject else {
                throw ScriptRunLost("the Job \(namespace)/\(job) was deleted while its script ran; what the script did is unknown")
            }
            if let started = Self.date(jobObject["status"]?["startTime"]?.string) {
                giveUpAt = started.addingTimeInterval((timeout + deadlineSlack).secondsDouble)
            }
            let status = Self.containerStatus(pod)
            let startedAt = Self.date(status?["state"]?["running"]?["startedAt"]?.string ?? status?["state"]?["terminated"]?["startedAt"]?.string)
            if let failed = Self.condition(jobObject, "Failed"), failed["reason"]?.string == KubernetesTermination.deadlineExceeded {
                // Kubernetes deletes the pod at the deadline; what of its log is still there is kept.
                if let pod { received = try await stream(pod, skip: received, until: Date() + 5, output) }
                return Ending(
                    termination: KubernetesTermination(
                        exitCode: status?["state"]?["terminated"]?["exitCode"]?.number.map { Int32($0) },
                        reason: KubernetesTermination.deadlineExceeded, message: failed["message"]?.string),
                    startedAt: startedAt, finishedAt: Self.date(failed["lastTransitionTime"]?.string))
            }
            if let terminated = status?["state"]?["terminated"], let pod {
                received = try await stream(pod, skip: received, until: Date() + 10, output)
                return Ending(
                    termination: KubernetesTermination(
                        exitCode: terminated["exitCode"]?.number.map { Int32($0) }, reason: terminated["reason"]?.string,
                        message: terminated["message"]?.string),
                    startedAt: startedAt, finishedAt: Self.date(terminated["finishedAt"]?.string))
            }
            if let pod, pod["status"]?["phase"]?.string == "Failed" {
                // Evicted (node pressure) or killed without a container status.
                received = (try? await stream(pod, skip: received, until: Date() + 5, output)) ?? received
                return Ending(
                    termination: KubernetesTermination(
                        exitCode: nil, reason: pod["status"]?["reason"]?.string ?? "Failed", message: pod["status"]?["message"]?.string),
                    startedAt: startedAt, finishedAt: Date())
            }
            if pod == nil, Self.condition(jobObject, "Failed") != nil || Self.condition(jobObject, "Complete") != nil {
                throw ScriptRunLost(
                    "the pod of Job \(namespace)/\(job) is gone without a status (the Job says: \(Self.condition(jobObject, "Failed")?["message"]?.string ?? "ended")); what the script did is unknown")
            }
            if let pod, status?["state"]?["running"] != nil {
                received = try await stream(pod, skip: received, until: giveUpAt, output)
                continue
            }
            if let waiting = status?["state"]?["waiting"], let reason = waiting["reason"]?.string, Self.startFailures.contains(reason) {
                let since = waitingSince ?? Date()
                waitingSince = since
                if Date().timeIntervalSince(since) > startTimeout.secondsDouble {
                    await stopJob(job)
                    throw KubernetesRunnerError(
                        "the pod of Job \(namespace)/\(job) could not start its container: \(reason)\(waiting["message"]?.string.map { ": \($0)" } ?? "") — the script did not run")
                }
            } else {
                waitingSince = nil
            }
            if Date() > giveUpAt {
                await stopJob(job)
                return Ending(
                    termination: KubernetesTermination(
                        exitCode: nil, reason: KubernetesTermination.deadlineExceeded,
                        message: "Jobrunner stopped waiting \(deadlineSlack) past the time limit and deleted the Job"),
                    startedAt: startedAt, finishedAt: Date())
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    /// Waiting reasons that do not pass by themselves.
    static let startFailures: Set<String> = [
        "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError",
    ]

    /// Streams the pod's log until it ends (the container ended, or the connection broke) or
    /// `until`; the first `skip` bytes were seen before. Returns the bytes seen in all.
    private func stream(_ pod: JSONValue, skip: Int, until: Date, _ output: @escaping @Sendable ([UInt8]) async -> Void)
        async throws -> Int
    {
        guard let name = pod["metadata"]?["name"]?.string else { return skip }
        let seen = Locked(skip)
        let api = api
        let namespace = namespace
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    var toSkip = skip
                    for try await chunk in try await api.followLog(namespace: namespace, pod: name, container: KubernetesJobManifest.containerName) {
                        var bytes = chunk[...]
                        let dropped = min(toSkip, bytes.count)
                        toSkip -= dropped
                        bytes = bytes.dropFirst(dropped)
                        seen.withLock { $0 += chunk.count }
                        if !bytes.isEmpty { await output(Array(bytes)) }
                    }
                } catch {
                    // The loop looks at the pod again and opens the log anew if it still runs.
                }
            }
            group.addTask { try? await Task.sleep(for: .seconds(max(0, until.timeIntervalSinceNow))) }
            await group.next()
            group.cancelAll()
        }
        try Task.checkCancellation()
        // A stream that ended at once (container starting) must not spin.
        if seen.value == skip { try await Task.sleep(for: pollInterval) }
        return seen.value
    }

    /// Retries what fails because the API server cannot be reached, for `outageTolerance`.
    private func withOutageTolerance<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let start = Date()
        while true {
            do {
                return try await body()
            } catch let error as KubernetesAPIError {
                let transient: Bool
                switch error {
                case .unreachable: transient = true
                case .status(_, _, let code, _, _): transient = code >= 500 || code == 429
                case .invalidResponse: transient = false
                }
                guard transient, !Task.isCancelled, Date().timeIntervalSince(start) < outageTolerance.secondsDouble else {
                    if Task.isCancelled { throw CancellationError() }
                    if transient { throw ScriptRunLost("lost the Kubernetes API while following the run: \(error)") }
                    throw error
                }
                try await Task.sleep(for: pollInterval)
            }
        }
    }

    static func containerStatus(_ pod: JSONValue?) -> JSONValue? {
        pod?["status"]?["containerStatuses"]?.array?.first { $0["name"]?.string == KubernetesJobManifest.containerName }
    }

    static func condition(_ job: JSONValue, _ type: String) -> JSONValue? {
        job["status"]?["conditions"]?.array?.first { $0["type"]?.string == type && $0["status"]?.string == "True" }
    }

    static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        return try? Date(text, strategy: .iso8601)
    }
}
