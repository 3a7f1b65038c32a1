import Foundation
import Seq
import Text

/// What `parley prepare` did.
public struct PreparationReport: Codable, Sendable {
    public var trainPairs: Int
    public var devPairs: Int
    public var statistics: EncodedCorpus.Statistics
    public var sourceVocabularySize: Int
    public var targetVocabularySize: Int
    public var invalidUTF8Lines: [String]
    public var seconds: Double
}

/// `parley prepare`: learns the tokenisers from the training data and encodes it into the model directory.
public enum Preparation {
    /// Runs preparation for `configuration`, whose relative paths resolve against `base`.
    ///
    /// Writes the tokenisers, `train.ids`, the dev set and the resolved `config.yaml` (with the
    /// model's vocabulary sizes filled in) into the model directory.
    @discardableResult
    public static func run(_ configuration: inout ExperimentConfiguration, base: URL, log: (String) -> Void = { _ in }) throws -> PreparationReport {
        let start = Date()
        let directory = ModelDirectory(resolve(configuration.modelDirectory, base: base))
        var train = try loadCorpus(source: configuration.data.trainSource, target: configuration.data.trainTarget,
                                   tsv: configuration.data.trainTSV, limit: configuration.data.trainLimit, base: base, role: "train")
        var dev: ParallelCorpus
        if !configuration.data.devSource.isEmpty || !configuration.data.devTSV.isEmpty {
            dev = try loadCorpus(source: configuration.data.devSource, target: configuration.data.devTarget,
                                 tsv: configuration.data.devTSV, limit: configuration.data.devLimit, base: base, role: "dev")
        } else {
            dev = train.holdOut(configuration.data.devHoldOut)
        }
        log("read \(train.count) training and \(dev.count) validation pairs")
        for line in train.invalidLines + dev.invalidLines { log("warning: invalid UTF-8 replaced with U+FFFD at \(line)") }

        let tokenization = configuration.tokenizer
        let sourceSide = tokenization.side(language: configuration.data.sourceLanguage)
        let targetSide = tokenization.side(language: configuration.data.targetLanguage)
        let tokenizers: (source: Tokenizer, target: Tokenizer)
        if tokenization.joint || tokenization.sharedVocabulary {
            tokenizers = Tokenizer.learnJoint(source: train.sources, target: train.targets,
                                              sourceConfiguration: sourceSide, targetConfiguration: targetSide,
                                              sharedVocabulary: tokenization.sharedVocabulary)
        } else {
            tokenizers = (Tokenizer.learn(from: train.sources, configuration: sourceSide),
                          Tokenizer.learn(from: train.targets, configuration: targetSide))
        }
        try tokenizers.source.save(to: directory.sourceTokenizer)
        try tokenizers.target.save(to: directory.targetTokenizer)
        log("vocabularies: source \(tokenizers.source.vocabulary.count), target \(tokenizers.target.vocabulary.count) pieces")

        let statistics = try EncodedCorpus.encode(
            train, source: tokenizers.source, target: tokenizers.target,
            maximumLength: configuration.data.maximumLength, maximumLengthRatio: configuration.data.maximumLengthRatio,
            to: directory.trainIDs)
        log("kept \(statistics.kept) pairs; dropped \(statistics.dropped) (\(statistics.droppedTooLong) too long, \(statistics.droppedRatio) length ratio, \(statistics.droppedEmpty) empty)")
        try AtomicFile.write(dev.sources.joined(separator: "\n") + "\n", to: directory.devSource)
        try AtomicFile.write(dev.targets.joined(separator: "\n") + "\n", to: directory.devTarget)

        configuration.model.sourceVocabularySize = tokenizers.source.vocabulary.count
        configuration.model.targetVocabularySize = tokenizers.target.vocabulary.count
        configuration.model.paddingID = Vocabulary.paddingID
        try AtomicFile.write(try configuration.yaml(), to: directory.configuration)

        let report = PreparationReport(
            trainPairs: statistics.kept, devPairs: dev.count, statistics: statistics,
            sourceVocabularySize: tokenizers.source.vocabulary.count, targetVocabularySize: tokenizers.target.vocabulary.count,
            invalidUTF8Lines: train.invalidLines + dev.invalidLines, seconds: Date().timeIntervalSince(start))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(report), to: directory.preparation)
        return report
    }

    static func loadCorpus(source: String, target: String, tsv: String, limit: Int, base: URL, role: String) throws -> ParallelCorpus {
        if !tsv.isEmpty { return try ParallelCorpus(tsv: resolve(tsv, base: base), limit: limit) }
        guard !source.isEmpty, !target.isEmpty else {
            throw ConfigurationError(file: "configuration", "data: give \(role)Source and \(role)Target, or \(role)TSV")
        }
        return try ParallelCorpus(source: resolve(source, base: base), target: resolve(target, base: base), limit: limit)
    }
}

/// A path from a configuration, resolved against the configuration file's folder when relative.
func resolve(_ path: String, base: URL) -> URL {
    if path.hasPrefix("/") { return URL(fileURLWithPath: path) }
    if path.hasPrefix("~/") {
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(String(path.dropFirst(2)))
    }
    return base.appendingPathComponent(path).standardizedFileURL
}
