import JobrunnerCore

/// What of the Deployment's pod template a script's pod takes besides the container's image
/// and environment: how it is secured, how its image is pulled, the files the container mounts
/// and where it may be scheduled. Not taken: the application's service account (and any token
/// projected for it), probes, ports, lifecycle hooks, init and sidecar containers, host
/// namespaces — a script is neither served traffic nor given the application's API identity.
public struct ApplicationPodTemplate: Sendable, Equatable {
    /// The pod's `securityContext`, verbatim.
    public var podSecurityContext: JSONValue?
    /// The chosen container's `securityContext`, verbatim.
    public var securityContext: JSONValue?
    public var imagePullSecrets: [JSONValue] = []
    /// The volumes the chosen container mounts (service-account token projections removed).
    public var volumes: [JSONValue] = []
    /// The chosen container's `volumeMounts` of those volumes.
    public var volumeMounts: [JSONValue] = []
    /// `nodeSelector`, `tolerations`, `affinity` and the other fields of `schedulingFields`.
    public var scheduling: [String: JSONValue] = [:]

    /// Where and how the pod runs, so a script lands on the application's node pool and
    /// resolves names as it does.
    public static let schedulingFields = [
        "nodeSelector", "tolerations", "affinity", "priorityClassName", "runtimeClassName", "dnsPolicy", "dnsConfig",
        "hostAliases",
    ]

    public init() {}

    /// From a Deployment's `spec.template.spec` and the chosen container in it.
    public init(pod: JSONValue?, container: JSONValue) {
        podSecurityContext = pod?["securityContext"]
        securityContext = container["securityContext"]
        imagePullSecrets = pod?["imagePullSecrets"]?.array ?? []
        for field in Self.schedulingFields {
            if let value = pod?[field], value != .null { scheduling[field] = value }
        }
        var kept: [String: JSONValue] = [:]
        for volume in pod?["volumes"]?.array ?? [] {
            guard let name = volume["name"]?.string, let volume = Self.withoutTokens(volume) else { continue }
            kept[name] = volume
        }
        let mounts = (container["volumeMounts"]?.array ?? []).filter { mount in mount["name"]?.string.map { kept[$0] != nil } ?? false }
        let mounted = Set(mounts.compactMap { $0["name"]?.string })
        volumes = (pod?["volumes"]?.array ?? []).compactMap { volume in
            volume["name"]?.string.flatMap { mounted.contains($0) ? kept[$0] : nil }
        }
        volumeMounts = mounts
    }

    /// A projected volume without its `serviceAccountToken` sources (the script's pod must hold
    /// no token); nil when nothing else was in it.
    static func withoutTokens(_ volume: JSONValue) -> JSONValue? {
        guard var object = volume.object, var projected = object["projected"]?.object else { return volume }
        let sources = (projected["sources"]?.array ?? []).filter { $0["serviceAccountToken"] == nil }
        guard !sources.isEmpty else { return nil }
        projected["sources"] = .array(sources)
        object["projected"] = .object(projected)
        return .object(object)
    }

    /// The volume's type: the one field besides `name`.
    static func type(of volume: JSONValue) -> String? {
        volume.object?.keys.first { $0 != "name" }
    }
}

/// The `restricted` Pod Security Standard applied on top of the application's security
/// contexts: its user, group, `fsGroup`, SELinux and read-only root stay; what the standard
/// forbids is set or removed.
enum RestrictedPodSecurity {
    /// The volume types the standard allows.
    static let volumeTypes: Set<String> = [
        "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
    ]

    static func pod(_ context: JSONValue?) -> JSONValue {
        var object = context?.object ?? [:]
        object["runAsNonRoot"] = true
        if object["runAsUser"]?.number == 0 { object["runAsUser"] = nil }
        object["seccompProfile"] = seccomp(object["seccompProfile"])
        // Only the standard's "safe" sysctls would be allowed; a script needs none.
        object["sysctls"] = nil
        if object["appArmorProfile"]?["type"]?.string == "Unconfined" { object["appArmorProfile"] = nil }
        return .object(object)
    }

    static func container(_ context: JSONValue?) -> JSONValue {
        var object = context?.object ?? [:]
        object["allowPrivilegeEscalation"] = false
        object["privileged"] = false
        object["capabilities"] = ["drop": ["ALL"]]
        object["runAsNonRoot"] = true
        if object["runAsUser"]?.number == 0 { object["runAsUser"] = nil }
        object["procMount"] = nil
        if let profile = object["seccompProfile"] { object["seccompProfile"] = seccomp(profile) }
        if object["appArmorProfile"]?["type"]?.string == "Unconfined" { object["appArmorProfile"] = nil }
        return .object(object)
    }

    /// `Localhost` profiles are allowed as they are; anything else becomes `RuntimeDefault`.
    static func seccomp(_ profile: JSONValue?) -> JSONValue {
        if let profile, profile["type"]?.string == "Localhost" { return profile }
        return ["type": "RuntimeDefault"]
    }
}
