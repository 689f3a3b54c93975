import Foundation

public typealias InvoiceID = Identifier<Invoice>

/// A job's invoice: written as a draft, then exported — the moment it goes to a client's system
/// (ServiceChannel, hourly, SV11). An exported invoice no longer changes.
public struct Invoice: Sendable, Equatable {
    public var id: InvoiceID
    public var accountID: AccountID
    public var jobID: JobID
    public var number: String
    /// "yyyy-MM-dd".
    public var issuedOn: String
    public var amounts: Amounts
    public var status: InvoiceStatus
    public var exportedAt: Date?
    public var createdAt: Date
    public var updatedAt: Date

    /// In cents, as ServiceChannel splits an invoice.
    public struct Amounts: Sendable, Equatable {
        public var labor: Int
        public var material: Int
        public var travel: Int
        public var freight: Int
        public var other: Int
        public var tax: Int

        public init(labor: Int = 0, material: Int = 0, travel: Int = 0, freight: Int = 0, other: Int = 0, tax: Int = 0)
        {
            self.labor = labor
            self.material = material
            self.travel = travel
            self.freight = freight
            self.other = other
            self.tax = tax
        }

        public var subtotal: Int { labor + material + travel + freight + other }
        public var total: Int { subtotal + tax }
    }

    public init(
        id: InvoiceID, accountID: AccountID, jobID: JobID, number: String, issuedOn: String, amounts: Amounts,
        status: InvoiceStatus, exportedAt: Date?, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.accountID = accountID
        self.jobID = jobID
        self.number = number
        self.issuedOn = issuedOn
        self.amounts = amounts
        self.status = status
        self.exportedAt = exportedAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public static func validatedNumber(_ input: String?) throws(FieldlineError) -> String {
        let number = try Text.required(input, field: "number", label: "Invoice number", maxLength: 50)
        guard !number.contains(where: \.isNewline) else {
            throw .invalid(field: "number", message: "The invoice number is one line.")
        }
        return number
    }

    public static func validatedDay(_ input: String?) throws(FieldlineError) -> String {
        try DayString.validated(input, field: "issuedOn", label: "The invoice date")
    }

    /// One typed amount ("1250", "$1,250.50"; empty is zero), named for its field in errors.
    public static func cents(_ input: String?, field: String, label: String) throws(FieldlineError) -> Int {
        do {
            return try Estimate.cents(from: input) ?? 0
        } catch {
            throw .invalid(field: field, message: "\(label) is dollars and cents, like 1250 or 1,250.50.")
        }
    }
}

public enum InvoiceStatus: String, Sendable, Codable, CaseIterable {
    case draft, exported

    public var label: String {
        switch self {
        case .draft: "Draft"
        case .exported: "Exported"
        }
    }
}
