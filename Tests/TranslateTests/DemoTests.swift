import Foundation
import TestSupport
import Testing
import Translate

@Suite("The demo")
struct DemoTests {
    @Test("a shortened demo run trains, scores the test split and writes its attention report; a second run reuses the model")
    func shortenedDemo() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("parley-demo-\(UUID().uuidString)")
        let corpus = try Demo.locateCorpus(fallback: directory.appendingPathComponent("corpus"))
        #expect(corpus.path.hasSuffix("corpora/phrasebook"))
        var settings = Demo.Settings(directory: directory, corpus: corpus)
        settings.steps = 30
        let (first, translator) = try Demo.run(settings)
        #expect(first.trained)
        #expect(first.testSentences == 1000)
        #expect(first.bleu >= 0 && first.bleu <= 100 && first.chrF >= 0 && first.chrF <= 100)
        #expect(Demo.hasTrainedModel(in: directory))

        let (examples, report) = try Demo.attentionReport(translator, heatmap: Heatmap(palette: .ascii))
        #expect(examples.count == Demo.examples.count)
        #expect(examples.allSatisfy { $0.heatmap?.contains("cross-attention") == true })
        let page = try String(contentsOf: try #require(report), encoding: .utf8)
        #expect(page.contains("attention/example-1.html"))
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("attention/example-4.html").path))

        let (second, _) = try Demo.run(settings)
        #expect(!second.trained)
        #expect(abs(second.bleu - first.bleu) < 1e-9)
    }
}
