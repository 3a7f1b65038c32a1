import Foundation
import Text

/// BLEU and chrF of a set of translations against references: what `parley evaluate` prints.
public struct CorpusEvaluation: Sendable, Equatable {
    /// Corpus BLEU (sacreBLEU's default).
    public var bleu: BLEUScore
    /// Corpus chrF2 (sacreBLEU's default).
    public var chrF: ChrFScore

    /// Scores `hypotheses` against `references`, one reference per hypothesis.
    ///
    /// - Precondition: `hypotheses.count == references.count`.
    public init(hypotheses: [String], references: [String], lowercase: Bool = false) {
        bleu = BLEU.corpusScore(hypotheses: hypotheses, references: references, lowercase: lowercase)
        chrF = ChrF.corpusScore(hypotheses: hypotheses, references: references, lowercase: lowercase)
    }

    /// Scores the lines of two UTF-8 files (split at `\n`, as sacreBLEU reads them).
    ///
    /// - Throws: `EvaluationError` when a file is missing or unreadable, or when the line counts
    ///   differ.
    public init(hypothesesFile: URL, referencesFile: URL, lowercase: Bool = false) throws {
        let hypotheses = try Self.lines(of: hypothesesFile, role: "hypotheses")
        let references = try Self.lines(of: referencesFile, role: "references")
        guard hypotheses.count == references.count else {
            throw EvaluationError.lineCountMismatch(
                hypotheses: hypothesesFile.path, hypothesisLines: hypotheses.count,
                references: referencesFile.path, referenceLines: references.count)
        }
        self.init(hypotheses: hypotheses, references: references, lowercase: lowercase)
    }

    /// sacreBLEU's text format, one metric per line:
    ///
    ///     BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:… = 34.12 65.0/40.0/28.6/16.7 (BP = 1.000 ratio = 1.000 hyp_len = 20 ref_len = 20)
    ///     chrF2|nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:… = 56.34
    public var text: String {
        "BLEU|\(bleu.signature) = \(String(format: "%.2f", bleu.score)) \(bleu.details)\n"
            + "\(chrF.name)|\(chrF.signature) = \(String(format: "%.2f", chrF.score))\n"
    }

    /// `{"bleu": …, "chrf": …, "signature": {"bleu": …, "chrf": …}}` on one line (full precision).
    public var json: String {
        struct Signatures: Encodable { var bleu: String; var chrf: String }
        struct Report: Encodable { var bleu: Double; var chrf: Double; var signature: Signatures }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let report = Report(bleu: bleu.score, chrf: chrF.score, signature: Signatures(bleu: bleu.signature, chrf: chrF.signature))
        // Encoding plain numbers and strings cannot fail.
        let data = try! encoder.encode(report)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private static func lines(of url: URL, role: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw EvaluationError.missingFile(role: role, path: url.path)
        }
        do {
            return try TextFile(contentsOf: url, lineBreaks: .newline).lines
        } catch let error as TextFileError {
            guard case let .unreadable(_, reason) = error else { throw error }
            throw EvaluationError.unreadableFile(role: role, path: url.path, reason: reason)
        }
    }
}
