import ArgumentParser
import Foundation
import JobrunnerCore
import JobrunnerStages

/// The esbuild toolchain as PROCESS runs it inside the service: `ScriptBuilder.build` on a
/// script read the way `jobrunner transpile` reads it, `runs` times; the first build also asks
/// the toolchain's versions (once per process, as in the service) and is reported apart.
struct TranspileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "transpile", abstract: "In-process build time per script.")

    @Option(help: "Where build directories are made.") var directory: String
    @Option var runs = 20
    @Argument var scripts: [String]

    struct Result: Encodable {
        var script: String
        var firstMilliseconds: Double
        var builds: LatencySummary
    }

    func run() async throws {
        let builder = ScriptBuilder(scratchDirectory: directory)
        var results: [Result] = []
        for script in scripts {
            let source = try LocalScriptSource.load(file: script, jobsDirectory: "jobs")
            let first = Stopwatch()
            _ = try await builder.build(source)
            let firstMilliseconds = first.milliseconds
            var samples: [Double] = []
            for _ in 0..<runs {
                let watch = Stopwatch()
                _ = try await builder.build(source)
                samples.append(watch.milliseconds)
            }
            results.append(Result(script: script, firstMilliseconds: firstMilliseconds, builds: LatencySummary(milliseconds: samples)))
        }
        try printJSON(results)
    }
}
