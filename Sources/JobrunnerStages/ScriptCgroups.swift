import Foundation
import JobrunnerCore

#if canImport(Glibc)
import Glibc
#endif

/// Per-run control groups below the service's own: where memory, processes and CPU of a script
/// are bounded by the kernel. cgroup v2 where it is delegated to the service (systemd
/// `Delegate=yes`, a container's own cgroup namespace), else the v1 memory, pids and cpu
/// hierarchies where they are writable; nil where neither is (then rlimits hold what they can).
public struct ScriptCgroups: Sendable, Equatable, CustomStringConvertible {
    enum Layout: Sendable, Equatable {
        /// The directory run cgroups are made in, its controllers enabled.
        case v2(String)
        /// The service's own cgroup directory in each v1 hierarchy that could be written.
        case v1(memory: String?, pids: String?, cpu: String?)
    }

    let layout: Layout

    public var description: String {
        switch layout {
        case .v2(let base): "cgroup v2 (\(base))"
        case let .v1(memory, pids, cpu):
            "cgroup v1 (" + [memory.map { "memory \($0)" }, pids.map { "pids \($0)" }, cpu.map { "cpu \($0)" }]
                .compactMap { $0 }.joined(separator: ", ") + ")"
        }
    }

    /// Which limits the kernel holds through these cgroups.
    public var holds: Set<String> {
        switch layout {
        case .v2: ["memory", "processes", "cpu"]
        case let .v1(memory, pids, cpu):
            Set([memory.map { _ in "memory" }, pids.map { _ in "processes" }, cpu.map { _ in "cpu" }].compactMap { $0 })
        }
    }

    /// The cgroups this process may make run cgroups in; nil: none.
    public static func detect(root: String = "/sys/fs/cgroup") -> ScriptCgroups? {
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        var v1: [String: String] = [:]
        var unified: String?
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { continue }
            if fields[0] == "0" && fields[1].isEmpty {
                unified = fields[2]
            } else {
                for controller in fields[1].split(separator: ",") {
                    v1[String(controller)] = root + "/" + fields[1] + (fields[2] == "/" ? "" : fields[2])
                }
            }
        }
        if let unified, FileManager.default.fileExists(atPath: root + "/cgroup.controllers"),
            let base = delegatedV2(root + (unified == "/" ? "" : unified))
        {
            return ScriptCgroups(layout: .v2(base))
        }
        func writable(_ directory: String?) -> String? {
            guard let directory, access(directory, W_OK) == 0, FileManager.default.fileExists(atPath: directory + "/cgroup.procs")
            else { return nil }
            return directory
        }
        let memory = writable(v1["memory"]), pids = writable(v1["pids"]), cpu = writable(v1["cpu"])
        guard memory != nil || pids != nil || cpu != nil else { return nil }
        return ScriptCgroups(layout: .v1(memory: memory, pids: pids, cpu: cpu))
    }

    static let serviceLeaf = "jobrunner-service"

    /// cgroup v2 lets a cgroup with processes in it enable no controllers for its children, so
    /// the service first moves itself into a leaf `jobrunner-service` of its delegated cgroup.
    static func delegatedV2(_ cgroup: String) -> String? {
        // Moved there by an earlier detection of this process (`serve` detects at start, and
        // each executor again): the runs go beside it, not one level deeper each time.
        let own = (cgroup as NSString).lastPathComponent == serviceLeaf ? (cgroup as NSString).deletingLastPathComponent : cgroup
        guard access(own, W_OK) == 0 else { return nil }
        let wanted = ["memory", "pids", "cpu"]
        func enable() -> Bool {
            let available = ((try? String(contentsOfFile: own + "/cgroup.controllers", encoding: .utf8)) ?? "").split(separator: " ")
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            let controllers = wanted.filter(available.contains)
            guard controllers.contains("memory") || controllers.contains("pids") else { return false }
            return write(controllers.map { "+" + $0 }.joined(separator: " "), to: own + "/cgroup.subtree_control")
        }
        if enable() { return own }
        let leaf = own + "/" + serviceLeaf
        try? FileManager.default.createDirectory(atPath: leaf, withIntermediateDirectories: false)
        guard write(String(getpid()), to: leaf + "/cgroup.procs"), enable() else { return nil }
        return own
    }

    /// Makes the cgroups of one run with `limits`; the launcher joins them before the sandbox starts.
    public func create(run: String, limits: ScriptLimits) throws -> RunCgroup {
        // The service's PID in the name: several services (workers of one machine) share the
        // parent cgroup, and each removes only what a dead one left (`removeLeftovers`).
        let name = "jobrunner-run-\(getpid())-" + run
        var made: [RunCgroup.Member] = []
        func make(_ parent: String, _ kind: RunCgroup.Kind) throws -> String {
            let directory = parent + "/" + name
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            } catch {
                throw CgroupError(path: directory, reason: "\(error)")
            }
            made.append(RunCgroup.Member(directory: directory, kind: kind))
            return directory
        }
        func set(_ value: String, _ file: String) throws {
            guard Self.write(value, to: file) else { throw CgroupError(path: file, reason: String(cString: strerror(errno))) }
        }
        do {
            switch layout {
            case .v2(let base):
                let directory = try make(base, .v2)
                if let memory = limits.memory {
                    try set(String(memory), directory + "/memory.max")
                    _ = Self.write("0", to: directory + "/memory.swap.max")
                }
                if let processes = limits.processes { try set(String(processes), directory + "/pids.max") }
                if let cpu = limits.cpu, FileManager.default.fileExists(atPath: directory + "/cpu.max") {
                    try set("\(Int((cpu * 100_000).rounded())) 100000", directory + "/cpu.max")
                }
            case let .v1(memoryParent, pidsParent, cpuParent):
                if let memoryParent, let memory = limits.memory {
                    let directory = try make(memoryParent, .v1Memory)
                    try set(String(memory), directory + "/memory.limit_in_bytes")
                    _ = Self.write(String(memory), to: directory + "/memory.memsw.limit_in_bytes")
                }
                if let pidsParent, let processes = limits.processes {
                    let directory = try make(pidsParent, .v1Pids)
                    try set(String(processes), directory + "/pids.max")
                }
                if let cpuParent, let cpu = limits.cpu {
                    let directory = try make(cpuParent, .other)
                    _ = Self.write("100000", to: directory + "/cpu.cfs_period_us")
                    try set(String(Int((cpu * 100_000).rounded())), directory + "/cpu.cfs_quota_us")
                }
            }
        } catch {
            RunCgroup(members: made).remove()
            throw error
        }
        return RunCgroup(members: made)
    }

    /// Removes run cgroups a killed service left behind (empty once their processes are gone),
    /// never those of a service still alive: one being made is empty until its launcher joins.
    public func removeLeftovers() {
        let parents: [String?] =
            switch layout {
            case .v2(let base): [base]
            case let .v1(memory, pids, cpu): [memory, pids, cpu]
            }
        for parent in parents.compactMap({ $0 }) {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where name.hasPrefix("jobrunner-run-") {
                let owner = name.dropFirst("jobrunner-run-".count).prefix { $0.isNumber }
                guard let pid = pid_t(owner), kill(pid, 0) != 0, errno == ESRCH else { continue }
                rmdir(parent + "/" + name)
            }
        }
    }

    static func write(_ value: String, to path: String) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let bytes = Array(value.utf8)
        return bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) } == bytes.count
    }
}

/// The cgroups of one run.
public struct RunCgroup: Sendable, Equatable {
    enum Kind: Sendable, Equatable { case v2, v1Memory, v1Pids, other }

    struct Member: Sendable, Equatable {
        var directory: String
        var kind: Kind
    }

    let members: [Member]

    /// The files the launcher writes its PID to, so that everything the run starts is inside.
    public var procsFiles: [String] { members.map { $0.directory + "/cgroup.procs" } }

    /// The limit the kernel enforced on the run, if any: the OOM killer ended one of its
    /// processes, or a fork was refused at the process limit.
    /// `killed`: the script ended by SIGKILL. Some kernels (and gVisor) do not count every OOM
    /// kill in `oom_kill`; a SIGKILL in a cgroup whose memory use reached its limit is the same.
    public func exceeded(killed: Bool = false) -> RunLimit? {
        for member in members {
            switch member.kind {
            case .v2:
                if Self.counter("oom_kill", in: member.directory + "/memory.events") > 0 { return .memory }
                if killed, Self.counter("max", in: member.directory + "/memory.events") > 0 { return .memory }
                if Self.counter("max", in: member.directory + "/pids.events") > 0 { return .processes }
            case .v1Memory:
                if Self.counter("oom_kill", in: member.directory + "/memory.oom_control") > 0 { return .memory }
                if killed, Self.number(in: member.directory + "/memory.failcnt") > 0 { return .memory }
            case .v1Pids:
                if Self.counter("max", in: member.directory + "/pids.events") > 0 { return .processes }
            case .other: continue
            }
        }
        return nil
    }

    /// Removes the cgroups; a cgroup goes once the last of its processes is reaped.
    public func remove() {
        for member in members.reversed() {
            for attempt in 0..<50 {
                if rmdir(member.directory) == 0 || errno == ENOENT { break }
                if attempt < 49 { usleep(20_000) }
            }
        }
    }

    static func number(in file: String) -> Int {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return 0 }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    static func counter(_ name: String, in file: String) -> Int {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[0] == name, let value = Int(fields[1]) { return value }
        }
        return 0
    }
}

/// A run's cgroup could not be made or joined: the script is not started unbounded.
public struct CgroupError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String {
        "the script's cgroup \(path) could not be set up (\(reason)); scripts are not started without their limits. "
            + "Fix the cgroup delegation (docs/security.md) or lift the limit in JOBRUNNER_SCRIPT_LIMITS"
    }
}
