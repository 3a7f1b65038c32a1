import Foundation
import Seq

/// The interactive translator behind `parley repl`: takes input lines (sentences or `:commands`)
/// and returns output lines, independent of the terminal, so scripts and tests drive it directly.
///
/// A sentence goes through the model directory's tokeniser and `Translator` with the session's
/// options; the translation is printed alone on its line (so output can be compared with
/// `parley translate`), followed by indented lines: score and time, the n-best list, pieces, and
/// the attention heatmap when switched on. Bad commands and bad sentences produce a one-line
/// `error:`/`note:` and the session goes on; only `:quit` ends it. A translation interrupted
/// through `handle(_:stop:)` prints `note: translation interrupted` and nothing else.
///
/// Input rules: a line whose first character is `:` is a command (start a sentence with a space
/// to translate text beginning with `:`); blank lines are ignored; control characters are
/// removed; a sentence longer than `maximumSourcePieces` pieces is cut there (at a space when
/// possible) and the translation of the cut sentence is printed after a note saying so.
public final class REPLSession {
    public let translator: Translator
    /// The search settings (`:beam`, `:greedy`, `:nbest`, `:alpha`, `:weights`). Attention is always recorded.
    public private(set) var options: TranslationOptions
    /// `:tokens on|off`: print source and target pieces.
    public private(set) var showsTokens = false
    /// `:attn on|off`: print the cross-attention heatmap after each translation.
    public private(set) var showsAttention = false
    /// `:attn layer L head H|mean`: the layer (`nil`: last) and head shown.
    public private(set) var attentionLayer: Int?
    public private(set) var attentionHead: AttentionHead = .mean
    /// How heatmaps are drawn.
    public var heatmap: Heatmap
    /// Longer inputs are cut to this many source pieces.
    public var maximumSourcePieces: Int
    /// Where relative `:save` paths go.
    public var workingDirectory: URL
    /// The last translation, for `:save`.
    public private(set) var lastTranslation: Translation?
    /// Set by `:quit`.
    public private(set) var hasQuit = false

    /// The largest beam or n-best the session accepts.
    public static let maximumBeam = 256

    public init(translator: Translator, options: TranslationOptions? = nil, heatmap: Heatmap = Heatmap(),
                maximumSourcePieces: Int? = nil,
                workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) {
        self.translator = translator
        var options = options ?? translator.defaultOptions
        options.recordsAttention = true
        options.nbest = max(1, min(options.nbest, max(1, options.beamWidth)))
        self.options = options
        self.heatmap = heatmap
        let model = translator.configuration.model
        let positions = model.kind == .transformer && model.positionEncoding == .learned ? model.maximumLength : Int.max
        self.maximumSourcePieces = maximumSourcePieces ?? min(256, positions)
        self.workingDirectory = workingDirectory
    }

    /// The model family, for messages.
    public var modelName: String { translator.configuration.model.kind.rawValue }

    /// Runs `lines` until `:quit` or their end, passing every output line to `write`.
    public func run<Lines: Sequence<String>>(_ lines: Lines, write: (String) -> Void) {
        for line in lines {
            handle(line).forEach(write)
            if hasQuit { return }
        }
    }

    /// Handles one input line and returns the lines to print. A translation stops when `stop` is
    /// set (Ctrl-C in `parley repl`), with a note instead of its lines; the session goes on.
    public func handle(_ line: String, stop: StopRequest? = nil) -> [String] {
        guard !hasQuit else { return [] }
        if line.first == ":" { return command(line) }
        return translate(line, stop: stop)
    }

    // MARK: - Commands

    /// The `:help` text.
    public static let help = [
        "Type a sentence to translate it. Commands:",
        "  :help                      this list",
        "  :beam K                    beam search of width K (1 is greedy)",
        "  :greedy                    greedy search (beam 1, one translation)",
        "  :nbest N                   list the N best translations (widens the beam to N)",
        "  :alpha X                   GNMT length penalty α (0: none)",
        "  :weights float32|bfloat16  the weights a sentence's steps read (bfloat16: rounded, faster)",
        "  :tokens on|off             show source and target pieces",
        "  :attn on|off               show the cross-attention heatmap after each translation",
        "  :attn layer L head H|mean  the layer and head the heatmap shows (counted from 0)",
        "  :save FILE                 export the last translation's attention (.html or .json; .svg .csv .npy too)",
        "  :quit                      leave (Ctrl-D too; Ctrl-C clears the line or stops a translation)",
        "Lines starting with ':' are commands; start with a space to translate text beginning with ':'.",
    ]

    /// The current settings in one line.
    public var settings: String {
        let search = options.beamWidth <= 1 ? "greedy" : "beam \(options.beamWidth)"
        let layer = attentionLayer.map { "layer \($0)" } ?? "last layer"
        return "settings: \(search), n-best \(options.nbest), α \(format(options.lengthPenalty)), "
            + "weights \(options.weightPrecision.rawValue), tokens \(showsTokens ? "on" : "off"), "
            + "attention \(showsAttention ? "on" : "off") (\(layer), \(attentionHead))"
    }

    private func command(_ line: String) -> [String] {
        let words = line.dropFirst().split(whereSeparator: \.isWhitespace).map(String.init)
        guard let name = words.first?.lowercased() else { return [error("empty command; :help lists them")] }
        let arguments = Array(words.dropFirst())
        switch name {
        case "help":
            return Self.help + [settings]
        case "quit":
            hasQuit = true
            return []
        case "beam":
            guard arguments.count == 1, let k = Int(arguments[0]), (1...Self.maximumBeam).contains(k) else {
                return [error(":beam needs a whole number from 1 to \(Self.maximumBeam), e.g. :beam 5")]
            }
            options.beamWidth = k
            if options.nbest > k {
                options.nbest = k
                return ["beam \(k) (n-best reduced to \(k))"]
            }
            return [k == 1 ? "beam 1 (greedy)" : "beam \(k)"]
        case "greedy":
            guard arguments.isEmpty else { return [error(":greedy takes no argument")] }
            options.beamWidth = 1
            options.nbest = 1
            return ["greedy search"]
        case "nbest":
            guard arguments.count == 1, let n = Int(arguments[0]), (1...Self.maximumBeam).contains(n) else {
                return [error(":nbest needs a whole number from 1 to \(Self.maximumBeam), e.g. :nbest 3")]
            }
            options.nbest = n
            if options.beamWidth < n {
                options.beamWidth = n
                return ["n-best \(n) (beam widened to \(n))"]
            }
            return ["n-best \(n)"]
        case "alpha":
            guard arguments.count == 1, let alpha = Float(arguments[0]), alpha.isFinite, (0...5).contains(alpha) else {
                return [error(":alpha needs a number from 0 to 5, e.g. :alpha 0.6")]
            }
            options.lengthPenalty = alpha
            return ["α \(format(alpha))" + (options.beamWidth <= 1 ? " (used by beam search; greedy search ignores it)" : "")]
        case "weights":
            guard arguments.count == 1, let precision = PackedWeights.Precision(rawValue: arguments[0].lowercased()) else {
                return [error(":weights needs float32 or bfloat16, e.g. :weights bfloat16")]
            }
            options.weightPrecision = precision
            let note = !precision.isSupported ? " (this CPU lacks AVX2: steps read float32 weights)"
                : precision == .bfloat16 ? " (rounded; steps of up to 8 hypotheses)" : ""
            return ["weights \(precision.rawValue)" + note]
        case "tokens":
            guard arguments.count == 1, let on = Self.onOff(arguments[0]) else { return [error(":tokens needs on or off")] }
            showsTokens = on
            return ["tokens \(on ? "on" : "off")"]
        case "attn":
            return attentionCommand(arguments)
        case "save":
            let path = line.dropFirst().drop { !$0.isWhitespace }.trimmingCharacters(in: .whitespaces)
            guard !path.isEmpty else { return [error(":save needs a file name, e.g. :save attention.html")] }
            return save(to: path)
        default:
            return [error("unknown command :\(words[0]) (:help lists the commands)")]
        }
    }

    private func attentionCommand(_ arguments: [String]) -> [String] {
        if arguments.isEmpty { return [settings] }
        if arguments.count == 1, let on = Self.onOff(arguments[0]) {
            if on, let problem = attentionProblem(layer: attentionLayer, head: attentionHead) { return [error(problem)] }
            showsAttention = on
            return ["attention \(on ? "on" : "off")"]
        }
        guard arguments.count == 4, arguments[0].lowercased() == "layer", arguments[2].lowercased() == "head",
              let layer = Int(arguments[1]), let head = AttentionHead(arguments[3]) else {
            return [error(":attn needs on, off, or layer L head H|mean (e.g. :attn layer 0 head mean)")]
        }
        if let problem = attentionProblem(layer: layer, head: head) { return [error(problem)] }
        attentionLayer = layer
        attentionHead = head
        showsAttention = true
        return ["attention on: layer \(layer), \(head)"]
    }

    /// Why the model cannot show `layer` and `head` of its cross-attention, if it cannot.
    private func attentionProblem(layer: Int?, head: AttentionHead) -> String? {
        let model = translator.configuration.model
        let (layers, heads): (Int, Int) = switch model.kind {
        case .transformer: (model.decoderLayers, model.heads)
        case .bahdanau: (1, 1)
        case .rnn, .lstm: (0, 0)
        }
        if layers == 0 { return InspectionError.unavailable(.cross, model: modelName).errorDescription }
        if let layer, !(0..<layers).contains(layer) {
            return InspectionError.layerOutOfRange(.cross, layer: layer, layers: layers).errorDescription
        }
        if case .index(let h) = head, !(0..<heads).contains(h) {
            return InspectionError.headOutOfRange(head: h, heads: heads).errorDescription
        }
        return nil
    }

    private func save(to path: String) -> [String] {
        guard let translation = lastTranslation else { return [error("nothing to save yet: translate a sentence first")] }
        let expanded = path.hasPrefix("~/")
            ? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(String(path.dropFirst(2))).path : path
        let url = expanded.hasPrefix("/") ? URL(fileURLWithPath: expanded) : workingDirectory.appendingPathComponent(expanded)
        do {
            let inspection = try AttentionInspection(translation, modelName: modelName)
            let format = try AttentionFormat(fileName: url.lastPathComponent)
            // The page opens on the view the heatmap shows; other formats hold every matrix.
            let selection = format == .html ? AttentionSelection(kind: .cross, layer: attentionLayer, head: attentionHead)
                                            : AttentionSelection()
            try AttentionExport.write(inspection, selection: selection, to: url)
            return ["saved the attention of \"\(translation.source)\" to \(url.standardizedFileURL.path) (\(format.rawValue))"]
        } catch {
            return [self.error(error.localizedDescription)]
        }
    }

    // MARK: - Sentences

    private func translate(_ line: String, stop: StopRequest?) -> [String] {
        var notes: [String] = []
        let isControl = { (scalar: Unicode.Scalar) in scalar != "\t" && scalar.properties.generalCategory == .control }
        let removed = line.unicodeScalars.filter(isControl).count
        let cleaned = String(String.UnicodeScalarView(line.unicodeScalars.filter { !isControl($0) }.map { $0 == "\t" ? " " : $0 }))
        if removed > 0 { notes.append("note: \(removed) control character\(removed == 1 ? "" : "s") removed from the input") }
        guard !cleaned.trimmingCharacters(in: .whitespaces).isEmpty else { return notes }
        var unknown = 0
        let pieces = translator.sourceTokenizer.encode(cleaned, unknownCount: &unknown)
        guard !pieces.isEmpty else { return notes + [error("nothing to translate: the tokeniser found no pieces in the input")] }
        var sentence = cleaned
        if pieces.count > maximumSourcePieces {
            sentence = cut(cleaned, toPieces: maximumSourcePieces)
            let kept = translator.sourceTokenizer.encode(sentence).count
            notes.append("note: the input has \(pieces.count) pieces; translating only the first \(kept) (limit \(maximumSourcePieces))")
            unknown = 0
            _ = translator.sourceTokenizer.encode(sentence, unknownCount: &unknown)
        }
        if unknown > 0 {
            notes.append("note: \(unknown) source piece\(unknown == 1 ? "" : "s") unknown to the model (read as <unk>)")
        }
        let clock = ContinuousClock()
        var result: [Translation]?
        let elapsed = clock.measure { result = translator.translate([sentence], options: options, stop: stop) }
        guard let translation = result?.first else { return notes + ["note: translation interrupted"] }
        lastTranslation = translation
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15

        var out = notes.map { "  " + $0 }
        out.insert(translation.text, at: 0)
        var summary = "  score \(format(translation.score)) · normalised \(format(translation.normalizedScore)) · "
            + (options.beamWidth <= 1 ? "greedy" : "beam \(options.beamWidth)") + " · " + String(format: "%.1f ms", milliseconds)
        if !translation.isFinished { summary += " · cut at the length limit (no </s>)" }
        out.append(summary)
        if options.nbest > 1 {
            out.append("  n-best:")
            for (rank, hypothesis) in ([translation] + translation.alternatives).enumerated() {
                out.append("  \(rank + 1). \(hypothesis.text)  (score \(format(hypothesis.score)), normalised \(format(hypothesis.normalizedScore)))")
            }
        }
        if showsTokens {
            out.append("  source pieces: " + translation.sourcePieces.joined(separator: " "))
            out.append("  target pieces: " + (translation.pieces + (translation.isFinished ? [AttentionInspection.endOfSentence] : [])).joined(separator: " "))
        }
        if showsAttention {
            do {
                let view = try AttentionInspection(translation, modelName: modelName).view(.cross, layer: attentionLayer, head: attentionHead)
                out += heatmap.render(view).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
            } catch {
                out.append("  " + self.error(error.localizedDescription))
            }
        }
        return out
    }

    /// The longest prefix of `text` with at most `limit` source pieces, cut at a space when one is in it.
    func cut(_ text: String, toPieces limit: Int) -> String {
        let characters = Array(text)
        var low = 0, high = characters.count  // the answer lies in low...high
        while low < high {
            let middle = (low + high + 1) / 2
            if translator.sourceTokenizer.encode(String(characters[..<middle])).count <= limit { low = middle } else { high = middle - 1 }
        }
        var prefix = Array(characters[..<low])
        if low < characters.count, !characters[low].isWhitespace, let space = prefix.lastIndex(where: \.isWhitespace), space > 0 {
            prefix = Array(prefix[..<space])
        }
        // Piece counts of prefixes are nearly but not strictly monotone: make sure.
        while !prefix.isEmpty && translator.sourceTokenizer.encode(String(prefix)).count > limit { prefix.removeLast() }
        return String(prefix).trimmingCharacters(in: .whitespaces)
    }

    // MARK: - Helpers

    private func error(_ message: String) -> String { "error: " + message }

    private func format(_ value: Float) -> String { String(format: "%.4f", Double(value)) }

    private static func onOff(_ word: String) -> Bool? {
        switch word.lowercased() {
        case "on": true
        case "off": false
        default: nil
        }
    }
}
