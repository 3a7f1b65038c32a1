/// French spelling rules that depend on the neighbouring word: elision (`l'`, `j'`, `n'`, `qu'`,
/// `d'`), contraction of `à`/`de` with `le`/`les` (`au`, `aux`, `du`, `des`), and the forms used
/// before a vowel sound (`cet`, and `mon`/`ton`/`son` for `ma`/`ta`/`sa`).
///
/// The phrasebook generator builds a French sentence as a list of plain words (`à le hôtel`) and
/// lets `FrenchMorphology.join` write it out (`à l'hôtel`), so the rules live in one place.
public enum FrenchMorphology {
    /// Words spelled with an initial `h` that is mute (elision applies: `l'homme`, `l'hôtel`).
    static let muteH: Set<String> = [
        "homme", "hommes", "hôtel", "hôtels", "hôpital", "hôpitaux", "histoire", "histoires",
        "horloge", "horloges", "huile", "heure", "heures",
    ]

    /// Vowel-initial words before which French does not elide (`le onze`, `le huit`).
    static let noElision: Set<String> = ["onze", "huit"]

    /// True if `word` begins with a vowel sound, so that `le`, `je`, `ne`, `que`, `de` elide before it.
    public static func startsWithVowelSound(_ word: String) -> Bool {
        let lower = word.lowercased()
        if noElision.contains(lower) { return false }
        if muteH.contains(lower) { return true }
        guard let first = lower.unicodeScalars.first else { return false }
        return "aeiouàâäéèêëîïôöùûüœæ".unicodeScalars.contains(first)
    }

    /// Words that lose their vowel before a vowel sound.
    static let elided: [String: String] = ["le": "l'", "la": "l'", "je": "j'", "ne": "n'", "que": "qu'", "de": "d'",
                                           "me": "m'", "te": "t'", "se": "s'"]
    /// Words replaced by another form before a vowel sound.
    static let beforeVowel: [String: String] = ["ce": "cet", "ma": "mon", "ta": "ton", "sa": "son"]
    /// Preposition + article contractions.
    static let contractions: [String: String] = ["à le": "au", "à les": "aux", "de le": "du", "de les": "des"]

    /// Applies elision, contraction and vowel-dependent forms to `words` (right to left, since
    /// each word's form depends on the next one as finally written). Elided words end in `'`.
    public static func apply(_ words: [String]) -> [String] {
        var result: [String] = []
        result.reserveCapacity(words.count)
        for word in words.reversed() {
            guard let next = result.last else { result.append(word); continue }
            if let contracted = contractions[word + " " + next] {
                result[result.count - 1] = contracted
            } else if startsWithVowelSound(next), let short = elided[word] {
                result.append(short)
            } else if startsWithVowelSound(next), let form = beforeVowel[word] {
                result.append(form)
            } else {
                result.append(word)
            }
        }
        return result.reversed()
    }

    /// Writes `words` as a sentence: morphology applied, elided words glued to the next, first
    /// letter capitalised, and `ending` (`.` or `?`) appended — French typography puts a space
    /// before `?` (a plain space here, so that tokenisers see it as a separate word).
    public static func sentence(_ words: [String], ending: Character) -> String {
        var text = ""
        for word in apply(words) {
            if !text.isEmpty && !text.hasSuffix("'") { text += " " }
            text += word
        }
        text = capitalizingFirstLetter(text)
        return ending == "?" ? text + " ?" : text + String(ending)
    }
}

/// `text` with its first character uppercased (`état` → `État`).
func capitalizingFirstLetter(_ text: String) -> String {
    guard let first = text.first else { return text }
    return first.uppercased() + text.dropFirst()
}
