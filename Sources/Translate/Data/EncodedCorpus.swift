import Foundation
import Text
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Token ids of a parallel corpus in one flat binary file, memory-mapped for training.
///
/// The corpus is never held as strings: ids are 32-bit integers read straight from the mapped
/// file, so the operating system pages in only what a batch needs and a corpus larger than
/// memory trains. Layout (little-endian): the magic `PRLYIDS1`, the pair count `n` (Int64),
/// source offsets (`n+1` × Int64), target offsets (`n+1` × Int64), source ids, target ids (Int32).
public struct EncodedCorpus: @unchecked Sendable {
    private let data: Data
    /// The number of sentence pairs.
    public let count: Int
    private let idsStart: Int
    private let targetIdsStart: Int

    static let magic = Array("PRLYIDS1".utf8)

    /// Maps a file written by `write(sources:targets:to:)`.
    ///
    /// - Throws: `CorpusError` when the file is missing, truncated or not an ids file.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw CorpusError(file: url.path, "cannot read the encoded corpus (run `parley prepare` again): \(error.localizedDescription)")
        }
        guard data.count >= 16, Array(data.prefix(8)) == Self.magic else {
            throw CorpusError(file: url.path, "not a Parley encoded corpus (bad magic)")
        }
        let n = data.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: 8, as: Int64.self).littleEndian) }
        let offsetsEnd = 16 + 2 * (n + 1) * 8
        guard n >= 0, data.count >= offsetsEnd else {
            throw CorpusError(file: url.path, "truncated encoded corpus (header)")
        }
        self.data = data
        self.count = n
        self.idsStart = offsetsEnd
        let sourceTotal = data.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: 16 + n * 8, as: Int64.self).littleEndian) }
        let targetTotal = data.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: 16 + (2 * n + 1) * 8, as: Int64.self).littleEndian) }
        self.targetIdsStart = offsetsEnd + sourceTotal * 4
        guard data.count == targetIdsStart + targetTotal * 4 else {
            throw CorpusError(file: url.path, "truncated or corrupted encoded corpus: expected \(targetIdsStart + targetTotal * 4) bytes, found \(data.count)")
        }
    }

    private func offset(_ table: Int, _ index: Int) -> Int {
        data.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: 16 + (table * (count + 1) + index) * 8, as: Int64.self).littleEndian) }
    }

    private func ids(start: Int, from: Int, to: Int) -> [Int] {
        data.withUnsafeBytes { raw in
            (from..<to).map { Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: start + $0 * 4, as: Int32.self))) }
        }
    }

    /// The source ids of pair `index`.
    public func source(_ index: Int) -> [Int] { ids(start: idsStart, from: offset(0, index), to: offset(0, index + 1)) }
    /// The target ids of pair `index`.
    public func target(_ index: Int) -> [Int] { ids(start: targetIdsStart, from: offset(1, index), to: offset(1, index + 1)) }
    /// The source length of pair `index`.
    public func sourceLength(_ index: Int) -> Int { offset(0, index + 1) - offset(0, index) }
    /// The target length of pair `index`.
    public func targetLength(_ index: Int) -> Int { offset(1, index + 1) - offset(1, index) }

    /// What `encode` kept and dropped.
    public struct Statistics: Codable, Equatable, Sendable {
        public var kept = 0
        public var droppedTooLong = 0
        public var droppedRatio = 0
        public var droppedEmpty = 0
        public var unknownSourcePieces = 0
        public var unknownTargetPieces = 0
        public var dropped: Int { droppedTooLong + droppedRatio + droppedEmpty }
    }

    /// Tokenises a corpus, filters by length, and writes the ids file atomically.
    public static func encode(
        _ corpus: ParallelCorpus, source: Tokenizer, target: Tokenizer,
        maximumLength: Int, maximumLengthRatio: Double, to url: URL
    ) throws -> Statistics {
        var statistics = Statistics()
        var sourceOffsets: [Int64] = [0], targetOffsets: [Int64] = [0]
        var sourceIds: [Int32] = [], targetIds: [Int32] = []
        for i in 0..<corpus.count {
            var unknownSource = 0, unknownTarget = 0
            let s = source.encode(corpus.sources[i], unknownCount: &unknownSource)
            let t = target.encode(corpus.targets[i], unknownCount: &unknownTarget)
            if s.isEmpty || t.isEmpty { statistics.droppedEmpty += 1; continue }
            if s.count > maximumLength || t.count > maximumLength { statistics.droppedTooLong += 1; continue }
            let ratio = Double(Swift.max(s.count, t.count)) / Double(Swift.min(s.count, t.count))
            if ratio > maximumLengthRatio && Swift.max(s.count, t.count) > 3 { statistics.droppedRatio += 1; continue }
            statistics.kept += 1
            statistics.unknownSourcePieces += unknownSource
            statistics.unknownTargetPieces += unknownTarget
            sourceIds += s.map { Int32($0) }
            targetIds += t.map { Int32($0) }
            sourceOffsets.append(Int64(sourceIds.count))
            targetOffsets.append(Int64(targetIds.count))
        }
        var data = Data(magic)
        func append<T: FixedWidthInteger>(_ values: [T]) {
            values.map(\.littleEndian).withUnsafeBufferPointer { data.append(Data(buffer: $0)) }
        }
        append([Int64(statistics.kept)])
        append(sourceOffsets)
        append(targetOffsets)
        append(sourceIds)
        append(targetIds)
        try AtomicFile.write(data, to: url)
        return statistics
    }
}

/// Writing files so that a crash never leaves a half-written one: temporary file, then rename.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try data.write(to: temporary)
            // rename(2) replaces the destination atomically on one file system.
            guard rename(temporary.path, url.path) == 0 else {
                throw CorpusError(file: url.path, "cannot rename \(temporary.lastPathComponent) into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw CorpusError(file: url.path, "cannot write: \(error.localizedDescription)")
        }
    }

    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }
}
