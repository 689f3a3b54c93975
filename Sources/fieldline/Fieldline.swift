import ArgumentParser
import AsyncHTTPClient
import Fieldline
import FieldlineCore
import FieldlineHTTP
import FieldlineProviders
import FieldlineStore
import Foundation
import Hummingbird
import Logging

@main
struct FieldlineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fieldline",
        abstract: "Fieldline: customer communications for field-service businesses.",
        subcommands: [
            Serve.self, Migrate.self, AccountCommand.self, UserCommand.self, NumberCommand.self,
            RegistrationCommand.self, BackupCommand.self, RestoreCommand.self, ImportCommand.self,
        ],
        defaultSubcommand: Serve.self)
}

/// Options shared by every command that opens the database.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: "Database URL (default: $FIELDLINE_DATABASE_URL or sqlite://./fieldline.sqlite).")
    var databaseURL: String?

    func resolvedURL() -> String {
        databaseURL ?? ProcessInfo.processInfo.environment["FIELDLINE_DATABASE_URL"] ?? "sqlite://./fieldline.sqlite"
    }

    /// Opens the database and brings its schema up to date.
    func openMigrated(logger: Logger) async throws -> any Database {
        let database: any Database
        do {
            database = try await DatabaseOpener.open(url: resolvedURL(), logger: logger)
        } catch let error as DatabaseConfigurationError {
            throw ValidationError(error.message)
        }
        do {
            try await Migrator().migrate(database, logger: logger)
        } catch {
            await database.close()
            throw CLIError("Could not migrate the database at \(redacted(resolvedURL())): \(error)")
        }
        return database
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The URL without its password, for messages.
func redacted(_ url: String) -> String {
    guard var components = URLComponents(string: url), components.password != nil else { return url }
    components.password = "•••"
    return components.string ?? url
}

func makeLogger(level: Logger.Level = .info) -> Logger {
    var logger = Logger(label: "fieldline")
    if let raw = ProcessInfo.processInfo.environment["FIELDLINE_LOG_LEVEL"], let parsed = Logger.Level(rawValue: raw) {
        logger.logLevel = parsed
    } else {
        logger.logLevel = level
    }
    return logger
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server (migrates the database first).")

    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Create (once) a demo account with realistic data and print how to sign in.")
    var demo = false
    @Option(help: "Address to listen on (default: $FIELDLINE_HOST or 127.0.0.1).")
    var host: String?
    @Option(help: "Port to listen on (default: $FIELDLINE_PORT or 8080).")
    var port: Int?
    @Option(
        name: .customLong("public-url"), help: "How the outside reaches this server (default: $FIELDLINE_PUBLIC_URL).")
    var publicURL: String?

    func run() async throws {
        let logger = makeLogger()
        var configuration: ServerConfiguration
        do {
            configuration = try ServerConfiguration.fromEnvironment()
        } catch let error as ConfigurationError {
            throw ValidationError(error.message)
        }
        if let host { configuration.host = host }
        if let port {
            guard (1...65535).contains(port) else { throw ValidationError("--port must be between 1 and 65535.") }
            configuration.port = port
        }
        configuration.databaseURL = database.resolvedURL()
        configuration.publicURL =
            publicURL ?? ProcessInfo.processInfo.environment["FIELDLINE_PUBLIC_URL"]
            ?? "http://\(configuration.host == "0.0.0.0" ? "localhost" : configuration.host):\(configuration.port)"
        configuration.demo = demo

        let db = try await database.openMigrated(logger: logger)
        do {
            try await serve(configuration: configuration, database: db, logger: logger)
        } catch {
            // The server closes the database at graceful shutdown; on a failed start we do.
            await db.close()
            throw error
        }
    }

    private func serve(configuration: ServerConfiguration, database db: any Database, logger: Logger) async throws {
        let http = HTTPClient.fieldline()
        defer { Task { try? await http.shutdown() } }
        let app = try makeApplication(
            database: db, logger: logger, http: http, secretKey: configuration.secretKey,
            twilioAPIBase: configuration.twilioAPIBase, publicURL: configuration.publicURL,
            email: configuration.emailAPIBase.map { base in
                HTTPEmailProvider(http: http, baseURL: base, apiKey: configuration.emailAPIKey ?? "")
            }, emailFrom: configuration.emailFrom,
            serviceChannel: ServiceChannelClients(
                http: http,
                endpointOverride: configuration.serviceChannelAPIBase.map { base in
                    ServiceChannelEndpoints(apiBase: base, tokenURL: configuration.serviceChannelTokenURL ?? base)
                }), demo: demo)
        if configuration.emailAPIBase == nil {
            logger.notice("FIELDLINE_EMAIL_API_BASE is not set: emails are written to the log, not sent.")
        }
        if configuration.secretKey == nil {
            logger.notice("FIELDLINE_SECRET_KEY is not set: Twilio credentials cannot be stored or used.")
        }
        var demoSignIn: (email: String, password: String)?
        if demo {
            let signIn = try await DemoSeed(app: app).ensure()
            demoSignIn = (signIn.email, signIn.password)
            let banner = """

                  Fieldline demo is ready\(signIn.created ? " (demo data created)" : "").
                  Open   \(configuration.publicURL)/signin
                  Email  \(signIn.email)
                  Pass   \(signIn.password)
                  Technician view (same password): \(DemoSeed.technicianEmail)
                \(try await DemoSeed(app: app).liveTrackingURL().map { "  Customer's tracking page: \($0)\n" } ?? "")


                """
            // Written straight to the file descriptor so it shows at once even when stdout is a pipe.
            FileHandle.standardOutput.write(Data(banner.utf8))
        }
        let server = try await FieldlineServer.buildApplication(
            configuration: configuration, app: app, demoSignIn: demoSignIn)
        logger.info(
            "Serving on \(configuration.host):\(configuration.port) with \(redacted(configuration.databaseURL))")
        try await server.runService()
    }
}

/// The application with its providers, as the server and the CLI use it.
func makeApplication(
    database: any Database, logger: Logger, http: HTTPClient?, secretKey: String?, twilioAPIBase: String,
    publicURL: String, email: (any EmailProvider)? = nil, emailFrom: String = "notifications@fieldline.invalid",
    serviceChannel: ServiceChannelClients? = nil, demo: Bool = false
) throws -> Fieldline {
    var secrets: SecretBox?
    if let secretKey {
        do {
            secrets = try SecretBox(keyText: secretKey)
        } catch {
            throw ValidationError(error.description)
        }
    }
    return Fieldline(
        database: database, logger: logger,
        sms: SMSGateway(
            twilio: http.map { TwilioProvider(http: $0, baseURL: twilioAPIBase) },
            console: ConsoleProvider(logger: logger)),
        secrets: secrets, publicURL: publicURL, email: email, emailFrom: emailFrom,
        serviceChannelClients: serviceChannel, demo: demo)
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations and exit.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = makeLogger()
        let db = try await database.openMigrated(logger: logger)
        await db.close()
        print(
            "Database at \(redacted(database.resolvedURL())) is up to date (schema version \(Schema.migrations.map(\.version).max() ?? 0))."
        )
    }
}

struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account", abstract: "Manage accounts.", subcommands: [Create.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account (one business).")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The business name.") var name: String
        @Option(name: .customLong("time-zone"), help: "IANA time zone, e.g. America/Chicago.") var timeZone: String

        func run() async throws {
            let logger = makeLogger(level: .warning)
            let db = try await database.openMigrated(logger: logger)
            defer { Task { await db.close() } }
            do {
                let account = try await Fieldline(database: db, logger: logger).accounts.create(
                    .init(name: name, timeZone: timeZone))
                print("Created account \"\(account.name)\" with id \(account.id)")
                print(
                    "Next: fieldline user create --account \(account.id) --email you@example.com --name \"Your Name\" --role admin"
                )
            } catch let error as FieldlineError {
                throw ValidationError(error.message)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts.")

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = makeLogger(level: .warning)
            let db = try await database.openMigrated(logger: logger)
            let accounts = try await Fieldline(database: db, logger: logger).accounts.all()
            await db.close()
            if accounts.isEmpty {
                print("No accounts yet. Create one with: fieldline account create --name … --time-zone …")
            }
            for account in accounts { print("\(account.id)  \(account.name)  (\(account.timeZone))") }
        }
    }
}

struct RegistrationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registration",
        abstract: "Record the registry's answer to an account's texting or marketing registration (SC1).",
        discussion: """
            Accounts text nothing until their texting registration is approved, and send no marketing until \
            the marketing registration is too. Record the carrier registry's decision here, or a registration \
            the business completed outside Fieldline:
              fieldline registration record --account ID --kind texting --status approved
              fieldline registration record --account ID --kind marketing --status rejected --reason "…"
            """,
        subcommands: [Record.self])

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a registration's status.")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The account id (see: fieldline account list).") var account: String
        @Option(help: "texting or marketing.") var kind: String
        @Option(help: "approved, rejected, pending or not_submitted.") var status: String
        @Option(help: "The registry's reason (required for rejected).") var reason: String?

        func run() async throws {
            guard let kind = RegistrationKind(rawValue: kind) else {
                throw ValidationError("--kind is texting or marketing.")
            }
            guard let status = RegistrationStatus(rawValue: status) else {
                throw ValidationError("--status is approved, rejected, pending or not_submitted.")
            }
            let logger = makeLogger(level: .warning)
            let db = try await database.openMigrated(logger: logger)
            do {
                let registration = try await Fieldline(database: db, logger: logger).registrations.record(
                    status, of: kind, reason: reason, accountID: AccountID(account))
                await db.close()
                print("\(registration.kind.label) of \(account): \(registration.status.label.lowercased()).")
            } catch let error as FieldlineError {
                await db.close()
                throw ValidationError(error.message)
            }
        }
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage users.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user who signs in with email and password.",
            discussion: "The password is read from $FIELDLINE_NEW_PASSWORD, or --password.")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The account id (see: fieldline account list).") var account: String
        @Option(help: "Sign-in email.") var email: String
        @Option(help: "Full name.") var name: String
        @Option(help: "admin, dispatcher, technician or marketer.") var role: String = "admin"
        @Option(help: "Password (prefer $FIELDLINE_NEW_PASSWORD: flags end up in shell history).") var password: String?
        @Option(name: .customLong("technician"), help: "Technician id to link (required for the technician role).")
        var technician: String?

        func run() async throws {
            guard let secret = password ?? ProcessInfo.processInfo.environment["FIELDLINE_NEW_PASSWORD"] else {
                throw ValidationError("Give the password in $FIELDLINE_NEW_PASSWORD (or --password).")
            }
            let logger = makeLogger(level: .warning)
            let db = try await database.openMigrated(logger: logger)
            do {
                let user = try await Fieldline(database: db, logger: logger).accounts.createUser(
                    .init(
                        email: email, name: name, role: role, password: secret,
                        technicianID: technician.map(TechnicianID.init)),
                    in: AccountID(account), by: nil)
                await db.close()
                print("Created \(user.role.rawValue) \(user.name) <\(user.email)>; they can sign in now.")
            } catch let error as FieldlineError {
                await db.close()
                throw ValidationError(error.message)
            }
        }
    }
}
