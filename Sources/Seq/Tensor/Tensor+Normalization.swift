extension Tensor {
    /// Layer normalisation over the last axis (Ba et al. 2016): `(x − μ)/√(σ² + ε) · gain + bias`.
    ///
    /// - Parameters: `gain` and `bias` are `[width]`, `width` being the last dimension.
    public func layerNormalized(gain: Tensor, bias: Tensor, epsilon: Float = 1e-5) -> Tensor {
        let width = shape.last ?? 1, rows = count / Swift.max(width, 1)
        precondition(gain.shape == [width] && bias.shape == [width], "layer norm parameters must be [\(width)]")
        var result = Tensor(uninitialized: shape)
        var normalized = Tensor(uninitialized: shape)
        var inverseDeviations = [Float](repeating: 0, count: rows)
        let x = storage.pointer, y = result.storage.pointer, xhat = normalized.storage.pointer
        let gamma = gain.storage.pointer, beta = bias.storage.pointer
        let n = Float(width)
        inverseDeviations.withUnsafeMutableBufferPointer { inverseDeviations in
            Parallel.forEachPart(units: rows, costPerUnit: width) { part in
                // Row pointers, so that the loops index with `j` alone: indexed as `o + j`, each
                // index carried an overflow check and the loops stayed scalar.
                for r in part {
                    let xr = x + r * width, hr = xhat + r * width, yr = y + r * width
                    let mean = Kernels.sum(xr, count: width) / n
                    for j in 0..<width { hr[j] = xr[j] - mean }
                    let variance = Kernels.dot(hr, hr, count: width) / n
                    let inverse = 1 / (variance + epsilon).squareRoot()
                    inverseDeviations[r] = inverse
                    for j in 0..<width {
                        let h = hr[j] * inverse
                        hr[j] = h
                        yr[j] = h * gamma[j] + beta[j]
                    }
                }
            }
        }
        guard Tensor.tracks([self, gain, bias]) else { return result }
        let gainValue = gain.detached()
        return result.recorded(from: [self, gain, bias]) { g in
            var dx = Tensor(uninitialized: normalized.shape)
            var dGain = Tensor(zeros: [width]), dBias = Tensor(zeros: [width])
            let gy = g.storage.pointer, d = dx.storage.pointer
            let dg = dGain.storage.pointer, db = dBias.storage.pointer, gamma = gainValue.storage.pointer
            // Each part sums its rows' gain and bias gradients apart (3 rows of `width` per part:
            // ĝ scratch, dGain, dBias); the partial sums are added afterwards.
            let parts = Parallel.reductionPartCount(units: rows, costPerUnit: width)
            let partials = UnsafeMutablePointer<Float>.allocate(capacity: parts * 3 * width)
            partials.initialize(repeating: 0, count: parts * 3 * width)
            defer { partials.deallocate() }
            Parallel.forEachPart(units: rows, parts: parts) { index, part in
                let scratch = partials + index * 3 * width, pg = scratch + width, pb = pg + width
                for r in part {
                    let gr = gy + r * width, hr = xhat + r * width, dr = d + r * width
                    for j in 0..<width {
                        let g = gr[j]
                        scratch[j] = g * gamma[j]
                        pg[j] += g * hr[j]
                        pb[j] += g
                    }
                    // dx = (1/σ)/n · (n·ĝ − Σĝ − x̂·Σ(ĝ⊙x̂)), with ĝ = g⊙gain
                    let sumG = Kernels.sum(scratch, count: width)
                    let sumGX = Kernels.dot(scratch, hr, count: width)
                    let k = inverseDeviations[r] / n
                    for j in 0..<width { dr[j] = k * (n * scratch[j] - sumG - hr[j] * sumGX) }
                }
            }
            for index in 0..<parts {
                let pg = partials + index * 3 * width + width, pb = pg + width
                for j in 0..<width {
                    dg[j] += pg[j]
                    db[j] += pb[j]
                }
            }
            return [dx, dGain, dBias]
        }
    }
}
