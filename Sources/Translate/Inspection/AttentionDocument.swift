import Foundation

/// The exported form of a translation's attention: its tokens and, per kind, layer and head,
/// the weight matrices. This is the `.json` format, and what `.csv` holds row by row.
///
/// Every matrix is `[rows][columns]`: rows are queries (decoder steps — the target pieces and
/// `</s>` when the hypothesis finished — or source pieces for encoder self-attention), columns
/// are keys. Layers and heads count from 0; a head without an index is the mean over heads.
public struct AttentionDocument: Codable, Equatable {
    /// Always `"parley-attention"`.
    public var format: String = "parley-attention"
    public var version: Int = 1
    public var source: String
    public var translation: String
    public var sourceTokens: [String]
    /// The target pieces, without `<s>` and `</s>`.
    public var targetTokens: [String]
    /// Whether the hypothesis ended with `</s>` (and the decoder matrices have a `</s>` row).
    public var finished: Bool
    public var kinds: [Kind]

    /// All the matrices of one attention kind.
    public struct Kind: Codable, Equatable {
        /// `cross`, `decoder-self` or `encoder-self`.
        public var kind: AttentionKind
        /// Row (query) labels; the last is `</s>` for a finished hypothesis' decoder steps.
        public var rows: [String]
        /// Column (key) labels; `<s>` first for decoder self-attention.
        public var columns: [String]
        public var layers: [Layer]

        public init(kind: AttentionKind, rows: [String], columns: [String], layers: [Layer]) {
            self.kind = kind
            self.rows = rows
            self.columns = columns
            self.layers = layers
        }
    }

    public struct Layer: Codable, Equatable {
        public var layer: Int
        public var heads: [Head]

        public init(layer: Int, heads: [Head]) {
            self.layer = layer
            self.heads = heads
        }
    }

    public struct Head: Codable, Equatable {
        /// The head, counted from 0; `nil` for the mean over the layer's heads.
        public var head: Int?
        /// `[rows][columns]`.
        public var weights: [[Float]]

        public init(head: Int?, weights: [[Float]]) {
            self.head = head
            self.weights = weights
        }

        /// `.index(head)` or `.mean`.
        public var selection: AttentionHead { head.map(AttentionHead.index) ?? .mean }
    }

    public init(source: String, translation: String, sourceTokens: [String], targetTokens: [String], finished: Bool, kinds: [Kind]) {
        self.source = source
        self.translation = translation
        self.sourceTokens = sourceTokens
        self.targetTokens = targetTokens
        self.finished = finished
        self.kinds = kinds
    }

    /// The matrices of `inspection` that `selection` picks.
    ///
    /// - Throws: `InspectionError` for a kind the model lacks or a layer or head out of range.
    public init(_ inspection: AttentionInspection, selection: AttentionSelection = AttentionSelection()) throws {
        var kinds: [Kind] = []
        for kind in try selection.kinds(in: inspection) {
            var layers: [Layer] = []
            for layer in try selection.layers(of: kind, in: inspection) {
                let heads = try selection.heads(of: kind, in: inspection).map { head in
                    let view = try inspection.view(kind, layer: layer, head: head)
                    let index: Int? = if case .index(let h) = head { h } else { nil }
                    return Head(head: index, weights: (0..<view.rows).map { Array(view.row($0)) })
                }
                layers.append(Layer(layer: layer, heads: heads))
            }
            kinds.append(Kind(kind: kind, rows: inspection.rowLabels(kind), columns: inspection.columnLabels(kind), layers: layers))
        }
        self.init(source: inspection.source, translation: inspection.translation, sourceTokens: inspection.sourcePieces,
                  targetTokens: inspection.targetPieces, finished: inspection.isFinished, kinds: kinds)
    }

    /// The matrices of one kind, if exported.
    public subscript(kind: AttentionKind) -> Kind? {
        kinds.first { $0.kind == kind }
    }

    // MARK: - JSON

    /// Pretty-printed, keys sorted, snake_case (`source_tokens`, `target_tokens`). Weights are
    /// written with the shortest decimal that reads back as the same `Float`.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(self)
    }

    /// Reads a document written by `jsonData()`.
    public init(json: Data) throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        self = try decoder.decode(AttentionDocument.self, from: json)
    }

    // MARK: - CSV

    /// The CSV header: one line per cell.
    public static let csvHeader = ["kind", "layer", "head", "row", "row_token", "column", "column_token", "weight"]

    /// One line per cell (`kind,layer,head,row,row_token,column,column_token,weight`, head `mean`
    /// for the mean over heads), RFC 4180 quoting, weights as the shortest round-tripping decimal.
    public var csv: String {
        var out = Self.csvHeader.joined(separator: ",") + "\r\n"
        for kind in kinds {
            for layer in kind.layers {
                for head in layer.heads {
                    let headField = head.head.map(String.init) ?? "mean"
                    for (r, row) in head.weights.enumerated() {
                        for (c, weight) in row.enumerated() {
                            let fields = [kind.kind.rawValue, String(layer.layer), headField, String(r), kind.rows[r],
                                          String(c), kind.columns[c], weight.description]
                            out += fields.map(Self.csvField).joined(separator: ",") + "\r\n"
                        }
                    }
                }
            }
        }
        return out
    }

    /// Reads the matrices back from `csv`: kinds, layers and heads in order of first appearance.
    /// (CSV carries no source text or translation: those come back empty, tokens from the labels.)
    ///
    /// - Throws: `InspectionCSVError` naming the line at fault.
    public init(csv text: String) throws {
        let records = try Self.parseCSV(text)
        guard let header = records.first, header == Self.csvHeader else {
            throw InspectionCSVError(line: 1, "expected the header \(Self.csvHeader.joined(separator: ","))")
        }
        struct Cell { var row: Int, column: Int, weight: Float }
        var order: [AttentionKind] = []
        var rows: [AttentionKind: [Int: String]] = [:], columns: [AttentionKind: [Int: String]] = [:]
        var layerOrder: [AttentionKind: [Int]] = [:]
        var headOrder: [AttentionKind: [Int: [Int?]]] = [:]
        var cells: [AttentionKind: [Int: [Int: [Cell]]]] = [:]  // keyed by head index (-1: mean)
        for (offset, record) in records.dropFirst().enumerated() {
            let line = offset + 2
            guard record.count == 8 else { throw InspectionCSVError(line: line, "expected 8 fields, found \(record.count)") }
            guard let kind = AttentionKind(rawValue: record[0]) else { throw InspectionCSVError(line: line, "unknown kind \(record[0])") }
            guard let layer = Int(record[1]), layer >= 0 else { throw InspectionCSVError(line: line, "bad layer \(record[1])") }
            let head: Int? = record[2] == "mean" ? nil : Int(record[2])
            guard record[2] == "mean" || (head ?? -1) >= 0 else { throw InspectionCSVError(line: line, "bad head \(record[2])") }
            guard let row = Int(record[3]), row >= 0, let column = Int(record[5]), column >= 0 else {
                throw InspectionCSVError(line: line, "bad row or column index")
            }
            guard let weight = Float(record[7]) else { throw InspectionCSVError(line: line, "bad weight \(record[7])") }
            if !order.contains(kind) { order.append(kind) }
            rows[kind, default: [:]][row] = record[4]
            columns[kind, default: [:]][column] = record[6]
            if !(layerOrder[kind] ?? []).contains(layer) { layerOrder[kind, default: []].append(layer) }
            if !(headOrder[kind]?[layer] ?? []).contains(head) { headOrder[kind, default: [:]][layer, default: []].append(head) }
            cells[kind, default: [:]][layer, default: [:]][head ?? -1, default: []].append(Cell(row: row, column: column, weight: weight))
        }
        var kinds: [Kind] = []
        for kind in order {
            let rowLabels = try Self.labels(rows[kind] ?? [:], what: "row")
            let columnLabels = try Self.labels(columns[kind] ?? [:], what: "column")
            var layers: [Layer] = []
            for layer in layerOrder[kind] ?? [] {
                var heads: [Head] = []
                for head in headOrder[kind]?[layer] ?? [] {
                    var weights = [[Float]](repeating: [Float](repeating: .nan, count: columnLabels.count), count: rowLabels.count)
                    for cell in cells[kind]?[layer]?[head ?? -1] ?? [] { weights[cell.row][cell.column] = cell.weight }
                    guard !weights.joined().contains(where: \.isNaN) else {
                        throw InspectionCSVError(line: 0, "\(kind.rawValue) layer \(layer) \(head.map { "head \($0)" } ?? "mean") misses cells")
                    }
                    heads.append(Head(head: head, weights: weights))
                }
                layers.append(Layer(layer: layer, heads: heads))
            }
            kinds.append(Kind(kind: kind, rows: rowLabels, columns: columnLabels, layers: layers))
        }
        let decoderRows = kinds.first { $0.kind != .encoderSelf }?.rows
        let finished = decoderRows?.last == AttentionInspection.endOfSentence
        let sourceTokens = kinds.first { $0.kind != .decoderSelf }?.columns ?? []
        self.init(source: "", translation: "", sourceTokens: sourceTokens,
                  targetTokens: (decoderRows ?? []).dropLast(finished ? 1 : 0).map { $0 }, finished: finished, kinds: kinds)
    }

    private static func labels(_ byIndex: [Int: String], what: String) throws -> [String] {
        let count = (byIndex.keys.max() ?? -1) + 1
        return try (0..<count).map { index in
            guard let label = byIndex[index] else { throw InspectionCSVError(line: 0, "no \(what) \(index)") }
            return label
        }
    }

    static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || field.first == " " || field.last == " " else {
            return field
        }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks.
    static func parseCSV(_ text: String) throws -> [[String]] {
        var records: [[String]] = [], record: [String] = [], field = ""
        var quoted = false, fieldWasQuoted = false, line = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        func endRecord() {
            record.append(field)
            if !(record.count == 1 && record[0].isEmpty && !fieldWasQuoted) { records.append(record) }
            record = []
            field = ""
            fieldWasQuoted = false
        }
        while let scalar = next() {
            if quoted {
                if scalar == "\"" {
                    if let following = next() {
                        if following == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = following }
                    } else {
                        quoted = false
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"":
                guard field.isEmpty else { throw InspectionCSVError(line: line, "a quote inside an unquoted field") }
                quoted = true
                fieldWasQuoted = true
            case ",":
                record.append(field)
                field = ""
                fieldWasQuoted = false
            case "\r":
                if let following = next(), following != "\n" { pending = following }
                endRecord()
                line += 1
            case "\n":
                endRecord()
                line += 1
            default:
                field.unicodeScalars.append(scalar)
            }
        }
        guard !quoted else { throw InspectionCSVError(line: line, "unterminated quoted field") }
        if !field.isEmpty || !record.isEmpty || fieldWasQuoted { endRecord() }
        return records
    }
}

/// A CSV file that is not an attention export.
public struct InspectionCSVError: LocalizedError, Equatable {
    /// The 1-based line (0 when the problem is the whole file).
    public var line: Int
    public var message: String

    public init(line: Int, _ message: String) {
        self.line = line
        self.message = message
    }

    public var errorDescription: String? { line > 0 ? "line \(line): \(message)" : message }
}

/// Which matrices to export: `nil` fields mean all.
public struct AttentionSelection: Equatable, Sendable {
    /// One kind, or every kind the model has.
    public var kind: AttentionKind?
    /// One layer (from 0), or every layer.
    public var layer: Int?
    /// One head or the mean, or every head.
    public var head: AttentionHead?

    public init(kind: AttentionKind? = nil, layer: Int? = nil, head: AttentionHead? = nil) {
        self.kind = kind
        self.layer = layer
        self.head = head
    }

    /// The chosen kinds.
    func kinds(in inspection: AttentionInspection) throws -> [AttentionKind] {
        if let kind {
            try inspection.validate(kind, layer: nil, head: nil)
            return [kind]
        }
        let available = inspection.availableKinds
        guard !available.isEmpty else { throw InspectionError.unavailable(.cross, model: inspection.modelName) }
        return available
    }

    /// The chosen kind, or the first the model has (cross-attention when it has any): formats that
    /// hold a single kind (`.npy`, `.svg`).
    func singleKind(in inspection: AttentionInspection) throws -> AttentionKind {
        try kinds(in: inspection)[0]
    }

    func layers(of kind: AttentionKind, in inspection: AttentionInspection) throws -> [Int] {
        try inspection.validate(kind, layer: layer, head: head)
        return layer.map { [$0] } ?? Array(inspection.layers(of: kind).indices)
    }

    /// Every head (without the mean, which they determine), unless one head or the mean is chosen.
    func heads(of kind: AttentionKind, in inspection: AttentionInspection) throws -> [AttentionHead] {
        try inspection.validate(kind, layer: layer, head: head)
        return head.map { [$0] } ?? (0..<inspection.heads(of: kind)).map(AttentionHead.index)
    }
}
