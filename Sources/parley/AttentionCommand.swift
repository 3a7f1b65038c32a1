import ArgumentParser
import Foundation
import Translate
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension AttentionKind: ExpressibleByArgument {}
extension Heatmap.Palette: ExpressibleByArgument {}

/// `parley attention`: translate one sentence and show or export the attention of the decoded hypothesis.
struct Attention: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention",
        abstract: "Show or export the attention of one translated sentence.",
        discussion: """
            Without --output, prints a heatmap of one layer and head (default: the last layer, the mean \
            of its heads). With --output, the format follows the extension: .html (a self-contained page \
            with every kind, layer and head and selectors; the options choose the view shown first), \
            .svg, .json, .csv (the selected layers and heads; all by default), .npy (one kind as a \
            float32 array [layers, heads, rows, columns]). Layers and heads count from 0. Rows are decoder \
            steps, ending with </s> when the translation finished. See docs/attention.md.
            """)

    @OptionGroup var decoding: DecodingOptions

    @Option(help: "The sentence to translate.")
    var source: String

    @Option(help: "Which attention: cross, decoder-self or encoder-self (default: cross for the heatmap, .npy and .svg; every kind for the other formats).")
    var kind: AttentionKind?

    @Option(help: "The layer, from 0 (default: the last for the heatmap, all for exports).")
    var layer: Int?

    @Option(help: "A head, from 0, or 'mean' (default: mean for the heatmap, every head for exports).")
    var head: String?

    @Flag(help: "Every head of the layer (heatmap: one after another).")
    var allHeads = false

    @Option(help: "Write to this file (.html, .svg, .json, .csv, .npy) instead of printing a heatmap.")
    var output: String?

    @Flag(help: "Print the weight in every heatmap cell.")
    var weights = false

    @Option(help: "Heatmap shading: ascii, blocks, 256 or truecolor (default: what the terminal supports).")
    var palette: Heatmap.Palette?

    @Option(help: "Heatmap width in columns.")
    var width: Int = 80

    @Flag(help: "Also print the hard alignment (argmax per target piece) in Pharaoh format, source-target pairs.")
    var alignment = false

    @Flag(help: "Also print the hard alignment between words (subword pieces merged) in Pharaoh format.")
    var wordAlignment = false

    func validate() throws {
        if head != nil && allHeads { throw ValidationError("--head and --all-heads exclude each other") }
        if let head, AttentionHead(head) == nil { throw ValidationError("--head must be a head number (from 0) or mean") }
        if let layer, layer < 0 { throw ValidationError("--layer counts from 0") }
        if width < 20 { throw ValidationError("--width must be at least 20") }
        if let output {
            do { _ = try AttentionFormat(fileName: output) } catch { throw ValidationError(error.localizedDescription) }
        }
    }

    func run() throws {
        let translator = try decoding.makeTranslator()
        var options = decoding.options(translator)
        options.recordsAttention = true
        let translation = translator.translate(source, options: options)
        let modelName = translator.configuration.model.kind.rawValue
        let inspection = try AttentionInspection(translation, modelName: modelName)
        var lines: [String] = []
        let chosenHead = head.flatMap(AttentionHead.init)
        if let output {
            let url = resolvePath(output)
            let selection = AttentionSelection(kind: kind, layer: layer, head: chosenHead)
            let format = try AttentionExport.write(inspection, selection: selection, to: url)
            lines.append("\(translation.text)")
            lines.append("wrote \(format.rawValue) to \(url.path)")
        } else {
            let palette = palette ?? .detect(isTerminal: isatty(STDOUT_FILENO) != 0)
            let heatmap = Heatmap(palette: palette, showsWeights: weights, width: width)
            lines.append("source:      \(translation.source)")
            lines.append("translation: \(translation.text)")
            lines.append("score \(String(format: "%.4f", translation.score))" + (translation.isFinished ? "" : " (cut at the length limit: no </s> row)"))
            let kind = kind ?? .cross
            try inspection.validate(kind, layer: layer, head: chosenHead)
            let heads: [AttentionHead] = allHeads ? (0..<inspection.heads(of: kind)).map(AttentionHead.index) : [chosenHead ?? .mean]
            for head in heads {
                lines.append("")
                lines.append(contentsOf: heatmap.render(try inspection.view(kind, layer: layer, head: head)).split(separator: "\n").map(String.init))
            }
        }
        if alignment || wordAlignment {
            let hard = try HardAlignment(inspection, layer: layer, head: chosenHead ?? .mean)
            if alignment { lines.append(hard.pharaoh) }
            if wordAlignment { lines.append(hard.wordPharaoh(sourcePieces: inspection.sourcePieces, targetPieces: inspection.targetPieces)) }
        }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
