import Foundation
import Testing
import Translate

/// A synthetic cross-attention view: `rows` steps (the last `</s>`) over `columns` source words,
/// each row peaked on a different column (row r attends mostly to column (columns − 1 − r)).
func syntheticView(rows: Int, columns: Int, labels: (Int) -> String = { "w\($0)" }) -> AttentionView {
    var weights: [Float] = []
    for r in 0..<rows {
        var row = (0..<columns).map { c in Float(1 + (c * 7 + r * 3) % 5) }
        row[max(0, columns - 1 - r % columns)] += Float(4 * columns)
        let sum = row.reduce(0, +)
        weights += row.map { $0 / sum }
    }
    return AttentionView(kind: .cross, layer: 1, layerCount: 2, head: .mean, headCount: 4,
                         rowLabels: (0..<(rows - 1)).map { "t\($0)" } + ["</s>"],
                         columnLabels: (0..<columns).map(labels), weights: weights)
}

/// `text` without ANSI escape sequences.
func strippingEscapes(_ text: String) -> String {
    text.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
}

@Suite("Heatmap")
struct HeatmapTests {
    @Test("ASCII palette: only ASCII, one row per step with its label, one shaded cell per weight")
    func asciiRendering() {
        let view = syntheticView(rows: 4, columns: 3, labels: { ["le", "chat", "noir"][$0] })
        let text = Heatmap(palette: .ascii).render(view)
        let ascii = text.unicodeScalars.allSatisfy { $0.isASCII }
        #expect(ascii)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "cross-attention | layer 1 (of 2) | mean of 4 heads")
        // Column labels run top to bottom: "l c n", "e h o", …
        #expect(lines[1] == "      l c n")
        #expect(lines[2] == "      e h o")
        #expect(lines[3] == "        a i")
        let rows = lines.dropFirst().filter { $0.contains(" |") }
        #expect(rows.count == 4)
        #expect(rows.map { String($0.prefix(4)) } == ["t0  ", "t1  ", "t2  ", "</s>"])
        let ramp = Array(".:-=+*#%@")
        for (r, line) in rows.enumerated() {
            let cells = Array(line.split(separator: "|", maxSplits: 1)[1])
            #expect(cells.count == 2 * 3)
            for c in 0..<3 {
                let expected = ramp[min(8, Int(view[r, c] * 9))]
                #expect(cells[2 * c] == expected && cells[2 * c + 1] == expected, "row \(r) column \(c)")
            }
        }
        #expect(lines.last == "scale: 0 .:-=+*#%@ 1")
    }

    @Test("weights printed on request, two decimals, in four-character cells")
    func printedWeights() {
        let view = syntheticView(rows: 3, columns: 4)
        let text = Heatmap(palette: .ascii, showsWeights: true).render(view)
        let rows = text.split(separator: "\n").dropFirst().filter { $0.contains(" |") }.map(String.init)
        for (r, line) in rows.enumerated() {
            let cells = String(line.split(separator: "|", maxSplits: 1)[1])
            let expected = (0..<4).map { " " + Heatmap.formatWeight(view[r, $0]) }.joined()
            #expect(cells == expected)
        }
        #expect(Heatmap.formatWeight(0) == ".00")
        #expect(Heatmap.formatWeight(0.054) == ".05")
        #expect(Heatmap.formatWeight(0.4249) == ".42")
        #expect(Heatmap.formatWeight(0.996) == "1.0")
        #expect(Heatmap.formatWeight(1) == "1.0")
    }

    @Test("long sentences wrap into column blocks and long labels are abbreviated: every line fits 80 columns",
          arguments: Heatmap.Palette.allCases, [false, true])
    func fitsWidth(palette: Heatmap.Palette, weights: Bool) {
        let view = syntheticView(rows: 12, columns: 70, labels: { $0 % 9 == 0 ? "extraordinarily-long-piece\($0)" : "w\($0)" })
        let text = Heatmap(palette: palette, showsWeights: weights).render(view)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for line in lines { #expect(Heatmap.displayWidth(line) <= 80, "\(palette) \(Heatmap.displayWidth(line)): \(line)") }
        let blocks = lines.filter { $0.hasPrefix("columns ") }
        let perBlock = weights ? (80 - 4 - 2) / 4 : (80 - 4 - 2) / 2  // row labels t0…t10, </s>: 4 columns
        #expect(blocks.count == (70 + perBlock - 1) / perBlock)
        // Every step appears once per block; every cell is drawn exactly once.
        let separator = palette == .ascii ? " |" : " │"
        let rowLines = lines.dropFirst().filter { $0.contains(separator) }
        #expect(rowLines.count == 12 * blocks.count)
        let cellColumns = rowLines.map { Heatmap.displayWidth(String($0.split(separator: separator, maxSplits: 1)[1])) }
        #expect(cellColumns.reduce(0, +) == 12 * 70 * (weights ? 4 : 2))
        // The abbreviation keeps the start and marks the cut.
        #expect(!text.contains("extraordinarily-long-piece0"))
    }

    @Test("256-colour and truecolour palettes colour cells and reset at each line end")
    func colourPalettes() throws {
        let view = syntheticView(rows: 3, columns: 3)
        let truecolor = Heatmap(palette: .trueColor).render(view)
        #expect(truecolor.contains("\u{1B}[38;2;"))
        #expect(truecolor.contains("\u{1B}[0m"))
        let ansi = Heatmap(palette: .ansi256).render(view)
        #expect(ansi.contains("\u{1B}[38;5;"))
        for line in (ansi + truecolor).split(separator: "\n") where line.contains("\u{1B}[") {
            let last = try #require(line.ranges(of: "\u{1B}[").last)
            #expect(line[last.lowerBound...].hasPrefix("\u{1B}[0m"), "colour must not leak past the line: \(line)")
        }
        // Without the escapes the layout is that of the block palette.
        let blocks = Heatmap(palette: .blocks).render(view)
        #expect(strippingEscapes(ansi).split(separator: "\n").count == blocks.split(separator: "\n").count)
        #expect(Heatmap.displayWidth("\u{1B}[38;5;12m██\u{1B}[0m") == 2)
    }

    @Test("the palette follows COLORTERM, TERM, NO_COLOR, the locale and whether output is a terminal")
    func paletteDetection() {
        let utf8 = ["LANG": "en_US.UTF-8"]
        #expect(Heatmap.Palette.detect(environment: utf8.merging(["TERM": "xterm-256color", "COLORTERM": "truecolor"]) { $1 }, isTerminal: true) == .trueColor)
        #expect(Heatmap.Palette.detect(environment: utf8.merging(["TERM": "xterm-256color", "COLORTERM": "24bit"]) { $1 }, isTerminal: true) == .trueColor)
        #expect(Heatmap.Palette.detect(environment: utf8.merging(["TERM": "xterm-256color"]) { $1 }, isTerminal: true) == .ansi256)
        #expect(Heatmap.Palette.detect(environment: utf8.merging(["TERM": "xterm"]) { $1 }, isTerminal: true) == .blocks)
        #expect(Heatmap.Palette.detect(environment: utf8.merging(["TERM": "xterm-256color", "NO_COLOR": "1"]) { $1 }, isTerminal: true) == .blocks)
        #expect(Heatmap.Palette.detect(environment: ["TERM": "xterm-256color", "LANG": "C"], isTerminal: true) == .ansi256)
        #expect(Heatmap.Palette.detect(environment: ["TERM": "xterm", "LANG": "C"], isTerminal: true) == .ascii)
        #expect(Heatmap.Palette.detect(environment: utf8.merging(["TERM": "dumb"]) { $1 }, isTerminal: true) == .ascii)
        #expect(Heatmap.Palette.detect(environment: utf8.merging(["TERM": "xterm-256color", "COLORTERM": "truecolor"]) { $1 }, isTerminal: false) == .ascii)
    }

    @Test("decoder self-attention leaves masked cells blank; wide characters count two columns")
    func maskedAndWide() {
        let weights: [Float] = [1, 0, 0, 0.5, 0.5, 0, 0.2, 0.3, 0.5]
        let view = AttentionView(kind: .decoderSelf, layer: 0, layerCount: 1, head: .index(0), headCount: 1,
                                 rowLabels: ["猫", "が", "</s>"], columnLabels: ["<s>", "猫", "が"], weights: weights)
        let text = Heatmap(palette: .blocks).render(view)
        let rows = text.split(separator: "\n").filter { $0.contains(" │") }.map(String.init)
        #expect(rows[0].hasSuffix("██    "))
        #expect(rows[1].hasSuffix("▒▒  ") && !rows[1].hasSuffix("   "))
        #expect(!rows[2].hasSuffix("  "))
        #expect(Heatmap.displayWidth("猫が") == 4)
        for line in text.split(separator: "\n") { #expect(Heatmap.displayWidth(String(line)) <= 80) }
        // Row labels are padded by display width, so the separators line up.
        let separatorColumns = rows.map { Heatmap.displayWidth(String($0.split(separator: "│")[0])) }
        #expect(Set(separatorColumns).count == 1)
    }
}
