import Foundation

/// The files of a self-contained model directory.
///
///     config.yaml            the resolved experiment configuration
///     source/, target/       the tokenisers (tokenizer.json, codes.bpe, vocabulary.txt)
///     train.ids              the encoded, filtered training corpus (memory-mapped)
///     dev.source, dev.target the validation sentences, as text
///     best.safetensors       the checkpoint with the best validation metric
///     last.safetensors       the latest checkpoint, with optimiser and data position (for --resume)
///     log.jsonl              one JSON object per training log line and per validation
///     curve.svg              training loss and dev BLEU against steps
public struct ModelDirectory: Sendable {
    public let url: URL

    public init(_ url: URL) { self.url = url }

    public var configuration: URL { url.appendingPathComponent("config.yaml") }
    public var sourceTokenizer: URL { url.appendingPathComponent("source", isDirectory: true) }
    public var targetTokenizer: URL { url.appendingPathComponent("target", isDirectory: true) }
    public var trainIDs: URL { url.appendingPathComponent("train.ids") }
    public var devSource: URL { url.appendingPathComponent("dev.source") }
    public var devTarget: URL { url.appendingPathComponent("dev.target") }
    public var bestCheckpoint: URL { url.appendingPathComponent("best.safetensors") }
    public var lastCheckpoint: URL { url.appendingPathComponent("last.safetensors") }
    public var log: URL { url.appendingPathComponent("log.jsonl") }
    public var curve: URL { url.appendingPathComponent("curve.svg") }
    public var preparation: URL { url.appendingPathComponent("prepare.json") }

    /// Whether `prepare` has run here.
    public var isPrepared: Bool {
        [configuration, trainIDs, preparation].allSatisfy { FileManager.default.fileExists(atPath: $0.path) }
    }
}
