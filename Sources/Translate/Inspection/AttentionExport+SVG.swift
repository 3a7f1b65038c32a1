import Foundation

extension AttentionExport {
    /// One attention kind as an SVG image: a grid of heatmaps, one row of panels per selected
    /// layer and one panel per selected head (the mean when chosen). Each cell has a `<title>`
    /// with its labels and weight (four decimals), which viewers show on hover.
    public static func svg(_ inspection: AttentionInspection, selection: AttentionSelection = AttentionSelection()) throws -> String {
        let kind = try selection.singleKind(in: inspection)
        let layers = try selection.layers(of: kind, in: inspection)
        let heads = try selection.heads(of: kind, in: inspection)
        let rowLabels = inspection.rowLabels(kind), columnLabels = inspection.columnLabels(kind)
        let cell = 18.0, fontSize = 11.0, characterWidth = 6.8
        let labelWidth = Double(min(24, max(4, rowLabels.map(\.count).max() ?? 0))) * characterWidth + 8
        let columnLabelHeight = Double(min(24, max(4, columnLabels.map(\.count).max() ?? 0))) * characterWidth * 0.75 + 12
        let titleHeight = 22.0, gap = 24.0
        let panelWidth = labelWidth + Double(columnLabels.count) * cell
        let panelHeight = titleHeight + columnLabelHeight + Double(rowLabels.count) * cell
        let width = Double(heads.count) * panelWidth + Double(heads.count + 1) * gap
        let height = 30 + Double(layers.count) * (panelHeight + gap) + gap

        func number(_ x: Double) -> String { String(format: "%.1f", x) }
        var out = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(number(width))" height="\(number(height))" \
        viewBox="0 0 \(number(width)) \(number(height))" font-family="monospace" font-size="\(number(fontSize))">
        <title>\(escape(kind.title)): \(escape(inspection.source))</title>
        <rect width="100%" height="100%" fill="#ffffff"/>
        <text x="\(number(gap))" y="20" font-size="13" font-family="sans-serif">\(escape(inspection.source)) → \(escape(inspection.translation))</text>

        """
        for (p, layer) in layers.enumerated() {
            for (q, head) in heads.enumerated() {
                let view = try inspection.view(kind, layer: layer, head: head)
                let x0 = gap + Double(q) * (panelWidth + gap), y0 = 30 + gap + Double(p) * (panelHeight + gap)
                let gridX = x0 + labelWidth, gridY = y0 + titleHeight + columnLabelHeight
                out += "<g>\n<text x=\"\(number(x0))\" y=\"\(number(y0 + 14))\" font-family=\"sans-serif\" font-size=\"12\">\(escape(view.title))</text>\n"
                for (c, label) in columnLabels.enumerated() {
                    let x = gridX + (Double(c) + 0.5) * cell + 4, y = gridY - 4
                    out += "<text x=\"\(number(x))\" y=\"\(number(y))\" transform=\"rotate(-60 \(number(x)) \(number(y)))\">\(escape(label))</text>\n"
                }
                for (r, label) in rowLabels.enumerated() {
                    let eos = kind != .encoderSelf && inspection.isFinished && r == rowLabels.count - 1
                    out += "<text x=\"\(number(gridX - 4))\" y=\"\(number(gridY + (Double(r) + 0.7) * cell))\" text-anchor=\"end\""
                        + "\(eos ? " font-style=\"italic\" fill=\"#7a3e9d\"" : "")>\(escape(label))</text>\n"
                }
                for r in 0..<view.rows {
                    for c in 0..<view.columns {
                        let x = number(gridX + Double(c) * cell), y = number(gridY + Double(r) * cell)
                        if view.isMasked(row: r, column: c) {
                            out += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(number(cell))\" height=\"\(number(cell))\" fill=\"#eeeeee\" stroke=\"#ffffff\">"
                                + "<title>masked: later input</title></rect>\n"
                            continue
                        }
                        let weight = view[r, c]
                        out += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(number(cell))\" height=\"\(number(cell))\" fill=\"\(hexColor(weight))\" stroke=\"#ffffff\">"
                            + "<title>\(escape(rowLabels[r])) → \(escape(columnLabels[c])): \(fixed(weight))</title></rect>\n"
                    }
                }
                out += "</g>\n"
            }
        }
        return out + "</svg>\n"
    }
}
