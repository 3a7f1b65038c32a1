import Foundation

/// Paths to the committed fixtures and to the optional `../shared` corpora.
enum Fixtures {
    /// `Tests/TextTests/Fixtures` as copied into the test bundle.
    static var directory: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    }

    /// A fixture file's URL.
    static func url(_ path: String) -> URL {
        directory.appendingPathComponent(path)
    }

    /// A fixture file's bytes as a string.
    static func text(_ path: String) throws -> String {
        String(decoding: try Data(contentsOf: url(path)), as: UTF8.self)
    }

    /// The package root, found from this file's path (never copied into the bundle).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `../shared` next to the package, if present.
    static var shared: URL? {
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
        return FileManager.default.fileExists(atPath: url.appendingPathComponent("corpora").path) ? url : nil
    }

    static var sharedIsAbsent: Bool { shared == nil }

    /// A scratch directory removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("parley-text-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
