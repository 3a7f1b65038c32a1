import Foundation
import Seq
import Testing

/// Forward values of the tensor operations against an independent NumPy implementation.
///
/// `Fixtures/ops.json` comes from `scripts/make_op_fixtures.py` (float32 inputs, float64
/// reference outputs); regenerate it with `python3 scripts/make_op_fixtures.py`. Every output
/// element must satisfy `|actual − expected| ≤ 1e-5·|expected| + 1e-6`: 1e-5 relative, with an
/// absolute floor of 1e-6 for values near zero (float32 carries ~6e-8 relative, so results that
/// are tiny differences of O(1) numbers cannot be held to a relative bound). Infinite expected
/// values (masked fill with −∞) must match exactly.
@Suite("Op parity with NumPy")
struct OpParityTests {
    static let relativeTolerance = 1e-5
    static let absoluteTolerance = 1e-6

    @Test("the fixture file loads and covers every operation")
    func fixtureLoads() throws {
        let fixtures = try OpFixtures.load()
        #expect(fixtures.cases.count >= 150)
        let covered = Set(fixtures.cases.map(\.op))
        #expect(covered == Set(FixtureOperation.allCases), "operations without a case: \(Set(FixtureOperation.allCases).subtracting(covered))")
    }

    @Test("forward values match NumPy", arguments: OpFixtures.caseNames)
    func forwardParity(_ name: String) throws {
        let fixture = try #require(try OpFixtures.load().cases.first { $0.name == name })
        let actual = withoutGradients { fixture.evaluate() }
        try #require(actual.count == fixture.outputs.count, "\(actual.count) outputs, expected \(fixture.outputs.count)")
        for (index, (tensor, expected)) in zip(actual, fixture.outputs).enumerated() {
            #expect(tensor.shape == expected.shape, "output \(index): shape \(tensor.shape), expected \(expected.shape)")
            guard tensor.shape == expected.shape else { continue }
            let mismatch = Self.worstMismatch(tensor.scalars, expected.data)
            #expect(mismatch == nil, "output \(index): \(mismatch ?? "")")
        }
    }

    /// A description of the element furthest outside the tolerance, or `nil` when all are within it.
    static func worstMismatch(_ actual: [Float], _ expected: [Double]) -> String? {
        var worst: (ratio: Double, index: Int) = (1, -1)
        for (i, (a, e)) in zip(actual, expected).enumerated() {
            let a = Double(a)
            if e.isInfinite || a.isInfinite || a.isNaN {
                if a != e { return "element \(i): \(a), expected \(e)" }
                continue
            }
            let ratio = abs(a - e) / (absoluteTolerance + relativeTolerance * abs(e))
            if ratio > worst.ratio { worst = (ratio, i) }
        }
        guard worst.index >= 0 else { return nil }
        let a = Double(actual[worst.index]), e = expected[worst.index]
        return "element \(worst.index): \(a), expected \(e) (relative error \(abs(a - e) / abs(e)), \(worst.ratio)× the tolerance)"
    }
}

// MARK: - The fixture file

/// The operations in `ops.json`, named as the generator names them.
enum FixtureOperation: String, Decodable, CaseIterable {
    case add, subtract, multiply, divide
    case addFloatRight, subtractFloatRight, multiplyFloatRight, divideFloatRight
    case addFloatLeft, subtractFloatLeft, multiplyFloatLeft
    case negate, tanh, sigmoid, relu, gelu, exp, log, sqrt
    case softmax, logSoftmax
    case sum, mean, sumAxis, meanAxis
    case reshaped, permuted, transposed, concatenate, sliced, split
    case matmul, gatherRows, maskedFill, maskedFillSoftmax, layerNormalized, crossEntropy
}

/// The parameters any operation may take; each operation reads its own.
struct FixtureParameters: Decodable {
    var scalar: Float?
    var axis: Int?
    var keepingAxis: Bool?
    var newShape: [Int]?
    var axes: [Int]?
    var first: Int?
    var second: Int?
    var start: Int?
    var end: Int?
    var sizes: [Int]?
    var transposeA: Bool?
    var transposeB: Bool?
    var indices: [Int]?
    var indexShape: [Int]?
    var value: Float?
    var epsilon: Float?
    var targets: [Int]?
    var labelSmoothing: Float?
    var ignoredIndex: Int?
    var reduction: LossReduction?
}

struct OpCase: Decodable {
    var name: String
    var op: FixtureOperation
    var inputs: [FixtureTensor]
    var params: FixtureParameters
    var outputs: [FixtureTensor]

    /// Runs the operation on the inputs through Seq's public API.
    func evaluate() -> [Tensor] {
        let x = inputs.map(\.tensor)
        let p = params
        switch op {
        case .add: return [x[0] + x[1]]
        case .subtract: return [x[0] - x[1]]
        case .multiply: return [x[0] * x[1]]
        case .divide: return [x[0] / x[1]]
        case .addFloatRight: return [x[0] + p.scalar!]
        case .subtractFloatRight: return [x[0] - p.scalar!]
        case .multiplyFloatRight: return [x[0] * p.scalar!]
        case .divideFloatRight: return [x[0] / p.scalar!]
        case .addFloatLeft: return [p.scalar! + x[0]]
        case .subtractFloatLeft: return [p.scalar! - x[0]]
        case .multiplyFloatLeft: return [p.scalar! * x[0]]
        case .negate: return [-x[0]]
        case .tanh: return [x[0].tanh()]
        case .sigmoid: return [x[0].sigmoid()]
        case .relu: return [x[0].relu()]
        case .gelu: return [x[0].gelu()]
        case .exp: return [x[0].exp()]
        case .log: return [x[0].log()]
        case .sqrt: return [x[0].sqrt()]
        case .softmax: return [x[0].softmax()]
        case .logSoftmax: return [x[0].logSoftmax()]
        case .sum: return [x[0].sum()]
        case .mean: return [x[0].mean()]
        case .sumAxis: return [x[0].sum(axis: p.axis!, keepingAxis: p.keepingAxis!)]
        case .meanAxis: return [x[0].mean(axis: p.axis!, keepingAxis: p.keepingAxis!)]
        case .reshaped: return [x[0].reshaped(p.newShape!)]
        case .permuted: return [x[0].permuted(p.axes!)]
        case .transposed:
            if let first = p.first, let second = p.second { return [x[0].transposed(first, second)] }
            return [x[0].transposed()]
        case .concatenate: return [Tensor.concatenate(x, axis: p.axis!)]
        case .sliced: return [x[0].sliced(axis: p.axis!, p.start!..<p.end!)]
        case .split: return x[0].split(axis: p.axis!, sizes: p.sizes!)
        case .matmul: return [Tensor.matmul(x[0], x[1], transposeA: p.transposeA!, transposeB: p.transposeB!)]
        case .gatherRows: return [x[0].gatherRows(p.indices!, indexShape: p.indexShape)]
        case .maskedFill: return [x[0].maskedFill(x[1], with: p.value!)]
        case .maskedFillSoftmax: return [x[0].maskedFill(x[1], with: p.value!).softmax()]
        case .layerNormalized: return [x[0].layerNormalized(gain: x[1], bias: x[2], epsilon: p.epsilon!)]
        case .crossEntropy:
            return [Tensor.crossEntropy(
                logits: x[0], targets: p.targets!, labelSmoothing: p.labelSmoothing!,
                ignoredIndex: p.ignoredIndex, reduction: p.reduction!)]
        }
    }
}

struct OpFixtures: Decodable {
    var generator: String
    var seed: Int
    var cases: [OpCase]

    nonisolated(unsafe) private static var cached: OpFixtures?
    private static let lock = NSLock()

    /// The decoded `Fixtures/ops.json` (read once).
    static func load() throws -> OpFixtures {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return cached }
        guard let url = Bundle.module.url(forResource: "ops", withExtension: "json", subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "Fixtures/ops.json missing from the test bundle"])
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let fixtures = try decoder.decode(OpFixtures.self, from: Data(contentsOf: url))
        cached = fixtures
        return fixtures
    }

    /// Every case's name; empty if the file cannot be read (`fixtureLoads` then fails).
    static var caseNames: [String] { (try? load())?.cases.map(\.name) ?? [] }
}
