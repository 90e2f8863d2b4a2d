import JobrunnerCore
import Logging

/// Installs the process-wide log handler for the configured level and format. Call once.
public enum LoggingSetup {
    public static func bootstrap(_ settings: Settings) {
        let level = settings.logLevel
        let format = settings.logFormat
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                switch format {
                case .plain: StreamLogHandler.standardError(label: label)
                case .json: JSONLinesLogHandler(label: label)
                }
            handler.logLevel = level
            return MaskingLogHandler(inner: handler, secrets: .process)
        }
    }
}
