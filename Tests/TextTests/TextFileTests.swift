import Foundation
import Testing
import Text

@Suite struct TextFileTests {
    @Test func replacesAndReportsInvalidUTF8WithFileAndLine() {
        let bytes: [UInt8] = Array("good\n".utf8) + [0x62, 0x61, 0xE9, 0x64, 0x0A] + Array("\nlast".utf8)
        let file = TextFile(data: Data(bytes), name: "corpus.txt")
        #expect(file.lines == ["good", "ba\u{FFFD}d", "", "last"])
        #expect(file.issues == [TextFileIssue(file: "corpus.txt", line: 2)])
        #expect(file.issues[0].description == "corpus.txt:2: invalid UTF-8 replaced with U+FFFD")
    }

    @Test func splitsNewlinesAndCRLF() {
        #expect(TextFile(data: Data("a\r\nb\n\nc".utf8), name: "x").lines == ["a", "b", "", "c"])
        #expect(TextFile(data: Data("a\n".utf8), name: "x").lines == ["a"])
        #expect(TextFile(data: Data(), name: "x").lines.isEmpty)
    }

    @Test func splitsLikePythonSplitlinesKeepingTerminators() {
        let text = "a\r\nb\rc\u{0B}d\u{85}e\u{2028}f\n\ng"
        let lines = TextFile(data: Data(text.utf8), name: "x", lineBreaks: .python).lines
        #expect(lines == ["a\r\n", "b\r", "c\u{0B}", "d\u{85}", "e\u{2028}", "f\n", "\n", "g"])
        #expect(lines.joined() == text)
    }

    @Test func writesAtomically() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("out.txt")
        try TextFile.writeAtomically("one", to: url)
        try TextFile.writeAtomically("two", to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "two")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.txt"])
        #expect(throws: TextFileError.self) { try TextFile.writeAtomically("x", to: URL(fileURLWithPath: "/nonexistent/dir/out.txt")) }
    }
}
