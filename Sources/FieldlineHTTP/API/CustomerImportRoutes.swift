import Fieldline
import FieldlineCore
import Foundation
import Hummingbird
import NIOCore

extension APIRoutes {
    /// Importing customers from CSV (OP1): upload the file as the body, adjust the guessed
    /// mapping, look at the preview, start, follow the progress, download the problems.
    static func customerImports(_ app: Fieldline) -> [APIRoute] {
        [
            APIRoute(.post, "/customer-imports") { request, context in
                if let type = request.headers[.contentType]?.lowercased(),
                    !["text/csv", "text/plain", "application/octet-stream", "application/vnd.ms-excel"].contains(
                        where: type.hasPrefix)
                {
                    throw HTTPFailure(
                        code: .unsupportedMediaType,
                        message: "Send the CSV file itself as the body (Content-Type: text/csv).")
                }
                let value = try await CustomerImportUpload.receive(
                    request.body, fileName: request.query["fileName"], by: try context.actor(), app: app,
                    declaredLength: request.headers[.contentLength].flatMap { Int($0) })
                return try APIResponse.json(CustomerImportJSON(value), status: .created)
            },
            APIRoute(.get, "/customer-imports") { _, context in
                let imports = try await app.customerImports.recent(by: try context.actor())
                return try APIResponse.json(ListJSON(items: imports.map(CustomerImportJSON.init), limit: 20, offset: 0))
            },
            APIRoute(.get, "/customer-imports/{importId}") { _, context in
                let id = try context.parameters.id("importId", as: CustomerImportID.self)
                return try APIResponse.json(
                    CustomerImportJSON(try await app.customerImports.find(id, by: try context.actor())))
            },
            APIRoute(.patch, "/customer-imports/{importId}") { request, context in
                let id = try context.parameters.id("importId", as: CustomerImportID.self)
                let body = try await request.decodeJSON(CustomerImportPatch.self, context: context)
                let value = try await app.customerImports.configure(
                    id, mapping: body.mapping, duplicates: body.duplicates, by: try context.actor())
                return try APIResponse.json(CustomerImportJSON(value))
            },
            APIRoute(.get, "/customer-imports/{importId}/preview") { _, context in
                let id = try context.parameters.id("importId", as: CustomerImportID.self)
                let rows = try await app.customerImports.preview(id, by: try context.actor())
                return try APIResponse.json(ListJSON(items: rows.map(ImportPreviewJSON.init), limit: 20, offset: 0))
            },
            APIRoute(.post, "/customer-imports/{importId}/start") { _, context in
                let id = try context.parameters.id("importId", as: CustomerImportID.self)
                return try APIResponse.json(
                    CustomerImportJSON(try await app.customerImports.start(id, by: try context.actor())),
                    status: .accepted)
            },
            APIRoute(.post, "/customer-imports/{importId}/cancel") { _, context in
                let id = try context.parameters.id("importId", as: CustomerImportID.self)
                return try APIResponse.json(
                    CustomerImportJSON(try await app.customerImports.cancel(id, by: try context.actor())))
            },
            APIRoute(.get, "/customer-imports/{importId}/problems") { _, context in
                let id = try context.parameters.id("importId", as: CustomerImportID.self)
                let report = try await app.customerImports.report(id, by: try context.actor())
                return ImportReportDownload.response(report, app: app)
            },
        ]
    }
}

/// Streams a request body into an import: the web form's file part and the API's body both
/// arrive here, a buffer at a time.
enum CustomerImportUpload {
    /// A body declared larger than this is refused before any of it is read.
    static var declaredLimit: Int { CustomerImport.maximumBytes + 256 * 1024 }

    static func receive(
        _ body: RequestBody, fileName: String?, by actor: Actor, app: Fieldline, declaredLength: Int?
    ) async throws -> CustomerImport {
        try refuseDeclaredSize(declaredLength)
        var upload = try await app.customerImports.beginUpload(fileName: fileName, by: actor)
        do {
            for try await buffer in body {
                try await upload.append(buffer.readableBytesView)
            }
        } catch {
            // A client that went away, or a body that broke off: nothing of it is kept.
            await upload.abandon()
            throw error
        }
        return try await upload.finish()
    }

    static func refuseDeclaredSize(_ length: Int?) throws {
        guard let length, length > declaredLimit else { return }
        throw FieldlineError.refused(
            code: .bodyTooLarge,
            message:
                "This file is \(String(format: "%.1f", Double(length) / 1024 / 1024)) MB; one import takes at most \(CustomerImport.maximumBytes / 1024 / 1024) MB. Split it into smaller files and import them one after another."
        )
    }
}

enum ImportReportDownload {
    static func response(_ report: CustomerImports.Report, app: Fieldline) -> Response {
        CSVDownload.response(filename: report.filename, header: report.header) { (cursor: Int?) in
            try await app.customerImports.reportPage(report, after: cursor)
        }
    }
}

struct CustomerImportPatch: Decodable {
    var mapping: [String]?
    var duplicates: String?
}

struct CustomerImportJSON: Encodable {
    struct Column: Encodable {
        var header: String
        var letter: String
        var field: String
    }

    var id: String
    var fileName: String
    var state: String
    var encoding: String
    var delimiter: String
    var byteCount: Int
    var columns: [Column]
    var duplicates: String
    var totalRows: Int
    var rowsDone: Int
    var percent: Int
    var created: Int
    var merged: Int
    var skipped: Int
    var failed: Int
    var failure: String?
    var createdBy: String
    var createdAt: Date
    var startedAt: Date?
    var finishedAt: Date?

    init(_ value: CustomerImport) {
        id = value.id.rawValue
        fileName = value.fileName
        state = value.state.rawValue
        encoding = value.encoding.rawValue
        delimiter = value.delimiter.rawValue
        byteCount = value.byteCount
        columns = zip(value.headers, value.mapping).enumerated().map { index, pair in
            Column(header: pair.0, letter: ImportHeaders.columnLetter(index), field: pair.1.rawValue)
        }
        duplicates = value.duplicates.rawValue
        totalRows = value.totalRows
        rowsDone = value.rowsDone
        percent = value.percent
        created = value.created
        merged = value.merged
        skipped = value.skipped
        failed = value.failed
        failure = value.failure
        createdBy = value.createdByName
        createdAt = value.createdAt
        startedAt = value.startedAt
        finishedAt = value.finishedAt
    }
}

struct ImportPreviewJSON: Encodable {
    struct CustomerPart: Encodable {
        var name: String
        var phones: [String]
        var emails: [String]
        var address: String?
        var tags: [String]
        var notes: String?
    }

    var line: Int
    var outcome: String
    var duplicateOf: String?
    var problem: String?
    var customer: CustomerPart?
    var cells: [String]

    init(_ row: CustomerImports.PreviewRow) {
        line = row.line
        cells = Array(row.cells.prefix(CSVReader.Limits().maxColumns))
        func part(_ customer: ImportedCustomer) -> CustomerPart {
            CustomerPart(
                name: customer.name, phones: customer.phones.map(\.number.e164), emails: customer.emails.map(\.value),
                address: customer.address?.oneLine, tags: customer.tags, notes: customer.notes)
        }
        switch row.outcome {
        case .create(let customer):
            outcome = "create"
            self.customer = part(customer)
        case .duplicate(let owner, let customer):
            outcome = "duplicate"
            duplicateOf = owner
            self.customer = part(customer)
        case .failed(let message):
            outcome = "failed"
            problem = message
        }
    }
}
