import ArgumentParser
import Foundation
import Translate

/// `parley evaluate`: corpus BLEU and chrF2 of translations, equal to sacreBLEU's defaults.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score translations against references: corpus BLEU and chrF2, as sacreBLEU computes them.",
        discussion: """
            Both files hold one sentence per line, aligned. BLEU uses 13a tokenisation and exponential \
            smoothing; chrF uses character 6-grams and beta 2. Signatures follow sacreBLEU 2.x.
            """
    )

    /// How the scores are printed.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(help: "File of system translations, one per line.")
    var hypotheses: String

    @Option(help: "File of reference translations, one per line.")
    var references: String

    @Flag(help: "Lowercase hypotheses and references before scoring (both metrics).")
    var lowercase = false

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    func run() throws {
        let evaluation: CorpusEvaluation
        do {
            evaluation = try CorpusEvaluation(
                hypothesesFile: URL(fileURLWithPath: hypotheses),
                referencesFile: URL(fileURLWithPath: references),
                lowercase: lowercase)
        } catch let error as EvaluationError {
            FileHandle.standardError.write(Data("error: \(error.localizedDescription)\n".utf8))
            throw ExitCode.failure
        }
        let output = format == .json ? evaluation.json : evaluation.text
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}
