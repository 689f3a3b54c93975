import Fieldline
import FieldlineCore
import FieldlineHTTP
import FieldlineTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("The technician API")
struct FieldAPITests {
    /// Both chat switches on for the world's technician, through the admin API.
    static func enableChat(
        _ world: TestWorld, client: any TestClientProtocol, view: Bool = true, reply: Bool = true
    )
        async throws
    {
        let admin = try await client.token()
        let response = try await client.api(
            .patch, "/technicians/\(world.technician.id)", token: admin,
            json: #"{"canViewChats":\#(view),"canReplyChats":\#(reply)}"#)
        #expect(response.status == .ok)
    }

    @Test(
        "A technician lists today's jobs with the unread count, reads the thread, replies and marks it read",
        arguments: TestEngine.available)
    func technicianFlow(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, fake, number, client in
            let job = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
            let (conversation, _) = try await app.inbox.start(
                phone: "5125550142", jobID: job.id, body: "Hi Robert, Luis comes today.", by: world.dispatcher)
            _ = try await world.textIn(from: "5125550142", body: "The side door is open", to: number)
            try await Self.enableChat(world, client: client)
            let token = try await client.token(email: "luis@northside.test")

            let jobs = try await client.api(.get, "/my/jobs", token: token)
            #expect(jobs.status == .ok)
            let today = try #require(try jobs.json()["today"] as? [[String: Any]])
            #expect(today.count == 1 && today.first?["id"] as? String == job.id.rawValue)
            let summary = try #require(today.first?["thread"] as? [String: Any])
            #expect(summary["unread"] as? Int == 1 && summary["conversationId"] as? String == conversation.id.rawValue)
            #expect((today.first?["location"] as? [String: Any])?["street"] as? String == "418 Birchwood Ln")

            let detail = try await client.api(.get, "/my/jobs/\(job.id)", token: token).json()
            #expect(detail["chat"] as? String == "granted")
            #expect((detail["crew"] as? [[String: Any]])?.first?["name"] as? String == "Luis Romero")

            let thread = try await client.api(.get, "/my/jobs/\(job.id)/thread", token: token).json()
            #expect((thread["items"] as? [[String: Any]])?.count == 2 && thread["unread"] as? Int == 1)
            let read = try await client.api(.post, "/my/jobs/\(job.id)/thread/read", token: token)
            #expect(read.status == .ok)
            #expect(try read.json()["unread"] as? Int == 0)

            let reply = try await client.api(
                .post, "/my/jobs/\(job.id)/thread/messages", token: token, json: #"{"body":"On my way, 15 min"}"#)
            #expect(reply.status == .created)
            let author = try #require(try reply.json()["author"] as? [String: Any])
            #expect(author["kind"] as? String == "technician" && author["name"] as? String == "Luis Romero")
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.last?.body == "On my way, 15 min")

            // The office sees the technician's reply in the same thread.
            let office = try await client.token(email: "dispatch@northside.test")
            let messages = try await client.api(.get, "/conversations/\(conversation.id)/messages", token: office)
                .json()
            let last = try #require((messages["items"] as? [[String: Any]])?.last)
            #expect((last["author"] as? [String: Any])?["kind"] as? String == "technician")
        }
    }

    @Test("Each rule answers its own clear 4xx", arguments: TestEngine.available)
    func rules(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, _, _, client in
            let mine = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
            let notMine = try await world.bookJob(hoursFromNow: 2, technicians: [world.secondTechnician.id])
            let token = try await client.token(email: "luis@northside.test")

            // TC5: chat off (the default) answers 403 on the thread; the job itself is still there.
            #expect(
                try await client.api(.get, "/my/jobs/\(mine.id)", token: token).json()["chat"] as? String
                    == "chat_not_enabled")
            let off = try await client.api(.get, "/my/jobs/\(mine.id)/thread", token: token)
            #expect(off.status == .forbidden)
            #expect(try off.errorCode() == "chat_not_enabled")

            try await Self.enableChat(world, client: client, view: true, reply: false)
            let viewOnly = try await client.api(
                .post, "/my/jobs/\(mine.id)/thread/messages", token: token, json: #"{"body":"Hi"}"#)
            #expect(viewOnly.status == .forbidden)
            #expect(try viewOnly.errorCode() == "chat_not_enabled")
            try await Self.enableChat(world, client: client)

            // TC2: no thread on the job: nothing to read, and a reply cannot start one.
            let none = try await client.api(.get, "/my/jobs/\(mine.id)/thread", token: token)
            #expect(none.status == .ok)
            #expect(try none.json()["conversationId"] == nil)
            let start = try await client.api(
                .post, "/my/jobs/\(mine.id)/thread/messages", token: token, json: #"{"body":"Hi, it's Luis"}"#)
            #expect(start.status == .conflict)
            #expect(try start.errorCode() == "no_open_thread")

            // TC4: closed in the office, gone from the field; reopened, back.
            let (conversation, _) = try await app.inbox.start(
                phone: "5125550142", jobID: mine.id, body: "Hello", by: world.dispatcher)
            _ = try await app.inbox.close(conversation.id, by: world.dispatcher)
            let closed = try await client.api(.get, "/my/jobs/\(mine.id)/thread", token: token).json()
            #expect(closed["conversationId"] == nil && (closed["items"] as? [Any])?.isEmpty == true)
            let jobs = try await client.api(.get, "/my/jobs", token: token).json()
            #expect((jobs["today"] as? [[String: Any]])?.first?["thread"] == nil)
            _ = try await app.inbox.reopen(conversation.id, by: world.dispatcher)
            let reopened = try await client.api(.get, "/my/jobs/\(mine.id)/thread", token: token).json()
            #expect(reopened["conversationId"] as? String == conversation.id.rawValue)

            let cases: [(HTTPRequest.Method, String, String?, HTTPResponse.Status, String)] = [
                (.get, "/my/jobs/\(notMine.id)", nil, .notFound, "job_not_found"),
                (.get, "/my/jobs/\(notMine.id)/thread", nil, .notFound, "job_not_found"),
                (.post, "/my/jobs/\(notMine.id)/thread/messages", #"{"body":"Hi"}"#, .notFound, "job_not_found"),
                (.post, "/my/jobs/\(notMine.id)/thread/read", nil, .notFound, "job_not_found"),
                (.get, "/my/jobs/nope", nil, .notFound, "job_not_found"),
                (
                    .post, "/my/jobs/\(mine.id)/thread/messages",
                    #"{"body":"\#(String(repeating: "a", count: 161))"}"#, .unprocessableContent, "invalid_body"
                ),
                (
                    .post, "/my/jobs/\(mine.id)/thread/messages", #"{"body":"Photo","attachments":["x"]}"#,
                    .unprocessableContent, "invalid_attachments"
                ),
                (.post, "/my/jobs/\(mine.id)/thread/messages", "{nope", .badRequest, "invalid_json"),
                (.post, "/my/positions", #"{"latitude":95,"longitude":0}"#, .unprocessableContent, "invalid_latitude"),
                (.post, "/my/positions", #"{"latitude":30}"#, .unprocessableContent, "invalid_longitude"),
                (
                    .post, "/my/positions", #"{"latitude":30,"longitude":-97,"recordedAt":"soon"}"#,
                    .unprocessableContent, "invalid_recorded_at"
                ),
                (.post, "/my/positions", #"{"latitude":"north","longitude":-97}"#, .badRequest, "invalid_field_type"),
                (.get, "/conversations", nil, .forbidden, "forbidden"),
            ]
            for (method, path, body, status, code) in cases {
                let response = try await client.api(method, path, token: token, json: body)
                #expect(response.status == status, "\(method) \(path): \(response.text)")
                #expect(try response.errorCode() == code, "\(method) \(path): \(response.text)")
            }

            let position = try await client.api(
                .post, "/my/positions", token: token,
                json: #"{"latitude":30.2672,"longitude":-97.7431,"accuracyMeters":9.5}"#)
            #expect(position.status == .created)
            #expect(try position.json()["latitude"] as? Double == 30.2672)

            // Office users have the inbox, not the field view.
            let office = try await client.token(email: "dispatch@northside.test")
            let refused = try await client.api(.get, "/my/jobs", token: office)
            #expect(refused.status == .forbidden)
            #expect(try refused.errorCode() == "technicians_only")
        }
    }

    @Test("Another account's technician never reaches this account's job or thread", arguments: TestEngine.available)
    func otherAccount(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, _, _, client in
            let job = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
            _ = try await app.inbox.start(phone: "5125550142", jobID: job.id, body: "Hello", by: world.dispatcher)
            let other = try await TestWorld.make(app, name: "Southside HVAC", emailDomain: "southside.test")
            _ = try await app.technicians.update(
                other.technician.id, .init(canViewChats: true, canReplyChats: true), by: other.admin)
            let token = try await client.token(email: "luis@southside.test")
            for (method, path) in [
                (HTTPRequest.Method.get, "/my/jobs/\(job.id)"), (.get, "/my/jobs/\(job.id)/thread"),
                (.post, "/my/jobs/\(job.id)/thread/read"),
            ] {
                let response = try await client.api(method, path, token: token)
                #expect(response.status == .notFound, "\(path)")
            }
            let reply = try await client.api(
                .post, "/my/jobs/\(job.id)/thread/messages", token: token, json: #"{"body":"Hi"}"#)
            #expect(reply.status == .notFound)
            #expect(try await client.api(.get, "/my/jobs", token: token).json()["today"] as? [Any] != nil)
        }
    }
}
