import ArgumentParser
import Foundation
import Seq

/// `parley bench ops`: throughput of the tensor engine's core kernels.
struct BenchOps: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "Time matmul, softmax, layer norm and fused cross-entropy (one JSON object per line).")

    @Option(help: "Threads for the matrix products and the rest of the work.")
    var threads: Int = 2

    @Option(help: "Timed repetitions per measurement (the median is reported).")
    var repetitions: Int = 20

    func run() throws {
        GEMM.setThreadCount(threads)
        let generator = RandomGenerator(seed: 42)
        for (m, k, n) in [(1280, 256, 1024), (1280, 256, 8000), (1, 512, 2048)] {
            let a = Tensor.uniform([m, k], low: -1, high: 1, generator: generator)
            let b = Tensor.uniform([k, n], low: -1, high: 1, generator: generator)
            let seconds = medianSeconds(repetitions: m == 1 ? repetitions * 50 : repetitions) {
                _ = Tensor.matmul(a, b)
            }
            let gflops = 2 * Double(m) * Double(k) * Double(n) / seconds / 1e9
            emit(["bench": "matmul", "m": m, "k": k, "n": n, "gflops": rounded(gflops), "microseconds": rounded(seconds * 1e6)])
        }
        let x = Tensor.uniform([1280, 1024], low: -4, high: 4, generator: generator)
        let gain = Tensor(repeating: 1, shape: [1024]), bias = Tensor(zeros: [1024])
        let targets = (0..<1280).map { $0 % 1024 }
        let cases: [(String, () -> Void)] = [
            ("softmax", { _ = x.softmax() }),
            ("layer_norm", { _ = x.layerNormalized(gain: gain, bias: bias) }),
            ("cross_entropy", { _ = Tensor.crossEntropy(logits: x, targets: targets, labelSmoothing: 0.1) }),
        ]
        for (name, body) in cases {
            let seconds = medianSeconds(repetitions: repetitions, body)
            emit(["bench": name, "rows": 1280, "columns": 1024, "microseconds": rounded(seconds * 1e6)])
        }
        // Forward and backward together, as training runs them.
        let parameter = Parameter(x)
        let seconds = medianSeconds(repetitions: repetitions) {
            let loss = Tensor.crossEntropy(logits: parameter.value, targets: targets, labelSmoothing: 0.1)
            loss.backward()
        }
        emit(["bench": "cross_entropy_backward", "rows": 1280, "columns": 1024, "microseconds": rounded(seconds * 1e6)])
    }
}

/// The median wall time of `repetitions` calls after two warm-up calls.
func medianSeconds(repetitions: Int, _ body: () -> Void) -> Double {
    body()
    body()
    var times: [Double] = []
    for _ in 0..<max(repetitions, 1) {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return times.sorted()[times.count / 2]
}

func rounded(_ value: Double, places: Int = 2) -> Double {
    let scale = pow(10, Double(places))
    return (value * scale).rounded() / scale
}

/// Prints one JSON object on its own line, keys in a stable order ("bench" first).
func emit(_ fields: KeyValuePairs<String, Any>) {
    let parts = fields.map { key, value -> String in
        let encoded: String
        switch value {
        case let text as String: encoded = "\"\(text)\""
        case let number as Double: encoded = number.isFinite ? String(number) : "null"
        default: encoded = "\(value)"
        }
        return "\"\(key)\": \(encoded)"
    }
    print("{" + parts.joined(separator: ", ") + "}")
    fflush(stdout)
}
