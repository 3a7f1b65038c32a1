import Testing
import Translate

/// The keys `bytes` decode to.
private func keys(_ bytes: [UInt8]) -> [EditorKey] {
    var decoder = KeyDecoder()
    return bytes.compactMap { decoder.feed($0) }
}

/// The outcomes of typing `keys` into a buffer with `history`, and the buffer afterwards.
private func type(_ keys: [EditorKey], history: [String] = []) -> (outcomes: [LineBuffer.Outcome], buffer: LineBuffer) {
    var buffer = LineBuffer(history: history)
    let outcomes = keys.map { buffer.apply($0) }.filter { $0 != .editing }
    return (outcomes, buffer)
}

private func characters(_ text: String) -> [EditorKey] { text.map(EditorKey.character) }

@Suite("Line editor")
struct LineEditorTests {
    @Test("escape sequences of arrows, Home, End and Delete (CSI and SS3 forms), control keys and UTF-8")
    func decoding() {
        let esc: UInt8 = 0x1B
        #expect(keys([esc, 0x5B, 0x41, esc, 0x5B, 0x42, esc, 0x5B, 0x43, esc, 0x5B, 0x44]) == [.up, .down, .right, .left])
        #expect(keys([esc, 0x4F, 0x48, esc, 0x4F, 0x46, esc, 0x5B, 0x48, esc, 0x5B, 0x46]) == [.home, .end, .home, .end])
        #expect(keys(Array("\u{1B}[1~\u{1B}[4~\u{1B}[3~\u{1B}[7~\u{1B}[8~".utf8)) == [.home, .end, .delete, .home, .end])
        // Modifiers are ignored (Ctrl-Right moves right); sequences the editor does not use are skipped whole.
        #expect(keys(Array("\u{1B}[1;5C\u{1B}[5~\u{1B}[200~x".utf8)) == [.right, .ignored, .ignored, .character("x")])
        #expect(keys([0x03, 0x04, 0x01, 0x05, 0x7F, 0x08, 0x0D, 0x0A, 0x15, 0x0B, 0x17, 0x0C])
                == [.interrupt, .endOfInput, .home, .end, .backspace, .backspace, .enter, .enter, .deleteToStart, .deleteToEnd, .deleteWord, .clearScreen])
        #expect(keys(Array("é猫😀a".utf8)) == [.character("é"), .character("猫"), .character("😀"), .character("a")])
        #expect(keys([0xFF, 0x61]) == [.ignored, .character("a")])  // an invalid byte does not swallow the next key
    }

    @Test("insertion at the cursor, left/right, home/end, backspace and delete")
    func editing() {
        let (outcomes, _) = type(characters("hllo") + [.home, .right] + characters("e") + [.end] + characters(" world")
            + [.left, .left, .left, .left, .left, .backspace, .delete, .end, .enter])
        #expect(outcomes == [.submit("helloorld")])
        let (more, _) = type(characters("abc def") + [.deleteWord] + characters("x") + [.home, .deleteToEnd] + characters("y")
            + [.end, .left, .deleteToStart, .enter])
        #expect(more == [.submit("y")])
        let (words, _) = type(characters("one two  ") + [.deleteWord, .enter])
        #expect(words == [.submit("one ")])
    }

    @Test("Ctrl-C abandons the line; Ctrl-D ends input only on an empty line")
    func interruptAndEnd() {
        let (outcomes, buffer) = type(characters("half a line") + [.interrupt] + characters("ab") + [.home, .endOfInput, .enter])
        #expect(outcomes == [.cancel, .submit("b")])
        #expect(buffer.text.isEmpty)
        #expect(type([.endOfInput]).outcomes == [.endOfInput])
        #expect(type(characters("x") + [.backspace, .endOfInput]).outcomes == [.endOfInput])
    }

    @Test("up and down walk the history and come back to the line being typed")
    func history() {
        var buffer = LineBuffer(history: ["first", "second"])
        for key in characters("draft") { _ = buffer.apply(key) }
        _ = buffer.apply(.up)
        #expect(buffer.text == "second" && buffer.cursor == 6)
        _ = buffer.apply(.up)
        #expect(buffer.text == "first")
        _ = buffer.apply(.up)
        #expect(buffer.text == "first", "stays at the oldest entry")
        _ = buffer.apply(.down)
        _ = buffer.apply(.down)
        #expect(buffer.text == "draft")
        _ = buffer.apply(.down)
        #expect(buffer.text == "draft")
        // A recalled line can be edited and submitted; it joins the history once.
        _ = buffer.apply(.up)
        _ = buffer.apply(.backspace)
        #expect(buffer.apply(.enter) == .submit("secon"))
        buffer.remember("secon")
        buffer.remember("secon")
        buffer.remember("   ")
        #expect(buffer.history == ["first", "second", "secon"])
        _ = buffer.apply(.up)
        #expect(buffer.text == "secon")
    }
}
