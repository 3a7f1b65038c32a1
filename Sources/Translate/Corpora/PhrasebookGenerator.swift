/// Generates aligned English/French sentence pairs from the `Phrasebook` grammar.
///
/// Pair `i` of seed `s` depends only on `(s, i)` (each index has its own `SplitMix64` stream), so
/// output is byte-identical across runs and platforms and any pair can be regenerated alone.
///
///     let generator = PhrasebookGenerator(seed: 1)
///     generator.pair(at: 0)          // one sample, duplicates possible across indices
///     generator.pairs(count: 1000)   // the first 1,000 distinct pairs
///
/// Sentence types: transitive clauses with noun or pronoun objects, movement verbs with places,
/// `leave`/`go out`, `be` + adjective, `have`/`buy` + number, partitives, `speak to`/`talk about`,
/// and `where` questions; each in the present, passé composé or future, affirmative, negative
/// or an `est-ce que` question. Both sides have 3–12 words.
public struct PhrasebookGenerator: Sendable {
    public let seed: UInt64

    /// Fewest and most words on either side (punctuation not counted).
    public static let wordRange = 3...12

    public init(seed: UInt64) { self.seed = seed }

    /// The sample at `index` (English, French). Different indices may give the same pair.
    public func pair(at index: Int) -> (english: String, french: String) {
        var random = SplitMix64(seed: seed, index: index)
        while true {
            let sentence = Builder.sentence(&random)
            let english = EnglishMorphology.sentence(sentence.english, ending: sentence.ending)
            let french = FrenchMorphology.sentence(sentence.french, ending: sentence.ending)
            if Self.wordRange.contains(Self.wordCount(english)) && Self.wordRange.contains(Self.wordCount(french)) {
                return (english, french)
            }
        }
    }

    /// The first `count` distinct pairs (no English and no French sentence repeated), in index order.
    public func pairs(count: Int) -> [(english: String, french: String)] {
        var result: [(english: String, french: String)] = []
        result.reserveCapacity(count)
        var seenEnglish = Set<String>(), seenFrench = Set<String>()
        var index = 0
        while result.count < count {
            let p = pair(at: index)
            index += 1
            precondition(index < 100 * count + 10_000, "the grammar cannot produce \(count) distinct pairs")
            guard !seenEnglish.contains(p.english), !seenFrench.contains(p.french) else { continue }
            seenEnglish.insert(p.english)
            seenFrench.insert(p.french)
            result.append(p)
        }
        return result
    }

    /// Train/dev/test splits of distinct pairs: dev first, then test, then train, so that no
    /// sentence of dev or test occurs in train (on either side).
    public func splits(train: Int, dev: Int, test: Int) -> CorpusSplits {
        let all = pairs(count: train + dev + test).map { (source: $0.english, target: $0.french) }
        return CorpusSplits(train: Array(all[(dev + test)...]), dev: Array(all[..<dev]),
                            test: Array(all[dev..<(dev + test)]))
    }

    static func wordCount(_ sentence: String) -> Int {
        sentence.split(separator: " ").filter { $0 != "?" && $0 != "." }.count
    }
}

/// One generated sentence before spelling rules: word lists and final punctuation.
struct GeneratedSentence {
    var english: [String]
    var french: [String]
    var ending: Character
}

/// The grammar's productions. Words are plain (`de le pain`); `FrenchMorphology` spells them.
private enum Builder {
    typealias P = Phrasebook
    enum Tense { case present, past, future }

    /// A noun phrase with what agreement needs.
    struct NounPhrase {
        var english: [String]
        var french: [String]
        var gender: P.Gender
        var isPlural: Bool
    }

    /// A subject: words, person index 0…5 (je … ils) and agreement.
    struct Subject {
        var english: [String]
        var french: [String]
        var person: Int
        var gender: P.Gender
        var isPlural: Bool
        /// `you all` (vous): its `your` is `votre`/`vos`.
        var isPolite: Bool { person == 4 }
        var englishThird: Bool { person == 2 }
    }

    enum Determiner {
        case definite, indefinite, demonstrative, possessive(Int), number(Int)
        /// Mass noun after eat/drink/buy/have: English bare, French `du`/`de la`/`de l'`.
        case partitive
        /// After like/love: English bare (mass or plural), French definite (`j'aime le café`).
        case generic
    }

    static func sentence(_ r: inout SplitMix64) -> GeneratedSentence {
        switch r.pick(weights: [20, 12, 16, 14, 4, 10, 8, 9, 8, 3]) {
        case 0: return thingObject(&r)
        case 1: return personObject(&r)
        case 2: return pronounObject(&r)
        case 3: return movement(&r)
        case 4: return leaving(&r)
        case 5: return predicate(&r)
        case 6: return counting(&r)
        case 7: return partitive(&r)
        case 8: return speaking(&r)
        default: return whereQuestion(&r)
        }
    }

    // MARK: Sentence types

    /// Subject + verb + thing or food: `Je n'achète pas de pommes.`
    static func thingObject(_ r: inout SplitMix64) -> GeneratedSentence {
        let countable = P.foods + P.things
        let (verb, use) = r.pick(P.thingVerbs.filter { v in countable.contains { $0.uses.contains(v.use) } })
        let nouns = countable.filter { $0.uses.contains(use) }
        let noun = r.pick(nouns)
        let subject = personSubject(&r)
        let (tense, negated, question) = mood(&r)
        var determiner = objectDeterminer(&r, subject: subject)
        let plural = r.chance(35)
        if use == .like, case .indefinite = determiner { determiner = plural ? .generic : .definite }
        let object = nounPhrase(noun, plural: plural, determiner, adjective: adjective(&r, for: noun, percent: 35),
                                negated: negated, subject: subject)
        // English `read` is also its past: an affirmative past statement says `yesterday`.
        let ambiguousPast = verb.englishPast == verb.english && tense == .past && !negated && !question
        let adverb = adverb(&r, tense, percent: ambiguousPast ? 100 : 20)
        return clause(subject, verb, tense, negated: negated, question: question,
                      english: object.english + adverb.english, french: object.french + adverb.french)
    }

    /// Subject + verb + person or animal: `Est-ce que tu connais le nouveau professeur ?`
    static func personObject(_ r: inout SplitMix64) -> GeneratedSentence {
        let (verb, animals) = r.pick(P.personVerbs)
        let noun = r.pick(animals ? P.people + P.animals : P.people)
        let subject = personSubject(&r)
        var (tense, negated, question) = mood(&r)
        if verb.infinitive == "connaître" && tense == .past { tense = .present }  // knew ≠ a connu
        var determiner = objectDeterminer(&r, subject: subject)
        if verb.infinitive == "aimer", case .indefinite = determiner { determiner = .definite }
        let object = nounPhrase(noun, plural: r.chance(30), determiner, adjective: adjective(&r, for: noun, percent: 30),
                                negated: negated, subject: subject)
        let adverb = adverb(&r, tense, percent: 20)
        return clause(subject, verb, tense, negated: negated, question: question,
                      english: object.english + adverb.english, french: object.french + adverb.french)
    }

    /// Object pronoun before the verb, with agreement in the passé composé: `Je ne l'ai pas vue.`
    static func pronounObject(_ r: inout SplitMix64) -> GeneratedSentence {
        let (verb, _) = r.pick(P.personVerbs)
        let pronoun = r.pick(P.objectPronouns)
        let subject = personSubject(&r)
        var (tense, negated, question) = mood(&r)
        if verb.infinitive == "connaître" && tense == .past { tense = .present }
        let adverb = adverb(&r, tense, percent: 40)
        return clause(subject, verb, tense, negated: negated, question: question,
                      english: [pronoun.english] + adverb.english, french: adverb.french,
                      clitic: (pronoun.french, pronoun.gender, pronoun.isPlural))
    }

    /// Movement verb + place, auxiliary être: `Elles sont allées à la gare.` / `Je viens du marché.`
    static func movement(_ r: inout SplitMix64) -> GeneratedSentence {
        let choices = P.movementVerbs.filter { $0.place != nil }
        let (verb, preposition) = r.pick(choices)
        let place = r.pick(P.places)
        let subject = animateSubject(&r)
        let (tense, negated, question) = mood(&r)
        let plural = place.english == "shop" && r.chance(50)
        let determiner: Determiner = r.chance(80) ? .definite : .demonstrative
        let adjective = r.chance(15) ? adjective(&r, for: place, percent: 100, prenominalOnly: true) : nil
        let phrase = nounPhrase(place, plural: plural, determiner, adjective: adjective, negated: false, subject: subject)
        let adverb = adverb(&r, tense, percent: 20)
        return clause(subject, verb, tense, negated: negated, question: question,
                      english: phrase.english + adverb.english,
                      french: [preposition == .a ? "à" : "de"] + phrase.french + adverb.french)
    }

    /// `leave` / `go out` without complement: `Les filles sont parties hier.`
    static func leaving(_ r: inout SplitMix64) -> GeneratedSentence {
        let (verb, _) = r.pick(P.movementVerbs.filter { $0.place == nil })
        let subject = animateSubject(&r)
        let (tense, negated, question) = mood(&r)
        let adverb = adverb(&r, tense, percent: 70)
        return clause(subject, verb, tense, negated: negated, question: question,
                      english: adverb.english, french: adverb.french)
    }

    /// Subject + be + adjective, agreeing: `La voiture n'est pas rouge.` / `Elle sera fatiguée.`
    static func predicate(_ r: inout SplitMix64) -> GeneratedSentence {
        let subject: Subject
        let kind: P.NounKind
        if r.chance(40) {
            subject = pronounSubject(&r)
            kind = .person
        } else {
            let noun = r.pick(P.people + P.animals + P.things)
            subject = nounSubject(&r, noun)
            kind = noun.kind
        }
        let adjective = r.pick(P.adjectives.filter { $0.kinds.contains(kind) })
        let tense: Tense = r.chance(70) ? .present : .future
        let negated = r.chance(30)
        let question = !negated && r.chance(30)
        let form = adjective.form(subject.gender, plural: subject.isPlural)
        let adverb = adverb(&r, tense, percent: 15)
        var english: [String] = []
        var french = question ? ["est-ce", "que"] : []
        french += subject.french
        if negated { french.append("ne") }
        french.append(tense == .present ? P.be.present[subject.person] : P.be.future(subject.person))
        if negated { french.append("pas") }
        french.append(form)
        let be = subject.person == 0 ? "am" : subject.person == 2 ? "is" : "are"
        switch (tense, question) {
        case (.future, true): english = ["will"] + subject.english + ["be"]
        case (.future, false): english = subject.english + ["will"] + (negated ? ["not"] : []) + ["be"]
        case (_, true): english = [be] + subject.english
        case (_, false): english = subject.english + [be] + (negated ? ["not"] : [])
        }
        return GeneratedSentence(english: english + [adjective.english] + adverb.english,
                                 french: french + adverb.french, ending: question ? "?" : ".")
    }

    /// Counted objects (1…20, `un`/`une` by gender): `J'ai trois petits chats.`
    static func counting(_ r: inout SplitMix64) -> GeneratedSentence {
        let choice = r.below(4)
        let verb: P.Verb
        let nouns: [P.Noun]
        var tense: Tense
        switch choice {
        case 0:
            verb = P.have
            nouns = P.animals + (P.foods + P.things).filter { $0.uses.contains(.have) }
            tense = r.chance(75) ? .present : .future
        default:
            let use: P.Use = [.buy, .see, .sell][choice - 1]
            verb = P.thingVerbs.first { $0.use == use }!.verb
            nouns = P.animals + (P.foods + P.things).filter { $0.uses.contains(use) }
            tense = [.present, .past, .future][r.below(3)]
        }
        let noun = r.pick(nouns)
        let subject = personSubject(&r)
        let question = r.chance(20)
        let count = r.chance(25) ? 1 : 2 + r.below(19)
        if count > 1 && tense == .present && choice != 0 && r.chance(50) { tense = .past }
        let object = nounPhrase(noun, plural: count > 1, .number(count), adjective: adjective(&r, for: noun, percent: 30),
                                negated: false, subject: subject)
        return clause(subject, verb, tense, negated: false, question: question,
                      english: object.english, french: object.french)
    }

    /// Mass nouns: partitive after eat/drink/buy/have/prepare/lose/find (`du pain`, `pas d'eau`),
    /// generic definite after like (`j'aime le café`).
    static func partitive(_ r: inout SplitMix64) -> GeneratedSentence {
        let noun = r.pick(P.masses)
        var verbs = P.thingVerbs.filter { noun.uses.contains($0.use) }.map(\.verb)
        if noun.uses.contains(.have) { verbs.append(P.have) }
        let verb = r.pick(verbs)
        let subject = personSubject(&r)
        var (tense, negated, question) = mood(&r)
        if verb.infinitive == "avoir" && tense == .past { tense = .present }
        let determiner: Determiner
        if verb.infinitive == "aimer" {
            determiner = .generic
        } else {
            determiner = r.chance(80) ? .partitive : .definite
        }
        let object = nounPhrase(noun, plural: false, determiner, adjective: nil, negated: negated, subject: subject)
        let adverb = adverb(&r, tense, percent: 25)
        return clause(subject, verb, tense, negated: negated, question: question,
                      english: object.english + adverb.english, french: object.french + adverb.french)
    }

    /// `parler à` / `parler de` with contracted articles: `Je parle aux enfants.` / `du livre`.
    static func speaking(_ r: inout SplitMix64) -> GeneratedSentence {
        let toPerson = r.chance(50)
        let verb = toPerson ? P.speakTo : P.talkAbout
        let noun = r.pick(toPerson ? P.people : P.people + P.animals + P.things + P.places)
        let subject = personSubject(&r)
        let (tense, negated, question) = mood(&r)
        let determiner: Determiner = r.chance(60) ? .definite : objectDeterminer(&r, subject: subject)
        let plural = r.chance(40)
        var object = nounPhrase(noun, plural: plural, determiner, adjective: adjective(&r, for: noun, percent: 25),
                                negated: false, subject: subject)
        if !toPerson, plural, case .indefinite = determiner {
            object.french.removeFirst()  // de + des → de: `je parle de livres`
        }
        let adverb = adverb(&r, tense, percent: 20)
        return clause(subject, verb, tense, negated: negated, question: question,
                      english: object.english + adverb.english,
                      french: [toPerson ? "à" : "de"] + object.french + adverb.french)
    }

    /// `Où est la clé ?` / `Où sont mes chats ?`
    static func whereQuestion(_ r: inout SplitMix64) -> GeneratedSentence {
        let noun = r.pick(P.people + P.animals + P.things)
        let plural = r.chance(35)
        let determiner: Determiner = r.chance(50) ? .definite : r.chance(70) ? .possessive(r.below(6)) : .demonstrative
        let phrase = nounPhrase(noun, plural: plural, determiner, adjective: adjective(&r, for: noun, percent: 30),
                                negated: false, subject: nil)
        return GeneratedSentence(english: ["where", plural ? "are" : "is"] + phrase.english,
                                 french: ["où", plural ? "sont" : "est"] + phrase.french, ending: "?")
    }

    // MARK: Clauses

    /// Tense, negation and question, never both negative and a question.
    static func mood(_ r: inout SplitMix64) -> (Tense, Bool, Bool) {
        let tense: Tense = [.present, .past, .future][r.pick(weights: [40, 35, 25])]
        let negated = r.chance(30)
        let question = !negated && r.chance(30)
        return (tense, negated, question)
    }

    /// A finite clause. French: [est-ce que] subject [ne] [clitic] verb-or-auxiliary [pas]
    /// [participle] tail; the participle agrees with the subject after être and with a preceding
    /// direct object pronoun after avoir. English uses do-support for questions and negation.
    static func clause(_ subject: Subject, _ verb: P.Verb, _ tense: Tense, negated: Bool, question: Bool,
                       english tail: [String], french frenchTail: [String],
                       clitic: (french: String, gender: P.Gender, isPlural: Bool)? = nil) -> GeneratedSentence {
        let p = subject.person
        var french = question ? ["est-ce", "que"] : []
        french += subject.french
        if negated { french.append("ne") }
        if let clitic { french.append(clitic.french) }
        switch tense {
        case .present: french.append(verb.present[p])
        case .future: french.append(verb.future(p))
        case .past: french.append((verb.auxiliary == .etre ? P.be : P.have).present[p])
        }
        if negated { french.append("pas") }
        if tense == .past {
            var participle = verb.participle
            if verb.auxiliary == .etre {
                participle = agree(participle, subject.gender, plural: subject.isPlural)
            } else if let clitic {
                participle = agree(participle, clitic.gender, plural: clitic.isPlural)
            }
            french.append(participle)
        }
        french += frenchTail

        var english: [String]
        let base = [verb.english]
        switch (tense, question, negated) {
        case (.present, true, _): english = [subject.englishThird ? "does" : "do"] + subject.english + base
        case (.present, false, true): english = subject.english + [subject.englishThird ? "does" : "do", "not"] + base
        case (.present, false, false): english = subject.english + [subject.englishThird ? verb.englishThird : verb.english]
        case (.past, true, _): english = ["did"] + subject.english + base
        case (.past, false, true): english = subject.english + ["did", "not"] + base
        case (.past, false, false): english = subject.english + [verb.englishPast]
        case (.future, true, _): english = ["will"] + subject.english + base
        case (.future, false, _): english = subject.english + ["will"] + (negated ? ["not"] : []) + base
        }
        return GeneratedSentence(english: english + tail, french: french, ending: question ? "?" : ".")
    }

    /// A participle or regular adjective agreeing: `allé` → `allée`, `allés`, `allées`; `pris` → `pris`.
    static func agree(_ word: String, _ gender: P.Gender, plural: Bool) -> String {
        var result = word
        if gender == .feminine { result += "e" }
        if plural && !result.hasSuffix("s") { result += "s" }
        return result
    }

    /// `(English, French)` time adverb matching the tense, or nothing.
    static func adverb(_ r: inout SplitMix64, _ tense: Tense, percent: Int) -> (english: [String], french: [String]) {
        guard r.chance(percent) else { return ([], []) }
        switch tense {
        case .present: return r.chance(50) ? (["today"], ["aujourd'hui"]) : (["now"], ["maintenant"])
        case .past: return (["yesterday"], ["hier"])
        case .future: return (["tomorrow"], ["demain"])
        }
    }

    // MARK: Subjects and noun phrases

    static func pronounSubject(_ r: inout SplitMix64) -> Subject {
        let p = r.pick(P.subjectPronouns)
        return Subject(english: [p.english], french: [p.french], person: p.person, gender: p.gender, isPlural: p.isPlural)
    }

    static func nounSubject(_ r: inout SplitMix64, _ noun: P.Noun) -> Subject {
        let determiner: Determiner = [.definite, .definite, .possessive(r.below(6)), .demonstrative][r.below(4)]
        let phrase = nounPhrase(noun, plural: r.chance(30), determiner, adjective: adjective(&r, for: noun, percent: 15),
                                negated: false, subject: nil)
        return Subject(english: phrase.english, french: phrase.french, person: phrase.isPlural ? 5 : 2,
                       gender: phrase.gender, isPlural: phrase.isPlural)
    }

    /// A pronoun (70 %) or a person.
    static func personSubject(_ r: inout SplitMix64) -> Subject {
        r.chance(70) ? pronounSubject(&r) : nounSubject(&r, r.pick(P.people))
    }

    /// A pronoun (65 %), a person or an animal.
    static func animateSubject(_ r: inout SplitMix64) -> Subject {
        r.chance(65) ? pronounSubject(&r) : nounSubject(&r, r.pick(P.people + P.animals))
    }

    static func objectDeterminer(_ r: inout SplitMix64, subject: Subject) -> Determiner {
        switch r.pick(weights: [40, 25, 20, 15]) {
        case 0: return .definite
        case 1: return .indefinite
        case 2: return .possessive(r.below(6))
        default: return .demonstrative
        }
    }

    /// An adjective that fits `noun`, with probability `percent`.
    static func adjective(_ r: inout SplitMix64, for noun: P.Noun, percent: Int, prenominalOnly: Bool = false) -> P.Adjective? {
        guard r.chance(percent) else { return nil }
        let fitting = P.adjectives.filter { $0.kinds.contains(noun.kind) && (!prenominalOnly || $0.isPrenominal) }
        return fitting.isEmpty ? nil : r.pick(fitting)
    }

    /// Determiner + adjective + noun, agreeing in gender and number, with the adjective before or
    /// after the noun. Negated indefinites and partitives become `de` (`pas de chat`); `des`
    /// before a prenominal adjective becomes `de` (`de petits chats`).
    static func nounPhrase(_ noun: P.Noun, plural: Bool, _ determiner: Determiner, adjective: P.Adjective?,
                           negated: Bool, subject: Subject?) -> NounPhrase {
        let g = noun.gender
        let plural = noun.isMass ? false : plural
        let slot = plural ? 2 : (g == .feminine ? 1 : 0)
        var english: [String] = []
        var french: [String] = []
        switch determiner {
        case .definite:
            english = ["the"]
            french = [["le", "la", "les"][slot]]
        case .indefinite:
            english = plural ? [] : ["a"]
            if negated || (plural && adjective?.isPrenominal == true) {
                french = ["de"]
            } else {
                french = [["un", "une", "des"][slot]]
            }
        case .partitive:
            french = negated ? ["de"] : ["de", g == .feminine ? "la" : "le"]
        case .generic:
            french = [["le", "la", "les"][slot]]
        case .demonstrative:
            english = [plural ? "these" : "this"]
            french = [["ce", "cette", "ces"][slot]]
        case .possessive(let owner):
            english = [P.possessives[owner].english]
            let forms = owner == 1 && subject?.isPolite == true ? P.politePossessive : P.possessives[owner].french
            french = [forms[slot]]
        case .number(let n):
            english = [P.numbers[n - 1].english]
            french = [n == 1 ? (g == .feminine ? "une" : "un") : P.numbers[n - 1].french]
        }
        let nounFrench = noun.french(plural: plural)
        if let adjective {
            english.append(adjective.english)
            var form = adjective.form(g, plural: plural)
            if adjective.isPrenominal {
                if g == .masculine && !plural, let special = adjective.masculineBeforeVowel,
                   FrenchMorphology.startsWithVowelSound(nounFrench) {
                    form = special
                }
                french += [form, nounFrench]
            } else {
                french += [nounFrench, form]
            }
        } else {
            french.append(nounFrench)
        }
        english.append(noun.english(plural: plural))
        return NounPhrase(english: english, french: french, gender: g, isPlural: plural)
    }
}
