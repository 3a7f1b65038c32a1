import Foundation
import Seq
import Testing

/// A tensor as the NumPy scripts in `scripts/` write it: `{"shape": […], "data": […]}`, row-major.
struct FixtureTensor: Decodable {
    var shape: [Int]
    var data: [Double]

    var tensor: Tensor { Tensor(shape: shape, scalars: data.map(Float.init)) }
}

/// Reading the committed NumPy fixtures and comparing layers with them.
enum NumPyFixtures {
    /// `Fixtures/<name>.json` from the test bundle, decoded.
    static func load<Fixture: Decodable>(_ name: String, as type: Fixture.Type) throws -> Fixture {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(type, from: Data(contentsOf: url))
    }

    /// Sets each of `layer`'s parameters from the fixture entry of the same name; every name must
    /// be there, and with `usingEvery` every entry must be a parameter of the layer.
    static func load(_ tensors: [String: FixtureTensor], into layer: Layer, usingEvery: Bool = false) throws {
        let named = layer.namedParameters
        if usingEvery {
            #expect(Set(named.map(\.name)) == Set(tensors.keys), "fixture and layer name different parameters")
        }
        for (name, parameter) in named {
            let value = try #require(tensors[name], "fixture lacks \(name)")
            try #require(value.shape == parameter.shape, "\(name): fixture \(value.shape), layer \(parameter.shape)")
            parameter.value = value.tensor
        }
    }

    /// `|a − e| ≤ 1e-5·(1 + |e|)` everywhere.
    static func expectMatches(_ actual: Tensor, _ expected: FixtureTensor, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.shape == expected.shape, "\(what): shape \(actual.shape), expected \(expected.shape)", sourceLocation: sourceLocation)
        guard actual.shape == expected.shape else { return }
        var worst = 0.0
        for (a, e) in zip(actual.scalars, expected.data) { worst = max(worst, abs(Double(a) - e) / (1 + abs(e))) }
        #expect(worst <= 1e-5, "\(what): worst error \(worst)", sourceLocation: sourceLocation)
    }
}
