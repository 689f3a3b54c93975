import FieldlineCore
import FieldlineStore
import Foundation
import Logging

/// The account's carrier registrations (SC1). Admins fill them in and submit them; the registry's
/// answer is recorded by the server's operator (`fieldline registration`), who also records a
/// registration made outside Fieldline. The Messenger reads the statuses on every text.
public struct Registrations: Sendable {
    let app: Fieldline

    /// Both registrations, texting first; admins and marketers may look.
    public func overview(by actor: Actor) async throws -> [Registration] {
        guard actor.can(.manageAccount) || actor.can(.manageMarketing) else {
            throw FieldlineError.forbidden(permission: Permission.manageAccount.rawValue)
        }
        return try await app.database.read { sql in try await RegistrationStore(sql).registrations(of: actor.accountID)
        }
    }

    /// Saves what the admin filled in; only before submission or after a rejection.
    public func save(
        _ kind: RegistrationKind, details: RegistrationDetails, by actor: Actor
    ) async throws -> Registration {
        try actor.require(.manageAccount)
        let cleaned = try RegistrationRules.validated(details, for: kind)
        return try await app.database.write { sql in
            let store = RegistrationStore(sql)
            guard
                var registration = try await store.registrations(of: actor.accountID).first(where: { $0.kind == kind })
            else { throw FieldlineError.notFound(entity: "registration", id: kind.rawValue) }
            guard RegistrationRules.isEditable(registration.status) else {
                throw FieldlineError.conflict(
                    code: .registration(registration.status),
                    message:
                        "The \(kind.label.lowercased()) is \(registration.status.label.lowercased()) and cannot change."
                )
            }
            registration.details = cleaned
            registration.updatedAt = app.clock.now()
            try await store.save(registration)
            try await AuditStore(sql).append(
                AuditEntry(
                    by: actor, .registrationChanged, subject: kind.label, detail: "details saved",
                    at: registration.updatedAt))
            return registration
        }
    }

    /// Sends a complete registration for review: pending until the registry answers.
    public func submit(_ kind: RegistrationKind, by actor: Actor) async throws -> Registration {
        try actor.require(.manageAccount)
        return try await app.database.write { sql in
            let store = RegistrationStore(sql)
            let all = try await store.registrations(of: actor.accountID)
            guard var registration = all.first(where: { $0.kind == kind }), let texting = all.first else {
                throw FieldlineError.notFound(entity: "registration", id: kind.rawValue)
            }
            if let refusal = RegistrationRules.submissionRefusal(registration, texting: texting) { throw refusal }
            let now = app.clock.now()
            registration.status = .pending
            registration.rejectionReason = nil
            registration.submittedAt = now
            registration.decidedAt = nil
            registration.updatedAt = now
            try await store.save(registration)
            try await AuditStore(sql).append(
                AuditEntry(
                    by: actor, .registrationChanged, subject: kind.label, detail: "submitted for review", at: now))
            app.logger.info(
                "Registration submitted", metadata: ["account": "\(actor.accountID)", "kind": "\(kind.rawValue)"])
            return registration
        }
    }

    /// The operator records the registry's answer (or a registration done elsewhere). A
    /// rejection carries the registry's reason, which the admin sees.
    public func record(
        _ status: RegistrationStatus, of kind: RegistrationKind, reason: String? = nil, accountID: AccountID
    ) async throws -> Registration {
        let reason = try Text.optional(reason, field: "reason", label: "Reason", maxLength: 500)
        if status == .rejected, reason == nil {
            throw FieldlineError.invalid(field: "reason", message: "Say why the registration was rejected.")
        }
        return try await app.database.write { sql in
            guard try await AccountStore(sql).find(accountID) != nil else {
                throw FieldlineError.notFound(entity: "account", id: accountID.rawValue)
            }
            let store = RegistrationStore(sql)
            guard var registration = try await store.registrations(of: accountID).first(where: { $0.kind == kind })
            else { throw FieldlineError.notFound(entity: "registration", id: kind.rawValue) }
            let now = app.clock.now()
            registration.status = status
            registration.rejectionReason = status == .rejected ? reason : nil
            if status == .pending { registration.submittedAt = registration.submittedAt ?? now }
            registration.decidedAt = status == .approved || status == .rejected ? now : nil
            registration.updatedAt = now
            try await store.save(registration)
            try await AuditStore(sql).append(
                AuditEntry(
                    accountID: accountID, userID: nil, actorName: "Setup (command line)", action: .registrationChanged,
                    subject: kind.label,
                    detail: "recorded as \(status.label.lowercased())" + (reason.map { ": \($0)" } ?? ""), address: nil,
                    occurredAt: now))
            return registration
        }
    }
}
