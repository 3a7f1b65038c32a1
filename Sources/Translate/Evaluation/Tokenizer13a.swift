/// The `13a` tokeniser: mteval-v13a.pl's tokenisation, as sacreBLEU applies it before BLEU.
///
/// Steps, in sacreBLEU's order (`tokenizers/tokenizer_13a.py` and `tokenizer_re.py`):
/// 1. remove `<skipped>` and `-\n`, turn `\n` into a space, and unescape `&quot;` `&amp;`
///    `&lt;` `&gt;` (each a separate left-to-right pass, in that order);
/// 2. pad the line with a space on both sides;
/// 3. put spaces around ASCII symbols and punctuation other than `'`, `,`, `-`, `.`
///    (regex `[\{-\~\[-\` -\&\(-\+\:-\@\/]`);
/// 4. split off `.` and `,` unless preceded by a digit, then unless followed by one;
/// 5. split off `-` after a digit;
/// 6. split at whitespace.
///
/// Steps 4 and 5 are two-character regex substitutions that Python applies left to right
/// without overlap; `substitutePairs` reproduces exactly that scan. Everything works on code
/// points (see `MetricText`), so non-ASCII text passes through untouched.
public enum Tokenizer13a {
    /// The tokens of `line` (the caller trims and lowercases first, as sacreBLEU does).
    public static func tokenize(_ line: String) -> [String] {
        tokens(MetricText.codePoints(line, lowercase: false)[...]).map { token in
            var string = String.UnicodeScalarView()
            string.append(contentsOf: token.compactMap(Unicode.Scalar.init))
            return String(string)
        }
    }

    /// The tokens of a line given as code points.
    static func tokens(_ line: ArraySlice<UInt32>) -> [ArraySlice<UInt32>] {
        var text = Array(line)
        text = replacing(text, "<skipped>", with: "")
        text = replacing(text, "-\n", with: "")
        text = replacing(text, "\n", with: " ")
        if text.contains(ampersand) {
            text = replacing(text, "&quot;", with: "\"")
            text = replacing(text, "&amp;", with: "&")
            text = replacing(text, "&lt;", with: "<")
            text = replacing(text, "&gt;", with: ">")
        }

        // Step 3, with the padding of step 2.
        var padded: [UInt32] = [space]
        padded.reserveCapacity(text.count * 2 + 2)
        for point in text {
            if isSymbol(point) {
                padded.append(space)
                padded.append(point)
                padded.append(space)
            } else {
                padded.append(point)
            }
        }
        padded.append(space)

        // `([^0-9])([\.,])` → `\1 \2 `
        padded = substitutePairs(padded, first: { !isDigit($0) }, second: isPeriodOrComma) { [$0, space, $1, space] }
        // `([\.,])([^0-9])` → ` \1 \2`
        padded = substitutePairs(padded, first: isPeriodOrComma, second: { !isDigit($0) }) { [space, $0, space, $1] }
        // `([0-9])(-)` → `\1 \2 `
        padded = substitutePairs(padded, first: isDigit, second: { $0 == hyphen }) { [$0, space, $1, space] }

        return MetricText.words(padded)
    }

    private static let space: UInt32 = 0x20
    private static let ampersand: UInt32 = 0x26
    private static let hyphen: UInt32 = 0x2D

    @inline(__always)
    private static func isDigit(_ point: UInt32) -> Bool { point >= 0x30 && point <= 0x39 }

    @inline(__always)
    private static func isPeriodOrComma(_ point: UInt32) -> Bool { point == 0x2E || point == 0x2C }

    /// The class `[\{-\~\[-\` -\&\(-\+\:-\@\/]`: `{|}~`, ``[\]^_` ``, space to `&`, `(` to `+`,
    /// `:` to `@`, and `/`.
    @inline(__always)
    private static func isSymbol(_ point: UInt32) -> Bool {
        switch point {
        case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F:
            return true
        default:
            return false
        }
    }

    /// `re.sub` of a two-character pattern `(first)(second)`: scan left to right; where a match
    /// starts, emit the replacement and continue after both characters.
    private static func substitutePairs(
        _ text: [UInt32],
        first: (UInt32) -> Bool,
        second: (UInt32) -> Bool,
        replacement: (UInt32, UInt32) -> [UInt32]
    ) -> [UInt32] {
        var result: [UInt32] = []
        result.reserveCapacity(text.count + text.count / 4)
        var index = 0
        while index < text.count {
            if index + 1 < text.count, first(text[index]), second(text[index + 1]) {
                result.append(contentsOf: replacement(text[index], text[index + 1]))
                index += 2
            } else {
                result.append(text[index])
                index += 1
            }
        }
        return result
    }

    /// Python's `str.replace(old, new)`: non-overlapping occurrences, left to right.
    private static func replacing(_ text: [UInt32], _ old: String, with new: String) -> [UInt32] {
        let pattern = old.unicodeScalars.map(\.value)
        let replacement = new.unicodeScalars.map(\.value)
        guard let head = pattern.first, text.contains(head) else { return text }
        var result: [UInt32] = []
        result.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            if text[index] == head, index + pattern.count <= text.count,
               text[index..<index + pattern.count].elementsEqual(pattern) {
                result.append(contentsOf: replacement)
                index += pattern.count
            } else {
                result.append(text[index])
                index += 1
            }
        }
        return result
    }
}
