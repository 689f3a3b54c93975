import FieldlineCore
import FieldlineStore
import Foundation

/// Demo mode's stand-in for a customer's phone: text an account number carried by the console
/// provider as any number, and read what that phone would have received. Texts go through the
/// same inbound pipeline as a Twilio webhook.
public struct PhoneSimulator: Sendable {
    let app: Fieldline

    /// The account's numbers the simulator can text: those carried by the console provider.
    public func numbers(by actor: Actor) async throws -> [SenderNumber] {
        try requireOperator(actor)
        return try await app.senderNumbers.all(by: actor).filter { $0.provider == .console }
    }

    /// A text from `phone` to the account's console number `to`.
    public func text(
        from rawPhone: String?, to numberID: SenderNumberID, body: String?, by actor: Actor
    ) async throws
        -> InboundOutcome
    {
        try requireOperator(actor)
        let phone = try PhoneNumber.parse(rawPhone ?? "")
        let body = (body ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !body.isEmpty else { throw FieldlineError.invalid(field: "body", message: "Write a message first.") }
        guard body.count <= InboundTexts.maximumBodyLength else {
            throw FieldlineError.invalid(
                field: "body", message: "A text is at most \(InboundTexts.maximumBodyLength) characters.")
        }
        let number = try await consoleNumber(numberID, by: actor)
        return try await app.inbound.receive(
            InboundText(
                providerMessageID: "CO" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
                from: phone, to: number, body: body))
    }

    /// What the phone shows: its texts with one number, oldest first.
    public func thread(with rawPhone: String?, on numberID: SenderNumberID, by actor: Actor) async throws -> [Message] {
        try requireOperator(actor)
        let phone = try PhoneNumber.parse(rawPhone ?? "")
        let number = try await consoleNumber(numberID, by: actor)
        return try await app.database.read { sql in
            try await MessageStore(sql).messages(between: phone, and: number.number, in: actor.accountID, limit: 200)
        }.reversed()
    }

    private func consoleNumber(_ id: SenderNumberID, by actor: Actor) async throws -> SenderNumber {
        guard let number = try await numbers(by: actor).first(where: { $0.id == id }) else {
            throw FieldlineError.notFound(entity: "demo phone number", id: id.rawValue)
        }
        return number
    }

    /// Playing a customer is for people who run the inbox, on a demo server only: anywhere else
    /// it would forge consent (a STOP, a sign-up) for any number.
    private func requireOperator(_ actor: Actor) throws {
        guard app.demo else { throw FieldlineError.notFound(entity: "page", id: "simulator") }
        guard actor.role != .technician, actor.can(.fullCustomerChats) else {
            throw FieldlineError.forbidden(permission: Permission.fullCustomerChats.rawValue)
        }
    }
}
