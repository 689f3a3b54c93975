import ArgumentParser
import Fieldline
import FieldlineCore
import FieldlineStore
import Foundation
import Logging

/// `fieldline number …`: the account's own texting numbers, for operators setting up an account.
struct NumberCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "number", abstract: "Manage an account's texting numbers.",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a texting number to an account.",
            discussion: """
                A Twilio number needs its Account SID (--account-sid) and Auth Token, read from \
                $FIELDLINE_TWILIO_AUTH_TOKEN (or --auth-token); the token is sealed with \
                $FIELDLINE_SECRET_KEY before it is stored.
                """)

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The account id (see: fieldline account list).") var account: String
        @Option(help: "The phone number, e.g. +15125550100.") var number: String
        @Option(help: "A name people recognise, e.g. \"Main line\".") var label: String?
        @Option(help: "twilio or console.") var provider: String = "twilio"
        @Option(name: .customLong("account-sid"), help: "Twilio Account SID (AC…).") var accountSID: String?
        @Option(name: .customLong("messaging-service"), help: "Twilio Messaging Service SID (MG…), if used.")
        var messagingService: String?
        @Option(name: .customLong("auth-token"), help: "Twilio Auth Token (prefer $FIELDLINE_TWILIO_AUTH_TOKEN).")
        var authToken: String?
        @Flag(inversion: .prefixedNo, help: "Customers chat with it and job texts go out from it.") var chat = true
        @Flag(help: "It can receive pictures and videos.") var mms = false
        @Flag(help: "Marketing campaigns go out from it.") var marketing = false
        @Flag(name: .customLong("default"), help: "Make it the account's default outbound number.") var isDefault =
            false
        @Option(help: "Messages per second it may send (a long code sends 1).") var rate: Double = 1

        func run() async throws {
            let logger = makeLogger(level: .warning)
            let db = try await database.openMigrated(logger: logger)
            do {
                let app = try makeApplication(
                    database: db, logger: logger, http: nil,
                    secretKey: ProcessInfo.processInfo.environment["FIELDLINE_SECRET_KEY"],
                    twilioAPIBase: "https://api.twilio.com", publicURL: "http://127.0.0.1:8080")
                let added = try await app.senderNumbers.add(
                    .init(
                        number: number, label: label, provider: provider, chat: chat, mms: mms, marketing: marketing,
                        isDefault: isDefault, ratePerSecond: rate, providerAccountID: accountSID,
                        messagingServiceID: messagingService,
                        authToken: authToken ?? ProcessInfo.processInfo.environment["FIELDLINE_TWILIO_AUTH_TOKEN"]),
                    to: AccountID(account))
                await db.close()
                print("Added \(added.number.displayed) (\(describe(added))) with id \(added.id).")
                if added.provider == .twilio {
                    print("Point the number's webhooks at <public URL>/webhooks/twilio/messages (inbound).")
                }
            } catch let error as FieldlineError {
                await db.close()
                throw ValidationError(error.message)
            } catch {
                await db.close()
                throw error
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an account's texting numbers.")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The account id.") var account: String

        func run() async throws {
            let logger = makeLogger(level: .warning)
            let db = try await database.openMigrated(logger: logger)
            let numbers = try await db.read { sql in try await SenderNumberStore(sql).all(in: AccountID(account)) }
            await db.close()
            if numbers.isEmpty {
                print("No texting numbers yet. Add one with: fieldline number add --account \(account) …")
            }
            for number in numbers {
                print("\(number.id)  \(number.number.e164)  \(number.label)  \(describe(number))")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a texting number; texts still queued on it are canceled.")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The account id.") var account: String
        @Option(help: "The phone number to remove.") var number: String

        func run() async throws {
            let logger = makeLogger(level: .warning)
            let db = try await database.openMigrated(logger: logger)
            do {
                let phone = try PhoneNumber.parse(number)
                let app = Fieldline(database: db, logger: logger)
                guard
                    let found = try await db.read({ sql in
                        try await SenderNumberStore(sql).number(phone, in: AccountID(account))
                    })
                else { throw ValidationError("\(phone.displayed) is not a number of account \(account).") }
                try await app.senderNumbers.remove(found.id, from: AccountID(account))
                await db.close()
                print("Removed \(phone.displayed).")
            } catch let error as FieldlineError {
                await db.close()
                throw ValidationError(error.message)
            } catch {
                await db.close()
                throw error
            }
        }
    }
}

private func describe(_ number: SenderNumber) -> String {
    var roles: [String] = []
    if number.chat { roles.append("chat") }
    if number.mms { roles.append("MMS") }
    if number.marketing { roles.append("marketing") }
    if number.isDefault { roles.append("default") }
    return "\(number.provider.rawValue); \(roles.joined(separator: ", ")); \(number.ratePerSecond) msg/s"
}
