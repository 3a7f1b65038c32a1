import Foundation

/// Reads and writes named tensors in the safetensors format, which Python's `safetensors` and
/// NumPy open directly (https://github.com/huggingface/safetensors).
///
/// Layout: an 8-byte little-endian header length `N`; `N` bytes of JSON,
/// `{"__metadata__": {string: string}, name: {"dtype": "F32", "shape": […], "data_offsets": [begin, end]}, …}`,
/// padded with spaces so the data starts on an 8-byte boundary; then the tensors' little-endian
/// elements back to back, offsets counted from the start of the data. Like the reference writer,
/// tensors are stored in name order (by UTF-8 bytes), so equal inputs give identical files.
public enum SafeTensors {
    /// The largest header accepted, as in the reference reader: a longer one means a corrupted length.
    static let maximumHeaderLength = 100_000_000

    /// Writes `tensors` and `metadata` to `url` atomically: the bytes go to a temporary file in
    /// the same directory, which is then renamed over `url`, so a crash never leaves half a file.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
        let data = encode(tensors, metadata: metadata)
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
                throw CheckpointError(.writeFailed("cannot create \(temporary.path)"), file: url)
            }
            let handle = try FileHandle(forWritingTo: temporary)
            do {
                try handle.write(contentsOf: data)
                try handle.synchronize()
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            guard rename(temporary.path, url.path) == 0 else {
                throw CheckpointError(.writeFailed("cannot rename \(temporary.path) into place: \(String(cString: strerror(errno)))"), file: url)
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if let error = error as? CheckpointError { throw error }
            throw CheckpointError(.writeFailed(error.localizedDescription), file: url)
        }
    }

    /// Reads every tensor and the metadata from `url`, validating the whole file first.
    ///
    /// Throws `CheckpointError` naming the file for a missing file, a truncated one, a header that
    /// is not valid JSON of the expected form, offsets that are out of order, overlapping, outside
    /// the data or not `4 × elements` long, and element types other than F32.
    public static func read(from url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard FileManager.default.fileExists(atPath: url.path) else { throw CheckpointError(.fileNotFound, file: url) }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw CheckpointError(.unreadable(error.localizedDescription), file: url)
        }
        do {
            return try decode(data)
        } catch var error as CheckpointError {
            error.file = url
            throw error
        }
    }

    /// The bytes of a safetensors file holding `tensors` and `metadata`.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) -> Data {
        let names = tensors.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var header = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            let entries = keys.map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(entries.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            precondition(!name.isEmpty && name != "__metadata__", "invalid tensor name '\(name)'")
            let tensor = tensors[name]!
            let end = offset + 4 * tensor.count
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        header += fields.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        headerBytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8))

        var data = Data(count: 8 + headerBytes.count + offset)
        data.withUnsafeMutableBytes { (raw: UnsafeMutableRawBufferPointer) in
            raw.storeBytes(of: UInt64(headerBytes.count).littleEndian, toByteOffset: 0, as: UInt64.self)
            headerBytes.withUnsafeBytes { raw.baseAddress!.advanced(by: 8).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            var position = 8 + headerBytes.count
            for name in names {
                tensors[name]!.withUnsafeBufferPointer { elements in
                    for value in elements {
                        raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: position, as: UInt32.self)
                        position += 4
                    }
                }
            }
        }
        return data
    }

    /// The tensors and metadata in the bytes of a safetensors file (see `read(from:)` for the checks).
    public static func decode(_ data: Data) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        try data.withUnsafeBytes { try decode(bytes: $0) }
    }

    private struct Entry {
        var name: String
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    private static func decode(bytes: UnsafeRawBufferPointer) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard bytes.count >= 8 else {
            throw CheckpointError(.truncated("\(bytes.count) bytes, fewer than the 8-byte header length"))
        }
        let declaredLength = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard declaredLength <= UInt64(maximumHeaderLength) else {
            throw CheckpointError(.corruptedHeader("header length \(declaredLength) exceeds the limit of \(maximumHeaderLength) bytes"))
        }
        let headerLength = Int(declaredLength)
        guard headerLength <= bytes.count - 8 else {
            throw CheckpointError(.truncated("the header should be \(headerLength) bytes but only \(bytes.count - 8) follow its length"))
        }
        let headerBytes = Data(bytes[8..<(8 + headerLength)])
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw CheckpointError(.corruptedHeader("the header does not start with '{'"))
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: headerBytes)
        } catch {
            throw CheckpointError(.corruptedHeader("the header is not valid JSON"))
        }
        guard let header = object as? [String: Any] else {
            throw CheckpointError(.corruptedHeader("the header is not a JSON object"))
        }

        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let fields = value as? [String: Any] else {
                    throw CheckpointError(.corruptedHeader("__metadata__ is not an object"))
                }
                for (key, field) in fields {
                    guard let string = field as? String else {
                        throw CheckpointError(.corruptedHeader("__metadata__ value for '\(key)' is not a string"))
                    }
                    metadata[key] = string
                }
                continue
            }
            guard let description = value as? [String: Any] else {
                throw CheckpointError(.corruptedHeader("the entry for tensor '\(name)' is not an object"))
            }
            guard let dtype = description["dtype"] as? String else {
                throw CheckpointError(.corruptedHeader("tensor '\(name)' has no dtype string"))
            }
            guard dtype == "F32" else { throw CheckpointError(.unsupportedDataType(tensor: name, dtype)) }
            guard let shape = integers(description["shape"]) else {
                throw CheckpointError(.corruptedHeader("tensor '\(name)' has no shape of non-negative integers"))
            }
            guard let offsets = integers(description["data_offsets"]), offsets.count == 2 else {
                throw CheckpointError(.corruptedHeader("tensor '\(name)' has no data_offsets pair of non-negative integers"))
            }
            entries.append(Entry(name: name, shape: shape, begin: offsets[0], end: offsets[1]))
        }

        // Offsets must tile the data exactly: in order, without gaps or overlaps, 4 bytes per element.
        let dataStart = 8 + headerLength
        let dataLength = bytes.count - dataStart
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var expectedBegin = 0
        for entry in entries {
            guard entry.begin <= entry.end else {
                throw CheckpointError(.invalidOffsets(tensor: entry.name, "begin \(entry.begin) is after end \(entry.end)"))
            }
            guard entry.begin >= expectedBegin else {
                throw CheckpointError(.invalidOffsets(tensor: entry.name, "bytes \(entry.begin)..<\(entry.end) overlap the previous tensor, which ends at \(expectedBegin)"))
            }
            guard entry.begin == expectedBegin else {
                throw CheckpointError(.invalidOffsets(tensor: entry.name, "bytes \(expectedBegin)..<\(entry.begin) before it belong to no tensor"))
            }
            guard let byteCount = byteCount(of: entry.shape), byteCount == entry.end - entry.begin else {
                throw CheckpointError(.invalidOffsets(tensor: entry.name, "shape \(entry.shape) needs \(byteCount(of: entry.shape).map(String.init) ?? "too many") bytes but the offsets span \(entry.end - entry.begin)"))
            }
            guard entry.end <= dataLength else {
                throw CheckpointError(.truncated("tensor '\(entry.name)' ends at data byte \(entry.end) but the file holds only \(dataLength) bytes of data"))
            }
            expectedBegin = entry.end
        }
        guard expectedBegin == dataLength else {
            throw CheckpointError(.corruptedHeader("the file holds \(dataLength) bytes of data but the header accounts for \(expectedBegin)"))
        }

        var tensors: [String: Tensor] = [:]
        for entry in entries {
            let count = (entry.end - entry.begin) / 4
            let storage = TensorStorage(count: count)
            let source = bytes.baseAddress!.advanced(by: dataStart + entry.begin)
            #if _endian(little)
            UnsafeMutableRawPointer(storage.pointer).copyMemory(from: source, byteCount: count * 4)
            #else
            for i in 0..<count {
                let bits = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                storage.pointer[i] = Float(bitPattern: bits)
            }
            #endif
            tensors[entry.name] = Tensor(shape: entry.shape, storage: storage)
        }
        return (tensors, metadata)
    }

    /// The non-negative integers of a JSON array, or `nil` when it is not one.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var result: [Int] = []
        for element in array {
            // Sizes and offsets of any real file are far below 2⁵³, where Double holds integers exactly.
            guard let number = element as? NSNumber else { return nil }
            let value = number.doubleValue
            guard value >= 0, value < 0x1p53, value.rounded() == value else { return nil }
            result.append(Int(value))
        }
        return result
    }

    /// `4 × elements` for `shape`, or `nil` on overflow.
    private static func byteCount(of shape: [Int]) -> Int? {
        var count = 4
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            if overflow { return nil }
            count = product
        }
        return count
    }

    /// `string` as a JSON string literal, escaped as the reference writer (serde_json) does.
    private static func jsonString(_ string: String) -> String {
        var result = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
