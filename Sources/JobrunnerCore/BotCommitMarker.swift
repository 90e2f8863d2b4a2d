/// The trailer CLEANUP puts in its commit message. Intake ignores files added by commits that
/// carry it, so the bot's own pushes never start pipelines. Anyone can write the trailer into
/// a commit message, but doing so can only stop a script from running, never start one.
public enum BotCommitMarker {
    public static let trailer = "Jobrunner-Cleanup:"

    /// Any line break ends a line: a message with CRLF endings (one `Character` in Swift) counts.
    public static func isBotCommit(message: String) -> Bool {
        message.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).contains { line in
            line.trimmingPrefixWhitespace().hasPrefix(trailer)
        }
    }
}

extension Substring {
    fileprivate func trimmingPrefixWhitespace() -> Substring {
        drop { $0 == " " || $0 == "\t" }
    }
}
