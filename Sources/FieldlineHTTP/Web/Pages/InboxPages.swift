import Fieldline
import FieldlineCore
import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore

/// The shared inbox (CH2–CH19): the Open and Closed tabs, a conversation with its thread and
/// composer, and the customer panel with up to five jobs. The page works without JavaScript;
/// with it, `inbox.js` swaps in fresh parts (`/inbox/list`, `/inbox/c/{id}/parts`) when the live
/// socket says something changed, and sends replies without a page load.
struct InboxPages {
    let app: Fieldline
    let renderer: WebRenderer

    // MARK: Models

    struct PageModel {
        var shell: Shell
        var list: ListModel
        var conversation: ConversationView?
        var hasConversation: Bool
    }

    struct ListModel {
        var status: String
        var isOpenTab: Bool
        var query: String
        var items: [ListItem]
        var hasItems: Bool
        var emptyTitle: String
        var emptyText: String
        var selectedID: String
        var listURL: String
    }

    struct ListItem {
        var id: String
        var href: String
        var title: String
        var isUnknown: Bool
        var phone: String
        var preview: String
        var time: String
        var state: String
        var isUnread: Bool
        var isAnswered: Bool
        var stateLabel: String
        var initials: String
        var tone: Int
        var selected: Bool
    }

    struct ConversationView {
        var id: String
        var title: String
        var isUnknown: Bool
        var phoneDisplay: String
        var phone: String
        var isOpen: Bool
        var isUnread: Bool
        var canWrite: Bool
        var canSend: Bool
        var optedOut: Bool
        var blocked: Bool
        var marketingLabel: String
        var senderLine: String?
        var messages: [Bubble]
        var hasMessages: Bool
        var partsURL: String
        /// `/inbox/c/{id}`: form actions inside loops reach it without clashing with their own `id`.
        var base: String
        var csrf: String
        var panel: PanelView
        var jobChoices: [JobPages.Choice]
        var hasJobChoices: Bool
    }

    /// One message in a thread. The optional fields have names no page model around a thread
    /// uses: a missing value in Mustache falls through to the enclosing context, where a job's
    /// `status` would otherwise show up under a customer's text.
    /// What a text shows once the account's retention removed its words and pictures (OP3).
    static let redactedBody = "(Removed: older than the business keeps texts.)"

    struct Bubble {
        var id: String
        var side: String
        var body: String
        var hasBody: Bool
        var time: String
        var author: String
        var authorNote: String?
        var authorPhotoURL: String?
        var deliveryStatus: String?
        var statusTone: String
        var deliveryError: String?
        var resendable: Bool
        var media: [MediaView]
        var hasMedia: Bool
        var segmentNote: String?
    }

    struct MediaView {
        var id: String
        var url: String
        var isImage: Bool
        var isVideo: Bool
        var isStored: Bool
        var note: String?
    }

    struct PanelView {
        var known: Bool
        var conversationID: String
        var customerID: String
        var customerName: String
        var customerInitials: String
        var notes: String?
        var canOpenCustomer: Bool
        var locations: [LocationView]
        var phones: [PhoneView]
        var jobs: [JobCard]
        var hasJobs: Bool
        var canManageJobs: Bool
        var canEditCustomers: Bool
        var bookLocations: [JobPages.Choice]
        var bookStart: String
        var bookEnd: String
        var attachQuery: String
        var attachResults: [JobPages.Choice]
        var searchedCustomers: Bool
        var hasAttachResults: Bool
    }

    struct JobCard {
        var id: String
        var number: Int
        var summary: String
        var status: StatusView
        var when: String
        var place: String?
        var upcoming: Bool
        var appointmentID: String?
        var startsInput: String
        var endsInput: String
        var canChange: Bool
    }

    struct ComposeModel {
        var shell: Shell
        var phone: String
        var phoneDisplay: String
        var customerName: String
        var jobID: String?
        var jobLine: String?
        var locationID: String?
        var existing: [Bubble]
        var hasExisting: Bool
        var conversationURL: String?
        var optedOut: Bool
    }

    /// What a conversation's buttons do, each posted to `/inbox/c/{id}/{rawValue}`.
    enum ConversationAction: String, CaseIterable, Sendable {
        case close, reopen, unread, block

        /// The flash once it is done.
        var done: String {
            switch self {
            case .close: "Conversation closed."
            case .reopen: "Conversation reopened."
            case .unread: "Marked as unread."
            case .block: "Number blocked as spam; its texts no longer reach the inbox."
            }
        }
    }

    // MARK: Routes

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/inbox", use: showInbox)
        router.get("/inbox/list", use: showList)
        router.get("/inbox/c/:id/parts", use: showConversationParts)
        router.get("/inbox/compose", use: showCompose)
        router.post("/inbox/start", use: startConversation)
        router.post("/inbox/c/:id/reply", use: reply)
        for action in ConversationAction.allCases {
            router.post(RouterPath(stringLiteral: "/inbox/c/:id/\(action.rawValue)")) { request, context in
                try await self.apply(action, request: request, context: context)
            }
        }
        router.post("/inbox/c/:id/wrong-number", use: removeWrongNumber)
        router.post("/inbox/c/:id/attach", use: attachNumber)
        router.post("/inbox/c/:id/customer", use: createCustomer)
        router.post("/inbox/messages/:id/resend", use: resendMessage)
        router.post("/inbox/media/:id/attach", use: attachMediaToJob)
        router.get("/media/:id", use: serveMedia)
        router.post("/inbox/c/:id/jobs", use: bookJob)
        router.post("/inbox/c/:id/appointments/:appointment/reschedule", use: rescheduleVisit)
        router.post("/inbox/c/:id/jobs/:job/cancel", use: cancelJob)
    }

    // MARK: Handlers

    /// The inbox: a tab (`?status=`), a search (`?q=`) and the open conversation (`?c=`).
    @Sendable func showInbox(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let status = Self.status(request)
        let query = request.query["q"].map { String($0.prefix(100)) } ?? ""
        var selected = request.query["c"].map { ConversationID($0) }
        if let id = selected {
            // Opening a conversation reads it, for everyone (CH4). A link to one that does not exist
            // (or is another account's) opens the inbox without it.
            do {
                _ = try await app.inbox.markRead(id, by: actor)
            } catch FieldlineError.notFound(_, _) {
                selected = nil
            }
        }
        let list = try await listModel(status: status, query: query, selected: selected, context: context)
        var conversation: ConversationView?
        if let selected {
            conversation = try await conversationView(
                selected, attachQuery: request.query["attach"],
                request: request, context: context)
        }
        return try renderer.page(
            "inbox",
            PageModel(
                shell: try await renderer.shell(context, request: request, active: "inbox"), list: list,
                conversation: conversation, hasConversation: conversation != nil), request: request)
    }

    /// The list alone, for the live refresh.
    @Sendable func showList(_ request: Request, context: AppRequestContext) async throws -> Response {
        let list = try await listModel(
            status: Self.status(request),
            query: request.query["q"].map { String($0.prefix(100)) } ?? "",
            selected: request.query["c"].map { ConversationID($0) }, context: context)
        return try renderer.page("inbox_list", list, request: request)
    }

    /// A conversation's thread and panel alone, for the live refresh; `?read=1` reads it too.
    @Sendable func showConversationParts(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.id("id", as: ConversationID.self)
        let actor = try context.actor()
        if request.query["read"] == "1" {
            do {
                _ = try await app.inbox.markRead(id, by: actor)
            } catch FieldlineError.notFound(_, _) {
                // Nothing to read: the view below answers with the same not found.
            }
        }
        // The page's own customer search (`attach`), so a live refresh re-renders the same panel.
        let view = try await conversationView(
            id, attachQuery: request.query["attach"], request: request, context: context)
        return try renderer.page("inbox_parts", view, request: request)
    }

    /// CH8: text any stored number, tied to the job (or the location's next job) it was opened from.
    @Sendable func showCompose(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let phone = try PhoneNumber.parse(request.query["phone"] ?? "")
        let jobID = request.query["job"].map { JobID($0) }
        let history = try await app.inbox.history(of: phone.e164, by: actor)
        var job: JobDetail?
        if let jobID { job = try await app.jobs.detail(jobID, by: actor) }
        let customers = try await app.customers.search(phone.e164, paging: try Paging(limit: 1), by: actor)
        let text = try context.timeText()
        var existing: [Bubble] = []
        var optedOut = false
        if let conversation = history.conversationID {
            existing = try await app.inbox.messages(of: conversation, limit: 10, by: actor).map {
                bubble($0, text: text, now: app.clock.now(), customerName: customers.first?.customer.name)
            }
            optedOut = try await app.inbox.detail(conversation, by: actor).consent.optedOut
        }
        return try renderer.page(
            "inbox_compose",
            ComposeModel(
                shell: try await renderer.shell(context, request: request, active: "inbox"), phone: phone.e164,
                phoneDisplay: phone.displayed, customerName: customers.first?.customer.name ?? phone.displayed,
                jobID: jobID?.rawValue, jobLine: job.map { "Job #\($0.job.number) · \($0.job.summary)" },
                locationID: request.query["location"], existing: existing,
                hasExisting: !existing.isEmpty, conversationURL: history.conversationID.map { "/inbox?c=\($0)" },
                optedOut: optedOut), request: request)
    }

    /// Sends the first text from the compose page and opens its conversation.
    @Sendable func startConversation(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let (conversation, _) = try await app.inbox.start(
            phone: form["phone"], jobID: form["jobId"].flatMap { $0.isEmpty ? nil : JobID($0) },
            locationID: form["locationId"].flatMap { $0.isEmpty ? nil : LocationID($0) }, body: form["body"],
            by: try context.actor())
        return renderer.redirect(to: "/inbox?c=\(conversation.id)", flash: Flash(.success, "Text sent."))
    }

    /// A reply in the thread; a script's post (`wantsJSON`) gets an empty answer instead of a page.
    @Sendable func reply(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: ConversationID.self)
        _ = try await app.inbox.reply(to: id, body: form["body"], by: try context.actor())
        if request.wantsJSON { return Response(status: .noContent) }
        return renderer.redirect(to: "/inbox?c=\(id)")
    }

    /// Closes, reopens, marks unread or blocks a conversation.
    @Sendable func apply(
        _ action: ConversationAction, request: Request, context: AppRequestContext
    ) async throws -> Response {
        _ = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: ConversationID.self)
        let actor = try context.actor()
        switch action {
        case .close: _ = try await app.inbox.close(id, by: actor)
        case .reopen: _ = try await app.inbox.reopen(id, by: actor)
        case .unread: _ = try await app.inbox.markUnread(id, by: actor)
        case .block: _ = try await app.inbox.block(id, by: actor)
        }
        if request.wantsJSON { return Response(status: .noContent) }
        // Marked unread: leave the thread, or opening it again would read it at once.
        let target = action == .reopen ? "/inbox?c=\(id)" : "/inbox?status=open"
        return renderer.redirect(to: target, flash: Flash(.success, action.done))
    }

    /// Takes a wrong number off the customer it was stored under.
    @Sendable func removeWrongNumber(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: ConversationID.self)
        try await app.inbox.removeWrongNumber(id, by: try context.actor())
        return renderer.redirect(
            to: "/inbox?c=\(id)", flash: Flash(.success, "The number was taken off the customer's record."))
    }

    /// Adds an unknown number to an existing customer.
    @Sendable func attachNumber(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: ConversationID.self)
        guard let customer = form["customerId"], !customer.isEmpty else {
            throw FieldlineError.invalid(field: "customerId", message: "Choose the customer to add the number to.")
        }
        let detail = try await app.inbox.attach(id, to: CustomerID(customer), by: try context.actor())
        return renderer.redirect(
            to: "/inbox?c=\(id)",
            flash: Flash(.success, "The number now belongs to \(detail.customer?.name ?? "the customer")."))
    }

    /// Makes an unknown number a new customer, with a location when an address was given.
    @Sendable func createCustomer(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: ConversationID.self)
        let hasAddress = !(form["street"] ?? "").trimmingCharacters(in: .whitespaces).isEmpty
        let detail = try await app.inbox.createCustomer(
            from: id, name: form["name"],
            location: hasAddress
                ? .init(
                    street: form["street"], city: form["city"], state: form["state"],
                    postalCode: form["postalCode"]) : nil,
            by: try context.actor())
        return renderer.redirect(
            to: "/inbox?c=\(id)", flash: Flash(.success, "\(detail.customer?.name ?? "The customer") was created."))
    }

    /// Sends a text that did not go through again.
    @Sendable func resendMessage(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: MessageID.self)
        let message = try await app.inbox.resend(id, by: try context.actor())
        return renderer.redirect(
            to: message.conversationID.map { "/inbox?c=\($0)" } ?? "/inbox",
            flash: Flash(.success, "Sending the text again."))
    }

    /// Keeps a customer's picture or video with one of their jobs.
    @Sendable func attachMediaToJob(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: MediaID.self)
        guard let job = form["jobId"], !job.isEmpty else {
            throw FieldlineError.invalid(field: "jobId", message: "Choose the job to keep the file with.")
        }
        try await app.inbox.attach(id, toJob: JobID(job), by: try context.actor())
        return renderer.redirect(
            to: request.safeReferer ?? "/jobs/\(job)", flash: Flash(.success, "Added to the job's attachments."))
    }

    /// A stored picture or video. Technicians see pictures in their jobs' threads only; the office
    /// sees the inbox's.
    @Sendable func serveMedia(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.id("id", as: MediaID.self)
        let actor = try context.actor()
        let (media, data) =
            Field.isTechnician(actor)
            ? try await app.field.media(id, by: actor) : try await app.inbox.media(id, by: actor)
        let type = MediaContent.safeType(media.contentType)
        return Response(
            status: .ok,
            headers: [
                .contentType: type, .cacheControl: "private, max-age=3600",
                .contentDisposition: type == "application/octet-stream" ? "attachment" : "inline",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: Jobs from the chat (CH7): book, reschedule or cancel without leaving it

    /// Books a job for the conversation's customer (CH7).
    @Sendable func bookJob(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: ConversationID.self)
        let actor = try context.actor()
        let detail = try await app.inbox.detail(id, by: actor)
        guard let customer = detail.customer else {
            throw FieldlineError.invalid(field: "customer", message: "Add the number to a customer first.")
        }
        let text = try context.timeText()
        let date = { (name: String) in form[name].flatMap { $0.isEmpty ? nil : text.parseInput($0) } }
        let job = try await app.jobs.book(
            .init(
                customerID: customer.id, locationID: LocationID(form["locationId"] ?? ""),
                summary: form["summary"], startsAt: date("startsAt"), endsAt: date("endsAt")), by: actor)
        return renderer.redirect(to: "/inbox?c=\(id)", flash: Flash(.success, "Job #\(job.number) is booked."))
    }

    /// Moves a visit of one of the customer's jobs (CH7).
    @Sendable func rescheduleVisit(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: ConversationID.self)
        let appointment = try context.parameters.id("appointment", as: AppointmentID.self)
        let actor = try context.actor()
        let text = try context.timeText()
        let date = { (name: String) in form[name].flatMap { $0.isEmpty ? nil : text.parseInput($0) } }
        _ = try await app.jobs.reschedule(
            appointment, startsAt: date("startsAt"), endsAt: date("endsAt"), by: actor)
        return renderer.redirect(to: "/inbox?c=\(id)", flash: Flash(.success, "Visit rescheduled."))
    }

    /// Cancels one of the customer's jobs (CH7).
    @Sendable func cancelJob(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: ConversationID.self)
        let jobID = try context.parameters.id("job", as: JobID.self)
        let job = try await app.jobs.cancel(jobID, reason: form["reason"], by: try context.actor())
        return renderer.redirect(to: "/inbox?c=\(id)", flash: Flash(.info, "Job #\(job.number) was canceled."))
    }

    // MARK: Building the models

    static func status(_ request: Request) -> ConversationStatus {
        request.query["status"].flatMap { ConversationStatus(rawValue: $0) } ?? .open
    }

    func listModel(
        status: ConversationStatus, query: String, selected: ConversationID?, context: AppRequestContext
    ) async throws -> ListModel {
        let actor = try context.actor()
        let items = try await app.inbox.list(status: status, query: query, paging: try Paging(limit: 100), by: actor)
        let text = try context.timeText()
        let now = app.clock.now()
        var parameters = "status=\(status.rawValue)"
        if !query.isEmpty { parameters += "&q=\(Self.encode(query))" }
        return ListModel(
            status: status.rawValue, isOpenTab: status == .open, query: query,
            items: items.map { item in
                let conversation = item.conversation
                let title = item.customerName ?? conversation.phone.displayed
                return ListItem(
                    id: conversation.id.rawValue, href: "/inbox?\(parameters)&c=\(conversation.id)", title: title,
                    isUnknown: item.customerName == nil, phone: conversation.phone.displayed,
                    preview: (conversation.lastMessageDirection == .outbound ? "You: " : "")
                        + conversation.lastMessagePreview,
                    time: text.short(conversation.lastMessageAt, now: now),
                    state: Self.stateClass(conversation.inboxState), isUnread: conversation.inboxState == .unread,
                    isAnswered: conversation.inboxState == .answered, stateLabel: conversation.inboxState.label,
                    initials: item.customerName.map(Technician.initials(of:)) ?? "#",
                    tone: Self.tone(of: conversation.phone.e164), selected: conversation.id == selected)
            }, hasItems: !items.isEmpty,
            emptyTitle: query.isEmpty ? (status == .open ? "All caught up" : "No closed conversations") : "No matches",
            emptyText: query.isEmpty
                ? (status == .open
                    ? "New texts from customers appear here the moment they arrive."
                    : "Closed conversations come back to Open when the customer texts again.")
                : "No conversation matches “\(query)”. Search by number, customer name or address.",
            selectedID: selected?.rawValue ?? "",
            listURL: "/inbox/list?\(parameters)" + (selected.map { "&c=\($0)" } ?? ""))
    }

    func conversationView(
        _ id: ConversationID, attachQuery: String?, request: Request, context: AppRequestContext
    ) async throws -> ConversationView {
        let signedIn = try context.signedIn()
        let actor = signedIn.actor
        let detail = try await app.inbox.detail(id, by: actor)
        let entries = try await app.inbox.messages(of: id, limit: 200, by: actor)
        let account = signedIn.account
        let text = TimeText(timeZoneIdentifier: account.timeZone)
        let now = app.clock.now()
        let conversation = detail.conversation
        let canWrite = actor.can(.fullCustomerChats)
        let upcoming = detail.relevantJobs.filter { !$0.job.status.isClosed }
        var attachResults: [JobPages.Choice] = []
        if let attachQuery, !attachQuery.trimmingCharacters(in: .whitespaces).isEmpty, detail.customer == nil {
            attachResults = try await app.customers.search(attachQuery, paging: try Paging(limit: 8), by: actor).map {
                JobPages.Choice(
                    id: $0.customer.id.rawValue,
                    label: [$0.customer.name, $0.firstLocation?.address.oneLine].compactMap { $0 }.joined(
                        separator: " · "), selected: false)
            }
        }
        let calendar = account.calendar
        let tomorrow = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: now)) ?? now
        let bookStart = calendar.date(bySettingHour: 9, minute: 0, second: 0, of: tomorrow) ?? tomorrow
        return ConversationView(
            id: id.rawValue, title: detail.customer?.name ?? conversation.phone.displayed,
            isUnknown: detail.customer == nil,
            phoneDisplay: conversation.phone.displayed, phone: conversation.phone.e164,
            isOpen: conversation.status == .open, isUnread: conversation.unread, canWrite: canWrite,
            canSend: canWrite && !detail.consent.optedOut && !detail.blocked, optedOut: detail.consent.optedOut,
            blocked: detail.blocked, marketingLabel: Self.marketingLabel(detail.consent.marketing),
            senderLine: detail.senderNumber.map { "Texts go from \($0.label) · \($0.number.displayed)" },
            messages: entries.map { bubble($0, text: text, now: now, customerName: detail.customer?.name) },
            hasMessages: !entries.isEmpty,
            partsURL: "/inbox/c/\(id)/parts", base: "/inbox/c/\(id)", csrf: signedIn.csrfToken,
            panel: PanelView(
                known: detail.customer != nil, conversationID: id.rawValue,
                customerID: detail.customer?.id.rawValue ?? "", customerName: detail.customer?.name ?? "",
                customerInitials: detail.customer.map { Technician.initials(of: $0.name) } ?? "?",
                notes: detail.customer?.notes,
                canOpenCustomer: actor.can(.viewCustomers), locations: detail.locations.map(LocationView.init),
                phones: detail.contact.map { [PhoneView($0)] } ?? [],
                jobs: detail.relevantJobs.map { relevant in
                    let appointment = relevant.appointment
                    return JobCard(
                        id: relevant.job.id.rawValue, number: relevant.job.number, summary: relevant.job.summary,
                        status: StatusView(relevant.job.status),
                        when: appointment.map { text.range($0.startsAt, $0.endsAt) } ?? "No visit scheduled",
                        place: relevant.location.map { $0.name ?? $0.address.street },
                        upcoming: relevant.upcoming, appointmentID: appointment?.id.rawValue,
                        startsInput: appointment.map { text.inputValue($0.startsAt) } ?? "",
                        endsInput: appointment.map { text.inputValue($0.endsAt) } ?? "",
                        canChange: actor.can(.manageJobs) && !relevant.job.status.isClosed)
                }, hasJobs: !detail.relevantJobs.isEmpty, canManageJobs: actor.can(.manageJobs),
                canEditCustomers: actor.can(.editCustomers) && canWrite,
                bookLocations: detail.locations.map {
                    JobPages.Choice(id: $0.id.rawValue, label: $0.name ?? $0.address.oneLine, selected: false)
                }, bookStart: text.inputValue(bookStart), bookEnd: text.inputValue(bookStart.addingTimeInterval(7200)),
                attachQuery: attachQuery ?? "", attachResults: attachResults, searchedCustomers: attachQuery != nil,
                hasAttachResults: !attachResults.isEmpty),
            jobChoices: upcoming.map {
                JobPages.Choice(id: $0.job.id.rawValue, label: "#\($0.job.number) · \($0.job.summary)", selected: false)
            }, hasJobChoices: !upcoming.isEmpty)
    }

    /// `customerName`: who the thread's number belongs to now. An inbound text carries the name it
    /// arrived under (often just the number); once the number is a customer's, every text shows it.
    func bubble(_ entry: Inbox.Entry, text: TimeText, now: Date, customerName: String? = nil) -> Bubble {
        let message = entry.message
        let outbound = message.direction == .outbound
        var authorNote: String?
        var photoURL: String?
        switch message.author.kind {
        case .technician: authorNote = "Technician"
        case .automation:
            authorNote = Self.automationLabel(message.author.automation)
            if message.author.automation == .dispatchNotice, let technician = message.author.id {
                photoURL = Avatar.path(for: TechnicianID(technician))
            }
        default: authorNote = nil
        }
        let (status, tone) = outbound ? Self.statusLabel(message) : (nil, "")
        return Bubble(
            id: message.id.rawValue, side: outbound ? "out" : "in",
            body: message.redactedAt == nil ? message.body : Self.redactedBody,
            hasBody: !message.body.isEmpty || message.redactedAt != nil,
            time: text.short(message.createdAt, now: now) == text.time(message.createdAt)
                ? text.time(message.createdAt) : text.dateTime(message.createdAt),
            author: outbound
                ? (message.author.kind == .automation ? "Fieldline" : message.author.name)
                : customerName ?? message.author.name,
            authorNote: authorNote, authorPhotoURL: photoURL, deliveryStatus: status, statusTone: tone,
            deliveryError: message.errorMessage.flatMap { message.status.isFinal ? $0 : nil },
            resendable: message.isResendable,
            media: entry.media.map { media in
                MediaView(
                    id: media.id.rawValue, url: "/media/\(media.id)",
                    isImage: media.state == .stored && media.contentType.hasPrefix("image/"),
                    isVideo: media.state == .stored && media.contentType.hasPrefix("video/"),
                    isStored: media.state == .stored, note: Self.mediaNote(media))
            }, hasMedia: !entry.media.isEmpty,
            segmentNote: outbound && message.segments > 1 ? "\(message.segments) texts" : nil)
    }

    static func mediaNote(_ media: MessageMedia) -> String? {
        switch media.state {
        case .pending: "Downloading the \(media.contentType.hasPrefix("video/") ? "video" : "picture")…"
        case .failed: "The file could not be downloaded."
        case .notSupported: "The customer sent a file, but this number cannot receive pictures or videos."
        case .stored: nil
        }
    }

    static func statusLabel(_ message: Message) -> (String, String) {
        switch message.status {
        case .queued: ("Queued", "muted")
        case .sending: ("Sending", "muted")
        case .sent: ("Sent", "muted")
        case .delivered: ("Delivered", "success")
        case .undelivered:
            (message.errorCode == ProviderErrorCode.landline ? "Undelivered · landline" : "Undelivered", "danger")
        case .failed: ("Not delivered", "danger")
        case .canceled: ("Not sent", "warning")
        case .received: ("", "")
        }
    }

    static func automationLabel(_ automation: Automation?) -> String {
        switch automation {
        case .autoresponder: "After-hours reply"
        case .optOutConfirmation: "Opt-out confirmation"
        case .optInConfirmation: "Opt-in confirmation"
        case .helpReply: "HELP answer"
        case .dispatchNotice: "On-the-way notice"
        case .doubleOptInRequest: "Opt-in request"
        case .campaign: "Campaign"
        case .reminder: "Reminder"
        case .estimateFollowUp: "Estimate follow-up"
        case .serviceReminder: "Service reminder"
        case .missedCallTextBack: "Missed-call text-back"
        case nil: "Automatic"
        }
    }

    static func marketingLabel(_ consent: MarketingConsent) -> String {
        switch consent {
        case .none: "No marketing consent"
        case .optedIn: "Agreed to marketing texts"
        case .optedOut: "Opted out of marketing"
        }
    }

    static func stateClass(_ state: InboxState) -> String {
        switch state {
        case .unread: "unread"
        case .awaitingReply: "awaiting"
        case .answered: "answered"
        }
    }

    /// A stable avatar colour per number (1–6).
    static func tone(of text: String) -> Int {
        text.unicodeScalars.reduce(0) { ($0 &* 31 &+ Int($1.value)) % 6 } + 1
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}
