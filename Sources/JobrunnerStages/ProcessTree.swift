import CProcessControl
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The processes below a run's process, read from /proc — to reach descendants that left its
/// process group (`setsid`) and to signal each exactly: a process is named by its PID and start
/// time, and signalled through a pidfd, so a PID the kernel reused for another process is never hit.
public enum ProcessTree {
    public struct Member: Equatable, Sendable {
        public var pid: pid_t
        public var parent: pid_t
        /// The command name (`comm`), at most 15 bytes.
        public var name: String
        /// R, S, D, Z (zombie: exited, not yet reaped), X, …
        var state: Character
        /// Clock ticks after boot (field 22 of /proc/PID/stat): with the PID, names one process.
        var startTime: UInt64
    }

    /// Every living descendant of `root` (not `root` itself), parents before children.
    static func descendants(of root: pid_t) -> [Member] {
        descendants(of: root, in: members())
    }

    /// The descendants of `root` among `all` (one reading of /proc for several roots).
    public static func descendants(of root: pid_t, in all: [Member]) -> [Member] {
        var children: [pid_t: [Member]] = [:]
        for member in all { children[member.parent, default: []].append(member) }
        var found: [Member] = []
        var frontier = [root]
        while let next = frontier.popLast() {
            for child in children[next] ?? [] where child.pid != root {
                found.append(child)
                frontier.append(child.pid)
            }
        }
        return found
    }

    /// Sends `signal` to `member` if it is still the same process.
    static func signal(_ member: Member, _ signal: Int32) {
        let descriptor = jobrunner_pidfd_open(member.pid)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        // Opened first, checked second: if the PID still has this start time, the descriptor
        // holds the process it names.
        guard read(member.pid)?.startTime == member.startTime else { return }
        _ = jobrunner_pidfd_send_signal(descriptor, signal)
    }

    /// Every process of the machine (as this process's PID namespace shows them).
    public static func members() -> [Member] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return names.compactMap { name in pid_t(name).flatMap(read) }
    }

    static func read(_ pid: pid_t) -> Member? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
        else { return nil }
        // After the command name: state, ppid, … starttime is the 20th field after it.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let parent = pid_t(fields[1]), let start = UInt64(fields[19]) else {
            return nil
        }
        return Member(pid: pid, parent: parent, name: String(stat[stat.index(after: open)..<close]), state: state, startTime: start)
    }
}
