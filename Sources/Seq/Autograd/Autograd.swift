/// Reverse-mode automatic differentiation as a tape of closures.
///
/// Every operation whose inputs take part in a gradient computation returns a tensor carrying an
/// `AutogradNode`: the nodes of its inputs and a closure mapping the gradient of its output to
/// the gradients of its inputs. `Tensor.backward()` orders the nodes reachable from a scalar loss
/// topologically and runs the closures from the loss back to the parameters, whose gradients
/// accumulate in place. Inside `withoutGradients` nothing is recorded, so decoding pays nothing.
public enum Autograd {
    /// Whether operations record their backward closures on this task or thread.
    @TaskLocal public static var isRecording = true
}

/// Runs `body` with gradient recording off (inference, evaluation, decoding).
@inlinable
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try Autograd.$isRecording.withValue(false, operation: body)
}

/// One recorded operation: where its inputs came from and how to send gradients back to them.
final class AutogradNode {
    /// The nodes of the operation's inputs, `nil` for inputs that need no gradient.
    let inputs: [AutogradNode?]
    /// Maps the gradient of the output to one gradient per input (shaped like that input).
    let backward: (Tensor) -> [Tensor?]
    /// For a leaf: the parameter whose gradient this node accumulates into.
    unowned(unsafe) let parameter: Parameter?
    /// The gradient gathered so far during a backward pass.
    var gradient: Tensor?

    init(inputs: [AutogradNode?], backward: @escaping (Tensor) -> [Tensor?]) {
        self.inputs = inputs
        self.backward = backward
        self.parameter = nil
    }

    init(leafOf parameter: Parameter) {
        self.inputs = []
        self.backward = { _ in [] }
        self.parameter = parameter
    }

    func accumulate(_ incoming: Tensor) {
        if let parameter {
            parameter.accumulateGradient(incoming)
        } else if gradient == nil {
            gradient = incoming.detached()
        } else {
            gradient!.addInPlace(incoming)
        }
    }
}

extension Tensor {
    /// Whether an operation over these inputs must record a backward closure.
    @inline(__always)
    static func tracks(_ a: Tensor) -> Bool { a.node != nil && Autograd.isRecording }
    @inline(__always)
    static func tracks(_ a: Tensor, _ b: Tensor) -> Bool { (a.node != nil || b.node != nil) && Autograd.isRecording }
    static func tracks(_ inputs: [Tensor]) -> Bool { inputs.contains { $0.node != nil } && Autograd.isRecording }

    /// This tensor, recorded as the output of an operation over `inputs`.
    func recorded(from inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        Tensor(shape: shape, storage: storage, node: AutogradNode(inputs: inputs.map(\.node), backward: backward))
    }

    /// Back-propagates from this scalar (typically a loss), accumulating into the parameters' gradients.
    ///
    /// Gradients add to what the parameters already hold; zero them between steps.
    public func backward() {
        precondition(count == 1, "backward() starts from a scalar, got shape \(shape)")
        guard let root = node else { return }
        let order = Tensor.topologicalOrder(from: root)
        root.gradient = Tensor(repeating: 1, shape: shape)
        withoutGradients {
            for node in order.reversed() {
                guard let gradient = node.gradient else { continue }
                node.gradient = nil
                if let parameter = node.parameter {
                    parameter.accumulateGradient(gradient)
                    continue
                }
                let inputGradients = node.backward(gradient)
                for (input, inputGradient) in zip(node.inputs, inputGradients) {
                    guard let input, let inputGradient else { continue }
                    input.accumulate(inputGradient)
                }
            }
        }
    }

    /// Nodes reachable from `root`, each after all of its inputs (iterative: graphs of long
    /// unrolled recurrences are deep).
    private static func topologicalOrder(from root: AutogradNode) -> [AutogradNode] {
        var order: [AutogradNode] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(node: AutogradNode, nextInput: Int)] = [(root, 0)]
        visited.insert(ObjectIdentifier(root))
        while !stack.isEmpty {
            let (node, next) = stack[stack.count - 1]
            if next < node.inputs.count {
                stack[stack.count - 1].nextInput += 1
                if let input = node.inputs[next], visited.insert(ObjectIdentifier(input)).inserted {
                    stack.append((input, 0))
                }
            } else {
                order.append(node)
                stack.removeLast()
            }
        }
        return order
    }
}
