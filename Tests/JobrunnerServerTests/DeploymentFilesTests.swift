import Foundation
import JobrunnerCore
import JobrunnerTestSupport
import Testing

/// The deployment files under deploy/ and .github/ against the code: they may only name settings
/// the service reads, and must not drift from what the set-up scripts install.
@Suite("Deployment files")
struct DeploymentFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    static var deploymentFiles: [String] {
        let manager = FileManager.default
        var files: [String] = []
        for folder in ["deploy", ".github"] {
            guard let walker = manager.enumerator(atPath: root.appendingPathComponent(folder).path) else { continue }
            for case let path as String in walker where !path.hasSuffix("/") {
                var isDirectory: ObjCBool = false
                manager.fileExists(atPath: root.appendingPathComponent("\(folder)/\(path)").path, isDirectory: &isDirectory)
                if !isDirectory.boolValue { files.append("\(folder)/\(path)") }
            }
        }
        return files.sorted()
    }

    @Test
    func everySettingNamedInTheDeploymentFilesIsOneTheServiceReads() throws {
        let files = Self.deploymentFiles
        #expect(files.contains("deploy/Dockerfile") && files.contains("deploy/systemd/jobrunner.service"))
        let known = Set(Setting.allCases.map(\.rawValue))
        let pattern = try Regex("JOBRUNNER_[A-Z0-9_]+")
        var named: Set<String> = []
        for file in files {
            for match in try Self.read(file).matches(of: pattern) {
                let name = String(match.output[0].substring ?? "")
                named.insert(name)
                #expect(known.contains(name), "\(file) names \(name), which the service does not read")
            }
        }
        #expect(named.isSuperset(of: ["JOBRUNNER_WEBHOOK_SECRET", "JOBRUNNER_REPOSITORIES", "JOBRUNNER_DATA_DIR"]))
    }

    @Test
    func everyDeploymentLetsTheScriptSandboxStartAndGrantsNothingElse() async throws {
        // The image has bubblewrap; Compose lifts only the seccomp/AppArmor/masked-/proc limits.
        #expect(try Self.read("deploy/Dockerfile").contains(" bubblewrap "))
        let compose = try Self.read("deploy/docker-compose.yml")
        for option in ["seccomp=unconfined", "apparmor=unconfined", "systempaths=unconfined"] { #expect(compose.contains(option)) }
        #expect(!compose.contains("cap_add") && !compose.contains("privileged"))
        // systemd: the namespaces bubblewrap uses are allowed, no capability is.
        let unit = try Self.read("deploy/systemd/jobrunner.service")
        let namespaces = try #require(unit.split(separator: "\n").first { $0.hasPrefix("RestrictNamespaces=") })
        for name in ["user", "pid", "mnt"] { #expect(namespaces.split(separator: "=")[1].split(separator: " ").contains(Substring(name))) }
        #expect(unit.contains("CapabilityBoundingSet=\n") && unit.contains("NoNewPrivileges=yes"))
        #expect(!unit.contains("ProtectKernelTunables=yes"), "it would keep the sandbox from mounting its /proc")
        // Helm: no capability, no privilege escalation, non-root; only what namespaces need.
        let rendered = try await onDedicatedThread {
            try HelmChartTests.render(["secrets.JOBRUNNER_WEBHOOK_SECRET=hook", "config.JOBRUNNER_REPOSITORIES=acme/ops"])
        }
        let pod = try #require(((try HelmChartTests.document("Deployment", in: rendered)["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])
        #expect(pod["hostUsers"] as? Bool == false)
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        let security = try #require(container["securityContext"] as? [String: Any])
        #expect((security["capabilities"] as? [String: Any])?["drop"] as? [String] == ["ALL"])
        #expect((security["capabilities"] as? [String: Any])?["add"] == nil)
        #expect(security["allowPrivilegeEscalation"] as? Bool == false)
        #expect(security["privileged"] == nil)
        #expect((security["seccompProfile"] as? [String: Any])?["type"] as? String == "Unconfined")
        #expect(security["procMount"] as? String == "Unmasked")
        #expect((pod["securityContext"] as? [String: Any])?["runAsNonRoot"] as? Bool == true)
    }

    @Test
    func theComposeFileRunsJobrunnerOnTheHealthyPostgreSQLItStarts() async throws {
        // docker is not installable here: parse the file as compose would and check its shape.
        let path = Self.root.appendingPathComponent("deploy/docker-compose.yml").path
        let result = try await onDedicatedThread {
            try runToCompletion(
                ["python3", "-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", path],
                in: "/")
        }
        #expect(result.status == 0, "\(String(decoding: result.stderr, as: UTF8.self))")
        let compose = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        let services = try #require(compose["services"] as? [String: [String: Any]])
        let postgres = try #require(services["postgres"])
        let jobrunner = try #require(services["jobrunner"])
        #expect((postgres["image"] as? String)?.hasPrefix("postgres:") == true)
        #expect(postgres["healthcheck"] != nil, "jobrunner waits for a healthy database")
        let dependsOn = try #require(jobrunner["depends_on"] as? [String: [String: String]])
        #expect(dependsOn["postgres"]?["condition"] == "service_healthy")
        #expect((jobrunner["build"] as? [String: String])?["dockerfile"] == "deploy/Dockerfile")
        let environment = try #require(jobrunner["environment"] as? [String: Any])
        let url = try #require(environment["JOBRUNNER_DATABASE_URL"] as? String)
        #expect(url.hasPrefix("postgres://jobrunner:") && url.contains("@postgres:5432/jobrunner"))
        #expect(DatabaseLocation(parsing: url) == .postgres(url: url))
        for name in environment.keys {
            #expect(Setting(rawValue: name) != nil, "compose sets \(name), which the service does not read")
        }
        #expect(environment["JOBRUNNER_WEBHOOK_SECRET"] as? String == "${JOBRUNNER_WEBHOOK_SECRET:?set JOBRUNNER_WEBHOOK_SECRET in deploy/.env}")
        #expect((jobrunner["volumes"] as? [String])?.contains("jobrunner-data:/var/lib/jobrunner") == true)
    }

    @Test
    func theImageInstallsWhatTheSetUpScriptsInstallForRunningScripts() throws {
        let setup = try Self.read("scripts/lib/setup.sh")
        let block = try #require(setup.firstRange(of: "JOBRUNNER_RUNTIME_PACKAGES=(").map { setup[$0.upperBound...] })
        let packages = block.prefix { $0 != ")" }.split(whereSeparator: \.isWhitespace).map(String.init)
        #expect(packages.contains("esbuild") && packages.contains("nodejs"))
        let dockerfile = try Self.read("deploy/Dockerfile")
        let runtime = try #require(dockerfile.components(separatedBy: "FROM ").last)
        for package in packages {
            #expect(runtime.contains(" \(package) ") || runtime.contains(" \(package)\n"), "the image lacks \(package)")
        }
        #expect(runtime.contains("USER jobrunner"), "runs as a non-root user")
        #expect(runtime.contains("HEALTHCHECK") && runtime.contains("/healthz"))
        #expect(runtime.contains("VOLUME [\"/var/lib/jobrunner\"]"))
        // The dashboard's templates are a resource bundle that must sit next to the binary.
        #expect(runtime.contains("COPY --from=build /out/jobrunner_JobrunnerServer.resources /usr/local/bin/jobrunner_JobrunnerServer.resources"))
    }

    @Test
    func theSystemdUnitStopsAfterTheGracePeriodAndSandboxesWithoutBreakingScripts() throws {
        let unit = try Self.read("deploy/systemd/jobrunner.service")
        var service: [String: String] = [:]
        var section = ""
        for line in unit.split(separator: "\n") where !line.hasPrefix("#") {
            if line.hasPrefix("[") { section = String(line); continue }
            guard section == "[Service]", let equals = line.firstIndex(of: "=") else { continue }
            service[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        #expect(service["ExecStart"] == "/usr/local/bin/jobrunner serve")
        let stop = try #require(service["TimeoutStopSec"].flatMap { DurationParser.parse($0) })
        #expect(stop > Settings().shutdownGracePeriod, "systemd must not SIGKILL before the grace period ends")
        #expect(service["KillMode"] == "mixed")
        #expect(service["RestartPreventExitStatus"] == "78", "configuration errors are not restarted")
        #expect(service["MemoryDenyWriteExecute"] == nil, "node needs W+X memory for its JIT")
        #expect(service["ProtectSystem"] == "strict" && service["ReadWritePaths"] == "/var/lib/jobrunner")
        #expect(service["NoNewPrivileges"] == "yes")
        let ci = try Self.read(".github/workflows/ci.yml")
        #expect(ci.contains("bash .ci/run"), "CI runs the README's test command")
        let check = try Self.read(".github/workflows/jobrunner-check.yml")
        #expect(check.contains("jobrunner check --base") && check.contains("upload-artifact"))
    }
}

/// The Helm chart, rendered by deploy/helm/render.py (helm itself is not installable here) and
/// parsed as YAML: what it produces for SQLite and for PostgreSQL replicas, and what it refuses.
@Suite("Helm chart")
struct HelmChartTests {
    struct Rendered: Sendable {
        var status: Int32
        var json: Data
        var error: String
        var documents: [[String: Any]] {
            (try? JSONSerialization.jsonObject(with: json) as? [[String: Any]]) ?? []
        }
    }

    /// Renders with `--set` values and converts the YAML stream to JSON with PyYAML.
    static func render(_ sets: [String]) throws -> Rendered {
        let root = DeploymentFilesTests.root.path
        let script = """
            set -o pipefail
            python3 deploy/helm/render.py deploy/helm/jobrunner \(sets.map { "--set '\($0)'" }.joined(separator: " ")) \
            | python3 -c 'import json, sys, yaml; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d]))'
            """
        let result = try runToCompletion(["bash", "-c", script], in: root)
        return Rendered(
            status: result.status, json: result.status == 0 ? result.stdout : Data("[]".utf8),
            error: String(decoding: result.stderr, as: UTF8.self))
    }

    static func document(_ kind: String, in rendered: Rendered) throws -> [String: Any] {
        try #require(rendered.documents.first { $0["kind"] as? String == kind })
    }

    @Test
    func theChartPutsScriptsInTheApplicationsContext() async throws {
        let rendered = try await onDedicatedThread {
            try Self.render([
                "secrets.JOBRUNNER_WEBHOOK_SECRET=hook", "config.JOBRUNNER_REPOSITORIES=acme/app", "appDir=/app",
                "appRevision=http://app.acme.svc/version", "deployWait=30m", "scriptEnvSecret.name=app-settings",
            ])
        }
        #expect(rendered.status == 0, "\(rendered.error)")
        let config = try #require(try Self.document("ConfigMap", in: rendered)["data"] as? [String: String])
        #expect(config["JOBRUNNER_APP_DIR"] == "/app")
        #expect(config["JOBRUNNER_APP_REVISION"] == "http://app.acme.svc/version")
        #expect(config["JOBRUNNER_DEPLOY_WAIT"] == "30m")
        #expect(config["JOBRUNNER_SCRIPT_ENV_FILE"] == "/etc/jobrunner/app-env/app.env")
        let pod = try #require(
            ((try Self.document("Deployment", in: rendered)["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"]
                as? [String: Any])
        let volumes = try #require(pod["volumes"] as? [[String: Any]])
        #expect(volumes.contains { ($0["secret"] as? [String: Any])?["secretName"] as? String == "app-settings" })
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        let mounts = try #require(container["volumeMounts"] as? [[String: Any]])
        #expect(mounts.contains { $0["mountPath"] as? String == "/etc/jobrunner/app-env" && $0["readOnly"] as? Bool == true })
        // The image beside the application's code adds the binary to the application's image.
        let dockerfile = try DeploymentFilesTests.read("deploy/Dockerfile.app")
        #expect(dockerfile.contains("FROM ${APP_IMAGE}"))
        #expect(dockerfile.contains("COPY --from=jobrunner /usr/local/bin/jobrunner /usr/local/bin/jobrunner"))
    }

    @Test
    func theKubernetesRunnerGetsALeastPrivilegeRoleInTheScriptsNamespaceOnly() async throws {
        let rendered = try await onDedicatedThread {
            try Self.render([
                "secrets.JOBRUNNER_WEBHOOK_SECRET=hook", "config.JOBRUNNER_REPOSITORIES=acme/app", "kubernetesRunner.enabled=true",
                "kubernetesRunner.namespace=scripts", "kubernetesRunner.deployment=web", "kubernetesRunner.container=app",
                "kubernetesRunner.envFrom=configmap:app-config", "kubernetesRunner.resources=limits.memory=1Gi",
                "kubernetesRunner.dryRunEnvFrom=configmap:app-staging",
            ])
        }
        #expect(rendered.status == 0, "\(rendered.error)")
        let kinds = rendered.documents.compactMap { $0["kind"] as? String }
        #expect(!kinds.contains("ClusterRole") && !kinds.contains("ClusterRoleBinding"), "nothing cluster-wide")
        let roles = rendered.documents.filter { $0["kind"] as? String == "Role" }
        #expect(roles.count == 1)
        let role = try #require(roles.first)
        #expect((role["metadata"] as? [String: Any])?["namespace"] as? String == "scripts", "in the scripts' namespace only")
        struct Rule: Hashable {
            var group: String
            var resource: String
            var verbs: Set<String>
            var names: [String]
        }
        var rules: Set<Rule> = []
        for rule in try #require(role["rules"] as? [[String: Any]]) {
            let groups = rule["apiGroups"] as? [String] ?? []
            let resources = rule["resources"] as? [String] ?? []
            for group in groups {
                for resource in resources {
                    rules.insert(Rule(
                        group: group, resource: resource, verbs: Set(rule["verbs"] as? [String] ?? []),
                        names: rule["resourceNames"] as? [String] ?? []))
                }
            }
        }
        #expect(rules == [
            Rule(group: "batch", resource: "jobs", verbs: ["create", "get", "list", "watch", "delete"], names: []),
            Rule(group: "", resource: "pods", verbs: ["get", "list", "watch"], names: []),
            Rule(group: "", resource: "pods/log", verbs: ["get"], names: []),
            Rule(group: "", resource: "configmaps", verbs: ["create"], names: []),
            Rule(group: "apps", resource: "deployments", verbs: ["get"], names: ["web"]),
        ])
        #expect(!rules.contains { $0.resource == "secrets" || $0.verbs.contains("*") || $0.resource.contains("*") })

        let binding = try #require(rendered.documents.first { $0["kind"] as? String == "RoleBinding" })
        #expect((binding["metadata"] as? [String: Any])?["namespace"] as? String == "scripts")
        let subjects = try #require(binding["subjects"] as? [[String: Any]])
        #expect(subjects.count == 1)
        #expect(subjects.first?["name"] as? String == "jobrunner" && subjects.first?["namespace"] as? String == "default")
        // The scripts' service account: bound to nothing, its token never mounted.
        let accounts = rendered.documents.filter { $0["kind"] as? String == "ServiceAccount" }
        let scriptAccount = try #require(accounts.first { ($0["metadata"] as? [String: Any])?["name"] as? String == "jobrunner-script" })
        #expect(scriptAccount["automountServiceAccountToken"] as? Bool == false)
        #expect(!subjects.contains { $0["name"] as? String == "jobrunner-script" })

        let pod = try #require(
            ((try Self.document("Deployment", in: rendered)["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"]
                as? [String: Any])
        #expect(pod["serviceAccountName"] as? String == "jobrunner")
        let config = try #require(try Self.document("ConfigMap", in: rendered)["data"] as? [String: String])
        #expect(config["JOBRUNNER_RUNNER"] == "kubernetes")
        #expect(config["JOBRUNNER_K8S_NAMESPACE"] == "scripts")
        #expect(config["JOBRUNNER_K8S_DEPLOYMENT"] == "web/app")
        #expect(config["JOBRUNNER_K8S_ENV_FROM"] == "configmap:app-config")
        #expect(config["JOBRUNNER_K8S_DRY_RUN_ENV_FROM"] == "configmap:app-staging")
        #expect(config["JOBRUNNER_K8S_SERVICE_ACCOUNT"] == "jobrunner-script")
        let known = Set(Setting.allCases.map(\.rawValue))
        for name in config.keys { #expect(known.contains(name), "the chart sets \(name), which the service does not read") }

        let withoutImage = try await onDedicatedThread {
            try Self.render(["secrets.JOBRUNNER_WEBHOOK_SECRET=hook", "kubernetesRunner.enabled=true"])
        }
        #expect(withoutImage.status != 0 && withoutImage.error.contains("deployment"))
    }

    @Test
    func aSingleSQLiteReplicaWithItsVolumeSecretAndProbes() async throws {
        let rendered = try await onDedicatedThread {
            try Self.render(["secrets.JOBRUNNER_WEBHOOK_SECRET=hook", "config.JOBRUNNER_REPOSITORIES=acme/ops"])
        }
        #expect(rendered.status == 0, "\(rendered.error)")
        #expect(Set(rendered.documents.compactMap { $0["kind"] as? String }) == [
            "ConfigMap", "Deployment", "PersistentVolumeClaim", "Secret", "Service",
        ])
        let known = Set(Setting.allCases.map(\.rawValue))
        let config = try #require(try Self.document("ConfigMap", in: rendered)["data"] as? [String: String])
        let secret = try #require(try Self.document("Secret", in: rendered)["data"] as? [String: String])
        for name in Array(config.keys) + Array(secret.keys) {
            #expect(known.contains(name), "the chart sets \(name), which the service does not read")
        }
        #expect(config["JOBRUNNER_REPOSITORIES"] == "acme/ops")
        #expect(secret["JOBRUNNER_WEBHOOK_SECRET"] == Data("hook".utf8).base64EncodedString())
        let deployment = try Self.document("Deployment", in: rendered)
        let spec = try #require(deployment["spec"] as? [String: Any])
        #expect(spec["replicas"] as? Int == 1)
        #expect((spec["strategy"] as? [String: Any])?["type"] as? String == "Recreate", "one SQLite writer at a time")
        let pod = try #require((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        let liveness = (container["livenessProbe"] as? [String: Any])?["httpGet"] as? [String: Any]
        let readiness = (container["readinessProbe"] as? [String: Any])?["httpGet"] as? [String: Any]
        #expect(liveness?["path"] as? String == "/healthz" && readiness?["path"] as? String == "/readyz")
        #expect(try #require(pod["terminationGracePeriodSeconds"] as? Int) > 30, "longer than the stages' grace period")
        #expect((pod["securityContext"] as? [String: Any])?["runAsNonRoot"] as? Bool == true)
    }

    @Test
    func replicasNeedPostgreSQLAndAWebhookSecretIsRequired() async throws {
        let refused = try await onDedicatedThread { try Self.render(["secrets.JOBRUNNER_WEBHOOK_SECRET=h", "replicaCount=3"]) }
        #expect(refused.status != 0 && refused.error.contains("PostgreSQL"))
        let noSecret = try await onDedicatedThread { try Self.render([]) }
        #expect(noSecret.status != 0 && noSecret.error.contains("JOBRUNNER_WEBHOOK_SECRET is required"))

        let scaled = try await onDedicatedThread {
            try Self.render([
                "secrets.JOBRUNNER_WEBHOOK_SECRET=h", "replicaCount=3", "database.url=postgres://jr:pw@db:5432/jobrunner",
                "persistence.enabled=false", "serviceMonitor.enabled=true", "githubApp.id=42", "githubApp.privateKeySecret=app-key",
                "serviceMonitor.tokenSecret.name=prometheus-token", "serviceMonitor.tokenSecret.key=token",
            ])
        }
        #expect(scaled.status == 0, "\(scaled.error)")
        #expect(!scaled.documents.contains { $0["kind"] as? String == "PersistentVolumeClaim" })
        let secret = try #require(try Self.document("Secret", in: scaled)["data"] as? [String: String])
        #expect(secret["JOBRUNNER_DATABASE_URL"] == Data("postgres://jr:pw@db:5432/jobrunner".utf8).base64EncodedString())
        let config = try #require(try Self.document("ConfigMap", in: scaled)["data"] as? [String: String])
        #expect(config["JOBRUNNER_GITHUB_APP_ID"] == "42")
        #expect(config["JOBRUNNER_GITHUB_APP_PRIVATE_KEY_PATH"] == "/etc/jobrunner/github-app/private-key.pem")
        let monitor = try Self.document("ServiceMonitor", in: scaled)
        let endpoint = try #require(((monitor["spec"] as? [String: Any])?["endpoints"] as? [[String: Any]])?.first)
        #expect(endpoint["path"] as? String == "/metrics")
        // /metrics needs an operator token: the scrape sends one from the named Secret.
        let authorization = try #require(endpoint["authorization"] as? [String: Any])
        #expect(authorization["type"] as? String == "Bearer")
        #expect((authorization["credentials"] as? [String: String]) == ["name": "prometheus-token", "key": "token"])
        let spec = try #require(try Self.document("Deployment", in: scaled)["spec"] as? [String: Any])
        #expect(spec["replicas"] as? Int == 3)
    }
}
