import Foundation
import JobrunnerCore
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
