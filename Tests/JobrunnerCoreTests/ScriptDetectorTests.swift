import JobrunnerCore
import Testing

@Suite("Script detection")
struct ScriptDetectorTests {
    let detector = ScriptDetector(jobsDirectory: "jobs")
    typealias Commit = ScriptDetector.Commit

    @Test
    func scriptsAddedInAnyCommitCountInArrivalOrderThenPath() {
        let result = detector.detect([
            Commit(id: "c1", message: "one", author: "alice", added: ["jobs/b.sh", "jobs/a.ts", "src/app.ts"]),
            Commit(id: "c2", message: "two", author: "bob", modified: ["jobs/a.ts"]),
            Commit(id: "c3", message: "three", author: "bob", added: ["jobs/0-first-by-name.py"]),
        ])
        #expect(result.scripts.map(\.path) == ["jobs/a.ts", "jobs/b.sh", "jobs/0-first-by-name.py"])
        #expect(result.scripts.map(\.commit) == ["c2", "c1", "c3"], "the last version in the push runs")
        #expect(result.scripts.map(\.author) == ["alice", "alice", "bob"])
    }

    @Test
    func canonicallyEquivalentNamesAreNotConflatedTheDecomposedOneIsRefused() {
        let composed = "jobs/caf\u{E9}.sh"  // é as one scalar (NFC)
        let decomposed = "jobs/cafe\u{301}.sh"  // e + combining acute (NFD): equal as Swift strings
        #expect(composed == decomposed, "why this matters: Swift compares by canonical equivalence")
        let result = detector.detect([Commit(id: "c1", message: "", author: "mallory", added: [composed, decomposed])])
        #expect(result.scripts.map { Array($0.path.utf8) } == [Array(composed.utf8)], "only the NFC name runs")
        #expect(result.skipped.count == 1)
        #expect(result.skipped.first.map { Array($0.path.utf8) } == Array(decomposed.utf8))
        #expect(result.skipped.first?.reason.contains("normalization form C") == true)
    }

    @Test
    func removedAgainInTheSamePushMeansNotAScript() {
        let result = detector.detect([
            Commit(id: "c1", message: "", added: ["jobs/x.sh", "jobs/y.sh"]),
            Commit(id: "c2", message: "", removed: ["jobs/x.sh"]),
            Commit(id: "c3", message: "", added: ["jobs/x.sh"]),
            Commit(id: "c4", message: "", removed: ["jobs/y.sh"]),
        ])
        #expect(result.scripts.map(\.path) == ["jobs/x.sh"])
        #expect(result.scripts.first?.commit == "c3")
    }

    @Test
    func onlySupportedFilesDirectlyInTheJobsDirectoryAreScripts() {
        let paths = [
            "jobs/ok.ts", "jobs/OK2.SH", "jobs/README.md", "jobs/lib/helper.ts", "jobs/.hidden.sh", "jobs/noext",
            "jobs/-rf.sh", "jobs/../etc/passwd.sh", "jobs/./x.sh", "jobs//x.sh", "jobs/a\nb.sh", "jobs/a\\b.sh",
            "/jobs/abs.sh", "jobsx/y.sh", "other/jobs/z.sh", "lib/../jobs/sneaky.sh",
        ]
        let result = detector.detect([Commit(id: "c1", message: "", added: paths)])
        #expect(result.scripts.map(\.path) == ["jobs/OK2.SH", "jobs/ok.ts"])
        let reasons = Dictionary(uniqueKeysWithValues: result.skipped.map { ($0.path, $0.reason) })
        #expect(reasons["jobs/README.md"]?.contains("unsupported extension .md") == true)
        #expect(reasons["jobs/lib/helper.ts"]?.contains("sub-folder") == true)
        #expect(reasons["jobs/.hidden.sh"] == "hidden file")
        #expect(reasons["jobs/noext"]?.contains("no extension") == true)
        #expect(reasons["jobs/-rf.sh"]?.contains("'-'") == true)
        #expect(reasons["jobs/../etc/passwd.sh"]?.contains("unsafe path") == true)
        #expect(reasons["jobs/./x.sh"]?.contains("unsafe path") == true)
        #expect(reasons["jobs//x.sh"]?.contains("unsafe path") == true)
        #expect(reasons["jobs/a\nb.sh"]?.contains("control character") == true)
        #expect(reasons["jobs/a\\b.sh"]?.contains("backslash") == true)
        #expect(reasons["lib/../jobs/sneaky.sh"]?.contains("unsafe path") == true)
        #expect(reasons["jobsx/y.sh"] == nil && reasons["other/jobs/z.sh"] == nil, "outside the directory: not mentioned")
    }

    @Test
    func theBotsCommitsAddNothing() {
        let result = detector.detect([
            Commit(id: "c1", message: "jobrunner: ran jobs/a.ts\n\nJobrunner-Cleanup: pipeline 3", added: ["jobs/a.ts"]),
            Commit(id: "c2", message: "human", added: ["jobs/b.ts"]),
        ])
        #expect(result.botCommits == ["c1"])
        #expect(result.scripts.map(\.path) == ["jobs/b.ts"])
    }

    @Test
    func aNestedJobsDirectoryAndExtraToolchainsAreHonoured() {
        let nested = ScriptDetector(jobsDirectory: "ops/jobs", supportedExtensions: ["rb"])
        let result = nested.detect([Commit(id: "c", message: "", added: ["ops/jobs/fix.rb", "ops/jobs/fix.sh", "jobs/x.rb"])])
        #expect(result.scripts.map(\.path) == ["ops/jobs/fix.rb"])
    }

    @Test
    func pullRequestNumbersComeFromGitHubsMergeMessages() {
        #expect(PullRequestReference.number(inCommitMessage: "Merge pull request #42 from acme/x\n\nBody") == 42)
        #expect(PullRequestReference.number(inCommitMessage: "Backfill totals (#1234)\n\n* squashed") == 1234)
        #expect(PullRequestReference.number(inCommitMessage: "Fix (#12) in the middle") == nil)
        #expect(PullRequestReference.number(inCommitMessage: "Plain commit") == nil)
        #expect(PullRequestReference.number(inCommitMessage: "Odd (#abc)") == nil)
    }
}
