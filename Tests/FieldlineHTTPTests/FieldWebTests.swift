import Fieldline
import FieldlineCore
import FieldlineHTTP
import FieldlineTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The technician's phone pages, driven through the real router as the browser drives them.
@Suite("The technician's pages: my jobs, a job with its chat, replies")
struct FieldWebTests {
    @Test(
        "A technician lands on their jobs, sees the unread mark, reads the thread and replies",
        arguments: TestEngine.available)
    func technicianPages(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let number = try await world.addMainNumber(twilio: nil)
            let job = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
            _ = try await app.technicians.update(
                world.technician.id, .init(canViewChats: true, canReplyChats: true), by: world.admin)
            let (conversation, _) = try await app.inbox.start(
                phone: "5125550142", jobID: job.id, body: "Hi Robert, Luis comes at 9.", by: world.dispatcher)
            _ = try await world.textIn(from: "5125550142", body: "Gate code is 4411", to: number)

            let session = try await WebTests.signIn(client, email: "luis@northside.test", expecting: "/field")
            let home = try await client.execute(uri: "/", method: .get, headers: [.cookie: session.cookie])
            #expect(home.headers[.location] == "/field")
            let list = try await InboxWebTests.get(client, "/field", session)
            #expect(list.status == .ok)
            #expect(list.text.contains("Robert Castellanos") && list.text.contains("Water heater leaking"))
            #expect(list.text.contains("data-unread-dot") && list.text.contains("1 with unread texts"))
            #expect(list.text.contains(">My jobs</a>") && !list.text.contains("href=\"/inbox\""))

            let page = try await InboxWebTests.get(client, "/field/jobs/\(job.id)", session)
            #expect(page.status == .ok)
            #expect(page.text.contains("Gate code is 4411") && page.text.contains("418 Birchwood Ln"))
            #expect(page.text.contains("data-field-composer") && page.text.contains("tel:+15125550142"))
            // Opening the job read the thread: the mark is gone from the list.
            #expect(!(try await InboxWebTests.get(client, "/field/list", session)).text.contains("data-unread-dot"))

            let sent = try await InboxWebTests.postForJSON(
                client, "/field/jobs/\(job.id)/reply", session, "body=On+my+way%2C+15+minutes")
            #expect(sent.status == .noContent)
            let tooLong = try await InboxWebTests.postForJSON(
                client, "/field/jobs/\(job.id)/reply", session, "body=\(String(repeating: "a", count: 161))")
            #expect(tooLong.status == .unprocessableContent)
            #expect(try tooLong.errorCode() == "invalid_body")
            let forged = try await client.execute(
                uri: "/field/jobs/\(job.id)/reply", method: .post,
                headers: [.cookie: session.cookie, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "_csrf=wrong&body=Hi"))
            #expect(forged.status == .forbidden)

            let thread = try await InboxWebTests.get(client, "/field/jobs/\(job.id)/thread", session)
            #expect(thread.text.contains("On my way, 15 minutes") && thread.text.contains("Luis Romero"))
            let office = try await app.inbox.messages(of: conversation.id, by: world.dispatcher)
            #expect(office.map(\.message.body).filter { $0 == "On my way, 15 minutes" }.count == 1)

            // Closed in the office: the chat gives way to a plain explanation.
            _ = try await app.inbox.close(conversation.id, by: world.dispatcher)
            let closed = try await InboxWebTests.get(client, "/field/jobs/\(job.id)", session)
            #expect(!closed.text.contains("Gate code is 4411") && closed.text.contains("The office closed"))
            #expect(!closed.text.contains("data-field-composer"))
        }
    }

    @Test("Office users are not technicians; technicians cannot open others' jobs", arguments: [TestEngine.sqlite])
    func access(engine: TestEngine) async throws {
        try await withServer(engine) { _, world, client in
            let theirs = try await world.bookJob(hoursFromNow: 1, technicians: [world.secondTechnician.id])
            let office = try await WebTests.signIn(client, email: "dispatch@northside.test", expecting: "/inbox")
            let refused = try await InboxWebTests.get(client, "/field", office)
            #expect(refused.status == .forbidden && refused.text.contains("technician"))
            #expect(!(try await InboxWebTests.get(client, "/today", office)).text.contains(">My jobs</a>"))

            let luis = try await WebTests.signIn(client, email: "luis@northside.test", expecting: "/field")
            #expect((try await InboxWebTests.get(client, "/field/jobs/\(theirs.id)", luis)).status == .notFound)
            let empty = try await InboxWebTests.get(client, "/field", luis)
            #expect(empty.text.contains("No visits today") && empty.text.contains("Customer chat is off for you"))
        }
    }
}
