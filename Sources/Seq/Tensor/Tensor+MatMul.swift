extension Tensor {
    /// Matrix product over the last two axes: `op(a)·op(b)`, where `op` transposes when asked.
    ///
    /// - `a`: `[…, m, k]` (`[…, k, m]` when `transposeA`), or one matrix shared by every matrix of `b`.
    /// - `b`: `[…, k, n]` (`[…, n, k]` when `transposeB`), or one matrix shared by every matrix of `a`.
    /// - Returns: `[…, m, n]`.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let result = product(a, b, transposeA: transposeA, transposeB: transposeB)
        guard tracks(a, b) else { return result }
        let av = a.detached(), bv = b.detached()
        // A shared operand's gradient sums over the batch of products it took part in.
        let aShared = av.rank == 2 && bv.rank > 2, bShared = bv.rank == 2 && av.rank > 2
        // A weight matrix (shared by the whole batch, or a plain product's): its gradient is the
        // sum over the batch, and goes straight into the parameter (`operandGradient`).
        let bParameter = bv.rank == 2 ? b.node?.parameter : nil
        return result.recorded(from: [a, b]) { g in
            let ga: Tensor? = a.requiresGradient
                ? (transposeA
                    ? product(bv, g, transposeA: transposeB, transposeB: true, sumTo: aShared ? av.shape : nil)
                    : product(g, bv, transposeA: false, transposeB: !transposeB, sumTo: aShared ? av.shape : nil))
                : nil
            let gb: Tensor? = b.requiresGradient
                ? (transposeB
                    ? operandGradient(g, av, transposeA: true, transposeB: transposeA, sumTo: bShared ? bv.shape : nil,
                                      parameter: bParameter)
                    : operandGradient(av, g, transposeA: !transposeA, transposeB: false, sumTo: bShared ? bv.shape : nil,
                                      parameter: bParameter))
                : nil
            return [ga, gb]
        }
    }

    /// `x·Wᵀ + b` over the last axis of `x` `[…, in]`, with `weight` `[out, in]` and `bias` `[out]`
    /// (added to every row) or the output's own shape `[…, out]` (a recurrent cell's projected
    /// input): the output starts as a copy of the bias and the product accumulates into it, so
    /// the sum costs no pass of its own over the output (at batch 1 that pass over a
    /// vocabulary-sized row took as long as a quarter of the product).
    public static func affine(_ x: Tensor, weight: Tensor, bias: Tensor) -> Tensor {
        precondition(x.rank >= 1 && weight.rank == 2 && x.shape[x.rank - 1] == weight.shape[1],
                     "affine: input \(x.shape) does not match weight \(weight.shape)")
        let inputs = weight.shape[1], outputs = weight.shape[0], rows = x.count / Swift.max(inputs, 1)
        let shape = Array(x.shape.dropLast()) + [outputs]
        let perRow = bias.shape == [outputs]
        precondition(perRow || bias.shape == shape, "affine: bias \(bias.shape) is neither [\(outputs)] nor \(shape)")
        var result = Tensor(uninitialized: shape)
        let out = result.storage.pointer, b = bias.storage.pointer
        if perRow {
            // The general kernel adds the bias as it stores C: no pass laying bias rows first,
            // and no reading them back (41 MB for the logits of a training batch).
            GEMM.multiply(x.storage.pointer, transposeA: false, weight.storage.pointer, transposeB: true,
                          into: out, m: rows, n: outputs, k: inputs, weight: weight.storage, bias: b)
        } else {
            Parallel.forEachPart(units: rows, costPerUnit: outputs) { part in
                (out + part.lowerBound * outputs).update(from: b + part.lowerBound * outputs, count: part.count * outputs)
            }
            GEMM.multiply(x.storage.pointer, transposeA: false, weight.storage.pointer, transposeB: true,
                          into: out, m: rows, n: outputs, k: inputs, accumulate: true, weight: weight.storage)
        }
        guard tracks([x, weight, bias]) else { return result }
        let xv = x.detached(), wv = weight.detached()
        let weightParameter = weight.node?.parameter
        return result.recorded(from: [x, weight, bias]) { g in
            [x.requiresGradient ? product(g, wv, transposeA: false, transposeB: false) : nil,
             weight.requiresGradient
                ? operandGradient(g, xv, transposeA: true, transposeB: false, sumTo: wv.shape, parameter: weightParameter)
                : nil,
             bias.requiresGradient ? g.summed(toShape: bias.shape) : nil]
        }
    }

    /// The product without gradient recording; with `sumTo`, the batch of products is summed
    /// into one matrix of that shape.
    static func product(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool, sumTo: [Int]? = nil) -> Tensor {
        precondition(a.rank >= 2 && b.rank >= 2, "matmul needs matrices, got \(a.shape) and \(b.shape)")
        let aRows = a.shape[a.rank - 2], aCols = a.shape[a.rank - 1]
        let bRows = b.shape[b.rank - 2], bCols = b.shape[b.rank - 1]
        let m = transposeA ? aCols : aRows, k = transposeA ? aRows : aCols
        let kb = transposeB ? bCols : bRows, n = transposeB ? bRows : bCols
        precondition(k == kb, "matmul: inner sizes differ, \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
        let aBatch = Array(a.shape.dropLast(2)), bBatch = Array(b.shape.dropLast(2))
        precondition(aBatch.isEmpty || bBatch.isEmpty || aBatch == bBatch, "matmul: batch axes differ, \(a.shape) and \(b.shape)")
        let batchShape = aBatch.isEmpty ? bBatch : aBatch
        let batch = batchShape.reduce(1, *)
        let aStride = aBatch.isEmpty ? 0 : m * k, bStride = bBatch.isEmpty ? 0 : k * n
        let x = a.storage.pointer, y = b.storage.pointer

        if let sumTo {
            var result = Tensor(uninitialized: sumTo)
            sumOfProducts(a, b, transposeA: transposeA, transposeB: transposeB, into: result.storage.pointer, accumulate: false)
            return result
        }

        var result = Tensor(uninitialized: batchShape + [m, n])
        if bStride == 0 && aStride != 0 && !transposeA {
            // A shared right operand: one product over all the rows of a.
            GEMM.multiply(x, transposeA: false, y, transposeB: transposeB, into: result.storage.pointer, m: m * batch, n: n, k: k,
                          weight: b.storage)
        } else {
            // Many small products (attention: one per sentence and head) are shared out whole over
            // the worker team; each is too small to split.
            let out = result.storage.pointer
            Parallel.forEachPart(units: batch, costPerUnit: m * n * k) { products in
                for i in products {
                    GEMM.multiply(x + i * aStride, transposeA: transposeA, y + i * bStride, transposeB: transposeB,
                                  into: out + i * m * n, m: m, n: n, k: k, weight: bStride == 0 ? b.storage : nil)
                }
            }
        }
        return result
    }

    /// A product's gradient for one operand, `product(a, b, …, sumTo:)`; when the operand is a
    /// parameter's weight matrix, the sum of products is instead added to the parameter's
    /// gradient in place (no zeroed temporary, no second pass) and `nil` returned.
    private static func operandGradient(
        _ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool, sumTo: [Int]?, parameter: Parameter?
    ) -> Tensor? {
        guard let parameter else { return product(a, b, transposeA: transposeA, transposeB: transposeB, sumTo: sumTo) }
        sumOfProducts(a, b, transposeA: transposeA, transposeB: transposeB,
                      into: parameter.gradientStorageView.pointer, accumulate: true)
        return nil
    }

    /// `Σᵢ op(aᵢ)·op(bᵢ)` over the batch axes of `a` and `b` (which agree, or one has none),
    /// written or added to `c`.
    private static func sumOfProducts(
        _ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool, into c: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        let m = transposeA ? a.shape[a.rank - 1] : a.shape[a.rank - 2], k = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1]
        let n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
        let batch = (a.rank > 2 ? a.shape : b.shape).dropLast(2).reduce(1, *)
        let aStride = a.rank > 2 ? m * k : 0, bStride = b.rank > 2 ? k * n : 0
        let x = a.storage.pointer, y = b.storage.pointer
        if batch == 0 {
            if !accumulate { c.update(repeating: 0, count: m * n) }
            return
        }
        if transposeA && !transposeB && aStride != 0 && bStride != 0 {
            // Σᵢ aᵢᵀ·bᵢ is one product over the stacked rows of all the aᵢ and bᵢ.
            GEMM.multiply(x, transposeA: true, y, transposeB: false, into: c, m: m, n: n, k: k * batch, accumulate: accumulate)
        } else {
            for i in 0..<batch {
                GEMM.multiply(x + i * aStride, transposeA: transposeA, y + i * bStride, transposeB: transposeB,
                              into: c, m: m, n: n, k: k, accumulate: accumulate || i > 0)
            }
        }
    }
}
