import Foundation

public typealias CustomerImportID = Identifier<CustomerImport>

/// Customers arriving from another system's CSV export (OP1): the uploaded file, how its columns
/// map onto customers, and how far the import has got. The file is read again from its stored
/// chunks for the preview and by the import itself, so memory stays bounded whatever its size;
/// `rowsDone` is where an interrupted import resumes.
public struct CustomerImport: Sendable, Equatable {
    public var id: CustomerImportID
    public var accountID: AccountID
    public var createdBy: UserID?
    public var createdByName: String
    public var fileName: String
    public var byteCount: Int
    public var encoding: CSVEncoding
    public var delimiter: CSVDelimiter
    /// The header line's names, as written.
    public var headers: [String]
    /// One field per column, in column order.
    public var mapping: [ImportField]
    public var duplicates: DuplicatePolicy
    public var state: CustomerImportState
    /// Data rows in the file (blank lines not counted).
    public var totalRows: Int
    /// Data rows handled so far, in file order: an import that stopped resumes after them.
    public var rowsDone: Int
    public var created: Int
    public var merged: Int
    public var skipped: Int
    public var failed: Int
    /// Why the import as a whole stopped (a file that cannot be read any more), in words.
    public var failure: String?
    public var attempts: Int
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?

    public init(
        id: CustomerImportID, accountID: AccountID, createdBy: UserID?, createdByName: String, fileName: String,
        byteCount: Int, encoding: CSVEncoding, delimiter: CSVDelimiter, headers: [String], mapping: [ImportField],
        duplicates: DuplicatePolicy, state: CustomerImportState, totalRows: Int, rowsDone: Int = 0, created: Int = 0,
        merged: Int = 0, skipped: Int = 0, failed: Int = 0, failure: String? = nil, attempts: Int = 0,
        createdAt: Date, startedAt: Date? = nil, finishedAt: Date? = nil
    ) {
        self.id = id
        self.accountID = accountID
        self.createdBy = createdBy
        self.createdByName = createdByName
        self.fileName = fileName
        self.byteCount = byteCount
        self.encoding = encoding
        self.delimiter = delimiter
        self.headers = headers
        self.mapping = mapping
        self.duplicates = duplicates
        self.state = state
        self.totalRows = totalRows
        self.rowsDone = rowsDone
        self.created = created
        self.merged = merged
        self.skipped = skipped
        self.failed = failed
        self.failure = failure
        self.attempts = attempts
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }

    /// Whole percent of the rows handled; a finished import is 100 whatever its count.
    public var percent: Int {
        if state == .done { return 100 }
        guard totalRows > 0 else { return 0 }
        return min(100, rowsDone * 100 / totalRows)
    }

    /// The largest file an import takes. 100,000 customers with addresses and notes are about
    /// 20 MB; a bigger file is split, which also keeps one import's work to minutes.
    public static let maximumBytes = 25 * 1024 * 1024
    /// The rows a file may hold.
    public static let maximumRows = 200_000
    /// Rows the preview shows.
    public static let previewRows = 20
    /// A file name as shown: no path, no control characters, at most 120 characters.
    public static func displayName(_ raw: String?) -> String {
        let last = (raw ?? "").split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let clean = String(
            String.UnicodeScalarView(last.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F })
        )
        .trimmingWhitespace()
        return clean.isEmpty ? "customers.csv" : String(clean.prefix(120))
    }
}

public enum CustomerImportState: String, Sendable, Codable, CaseIterable {
    /// The file is arriving; a row left in this state by a broken upload is removed later.
    case uploading
    /// Uploaded and checked: the office maps columns and looks at the preview.
    case mapping
    /// Started, waiting for a worker.
    case queued
    /// A worker is importing it.
    case working
    case done
    /// Stopped for good: the stored file could not be read.
    case failed
    case cancelled

    public var label: String {
        switch self {
        case .uploading: "Uploading"
        case .mapping: "Ready to map"
        case .queued: "Waiting to start"
        case .working: "Importing"
        case .done: "Done"
        case .failed: "Failed"
        case .cancelled: "Cancelled"
        }
    }

    public var isRunning: Bool { self == .queued || self == .working }
    public var isFinished: Bool { self == .done || self == .failed || self == .cancelled }
}

/// What happens to a row whose phone number or email already belongs to a customer (chosen before
/// the import starts).
public enum DuplicatePolicy: String, Sendable, Codable, CaseIterable {
    /// The existing customer is left as it is; the row is listed as skipped.
    case skip
    /// The row's new numbers, emails, address, tags and notes are added to the existing customer;
    /// its name is kept.
    case merge

    public var label: String {
        switch self {
        case .skip: "Skip the row and keep the existing customer as is"
        case .merge: "Add the row's new numbers, emails, address, tags and notes to the existing customer"
        }
    }
}

/// What a CSV column becomes.
public enum ImportField: String, Sendable, Codable, CaseIterable {
    case ignore
    case name
    case firstName = "first_name"
    case lastName = "last_name"
    case company
    case mobilePhone = "mobile_phone"
    case landlinePhone = "landline_phone"
    case phone
    case email
    case street
    case unit
    case city
    case state
    case postalCode = "postal_code"
    case tags
    case notes

    public var label: String {
        switch self {
        case .ignore: "Don't import"
        case .name: "Full name"
        case .firstName: "First name"
        case .lastName: "Last name"
        case .company: "Company"
        case .mobilePhone: "Mobile phone"
        case .landlinePhone: "Landline phone"
        case .phone: "Phone (type unknown)"
        case .email: "Email"
        case .street: "Street address"
        case .unit: "Unit / address line 2"
        case .city: "City"
        case .state: "State"
        case .postalCode: "ZIP / postal code"
        case .tags: "Tags"
        case .notes: "Notes"
        }
    }

    /// Fields several columns may feed (a mobile and a home phone, two email columns, notes in
    /// pieces); the others take one column.
    public var repeatable: Bool {
        switch self {
        case .ignore, .mobilePhone, .landlinePhone, .phone, .email, .tags, .notes: true
        default: false
        }
    }

    var phoneKind: PhoneKind? {
        switch self {
        case .mobilePhone: .mobile
        case .landlinePhone: .landline
        case .phone: .unknown
        default: nil
        }
    }

    /// A guess from a header as common exports write it (Jobber, QuickBooks, Housecall Pro,
    /// Google and Outlook contacts, a hand-made sheet).
    public static func guess(_ header: String) -> ImportField {
        let lower = header.lowercased()
        let words = Set(
            lower.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init))
        let key = words.isEmpty ? "" : lower.filter { $0.isLetter || $0.isNumber }
        func has(_ parts: String...) -> Bool { parts.contains { key.contains($0) } }
        func word(_ candidates: String...) -> Bool { candidates.contains { words.contains($0) } }
        if key.isEmpty { return .ignore }
        // Google's "Phone 1 - Label", an "ID", a date or a balance: about a customer, not one.
        if word("label", "labels", "type", "id", "date", "balance", "country", "formatted", "status")
            || word("middle", "prefix", "suffix", "nickname", "phonetic", "file", "title", "department")
            || has("pobox", "phonetic")
        {
            return .ignore
        }
        if has("email") || word("mail") { return .email }
        if word("fax", "pager") { return .ignore }
        if word("mobile", "cell", "cellphone", "mobilephone") || has("mobile", "cellphone") { return .mobilePhone }
        if has("phone") || word("tel", "telephone") || key == "number" {
            return word("home", "work", "office", "business", "landline") || has("homephone", "workphone")
                ? .landlinePhone : .phone
        }
        if has("zip", "postal", "postcode") { return .postalCode }
        if word("city", "town", "locality") { return .city }
        if key == "st" || word("state", "province", "region") { return .state }
        if word("unit", "apt", "apartment", "suite") || has("extendedaddress")
            || ["address2", "line2", "street2"].contains(where: key.hasSuffix)
        {
            return .unit
        }
        if has("street", "address") { return .street }
        if has("firstname", "givenname", "fname") || key == "first" { return .firstName }
        if has("lastname", "surname", "familyname", "lname") || key == "last" { return .lastName }
        if has("company", "organization", "organisation", "business") { return .company }
        if has("name", "customer", "client", "contact") { return .name }
        if word("tag", "tags", "group", "groups") { return .tags }
        if has("note", "comment", "description", "memo", "instructions") { return .notes }
        return .ignore
    }

    /// A guess for every column: a field that takes one column goes to the first that looks like it.
    public static func guesses(for headers: [String]) -> [ImportField] {
        var taken: Set<ImportField> = []
        return headers.map { header in
            let field = guess(header)
            if !field.repeatable {
                if taken.contains(field) { return .ignore }
                taken.insert(field)
            }
            return field
        }
    }
}

/// The header line, checked: what it says and what people should know about it.
public enum ImportHeaders {
    /// Names as the mapping shows them: a blank header becomes "Column D", and each header is
    /// checked against the limits.
    public static func validated(_ record: CSVRecord?) throws(FieldlineError) -> [String] {
        guard let record, record.fields.contains(where: { !$0.trimmingWhitespace().isEmpty }) else {
            throw .invalid(
                field: "file",
                message: "The first line must name the columns (Name, Phone, Email, …); this file has none.")
        }
        guard record.fields.count >= 1 else { throw .invalid(field: "file", message: "This file has no columns.") }
        return record.fields.enumerated().map { index, raw in
            let name = String(raw.trimmingWhitespace().prefix(80))
            return name.isEmpty ? "Column \(columnLetter(index))" : name
        }
    }

    /// Headers written more than once ("Phone" twice), with their column letters: the page says
    /// so, since their guesses may need a look.
    public static func repeated(_ headers: [String]) -> [(name: String, columns: [String])] {
        var seen: [String: [Int]] = [:]
        var order: [String] = []
        for (index, header) in headers.enumerated() {
            let key = header.lowercased()
            if seen[key] == nil { order.append(key) }
            seen[key, default: []].append(index)
        }
        return order.compactMap { key in
            guard let columns = seen[key], columns.count > 1 else { return nil }
            return (headers[columns[0]], columns.map(columnLetter))
        }
    }

    /// A spreadsheet's column letter: 0 → A, 26 → AA.
    public static func columnLetter(_ index: Int) -> String {
        var index = index
        var letters = ""
        repeat {
            letters = String(UnicodeScalar(UInt8(65 + index % 26))) + letters
            index = index / 26 - 1
        } while index >= 0
        return letters
    }

    /// A mapping as sent: one field per column; a name (or first/last name, or company) mapped;
    /// a one-column field used once.
    public static func validatedMapping(
        _ mapping: [ImportField], headers: [String]
    ) throws(FieldlineError)
        -> [ImportField]
    {
        guard mapping.count == headers.count else {
            throw .invalid(
                field: "mapping",
                message: "Give a field for each of the file's \(headers.count) columns (got \(mapping.count)).")
        }
        for field in ImportField.allCases where !field.repeatable {
            let columns = mapping.indices.filter { mapping[$0] == field }
            if columns.count > 1 {
                let names = columns.map { "\"\(headers[$0])\"" }.joined(separator: " and ")
                throw .invalid(
                    field: "mapping", message: "\(names) are both mapped to \(field.label); choose one of them.")
            }
        }
        guard mapping.contains(where: { [.name, .firstName, .lastName, .company].contains($0) }) else {
            throw .invalid(
                field: "mapping",
                message: "Map a column to the customer's name (full name, first or last name, or company).")
        }
        return mapping
    }
}

/// One data row, read through the mapping: the customer it describes, or why it cannot be one.
public struct ImportedCustomer: Sendable, Equatable {
    public struct Phone: Sendable, Equatable {
        public var number: PhoneNumber
        public var kind: PhoneKind
        /// The extension the cell had ("x204"), kept as the number's label.
        public var label: String?
    }

    public var name: String
    public var notes: String?
    public var tags: [String]
    public var phones: [Phone]
    public var emails: [EmailAddress]
    public var address: Address?

    /// Reads a row's cells. A row with more cells than the header, an unusable phone number or
    /// email, a partial street address, or no name is refused with the reason; blank cells are
    /// simply absent.
    public static func read(
        _ cells: [String], mapping: [ImportField], headers: [String]
    ) throws(FieldlineError)
        -> ImportedCustomer
    {
        if cells.count > headers.count,
            cells[headers.count...].contains(where: { !$0.trimmingWhitespace().isEmpty })
        {
            throw .invalid(
                field: "row",
                message:
                    "This row has \(cells.count) cells but the header has \(headers.count) columns: a value with a comma in it must be in quotes."
            )
        }
        var single: [ImportField: String] = [:]
        var phones: [Phone] = []
        var emails: [EmailAddress] = []
        var tags: [String] = []
        var notes: [String] = []
        for (index, field) in mapping.enumerated() where index < cells.count && field != .ignore {
            var value = cells[index].trimmingWhitespace()
            // A leading apostrophe before = + - @ is a spreadsheet's (or our report's) guard
            // against formulas, not part of the value.
            if value.hasPrefix("'"), let next = value.dropFirst().first, "=+-@".contains(next) {
                value.removeFirst()
            }
            guard !value.isEmpty else { continue }
            let header = headers[index]
            if let kind = field.phoneKind {
                for piece in splitList(value, separators: ["/", ";", ","]) {
                    let (number, label) = try phone(piece, header: header)
                    if !phones.contains(where: { $0.number == number }) {
                        phones.append(Phone(number: number, kind: kind, label: label))
                    }
                }
                continue
            }
            switch field {
            case .email:
                for piece in splitList(value, separators: [";", ",", " "]) {
                    do {
                        let address = try EmailAddress.parse(piece)
                        if !emails.contains(address) { emails.append(address) }
                    } catch {
                        throw .invalid(field: "row", message: "\(header): \(error.message)")
                    }
                }
            case .tags: tags.append(value)
            case .notes: notes.append(value)
            default: single[field] = value
            }
        }
        guard phones.count <= 10, emails.count <= 10 else {
            throw .invalid(field: "row", message: "This row has more than 10 phone numbers or emails; split it up.")
        }
        let person = [single[.firstName], single[.lastName]].compactMap { $0 }.joined(separator: " ")
        let company = single[.company]
        guard let name = single[.name] ?? (person.isEmpty ? nil : person) ?? company else {
            throw .invalid(field: "row", message: "This row has no name: give a name, first or last name, or company.")
        }
        if let company, company != name { notes.insert("Company: \(company)", at: 0) }
        var customer = ImportedCustomer(name: "", notes: nil, tags: [], phones: phones, emails: emails, address: nil)
        do {
            customer.name = try Text.required(name, field: "name", label: "Customer name", maxLength: 200)
            customer.notes = try Text.optional(
                notes.isEmpty ? nil : notes.joined(separator: "\n"), field: "notes", label: "Notes", maxLength: 5000)
            customer.tags = try Customer.validatedTags(tags)
            if let street = single[.street] {
                customer.address = try Address.validated(
                    street: street, unit: single[.unit], city: single[.city], state: single[.state],
                    postalCode: single[.postalCode])
            }
        } catch {
            throw .invalid(field: "row", message: error.message)
        }
        return customer
    }

    /// Where phones, emails and tags differ from another row's: for matching duplicates within
    /// one file.
    public var keys: [String] { phones.map(\.number.e164) + emails.map(\.value) }

    private static func splitList(_ value: String, separators: Set<Character>) -> [String] {
        value.split(whereSeparator: { separators.contains($0) }).map { String($0).trimmingWhitespace() }
            .filter { !$0.isEmpty }
    }

    /// A number as exports write it, with an extension ("512-555-0143 x204", "ext. 12") taken off
    /// and kept as the label.
    private static func phone(_ raw: String, header: String) throws(FieldlineError) -> (PhoneNumber, String?) {
        var number = raw
        var label: String?
        for marker in ["extension", "ext.", "ext", "x", "#"] {
            guard let range = raw.range(of: marker, options: [.backwards, .caseInsensitive]) else { continue }
            let tail = String(raw[range.upperBound...]).trimmingWhitespace()
            if !tail.isEmpty, tail.count <= 6, tail.allSatisfy({ $0.isASCII && $0.isNumber }) {
                number = String(raw[..<range.lowerBound])
                label = "ext. \(tail)"
                break
            }
        }
        do {
            return (try PhoneNumber.parse(number), label)
        } catch {
            throw .invalid(field: "row", message: "\(header): \(error.message)")
        }
    }
}

/// A row that was not imported as a new customer, and why: kept for the report the office
/// downloads, which holds the row's own cells so it can be fixed and imported again.
public struct ImportProblem: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// The row could not be read as a customer.
        case failed
        /// Its phone or email belongs to a customer already, and duplicates are skipped.
        case duplicate
    }

    public var line: Int
    public var kind: Kind
    public var message: String
    public var cells: [String]

    public init(line: Int, kind: Kind, message: String, cells: [String]) {
        self.line = line
        self.kind = kind
        self.message = message
        // A report row is at most the header's width; a row with thousands of cells was refused
        // for exactly that and need not be kept whole.
        self.cells = Array(cells.prefix(CSVReader.Limits().maxColumns))
    }

    /// The report's header: where and why, then the file's own columns.
    public static func reportHeader(_ headers: [String]) -> String {
        CSVWriter.line(["Line", "Problem"] + headers)
    }

    public var reportLine: String {
        CSVWriter.line([String(line), message] + cells)
    }
}
