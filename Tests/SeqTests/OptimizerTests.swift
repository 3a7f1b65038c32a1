import CKernels
import Foundation
import Seq
import Testing

/// A separable quadratic `f(x) = ½ Σ λᵢ xᵢ²` over one parameter `x`, its gradient set by hand
/// (`∂f/∂xᵢ = λᵢ xᵢ`) so that these tests depend on the optimisers alone.
private final class Quadratic {
    let curvatures: [Float]
    let x: Parameter
    let parameters: ParameterList

    init(curvatures: [Float], start: [Float]? = nil) {
        self.curvatures = curvatures
        x = Parameter(Tensor(shape: [curvatures.count], scalars: start ?? Array(repeating: 1, count: curvatures.count)))
        parameters = ParameterList(named: [("x", x)])
    }

    /// `f(x)` in Double.
    var loss: Double {
        zip(curvatures, x.value.scalars).reduce(0) { $0 + 0.5 * Double($1.0) * Double($1.1) * Double($1.1) }
    }

    /// Writes `∇f(x)` into the gradient buffer.
    func computeGradient() {
        let g = parameters.gradients.pointer, x = parameters.values.pointer
        for i in curvatures.indices { g[i] = curvatures[i] * x[i] }
    }

    /// Runs `steps` gradient steps of `optimizer`.
    func minimise(with optimizer: Optimizer, steps: Int) {
        for _ in 0..<steps {
            computeGradient()
            optimizer.step()
        }
    }
}

/// Curvatures spaced geometrically from 1 to 1000 (condition number 1000).
private let illConditioned: [Float] = (0..<10).map { Float(pow(1000, Double($0) / 9)) }

@Suite struct OptimizerTests {
    @Test func adamBeatsPlainGradientDescentOnAnIllConditionedQuadratic() {
        // Plain gradient descent is stable only for η < 2/λmax; η = 1/λmax is the classic choice
        // and it leaves the flat directions (λ = 1) almost untouched after 300 steps. Adam's
        // per-coordinate scaling makes progress in every direction at once.
        let steps = 300
        let sgdProblem = Quadratic(curvatures: illConditioned)
        sgdProblem.minimise(with: SGD(parameters: sgdProblem.parameters, learningRate: 1e-3), steps: steps)
        let adamProblem = Quadratic(curvatures: illConditioned)
        adamProblem.minimise(with: Adam(parameters: adamProblem.parameters, learningRate: 0.05), steps: steps)
        let start = Quadratic(curvatures: illConditioned).loss
        print("ill-conditioned quadratic after \(steps) steps: start \(start), SGD \(sgdProblem.loss), Adam \(adamProblem.loss)")
        #expect(sgdProblem.loss < start)
        #expect(adamProblem.loss < 1e-3)
        #expect(adamProblem.loss * 100 < sgdProblem.loss)
    }

    @Test func momentumConvergesOnAConvexQuadraticAndBeatsPlainDescent() {
        // Curvatures in [1, 100] (κ = 100). With Polyak's tuning, η = 4/(√L + √μ)² and
        // momentum ((√κ − 1)/(√κ + 1))², heavy ball contracts by ≈ (√κ − 1)/(√κ + 1) = 0.82 per step;
        // plain descent with its best η = 2/(L + μ) only by (κ − 1)/(κ + 1) = 0.98.
        let curvatures: [Float] = (0..<8).map { Float(pow(100, Double($0) / 7)) }
        let steps = 150
        let heavyBall = Quadratic(curvatures: curvatures)
        heavyBall.minimise(with: SGD(parameters: heavyBall.parameters, learningRate: 4 / 121, momentum: Float(81.0 / 121)), steps: steps)
        let plain = Quadratic(curvatures: curvatures)
        plain.minimise(with: SGD(parameters: plain.parameters, learningRate: 2 / 101), steps: steps)
        print("κ = 100 quadratic after \(steps) steps: momentum \(heavyBall.loss), plain \(plain.loss)")
        #expect(heavyBall.loss < 1e-10)
        #expect(plain.loss > 1e-5)
        #expect(heavyBall.x.value.scalars.allSatisfy { abs($0) < 1e-5 })
    }

    @Test func momentumStepsMatchHandComputedValues() {
        // λ = [1, 3], x₀ = [1, −2], η = 0.1, μ = 0.9.
        // Heavy ball: v₁ = g₀ = [1, −6], x₁ = [0.9, −1.4]; g₁ = [0.9, −4.2],
        // v₂ = 0.9·v₁ + g₁ = [1.8, −9.6], x₂ = [0.72, −0.44].
        let problem = Quadratic(curvatures: [1, 3], start: [1, -2])
        let sgd = SGD(parameters: problem.parameters, learningRate: 0.1, momentum: 0.9)
        problem.minimise(with: sgd, steps: 1)
        #expect(agrees(problem.x.value.scalars, [0.9, -1.4], 1e-6))
        problem.minimise(with: sgd, steps: 1)
        #expect(agrees(problem.x.value.scalars, [0.72, -0.44], 1e-6))
        #expect(sgd.stepCount == 2)
        #expect(agrees(sgd.state()["x.sgd.momentum"]!.scalars, [1.8, -9.6], 1e-6))

        // Nesterov: x₁ = x₀ − η·(g₀ + μ·v₁) = [1 − 0.19, −2 + 1.14] = [0.81, −0.86].
        let nesterovProblem = Quadratic(curvatures: [1, 3], start: [1, -2])
        nesterovProblem.minimise(with: SGD(parameters: nesterovProblem.parameters, learningRate: 0.1, momentum: 0.9, nesterov: true), steps: 1)
        #expect(agrees(nesterovProblem.x.value.scalars, [0.81, -0.86], 1e-6))
    }

    @Test func adamMatchesAnIndependentDoublePrecisionImplementation() {
        let curvatures: [Float] = [0.5, 2, 10, 40]
        let start: [Float] = [1, -1, 0.5, 0.25]
        let problem = Quadratic(curvatures: curvatures, start: start)
        let adam = Adam(parameters: problem.parameters, learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: .l2(0.1))

        // Algorithm 1 of Kingma & Ba (2015) with L2 added to the gradient, in Double.
        var x = start.map(Double.init), m = [Double](repeating: 0, count: 4), v = m
        for t in 1...25 {
            for i in 0..<4 {
                let g = Double(curvatures[i]) * x[i] + 0.1 * x[i]
                m[i] = 0.8 * m[i] + 0.2 * g
                v[i] = 0.99 * v[i] + 0.01 * g * g
                let mHat = m[i] / (1 - pow(0.8, Double(t))), vHat = v[i] / (1 - pow(0.99, Double(t)))
                x[i] -= 0.01 * mHat / (vHat.squareRoot() + 1e-6)
            }
        }
        problem.minimise(with: adam, steps: 25)
        #expect(agrees(problem.x.value.scalars, x.map(Float.init), 1e-5))
        #expect(adam.stepCount == 25)
    }

    @Test("Adam's vectorised update gives the same bits as the rule's scalar loop, lanes ragged against 16",
          .enabled(if: parley_kernels_have_avx512() == 1, "no AVX-512 on this CPU: the scalar loop is the only path"))
    func adamVectorisedUpdateIsTheScalarRule() throws {
        let random = RandomGenerator(seed: 5)
        let count = 16 * 5 + 7
        let theta = (0..<count).map { _ in random.uniform(-2, 2) }, g = (0..<count).map { _ in random.uniform(-1, 1) }
        let m = (0..<count).map { _ in random.uniform(-0.1, 0.1) }, v = (0..<count).map { _ in random.uniform(0, 0.01) }
        // (β₁, β₂, ε, L2 rate, shrink, step size, 1/√(1 − β₂ᵗ)): plain, L2 and decoupled decay.
        let settings: [(Float, Float, Float, Float, Float, Float, Float)] = [
            (0.9, 0.999, 1e-8, 0, 1, 1e-3 / 0.1, 1 / Float(0.001).squareRoot()),
            (0.8, 0.99, 1e-6, 0.1, 1, 0.01 / 0.36, 1 / Float(0.0199).squareRoot()),
            (0.9, 0.98, 1e-9, 0, 1 - 1e-4, 5e-4 / 0.271, 1 / Float(0.0588).squareRoot()),
        ]
        for (b1, b2, eps, l2, shrink, stepSize, root) in settings {
            var (expectedTheta, expectedM, expectedV) = (theta, m, v)
            for i in 0..<count {   // Adam.update's scalar loop
                let gradient = g[i] + l2 * expectedTheta[i]
                expectedM[i] = b1 * expectedM[i] + (1 - b1) * gradient
                expectedV[i] = b2 * expectedV[i] + (1 - b2) * gradient * gradient
                let denominator = expectedV[i].squareRoot() * root + eps
                expectedTheta[i] = shrink * expectedTheta[i] - stepSize * expectedM[i] / denominator
            }
            var (gotTheta, gotM, gotV) = (theta, m, v)
            let status = parley_adam_update(&gotTheta, g, &gotM, &gotV, count, b1, b2, eps, l2, shrink, stepSize, root)
            try #require(status == 0, "the vectorised update declined on a CPU with AVX-512")
            func differing(_ a: [Float], _ b: [Float]) -> Int { zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count }
            #expect(differing(gotTheta, expectedTheta) == 0, "weights differ, L2 \(l2), shrink \(shrink)")
            #expect(differing(gotM, expectedM) == 0, "first moments differ, L2 \(l2)")
            #expect(differing(gotV, expectedV) == 0, "second moments differ, L2 \(l2)")
        }
    }

    @Test func adamsFirstStepHasTheLearningRateAsItsSize() {
        // Bias correction makes m̂₁ = g and v̂₁ = g², so the first step is η·sign(g) whatever |g| is.
        let problem = Quadratic(curvatures: [1e-3, 1, 1e3], start: [1, -1, 1])
        problem.minimise(with: Adam(parameters: problem.parameters, learningRate: 0.1), steps: 1)
        #expect(agrees(problem.x.value.scalars, [0.9, -0.9, 0.9], 1e-5))
    }

    @Test func decoupledDecayDiffersFromL2AsExpected() {
        // With a zero gradient, L2 makes the whole gradient λ·θ, which Adam normalises to a step of
        // η whatever λ is; AdamW's decoupled decay shrinks θ by η·λ·θ and its Adam step is 0.
        func oneStep(_ make: (ParameterList) -> Optimizer) -> (weight: Float, bias: Float) {
            let weight = Parameter(Tensor(shape: [2], scalars: [1, -2]))
            let bias = Parameter(Tensor(shape: [1], scalars: [1]))
            let list = ParameterList(named: [("layer.weight", weight), ("layer.bias", bias)])
            make(list).step()
            return (weight.value[0], bias.value[0])
        }
        let spareBias: (String) -> Bool = { !$0.hasSuffix(".bias") }
        let adamL2 = oneStep { Adam(parameters: $0, learningRate: 0.1, weightDecay: .l2(0.01), decays: spareBias) }
        let adamL2Double = oneStep { Adam(parameters: $0, learningRate: 0.1, weightDecay: .l2(0.02), decays: spareBias) }
        let adamW = oneStep { AdamW(parameters: $0, learningRate: 0.1, weightDecay: 0.01, decays: spareBias) }
        let adamWDouble = oneStep { AdamW(parameters: $0, learningRate: 0.1, weightDecay: 0.02, decays: spareBias) }
        #expect(abs(adamL2.weight - 0.9) < 1e-5)
        #expect(abs(adamL2Double.weight - 0.9) < 1e-5)  // L2 under Adam: the rate does not matter.
        #expect(abs(adamW.weight - 0.999) < 1e-6)        // 1 − η·λ
        #expect(abs(adamWDouble.weight - 0.998) < 1e-6)  // Decay proportional to the rate.
        #expect(adamL2.bias == 1 && adamW.bias == 1)     // Spared by the predicate.
    }

    @Test func weightDecayFollowsThePredicateAcrossInterleavedParameters() {
        // Decayed and spared parameters alternate in the flat buffer.
        let names = ["a.weight", "a.bias", "b.weight", "b.bias"]
        let parameters = names.map { _ in Parameter(Tensor(repeating: 2, shape: [3])) }
        let list = ParameterList(named: Array(zip(names, parameters)))
        let sgd = SGD(parameters: list, learningRate: 0.5, weightDecay: .decoupled(0.1), decays: { $0.hasSuffix(".weight") })
        sgd.step()
        #expect(parameters.map { $0.value.scalars } == [[1.9, 1.9, 1.9], [2, 2, 2], [1.9, 1.9, 1.9], [2, 2, 2]])
    }

    @Test func stateRoundTripContinuesTheSameTrajectory() throws {
        let reference = Quadratic(curvatures: illConditioned)
        let adam = Adam(parameters: reference.parameters, learningRate: 0.05)
        reference.minimise(with: adam, steps: 7)
        let saved = adam.state()
        let savedValue = reference.x.value.scalars
        #expect(Set(saved.keys) == ["x.adam.m", "x.adam.v"])

        let resumed = Quadratic(curvatures: illConditioned, start: savedValue)
        let restored = Adam(parameters: resumed.parameters, learningRate: 0.05)
        try restored.load(state: saved)
        restored.stepCount = adam.stepCount
        reference.minimise(with: adam, steps: 5)
        resumed.minimise(with: restored, steps: 5)
        #expect(resumed.x.value.scalars.map(\.bitPattern) == reference.x.value.scalars.map(\.bitPattern))

        // Without the state (a fresh optimiser), the trajectory differs.
        let fresh = Quadratic(curvatures: illConditioned, start: savedValue)
        fresh.minimise(with: Adam(parameters: fresh.parameters, learningRate: 0.05), steps: 5)
        #expect(fresh.x.value.scalars != reference.x.value.scalars)
    }

    @Test func loadingStateChecksNamesAndShapes() {
        let problem = Quadratic(curvatures: [1, 2, 3])
        let adam = Adam(parameters: problem.parameters)
        let missing = #expect(throws: CheckpointError.self) {
            try adam.load(state: ["x.adam.m": Tensor(zeros: [3])])
        }
        #expect(missing?.localizedDescription.contains("missing tensor 'x.adam.v'") == true)
        let misshapen = #expect(throws: CheckpointError.self) {
            try adam.load(state: ["x.adam.m": Tensor(repeating: 1, shape: [3]), "x.adam.v": Tensor(zeros: [4])])
        }
        #expect(misshapen?.reason == .shapeMismatch("x.adam.v", expected: [3], found: [4]))
        // Nothing was loaded: the first tensor was valid but the whole load failed.
        #expect(adam.state()["x.adam.m"]!.scalars == [0, 0, 0])
        // Momentum state does not satisfy Adam.
        #expect(throws: CheckpointError.self) { try adam.load(state: ["x.sgd.momentum": Tensor(zeros: [3])]) }
    }

    @Test func clippingBoundsTheStepOfPlainDescent() {
        let problem = Quadratic(curvatures: [300, 400], start: [1, 1])
        problem.computeGradient()  // ‖g‖ = 500
        let norm = problem.parameters.clipGradientNorm(1)
        SGD(parameters: problem.parameters, learningRate: 0.1).step()
        #expect(abs(norm - 500) < 1e-3)
        #expect(agrees(problem.x.value.scalars, [1 - 0.1 * 0.6, 1 - 0.1 * 0.8], 1e-5))
    }

    @Test func adamTrainsALinearLayerThroughAutograd() {
        // Fit y = 2·x₀ − x₁ + 0.5 with a 2 → 1 linear layer and a mean squared error.
        let generator = RandomGenerator(seed: 7)
        let layer = Linear(inputSize: 2, outputSize: 1, generator: generator)
        let list = ParameterList(layer)
        let adam = Adam(parameters: list, learningRate: 0.05)
        let inputs = Tensor.uniform([32, 2], low: -1, high: 1, generator: generator)
        let targets = Tensor(shape: [32, 1], scalars: (0..<32).map { 2 * inputs[$0, 0] - inputs[$0, 1] + 0.5 })
        func loss() -> Tensor {
            let error = layer(inputs) - targets  // [32, 1]
            return (error * error).mean()
        }
        let initial = withoutGradients { loss().scalar }
        for _ in 0..<400 {
            list.zeroGradients()
            loss().backward()
            adam.step()
        }
        let final = withoutGradients { loss().scalar }
        print("linear regression with Adam: loss \(initial) → \(final)")
        #expect(final < 1e-4 * initial)
        #expect(agrees(layer.weight.value.scalars, [2, -1], 1e-2))
        #expect(agrees(layer.bias!.value.scalars, [0.5], 1e-2))
    }
}

/// Whether `a` and `b` agree elementwise to `tolerance`, relative to the larger magnitude (and absolutely near zero).
private func agrees(_ a: [Float], _ b: [Float], _ tolerance: Float) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($0), abs($1)) }
}
