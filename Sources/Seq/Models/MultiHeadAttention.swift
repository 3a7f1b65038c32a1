import CKernels

/// Multi-head scaled dot-product attention (Vaswani et al. 2017, "Attention Is All You Need", §3.2).
///
///     Attention(Q, K, V) = softmax(Q·Kᵀ / √d_k + M) · V
///     MultiHead(x, m)    = Concat(head_1, …, head_h) · W_Oᵀ + b_O,
///     head_i             = Attention(x·W_Q,iᵀ + b_Q,i,  m·W_K,iᵀ + b_K,i,  m·W_V,iᵀ + b_V,i)
///
/// where `M` is −∞ (in practice −10⁹) at masked positions. All heads share one projection per role
/// (`query`, `key`, `value`, `output`, each `[modelSize, modelSize]` plus bias); the heads are
/// the `heads` slices of width `headSize = modelSize / heads`, computed together by one batched
/// matrix product over `[batch, heads, length, headSize]`.
///
/// Attention returns its weights (after the softmax, before dropout) with every output, so
/// inspecting them costs nothing extra. Keys and values can be projected once and reused
/// (`keysAndValues(_:)` then `attend(_:keys:values:mask:)`): the decoder does so for the
/// encoder memory and for its self-attention cache.
public final class MultiHeadAttention: Layer {
    /// `W_Q`, `[modelSize, modelSize]`, with bias.
    public let query: Linear
    /// `W_K`, `[modelSize, modelSize]`, with bias.
    public let key: Linear
    /// `W_V`, `[modelSize, modelSize]`, with bias.
    public let value: Linear
    /// `W_O`, `[modelSize, modelSize]`, with bias.
    public let output: Linear
    /// Dropout on the attention weights.
    public let attentionDropout: Dropout
    /// The number of heads `h`.
    public let heads: Int
    /// The model width `d`.
    public let modelSize: Int

    /// The score given to masked positions: finite, so that a row with every key masked (an empty
    /// source) gives uniform weights rather than NaN; far enough below any real score that its
    /// softmax weight is exactly 0.
    public static let maskedScore: Float = -1e9

    /// An attention block of `heads` heads over vectors of `modelSize` elements.
    ///
    /// - Precondition: `modelSize` is divisible by `heads`.
    public init(modelSize: Int, heads: Int, dropout: Float = 0, generator: RandomGenerator) {
        precondition(heads > 0 && modelSize > 0, "attention needs positive sizes, got modelSize \(modelSize), heads \(heads)")
        precondition(modelSize % heads == 0, "modelSize \(modelSize) is not divisible by heads \(heads)")
        self.heads = heads
        self.modelSize = modelSize
        query = Linear(inputSize: modelSize, outputSize: modelSize, generator: generator)
        key = Linear(inputSize: modelSize, outputSize: modelSize, generator: generator)
        value = Linear(inputSize: modelSize, outputSize: modelSize, generator: generator)
        output = Linear(inputSize: modelSize, outputSize: modelSize, generator: generator)
        attentionDropout = Dropout(probability: dropout, generator: generator)
    }

    /// The width of one head, `d_k = d_v = modelSize / heads`.
    public var headSize: Int { modelSize / heads }

    /// Attends from `queries` to `memory` (self-attention when they are the same tensor).
    ///
    /// - Parameters:
    ///   - queries: `[batch, queryLength, modelSize]`.
    ///   - memory: `[batch, keyLength, modelSize]`.
    ///   - mask: broadcastable to `[batch, heads, queryLength, keyLength]`, non-zero where a query
    ///     must not look (padding `[batch, 1, 1, keyLength]`, causal `[queryLength, keyLength]`).
    /// - Returns: `output` `[batch, queryLength, modelSize]` and `weights`
    ///   `[batch, heads, queryLength, keyLength]`: rows sum to 1 and are exactly 0 where masked;
    ///   a query that may see no key at all (an empty source) gets a row of zeros.
    public func callAsFunction(_ queries: Tensor, memory: Tensor, mask: Tensor?) -> (output: Tensor, weights: Tensor) {
        let (keys, values) = keysAndValues(memory)
        return attend(queries, keys: keys, values: values, mask: mask)
    }

    /// Projects `memory` `[batch, keyLength, modelSize]` to per-head keys and values, each
    /// `[batch, heads, keyLength, headSize]`, for reuse by `attend`.
    public func keysAndValues(_ memory: Tensor) -> (keys: Tensor, values: Tensor) {
        (splitHeads(key(memory)), splitHeads(value(memory)))
    }

    /// Attends from `queries` `[batch, queryLength, modelSize]` to keys and values already
    /// projected and split, `[batch, heads, keyLength, headSize]`.
    ///
    /// - Parameter sources: when the keys, values and mask hold one entry per source sentence
    ///   and several query rows share one (beam search's hypotheses), the entry of each query row
    ///   (`DecoderState.sources`).
    /// - Returns: as `callAsFunction(_:memory:mask:)`.
    public func attend(
        _ queries: Tensor, keys: Tensor, values: Tensor, mask: Tensor?, sources: [Int]? = nil
    ) -> (output: Tensor, weights: Tensor) {
        if attendsOnePosition(queries)
            && (mask == nil || Self.isPerKeyMask(mask!, entries: keys.shape[0], length: keys.shape[2])) {
            return attendOnePosition(queries, keys: keys, values: values, length: keys.shape[2], mask: mask, sources: sources)
        }
        if let sources, !(sources.count == keys.shape[0] && sources.indices.allSatisfy { sources[$0] == $0 }) {
            return attendBySource(queries, keys: keys, values: values, mask: mask, sources: sources)
        }
        precondition(queries.rank == 3 && queries.shape[2] == modelSize, "queries \(queries.shape) are not [batch, length, \(modelSize)]")
        let batch = queries.shape[0], queryLength = queries.shape[1]
        precondition(keys.rank == 4 && keys.shape[0] == batch && keys.shape[1] == heads && keys.shape[3] == headSize,
                     "keys \(keys.shape) are not [\(batch), \(heads), length, \(headSize)]")
        precondition(values.shape == keys.shape, "values \(values.shape) differ from keys \(keys.shape)")
        // Scaling the queries (queryLength·d elements) is cheaper than scaling the scores.
        let q = splitHeads(query(queries)) * (1 / Float(headSize).squareRoot())  // [b, h, q, dk]
        var scores = Tensor.matmul(q, keys, transposeB: true)                    // [b, h, q, k]
        if let mask { scores = scores.maskedFill(mask, with: Self.maskedScore) }
        var weights = scores.softmax()                                           // [b, h, q, k]
        if let mask, let keep = Self.visibleRows(mask) { weights = weights * keep }
        let context = Tensor.matmul(attentionDropout(weights), values)          // [b, h, q, dk]
        return (output(mergeHeads(context, batch: batch, length: queryLength)), weights)
    }

    /// Whether `attendOnePosition` runs the C kernel (`parley_attend_one_position`, which fetches
    /// each row's keys and values ahead) where the AVX-512 kernels or their AVX2 form are in use
    /// (`GEMM.kernelForm`); off, the portable loops below — for comparing the two. Set for a task
    /// (`$attendsInC.withValue`), so that one comparison does not change the sums of others.
    @TaskLocal public static var attendsInC = true

    /// Whether `queries` `[rows, 1, modelSize]` are one position per row of a step with neither
    /// gradients nor dropout, the case `attendOnePosition` serves.
    func attendsOnePosition(_ queries: Tensor) -> Bool {
        queries.rank == 3 && queries.shape[1] == 1 && !Autograd.isRecording && !attentionDropout.dropsOut
    }

    /// One query position per row (a decoding step), without gradients or dropout: what
    /// `attend` computes, written as loops over each row's heads instead of batched products.
    ///
    /// At a decoding step the batched products are thousands of one-row products of a few dozen
    /// columns (a query against a head's keys, its weights against the values): as tensor
    /// operations, each went through the matrix-product dispatch and packing, with the scores
    /// masked, normalised and the keys gathered per row in separate passes.
    ///
    /// - Parameters:
    ///   - queries: `[rows, 1, modelSize]`.
    ///   - keys, values: `[entries, heads, capacity, headSize]`, of which the first `length`
    ///     positions are read (a `KeyValueCache`'s buffers, or projected memory with
    ///     `capacity == length`).
    ///   - mask: `nil`, or `[entries, 1, 1, length]` non-zero at the positions to hide.
    ///   - sources: the entry of each row, or `nil` for entry `r` at row `r`.
    /// - Returns: `output` `[rows, 1, modelSize]` and `weights` `[rows, heads, 1, length]`, as
    ///   `attend` (a row that may see no position gets zero weights).
    public func attendOnePosition(
        _ queries: Tensor, keys: Tensor, values: Tensor, length: Int, mask: Tensor?, sources: [Int]?
    ) -> (output: Tensor, weights: Tensor) {
        let rows = queries.shape[0], entries = keys.shape[0], capacity = keys.shape[2], dk = headSize
        precondition(queries.rank == 3 && queries.shape[1] == 1 && queries.shape[2] == modelSize,
                     "queries \(queries.shape) are not [rows, 1, \(modelSize)]")
        precondition(keys.rank == 4 && keys.shape[1] == heads && keys.shape[3] == dk && values.shape == keys.shape,
                     "keys \(keys.shape) and values \(values.shape) are not [entries, \(heads), capacity, \(dk)]")
        precondition(length <= capacity, "\(length) positions in a capacity of \(capacity)")
        precondition(mask == nil || Self.isPerKeyMask(mask!, entries: entries, length: length), "mask \(mask!.shape) is not [\(entries), 1, 1, \(length)]")
        precondition(sources.map { $0.count == rows && $0.allSatisfy { (0..<entries).contains($0) } } ?? (rows == entries),
                     "rows \(rows) do not map onto \(entries) entries")
        let q = query(queries)
        let weights = Tensor(uninitialized: [rows, heads, 1, length])
        var context = Tensor(zeros: [rows, 1, modelSize])
        let qs = q.storage.pointer, ks = keys.storage.pointer, vs = values.storage.pointer
        let ws = weights.storage.pointer, masks = mask?.storage.pointer
        let form = GEMM.kernelForm
        if Self.attendsInC && form != .portable {
            let kernel = form == .avx512 ? parley_attend_one_position : parley_attend_one_position_avx2
            func run(_ entries: UnsafePointer<Int32>?) -> Int32 {
                kernel(Int32(rows), Int32(heads), Int32(dk), Int32(length), Int32(capacity),
                       qs, ks, vs, entries, masks, ws, context.storage.pointer)
            }
            let entries = sources?.map { Int32($0) }
            let status = withExtendedLifetime((q, keys, values, mask)) {
                entries.map { $0.withUnsafeBufferPointer { run($0.baseAddress) } } ?? run(nil)
            }
            if status == 0 { return (output(context), weights) }
        }
        let scale = 1 / Float(dk).squareRoot()
        context.withUnsafeMutableBufferPointer { context in
            for r in 0..<rows {
                let entry = sources?[r] ?? r
                let hidden = masks.map { $0 + entry * length }
                for h in 0..<heads {
                    let query = qs + r * modelSize + h * dk, out = context.baseAddress! + r * modelSize + h * dk
                    let block = (entry * heads + h) * capacity * dk
                    let w = ws + (r * heads + h) * length
                    var visible = false
                    for p in 0..<length {
                        if let hidden, hidden[p] != 0 {
                            w[p] = Self.maskedScore
                        } else {
                            w[p] = Kernels.dot(query, ks + block + p * dk, count: dk) * scale
                            visible = true
                        }
                    }
                    guard visible else {
                        w.initialize(repeating: 0, count: length)
                        continue
                    }
                    let total = Kernels.shiftedExp(w, shift: Kernels.maximum(w, count: length), into: w, count: length)
                    let inverse = 1 / total
                    for p in 0..<length {
                        w[p] *= inverse
                        Kernels.axpy(w[p], vs + block + p * dk, out, count: dk)
                    }
                }
            }
        }
        return (output(context), weights)
    }

    /// Whether `mask` holds one row of `length` per entry, `[entries, 1, 1, length]` (a padding
    /// mask), the only layout `attendOnePosition` reads.
    static func isPerKeyMask(_ mask: Tensor, entries: Int, length: Int) -> Bool {
        mask.rank == 4 && mask.shape == [entries, 1, 1, length]
    }

    /// One decoding step's queries against per-source keys: when the rows come as one run of `g`
    /// rows per source, in order (beam search's hypotheses, sentence by sentence), the `g` queries
    /// of a source are the rows of one product with its keys, `[sources, heads, g, headSize]`,
    /// instead of `g` copies of the keys, one per row. Other layouts gather the keys per row.
    private func attendBySource(
        _ queries: Tensor, keys: Tensor, values: Tensor, mask: Tensor?, sources: [Int]
    ) -> (output: Tensor, weights: Tensor) {
        let rows = queries.shape[0], entries = keys.shape[0]
        precondition(sources.count == rows, "\(sources.count) sources for \(rows) query rows")
        let group = rows / Swift.max(entries, 1)
        let runs = queries.rank == 3 && queries.shape[1] == 1 && group * entries == rows
            && sources.indices.allSatisfy { sources[$0] == $0 / group }
        guard runs else {
            return attend(queries, keys: keys.gatherRows(sources), values: values.gatherRows(sources),
                          mask: mask?.gatherRows(sources))
        }
        // The g rows of a source are the g query positions of one attention over its keys.
        let grouped = attend(queries.reshaped([entries, group, modelSize]), keys: keys, values: values, mask: mask)
        return (grouped.output.reshaped([rows, 1, modelSize]),
                grouped.weights.permuted([0, 2, 1, 3]).reshaped([rows, heads, 1, keys.shape[2]]))
    }

    /// For a mask that hides every key from some query (an empty source), 1 for rows with a
    /// visible key and 0 for the others, shaped like `mask` with a last axis of 1; `nil` when
    /// every row sees a key (the usual case, which then costs one scan of the mask).
    ///
    /// The softmax of a fully masked row would be uniform over padding; zeroing it instead makes
    /// an empty sentence attend to nothing, alone or inside a padded batch alike.
    static func visibleRows(_ mask: Tensor) -> Tensor? {
        let width = mask.shape.last ?? 1
        guard width > 0 else { return nil }
        let rows = mask.count / width
        return mask.withUnsafeBufferPointer { m -> Tensor? in
            func seesNothing(_ r: Int) -> Bool { !(0..<width).contains { m[r * width + $0] == 0 } }
            // Allocate only when some row is fully hidden: decoding steps call this every time.
            guard (0..<rows).contains(where: seesNothing) else { return nil }
            let keep = (0..<rows).map { seesNothing($0) ? Float(0) : 1 }
            return Tensor(shape: Array(mask.shape.dropLast()) + [1], scalars: keep)
        }
    }

    /// `[batch, length, modelSize]` → `[batch, heads, length, headSize]`.
    func splitHeads(_ x: Tensor) -> Tensor {
        let batch = x.shape[0], length = x.shape[1]
        // With one position (a decoding step) the two layouts coincide: no copy.
        if length == 1 { return x.reshaped([batch, heads, 1, headSize]) }
        return x.reshaped([batch, length, heads, headSize]).permuted([0, 2, 1, 3])
    }

    /// `[batch, heads, length, headSize]` → `[batch, length, modelSize]`.
    func mergeHeads(_ x: Tensor, batch: Int, length: Int) -> Tensor {
        if length == 1 { return x.reshaped([batch, 1, modelSize]) }
        return x.permuted([0, 2, 1, 3]).reshaped([batch, length, modelSize])
    }

    public func visit(_ visitor: inout LayerVisitor) {
        visitor("query", query)
        visitor("key", key)
        visitor("value", value)
        visitor("output", output)
        visitor("attentionDropout", attentionDropout)
    }
}
