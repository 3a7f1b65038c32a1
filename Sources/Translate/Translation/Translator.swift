import Foundation
import Seq
import Text

/// How to translate: the search and its limits.
public struct TranslationOptions: Equatable, Sendable {
    /// Beam width; 1 is greedy search.
    public var beamWidth: Int
    /// GNMT length penalty α (0: none).
    public var lengthPenalty: Float
    /// Hypotheses to return per sentence (at most the beam width).
    public var nbest: Int
    /// Output limit `ratio × source pieces + offset`.
    public var maximumLengthRatio: Float
    public var maximumLengthOffset: Int
    /// Never produce `<unk>`.
    public var forbidsUnknown: Bool
    /// Keep the attention of the chosen hypotheses.
    public var recordsAttention: Bool
    /// Sentences decoded together.
    public var batchSize: Int
    /// The weights that steps of up to eight hypotheses read (a sentence decoded alone, greedily
    /// or in a beam): float32, or each rounded to bfloat16 — half the bytes, so faster where a
    /// step waits on memory (batch-1 decoding), with the arithmetic still float32. Larger steps
    /// always read float32 weights. Set on the model at each `translate` call
    /// (`Layer.setPanelPrecision`).
    public var weightPrecision: PackedWeights.Precision

    public init(beamWidth: Int = 5, lengthPenalty: Float = 0.6, nbest: Int = 1, maximumLengthRatio: Float = 2,
                maximumLengthOffset: Int = 10, forbidsUnknown: Bool = false, recordsAttention: Bool = true, batchSize: Int = 32,
                weightPrecision: PackedWeights.Precision = .float32) {
        self.beamWidth = beamWidth
        self.lengthPenalty = lengthPenalty
        self.nbest = nbest
        self.maximumLengthRatio = maximumLengthRatio
        self.maximumLengthOffset = maximumLengthOffset
        self.forbidsUnknown = forbidsUnknown
        self.recordsAttention = recordsAttention
        self.batchSize = batchSize
        self.weightPrecision = weightPrecision
    }

    /// The defaults of a configuration's `decoding` section.
    public init(_ decoding: DecodingConfiguration) {
        self.init(beamWidth: decoding.beamWidth, lengthPenalty: decoding.lengthPenalty, nbest: decoding.nbest,
                  maximumLengthRatio: decoding.maximumLengthRatio, maximumLengthOffset: decoding.maximumLengthOffset,
                  batchSize: decoding.batchSize)
    }

    /// The search these options describe.
    public var search: any SequenceSearch {
        let length = OutputLength(ratio: Double(maximumLengthRatio), offset: maximumLengthOffset)
        if beamWidth <= 1 {
            return GreedySearch(outputLength: length, forbidsUnknown: forbidsUnknown, recordsAttention: recordsAttention)
        }
        return BeamSearch(width: beamWidth, lengthPenalty: LengthPenalty(alpha: lengthPenalty), nBest: max(1, min(nbest, beamWidth)),
                          outputLength: length, forbidsUnknown: forbidsUnknown, recordsAttention: recordsAttention)
    }
}

/// One translated sentence.
public struct Translation {
    /// The input as given.
    public var source: String
    /// The source pieces the model read (without `</s>`).
    public var sourcePieces: [String]
    /// The detokenised translation.
    public var text: String
    /// The target pieces produced (without `<s>`/`</s>`).
    public var pieces: [String]
    /// The target ids produced.
    public var tokens: [Int]
    /// Sum of the log-probabilities of the tokens and `</s>` (no length penalty).
    public var score: Float
    /// The score the search ranked by (with length penalty).
    public var normalizedScore: Float
    /// Log-probability of each produced piece.
    public var tokenLogProbabilities: [Float]
    /// Whether the hypothesis ended with `</s>` (rather than at the length limit).
    public var isFinished: Bool
    /// The attention of this hypothesis, when recorded.
    public var attention: HypothesisAttention?
    /// Further hypotheses, best first (n-best lists), excluding this one.
    public var alternatives: [Translation] = []
}

/// Translates text with a trained model directory, through the directory's own tokenisers.
///
/// Used by `parley translate`, the REPL and attention export alike.
public final class Translator {
    public let directory: ModelDirectory
    public let configuration: ExperimentConfiguration
    public let model: any EncoderDecoder
    public let sourceTokenizer: Tokenizer
    public let targetTokenizer: Tokenizer
    /// The translation defaults from the configuration's `decoding` section.
    public var defaultOptions: TranslationOptions

    /// Which checkpoint to load.
    public enum CheckpointChoice: String, Sendable { case best, last }

    /// Loads the configuration, tokenisers and a checkpoint of a model directory.
    ///
    /// - Throws: `ConfigurationError`, `CheckpointError` or the tokeniser's errors, naming the file at fault.
    public init(modelDirectory url: URL, checkpoint: CheckpointChoice = .best) throws {
        directory = ModelDirectory(url)
        guard FileManager.default.fileExists(atPath: directory.configuration.path) else {
            throw ConfigurationError(file: url.path, "not a model directory (no config.yaml)")
        }
        configuration = try ExperimentConfiguration.load(from: directory.configuration)
        sourceTokenizer = try Tokenizer(contentsOf: directory.sourceTokenizer)
        targetTokenizer = try Tokenizer(contentsOf: directory.targetTokenizer)
        do {
            model = try configuration.model.makeModel(generator: RandomGenerator(seed: 0))
        } catch {
            throw ConfigurationError(file: directory.configuration.path, "model: \(error)")
        }
        var file = checkpoint == .best ? directory.bestCheckpoint : directory.lastCheckpoint
        if !FileManager.default.fileExists(atPath: file.path) && checkpoint == .best {
            file = directory.lastCheckpoint
        }
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw CheckpointError(.fileNotFound, file: file)
        }
        try Checkpoint.load(from: file, into: model)
        model.setTraining(false)
        defaultOptions = TranslationOptions(configuration.decoding)
    }

    /// Translates one sentence.
    public func translate(_ sentence: String, options: TranslationOptions? = nil) -> Translation {
        translate([sentence], options: options)[0]
    }

    /// Translates sentences in batches of `options.batchSize` (sorted by length to limit padding).
    public func translate(_ sentences: [String], options: TranslationOptions? = nil) -> [Translation] {
        // Without a stop request every batch is decoded to the end.
        translate(sentences, options: options, stop: nil) ?? []
    }

    /// Translates sentences as `translate(_:options:)` does, or returns `nil` as soon as `stop` is
    /// set (checked before every decoder step): how `parley repl` abandons a translation on Ctrl-C.
    public func translate(_ sentences: [String], options: TranslationOptions? = nil, stop: StopRequest?) -> [Translation]? {
        let options = options ?? defaultOptions
        model.setPanelPrecision(options.weightPrecision)
        let search = options.search
        let encoded = sentences.map(sourceTokenizer.encode)
        let order = Array(encoded.indices).sorted { (encoded[$0].count, $0) < (encoded[$1].count, $1) }
        var results = [Translation?](repeating: nil, count: sentences.count)
        for start in stride(from: 0, to: order.count, by: max(1, options.batchSize)) {
            let chunk = Array(order[start..<min(start + max(1, options.batchSize), order.count)])
            guard let decoded = search.decode(chunk.map { encoded[$0] }, model: model, stop: stop) else { return nil }
            for (index, hypotheses) in zip(chunk, decoded) {
                let sourcePieces = encoded[index].map(sourceTokenizer.vocabulary.piece(for:))
                var translations = hypotheses.map { makeTranslation(sentences[index], sourcePieces: sourcePieces, $0) }
                if translations.isEmpty {
                    translations = [makeTranslation(sentences[index], sourcePieces: sourcePieces,
                                                    Hypothesis(tokens: [], tokenLogProbabilities: [], endLogProbability: 0, score: 0, normalizedScore: 0))]
                }
                var best = translations.removeFirst()
                best.alternatives = Array(translations.prefix(max(0, options.nbest - 1)))
                results[index] = best
            }
        }
        return results.map { $0! }
    }

    private func makeTranslation(_ source: String, sourcePieces: [String], _ hypothesis: Hypothesis) -> Translation {
        Translation(
            source: source, sourcePieces: sourcePieces, text: targetTokenizer.decode(hypothesis.tokens),
            pieces: hypothesis.tokens.map(targetTokenizer.vocabulary.piece(for:)), tokens: hypothesis.tokens,
            score: hypothesis.score, normalizedScore: hypothesis.normalizedScore,
            tokenLogProbabilities: hypothesis.tokenLogProbabilities, isFinished: hypothesis.isFinished,
            attention: hypothesis.attention)
    }
}
