import CICU

/// The version of the system ICU library that Text uses, e.g. `"72.1"`.
public var icuVersion: String { String(cString: parley_icu_version()) }

/// Thin Swift wrappers over the CICU target; everything crosses as UTF-16.
enum ICU {
    /// Normalises UTF-16 text (see `parley_normalize`); returns the input unchanged if ICU fails.
    static func normalize(_ text: [UInt16], form: NormalizationForm, removeInvisible: Bool,
                          foldWhitespace: Bool, lowercaseLocale: String?) -> [UInt16] {
        var options: Int32 = 0
        if removeInvisible { options |= Int32(PARLEY_REMOVE_INVISIBLE) }
        if foldWhitespace { options |= Int32(PARLEY_FOLD_WHITESPACE) }
        if lowercaseLocale != nil { options |= Int32(PARLEY_LOWERCASE) }
        let formCode = Int32(form == .nfkc ? PARLEY_NFKC : PARLEY_NFC)
        var result: UnsafeMutablePointer<UInt16>? = nil
        var error: Int32 = 0
        let count = text.withUnsafeBufferPointer { buffer in
            (lowercaseLocale ?? "").withCString { locale in
                parley_normalize(buffer.baseAddress, Int32(buffer.count), formCode, options, locale, &result, &error)
            }
        }
        guard count >= 0, let result else { return text }
        defer { parley_free(result) }
        return Array(UnsafeBufferPointer(start: result, count: Int(count)))
    }

    /// Normalises UTF-8 text (see `parley_normalize_utf8`) into UTF-16; ICU does the transcoding.
    static func normalize(_ text: String, form: NormalizationForm, removeInvisible: Bool,
                          foldWhitespace: Bool, lowercaseLocale: String?) -> [UInt16] {
        var options: Int32 = 0
        if removeInvisible { options |= Int32(PARLEY_REMOVE_INVISIBLE) }
        if foldWhitespace { options |= Int32(PARLEY_FOLD_WHITESPACE) }
        if lowercaseLocale != nil { options |= Int32(PARLEY_LOWERCASE) }
        let formCode = Int32(form == .nfkc ? PARLEY_NFKC : PARLEY_NFC)
        var result: UnsafeMutablePointer<UInt16>? = nil
        var error: Int32 = 0
        var text = text
        let count = text.withUTF8 { bytes in
            (lowercaseLocale ?? "").withCString { locale in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    parley_normalize_utf8(chars.baseAddress, Int32(chars.count), formCode, options, locale, &result, &error)
                }
            }
        }
        guard count >= 0, let result else { return Array(text.utf16) }
        defer { parley_free(result) }
        return Array(UnsafeBufferPointer(start: result, count: Int(count)))
    }

    /// Splits UTF-16 text at ICU word boundaries for `locale`: segment end offsets and classes.
    static func wordSegments(_ text: UnsafeBufferPointer<UInt16>, locale: String,
                             ends: inout [Int32], kinds: inout [Int32]) {
        ends.removeAll(keepingCapacity: true)
        kinds.removeAll(keepingCapacity: true)
        guard text.count > 0 else { return }
        var error: Int32 = 0
        var produced: Int32 = 0
        ends = [Int32](unsafeUninitializedCapacity: text.count) { endBuffer, endCount in
            kinds = [Int32](unsafeUninitializedCapacity: text.count) { kindBuffer, kindCount in
                produced = locale.withCString { name in
                    parley_word_segments(text.baseAddress, Int32(text.count), name,
                                         endBuffer.baseAddress, kindBuffer.baseAddress, &error)
                }
                kindCount = max(0, Int(produced))
            }
            endCount = max(0, Int(produced))
        }
        if produced < 0 { // ICU failed: treat the whole text as one segment.
            ends = [Int32(text.count)]
            kinds = [Int32(PARLEY_SEGMENT_OTHER)]
        }
    }
}
