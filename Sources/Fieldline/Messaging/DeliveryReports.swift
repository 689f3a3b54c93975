import FieldlineCore
import FieldlineStore
import Foundation
import SQLKit

/// What the provider reports about texts after it took them: sent, delivered, undelivered,
/// failed, with its error code (CH12).
public struct DeliveryReports: Sendable {
    let app: Fieldline

    /// A status callback, verified as coming from `accountID`'s provider account: it can only
    /// ever touch that account's texts. A report for a text whose provider id is not recorded yet
    /// (the callback beat the worker) is held and applied when the id is recorded; of several early
    /// reports the most advanced is kept, as they may arrive out of order.
    public func record(_ report: MessageStore.DeliveryReport, for accountID: AccountID) async throws {
        try await app.transaction { sql, effects in
            let store = MessageStore(sql)
            try await store.lockProviderID(report.providerMessageID, in: accountID)
            guard let message = try await store.find(providerMessageID: report.providerMessageID, in: accountID)
            else {
                if let held = try await store.heldReport(providerMessageID: report.providerMessageID, in: accountID),
                    let heldStatus = DeliveryStatus.fromProvider(held.status),
                    !heldStatus.canAdvance(to: DeliveryStatus.fromProvider(report.status) ?? heldStatus)
                {
                    return
                }
                try await store.holdReport(report, in: accountID, at: app.clock.now())
                return
            }
            try await apply(report, to: message, sql: sql, effects: effects)
        }
    }

    /// Moves the message along and learns from the error code: 30006 proves a landline, 21610 an
    /// unsubscribed number, a delivery a mobile.
    func apply(
        _ report: MessageStore.DeliveryReport, to message: Message, sql: any SQLDatabase, effects: AfterCommit
    ) async throws {
        guard let status = DeliveryStatus.fromProvider(report.status) else { return }
        let errorCode = report.errorCode.flatMap { $0.isEmpty || $0 == "0" ? nil : $0 }
        let changed = try await MessageStore(sql).advance(
            message.id, to: status, errorCode: errorCode,
            errorMessage: errorCode.map { Self.explanation(code: $0, provided: report.errorMessage) },
            at: app.clock.now())
        guard changed else { return }
        let customers = CustomerStore(sql)
        switch (status, errorCode) {
        case (.delivered, _):
            try await customers.setKind(of: message.phone, to: .mobile, replacing: [.unknown], in: message.accountID)
        case (_, ProviderErrorCode.landline?):
            try await customers.setKind(
                of: message.phone, to: .landline, replacing: [.unknown, .mobile], in: message.accountID)
        case (_, ProviderErrorCode.unsubscribed?):
            let scope =
                try await SenderNumberStore(sql).number(message.ourNumber, in: message.accountID)?.keywordScope ?? .all
            try await app.consent.providerOptOut(
                message.phone, scope: scope, messageID: message.id, accountID: message.accountID, in: sql)
        default:
            break
        }
        effects.publish(
            .messageStatusChanged(conversationID: message.conversationID, messageID: message.id, status: status),
            to: message.accountID)
    }

    /// The provider's error, in words a dispatcher can act on.
    static func explanation(code: String, provided: String?) -> String {
        switch code {
        case ProviderErrorCode.landline: "This number is a landline or cannot receive texts; call instead."
        case ProviderErrorCode.unsubscribed: "The customer has unsubscribed from texts (STOP)."
        case "30003": "The phone was unreachable (off or out of coverage). Try again later."
        case "30005": "The number does not exist or is no longer in service."
        case "30007": "The carrier filtered the message as spam."
        case "30004": "The recipient has blocked texts from this number."
        case "21211": "The number is not a valid phone number."
        case "21614": "The number cannot receive texts."
        default: provided.flatMap { $0.isEmpty ? nil : $0 } ?? "The provider reported error \(code)."
        }
    }
}
