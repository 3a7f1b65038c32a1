import Foundation
import Seq
import Testing
import Translate

@Suite("Hard alignment")
struct HardAlignmentTests {
    @Test("argmax per target piece, no link for the </s> row, Pharaoh source-target pairs")
    func argmaxLinks() {
        // 3 target pieces + </s> over 3 source pieces.
        let weights: [Float] = [
            0.1, 0.2, 0.7,
            0.6, 0.3, 0.1,
            0.4, 0.4, 0.2,  // a tie: the first source piece wins
            0.0, 0.0, 1.0,  // </s>
        ]
        let view = AttentionView(kind: .cross, layer: 0, layerCount: 1, head: .mean, headCount: 1,
                                 rowLabels: ["x", "y", "z", "</s>"], columnLabels: ["a", "b", "c"], weights: weights)
        let alignment = HardAlignment(view, targetLength: 3)
        #expect(alignment.links == [
            HardAlignment.Link(source: 2, target: 0, weight: 0.7),
            HardAlignment.Link(source: 0, target: 1, weight: 0.6),
            HardAlignment.Link(source: 0, target: 2, weight: 0.4),
        ])
        #expect(alignment.pharaoh == "2-0 0-1 0-2")
    }

    @Test("word links merge subword pieces ending in @@")
    func wordLinks() {
        #expect(HardAlignment.wordIndices(["un@@", "believ@@", "able", "story", "."]) == [0, 0, 0, 1, 2])
        let weights: [Float] = [
            1, 0, 0,
            0, 1, 0,
            0, 0, 1,
        ]
        let view = AttentionView(kind: .cross, layer: 0, layerCount: 1, head: .index(0), headCount: 1,
                                 rowLabels: ["in@@", "croy@@", "able"], columnLabels: ["un@@", "believ@@", "able"], weights: weights)
        let alignment = HardAlignment(view, targetLength: 3)
        #expect(alignment.pharaoh == "0-0 1-1 2-2")
        #expect(alignment.wordPharaoh(sourcePieces: view.columnLabels, targetPieces: view.rowLabels) == "0-0")
    }

    @Test("from a translation: the argmax of the chosen cross-attention view, one link per target piece")
    func fromTranslation() throws {
        let translator = try Translator(modelDirectory: TrainedModel.directory(kind: .transformer))
        let translation = translator.translate("b q n s g c")
        let inspection = try AttentionInspection(translation)
        for (layer, head) in [(0, AttentionHead.index(0)), (1, .mean)] {
            let alignment = try HardAlignment(inspection, layer: layer, head: head)
            let view = try inspection.view(.cross, layer: layer, head: head)
            #expect(alignment.links.count == translation.pieces.count)
            for link in alignment.links {
                #expect(view.row(link.target).max() == link.weight)
                #expect(view[link.target, link.source] == link.weight)
            }
        }
    }
}
