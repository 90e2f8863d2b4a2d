import JobrunnerCore
import Logging

/// Masks every secret the process knows (`SecretRegistry`) in a log line's message and metadata
/// before the wrapped handler writes it: errors quote URLs, commands and answers that may hold one.
struct MaskingLogHandler: LogHandler {
    var inner: any LogHandler
    let secrets: SecretRegistry

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    /// Kept here, not in `inner`, so that the logger's own metadata is masked too.
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let masker = secrets.masker
        var masked = event
        let merged = metadata.merging(event.metadata ?? [:]) { _, line in line }
        masked.metadata = merged.isEmpty ? nil : (masker.isEmpty ? merged : merged.mapValues { Self.mask($0, masker) })
        if !masker.isEmpty { masked.message = "\(masker.mask(event.message.description))" }
        inner.log(event: masked)
    }

    static func mask(_ value: Logger.MetadataValue, _ masker: SecretMasker) -> Logger.MetadataValue {
        switch value {
        case .string(let text): .string(masker.mask(text))
        case .stringConvertible(let convertible): .string(masker.mask(convertible.description))
        case .array(let values): .array(values.map { mask($0, masker) })
        case .dictionary(let values): .dictionary(values.mapValues { mask($0, masker) })
        }
    }
}
