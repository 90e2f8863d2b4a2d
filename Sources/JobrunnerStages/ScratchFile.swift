#if canImport(Glibc)
import Glibc
#endif

/// Writes a file into a build or run directory: scratch space removed right after, so — unlike
/// Foundation's `Data.write`, which syncs every file to disk — nothing is flushed. That flush
/// was one disk round trip per file on the way from webhook to script.
enum ScratchFile {
    struct WriteError: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "could not write \(path): \(reason)" }
    }

    static func write(_ bytes: [UInt8], to path: String, permissions: mode_t = 0o644) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, permissions)
        guard descriptor >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw WriteError(path: path, reason: String(cString: strerror(errno)))
            }
            written += result
        }
    }
}
