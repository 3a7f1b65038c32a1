/// Additive attention (Bahdanau et al. 2015, §3.1 and appendix A.1.2):
/// `e_j = vᵀ tanh(W·s + V·h_j)`, where `s` is the decoder state and `h_j` the annotation of
/// source position `j`.
///
/// `V·h_j` depends only on the source, so `keys(for:)` computes it once per sentence; each
/// decoding step then costs one `W·s`, a tanh over `[sourceLength, attentionSize]` and a dot
/// product with `v`.
///
/// Parameter names (no biases, as in the paper): `query.weight` `[attentionSize, querySize]` (W),
/// `key.weight` `[attentionSize, memorySize]` (V), `score.weight` `[1, attentionSize]` (vᵀ).
public final class AdditiveAttention: SourceAttention {
    /// W.
    public let query: Linear
    /// V.
    public let key: Linear
    /// vᵀ.
    public let score: Linear

    public init(querySize: Int, memorySize: Int, attentionSize: Int, generator: RandomGenerator) {
        precondition(querySize > 0 && memorySize > 0 && attentionSize > 0, "attention sizes must be positive")
        query = Linear(inputSize: querySize, outputSize: attentionSize, bias: false, generator: generator)
        key = Linear(inputSize: memorySize, outputSize: attentionSize, bias: false, generator: generator)
        score = Linear(inputSize: attentionSize, outputSize: 1, bias: false, generator: generator)
    }

    public var querySize: Int { query.inputSize }
    public var memorySize: Int { key.inputSize }
    public var attentionSize: Int { query.outputSize }

    /// `V·h_j`: `[batch, sourceLength, memorySize]` → `[batch, sourceLength, attentionSize]`.
    public func keys(for memory: Tensor) -> Tensor {
        key(memory)
    }

    /// `vᵀ tanh(W·s + V·h_j)`: `[batch, querySize]` → `[batch, sourceLength]`.
    public func scores(query s: Tensor, keys: Tensor) -> Tensor {
        // One fused pass: tanh(V·h_j + W·s) is kept for backward, the sum is not.
        Tensor.additiveScores(keys: keys, query: query(s), v: score.weight.value)
    }

    public func visit(_ visitor: inout LayerVisitor) {
        visitor("query", query)
        visitor("key", key)
        visitor("score", score)
    }
}
