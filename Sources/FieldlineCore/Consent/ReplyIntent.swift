import Foundation

/// What a customer's text says about their consent, in their own words (CP1).
///
/// Since 11 April 2025 consent may be revoked "by any reasonable means" (47 CFR 64.1200(a)(10)):
/// a reply using stop, quit, end, revoke, opt out, cancel or unsubscribe to ask for no more texts is
/// a revocation per se, and other wording is one when a reasonable person would read it so. A
/// whole-message keyword is the narrowest case of that; this reads the rest.
public enum ReplyIntent: String, Sendable, Equatable, CaseIterable {
    /// The customer asks for no more texts: acts as STOP does.
    case revoke
    /// The whole text asks for texts again (START and its wordings).
    case resume
    /// The whole text asks for the HELP answer.
    case help
    /// Might be a request to stop; a person decides (CP2).
    case possibleRevoke = "possible_revoke"
    /// An ordinary message.
    case nothing

    /// Reads `body`. Pure and total: any text, of any length, script or markup, gets an answer.
    public static func classify(_ body: String) -> ReplyIntent {
        ReplyReader.classify(body)
    }
}

/// The rules behind `ReplyIntent.classify`, kept together so docs/ARCHITECTURE.md can describe them
/// in order:
/// 1. the text is cut into clauses (at . ! ? ; : , and line breaks) of folded words ("Don't" is
///    `dont`, "más" is `mas`, common misspellings such as "stpo" and "unsubscibe" are the word);
/// 2. a per-se word standing alone as a clause ("STOP", "Stop please", "END.") revokes; the words
///    that are also ordinary requests about a job (cancel, end, para, alto, baja, cancelar) revoke
///    alone only when they are the whole text, and are only possible revocations inside a longer one;
/// 3. a per-se verb whose object is texting ("stop texting me", "quit sending me these", "cancel
///    the text alerts", "paren los mensajes") revokes, unless a subject or negation comes right
///    before it ("the leak won't stop", "I'll quit calling", "don't stop") or a job comes first
///    ("cancel my appointment");
/// 4. unsubscribe, opt out and revoke revoke wherever they are, unless negated;
/// 5. clear phrases revoke ("don't text me anymore", "no more messages", "remove me from your list",
///    "take me off", "leave me alone", "no me envíen más mensajes", "dejen de mandarme mensajes");
///    a phrase limited in time ("don't text me after 8pm") is only a possible revocation;
/// 6. wordings a person should look at are possible revocations ("wrong number", "not interested",
///    "who gave you my number", "too many texts", "stop it", 🛑);
/// 7. resume and help count only when they are the whole text, so "Help! Water everywhere" stays
///    a message for the office.
enum ReplyReader {
    static func classify(_ body: String) -> ReplyIntent {
        let clauses = clauses(of: body)
        let meaning = clauses.map(meaningful).filter { !$0.isEmpty }
        // "I opted out by accident, please start sending me the texts again": asking for texts
        // back after a mistake is a resume, whatever words it uses for the mistake.
        if let mistake = clauses.firstIndex(where: { $0.contains(where: mistakeWords.contains) }),
            clauses.contains(where: asksForTextsAgain),
            clauses.indices.allSatisfy({ $0 == mistake || read(clauses[$0], alone: false) != .revoke })
        {
            return .resume
        }
        var possible = false
        // "Stop! Don't come today, I'm sick": a bare STOP beside words about the visit may be
        // about the visit; a person reads it.
        let aboutAVisit = clauses.contains { $0.contains(where: visitWords.contains) }
        for clause in clauses {
            switch read(clause, alone: meaning.count == 1, aboutAVisit: aboutAVisit) {
            case .revoke: return .revoke
            case .possibleRevoke: possible = true
            default: break
            }
        }
        if possible { return .possibleRevoke }
        // START and HELP are whole-message answers: every clause must say it, and nothing else.
        if !meaning.isEmpty {
            if meaning.allSatisfy({ resumePhrases.contains($0.joined(separator: " ")) }) { return .resume }
            if meaning.count == 1, let only = clauses.first(where: { !meaningful($0).isEmpty }), asksForTextsAgain(only)
            {
                return .resume
            }
            if meaning.allSatisfy({ helpPhrases.contains($0.joined(separator: " ")) }) { return .help }
        }
        return .nothing
    }

    // MARK: - One clause

    static func read(_ clause: [String], alone: Bool, aboutAVisit: Bool = false) -> ReplyIntent {
        var meaning = meaningful(clause)
        // 🛑 beside words decorates them ("🛑 STOP 🛑"); alone it is a possible revocation.
        if meaning.count > 1 { meaning.removeAll { $0 == "🛑" } }
        if !meaning.isEmpty, meaning.allSatisfy({ strongWords.contains($0) }) {
            return alone || !aboutAVisit ? .revoke : .possibleRevoke
        }
        let phrase = meaning.joined(separator: " ")
        if strongPhrases.contains(phrase) {
            // "Stop this! The tech is digging up the wrong bed": about the visit, a person reads it.
            return alone || !aboutAVisit || !pronounPhrases.contains(phrase) ? .revoke : .possibleRevoke
        }
        if !meaning.isEmpty, meaning.allSatisfy({ weakWords.contains($0) || strongWords.contains($0) }) {
            // "Cancel please" may mean the visit: only the bare word is the carriers' keyword.
            let mayMeanTheVisit = meaning.contains { $0 == "cancel" || $0 == "cancelar" } && clause.count > 1
            return alone && !mayMeanTheVisit ? .revoke : .possibleRevoke
        }
        if weakPhrases.contains(phrase) { return alone ? .revoke : .possibleRevoke }
        if possiblePhrases.contains(phrase) { return .possibleRevoke }

        var result = ReplyIntent.nothing
        for index in clause.indices {
            let word = clause[index]
            if verbs.contains(word) {
                let found = readVerb(at: index, in: clause)
                if found == .revoke { return .revoke }
                if found == .possibleRevoke { result = .possibleRevoke }
            }
            // "Unsubscribe", "opt out", "opt me out", "please opt this number out" — but "did you
            // unsubscribe me?" or "I got opted out by mistake" reports it: a person reads those.
            let optsOut =
                anywhereWords.contains(word)
                || (word == "opt" && clause[(index + 1)..<min(clause.count, index + 5)].contains("out"))
            if optsOut, !isNegated(index, in: clause), !isAboutTheJob(after: index, in: clause) {
                if clause[..<index].contains(where: reportWords.contains) {
                    result = .possibleRevoke
                } else {
                    return .revoke
                }
            }
            if possibleWords.contains(word) { result = .possibleRevoke }
        }
        // Only the rules whose first word is in the clause are tried, in their order.
        var candidates: [Int] = []
        for word in clause {
            if let starting = rulesByFirstWord[word] { candidates.append(contentsOf: starting) }
        }
        if candidates.count > 1 { candidates = Array(Set(candidates)).sorted() }
        for ruleIndex in candidates {
            let rule = rules[ruleIndex]
            guard let end = rule.phrase.firstMatch(in: clause) else { continue }
            var intent = rule.intent
            if rule.limitable, intent == .revoke, clause[end...].contains(where: { limitWords.contains($0) }) {
                intent = .possibleRevoke
            }
            if rule.unlessAboutTheJob,
                clause[end..<min(clause.count, end + 6)].contains(where: {
                    jobWords.contains($0) || otherChannels.contains($0)
                })
            {
                continue
            }
            if intent == .revoke { return .revoke }
            if intent == .possibleRevoke { result = .possibleRevoke }
        }
        return result
    }

    /// A per-se verb: what follows decides. Texting as its object revokes; a job, a place or nothing
    /// at all does not.
    static func readVerb(at index: Int, in clause: [String]) -> ReplyIntent {
        if index > 0, verbBlockers.contains(clause[index - 1]) { return .nothing }
        if index > 1, clause[index - 2] == "not" || clause[index - 2] == "dont" || clause[index - 2] == "never" {
            return .nothing
        }
        let window = clause[(index + 1)..<min(clause.count, index + 7)]
        if let first = window.first, placeWords.contains(first) { return .nothing }
        for (offset, word) in window.enumerated() {
            if jobWords.contains(word) { return .nothing }
            if textingWords.contains(word) {
                let position = index + 1 + offset
                // What follows the texting word: a job is its object ("stop sending the tech"),
                // unless the texts are about it ("stop messaging me about gutter cleaning").
                let following = clause[(position + 1)..<min(clause.count, position + 4)]
                    .prefix(while: { !topicWords.contains($0) })
                if following.contains(where: { jobWords.contains($0) }) { return .nothing }
                // "Stop texting my old number", "stop sending reminders to my husband", "stop
                // texting me at work": which number or when is meant, a person sees.
                if following.contains(where: { $0 == "old" || $0 == "other" || limitWords.contains($0) }) {
                    return .possibleRevoke
                }
                if let to = following.firstIndex(of: "to"), to + 1 < clause.count,
                    !["me", "us", "this"].contains(clause[to + 1])
                {
                    return .possibleRevoke
                }
                return .revoke
            }
        }
        // "Can you please stop?": the verb ends the clause with nothing after it.
        if strongWords.contains(clause[index]), meaningful(Array(window)).isEmpty, index > 0 {
            return askingWords.contains(clause[index - 1]) ? .revoke : .nothing
        }
        return .nothing
    }

    /// "Opt out of the extended warranty", "unsubscribe me from the service plan": of or from
    /// reaching a job word before any word for texts.
    static func isAboutTheJob(after index: Int, in clause: [String]) -> Bool {
        let window = clause[(index + 1)..<min(clause.count, index + 7)]
        guard let from = window.firstIndex(where: { $0 == "of" || $0 == "from" }) else { return false }
        for word in window[from...] {
            if jobWords.contains(word) || otherChannels.contains(word) { return true }
            if textingWords.contains(word) { return false }
        }
        return false
    }

    /// Not texts: "I unsubscribed from your emails" is about email.
    static let otherChannels: Set<String> = [
        "email", "emails", "newsletter", "newsletters", "mailing", "mail", "mailer",
    ]

    /// A resume wording with no negation in its clause: "no vuelvan a mandarme mensajes" and
    /// "don't start texting me again" ask the opposite.
    static func asksForTextsAgain(_ clause: [String]) -> Bool {
        !clause.contains(where: negations.contains) && resumeRules.contains { $0.firstMatch(in: clause) != nil }
    }

    /// Before an opt-out word these make it a question or a report, not a request.
    static let reportWords: Set<String> = ["did", "got", "was", "were", "been", "why", "has", "have", "get"]

    static func isNegated(_ index: Int, in clause: [String]) -> Bool {
        clause[max(0, index - 2)..<index].contains(where: { negations.contains($0) })
    }

    static func meaningful(_ clause: [String]) -> [String] {
        var words: [String] = []
        for word in clause where !fillers.contains(word) && words.last != word { words.append(word) }
        return words
    }

    // MARK: - Words

    /// Per-se words that revoke standing alone in any clause.
    static let strongWords: Set<String> = [
        "stop", "quit", "unsubscribe", "revoke", "optout", "stopall", "arret", "detener", "parar",
    ]
    /// Per-se words that are also ordinary requests ("Cancel. I found someone else."): they revoke
    /// as the whole text, and are possible revocations as one clause of a longer one.
    static let weakWords: Set<String> = ["cancel", "end", "para", "alto", "baja", "cancelar"]
    static let strongPhrases: Set<String> = [
        "opt out", "opt me out", "stop texting", "stop messaging", "stop texts", "stop messages",
        "stop sending", "no texts", "no text messages", "no more texts", "no more messages", "leave me alone",
        "take me off", "remove me", "unsubscribe me", "darme de baja", "dame de baja", "denme de baja",
        "deme de baja", "no mas mensajes", "no mas textos", "stop all",
        // A per-se word with only "it" or "this" after it is still the word (47 CFR 64.1200(a)(10)).
        "stop it", "stop this", "quit it", "end this", "stop that", "quit this",
    ]
    static let pronounPhrases: Set<String> = ["stop it", "stop this", "quit it", "end this", "stop that", "quit this"]
    static let weakPhrases: Set<String> = ["de baja", "dar de baja"]
    static let possiblePhrases: Set<String> = [
        "enough", "enough already", "no more", "no mas", "🛑", "basta", "ya no", "not interested",
        "no thanks not interested", "unsolicited",
    ]
    static let resumePhrases: Set<String> = [
        "start", "unstop", "restart", "subscribe", "resubscribe", "resume", "opt in", "optin", "opt me in",
        "start texting", "start texts", "start messages", "resume texts", "resume texting", "start text",
        "comenzar", "iniciar", "reanudar", "reanudar mensajes", "inicio", "start up", "yes start", "start yes",
        "enroll",
    ]
    /// Asking for texts again in a sentence, as the whole text: "I want to get your texts again".
    static let resumeRules: [Phrase] = [
        Phrase(
            .word(["want", "like", "wanna"]), .optional(["to"]), .word(["get", "receive"]), .gap(2),
            .word(textingNouns), .word(["again", "back"])),
        Phrase(
            .word(["start", "resume"]), .word(["texting", "messaging", "sending"]), .gap(3), .word(["again"]), .end),
        Phrase(
            .word(["vuelvan", "vuelve", "vuelva"]), .word(["a"]),
            .word(["mandarme", "enviarme", "escribirme", "mandar", "enviar", "textearme", "mandarnos", "enviarnos"])),
        Phrase(
            .word(["quiero", "queremos"]), .word(["volver"]), .word(["a"]), .word(["recibir"]), .gap(2),
            .word(spanishTexting)),
    ]
    static let mistakeWords: Set<String> = ["accident", "accidentally", "mistake", "error", "querer", "equivocacion"]
    static let helpPhrases: Set<String> = ["help", "info", "ayuda", "informacion", "help info", "information"]

    /// Words that carry no meaning for these rules when they stand beside a keyword.
    static let fillers: Set<String> = [
        "please", "now", "thanks", "thank", "you", "ok", "okay", "just", "all", "asap", "immediately", "right",
        "me", "already", "again", "back", "hi", "hello", "hey", "sir", "maam", "sorry", "seriously", "really",
        "yes", "yeah", "lol", "i", "said", "por", "favor", "porfavor", "porfa", "gracias", "ya", "ahora", "hola",
        "kindly", "ty", "thx", "xx", "x", "jeez", "god", "omg", "wtf", "man", "dude", "guys", "si",
    ]
    /// The per-se verbs (and their Spanish) whose object decides.
    static let verbs: Set<String> = [
        "stop", "quit", "end", "cancel", "cease", "halt", "discontinue", "pause", "paren", "pare", "parar",
        "detener", "detengan", "cancelar", "cancelen", "cancela", "enough",
    ]
    /// Words right before a verb that make it not a request to us: a subject ("I'll quit", "it
    /// won't stop"), a negation ("don't stop"), an article ("the end of").
    static let verbBlockers: Set<String> = [
        "i", "ill", "id", "im", "ive", "we", "were", "well", "weve", "it", "its", "itll", "they", "theyll",
        "he", "she", "hes", "shes", "will", "wont", "would", "wouldnt", "dont", "didnt", "doesnt", "cant",
        "never", "not", "cannot", "the", "a", "an", "should", "shall", "gonna", "might", "may", "did", "does",
        "no", "bus", "truck", "pit", "last", "next", "first", "full", "that", "which", "water", "leak", "pipe",
        "drip", "dripping", "noise", "sound", "alarm", "rain", "finally", "lo", "se", "nunca", "el",
        "la", "que",
    ]
    static let negations: Set<String> = [
        "dont", "didnt", "not", "never", "wont", "cant", "doesnt", "shouldnt", "wouldnt", "no", "nunca", "isnt",
    ]
    /// A verb followed at once by one of these is about a place or a visit ("stop by at 3").
    static let placeWords: Set<String> = ["by", "in", "over", "at", "on", "for", "of", "up", "off", "and", "or"]
    /// Words for texts and texting in English and Spanish.
    static let textingWords: Set<String> = [
        "text", "texts", "texting", "texted", "message", "messages", "messaging", "sms", "mms", "contacting",
        "contact", "notifications", "notification", "alerts", "alert", "reminders", "reminder", "promos",
        "promo", "promotions", "promotional", "marketing", "ads", "advertising", "advertisements", "spam",
        "junk", "garbage", "crap", "nonsense", "stuff", "subscription", "subscriptions", "list", "mailing",
        "updates", "offers", "deals", "coupons",
        "these", "them", "those", "bothering", "harassing", "pestering", "sending", "send", "spamming",
        "mensajes", "mensaje", "textos", "texto", "msjs", "msj", "notificaciones", "recordatorios",
        "promociones", "publicidad", "llamadas", "correos", "envios",
    ]
    /// Words about the job: a verb reaching one of these first is a request about the work.
    static let jobWords: Set<String> = [
        "appointment", "appointments", "appt", "visit", "job", "service", "order", "booking",
        "estimate", "quote", "invoice", "payment", "charge", "tech", "technician", "plumber", "electrician",
        "guy", "repair", "install", "installation", "monday", "tuesday",
        "wednesday", "thursday", "friday", "saturday", "sunday", "cita", "visita", "servicio", "orden",
        "trabajo", "pago", "factura", "tecnico", "manana", "cotizacion", "reservation", "plan", "contract",
        "membership", "warranty", "check", "card", "transaction", "water", "leak", "unit", "invoices", "estimates",
        "quotes", "payments", "visits", "receipt", "receipts", "tune", "tuneup", "checkup", "enter", "key",
        "mowing", "lawn", "cleaning", "pest", "spraying", "treatment", "maintenance", "inspection", "program",
        "route", "mantenimiento", "pool", "gutter", "gutters", "techs", "technicians", "guys", "people", "crew",
        "workers", "plumbers", "electricians", "tecnicos", "gente", "bill", "bills", "billing", "statement",
        "statements", "paper", "slot", "schedule", "calendar", "waitlist",
    ]
    static let topicWords: Set<String> = ["about", "regarding", "re", "sobre", "acerca"]
    /// Words about a visit: beside them a bare STOP may mean the visit.
    static let visitWords: Set<String> = [
        "appointment", "appt", "visit", "come", "coming", "today", "tomorrow", "tonight", "monday", "tuesday",
        "wednesday", "thursday", "friday", "saturday", "sunday", "tech", "technician", "plumber", "electrician",
        "sick", "reschedule", "schedule", "work", "job", "cita", "visita", "venga", "vengan", "hoy", "manana",
        "tecnico", "trabajo",
    ]
    /// Per-se verbs stand before this to ask: "can you please stop?", "just stop".
    static let askingWords: Set<String> = ["please", "you", "just", "u", "guys", "yall", "pls", "kindly", "now"]
    /// Words that revoke wherever they are unless negated.
    static let anywhereWords: Set<String> = [
        "unsubscribe", "optout", "stopall", "desuscribir", "desuscribirme",
    ]
    static let possibleWords: Set<String> = [
        "spam", "spamming", "harass", "harassment", "harassing", "stalking", "lawyer", "attorney", "sue", "suing",
        "tcpa", "fcc", "dnc", "unsolicited", "acoso", "🛑", "telemarketer", "telemarketers", "telemarketing",
    ]
    /// A phrase followed by one of these limits when, not whether: "don't text me after 8pm".
    static let limitWords: Set<String> = [
        "before", "after", "until", "til", "till", "during", "while", "between", "at", "on", "early", "late",
        "weekends", "weekend", "night", "nights", "morning", "mornings", "work", "sundays", "antes", "despues",
        "noche", "temprano", "tarde", "about",
    ]

    // MARK: - Phrases

    struct Rule {
        var phrase: Phrase
        var intent: ReplyIntent
        /// A time or topic after the phrase makes it a possible revocation.
        var limitable = false
        /// A job word after the phrase makes it a request about the work ("remove me from the 9am
        /// slot", "dejen de mandar técnicos diferentes").
        var unlessAboutTheJob = false
    }

    static let textingVerbs: Set<String> = [
        "text", "texting", "message", "messaging", "sms", "contact", "send", "email", "bother", "spam",
    ]
    static let textingNouns: Set<String> = [
        "texts", "text", "messages", "message", "texting", "sms", "reminders", "notifications", "alerts",
        "promos", "promotions", "marketing", "ads", "spam", "offers", "updates", "msgs",
    ]
    static let spanishTexting: Set<String> = [
        "mensajes", "mensaje", "textos", "texto", "sms", "msjs", "msj", "notificaciones", "recordatorios",
        "promociones", "publicidad",
    ]
    static let spanishSendVerbs: Set<String> = [
        "envien", "manden", "escriban", "envies", "mandes", "escribas", "contacten", "contactes", "textees",
        "texteen", "molesten", "molestes", "envie", "mande", "escriba", "sigan", "vuelvan", "mandan", "envian",
    ]

    static let rules: [Rule] = [
        // "Don't text me anymore", "please do not contact us", "never message me again".
        Rule(
            phrase: Phrase(
                .word(["dont", "never"]), .optional(["ever", "evr"]), .optional(["start", "resume", "keep"]),
                .word(textingVerbs),
                .word(["me", "us", "anymore", "again", "here", "ever", "this", "any"])),
            intent: .revoke, limitable: true),
        // "No more texts", "no more of these messages", "no longer want texts".
        Rule(phrase: Phrase(.word(["no"]), .word(["more"]), .gap(2), .word(textingNouns)), intent: .revoke),
        Rule(
            phrase: Phrase(.word(["no"]), .word(["longer"]), .gap(4), .word(textingNouns)),
            intent: .revoke, limitable: true),
        Rule(phrase: Phrase(.word(["no"]), .word(["texts", "messages", "texting", "sms"]), .end), intent: .revoke),
        // "Remove me from your list", "delete my number", "lose my number".
        Rule(
            phrase: Phrase(.word(["remove", "delete", "erase", "drop"]), .word(["me", "us"])), intent: .revoke,
            unlessAboutTheJob: true),
        Rule(
            phrase: Phrase(
                .word(["remove", "delete", "erase", "lose", "forget", "drop"]),
                .word(["my", "this", "our"]), .optional(["phone", "cell", "mobile"]), .word(["number", "num"])),
            intent: .revoke),
        // "Take me off", "take my number off your list", "get me off this list".
        Rule(
            phrase: Phrase(.word(["take", "get"]), .word(["me", "us"]), .word(["off", "out"])), intent: .revoke,
            unlessAboutTheJob: true),
        Rule(
            phrase: Phrase(
                .word(["take", "get"]), .word(["my", "this", "our"]), .optional(["phone", "cell"]),
                .word(["number"]), .word(["off", "out"])),
            intent: .revoke),
        Rule(phrase: Phrase(.word(["leave"]), .word(["me", "us"]), .word(["alone"])), intent: .revoke),
        // "I don't want these texts", "we don't need any more reminders".
        Rule(
            phrase: Phrase(
                .word(["dont", "doesnt", "never", "wouldnt"]), .optional(["ever"]),
                .word(["want", "wish", "need", "like"]), .gap(4),
                .word(textingNouns)),
            intent: .revoke, limitable: true),
        Rule(
            phrase: Phrase(
                .word(["revoke", "revoking", "withdraw", "withdrawing"]), .gap(2),
                .word(["consent", "permission", "authorization"])),
            intent: .revoke, unlessAboutTheJob: true),
        Rule(
            phrase: Phrase(
                .word(["enough"]), .optional(["with"]), .optional(["the", "these", "your", "all"]),
                .word(textingNouns)),
            intent: .revoke),
        // "I'm done with these texts", "done getting these".
        Rule(
            phrase: Phrase(
                .word(["done", "finished"]), .word(["with", "getting", "receiving"]), .gap(2),
                .word(textingNouns.union(["these", "them", "those"]))),
            intent: .revoke),
        // "I don't want these", "I would like to not get any more of them".
        Rule(
            phrase: Phrase(
                .word(["dont", "doesnt"]), .word(["want", "need"]), .word(["these", "them", "those", "this"]),
                .end),
            intent: .revoke),
        Rule(
            phrase: Phrase(
                .word(["not", "dont", "never"]), .word(["get", "receive", "getting", "receiving"]), .gap(1),
                .word(["more", "anymore"])),
            intent: .revoke, limitable: true),
        // "Texting isn't ok with me anymore".
        Rule(
            phrase: Phrase(
                .word(textingNouns), .word(["isnt", "arent"]), .word(["ok", "okay", "fine", "welcome", "wanted"])),
            intent: .revoke),
        // "I said stop", "I told you to stop".
        Rule(
            phrase: Phrase(
                .word(["said", "told", "asked"]), .optional(["you"]), .optional(["to"]),
                .word(["stop", "quit", "unsubscribe"])),
            intent: .revoke),
        // "Do I need to reply STOP?": asking how is asking for it.
        Rule(
            phrase: Phrase(
                .word(["reply", "text", "send", "type", "respond", "replying", "texting"]),
                .optional(["with", "the", "word"]), .word(["stop", "unsubscribe", "quit"])),
            intent: .revoke),
        // "Knock it off with the texts"; without the texts, a person reads it.
        Rule(
            phrase: Phrase(
                .word(["knock", "cut"]), .word(["it"]), .word(["off", "out"]), .gap(3),
                .word(textingNouns)),
            intent: .revoke),
        Rule(phrase: Phrase(.word(["knock", "cut"]), .word(["it"]), .word(["off", "out"])), intent: .possibleRevoke),
        // "No vuelvan a mandarme mensajes", "no me vuelvan a escribir".
        Rule(
            phrase: Phrase(
                .word(["no", "nunca"]), .optional(["me", "nos"]), .word(["vuelvan", "vuelva", "vuelvas"]), .word(["a"]),
                .word([
                    "mandarme", "enviarme", "escribirme", "mandar", "enviar", "escribir", "textearme", "mandarnos",
                    "enviarnos", "contactarme", "llamarme",
                ])),
            intent: .revoke, unlessAboutTheJob: true),
        // "No sales stuff", "no more promos": marketing refused.
        Rule(
            phrase: Phrase(
                .word(["no"]), .optional(["more"]),
                .word(["sales", "marketing", "promos", "promotions", "promotional", "ads", "advertising", "spam"])),
            intent: .revoke),
        // Spanish: "no más mensajes", "no me envíen más mensajes", "dejen de mandarme mensajes".
        Rule(phrase: Phrase(.word(["no"]), .word(["mas"]), .gap(2), .word(spanishTexting)), intent: .revoke),
        Rule(
            phrase: Phrase(
                .word(["no"]), .word(["me", "nos"]), .word(spanishSendVerbs),
                .word(Set(["mas", "nada", "ningun", "ninguno"]).union(spanishTexting))),
            intent: .revoke, limitable: true),
        Rule(
            phrase: Phrase(.word(["no"]), .word(["me", "nos"]), .word(spanishSendVerbs), .end),
            intent: .revoke),
        Rule(
            phrase: Phrase(
                .word(["no"]), .word(["me", "nos"]), .word(spanishSendVerbs), .word(["a", "al", "aqui"]),
                .optional(["este", "mi"]), .word(["numero", "telefono", "celular"])),
            intent: .revoke),
        // "Para ya con los mensajes", "den de baja mi número de los mensajes".
        Rule(
            phrase: Phrase(
                .word(["para", "paren", "pare"]), .optional(["ya"]), .word(["con"]), .gap(2),
                .word(spanishTexting)),
            intent: .revoke),
        Rule(
            phrase: Phrase(
                .word(["den", "dar", "denle", "darle"]), .word(["de"]), .word(["baja"]), .gap(3),
                .word(Set(["numero", "telefono", "celular"]).union(spanishTexting))),
            intent: .revoke),
        Rule(
            phrase: Phrase(
                .word(["dejen", "deja", "dejar", "paren", "pare", "para"]), .word(["de"]),
                .word([
                    "enviar", "enviarme", "mandarnos", "mandarles", "mandar", "mandarme", "escribir", "escribirme",
                    "escribirnos", "contactar",
                    "contactarme", "molestar", "molestarme", "textear", "textearme", "mandarnos", "enviarnos",
                ])),
            intent: .revoke, unlessAboutTheJob: true),
        Rule(
            phrase: Phrase(.word(["no"]), .word(["quiero", "queremos", "deseo"]), .gap(3), .word(spanishTexting)),
            intent: .revoke, limitable: true),
        Rule(
            phrase: Phrase(
                .word(["darme", "dame", "denme", "deme", "darnos", "dennos"]), .word(["de"]),
                .word(["baja"])),
            intent: .revoke),
        Rule(
            phrase: Phrase(
                .word([
                    "saquenme", "sacame", "saqueme", "quitenme", "quitame", "quiteme", "borrenme", "borrame",
                    "eliminenme", "eliminame",
                ])),
            intent: .revoke),
        Rule(
            phrase: Phrase(
                .word(["borren", "borra", "borrar", "eliminen", "elimina", "eliminar", "quiten", "saquen"]),
                .word(["mi", "este"]), .word(["numero", "telefono", "celular"])),
            intent: .revoke),
        // "Alto a los mensajes", "basta de mensajes".
        Rule(
            phrase: Phrase(.word(["alto", "basta"]), .word(["a", "con", "de"]), .gap(2), .word(spanishTexting)),
            intent: .revoke),
        // Wordings a person should read.
        Rule(phrase: Phrase(.word(["who"]), .word(["is", "dis"]), .word(["this"]), .end), intent: .possibleRevoke),
        Rule(phrase: Phrase(.word(["new"]), .word(["owner", "number"])), intent: .possibleRevoke),
        Rule(
            phrase: Phrase(.word(["not"]), .word(["your", "a"]), .word(["customer", "client"])), intent: .possibleRevoke
        ),
        Rule(
            phrase: Phrase(.word(["didnt", "never"]), .word(["sign", "signed"]), .word(["up"])), intent: .possibleRevoke
        ),
        Rule(phrase: Phrase(.word(["too"]), .word(["much", "often"])), intent: .possibleRevoke),
        Rule(
            phrase: Phrase(.word(["text", "texts", "message", "messages", "texting"]), .word(["less", "fewer"])),
            intent: .possibleRevoke),
        Rule(
            phrase: Phrase(.word(["instead"]), .word(["of"]), .word(["texting", "texts", "text"])),
            intent: .possibleRevoke),
        Rule(
            phrase: Phrase(
                .word(["have", "need"]), .word(["to"]), .optional(["keep"]),
                .word(["get", "receive", "getting", "receiving"]), .gap(2),
                .word(textingNouns.union(["these", "them", "those"]))),
            intent: .possibleRevoke),
        Rule(phrase: Phrase(.word(["chill", "relax", "calm"]), .gap(3), .word(textingNouns)), intent: .possibleRevoke),
        Rule(phrase: Phrase(.word(["less", "fewer"]), .word(textingNouns)), intent: .possibleRevoke),
        Rule(
            phrase: Phrase(
                .word(["por"]), .word(["que"]), .word(["me", "nos"]), .word(["siguen", "mandan", "envian", "escriben"])),
            intent: .possibleRevoke),
        Rule(
            phrase: Phrase(.word(["ya"]), .word(["no"]), .word(["es"]), .word(["de", "mio", "mi"])),
            intent: .possibleRevoke),
        Rule(phrase: Phrase(.word(["wrong"]), .word(["number", "num", "person", "guy"])), intent: .possibleRevoke),
        Rule(phrase: Phrase(.word(["numero"]), .word(["equivocado", "incorrecto"])), intent: .possibleRevoke),
        Rule(phrase: Phrase(.word(["not", "no"]), .word(["interested"])), intent: .possibleRevoke),
        Rule(
            phrase: Phrase(
                .word(["no"]), .word(["estoy", "estamos"]), .word(["interesado", "interesada", "interesados"])),
            intent: .possibleRevoke),
        Rule(phrase: Phrase(.word(["no"]), .word(["me"]), .word(["interesa"])), intent: .possibleRevoke),
        Rule(
            phrase: Phrase(
                .word(["how", "who", "where", "why"]), .gap(4), .word(["my", "this"]),
                .word(["number", "cell"])),
            intent: .possibleRevoke),
        Rule(
            phrase: Phrase(.word(["donde", "quien", "como"]), .gap(4), .word(["mi"]), .word(["numero"])),
            intent: .possibleRevoke),
        Rule(
            phrase: Phrase(.word(["too", "so"]), .word(["many", "much"]), .gap(1), .word(textingNouns)),
            intent: .possibleRevoke),
        Rule(
            phrase: Phrase(
                .word(["why"]), .gap(4), .word(["texting", "messaging", "text", "contacting"]),
                .word(["me", "us"])),
            intent: .possibleRevoke),
        // "Stop calling me": Fieldline texts; which is meant, a person reads.
        Rule(
            phrase: Phrase(.word(["stop", "quit"]), .word(["calling", "call"]), .word(["me", "us"])),
            intent: .possibleRevoke),
        Rule(phrase: Phrase(.word(["do"]), .word(["not"]), .word(["call"]), .word(["list"])), intent: .possibleRevoke),
        Rule(phrase: Phrase(.word(["report", "reporting"]), .word(["you", "this"])), intent: .possibleRevoke),
    ]

    /// The rules by the words they can start with.
    static let rulesByFirstWord: [String: [Int]] = {
        var index: [String: [Int]] = [:]
        for (position, rule) in rules.enumerated() {
            guard case .word(let first) = rule.phrase.steps.first else { continue }
            for word in first { index[word, default: []].append(position) }
        }
        return index
    }()

    // MARK: - Cutting a text into clauses of words

    static let clauseBreaks: Set<Unicode.Scalar> = [
        ".", "!", "?", ";", ":", ",", "\n", "\r", "¡", "¿", "…", "(", ")", "\u{2028}", "\u{2029}",
    ]
    static let apostrophes: Set<Unicode.Scalar> = ["'", "\u{2019}", "\u{2018}", "\u{02BC}", "`", "\u{00B4}"]
    static let stopSign: Unicode.Scalar = "\u{1F6D1}"
    /// Bodies are at most 1,600 characters; anything longer is read only this far.
    static let readLimit = 2000

    static func clauses(of body: String) -> [[String]] {
        let text = withoutTags(String(body.prefix(readLimit)))
        // Most texts are ASCII: lowercasing is all the folding they need.
        let folded =
            text.utf8.allSatisfy({ $0 < 0x80 })
            ? text.lowercased()
            : text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
                .lowercased()
        var clauses: [[String]] = []
        var clause: [String] = []
        var word = String.UnicodeScalarView()
        func endWord() {
            guard !word.isEmpty else { return }
            clause.append(contentsOf: canonical(String(word)))
            word = String.UnicodeScalarView()
        }
        func endClause() {
            endWord()
            if !clause.isEmpty { clauses.append(contracted(clause)) }
            clause = []
        }
        for scalar in folded.unicodeScalars {
            if scalar.isASCII
                ? (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9")
                : scalar.properties.isAlphabetic || scalar.properties.numericType != nil
            {
                word.append(scalar)
            } else if apostrophes.contains(scalar) {
                continue
            } else if scalar == stopSign {
                endWord()
                clause.append("🛑")
            } else if clauseBreaks.contains(scalar) {
                endClause()
            } else {
                endWord()
            }
        }
        endClause()
        return clauses
    }

    /// Text between `<` and `>` (up to 100 characters, no line break) is markup, not words.
    static func withoutTags(_ text: String) -> String {
        guard text.contains("<") else { return text }
        var result = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            if scalars[index] == "<",
                let close = scalars[(index + 1)..<min(scalars.count, index + 101)].firstIndex(where: {
                    $0 == ">" || $0 == "<" || $0 == "\n"
                }), scalars[close] == ">"
            {
                result.append(" ")
                index = close + 1
                continue
            }
            result.append(scalars[index])
            index += 1
        }
        return String(result)
    }

    /// "do not" is `dont`, "cannot" is `cant`: the rules read one word for each.
    static func contracted(_ words: [String]) -> [String] {
        var result: [String] = []
        result.reserveCapacity(words.count)
        for word in words {
            if word == "not", let last = result.last, let merged = notContractions[last] {
                result[result.count - 1] = merged
            } else {
                result.append(word)
            }
        }
        return result
    }

    static let notContractions: [String: String] = [
        "do": "dont", "does": "doesnt", "did": "didnt", "will": "wont", "can": "cant", "would": "wouldnt",
        "should": "shouldnt", "is": "isnt", "are": "arent",
    ]

    /// A word as the rules know it: misspellings and shorthand of the words that matter are the word.
    static func canonical(_ word: String) -> [String] {
        if let known = spellings[word] { return known }
        if word.count >= 8, word.count <= 14, word.hasPrefix("uns"), distance(word, "unsubscribe") <= 2 {
            return ["unsubscribe"]
        }
        if word.count > 4, word.hasPrefix("st"), word != "stoop", collapsed(word) == "stop" { return ["stop"] }
        if word.count > 6, word.hasPrefix("pl"), collapsed(word) == "please" || collapsed(word) == "plese" {
            return ["please"]
        }
        return [word]
    }

    static let spellings: [String: [String]] = [
        "stpo": ["stop"], "sotp": ["stop"], "stp": ["stop"], "stopp": ["stop"], "sstop": ["stop"],
        "stopall": ["stop", "all"], "optout": ["opt", "out"], "optin": ["opt", "in"], "unsub": ["unsubscribe"],
        "unsusbscribe": ["unsubscribe"], "cancle": ["cancel"], "cancell": ["cancel"], "cancl": ["cancel"],
        "txt": ["text"], "txts": ["texts"], "txting": ["texting"], "texing": ["texting"], "textin": ["texting"],
        "txtin": ["texting"], "textng": ["texting"], "msg": ["message"], "msgs": ["messages"], "mssg": ["message"],
        "mssgs": ["messages"], "messeges": ["messages"], "mesages": ["messages"], "messges": ["messages"],
        "massages": ["messages"], "pls": ["please"], "plz": ["please"], "plse": ["please"], "pleas": ["please"],
        "u": ["you"], "ur": ["your"], "cannot": ["cant"], "dnt": ["dont"], "donot": ["dont"],
        "opted": ["opt"], "opting": ["opt"], "unsubscribed": ["unsubscribe"], "unsubscribing": ["unsubscribe"],
        "revoked": ["revoke"], "mensages": ["mensajes"],
        "mensjes": ["mensajes"], "msjes": ["mensajes"],
    ]

    /// The word with each run of one letter written once: "stoooop" is `stop`.
    static func collapsed(_ word: String) -> String {
        var result = ""
        for character in word where character != result.last { result.append(character) }
        return result
    }

    /// Edit distance with adjacent transpositions (optimal string alignment), for short words.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars)
        let b = Array(b.unicodeScalars)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}

/// A run of words with gaps and optional words, matched anywhere in a clause.
struct Phrase: Sendable {
    enum Step: Sendable {
        case word(Set<String>)
        case optional(Set<String>)
        /// Up to this many words of anything.
        case gap(Int)
        /// The clause ends here (fillers aside).
        case end
    }

    let steps: [Step]

    init(_ steps: Step...) { self.steps = steps }

    /// Where the first match ends, if the phrase is in `words`.
    func firstMatch(in words: [String]) -> Int? {
        guard case .word(let first) = steps.first else { return nil }
        for start in words.indices where first.contains(words[start]) {
            if let end = match(words, start + 1, 1) { return end }
        }
        return nil
    }

    private func match(_ words: [String], _ index: Int, _ step: Int) -> Int? {
        guard step < steps.count else { return index }
        switch steps[step] {
        case .word(let set):
            guard index < words.count, set.contains(words[index]) else { return nil }
            return match(words, index + 1, step + 1)
        case .optional(let set):
            if index < words.count, set.contains(words[index]), let end = match(words, index + 1, step + 1) {
                return end
            }
            return match(words, index, step + 1)
        case .gap(let most):
            for skip in 0...most where index + skip <= words.count {
                if let end = match(words, index + skip, step + 1) { return end }
            }
            return nil
        case .end:
            return words[index...].allSatisfy { ReplyReader.fillers.contains($0) } ? index : nil
        }
    }
}
