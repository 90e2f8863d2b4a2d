import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A merged script that attacks the service running it, through `jobrunner serve` as deployed:
/// its environment, memory, database, data directory, GitHub App key, config file, processes.
@Suite("Scripts cannot reach the service")
struct ScriptIsolationEndToEndTests {
    /// Each attempt prints `REACHED name` (and what it got, base64) or `blocked name`.
    static func attack(servicePID: Int32, database: String, dataDirectory: String, key: String, config: String) -> String {
        """
        attempt() { name=$1; shift; if out=$("$@" 2>/dev/null) && [ -n "$out" ]; then echo "REACHED $name"; printf '%s' "$out" | base64 -w0; echo; else echo "blocked $name"; fi; }
        attempt parent-environment sh -c "tr '\\\\0' '\\\\n' < /proc/$PPID/environ | grep JOBRUNNER_DASHBOARD_TOKEN"
        attempt service-environment cat /proc/\(servicePID)/environ
        attempt service-memory-map cat /proc/\(servicePID)/maps
        attempt database-nearby cat "$HOME/../../jobrunner.sqlite"
        attempt database cat \(database)
        attempt data-directory sh -c "ls -a \(dataDirectory) | grep -v '^work$' | grep -v '^[.]*$'"
        attempt app-key cat \(key)
        attempt config-file cat \(config)
        attempt signal-service sh -c "kill -CONT \(servicePID) && echo signalled"
        for pid in $(ls /proc | grep -E '^[0-9]+$'); do tr '\\0' '\\n' < /proc/$pid/environ 2>/dev/null; done | base64 -w0; echo
        echo attack-finished
        """
    }

    @Test(arguments: ["bubblewrap", "none"])
    func everyAttemptFailsAndNoSecretAppearsAnywhere(isolation: String) async throws {
        let directory = try TemporaryDirectory("isolation")
        let git = try GitFixture()
        // Secrets the service holds: webhook secret (config file), dashboard token (environment),
        // the App's private key, and the installation tokens it gets with it.
        let application = directory.file("app")
        try FileManager.default.createDirectory(atPath: application + "/config", withIntermediateDirectories: true)
        // Inside the application's directory, which scripts do see: the config file must be hidden there.
        let config = application + "/config/jobrunner.env"
        let webhookSecret = "whsec-" + UUID().uuidString
        let dashboardToken = "dash-" + UUID().uuidString
        try "JOBRUNNER_WEBHOOK_SECRET=\(webhookSecret)\n".write(toFile: config, atomically: true, encoding: .utf8)
        let key = directory.file("app-key.pem")
        let generated = try await onDedicatedThread {
            try runToCompletion(["openssl", "genrsa", "-traditional", "-out", key, "2048"], in: directory.path)
        }
        #expect(generated.status == 0, "\(String(decoding: generated.stderr, as: UTF8.self))")
        let keyLines = try String(contentsOfFile: key, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("-----") }
        let github = try await GitHubAPIStandIn.start(
            ["repositories": ["acme/ops": git.bare], "app": ["id": "123", "installation_id": 42], "pulls": [String: Any]()], in: directory)
        defer { github.stop() }

        let remote = try JobrunnerBinary.remote(serving: git, in: directory)
        let port = TestPorts.free()
        // The script is written once the service's PID is known; the commit comes first, the push after.
        let serve = try JobrunnerBinary.start(
            ["serve"],
            environment: [
                "JOBRUNNER_CONFIG_FILE": config, "JOBRUNNER_REPOSITORIES": "acme/ops", "JOBRUNNER_HTTP_PORT": "\(port)",
                "JOBRUNNER_DASHBOARD_TOKEN": "ops:\(dashboardToken)", "JOBRUNNER_GIT_REMOTE": remote,
                "JOBRUNNER_GITHUB_APP_ID": "123", "JOBRUNNER_GITHUB_APP_PRIVATE_KEY_PATH": key,
                "JOBRUNNER_GITHUB_API_URL": github.baseURL, "JOBRUNNER_APP_DIR": application,
                "JOBRUNNER_SCRIPT_ISOLATION": isolation, "JOBRUNNER_WORKERS": "1",
            ],
            directory: directory.path)
        defer { kill(serve.process.processIdentifier, SIGKILL) }
        let servicePID = serve.process.processIdentifier
        let data = directory.file("data")
        let commit = try git.commit([
            "jobs/attack.sh": Self.attack(
                servicePID: servicePID, database: data + "/jobrunner.sqlite", dataDirectory: data, key: key, config: config)
        ])
        let push = try JobrunnerBinary.push([(commit, "jobs/attack.sh")])
        let status = try await JobrunnerBinary.pushWebhook(push, port: port, secret: webhookSecret, delivery: "attack-\(isolation)")
        guard status == 202 else {
            kill(serve.process.processIdentifier, SIGKILL)
            Issue.record("the push was answered \(String(describing: status)): \(try await serve.stderr.value)")
            return
        }

        let store = try SQLitePipelineStore(path: data + "/jobrunner.sqlite")
        try await eventually("CLEANUP of the attack finished", timeout: .seconds(60)) {
            try await store.stage(PipelineID(1), .cleanup)?.state == .succeeded
        }
        let execution = try #require(try await store.executions(for: PipelineID(1)).first)
        let stdout = String(decoding: execution.stdout, as: UTF8.self)
        #expect(stdout.contains("attack-finished"), "\(stdout)\n\(String(decoding: execution.stderr, as: UTF8.self))")
        #expect(serve.process.isRunning, "the service survived its script")

        let attempts = [
            "parent-environment", "service-environment", "service-memory-map", "database-nearby", "database", "data-directory",
            "app-key", "config-file", "signal-service",
        ]
        guard isolation == "bubblewrap" else {
            // The same attempts do reach the service without the sandbox: what the test guards against.
            for attempt in ["parent-environment", "database-nearby", "database", "app-key", "config-file", "signal-service"] {
                #expect(stdout.contains("REACHED \(attempt)"), "without isolation: \(attempt)")
            }
            return
        }
        for attempt in attempts {
            #expect(stdout.contains("blocked \(attempt)"), "\(attempt) failed inside the sandbox:\n\(stdout)")
        }

        // No secret anywhere: the stored output, the database file, the committed log — raw,
        // base64, base64url, hex and URL-encoded.
        // Every credential the service sent the API: installation tokens (and the App's JWTs).
        let installationTokens = try await github.requests().compactMap(\.authorization)
            .compactMap { $0.split(separator: " ").last.map(String.init) }
        let secrets = [webhookSecret, dashboardToken] + keyLines.map(String.init) + installationTokens
        let committed = try await onDedicatedThread { try runToCompletion(["git", "--git-dir", git.bare, "log", "-p", "--all"], in: directory.path) }
        let places: [(String, [UInt8])] = [
            ("stdout", execution.stdout), ("stderr", execution.stderr),
            ("database", Array(try Data(contentsOf: URL(fileURLWithPath: data + "/jobrunner.sqlite")))),
            ("committed log", Array(committed.stdout)),
        ]
        for secret in secrets {
            for form in SecretEncodings.forms(of: Array(secret.utf8)) {
                for (place, bytes) in places {
                    #expect(!bytes.contains(form), "a form of a secret (\(secret.prefix(8))…) is in the \(place)")
                }
            }
        }
    }

    /// A killed service takes its scripts with it: nothing runs on unowned while the stage is
    /// given up and the repository's next script may start (the sandbox dies with its parent).
    @Test
    func aScriptDiesWithTheServiceThatWasKilledWhileItRan() async throws {
        let directory = try TemporaryDirectory("orphan")
        let git = try GitFixture()
        let remote = try JobrunnerBinary.remote(serving: git, in: directory)
        let port = TestPorts.free()
        let secret = "orphan-secret-" + UUID().uuidString
        let marker = "orphan-\(UUID().uuidString.prefix(8))"
        let serve = try JobrunnerBinary.start(
            ["serve"],
            environment: [
                "JOBRUNNER_WEBHOOK_SECRET": secret, "JOBRUNNER_REPOSITORIES": "acme/ops", "JOBRUNNER_HTTP_PORT": "\(port)",
                "JOBRUNNER_GIT_REMOTE": remote, "JOBRUNNER_WORKERS": "1",
            ],
            directory: directory.path)
        defer { kill(serve.process.processIdentifier, SIGKILL) }
        let commit = try git.commit(["jobs/long.sh": "echo started\n(exec -a \(marker)-child sleep 300) &\nexec -a \(marker) sleep 300\n"])
        let status = try await JobrunnerBinary.pushWebhook(
            try JobrunnerBinary.push([(commit, "jobs/long.sh")]), port: port, secret: secret, delivery: "orphan")
        #expect(status == 202)
        do {
            try await eventually("the script runs", timeout: .seconds(60)) { !Self.processes(named: marker).isEmpty }
        } catch {
            kill(serve.process.processIdentifier, SIGKILL)
            let store = try SQLitePipelineStore(path: directory.file("data/jobrunner.sqlite"))
            let runs = try await store.executions(for: PipelineID(1))
            Issue.record("\(error): \(runs.map { String(decoding: $0.stdout + $0.stderr, as: UTF8.self) })")
            return
        }
        kill(serve.process.processIdentifier, SIGKILL)
        try await eventually("the script and its child died with the service", timeout: .seconds(20)) {
            Self.processes(named: marker).isEmpty
        }
    }

    /// A script on the host network guessing tokens at the service's own port is refused after
    /// ten guesses, while an operator on the same 127.0.0.1 (a local proxy, the dashboard) is not.
    @Test
    func aScriptsWrongTokensDoNotLockOperatorsOutOfLocalhost() async throws {
        let directory = try TemporaryDirectory("lockout")
        let git = try GitFixture()
        let remote = try JobrunnerBinary.remote(serving: git, in: directory)
        let port = TestPorts.free()
        let secret = "lockout-secret-" + UUID().uuidString
        let token = "ops-" + UUID().uuidString
        let serve = try JobrunnerBinary.start(
            ["serve"],
            environment: [
                "JOBRUNNER_WEBHOOK_SECRET": secret, "JOBRUNNER_REPOSITORIES": "acme/ops", "JOBRUNNER_HTTP_PORT": "\(port)",
                "JOBRUNNER_GIT_REMOTE": remote, "JOBRUNNER_WORKERS": "1", "JOBRUNNER_DASHBOARD_TOKEN": "ops:\(token)",
                "JOBRUNNER_SCRIPT_NETWORK": "host",
            ],
            directory: directory.path)
        defer { kill(serve.process.processIdentifier, SIGKILL) }
        let guesses = """
            for i in $(seq 1 11); do
              exec 3<>/dev/tcp/127.0.0.1/\(port) || { echo unreachable; exit 1; }
              printf 'GET /api/v1/pipelines HTTP/1.1\\r\\nHost: localhost\\r\\nAuthorization: Bearer guess-%s\\r\\nConnection: close\\r\\n\\r\\n' "$i" >&3
              head -n 1 <&3 | cut -d' ' -f2
              exec 3<&-
            done

            """
        let commit = try git.commit(["jobs/guess.sh": guesses])
        let status = try await JobrunnerBinary.pushWebhook(
            try JobrunnerBinary.push([(commit, "jobs/guess.sh")]), port: port, secret: secret, delivery: "lockout")
        #expect(status == 202)
        let store = try SQLitePipelineStore(path: directory.file("data/jobrunner.sqlite"))
        try await eventually("the guessing script ran", timeout: .seconds(60)) {
            try await store.stage(PipelineID(1), .execute)?.state.isTerminal == true
        }
        let execution = try #require(try await store.executions(for: PipelineID(1)).first)
        let answers = String(decoding: execution.stdout, as: UTF8.self).split(separator: "\n")
        #expect(answers == Array(repeating: "401", count: 10) + ["429"], "the script's guesses: \(answers) \(String(decoding: execution.stderr, as: UTF8.self))")

        for address in ["127.0.0.1", "localhost"] {
            var request = URLRequest(url: URL(string: "http://\(address):\(port)/api/v1/pipelines")!)
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            let (_, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 200, "an operator on \(address) is not locked out")
        }
        kill(serve.process.processIdentifier, SIGTERM)
        let log = try await serve.stderr.value
        #expect(log.contains("(script sandbox "), "the script's failures were counted against its sandbox: \(log)")
    }

    /// Processes whose command line contains `marker`, anywhere on the machine.
    static func processes(named marker: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.filter { Int32($0) != nil }.filter { pid in
            guard let line = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: line, as: UTF8.self).contains(marker)
        }
    }

    @Test
    func theServiceIsNotDumpableAndItsDataIsOwnerOnlyWhateverTheUmask() async throws {
        // As an unprivileged user, so that only the service's own hardening stands in the way.
        let directory = try TemporaryDirectory("hardening")
        chmod(directory.path, 0o777)
        let port = TestPorts.free()
        let environment = [
            "JOBRUNNER_WEBHOOK_SECRET": "hardening-secret-value", "JOBRUNNER_REPOSITORIES": "acme/ops",
            "JOBRUNNER_HTTP_PORT": "\(port)", "JOBRUNNER_GIT_REMOTE": directory.file("none/{repository}.git"),
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
        let nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        let serve = try JobrunnerBinary.start(
            nobody + ["sh", "-c", "umask 022; exec \"$0\" serve", JobrunnerBinary.path], environment: environment,
            directory: directory.path, executable: "/usr/bin/env")
        defer { kill(serve.process.processIdentifier, SIGKILL) }
        try await eventually("serve is ready", timeout: .seconds(30)) {
            guard let (_, response) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/readyz")!) else { return false }
            return (response as? HTTPURLResponse)?.statusCode == 200
        }
        // `env` → setpriv → sh → jobrunner all exec in place: the process is the service.
        let pid = serve.process.processIdentifier
        let read = try await onDedicatedThread {
            try runToCompletion(nobody + ["cat", "/proc/\(pid)/environ"], in: directory.path)
        }
        #expect(read.status != 0, "a process of the same user could read the service's environment")
        #expect(!String(decoding: read.stdout, as: UTF8.self).contains("hardening-secret-value"))

        let attributes = try FileManager.default.attributesOfItem(atPath: directory.file("data"))
        #expect((attributes[.posixPermissions] as? Int) == 0o700, "the data directory is owner-only")
        let database = try FileManager.default.attributesOfItem(atPath: directory.file("data/jobrunner.sqlite"))
        #expect((database[.posixPermissions] as? Int).map { $0 & 0o077 } == 0, "the database is owner-only")
    }
}
