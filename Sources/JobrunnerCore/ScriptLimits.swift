import Foundation

/// What one script run may use (`JOBRUNNER_SCRIPT_LIMITS`): past a limit the run is stopped and
/// recorded as such, and the service and the other runs go on. nil: no limit of that kind.
public struct ScriptLimits: Sendable, Equatable, CustomStringConvertible {
    /// Bytes of memory (RAM, no swap) of all the run's processes together.
    public var memory: Int?
    /// Processes and threads the run may have at once.
    public var processes: Int?
    /// Cores' worth of CPU time, e.g. 1.5.
    public var cpu: Double?
    /// Bytes the private `/tmp` (RAM-backed) may hold.
    public var tmp: Int?
    /// Bytes the run directory (`HOME`, `TMPDIR`) may hold on the data disk.
    public var disk: Int?

    public init(memory: Int? = nil, processes: Int? = nil, cpu: Double? = nil, tmp: Int? = nil, disk: Int? = nil) {
        self.memory = memory
        self.processes = processes
        self.cpu = cpu
        self.tmp = tmp
        self.disk = disk
    }

    /// Enough for a backfill on a small machine, not enough to take the machine down.
    public static let defaults = ScriptLimits(
        memory: 1 << 30, processes: 256, cpu: 1, tmp: 256 << 20, disk: 1 << 30)

    public static let names = ["memory", "processes", "cpu", "tmp", "disk"]

    /// `memory=1GiB,processes=256,cpu=1.5,tmp=256MiB,disk=2GiB`; a name left out keeps its
    /// default, `none` lifts that limit. Throws what is wrong, quoting the item.
    public static func parse(_ text: String) throws(SettingsProblem) -> ScriptLimits {
        var limits = defaults
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let name = parts.first?.lowercased(), names.contains(name) else {
                throw SettingsProblem("'\(item)' is not NAME=VALUE with NAME one of \(names.joined(separator: ", "))")
            }
            let value = parts[1]
            let lifted = value.lowercased() == "none"
            switch name {
            case "processes":
                guard lifted || (Int(value).map { $0 >= 8 } ?? false) else {
                    throw SettingsProblem("processes='\(value)' is not a whole number of at least 8, or none")
                }
                limits.processes = lifted ? nil : Int(value)
            case "cpu":
                guard lifted || (Double(value).map { $0 >= 0.01 && $0 <= 1024 } ?? false) else {
                    throw SettingsProblem("cpu='\(value)' is not a number of cores such as 0.5 or 2, or none")
                }
                limits.cpu = lifted ? nil : Double(value)
            default:
                let size = ByteSizeParser.parse(value)
                guard lifted || (size.map { $0 >= 1 << 20 } ?? false) else {
                    throw SettingsProblem("\(name)='\(value)' is not a size of at least 1MiB (such as 512MiB or 2GiB), or none")
                }
                let bytes = lifted ? nil : size
                switch name {
                case "memory": limits.memory = bytes
                case "tmp": limits.tmp = bytes
                default: limits.disk = bytes
                }
            }
        }
        return limits
    }

    /// The setting's text for these limits, as `parse` reads it.
    public var description: String {
        func size(_ bytes: Int?) -> String { bytes.map(ByteSizeParser.format) ?? "none" }
        let cores = cpu.map { $0 == $0.rounded() ? String(Int($0)) : String($0) } ?? "none"
        return "memory=\(size(memory)),processes=\(processes.map(String.init) ?? "none"),cpu=\(cores),tmp=\(size(tmp)),disk=\(size(disk))"
    }
}

/// The limit a run was stopped at: what the record says instead of a bare signal.
public enum RunLimit: String, Sendable, Codable, Equatable, CaseIterable {
    case memory
    case processes
    case disk

    /// How the outcome reads: "killed: out of memory".
    public var killedBecause: String {
        switch self {
        case .memory: "out of memory"
        case .processes: "too many processes"
        case .disk: "disk limit reached"
        }
    }
}
