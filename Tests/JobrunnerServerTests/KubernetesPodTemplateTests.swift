import Foundation
import JobrunnerCore
import JobrunnerKubernetes
import JobrunnerStages
import JobrunnerTestSupport
import Testing

/// A script's pod is the application's pod template — security contexts, pull secrets, the
/// volumes its container mounts, scheduling — minus the service account token, probes and
/// ports, and made to meet the `restricted` Pod Security Standard unless the operator says not.
@Suite("Kubernetes: the script's pod from the Deployment's pod template")
struct KubernetesPodTemplateTests {
    static let caBundle = "-----BEGIN CERTIFICATE-----\nMIIB-acme-internal-ca\n-----END CERTIFICATE-----\n"

    /// What an application's Deployment typically has around its container.
    static var pod: [String: Any] { [
        "serviceAccountName": "billing-web",
        "securityContext": ["runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 2000],
        "imagePullSecrets": [["name": "registry-credentials"]],
        "nodeSelector": ["pool": "batch"],
        "tolerations": [["key": "dedicated", "operator": "Equal", "value": "billing", "effect": "NoSchedule"]],
        "affinity": ["nodeAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": ["nodeSelectorTerms": [
            ["matchExpressions": [["key": "topology.kubernetes.io/zone", "operator": "In", "values": ["eu-west-1a"]]]],
        ]]]],
        "hostNetwork": true,
        "volumes": [
            ["name": "internal-ca", "secret": ["secretName": "internal-ca"]],
            ["name": "app-token", "projected": ["sources": [["serviceAccountToken": ["path": "token", "audience": "vault"]]]]],
            ["name": "docker-socket", "hostPath": ["path": "/var/run/docker.sock"]],
            ["name": "sidecar-cache", "emptyDir": [String: Any]()],
            ["name": "scratch", "emptyDir": [String: Any]()],
        ],
    ] }

    static var container: [String: Any] { [
        "securityContext": ["readOnlyRootFilesystem": true, "capabilities": ["add": ["NET_ADMIN"]]],
        "env": [["name": "SSL_CERT_FILE", "value": "/etc/acme/ca/ca.crt"]],
        "volumeMounts": [
            ["name": "internal-ca", "mountPath": "/etc/acme/ca", "readOnly": true],
            ["name": "app-token", "mountPath": "/var/run/secrets/vault"],
            ["name": "docker-socket", "mountPath": "/var/run/docker.sock"],
            ["name": "scratch", "mountPath": "/scratch"],
        ],
        "ports": [["containerPort": 8080]],
        "livenessProbe": ["httpGet": ["path": "/healthz", "port": 8080]],
        "readinessProbe": ["httpGet": ["path": "/ready", "port": 8080]],
        "lifecycle": ["preStop": ["exec": ["command": ["sleep", "5"]]]],
    ] }

    static func world(_ name: String, configure: (inout KubernetesRunnerSettings) -> Void = { _ in }) async throws
        -> KubernetesRunnerTests.World
    {
        try await KubernetesRunnerTests.World.make(
            name, restricted: true, pod: pod, container: container, configure: configure,
            before: { standIn in
                try await standIn.create(
                    "/api/v1/namespaces/scripts/secrets",
                    ["metadata": ["name": "internal-ca"], "data": ["ca.crt": Data(caBundle.utf8).base64EncodedString()]])
            })
    }

    @Test
    func aScriptRunsInTheApplicationsPodMadeRestrictedAndReadsItsMountedCABundle() async throws {
        let world = try await Self.world("k8s-pod-template")
        defer { world.standIn.stop() }
        let (run, output) = try await world.run(
            KubernetesRunnerTests.python("import os\nprint(open(os.environ['SSL_CERT_FILE']).read(), end='')\n"),
            KubernetesRunnerTests.facts(51))
        let refused = try await world.standIn.refused()
        #expect(refused.isEmpty, "admitted where `restricted` is enforced: \(refused)")
        #expect(run.outcome == .succeeded, "\(output)")
        #expect(output == Self.caBundle, "the application's mounted CA bundle is where its env says")

        let job = try #require(try await world.standIn.get("/apis/batch/v1/namespaces/scripts/jobs/jobrunner-51-1"))
        let spec = try #require(((job["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])
        let podContext = try #require(spec["securityContext"] as? [String: Any])
        #expect(podContext["runAsUser"] as? Int == 1000 && podContext["runAsGroup"] as? Int == 1000 && podContext["fsGroup"] as? Int == 2000)
        #expect(podContext["runAsNonRoot"] as? Bool == true)
        #expect((podContext["seccompProfile"] as? [String: Any])?["type"] as? String == "RuntimeDefault")
        #expect((spec["imagePullSecrets"] as? [[String: String]]) == [["name": "registry-credentials"]])
        #expect((spec["nodeSelector"] as? [String: String]) == ["pool": "batch"])
        #expect((spec["tolerations"] as? [[String: Any]])?.first?["value"] as? String == "billing")
        #expect(spec["affinity"] != nil)
        #expect(spec["hostNetwork"] == nil, "never the host's namespaces")
        #expect(spec["serviceAccountName"] as? String == "jobrunner-script", "not the application's service account")
        #expect(spec["automountServiceAccountToken"] as? Bool == false)
        let volumes = Set((spec["volumes"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
        #expect(volumes == ["internal-ca", "scratch", KubernetesJobManifest.artifactVolume],
            "no token projection, no hostPath under restricted, no sidecar's volume: \(volumes)")

        let container = try #require((spec["containers"] as? [[String: Any]])?.first)
        let context = try #require(container["securityContext"] as? [String: Any])
        #expect(context["allowPrivilegeEscalation"] as? Bool == false && context["runAsNonRoot"] as? Bool == true)
        #expect((context["capabilities"] as? [String: [String]]) == ["drop": ["ALL"]], "the application's NET_ADMIN is not kept")
        #expect(context["readOnlyRootFilesystem"] as? Bool == true, "the application's own hardening stays")
        for field in ["ports", "livenessProbe", "readinessProbe", "lifecycle"] {
            #expect(container[field] == nil, "\(field) is the application's, not a script's")
        }
        let mounts = (container["volumeMounts"] as? [[String: Any]] ?? []).compactMap { $0["mountPath"] as? String }
        #expect(Set(mounts) == ["/etc/acme/ca", "/scratch", world.app + "/.jobrunner"], "\(mounts)")
    }

    @Test
    func theApplicationsContextsAsTheyAreCanBeAskedForAndAreRefusedWhereRestrictedIsEnforced() async throws {
        let world = try await Self.world("k8s-pod-application") { $0.podSecurity = .application }
        defer { world.standIn.stop() }
        let (run, output) = try await world.run(
            KubernetesRunnerTests.python("print('ran')\n", timeout: .seconds(2)), KubernetesRunnerTests.facts(52))
        #expect(run.outcome == .timedOut, "no pod was admitted: \(output)")
        let refused = try await world.standIn.refused()
        #expect(refused.first?["job"] as? String == "jobrunner-52-1")
        let job = try #require(try await world.standIn.get("/apis/batch/v1/namespaces/scripts/jobs/jobrunner-52-1"))
        let spec = try #require(((job["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])
        #expect((spec["securityContext"] as? [String: Any])?["runAsNonRoot"] == nil, "the Deployment's context verbatim")
        let volumes = Set((spec["volumes"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
        #expect(volumes.contains("docker-socket"), "every volume the container mounts, hostPath included")
        #expect(!volumes.contains("app-token"), "but never a token")
    }

    static func manifest(_ settings: KubernetesRunnerSettings) throws -> KubernetesJobManifest {
        let deployment: JSONValue = try JSONValue.decode(
            JSONSerialization.data(withJSONObject: [
                "metadata": ["name": "web"],
                "spec": ["template": ["spec": pod.merging(["containers": [container.merging(["name": "app", "image": "acme/app:1"]) { $1 }]]) { $1 }]],
            ]))
        return KubernetesJobManifest(
            name: "jobrunner-1-1", namespace: "scripts", container: try ApplicationContainer(deployment: deployment, container: "app"),
            settings: settings, artifact: KubernetesRunnerTests.python("print(1)\n"), facts: KubernetesRunnerTests.facts(1),
            timeout: .seconds(60))
    }

    @Test
    func aDryRunGetsNoneOfTheApplicationsVolumes() throws {
        var settings = KubernetesRunnerSettings()
        settings.forDryRuns = true
        let job = try Self.manifest(settings).job
        let spec = try #require(job["spec"]?["template"]?["spec"])
        #expect(spec["volumes"]?.array?.compactMap { $0["name"]?.string } == [KubernetesJobManifest.artifactVolume],
            "mounted Secrets and config files are the production configuration")
        #expect(spec["imagePullSecrets"] != nil && spec["nodeSelector"] != nil, "it still pulls and lands like the application")
    }

    /// The Jobs Jobrunner makes (each mode) are valid Kubernetes 1.31 objects — checked against
    /// the schemas of the official client (`scripts/test` installs it), which also refuse a typo.
    @Test
    func everyJobIsValidAgainstTheKubernetesSchema() async throws {
        guard let python = ProcessInfo.processInfo.environment["JOBRUNNER_TEST_KUBERNETES_PYTHON"] else {
            #expect(ProcessInfo.processInfo.environment["JOBRUNNER_TEST_REQUIRE_POSTGRES"] == nil, "scripts/test sets JOBRUNNER_TEST_KUBERNETES_PYTHON")
            return
        }
        let directory = try TemporaryDirectory("k8s-schema")
        var objects: [JSONValue] = []
        for security in KubernetesPodSecurity.allCases {
            for dryRun in [false, true] {
                var settings = KubernetesRunnerSettings()
                settings.podSecurity = security
                settings.forDryRuns = dryRun
                settings.resources = KubernetesResources(requests: ["cpu": "250m"], limits: ["memory": "1Gi"])
                let manifest = try Self.manifest(settings)
                objects += [manifest.job, manifest.configMap(jobUID: "0b5e1c1e-0000-4000-8000-000000000001")]
            }
        }
        let check = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Support/kubernetes-schema-check.py").path
        let valid = directory.file("valid.json")
        try JSONValue.array(objects).encoded().write(to: URL(fileURLWithPath: valid))
        let result = try await onDedicatedThread { try runToCompletion([python, check, valid], in: directory.path) }
        #expect(result.status == 0, "\(String(decoding: result.stdout + result.stderr, as: UTF8.self))")

        // The check itself refuses what the API server would: an unknown field, a wrong type.
        guard case .object(var job) = objects[0], case .object(var spec) = job["spec"] else { return }
        spec["backoffLimit"] = "zero"
        spec["restartPolicyy"] = "Never"
        job["spec"] = .object(spec)
        let invalid = directory.file("invalid.json")
        try JSONValue.array([.object(job)]).encoded().write(to: URL(fileURLWithPath: invalid))
        let refused = try await onDedicatedThread { try runToCompletion([python, check, invalid], in: directory.path) }
        let problems = String(decoding: refused.stdout, as: UTF8.self)
        #expect(refused.status == 1 && problems.contains("restartPolicyy: unknown field") && problems.contains("backoffLimit"), "\(problems)")
    }
}
