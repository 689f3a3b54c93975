import Fieldline
import FieldlineCore
import Foundation
import Hummingbird
import NIOCore

/// Demo mode's phone simulator: play a customer texting the inbox, in one tab, while the inbox is
/// open in another.
struct SimulatorPage {
    let app: Fieldline
    let renderer: WebRenderer

    struct Model {
        var shell: Shell
        var numbers: [JobPages.Choice]
        var hasNumbers: Bool
        var contacts: [Contact]
        var phone: String
        var hasPhone: Bool
        /// `phone` escaped for a query string (an E.164 number starts with `+`).
        var phoneQuery: String
        var phoneDisplay: String
        /// A typed "other number" that is not a phone number, kept in its box with the reason.
        var otherNumber: String
        var otherNumberError: String?
        var numberID: String
        var numberDisplay: String
        var numberLine: String
        var messages: [Bubble]
        var hasMessages: Bool
    }

    struct Contact {
        var phone: String
        var label: String
        var selected: Bool
    }

    struct Bubble: Encodable {
        var id: String
        /// From the phone's point of view: `sent` by this phone, or `received` from the business.
        var side: String
        var body: String
        var time: String
        /// Only on the business's texts.
        var status: String?
        var author: String?
        /// Time, author and status in one line, for the page (the script builds its own).
        var meta: String
    }

    struct ThreadJSON: Encodable {
        var messages: [Bubble]
    }

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/simulator", use: showSimulator)
        router.get("/simulator/thread", use: showThread)
        router.post("/simulator/messages", use: sendText)
    }

    /// The phone: which business number it texts (`?number=`), as whom (`?phone=`, a customer's or
    /// any other number), and the thread between the two.
    @Sendable func showSimulator(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let numbers = try await app.simulator.numbers(by: actor)
        let account = try context.signedIn().account
        let customers = try await app.customers.search(nil, paging: try Paging(limit: 200), by: actor)
        let chosenNumber =
            numbers.first { $0.id.rawValue == request.query["number"] }
            ?? numbers.first
        let phoneParameter = request.query["phone"].flatMap { $0.isEmpty ? nil : $0 }
        let typedPhone = phoneParameter.map { raw in
            Result { try PhoneNumber.parse(raw) }
        }
        // By default, the customer who texted most recently, so the demo opens mid-conversation.
        let recent = try await app.inbox.list(status: .open, paging: try Paging(limit: 20), by: actor)
            .first { $0.customerID != nil }?.conversation.phone
        // An unreadable typed number leaves no phone in hand: texting from the previous one would
        // send as someone else.
        let typedFailed = if case .failure = typedPhone { true } else { false }
        let typedNumber: PhoneNumber? = if case .success(let number) = typedPhone { number } else { nil }
        let phone =
            typedFailed
            ? nil
            : typedNumber ?? recent ?? customers.first { !$0.phones.isEmpty }?.phones.first?.number
        // A number that cannot be read is said so, never swapped for someone else's thread.
        var otherNumberError: String?
        if case .failure(let error) = typedPhone {
            otherNumberError =
                (error as? FieldlineError)?.message
                ?? "Enter a phone number, like (512) 555-0123."
        }
        var bubbles: [Bubble] = []
        if let chosenNumber, let phone {
            bubbles = try await app.simulator.thread(with: phone.e164, on: chosenNumber.id, by: actor).map {
                Self.bubble($0, zone: account.timeZone)
            }
        }
        var contacts = customers.flatMap { summary in
            summary.phones.map {
                Contact(
                    phone: $0.number.e164, label: "\(summary.customer.name) · \($0.number.displayed)",
                    selected: $0.number == phone)
            }
        }
        if let phone, !contacts.contains(where: \.selected) {
            contacts.insert(
                Contact(phone: phone.e164, label: "\(phone.displayed) (not a customer)", selected: true), at: 0)
        }
        let model = Model(
            shell: try await renderer.shell(context, request: request, active: "inbox"),
            numbers: numbers.map {
                JobPages.Choice(
                    id: $0.id.rawValue, label: "\($0.label) · \($0.number.displayed)",
                    selected: $0.id == chosenNumber?.id)
            }, hasNumbers: !numbers.isEmpty, contacts: contacts, phone: phone?.e164 ?? "", hasPhone: phone != nil,
            phoneQuery: FormEncoding.escape(phone?.e164 ?? ""), phoneDisplay: phone?.displayed ?? "",
            otherNumber: otherNumberError == nil ? "" : phoneParameter ?? "", otherNumberError: otherNumberError,
            numberID: chosenNumber?.id.rawValue ?? "",
            numberDisplay: account.name, numberLine: chosenNumber?.number.displayed ?? "",
            messages: bubbles, hasMessages: !bubbles.isEmpty)
        return try renderer.page("simulator", model, request: request)
    }

    /// The thread between `?phone=` and the business number `?number=`, as JSON for the page's script.
    @Sendable func showThread(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let account = try context.signedIn().account
        let number = try context.parameters.queryID(request, "number", as: SenderNumberID.self)
        let messages = try await app.simulator.thread(
            with: request.query["phone"], on: number, by: actor)
        return try APIResponse.json(ThreadJSON(messages: messages.map { Self.bubble($0, zone: account.timeZone) }))
    }

    /// A text from the phone to the business: no content for the page's script, else back to the phone.
    @Sendable func sendText(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let number = SenderNumberID(form["number"] ?? "")
        _ = try await app.simulator.text(
            from: form["phone"], to: number, body: form["body"], by: try context.actor())
        if request.wantsJSON { return Response(status: .noContent) }
        // Parsing only reads the posted text (it throws nothing but "not a phone number"); the text
        // was just sent from it, and an unreadable one leaves the phone unchosen.
        let phone = (try? PhoneNumber.parse(form["phone"] ?? ""))?.e164 ?? ""
        return renderer.redirect(
            to:
                "/simulator?number=\(FormEncoding.escape(number.rawValue))&phone=\(FormEncoding.escape(phone))"
        )
    }

    static func bubble(_ message: Message, zone: String) -> Bubble {
        let time = TimeText(timeZoneIdentifier: zone).time(message.createdAt)
        let status = message.direction == .inbound ? nil : message.status.label
        let author = message.direction == .inbound ? nil : message.author.name
        return Bubble(
            id: message.id.rawValue, side: message.direction == .inbound ? "sent" : "received", body: message.body,
            time: time, status: status, author: author,
            meta: [time, author, status].compactMap { $0 }.joined(separator: " · "))
    }
}

extension Parameters {
    /// An id given as a query parameter, checked like a path id.
    func queryID<Entity>(_ request: Request, _ name: String, as _: Identifier<Entity>.Type) throws -> Identifier<Entity>
    {
        guard let raw = request.query[name], !raw.isEmpty, raw.count <= 64 else {
            throw HTTPFailure(code: .invalidId, message: "The \(name) parameter is missing.")
        }
        return Identifier(String(raw))
    }
}
