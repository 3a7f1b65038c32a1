import Seq
import TestSupport
import Testing

/// The engine learns: gradients, layers and optimisers together fit small problems.
@Suite("Learning with the tensor engine")
struct EngineLearningTests {
    /// A two-layer perceptron `tanh(x·W₁ᵀ + b₁)·W₂ᵀ + b₂`.
    final class Perceptron: Layer {
        let hidden: Linear
        let output: Linear
        init(inputs: Int, hiddenUnits: Int, outputs: Int, generator: RandomGenerator) {
            hidden = Linear(inputSize: inputs, outputSize: hiddenUnits, generator: generator)
            output = Linear(inputSize: hiddenUnits, outputSize: outputs, generator: generator)
        }
        func callAsFunction(_ x: Tensor) -> Tensor { output(hidden(x).tanh()) }
        func visit(_ visitor: inout LayerVisitor) {
            visitor("hidden", hidden)
            visitor("output", output)
        }
    }

    @Test("a small MLP learns XOR")
    func xor() {
        let model = Perceptron(inputs: 2, hiddenUnits: 8, outputs: 2, generator: RandomGenerator(seed: 3))
        let parameters = ParameterList(model)
        let optimizer = Adam(parameters: parameters, learningRate: 0.05)
        let inputs = Tensor(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1])
        let labels = [0, 1, 1, 0]
        var loss: Float = .infinity
        for _ in 0..<300 {
            parameters.zeroGradients()
            let objective = Tensor.crossEntropy(logits: model(inputs), targets: labels)
            objective.backward()
            optimizer.step()
            loss = objective.scalar
        }
        let predictions = withoutGradients { model(inputs).argmaxLastAxis() }
        #expect(predictions == labels)
        #expect(loss < 0.05, "final XOR loss \(loss)")
    }

    @Test("a softmax classifier reaches 98% on a separable synthetic set")
    func softmaxClassifier() {
        // Five classes around well-separated centres in 4-D, with spread noise.
        let generator = RandomGenerator(seed: 11)
        let centres = Tensor.uniform([5, 4], low: -3, high: 3, generator: generator).scalars
        func sample(_ count: Int) -> (Tensor, [Int]) {
            var points: [Float] = [], labels: [Int] = []
            for i in 0..<count {
                let label = i % 5
                for d in 0..<4 { points.append(centres[label * 4 + d] + 0.35 * generator.normal()) }
                labels.append(label)
            }
            return (Tensor(shape: [count, 4], scalars: points), labels)
        }
        let (trainX, trainY) = sample(500), (testX, testY) = sample(500)
        let classifier = Linear(inputSize: 4, outputSize: 5, generator: generator)
        let parameters = ParameterList(classifier)
        let optimizer = SGD(parameters: parameters, learningRate: 0.5, momentum: 0.9)
        for _ in 0..<200 {
            parameters.zeroGradients()
            Tensor.crossEntropy(logits: classifier(trainX), targets: trainY).backward()
            optimizer.step()
        }
        let predicted = withoutGradients { classifier(testX).argmaxLastAxis() }
        let accuracy = Double(zip(predicted, testY).filter { $0 == $1 }.count) / Double(testY.count)
        #expect(accuracy >= 0.98, "held-out accuracy \(accuracy)")
    }

    @Test("inference mode records nothing")
    func inferenceRecordsNothing() {
        let layer = Linear(inputSize: 3, outputSize: 2, generator: RandomGenerator(seed: 1))
        let x = randomTensor([4, 3], seed: 2)
        #expect(layer(x).requiresGradient)
        #expect(!withoutGradients { layer(x).requiresGradient })
    }

    @Test("tensors have value semantics")
    func valueSemantics() {
        let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        var b = a
        b[0, 1] = 9
        #expect(a.scalars == [1, 2, 3, 4])
        #expect(b.scalars == [1, 9, 3, 4])
    }

    @Test("gradients accumulate until zeroed, and parameters share flat buffers")
    func accumulationAndFlatBuffers() {
        let model = Perceptron(inputs: 3, hiddenUnits: 4, outputs: 2, generator: RandomGenerator(seed: 5))
        let parameters = ParameterList(model)
        #expect(parameters.entries.map(\.name) == ["hidden.weight", "hidden.bias", "output.weight", "output.bias"])
        #expect(parameters.count == model.parameterCount)
        let x = randomTensor([2, 3], seed: 6)
        model(x).sum().backward()
        let once = parameters.gradients.buffer.map { $0 }
        model(x).sum().backward()
        let twice = parameters.gradients.buffer.map { $0 }
        #expect(isClose(twice, once.map { 2 * $0 }))
        #expect(model.output.bias!.gradient.scalars == Array(twice.suffix(2)))
        parameters.zeroGradients()
        #expect(model.hidden.weight.gradient.scalars.allSatisfy { $0 == 0 })
    }
}
