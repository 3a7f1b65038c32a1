import CKernels
import Foundation

/// A decoding step of up to eight rows (one sentence greedily, or a beam of hypotheses) as one
/// job of the worker team (`parley_decoder_step.c`) instead of ~150 tensor operations.
///
/// At batch 1 the weights of a step (19 MB for the benchmark model) stream from L3 in about
/// 130 µs on two cores, but through tensor operations a step took twice that: each of ~40 products
/// was a job of its own, with the second thread idle during everything between them (layer
/// norms, attention, building tensors). In the fused step each thread owns half of the heads and
/// of the feed-forward units and the threads meet once per sub-layer. It computes what the
/// general path computes — the output projections as two partial sums, so its logits match to
/// rounding (`TransformerFusedStepTests`), and the same bits whether the step runs on the team or
/// alone — and reads and writes the same `DecoderState` tensors, so beam search's reordering and
/// the attention maps work unchanged. Training, dropout and larger batches take the general path.
extension Transformer {
    /// Whether `decodeStep` fuses steps of up to `fusedStepRows` rows; off, every step goes
    /// through tensor operations — for comparing the two. Set for a task
    /// (`$fusesDecodingSteps.withValue`), so that one comparison does not change the sums of
    /// others. The step runs on the kernel form in use (`GEMM.kernelForm`): AVX-512 or AVX2; with
    /// the portable form, steps are not fused whatever this says.
    @TaskLocal public static var fusesDecodingSteps = true

    /// The batch sizes (rows: hypotheses) a fused step takes; larger batches are faster through
    /// the general path's separate products on packed weights (measured up to 15 rows).
    public static let fusedStepRows = 1...Int(PARLEY_DECODER_STEP_MAX_ROWS)

    /// `decodeStep` as one fused job, or `nil` (state untouched) when it does not apply: more
    /// rows than `fusedStepRows`, gradients recorded, dropout on, neither the AVX-512 kernels nor
    /// their AVX2 form in use.
    public func fusedDecodeStep(_ tokens: [Int], state: inout DecoderState) -> (logits: Tensor, attention: AttentionMaps)? {
        let c = configuration, rows = tokens.count
        let form = GEMM.kernelForm, avx512 = form == .avx512
        guard Self.fusesDecodingSteps, form != .portable, Self.fusedStepRows.contains(rows),
              !Autograd.isRecording, !decoderDropsOut,
              let sourceMask = state.sourceTensors["sourceMask"], state.sources.count == rows else { return nil }
        let d = c.embeddingSize, heads = c.heads, headSize = d / heads, step = state.step
        let sourceLength = sourceMask.shape.last ?? 0
        guard let epsilon = decoderNormEpsilon else { return nil }
        for token in tokens {
            precondition((0..<c.targetVocabularySize).contains(token), "token id \(token) outside the target vocabulary")
        }

        // Everything the C step reads or writes this step, kept alive until it returns (the
        // weights are the model's, and `weights` is remade before any of them is replaced).
        var keep: [Tensor] = []
        keep.reserveCapacity(6 * c.decoderLayers + 3)
        func pointer(_ tensor: Tensor) -> UnsafeMutablePointer<Float> {
            keep.append(tensor)
            return tensor.storage.pointer
        }
        guard let weights = fusedStepWeights(headSize: headSize) else { return nil }

        // The step writes its position into the caches in place: taken out of the state, each
        // with room for it and its buffers its own (`KeyValueCache.reserve`), and put back
        // whether or not the step runs. Each is let go of in `taken` before `reserve`: a second
        // reference to its buffers would make `reserve` copy them, the whole cache at every step
        // (a beam of five: 0.7 MB a step).
        var taken = takeCaches(from: &state)
        var caches: [KeyValueCache] = []
        caches.reserveCapacity(taken.count)
        for i in taken.indices {
            var cache = taken[i] ?? KeyValueCache(batch: rows, heads: heads, headSize: headSize)
            taken[i] = nil
            precondition(cache.keys.shape[0] == rows && cache.keys.shape[1] == heads && cache.keys.shape[3] == headSize,
                         "cache \(cache.keys.shape) for \(rows) rows of \(heads) heads of \(headSize)")
            cache.reserve(step + 1)
            caches.append(cache)
        }
        let capacity = caches.map(\.capacity).min() ?? step + 1
        defer { put(caches, into: &state) }

        var selfWeights: [Tensor] = [], crossWeights: [Tensor] = []
        var layers = weights.layers
        for (i, (names, cache)) in zip(stateNames, caches).enumerated() {
            let crossKeys = state.sourceTensors[names.crossKeys]!, crossValues = state.sourceTensors[names.crossValues]!
            precondition(cache.capacity == capacity, "caches of \(cache.capacity) and \(capacity) positions")
            selfWeights.append(Tensor(uninitialized: [rows, heads, 1, step + 1]))
            crossWeights.append(Tensor(uninitialized: [rows, heads, 1, sourceLength]))
            layers[i].keys = pointer(cache.keys)
            layers[i].values = pointer(cache.values)
            layers[i].cross_keys = UnsafePointer(pointer(crossKeys))
            layers[i].cross_values = UnsafePointer(pointer(crossValues))
            layers[i].self_weights = pointer(selfWeights[i])
            layers[i].cross_weights = pointer(crossWeights[i])
        }
        let logits = Tensor(uninitialized: [rows, c.targetVocabularySize])
        let position = decoder.positions(step..<(step + 1))
        let tokenIDs = tokens.map { Int32($0) }, sources = state.sources.map { Int32($0) }
        let status = tokenIDs.withUnsafeBufferPointer { tokenIDs in
            sources.withUnsafeBufferPointer { sources in
                layers.withUnsafeBufferPointer { layers in
                    var description = parley_decoder_step_t(
                        rows: Int32(rows), model_size: Int32(d), heads: Int32(heads), inner_size: Int32(c.feedForwardSize),
                        vocabulary: Int32(c.targetVocabularySize), layer_count: Int32(layers.count),
                        step: Int32(step), cache_capacity: Int32(capacity), source_length: Int32(sourceLength),
                        pre_norm: c.normalization == .pre ? 1 : 0, gelu: c.activation == .gelu ? 1 : 0,
                        norm_epsilon: epsilon, tokens: tokenIDs.baseAddress,
                        embedding: weights.embedding, embedding_scale: embeddingScale,
                        position: UnsafePointer(pointer(position)), sources: sources.baseAddress,
                        source_mask: UnsafePointer(pointer(sourceMask)), layers: layers.baseAddress,
                        final_norm_gain: weights.finalNormGain, final_norm_bias: weights.finalNormBias,
                        output: weights.output,
                        logits: pointer(logits))
                    return avx512 ? parley_decoder_step(&description) : parley_decoder_step_avx2(&description)
                }
            }
        }
        withExtendedLifetime(keep) {}
        guard status == 0 else { return nil }
        for i in caches.indices { caches[i].advance() }
        state.step += 1
        return (logits, AttentionMaps(cross: crossWeights, decoderSelf: selfWeights))
    }

    /// Whether any dropout of the decoder is on (training mode): the fused step has none.
    private var decoderDropsOut: Bool {
        decoder.embeddingDropout.dropsOut || decoder.layers.contains {
            $0.residualDropout.dropsOut || $0.selfAttention.attentionDropout.dropsOut || $0.crossAttention.attentionDropout.dropsOut
        }
    }
}

/// What a fused step reads of the model's own parameters: every weight's panels and bias, the
/// layer norms, the embedding. Looked up at every step, these were ~60 tensors retained and
/// released and 25 searches for panel copies under a lock (≈ 20 µs a step on a Zen 3 core,
/// 0.4 ms of a 9 ms sentence); made once, they are kept for as long as the packed
/// copies they point into stay in place (`PackedWeights.currentEpoch`): any write to a parameter
/// or change of a copy starts a new epoch and the next step makes them again.
final class FusedStepWeights: @unchecked Sendable {
    /// Per decoder layer, with the step's own pointers (caches, attention maps) still nil.
    let layers: [parley_decoder_layer]
    let output: parley_linear
    let embedding: UnsafePointer<Float>
    let finalNormGain: UnsafePointer<Float>?, finalNormBias: UnsafePointer<Float>?

    init(layers: [parley_decoder_layer], output: parley_linear, embedding: UnsafePointer<Float>,
         finalNormGain: UnsafePointer<Float>?, finalNormBias: UnsafePointer<Float>?) {
        self.layers = layers
        self.output = output
        self.embedding = embedding
        self.finalNormGain = finalNormGain
        self.finalNormBias = finalNormBias
    }
}

/// Where a model keeps a description of its weights made in one `PackedWeights` epoch (the fused
/// step's, the fused encoder's); decoding threads may share a model.
final class EpochSlot<Kept>: @unchecked Sendable {
    private let lock = NSLock()
    private var kept: (epoch: Int, value: Kept)?

    /// The description, if it was made in `epoch`.
    func current(_ epoch: Int) -> Kept? {
        lock.lock()
        defer { lock.unlock() }
        return kept?.epoch == epoch ? kept?.value : nil
    }

    func store(_ value: Kept, epoch: Int) {
        lock.lock()
        kept = (epoch, value)
        lock.unlock()
    }
}

extension Transformer {
    /// The description of the decoder's weights for a fused step, made now if the kept one is
    /// from an earlier epoch; `nil` where some weight has no panel copy, or bfloat16 panels would
    /// be split inside a pair (an odd head size: output projections are shared out by heads over
    /// their inner dimension).
    func fusedStepWeights(headSize: Int) -> FusedStepWeights? {
        // Read before the lookups: a copy re-made while they run leaves this epoch behind, and
        // the next step makes the description again.
        let epoch = PackedWeights.currentEpoch
        if let kept = keptFusedStepWeights.current(epoch) { return kept }
        // The products read each weight from its copy in 64-column panels (`PackedWeights`): in
        // this broadcast form a weight element serves every row from a register and no sums are
        // left to reduce across lanes, and each thread's share is one contiguous run per panel.
        var complete = true
        func pointer(_ parameter: Parameter?) -> UnsafePointer<Float>? {
            parameter.map { UnsafePointer($0.value.storage.pointer) }
        }
        func linear(_ weight: Tensor, bias: Parameter?) -> parley_linear {
            let panels = PackedWeights.panels(of: weight.storage, n: weight.shape[0], k: weight.shape[1])
            if panels == nil || (panels!.format != PARLEY_PANELS_FLOAT32 && headSize % 2 != 0) { complete = false }
            return parley_linear(panels: panels?.pointer, format: panels?.format ?? 0, bias: pointer(bias))
        }
        func linear(_ map: Linear) -> parley_linear { linear(map.weight.value, bias: map.bias) }
        func projections(_ a: MultiHeadAttention) -> parley_attention_projections {
            parley_attention_projections(query: linear(a.query), key: linear(a.key), value: linear(a.value), output: linear(a.output))
        }
        let layers = decoder.layers.map { layer in
            parley_decoder_layer(
                self_attention: projections(layer.selfAttention), cross_attention: projections(layer.crossAttention),
                self_norm_gain: pointer(layer.selfAttentionNorm.weight), self_norm_bias: pointer(layer.selfAttentionNorm.bias),
                cross_norm_gain: pointer(layer.crossAttentionNorm.weight), cross_norm_bias: pointer(layer.crossAttentionNorm.bias),
                feed_forward_norm_gain: pointer(layer.feedForwardNorm.weight),
                feed_forward_norm_bias: pointer(layer.feedForwardNorm.bias),
                hidden: linear(layer.feedForward.hidden), feed_forward_output: linear(layer.feedForward.output),
                keys: nil, values: nil, cross_keys: nil, cross_values: nil, self_weights: nil, cross_weights: nil)
        }
        let output = output.map(linear) ?? linear(targetEmbedding.weight.value, bias: nil)
        guard complete, let embedding = pointer(targetEmbedding.weight) else { return nil }
        let made = FusedStepWeights(layers: layers, output: output, embedding: embedding,
                                    finalNormGain: pointer(decoder.norm?.weight), finalNormBias: pointer(decoder.norm?.bias))
        keptFusedStepWeights.store(made, epoch: epoch)
        return made
    }
}
