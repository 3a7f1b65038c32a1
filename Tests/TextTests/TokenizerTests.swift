import Foundation
import Testing
import Text

@Suite struct TokenizerTests {
    static let corpus = [
        "L'homme qu'il voit n'est pas là, dit-elle.",
        "The lower tower is lower than the newer tower.",
        "The newest towers aren't in the old town; they're new.",
        "Die Donaudampfschifffahrtsgesellschaft baute 1,000 Schiffe für 3.14 Mio. €.",
        "我喜欢自然语言处理。",
        "👩🏽‍💻 codes and 👨‍👩‍👧 walk to the towers!",
        "",
        "  Walking, talking and watching the walkers walk.  ",
    ]

    func learned(_ mode: SubwordMode = .bpe, merges: Int = 60) -> Tokenizer {
        Tokenizer.learn(from: Self.corpus, configuration: TokenizerConfiguration(mode: mode, merges: merges))
    }

    @Test(arguments: SubwordMode.allCases)
    func decodesEncodedTrainingTextToNormalizedText(_ mode: SubwordMode) {
        let tokenizer = learned(mode)
        for line in Self.corpus {
            var unknown = 0
            let ids = tokenizer.encode(line, unknownCount: &unknown)
            #expect(unknown == 0, "a word seen in training became <unk>: \(line)")
            #expect(!ids.contains(Vocabulary.unknownID))
            #expect(tokenizer.decode(ids) == tokenizer.normalize(line))
            #expect(tokenizer.decode(pieces: tokenizer.pieces(line)) == tokenizer.normalize(line))
        }
    }

    @Test func piecesMarkGluedWordsAndContinuations() {
        // Without merges every character is a piece; the joiner is a character of its word.
        let tokenizer = learned(.bpe, merges: 0)
        #expect(tokenizer.pieces("Hi, you") == ["H@@", "i", "￭@@", ",", "y@@", "o@@", "u"])
        #expect(learned(.bpe, merges: 400).pieces("the tower.") == ["the", "tower", "￭."])
        let characters = learned(.character)
        #expect(characters.pieces("l'a.") == ["l@@", "'", "￭@@", "a", "￭@@", "."])
        #expect(learned(.word).pieces("l'a.") == ["l'", "￭a", "￭."])
    }

    @Test func unknownPiecesBecomeUnkAndAreCounted() {
        let tokenizer = learned(.word)
        var unknown = 0
        let ids = tokenizer.encode("the zebra tower", unknownCount: &unknown)
        #expect(unknown == 1)
        #expect(ids[1] == Vocabulary.unknownID)
        #expect(tokenizer.decode(ids) == "the <unk> tower")
        #expect(tokenizer.decode([Vocabulary.startID] + tokenizer.encode("the tower") + [Vocabulary.endID, Vocabulary.paddingID]) == "the tower")
    }

    @Test func encodesEmptyAndBlankLines() {
        let tokenizer = learned()
        #expect(tokenizer.encode("").isEmpty)
        #expect(tokenizer.encode(" \t ").isEmpty)
        #expect(tokenizer.decode([]) == "")
    }

    @Test func savesAndLoadsADirectory() throws {
        let configuration = TokenizerConfiguration(normalization: .nfc, lowercase: true, language: "tr", mode: .bpe, merges: 40)
        let tokenizer = Tokenizer.learn(from: Self.corpus, configuration: configuration)
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try tokenizer.save(to: directory)
        let loaded = try Tokenizer(contentsOf: directory)
        #expect(loaded.configuration == configuration)
        #expect(loaded.codes == tokenizer.codes)
        #expect(loaded.vocabulary == tokenizer.vocabulary)
        for line in Self.corpus { #expect(loaded.encode(line) == tokenizer.encode(line)) }
        // The codes file is an ordinary subword-nmt codes file.
        let codes = try String(contentsOf: directory.appendingPathComponent(Tokenizer.codesFile), encoding: .utf8)
        #expect(codes.hasPrefix("#version: 0.2\n"))
    }

    @Test func readsPartialConfigurationsAndReportsBadFields() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let configurationURL = directory.appendingPathComponent(Tokenizer.configurationFile)
        try Data(#"{"mode": "word"}"#.utf8).write(to: configurationURL)
        try Vocabulary(pieces: ["a"]).write(to: directory.appendingPathComponent(Tokenizer.vocabularyFile))
        let loaded = try Tokenizer(contentsOf: directory)
        #expect(loaded.configuration == TokenizerConfiguration(mode: .word))

        try Data(#"{"mode": "letters"}"#.utf8).write(to: configurationURL)
        do {
            _ = try Tokenizer(contentsOf: directory)
            Issue.record("expected an error")
        } catch {
            #expect(error.localizedDescription.contains("tokenizer.json"))
            #expect(error.localizedDescription.contains("mode"))
        }
        try FileManager.default.removeItem(at: directory.appendingPathComponent(Tokenizer.vocabularyFile))
        try Data("{}".utf8).write(to: configurationURL)
        #expect(throws: TokenizerError.self) { try Tokenizer(contentsOf: directory) }
    }

    @Test func learnsJointCodesWithSeparateOrSharedVocabularies() {
        let source = ["the tower and the towers", "a lower tower"]
        let target = ["la tour et les tours", "une tour plus basse"]
        let english = TokenizerConfiguration(language: "en", merges: 30)
        let french = TokenizerConfiguration(language: "fr", merges: 30)
        let separate = Tokenizer.learnJoint(source: source, target: target, sourceConfiguration: english, targetConfiguration: french)
        #expect(separate.source.codes == separate.target.codes)
        #expect(separate.source.vocabulary != separate.target.vocabulary)
        #expect(separate.target.pieces("la tour").allSatisfy(separate.target.vocabulary.contains))
        let shared = Tokenizer.learnJoint(source: source, target: target, sourceConfiguration: english,
                                          targetConfiguration: french, sharedVocabulary: true)
        #expect(shared.source.vocabulary == shared.target.vocabulary)
        for line in source + target {
            #expect(shared.source.decode(shared.source.encode(line)) == line)
        }
    }

    /// A 100,000-character line (one giant token, then many words) is encoded without crashing,
    /// round-trips, and takes roughly linear time.
    @Test func handlesA100000CharacterLineInRoughlyLinearTime() {
        let tokenizer = learned()
        func line(_ length: Int, words: Bool, variant: Int) -> String {
            // A different first letter per variant defeats the word cache between timings.
            let unit = words ? "the lower tower, " : "lowertowerwalkingtheé"
            let prefix = String(UnicodeScalar(UInt8(97 + variant)))
            return prefix + String(String(repeating: unit, count: length / unit.count + 1).prefix(length - 1))
        }
        /// The fastest of three encodings of different `length`-character lines (timing is noisy
        /// while other tests run in parallel).
        func time(_ length: Int, words: Bool) -> Double {
            (0..<3).map { variant in
                let text = line(length, words: words, variant: variant + (length > 200_000 ? 3 : 0))
                let start = Date()
                _ = tokenizer.encode(text)
                return Date().timeIntervalSince(start)
            }.min()!
        }
        for words in [false, true] {
            let text = line(100_000, words: words, variant: 10)
            let ids = tokenizer.encode(text)
            let pieces = tokenizer.pieces(text)
            #expect(ids.count == pieces.count && !ids.isEmpty)
            #expect(tokenizer.decode(pieces: pieces) == tokenizer.normalize(text))
            // Sizes past the CPU caches: linear time makes 4x the text cost about 4x, quadratic 16x.
            let short = time(100_000, words: words), long = time(400_000, words: words)
            #expect(short < 1.0)
            #expect(long < max(short, 0.005) * 10, "100k: \(short)s, 400k: \(long)s")
        }
    }

    @Test(.enabled(if: !Fixtures.sharedIsAbsent, "../shared is absent: skipping the Multi30k tokeniser round trip"))
    func roundTripsMulti30kThroughIds() throws {
        let url = Fixtures.shared!.appendingPathComponent("corpora/multi30k/val.de")
        let lines = try TextFile(contentsOf: url).lines
        let tokenizer = Tokenizer.learn(from: lines, configuration: TokenizerConfiguration(language: "de", merges: 2_000))
        for line in lines {
            var unknown = 0
            let ids = tokenizer.encode(line, unknownCount: &unknown)
            #expect(unknown == 0)
            #expect(tokenizer.decode(ids) == tokenizer.normalize(line))
        }
    }
}
