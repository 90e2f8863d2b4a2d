import Foundation

/// Makes a bundled script's package imports resolve as they would for a file in the
/// application's directory: a Node module-resolution hook (`module.register`, loaded with
/// `node --import`) that re-parents bare specifiers imported by the artifact to the
/// application's directory. Relative and `node:` imports, and everything packages import
/// themselves, resolve as usual. The artifact stays in the run's private directory.
enum ApplicationModuleResolution {
    /// Writes the hook next to the artifact in `runDirectory`; returns what `--import` takes.
    static func install(in runDirectory: String, appDirectory: String) throws -> String {
        let runURL = URL(fileURLWithPath: runDirectory, isDirectory: true).absoluteString
        let parentURL = URL(fileURLWithPath: appDirectory, isDirectory: true).appendingPathComponent("jobrunner-script.mjs")
            .absoluteString
        let data = try JSONSerialization.data(
            withJSONObject: ["runPrefix": runURL, "parentURL": parentURL], options: [.sortedKeys, .withoutEscapingSlashes])
        let register = """
            import { register } from "node:module";
            register("./jobrunner-resolve.mjs", import.meta.url, { data: \(String(decoding: data, as: UTF8.self)) });

            """
        let resolve = """
            let runPrefix = "";
            let parentURL = "";
            export async function initialize(data) {
              runPrefix = data.runPrefix;
              parentURL = data.parentURL;
            }
            // A bare specifier: not relative, absolute, a URL (node:, file:) or a package.json import (#).
            const bare = (specifier) => !/^(\\.{0,2}\\/|[a-zA-Z][a-zA-Z0-9+.-]*:|#)/.test(specifier);
            export async function resolve(specifier, context, nextResolve) {
              if (bare(specifier) && context.parentURL && context.parentURL.startsWith(runPrefix)) {
                return nextResolve(specifier, { ...context, parentURL });
              }
              return nextResolve(specifier, context);
            }

            """
        try ScratchFile.write(Array(register.utf8), to: runDirectory + "/jobrunner-register.mjs")
        try ScratchFile.write(Array(resolve.utf8), to: runDirectory + "/jobrunner-resolve.mjs")
        return URL(fileURLWithPath: runDirectory + "/jobrunner-register.mjs").absoluteString
    }
}
