import Foundation
import JobrunnerCore
import Logging

/// Installs the process-wide log handler for the configured level and format. Call once.
public enum LoggingSetup {
    public static func bootstrap(_ settings: Settings) {
        let level = settings.logLevel
        let format = settings.logFormat
        let output = BufferedLogOutput.standardError
        // swift-log's plain handler asks glibc for local time on every line, and glibc re-reads
        // /etc/localtime (a stat per line) unless TZ is set; this names the very same zone.
        if format == .plain, getenv("TZ") == nil { setenv("TZ", ":/etc/localtime", 0) }
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
