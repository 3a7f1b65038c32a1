import Foundation
import Seq
import TestSupport
import Translate

/// Small models trained once per test process on the project's own reversal corpus, for tests
/// that need a real model directory (translation, search, attention, the REPL).
enum TrainedModel {
    /// The repository's `corpora/algorithmic/reverse` split.
    static let reverseCorpus = repositoryRoot.appendingPathComponent("corpora/algorithmic/reverse")

    /// A model directory trained on sequence reversal with the given family (cached per kind).
    static func directory(kind: ModelKind = .transformer) throws -> URL {
        try lock.withLock {
            if let url = cache[kind] { return url }
            let url = try train(kind: kind)
            cache[kind] = url
            return url
        }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [ModelKind: URL] = [:]

    /// The configuration used for the fixture models: word-level pieces, tiny sizes, a few hundred steps.
    static func configuration(kind: ModelKind, directory: URL, steps: Int = 700) -> ExperimentConfiguration {
        var configuration = ExperimentConfiguration()
        configuration.modelDirectory = directory.path
        configuration.data.trainSource = reverseCorpus.appendingPathComponent("train.src").path
        configuration.data.trainTarget = reverseCorpus.appendingPathComponent("train.tgt").path
        configuration.data.devSource = reverseCorpus.appendingPathComponent("dev.src").path
        configuration.data.devTarget = reverseCorpus.appendingPathComponent("dev.tgt").path
        configuration.data.devLimit = 100
        configuration.tokenizer.mode = .word
        configuration.model.kind = kind
        configuration.model.embeddingSize = 64
        configuration.model.hiddenSize = 64
        configuration.model.attentionSize = 64
        configuration.model.heads = 4
        configuration.model.feedForwardSize = 128
        configuration.model.encoderLayers = kind == .transformer ? 2 : 1
        configuration.model.decoderLayers = kind == .transformer ? 2 : 1
        configuration.model.bidirectionalEncoder = kind == .bahdanau
        configuration.model.dropout = 0
        configuration.model.attentionDropout = 0
        configuration.training.schedule = .constant(learningRate: 3e-3)
        configuration.training.batchTokens = 600
        configuration.training.maximumSteps = steps
        configuration.training.maximumEpochs = 0
        configuration.training.validationInterval = steps
        configuration.training.logInterval = 50
        configuration.training.labelSmoothing = 0
        configuration.training.earlyStoppingMetric = .loss
        configuration.decoding.beamWidth = 5
        configuration.decoding.lengthPenalty = 0
        return configuration
    }

    private static func train(kind: ModelKind) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("parley-fixture-\(kind.rawValue)-\(UUID().uuidString)")
        var configuration = configuration(kind: kind, directory: url)
        try Preparation.run(&configuration, base: repositoryRoot)
        let trainer = try Trainer(directory: url)
        _ = try trainer.run()
        return url
    }
}
