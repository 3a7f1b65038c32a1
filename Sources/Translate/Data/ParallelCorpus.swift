import Foundation

/// A problem with a corpus file, naming the file (and line where there is one).
public struct CorpusError: LocalizedError, Equatable {
    public var file: String
    public var line: Int?
    public var message: String

    public init(file: String, line: Int? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var errorDescription: String? {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}

/// Sentence pairs read from two line-aligned files or one TSV file.
public struct ParallelCorpus: Sendable {
    /// Source sentences.
    public var sources: [String]
    /// Target sentences, aligned with `sources`.
    public var targets: [String]
    /// Lines that were not valid UTF-8 (replaced with U+FFFD), as `file:line`.
    public var invalidLines: [String] = []

    public var count: Int { sources.count }

    public init(sources: [String], targets: [String]) {
        precondition(sources.count == targets.count, "unaligned corpus: \(sources.count) vs \(targets.count)")
        self.sources = sources
        self.targets = targets
    }

    /// Reads two line-aligned files.
    ///
    /// - Throws: `CorpusError` when a file cannot be read or the line counts differ (naming both).
    public init(source: URL, target: URL, limit: Int = 0) throws {
        var invalid: [String] = []
        let sourceLines = try Self.readLines(source, invalid: &invalid)
        let targetLines = try Self.readLines(target, invalid: &invalid)
        guard sourceLines.count == targetLines.count else {
            throw CorpusError(file: source.path,
                              "has \(sourceLines.count) lines but \(target.path) has \(targetLines.count); a parallel corpus needs one line per sentence on both sides")
        }
        let n = limit > 0 ? Swift.min(limit, sourceLines.count) : sourceLines.count
        self.init(sources: Array(sourceLines.prefix(n)), targets: Array(targetLines.prefix(n)))
        invalidLines = invalid
    }

    /// Reads a TSV file whose first two columns are source and target.
    ///
    /// - Throws: `CorpusError` naming the line of a row without a tab.
    public init(tsv: URL, limit: Int = 0) throws {
        var invalid: [String] = []
        let lines = try Self.readLines(tsv, invalid: &invalid)
        var sources: [String] = [], targets: [String] = []
        for (index, line) in lines.enumerated() {
            if limit > 0 && sources.count >= limit { break }
            if line.isEmpty && index == lines.count - 1 { break }
            let columns = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard columns.count >= 2 else {
                throw CorpusError(file: tsv.path, line: index + 1, "no tab: a TSV corpus needs source and target columns separated by a tab")
            }
            sources.append(String(columns[0]))
            targets.append(String(columns[1]))
        }
        self.init(sources: sources, targets: targets)
        invalidLines = invalid
    }

    /// The lines of a text file without their terminators; invalid UTF-8 becomes U+FFFD and is reported.
    static func readLines(_ url: URL, invalid: inout [String]) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw CorpusError(file: url.path, "cannot read the file (missing or unreadable)")
        }
        var lines: [String] = []
        var lineNumber = 0
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var start = 0
            func emit(_ end: Int) {
                lineNumber += 1
                var stop = end
                if stop > start && bytes[stop - 1] == 13 { stop -= 1 }  // CRLF
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<stop])
                if let text = String(validating: slice, as: UTF8.self) {
                    lines.append(text)
                } else {
                    lines.append(String(decoding: slice, as: UTF8.self))
                    invalid.append("\(url.path):\(lineNumber)")
                }
            }
            for i in 0..<bytes.count where bytes[i] == 10 {
                emit(i)
                start = i + 1
            }
            if start < bytes.count { emit(bytes.count) }
        }
        return lines
    }

    /// The last `count` pairs split off (for a validation set held out from training data).
    public mutating func holdOut(_ count: Int) -> ParallelCorpus {
        let n = Swift.min(count, self.count / 10)
        let held = ParallelCorpus(sources: Array(sources.suffix(n)), targets: Array(targets.suffix(n)))
        sources.removeLast(n)
        targets.removeLast(n)
        return held
    }
}
