import FieldlineCore
import FieldlineStore
import Foundation
import SQLKit

/// A job's invoice: a draft the office fills in, then exports. Exporting locks it and, for a job
/// from ServiceChannel, queues it for the hourly export (SV11).
public struct Invoices: Sendable {
    let app: Fieldline

    public struct Input: Sendable {
        public var number: String?
        public var issuedOn: String?
        public var labor: String?
        public var material: String?
        public var travel: String?
        public var freight: String?
        public var other: String?
        public var tax: String?

        public init(
            number: String?, issuedOn: String?, labor: String? = nil, material: String? = nil,
            travel: String? = nil, freight: String? = nil, other: String? = nil, tax: String? = nil
        ) {
            self.number = number
            self.issuedOn = issuedOn
            self.labor = labor
            self.material = material
            self.travel = travel
            self.freight = freight
            self.other = other
            self.tax = tax
        }
    }

    public func invoice(ofJob id: JobID, by actor: Actor) async throws -> Invoice? {
        try actor.require(.viewJobs)
        return try await app.database.read { sql in
            guard try await JobStore(sql).find(id, in: actor.accountID) != nil else {
                throw FieldlineError.notFound(entity: "job", id: id.rawValue)
            }
            return try await InvoiceStore(sql).invoice(ofJob: id, in: actor.accountID)
        }
    }

    /// Writes the job's draft invoice (creating it the first time).
    public func save(_ input: Input, forJob id: JobID, by actor: Actor) async throws -> Invoice {
        try actor.require(.manageJobs)
        let number = try Invoice.validatedNumber(input.number)
        let issuedOn = try Invoice.validatedDay(input.issuedOn)
        let amounts = Invoice.Amounts(
            labor: try Invoice.cents(input.labor, field: "labor", label: "Labor"),
            material: try Invoice.cents(input.material, field: "material", label: "Material"),
            travel: try Invoice.cents(input.travel, field: "travel", label: "Travel"),
            freight: try Invoice.cents(input.freight, field: "freight", label: "Freight"),
            other: try Invoice.cents(input.other, field: "other", label: "Other"),
            tax: try Invoice.cents(input.tax, field: "tax", label: "Tax"))
        guard amounts.total > 0 else {
            throw FieldlineError.invalid(field: "labor", message: "An invoice needs at least one amount.")
        }
        return try await app.database.write { sql in
            guard let job = try await JobStore(sql).find(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "job", id: id.rawValue)
            }
            guard job.status != .canceled else {
                throw FieldlineError.conflict(code: .jobCanceled, message: "A canceled job is not invoiced.")
            }
            let store = InvoiceStore(sql)
            let now = app.clock.now()
            if var invoice = try await store.invoice(ofJob: id, in: actor.accountID) {
                guard invoice.status == .draft else { throw Self.locked }
                invoice.number = number
                invoice.issuedOn = issuedOn
                invoice.amounts = amounts
                invoice.updatedAt = now
                try await store.update(invoice)
                return invoice
            }
            let invoice = Invoice(
                id: .generate(), accountID: actor.accountID, jobID: id, number: number, issuedOn: issuedOn,
                amounts: amounts, status: .draft, exportedAt: nil, createdAt: now, updatedAt: now)
            guard try await store.insert(invoice) else {
                throw FieldlineError.conflict(
                    code: .invoiceExists, message: "Someone else just wrote this job's invoice; reload and try again."
                )
            }
            return invoice
        }
    }

    /// Exports the draft: it no longer changes, and a client's system hears of it.
    public func export(forJob id: JobID, by actor: Actor) async throws -> Invoice {
        try actor.require(.manageJobs)
        return try await app.transaction { sql, effects in
            let store = InvoiceStore(sql)
            guard var invoice = try await store.invoice(ofJob: id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "invoice", id: id.rawValue)
            }
            guard invoice.status == .draft else { throw Self.locked }
            let now = app.clock.now()
            invoice.status = .exported
            invoice.exportedAt = now
            invoice.updatedAt = now
            try await store.update(invoice)
            try await JobStore(sql).append(
                JobEvent(
                    id: UUID().uuidString.lowercased(), accountID: actor.accountID, jobID: id, occurredAt: now,
                    actor: .user(actor), kind: "invoice",
                    text: "Exported invoice \(invoice.number) for \(Money.dollars(cents: invoice.amounts.total))"))
            try await app.react(
                to: DomainEvent(
                    accountID: actor.accountID, occurredAt: now, actor: .user(actor),
                    kind: .invoiceExported(id, invoice.id)), in: sql, effects: effects)
            return invoice
        }
    }

    static let locked = FieldlineError.conflict(
        code: .invoiceExported, message: "This invoice was exported and no longer changes.")
}
