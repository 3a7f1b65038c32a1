import Foundation

/// The file formats attention is exported to, chosen by file extension.
public enum AttentionFormat: String, CaseIterable, Sendable {
    /// A self-contained page: heatmaps with token labels, hover values, kind/layer/head selectors.
    case html
    /// One attention kind as a grid of heatmaps (layers × heads).
    case svg
    /// `AttentionDocument`: tokens, kinds, layers, heads, matrices.
    case json
    /// One line per cell (see `AttentionDocument.csv`).
    case csv
    /// One kind as a NumPy array `[layers, heads, rows, columns]` of little-endian float32.
    case npy

    /// The format of `fileName`'s extension (case-insensitive).
    ///
    /// - Throws: `InspectionError.unknownFormat`.
    public init(fileName: String) throws {
        let ext = (fileName as NSString).pathExtension.lowercased()
        guard let format = AttentionFormat(rawValue: ext == "htm" ? "html" : ext) else {
            throw InspectionError.unknownFormat(fileName)
        }
        self = format
    }
}

/// Writes a translation's attention in every `AttentionFormat`.
public enum AttentionExport {
    /// The file contents of `inspection` in `format`.
    ///
    /// `selection` picks what is written; for `.html` it picks the view shown first (the page holds
    /// every kind, layer, head and the mean). `.npy` and `.svg` hold one kind: the selected one, or
    /// cross-attention (the first kind the model has).
    ///
    /// - Throws: `InspectionError` for a missing kind, layer or head.
    public static func data(_ inspection: AttentionInspection, format: AttentionFormat,
                            selection: AttentionSelection = AttentionSelection()) throws -> Data {
        switch format {
        case .html: return Data(try html(inspection, initial: selection).utf8)
        case .svg: return Data(try svg(inspection, selection: selection).utf8)
        case .json: return try AttentionDocument(inspection, selection: selection).jsonData()
        case .csv: return Data(try AttentionDocument(inspection, selection: selection).csv.utf8)
        case .npy: return try npy(inspection, selection: selection)
        }
    }

    /// Writes `inspection` to `url` (atomically) in the format of its extension.
    ///
    /// - Returns: the format written.
    @discardableResult
    public static func write(_ inspection: AttentionInspection, selection: AttentionSelection = AttentionSelection(),
                             to url: URL) throws -> AttentionFormat {
        let format = try AttentionFormat(fileName: url.lastPathComponent)
        try AtomicFile.write(try data(inspection, format: format, selection: selection), to: url)
        return format
    }

    // MARK: - NumPy

    /// One kind as an `.npy` file (NumPy format version 1.0): C-order little-endian float32,
    /// shape `[layers, heads, rows, columns]` of the selected layers and heads (a chosen head or
    /// the mean gives a head axis of 1). `numpy.load` reads it.
    public static func npy(_ inspection: AttentionInspection, selection: AttentionSelection = AttentionSelection()) throws -> Data {
        let kind = try selection.singleKind(in: inspection)
        let layers = try selection.layers(of: kind, in: inspection)
        let heads = try selection.heads(of: kind, in: inspection)
        let rows = inspection.rowLabels(kind).count, columns = inspection.columnLabels(kind).count
        var values: [Float] = []
        values.reserveCapacity(layers.count * heads.count * rows * columns)
        for layer in layers {
            for head in heads { values += try inspection.view(kind, layer: layer, head: head).weights }
        }
        return npy(values, shape: [layers.count, heads.count, rows, columns])
    }

    /// `values` (C order) as an `.npy` file of `shape`: the magic string, version 1.0, a header
    /// dictionary padded with spaces to a multiple of 64 bytes, then the little-endian float32 data.
    public static func npy(_ values: [Float], shape: [Int]) -> Data {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        let dimensions = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dimensions)), }"
        // magic (6) + version (2) + header length (2) + header, ending in "\n", aligned to 64.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        precondition(header.utf8.count <= Int(UInt16.max), "npy header too long for version 1.0")
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.reserveCapacity(data.count + 4 * values.count)
        for value in values {
            let bits = value.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { data.append(contentsOf: $0) }
        }
        return data
    }

    // MARK: - Shared helpers

    /// `text` with `& < > " '` escaped for HTML and XML text and attributes.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters are not allowed in XML 1.0; show them as U+FFFD.
                if let scalar = character.unicodeScalars.first, character.unicodeScalars.count == 1,
                   scalar.value < 0x20 && scalar != "\t" && scalar != "\n" {
                    out += "\u{FFFD}"
                } else {
                    out.append(character)
                }
            }
        }
        return out
    }

    /// A weight with four decimals: the precision shown in HTML and SVG hover text.
    public static func fixed(_ weight: Float) -> String {
        String(format: "%.4f", Double(weight))
    }

    /// `#rrggbb` of the viridis scale at `weight`.
    static func hexColor(_ weight: Float) -> String {
        let (r, g, b) = Heatmap.viridis(weight)
        return String(format: "#%02x%02x%02x", r, g, b)
    }

    /// Black or white text on the viridis colour of `weight`.
    static func textColor(_ weight: Float) -> String {
        let (r, g, b) = Heatmap.viridis(weight)
        return 0.299 * Double(r) + 0.587 * Double(g) + 0.114 * Double(b) < 140 ? "#fff" : "#000"
    }

    /// A unique id-safe name of a view: `cross-1-mean`, `decoder-self-0-3`.
    static func viewID(_ view: AttentionView) -> String {
        let head = if case .index(let h) = view.head { String(h) } else { "mean" }
        return "\(view.kind.rawValue)-\(view.layer)-\(head)"
    }
}
