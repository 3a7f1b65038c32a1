import Foundation

/// Draws training loss and dev BLEU against steps as a self-contained SVG.
enum LearningCurve {
    static func svg(losses: [LossPoint], validations: [ValidationReport]) -> String {
        let width = 720.0, height = 360.0, left = 60.0, right = 60.0, top = 30.0, bottom = 40.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let maxStep = Double(max(losses.last?.step ?? 1, validations.last?.step ?? 1, 1))
        let maxLoss = max(losses.map(\.loss).max() ?? 1, 1e-6)
        let maxBLEU = max(validations.map(\.bleu).max() ?? 1, 1)
        func x(_ step: Int) -> Double { left + Double(step) / maxStep * plotWidth }
        func yLoss(_ value: Double) -> Double { top + plotHeight * (1 - value / maxLoss) }
        func yBLEU(_ value: Double) -> Double { top + plotHeight * (1 - value / maxBLEU) }
        func format(_ value: Double) -> String { String(format: "%.1f", value) }
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(Int(width / 2))" y="18" text-anchor="middle" font-size="14">Training loss and dev BLEU</text>
        <line x1="\(left)" y1="\(top + plotHeight)" x2="\(left + plotWidth)" y2="\(top + plotHeight)" stroke="black"/>
        <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(top + plotHeight)" stroke="#1f77b4"/>
        <line x1="\(left + plotWidth)" y1="\(top)" x2="\(left + plotWidth)" y2="\(top + plotHeight)" stroke="#d62728"/>
        <text x="\(Int(width / 2))" y="\(Int(height - 8))" text-anchor="middle">step (max \(Int(maxStep)))</text>
        <text x="14" y="\(Int(top + plotHeight / 2))" fill="#1f77b4" transform="rotate(-90 14 \(Int(top + plotHeight / 2)))" text-anchor="middle">loss (max \(format(maxLoss)))</text>
        <text x="\(Int(width - 14))" y="\(Int(top + plotHeight / 2))" fill="#d62728" transform="rotate(90 \(Int(width - 14)) \(Int(top + plotHeight / 2)))" text-anchor="middle">dev BLEU (max \(format(maxBLEU)))</text>

        """
        for fraction in [0.0, 0.5, 1.0] {
            let y = top + plotHeight * (1 - fraction)
            svg += "<text x=\"\(left - 4)\" y=\"\(y + 4)\" text-anchor=\"end\" fill=\"#1f77b4\">\(format(maxLoss * fraction))</text>\n"
            svg += "<text x=\"\(left + plotWidth + 4)\" y=\"\(y + 4)\" fill=\"#d62728\">\(format(maxBLEU * fraction))</text>\n"
        }
        if !losses.isEmpty {
            let points = losses.map { "\(format(x($0.step))),\(format(yLoss($0.loss)))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"\(points)\"/>\n"
        }
        if !validations.isEmpty {
            let points = validations.map { "\(format(x($0.step))),\(format(yBLEU($0.bleu)))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" points=\"\(points)\"/>\n"
            for v in validations {
                svg += "<circle cx=\"\(format(x(v.step)))\" cy=\"\(format(yBLEU(v.bleu)))\" r=\"3\" fill=\"#d62728\"><title>step \(v.step): BLEU \(format(v.bleu)), chrF \(format(v.chrF)), loss \(String(format: "%.3f", v.loss))</title></circle>\n"
            }
        }
        svg += "</svg>\n"
        return svg
    }
}
