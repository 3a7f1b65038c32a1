import Foundation

/// An attention matrix drawn for a terminal: source (key) pieces as columns with their labels
/// written top to bottom, target (query) pieces as rows, one shaded cell per weight.
///
/// Cells are two characters wide, or four when `showsWeights` prints each weight (`.42`, `1.0`).
/// Long labels are abbreviated to `maximumLabelLength`; a matrix wider than `width` is wrapped
/// into blocks of columns, each headed by its column range, so every line fits `width`.
/// Masked cells (decoder self-attention beyond the current step) are left blank.
public struct Heatmap: Sendable {
    /// How cells are shaded.
    public enum Palette: String, CaseIterable, Sendable {
        /// ASCII only: the ramp `.:-=+*#%@`.
        case ascii
        /// Unicode shading `·░▒▓█`, no colour.
        case blocks
        /// Colour blocks from the xterm 256-colour cube (viridis scale).
        case ansi256 = "256"
        /// 24-bit colour blocks (viridis scale).
        case trueColor = "truecolor"

        /// The richest palette the terminal announces: truecolour when `COLORTERM` is
        /// `truecolor`/`24bit`, 256 colours when `TERM` mentions `256color`, Unicode blocks on
        /// other UTF-8 terminals or with `NO_COLOR`, ASCII when not a terminal, `TERM=dumb`,
        /// or a locale that is not UTF-8.
        public static func detect(environment: [String: String] = ProcessInfo.processInfo.environment,
                                  isTerminal: Bool) -> Palette {
            let term = environment["TERM"] ?? ""
            guard isTerminal, !term.isEmpty, term != "dumb" else { return .ascii }
            let locale = environment["LC_ALL"].flatMap { $0.isEmpty ? nil : $0 }
                ?? environment["LC_CTYPE"].flatMap { $0.isEmpty ? nil : $0 }
                ?? environment["LANG"] ?? ""
            let utf8 = locale.uppercased().replacingOccurrences(of: "-", with: "").contains("UTF8")
            let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
            if !noColor {
                let colorTerm = (environment["COLORTERM"] ?? "").lowercased()
                if colorTerm == "truecolor" || colorTerm == "24bit" { return .trueColor }
                if term.contains("256color") { return .ansi256 }
            }
            return utf8 ? .blocks : .ascii
        }

        var usesColor: Bool { self == .ansi256 || self == .trueColor }
    }

    public var palette: Palette
    /// Print each weight (two decimals) in its cell.
    public var showsWeights: Bool
    /// The terminal width every line must fit.
    public var width: Int
    /// Labels longer than this are cut and end with `…` (`~` in ASCII).
    public var maximumLabelLength: Int

    public init(palette: Palette = .ascii, showsWeights: Bool = false, width: Int = 80, maximumLabelLength: Int = 10) {
        precondition(width >= 20, "a heatmap needs at least 20 columns, got \(width)")
        precondition(maximumLabelLength >= 2, "labels need at least 2 characters")
        self.palette = palette
        self.showsWeights = showsWeights
        self.width = width
        self.maximumLabelLength = maximumLabelLength
    }

    /// The heatmap of `view` as lines joined by newlines (with a trailing newline).
    public func render(_ view: AttentionView) -> String {
        var lines = [view.title.asciiIf(palette == .ascii)]
        guard view.rows > 0, view.columns > 0 else {
            lines.append(view.columns == 0 ? "(no source pieces: nothing to show)" : "(no decoder steps: nothing to show)")
            return lines.joined(separator: "\n") + "\n"
        }
        let cellWidth = showsWeights ? 4 : 2
        let rowLabels = view.rowLabels.map(abbreviate)
        let labelWidth = max(4, rowLabels.map(Self.displayWidth).max() ?? 0)
        let separator = palette == .ascii ? " |" : " │"
        let perBlock = max(1, (width - labelWidth - 2) / cellWidth)
        let columnLabels = view.columnLabels.map(abbreviate)
        for start in stride(from: 0, to: view.columns, by: perBlock) {
            let end = min(view.columns, start + perBlock)
            if view.columns > perBlock {
                lines.append("columns \(start)–\(end - 1) of \(view.columns)".asciiIf(palette == .ascii))
            }
            // Column labels, written top to bottom, one character per line.
            let labels = columnLabels[start..<end].map { Array($0) }
            let height = labels.map(\.count).max() ?? 0
            for k in 0..<height {
                var line = String(repeating: " ", count: labelWidth + 2)
                for label in labels {
                    let character = k < label.count ? String(label[k]) : " "
                    let pad = showsWeights ? 1 : 0
                    line += String(repeating: " ", count: pad) + character
                        + String(repeating: " ", count: max(0, cellWidth - pad - Self.displayWidth(character)))
                }
                lines.append(Self.trimmingTrailingSpaces(line))
            }
            for row in 0..<view.rows {
                var line = pad(rowLabels[row], to: labelWidth) + separator
                for column in start..<end {
                    line += cell(view, row: row, column: column)
                }
                if palette.usesColor { line += Self.reset }
                lines.append(line)
            }
        }
        lines.append(legend)
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Cells

    static let reset = "\u{1B}[0m"
    private static let asciiRamp = Array(".:-=+*#%@")
    private static let blockRamp = Array("·░▒▓█")

    private func cell(_ view: AttentionView, row: Int, column: Int) -> String {
        let cellWidth = showsWeights ? 4 : 2
        if view.isMasked(row: row, column: column) {
            return (palette.usesColor ? Self.reset : "") + String(repeating: " ", count: cellWidth)
        }
        let weight = min(1, max(0, view[row, column].isFinite ? view[row, column] : 0))
        if showsWeights {
            let text = " " + Self.formatWeight(weight)
            guard palette.usesColor else { return text }
            let (r, g, b) = Self.viridis(weight)
            let dark = 0.299 * Double(r) + 0.587 * Double(g) + 0.114 * Double(b) < 140
            return background(r, g, b) + (dark ? "\u{1B}[97m" : "\u{1B}[30m") + text
        }
        switch palette {
        case .ascii:
            return String(repeating: Self.asciiRamp[min(8, Int(weight * 9))], count: 2)
        case .blocks:
            return String(repeating: Self.blockRamp[min(4, Int(weight * 5))], count: 2)
        case .ansi256, .trueColor:
            let (r, g, b) = Self.viridis(weight)
            return foreground(r, g, b) + "██"
        }
    }

    private var legend: String {
        switch palette {
        case .ascii: return "scale: 0 " + String(Self.asciiRamp) + " 1" + (showsWeights ? "; weights to 2 decimals" : "")
        case .blocks: return "scale: 0 " + String(Self.blockRamp) + " 1" + (showsWeights ? "; weights to 2 decimals" : "")
        case .ansi256, .trueColor:
            let ramp = (0..<10).map { k -> String in
                let (r, g, b) = Self.viridis(Float(k) / 9)
                return foreground(r, g, b) + "█"
            }.joined()
            return "scale: 0 " + ramp + Self.reset + " 1" + (showsWeights ? "; weights to 2 decimals" : "")
        }
    }

    /// A weight in three characters: `.00` … `.99`, then `1.0`.
    public static func formatWeight(_ weight: Float) -> String {
        let hundredths = Int((Double(weight) * 100).rounded())
        if hundredths >= 100 { return "1.0" }
        return "." + (hundredths < 10 ? "0" : "") + String(max(0, hundredths))
    }

    private func foreground(_ r: Int, _ g: Int, _ b: Int) -> String {
        palette == .trueColor ? "\u{1B}[38;2;\(r);\(g);\(b)m" : "\u{1B}[38;5;\(Self.cubeIndex(r, g, b))m"
    }

    private func background(_ r: Int, _ g: Int, _ b: Int) -> String {
        palette == .trueColor ? "\u{1B}[48;2;\(r);\(g);\(b)m" : "\u{1B}[48;5;\(Self.cubeIndex(r, g, b))m"
    }

    /// The nearest entry of the xterm 6×6×6 colour cube (indices 16…231).
    static func cubeIndex(_ r: Int, _ g: Int, _ b: Int) -> Int {
        func level(_ c: Int) -> Int { Int((Double(c) / 255 * 5).rounded()) }
        return 16 + 36 * level(r) + 6 * level(g) + level(b)
    }

    /// The viridis colour map (dark purple → yellow) at `t ∈ [0, 1]`, interpolated between five stops.
    static func viridis(_ t: Float) -> (Int, Int, Int) {
        let stops: [(Double, Double, Double)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
        let x = Double(min(1, max(0, t))) * Double(stops.count - 1)
        let i = min(stops.count - 2, Int(x)), f = x - Double(i)
        let a = stops[i], b = stops[i + 1]
        return (Int((a.0 + (b.0 - a.0) * f).rounded()), Int((a.1 + (b.1 - a.1) * f).rounded()), Int((a.2 + (b.2 - a.2) * f).rounded()))
    }

    // MARK: - Text width

    private func abbreviate(_ label: String) -> String {
        let visible = label.isEmpty ? "∅".asciiIf(palette == .ascii) : label
        // Labels never take more than a third of the width, so cells always fit.
        let maximumLabelLength = min(self.maximumLabelLength, width / 3)
        guard Self.displayWidth(visible) > maximumLabelLength else { return visible }
        var out = "", used = 0
        for character in visible {
            let w = Self.displayWidth(String(character))
            if used + w > maximumLabelLength - 1 { break }
            out.append(character)
            used += w
        }
        return out + (palette == .ascii ? "~" : "…")
    }

    private func pad(_ text: String, to width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - Self.displayWidth(text)))
    }

    private static func trimmingTrailingSpaces(_ line: String) -> String {
        var line = line
        while line.last == " " { line.removeLast() }
        return line
    }

    /// The number of terminal columns `text` takes: ANSI escape sequences take none, East Asian
    /// wide characters and emoji two, combining marks none.
    public static func displayWidth(_ text: String) -> Int {
        var width = 0
        var inEscape = false
        for scalar in text.unicodeScalars {
            if inEscape {
                if (0x40...0x7E).contains(scalar.value) && scalar != "[" { inEscape = false }
                continue
            }
            if scalar == "\u{1B}" { inEscape = true; continue }
            width += scalarWidth(scalar)
        }
        return width
    }

    private static func scalarWidth(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v < 0x20 || (0x7F..<0xA0).contains(v) { return 0 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if v == 0x200B { return 0 }
        let wide: [ClosedRange<UInt32>] = [
            0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
            0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD,
        ]
        return wide.contains { $0.contains(v) } ? 2 : 1
    }
}

private extension String {
    /// This text with its non-ASCII punctuation replaced, when `ascii` is set.
    func asciiIf(_ ascii: Bool) -> String {
        guard ascii else { return self }
        return replacingOccurrences(of: "–", with: "-").replacingOccurrences(of: "·", with: "|")
            .replacingOccurrences(of: "∅", with: "(empty)")
    }
}
