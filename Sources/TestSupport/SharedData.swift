import Foundation

/// Where the project's shared corpora live (`../shared` beside the repository), if present.
///
/// Tests that need them skip with a message when this is `nil`.
public let sharedDirectory: URL? = {
    // This file is Sources/TestSupport/SharedData.swift; the repository root is three levels up.
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let shared = root.deletingLastPathComponent().appendingPathComponent("shared")
    return FileManager.default.fileExists(atPath: shared.path) ? shared : nil
}()

/// The repository's root directory.
public let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
