import Foundation
import Seq
import Testing
import Translate

/// A session over the fixture model, writing `:save` files into a fresh directory.
private func makeSession(_ kind: ModelKind = .transformer) throws -> (REPLSession, URL) {
    let translator = try Translator(modelDirectory: TrainedModel.directory(kind: kind))
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("parley-repl-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return (REPLSession(translator: translator, workingDirectory: directory), directory)
}

/// The lines a script produces, until `:quit`.
private func transcript(_ session: REPLSession, _ script: [String]) -> [String] {
    var lines: [String] = []
    session.run(script) { lines.append($0) }
    return lines
}

/// The built `parley` executable next to the test bundle, if this build made one.
private let parleyExecutable: URL? = {
    var candidates: [URL] = []
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = testBinary.deletingLastPathComponent()
    // …/release/ParleyPackageTests.xctest (Linux) or …/release/ParleyPackageTests.xctest/Contents/MacOS/… (macOS).
    for _ in 0..<4 {
        candidates.append(directory.appendingPathComponent("parley"))
        directory = directory.deletingLastPathComponent()
    }
    candidates.append(Bundle.main.bundleURL.appendingPathComponent("parley"))
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
}()

@Suite("REPL", .serialized)
struct REPLTests {
    @Test("commands change the settings and confirm in one line")
    func commandsChangeSettings() throws {
        let (session, _) = try makeSession()
        #expect(session.options.beamWidth == 5 && session.options.lengthPenalty == 0)  // the fixture's decoding section
        #expect(session.handle(":beam 3") == ["beam 3"])
        #expect(session.options.beamWidth == 3)
        #expect(session.handle(":nbest 4") == ["n-best 4 (beam widened to 4)"])
        #expect(session.options.nbest == 4 && session.options.beamWidth == 4)
        #expect(session.handle(":beam 2") == ["beam 2 (n-best reduced to 2)"])
        #expect(session.options.nbest == 2 && session.options.beamWidth == 2)
        #expect(session.handle(":greedy") == ["greedy search"])
        #expect(session.options.beamWidth == 1 && session.options.nbest == 1)
        #expect(session.handle(":alpha 0.8").count == 1)
        #expect(session.options.lengthPenalty == 0.8)
        #expect(session.handle(":tokens on") == ["tokens on"] && session.showsTokens)
        #expect(session.handle(":tokens OFF") == ["tokens off"] && !session.showsTokens)
        #expect(session.handle(":attn on") == ["attention on"] && session.showsAttention)
        #expect(session.handle(":attn layer 0 head 3") == ["attention on: layer 0, head 3"])
        #expect(session.attentionLayer == 0 && session.attentionHead == .index(3))
        #expect(session.handle(":attn layer 1 head mean") == ["attention on: layer 1, mean of heads"])
        #expect(session.attentionHead == .mean)
        #expect(session.handle(":attn off") == ["attention off"] && !session.showsAttention)
        // Without AVX2 the setting is kept, and the reply says it changes nothing on this CPU.
        let note = PackedWeights.Precision.bfloat16.isSupported ? " (rounded; steps of up to 8 hypotheses)"
            : " (this CPU lacks AVX2: steps read float32 weights)"
        #expect(session.handle(":weights BFloat16") == ["weights bfloat16" + note])
        #expect(session.options.weightPrecision == .bfloat16 && session.settings.contains("weights bfloat16"))
        #expect(session.handle(":weights float32") == ["weights float32"] && session.options.weightPrecision == .float32)
        let help = session.handle(":help")
        for command in [":help", ":beam K", ":greedy", ":nbest N", ":alpha X", ":weights float32|bfloat16", ":tokens on|off", ":attn on|off", ":attn layer L head H|mean", ":save FILE", ":quit"] {
            #expect(help.contains { $0.hasPrefix("  " + command + " ") }, "help lists \(command)")
        }
        #expect(help.last == session.settings)
        #expect(session.settings.contains("greedy") && session.settings.contains("layer 1"))
    }

    @Test("unknown commands and bad arguments print one error line, change nothing, and the session goes on")
    func badCommandsKeepTheSessionAlive() throws {
        let (session, _) = try makeSession()
        let before = session.options
        let bad = [":foo", ":", ":beam", ":beam x", ":beam 0", ":beam -3", ":beam 100000", ":beam 2 3", ":nbest", ":nbest 0",
                   ":alpha", ":alpha -1", ":alpha nan", ":alpha inf", ":greedy now", ":tokens", ":tokens maybe", ":attn sideways",
                   ":attn layer 7 head 0", ":attn layer 0 head 9", ":attn layer x head 0", ":attn layer 0 head", ":save",
                   ":save nothing-yet.html", ":weights", ":weights half", ":weights float32 now", ":quit now", ":help me"]
        for command in bad where command != ":help me" && command != ":quit now" {
            let output = session.handle(command)
            #expect(output.count == 1 && output[0].hasPrefix("error: "), "\(command) → \(output)")
        }
        #expect(session.options == before && !session.showsAttention && !session.hasQuit)
        #expect(session.handle(":attn layer 7 head 0") == ["error: layer 7 does not exist: cross-attention has 2 layers (0…1)"])
        #expect(session.handle(":quit now") == [] && session.hasQuit, ":quit ignores trailing words")
        let (fresh, _) = try makeSession()
        #expect(fresh.handle("a b c").count >= 2, "a sentence still translates after errors")
    }

    @Test("translations equal Translator's for the same settings, with score, time and the n-best list")
    func outputMatchesTranslator() throws {
        let (session, _) = try makeSession()
        let translator = session.translator
        for (commands, beam, alpha, nbest) in [([":greedy"], 1, Float(0), 1), ([":beam 3", ":alpha 0.6"], 3, 0.6, 1),
                                               ([":beam 5", ":alpha 0", ":nbest 3"], 5, 0, 3)] {
            for command in commands { _ = session.handle(command) }
            var options = translator.defaultOptions
            options.beamWidth = beam
            options.lengthPenalty = alpha
            options.nbest = nbest
            for sentence in reversalSentences {
                let output = session.handle(sentence)
                let expected = translator.translate(sentence, options: options)
                #expect(output[0] == expected.text, "\(commands) \(sentence)")
                let summary = String(format: "  score %.4f · normalised %.4f · ", expected.score, expected.normalizedScore)
                #expect(output[1].hasPrefix(summary), "\(output[1])")
                #expect(output[1].range(of: #" · [0-9]+\.[0-9] ms"#, options: .regularExpression) != nil)
                #expect(session.lastTranslation?.tokens == expected.tokens)
                if nbest > 1 {
                    #expect(output[2] == "  n-best:")
                    let hypotheses = [expected] + expected.alternatives
                    #expect(output.count == 3 + hypotheses.count)
                    for (rank, hypothesis) in hypotheses.enumerated() {
                        #expect(output[3 + rank] == "  \(rank + 1). \(hypothesis.text)  "
                                + String(format: "(score %.4f, normalised %.4f)", hypothesis.score, hypothesis.normalizedScore))
                    }
                } else {
                    #expect(output.count == 2)
                }
            }
        }
    }

    @Test("on bfloat16 weights a sentence translates as on float32 ones, its score moved by the rounding alone",
          .enabled(if: PackedWeights.Precision.bfloat16.isSupported, "the portable form reads no bfloat16 panels"),
          arguments: [ModelKind.transformer, .bahdanau, .lstm])
    func bfloat16Weights(kind: ModelKind) throws {
        let (session, _) = try makeSession(kind)
        let translator = session.translator
        for beam in [1, 5] {
            var options = translator.defaultOptions
            options.beamWidth = beam
            let exact = translator.translate(reversalSentences, options: options)
            options.weightPrecision = .bfloat16
            let rounded = translator.translate(reversalSentences, options: options)
            for (a, b) in zip(exact, rounded) {
                #expect(a.text == b.text, "beam \(beam): \(a.text) vs \(b.text)")
                #expect(abs(a.score - b.score) < 0.05 * max(1, abs(a.score)), "beam \(beam), \(a.source): score \(a.score) vs \(b.score)")
            }
            // A well-trained model's scores can sit at 0 either way; not all of them.
            #expect(zip(exact, rounded).contains { $0.score != $1.score }, "beam \(beam): bfloat16 weights changed no score")
        }
        // The session's own setting reaches its translations.
        _ = session.handle(":greedy")
        _ = session.handle(":weights bfloat16")
        var options = translator.defaultOptions
        options.beamWidth = 1
        options.nbest = 1
        options.weightPrecision = .bfloat16
        let expected = translator.translate(reversalSentences[0], options: options)
        #expect(session.handle(reversalSentences[0])[1].hasPrefix(String(format: "  score %.4f", expected.score)))
    }

    @Test(":tokens shows the pieces (with </s>); :attn shows a heatmap that fits 80 columns", arguments: [ModelKind.transformer, .bahdanau])
    func tokensAndAttention(kind: ModelKind) throws {
        let (session, _) = try makeSession(kind)
        _ = session.handle(":tokens on")
        _ = session.handle(":attn on")
        let output = session.handle("b q n s")
        let translation = try #require(session.lastTranslation)
        #expect(output.contains("  source pieces: b q n s"))
        #expect(output.contains("  target pieces: " + (translation.pieces + (translation.isFinished ? ["</s>"] : [])).joined(separator: " ")))
        let heatmap = Heatmap().render(try AttentionInspection(translation).view(.cross)).split(separator: "\n").map(String.init)
        #expect(Array(output.suffix(heatmap.count)) == heatmap)
        for line in output { #expect(Heatmap.displayWidth(line) <= 80) }
        if kind == .bahdanau {
            #expect(session.handle(":attn layer 1 head 0").first?.hasPrefix("error: layer 1 does not exist") == true)
            #expect(session.handle(":attn layer 0 head 1").first?.hasPrefix("error: head 1 does not exist") == true)
        }
    }

    @Test(":save exports the last translation's attention as HTML or JSON by extension")
    func save() throws {
        let (session, directory) = try makeSession()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(session.handle(":save early.json") == ["error: nothing to save yet: translate a sentence first"])
        _ = session.handle("c a b d")
        let translation = try #require(session.lastTranslation)
        let saved = session.handle(":save out/attention.json")
        #expect(saved.count == 1 && saved[0].hasPrefix("saved the attention of \"c a b d\" to ") && saved[0].hasSuffix("(json)"))
        let document = try AttentionDocument(json: Data(contentsOf: directory.appendingPathComponent("out/attention.json")))
        #expect(document == (try AttentionDocument(AttentionInspection(translation))))
        _ = session.handle(":attn layer 0 head 2")
        #expect(session.handle(":save page.html").first?.hasSuffix("(html)") == true)
        let page = try String(contentsOf: directory.appendingPathComponent("page.html"), encoding: .utf8)
        #expect(page.contains("id=\"cross-0-2\" data-kind=\"cross\" data-layer=\"0\" data-head=\"2\">"), "the page opens on the chosen view")
        #expect(session.handle(":save page.png").first?.hasPrefix("error: cannot tell the format") == true)
        #expect(session.handle(":save /proc/parley-cannot-write-here/x.json").first?.hasPrefix("error: ") == true)
    }

    @Test("empty, very long and odd input never ends the session", arguments: [ModelKind.transformer, .bahdanau])
    func badInputKeepsTheSessionAlive(kind: ModelKind) throws {
        let (session, _) = try makeSession(kind)
        #expect(session.handle("") == [])
        #expect(session.handle("   \t ") == [])
        // 10,000 characters: cut to the piece limit, translated, with a note saying so.
        let long = String(repeating: "a b c d e ", count: 1000)
        let output = session.handle(long)
        #expect(output.count >= 3)
        #expect(output.contains { $0.hasPrefix("  note: the input has 5000 pieces; translating only the first ") })
        let translation = try #require(session.lastTranslation)
        #expect(translation.sourcePieces.count <= session.maximumSourcePieces && translation.sourcePieces.count >= session.maximumSourcePieces - 1)
        #expect(output[0] == translation.text)
        // One enormous word, control characters, unknown symbols, emoji, right-to-left text, a lone colon after a space.
        for odd in [String(repeating: "x", count: 10_000), "\u{0}\u{7}\u{1B}[31m a b", "ü € 😀 <unk> </s> <s> <pad>", "שלום עולם", " :beam 3",
                    "\u{FEFF}\u{200B}a\u{301}", String(repeating: "😀", count: 3000)] {
            let out = session.handle(odd)
            #expect(!out.isEmpty, "\(odd.prefix(20))")
            #expect(!session.hasQuit)
        }
        #expect(session.handle("\u{1B}[31m").contains { $0.contains("1 control character removed") })
        #expect(session.handle(" :beam 3").first != "beam 3", "a leading space makes it a sentence")
        #expect(session.options.beamWidth == 5)
        #expect(session.handle("a b c")[0] == session.translator.translate("a b c", options: session.options).text)
    }

    @Test("a translation stopped by its request prints one note, keeps the last translation, and the session goes on")
    func stoppedTranslation() throws {
        let (session, _) = try makeSession()
        let sentence = reversalSentences[0]
        let first = session.handle(sentence)
        let stop = StopRequest()
        stop.set()
        #expect(session.handle(reversalSentences[1], stop: stop) == ["note: translation interrupted"])
        #expect(session.lastTranslation?.source == sentence)
        #expect(session.handle(":beam 2", stop: stop) == ["beam 2"], "commands do not look at the request")
        #expect(session.handle(sentence, stop: StopRequest()).count == 2)
        #expect(session.translator.translate([sentence], stop: stop) == nil)
        #expect(first[0] == session.translator.translate(sentence).text)
    }

    @Test(":quit ends the session; run stops there")
    func quit() throws {
        let (session, _) = try makeSession()
        let lines = transcript(session, [":beam 2", "a b", ":quit", "c d", ":beam 4"])
        #expect(lines.first == "beam 2")
        #expect(lines.count == 3)
        #expect(session.hasQuit && session.options.beamWidth == 2)
        #expect(session.handle("a b") == [])
    }

    @Test("the parley binary driven through a pipe: same translations as parley translate",
          .enabled(if: parleyExecutable != nil, "the parley executable is not built next to the tests (run swift build first)"))
    func pipeThroughBinary() throws {
        let parley = try #require(parleyExecutable).path
        let model = try TrainedModel.directory(kind: .transformer).path
        let sentences = reversalSentences
        let script = ([":beam 3", ":alpha 0.6", ":frobnicate", ""] + sentences + [":beam 0", ":tokens maybe", ":nbest 2"] + sentences.prefix(2)
                      + [":quit", "not translated"]).joined(separator: "\n") + "\n"
        let output = try runProcess(parley, ["repl", "--model", model, "--no-history"], input: script)
        var lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.last == "")
        lines.removeLast()
        #expect(lines[0] == "beam 3")
        #expect(lines[1] == "α 0.6000")
        #expect(lines[2] == "error: unknown command :frobnicate (:help lists the commands)")
        // Two lines per sentence: the translation, then score and time.
        let translated = try runProcess(parley, ["translate", "--model", model, "--beam", "3", "--alpha", "0.6"],
                                        input: sentences.joined(separator: "\n") + "\n")
            .split(separator: "\n").map(String.init)
        for (i, expected) in translated.enumerated() {
            #expect(lines[3 + 2 * i] == expected)
            #expect(lines[4 + 2 * i].hasPrefix("  score "))
        }
        var k = 3 + 2 * sentences.count
        #expect(lines[k].hasPrefix("error: :beam needs") && lines[k + 1] == "error: :tokens needs on or off")
        #expect(lines[k + 2] == "n-best 2")
        k += 3
        let nbest = try runProcess(parley, ["translate", "--model", model, "--beam", "3", "--alpha", "0.6", "--nbest", "2"],
                                   input: sentences.prefix(2).joined(separator: "\n") + "\n")
            .split(separator: "\n").map { $0.components(separatedBy: " ||| ") }
        for i in 0..<2 {
            let best = nbest.filter { $0[0] == String(i) }
            #expect(lines[k] == best[0][1])
            #expect(lines[k + 2] == "  n-best:")
            #expect(lines[k + 3].hasPrefix("  1. \(best[0][1])  (score ") && lines[k + 3].hasSuffix(String(format: "normalised %.4f)", Float(best[0][2])!)))
            #expect(lines[k + 4].hasPrefix("  2. \(best[1][1])  (score "))
            k += 5
        }
        #expect(lines.count == k, "nothing after :quit")
    }
}
