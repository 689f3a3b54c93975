import Foundation
import SQLKit

/// Every table's mapping, and what can be done with all of them at once: copy a database into an
/// empty one and compare two databases, row by row, through the mappings alone. The round-trip
/// test uses both: a database holding rows in every table, copied into a fresh one on the same
/// engine, must read back the same, which proves each mapping's columns, inserts and decoding
/// against the real schema.
public enum StoredTables {
    /// In the order the tables were created: a table refers only to tables before it. The
    /// migrator's own ledger (`Migrator.AppliedMigrationRow`) is not among them: every database
    /// writes its own.
    static let all: [any StoredRow.Type] = [
        // Migration 1
        AccountStore.AccountRow.self, TechnicianStore.TechnicianRow.self, AccountStore.UserRow.self,
        AccountStore.SessionRow.self, CustomerStore.CustomerRow.self, CustomerStore.LocationRow.self,
        CustomerStore.PhoneRow.self, CustomerStore.EmailRow.self, JobStore.JobRow.self, JobStore.AppointmentRow.self,
        JobStore.AssignmentRow.self, BookingStore.BookingRow.self, JobStore.EventRow.self,
        // Migration 2
        SenderNumberStore.Row.self, ConversationStore.Row.self, MessageStore.Row.self, MessageStore.MediaRow.self,
        OutboxStore.Row.self, OutboxStore.WorkerRow.self, MessageStore.AttachmentRow.self,
        ConversationStore.BlockedRow.self, ConsentStore.ConsentRow.self, ConsentStore.LedgerRow.self,
        // Migrations 3, 5, 6
        FieldStore.ThreadReadRow.self, FieldStore.PositionRow.self, AccountStore.SignInFailureRow.self,
        DispatchStore.SettingsRow.self, DispatchStore.TrackingLink.self, EmailStore.Row.self,
        // Migrations 7, 8
        RegistrationStore.Row.self, CampaignStore.Row.self, CampaignStore.RecipientRow.self,
        EstimateStore.EstimateRow.self, EstimateStore.ServiceRow.self, TriggeredCampaignStore.Row.self,
        TriggeredCampaignStore.RunRow.self,
        // Migration 9
        ServiceChannelStore.ConnectionRow.self, ServiceChannelStore.WorkOrderRow.self,
        ServiceChannelStore.ChangeRow.self, ServiceChannelStore.SubscriberRow.self, ServiceChannelStore.MappingRow.self,
        ServiceChannelStore.RuleRow.self, ServiceChannelStore.LocationRow.self,
        // Migrations 10, 12, 13, 14
        InvoiceStore.Row.self, MessageStore.HeldReportRow.self, AccountStore.PasswordResetRow.self,
        IdempotencyStore.Row.self,
        // Migrations 15, 17
        AuditStore.Row.self, CustomerImportStore.Row.self, CustomerImportStore.ProblemRow.self,
    ]

    /// Columns the mappings leave out on purpose, with why. A backup copies the pictures' bytes on
    /// its own; the rest belong to a running server and start empty after a restore.
    /// `TableMappingTests` holds the schema to this list: a column in neither is a column a
    /// backup would lose.
    public static let outsideMappings: [String: [String: String]] = [
        "message_media": ["data": "a picture's bytes: loaded only when the picture is shown"],
        "messages": ["seq": "PostgreSQL's insertion order (SQLite's rowid there); a restore numbers anew, in order"],
        "servicechannel_connections": [
            "sync_claimed_at": "a running server's claim on the sync: a restored server holds none",
            "last_poll_at": "when a running server last polled: a restored server polls at once",
        ],
    ]

    /// Each mapped table's columns that its mapping does not have.
    public static func columnsOutsideMappings(of database: any Database) async throws -> [String: Set<String>] {
        let present = try await columns(of: database)
        var outside: [String: Set<String>] = [:]
        for type in all {
            let table = table(of: type)
            let unmapped = (present[table] ?? []).subtracting(mappedColumns(of: type))
            if !unmapped.isEmpty { outside[table] = unmapped }
        }
        return outside
    }

    private static func mappedColumns<Row: StoredRow>(of _: Row.Type) -> Set<String> { Set(Row.mapping.columns) }

    /// The mapped tables, in creation order.
    public static var names: [String] { all.map { table(of: $0) } }

    private static func table<Row: StoredRow>(of _: Row.Type) -> String { Row.mapping.table }

    /// Copies every mapped table's rows from `source` into `target` (an empty database at the same
    /// schema), keeping database-assigned keys; the number of rows copied per table. Whole tables
    /// are read at once: this is for tests and small databases.
    /// `earlierSchema`: the target is at an earlier schema; only the tables and columns it has
    /// are copied (what a database of that release would have held).
    public static func copy(
        from source: any Database, to target: any Database, earlierSchema: Bool = false
    ) async throws -> [String: Int] {
        let present = earlierSchema ? try await columns(of: target) : nil
        var copied: [String: Int] = [:]
        for type in all {
            let table = table(of: type)
            if let present, present[table] == nil { continue }
            copied[table] = try await copy(type, from: source, to: target, onlyColumns: present?[table])
        }
        return copied
    }

    private static func copy<Row: StoredRow>(
        _: Row.Type, from source: any Database, to target: any Database, onlyColumns: Set<String>?
    ) async throws -> Int {
        let rows = try await source.read { sql in try await sql.select(Row.self).all().map { try $0.stored(Row.self) } }
        try await target.write { sql in
            if let onlyColumns {
                try await sql.insert(rows, onlyColumns: onlyColumns)
            } else {
                try await sql.insert(rows, keepingAssignedKeys: true)
            }
        }
        return rows.count
    }

    /// Every table of `database` with its columns.
    static func columns(of database: any Database) async throws -> [String: Set<String>] {
        let query: SQLQueryString =
            database.engine == .postgres
            ? "SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public'"
            : "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'"
        let rows = try await database.read { sql in try await sql.raw(query).all() }
        var columns: [String: Set<String>] = [:]
        for row in rows {
            columns[try row.decode(column: "t", as: String.self), default: []].insert(
                try row.decode(column: "c", as: String.self))
        }
        return columns
    }

    /// Every mapped table's rows, each as one line of its column values, sorted: two databases
    /// with the same contents give the same answer.
    public static func contents(of database: any Database) async throws -> [String: [String]] {
        var tables: [String: [String]] = [:]
        for type in all {
            let (table, lines) = try await contents(type, of: database)
            tables[table] = lines
        }
        return tables
    }

    private static func contents<Row: StoredRow>(
        _: Row.Type, of database: any Database
    ) async throws -> (String, [String]) {
        let mapping = Row.mapping
        let lines = try await database.read { sql in
            try await sql.select(Row.self).all().map { row in
                zip(mapping.columns, mapping.values(of: try row.stored(Row.self)))
                    .map { "\($0)=\(describe($1))" }.joined(separator: " | ")
            }
        }
        return (mapping.table, lines.sorted())
    }

    private static func describe(_ value: any Encodable & Sendable) -> String {
        switch value {
        case let date as Date: "\(date.timeIntervalSince1970)"
        case let data as Data: data.base64EncodedString()
        default: "\(value)"
        }
    }
}
