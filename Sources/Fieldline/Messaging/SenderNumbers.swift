import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import Logging

/// The account's own phone numbers (CH1, FS7): which are for chat, media and marketing, which one
/// is the default, their provider and credentials, and how fast each may send.
public struct SenderNumbers: Sendable {
    let app: Fieldline

    public struct Input: Sendable {
        public var number: String?
        public var label: String?
        public var provider: String?
        public var chat: Bool?
        public var mms: Bool?
        public var marketing: Bool?
        public var isDefault: Bool?
        public var ratePerSecond: Double?
        public var providerAccountID: String?
        public var messagingServiceID: String?
        /// Write-only: sealed before it is stored, never returned.
        public var authToken: String?

        public init(
            number: String? = nil, label: String? = nil, provider: String? = nil, chat: Bool? = nil,
            mms: Bool? = nil, marketing: Bool? = nil, isDefault: Bool? = nil, ratePerSecond: Double? = nil,
            providerAccountID: String? = nil, messagingServiceID: String? = nil, authToken: String? = nil
        ) {
            self.number = number
            self.label = label
            self.provider = provider
            self.chat = chat
            self.mms = mms
            self.marketing = marketing
            self.isDefault = isDefault
            self.ratePerSecond = ratePerSecond
            self.providerAccountID = providerAccountID
            self.messagingServiceID = messagingServiceID
            self.authToken = authToken
        }
    }

    /// Office users see the numbers (to know which one a customer texted); admins change them.
    public func all(by actor: Actor) async throws -> [SenderNumber] {
        // Office only: a technician's chat access covers their jobs' threads, not the account's numbers.
        guard actor.role != .technician, actor.can(.manageAccount) || actor.can(.viewCustomerChats) else {
            throw FieldlineError.forbidden(permission: Permission.manageAccount.rawValue)
        }
        return try await app.database.read { sql in try await SenderNumberStore(sql).all(in: actor.accountID) }
    }

    public func find(_ id: SenderNumberID, by actor: Actor) async throws -> SenderNumber {
        try actor.require(.manageAccount)
        guard
            let stored = try await app.database.read({ sql in
                try await SenderNumberStore(sql).find(id, in: actor.accountID)
            })
        else { throw FieldlineError.notFound(entity: "phone number", id: id.rawValue) }
        return stored.number
    }

    public func add(_ input: Input, by actor: Actor) async throws -> SenderNumber {
        try actor.require(.manageAccount)
        return try await add(input, to: actor.accountID, proveOwnership: true, by: actor)
    }

    /// An audit entry about a number, by a person or, without one, the operator's command line.
    static func audit(
        _ action: AuditAction, _ number: SenderNumber, detail: String? = nil, by actor: Actor?, at now: Date
    ) -> AuditEntry {
        AuditEntry(
            accountID: number.accountID, userID: actor?.userID, actorName: actor?.name ?? "Setup (command line)",
            action: action, subject: "\(number.number.displayed) (\(number.label))", detail: detail,
            address: actor?.address, occurredAt: now)
    }

    static func roles(_ number: SenderNumber) -> String {
        let roles = [
            number.chat ? "chat" : nil, number.mms ? "pictures" : nil, number.marketing ? "marketing" : nil,
            number.isDefault ? "default" : nil,
        ].compactMap { $0 }
        return "\(number.provider.rawValue); " + (roles.isEmpty ? "no roles" : roles.joined(separator: ", "))
    }

    /// Adds a number to an account; the CLI (the server's operator, who needs no proof) and the
    /// demo seed call this directly. A business adding its own number proves it holds it.
    public func add(
        _ input: Input, to accountID: AccountID, proveOwnership: Bool = false, by actor: Actor? = nil
    ) async throws
        -> SenderNumber
    {
        let number = try PhoneNumber.parse(input.number ?? "")
        let provider = try Self.provider(input.provider ?? SMSProviderKind.twilio.rawValue)
        var sender = SenderNumber(
            id: .generate(), accountID: accountID, number: number,
            label: try Text.optional(input.label, field: "label", label: "Label", maxLength: 60) ?? number.displayed,
            provider: provider, chat: input.chat ?? true, mms: input.mms ?? false, marketing: input.marketing ?? false,
            isDefault: input.isDefault ?? false, ratePerSecond: try SenderNumber.validatedRate(input.ratePerSecond),
            providerAccountID: nil, messagingServiceID: nil, hasCredentials: false, createdAt: app.clock.now())
        try applyProviderFields(input, to: &sender, requireToken: true)
        if proveOwnership { try await self.proveOwnership(of: sender, token: input.authToken) }
        let sealed = try seal(input.authToken, for: sender)
        sender.hasCredentials = sealed != nil
        let created = sender
        return try await app.database.write { sql in
            let store = SenderNumberStore(sql)
            guard try await AccountStore(sql).find(accountID) != nil else {
                throw FieldlineError.notFound(entity: "account", id: accountID.rawValue)
            }
            var saved = created
            // The first chat number becomes the default, so texting works without another step.
            if saved.chat, try await store.defaultNumber(in: accountID) == nil { saved.isDefault = true }
            try Self.checkRoles(saved)
            try await store.insert(saved.with(isDefault: false), sealedSecret: sealed)
            if saved.isDefault { try await store.makeDefault(saved.id, in: accountID) }
            try await AuditStore(sql).append(
                Self.audit(.numberAdded, saved, detail: Self.roles(saved), by: actor, at: saved.createdAt))
            return saved
        }
    }

    public func update(_ id: SenderNumberID, _ input: Input, by actor: Actor) async throws -> SenderNumber {
        try actor.require(.manageAccount)
        // New Twilio credentials (or a number moved to Twilio) prove the number again, outside the
        // transaction: a call to Twilio is no work to hold a database write open for.
        let token = (input.authToken ?? "").trimmingCharacters(in: .whitespaces)
        if let stored = try await app.database.read({ sql in
            try await SenderNumberStore(sql).find(id, in: actor.accountID)
        }) {
            var proposed = stored.number
            if let provider = input.provider { proposed.provider = try Self.provider(provider) }
            let changesAccount =
                input.providerAccountID.map {
                    $0.trimmingCharacters(in: .whitespaces) != stored.number.providerAccountID
                }
                ?? false
            if proposed.provider == .twilio, !token.isEmpty || changesAccount || stored.number.provider != .twilio {
                try applyProviderFields(input, to: &proposed, requireToken: !stored.number.hasCredentials)
                let known = token.isEmpty ? try credentials(for: stored)?.authToken : token
                try await proveOwnership(of: proposed, token: known)
            }
        }
        return try await app.database.write { sql in
            let store = SenderNumberStore(sql)
            guard let stored = try await store.find(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "phone number", id: id.rawValue)
            }
            var sender = stored.number
            if input.number.map({ (try? PhoneNumber.parse($0)) != sender.number }) == true {
                throw FieldlineError.invalid(
                    field: "number", message: "A number cannot be changed; remove it and add the new one.")
            }
            if let label = input.label {
                sender.label =
                    try Text.optional(label, field: "label", label: "Label", maxLength: 60) ?? sender.number.displayed
            }
            if let provider = input.provider { sender.provider = try Self.provider(provider) }
            if let chat = input.chat { sender.chat = chat }
            if let mms = input.mms { sender.mms = mms }
            if let marketing = input.marketing { sender.marketing = marketing }
            if let rate = input.ratePerSecond { sender.ratePerSecond = try SenderNumber.validatedRate(rate) }
            try applyProviderFields(input, to: &sender, requireToken: !stored.number.hasCredentials)
            let sealed = try seal(input.authToken, for: sender)
            if sealed != nil { sender.hasCredentials = true }
            if let isDefault = input.isDefault {
                if !isDefault, sender.isDefault {
                    throw FieldlineError.conflict(
                        code: .defaultRequired,
                        message: "Make another number the default instead; the account needs one to send from.")
                }
                sender.isDefault = isDefault
            }
            try Self.checkRoles(sender)
            try await store.update(sender.with(isDefault: stored.number.isDefault), sealedSecret: sealed)
            if sender.isDefault, !stored.number.isDefault {
                try await store.makeDefault(sender.id, in: actor.accountID)
            }
            var detail = Self.roles(sender)
            if sealed != nil { detail += "; new provider credentials" }
            try await AuditStore(sql).append(
                Self.audit(.numberChanged, sender, detail: detail, by: actor, at: app.clock.now()))
            return sender
        }
    }

    /// Removes a number. Texts still waiting to go out from it are canceled, not lost silently:
    /// they show as "Not sent" with the reason.
    public func remove(_ id: SenderNumberID, by actor: Actor) async throws {
        try actor.require(.manageAccount)
        try await remove(id, from: actor.accountID, by: actor)
    }

    /// Removes a number of an account; the CLI (operator) calls this directly.
    public func remove(_ id: SenderNumberID, from accountID: AccountID, by actor: Actor? = nil) async throws {
        try await app.transaction { sql, effects in
            let store = SenderNumberStore(sql)
            guard let stored = try await store.find(id, in: accountID) else {
                throw FieldlineError.notFound(entity: "phone number", id: id.rawValue)
            }
            let now = app.clock.now()
            let messages = MessageStore(sql)
            for messageID in try await OutboxStore(sql).messages(of: id) {
                try await messages.advance(
                    messageID, to: .canceled, errorMessage: "The number it was to be sent from was removed.", at: now)
                effects.publish(
                    .messageStatusChanged(conversationID: nil, messageID: messageID, status: .canceled),
                    to: accountID)
            }
            try await store.delete(id, in: accountID)
            try await AuditStore(sql).append(Self.audit(.numberRemoved, stored.number, by: actor, at: now))
            if stored.number.isDefault, let next = try await store.all(in: accountID).first(where: \.chat) {
                try await store.makeDefault(next.id, in: accountID)
            }
        }
    }

    /// The provider credentials of a stored number, opened for one call.
    public func credentials(for stored: SenderNumberStore.Stored) throws -> SMSCredentials? {
        guard stored.number.provider == .twilio else { return nil }
        guard let sealed = stored.sealedSecret, let accountID = stored.number.providerAccountID else { return nil }
        guard let secrets = app.secrets else { throw SecretBoxError.cannotOpen }
        return SMSCredentials(
            accountID: accountID, authToken: try secrets.open(sealed),
            messagingServiceID: stored.number.messagingServiceID)
    }

    // MARK: Validation

    /// A business attaches a number only after its provider account proves it holds it (Twilio's
    /// own list of the account's numbers): without that, one business could claim another's
    /// number before it was added, and its texts would never arrive.
    func proveOwnership(of sender: SenderNumber, token: String?) async throws {
        guard sender.provider == .twilio else { return }
        let provider = try app.sms.provider(for: .twilio)
        let credentials = SMSCredentials(
            accountID: sender.providerAccountID ?? "", authToken: (token ?? "").trimmingCharacters(in: .whitespaces),
            messagingServiceID: sender.messagingServiceID)
        let ownership: NumberOwnership
        do {
            ownership = try await provider.owns(sender.number, credentials: credentials)
        } catch {
            app.logger.warning("Could not check \(sender.number.e164) with Twilio: \(error)")
            throw FieldlineError.conflict(
                code: .providerUnreachable,
                message: "Twilio could not be reached to confirm the number is yours. Try again in a minute.")
        }
        switch ownership {
        case .owned: return
        case .notOwned:
            throw FieldlineError.invalid(
                field: "number",
                message:
                    "\(sender.number.displayed) is not a number of this Twilio account. Buy or port it there first.")
        case .badCredentials:
            throw FieldlineError.invalid(
                field: "authToken", message: "Twilio did not accept this Account SID and Auth Token.")
        }
    }

    private func applyProviderFields(_ input: Input, to sender: inout SenderNumber, requireToken: Bool) throws {
        guard sender.provider == .twilio else {
            sender.providerAccountID = nil
            sender.messagingServiceID = nil
            return
        }
        if let raw = input.providerAccountID {
            sender.providerAccountID = try SenderNumber.validatedTwilioID(
                raw, prefix: "AC", field: "providerAccountId", label: "The Twilio Account SID")
        }
        if let raw = input.messagingServiceID {
            sender.messagingServiceID = try SenderNumber.validatedTwilioID(
                raw, prefix: "MG", field: "messagingServiceId", label: "A Messaging Service SID")
        }
        guard sender.providerAccountID != nil else {
            throw FieldlineError.invalid(
                field: "providerAccountId", message: "A Twilio number needs its Account SID (AC…).")
        }
        let token = (input.authToken ?? "").trimmingCharacters(in: .whitespaces)
        if requireToken, token.isEmpty {
            throw FieldlineError.invalid(field: "authToken", message: "A Twilio number needs its Auth Token.")
        }
        if !token.isEmpty, token.count < 16 || token.count > 128 {
            throw FieldlineError.invalid(field: "authToken", message: "That does not look like a Twilio Auth Token.")
        }
    }

    private func seal(_ token: String?, for sender: SenderNumber) throws -> String? {
        guard sender.provider == .twilio, let token = token?.trimmingCharacters(in: .whitespaces), !token.isEmpty
        else { return nil }
        guard let secrets = app.secrets else {
            throw FieldlineError.conflict(
                code: .secretKeyMissing,
                message: "The server cannot store credentials: set FIELDLINE_SECRET_KEY (16+ characters) and restart.")
        }
        return try secrets.seal(token)
    }

    private static func checkRoles(_ sender: SenderNumber) throws {
        guard sender.chat || sender.marketing else {
            throw FieldlineError.invalid(
                field: "chat", message: "A number is used for chat, for marketing, or both; pick at least one.")
        }
        if sender.isDefault, !sender.chat {
            throw FieldlineError.invalid(
                field: "isDefault", message: "The default number sends chat and job texts, so it must be a chat number."
            )
        }
    }

    static func provider(_ raw: String) throws(FieldlineError) -> SMSProviderKind {
        guard let kind = SMSProviderKind(rawValue: raw.lowercased()) else {
            throw .invalid(field: "provider", message: "The provider is twilio or console.")
        }
        return kind
    }
}

extension SenderNumber {
    func with(isDefault: Bool) -> SenderNumber {
        var copy = self
        copy.isDefault = isDefault
        return copy
    }
}
