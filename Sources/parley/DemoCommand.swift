import ArgumentParser
import Foundation
import Seq
import Translate
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `parley demo`: Parley's main job out of the box, on the embedded phrasebook corpus.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train an attention model on the embedded English→French phrasebook, score it, show its attention, open the REPL.",
        discussion: """
            Trains for about two and a half minutes (release build, 2 cores), evaluates BLEU and chrF on \
            the phrasebook test split, shows attention heatmaps for a few sentences, writes an HTML \
            attention report into the model directory, then opens the REPL on a terminal. A trained \
            demo model is reused unless --retrain.
            """)

    @Option(help: "The model directory.")
    var output: String = "parley-demo"

    @Option(help: "The model family: rnn, lstm, bahdanau or transformer.")
    var modelKind: String = "bahdanau"

    @Option(help: "Train for this many steps instead of the time budget (quick runs).")
    var steps: Int?

    @Flag(help: "Train again even if the directory holds a trained demo model.")
    var retrain = false

    @Flag(help: "Do not open the REPL; end with one JSON line of results.")
    var noRepl = false

    func validate() throws {
        guard ModelKind(rawValue: modelKind) != nil else {
            throw ValidationError("--model-kind must be one of \(ModelKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
    }

    func run() throws {
        let directory = resolvePath(output)
        let corpus = try Translate.Demo.locateCorpus(fallback: directory.appendingPathComponent("corpus"))
        var settings = Translate.Demo.Settings(directory: directory, corpus: corpus)
        settings.kind = ModelKind(rawValue: modelKind)!
        settings.steps = steps
        settings.retrain = retrain
        let interactive = isatty(STDERR_FILENO) != 0
        let progress = ProgressLine(enabled: interactive)
        printError("Parley demo: \(settings.kind.rawValue) model on the English→French phrasebook (\(corpus.path))")
        var interrupt: InterruptHandler?
        let (result, translator) = try Translate.Demo.run(settings, report: { event in
            switch event {
            case .message(let text): progress.log(text)
            case .step(let step): progress.update(step, maximumSteps: steps ?? 0)
            case .validation(let v):
                progress.log(String(format: "validation at step %d: BLEU %.2f, chrF %.2f, loss %.3f", v.step, v.bleu, v.chrF, v.loss))
            }
        }, stopRequest: { trainer in interrupt = InterruptHandler { trainer.stopRequest.set() } })
        interrupt?.restore()
        progress.finish()
        printError(String(format: "test split (%d sentences, beam 5): BLEU %.2f, chrF %.2f", result.testSentences, result.bleu, result.chrF))

        try showExamples(translator, directory: directory)

        if noRepl || !interactive || isatty(STDIN_FILENO) == 0 {
            let json: [String: Any] = ["bleu": rounded(result.bleu), "chrf": rounded(result.chrF), "model": result.model,
                                       "seconds": rounded(result.seconds, places: 1)]
            let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        printError("\nOpening the REPL on the demo model (:help for commands, Ctrl-D to leave).")
        let repl = try Repl.parse(["--model", directory.path])
        try repl.run()
    }

    /// Translates the example sentences, prints their heatmaps, writes the HTML attention report.
    private func showExamples(_ translator: Translator, directory: URL) throws {
        let heatmap = Heatmap(palette: .detect(isTerminal: isatty(STDERR_FILENO) != 0), width: 80)
        let (examples, report) = try Translate.Demo.attentionReport(translator, heatmap: heatmap)
        for example in examples {
            printError("\n\(example.translation.source)\n→ \(example.translation.text)")
            printError(example.heatmap ?? "(this model family has no attention to show)")
        }
        if let report { printError("\nattention report: \(report.path)") }
    }
}
