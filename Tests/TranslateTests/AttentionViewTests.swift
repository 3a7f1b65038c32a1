import Foundation
import Seq
import TestSupport
import Testing
import Text
import Translate

/// Sentences of the reversal task, of different lengths (batched together they need padding).
let reversalSentences = ["a b c", "r n c m a t", "l d a d", "b q n s g c e", "i"]

/// The attention of the teacher-forced pass over `translation`'s own output: `<s>` and the
/// tokens as decoder inputs, the source alone in its batch (no padding).
func teacherForcedAttention(_ translator: Translator, _ translation: Translation) -> AttentionMaps {
    let source = translator.sourceTokenizer.encode(translation.source)
    let targets = translation.tokens + (translation.isFinished ? [Vocabulary.endID] : [])
    let input = [Vocabulary.startID] + targets.dropLast()
    return withoutGradients {
        translator.model.forward(source: TokenBatch([source], paddingID: Vocabulary.paddingID),
                                 targetInput: TokenBatch([Array(input)], paddingID: Vocabulary.paddingID)).attention
    }
}

@Suite("Attention views", .serialized)
struct AttentionViewTests {
    @Test("Translator's attention equals the teacher-forced forward pass (≤ 1e-5); rows sum to 1",
          arguments: [ModelKind.transformer, .bahdanau], [1, 5])
    func translatorAttentionMatchesTeacherForcing(kind: ModelKind, beam: Int) throws {
        let translator = try Translator(modelDirectory: TrainedModel.directory(kind: kind))
        var options = translator.defaultOptions
        options.beamWidth = beam
        options.recordsAttention = true
        // Batched together, so the search pads the shorter sources: the recorded attention must not show it.
        let translations = translator.translate(reversalSentences, options: options)
        for translation in translations {
            let inspection = try AttentionInspection(translation, modelName: kind.rawValue)
            let forced = teacherForcedAttention(translator, translation)
            let steps = translation.tokens.count + (translation.isFinished ? 1 : 0)
            let sourceLength = translation.sourcePieces.count
            #expect(inspection.attention.cross.count == forced.cross.count && !forced.cross.isEmpty)
            for (mine, theirs) in zip(inspection.attention.cross, forced.cross) {
                #expect(mine.shape == Array(theirs.shape.dropFirst()))
                #expect(mine.shape[1] == steps && mine.shape[2] == sourceLength)
                #expect(maximumDifference(mine.scalars, theirs.scalars) <= 1e-5, "\(kind) beam \(beam) \(translation.source)")
            }
            if kind == .transformer {
                #expect(inspection.attention.decoderSelf.count == 2 && inspection.attention.encoderSelf.count == 2)
                for (mine, theirs) in zip(inspection.attention.decoderSelf, forced.decoderSelf) {
                    #expect(mine.shape == [4, steps, steps])
                    #expect(maximumDifference(mine.scalars, theirs.scalars) <= 1e-5)
                }
                for (mine, theirs) in zip(inspection.attention.encoderSelf, forced.encoderSelf) {
                    #expect(mine.shape == [4, sourceLength, sourceLength])
                    #expect(maximumDifference(mine.scalars, theirs.scalars) <= 1e-5)
                }
            } else {
                #expect(inspection.availableKinds == [.cross])
                #expect(inspection.heads(of: .cross) == 1)
            }
            // Every row of every view (each head and the mean) is a distribution.
            for attentionKind in inspection.availableKinds {
                for view in try inspection.allViews(attentionKind) {
                    for row in 0..<view.rows {
                        let sum = view.row(row).reduce(0, +)
                        #expect(abs(sum - 1) <= 1e-5, "\(view.title) row \(row) sums to \(sum)")
                    }
                }
            }
        }
    }

    @Test("labels: target pieces then </s> as rows, source pieces as columns, <s> first for decoder self-attention")
    func labels() throws {
        let translator = try Translator(modelDirectory: TrainedModel.directory(kind: .transformer))
        let translation = translator.translate("a b c d")
        #expect(translation.isFinished, "the fixture model should finish short reversals")
        let inspection = try AttentionInspection(translation)
        let cross = try inspection.view(.cross, layer: 0, head: .index(1))
        #expect(cross.rowLabels == translation.pieces + ["</s>"])
        #expect(cross.columnLabels == ["a", "b", "c", "d"])
        #expect(cross.rowLabels.last == AttentionInspection.endOfSentence)
        let decoderSelf = try inspection.view(.decoderSelf)
        #expect(decoderSelf.columnLabels == ["<s>"] + translation.pieces)
        #expect(decoderSelf.rows == decoderSelf.columns)
        // Causal: nothing beyond the step's own input; those cells are masked and hold 0.
        for r in 0..<decoderSelf.rows {
            for c in 0..<decoderSelf.columns {
                #expect(decoderSelf.isMasked(row: r, column: c) == (c > r))
                if c > r { #expect(decoderSelf[r, c] == 0) }
            }
        }
        let encoderSelf = try inspection.view(.encoderSelf, layer: 1, head: .index(3))
        #expect(encoderSelf.rowLabels == ["a", "b", "c", "d"] && encoderSelf.columnLabels == encoderSelf.rowLabels)
        #expect(encoderSelf.title == "encoder self-attention · layer 1 (of 2) · head 3 (of 4)")
    }

    @Test("a hypothesis cut at the length limit has no </s> row")
    func unfinishedHypothesis() throws {
        let translator = try Translator(modelDirectory: TrainedModel.directory(kind: .transformer))
        var options = translator.defaultOptions
        options.maximumLengthRatio = 0
        options.maximumLengthOffset = 2  // a 4-piece reversal needs 5 steps
        options.beamWidth = 1
        let translation = translator.translate("a b c d", options: options)
        #expect(!translation.isFinished && translation.tokens.count == 2)
        let view = try AttentionInspection(translation).view(.cross)
        #expect(view.rowLabels == translation.pieces)
        #expect(!view.rowLabels.contains("</s>"))
    }

    @Test("the mean over heads is the element-wise mean; views pick the right head and layer")
    func meanAndSelection() throws {
        let translator = try Translator(modelDirectory: TrainedModel.directory(kind: .transformer))
        let inspection = try AttentionInspection(translator.translate("c a b"))
        for layer in 0..<2 {
            let tensor = inspection.attention.cross[layer]  // [heads, steps, source]
            let size = tensor.shape[1] * tensor.shape[2]
            let heads = try (0..<4).map { try inspection.view(.cross, layer: layer, head: .index($0)) }
            for h in 0..<4 { #expect(heads[h].weights == Array(tensor.scalars[(h * size)..<((h + 1) * size)])) }
            let mean = try inspection.view(.cross, layer: layer, head: .mean)
            for k in 0..<size {
                let expected = heads.map { $0.weights[k] }.reduce(0, +) / 4
                #expect(abs(mean.weights[k] - expected) <= 1e-7)
            }
        }
        #expect(try inspection.view(.cross).layer == 1, "the default layer is the last")
    }

    @Test("out-of-range layers and heads, missing kinds and unrecorded attention are errors with a message")
    func errors() throws {
        let translator = try Translator(modelDirectory: TrainedModel.directory(kind: .bahdanau))
        let translation = translator.translate("a b")
        let inspection = try AttentionInspection(translation, modelName: "bahdanau")
        #expect(throws: InspectionError.layerOutOfRange(.cross, layer: 1, layers: 1)) { try inspection.view(.cross, layer: 1) }
        #expect(throws: InspectionError.headOutOfRange(head: 2, heads: 1)) { try inspection.view(.cross, head: .index(2)) }
        #expect(throws: InspectionError.unavailable(.decoderSelf, model: "bahdanau")) { try inspection.view(.decoderSelf) }
        #expect(InspectionError.unavailable(.decoderSelf, model: "bahdanau").localizedDescription.contains("cross-attention only"))

        var unrecorded = translation
        unrecorded.attention = nil
        #expect(throws: InspectionError.notRecorded) { try AttentionInspection(unrecorded) }
        // rnn and lstm models record empty attention lists: said plainly, not a crash.
        unrecorded.attention = HypothesisAttention()
        #expect(throws: InspectionError.unavailable(.cross, model: "lstm")) { try AttentionInspection(unrecorded, modelName: "lstm") }
        #expect(InspectionError.unavailable(.cross, model: "lstm").localizedDescription.contains("has no attention"))
    }

    @Test("an empty source gives views without columns")
    func emptySource() throws {
        let translator = try Translator(modelDirectory: TrainedModel.directory(kind: .transformer))
        let translation = translator.translate("")
        let view = try AttentionInspection(translation).view(.cross)
        #expect(view.columns == 0 && view.weights.isEmpty)
        #expect(Heatmap().render(view).contains("no source pieces"))
        #expect(HardAlignment(view, targetLength: translation.tokens.count).links.isEmpty)
    }
}
