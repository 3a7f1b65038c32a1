/// The grammar's lexicon for the synthetic English→French phrasebook corpus: nouns, adjectives,
/// verbs, subject pronouns and numbers, each with every form the generator needs.
///
/// The vocabulary is small on purpose (a few hundred word forms) so that a small model can learn
/// the corpus in minutes; the forms are written out rather than derived wherever French or
/// English is irregular. All entries are this project's own.
public enum Phrasebook {
    public enum Gender: Sendable, Hashable { case masculine, feminine }

    /// What a noun denotes; decides which verbs and adjectives it goes with.
    public enum NounKind: Sendable, Hashable { case person, animal, food, drink, thing, place }

    /// What can be done with a thing or a food: the verbs that take it as object.
    public enum Use: Sendable, Hashable {
        case eat, drink, buy, sell, read, write, open, close, lose, find, lookFor, take, see, like,
             prepare, wait, have
    }

    /// A countable noun, or a mass noun (which the generator uses with partitive articles).
    public struct Noun: Sendable {
        public let english: String
        public let englishPlural: String
        public let french: String
        public let frenchPlural: String
        public let gender: Gender
        public let kind: NounKind
        public let uses: Set<Use>
        /// Mass nouns (bread, water, money) take `du`/`de la`/`de l'` and are never counted.
        public let isMass: Bool

        init(_ english: String, _ french: String, _ gender: Gender, _ kind: NounKind, _ uses: Set<Use> = [],
             englishPlural: String? = nil, frenchPlural: String? = nil, mass: Bool = false) {
            self.english = english
            self.englishPlural = englishPlural ?? english + "s"
            self.french = french
            self.frenchPlural = frenchPlural ?? french + "s"
            self.gender = gender
            self.kind = kind
            self.uses = uses
            self.isMass = mass
        }

        public func english(plural: Bool) -> String { plural ? englishPlural : english }
        public func french(plural: Bool) -> String { plural ? frenchPlural : french }
    }

    /// An adjective with its four French forms and where it stands.
    public struct Adjective: Sendable {
        public let english: String
        /// Masculine singular, feminine singular, masculine plural, feminine plural.
        public let forms: [String]
        /// The masculine singular before a vowel sound (`bel`, `vieil`, `nouvel`), if different.
        public let masculineBeforeVowel: String?
        /// Placed before the noun (`un petit chat`) rather than after it (`un chat noir`).
        public let isPrenominal: Bool
        /// The kinds of noun it describes in this grammar.
        public let kinds: Set<NounKind>

        init(_ english: String, _ forms: [String], prenominal: Bool = false, beforeVowel: String? = nil,
             _ kinds: Set<NounKind>) {
            precondition(forms.count == 4, "an adjective has four forms")
            self.english = english
            self.forms = forms
            self.masculineBeforeVowel = beforeVowel
            self.isPrenominal = prenominal
            self.kinds = kinds
        }

        /// An adjective that adds -e, -s, -es (`noir`), or only -s if it already ends in -e (`rouge`).
        init(_ english: String, regular masculine: String, prenominal: Bool = false, _ kinds: Set<NounKind>) {
            let feminine = masculine.hasSuffix("e") ? masculine : masculine + "e"
            let masculinePlural = masculine.hasSuffix("s") ? masculine : masculine + "s"
            self.init(english, [masculine, feminine, masculinePlural, feminine + "s"], prenominal: prenominal, kinds)
        }

        /// The form agreeing with `gender` and `plural`.
        public func form(_ gender: Gender, plural: Bool) -> String {
            forms[(gender == .feminine ? 1 : 0) + (plural ? 2 : 0)]
        }
    }

    public enum Auxiliary: Sendable, Hashable { case avoir, etre }

    /// A verb: English base / third person singular / simple past, and the French present
    /// (je, tu, il, nous, vous, ils), future stem, past participle and auxiliary.
    public struct Verb: Sendable {
        public let english: String
        public let englishThird: String
        public let englishPast: String
        public let infinitive: String
        public let present: [String]
        public let futureStem: String
        public let participle: String
        public let auxiliary: Auxiliary

        init(_ english: (String, String, String), _ infinitive: String, present: [String], future: String,
             participle: String, auxiliary: Auxiliary = .avoir) {
            precondition(present.count == 6, "six present forms")
            (self.english, self.englishThird, self.englishPast) = english
            self.infinitive = infinitive
            self.present = present
            self.futureStem = future
            self.participle = participle
            self.auxiliary = auxiliary
        }

        /// A regular -er verb (`aimer`: aime, aimes, aime, aimons, aimez, aiment; aimer-; aimé).
        init(_ english: (String, String, String), er infinitive: String, auxiliary: Auxiliary = .avoir) {
            precondition(infinitive.hasSuffix("er"), "an -er verb")
            let stem = String(infinitive.dropLast(2))
            self.init(english, infinitive,
                      present: [stem + "e", stem + "es", stem + "e", stem + "ons", stem + "ez", stem + "ent"],
                      future: infinitive, participle: stem + "é", auxiliary: auxiliary)
        }

        /// The future for person index 0…5 (je … ils).
        public func future(_ person: Int) -> String { futureStem + Phrasebook.futureEndings[person] }
    }

    /// Future endings, shared by every verb: je -ai, tu -as, il -a, nous -ons, vous -ez, ils -ont.
    public static let futureEndings = ["ai", "as", "a", "ons", "ez", "ont"]

    // MARK: Nouns

    public static let people: [Noun] = [
        Noun("man", "homme", .masculine, .person, englishPlural: "men"),
        Noun("woman", "femme", .feminine, .person, englishPlural: "women"),
        Noun("boy", "garçon", .masculine, .person),
        Noun("girl", "fille", .feminine, .person),
        Noun("child", "enfant", .masculine, .person, englishPlural: "children"),
        Noun("friend", "ami", .masculine, .person),
        Noun("teacher", "professeur", .masculine, .person),
        Noun("doctor", "médecin", .masculine, .person),
        Noun("student", "étudiant", .masculine, .person),
        Noun("brother", "frère", .masculine, .person),
        Noun("sister", "sœur", .feminine, .person),
        Noun("mother", "mère", .feminine, .person),
        Noun("father", "père", .masculine, .person),
        Noun("uncle", "oncle", .masculine, .person),
        Noun("aunt", "tante", .feminine, .person),
        Noun("actress", "actrice", .feminine, .person, englishPlural: "actresses"),
        Noun("waiter", "serveur", .masculine, .person),
        Noun("waitress", "serveuse", .feminine, .person, englishPlural: "waitresses"),
        Noun("neighbour", "voisin", .masculine, .person),
        Noun("king", "roi", .masculine, .person),
        Noun("queen", "reine", .feminine, .person),
    ]

    public static let animals: [Noun] = [
        Noun("dog", "chien", .masculine, .animal),
        Noun("cat", "chat", .masculine, .animal),
        Noun("horse", "cheval", .masculine, .animal, frenchPlural: "chevaux"),
        Noun("bird", "oiseau", .masculine, .animal, frenchPlural: "oiseaux"),
        Noun("cow", "vache", .feminine, .animal),
        Noun("mouse", "souris", .feminine, .animal, englishPlural: "mice", frenchPlural: "souris"),
        Noun("duck", "canard", .masculine, .animal),
        Noun("sheep", "mouton", .masculine, .animal, englishPlural: "sheep"),
        Noun("elephant", "éléphant", .masculine, .animal),
        Noun("rabbit", "lapin", .masculine, .animal),
        Noun("goat", "chèvre", .feminine, .animal),
    ]

    public static let foods: [Noun] = [
        Noun("apple", "pomme", .feminine, .food, [.eat, .buy, .see, .like, .take, .sell, .have]),
        Noun("orange", "orange", .feminine, .food, [.eat, .buy, .see, .like, .take, .sell, .have]),
        Noun("cake", "gâteau", .masculine, .food, [.eat, .buy, .like, .prepare, .sell, .have], frenchPlural: "gâteaux"),
        Noun("egg", "œuf", .masculine, .food, [.eat, .buy, .take, .sell, .have]),
        Noun("sandwich", "sandwich", .masculine, .food, [.eat, .buy, .like, .prepare, .take, .sell, .have],
             englishPlural: "sandwiches"),
        Noun("banana", "banane", .feminine, .food, [.eat, .buy, .like, .take, .sell, .have]),
        Noun("tomato", "tomate", .feminine, .food, [.eat, .buy, .sell, .have], englishPlural: "tomatoes"),
        Noun("carrot", "carotte", .feminine, .food, [.eat, .buy, .sell, .have]),
        Noun("croissant", "croissant", .masculine, .food, [.eat, .buy, .like, .take, .have]),
        Noun("pear", "poire", .feminine, .food, [.eat, .buy, .like, .sell, .have]),
        Noun("lemon", "citron", .masculine, .food, [.buy, .take, .sell, .have]),
    ]

    /// Mass nouns, always singular; with `eat`/`drink`/`buy`/`have` and no article in English
    /// they take the French partitive (`je bois de l'eau`).
    public static let masses: [Noun] = [
        Noun("bread", "pain", .masculine, .food, [.eat, .buy, .have], mass: true),
        Noun("soup", "soupe", .feminine, .food, [.eat, .prepare, .like], mass: true),
        Noun("cheese", "fromage", .masculine, .food, [.eat, .buy, .like, .have], mass: true),
        Noun("meat", "viande", .feminine, .food, [.eat, .buy, .prepare], mass: true),
        Noun("rice", "riz", .masculine, .food, [.eat, .buy, .prepare, .have], mass: true),
        Noun("butter", "beurre", .masculine, .food, [.eat, .buy, .have], mass: true),
        Noun("jam", "confiture", .feminine, .food, [.eat, .buy, .like], mass: true),
        Noun("water", "eau", .feminine, .drink, [.drink, .buy, .have], mass: true),
        Noun("milk", "lait", .masculine, .drink, [.drink, .buy, .like, .have], mass: true),
        Noun("coffee", "café", .masculine, .drink, [.drink, .buy, .like, .prepare], mass: true),
        Noun("tea", "thé", .masculine, .drink, [.drink, .buy, .like, .prepare], mass: true),
        Noun("juice", "jus", .masculine, .drink, [.drink, .buy, .like], mass: true),
        Noun("wine", "vin", .masculine, .drink, [.drink, .buy, .like, .sell], mass: true),
        Noun("oil", "huile", .feminine, .food, [.buy, .have, .sell], mass: true),
        Noun("money", "argent", .masculine, .thing, [.have, .lose, .find], mass: true),
    ]

    public static let things: [Noun] = [
        Noun("book", "livre", .masculine, .thing, [.read, .write, .buy, .sell, .take, .open, .close, .lose, .find, .lookFor, .see, .like, .have]),
        Noun("letter", "lettre", .feminine, .thing, [.read, .write, .open, .see, .find, .lose, .take]),
        Noun("newspaper", "journal", .masculine, .thing, [.read, .buy, .take, .see, .find], frenchPlural: "journaux"),
        Noun("story", "histoire", .feminine, .thing, [.read, .write, .like], englishPlural: "stories"),
        Noun("key", "clé", .feminine, .thing, [.lose, .find, .lookFor, .take, .see, .have]),
        Noun("door", "porte", .feminine, .thing, [.open, .close, .see]),
        Noun("window", "fenêtre", .feminine, .thing, [.open, .close, .see]),
        Noun("box", "boîte", .feminine, .thing, [.open, .close, .buy, .see, .find, .have], englishPlural: "boxes"),
        Noun("bag", "sac", .masculine, .thing, [.open, .close, .buy, .lose, .find, .take, .lookFor, .see, .have]),
        Noun("car", "voiture", .feminine, .thing, [.buy, .sell, .see, .like, .lookFor, .find, .have]),
        Noun("bicycle", "vélo", .masculine, .thing, [.buy, .sell, .lose, .find, .take, .see, .like, .have]),
        Noun("phone", "téléphone", .masculine, .thing, [.buy, .sell, .lose, .find, .lookFor, .take, .see, .have]),
        Noun("ticket", "billet", .masculine, .thing, [.buy, .lose, .find, .take, .lookFor, .have]),
        Noun("umbrella", "parapluie", .masculine, .thing, [.buy, .lose, .find, .take, .lookFor, .see, .have]),
        Noun("watch", "montre", .feminine, .thing, [.buy, .sell, .lose, .find, .lookFor, .see, .like, .have],
             englishPlural: "watches"),
        Noun("hat", "chapeau", .masculine, .thing, [.buy, .sell, .lose, .find, .see, .like, .have], frenchPlural: "chapeaux"),
        Noun("dress", "robe", .feminine, .thing, [.buy, .sell, .see, .like, .have], englishPlural: "dresses"),
        Noun("shirt", "chemise", .feminine, .thing, [.buy, .see, .like, .have]),
        Noun("computer", "ordinateur", .masculine, .thing, [.buy, .sell, .see, .like, .have]),
        Noun("plate", "assiette", .feminine, .thing, [.see, .take, .buy, .have]),
        Noun("clock", "horloge", .feminine, .thing, [.see, .buy, .sell, .have]),
        Noun("picture", "image", .feminine, .thing, [.see, .like, .have]),
        Noun("map", "carte", .feminine, .thing, [.buy, .see, .take, .lose, .find, .lookFor, .read, .have]),
        Noun("table", "table", .feminine, .thing, [.see, .buy, .sell, .have]),
        Noun("chair", "chaise", .feminine, .thing, [.see, .buy, .sell, .have]),
        Noun("bus", "bus", .masculine, .thing, [.take, .wait, .see], englishPlural: "buses", frenchPlural: "bus"),
        Noun("train", "train", .masculine, .thing, [.take, .wait, .see]),
    ]

    /// Places, used after `aller à`, `venir de`, `arriver à`, `rester à`, `retourner à`.
    public static let places: [Noun] = [
        Noun("market", "marché", .masculine, .place),
        Noun("park", "parc", .masculine, .place),
        Noun("museum", "musée", .masculine, .place),
        Noun("cinema", "cinéma", .masculine, .place),
        Noun("restaurant", "restaurant", .masculine, .place),
        Noun("office", "bureau", .masculine, .place, frenchPlural: "bureaux"),
        Noun("theatre", "théâtre", .masculine, .place),
        Noun("garden", "jardin", .masculine, .place),
        Noun("hotel", "hôtel", .masculine, .place),
        Noun("hospital", "hôpital", .masculine, .place, frenchPlural: "hôpitaux"),
        Noun("airport", "aéroport", .masculine, .place),
        Noun("station", "gare", .feminine, .place),
        Noun("beach", "plage", .feminine, .place, englishPlural: "beaches"),
        Noun("bank", "banque", .feminine, .place),
        Noun("pool", "piscine", .feminine, .place),
        Noun("library", "bibliothèque", .feminine, .place, englishPlural: "libraries"),
        Noun("bakery", "boulangerie", .feminine, .place, englishPlural: "bakeries"),
        Noun("school", "école", .feminine, .place),
        Noun("church", "église", .feminine, .place, englishPlural: "churches"),
        Noun("university", "université", .feminine, .place, englishPlural: "universities"),
        Noun("shop", "magasin", .masculine, .place),
    ]

    /// Every noun of the lexicon.
    public static var nouns: [Noun] { people + animals + foods + masses + things + places }

    // MARK: Adjectives

    public static let adjectives: [Adjective] = [
        Adjective("big", regular: "grand", prenominal: true, [.animal, .thing, .place]),
        Adjective("small", regular: "petit", prenominal: true, [.person, .animal, .thing, .place, .food]),
        Adjective("good", ["bon", "bonne", "bons", "bonnes"], prenominal: true, [.person, .food, .thing, .place]),
        Adjective("bad", regular: "mauvais", prenominal: true, [.food, .thing]),
        Adjective("beautiful", ["beau", "belle", "beaux", "belles"], prenominal: true, beforeVowel: "bel",
                  [.animal, .thing, .place]),
        Adjective("pretty", regular: "joli", prenominal: true, [.animal, .thing, .place]),
        Adjective("young", regular: "jeune", prenominal: true, [.person, .animal]),
        Adjective("old", ["vieux", "vieille", "vieux", "vieilles"], prenominal: true, beforeVowel: "vieil",
                  [.person, .animal, .thing, .place]),
        Adjective("new", ["nouveau", "nouvelle", "nouveaux", "nouvelles"], prenominal: true, beforeVowel: "nouvel",
                  [.person, .thing, .place]),
        Adjective("black", regular: "noir", [.animal, .thing]),
        Adjective("white", ["blanc", "blanche", "blancs", "blanches"], [.animal, .thing]),
        Adjective("red", regular: "rouge", [.thing]),
        Adjective("green", regular: "vert", [.thing]),
        Adjective("blue", regular: "bleu", [.thing]),
        Adjective("happy", ["heureux", "heureuse", "heureux", "heureuses"], [.person, .animal]),
        Adjective("tired", regular: "fatigué", [.person, .animal]),
        Adjective("smart", regular: "intelligent", [.person, .animal]),
        Adjective("sad", regular: "triste", [.person]),
        Adjective("expensive", ["cher", "chère", "chers", "chères"], [.thing]),
        Adjective("delicious", ["délicieux", "délicieuse", "délicieux", "délicieuses"], [.food]),
    ]

    // MARK: Verbs

    /// Verbs whose object is a person or an animal; they also take the pronouns him/her/them.
    public static let personVerbs: [(verb: Verb, animals: Bool)] = [
        (Verb(("see", "sees", "saw"), "voir", present: ["vois", "vois", "voit", "voyons", "voyez", "voient"],
              future: "verr", participle: "vu"), true),
        (Verb(("love", "loves", "loved"), er: "aimer"), true),
        (Verb(("wait for", "waits for", "waited for"), "attendre",
              present: ["attends", "attends", "attend", "attendons", "attendez", "attendent"],
              future: "attendr", participle: "attendu"), true),
        (Verb(("find", "finds", "found"), er: "trouver"), true),
        (Verb(("watch", "watches", "watched"), er: "regarder"), true),
        (Verb(("look for", "looks for", "looked for"), er: "chercher"), true),
        (Verb(("know", "knows", "knew"), "connaître",
              present: ["connais", "connais", "connaît", "connaissons", "connaissez", "connaissent"],
              future: "connaîtr", participle: "connu"), false),
        (Verb(("call", "calls", "called"), "appeler",
              present: ["appelle", "appelles", "appelle", "appelons", "appelez", "appellent"],
              future: "appeller", participle: "appelé"), false),
        (Verb(("help", "helps", "helped"), er: "aider"), false),
        (Verb(("listen to", "listens to", "listened to"), er: "écouter"), false),
        (Verb(("invite", "invites", "invited"), er: "inviter"), false),
    ]

    /// Verbs whose object is a thing or a food, keyed by the `Use` their object must allow.
    public static let thingVerbs: [(verb: Verb, use: Use)] = [
        (Verb(("eat", "eats", "ate"), "manger", present: ["mange", "manges", "mange", "mangeons", "mangez", "mangent"],
              future: "manger", participle: "mangé"), .eat),
        (Verb(("drink", "drinks", "drank"), "boire", present: ["bois", "bois", "boit", "buvons", "buvez", "boivent"],
              future: "boir", participle: "bu"), .drink),
        (Verb(("buy", "buys", "bought"), "acheter",
              present: ["achète", "achètes", "achète", "achetons", "achetez", "achètent"],
              future: "achèter", participle: "acheté"), .buy),
        (Verb(("sell", "sells", "sold"), "vendre", present: ["vends", "vends", "vend", "vendons", "vendez", "vendent"],
              future: "vendr", participle: "vendu"), .sell),
        (Verb(("read", "reads", "read"), "lire", present: ["lis", "lis", "lit", "lisons", "lisez", "lisent"],
              future: "lir", participle: "lu"), .read),
        (Verb(("write", "writes", "wrote"), "écrire",
              present: ["écris", "écris", "écrit", "écrivons", "écrivez", "écrivent"],
              future: "écrir", participle: "écrit"), .write),
        (Verb(("open", "opens", "opened"), "ouvrir", present: ["ouvre", "ouvres", "ouvre", "ouvrons", "ouvrez", "ouvrent"],
              future: "ouvrir", participle: "ouvert"), .open),
        (Verb(("close", "closes", "closed"), er: "fermer"), .close),
        (Verb(("lose", "loses", "lost"), "perdre", present: ["perds", "perds", "perd", "perdons", "perdez", "perdent"],
              future: "perdr", participle: "perdu"), .lose),
        (Verb(("find", "finds", "found"), er: "trouver"), .find),
        (Verb(("look for", "looks for", "looked for"), er: "chercher"), .lookFor),
        (Verb(("take", "takes", "took"), "prendre", present: ["prends", "prends", "prend", "prenons", "prenez", "prennent"],
              future: "prendr", participle: "pris"), .take),
        (Verb(("see", "sees", "saw"), "voir", present: ["vois", "vois", "voit", "voyons", "voyez", "voient"],
              future: "verr", participle: "vu"), .see),
        (Verb(("like", "likes", "liked"), er: "aimer"), .like),
        (Verb(("prepare", "prepares", "prepared"), er: "préparer"), .prepare),
        (Verb(("wait for", "waits for", "waited for"), "attendre",
              present: ["attends", "attends", "attend", "attendons", "attendez", "attendent"],
              future: "attendr", participle: "attendu"), .wait),
    ]

    /// `avoir` (have), used with numbers and mass nouns in the present and future.
    public static let have = Verb(("have", "has", "had"), "avoir", present: ["ai", "as", "a", "avons", "avez", "ont"],
                                  future: "aur", participle: "eu")

    /// `être` (be), the copula and the auxiliary of movement verbs.
    public static let be = Verb(("be", "is", "was"), "être", present: ["suis", "es", "est", "sommes", "êtes", "sont"],
                                future: "ser", participle: "été")

    /// The French preposition that introduces a movement verb's place.
    public enum Preposition: Sendable, Hashable { case a, de }

    /// Movement verbs (auxiliary être); `place` is nil for those used without a complement.
    public static let movementVerbs: [(verb: Verb, place: Preposition?)] = [
        (Verb(("go to", "goes to", "went to"), "aller", present: ["vais", "vas", "va", "allons", "allez", "vont"],
              future: "ir", participle: "allé", auxiliary: .etre), .a),
        (Verb(("come from", "comes from", "came from"), "venir",
              present: ["viens", "viens", "vient", "venons", "venez", "viennent"],
              future: "viendr", participle: "venu", auxiliary: .etre), .de),
        (Verb(("arrive at", "arrives at", "arrived at"), er: "arriver", auxiliary: .etre), .a),
        (Verb(("stay at", "stays at", "stayed at"), er: "rester", auxiliary: .etre), .a),
        (Verb(("go back to", "goes back to", "went back to"), er: "retourner", auxiliary: .etre), .a),
        (Verb(("leave", "leaves", "left"), "partir", present: ["pars", "pars", "part", "partons", "partez", "partent"],
              future: "partir", participle: "parti", auxiliary: .etre), nil),
        (Verb(("go out", "goes out", "went out"), "sortir", present: ["sors", "sors", "sort", "sortons", "sortez", "sortent"],
              future: "sortir", participle: "sorti", auxiliary: .etre), nil),
    ]

    /// `parler à` (speak to) and `parler de` (talk about), which take contracted articles.
    public static let speakTo = Verb(("speak to", "speaks to", "spoke to"), er: "parler")
    public static let talkAbout = Verb(("talk about", "talks about", "talked about"), er: "parler")

    // MARK: Pronouns and numbers

    /// A subject pronoun with its person index (0…5 = je, tu, il, nous, vous, ils) and agreement.
    public struct Pronoun: Sendable {
        public let english: String
        public let french: String
        public let person: Int
        public let gender: Gender
        public let isPlural: Bool
    }

    /// Subject pronouns. `you` is `tu`, `you all` is `vous`, `they` is `ils`; je, tu, nous and
    /// vous agree in the masculine (the grammar has no way to say otherwise in English).
    public static let subjectPronouns: [Pronoun] = [
        Pronoun(english: "I", french: "je", person: 0, gender: .masculine, isPlural: false),
        Pronoun(english: "you", french: "tu", person: 1, gender: .masculine, isPlural: false),
        Pronoun(english: "he", french: "il", person: 2, gender: .masculine, isPlural: false),
        Pronoun(english: "she", french: "elle", person: 2, gender: .feminine, isPlural: false),
        Pronoun(english: "we", french: "nous", person: 3, gender: .masculine, isPlural: true),
        Pronoun(english: "you all", french: "vous", person: 4, gender: .masculine, isPlural: true),
        Pronoun(english: "they", french: "ils", person: 5, gender: .masculine, isPlural: true),
    ]

    /// Direct object pronouns: him → le, her → la, them → les (masculine plural).
    public static let objectPronouns: [(english: String, french: String, gender: Gender, isPlural: Bool)] = [
        ("him", "le", .masculine, false), ("her", "la", .feminine, false), ("them", "les", .masculine, true),
    ]

    /// Possessive determiners by possessor (my, your, his, her, our, their): French masculine
    /// singular, feminine singular, plural. `your` is `votre`/`vos` when the subject is `you all`.
    public static let possessives: [(english: String, french: [String])] = [
        ("my", ["mon", "ma", "mes"]), ("your", ["ton", "ta", "tes"]), ("his", ["son", "sa", "ses"]),
        ("her", ["son", "sa", "ses"]), ("our", ["notre", "notre", "nos"]), ("their", ["leur", "leur", "leurs"]),
    ]
    public static let politePossessive = ["votre", "votre", "vos"]

    /// Numbers 1…20: English, French (`un` is `une` before a feminine noun).
    public static let numbers: [(english: String, french: String)] = [
        ("one", "un"), ("two", "deux"), ("three", "trois"), ("four", "quatre"), ("five", "cinq"), ("six", "six"),
        ("seven", "sept"), ("eight", "huit"), ("nine", "neuf"), ("ten", "dix"), ("eleven", "onze"),
        ("twelve", "douze"), ("thirteen", "treize"), ("fourteen", "quatorze"), ("fifteen", "quinze"),
        ("sixteen", "seize"), ("seventeen", "dix-sept"), ("eighteen", "dix-huit"), ("nineteen", "dix-neuf"),
        ("twenty", "vingt"),
    ]
}
