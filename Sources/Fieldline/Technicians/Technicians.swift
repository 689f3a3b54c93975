import FieldlineCore
import FieldlineStore
import Foundation

/// The field team: technicians, their photos, ratings and chat permissions.
public struct Technicians: Sendable {
    let app: Fieldline

    public struct Input: Sendable {
        public var name: String?
        public var phone: String?
        public var photoURL: String?
        public var rating: Double?
        public var canViewChats: Bool?
        public var canReplyChats: Bool?
        public var active: Bool?

        public init(
            name: String? = nil, phone: String? = nil, photoURL: String? = nil, rating: Double? = nil,
            canViewChats: Bool? = nil, canReplyChats: Bool? = nil, active: Bool? = nil
        ) {
            self.name = name
            self.phone = phone
            self.photoURL = photoURL
            self.rating = rating
            self.canViewChats = canViewChats
            self.canReplyChats = canReplyChats
            self.active = active
        }
    }

    public func add(_ input: Input, by actor: Actor) async throws -> Technician {
        try actor.require(.manageTechnicians)
        let id = TechnicianID.generate()
        var technician = Technician(
            id: id, accountID: actor.accountID,
            name: try Text.required(input.name, field: "name", label: "Name", maxLength: 120), phone: nil,
            photoURL: Avatar.path(for: id), rating: nil, chat: TechnicianChatPermissions(), active: true,
            createdAt: app.clock.now())
        try apply(input, to: &technician)
        let created = technician
        try await app.database.write { sql in try await TechnicianStore(sql).insert(created) }
        return created
    }

    public func update(_ id: TechnicianID, _ input: Input, by actor: Actor) async throws -> Technician {
        try actor.require(.manageTechnicians)
        return try await app.transaction { sql, effects in
            let store = TechnicianStore(sql)
            guard var technician = try await store.find(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "technician", id: id.rawValue)
            }
            let before = technician
            if let name = input.name {
                technician.name = try Text.required(name, field: "name", label: "Name", maxLength: 120)
            }
            try apply(input, to: &technician)
            try await store.update(technician)
            // Switching the record off switches off the technician's sign-in (and ends its sessions);
            // changed chat switches change what their open screens may show.
            if technician.active != before.active || technician.chat != before.chat {
                let access = [
                    technician.active != before.active
                        ? (technician.active ? "switched back on" : "switched off") : nil,
                    technician.chat != before.chat
                        ? "customer chats: \(technician.chat.canViewChats ? (technician.chat.canReplyChats ? "read and reply" : "read only") : "none")"
                        : nil,
                ].compactMap { $0 }
                try await AuditStore(sql).append(
                    AuditEntry(
                        by: actor, .userChanged, subject: "technician \(technician.name)",
                        detail: access.joined(separator: "; "), at: app.clock.now()))
                let accounts = AccountStore(sql)
                for user in try await accounts.users(ofTechnician: id, in: actor.accountID) {
                    if !technician.active { try await accounts.deleteSessions(of: user.id, in: actor.accountID) }
                    effects.publish(.accessChanged(user.id), to: actor.accountID)
                }
            }
            return technician
        }
    }

    public func find(_ id: TechnicianID, by actor: Actor) async throws -> Technician {
        guard actor.can(.viewTechnicians) || actor.technicianID == id else {
            throw FieldlineError.forbidden(permission: Permission.viewTechnicians.rawValue)
        }
        guard
            let technician = try await app.database.read({ sql in
                try await TechnicianStore(sql).find(id, in: actor.accountID)
            })
        else { throw FieldlineError.notFound(entity: "technician", id: id.rawValue) }
        return technician
    }

    public func all(by actor: Actor, includeInactive: Bool = true) async throws -> [Technician] {
        try actor.require(.viewTechnicians)
        return try await app.database.read { sql in
            try await TechnicianStore(sql).all(in: actor.accountID, includeInactive: includeInactive)
        }
    }

    /// The technician's photo when it is a generated avatar; nil for unknown ids or uploaded photos.
    /// Public on purpose: customers see it on tracking pages and in notifications (DN4).
    public func avatarSVG(_ id: TechnicianID) async throws -> String? {
        let name = try await app.database.read { sql in try await TechnicianStore(sql).publicName(of: id) }
        guard let name else { return nil }
        return Avatar.svg(initials: Technician.initials(of: name), seed: id.rawValue)
    }

    private func apply(_ input: Input, to technician: inout Technician) throws {
        if let phone = input.phone {
            technician.phone = phone.trimmingCharacters(in: .whitespaces).isEmpty ? nil : try PhoneNumber.parse(phone)
        }
        if let photoURL = input.photoURL {
            technician.photoURL = try Self.validatedPhotoURL(photoURL, id: technician.id)
        }
        if input.rating != nil { technician.rating = try Technician.validatedRating(input.rating) }
        if let value = input.canViewChats { technician.chat.canViewChats = value }
        if let value = input.canReplyChats { technician.chat.canReplyChats = value }
        // Replying without seeing the thread makes no sense; turning viewing off turns replying off.
        if !technician.chat.canViewChats { technician.chat.canReplyChats = false }
        if let value = input.active { technician.active = value }
    }

    static func validatedPhotoURL(_ raw: String, id: TechnicianID) throws(FieldlineError) -> String {
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return Avatar.path(for: id) }
        guard trimmed.hasPrefix("https://") || trimmed.hasPrefix("/"), trimmed.count <= 500,
            URL(string: trimmed) != nil
        else {
            throw .invalid(
                field: "photoUrl",
                message: "A photo URL starts with https:// (or leave it empty for a generated avatar).")
        }
        return trimmed
    }
}
