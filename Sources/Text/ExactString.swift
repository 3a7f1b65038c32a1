/// A string compared and hashed by its exact code points.
///
/// Swift's `String` equality is canonical equivalence (`"é" == "e\u{301}"`), but BPE codes,
/// vocabularies and subword-nmt compare code points, so every table keyed by a piece uses this.
struct ExactString: Hashable, Sendable {
    let string: String

    init(_ string: String) {
        var string = string
        string.makeContiguousUTF8()
        self.string = string
    }

    static func == (lhs: ExactString, rhs: ExactString) -> Bool {
        let (a, b) = (lhs.string.utf8, rhs.string.utf8)
        guard a.count == b.count else { return false }
        return a.withContiguousStorageIfAvailable { x in
            b.withContiguousStorageIfAvailable { y in
                x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0
            }
        }.flatMap { $0 } ?? a.elementsEqual(b)
    }

    func hash(into hasher: inout Hasher) {
        let done: Void? = string.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil { for byte in string.utf8 { hasher.combine(byte) } }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
