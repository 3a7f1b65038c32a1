import Seq
import Testing
import Translate

@Suite("Benchmark models")
struct BenchmarkTests {
    @Test("each configuration has the peer's parameter count, less the biases Parley folds")
    func parameterCounts() throws {
        // One of the two recurrent biases per cell (b_ih + b_hh is one vector here): the rnn's
        // encoder and decoder (256 each); the bahdanau encoder's two directions (1024 each), its
        // decoder (2048), and the additive attention's query bias (256).
        let folded: [BenchmarkModel: Int] = [.rnn: 2 * 256, .bahdanau: 2 * 1024 + 2048 + 256, .transformer: 0]
        for kind in BenchmarkModel.allCases {
            let model = try ModelBenchmark(model: kind).makeModel()
            #expect(model.parameterCount == kind.peerParameterCount - folded[kind]!, "\(kind)")
        }
    }

    @Test("the step floor reads exactly the weight matrices a batch-1 decoder step multiplies")
    func stepWeights() throws {
        // Transformer: per decoder layer Q, K, V, O (self), Q, O (cross: its keys and values are
        // computed once per sentence), the feed-forward pair; then the tied output (8000 × 256).
        // Bahdanau: the decoder LSTM (2048 × 768 and 2048 × 512), the attention's query map
        // (256 × 512) and score vector (1 × 256), the output (8000 × 1024).
        // RNN: the decoder cell (2 × 256 × 256) and the output (8000 × 256).
        let expected: [BenchmarkModel: (matrices: Int, floats: Int)] = [
            .transformer: (3 * 8 + 1, 3 * (6 * 256 * 256 + 2 * 1024 * 256) + 8000 * 256),
            .bahdanau: (5, 2048 * 1280 + 256 * 512 + 256 + 8000 * 1024),
            .rnn: (3, 2 * 256 * 256 + 8000 * 256),
        ]
        for kind in BenchmarkModel.allCases {
            let weights = ModelBenchmark.stepWeights(try ModelBenchmark(model: kind).makeModel())
            #expect(weights.count == expected[kind]!.matrices, "\(kind)")
            #expect(weights.reduce(0) { $0 + $1.count } == expected[kind]!.floats, "\(kind)")
            #expect(weights.allSatisfy { $0.rank == 2 })
        }
    }

    @Test("the floor times the passes it is asked for")
    func floorPasses() throws {
        let bench = ModelBenchmark(model: .rnn, decodeSeconds: 0)
        guard let floor = bench.measureStepFloor(model: try bench.makeModel(), minimumPasses: 7) else {
            #expect(GEMM.kernelForm == .portable, "only the portable form has no floor")
            return
        }
        #expect(floor.passSeconds.count == 7 && floor.passSeconds.allSatisfy { $0 > 0 })
        #expect(floor.bytes == (2 * 256 * 256 + 8000 * 256) * 4)
        #expect(floor.rows == 1 && floor.ceiling > 0 && floor.gigabytesPerSecond > 0)
        let beam = try #require(bench.measureStepFloor(model: try bench.makeModel(), beam: 5, minimumPasses: 3))
        #expect(beam.rows == 5 && beam.passSeconds.count == 3 && beam.bytes == floor.bytes)
    }
}
