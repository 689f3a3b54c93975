import Foundation

/// Someone who signs in: office staff, marketers, admins, and technicians (linked to their
/// technician record).
public struct User: Sendable, Equatable, Codable {
    public var id: UserID
    public var accountID: AccountID
    public var email: EmailAddress
    public var name: String
    public var role: Role
    public var phone: PhoneNumber?
    public var technicianID: TechnicianID?
    /// Inactive users cannot sign in and their sessions are gone; their history stays.
    public var active: Bool
    /// An admin's override of the customer-chat access the role gives (CH18); nil follows the role.
    public var chatAccess: ChatAccess?
    public var createdAt: Date

    public init(
        id: UserID, accountID: AccountID, email: EmailAddress, name: String, role: Role, phone: PhoneNumber?,
        technicianID: TechnicianID?, active: Bool = true, chatAccess: ChatAccess? = nil, createdAt: Date
    ) {
        self.id = id
        self.accountID = accountID
        self.email = email
        self.name = name
        self.role = role
        self.phone = phone
        self.technicianID = technicianID
        self.active = active
        self.chatAccess = chatAccess
        self.createdAt = createdAt
    }
}

/// Customer-chat access of an office user (CH18): none, read only ("view customer chats"), or
/// "full access to customer chats" (reply, close, block, start).
public enum ChatAccess: String, Sendable, Codable, CaseIterable {
    case none
    case view
    case full

    public var label: String {
        switch self {
        case .none: "No access"
        case .view: "View only"
        case .full: "Full access"
        }
    }

    /// Admins always have full access and technicians have their own switches (TC5), so the
    /// override applies to the other office roles.
    public static func appliesTo(_ role: Role) -> Bool {
        role == .dispatcher || role == .marketer
    }
}

/// Who is acting, with what they may do. Built once per request from the user, their role and
/// (for technicians) their own chat permissions; every use case checks it.
public struct Actor: Sendable, Equatable {
    public var userID: UserID
    public var accountID: AccountID
    public var name: String
    public var role: Role
    public var technicianID: TechnicianID?
    public var permissions: Set<Permission>
    /// Where the person acted from (the client's IP address), for the audit log; set by the
    /// HTTP layer, nil for the command line and the server's own work.
    public var address: String?

    public init(user: User, technicianChat: TechnicianChatPermissions? = nil) {
        self.userID = user.id
        self.accountID = user.accountID
        self.name = user.name
        self.role = user.role
        self.technicianID = user.technicianID
        var permissions = user.role.permissions
        if let access = user.chatAccess, ChatAccess.appliesTo(user.role) {
            permissions.subtract([.viewCustomerChats, .fullCustomerChats])
            if access != .none { permissions.insert(.viewCustomerChats) }
            if access == .full { permissions.insert(.fullCustomerChats) }
        }
        if let technicianChat {
            if technicianChat.canViewChats { permissions.insert(.viewCustomerChats) }
            if technicianChat.canViewChats, technicianChat.canReplyChats { permissions.insert(.fullCustomerChats) }
        }
        self.permissions = permissions
    }

    /// An integration acting on the account's behalf (a ServiceChannel work order becoming a
    /// job): office permissions over jobs, and audit trails that name the integration.
    public init(integration name: String, accountID: AccountID) {
        self.userID = UserID("integration")
        self.accountID = accountID
        self.name = name
        self.role = .dispatcher
        self.technicianID = nil
        self.permissions = [.viewCustomers, .editCustomers, .viewJobs, .manageJobs, .dispatchJobs]
        self.isIntegration = true
    }

    /// Set for `init(integration:accountID:)`.
    public private(set) var isIntegration = false

    public func can(_ permission: Permission) -> Bool {
        permissions.contains(permission)
    }

    public func require(_ permission: Permission) throws(FieldlineError) {
        guard can(permission) else { throw .forbidden(permission: permission.rawValue) }
    }
}

/// Password rules checked before hashing.
public enum PasswordPolicy {
    public static let minimumLength = 10

    /// `field` names the form field in the refusal (`password`, `newPassword`).
    public static func validate(_ password: String?, field: String = "password") throws(FieldlineError) -> String {
        guard let password, password.count >= minimumLength else {
            throw .invalid(field: field, message: "Passwords are at least \(minimumLength) characters.")
        }
        guard password.utf8.count <= 72 else {
            // bcrypt only reads the first 72 bytes; refusing longer ones avoids a false sense of strength.
            throw .invalid(field: field, message: "Passwords are at most 72 bytes.")
        }
        // The first guesses of anyone guessing: refused whatever their length.
        guard !isCommon(password) else {
            throw .invalid(
                field: field,
                message: "That password is one of the most common ones; choose something less guessable.")
        }
        return password
    }

    public static func isCommon(_ password: String) -> Bool {
        commonPasswords.contains(password.lowercased())
    }
}
