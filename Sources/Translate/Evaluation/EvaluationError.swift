import Foundation

/// Hypothesis and reference files that cannot be scored.
public enum EvaluationError: Error, LocalizedError, Equatable {
    /// A file does not exist; `role` is `hypotheses` or `references`.
    case missingFile(role: String, path: String)
    /// A file exists but cannot be read.
    case unreadableFile(role: String, path: String, reason: String)
    /// The files do not have one hypothesis per reference.
    case lineCountMismatch(hypotheses: String, hypothesisLines: Int, references: String, referenceLines: Int)

    public var errorDescription: String? {
        switch self {
        case let .missingFile(role, path):
            return "\(role) file not found: \(path)"
        case let .unreadableFile(role, path, reason):
            return "cannot read \(role) file \(path): \(reason)"
        case let .lineCountMismatch(hypotheses, hypothesisLines, references, referenceLines):
            return "line counts differ: hypotheses \(hypotheses) has \(hypothesisLines) lines, "
                + "references \(references) has \(referenceLines) lines"
        }
    }
}
