import Foundation
import Testing
import Translate

@Suite("Parallel corpus loading")
struct CorpusLoadingTests {
    let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("parley-corpus-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    func write(_ name: String, _ text: String) -> URL {
        let url = folder.appendingPathComponent(name)
        try? Data(text.utf8).write(to: url)
        return url
    }

    @Test("two aligned files are read line by line, empty lines kept")
    func aligned() throws {
        let corpus = try ParallelCorpus(source: write("a.en", "Hello.\n\nBye.\n"), target: write("a.fr", "Bonjour.\n\nSalut.\n"))
        #expect(corpus.sources == ["Hello.", "", "Bye."])
        #expect(corpus.targets == ["Bonjour.", "", "Salut."])
    }

    @Test("mismatched line counts name both files and both counts")
    func mismatched() {
        let source = write("b.en", "one\ntwo\nthree\n"), target = write("b.fr", "un\ndeux\n")
        #expect {
            try ParallelCorpus(source: source, target: target)
        } throws: { error in
            let message = (error as? CorpusError)?.errorDescription ?? ""
            return message.contains("b.en") && message.contains("b.fr") && message.contains("3") && message.contains("2")
        }
    }

    @Test("a TSV line without a tab names its line")
    func tsvWithoutTab() {
        let file = write("c.tsv", "Hi.\tSalut.\nno tab here\n")
        #expect {
            try ParallelCorpus(tsv: file)
        } throws: { error in
            let corpusError = error as? CorpusError
            return corpusError?.line == 2 && (corpusError?.errorDescription ?? "").contains("c.tsv:2")
        }
    }

    @Test("invalid UTF-8 becomes U+FFFD and is reported with file and line")
    func invalidUTF8() throws {
        let url = folder.appendingPathComponent("d.tsv")
        try Data([0x48, 0x69, 0x09, 0x53, 0x61, 0x6C, 0x75, 0x74, 0x0A, 0x42, 0xFF, 0x09, 0x58, 0x0A]).write(to: url)
        let corpus = try ParallelCorpus(tsv: url)
        #expect(corpus.sources == ["Hi", "B\u{FFFD}"])
        #expect(corpus.invalidLines == ["\(url.path):2"])
    }

    @Test("a missing file is named")
    func missing() {
        #expect {
            try ParallelCorpus(tsv: folder.appendingPathComponent("nothing.tsv"))
        } throws: { error in
            ((error as? CorpusError)?.errorDescription ?? "").contains("nothing.tsv")
        }
    }
}
