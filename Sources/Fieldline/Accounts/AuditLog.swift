import FieldlineCore
import FieldlineStore
import Foundation

/// The audit log (OP4): what people did, for admins to read, filter and export. Entries are
/// written by each use case inside its own transaction (`AuditStore.append`); this is the reading
/// side, and nothing here or anywhere changes an entry.
public struct AuditLog: Sendable {
    let app: Fieldline

    /// A filter as people give it (a page's form, an API query): every part optional.
    public struct Query: Sendable, Equatable {
        /// An `AuditAction` raw value.
        public var action: String?
        public var userID: String?
        /// Days, yyyy-MM-dd in the account's time zone, both included.
        public var from: String?
        public var to: String?

        public init(action: String? = nil, userID: String? = nil, from: String? = nil, to: String? = nil) {
            self.action = action.flatMap { $0.isEmpty ? nil : $0 }
            self.userID = userID.flatMap { $0.isEmpty ? nil : $0 }
            self.from = from.flatMap { $0.isEmpty ? nil : $0 }
            self.to = to.flatMap { $0.isEmpty ? nil : $0 }
        }
    }

    /// One page, newest first.
    public func entries(_ query: Query, paging: Paging = .firstPage, by actor: Actor) async throws -> [AuditEntry] {
        try actor.require(.viewAuditLog)
        let filter = try await filter(query, in: actor.accountID)
        return try await app.database.read { sql in
            try await AuditStore(sql).entries(
                matching: filter, in: actor.accountID, limit: paging.limit, offset: paging.offset)
        }
    }

    /// What an export covers, checked, with its file name; the export itself is in the log.
    public struct Export: Sendable, Equatable {
        public var accountID: AccountID
        public var filter: AuditFilter
        /// `audit-log-2026-12-03.csv`
        public var filename: String
    }

    public func export(_ query: Query, by actor: Actor) async throws -> Export {
        try actor.require(.viewAuditLog)
        let filter = try await filter(query, in: actor.accountID)
        let now = app.clock.now()
        let account = try await app.accounts.find(actor.accountID)
        let described = [
            query.action.flatMap(AuditAction.init(rawValue:)).map(\.label), query.from.map { "from \($0)" },
            query.to.map { "to \($0)" },
        ].compactMap { $0 }
        try await app.database.write { sql in
            try await AuditStore(sql).append(
                AuditEntry(
                    by: actor, .auditLogExported,
                    detail: described.isEmpty ? "everything" : described.joined(separator: ", "), at: now))
        }
        return Export(
            accountID: actor.accountID, filter: filter,
            filename: "audit-log-\(DayString.of(now, calendar: account.calendar)).csv")
    }

    /// One page of an export as CSV lines, and where the next page starts (nil at the end).
    public func exportPage(
        _ export: Export, after cursor: AuditStore.Cursor?, limit: Int = 1000
    ) async throws -> (csv: String, next: AuditStore.Cursor?) {
        let entries = try await app.database.read { sql in
            try await AuditStore(sql).entries(
                matching: export.filter, in: export.accountID, after: cursor, limit: limit)
        }
        let csv = entries.map(AuditCSV.line).joined()
        let next = entries.count == limit ? entries.last.map { AuditStore.Cursor(id: $0.id) } : nil
        return (csv, next)
    }

    private func filter(_ query: Query, in accountID: AccountID) async throws -> AuditFilter {
        var filter = AuditFilter()
        if let raw = query.action {
            guard let action = AuditAction(rawValue: raw) else {
                throw FieldlineError.invalid(
                    field: "action",
                    message:
                        "\"\(raw.prefix(40))\" is not something the audit log records; use one of: \(AuditAction.allCases.map(\.rawValue).joined(separator: ", "))."
                )
            }
            filter.action = action
        }
        if let raw = query.userID {
            guard raw.count <= 64 else {
                throw FieldlineError.invalid(field: "user", message: "That is not a person's id.")
            }
            filter.userID = UserID(raw)
        }
        guard query.from != nil || query.to != nil else { return filter }
        let calendar = try await app.accounts.find(accountID).calendar
        if let from = query.from {
            guard let day = DayString.interval(of: from, calendar: calendar) else {
                throw FieldlineError.invalid(
                    field: "from", message: "\"\(from.prefix(40))\" is not a date; use yyyy-MM-dd.")
            }
            filter.since = day.start
        }
        if let to = query.to {
            guard let day = DayString.interval(of: to, calendar: calendar) else {
                throw FieldlineError.invalid(
                    field: "to", message: "\"\(to.prefix(40))\" is not a date; use yyyy-MM-dd.")
            }
            filter.until = day.end
        }
        if let since = filter.since, let until = filter.until, since >= until {
            throw FieldlineError.invalid(field: "from", message: "The first day must not be after the last day.")
        }
        return filter
    }
}
