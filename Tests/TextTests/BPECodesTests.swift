import Foundation
import Testing
import Text

@Suite struct BPECodesTests {
    func corpusLines() throws -> [String] {
        let file = TextFile(data: try Data(contentsOf: Fixtures.url("bpe/corpus.txt")), name: "corpus.txt", lineBreaks: .python)
        return file.lines
    }

    /// Parley's learner reproduces `subword-nmt learn-bpe -s 300` (which stops at 147 merges).
    @Test(arguments: [("bpe/codes.bpe", 300), ("bpe/codes-40.bpe", 40)])
    func learnerMatchesSubwordNMT(_ fixture: String, _ merges: Int) throws {
        let counts = BPECodes.countWords(inLines: try corpusLines())
        let learned = BPECodes.learn(wordCounts: counts, merges: merges)
        let expected = try Fixtures.text(fixture)
        #expect(learned.fileContents == expected)
        let reference = try BPECodes(contentsOf: Fixtures.url(fixture))
        #expect(learned == reference)
    }

    @Test func learnedMergesDoNotDependOnWordOrder() throws {
        let counts = BPECodes.countWords(inLines: try corpusLines())
        let forward = BPECodes.learn(wordCounts: counts, merges: 100)
        let backward = BPECodes.learn(wordCounts: counts.reversed(), merges: 100)
        #expect(forward == backward)
    }

    @Test func learnsTextbookExample() {
        // Sennrich et al. (2016), figure 1: low, lower, newest, widest.
        let counts: [(word: String, count: Int)] = [("low", 5), ("lower", 2), ("newest", 6), ("widest", 3)]
        let codes = BPECodes.learn(wordCounts: counts, merges: 4)
        // Checked with `subword-nmt learn-bpe --dict-input -s 4`; the 6-way tie goes to (w, est</w>).
        #expect(codes.merges == [.init("s", "t</w>"), .init("e", "st</w>"), .init("l", "o"), .init("w", "est</w>")])
    }

    @Test func tiesGoToTheGreaterPairInCodePointOrder() {
        let codes = BPECodes.learn(wordCounts: [(word: "ab", count: 3), (word: "cd", count: 3)], merges: 1)
        #expect(codes.merges == [.init("c", "d</w>")])
    }

    @Test func stopsBelowMinimumFrequency() {
        let codes = BPECodes.learn(wordCounts: [(word: "abc", count: 1)], merges: 10)
        #expect(codes.merges.isEmpty)
        #expect(BPECodes.learn(wordCounts: [(word: "abc", count: 1)], merges: 10, minimumFrequency: 1).merges.count == 2)
        #expect(BPECodes.learn(wordCounts: [(word: "a", count: 9)], merges: 10).merges.isEmpty)
    }

    @Test func countsWordsLikeSubwordNMT() {
        let counts = BPECodes.countWords(inLines: ["  a  b a\r\n", "é e\u{301}\n", "\n"])
        #expect(counts.map(\.word) == ["a", "b", "é", "e\u{301}"])
        #expect(counts.map(\.count) == [2, 1, 1, 1])
    }

    @Test func parsesAndWritesCodesFiles() throws {
        let codes = try BPECodes(parsing: "#version: 0.2\nt h\nth e</w>\r\n\n\n")
        #expect(codes.version == .v0_2)
        #expect(codes.merges == [.init("t", "h"), .init("th", "e</w>")])
        #expect(codes.fileContents == "#version: 0.2\nt h\nth e</w>\n")
        #expect(try BPECodes(parsing: "t h\n").version == .v0_1)
        #expect(try BPECodes(parsing: "#version: 0.2\na b\nc d\n", limit: 1).merges.count == 1)
        #expect(try BPECodes(parsing: "#version: 0.2\n").merges.isEmpty)

        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("codes.bpe")
        try codes.write(to: url)
        #expect(try BPECodes(contentsOf: url) == codes)
    }

    @Test func rejectsMalformedCodesWithFileAndLine() {
        #expect(throws: BPECodesError.invalidLine(file: "c.bpe", line: 3, text: "a b c")) {
            try BPECodes(parsing: "#version: 0.2\nx y\na b c\n", file: "c.bpe")
        }
        #expect(throws: BPECodesError.invalidLine(file: "c.bpe", line: 2, text: "")) {
            try BPECodes(parsing: "x y\n\nz w\n", file: "c.bpe")
        }
        #expect(throws: BPECodesError.unsupportedVersion(file: "c.bpe", version: "0.3")) {
            try BPECodes(parsing: "#version: 0.3\nx y\n", file: "c.bpe")
        }
        let error = BPECodesError.invalidLine(file: "c.bpe", line: 3, text: "a b c")
        #expect(error.localizedDescription.contains("c.bpe:3"))
        #expect(throws: BPECodesError.self) { try BPECodes(contentsOf: URL(fileURLWithPath: "/nonexistent/codes.bpe")) }
    }
}
