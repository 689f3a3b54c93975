import Fieldline
import FieldlineCore
import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore

/// Customers → Import (OP1): upload a CSV, map its columns with a preview of the first rows,
/// start, and watch the progress, which the page keeps showing after leaving and coming back.
struct CustomerImportPages {
    let app: Fieldline
    let renderer: WebRenderer

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/customers/import", use: showUpload)
        router.post("/customers/import", use: upload)
        router.get("/customers/imports/:id", use: showImport)
        router.post("/customers/imports/:id", use: saveMapping)
        router.post("/customers/imports/:id/cancel", use: cancel)
        router.get("/customers/imports/:id/progress", use: progress)
        router.get("/customers/imports/:id/problems.csv", use: problems)
    }

    struct UploadModel {
        var shell: Shell
        var maximumMB: Int
        var maximumRows: String
        var imports: [ImportRow]
        var hasImports: Bool
    }

    struct ImportRow {
        var id: String
        var fileName: String
        var state: String
        var stateLabel: String
        var tone: String
        var summary: String
        var when: String
    }

    struct DetailModel {
        var shell: Shell
        var id: String
        var fileName: String
        var state: String
        var stateLabel: String
        var tone: String
        var facts: String
        var mapping: Bool
        var running: Bool
        var done: Bool
        var failed: Bool
        var cancelled: Bool
        var failure: String?
        var columns: [ColumnView]
        var repeatedHeaders: [String]
        var duplicateOptions: [Option]
        var preview: [PreviewView]
        var previewCounts: String
        var totalRows: Int
        var totalRowsText: String
        var totalRowsLabel: String
        var rowsDoneText: String
        var percent: Int
        var created: String
        var merged: String
        var skipped: String
        var failedCount: String
        var hasProblems: Bool
        var problemsCount: String
        var importLabel: String
        var startedBy: String
    }

    struct ColumnView {
        var index: Int
        var letter: String
        var header: String
        var samples: String
        var options: [Option]
    }

    struct Option {
        var value: String
        var label: String
        var selected: Bool
    }

    struct PreviewView {
        var line: Int
        var name: String
        var phones: String
        var emails: String
        var address: String
        var outcome: String
        var tone: String
        var message: String
    }

    // MARK: Upload

    @Sendable func showUpload(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let imports = try await app.customerImports.recent(by: actor)
        let time = try context.timeText()
        return try renderer.page(
            "customer_import",
            UploadModel(
                shell: try await renderer.shell(context, request: request, active: "customers"),
                maximumMB: CustomerImport.maximumBytes / 1024 / 1024,
                maximumRows: CustomerImport.maximumRows.formatted(),
                imports: imports.map { Self.row($0, time: time) }, hasImports: !imports.isEmpty),
            request: request)
    }

    /// Receives the form's file part as it streams in (`MultipartReader`); the form's CSRF field
    /// comes before it, and no byte of the file is stored unless it matched. One file per form,
    /// a few small fields, and every byte counted against the limit.
    @Sendable func upload(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        try actor.require(.editCustomers)
        guard let boundary = MultipartReader.boundary(contentType: request.headers[.contentType]) else {
            throw HTTPFailure(
                code: .unsupportedMediaType, message: "Upload the file with the form on the import page.")
        }
        var body = request.body.makeAsyncIterator()
        var upload: CustomerImports.Upload?
        do {
            try CustomerImportUpload.refuseDeclaredSize(request.headers[.contentLength].flatMap { Int($0) })
            var reader = MultipartReader(boundary: boundary)
            var fields: [String: String] = [:]
            var part: (name: String, fileName: String?)?
            var fieldBytes: [UInt8] = []
            var otherBytes = 0
            var parts = 0
            var total = 0
            var chosen = false
            while !reader.finished, let buffer = try await body.next() {
                total += buffer.readableBytes
                if total > CustomerImportUpload.declaredLimit { try CustomerImportUpload.refuseDeclaredSize(total) }
                for event in try reader.feed(buffer.readableBytesView) {
                    switch event {
                    case .partStart(let name, let fileName):
                        parts += 1
                        guard parts <= 8 else { throw MultipartReader.malformed }
                        part = (name, fileName)
                        fieldBytes = []
                        if name == "file" {
                            guard upload == nil else { throw MultipartReader.malformed }
                            try Self.checkCSRF(fields["_csrf"], context)
                            chosen = !(fileName ?? "").isEmpty
                            upload = try await app.customerImports.beginUpload(fileName: fileName, by: actor)
                        }
                    case .data(let bytes):
                        if part?.name == "file" {
                            try await upload?.append(bytes)
                        } else {
                            fieldBytes += bytes
                            otherBytes += bytes.count
                            if otherBytes > 16 * 1024 { throw MultipartReader.malformed }
                        }
                    case .partEnd:
                        if let part, part.name != "file" {
                            fields[part.name] = String(decoding: fieldBytes, as: UTF8.self)
                        }
                        part = nil
                    }
                }
            }
            try reader.finish()
            guard var received = upload, chosen || received.byteCount > 0 else {
                if upload == nil { try Self.checkCSRF(fields["_csrf"], context) }
                throw FieldlineError.invalid(field: "file", message: "Choose a CSV file to upload first.")
            }
            upload = nil
            let value = try await received.finish()
            return renderer.redirect(
                to: "/customers/imports/\(value.id)",
                flash: Flash(
                    .success,
                    "\(value.fileName) has \(CustomerImports.rows(value.totalRows)). Check the columns below."))
        } catch {
            // Nothing of a refused or broken upload is kept. The browser is still sending what is
            // left of it; read that to the end (up to a limit) so it shows the answer instead of
            // a broken connection.
            await upload?.abandon()
            var drained = 0
            while drained < 256 * 1024 * 1024, let buffer = try? await body.next() { drained += buffer.readableBytes }
            switch error as? FieldlineError {
            case .forbidden?, .unauthenticated?, nil: throw error
            case let refusal?: return renderer.redirect(to: "/customers/import", flash: Flash(.error, refusal.message))
            }
        }
    }

    private static func checkCSRF(_ sent: String?, _ context: AppRequestContext) throws {
        guard let expected = context.auth?.csrfToken, let sent, SecretComparison.equal(sent, expected) else {
            throw HTTPFailure(
                code: .csrfFailed,
                message: "This form expired or did not come from Fieldline. Reload the page and try again.")
        }
    }

    // MARK: One import

    @Sendable func showImport(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let id = try context.parameters.id("id", as: CustomerImportID.self)
        let value = try await app.customerImports.find(id, by: actor)
        let preview = value.state == .mapping ? try await app.customerImports.preview(id, by: actor) : []
        let shell = try await renderer.shell(context, request: request, active: "customers")
        return try renderer.page(
            "customer_import_detail", detail(value, preview: preview, shell: shell, time: try context.timeText()),
            request: request)
    }

    /// Saves the mapping and the duplicate choice; "Import" also starts.
    @Sendable func saveMapping(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let actor = try context.actor()
        let id = try context.parameters.id("id", as: CustomerImportID.self)
        let current = try await app.customerImports.find(id, by: actor)
        let mapping = current.headers.indices.map { form["column\($0)"] ?? ImportField.ignore.rawValue }
        _ = try await app.customerImports.configure(id, mapping: mapping, duplicates: form["duplicates"], by: actor)
        guard form["action"] == "start" else {
            return renderer.redirect(to: "/customers/imports/\(id)", flash: Flash(.info, "Preview updated."))
        }
        let started = try await app.customerImports.start(id, by: actor)
        return renderer.redirect(
            to: "/customers/imports/\(id)",
            flash: Flash(
                .success,
                "Importing \(CustomerImports.rows(started.totalRows)). You can leave this page: the import goes on, and this page shows how far it got."
            ))
    }

    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: CustomerImportID.self)
        let actor = try context.actor()
        let before = try await app.customerImports.find(id, by: actor)
        let value = try await app.customerImports.cancel(id, by: actor)
        let message =
            before.state == .mapping
            ? "The upload was discarded; nothing was imported."
            : value.rowsDone == 0
                ? "The import was cancelled; nothing was imported."
                : "The import was cancelled after \(value.rowsDone.formatted()) of \(CustomerImports.rows(value.totalRows)); those stay imported."
        return renderer.redirect(to: "/customers/imports/\(id)", flash: Flash(.info, message))
    }

    /// The import's state as JSON, for the page's progress bar.
    @Sendable func progress(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.id("id", as: CustomerImportID.self)
        return try APIResponse.json(CustomerImportJSON(try await app.customerImports.find(id, by: try context.actor())))
    }

    @Sendable func problems(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.id("id", as: CustomerImportID.self)
        return ImportReportDownload.response(
            try await app.customerImports.report(id, by: try context.actor()), app: app)
    }

    // MARK: Views

    static func tone(_ state: CustomerImportState) -> String {
        switch state {
        case .uploading, .queued, .working: "brand"
        case .mapping: "warning"
        case .done: "success"
        case .failed: "danger"
        case .cancelled: "neutral"
        }
    }

    static func row(_ value: CustomerImport, time: TimeText) -> ImportRow {
        let summary: String
        switch value.state {
        case .mapping: summary = "\(CustomerImports.rows(value.totalRows)), not started"
        case .queued, .working: summary = "\(value.percent)% of \(CustomerImports.rows(value.totalRows))"
        default:
            summary =
                "\(value.created.formatted()) added, \(value.merged.formatted()) merged, \((value.skipped + value.failed).formatted()) not imported"
        }
        return ImportRow(
            id: value.id.rawValue, fileName: value.fileName, state: value.state.rawValue,
            stateLabel: value.state.label, tone: tone(value.state), summary: summary,
            when: time.stamp(value.createdAt))
    }

    func detail(
        _ value: CustomerImport, preview: [CustomerImports.PreviewRow], shell: Shell, time: TimeText
    ) -> DetailModel {
        let samples = (0..<value.headers.count).map { column in
            preview.compactMap { row in
                column < row.cells.count && !row.cells[column].isEmpty ? String(row.cells[column].prefix(40)) : nil
            }.prefix(3).joined(separator: " · ")
        }
        let columns = value.headers.enumerated().map { index, header in
            ColumnView(
                index: index, letter: ImportHeaders.columnLetter(index), header: header, samples: samples[index],
                options: ImportField.allCases.map {
                    Option(value: $0.rawValue, label: $0.label, selected: value.mapping[safe: index] == $0)
                })
        }
        let previewViews = preview.map { row -> PreviewView in
            func view(_ customer: ImportedCustomer?, outcome: String, tone: String, message: String) -> PreviewView {
                PreviewView(
                    line: row.line, name: customer?.name ?? "—",
                    phones: customer.map { $0.phones.map(\.number.displayed).joined(separator: ", ") } ?? "",
                    emails: customer.map { $0.emails.map(\.value).joined(separator: ", ") } ?? "",
                    address: customer?.address?.oneLine ?? "", outcome: outcome, tone: tone, message: message)
            }
            switch row.outcome {
            case .create(let customer): return view(customer, outcome: "New", tone: "success", message: "")
            case .duplicate(let owner, let customer):
                return view(
                    customer, outcome: value.duplicates == .skip ? "Skipped" : "Merged", tone: "warning",
                    message: "Same phone or email as \(owner).")
            case .failed(let message): return view(nil, outcome: "Problem", tone: "danger", message: message)
            }
        }
        let failing = preview.filter { if case .failed = $0.outcome { true } else { false } }.count
        let duplicates = preview.filter { if case .duplicate = $0.outcome { true } else { false } }.count
        return DetailModel(
            shell: shell, id: value.id.rawValue, fileName: value.fileName, state: value.state.rawValue,
            stateLabel: value.state.label, tone: Self.tone(value.state),
            facts:
                "\(CustomerImports.rows(value.totalRows)) · \(Self.size(value.byteCount)) · \(value.encoding == .utf8 ? "UTF-8" : "Windows-1252") · \(value.delimiter.label)-separated · uploaded \(time.stamp(value.createdAt)) by \(value.createdByName)",
            mapping: value.state == .mapping, running: value.state.isRunning, done: value.state == .done,
            failed: value.state == .failed, cancelled: value.state == .cancelled, failure: value.failure,
            columns: columns,
            repeatedHeaders: ImportHeaders.repeated(value.headers).map {
                "“\($0.name)” heads columns \($0.columns.joined(separator: " and "))"
            },
            duplicateOptions: DuplicatePolicy.allCases.map {
                Option(value: $0.rawValue, label: $0.label, selected: $0 == value.duplicates)
            },
            preview: previewViews,
            previewCounts:
                "The first \(CustomerImports.rows(preview.count)): \(preview.count - failing - duplicates) new, \(duplicates) duplicate\(duplicates == 1 ? "" : "s"), \(failing) with a problem.",
            totalRows: value.totalRows, totalRowsText: value.totalRows.formatted(),
            totalRowsLabel: CustomerImports.rows(value.totalRows),
            rowsDoneText: value.rowsDone.formatted(), percent: value.percent, created: value.created.formatted(),
            merged: value.merged.formatted(), skipped: value.skipped.formatted(), failedCount: value.failed.formatted(),
            hasProblems: value.skipped + value.failed > 0,
            problemsCount: CustomerImports.rows(value.skipped + value.failed),
            importLabel: "Import \(CustomerImports.rows(value.totalRows))",
            startedBy: value.createdByName)
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1024 * 1024
            ? String(format: "%.1f MB", Double(bytes) / 1024 / 1024) : "\(max(1, (bytes + 1023) / 1024)) KB"
    }
}

extension Array {
    fileprivate subscript(safe index: Int) -> Element? {
        indices.contains(index) ? self[index] : nil
    }
}
