import Foundation
import JobrunnerCore

/// The container a script runs in: the application's image, and (from its Deployment) the
/// environment and working directory the application itself has.
public struct ApplicationContainer: Sendable, Equatable {
    public var image: String
    /// The Deployment container's `env` entries, verbatim (values and `valueFrom` references).
    public var env: [JSONValue] = []
    /// The Deployment container's `envFrom` entries, verbatim.
    public var envFrom: [JSONValue] = []
    public var workingDir: String?
    /// The rest of the Deployment's pod template a script's pod takes.
    public var pod: ApplicationPodTemplate

    public init(
        image: String, env: [JSONValue] = [], envFrom: [JSONValue] = [], workingDir: String? = nil,
        pod: ApplicationPodTemplate = ApplicationPodTemplate()
    ) {
        self.image = image
        self.env = env
        self.envFrom = envFrom
        self.workingDir = workingDir
        self.pod = pod
    }

    /// `container` (or the first) of a Deployment object.
    public init(deployment: JSONValue, container: String?) throws(KubernetesRunnerError) {
        let name = deployment["metadata"]?["name"]?.string ?? "?"
        let podSpec = deployment["spec"]?["template"]?["spec"]
        let containers = podSpec?["containers"]?.array ?? []
        guard let chosen = container.map({ wanted in containers.first { $0["name"]?.string == wanted } }) ?? containers.first,
            let image = chosen["image"]?.string
        else {
            throw KubernetesRunnerError(
                container.map { "the Deployment \(name) has no container '\($0)' (JOBRUNNER_K8S_DEPLOYMENT=\(name)/CONTAINER)" }
                    ?? "the Deployment \(name) has no container with an image")
        }
        self.init(
            image: image, env: chosen["env"]?.array ?? [], envFrom: chosen["envFrom"]?.array ?? [],
            workingDir: chosen["workingDir"]?.string, pod: ApplicationPodTemplate(pod: podSpec, container: chosen))
    }
}

/// The Job (and the ConfigMap carrying the artifact) of one EXECUTE attempt. At most once:
/// `backoffLimit: 0`, `restartPolicy: Never`; the time limit as `activeDeadlineSeconds`; a
/// service account without API access and no token mounted.
public struct KubernetesJobManifest: Sendable {
    public var name: String
    public var namespace: String
    public var container: ApplicationContainer
    public var settings: KubernetesRunnerSettings
    public var artifact: Artifact
    public var facts: RunFacts
    public var timeout: Duration

    /// The container's name in every script pod.
    public static let containerName = "script"
    /// ConfigMaps hold at most 1 MiB; what is left after the object's own fields.
    public static let artifactLimit = 1_000_000

    public init(
        name: String, namespace: String, container: ApplicationContainer, settings: KubernetesRunnerSettings, artifact: Artifact,
        facts: RunFacts, timeout: Duration
    ) {
        self.name = name
        self.namespace = namespace
        self.container = container
        self.settings = settings
        self.artifact = artifact
        self.facts = facts
        self.timeout = timeout
    }

    /// The application's directory in the image, when known.
    public var appDirectory: String? { settings.appDirectory ?? container.workingDir }

    /// Inside the application's directory when it is known, so a Node ES module's `import` of a
    /// package resolves from the application's `node_modules` as for its own files.
    public var artifactDirectory: String { appDirectory.map { ($0.hasSuffix("/") ? $0 : $0 + "/") + ".jobrunner" } ?? "/jobrunner" }

    public var command: [String] {
        artifact.runCommand.map {
            $0.replacingOccurrences(of: "{artifact}", with: artifactDirectory + "/" + artifact.fileName)
                .replacingOccurrences(of: "{python}", with: settings.python)
        }
    }

    public var labels: [String: JSONValue] {
        if let dryRun = facts.dryRunID {
            return [KubernetesNames.managedByLabel: "jobrunner", KubernetesNames.dryRunLabel: .string(String(dryRun))]
        }
        return [
            KubernetesNames.managedByLabel: "jobrunner", KubernetesNames.pipelineLabel: .string(facts.pipelineID),
            KubernetesNames.attemptLabel: .string(String(facts.attempt)),
        ]
    }

    /// The application container's own variables — none for a dry run, which must not get the
    /// production configuration.
    var applicationEnv: [JSONValue] { settings.forDryRuns ? [] : container.env }

    /// The script's own variables; the application's (`env`, `envFrom`) come first, so these win.
    var environment: [JSONValue] {
        var variables = facts.variables.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let defined = Set(applicationEnv.compactMap { $0["name"]?.string })
        if let appDirectory {
            variables.append(("JOBRUNNER_APP_DIR", appDirectory))
            if !defined.contains("PYTHONPATH") { variables.append(("PYTHONPATH", appDirectory)) }
            if !defined.contains("NODE_PATH") { variables.append(("NODE_PATH", appDirectory + "/node_modules")) }
        }
        return applicationEnv + variables.map { ["name": .string($0.0), "value": .string($0.1)] }
    }

    var envFrom: [JSONValue] {
        let sources = settings.forDryRuns ? settings.dryRunEnvironmentSources : settings.environmentSources
        return (settings.forDryRuns ? [] : container.envFrom)
            + sources.map { source -> JSONValue in
                switch source {
                case .configMap(let name): ["configMapRef": ["name": .string(name)]]
                case .secret(let name): ["secretRef": ["name": .string(name)]]
                }
            }
    }

    var resources: JSONValue {
        var resources: [String: JSONValue] = [:]
        if !settings.resources.requests.isEmpty { resources["requests"] = .object(settings.resources.requests.mapValues { .string($0) }) }
        if !settings.resources.limits.isEmpty { resources["limits"] = .object(settings.resources.limits.mapValues { .string($0) }) }
        return .object(resources)
    }

    /// The artifact's volume; named so that no application volume is called the same.
    public static let artifactVolume = "jobrunner-artifact"

    /// The application's volumes the script's pod mounts: none for a dry run (they may hold the
    /// production configuration: mounted Secrets, config files); under `restricted`, only the
    /// types the standard allows; never one mounted where the artifact goes.
    var applicationVolumes: (volumes: [JSONValue], mounts: [JSONValue]) {
        guard !settings.forDryRuns else { return ([], []) }
        let volumes = container.pod.volumes.filter { volume in
            volume["name"]?.string != Self.artifactVolume
                && (settings.podSecurity == .application
                    || ApplicationPodTemplate.type(of: volume).map(RestrictedPodSecurity.volumeTypes.contains) == true)
        }
        let names = Set(volumes.compactMap { $0["name"]?.string })
        let mounts = container.pod.volumeMounts.filter { mount in
            mount["name"]?.string.map(names.contains) == true && mount["mountPath"]?.string != artifactDirectory
        }
        let mounted = Set(mounts.compactMap { $0["name"]?.string })
        return (volumes.filter { $0["name"]?.string.map(mounted.contains) == true }, mounts)
    }

    var podSecurityContext: JSONValue? {
        switch settings.podSecurity {
        case .restricted: RestrictedPodSecurity.pod(container.pod.podSecurityContext)
        case .application: container.pod.podSecurityContext
        }
    }

    var containerSecurityContext: JSONValue? {
        switch settings.podSecurity {
        case .restricted: RestrictedPodSecurity.container(container.pod.securityContext)
        case .application: container.pod.securityContext
        }
    }

    public var job: JSONValue {
        let (volumes, mounts) = applicationVolumes
        var script: [String: JSONValue] = [
            "name": .string(Self.containerName), "image": .string(container.image),
            "command": .array(command.map { .string($0) }), "env": .array(environment), "resources": resources,
            "volumeMounts": .array(mounts + [["name": .string(Self.artifactVolume), "mountPath": .string(artifactDirectory), "readOnly": true]]),
        ]
        if !envFrom.isEmpty { script["envFrom"] = .array(envFrom) }
        if let appDirectory { script["workingDir"] = .string(appDirectory) }
        if let containerSecurityContext { script["securityContext"] = containerSecurityContext }
        var pod: [String: JSONValue] = [
            "restartPolicy": "Never", "serviceAccountName": .string(settings.serviceAccount),
            "automountServiceAccountToken": false, "enableServiceLinks": false,
            "containers": [.object(script)],
            // 0555: the artifact may be a binary that runs itself.
            "volumes": .array(volumes + [["name": .string(Self.artifactVolume), "configMap": ["name": .string(name), "defaultMode": 365]]]),
        ]
        for (field, value) in container.pod.scheduling { pod[field] = value }
        if !container.pod.imagePullSecrets.isEmpty { pod["imagePullSecrets"] = .array(container.pod.imagePullSecrets) }
        if let podSecurityContext { pod["securityContext"] = podSecurityContext }
        let seconds = max(1, Int(timeout.secondsDouble.rounded(.up)))
        return [
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": [
                "name": .string(name), "namespace": .string(namespace), "labels": .object(labels),
                "annotations": [
                    "jobrunner.dev/repository": .string(facts.repository), "jobrunner.dev/commit": .string(facts.commit),
                    "jobrunner.dev/script": .string(facts.scriptPath),
                    "jobrunner.dev/kind": .string(facts.dryRunID == nil ? "execute" : "dry-run"),
                ],
            ],
            "spec": [
                "backoffLimit": 0, "activeDeadlineSeconds": .number(Double(seconds)),
                "ttlSecondsAfterFinished": .number(Double(Int(settings.jobTTL.secondsDouble))),
                "template": ["metadata": ["labels": .object(labels)], "spec": .object(pod)],
            ],
        ]
    }

    /// The artifact's ConfigMap, owned by the Job: deleted with it. The pod waits for it.
    public func configMap(jobUID: String?) -> JSONValue {
        var metadata: [String: JSONValue] = ["name": .string(name), "namespace": .string(namespace), "labels": .object(labels)]
        if let jobUID {
            metadata["ownerReferences"] = [["apiVersion": "batch/v1", "kind": "Job", "name": .string(name), "uid": .string(jobUID)]]
        }
        return [
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": .object(metadata),
            "binaryData": .object([artifact.fileName: .string(Data(artifact.content).base64EncodedString())]),
        ]
    }
}

/// Why a script could not be given a Job, with what to change.
public struct KubernetesRunnerError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
