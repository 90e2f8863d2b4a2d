import JobrunnerCore
import Logging

/// Installs the process-wide log handler for the configured level and format. Call once.
public enum LoggingSetup {
    public static func bootstrap(_ settings: Settings) {
        let level = settings.logLevel
        let format = settings.logFormat
        let output = BufferedLogOutput.standardError
        BufferedLogOutput.flushAtExit()
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                switch format {
                case .plain: StreamLogHandler(label: label, stream: BufferedLogStream(output: output))
                case .json: JSONLinesLogHandler(label: label, write: output.write)
                }
            handler.logLevel = level
            return MaskingLogHandler(inner: handler, secrets: .process)
        }
    }
}
