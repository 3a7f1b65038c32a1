import Foundation

/// A parallel corpus cut into train, dev and test splits of line-aligned (source, target) pairs.
public struct CorpusSplits: Sendable {
    public var train: [(source: String, target: String)]
    public var dev: [(source: String, target: String)]
    public var test: [(source: String, target: String)]

    public init(train: [(source: String, target: String)], dev: [(source: String, target: String)],
                test: [(source: String, target: String)]) {
        self.train = train
        self.dev = dev
        self.test = test
    }

    /// The splits by name, in the order they are written.
    public var named: [(name: String, pairs: [(source: String, target: String)])] {
        [("train", train), ("dev", dev), ("test", test)]
    }

    /// The file contents for each split and side, keyed `train.en`, `train.fr`, …: one sentence a
    /// line, each line ending in `\n`.
    public func files(sourceExtension: String, targetExtension: String) -> [(name: String, text: String)] {
        var result: [(name: String, text: String)] = []
        for (name, pairs) in named {
            var source = "", target = ""
            for pair in pairs {
                source += pair.source
                source += "\n"
                target += pair.target
                target += "\n"
            }
            result.append((name: name + "." + sourceExtension, text: source))
            result.append((name: name + "." + targetExtension, text: target))
        }
        return result
    }

    /// Writes `train.<source>`, `train.<target>`, `dev.…`, `test.…` into `directory` (created if
    /// needed), as UTF-8.
    public func write(to directory: URL, sourceExtension: String, targetExtension: String) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for file in files(sourceExtension: sourceExtension, targetExtension: targetExtension) {
            try Data(file.text.utf8).write(to: directory.appendingPathComponent(file.name), options: .atomic)
        }
    }
}
