import CKernels
import Dispatch

/// The floor under a batch-1 decoding step: its weight matrices times one row, back to back on
/// the worker team, each split by columns with a barrier after it, read from the same 64-column
/// panel copies (at each weight's `panelPrecision`) by the same kernel (`parley_weight_stream.c`)
/// — the products of the fused Transformer step and nothing else. At batch 1 a step reads every
/// decoder weight once, so no step through the same kernel can take less time on this machine;
/// `parley bench models --part floor` reports it beside the decoding figures.
public enum WeightStream {
    /// The bytes the panel copies of `weights` hold, at each parameter's `panelPrecision` (float32
    /// on the portable form: `PackedWeights.panelPrecision(of:)`).
    public static func bytes(_ weights: [Tensor]) -> Int {
        weights.reduce(0) { $0 + $1.count * PackedWeights.panelPrecision(of: $1.storage).bytesPerWeight }
    }

    /// Seconds per pass over `weights` (each `[outputs, inputs]`, row-major) times `rows` rows
    /// (1–8: a greedy step's one hypothesis, or a beam's), after two untimed
    /// passes: at least `minimumPasses`, and on until `seconds` have accumulated (a pass takes
    /// 0.05–0.5 ms, and what other guests do to the shared cache moves it by half within
    /// seconds, so a short burst is no measure), on the panel kernel of `GEMM.kernelForm`; `nil`
    /// on the portable form (no panel kernel) or where a tensor is not a parameter's value (only
    /// those have panel copies).
    public static func passSeconds(_ weights: [Tensor], rows: Int = 1, seconds: Double, minimumPasses: Int = 5) -> [Double]? {
        let form = GEMM.kernelForm
        guard form != .portable, !weights.isEmpty else { return nil }
        precondition((1...8).contains(rows), "the panel kernel multiplies 1 to 8 rows")
        precondition(weights.allSatisfy { $0.rank == 2 }, "weight matrices are [outputs, inputs]")
        let copies = weights.compactMap { PackedWeights.panels(of: $0.storage, n: $0.shape[0], k: $0.shape[1]) }
        guard copies.count == weights.count else { return nil }
        let panels: [UnsafeRawPointer?] = copies.map(\.pointer), formats = copies.map(\.format)
        let outputs = weights.map { Int32($0.shape[0]) }, inputs = weights.map { Int32($0.shape[1]) }
        var x = [Float](repeating: 0, count: rows * Int(inputs.max()!))
        for i in x.indices { x[i] = Float(i % 17) / 17 - 0.5 }
        var y = [Float](repeating: 0, count: rows * Int(outputs.max()!))
        var times: [Double] = [], total = 0.0
        withExtendedLifetime(weights) {
            for pass in 0... {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = parley_weight_stream(panels, formats, outputs, inputs, Int32(weights.count), Int32(rows), x, &y, form == .avx512 ? 1 : 0)
                guard pass >= 2 else { continue }
                let time = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                times.append(time)
                total += time
                if times.count >= minimumPasses && (total >= seconds || times.count >= 1_000_000) { break }
            }
        }
        return times
    }
}
