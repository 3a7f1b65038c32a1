import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A text file read as lines, with invalid UTF-8 repaired and reported.
///
/// Bytes that are not valid UTF-8 become U+FFFD; each affected line is listed in `issues` with
/// the file name and line number, so a corpus with a stray Latin-1 byte is still usable and the
/// user learns where it is. Empty lines are kept as empty strings.
public struct TextFile: Sendable {
    /// Where line breaks fall.
    public enum LineBreaks: Sendable {
        /// At `\n`; a `\r` before it is dropped too; terminators are not part of the lines.
        case newline
        /// Where Python's `str.splitlines(keepends=True)` breaks (as subword-nmt reads files);
        /// every line keeps its terminator, so joining the lines gives the text back.
        case python
    }

    /// The file's name in messages (`"<stdin>"` for standard input).
    public let name: String
    /// The lines.
    public let lines: [String]
    /// The lines whose invalid UTF-8 was replaced.
    public let issues: [TextFileIssue]

    /// Reads the file at `url`.
    ///
    /// - Throws: `TextFileError.unreadable` if it cannot be read.
    public init(contentsOf url: URL, lineBreaks: LineBreaks = .newline) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TextFileError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        self.init(data: data, name: url.path, lineBreaks: lineBreaks)
    }

    /// Splits `data` into lines; `name` identifies it in issues.
    public init(data: Data, name: String, lineBreaks: LineBreaks = .newline) {
        var lines: [String] = []
        var issues: [TextFileIssue] = []
        let bytes = [UInt8](data)
        bytes.withUnsafeBufferPointer { buffer in
            let ranges: [Range<Int>]
            switch lineBreaks {
            case .python:
                ranges = PythonText.lineRanges(buffer)
            case .newline:
                var found: [Range<Int>] = []
                var start = 0
                for index in 0..<buffer.count where buffer[index] == 0x0A {
                    let end = index > start && buffer[index - 1] == 0x0D ? index - 1 : index
                    found.append(start..<end)
                    start = index + 1
                }
                if start < buffer.count {
                    let end = buffer[buffer.count - 1] == 0x0D ? buffer.count - 1 : buffer.count
                    found.append(start..<end)
                }
                ranges = found
            }
            lines.reserveCapacity(ranges.count)
            for (index, range) in ranges.enumerated() {
                let (line, valid) = Self.decode(UnsafeBufferPointer(rebasing: buffer[range]))
                if !valid { issues.append(TextFileIssue(file: name, line: index + 1)) }
                lines.append(line)
            }
        }
        self.name = name
        self.lines = lines
        self.issues = issues
    }

    /// Decodes UTF-8, replacing invalid sequences with U+FFFD; `valid` tells whether any were.
    public static func decode<C: Collection>(_ bytes: C) -> (string: String, valid: Bool) where C.Element == UInt8 {
        let string = String(decoding: bytes, as: UTF8.self)
        return (string, string.utf8.count == bytes.count && string.utf8.elementsEqual(bytes))
    }

    /// Writes `text` to `url` through a temporary file in the same directory and a rename, so
    /// readers never see a half-written file.
    public static func writeAtomically(_ text: String, to url: URL) throws {
        try writeAtomically(Data(text.utf8), to: url)
    }

    /// Writes `data` to `url` through a temporary file and a rename.
    public static func writeAtomically(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
        do {
            try data.write(to: temporary)
        } catch {
            throw TextFileError.unwritable(file: url.path, reason: error.localizedDescription)
        }
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw TextFileError.unwritable(file: url.path, reason: reason)
        }
    }
}

/// A line whose invalid UTF-8 was replaced with U+FFFD.
public struct TextFileIssue: Hashable, Sendable, CustomStringConvertible {
    /// The file's name.
    public let file: String
    /// The 1-based line number.
    public let line: Int

    /// Creates an issue report.
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line): invalid UTF-8 replaced with U+FFFD" }
}

/// A text file that cannot be read or written.
public enum TextFileError: Error, LocalizedError, Equatable {
    /// Reading failed.
    case unreadable(file: String, reason: String)
    /// Writing failed.
    case unwritable(file: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .unwritable(file, reason): return "\(file): cannot write: \(reason)"
        }
    }
}
