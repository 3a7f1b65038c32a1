/// A word or punctuation mark cut from normalised text, with the space that preceded it.
public struct PreToken: Hashable, Sendable {
    /// The token's text; never empty and never containing white space.
    public var text: String
    /// Whether white space separated this token from the previous one.
    public var spaceBefore: Bool

    /// Creates a pre-token.
    public init(_ text: String, spaceBefore: Bool) {
        self.text = text
        self.spaceBefore = spaceBefore
    }
}

/// Cuts normalised text into words and punctuation, losslessly.
///
/// Boundaries come from ICU's word break iterator (UAX #29, with ICU's dictionaries for Chinese,
/// Japanese, Thai, Lao, Khmer and Burmese), so punctuation is split from words, numbers such as
/// `3.14` and `1,000` stay whole, and emoji sequences (ZWJ, skin tones, flags) stay whole. On top
/// of ICU: French and Italian elisions are split after the apostrophe (`l'` `homme`, `qu'` `il`,
/// `dell'` `arte`), English clitics are split off (`do` `n't`, `John` `'s`, `we` `'re`), and
/// `@` and `￭` always stand alone (they are the markers of `words(_:)` and BPE).
///
/// Each token records whether a space preceded it, so `PreTokenizer.join(tokens(s)) == s` for
/// any normalised `s`. In the flat word form (`words(_:)`), a token *not* preceded by a space
/// carries the joiner prefix `￭` (U+FFED), like OpenNMT's tokenizer: `l' ￭homme dort ￭.`.
public struct PreTokenizer: Hashable, Sendable {
    /// The marker prefixed to a word glued to the previous one (U+FFED HALFWIDTH BLACK SQUARE).
    public static let joiner = "\u{FFED}"
    static let joinerUnit: UInt16 = 0xFFED

    /// A BCP 47 language code; `"en"` disables elision splits, `"fr"` and `"it"` disable English
    /// clitic splits, any other value or `nil` applies both. Also selects ICU's word-break locale.
    public var language: String?

    /// Creates a pre-tokeniser for `language`.
    public init(language: String? = nil) {
        self.language = language
    }

    /// Returns the tokens of normalised text (see `Normalizer`).
    public func tokens(_ normalizedText: String) -> [PreToken] {
        let units = Array(normalizedText.utf16)
        var result: [PreToken] = []
        units.withUnsafeBufferPointer { buffer in
            forEachToken(buffer) { range, spaceBefore in
                let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF16.self)
                result.append(PreToken(text, spaceBefore: spaceBefore))
            }
        }
        return result
    }

    /// Returns the tokens of normalised text as words, glued ones prefixed with `PreTokenizer.joiner`.
    public func words(_ normalizedText: String) -> [String] {
        Self.words(from: tokens(normalizedText))
    }

    /// Returns tokens as words: every token after the first that has no space before it is
    /// prefixed with the joiner.
    public static func words(from tokens: [PreToken]) -> [String] {
        tokens.enumerated().map { index, token in
            index == 0 || token.spaceBefore ? token.text : joiner + token.text
        }
    }

    /// Returns the tokens that `words` encodes (the inverse of `words(from:)`).
    public static func tokens(fromWords words: [String]) -> [PreToken] {
        words.enumerated().map { index, word in
            let (text, glued) = splitJoiner(word)
            return PreToken(text, spaceBefore: index > 0 && !glued)
        }
    }

    /// Reassembles text from tokens: a space before each token that had one.
    public static func join(_ tokens: [PreToken]) -> String {
        var text = ""
        for token in tokens {
            if token.spaceBefore && !text.isEmpty { text += " " }
            text += token.text
        }
        return text
    }

    /// Reassembles text from words (the inverse of `words(_:)`).
    public static func detokenize(_ words: [String]) -> String {
        join(tokens(fromWords: words))
    }

    /// Splits a leading joiner from a word: `"￭."` is a glued `"."`; a lone `"￭"` is the literal
    /// character (a literal joiner always stands alone, so `"￭￭"` is a glued literal one).
    static func splitJoiner(_ word: String) -> (text: String, glued: Bool) {
        let units = word.utf16
        if units.count > 1, units.first == joinerUnit {
            return (String(word.unicodeScalars.dropFirst()), true)
        }
        return (word, false)
    }

    // MARK: - Segmentation

    /// Calls `body` with the UTF-16 range of each token of `text` and whether a space preceded it.
    func forEachToken(_ text: UnsafeBufferPointer<UInt16>, _ body: (Range<Int>, Bool) -> Void) {
        var ends: [Int32] = []
        var kinds: [Int32] = []
        ICU.wordSegments(text, locale: language ?? "", ends: &ends, kinds: &kinds)
        let rules = ApostropheRules(language: language)
        var start = 0
        var spaceBefore = false
        for segment in 0..<ends.count {
            let end = Int(ends[segment])
            defer { start = end }
            if Self.isWhitespace(text, start..<end) {
                spaceBefore = true
                continue
            }
            // Isolate markers, then apply apostrophe rules to the remaining stretches.
            var pieceStart = start
            var position = start
            func flush(_ upper: Int) {
                if pieceStart < upper {
                    rules.split(text, pieceStart..<upper) { range in
                        body(range, spaceBefore)
                        spaceBefore = false
                    }
                }
            }
            while position < end {
                let unit = text[position]
                if unit == 0x40 || unit == Self.joinerUnit {
                    flush(position)
                    body(position..<position + 1, spaceBefore)
                    spaceBefore = false
                    pieceStart = position + 1
                }
                position += 1
            }
            flush(end)
        }
    }

    static func isWhitespace(_ text: UnsafeBufferPointer<UInt16>, _ range: Range<Int>) -> Bool {
        for index in range {
            switch text[index] {
            case 0x20, 0x09...0x0D, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
                continue
            default:
                return false
            }
        }
        return true
    }
}

/// Elision and clitic splitting on one ICU segment.
struct ApostropheRules {
    let elisions: Bool
    let clitics: Bool

    /// French and Italian elided articles, pronouns and conjunctions (split *after* the apostrophe).
    static let elisionPrefixes: Set<[UInt16]> = Set([
        "l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu",
        "un", "dell", "dall", "nell", "sull", "all", "coll", "quell", "quest", "nessun", "buon",
        "sant", "bell", "mezz", "tutt", "anch", "com", "dov", "cos",
    ].map { Array($0.utf16) })

    /// English clitics (split *before*; `n't` includes its `n`).
    static let cliticSuffixes: [[UInt16]] = ["n't", "'s", "'re", "'ll", "'ve", "'m", "'d"].map { Array($0.utf16) }

    init(language: String?) {
        let code = language.map { String($0.lowercased().prefix { $0.isLetter }) }
        elisions = code != "en"
        clitics = code != "fr" && code != "it"
    }

    static func isApostrophe(_ unit: UInt16) -> Bool { unit == 0x27 || unit == 0x2019 }

    static func lowerASCII(_ unit: UInt16) -> UInt16 {
        (0x41...0x5A).contains(unit) ? unit + 0x20 : unit
    }

    /// Calls `body` with the sub-ranges of `range` after elision and clitic splits.
    func split(_ text: UnsafeBufferPointer<UInt16>, _ range: Range<Int>, _ body: (Range<Int>) -> Void) {
        var start = range.lowerBound
        let end = range.upperBound
        if elisions {
            // Repeatedly split "l'" / "qu'" prefixes: "jusqu'à l'..." are separate ICU words anyway.
            while true {
                var apostrophe = -1
                var index = start
                while index < end, index - start <= 6 {
                    if Self.isApostrophe(text[index]) { apostrophe = index; break }
                    index += 1
                }
                guard apostrophe > start, apostrophe + 1 < end else { break }
                let prefix = (start..<apostrophe).map { Self.lowerASCII(text[$0]) }
                guard Self.elisionPrefixes.contains(prefix) else { break }
                body(start..<apostrophe + 1)
                start = apostrophe + 1
            }
        }
        if clitics, end - start >= 3 {
            for suffix in Self.cliticSuffixes where end - start > suffix.count {
                var matches = true
                for (offset, expected) in suffix.enumerated() {
                    let unit = text[end - suffix.count + offset]
                    let same = Self.isApostrophe(expected) ? Self.isApostrophe(unit) : Self.lowerASCII(unit) == expected
                    if !same { matches = false; break }
                }
                if matches {
                    body(start..<end - suffix.count)
                    body(end - suffix.count..<end)
                    return
                }
            }
        }
        body(start..<end)
    }
}
