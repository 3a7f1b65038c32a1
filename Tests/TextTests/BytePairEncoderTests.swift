import Foundation
import Testing
import Text

@Suite struct BytePairEncoderTests {
    func encoder() throws -> BytePairEncoder {
        BytePairEncoder(codes: try BPECodes(contentsOf: Fixtures.url("bpe/codes.bpe")))
    }

    /// Every word of the list is segmented as `subword-nmt apply-bpe` segmented it, including
    /// long words (merged through the heap path) and words holding `</w>` or combining marks.
    @Test func segmentsWordsLikeSubwordNMT() throws {
        let encoder = try encoder()
        let words = TextFile(data: try Data(contentsOf: Fixtures.url("bpe/words.txt")), name: "words.txt").lines
        let expected = TextFile(data: try Data(contentsOf: Fixtures.url("bpe/words.segmented.txt")), name: "segmented").lines
        #expect(words.count == expected.count)
        #expect(words.contains { $0.unicodeScalars.count > 64 })
        for (word, segmentation) in zip(words, expected) {
            #expect(encoder.apply(toLine: word) == segmentation, "\(word)")
        }
    }

    /// Whole lines come out byte for byte as subword-nmt writes them (spaces, tabs, line ends).
    @Test func appliesToLinesByteForByte() throws {
        let encoder = try encoder()
        let lines = TextFile(data: try Data(contentsOf: Fixtures.url("bpe/corpus.txt")), name: "corpus", lineBreaks: .python).lines
        let output = lines.map(encoder.apply(toLine:)).joined()
        #expect(Array(output.utf8) == Array(try Data(contentsOf: Fixtures.url("bpe/corpus.segmented.txt"))))
    }

    @Test func appliesMergesInRankOrder() {
        let codes = BPECodes(merges: [.init("l", "o"), .init("lo", "w"), .init("e", "r</w>"), .init("low", "er</w>")])
        let encoder = BytePairEncoder(codes: codes)
        #expect(encoder.segment("lower") == ["lower"])
        #expect(encoder.segment("lowest") == ["low", "e", "s", "t"])
        #expect(encoder.segment("x") == ["x"])
        #expect(encoder.segment("") == [])
        #expect(encoder.apply(toWords: ["lowest", "lower"]) == ["low@@", "e@@", "s@@", "t", "lower"])
        #expect(encoder.apply(toLine: "  lowest  lower \n") == "  low@@ e@@ s@@ t lower \n")
        #expect(encoder.apply(toLine: "\n") == "\n")
    }

    @Test func mergesNonOverlappingOccurrencesLeftToRight() {
        let encoder = BytePairEncoder(codes: BPECodes(merges: [.init("a", "a"), .init("a", "a</w>")]))
        #expect(encoder.segment("aaa") == ["aa", "a"])
        #expect(encoder.segment("aaaa") == ["aa", "aa"]) // (a, a) twice, then (a, a</w>) is gone
        // The heap path used for long words gives the same answer as the scanning loop would.
        let long = String(repeating: "a", count: 101)
        #expect(encoder.segment(long) == Array(repeating: "aa", count: 50) + ["a"])
    }

    @Test func readsVersion01Codes() throws {
        // Results checked with subword-nmt apply-bpe: `</w>` is a symbol of its own.
        let codes = try BPECodes(parsing: "l o\nlo w\nw </w>\nx </w>\n")
        let encoder = BytePairEncoder(codes: codes)
        #expect(codes.version == .v0_1)
        #expect(encoder.segment("low") == ["low"])
        #expect(encoder.segment("wow") == ["w", "o", "w"])
        #expect(encoder.segment("lox") == ["lo", "x"])
    }

    @Test func longTokenTakesRoughlyLinearTime() throws {
        let encoder = try encoder()
        /// The fastest of three segmentations of different `length`-character words (distinct
        /// words defeat the cache; the minimum tames the noise of tests running in parallel).
        func time(_ length: Int) -> Double {
            (0..<3).map { variant in
                let word = String(repeating: "x", count: variant + 1)
                    + String(String(repeating: "lowertowerwalking", count: length / 17 + 1).prefix(length))
                let start = Date()
                _ = encoder.segment(word)
                return Date().timeIntervalSince(start)
            }.min()!
        }
        _ = time(1_000)
        // Sizes past the CPU caches: linear time makes 4x the word cost about 4x, the quadratic
        // scan 16x.
        let small = time(100_000), large = time(400_000)
        #expect(small < 1.0)
        #expect(large < max(small, 0.005) * 10, "100k: \(small)s, 400k: \(large)s")
    }
}
