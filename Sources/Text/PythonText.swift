/// Byte-level helpers reproducing the Python string operations subword-nmt relies on.
///
/// Working on UTF-8 bytes keeps code-point semantics (Swift's `Character` would merge `"\r\n"`,
/// or a space with a following combining mark), and ASCII bytes never occur inside a multi-byte
/// sequence, so splitting on `0x20` is exactly Python's `str.split(' ')`.
enum PythonText {
    /// Whether `byte` is one of the characters of `str.strip('\r\n ')`.
    @inline(__always)
    static func isStripped(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D }

    /// Python's `str.strip('\r\n ')`.
    static func strip<C: BidirectionalCollection>(_ bytes: C) -> C.SubSequence where C.Element == UInt8 {
        guard let start = bytes.firstIndex(where: { !isStripped($0) }) else { return bytes[bytes.endIndex...] }
        let end = bytes.lastIndex(where: { !isStripped($0) })!
        return bytes[start...end]
    }

    /// Python's `[w for w in s.strip('\r\n ').split(' ') if w]`.
    static func words<C: BidirectionalCollection>(_ bytes: C) -> [C.SubSequence] where C.Element == UInt8 {
        strip(bytes).split(separator: 0x20, omittingEmptySubsequences: true)
    }

    /// Decodes UTF-8 bytes (invalid sequences become U+FFFD).
    static func string<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        String(decoding: bytes, as: UTF8.self)
    }

    /// Whether Python's `str.isspace()` (and so regex `\s`) holds for `scalar`.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// Splits UTF-8 text into lines the way Python's `str.splitlines(keepends=True)` does (which
    /// is how subword-nmt's `codecs` readers iterate): at `\n`, `\r`, `\r\n`, `\v`, `\f`, `\x1c`,
    /// `\x1d`, `\x1e`, U+0085, U+2028 and U+2029. Each range includes its terminator.
    static func lineRanges(_ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            var end = -1
            switch byte {
            case 0x0A, 0x0B, 0x0C, 0x1C, 0x1D, 0x1E:
                end = index + 1
            case 0x0D:
                end = index + 1 < count && bytes[index + 1] == 0x0A ? index + 2 : index + 1
            case 0xC2:
                if index + 1 < count, bytes[index + 1] == 0x85 { end = index + 2 }
            case 0xE2:
                if index + 2 < count, bytes[index + 1] == 0x80, bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9 {
                    end = index + 3
                }
            default:
                break
            }
            if end >= 0 {
                ranges.append(start..<end)
                start = end
                index = end
            } else {
                index += 1
            }
        }
        if start < count { ranges.append(start..<count) }
        return ranges
    }
}
