import Foundation

/// The text filter (`q`: a substring of the script path, pusher or author) over a long history:
/// a trigram index narrows the pipelines to those that can contain the text, and the same
/// `LIKE`/`ILIKE` conditions as without it decide — so both drivers, with or without the index,
/// answer alike. Texts shorter than a trigram are scanned.
package enum StoredTextSearch {
    /// The shortest text the trigram indexes can look up.
    package static let shortestIndexed = 3

    /// How many of the newest candidates (of the other filters) both drivers scan before they
    /// ask their trigram index: a common text fills its page among them, while the index lists
    /// every match (cheap for a rare text, costly for a common one).
    package static let scanWindow = 2000

    /// Whether the index must be asked after the window's scan: the page is not full, and the
    /// window held as many candidates as it could (so older ones exist that it did not see).
    package static func needsIndex(found: Int, limit: Int, windowCandidates: Int, window: Int) -> Bool {
        found < limit && windowCandidates >= window
    }

    /// Indexes the pipelines after `indexed_through` (the first `?`) up to the second `?`.
    /// (`MAX(rowid)` of an external-content table reads the content, not the index: the position
    /// is kept in `pipelines_text_state`.)
    package static let sqliteIndexBatch = """
        INSERT INTO pipelines_text (rowid, script_path, pusher, author)
        SELECT id, script_path, pusher, author FROM pipelines WHERE id > ? AND id <= ?
        """

    /// The condition a pipeline that can contain the phrase `?` meets: indexed and matching, or
    /// not indexed yet (then the LIKE conditions alone decide).
    /// One list, so SQLite looks the candidates up by id instead of testing every pipeline.
    package static let sqliteCandidates = """
        p.id IN (SELECT rowid FROM pipelines_text WHERE pipelines_text MATCH ?
                 UNION ALL SELECT id FROM pipelines WHERE id > (SELECT indexed_through FROM pipelines_text_state))
        """

    /// An FTS5 phrase matching `text` as a substring (the trigram tokenizer's phrases do).
    package static func sqlitePhrase(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The three columns as one text, for PostgreSQL's trigram index: a column that contains the
    /// text makes this contain it.
    package static let postgresDocument = "(p.script_path || ' ' || COALESCE(p.pusher, '') || ' ' || COALESCE(p.author, ''))"

    /// PostgreSQL: what to ask the trigram index for `text`, as `ILIKE` patterns over
    /// `postgresDocument` — each three-letter run of letters and digits on its own. Any part of
    /// a match is itself matched, so together they find every pipeline the whole text finds (and
    /// some more, which the columns' own conditions then drop). Separate conditions, not one
    /// pattern: GIN reads a rare trigram's short list and skips through a common one's, while
    /// for one pattern it read every common trigram's whole list (`script-999953` at 1M
    /// pipelines: 78 ms and 2,800 pages as one, 22 ms and 1,100 pages apart, 0.2 ms when a
    /// trigram is absent). A text without such a run is asked for whole.
    package static func postgresPatterns(_ text: String) -> [String] {
        let characters = Array(text)
        var patterns: [String] = []
        var start = 0
        while start + 3 <= characters.count && patterns.count < 12 {
            let run = characters[start..<start + 3]
            if run.allSatisfy({ $0.isLetter || $0.isNumber }) {
                let pattern = "%" + StoredSQL.escapeLike(String(run)) + "%"
                if !patterns.contains(pattern) { patterns.append(pattern) }
            }
            start += 1
        }
        return patterns.isEmpty ? ["%" + StoredSQL.escapeLike(text) + "%"] : patterns
    }
}
