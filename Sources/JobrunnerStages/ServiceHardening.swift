import CProcessControl
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What the service does to itself before it runs anything, so that a script — even one
/// running without the sandbox, as the same user — cannot read the service's memory or files.
public enum ServiceHardening {
    /// Non-dumpable (closes /proc/<pid>/environ, mem and ptrace to same-user processes); files
    /// and directories created from now on are owner-only whatever the inherited umask; the
    /// data directory (database, clones, work) and an existing SQLite database are made
    /// owner-only too, as they may predate this.
    public static func apply(dataDirectory: String, databaseFile: String?) throws {
        guard jobrunner_set_non_dumpable() == 0 else {
            throw HardeningError(step: "prctl(PR_SET_DUMPABLE, 0)", code: errno)
        }
        umask(0o077)
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        guard chmod(dataDirectory, 0o700) == 0 else { throw HardeningError(step: "chmod 0700 \(dataDirectory)", code: errno) }
        for path in [databaseFile].compactMap({ $0 }) + ["-wal", "-shm"].compactMap({ suffix in databaseFile.map { $0 + suffix } })
        where FileManager.default.fileExists(atPath: path) {
            guard chmod(path, 0o600) == 0 else { throw HardeningError(step: "chmod 0600 \(path)", code: errno) }
        }
    }

    /// Whether other processes of the same user can read this one's memory and environment.
    public static var isDumpable: Bool { jobrunner_is_dumpable() != 0 }
}

public struct HardeningError: Error, Sendable, Equatable, CustomStringConvertible {
    public var step: String
    public var code: Int32

    public var description: String { "could not harden the service: \(step) failed (\(String(cString: strerror(code))))" }
}
