import Foundation

/// Where an estimate stands: given and waiting for an answer, won, or turned down.
public enum EstimateStatus: String, Sendable, Codable, CaseIterable {
    case open
    case sold
    case declined

    public var label: String {
        switch self {
        case .open: "Waiting for an answer"
        case .sold: "Sold"
        case .declined: "Declined"
        }
    }
}

/// A price given to a customer for work not yet booked. An estimate still open a few days later
/// is what the unsold-estimate follow-up texts about (SC2).
public struct Estimate: Sendable, Equatable {
    public var id: EstimateID
    public var accountID: AccountID
    public var customerID: CustomerID
    public var locationID: LocationID?
    public var summary: String
    /// In cents; nil when the estimate was given without a figure worth recording.
    public var amountCents: Int?
    public var status: EstimateStatus
    public var createdAt: Date
    public var decidedAt: Date?

    public init(
        id: EstimateID, accountID: AccountID, customerID: CustomerID, locationID: LocationID?, summary: String,
        amountCents: Int?, status: EstimateStatus, createdAt: Date, decidedAt: Date?
    ) {
        self.id = id
        self.accountID = accountID
        self.customerID = customerID
        self.locationID = locationID
        self.summary = summary
        self.amountCents = amountCents
        self.status = status
        self.createdAt = createdAt
        self.decidedAt = decidedAt
    }

    /// "$1,250.00", or nil without an amount.
    public var amountText: String? {
        amountCents.map { Money.dollars(cents: $0) }
    }

    /// Reads a typed amount ("1250", "$1,250.50") as cents; empty is no amount.
    public static func cents(from input: String?) throws(FieldlineError) -> Int? {
        let cleaned = (input ?? "").trimmingWhitespace().replacingOccurrences(of: "$", with: "")
            .replacingOccurrences(of: ",", with: "")
        guard !cleaned.isEmpty else { return nil }
        let parts = cleaned.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = Int(parts[0]), whole >= 0, whole <= 10_000_000,
            parts.count == 1 || (1...2).contains(parts[1].count) && parts[1].allSatisfy(\.isASCIIDigit)
        else {
            throw .invalid(field: "amount", message: "The amount is dollars and cents, like 1250 or 1,250.50.")
        }
        let fraction = parts.count == 2 ? Int(parts[1].count == 1 ? parts[1] + "0" : parts[1]) ?? 0 : 0
        return whole * 100 + fraction
    }
}
