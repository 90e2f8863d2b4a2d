import Foundation
import JobrunnerCore
import JobrunnerStages
import JobrunnerTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What a merged script can reach and use inside the sandbox, attacked with real bubblewrap:
/// other runs, files only the service's user may read, the database's companion files, the
/// deployments' settings directory, the network, and the machine's memory, processes and disk.
@Suite("What a sandboxed script can reach and use")
struct SandboxContainmentTests {
    struct Setup {
        let directory: TemporaryDirectory
        var executor: ScriptExecutor
        var data: String { directory.file("data") }
    }

    func setup(limits: ScriptLimits = ScriptLimits(), identity: ScriptIdentity? = nil, settings: Settings? = nil) throws -> Setup {
        let directory = try TemporaryDirectory("contained")
        chmod(directory.path, 0o755)
        var executor = ScriptExecutor(scratchDirectory: directory.file("data/work"), gracePeriod: .milliseconds(500))
        var sandbox = settings.map { BubblewrapSandbox(settings: $0, environment: [:]) } ?? BubblewrapSandbox(hiddenPaths: [directory.file("data")])
        sandbox.identity = identity
        sandbox.tmpSize = limits.tmp
        executor.sandbox = sandbox
        executor.limits = limits
        executor.cgroups = ScriptCgroups.detect()
        return Setup(directory: directory, executor: executor)
    }

    func run(
        _ script: String, with executor: ScriptExecutor, binary: Bool = false, timeout: Duration = .seconds(60)
    ) async throws -> ScriptRun {
        let artifact = Artifact(
            toolchain: binary ? "binary" : "bash", toolchainVersion: "test", fileName: binary ? "script" : "script.sh",
            runCommand: binary ? ["{artifact}"] : ["bash", "{artifact}"],
            content: Array((binary ? "#!/bin/sh\n" + script : script).utf8), digest: "", sourceDigest: "", buildDuration: .zero,
            isText: true, timeout: timeout)
        return try await executor.execute(
            artifact, facts: RunFacts(pipelineID: "1", repository: "acme/ops", commit: "c", scriptPath: "jobs/x.sh", attempt: 1))
    }

    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test
    func exit137IsTheScriptsOwnStatusNotASignal() async throws {
        let setup = try setup()
        let exited = try await run("echo before\nexit 137\n", with: setup.executor)
        #expect(exited.outcome == .failed)
        #expect(exited.exitCode == 137)
        #expect(exited.signal == nil)
        #expect(exited.summary.hasPrefix("exit 137"), "\(exited.summary)")

        let killed = try await run("echo before\nkill -KILL $$\n", with: setup.executor)
        #expect(killed.outcome == .killed)
        #expect(killed.signal == SIGKILL)
        #expect(killed.exitCode == nil)
    }

    @Test
    func aBinaryArtifactSeesNeitherTheDataDirectoryNorAConcurrentRun() async throws {
        var setup = try setup()
        let secret = "home-of-another-run-" + UUID().uuidString
        // The first run keeps a file in its HOME until the second has looked (said in a shared directory).
        let shared = setup.directory.file("shared")
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        setup.executor.sandbox?.sharedDirectories = [shared]
        let executor = setup.executor
        let data = setup.data
        let first = Task {
            try await run("echo \(secret) > \"$HOME/secret.txt\"\nwhile [ ! -e \(shared)/done ]; do sleep 0.05; done\n", with: executor)
        }
        try await eventually("the first run wrote its file") {
            let runs = (try? FileManager.default.contentsOfDirectory(atPath: data + "/work")) ?? []
            return runs.contains { FileManager.default.fileExists(atPath: data + "/work/\($0)/secret.txt") }
        }
        let second = try await run(
            """
            echo "home: $HOME"
            ls -a "$HOME/.." 2>&1
            cat "$HOME"/../run-*/secret.txt 2>&1
            ls -a \(setup.data) 2>&1
            exit 0
            """, with: executor, binary: true)
        FileManager.default.createFile(atPath: shared + "/done", contents: Data())
        let firstRun = try await first.value
        #expect(firstRun.outcome == .succeeded)
        #expect(second.outcome == .succeeded, "\(text(second.stderr))")
        let seen = text(second.stdout)
        #expect(!seen.contains(secret), "a binary artifact read another run's HOME:\n\(seen)")
        // Its own directory is all there is of the data directory.
        let listed = seen.split(separator: "\n").filter { $0.hasPrefix("run-") || $0.hasPrefix("status-") || $0 == "sandbox-check" }
        #expect(listed.count <= 1, "other entries of the data directory were visible:\n\(seen)")
    }

    @Test
    func asRootAScriptRunsAsNobodyAndCannotReadTheServicesOwnFiles() async throws {
        guard geteuid() == 0 else { return }  // only root can switch users; the tests run as root
        let setup = try setup(identity: .nobody)
        let application = setup.directory.file("app")
        try FileManager.default.createDirectory(atPath: application, withIntermediateDirectories: true)
        // As a settings file is laid out for a service's user: owner root, group-readable.
        let settingsFile = application + "/settings.env"
        try "SERVICE_TOKEN=root-only-\(UUID().uuidString)\n".write(toFile: settingsFile, atomically: true, encoding: .utf8)
        chmod(settingsFile, 0o640)
        var executor = setup.executor
        executor.appDirectory = application
        let result = try await run("id -u\ncat \(settingsFile) && echo READ-IT\ntouch \"$HOME/mine\" && echo wrote-home\n", with: executor)
        let out = text(result.stdout)
        #expect(out.hasPrefix("65534\n"), "\(out)\n\(text(result.stderr))")
        #expect(!out.contains("READ-IT"))
        #expect(!out.contains("SERVICE_TOKEN"))
        #expect(out.contains("wrote-home"), "the run directory is the script's own: \(text(result.stderr))")
    }

    @Test
    func theDatabaseItsCompanionsAndTheSettingsDirectoryAreHiddenWhereverTheyAre() async throws {
        let base = try TemporaryDirectory("hidden")
        let application = base.file("app")
        try FileManager.default.createDirectory(atPath: application + "/db", withIntermediateDirectories: true)
        // A database outside the data directory, inside the application's (which scripts see).
        let database = application + "/db/jobrunner.sqlite"
        for suffix in ["", "-wal", "-shm"] {
            try "pipelines and deliveries \(suffix)".write(toFile: database + suffix, atomically: true, encoding: .utf8)
        }
        // The deployments' settings directory, as the systemd unit installs it.
        let settingsDirectory = "/etc/jobrunner"
        let madeDirectory = !FileManager.default.fileExists(atPath: settingsDirectory)
        try FileManager.default.createDirectory(atPath: settingsDirectory, withIntermediateDirectories: true)
        let settingsFile = settingsDirectory + "/test-\(UUID().uuidString).env"
        try "JOBRUNNER_WEBHOOK_SECRET=systemd-secret\n".write(toFile: settingsFile, atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(atPath: settingsFile)
            if madeDirectory { try? FileManager.default.removeItem(atPath: settingsDirectory) }
        }
        var settings = Settings()
        settings.dataDirectory = base.file("data")
        settings.database = .sqlite(path: database)
        var setup = try setup(settings: settings)
        setup.executor.appDirectory = application
        let result = try await run(
            """
            for f in \(database) \(database)-wal \(database)-shm \(settingsFile); do
              if [ -s "$f" ]; then echo "READ $f"; cat "$f"; else echo "hidden $f"; fi
            done
            ls \(settingsDirectory) 2>&1
            """, with: setup.executor)
        let out = text(result.stdout)
        #expect(!out.contains("READ"), "\(out)")
        #expect(!out.contains("pipelines and deliveries"))
        #expect(!out.contains("systemd-secret"))
    }

    @Test
    func anIsolatedScriptHasNoNetwork() async throws {
        var setup = try setup()
        setup.executor.sandbox?.network = .isolated
        let listener = try TCPListener()
        defer { listener.close() }
        let result = try await run(
            "if (exec 3<>/dev/tcp/127.0.0.1/\(listener.port)) 2>/dev/null; then echo CONNECTED; else echo refused; fi\n",
            with: setup.executor)
        #expect(text(result.stdout) == "refused\n", "\(text(result.stdout))\(text(result.stderr))")
        setup.executor.sandbox?.network = .host
        let shared = try await run(
            "if (exec 3<>/dev/tcp/127.0.0.1/\(listener.port)) 2>/dev/null; then echo CONNECTED; else echo refused; fi\n",
            with: setup.executor)
        #expect(text(shared.stdout) == "CONNECTED\n", "the host network is shared when asked: \(text(shared.stderr))")
    }

    /// The egress network reaches what is listed — here a listener on "another host" (a
    /// network namespace behind a veth pair) — and nothing else: not an unlisted port there, not
    /// the host's loopback, not the host through its own address even when the list names it,
    /// not slirp4netns's gateway to the host.
    @Test(.enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft")))
    func theEgressNetworkReachesOnlyItsListAndNeverTheHost() async throws {
        let other = try await OtherHost.start(ports: [5432, 6543])
        defer { other.stop() }
        let loopback = try TCPListener()
        defer { loopback.close() }
        let everywhere = try TCPListener(address: "0.0.0.0")
        defer { everywhere.close() }
        var setup = try setup()
        setup.executor.sandbox?.network = .egress
        setup.executor.sandbox?.egress = try EgressDestination.parseList("\(other.address):5432, \(other.hostAddress)/32")
        let targets = [
            ("listed", other.address, 5432), ("unlisted-port", other.address, 6543), ("host-loopback", "127.0.0.1", loopback.port),
            ("host-address", other.hostAddress, everywhere.port), ("slirp-gateway", EgressNetwork.gateway, everywhere.port),
        ]
        let script = targets.map { name, address, port in
            "if (exec 3<>/dev/tcp/\(address)/\(port)) 2>/dev/null; then echo \(name) CONNECTED; else echo \(name) refused; fi"
        }.joined(separator: "\n") + "\ncat /etc/resolv.conf\n"
        let result = try await run(script, with: setup.executor)
        #expect(result.outcome == .succeeded, "\(text(result.stderr))")
        #expect(
            text(result.stdout)
                == "listed CONNECTED\nunlisted-port refused\nhost-loopback refused\nhost-address refused\nslirp-gateway refused\n"
                + EgressNetwork.resolvConf, "\(text(result.stdout))\(text(result.stderr))")
    }

    @Test
    func egressDestinationsParseAndSayWhatIsWrong() throws {
        let list = try EgressDestination.parseList("10.20.0.0/16, db.internal:5432,192.0.2.7,[2001:db8::7]:443, 2001:db8::/32")
        #expect(list.map(\.description) == ["10.20.0.0/16", "db.internal:5432", "192.0.2.7", "[2001:db8::7]:443", "2001:db8::/32"])
        #expect(list[1].target == .host("db.internal") && list[1].port == 5432)
        for bad in ["10.0.0.0/33", "db.internal:0", "db.internal:70000", "-bad-.example", "[2001:db8::7", "a b"] {
            #expect(throws: SettingsProblem.self, "\(bad)") { try EgressDestination.parseList(bad) }
        }
        let rules = try EgressNetwork(destinations: list).ruleset(hostAddresses: ["127.0.0.1", "192.0.2.50", "fe80::1"]) { _ in ["198.51.100.9"] }
        #expect(rules.contains("ip daddr { 10.0.2.2, 192.0.2.50 } reject"))
        #expect(rules.contains("ip6 daddr { fe80::1 } reject"))
        #expect(rules.contains("ip daddr 198.51.100.9 tcp dport 5432 accept"))
        #expect(rules.contains("ip6 daddr 2001:db8::/32 accept"))
        #expect(throws: EgressError.self) { try EgressNetwork(destinations: list).ruleset(hostAddresses: []) { _ in [] } }
    }

    @Test
    func aMemoryHogIsStoppedAndRecordedAsOutOfMemory() async throws {
        let setup = try setup(limits: ScriptLimits(memory: 96 << 20, processes: 64, tmp: 16 << 20, disk: 64 << 20), identity: geteuid() == 0 ? .nobody : nil)
        let result = try await run(
            "python3 -c 'a = []\nwhile len(a) < 160: a.append(bytearray(8 << 20)); a[-1][::4096] = b\"x\" * len(a[-1][::4096])'\n",
            with: setup.executor)
        #expect(result.outcome != .succeeded)
        if setup.executor.cgroups?.holds.contains("memory") == true {
            #expect(result.outcome == .killed, "\(result.summary) \(text(result.stderr))")
            #expect(result.stoppedBy == .memory)
            #expect(result.summary.hasPrefix("killed: out of memory"), "\(result.summary)")
        }
    }

    @Test
    func aForkBombIsBoundedAndStopped() async throws {
        let setup = try setup(limits: ScriptLimits(memory: 256 << 20, processes: 32, tmp: 16 << 20, disk: 64 << 20), identity: geteuid() == 0 ? .nobody : nil)
        guard setup.executor.cgroups?.holds.contains("processes") == true || geteuid() == 0 else { return }
        let result = try await run("for i in $(seq 1 400); do sleep 30 & done\nwait\necho all-started\n", with: setup.executor)
        #expect(!text(result.stdout).contains("all-started"))
        #expect(result.outcome == .killed || result.outcome == .failed, "\(result.summary)")
        if setup.executor.cgroups?.holds.contains("processes") == true {
            #expect(result.stoppedBy == .processes, "\(result.summary)")
        }
    }

    @Test
    func filesPastTheDiskLimitStopTheRun() async throws {
        let setup = try setup(limits: ScriptLimits(memory: 256 << 20, processes: 64, tmp: 4 << 20, disk: 8 << 20))
        let result = try await run(
            "for i in $(seq 1 200); do head -c 1048576 /dev/zero > \"$HOME/f$i\"; sleep 0.05; done\necho wrote-everything\n",
            with: setup.executor)
        #expect(!text(result.stdout).contains("wrote-everything"))
        #expect(result.outcome == .killed)
        #expect(result.stoppedBy == .disk)
        let tmp = try await run("head -c 8388608 /dev/zero > /tmp/big || echo tmp-full\n", with: setup.executor)
        #expect(text(tmp.stdout) == "tmp-full\n", "the private /tmp is bounded: \(text(tmp.stderr))")
    }

    @Test
    func limitsParseAndSayWhatIsWrong() throws {
        let limits = try ScriptLimits.parse("memory=2GiB, processes=100,cpu=0.5,tmp=none")
        #expect(limits.memory == 2 << 30)
        #expect(limits.processes == 100)
        #expect(limits.cpu == 0.5)
        #expect(limits.tmp == nil)
        #expect(limits.disk == ScriptLimits.defaults.disk)
        #expect(try ScriptLimits.parse(limits.description) == limits)
        #expect(throws: SettingsProblem.self) { try ScriptLimits.parse("memory=lots") }
        #expect(throws: SettingsProblem.self) { try ScriptLimits.parse("swap=1GiB") }
        #expect(throws: SettingsProblem.self) { try ScriptLimits.parse("processes=2") }
    }
}

/// A TCP listener on a free loopback port that accepts and holds connections.
final class TCPListener: Sendable {
    let descriptor: Int32
    let port: Int

    init(address bound: String = "127.0.0.1") throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(bound)
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        guard bound == 0, listen(socket, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        descriptor = socket
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(descriptor) }
}

/// Another machine on the network, as far as a script can tell: a network namespace joined to
/// this one by a veth pair (198.18.N.0/30 — the benchmarking range, routed nowhere), with
/// listeners on `ports` of its address. Root only.
struct OtherHost {
    let namespace: String
    let address: String
    /// This host's end of the pair: one of its own addresses.
    let hostAddress: String
    let listener: Process
    /// Closing it ends the listener (the test process may block SIGTERM for its children).
    let input: Pipe

    static func start(ports: [Int]) async throws -> OtherHost {
        let tag = String(UUID().uuidString.prefix(6)).lowercased()
        let subnet = Int.random(in: 1...250)
        let namespace = "jr-other-" + tag
        let hostAddress = "198.18.\(subnet).1", address = "198.18.\(subnet).2"
        for command in [
            ["ip", "netns", "add", namespace],
            ["ip", "link", "add", "jrh" + tag, "type", "veth", "peer", "name", "jrn" + tag],
            ["ip", "link", "set", "jrn" + tag, "netns", namespace],
            ["ip", "addr", "add", hostAddress + "/30", "dev", "jrh" + tag], ["ip", "link", "set", "jrh" + tag, "up"],
            ["ip", "netns", "exec", namespace, "ip", "addr", "add", address + "/30", "dev", "jrn" + tag],
            ["ip", "netns", "exec", namespace, "ip", "link", "set", "jrn" + tag, "up"],
            ["ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up"],
        ] {
            let result = try runToCompletion(command, in: "/")
            guard result.status == 0 else {
                _ = try? runToCompletion(["ip", "netns", "delete", namespace], in: "/")
                throw OtherHostError(description: "\(command.joined(separator: " ")): \(String(decoding: result.stderr, as: UTF8.self))")
            }
        }
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        listener.arguments = [
            "ip", "netns", "exec", namespace, "python3", "-c",
            "import socket, sys, time\nheld = []\nfor port in sys.argv[1:]:\n    s = socket.socket()\n    s.bind(('\(address)', int(port)))\n    s.listen(16)\n    held.append(s)\nprint('ready', flush=True)\nsys.stdin.read()\n",
        ] + ports.map(String.init)
        let output = Pipe(), input = Pipe()
        listener.standardOutput = output
        listener.standardInput = input
        try listener.run()
        let ready = try await onDedicatedThread { String(decoding: output.fileHandleForReading.availableData, as: UTF8.self) }
        guard ready.hasPrefix("ready") else {
            try? input.fileHandleForWriting.close()
            _ = try? runToCompletion(["ip", "netns", "delete", namespace], in: "/")
            throw OtherHostError(description: "the listener in \(namespace) did not start: \(ready)")
        }
        return OtherHost(namespace: namespace, address: address, hostAddress: hostAddress, listener: listener, input: input)
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        listener.waitUntilExit()
        _ = try? runToCompletion(["ip", "netns", "delete", namespace], in: "/")
    }
}

struct OtherHostError: Error, CustomStringConvertible {
    var description: String
}
