import Foundation

/// Every secret this process knows, to be masked wherever text leaves it: stored errors and
/// summaries, feedback to GitHub, callbacks and chat, server logs, scripts' output. Configured
/// secrets are added at start; secrets that only appear at run time — GitHub App installation
/// tokens as they are minted, the database password — when they appear.
public final class SecretRegistry: Sendable {
    /// The one of this process: the service registers into it and every masking point reads it.
    public static let process = SecretRegistry()

    private let state = Locked<(values: Set<String>, masker: SecretMasker)>(([], SecretMasker(values: [])))

    public init(values: [String] = []) {
        add(values)
    }

    /// Values shorter than `minimumLength` are left out: masked process-wide, a short test or
    /// development value would blank ordinary words in every message (scripts' own output is
    /// still masked for every configured secret of 3 bytes or more, `ScriptExecutor`).
    public static let minimumLength = 8

    public func add(_ values: [String]) {
        state.withLock { state in
            let before = state.values.count
            state.values.formUnion(values.filter { $0.utf8.count >= Self.minimumLength })
            if state.values.count != before { state.masker = SecretMasker(values: Array(state.values)) }
        }
    }

    public func add(_ value: String) { add([value]) }

    /// A masker for everything known now.
    public var masker: SecretMasker { state.withLock { $0.masker } }

    public func mask(_ text: String) -> String { masker.mask(text) }
}

extension DatabaseLocation {
    /// The password in a PostgreSQL URL, to be masked like any configured secret.
    public var password: String? {
        guard case .postgres(let url) = self, let components = URLComponents(string: url) else { return nil }
        return components.password.map { $0.removingPercentEncoding ?? $0 }
    }
}
