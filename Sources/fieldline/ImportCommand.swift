import ArgumentParser
import Fieldline
import FieldlineCore
import FieldlineStore
import Foundation
import Logging

/// `fieldline import customers FILE`: the web import (OP1) from a shell, through the same use
/// case — the same checks, guesses, duplicate rules, audit entry and report.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import records from a file.", subcommands: [Customers.self])

    struct Customers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import customers from a CSV export.",
            discussion: """
                Columns are guessed from the header line as on the web page; --map changes a guess \
                ("Cell=mobile_phone", or a column letter: "C=ignore"). Fields: \
                \(ImportField.allCases.map(\.rawValue).joined(separator: ", ")). Rows whose phone \
                or email belongs to a customer already are skipped, or merged with --duplicates \
                merge. Rows that are not imported are written to --problems (default: FILE's name \
                with -problems.csv). Imported numbers get no marketing consent. A running server \
                may keep running; an import interrupted here is resumed by it.
                """)

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The CSV file.") var file: String
        @Option(help: "The account id (see: fieldline account list).") var account: String
        @Option(name: .customLong("as"), help: "The email of the account's user to import as (named in the audit log).")
        var asUser: String?
        @Option(help: "skip or merge.") var duplicates: String = "skip"
        @Option(help: "A column's field: \"Header=field\" or \"C=field\"; repeatable.") var map: [String] = []
        @Flag(help: "Check the file and show the mapping and preview; import nothing.") var dryRun = false
        @Option(help: "Where to write the rows not imported.") var problems: String?
        @Flag(
            help:
                "Import without $FIELDLINE_SECRET_KEY in an account with erased customers (only if the server runs without one too)."
        )
        var withoutSecretKey = false

        func run() async throws {
            let logger = makeLogger(level: .warning)
            guard let handle = FileHandle(forReadingAtPath: file) else {
                throw ValidationError("Cannot read \(file).")
            }
            let db = try await database.openMigrated(logger: logger)
            do {
                let app = try makeApplication(
                    database: db, logger: logger, http: nil,
                    secretKey: ProcessInfo.processInfo.environment["FIELDLINE_SECRET_KEY"],
                    twilioAPIBase: "https://api.twilio.com", publicURL: "http://127.0.0.1:8080")
                let actor = try await self.actor(app)
                try await checkSecretKey(app, account: actor.accountID)
                try await importFile(handle, app: app, actor: actor)
                await db.close()
            } catch let error as FieldlineError {
                await db.close()
                throw CLIError(error.message)
            } catch {
                await db.close()
                throw error
            }
        }

        private func actor(_ app: Fieldline) async throws -> Actor {
            let accountID = AccountID(account)
            guard (try? await app.accounts.find(accountID)) != nil else {
                throw CLIError("No account \(account) (see: fieldline account list).")
            }
            guard let asUser else { return Actor(integration: "Command-line import", accountID: accountID) }
            let users = try await app.database.read { sql in try await AccountStore(sql).users(in: accountID) }
            guard let user = users.first(where: { $0.email.value == asUser.lowercased() && $0.active }) else {
                throw CLIError("No active user \(asUser) in account \(account).")
            }
            return Actor(user: user)
        }

        /// A number an erased customer had is recognised by its keyed hash, which takes the server's
        /// secret key: without it, a kept opt-out would not be found and the number would get texts.
        private func checkSecretKey(_ app: Fieldline, account: AccountID) async throws {
            let key = ProcessInfo.processInfo.environment["FIELDLINE_SECRET_KEY"] ?? ""
            guard key.isEmpty, !withoutSecretKey else { return }
            let erasures = try await app.database.read { sql in
                try await AccountStore(sql).existingErasureKey(of: account)
            }
            guard erasures == nil else {
                throw CLIError(
                    "This account has erased customers: set FIELDLINE_SECRET_KEY as the server has it, so numbers they had keep their opt-outs (or pass --without-secret-key if the server runs without one)."
                )
            }
        }

        private func importFile(_ handle: FileHandle, app: Fieldline, actor: Actor) async throws {
            let started = ContinuousClock.now
            let name = (file as NSString).lastPathComponent
            var upload = try await app.customerImports.beginUpload(fileName: name, by: actor)
            while let data = try handle.read(upToCount: CustomerImports.chunkSize), !data.isEmpty {
                try await upload.append(data)
            }
            var value = try await upload.finish()
            print(
                "\(value.fileName): \(value.totalRows.formatted()) rows, \(value.encoding == .utf8 ? "UTF-8" : "Windows-1252"), \(value.delimiter.label)-separated."
            )
            var mapping = value.mapping
            for entry in map {
                let parts = entry.split(separator: "=", maxSplits: 1).map {
                    String($0).trimmingCharacters(in: .whitespaces)
                }
                guard parts.count == 2 else {
                    throw CLIError("--map \"\(entry)\": write it as \"Header=field\" or \"C=field\".")
                }
                guard
                    let column = value.headers.firstIndex(where: { $0.lowercased() == parts[0].lowercased() })
                        ?? value.headers.indices.first(where: {
                            ImportHeaders.columnLetter($0) == parts[0].uppercased()
                        })
                else { throw CLIError("--map \"\(entry)\": the file has no column \"\(parts[0])\".") }
                guard let field = ImportField(rawValue: parts[1]) else {
                    throw CLIError("--map \"\(entry)\": \"\(parts[1])\" is not a field.")
                }
                mapping[column] = field
            }
            value = try await app.customerImports.configure(
                value.id, mapping: mapping.map(\.rawValue), duplicates: duplicates, by: actor)
            for (index, header) in value.headers.enumerated() {
                print("  \(ImportHeaders.columnLetter(index)) \(header) → \(value.mapping[index].label)")
            }
            let preview = try await app.customerImports.preview(value.id, by: actor)
            for row in preview {
                switch row.outcome {
                case .failed(let message): print("  line \(row.line): \(message)")
                case .duplicate(let owner, _): print("  line \(row.line): same phone or email as \(owner)")
                case .create: break
                }
            }
            if dryRun {
                _ = try await app.customerImports.cancel(value.id, by: actor)
                print("Dry run: nothing imported.")
                return
            }
            value = try await app.customerImports.start(value.id, by: actor)
            print("Importing (duplicates: \(value.duplicates.rawValue))…")
            var reported = 0
            let show = { (current: CustomerImport) in
                if current.percent >= reported + 10 || current.state.isFinished {
                    reported = current.percent - current.percent % 10
                    print(
                        "  \(current.rowsDone.formatted()) of \(current.totalRows.formatted()) rows (\(current.percent)%)"
                    )
                }
            }
            // Run it here; if a server's worker claimed it first, follow that one instead.
            var finished = try await app.customerImports.runNext(only: value.id, progress: show)
            while finished == nil || finished?.state.isFinished == false {
                try await Task.sleep(for: .seconds(1))
                let current = try await app.customerImports.find(value.id, by: actor)
                show(current)
                if current.state.isFinished { finished = current }
            }
            guard let result = finished else { return }
            print(
                "\(result.state.label): \(result.created.formatted()) added, \(result.merged.formatted()) merged, \(result.skipped.formatted()) skipped as duplicates, \(result.failed.formatted()) with problems, in \(elapsed(since: started))."
            )
            if let failure = result.failure { print(failure) }
            guard result.skipped + result.failed > 0 else { return }
            let path = problems ?? ((file as NSString).deletingPathExtension + "-problems.csv")
            let report = try await app.customerImports.report(result.id, by: actor)
            _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
            guard let out = FileHandle(forWritingAtPath: path) else { throw CLIError("Cannot write \(path).") }
            defer { try? out.close() }
            try out.truncate(atOffset: 0)
            try out.write(contentsOf: Data(report.header.utf8))
            var cursor: Int?
            repeat {
                let page = try await app.customerImports.reportPage(report, after: cursor)
                try out.write(contentsOf: Data(page.csv.utf8))
                cursor = page.next
            } while cursor != nil
            print("The \((result.skipped + result.failed).formatted()) rows not imported, with why: \(path)")
        }
    }
}
