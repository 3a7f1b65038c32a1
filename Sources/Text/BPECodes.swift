import Foundation

/// An ordered list of BPE merge operations, in subword-nmt's codes-file format.
///
/// Byte-pair encoding (Sennrich, Haddow & Birch 2016, "Neural Machine Translation of Rare Words
/// with Subword Units", §3.2) learns merges of adjacent symbols, most frequent first; applying
/// them in order segments any word into known subword units. A codes file starts with
/// `#version: 0.2` and holds one merge per line, `left right`, where the word-final symbol carries
/// the end-of-word marker `</w>` (`e</w>`). Files written by `subword-nmt learn-bpe` load here and
/// files written here load in subword-nmt.
public struct BPECodes: Hashable, Sendable {
    /// One merge: the adjacent symbols `left` and `right` become `left + right`.
    public struct Merge: Hashable, Sendable {
        /// The first symbol.
        public var left: String
        /// The second symbol; ends with `</w>` when it closes a word.
        public var right: String

        /// Creates a merge of `left` and `right`.
        public init(_ left: String, _ right: String) {
            self.left = left
            self.right = right
        }
    }

    /// How the end of a word is marked; 0.2 (the default) glues `</w>` to the last character.
    public enum Version: String, Codable, Sendable {
        /// `</w>` is a separate symbol (codes files without a version header).
        case v0_1 = "0.1"
        /// `</w>` is part of the last character's symbol.
        case v0_2 = "0.2"
    }

    /// The end-of-word marker.
    public static let endOfWord = "</w>"

    /// The merges, highest priority first.
    public var merges: [Merge]
    /// The end-of-word convention.
    public var version: Version

    /// Creates codes from merges.
    public init(merges: [Merge] = [], version: Version = .v0_2) {
        self.merges = merges
        self.version = version
    }

    /// Reads a codes file, keeping at most `limit` merges (all when `nil`).
    ///
    /// - Throws: `BPECodesError` naming the file and line of a malformed entry.
    public init(contentsOf url: URL, limit: Int? = nil) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw BPECodesError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        let text = String(decoding: data, as: UTF8.self)
        try self.init(parsing: text, file: url.path, limit: limit)
    }

    /// Parses the text of a codes file (see `init(contentsOf:limit:)`); `file` names it in errors.
    public init(parsing text: String, file: String = "<codes>", limit: Int? = nil) throws {
        // Bytes, not Characters: "\r\n" and a space before a combining mark are single Swift
        // Characters, but subword-nmt splits code points.
        var lines = Array(text.utf8).split(separator: 0x0A, omittingEmptySubsequences: false)
        var version = Version.v0_1
        var lineOffset = 1
        if let first = lines.first, first.starts(with: Array("#version:".utf8)) {
            let field = PythonText.string(first.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }).last ?? [])
            var trimmed = field
            while trimmed.hasSuffix(".0") { trimmed.removeLast(2) }
            switch trimmed {
            case "0.1", "0": version = .v0_1
            case "0.2": version = .v0_2
            default: throw BPECodesError.unsupportedVersion(file: file, version: field)
            }
            lines.removeFirst()
            lineOffset = 2
        }
        // Like subword-nmt: trailing newlines are ignored, every other line must hold two symbols.
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        let kept = limit.map { min($0, lines.count) } ?? lines.count
        var merges: [Merge] = []
        merges.reserveCapacity(kept)
        for index in 0..<kept {
            let fields = PythonText.strip(lines[index]).split(separator: 0x20, omittingEmptySubsequences: false)
            guard fields.count == 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw BPECodesError.invalidLine(file: file, line: index + lineOffset, text: PythonText.string(lines[index]))
            }
            merges.append(Merge(PythonText.string(fields[0]), PythonText.string(fields[1])))
        }
        self.init(merges: merges, version: version)
    }

    /// The codes file's contents: the version header and one `left right` line per merge.
    public var fileContents: String {
        var text = "#version: \(version.rawValue)\n"
        for merge in merges {
            text += merge.left
            text += " "
            text += merge.right
            text += "\n"
        }
        return text
    }

    /// Writes the codes file atomically (temporary file, then rename).
    public func write(to url: URL) throws {
        try TextFile.writeAtomically(fileContents, to: url)
    }
}

/// A codes file that cannot be used.
public enum BPECodesError: Error, LocalizedError, Equatable {
    /// The file could not be read.
    case unreadable(file: String, reason: String)
    /// The header names a version other than 0.1 or 0.2.
    case unsupportedVersion(file: String, version: String)
    /// A line does not hold exactly two space-separated symbols.
    case invalidLine(file: String, line: Int, text: String)

    public var errorDescription: String? {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot read BPE codes: \(reason)"
        case let .unsupportedVersion(file, version):
            return "\(file):1: unsupported BPE codes version '\(version)' (expected 0.1 or 0.2)"
        case let .invalidLine(file, line, text):
            return "\(file):\(line): invalid BPE merge '\(text)': expected two symbols separated by one space"
        }
    }
}
