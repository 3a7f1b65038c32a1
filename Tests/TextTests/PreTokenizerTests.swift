import Foundation
import Testing
import Text

@Suite struct PreTokenizerTests {
    let normalizer = Normalizer()
    let preTokenizer = PreTokenizer()

    func words(_ text: String, language: String? = nil) -> [String] {
        PreTokenizer(language: language).words(normalizer(text))
    }

    @Test func splitsPunctuationAndMarksGluedWords() {
        #expect(words("Hello, world!") == ["Hello", "￭,", "world", "￭!"])
        #expect(words("(yes)") == ["(", "￭yes", "￭)"])
    }

    @Test func splitsFrenchAndItalianElisions() {
        #expect(words("L'homme qu'il voit n'est pas d'ici.") == ["L'", "￭homme", "qu'", "￭il", "voit", "n'", "￭est", "pas", "d'", "￭ici", "￭."])
        #expect(words("J’aime jusqu'à l’aube", language: "fr") == ["J’", "￭aime", "jusqu'", "￭à", "l’", "￭aube"])
        #expect(words("dell'arte e l'amico", language: "it") == ["dell'", "￭arte", "e", "l'", "￭amico"])
    }

    @Test func splitsEnglishClitics() {
        #expect(words("I don't think it's John's; we're sure they'll go.") ==
            ["I", "do", "￭n't", "think", "it", "￭'s", "John", "￭'s", "￭;", "we", "￭'re", "sure", "they", "￭'ll", "go", "￭."])
        #expect(words("can't", language: "en") == ["ca", "￭n't"])
        // A French text keeps English-looking endings whole, an English one keeps l' whole.
        #expect(words("l'homme", language: "en") == ["l'homme"])
    }

    @Test func keepsNumbersWhole() {
        #expect(words("3.14 and 1,000 or 1.000.000,5") == ["3.14", "and", "1,000", "or", "1.000.000,5"])
        #expect(words("Pay 1,000.") == ["Pay", "1,000", "￭."])
    }

    @Test func segmentsChineseJapaneseAndThaiWithDictionaries() {
        #expect(words("我喜欢自然语言处理。") == ["我", "￭喜欢", "￭自然", "￭语言", "￭处理", "￭。"])
        let thai = words("ภาษาไทยง่ายนิดเดียว")
        #expect(thai.count > 2)
        #expect(thai.first == "ภาษา")
        #expect(words("私は東京に住んでいます").count > 3)
    }

    @Test func keepsEmojiSequencesWhole() {
        #expect(words("hi 👩🏽‍💻 👨‍👩‍👧 🇫🇷!") == ["hi", "👩🏽‍💻", "👨‍👩‍👧", "🇫🇷", "￭!"])
    }

    @Test func isolatesMarkerCharacters() {
        let text = "a@@b ￭x ￭"
        let normalized = Normalizer(form: .nfc)(text)
        let tokens = preTokenizer.tokens(normalized)
        #expect(tokens.map(\.text) == ["a", "@", "@", "b", "￭", "x", "￭"])
        #expect(PreTokenizer.detokenize(preTokenizer.words(normalized)) == normalized)
    }

    @Test func recordsSpacesInTokens() {
        let tokens = preTokenizer.tokens("Hi, you")
        #expect(tokens == [PreToken("Hi", spaceBefore: false), PreToken(",", spaceBefore: false), PreToken("you", spaceBefore: true)])
        #expect(PreTokenizer.join(tokens) == "Hi, you")
    }

    static let handWritten = [
        "L'homme qu'on voit aujourd'hui n'a rien dit, jusqu'à ce soir.",
        "Die Donaudampfschifffahrtsgesellschaftskapitänsmütze liegt auf dem Tisch.",
        "Family: 👨‍👩‍👧‍👦, coder 👩🏽‍💻, thumbs 👍🏿👍🏻, flags 🇩🇪🇫🇷 and 🏴󠁧󠁢󠁳󠁣󠁴󠁿!",
        "我喜欢自然语言处理。東京都に住んでいます、ね？",
        "ภาษาไทยง่ายนิดเดียว ครับ",
        "مرحبا بالعالم، كيف حالك؟ ١٢٣",
        "שָׁלוֹם עוֹלָם! מה שלומך?",
        "Combining: e\u{301}, a\u{308}\u{304}, Z\u{335}a\u{336}lgo\u{337}, ṩ, q\u{307}\u{323}",
        "Numbers 3.14, 1,000,000, 1.000,50 €, 10:30, 2024-05-01, -7 and +3.5e10.",
        "See https://example.com/path?q=a&b=c#frag or mail user.name+tag@example.co.uk.",
        "\"Quotes\" «guillemets» „Anführung“ — dashes – and… ellipses!?",
        "Tab\tseparated\u{00A0}nbsp\u{2009}thin  double   spaces\u{200B}zwsp",
        "ǅemal ﬁnal Ⅻ ㍿ ½ x² H₂O",
        "a￭b ￭ ￭￭ @@ a@@ @b",
        "",
        "   ",
    ]

    @Test(arguments: handWritten)
    func roundTripsHandWrittenText(_ text: String) {
        for form in NormalizationForm.allCases {
            for language in [nil, "en", "fr", "de", "ja", "th", "tr"] as [String?] {
                let normalized = Normalizer(form: form, lowercase: language == "tr", language: language)(text)
                let splitter = PreTokenizer(language: language)
                let words = splitter.words(normalized)
                #expect(PreTokenizer.detokenize(words) == normalized, "\(form) \(language ?? "-")")
                #expect(PreTokenizer.join(splitter.tokens(normalized)) == normalized)
                #expect(words.allSatisfy { !$0.isEmpty && !$0.contains(" ") })
            }
        }
    }

    /// Every line of the shared corpora: `detokenise(tokenise(s)) == normalise(s)`.
    @Test(.enabled(if: !Fixtures.sharedIsAbsent, "../shared is absent: skipping the corpus round trip"),
          arguments: ["multi30k/train.en", "multi30k/train.de", "multi30k/train.fr",
                      "multi30k/val.en", "multi30k/val.de", "multi30k/val.fr", "tatoeba/eng-fra.tsv"])
    func roundTripsSharedCorpus(_ path: String) throws {
        let url = Fixtures.shared!.appendingPathComponent("corpora").appendingPathComponent(path)
        let file = try TextFile(contentsOf: url)
        #expect(file.issues.isEmpty)
        let language = path.hasSuffix(".tsv") ? nil : String(path.suffix(2))
        let normalizer = Normalizer(language: language)
        let splitter = PreTokenizer(language: language)
        var failures = 0
        for (index, line) in file.lines.enumerated() {
            let normalized = normalizer(line)
            if PreTokenizer.detokenize(splitter.words(normalized)) != normalized {
                failures += 1
                if failures <= 5 { Issue.record("\(path):\(index + 1): round trip differs for \(line)") }
            }
        }
        #expect(failures == 0)
        #expect(file.lines.count > 1000)
    }
}
