import Foundation
import Seq
import Testing

/// Two linear layers, enough to have several named parameters of different shapes.
private final class TinyModel: Layer {
    let first: Linear
    let second: Linear
    let third: Linear?

    init(seed: UInt64, hiddenSize: Int = 3, thirdLayer: Bool = false) {
        let generator = RandomGenerator(seed: seed)
        first = Linear(inputSize: 2, outputSize: hiddenSize, generator: generator)
        second = Linear(inputSize: hiddenSize, outputSize: 1, generator: generator)
        third = thirdLayer ? Linear(inputSize: 1, outputSize: 1, generator: generator) : nil
    }

    func visit(_ visitor: inout LayerVisitor) {
        visitor("first", first)
        visitor("second", second)
        visitor("third", third)
    }

    /// Every parameter's bits, by name.
    var bits: [String: [UInt32]] {
        Dictionary(uniqueKeysWithValues: namedParameters.map { ($0.name, $0.parameter.value.scalars.map(\.bitPattern)) })
    }
}

/// A fresh directory for one test, removed by `remove()`.
private struct ScratchDirectory {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("parley-checkpoint-\(UUID().uuidString)")
    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    func file(_ name: String) -> URL { url.appendingPathComponent(name) }
    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// The bytes of a safetensors file with the given header text and data.
private func safetensorsFile(header: String, data: [UInt8]) -> Data {
    var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) }
    bytes += Array(header.utf8) + data
    return Data(bytes)
}

/// Twelve bytes of F32 data: 1, 2, 3.
private let threeFloats: [UInt8] = [Float(1), 2, 3].flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }

/// Deterministic pseudo-gradients that depend on the values, so training trajectories can be replayed.
private func fillGradients(_ list: ParameterList) {
    let g = list.gradients.pointer, x = list.values.pointer
    for i in 0..<list.count { g[i] = sin(3 * x[i]) + 0.1 * Float(i % 5) }
}

/// The tensors the Python fixture holds (see `scripts/check_safetensors.py`).
private let interopTensors: [String: Tensor] = [
    "encoder.embedding.weight": Tensor(shape: [3, 4], scalars: (0..<12).map { Float($0) * 0.25 - 1 }),
    "encoder.layers.0.bias": Tensor(shape: [6], scalars: [-0.0, .infinity, -.infinity, 1e-40, .greatestFiniteMagnitude, -3.5]),
    "scale": Tensor(0.125),
    "empty": Tensor(zeros: [0, 4]),
]

private func expectSameBits(_ a: [String: Tensor], _ b: [String: Tensor], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(Set(a.keys) == Set(b.keys), sourceLocation: sourceLocation)
    for (name, tensor) in a {
        #expect(b[name]?.shape == tensor.shape, "\(name)", sourceLocation: sourceLocation)
        #expect(b[name]?.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern), "\(name)", sourceLocation: sourceLocation)
    }
}

@Suite struct CheckpointTests {
    // MARK: The safetensors format

    @Test func safeTensorsRoundTripIsBitExact() throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        var tensors = interopTensors
        tensors["nan"] = Tensor(shape: [2], scalars: [Float(bitPattern: 0x7FC0_1234), Float(bitPattern: 0xFFA0_0001)])
        let metadata = ["step": "12", "note": "quotes \" and \\ and é and\nnewline", "control": "\u{01}\t", "config": #"{"a": [1, 2]}"#]
        let url = directory.file("round-trip.safetensors")
        try SafeTensors.write(tensors, metadata: metadata, to: url)
        let (read, readMetadata) = try SafeTensors.read(from: url)
        expectSameBits(tensors, read)
        #expect(readMetadata == metadata)

        // The layout the format prescribes: header length, then a JSON header padded with spaces
        // to a multiple of 8, then 4 bytes per element.
        let data = try Data(contentsOf: url)
        let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(headerLength % 8 == 0)
        #expect(data[8] == UInt8(ascii: "{"))
        #expect(data.count == 8 + headerLength + 4 * tensors.values.reduce(0) { $0 + $1.count })
        // Nothing but the file is left in the directory (the temporary file was renamed).
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path) == ["round-trip.safetensors"])
    }

    @Test func readsWhatPythonWroteAndWritesTheSameBytes() throws {
        let url = try #require(Bundle.module.url(forResource: "python-written", withExtension: "safetensors", subdirectory: "Fixtures"))
        let (tensors, metadata) = try SafeTensors.read(from: url)
        expectSameBits(interopTensors, tensors)
        #expect(metadata == ["step": "12"])
        // Same ordering, same JSON spelling, same padding as the reference writer.
        #expect(SafeTensors.encode(interopTensors, metadata: metadata) == (try Data(contentsOf: url)))
    }

    @Test func writesTheFileTheInteropScriptChecks() throws {
        // For the interop check by hand (scripts/check_safetensors.py): set PARLEY_SAFETENSORS_OUT.
        guard let path = ProcessInfo.processInfo.environment["PARLEY_SAFETENSORS_OUT"] else { return }
        try SafeTensors.write(interopTensors, metadata: ["step": "12", "note": "quotes \" and \\ and é and\nnewline"], to: URL(fileURLWithPath: path))
    }

    @Test func writingReplacesAnExistingFileAndReportsAMissingDirectory() throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let url = directory.file("model.safetensors")
        try SafeTensors.write(["a": Tensor(shape: [1], scalars: [1])], to: url)
        try SafeTensors.write(["b": Tensor(shape: [1], scalars: [2])], to: url)
        #expect(try SafeTensors.read(from: url).tensors.keys.sorted() == ["b"])

        let nowhere = directory.url.appendingPathComponent("no/such/dir/model.safetensors")
        let error = #expect(throws: CheckpointError.self) { try SafeTensors.write(["a": Tensor(0)], to: nowhere) }
        #expect(error?.localizedDescription.contains("cannot write") == true)
        #expect(error?.localizedDescription.contains(nowhere.path) == true)
    }

    // MARK: Damaged files

    /// The error reading `bytes` from a file, after checking that its message names the file.
    private func readError(_ bytes: Data, sourceLocation: SourceLocation = #_sourceLocation) throws -> CheckpointError? {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let url = directory.file("damaged.safetensors")
        try bytes.write(to: url)
        let error = #expect(throws: CheckpointError.self, sourceLocation: sourceLocation) { try SafeTensors.read(from: url) }
        #expect(error?.localizedDescription.hasPrefix("checkpoint \(url.path): ") == true, sourceLocation: sourceLocation)
        return error
    }

    @Test func missingFile() throws {
        let url = URL(fileURLWithPath: "/nonexistent/parley/model.safetensors")
        let error = #expect(throws: CheckpointError.self) { try SafeTensors.read(from: url) }
        #expect(error?.localizedDescription == "checkpoint /nonexistent/parley/model.safetensors: file not found")
    }

    @Test func truncatedFiles() throws {
        let whole = SafeTensors.encode(interopTensors, metadata: ["step": "1"])
        // Cut inside the data, inside the header, and inside the length.
        let insideData = try readError(whole.prefix(whole.count - 10))
        #expect(insideData?.reason == .truncated("tensor 'encoder.layers.0.bias' ends at data byte 72 but the file holds only 66 bytes of data"))
        #expect(insideData?.localizedDescription.contains("file is truncated") == true)
        let insideHeader = try readError(whole.prefix(40))
        #expect(insideHeader?.localizedDescription.contains("file is truncated: the header should be") == true)
        let insideLength = try readError(whole.prefix(5))
        #expect(insideLength?.reason == .truncated("5 bytes, fewer than the 8-byte header length"))
        let empty = try readError(Data())
        #expect(empty?.localizedDescription.contains("truncated") == true)
    }

    @Test func corruptedHeaders() throws {
        var garbled = SafeTensors.encode(interopTensors)
        garbled[16] = UInt8(ascii: "}")  // `{"empty":{…` becomes `{"empty"}{…`
        #expect(try readError(garbled)?.localizedDescription.contains("corrupted header: the header is not valid JSON") == true)

        let notAnObject = try readError(safetensorsFile(header: "[1, 2]  ", data: []))
        #expect(notAnObject?.localizedDescription.contains("corrupted header") == true)

        var hugeLength = SafeTensors.encode(interopTensors)
        hugeLength[6] = 0xFF
        #expect(try readError(hugeLength)?.localizedDescription.contains("header length") == true)

        let numericMetadata = try readError(safetensorsFile(header: #"{"__metadata__": {"step": 12}}"#, data: []))
        #expect(numericMetadata?.localizedDescription.contains("__metadata__ value for 'step' is not a string") == true)

        let noShape = try readError(safetensorsFile(header: #"{"a": {"dtype": "F32", "data_offsets": [0, 12]}}"#, data: threeFloats))
        #expect(noShape?.localizedDescription.contains("tensor 'a' has no shape") == true)

        let fractionalShape = try readError(safetensorsFile(header: #"{"a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 12]}}"#, data: threeFloats))
        #expect(fractionalShape?.localizedDescription.contains("tensor 'a' has no shape") == true)

        let halfPrecision = try readError(safetensorsFile(header: #"{"a": {"dtype": "F16", "shape": [6], "data_offsets": [0, 12]}}"#, data: threeFloats))
        #expect(halfPrecision?.reason == .unsupportedDataType(tensor: "a", "F16"))

        let trailingBytes = try readError(safetensorsFile(header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, data: threeFloats))
        #expect(trailingBytes?.localizedDescription.contains("holds 12 bytes of data but the header accounts for 8") == true)
    }

    @Test func headerWithAShapeThatDisagreesWithItsOffsets() throws {
        let error = try readError(safetensorsFile(header: #"{"a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]}}"#, data: threeFloats))
        #expect(error?.localizedDescription.contains("invalid data offsets for tensor 'a': shape [2, 2] needs 16 bytes but the offsets span 12") == true)
    }

    @Test func badOffsets() throws {
        let overlapping = try readError(safetensorsFile(
            header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#,
            data: threeFloats))
        #expect(overlapping?.localizedDescription.contains("tensor 'b': bytes 4..<12 overlap the previous tensor") == true)

        let gap = try readError(safetensorsFile(header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#, data: threeFloats))
        #expect(gap?.localizedDescription.contains("tensor 'a': bytes 0..<4 before it belong to no tensor") == true)

        let backwards = try readError(safetensorsFile(header: #"{"a": {"dtype": "F32", "shape": [0], "data_offsets": [12, 0]}}"#, data: threeFloats))
        #expect(backwards?.localizedDescription.contains("begin 12 is after end 0") == true)

        let outside = try readError(safetensorsFile(header: #"{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#, data: threeFloats))
        #expect(outside?.localizedDescription.contains("tensor 'a' ends at data byte 16 but the file holds only 12") == true)

        let negative = try readError(safetensorsFile(header: #"{"a": {"dtype": "F32", "shape": [3], "data_offsets": [-4, 8]}}"#, data: threeFloats))
        #expect(negative?.localizedDescription.contains("data_offsets") == true)
    }

    // MARK: Checkpoints of models and optimisers

    @Test func checkpointRoundTripIsBitExactIncludingOptimizerStateAndMetadata() throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let model = TinyModel(seed: 1)
        let list = ParameterList(model)
        let adam = AdamW(parameters: list, learningRate: 0.01, weightDecay: 0.1, decays: { !$0.hasSuffix(".bias") })
        for _ in 0..<5 {
            fillGradients(list)
            adam.step()
        }
        let generator = RandomGenerator(seed: 99)
        _ = generator.next()
        let metadata = ["epoch": "3", "random": generator.checkpointDescription, "config": #"{"model": {"hiddenSize": 3}}"#]
        let url = directory.file("checkpoint.safetensors")
        try Checkpoint.save(model, optimizer: adam, metadata: metadata, to: url)

        let restored = TinyModel(seed: 2)
        #expect(restored.bits != model.bits)
        let restoredList = ParameterList(restored)
        let restoredAdam = AdamW(parameters: restoredList, learningRate: 0.01, weightDecay: 0.1, decays: { !$0.hasSuffix(".bias") })
        let readMetadata = try Checkpoint.load(from: url, into: restored, optimizer: restoredAdam)

        #expect(restored.bits == model.bits)
        expectSameBits(adam.state(), restoredAdam.state())
        #expect(restoredAdam.stepCount == 5)
        #expect(readMetadata == metadata.merging([Checkpoint.optimizerStepKey: "5"]) { $1 })
        let restoredGenerator = RandomGenerator(seed: 0)
        try restoredGenerator.restore(checkpointDescription: try #require(readMetadata["random"]))
        #expect(restoredGenerator.next() == generator.next())

        // Training continues along the same trajectory, bit for bit.
        for (l, optimizer) in [(list, adam), (restoredList, restoredAdam)] {
            for _ in 0..<5 {
                fillGradients(l)
                optimizer.step()
            }
        }
        #expect(restored.bits == model.bits)

        // Python sees ordinary model weights plus the optimiser's moments.
        let names = try SafeTensors.read(from: url).tensors.keys.sorted()
        #expect(names == [
            "first.bias", "first.bias.adam.m", "first.bias.adam.v", "first.weight", "first.weight.adam.m", "first.weight.adam.v",
            "second.bias", "second.bias.adam.m", "second.bias.adam.v", "second.weight", "second.weight.adam.m", "second.weight.adam.v",
        ])
    }

    @Test func aModelOfTheWrongShapeIsRejectedAndLeftUnchanged() throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let url = directory.file("model.safetensors")
        try Checkpoint.save(TinyModel(seed: 1, hiddenSize: 3), to: url)
        let wider = TinyModel(seed: 2, hiddenSize: 4)
        let before = wider.bits
        let error = #expect(throws: CheckpointError.self) { try Checkpoint.load(from: url, into: wider) }
        #expect(error?.localizedDescription == "checkpoint \(url.path): tensor 'first.weight' has shape [3, 2] in the file but [4, 2] in the model")
        #expect(wider.bits == before)
    }

    @Test func missingAndUnexpectedTensors() throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let small = directory.file("small.safetensors"), large = directory.file("large.safetensors")
        try Checkpoint.save(TinyModel(seed: 1), to: small)
        try Checkpoint.save(TinyModel(seed: 1, thirdLayer: true), to: large)

        let missing = #expect(throws: CheckpointError.self) { try Checkpoint.load(from: small, into: TinyModel(seed: 2, thirdLayer: true)) }
        #expect(missing?.localizedDescription == "checkpoint \(small.path): missing tensor 'third.weight'")

        let unexpected = #expect(throws: CheckpointError.self) { try Checkpoint.load(from: large, into: TinyModel(seed: 2)) }
        #expect(unexpected?.localizedDescription.contains("unexpected tensor 'third.bias'") == true)

        // A model-only checkpoint cannot resume an optimiser.
        let model = TinyModel(seed: 2)
        let noState = #expect(throws: CheckpointError.self) {
            try Checkpoint.load(from: small, into: model, optimizer: Adam(parameters: ParameterList(model)))
        }
        #expect(noState?.localizedDescription.contains("metadata 'optimizer.step': missing") == true)
    }

    @Test func optimizerStateOfAnotherKindIsMissing() throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let url = directory.file("sgd.safetensors")
        let model = TinyModel(seed: 1)
        let sgd = SGD(parameters: ParameterList(model), learningRate: 0.1, momentum: 0.9)
        try Checkpoint.save(model, optimizer: sgd, to: url)

        // The model alone loads (the momentum tensors are optimiser state, not unexpected).
        let other = TinyModel(seed: 2)
        try Checkpoint.load(from: url, into: other)
        #expect(other.bits == model.bits)

        let third = TinyModel(seed: 3)
        let before = third.bits
        let error = #expect(throws: CheckpointError.self) {
            try Checkpoint.load(from: url, into: third, optimizer: Adam(parameters: ParameterList(third)))
        }
        #expect(error?.localizedDescription == "checkpoint \(url.path): missing tensor 'first.weight.adam.m'")
        #expect(third.bits == before)
    }

    @Test func generatorStateTextIsValidated() throws {
        let generator = RandomGenerator(seed: 5)
        #expect(generator.checkpointDescription.split(separator: " ").map(\.count) == [16, 16, 16, 16])
        let error = #expect(throws: CheckpointError.self) { try generator.restore(checkpointDescription: "12 zz 3 4", key: "rng") }
        #expect(error?.localizedDescription.contains("metadata 'rng'") == true)
        #expect(throws: CheckpointError.self) { try generator.restore(checkpointDescription: "0 0 0 0") }
    }
}
