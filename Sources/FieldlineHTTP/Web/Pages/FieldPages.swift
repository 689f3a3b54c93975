import Fieldline
import FieldlineCore
import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore

/// The technician's phone-sized pages (TC6): my jobs today and ahead, then one job with its
/// address, crew, next step and the customer's thread. Works without JavaScript; with it,
/// `field.js` refreshes the list and the thread when the live socket says something changed and
/// sends replies without a page load.
struct FieldPages {
    let app: Fieldline
    let renderer: WebRenderer

    struct ListPage {
        var shell: Shell
        var list: ListModel
    }

    struct ListModel {
        var dayLabel: String
        var today: [Card]
        var hasToday: Bool
        var upcoming: [Card]
        var hasUpcoming: Bool
        var chatEnabled: Bool
        var unreadJobs: Int
        var hasUnreadJobs: Bool
    }

    struct Card {
        var href: String
        var number: Int
        var summary: String
        var customerName: String
        var address: String
        /// The visit's day, for visits after today.
        var visitDay: String?
        var when: String
        var window: String
        var visitStatus: StatusView
        var hasThread: Bool
        var unread: Int
        var hasUnread: Bool
    }

    struct JobPage {
        var shell: Shell
        var jobID: String
        var number: Int
        var summary: String
        var customerName: String
        var address: String
        var mapsURL: String
        /// Gate codes, pets, parking, and what the office knows about the customer.
        var locationNotes: String?
        var customerNotes: String?
        var hasNotes: Bool
        var when: String
        var window: String
        var visitStatus: StatusView
        /// The job's own state when it says more than the visit's (on hold, canceled, completed).
        var jobNote: String?
        var next: NextStepView?
        var assignmentID: String
        var crew: [CrewView]
        var phones: [PhoneLink]
        var hasPhones: Bool
        var thread: ThreadModel
    }

    struct CrewView {
        var name: String
        var photoURL: String
        var status: StatusView
        var isMe: Bool
    }

    struct PhoneLink {
        var display: String
        var tel: String
    }

    /// The chat part of a job page, also served alone for live refreshes.
    struct ThreadModel {
        var available: Bool
        /// Why the chat is not there: shown in its place.
        var reason: String
        var messages: [InboxPages.Bubble]
        var hasMessages: Bool
        var threadURL: String
        var replyURL: String
        var csrf: String
    }

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/field", use: showJobs)
        router.get("/field/list", use: jobList)
        router.get("/field/jobs/:id", use: showJob)
        router.get("/field/jobs/:id/thread", use: showThread)
        router.post("/field/jobs/:id/reply", use: reply)
    }

    /// My jobs today and ahead.
    @Sendable func showJobs(_ request: Request, context: AppRequestContext) async throws -> Response {
        try renderer.page(
            "field",
            ListPage(
                shell: try await renderer.shell(context, request: request, active: "field"),
                list: try await listModel(context)), request: request)
    }

    /// The list alone, for `field.js` to refresh it when the live socket says something changed.
    @Sendable func jobList(_ request: Request, context: AppRequestContext) async throws -> Response {
        try renderer.page("field_list", try await listModel(context), request: request)
    }

    /// One job: its address, crew, next step and the customer's thread (read on opening).
    @Sendable func showJob(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.id("id", as: JobID.self)
        let actor = try context.actor()
        let detail = try await app.field.job(id, by: actor)
        let thread = try await threadModel(id, read: true, context: context)
        let text = try context.timeText()
        let card = detail.card
        let address = card.location.address.oneLine
        return try renderer.page(
            "field_job",
            JobPage(
                shell: try await renderer.shell(context, request: request, active: "field"),
                jobID: id.rawValue, number: card.job.number, summary: card.job.summary,
                customerName: card.customerName, address: address,
                mapsURL: "https://www.openstreetmap.org/search?query=\(InboxPages.encode(address))",
                locationNotes: card.location.notes, customerNotes: card.customerNotes,
                hasNotes: card.location.notes != nil || card.customerNotes != nil,
                when: text.range(card.appointment.startsAt, card.appointment.endsAt),
                window:
                    "\(text.time(card.appointment.arrivalWindow.start)) – \(text.time(card.appointment.arrivalWindow.end))",
                visitStatus: StatusView(card.assignment.status),
                jobNote: [.hold, .canceled, .completed].contains(card.job.status) ? card.job.status.label : nil,
                next: NextStepView.available(to: actor, for: card.assignment, jobStatus: card.job.status),
                assignmentID: card.assignment.id.rawValue,
                crew: detail.crew.map {
                    CrewView(
                        name: $0.technician.name,
                        photoURL: $0.technician.photoURL ?? Avatar.path(for: $0.technician.id),
                        status: StatusView($0.status), isMe: $0.technician.id == actor.technicianID)
                },
                phones: detail.customerPhones.map { PhoneLink(display: $0.displayed, tel: $0.e164) },
                hasPhones: !detail.customerPhones.isEmpty,
                thread: thread), request: request)
    }

    /// The job's thread alone, for live refreshes; `?read=1` marks it read.
    @Sendable func showThread(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.id("id", as: JobID.self)
        let read = request.query["read"] == "1"
        return try renderer.page(
            "field_thread", try await threadModel(id, read: read, context: context), request: request)
    }

    /// The technician's answer in the job's thread: no content for the page's script, else back to the chat.
    @Sendable func reply(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: JobID.self)
        _ = try await app.field.reply(toJob: id, body: form["body"], by: try context.actor())
        if request.wantsJSON { return Response(status: .noContent) }
        return renderer.redirect(to: "/field/jobs/\(id)#chat")
    }

    private func listModel(_ context: AppRequestContext) async throws -> ListModel {
        let actor = try context.actor()
        let jobs = try await app.field.myJobs(by: actor)
        let text = TimeText(timeZoneIdentifier: jobs.timeZone)
        let now = app.clock.now()
        let card = { (card: Field.JobCard, showDay: Bool) -> Card in
            let start = card.appointment.startsAt
            return Card(
                href: "/field/jobs/\(card.job.id)", number: card.job.number, summary: card.job.summary,
                customerName: card.customerName, address: card.location.address.oneLine,
                visitDay: showDay ? text.day(start) : nil, when: text.time(start),
                window:
                    "Arrive \(text.time(card.appointment.arrivalWindow.start))–\(text.time(card.appointment.arrivalWindow.end))",
                visitStatus: StatusView(card.assignment.status), hasThread: card.thread != nil,
                unread: card.thread?.unread ?? 0, hasUnread: (card.thread?.unread ?? 0) > 0)
        }
        let today = jobs.today.map { card($0, false) }
        let upcoming = jobs.upcoming.map { card($0, true) }
        return ListModel(
            dayLabel: text.longDay(now), today: today, hasToday: !today.isEmpty, upcoming: upcoming,
            hasUpcoming: !upcoming.isEmpty, chatEnabled: jobs.chatEnabled,
            unreadJobs: (today + upcoming).filter(\.hasUnread).count,
            hasUnreadJobs: (today + upcoming).contains(where: \.hasUnread))
    }

    private func threadModel(_ id: JobID, read: Bool, context: AppRequestContext) async throws -> ThreadModel {
        let actor = try context.actor()
        let detail = try await app.field.job(id, by: actor)
        var thread: Field.Thread?
        if detail.chat == .granted {
            if read {
                do {
                    _ = try await app.field.markRead(ofJob: id, by: actor)
                } catch FieldlineError.conflict(code: .noOpenThread, message: _) {
                    // The thread can close between the two reads; then there is nothing to mark.
                }
            }
            thread = try await app.field.thread(ofJob: id, by: actor)
        }
        let text = try context.timeText()
        let now = app.clock.now()
        let inbox = InboxPages(app: app, renderer: renderer)
        let messages = thread?.entries.map { inbox.bubble($0, text: text, now: now) } ?? []
        let reason: String =
            switch detail.chat {
            case .granted: ""
            case .missingPermissions:
                "Customer chat is off for you. An admin can turn it on under Technicians (both chat permissions)."
            case .notAssigned: "You are not on this job."
            case .noThread:
                "No conversation with the customer on this job yet. The office starts it; you can answer once it is open."
            case .closed: "The office closed the conversation with the customer. It comes back here if they reopen it."
            }
        return ThreadModel(
            available: thread != nil, reason: thread == nil && reason.isEmpty ? "No open conversation." : reason,
            messages: messages, hasMessages: !messages.isEmpty, threadURL: "/field/jobs/\(id)/thread",
            replyURL: "/field/jobs/\(id)/reply", csrf: context.auth?.csrfToken ?? "")
    }
}
