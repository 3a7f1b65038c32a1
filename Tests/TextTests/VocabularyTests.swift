import Foundation
import Testing
import Text

@Suite struct VocabularyTests {
    @Test func specialsComeFirst() {
        let vocabulary = Vocabulary(pieces: ["a"])
        #expect(Vocabulary.specialPieces == ["<pad>", "<unk>", "<s>", "</s>"])
        let ids: [Int] = [Vocabulary.paddingID, Vocabulary.unknownID, Vocabulary.startID, Vocabulary.endID]
        #expect(ids == [0, 1, 2, 3])
        #expect(vocabulary.id(for: "<pad>") == Vocabulary.paddingID)
        #expect(vocabulary.id(for: "</s>") == Vocabulary.endID)
        #expect(vocabulary.piece(for: 4) == "a")
        #expect(vocabulary.count == 5)
    }

    @Test func buildsByFrequencyWithMinimumAndMaximum() {
        let sequences = [["b", "a", "c"], ["a", "b", "a"], ["d"]]
        let full = Vocabulary(counting: sequences)
        #expect(full.pieces == Vocabulary.specialPieces + ["a", "b", "c", "d"])
        #expect(full.counts == [0, 0, 0, 0, 3, 2, 1, 1])
        #expect(Vocabulary(counting: sequences, minimumFrequency: 2).pieces.dropFirst(4) == ["a", "b"])
        #expect(Vocabulary(counting: sequences, maximumSize: 5).pieces.dropFirst(4) == ["a"])
    }

    @Test func mapsUnknownPiecesToUnkAndCountsThem() {
        let vocabulary = Vocabulary(pieces: ["a", "é"])
        var unknown = 0
        #expect(vocabulary.ids(for: ["a", "zz", "é", "e\u{301}", "a"], unknownCount: &unknown) == [4, 1, 5, 1, 4])
        #expect(unknown == 2)
        #expect(vocabulary.id(for: "missing") == Vocabulary.unknownID)
        #expect(!vocabulary.contains("e\u{301}"))
    }

    @Test func roundTripsThroughFiles() throws {
        let vocabulary = Vocabulary(pieces: ["the", "￭.", "hou@@", "tab\tpiece", "e\u{301}", "é"], counts: [9, 8, 7, 6, 5, 4])
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("vocabulary.txt")
        try vocabulary.write(to: url)
        let loaded = try Vocabulary(contentsOf: url)
        #expect(loaded == vocabulary)
        #expect(loaded.id(for: "tab\tpiece") == 7)
        #expect(loaded.id(for: "é") == 9)
        #expect(try String(contentsOf: url, encoding: .utf8).hasPrefix("<pad>\t0\n<unk>\t0\n<s>\t0\n</s>\t0\nthe\t9\n"))
    }

    static let header = "<pad>\t0\n<unk>\t0\n<s>\t0\n</s>\t0\n"

    func load(_ text: String) throws -> Vocabulary {
        try Vocabulary(data: Data(text.utf8), file: "v.txt")
    }

    @Test func rejectsBadFilesWithFileLineAndField() {
        #expect(throws: VocabularyError.duplicatePiece(file: "v.txt", line: 6, piece: "a", firstLine: 5)) {
            try load(Self.header + "a\t3\na\t2\n")
        }
        #expect(throws: VocabularyError.missingSpecial(file: "v.txt", line: 2, expected: "<unk>", found: "a")) {
            try load("<pad>\t0\na\t1\n")
        }
        #expect(throws: VocabularyError.missingSpecial(file: "v.txt", line: 3, expected: "<s>", found: nil)) {
            try load("<pad>\t0\n<unk>\t0\n")
        }
        #expect(throws: VocabularyError.missingField(file: "v.txt", line: 5, field: "count", text: "a 3")) {
            try load(Self.header + "a 3\n")
        }
        #expect(throws: VocabularyError.invalidField(file: "v.txt", line: 5, field: "count", text: "many", reason: "not a non-negative integer")) {
            try load(Self.header + "a\tmany\n")
        }
        #expect(throws: VocabularyError.invalidField(file: "v.txt", line: 5, field: "piece", text: "", reason: "empty piece")) {
            try load(Self.header + "\t3\n")
        }
        #expect(throws: VocabularyError.invalidUTF8(file: "v.txt", line: 5)) {
            try Vocabulary(data: Data(Self.header.utf8) + Data([0x61, 0xFF, 0x09, 0x31, 0x0A]), file: "v.txt")
        }
        #expect(throws: VocabularyError.self) { try Vocabulary(contentsOf: URL(fileURLWithPath: "/nonexistent/v.txt")) }
        let message = VocabularyError.duplicatePiece(file: "v.txt", line: 6, piece: "a", firstLine: 5).localizedDescription
        #expect(message.contains("v.txt:6") && message.contains("line 5"))
    }

    @Test func acceptsCRLFAndMissingFinalNewline() throws {
        let vocabulary = try load("<pad>\t0\r\n<unk>\t0\r\n<s>\t0\r\n</s>\t0\r\nx\t1")
        #expect(vocabulary.pieces.last == "x")
    }
}
