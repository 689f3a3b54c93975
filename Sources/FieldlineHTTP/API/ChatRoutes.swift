import Fieldline
import FieldlineCore
import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore

extension APIRoutes {
    /// The shared inbox (CH2–CH19) and the dispatch board feed (FS7).
    static func conversations(_ app: Fieldline) -> [APIRoute] {
        [
            APIRoute(.get, "/conversations") { request, context in
                let paging = try Paging(
                    limit: try request.query.int("limit"), offset: try request.query.int("offset"))
                let status: ConversationStatus =
                    try request.query["status"].map { raw in
                        guard let status = ConversationStatus(rawValue: String(raw)) else {
                            throw FieldlineError.invalid(field: "status", message: "status must be open or closed.")
                        }
                        return status
                    } ?? .open
                let items = try await app.inbox.list(
                    status: status, query: request.query["q"], paging: paging,
                    by: try context.actor())
                return try APIResponse.json(
                    ListJSON(items: items.map(ConversationJSON.init), limit: paging.limit, offset: paging.offset))
            },
            APIRoute(.post, "/conversations") { request, context in
                let body = try await request.decodeJSON(StartConversationRequest.self, context: context)
                let (conversation, message) = try await app.inbox.start(
                    phone: body.phone, jobID: try body.jobId.map { try Self.id($0, JobID.self, field: "jobId") },
                    locationID: try body.locationId.map { try Self.id($0, LocationID.self, field: "locationId") },
                    body: body.body, by: try context.actor())
                return try APIResponse.json(
                    StartedConversationJSON(
                        conversation: ConversationJSON(conversation), message: MessageJSON(message)),
                    status: .created)
            },
            APIRoute(.get, "/conversations/unread-count") { _, context in
                try APIResponse.json(UnreadCountJSON(unread: try await app.inbox.unreadCount(by: try context.actor())))
            },
            APIRoute(.get, "/conversations/{conversationId}") { _, context in
                let id = try context.parameters.id("conversationId", as: ConversationID.self)
                return try APIResponse.json(
                    ConversationDetailJSON(try await app.inbox.detail(id, by: try context.actor())))
            },
            APIRoute(.get, "/conversations/{conversationId}/messages") { request, context in
                let id = try context.parameters.id("conversationId", as: ConversationID.self)
                let limit = try request.query.int("limit") ?? 50
                guard (1...200).contains(limit) else {
                    throw FieldlineError.invalid(field: "limit", message: "limit is between 1 and 200.")
                }
                let before = try request.query["before"].map { raw in
                    guard let date = JSONCoding.parseDate(raw) else {
                        throw FieldlineError.invalid(
                            field: "before", message: "before is an ISO 8601 time such as 2026-11-23T09:00:00Z.")
                    }
                    return date
                }
                let entries = try await app.inbox.messages(
                    of: id, before: before, limit: limit, by: try context.actor())
                return try APIResponse.json(MessagePageJSON(items: entries.map(MessageJSON.init), limit: limit))
            },
            APIRoute(.post, "/conversations/{conversationId}/messages") { request, context in
                let id = try context.parameters.id("conversationId", as: ConversationID.self)
                let body = try await request.decodeJSON(ReplyRequest.self, context: context)
                let message = try await app.inbox.reply(
                    to: id, body: body.body, attachmentCount: body.attachments?.count ?? 0, by: try context.actor())
                return try APIResponse.json(MessageJSON(message), status: .created)
            },
            conversationAction("read") { id, actor in try await app.inbox.markRead(id, by: actor) },
            conversationAction("unread") { id, actor in try await app.inbox.markUnread(id, by: actor) },
            conversationAction("close") { id, actor in try await app.inbox.close(id, by: actor) },
            conversationAction("reopen") { id, actor in try await app.inbox.reopen(id, by: actor) },
            conversationAction("block") { id, actor in try await app.inbox.block(id, by: actor) },
            APIRoute(.post, "/conversations/{conversationId}/wrong-number") { _, context in
                let id = try context.parameters.id("conversationId", as: ConversationID.self)
                try await app.inbox.removeWrongNumber(id, by: try context.actor())
                return APIResponse.noContent()
            },
            APIRoute(.post, "/conversations/{conversationId}/attach") { request, context in
                let id = try context.parameters.id("conversationId", as: ConversationID.self)
                let body = try await request.decodeJSON(AttachRequest.self, context: context)
                guard let customerId = body.customerId else {
                    throw FieldlineError.invalid(field: "customerId", message: "customerId is required.")
                }
                let detail = try await app.inbox.attach(
                    id, to: try Self.id(customerId, CustomerID.self, field: "customerId"), by: try context.actor())
                return try APIResponse.json(ConversationDetailJSON(detail))
            },
            APIRoute(.post, "/conversations/{conversationId}/customer") { request, context in
                let id = try context.parameters.id("conversationId", as: ConversationID.self)
                let body = try await request.decodeJSON(CustomerFromConversationRequest.self, context: context)
                let detail = try await app.inbox.createCustomer(
                    from: id, name: body.name, location: body.location?.newLocation, by: try context.actor())
                return try APIResponse.json(ConversationDetailJSON(detail), status: .created)
            },
            APIRoute(.post, "/messages/{messageId}/resend") { _, context in
                let id = try context.parameters.id("messageId", as: MessageID.self)
                return try APIResponse.json(
                    MessageJSON(try await app.inbox.resend(id, by: try context.actor())), status: .created)
            },
            APIRoute(.get, "/media/{mediaId}") { _, context in
                let id = try context.parameters.id("mediaId", as: MediaID.self)
                let (media, data) = try await app.inbox.media(id, by: try context.actor())
                return Response(
                    status: .ok,
                    headers: [
                        .contentType: MediaContent.safeType(media.contentType), .cacheControl: "private, max-age=3600",
                        .contentDisposition: "inline",
                    ],
                    body: .init(byteBuffer: ByteBuffer(bytes: data)))
            },
            APIRoute(.get, "/jobs/{jobId}/messages") { _, context in
                let id = try context.parameters.id("jobId", as: JobID.self)
                let entries = try await app.inbox.jobMessages(id, by: try context.actor())
                return try APIResponse.json(MessagePageJSON(items: entries.map(MessageJSON.init), limit: entries.count))
            },
            APIRoute(.get, "/chat-history") { request, context in
                let history = try await app.inbox.history(
                    of: request.query["phone"], by: try context.actor())
                return try APIResponse.json(
                    ChatHistoryJSON(
                        phone: history.phone.e164, hasConversation: history.hasConversation,
                        conversationId: history.conversationID?.rawValue, lastMessageAt: history.lastMessageAt))
            },
            APIRoute(.get, "/dispatch-board") { request, context in
                let paging = try Paging(
                    limit: try request.query.int("limit"), offset: try request.query.int("offset"))
                let entries = try await app.inbox.dispatchBoard(paging: paging, by: try context.actor())
                return try APIResponse.json(
                    ListJSON(items: entries.map(MessageJSON.init), limit: paging.limit, offset: paging.offset))
            },
        ]
    }

    /// The account's own numbers (CH1) and blocked numbers (CH15).
    static func messaging(_ app: Fieldline) -> [APIRoute] {
        [
            APIRoute(.get, "/phone-numbers") { _, context in
                let numbers = try await app.senderNumbers.all(by: try context.actor())
                return try APIResponse.json(
                    ListJSON(items: numbers.map(SenderNumberJSON.init), limit: numbers.count, offset: 0))
            },
            APIRoute(.post, "/phone-numbers") { request, context in
                let body = try await request.decodeJSON(SenderNumberInput.self, context: context)
                let number = try await app.senderNumbers.add(body.input, by: try context.actor())
                return try APIResponse.json(SenderNumberJSON(number), status: .created)
            },
            APIRoute(.get, "/phone-numbers/{numberId}") { _, context in
                let id = try context.parameters.id("numberId", as: SenderNumberID.self)
                return try APIResponse.json(
                    SenderNumberJSON(try await app.senderNumbers.find(id, by: try context.actor())))
            },
            APIRoute(.patch, "/phone-numbers/{numberId}") { request, context in
                let id = try context.parameters.id("numberId", as: SenderNumberID.self)
                let body = try await request.decodeJSON(SenderNumberInput.self, context: context)
                return try APIResponse.json(
                    SenderNumberJSON(try await app.senderNumbers.update(id, body.input, by: try context.actor())))
            },
            APIRoute(.delete, "/phone-numbers/{numberId}") { _, context in
                let id = try context.parameters.id("numberId", as: SenderNumberID.self)
                try await app.senderNumbers.remove(id, by: try context.actor())
                return APIResponse.noContent()
            },
            APIRoute(.get, "/blocked-numbers") { _, context in
                let blocked = try await app.inbox.blockedNumbers(by: try context.actor())
                return try APIResponse.json(
                    ListJSON(
                        items: blocked.map {
                            BlockedNumberJSON(
                                phone: $0.phone.e164, phoneDisplay: $0.phone.displayed, blockedBy: $0.blockedBy,
                                blockedAt: $0.blockedAt)
                        }, limit: blocked.count, offset: 0))
            },
            APIRoute(.delete, "/blocked-numbers/{phone}") { _, context in
                guard let phone = context.parameters.get("phone"), phone.count <= 40 else {
                    throw HTTPFailure(code: .invalidId, message: "The phone in the path is malformed.")
                }
                try await app.inbox.unblock(phone.removingPercentEncoding ?? phone, by: try context.actor())
                return APIResponse.noContent()
            },
        ]
    }

    private static func conversationAction(
        _ name: String, _ action: @escaping @Sendable (ConversationID, Actor) async throws -> Conversation
    ) -> APIRoute {
        APIRoute(.post, "/conversations/{conversationId}/\(name)") { _, context in
            let id = try context.parameters.id("conversationId", as: ConversationID.self)
            return try APIResponse.json(ConversationJSON(try await action(id, try context.actor())))
        }
    }

    /// An id given in a body: opaque, so only its length is checked.
    static func id<Entity>(_ raw: String, _: Identifier<Entity>.Type, field: String) throws -> Identifier<Entity> {
        guard !raw.isEmpty, raw.count <= 64 else {
            throw FieldlineError.invalid(field: field, message: "\(field) is not a valid id.")
        }
        return Identifier(raw)
    }
}

/// Customer media is served back only as the kinds of files a phone sends, never as something a
/// browser would run.
enum MediaContent {
    static func safeType(_ declared: String) -> String {
        let type = declared.lowercased().split(separator: ";").first.map(String.init) ?? ""
        let allowed = ["image/", "video/", "audio/"]
        guard allowed.contains(where: { type.hasPrefix($0) }), !type.contains("svg") else {
            return "application/octet-stream"
        }
        return type
    }
}
