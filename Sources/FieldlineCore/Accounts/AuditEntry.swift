import Foundation

/// What a person did that the business must be able to account for later (OP4): who, when, from
/// which address, what. The audit log is append-only: nothing edits or deletes an entry.
public enum AuditAction: String, Sendable, Codable, CaseIterable {
    case signedIn = "signed_in"
    case signInFailed = "sign_in_failed"
    case passwordChanged = "password_changed"
    case passwordResetForced = "password_reset_forced"
    case passwordReset = "password_reset"
    case userAdded = "user_added"
    case userChanged = "user_changed"
    case settingsChanged = "settings_changed"
    case noticeSettingsChanged = "notice_settings_changed"
    case registrationChanged = "registration_changed"
    case numberAdded = "number_added"
    case numberChanged = "number_changed"
    case numberRemoved = "number_removed"
    case numberBlocked = "number_blocked"
    case numberUnblocked = "number_unblocked"
    case consentChanged = "consent_changed"
    case ledgerExported = "ledger_exported"
    case auditLogExported = "audit_log_exported"
    case serviceChannelConnected = "servicechannel_connected"
    case serviceChannelDisconnected = "servicechannel_disconnected"
    case customerErased = "customer_erased"
    case retentionChanged = "retention_changed"
    case customersImported = "customers_imported"
    case customerImportCancelled = "customer_import_cancelled"
    case importReportExported = "import_report_exported"

    /// How the log names it, as a heading a person scans.
    public var label: String {
        switch self {
        case .signedIn: "Signed in"
        case .signInFailed: "Sign-in failed"
        case .passwordChanged: "Password changed"
        case .passwordResetForced: "Password reset required"
        case .passwordReset: "Password reset by link"
        case .userAdded: "Person added"
        case .userChanged: "Person's access changed"
        case .settingsChanged: "Business settings changed"
        case .noticeSettingsChanged: "Dispatch notice settings changed"
        case .registrationChanged: "Texting registration changed"
        case .numberAdded: "Texting number added"
        case .numberChanged: "Texting number changed"
        case .numberRemoved: "Texting number removed"
        case .numberBlocked: "Number blocked"
        case .numberUnblocked: "Number unblocked"
        case .consentChanged: "Consent changed by hand"
        case .ledgerExported: "Consent ledger exported"
        case .auditLogExported: "Audit log exported"
        case .serviceChannelConnected: "ServiceChannel connected"
        case .serviceChannelDisconnected: "ServiceChannel disconnected"
        case .customerErased: "Customer erased"
        case .retentionChanged: "Message retention changed"
        case .customersImported: "Customer import started"
        case .customerImportCancelled: "Customer import cancelled"
        case .importReportExported: "Import problems downloaded"
        }
    }
}

public struct AuditEntry: Sendable, Equatable {
    /// The entry's place in the log, given by the database when it is appended (0 before): the
    /// log's order, even for entries written in the same instant.
    public var id: Int64
    public var accountID: AccountID
    /// The person; nil when no one was signed in (a failed sign-in names the address it was tried
    /// for in `detail`, a reset link its user).
    public var userID: UserID?
    /// Their name as it was then: the entry keeps saying who it was after they are renamed.
    public var actorName: String
    public var action: AuditAction
    /// What was acted on, in words ("+1 512-555-0199", "Dana Reyes", "Main line").
    public var subject: String?
    /// The change itself ("role Dispatcher → Admin").
    public var detail: String?
    /// The client's IP address, when the action came over HTTP.
    public var address: String?
    public var occurredAt: Date

    public init(
        id: Int64 = 0, accountID: AccountID, userID: UserID?, actorName: String,
        action: AuditAction, subject: String?, detail: String?, address: String?, occurredAt: Date
    ) {
        self.id = id
        self.accountID = accountID
        self.userID = userID
        self.actorName = actorName
        self.action = action
        self.subject = subject
        self.detail = detail
        self.address = address
        self.occurredAt = occurredAt
    }

    /// An entry for what `actor` did now.
    public init(
        by actor: Actor, _ action: AuditAction, subject: String? = nil, detail: String? = nil, at now: Date
    ) {
        self.init(
            accountID: actor.accountID, userID: actor.isIntegration ? nil : actor.userID, actorName: actor.name,
            action: action, subject: subject, detail: detail, address: actor.address, occurredAt: now)
    }

    /// Longest stored subject and detail: what a person typed is cut, never refused, here.
    public static let maximumTextLength = 500

    public static func clipped(_ text: String?) -> String? {
        guard let text else { return nil }
        return text.count > maximumTextLength ? String(text.prefix(maximumTextLength - 1)) + "…" : text
    }
}

/// Which entries a reader asks for; every part is optional.
public struct AuditFilter: Sendable, Equatable {
    public var action: AuditAction?
    public var userID: UserID?
    /// From this instant (inclusive) until `until` (exclusive).
    public var since: Date?
    public var until: Date?

    public init(action: AuditAction? = nil, userID: UserID? = nil, since: Date? = nil, until: Date? = nil) {
        self.action = action
        self.userID = userID
        self.since = since
        self.until = until
    }
}

/// The audit log as CSV: one header, one line per entry, newest first. What people typed (names,
/// subjects, details) is guarded against spreadsheet formulas as the ledger's cells are.
public enum AuditCSV {
    public static let header = "occurred_at,action,action_label,person,user_id,subject,detail,address\r\n"

    public static func line(_ entry: AuditEntry) -> String {
        let system = [entry.occurredAt.formatted(.iso8601), entry.action.rawValue, entry.action.label]
            .map { LedgerCSV.cell($0, guarded: false) }
        let supplied = [entry.actorName, entry.userID?.rawValue ?? "", entry.subject ?? "", entry.detail ?? ""]
            .map { LedgerCSV.cell($0) }
        return (system + supplied + [LedgerCSV.cell(entry.address ?? "", guarded: false)]).joined(separator: ",")
            + "\r\n"
    }
}
