/// How `Tokenizer` cuts words into vocabulary pieces.
public enum SubwordMode: String, Codable, Sendable, CaseIterable {
    /// Byte-pair-encoding subwords (Sennrich et al. 2016), subword-nmt compatible.
    case bpe
    /// Single characters (grapheme clusters).
    case character
    /// Whole pre-tokenised words.
    case word
}

/// The settings of a `Tokenizer`, stored as `tokenizer.json` next to its codes and vocabulary.
///
/// Every field has a default, so a configuration file may list only what it changes.
public struct TokenizerConfiguration: Codable, Hashable, Sendable {
    /// The Unicode normalisation form (default `nfkc`).
    public var normalization: NormalizationForm
    /// Whether to lowercase text (default `false`).
    public var lowercase: Bool
    /// The text's language as a BCP 47 code (`"en"`, `"fr"`, `"tr"`); selects case mapping,
    /// elision/clitic rules and ICU's word-break locale (default `nil`: language-neutral).
    public var language: String?
    /// How words become pieces (default `bpe`).
    public var mode: SubwordMode
    /// The number of BPE merges to learn (default 10,000; `bpe` mode only).
    public var merges: Int
    /// Pieces rarer than this in the training corpus are left out of the vocabulary (default 1).
    public var minimumFrequency: Int
    /// The largest vocabulary, specials included (default `nil`: no limit).
    public var maximumVocabularySize: Int?

    /// Creates a configuration.
    public init(normalization: NormalizationForm = .nfkc, lowercase: Bool = false, language: String? = nil,
                mode: SubwordMode = .bpe, merges: Int = 10_000, minimumFrequency: Int = 1,
                maximumVocabularySize: Int? = nil) {
        self.normalization = normalization
        self.lowercase = lowercase
        self.language = language
        self.mode = mode
        self.merges = merges
        self.minimumFrequency = minimumFrequency
        self.maximumVocabularySize = maximumVocabularySize
    }

    enum CodingKeys: String, CodingKey {
        case normalization, lowercase, language, mode, merges, minimumFrequency, maximumVocabularySize
    }

    public init(from decoder: Decoder) throws {
        let defaults = TokenizerConfiguration()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        normalization = try container.decodeIfPresent(NormalizationForm.self, forKey: .normalization) ?? defaults.normalization
        lowercase = try container.decodeIfPresent(Bool.self, forKey: .lowercase) ?? defaults.lowercase
        language = try container.decodeIfPresent(String.self, forKey: .language)
        mode = try container.decodeIfPresent(SubwordMode.self, forKey: .mode) ?? defaults.mode
        merges = try container.decodeIfPresent(Int.self, forKey: .merges) ?? defaults.merges
        minimumFrequency = try container.decodeIfPresent(Int.self, forKey: .minimumFrequency) ?? defaults.minimumFrequency
        maximumVocabularySize = try container.decodeIfPresent(Int.self, forKey: .maximumVocabularySize)
    }

    /// The normaliser these settings describe.
    public var normalizer: Normalizer {
        Normalizer(form: normalization, lowercase: lowercase, language: language)
    }

    /// The pre-tokeniser these settings describe.
    public var preTokenizer: PreTokenizer {
        PreTokenizer(language: language)
    }
}
