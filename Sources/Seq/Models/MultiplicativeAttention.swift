/// Multiplicative attention scores (Luong et al. 2015, §3.1, eq. 8): `dot`, `e_j = sᵀ h_j`, or
/// `general`, `e_j = sᵀ W h_j`.
///
/// Parley uses them inside the Bahdanau wiring (the query is the previous decoder state `s_{i−1}`
/// and the context feeds the next state), so only the scoring differs from `AdditiveAttention`.
/// For `general`, `W·h_j` is computed once per source by `keys(for:)`.
///
/// Parameter names: `general` has `key.weight` `[querySize, memorySize]` (W); `dot` has none and
/// needs `querySize == memorySize`.
public final class MultiplicativeAttention: SourceAttention {
    /// W for `general`; `nil` for `dot`.
    public let key: Linear?
    public let querySize: Int
    public let memorySize: Int

    /// - Parameter general: `true` for `sᵀ W h`, `false` for `sᵀ h`.
    public init(querySize: Int, memorySize: Int, general: Bool, generator: RandomGenerator) {
        precondition(general || querySize == memorySize, "dot attention needs equal query and memory sizes, got \(querySize) and \(memorySize)")
        key = general ? Linear(inputSize: memorySize, outputSize: querySize, bias: false, generator: generator) : nil
        self.querySize = querySize
        self.memorySize = memorySize
    }

    /// `W·h_j` (`general`) or `h_j` (`dot`): `[batch, sourceLength, querySize]`.
    public func keys(for memory: Tensor) -> Tensor {
        key.map { $0(memory) } ?? memory
    }

    /// `sᵀ·key_j`: `[batch, querySize]` → `[batch, sourceLength]`.
    public func scores(query s: Tensor, keys: Tensor) -> Tensor {
        let batch = keys.shape[0], length = keys.shape[1]
        // [batch, length, query] · [batch, query, 1] → [batch, length, 1]
        return Tensor.matmul(keys, s.reshaped([batch, querySize, 1])).reshaped([batch, length])
    }

    public func visit(_ visitor: inout LayerVisitor) {
        visitor("key", key)
    }
}
