import FieldlineCore
import FieldlineProviders
import Foundation

/// The SMS providers this server can reach, by the kind a sender number names.
public struct SMSGateway: Sendable {
    public let twilio: (any SMSProvider)?
    public let console: any SMSProvider

    public init(twilio: (any SMSProvider)?, console: any SMSProvider) {
        self.twilio = twilio
        self.console = console
    }

    public func provider(for kind: SMSProviderKind) throws -> any SMSProvider {
        switch kind {
        case .console:
            return console
        case .twilio:
            guard let twilio else {
                throw FieldlineError.conflict(
                    code: .providerUnavailable, message: "This server has no Twilio connection configured.")
            }
            return twilio
        }
    }
}
