extension Tensor {
    /// Additive-attention scores in one pass (Bahdanau et al. 2015, appendix A.1.2):
    /// `e[b, j] = Σₐ v[a] · tanh(keys[b, j, a] + query[b, a])`.
    ///
    /// Composed from broadcast add, `tanh` and a product with `v`, the same scores keep two
    /// `[batch, length, attention]` tensors alive per decoder step until backward (the sum and
    /// its tanh); this keeps only the tanh, from which the backward pass recovers everything:
    ///
    ///     dPre[b, j, a] = g[b, j] · v[a] · (1 − tanh²)
    ///     dKeys = dPre,   dQuery[b, a] = Σⱼ dPre[b, j, a],   dv[a] = Σ_{b, j} g[b, j] · tanh[b, j, a]
    ///
    /// - Parameters:
    ///   - keys: `[batch, length, attention]`, the projected annotations.
    ///   - query: `[batch, attention]`, the projected decoder state.
    ///   - v: `[1, attention]` (the score layer's weight) or `[attention]`.
    /// - Returns: `[batch, length]`.
    public static func additiveScores(keys: Tensor, query: Tensor, v: Tensor) -> Tensor {
        precondition(keys.rank == 3, "keys must be [batch, length, attention], got \(keys.shape)")
        let batch = keys.shape[0], length = keys.shape[1], width = keys.shape[2]
        precondition(query.shape == [batch, width], "query must be [\(batch), \(width)], got \(query.shape)")
        precondition(v.count == width, "v must have \(width) elements, got \(v.shape)")
        let energies = Tensor(uninitialized: keys.shape)
        var result = Tensor(uninitialized: [batch, length])
        let k = keys.storage.pointer, q = query.storage.pointer, w = v.storage.pointer
        let t = energies.storage.pointer, e = result.storage.pointer
        Parallel.forEachPart(units: batch * length, costPerUnit: width) { rows in
            for row in rows {
                let kr = k + row * width, qr = q + (row / length) * width, tr = t + row * width
                for a in 0..<width { tr[a] = fastTanh(kr[a] + qr[a]) }
                e[row] = Kernels.dot(tr, w, count: width)
            }
        }
        guard tracks([keys, query, v]) else { return result }
        let vValue = v.detached(), vShape = v.shape, kept = energies
        result = result.recorded(from: [keys, query, v]) { g in
            let t = kept.storage.pointer
            let dKeys = Tensor(uninitialized: [batch, length, width])
            let dQuery = Tensor(zeros: [batch, width])
            let dv = Tensor(zeros: vShape)
            let gy = g.storage.pointer, w = vValue.storage.pointer
            let dk = dKeys.storage.pointer, dq = dQuery.storage.pointer, dw = dv.storage.pointer
            // Parts own whole sentences, so each writes its own rows of dQuery; dv gets one
            // partial sum per part.
            let parts = Parallel.reductionPartCount(units: batch, costPerUnit: length * width)
            let partials = UnsafeMutablePointer<Float>.allocate(capacity: parts * width)
            partials.initialize(repeating: 0, count: parts * width)
            defer { partials.deallocate() }
            Parallel.forEachPart(units: batch, parts: parts) { index, sentences in
                let pv = partials + index * width
                for b in sentences {
                    let dqb = dq + b * width
                    for j in 0..<length {
                        let row = b * length + j, grad = gy[row]
                        let tr = t + row * width, dkr = dk + row * width
                        for a in 0..<width {
                            let pre = grad * w[a] * (1 - tr[a] * tr[a])
                            dkr[a] = pre
                            dqb[a] += pre
                            pv[a] += grad * tr[a]
                        }
                    }
                }
            }
            for index in 0..<parts {
                for a in 0..<width { dw[a] += partials[index * width + a] }
            }
            return [dKeys, dQuery, dv]
        }
        return result
    }
}
