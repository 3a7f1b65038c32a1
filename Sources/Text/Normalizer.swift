/// A Unicode normalisation form applied by `Normalizer`.
public enum NormalizationForm: String, Codable, Sendable, CaseIterable {
    /// Canonical composition: visually identical text becomes identical code points.
    case nfc
    /// Compatibility composition: also folds ligatures, full-width forms, superscripts (the default).
    case nfkc
}

/// Brings raw text into the canonical form every later step expects.
///
/// In order: control characters and zero-width/format characters are removed (a ZWJ between
/// emoji is kept, so 👩‍💻 survives), the text is put in NFKC (or NFC), optionally lowercased
/// with ICU's locale-aware case mapping (Turkish, Azeri and Lithuanian rules when `language`
/// names them), and every run of Unicode white space becomes one U+0020, with none at either end.
/// The result therefore contains no tab, newline or double space, which is what makes
/// pre-tokenisation lossless. Normalising twice gives the same text as normalising once.
public struct Normalizer: Hashable, Sendable {
    /// The normalisation form; NFKC by default.
    public var form: NormalizationForm
    /// Whether to lowercase after normalising.
    public var lowercase: Bool
    /// A BCP 47 language code such as `"tr"` or `"lt"` selecting case-mapping rules; `nil` for root.
    public var language: String?

    /// Creates a normaliser.
    public init(form: NormalizationForm = .nfkc, lowercase: Bool = false, language: String? = nil) {
        self.form = form
        self.lowercase = lowercase
        self.language = language
    }

    /// Returns `text` normalised.
    public func callAsFunction(_ text: String) -> String {
        let units = normalizedUTF16(text)
        return String(decoding: units, as: UTF16.self)
    }

    /// Returns `text` normalised, as UTF-16 code units (the form pre-tokenisation consumes).
    func normalizedUTF16(_ text: String) -> [UInt16] {
        if text.isEmpty { return [] }
        return ICU.normalize(text, form: form, removeInvisible: true, foldWhitespace: true,
                             lowercaseLocale: lowercase ? (language ?? "") : nil)
    }
}
