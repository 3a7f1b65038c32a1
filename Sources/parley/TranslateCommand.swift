import ArgumentParser
import Foundation
import Seq
import Translate

/// Options that pick a model directory and a search.
struct DecodingOptions: ParsableArguments {
    @Option(help: "The model directory.")
    var model: String

    @Option(help: "Beam width (1: greedy; default from the model's configuration).")
    var beam: Int?

    @Option(help: "GNMT length penalty α (default from the configuration).")
    var alpha: Float?

    @Option(help: "Hypotheses per sentence.")
    var nbest: Int?

    @Option(help: "Checkpoint to use: best or last.")
    var checkpoint: String = "best"

    @Flag(help: "Never produce <unk> (the search takes the best known piece instead).")
    var forbidUnknown = false

    @Option(help: ArgumentHelp(
        "Weights read by steps of up to 8 hypotheses (a sentence decoded alone): float32, or bfloat16.",
        discussion: "bfloat16 rounds each weight to 8 bits of significand in the copy those steps read: half the bytes, faster where a step waits on memory (batch-1 decoding); the arithmetic stays float32. Larger steps always read float32 weights, and so does every step on a CPU without AVX2."))
    var weightPrecision: PackedWeights.Precision = .float32

    func validate() throws {
        if let beam, beam < 1 { throw ValidationError("--beam must be at least 1") }
        if let nbest, nbest < 1 { throw ValidationError("--nbest must be at least 1") }
        if checkpoint != "best" && checkpoint != "last" { throw ValidationError("--checkpoint must be best or last") }
    }

    func makeTranslator() throws -> Translator {
        try Translator(modelDirectory: resolvePath(model), checkpoint: checkpoint == "last" ? .last : .best)
    }

    func options(_ translator: Translator) -> TranslationOptions {
        var options = translator.defaultOptions
        if let beam { options.beamWidth = beam }
        if let alpha { options.lengthPenalty = alpha }
        if forbidUnknown { options.forbidsUnknown = true }
        options.weightPrecision = weightPrecision
        if !weightPrecision.isSupported {
            FileHandle.standardError.write(Data("note: \(weightPrecision.rawValue) weights need AVX2 and FMA or AVX-512, which this CPU lacks; decoding reads float32 weights\n".utf8))
        }
        if let nbest {
            options.nbest = nbest
            options.beamWidth = max(options.beamWidth, nbest)
        }
        return options
    }
}

extension PackedWeights.Precision: ExpressibleByArgument {}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct TranslateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate",
        abstract: "Translate sentences (one per line) from stdin or --input.")

    @OptionGroup var decoding: DecodingOptions

    @Option(help: "Input file (default: standard input).")
    var input: String?

    @Option(help: "Output file (default: standard output); written atomically.")
    var output: String?

    @Option(help: "Sentences decoded together.")
    var batchSize: Int?

    @Option(help: "text (one translation a line; n-best lists as index ||| text ||| score) or json (one object a line with tokens, scores and attention).")
    var outputFormat: OutputFormat = .text

    func run() throws {
        let translator = try decoding.makeTranslator()
        var options = decoding.options(translator)
        if let batchSize { options.batchSize = max(1, batchSize) }
        options.recordsAttention = outputFormat == .json
        let lines: [String]
        if let input {
            guard let data = FileManager.default.contents(atPath: input) else {
                throw ValidationError("cannot read input file \(input)")
            }
            lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLastIfEmpty()
        } else {
            var read: [String] = []
            while let line = Swift.readLine(strippingNewline: true) { read.append(line) }
            lines = read
        }
        let translations = translator.translate(lines, options: options)
        var out = ""
        for (index, translation) in translations.enumerated() {
            switch outputFormat {
            case .text:
                if options.nbest > 1 {
                    for hypothesis in [translation] + translation.alternatives {
                        out += "\(index) ||| \(hypothesis.text) ||| \(hypothesis.normalizedScore)\n"
                    }
                } else {
                    out += translation.text + "\n"
                }
            case .json:
                out += try TranslationJSON.line(translation) + "\n"
            }
        }
        if let output {
            try AtomicFile.write(out, to: resolvePath(output))
        } else {
            FileHandle.standardOutput.write(Data(out.utf8))
        }
    }
}

extension Array where Element == String {
    func dropLastIfEmpty() -> [String] { last == "" ? Array(dropLast()) : self }
}

/// The JSON form of a translation: text, pieces, scores and the chosen hypothesis' attention.
enum TranslationJSON {
    static func object(_ t: Translation) -> [String: Any] {
        var object: [String: Any] = [
            "source": t.source, "translation": t.text, "source_pieces": t.sourcePieces, "pieces": t.pieces,
            "tokens": t.tokens, "score": Double(t.score), "normalized_score": Double(t.normalizedScore),
            "token_log_probabilities": t.tokenLogProbabilities.map(Double.init), "finished": t.isFinished,
        ]
        if let attention = t.attention {
            object["attention"] = [
                "cross": attention.cross.map(nested),
                "decoder_self": attention.decoderSelf.map(nested),
                "encoder_self": attention.encoderSelf.map(nested),
            ]
        }
        if !t.alternatives.isEmpty {
            object["alternatives"] = t.alternatives.map { ["translation": $0.text, "score": Double($0.score), "normalized_score": Double($0.normalizedScore)] }
        }
        return object
    }

    static func line(_ t: Translation) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object(t), options: [.sortedKeys]), as: UTF8.self)
    }

    /// A tensor as nested arrays following its shape.
    static func nested(_ tensor: Tensor) -> Any {
        let values = tensor.scalars.map(Double.init)
        func build(_ axis: Int, _ offset: Int) -> Any {
            if axis == tensor.rank { return values[offset] }
            let stride = tensor.shape[(axis + 1)...].reduce(1, *)
            return (0..<tensor.shape[axis]).map { build(axis + 1, offset + $0 * stride) }
        }
        return build(0, 0)
    }
}
