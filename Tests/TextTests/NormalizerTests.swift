import Testing
import Text

@Suite struct NormalizerTests {
    let nfkc = Normalizer()

    @Test func nfkcFoldsCompatibilityCharactersAndNFCKeepsThem() {
        #expect(nfkc("ﬁne ＡＢＣ x²") == "fine ABC x2")
        #expect(Normalizer(form: .nfc)("ﬁne ＡＢＣ x²") == "ﬁne ＡＢＣ x²")
    }

    @Test func composesCombiningMarks() {
        #expect(nfkc("cafe\u{301}").unicodeScalars.map(\.value) == Array("café".unicodeScalars.map(\.value)))
        #expect(Normalizer(form: .nfc)("e\u{301}").unicodeScalars.count == 1)
    }

    @Test func removesControlAndZeroWidthCharacters() {
        #expect(nfkc("a\u{200B}b\u{FEFF}c\u{00AD}d\u{200E}e\u{0007}f\u{2060}g") == "abcdefg")
        #expect(nfkc("zero\u{200C}width") == "zerowidth")
    }

    @Test func keepsZWJInsideEmojiOnly() {
        let family = "👨\u{200D}👩\u{200D}👧"
        let coder = "👩🏽\u{200D}💻"
        let rainbow = "🏳\u{FE0F}\u{200D}🌈"
        #expect(nfkc(family) == family)
        #expect(nfkc(coder) == coder)
        #expect(nfkc(rainbow) == rainbow)
        #expect(nfkc("a\u{200D}b") == "ab")
        #expect(nfkc("👍\u{200D}x") == "👍x")
    }

    @Test func foldsWhitespaceRunsAndTrims() {
        #expect(nfkc("  a \t\t b\n\nc\u{00A0}d\u{3000}e\u{2028}f  ") == "a b c d e f")
        #expect(Normalizer(form: .nfc)("a\u{00A0}\u{202F}b") == "a b")
        #expect(nfkc("") == "")
        #expect(nfkc(" \t\n ") == "")
    }

    @Test func lowercasesWithLocaleRules() {
        let root = Normalizer(lowercase: true)
        let turkish = Normalizer(lowercase: true, language: "tr")
        #expect(root("TITLE Ärger") == "title ärger")
        #expect(turkish("İSTANBUL DIŞ") == "istanbul dış")
        #expect(root("İSTANBUL DIŞ") == "i\u{307}stanbul diş")
        // Lithuanian keeps the dot of an accented capital I: Ì becomes i̇̀.
        #expect(Normalizer(form: .nfc, lowercase: true, language: "lt")("Ì") == "i\u{307}\u{300}")
        #expect(Normalizer(form: .nfc, lowercase: true)("Ì") == "ì")
    }

    @Test(arguments: [
        "  L'homme\u{200B} est\tlà ! ", "ﬁ ㎒ Ⅻ", "İı ǅ", "👩🏽\u{200D}💻  x", "e\u{301}\u{200B}\u{301}", "",
    ])
    func isIdempotent(_ text: String) {
        for normalizer in [nfkc, Normalizer(form: .nfc), Normalizer(lowercase: true), Normalizer(lowercase: true, language: "tr")] {
            let once = normalizer(text)
            #expect(normalizer(once).unicodeScalars.elementsEqual(once.unicodeScalars))
        }
    }

    @Test func reportsICUVersion() {
        #expect(icuVersion.split(separator: ".").count >= 2)
    }
}
