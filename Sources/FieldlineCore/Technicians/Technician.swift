import Foundation

public struct Technician: Sendable, Equatable, Codable {
    public var id: TechnicianID
    public var accountID: AccountID
    public var name: String
    public var phone: PhoneNumber?
    /// Path of the photo served by the app (`/media/technicians/{id}.svg` for generated avatars).
    public var photoURL: String?
    public var rating: Double?
    public var chat: TechnicianChatPermissions
    public var active: Bool
    public var createdAt: Date

    public init(
        id: TechnicianID, accountID: AccountID, name: String, phone: PhoneNumber?, photoURL: String?, rating: Double?,
        chat: TechnicianChatPermissions, active: Bool, createdAt: Date
    ) {
        self.id = id
        self.accountID = accountID
        self.name = name
        self.phone = phone
        self.photoURL = photoURL
        self.rating = rating
        self.chat = chat
        self.active = active
        self.createdAt = createdAt
    }

    public static func validatedRating(_ rating: Double?) throws(FieldlineError) -> Double? {
        guard let rating else { return nil }
        guard rating.isFinite, (0...5).contains(rating) else {
            throw .invalid(field: "rating", message: "A rating is between 0 and 5 stars.")
        }
        return (rating * 10).rounded() / 10
    }

    /// Customers see the rating only when it flatters the business (DN4).
    public var publicRating: Double? {
        guard let rating, rating >= 4 else { return nil }
        return rating
    }

    public var initials: String { Self.initials(of: name) }

    public static func initials(of name: String) -> String {
        let parts = name.split(separator: " ")
        let picked = parts.count > 1 ? [parts[0], parts[parts.count - 1]] : Array(parts.prefix(1))
        return picked.compactMap { $0.first.map(String.init) }.joined().uppercased()
    }
}

/// The two per-technician chat switches an admin sets (TC5). Replying needs viewing too.
public struct TechnicianChatPermissions: Sendable, Equatable, Codable {
    public var canViewChats: Bool
    public var canReplyChats: Bool

    public init(canViewChats: Bool = false, canReplyChats: Bool = false) {
        self.canViewChats = canViewChats
        self.canReplyChats = canReplyChats
    }
}
