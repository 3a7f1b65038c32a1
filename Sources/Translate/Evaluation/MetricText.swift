/// Text as sacreBLEU sees it: Python strings of code points.
///
/// sacreBLEU compares n-grams of Python `str`s, so two spellings of "é" (precomposed U+00E9 and
/// `e` + U+0301) differ, `str.split()` breaks at Python's whitespace, and `str.lower()` maps each
/// code point on its own except capital sigma, which becomes final `ς` at the end of a word.
/// Swift's `String` compares by canonical equivalence and `lowercased()` has no final sigma, so
/// the metrics work on arrays of code points (`UInt32`) produced here.
enum MetricText {
    /// The code points of `string`, lowercased like Python's `str.lower()` when `lowercase`.
    static func codePoints(_ string: String, lowercase: Bool) -> [UInt32] {
        let points = string.unicodeScalars.map(\.value)
        return lowercase ? lowercased(points) : points
    }

    /// Whether Python's `str.isspace()` holds for the code point.
    @inline(__always)
    static func isSpace(_ point: UInt32) -> Bool {
        switch point {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// Python's `str.split()`: maximal runs of non-whitespace.
    static func words(_ points: [UInt32]) -> [ArraySlice<UInt32>] {
        points.split(omittingEmptySubsequences: true, whereSeparator: isSpace)
    }

    /// Python's `str.rstrip()`.
    static func trimmingTrailingSpace(_ points: [UInt32]) -> ArraySlice<UInt32> {
        var end = points.endIndex
        while end > points.startIndex, isSpace(points[end - 1]) { end -= 1 }
        return points[..<end]
    }

    /// Python's `''.join(s.split())`: every whitespace code point removed.
    static func removingSpace(_ points: [UInt32]) -> [UInt32] {
        points.filter { !isSpace($0) }
    }

    /// Python's `str.lower()`: each code point's full lowercase mapping (İ becomes "i̇"), and
    /// capital sigma in the Final_Sigma context (after a cased letter, not before one, skipping
    /// case-ignorable code points either way) becomes `ς`.
    static func lowercased(_ points: [UInt32]) -> [UInt32] {
        var result: [UInt32] = []
        result.reserveCapacity(points.count)
        for (index, point) in points.enumerated() {
            switch point {
            case 0x41...0x5A:
                result.append(point + 0x20)
            case 0x00..<0x80:
                result.append(point)
            case 0x3A3:
                result.append(isFinalSigma(points, at: index) ? 0x3C2 : 0x3C3)
            default:
                guard let scalar = Unicode.Scalar(point) else {
                    result.append(point)
                    continue
                }
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars.map(\.value))
            }
        }
        return result
    }

    /// Unicode's Final_Sigma condition as CPython's `handle_capital_sigma` tests it.
    private static func isFinalSigma(_ points: [UInt32], at index: Int) -> Bool {
        var before = index - 1
        while before >= 0, isCaseIgnorable(points[before]) { before -= 1 }
        guard before >= 0, isCased(points[before]) else { return false }
        var after = index + 1
        while after < points.count, isCaseIgnorable(points[after]) { after += 1 }
        return after == points.count || !isCased(points[after])
    }

    private static func isCased(_ point: UInt32) -> Bool {
        Unicode.Scalar(point)?.properties.isCased ?? false
    }

    private static func isCaseIgnorable(_ point: UInt32) -> Bool {
        Unicode.Scalar(point)?.properties.isCaseIgnorable ?? false
    }
}
