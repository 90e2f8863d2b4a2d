#if canImport(Glibc)
import Glibc
#endif

/// Finds the file a command name runs, as a shell would: a name with a slash is taken as is;
/// otherwise the first executable regular file of that name in the directories of `path`.
enum ExecutableLookup {
    static func resolve(_ executable: String, path: String?) -> String? {
        if executable.contains("/") { return executable }
        guard !executable.isEmpty else { return nil }
        for directory in (path ?? "").split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = directory.hasSuffix("/") ? "\(directory)\(executable)" : "\(directory)/\(executable)"
            var info = stat()
            if stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }
}
