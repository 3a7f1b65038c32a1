/// English spelling rules that depend on the neighbouring word: `a` becomes `an` before a vowel
/// sound (`an apple`, `an old man`, but `a university`).
public enum EnglishMorphology {
    /// Vowel-letter words that start with a consonant sound, and consonant-letter words that do not.
    static let consonantSound: Set<String> = ["university", "universities", "one", "useful", "uniform", "european"]
    static let vowelSound: Set<String> = ["hour", "hours", "honest", "heir"]

    /// True if `word` begins with a vowel sound.
    public static func startsWithVowelSound(_ word: String) -> Bool {
        let lower = word.lowercased()
        if consonantSound.contains(lower) { return false }
        if vowelSound.contains(lower) { return true }
        guard let first = lower.first else { return false }
        return "aeiou".contains(first)
    }

    /// Writes `words` as a sentence: `a`/`an` chosen, first letter capitalised, `ending` appended.
    public static func sentence(_ words: [String], ending: Character) -> String {
        var out = words
        for i in out.indices.dropLast() where out[i] == "a" && startsWithVowelSound(out[i + 1]) {
            out[i] = "an"
        }
        return capitalizingFirstLetter(out.joined(separator: " ")) + String(ending)
    }
}
