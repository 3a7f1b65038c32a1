import Foundation
import Testing
import Translate

@Suite("Experiment configuration")
struct ConfigurationTests {
    @Test("missing keys take their defaults; given keys are read")
    func defaults() throws {
        let configuration = try ExperimentConfiguration.parse(yaml: """
            data:
              trainTSV: pairs.tsv
            model:
              kind: transformer
              heads: 8
            training:
              schedule: {kind: noam, scale: 2, modelSize: 256, warmupSteps: 4000}
            """)
        #expect(configuration.data.trainTSV == "pairs.tsv")
        #expect(configuration.model.kind == .transformer)
        #expect(configuration.model.heads == 8)
        #expect(configuration.model.embeddingSize == 256)
        #expect(configuration.training.batchTokens == TrainingConfiguration().batchTokens)
        #expect(configuration.training.schedule == .noam(scale: 2, modelSize: 256, warmupSteps: 4000))
    }

    @Test("an unknown key is rejected with its key path")
    func unknownKey() {
        #expect {
            try ExperimentConfiguration.parse(yaml: "training:\n  batchToken: 100\n", file: "x.yaml")
        } throws: { error in
            let message = (error as? ConfigurationError)?.errorDescription ?? ""
            return message.contains("x.yaml") && message.contains("training.batchToken")
        }
        #expect(throws: ConfigurationError.self) { try ExperimentConfiguration.parse(yaml: "modle:\n  kind: rnn\n") }
    }

    @Test("a wrong type is rejected with its key path")
    func wrongType() {
        #expect {
            try ExperimentConfiguration.parse(yaml: "training:\n  batchTokens: lots\n")
        } throws: { error in
            ((error as? ConfigurationError)?.errorDescription ?? "").contains("training.batchTokens")
        }
        #expect {
            try ExperimentConfiguration.parse(yaml: "model:\n  kind: lstmm\n")
        } throws: { error in
            ((error as? ConfigurationError)?.errorDescription ?? "").contains("model.kind")
        }
    }

    @Test("command-line overrides win over the file")
    func overrides() throws {
        let configuration = try ExperimentConfiguration.parse(
            yaml: "training:\n  batchTokens: 100\n", overrides: ["training.batchTokens=4096", "model.kind=rnn", "decoding.lengthPenalty=1.0"])
        #expect(configuration.training.batchTokens == 4096)
        #expect(configuration.model.kind == .rnn)
        #expect(configuration.decoding.lengthPenalty == 1)
        #expect(throws: ConfigurationError.self) { try ExperimentConfiguration.parse(yaml: "", overrides: ["training.nope=1"]) }
    }

    @Test("the resolved configuration round-trips through YAML")
    func roundTrip() throws {
        var configuration = ExperimentConfiguration()
        configuration.model.kind = .lstm
        configuration.data.trainSource = "a.en"
        configuration.training.schedule = .inverseSquareRoot(peak: 0.001, warmupSteps: 100)
        let again = try ExperimentConfiguration.parse(yaml: try configuration.yaml())
        #expect(again == configuration)
    }

    @Test("every example configuration in configs/ loads")
    func examples() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("configs")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
        #expect(!files.isEmpty)
        for file in files {
            _ = try ExperimentConfiguration.load(from: folder.appendingPathComponent(file))
        }
    }
}
