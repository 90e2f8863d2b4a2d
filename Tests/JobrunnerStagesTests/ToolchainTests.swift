import Foundation
import JobrunnerCore
import JobrunnerStages
import JobrunnerTestSupport
import Testing

/// Real toolchains build and run a sample of each language.
@Suite("Toolchains")
struct ToolchainTests {
    static let samples: [(path: String, source: String, expected: String)] = [
        ("jobs/t.ts", "const n: number = 6 * 7;\nconsole.log(`ts ${n}`);\n", "ts 42"),
        ("jobs/j.js", "console.log('js', 6 * 7);\n", "js 42"),
        ("jobs/m.mjs", "const n = await Promise.resolve(42);\nconsole.log('mjs', n);\n", "mjs 42"),
        ("jobs/s.sh", "set -eu\necho \"sh $((6 * 7))\"\n", "sh 42"),
        ("jobs/p.py", "print('py', 6 * 7)\n", "py 42"),
        ("jobs/w.swift", "print(\"swift\", 6 * 7)\n", "swift 42"),
    ]

    static let broken: [(path: String, source: String, message: String)] = [
        ("jobs/t.ts", "let x: number = ;\n", "Unexpected \";\""),
        ("jobs/j.js", "function (\n", "Expected identifier"),
        ("jobs/s.sh", "if then fi\n", "syntax error"),
        ("jobs/p.py", "def broken(:\n", "SyntaxError"),
        ("jobs/q.py", "print('fine so far')\nreturn 3\n", "'return' outside function"),
        ("jobs/w.swift", "let x: Int = \"no\"\n", "cannot convert value"),
    ]

    func builder(_ directory: TemporaryDirectory) -> ScriptBuilder {
        ScriptBuilder(scratchDirectory: directory.path)
    }

    @Test(arguments: samples.map(\.path))
    func everyToolchainBuildsAndRunsItsSample(path: String) async throws {
        let sample = try #require(Self.samples.first { $0.path == path })
        let directory = try TemporaryDirectory("toolchain")
        let artifact = try await builder(directory).build(ScriptSource(path: sample.path, files: [sample.path: Array(sample.source.utf8)]))
        #expect(!artifact.toolchainVersion.contains("unknown"), "\(artifact.toolchainVersion)")
        #expect(artifact.digest == ScriptBuilder.sha256(artifact.content))
        let run = try await ScriptExecutor(scratchDirectory: directory.path).execute(
            artifact, facts: RunFacts(pipelineID: "1", repository: "acme/ops", commit: "c", scriptPath: path, attempt: 1))
        #expect(run.outcome == .succeeded, "\(String(decoding: run.stderr, as: UTF8.self))")
        #expect(String(decoding: run.stdout, as: UTF8.self) == sample.expected + "\n")
    }

    @Test(arguments: broken.map(\.path))
    func aSyntaxErrorIsAPermanentFailureCarryingTheCompilersMessage(path: String) async throws {
        let sample = try #require(Self.broken.first { $0.path == path })
        let directory = try TemporaryDirectory("toolchain")
        await #expect {
            _ = try await builder(directory).build(ScriptSource(path: sample.path, files: [sample.path: Array(sample.source.utf8)]))
        } throws: { error in
            guard let build = error as? BuildError, case .failed(let failedPath, _, let output) = build else { return false }
            return failedPath == path && output.contains(sample.message) && build.failureKind == .permanent
                && !output.contains(directory.path)
        }
    }

    @Test(arguments: ["jobs/t.ts", "jobs/w.swift", "jobs/s.sh"])
    func theSameSourceBuildsToTheSameDigestWhereverItIsBuilt(path: String) async throws {
        let sample = try #require(Self.samples.first { $0.path == path })
        let source = ScriptSource(path: sample.path, files: [sample.path: Array(sample.source.utf8)])
        let first = try await builder(try TemporaryDirectory("a")).build(source)
        let second = try await builder(try TemporaryDirectory("b-longer-name")).build(source)
        #expect(first.digest == second.digest)
        #expect(first.content == second.content)
    }

    @Test
    func typeScriptBundlesLocalImportsAndKeepsPackagesExternal() async throws {
        let directory = try TemporaryDirectory("toolchain")
        let source = ScriptSource(
            path: "jobs/main.ts",
            files: [
                "jobs/main.ts": Array("import { twice } from './lib/math';\nimport pg from 'pg';\nconsole.log(twice(21), typeof pg);\n".utf8),
                "jobs/lib/math.ts": Array("export const twice = (n: number): number => n * 2;\n".utf8),
            ])
        let artifact = try await builder(directory).build(source)
        let text = String(decoding: artifact.content, as: UTF8.self)
        #expect(text.contains("n * 2"), "the local module is inside the bundle")
        #expect(text.contains("from \"pg\""), "packages stay external")
        #expect(artifact.fileName == "script.mjs")
        #expect(artifact.runCommand == ["node", "{artifact}"])
    }

    @Test
    func theRepositorysTypeScriptAliasesAreBundledAndAMissingModuleIsAPermanentErrorNamingIt() async throws {
        let directory = try TemporaryDirectory("toolchain")
        let files: [String: [UInt8]] = [
            "tsconfig.base.json": Array(#"{ "compilerOptions": { "baseUrl": ".", "paths": { "@app/*": ["src/app/*"] } } }"#.utf8),
            // Comments and trailing commas, as tsconfig files have them; `extends` a relative file.
            "tsconfig.json": Array("{\n  // shared settings\n  \"extends\": \"./tsconfig.base.json\",\n  /* no more */\n}\n".utf8),
            "src/app/orders.ts": Array("export const orders = () => 'ORDERS-MODULE';\n".utf8),
            "src/util.ts": Array("export const util = 'UTIL-BY-BASEURL';\n".utf8),
            "jobs/a.ts": Array("import { orders } from '@app/orders';\nimport { util } from 'src/util';\nimport pg from 'pg';\nconsole.log(orders(), util, typeof pg);\n".utf8),
        ]
        let artifact = try await builder(directory).build(ScriptSource(path: "jobs/a.ts", files: files))
        let text = String(decoding: artifact.content, as: UTF8.self)
        #expect(text.contains("ORDERS-MODULE") && text.contains("UTIL-BY-BASEURL"), "aliases resolve into the bundle")
        #expect(text.contains("from \"pg\""), "packages stay external")

        var missing = files
        missing["jobs/a.ts"] = Array("import { gone } from '../src/app/missing';\nconsole.log(gone);\n".utf8)
        await #expect {
            _ = try await builder(directory).build(ScriptSource(path: "jobs/a.ts", files: missing))
        } throws: { error in
            guard let build = error as? BuildError, case .failed(_, _, let output) = build else { return false }
            return build.failureKind == .permanent && output.contains("Could not resolve \"../src/app/missing\"")
        }
    }

    @Test
    func directivesLimitsAndUnknownExtensionsAreChecked() async throws {
        let directory = try TemporaryDirectory("toolchain")
        let timed = try await builder(directory).build(
            ScriptSource(path: "jobs/x.sh", files: ["jobs/x.sh": Array("#!/bin/bash\n# jobrunner: timeout=90s\necho hi\n".utf8)]))
        #expect(timed.timeout == .seconds(90))
        await #expect(throws: BuildError.self) {
            _ = try await builder(directory).build(
                ScriptSource(path: "jobs/x.sh", files: ["jobs/x.sh": Array("# jobrunner: timeout=soon\n".utf8)]))
        }
        await #expect(throws: BuildError.unsupported(path: "jobs/x.rb", fileExtension: "rb", known: builder(directory).supportedExtensions.sorted())) {
            _ = try await builder(directory).build(ScriptSource(path: "jobs/x.rb", files: ["jobs/x.rb": Array("puts 1".utf8)]))
        }
        let small = ScriptBuilder(scratchDirectory: directory.path, maxSourceSize: 10)
        await #expect(throws: BuildError.tooLarge(path: "jobs/x.sh", size: 20, limit: 10)) {
            _ = try await small.build(ScriptSource(path: "jobs/x.sh", files: ["jobs/x.sh": Array(repeating: UInt8(ascii: "#"), count: 20)]))
        }
    }

    @Test
    func moreToolchainsCanBeConfiguredWithoutCodeChanges() async throws {
        let directory = try TemporaryDirectory("toolchain")
        let file = directory.file("toolchains.json")
        try #"""
            [{"name": "awk", "extensions": ["AWK"], "check": ["awk", "-f", "{source}", "/dev/null"],
              "artifact": "script.awk", "run": ["awk", "-f", "{artifact}", "/dev/null"], "version": ["awk", "--version"]}]
            """#.write(toFile: file, atomically: true, encoding: .utf8)
        var settings = Settings()
        settings.toolchainsFile = file
        let toolchains = try ToolchainFile.toolchains(settings: settings)
        #expect(Set(toolchains.flatMap(\.extensions)).isSuperset(of: ["awk", "ts", "sh"]))
        let custom = ScriptBuilder(toolchains: toolchains, scratchDirectory: directory.path)
        let artifact = try await custom.build(
            ScriptSource(path: "jobs/x.awk", files: ["jobs/x.awk": Array("BEGIN { print \"awk\", 6 * 7 }\n".utf8)]))
        let run = try await ScriptExecutor(scratchDirectory: directory.path).execute(
            artifact, facts: RunFacts(pipelineID: "1", repository: "r/r", commit: "c", scriptPath: "jobs/x.awk", attempt: 1))
        #expect(String(decoding: run.stdout, as: UTF8.self) == "awk 42\n")

        try #"[{"name": "bad", "extensions": ["x"], "artifact": "a", "run": ["x"]}]"#.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: ToolchainFile.Problem.self) { try ToolchainFile.load(file) }
    }
}
