import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Seq
import Testing
import Translate

// MARK: - Helpers

/// A hand-made inspection with awkward labels (markup, quotes, commas, spaces, non-ASCII) and a
/// Transformer-like set of kinds: 2 layers × 3 heads, 3 steps (the last `</s>`), 4 source pieces.
func awkwardInspection() -> AttentionInspection {
    func distributions(heads: Int, rows: Int, columns: Int, causal: Bool, seed: Int) -> Tensor {
        var scalars: [Float] = []
        for h in 0..<heads {
            for r in 0..<rows {
                let visible = causal ? r + 1 : columns
                let raw = (0..<columns).map { c in c < visible ? Float(1 + (c * 5 + r * 3 + h * 7 + seed) % 11) : 0 }
                let sum = raw.reduce(0, +)
                scalars += raw.map { $0 / sum }
            }
        }
        return Tensor(shape: [heads, rows, columns], scalars: scalars)
    }
    let attention = HypothesisAttention(
        cross: (0..<2).map { distributions(heads: 3, rows: 3, columns: 4, causal: false, seed: $0) },
        decoderSelf: (0..<2).map { distributions(heads: 3, rows: 3, columns: 3, causal: true, seed: 10 + $0) },
        encoderSelf: (0..<2).map { distributions(heads: 3, rows: 4, columns: 4, causal: false, seed: 20 + $0) })
    return AttentionInspection(source: "<b>Tom & \"Jerry\"</b>, l'été", translation: "a, b",
                               sourcePieces: ["<b>", "Tom&", "\"Jerry\",", " été "], targetPieces: ["a,", "b\"c"],
                               isFinished: true, attention: attention)
}

/// The matrices of a document as `[kind][layer][head]` flat arrays.
func flatMatrices(_ document: AttentionDocument) -> [[[[Float]]]] {
    document.kinds.map { kind in kind.layers.map { layer in layer.heads.map { $0.weights.flatMap { $0 } } } }
}

/// A minimal reader of NumPy `.npy` version 1.0 files, written from the format description
/// (numpy.lib.format), independent of the writer: returns the header fields and the raw data.
struct NPYFile {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]
    var headerLength: Int
    var values: [Float]

    init(_ data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else { throw NPYError("bad magic") }
        guard bytes[6] == 1, bytes[7] == 0 else { throw NPYError("version \(bytes[6]).\(bytes[7])") }
        headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        guard bytes.count >= 10 + headerLength else { throw NPYError("short header") }
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        guard header.hasSuffix("\n") else { throw NPYError("header must end with a newline") }
        func field(_ name: String, _ pattern: String) throws -> String {
            let regex = try NSRegularExpression(pattern: "'\(name)':\\s*\(pattern)")
            guard let match = regex.firstMatch(in: header, range: NSRange(header.startIndex..., in: header)),
                  let range = Range(match.range(at: 1), in: header) else { throw NPYError("no \(name) in \(header)") }
            return String(header[range])
        }
        descr = try field("descr", "'([^']*)'")
        fortranOrder = try field("fortran_order", "(True|False)") == "True"
        shape = try field("shape", "\\(([^)]*)\\)").split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let payload = Array(bytes[(10 + headerLength)...])
        guard payload.count == 4 * shape.reduce(1, *) else { throw NPYError("\(payload.count) data bytes for shape \(shape)") }
        values = stride(from: 0, to: payload.count, by: 4).map { i in
            Float(bitPattern: UInt32(payload[i]) | UInt32(payload[i + 1]) << 8 | UInt32(payload[i + 2]) << 16 | UInt32(payload[i + 3]) << 24)
        }
    }
}

struct NPYError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Checks that the tags of `html` nest: every opened element is closed in order (void elements
/// excepted), script and style content skipped, attributes quoted. Returns the problems found.
func tagProblems(_ html: String) -> [String] {
    let voids: Set<String> = ["meta", "input", "br", "hr", "img", "link", "col", "wbr"]
    var stack: [String] = [], problems: [String] = []
    var rest = Substring(html)
    while let open = rest.firstIndex(of: "<") {
        rest = rest[open...]
        if rest.hasPrefix("<!DOCTYPE") || rest.hasPrefix("<!--") {
            guard let close = rest.firstIndex(of: ">") else { problems.append("unclosed declaration"); break }
            rest = rest[rest.index(after: close)...]
            continue
        }
        guard let close = rest.firstIndex(of: ">") else { problems.append("unclosed tag"); break }
        let tag = rest[rest.index(after: rest.startIndex)..<close]
        rest = rest[rest.index(after: close)...]
        if tag.hasPrefix("/") {
            let name = tag.dropFirst().lowercased()
            if stack.last == name { stack.removeLast() } else { problems.append("</\(name)> closes <\(stack.last ?? "nothing")>") }
            continue
        }
        let name = String(tag.prefix { $0.isLetter || $0.isNumber }).lowercased()
        guard !name.isEmpty else { problems.append("bad tag <\(tag)>"); continue }
        // Attribute values must be quoted and the quotes balanced.
        if tag.filter({ $0 == "\"" }).count % 2 != 0 { problems.append("unbalanced quotes in <\(tag.prefix(40))>") }
        if voids.contains(name) || tag.hasSuffix("/") { continue }
        if name == "script" || name == "style" {
            guard let end = rest.range(of: "</\(name)>") else { problems.append("unclosed \(name)"); break }
            rest = rest[end.upperBound...]
            continue
        }
        stack.append(name)
    }
    if !stack.isEmpty { problems.append("unclosed: \(stack)") }
    return problems
}

/// `text` escaped as the page escapes it.
func htmlEscaped(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        .replacingOccurrences(of: "'", with: "&#39;")
}

private func temporaryFile(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("parley-export-\(UUID().uuidString)-\(name)")
}

// MARK: - Tests

@Suite("Attention export", .serialized)
struct AttentionExportTests {
    @Test("formats follow the file extension")
    func formatsByExtension() throws {
        #expect(try AttentionFormat(fileName: "a.html") == .html)
        #expect(try AttentionFormat(fileName: "dir/A.HTM") == .html)
        #expect(try AttentionFormat(fileName: "x.svg") == .svg)
        #expect(try AttentionFormat(fileName: "x.json") == .json)
        #expect(try AttentionFormat(fileName: "x.csv") == .csv)
        #expect(try AttentionFormat(fileName: "x.npy") == .npy)
        #expect(throws: InspectionError.unknownFormat("x.png")) { try AttentionFormat(fileName: "x.png") }
        #expect(throws: InspectionError.unknownFormat("noextension")) { try AttentionFormat(fileName: "noextension") }
    }

    @Test(".npy: version 1.0 header aligned to 64 bytes, '<f4', C order, [layers, heads, rows, columns], read back bit-exact")
    func npyBitExact() throws {
        let translator = try Translator(modelDirectory: TrainedModel.directory(kind: .transformer))
        let translation = translator.translate("b q n s g c e")
        let inspection = try AttentionInspection(translation)
        for kind in AttentionKind.allCases {
            let file = try NPYFile(AttentionExport.npy(inspection, selection: AttentionSelection(kind: kind)))
            #expect(file.descr == "<f4" && !file.fortranOrder)
            #expect((10 + file.headerLength) % 64 == 0)
            let layers = inspection.layers(of: kind)
            #expect(file.shape == [2, 4] + Array(layers[0].shape.dropFirst()))
            let expected = layers.flatMap(\.scalars)
            #expect(file.values.map(\.bitPattern) == expected.map(\.bitPattern))
        }
        // One layer and head, or the mean: a head axis of 1.
        let one = try NPYFile(AttentionExport.npy(inspection, selection: AttentionSelection(layer: 1, head: .index(2))))
        let view = try inspection.view(.cross, layer: 1, head: .index(2))
        #expect(one.shape == [1, 1, view.rows, view.columns])
        #expect(one.values.map(\.bitPattern) == view.weights.map(\.bitPattern))
        let mean = try NPYFile(AttentionExport.npy(inspection, selection: AttentionSelection(head: .mean)))
        #expect(mean.shape == [2, 1, view.rows, view.columns])
        #expect(mean.values.map(\.bitPattern) == (try (0..<2).flatMap { try inspection.view(.cross, layer: $0, head: .mean).weights }).map(\.bitPattern))
        // Special values and shapes survive too.
        let special: [Float] = [0, -0.0, 1, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1e-38, 0.1, 1 / 3]
        let file = try NPYFile(AttentionExport.npy(special, shape: [2, 4]))
        #expect(file.values.map(\.bitPattern) == special.map(\.bitPattern) && file.shape == [2, 4])
        let empty = try NPYFile(AttentionExport.npy([], shape: [1, 4, 3, 0]))
        #expect(empty.shape == [1, 4, 3, 0] && empty.values.isEmpty)
    }

    @Test(".npy is read by numpy.load when Python and NumPy are installed",
          .enabled(if: pythonWithNumPy != nil, "python3 with numpy not found"))
    func numpyLoads() throws {
        let inspection = awkwardInspection()
        let url = temporaryFile("a.npy")
        defer { try? FileManager.default.removeItem(at: url) }
        try AttentionExport.write(inspection, selection: AttentionSelection(kind: .decoderSelf), to: url)
        let script = """
            import numpy, sys
            a = numpy.load(sys.argv[1])
            print(a.dtype.str, a.shape, a.flags['C_CONTIGUOUS'])
            print(a.astype('<f4').tobytes().hex())
            """
        let output = try runProcess(pythonWithNumPy!, ["-c", script, url.path])
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.first == "<f4 (2, 3, 3, 3) True")
        let expected = inspection.attention.decoderSelf.flatMap(\.scalars)
            .map { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { $0.map { String(format: "%02x", $0) }.joined() } }.joined()
        #expect(lines.last == expected)
    }

    @Test(".json round-trips exactly: tokens, kinds, layers, heads and every weight")
    func jsonRoundTrip() throws {
        for inspection in [awkwardInspection(), try fixtureInspection()] {
            let document = try AttentionDocument(inspection)
            let data = try document.jsonData()
            let read = try AttentionDocument(json: data)
            #expect(read == document)
            #expect(read.sourceTokens == inspection.sourcePieces && read.targetTokens == inspection.targetPieces)
            #expect(read.kinds.map(\.kind) == inspection.availableKinds)
            for kind in read.kinds {
                let tensors = inspection.layers(of: kind.kind)
                #expect(kind.rows == inspection.rowLabels(kind.kind) && kind.columns == inspection.columnLabels(kind.kind))
                for (layer, tensor) in zip(kind.layers, tensors) {
                    #expect(layer.heads.map(\.head) == (0..<tensor.shape[0]).map(Optional.some))
                    #expect(layer.heads.flatMap { $0.weights.flatMap { $0 } }.map(\.bitPattern) == tensor.scalars.map(\.bitPattern))
                }
            }
            // Plain JSON readers see the documented keys.
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(Set(object.keys) == ["format", "version", "source", "translation", "source_tokens", "target_tokens", "finished", "kinds"])
            #expect(object["format"] as? String == "parley-attention")
        }
        // A selection: one layer, the mean.
        let selected = try AttentionDocument(awkwardInspection(), selection: AttentionSelection(kind: .cross, layer: 1, head: .mean))
        #expect(selected.kinds.count == 1 && selected.kinds[0].layers.map(\.layer) == [1])
        #expect(selected.kinds[0].layers[0].heads.map(\.head) == [nil])
        #expect(try AttentionDocument(json: selected.jsonData()) == selected)
    }

    @Test(".csv round-trips exactly, with quoted labels; malformed files are rejected with the line")
    func csvRoundTrip() throws {
        for inspection in [awkwardInspection(), try fixtureInspection()] {
            let document = try AttentionDocument(inspection)
            let csv = document.csv
            #expect(csv.hasPrefix("kind,layer,head,row,row_token,column,column_token,weight\r\n"))
            let cells = document.kinds.reduce(0) { $0 + $1.layers.count * $1.layers[0].heads.count * $1.rows.count * $1.columns.count }
            #expect(csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == cells + 1)
            let read = try AttentionDocument(csv: csv)
            #expect(read.kinds == document.kinds)
            #expect(flatMatrices(read).flatMap { $0.flatMap { $0.flatMap { $0 } } }.map(\.bitPattern)
                    == flatMatrices(document).flatMap { $0.flatMap { $0.flatMap { $0 } } }.map(\.bitPattern))
            #expect(read.sourceTokens == inspection.sourcePieces && read.targetTokens == inspection.targetPieces)
            #expect(read.finished == inspection.isFinished)
        }
        let awkward = try AttentionDocument(awkwardInspection()).csv
        #expect(awkward.contains("\"\"\"Jerry\"\",\""))   // "Jerry", quoted with doubled quotes
        #expect(awkward.contains("\" été \""))              // surrounding spaces kept by quoting
        let mean = try AttentionDocument(awkwardInspection(), selection: AttentionSelection(head: .mean))
        #expect(mean.csv.contains(",mean,"))
        #expect(try AttentionDocument(csv: mean.csv).kinds == mean.kinds)

        #expect(throws: InspectionCSVError.self) { try AttentionDocument(csv: "a,b\r\n") }
        let header = AttentionDocument.csvHeader.joined(separator: ",")
        #expect(throws: InspectionCSVError(line: 2, "unknown kind sideways")) {
            try AttentionDocument(csv: header + "\nsideways,0,0,0,a,0,b,1\n")
        }
        #expect(throws: InspectionCSVError(line: 2, "bad weight x")) { try AttentionDocument(csv: header + "\ncross,0,0,0,a,0,b,x\n") }
        #expect(throws: InspectionCSVError.self) { try AttentionDocument(csv: header + "\ncross,0,0,0,a,1,b,1\n") }  // column 0 missing
    }

    @Test(".html is self-contained, its tags nest, and it holds every token and every value")
    func htmlPage() throws {
        for inspection in [awkwardInspection(), try fixtureInspection()] {
            let page = try AttentionExport.html(inspection)
            #expect(tagProblems(page).isEmpty, "\(tagProblems(page))")
            for forbidden in ["http://", "https://", "src=", "url(", "@import", "<link", "<iframe"] {
                #expect(!page.contains(forbidden), "external reference \(forbidden)")
            }
            #expect(page.hasPrefix("<!DOCTYPE html>"))
            for token in inspection.sourcePieces + inspection.targetPieces + ["&lt;/s&gt;", "&lt;s&gt;"] {
                let escaped = token.hasPrefix("&") ? token : htmlEscaped(token)
                #expect(page.contains(">\(escaped)<"), "token \(token)")
            }
            // Every view: each kind, layer, head and the mean, with every weight at four decimals.
            for kind in inspection.availableKinds {
                for view in try inspection.allViews(kind) {
                    let head = switch view.head {
                    case .index(let h): String(h)
                    case .mean: "mean"
                    }
                    let id = "\(kind.rawValue)-\(view.layer)-\(head)"
                    let start = try #require(page.range(of: "<section class=\"view\" id=\"\(id)\""), "no section \(id)")
                    let section = page[start.lowerBound...]
                    let end = try #require(section.range(of: "</section>"))
                    let body = section[..<end.upperBound]
                    var values: [String] = []
                    var rest = body[...]
                    while let range = rest.range(of: "data-w=\"") {
                        let value = rest[range.upperBound...].prefix { $0 != "\"" }
                        values.append(String(value))
                        rest = rest[range.upperBound...]
                    }
                    #expect(values == view.weights.map(AttentionExport.fixed), "\(id)")
                }
            }
            #expect(page.contains("<select id=\"kind\">") && page.contains("<select id=\"layer\">") && page.contains("<select id=\"head\">"))
            #expect(page.contains("class=\"row eos\""), "the </s> row is marked")
        }
        // The initial selection is the one visible view.
        let page = try AttentionExport.html(awkwardInspection(), initial: AttentionSelection(kind: .encoderSelf, layer: 0, head: .index(2)))
        let visible = page.components(separatedBy: "<section ").dropFirst().filter { !$0.prefix(200).contains(" hidden>") }
        #expect(visible.count == 1 && visible[0].contains("id=\"encoder-self-0-2\""))
        #expect(throws: InspectionError.layerOutOfRange(.cross, layer: 5, layers: 2)) {
            try AttentionExport.html(awkwardInspection(), initial: AttentionSelection(layer: 5))
        }
    }

    @Test(".svg is well-formed XML with a titled cell for every weight")
    func svgImage() throws {
        let inspection = awkwardInspection()
        let svg = try AttentionExport.svg(inspection, selection: AttentionSelection(kind: .cross))
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = SVGCollector()
        parser.delegate = collector
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(collector.rectangles == 1 + 2 * 3 * 3 * 4)  // background + layers × heads × rows × columns
        let titles = collector.titles.dropFirst()  // the document title
        for layer in 0..<2 {
            for head in 0..<3 {
                let view = try inspection.view(.cross, layer: layer, head: .index(head))
                for r in 0..<view.rows {
                    for c in 0..<view.columns {
                        #expect(titles.contains("\(view.rowLabels[r]) → \(view.columnLabels[c]): \(AttentionExport.fixed(view[r, c]))"))
                    }
                }
            }
        }
        for token in inspection.sourcePieces + inspection.targetPieces { #expect(collector.texts.contains(token)) }
    }

    @Test("write(_:to:) picks the format by extension and writes the same bytes as data(_:format:)")
    func writeFiles() throws {
        let inspection = awkwardInspection()
        for format in AttentionFormat.allCases {
            let url = temporaryFile("attention.\(format.rawValue)")
            defer { try? FileManager.default.removeItem(at: url) }
            #expect(try AttentionExport.write(inspection, to: url) == format)
            #expect(try Data(contentsOf: url) == AttentionExport.data(inspection, format: format))
        }
        let text = temporaryFile("a.txt")
        #expect(throws: InspectionError.unknownFormat(text.lastPathComponent)) { try AttentionExport.write(inspection, to: text) }
        #expect(!FileManager.default.fileExists(atPath: text.path))
    }

    @Test("an example page from the fixture model (written to /tmp/parley-attention-example.html)")
    func examplePage() throws {
        let translator = try Translator(modelDirectory: TrainedModel.directory(kind: .transformer))
        let translation = translator.translate("r n c m a t")
        let url = URL(fileURLWithPath: "/tmp/parley-attention-example.html")
        try AttentionExport.write(try AttentionInspection(translation, modelName: "transformer"), to: url)
        let page = try String(contentsOf: url, encoding: .utf8)
        #expect(tagProblems(page).isEmpty)
        #expect(!translation.text.isEmpty && page.contains(translation.text), "the page lacks the translation \(translation.text)")
    }
}

/// The fixture Transformer's attention for one reversal.
func fixtureInspection() throws -> AttentionInspection {
    let translator = try Translator(modelDirectory: TrainedModel.directory(kind: .transformer))
    return try AttentionInspection(translator.translate("l d a d"), modelName: "transformer")
}

/// Counts SVG rectangles and collects `<title>` and `<text>` contents.
final class SVGCollector: NSObject, XMLParserDelegate {
    var rectangles = 0
    var titles: [String] = []
    var texts: [String] = []
    private var element = "", buffer = ""

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if name == "rect" { rectangles += 1 }
        element = name
        buffer = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { buffer += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "title" { titles.append(buffer) }
        if name == "text" { texts.append(buffer) }
        buffer = ""
    }
}

struct ProcessFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `python3` when it can import numpy.
let pythonWithNumPy: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map { "\($0)/python3" } ?? []
    for candidate in path + ["/usr/bin/python3", "/usr/local/bin/python3", "/opt/homebrew/bin/python3"]
    where FileManager.default.isExecutableFile(atPath: candidate) {
        if (try? runProcess(candidate, ["-c", "import numpy"])) != nil { return candidate }
    }
    return nil
}()

/// Runs `executable` and returns its standard output; throws when it fails.
@discardableResult
func runProcess(_ executable: String, _ arguments: [String], input: String? = nil, environment: [String: String]? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let output = Pipe(), errors = Pipe(), stdin = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = stdin
    try process.run()
    // Read both pipes while the process runs so neither fills up.
    final class Collected: @unchecked Sendable { var data = Data() }
    let out = Collected(), err = Collected()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async { out.data = output.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    group.enter()
    DispatchQueue.global().async { err.data = errors.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    process.waitUntilExit()
    group.wait()
    guard process.terminationStatus == 0 else {
        throw ProcessFailure("\(executable) \(arguments.prefix(1)) exited with \(process.terminationStatus): \(String(decoding: err.data, as: UTF8.self))")
    }
    return String(decoding: out.data, as: UTF8.self)
}
