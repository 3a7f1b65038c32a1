import Foundation
import Seq
import Text

/// One experiment: where the data is, how to tokenise it, which model, how to train and decode.
///
/// Read from one YAML file with the sections `data`, `tokenizer`, `model`, `training` and
/// `decoding`; every key has a default (see docs/configuration.md). The resolved configuration
/// (defaults filled in, command-line overrides applied) is copied into the model directory.
public struct ExperimentConfiguration: Codable, Equatable, Sendable {
    /// Where the model directory goes (relative paths are resolved against the config file's folder).
    public var modelDirectory: String = "model"
    public var data = DataConfiguration()
    public var tokenizer = TokenizationConfiguration()
    public var model = ModelConfiguration()
    public var training = TrainingConfiguration()
    public var decoding = DecodingConfiguration()

    public init() {}
}

/// The `data` section: the parallel corpora and length filtering.
public struct DataConfiguration: Codable, Equatable, Sendable {
    // Paths are relative to the configuration file's folder; "" means not given.

    /// Training source file (one sentence a line), aligned with `trainTarget`.
    public var trainSource: String = ""
    /// Training target file.
    public var trainTarget: String = ""
    /// Alternatively, one TSV file whose first two columns are source and target.
    public var trainTSV: String = ""
    /// Validation source file.
    public var devSource: String = ""
    /// Validation target file.
    public var devTarget: String = ""
    /// Alternatively, a validation TSV file.
    public var devTSV: String = ""
    /// Use only the first N training pairs (0: all).
    public var trainLimit: Int = 0
    /// Use only the first N validation pairs (0: all).
    public var devLimit: Int = 0
    /// Validation pairs taken from the end of the training data when no dev set is given.
    public var devHoldOut: Int = 500
    /// Source language code (selects tokeniser rules), e.g. `en`; "" for language-neutral rules.
    public var sourceLanguage: String = ""
    /// Target language code, e.g. `fr`.
    public var targetLanguage: String = ""
    /// Training pairs with more pieces than this on either side are dropped.
    public var maximumLength: Int = 100
    /// Training pairs whose longer side is more than this many times the shorter are dropped.
    public var maximumLengthRatio: Double = 3.0

    public init() {}
}

/// The `tokenizer` section: how both sides become pieces.
public struct TokenizationConfiguration: Codable, Equatable, Sendable {
    /// `bpe`, `character` or `word`.
    public var mode: SubwordMode = .bpe
    /// BPE merges to learn.
    public var merges: Int = 8000
    /// Learn one set of BPE codes from both sides (Sennrich et al. 2016 §3.2).
    public var joint: Bool = true
    /// Both sides share one vocabulary (needed to share source/target embeddings).
    public var sharedVocabulary: Bool = false
    /// `nfkc` or `nfc`.
    public var normalization: NormalizationForm = .nfkc
    /// Lowercase both sides.
    public var lowercase: Bool = false
    /// Pieces rarer than this are left out of the vocabularies.
    public var minimumFrequency: Int = 1
    /// The largest vocabulary per side, specials included (0: no limit).
    public var maximumVocabularySize: Int = 0

    public init() {}

    /// The Text module's configuration for one side.
    func side(language: String) -> TokenizerConfiguration {
        TokenizerConfiguration(
            normalization: normalization, lowercase: lowercase, language: language.isEmpty ? nil : language, mode: mode,
            merges: merges, minimumFrequency: minimumFrequency,
            maximumVocabularySize: maximumVocabularySize > 0 ? maximumVocabularySize : nil)
    }
}

/// The optimiser families.
public enum OptimizerKind: String, Codable, Sendable {
    case sgd, adam, adamw
}

/// Metrics that validation reports and early stopping can watch.
public enum ValidationMetric: String, Codable, Sendable {
    case loss, perplexity, bleu, chrf

    /// Whether a larger value is better.
    public var higherIsBetter: Bool { self == .bleu || self == .chrf }
}

/// The `training` section.
public struct TrainingConfiguration: Codable, Equatable, Sendable {
    /// Seed for initialisation, dropout and shuffling.
    public var seed: UInt64 = 1
    /// `sgd`, `adam` or `adamw`.
    public var optimizer: OptimizerKind = .adam
    /// The learning-rate schedule (`{kind: constant, learningRate: 0.0005}`, `noam`, …).
    public var schedule: LearningRateSchedule = .constant(learningRate: 5e-4)
    /// Adam β₁.
    public var beta1: Float = 0.9
    /// Adam β₂.
    public var beta2: Float = 0.98
    /// SGD momentum.
    public var momentum: Float = 0.9
    /// Weight decay (L2 for sgd/adam, decoupled for adamw).
    public var weightDecay: Float = 0
    /// Label smoothing ε.
    public var labelSmoothing: Float = 0.1
    /// Clip the global gradient norm to this (0: no clipping).
    public var clipNorm: Float = 1.0
    /// Target tokens (with padding) per batch.
    public var batchTokens: Int = 2048
    /// Batches whose gradients are summed before one update.
    public var accumulation: Int = 1
    /// Stop after this many updates (0: no limit).
    public var maximumSteps: Int = 0
    /// Stop after this many epochs (0: no limit).
    public var maximumEpochs: Int = 10
    /// Stop after this many seconds of training (0: no limit).
    public var maximumSeconds: Double = 0
    /// Validate every N updates (and at the end).
    public var validationInterval: Int = 500
    /// Log a training line every N updates.
    public var logInterval: Int = 50
    /// The metric that picks the `best` checkpoint and drives early stopping.
    public var earlyStoppingMetric: ValidationMetric = .bleu
    /// Stop after this many validations without improvement (0: never stop early).
    public var patience: Int = 5
    /// Threads for the matrix products and the rest of the work (the engine's worker team).
    public var threads: Int = 2

    public init() {}
}

/// The `decoding` section: defaults for `translate`, the REPL and validation.
public struct DecodingConfiguration: Codable, Equatable, Sendable {
    /// Beam width (1: greedy).
    public var beamWidth: Int = 5
    /// GNMT length penalty α (0: none).
    public var lengthPenalty: Float = 0.6
    /// Output length limit: `ratio × source length + offset` pieces.
    public var maximumLengthRatio: Float = 2.0
    public var maximumLengthOffset: Int = 10
    /// Sentences decoded together.
    public var batchSize: Int = 32
    /// Hypotheses returned per sentence.
    public var nbest: Int = 1

    public init() {}
}
