import Fieldline
import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// Twilio's webhooks: inbound texts, delivery status callbacks and call status callbacks. Each request is matched to the
/// account number it concerns (by MessagingServiceSid, else AccountSid with our number), and its
/// `X-Twilio-Signature` is checked with that number's auth token against FIELDLINE_PUBLIC_URL +
/// the path. A forged or unsigned request answers 403 and stores nothing.
struct TwilioWebhooks {
    let app: Fieldline
    let numbers = WebhookNumberCache()

    static let inboundPath = "/webhooks/twilio/messages"
    static let statusPath = "/webhooks/twilio/status"
    /// The voice status callback (and `<Dial action>`) of the account's numbers: an unanswered call
    /// sets off the missed-call text-back.
    static let callPath = "/webhooks/twilio/calls"
    /// The most media files Twilio attaches to one message.
    static let maximumMedia = 10

    func register(on router: Router<AppRequestContext>) {
        let hooks = router.group().add(middleware: APIErrorMiddleware())
        hooks.post(RouterPath(stringLiteral: Self.inboundPath)) { request, context in
            let form = try await SignedForm.read(request, context: context)
            let sender = try await verifiedSender(
                form, request: request, ourNumberField: "To", logger: context.logger)
            let text = try inboundText(form, sender: sender)
            let outcome = try await app.inbound.receive(text)
            if case .duplicate = outcome {
                context.logger.info("Duplicate Twilio webhook for \(text.providerMessageID) ignored.")
            }
            return Self.emptyTwiML()
        }
        hooks.post(RouterPath(stringLiteral: Self.statusPath)) { request, context in
            let form = try await SignedForm.read(request, context: context)
            let sender = try await verifiedSender(
                form, request: request, ourNumberField: "From", logger: context.logger)
            guard let sid = form.value("MessageSid"), Self.isProviderID(sid) else {
                throw HTTPFailure(code: .invalidMessageSID, message: "MessageSid is missing.")
            }
            guard let status = form.value("MessageStatus"), !status.isEmpty, status.count <= 40 else {
                throw HTTPFailure(code: .invalidMessageStatus, message: "MessageStatus is missing.")
            }
            try await app.deliveryReports.record(
                .init(
                    providerMessageID: sid, status: status,
                    errorCode: form.value("ErrorCode").map { String($0.prefix(16)) },
                    errorMessage: form.value("ErrorMessage").map { String($0.prefix(500)) }),
                for: sender.accountID)
            return Response(status: .noContent)
        }
        hooks.post(RouterPath(stringLiteral: Self.callPath)) { request, context in
            let form = try await SignedForm.read(request, context: context)
            let number = try await verifiedSender(form, request: request, ourNumberField: "To", logger: context.logger)
            guard let sid = form.value("CallSid"), Self.isProviderID(sid) else {
                throw HTTPFailure(code: .invalidCallSID, message: "CallSid is missing.")
            }
            guard
                TriggeredCampaignRules.isMissed(
                    callStatus: form.value("CallStatus"), dialCallStatus: form.value("DialCallStatus"),
                    direction: form.value("Direction"))
            else { return Self.emptyTwiML() }
            // A withheld or international caller ("anonymous", "+266696687") cannot be texted back.
            if let caller = form.value("From").flatMap({ try? PhoneNumber.parse($0) }) {
                let outcome = try await app.triggeredCampaigns.textBack(.init(callID: sid, from: caller, to: number))
                context.logger.info("Missed call \(sid): \(outcome)")
            } else {
                context.logger.info("Missed call \(sid) from a number that cannot be texted; no text-back.")
            }
            // As a `<Dial action>`, the answer is what the caller hears next: the account's
            // voicemail when it set one, else the end of the call (what an unanswered `<Dial>`
            // with nothing after it does anyway).
            if form.value("DialCallStatus") != nil,
                let voicemail = try await app.triggeredCampaigns.followOnURL(of: number.accountID)
            {
                return Self.twiML(#"<Redirect method="POST">\#(HTMLText.escape(voicemail))</Redirect>"#)
            }
            return Self.emptyTwiML()
        }
    }

    /// The account number a webhook is about, once its signature proved it came from Twilio.
    private func verifiedSender(
        _ form: SignedForm, request: Request, ourNumberField: String, logger: Logger
    ) async throws -> SenderNumber {
        let forbidden = HTTPFailure(
            code: .invalidSignature,
            message: "The X-Twilio-Signature header is missing or does not match this request.")
        guard let signature = request.headers[HTTPField.Name("X-Twilio-Signature")!], !signature.isEmpty else {
            throw forbidden
        }
        let ourNumber = form.value(ourNumberField).flatMap { try? PhoneNumber.parse($0) }
        let service = form.value("MessagingServiceSid").flatMap { $0.isEmpty ? nil : $0 }
        let accountSid = form.value("AccountSid").flatMap { $0.isEmpty ? nil : $0 }
        let key = WebhookNumberCache.Key(service: service, accountSid: accountSid, number: ourNumber?.e164)
        let resolved: WebhookNumberCache.Entry?
        if let cached = numbers.entry(for: key, at: app.clock.now()) {
            resolved = cached
        } else {
            let stored = try await app.database.read { sql -> SenderNumberStore.Stored? in
                let store = SenderNumberStore(sql)
                if let service, let found = try await store.byMessagingService(service, to: ourNumber) {
                    return found
                }
                if let accountSid, let ourNumber {
                    return try await store.byProviderAccount(accountSid, number: ourNumber)
                }
                return nil
            }
            resolved = stored.flatMap { stored in
                (try? app.senderNumbers.credentials(for: stored)).flatMap { credentials in
                    credentials.map { WebhookNumberCache.Entry(number: stored.number, authToken: $0.authToken) }
                }
            }
            if let resolved { numbers.store(resolved, for: key, at: app.clock.now()) }
        }
        guard let resolved else {
            logger.warning(
                "Twilio webhook for \(form.value(ourNumberField) ?? "?") (AccountSid \(accountSid ?? "?")) matches no number with credentials."
            )
            throw forbidden
        }
        let url = app.publicURL + request.uri.description
        guard TwilioSignature.isValid(signature, url: url, parameters: form.pairs, authToken: resolved.authToken)
        else {
            logger.warning("Twilio webhook with a signature that does not match \(url).")
            throw forbidden
        }
        return resolved.number
    }

    private func inboundText(_ form: SignedForm, sender: SenderNumber) throws -> InboundText {
        guard let sid = form.value("MessageSid") ?? form.value("SmsSid"), Self.isProviderID(sid) else {
            throw HTTPFailure(code: .invalidMessageSID, message: "MessageSid is missing.")
        }
        let from: PhoneNumber
        do {
            from = try PhoneNumber.parse(form.value("From") ?? "")
        } catch {
            throw HTTPFailure(
                code: .invalidFrom,
                message: "From is not a phone number: \(error.message)")
        }
        let declared = Int(form.value("NumMedia") ?? "0") ?? 0
        var media: [InboundText.Media] = []
        for index in 0..<min(max(declared, 0), Self.maximumMedia) {
            guard let url = form.value("MediaUrl\(index)"), url.hasPrefix("https://") || url.hasPrefix("http://"),
                url.count <= 2048
            else { continue }
            let type = form.value("MediaContentType\(index)") ?? "application/octet-stream"
            media.append(InboundText.Media(url: url, contentType: String(type.prefix(100))))
        }
        return InboundText(
            providerMessageID: sid, from: from, to: sender, body: form.value("Body") ?? "", media: media)
    }

    static func isProviderID(_ value: String) -> Bool {
        (2...64).contains(value.count) && value.allSatisfy { $0.isLetter || $0.isNumber }
    }

    static func emptyTwiML() -> Response {
        twiML("")
    }

    static func twiML(_ verbs: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/xml; charset=utf-8"],
            body: .init(
                byteBuffer: ByteBuffer(
                    string: #"<?xml version="1.0" encoding="UTF-8"?><Response>"# + verbs + "</Response>"))
        )
    }

}

/// A webhook's form body, kept as ordered pairs because the signature covers every one of them.
struct SignedForm {
    let pairs: [(name: String, value: String)]

    func value(_ name: String) -> String? {
        pairs.last { $0.name == name }?.value
    }

    static func read(_ request: Request, context: AppRequestContext) async throws -> SignedForm {
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/x-www-form-urlencoded") {
            throw HTTPFailure(
                code: .unsupportedMediaType,
                message: "Webhooks are form-encoded (application/x-www-form-urlencoded).")
        }
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        return SignedForm(pairs: FormEncoding.decode(String(buffer: buffer)))
    }
}

/// Webhook lookups of the account number and its opened auth token, kept for a few seconds: a burst
/// of texts to one number needs one lookup, and a changed token or removed number is seen within
/// `lifetime` on every server process.
final class WebhookNumberCache: Sendable {
    struct Key: Hashable {
        var service: String?
        var accountSid: String?
        var number: String?
    }

    struct Entry: Sendable {
        var number: SenderNumber
        var authToken: String
    }

    static let lifetime: TimeInterval = 10
    static let capacity = 1000

    private let entries = Mutex<[Key: (Entry, Date)]>([:])

    func entry(for key: Key, at now: Date) -> Entry? {
        entries.withLock { entries in
            guard let (entry, stored) = entries[key], now.timeIntervalSince(stored) < Self.lifetime else { return nil }
            return entry
        }
    }

    func store(_ entry: Entry, for key: Key, at now: Date) {
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = (entry, now)
        }
    }
}
