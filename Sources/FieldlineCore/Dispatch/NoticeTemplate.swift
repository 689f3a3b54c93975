import Foundation

/// A value an automatic text's template can name in braces, e.g. `{technician_first_name}`: the
/// dispatch notice (DN3) and the triggered campaigns (SC2) each allow their own set.
public enum NoticeToken: String, Sendable, CaseIterable {
    case customerName = "customer_name"
    case customerFirstName = "customer_first_name"
    case technicianName = "technician_name"
    case technicianFirstName = "technician_first_name"
    case technicianRating = "technician_rating"
    case companyName = "company_name"
    case jobNumber = "job_number"
    case arrivalWindow = "arrival_window"
    case trackingLink = "tracking_link"
    case estimateSummary = "estimate_summary"
    case serviceName = "service_name"
    case dueDate = "due_date"

    /// The tokens of a dispatch notice.
    public static let dispatch: [NoticeToken] = [
        .customerName, .customerFirstName, .technicianName, .technicianFirstName, .technicianRating, .companyName,
        .jobNumber, .arrivalWindow, .trackingLink,
    ]

    /// What the settings page says the token becomes.
    public var meaning: String {
        switch self {
        case .customerName: "The customer's name"
        case .customerFirstName: "The customer's first name"
        case .technicianName: "The technician's full name"
        case .technicianFirstName: "The technician's first name"
        case .technicianRating: "\"rated 4.8/5\" when the rating is 4 stars or more, otherwise nothing (DN4)"
        case .companyName: "Your company name"
        case .jobNumber: "The job number, e.g. #1042"
        case .arrivalWindow: "The arrival window, e.g. Tue, Dec 1 · 9:00 – 11:00 AM"
        case .trackingLink: "The live tracking link (nothing when tracking is off)"
        case .estimateSummary: "What the estimate is for, e.g. Water heater replacement"
        case .serviceName: "The recurring service, e.g. Furnace tune-up"
        case .dueDate: "The day the service is due, e.g. Tue, Dec 15"
        }
    }

    /// The most characters the token becomes in a text: longer values are shortened to this, so the
    /// worst-case check on save holds for every real notice.
    public func textBudget(trackingLinkLength: Int) -> Int {
        switch self {
        case .customerName, .technicianName: 30
        case .customerFirstName, .technicianFirstName: 15
        case .technicianRating: 14  // "rated 4.8/5"
        case .companyName: 40
        case .jobNumber: 10  // "#999999999"
        case .arrivalWindow: 35  // "Sep 30, 10:30 AM – Oct 1, 12:30 PM"
        case .trackingLink: trackingLinkLength
        case .estimateSummary, .serviceName: 40
        case .dueDate: 12  // "Wed, Sep 30"
        }
    }
}

/// The values one notice fills in.
public struct NoticeValues: Sendable, Equatable {
    public var customerName: String
    public var technicianName: String
    public var technicianRating: Double?
    public var companyName: String
    public var jobNumber: Int
    public var arrivalWindow: String
    public var trackingLink: String?
    public var estimateSummary: String?
    public var serviceName: String?
    public var dueDate: String?

    public init(
        customerName: String, technicianName: String = "", technicianRating: Double? = nil, companyName: String,
        jobNumber: Int = 0, arrivalWindow: String = "", trackingLink: String? = nil, estimateSummary: String? = nil,
        serviceName: String? = nil, dueDate: String? = nil
    ) {
        self.customerName = customerName
        self.technicianName = technicianName
        self.technicianRating = technicianRating
        self.companyName = companyName
        self.jobNumber = jobNumber
        self.arrivalWindow = arrivalWindow
        self.trackingLink = trackingLink
        self.estimateSummary = estimateSummary
        self.serviceName = serviceName
        self.dueDate = dueDate
    }

    public func value(of token: NoticeToken) -> String {
        switch token {
        case .customerName: customerName
        case .customerFirstName: Self.firstName(customerName)
        case .technicianName: technicianName
        case .technicianFirstName: Self.firstName(technicianName)
        case .technicianRating:
            // DN4: a rating below 4 stars is never shown to a customer.
            technicianRating.flatMap { $0 >= 4 ? "rated \(String(format: "%.1f", $0))/5" : nil } ?? ""
        case .companyName: companyName
        case .jobNumber: "#\(jobNumber)"
        case .arrivalWindow: arrivalWindow
        case .trackingLink: trackingLink ?? ""
        case .estimateSummary: estimateSummary ?? ""
        case .serviceName: serviceName ?? ""
        case .dueDate: dueDate ?? ""
        }
    }

    public static func firstName(_ name: String) -> String {
        String(name.split(separator: " ").first ?? Substring(name))
    }
}

/// A notice template: text with `{token}` placeholders, checked when saved (DN3).
public struct NoticeTemplate: Sendable, Equatable {
    enum Piece: Sendable, Equatable {
        case literal(String)
        case token(NoticeToken)
    }

    public let source: String
    let pieces: [Piece]

    /// Parses a template, naming the first unknown or malformed token; `allowed` are the tokens
    /// this kind of text can fill in.
    public static func parse(
        _ source: String, field: String, allowed: [NoticeToken] = NoticeToken.dispatch
    ) throws(FieldlineError) -> NoticeTemplate {
        var pieces: [Piece] = []
        var literal = ""
        var index = source.startIndex
        while index < source.endIndex {
            let character = source[index]
            if character == "}" {
                throw .invalid(
                    field: field, message: "A \"}\" has no opening \"{\". Tokens look like {technician_first_name}.")
            }
            guard character == "{" else {
                literal.append(character)
                index = source.index(after: index)
                continue
            }
            guard let close = source[index...].firstIndex(of: "}") else {
                let rest = String(source[index...].prefix(24))
                throw .invalid(field: field, message: "The token starting \"\(rest)\" is not closed with \"}\".")
            }
            let name = String(source[source.index(after: index)..<close])
            guard !name.contains("{") else {
                throw .invalid(field: field, message: "\"{\(name)}\" is not a token: braces cannot nest.")
            }
            guard let token = NoticeToken(rawValue: name.trimmingCharacters(in: .whitespaces).lowercased()),
                allowed.contains(token)
            else {
                let known = allowed.map { "{\($0.rawValue)}" }.joined(separator: ", ")
                throw .invalid(field: field, message: "Unknown token {\(name)}. Use one of \(known).")
            }
            if !literal.isEmpty { pieces.append(.literal(literal)) }
            literal = ""
            pieces.append(.token(token))
            index = source.index(after: close)
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        return NoticeTemplate(source: source, pieces: pieces)
    }

    public var tokens: [NoticeToken] {
        pieces.compactMap { if case .token(let token) = $0 { token } else { nil } }
    }

    /// The filled-in text. In a text message each value is held to its budget so the notice keeps
    /// to one message; an email shows values whole.
    public func render(_ values: NoticeValues, forText: Bool, trackingLinkLength: Int = 0) -> String {
        var result = ""
        for piece in pieces {
            switch piece {
            case .literal(let text):
                result += text
            case .token(let token):
                let value = values.value(of: token)
                result +=
                    forText
                    ? Self.shortened(Self.plain(value), to: token.textBudget(trackingLinkLength: trackingLinkLength))
                    : value
            }
        }
        return Self.tidied(result)
    }

    /// The longest this template can become as a text: every token at its budget.
    public func worstCaseCharacters(trackingLinkLength: Int) -> Int {
        pieces.reduce(0) { total, piece in
            switch piece {
            case .literal(let text): total + text.count
            case .token(let token): total + token.textBudget(trackingLinkLength: trackingLinkLength)
            }
        }
    }

    /// In a text, "..." rather than "…": one character outside the GSM alphabet makes the carrier
    /// send the whole text as UCS-2, three segments instead of one.
    static func shortened(_ value: String, to budget: Int) -> String {
        guard value.count > budget else { return value }
        return String(value.prefix(max(budget - 3, 0))).trimmingCharacters(in: .whitespaces) + "..."
    }

    /// The typographic marks our own values carry (the arrival window's "·" and "–"), in the GSM
    /// alphabet, never longer than before.
    static func plain(_ value: String) -> String {
        value.replacingOccurrences(of: " · ", with: ", ").replacingOccurrences(of: "–", with: "-")
            .replacingOccurrences(of: "—", with: "-")
    }

    /// An empty token (no rating, tracking off) must not leave double spaces or a space before
    /// punctuation.
    static func tidied(_ text: String) -> String {
        var result = text.replacingOccurrences(of: "()", with: "")
        while result.contains("  ") { result = result.replacingOccurrences(of: "  ", with: " ") }
        for mark in [".", ",", "!", "?", ")"] { result = result.replacingOccurrences(of: " \(mark)", with: mark) }
        return result.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
