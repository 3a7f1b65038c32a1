import Foundation
import Seq

/// `parley demo`: trains a model on the embedded phrasebook corpus, then evaluates it on the
/// test split. The command adds the terminal display, the attention report and the REPL.
public enum Demo {
    /// What the demo is asked to do.
    public struct Settings: Sendable {
        /// The model directory (default `./parley-demo`).
        public var directory: URL
        /// The family to train.
        public var kind: ModelKind = .bahdanau
        /// A step limit instead of the demo's time budget (for quick runs and tests).
        public var steps: Int?
        /// Train again even if the directory holds a trained demo model.
        public var retrain = false
        /// The phrasebook corpus folder (train/dev/test `.en`/`.fr`).
        public var corpus: URL

        public init(directory: URL, corpus: URL) {
            self.directory = directory
            self.corpus = corpus
        }
    }

    /// What the demo measured.
    public struct Result: Codable, Sendable {
        public var bleu: Double
        public var chrF: Double
        public var model: String
        public var seconds: Double
        /// Whether this run trained the model (false: an existing one was reused).
        public var trained: Bool
        public var testSentences: Int
    }

    /// Training time budget of a full demo run.
    public static let trainingSeconds: Double = 150

    /// The demo's experiment: a small model of the chosen family, sized to learn the phrasebook
    /// grammar in about two and a half minutes on two cores.
    public static func configuration(_ settings: Settings) -> ExperimentConfiguration {
        var configuration = ExperimentConfiguration()
        configuration.modelDirectory = settings.directory.path
        configuration.data.trainSource = settings.corpus.appendingPathComponent("train.en").path
        configuration.data.trainTarget = settings.corpus.appendingPathComponent("train.fr").path
        configuration.data.devSource = settings.corpus.appendingPathComponent("dev.en").path
        configuration.data.devTarget = settings.corpus.appendingPathComponent("dev.fr").path
        configuration.data.devLimit = 300
        configuration.data.sourceLanguage = "en"
        configuration.data.targetLanguage = "fr"
        // The phrasebook vocabulary is a few hundred words: whole words are the natural pieces.
        configuration.tokenizer.mode = .word
        configuration.model.kind = settings.kind
        configuration.model.hiddenSize = 128
        configuration.model.attentionSize = 96
        configuration.model.bidirectionalEncoder = settings.kind != .transformer
        configuration.model.dropout = 0.1
        configuration.model.attentionDropout = 0
        configuration.model.heads = 4
        configuration.model.feedForwardSize = 256
        configuration.model.encoderLayers = settings.kind == .transformer ? 2 : 1
        configuration.model.decoderLayers = settings.kind == .transformer ? 2 : 1
        configuration.model.embeddingSize = settings.kind == .transformer ? 128 : 96
        configuration.training.schedule = settings.kind == .transformer
            ? .inverseSquareRoot(peak: 2e-3, warmupSteps: 200) : .constant(learningRate: 2e-3)
        configuration.training.batchTokens = 1500
        configuration.training.maximumEpochs = 0
        configuration.training.maximumSteps = settings.steps ?? 0
        configuration.training.maximumSeconds = settings.steps == nil ? trainingSeconds : 0
        configuration.training.validationInterval = settings.steps.map { max(1, $0) } ?? 500
        configuration.training.logInterval = settings.steps.map { max(1, min(25, $0)) } ?? 25
        configuration.training.patience = 0
        configuration.training.labelSmoothing = 0.1
        configuration.decoding.beamWidth = 5
        configuration.decoding.lengthPenalty = 0.6
        return configuration
    }

    /// Whether `directory` holds a demo model that finished training.
    public static func hasTrainedModel(in directory: URL) -> Bool {
        let model = ModelDirectory(directory)
        return FileManager.default.fileExists(atPath: model.bestCheckpoint.path)
            && FileManager.default.fileExists(atPath: model.configuration.path)
    }

    /// Prepares and trains (unless a trained model can be reused), then scores the test split with beam search.
    public static func run(_ settings: Settings, report: (TrainingEvent) -> Void = { _ in },
                           stopRequest: ((Trainer) -> Void)? = nil) throws -> (result: Result, translator: Translator) {
        let started = Date()
        var trained = false
        if settings.retrain || !hasTrainedModel(in: settings.directory) {
            var configuration = configuration(settings)
            try Preparation.run(&configuration, base: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) {
                report(.message($0))
            }
            try? FileManager.default.removeItem(at: ModelDirectory(settings.directory).log)
            let trainer = try Trainer(directory: settings.directory)
            stopRequest?(trainer)
            _ = try trainer.run(report)
            trained = true
        } else {
            report(.message("reusing the trained model in \(settings.directory.path) (--retrain to train again)"))
        }
        let translator = try Translator(modelDirectory: settings.directory)
        var invalid: [String] = []
        let sources = try ParallelCorpus.readLines(settings.corpus.appendingPathComponent("test.en"), invalid: &invalid)
        let references = try ParallelCorpus.readLines(settings.corpus.appendingPathComponent("test.fr"), invalid: &invalid)
        let hypotheses = translator.translate(sources, options: translator.defaultOptions).map(\.text)
        let evaluation = CorpusEvaluation(hypotheses: hypotheses, references: references)
        let result = Result(bleu: evaluation.bleu.score, chrF: evaluation.chrF.score, model: settings.directory.path,
                            seconds: Date().timeIntervalSince(started), trained: trained, testSentences: sources.count)
        return (result, translator)
    }

    /// The phrasebook corpus: `corpora/phrasebook` under the working directory or the source
    /// checkout; failing both, generated afresh (byte-identical to the committed files) into `fallback`.
    public static func locateCorpus(sourceFile: String = #filePath, fallback: URL) throws -> URL {
        let candidates = [
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("corpora/phrasebook"),
            URL(fileURLWithPath: sourceFile).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("corpora/phrasebook"),
        ]
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate.appendingPathComponent("test.fr").path) {
            return candidate
        }
        try PhrasebookGenerator(seed: 1).splits(train: 20_000, dev: 1_000, test: 1_000)
            .write(to: fallback, sourceExtension: "en", targetExtension: "fr")
        return fallback
    }
}

extension Demo {
    /// Sentences the demo translates to show attention.
    public static let examples = [
        "I see the small cat.",
        "She did not eat the red apples.",
        "We will go to the market.",
        "Did you find your keys?",
    ]

    /// One example translated, with its heatmap (nil for families without attention).
    public struct Example {
        public var translation: Translation
        public var heatmap: String?
    }

    /// Translates the examples, renders their cross-attention heatmaps, and writes one HTML page
    /// per example under `attention/` plus an index, `attention-report.html`, in the model directory.
    public static func attentionReport(_ translator: Translator, heatmap: Heatmap, sentences: [String] = examples)
        throws -> (examples: [Example], report: URL?) {
        var options = translator.defaultOptions
        options.recordsAttention = true
        let translations = translator.translate(sentences, options: options)
        let reportFolder = translator.directory.url.appendingPathComponent("attention", isDirectory: true)
        var examples: [Example] = []
        var links: [String] = []
        for (index, translation) in translations.enumerated() {
            guard let inspection = try? AttentionInspection(translation, modelName: translator.configuration.model.kind.rawValue) else {
                examples.append(Example(translation: translation, heatmap: nil))
                continue
            }
            examples.append(Example(translation: translation, heatmap: (try? inspection.view(.cross)).map(heatmap.render)))
            try FileManager.default.createDirectory(at: reportFolder, withIntermediateDirectories: true)
            let file = reportFolder.appendingPathComponent("example-\(index + 1).html")
            try AttentionExport.write(inspection, to: file)
            links.append("<li><a href=\"attention/\(file.lastPathComponent)\">\(AttentionExport.escape(translation.source))</a> → \(AttentionExport.escape(translation.text))</li>")
        }
        guard !links.isEmpty else { return (examples, nil) }
        let page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Parley demo: attention</title>
            <style>body{font-family:sans-serif;max-width:48em;margin:2em auto}li{margin:.4em 0}</style></head>
            <body><h1>Parley demo: attention of the example translations</h1>
            <p>Each page shows the attention of the decoded hypothesis: target pieces as rows, source pieces as columns.</p>
            <ul>
            \(links.joined(separator: "\n"))
            </ul></body></html>

            """
        let report = translator.directory.url.appendingPathComponent("attention-report.html")
        try AtomicFile.write(page, to: report)
        return (examples, report)
    }
}
