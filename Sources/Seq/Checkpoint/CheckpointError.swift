import Foundation

/// A checkpoint that cannot be written, read, or loaded into a model or optimiser.
///
/// The message names the file (when known) and what is wrong with it, e.g.
/// `checkpoint /runs/de-en/best.safetensors: tensor 'decoder.output.weight' has shape [8000, 512]
/// in the file but [9000, 512] in the model`.
public struct CheckpointError: LocalizedError, Equatable {
    /// What is wrong.
    public enum Reason: Equatable, Sendable {
        /// No file at the path.
        case fileNotFound
        /// The file exists but could not be read (permissions, I/O error).
        case unreadable(String)
        /// The file ends before the data its header describes.
        case truncated(String)
        /// The header is not the JSON object the format requires.
        case corruptedHeader(String)
        /// A tensor's byte range is out of order, overlapping, outside the data or the wrong size.
        case invalidOffsets(tensor: String, String)
        /// A tensor is stored with an element type other than F32.
        case unsupportedDataType(tensor: String, String)
        /// A tensor the model or optimiser needs is not in the file.
        case missingTensor(String)
        /// The file holds a model tensor that the model does not have.
        case unexpectedTensor(String)
        /// A tensor's shape differs from the model's.
        case shapeMismatch(String, expected: [Int], found: [Int])
        /// A metadata entry is missing or malformed.
        case invalidMetadata(key: String, String)
        /// Writing the file failed.
        case writeFailed(String)
    }

    /// What is wrong.
    public var reason: Reason
    /// The checkpoint file, when known.
    public var file: URL?

    /// An error for `reason` in `file`.
    public init(_ reason: Reason, file: URL? = nil) {
        self.reason = reason
        self.file = file
    }

    public var errorDescription: String? {
        let place = file.map { "checkpoint \($0.path)" } ?? "checkpoint"
        return "\(place): \(problem)"
    }

    private var problem: String {
        switch reason {
        case .fileNotFound: "file not found"
        case .unreadable(let detail): "cannot read the file (\(detail))"
        case .truncated(let detail): "file is truncated: \(detail)"
        case .corruptedHeader(let detail): "corrupted header: \(detail)"
        case .invalidOffsets(let tensor, let detail): "invalid data offsets for tensor '\(tensor)': \(detail)"
        case .unsupportedDataType(let tensor, let dtype): "tensor '\(tensor)' has dtype \(dtype); only F32 is supported"
        case .missingTensor(let name): "missing tensor '\(name)'"
        case .unexpectedTensor(let name): "unexpected tensor '\(name)', which the model does not have"
        case .shapeMismatch(let name, let expected, let found):
            "tensor '\(name)' has shape \(found) in the file but \(expected) in the model"
        case .invalidMetadata(let key, let detail): "metadata '\(key)': \(detail)"
        case .writeFailed(let detail): "cannot write the file (\(detail))"
        }
    }
}
