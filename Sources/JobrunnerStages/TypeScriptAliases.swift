import Foundation

/// The repository's TypeScript import aliases as esbuild `--alias` arguments.
///
/// esbuild reads `tsconfig.json` itself, but with `--packages=external` (packages stay imports,
/// resolved where the script runs) it treats an alias such as `@server/db` as a package and
/// leaves it out of the bundle. So the `paths` (and the top-level entries under `baseUrl`) of
/// the tsconfig that governs the script — the nearest one above it, following relative
/// `extends` — become aliases to the files in the repository, which esbuild then bundles.
enum TypeScriptAliases {
    /// `--alias:NAME=./PATH` arguments for the script at `scriptPath` among `files` (paths
    /// relative to the repository root, which is esbuild's working directory).
    static func arguments(scriptPath: String, files: [String: [UInt8]]) -> [String] {
        guard let config = governingConfig(for: scriptPath, files: files) else { return [] }
        var aliases: [String: String] = [:]
        let base = config.baseDirectory
        for (pattern, targets) in config.paths {
            guard let target = targets.first else { continue }
            if pattern.hasSuffix("/*"), target.hasSuffix("/*") {
                aliases[String(pattern.dropLast(2))] = join(base, String(target.dropLast(2)))
            } else if !pattern.contains("*"), !target.contains("*") {
                aliases[pattern] = join(base, target)
            }
        }
        if let baseURL = config.baseURL {
            // Non-relative imports resolve under baseUrl first, as TypeScript resolves them.
            let prefix = baseURL.isEmpty ? "" : baseURL + "/"
            var names: Set<String> = []
            for path in files.keys where path.hasPrefix(prefix) {
                let components = path.dropFirst(prefix.count).split(separator: "/")
                guard let first = components.first.map(String.init), !first.hasPrefix("."), first != "node_modules" else {
                    continue
                }
                if components.count > 1 {
                    names.insert(first)
                } else if let ext = [".ts", ".tsx", ".mts", ".js", ".mjs"].first(where: first.hasSuffix) {
                    names.insert(String(first.dropLast(ext.count)))
                }
            }
            for name in names where aliases[name] == nil && isPackageLikeName(name) {
                aliases[name] = join(baseURL, name)
            }
        }
        return aliases.keys.sorted().map { "--alias:\($0)=./\(aliases[$0]!)" }
    }

    struct Config {
        /// Directory `paths` resolve against: `baseUrl`, else the tsconfig's own directory.
        var baseDirectory: String
        var baseURL: String?
        var paths: [String: [String]]
    }

    /// The nearest `tsconfig.json` from the script's directory up to the root, merged with what
    /// it `extends` (relative files only).
    static func governingConfig(for scriptPath: String, files: [String: [UInt8]]) -> Config? {
        var directory = parent(scriptPath)
        while true {
            let candidate = join(directory, "tsconfig.json")
            if files[candidate] != nil { return load(candidate, files: files, depth: 0) }
            if directory.isEmpty { return nil }
            directory = parent(directory)
        }
    }

    private static func load(_ path: String, files: [String: [UInt8]], depth: Int) -> Config? {
        guard depth < 8, let bytes = files[path], let object = LenientJSON.object(bytes) else { return nil }
        let directory = parent(path)
        var config = Config(baseDirectory: directory, baseURL: nil, paths: [:])
        if let extends = object["extends"] as? String, extends.hasPrefix(".") {
            var target = normalize(join(directory, extends))
            if files[target] == nil, files[target + ".json"] != nil { target += ".json" }
            if let inherited = load(target, files: files, depth: depth + 1) { config = inherited }
        }
        let options = object["compilerOptions"] as? [String: Any] ?? [:]
        if let baseURL = options["baseUrl"] as? String {
            config.baseURL = normalize(join(directory, baseURL))
            config.baseDirectory = config.baseURL ?? directory
        }
        if let paths = options["paths"] as? [String: Any] {
            if config.baseURL == nil { config.baseDirectory = directory }
            config.paths = paths.compactMapValues { $0 as? [String] }
        }
        return config
    }

    static func isPackageLikeName(_ name: String) -> Bool {
        name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." || $0 == "@" }
    }

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    static func join(_ directory: String, _ path: String) -> String {
        normalize(directory.isEmpty ? path : directory + "/" + path)
    }

    /// Removes `.` and resolves `..` (never above the root).
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return parts.joined(separator: "/")
    }
}

/// JSON as tsconfig files write it: with `//` and `/* */` comments and trailing commas.
enum LenientJSON {
    static func object(_ bytes: [UInt8]) -> [String: Any]? {
        var output: [UInt8] = []
        var index = 0
        var inString = false
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                output.append(byte)
                if byte == UInt8(ascii: "\\"), index + 1 < bytes.count {
                    output.append(bytes[index + 1])
                    index += 2
                    continue
                }
                if byte == UInt8(ascii: "\"") { inString = false }
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "/"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "/") {
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
                continue
            } else if byte == UInt8(ascii: "/"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "*") {
                index += 2
                while index + 1 < bytes.count, !(bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/")) {
                    index += 1
                }
                index += 2
                continue
            } else if byte == UInt8(ascii: ",") {
                // A trailing comma: the next significant byte closes the object or array.
                var next = index + 1
                while next < bytes.count, [UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: "\r")].contains(bytes[next]) {
                    next += 1
                }
                if next < bytes.count, bytes[next] == UInt8(ascii: "}") || bytes[next] == UInt8(ascii: "]") {
                    index += 1
                    continue
                }
            }
            output.append(byte)
            index += 1
        }
        return (try? JSONSerialization.jsonObject(with: Data(output))) as? [String: Any]
    }
}
