import Fieldline
import FieldlineCore
import Foundation
import Hummingbird
import HummingbirdCore

/// Jobs: the list, booking a new one, and the job page with visits, crew and audit trail.
struct JobPages {
    let app: Fieldline
    let renderer: WebRenderer

    struct ListModel {
        var shell: Shell
        var jobs: [Row]
        var hasJobs: Bool
        var filters: [Filter]
        var canBook: Bool
    }

    struct Filter {
        var label: String
        var value: String
        var selected: Bool
    }

    struct Row {
        var id: String
        var number: Int
        var summary: String
        var status: StatusView
        var customerName: String
        var customerID: String
        var updated: String
    }

    struct NewModel {
        var shell: Shell
        var error: String?
        var customerID: String
        var customerName: String
        var bookingID: String?
        var locations: [Choice]
        var technicians: [Choice]
        var summary: String
        var startsAt: String
        var endsAt: String
        var windowStart: String
        var windowEnd: String
    }

    struct Choice {
        var id: String
        var label: String
        var selected: Bool
    }

    struct DetailModel {
        var shell: Shell
        var id: String
        var number: Int
        var summary: String
        var status: StatusView
        var isOpen: Bool
        var isOnHold: Bool
        var canManage: Bool
        var canOpenCustomers: Bool
        var customer: CustomerCard
        var location: LocationView
        var appointments: [AppointmentCard]
        var customFields: [Field]
        var hasCustomFields: Bool
        var events: [EventRow]
        var texts: [InboxPages.Bubble]
        var hasTexts: Bool
        var canReadTexts: Bool
        var conversationURL: String?
        var attachments: [InboxPages.MediaView]
        var hasAttachments: Bool
        var emails: [EmailRow]
        var hasEmails: Bool
        var workOrder: WorkOrderPanelView?
        var canNote: Bool
        var invoice: InvoiceView?
        var canInvoice: Bool
    }

    /// The job's invoice as its card shows and edits it.
    struct InvoiceView {
        var number: String
        var issuedOn: String
        var labor: String
        var material: String
        var travel: String
        var freight: String
        var other: String
        var tax: String
        var total: String
        var status: String
        var isDraft: Bool
        var isNew: Bool
        var exported: String?
        var lines: [Field]

        init(_ invoice: Invoice?, jobNumber: Int, today: String, text: TimeText) {
            func amount(_ cents: Int?) -> String {
                guard let cents, cents > 0 else { return "" }
                return String(format: "%.2f", Double(cents) / 100)
            }
            number = invoice?.number ?? "INV-\(jobNumber)"
            issuedOn = invoice?.issuedOn ?? today
            labor = amount(invoice?.amounts.labor)
            material = amount(invoice?.amounts.material)
            travel = amount(invoice?.amounts.travel)
            freight = amount(invoice?.amounts.freight)
            other = amount(invoice?.amounts.other)
            tax = amount(invoice?.amounts.tax)
            total = Money.dollars(cents: invoice?.amounts.total ?? 0)
            status = invoice?.status.label ?? "Not started"
            isDraft = invoice?.status != .exported
            isNew = invoice == nil
            exported = invoice?.exportedAt.map(text.dateTime)
            let amounts = invoice?.amounts ?? .init()
            lines = [
                ("Labor", amounts.labor), ("Material", amounts.material), ("Travel", amounts.travel),
                ("Freight", amounts.freight), ("Other", amounts.other), ("Tax", amounts.tax),
            ].filter { $0.1 > 0 }.map { Field(name: $0.0, value: Money.dollars(cents: $0.1)) }
        }
    }

    struct EmailRow {
        var to: String
        var subject: String
        var time: String
        var status: String
        var tone: String
        var problem: String?
    }

    struct CustomerCard {
        var id: String
        var name: String
        var phones: [PhoneView]
    }

    struct Field {
        var name: String
        var value: String
    }

    struct AppointmentCard {
        var id: String
        var when: String
        var arrivalWindow: String
        var startsInput: String
        var endsInput: String
        var windowStartInput: String
        var windowEndInput: String
        var crew: [TodayPage.CrewMember]
        var hasCrew: Bool
        var assignable: [Choice]
        var canAssign: Bool
    }

    struct EventRow {
        var time: String
        var actor: String
        var text: String
        var tone: String?
        /// Set for notes the viewer may edit.
        var noteID: String?
        var isNote: Bool
    }

    /// "Also on #1042, 2:00 PM – 4:00 PM": where else the technician is booked at the same time.
    static func doubleBookedNote(_ others: [DoubleBooking.Slot]?, text: TimeText) -> String? {
        guard let others, !others.isEmpty else { return nil }
        return "Also on "
            + others.map { "#\($0.jobNumber), \(text.range($0.startsAt, $0.endsAt))" }.joined(separator: "; ")
    }

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/jobs", use: listJobs)
        router.get("/jobs/new", use: showNewJobForm)
        router.post("/jobs", use: bookJob)
        router.get("/jobs/:id", use: showJob)
        router.post("/jobs/:id", use: saveJob)
        router.post("/jobs/:id/invoice", use: saveInvoice)
        router.post("/jobs/:id/invoice/export", use: exportInvoice)
        router.post("/jobs/:id/cancel", use: cancelJob)
        router.post("/jobs/:id/hold", use: holdJob)
        router.post("/jobs/:id/resume", use: resumeJob)
        router.post("/appointments/:id/reschedule", use: rescheduleVisit)
        router.post("/appointments/:id/assign", use: assignTechnician)
        router.post("/assignments/:id/:action", use: advanceAssignment)
    }

    /// The job list, `?status=` narrowing it to one status.
    @Sendable func listJobs(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let selected = request.query["status"].flatMap(JobStatus.init(rawValue:))
        let jobs = try await app.jobs.list(status: selected, paging: try Paging(limit: 100), by: actor)
        let text = try context.timeText()
        let filters =
            [Filter(label: "All", value: "", selected: selected == nil)]
            + JobStatus.allCases.map { Filter(label: $0.label, value: $0.rawValue, selected: $0 == selected) }
        let model = ListModel(
            shell: try await renderer.shell(context, request: request, active: "jobs"),
            jobs: jobs.map { item in
                Row(
                    id: item.job.id.rawValue, number: item.job.number, summary: item.job.summary,
                    status: StatusView(item.job.status), customerName: item.customer.name,
                    customerID: item.customer.id.rawValue, updated: text.dateTime(item.job.updatedAt))
            }, hasJobs: !jobs.isEmpty, filters: filters, canBook: actor.can(.manageJobs))
        return try renderer.page("jobs", model, request: request)
    }

    /// The booking form for a customer (`?customer=`), from a booking when `?booking=` names one;
    /// without a customer, back to the customers to pick one.
    @Sendable func showNewJobForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        try actor.require(.manageJobs)
        guard let raw = request.query["customer"] else {
            return renderer.redirect(to: "/customers", flash: Flash(.info, "Pick the customer to book a job for."))
        }
        let model = try await newModel(
            customerID: CustomerID(raw), bookingID: request.query["booking"], error: nil,
            form: nil, request: request, context: context)
        return try renderer.page("job_new", model, request: request)
    }

    /// Books the job (converting the booking when the form came from one); invalid input shows the
    /// form again with what was typed.
    @Sendable func bookJob(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let actor = try context.actor()
        let text = try context.timeText()
        let customerID = CustomerID(form["customerId"] ?? "")
        let date = { (name: String) in form[name].flatMap { $0.isEmpty ? nil : text.parseInput($0) } }
        let input = Jobs.NewJob(
            customerID: customerID, locationID: LocationID(form["locationId"] ?? ""), summary: form["summary"],
            startsAt: date("startsAt"), endsAt: date("endsAt"), arrivalWindowStart: date("windowStart"),
            arrivalWindowEnd: date("windowEnd"), technicianIDs: form.all("technicianId").map(TechnicianID.init))
        do {
            let job: Job
            if let booking = form["bookingId"], !booking.isEmpty {
                job = try await app.bookings.convert(BookingID(booking), into: input, by: actor).1
            } else {
                job = try await app.jobs.book(input, by: actor)
            }
            return renderer.redirect(to: "/jobs/\(job.id)", flash: Flash(.success, "Job #\(job.number) is booked."))
        } catch let error as FieldlineError {
            if case .invalid = error {
                let model = try await newModel(
                    customerID: customerID, bookingID: form["bookingId"], error: error.message, form: form,
                    request: request,
                    context: context)
                return try renderer.formAgain("job_new", model, after: error, request: request)
            }
            throw error
        }
    }

    /// The job page: visits and crew, customer, custom fields, audit trail, texts, attachments,
    /// emails, the work order and the invoice, each as far as the person may see it.
    @Sendable func showJob(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let id = try context.parameters.id("id", as: JobID.self)
        let detail = try await app.jobs.detail(id, by: actor)
        let text = try context.timeText()
        let technicians =
            actor.can(.viewTechnicians) ? try await app.technicians.all(by: actor, includeInactive: false) : []
        let byAppointment = Dictionary(grouping: detail.assignments, by: \.appointmentID)
        let readsChats = actor.role != .technician && actor.can(.viewCustomerChats)
        let texts = readsChats ? try await app.inbox.jobMessages(id, by: actor) : []
        let texted = try await app.inbox.texted(detail.phones.map(\.number), by: actor)
        let attachments = readsChats ? try await app.inbox.attachments(ofJob: id, by: actor) : []
        let emails = readsChats ? try await app.dispatchNotices.emails(ofJob: id, by: actor) : []
        let inbox = InboxPages(app: app, renderer: renderer)
        let canManage = actor.can(.manageJobs) && !detail.job.status.isClosed
        let doubleBookings =
            actor.can(.viewJobs) && !detail.job.status.isClosed
            ? try await app.jobs.doubleBookings(ofJob: id, by: actor) : [:]
        let appointments = detail.appointments.map { appointment in
            let crew = (byAppointment[appointment.id] ?? []).compactMap { assignment -> TodayPage.CrewMember? in
                guard let technician = detail.technicians[assignment.technicianID] else { return nil }
                return TodayPage.CrewMember(
                    assignmentID: assignment.id.rawValue, technician: TechnicianView(technician),
                    status: StatusView(assignment.status),
                    next: NextStepView.available(to: actor, for: assignment, jobStatus: detail.job.status),
                    doubleBooked: Self.doubleBookedNote(doubleBookings[assignment.id], text: text))
            }
            let assigned = Set(crew.map(\.technician.id))
            let assignable = technicians.filter { !assigned.contains($0.id.rawValue) }
                .map { Choice(id: $0.id.rawValue, label: $0.name, selected: false) }
            return AppointmentCard(
                id: appointment.id.rawValue, when: text.range(appointment.startsAt, appointment.endsAt),
                arrivalWindow: text.range(appointment.arrivalWindow.start, appointment.arrivalWindow.end),
                startsInput: text.inputValue(appointment.startsAt), endsInput: text.inputValue(appointment.endsAt),
                windowStartInput: text.inputValue(appointment.arrivalWindow.start),
                windowEndInput: text.inputValue(appointment.arrivalWindow.end), crew: crew, hasCrew: !crew.isEmpty,
                assignable: assignable, canAssign: canManage && !assignable.isEmpty)
        }
        let model = DetailModel(
            shell: try await renderer.shell(context, request: request, active: "jobs"), id: id.rawValue,
            number: detail.job.number, summary: detail.job.summary, status: StatusView(detail.job.status),
            isOpen: !detail.job.status.isClosed, isOnHold: detail.job.status == .hold, canManage: canManage,
            canOpenCustomers: actor.can(.viewCustomers),
            customer: CustomerCard(
                id: detail.customer.id.rawValue, name: detail.customer.name,
                phones: PhoneView.withChat(
                    detail.phones, texted: texted, actor: actor, job: id, location: detail.location.id)),
            location: LocationView(detail.location), appointments: appointments,
            customFields: detail.job.customFields.sorted { $0.key < $1.key }.map {
                Field(name: $0.key, value: $0.value)
            },
            hasCustomFields: !detail.job.customFields.isEmpty,
            events: detail.events.map { event in
                let isNote = event.kind == JobEvent.noteKind || event.kind == JobEvent.workOrderNoteKind
                let editable =
                    event.kind == JobEvent.noteKind
                    && (actor.can(.manageJobs) || event.actor.id == actor.userID.rawValue)
                return EventRow(
                    time: text.dateTime(event.occurredAt), actor: event.actor.name, text: event.text,
                    tone: Self.tone(of: event.kind), noteID: editable ? event.id : nil, isNote: isNote)
            },
            texts: texts.map { inbox.bubble($0, text: text, now: app.clock.now()) }, hasTexts: !texts.isEmpty,
            canReadTexts: readsChats,
            conversationURL: texts.last?.message.conversationID.map { "/inbox?c=\($0)" },
            attachments: attachments.map { attachment in
                InboxPages.MediaView(
                    id: attachment.media.id.rawValue, url: "/media/\(attachment.media.id)",
                    isImage: attachment.media.contentType.hasPrefix("image/"),
                    isVideo: attachment.media.contentType.hasPrefix("video/"), isStored: true,
                    note: "Added by \(attachment.addedBy), \(text.dateTime(attachment.addedAt))")
            }, hasAttachments: !attachments.isEmpty,
            emails: emails.map { email in
                EmailRow(
                    to: email.to.value, subject: email.subject, time: text.dateTime(email.createdAt),
                    status: email.status.label,
                    tone: email.status == .sent ? "success" : email.status == .failed ? "danger" : "neutral",
                    problem: email.status == .sent ? nil : email.errorMessage)
            }, hasEmails: !emails.isEmpty,
            workOrder: try await app.serviceChannel.panel(forJob: id, by: actor).map {
                WorkOrderPanelView($0, text: text)
            }, canNote: actor.can(.manageJobs) || actor.can(.reportArrival),
            invoice: actor.can(.viewJobs)
                ? InvoiceView(
                    try await app.invoices.invoice(ofJob: id, by: actor), jobNumber: detail.job.number,
                    today: String(text.inputValue(app.clock.now()).prefix(10)), text: text) : nil,
            canInvoice: actor.can(.manageJobs) && detail.job.status != .canceled)
        return try renderer.page("job", model, request: request)
    }

    /// Saves the job's summary.
    @Sendable func saveJob(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: JobID.self)
        _ = try await app.jobs.update(id, .init(summary: form["summary"]), by: try context.actor())
        return renderer.redirect(to: "/jobs/\(id)", flash: Flash(.success, "Job saved."))
    }

    /// Saves the job's invoice as a draft.
    @Sendable func saveInvoice(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: JobID.self)
        let invoice = try await app.invoices.save(
            .init(
                number: form["number"], issuedOn: form["issuedOn"], labor: form["labor"],
                material: form["material"], travel: form["travel"], freight: form["freight"],
                other: form["other"], tax: form["tax"]), forJob: id, by: try context.actor())
        return renderer.redirect(
            to: "/jobs/\(id)#invoice", flash: Flash(.success, "Invoice \(invoice.number) saved as a draft."))
    }

    /// Exports the job's invoice.
    @Sendable func exportInvoice(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: JobID.self)
        let invoice = try await app.invoices.export(forJob: id, by: try context.actor())
        return renderer.redirect(
            to: "/jobs/\(id)#invoice", flash: Flash(.success, "Invoice \(invoice.number) exported."))
    }

    /// Cancels the job, with the reason given.
    @Sendable func cancelJob(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: JobID.self)
        let job = try await app.jobs.cancel(id, reason: form["reason"], by: try context.actor())
        return renderer.redirect(to: "/jobs/\(id)", flash: Flash(.info, "Job #\(job.number) was canceled."))
    }

    /// Puts the job on hold, with the reason given.
    @Sendable func holdJob(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: JobID.self)
        let job = try await app.jobs.hold(id, reason: form["reason"], by: try context.actor())
        return renderer.redirect(to: "/jobs/\(id)", flash: Flash(.info, "Job #\(job.number) is on hold."))
    }

    /// Takes the job off hold.
    @Sendable func resumeJob(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: JobID.self)
        let job = try await app.jobs.resume(id, by: try context.actor())
        return renderer.redirect(to: "/jobs/\(id)", flash: Flash(.success, "Job #\(job.number) is back on."))
    }

    /// Moves a visit, its times read in the account's time zone.
    @Sendable func rescheduleVisit(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let actor = try context.actor()
        let id = try context.parameters.id("id", as: AppointmentID.self)
        let text = try context.timeText()
        let date = { (name: String) in form[name].flatMap { $0.isEmpty ? nil : text.parseInput($0) } }
        let appointment = try await app.jobs.reschedule(
            id, startsAt: date("startsAt"), endsAt: date("endsAt"), arrivalWindowStart: date("windowStart"),
            arrivalWindowEnd: date("windowEnd"), by: actor)
        return renderer.redirect(to: "/jobs/\(appointment.jobID)", flash: Flash(.success, "Visit rescheduled."))
    }

    /// Puts a technician on a visit and goes back to the page the form was on (the job's, or
    /// Today's). A double booking is allowed, but never silent: the office hears at once that the
    /// technician is needed elsewhere.
    @Sendable func assignTechnician(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: AppointmentID.self)
        guard let technician = form["technicianId"], !technician.isEmpty else {
            throw FieldlineError.invalid(field: "technicianId", message: "Choose a technician to assign.")
        }
        let actor = try context.actor()
        let assignment = try await app.jobs.assign(TechnicianID(technician), to: id, by: actor)
        let back = form["returnTo"] == "today" ? request.safeReferer ?? "/today" : "/jobs/\(assignment.jobID)"
        let text = try context.timeText()
        if let note = Self.doubleBookedNote(
            try await app.jobs.doubleBookings(ofJob: assignment.jobID, by: actor)[assignment.id], text: text)
        {
            return renderer.redirect(
                to: back, flash: Flash(.warning, "Technician assigned, but double-booked. \(note)."))
        }
        return renderer.redirect(to: back, flash: Flash(.success, "Technician assigned."))
    }

    /// Moves a technician's visit on (dispatch, arrive, complete) and goes back to the page it was
    /// done from.
    @Sendable func advanceAssignment(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: AssignmentID.self)
        guard let action = context.parameters.get("action").flatMap(AssignmentAction.init(rawValue:)) else {
            throw HTTPFailure(code: .notFound, message: "Unknown visit action.")
        }
        let assignment = try await app.jobs.advance(id, action, by: try context.actor())
        let message =
            switch action {
            case .dispatch: "Technician dispatched."
            case .arrive: "Marked as arrived."
            case .complete: "Visit completed."
            }
        return renderer.redirect(
            to: request.safeReferer ?? "/jobs/\(assignment.jobID)", flash: Flash(.success, message))
    }

    private func newModel(
        customerID: CustomerID, bookingID: String?, error: String?, form: FormData?, request: Request,
        context: AppRequestContext
    ) async throws -> NewModel {
        let actor = try context.actor()
        let detail = try await app.customers.detail(customerID, by: actor)
        let technicians = try await app.technicians.all(by: actor, includeInactive: false)
        let account = try context.signedIn().account
        let text = TimeText(timeZoneIdentifier: account.timeZone)
        var summary = form?["summary"] ?? ""
        if let bookingID, !bookingID.isEmpty, summary.isEmpty {
            do {
                summary = try await app.bookings.find(BookingID(bookingID), by: actor).summary
            } catch FieldlineError.notFound {
                // A link to a booking that is gone (or another account's): the summary starts empty.
            }
        }
        // A sensible default: tomorrow 9–11 in the account's time zone.
        let calendar = account.calendar
        let tomorrow =
            calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: app.clock.now())) ?? app.clock.now()
        let start = calendar.date(bySettingHour: 9, minute: 0, second: 0, of: tomorrow) ?? tomorrow
        let end = start.addingTimeInterval(2 * 3600)
        let chosenTechnicians = Set(form?.all("technicianId") ?? [])
        return NewModel(
            shell: try await renderer.shell(context, request: request, active: "jobs"), error: error,
            customerID: customerID.rawValue, customerName: detail.customer.name, bookingID: bookingID,
            locations: detail.locations.map {
                Choice(id: $0.id.rawValue, label: $0.address.oneLine, selected: $0.id.rawValue == form?["locationId"])
            },
            technicians: technicians.map {
                Choice(id: $0.id.rawValue, label: $0.name, selected: chosenTechnicians.contains($0.id.rawValue))
            },
            summary: summary, startsAt: form?["startsAt"] ?? text.inputValue(start),
            endsAt: form?["endsAt"] ?? text.inputValue(end), windowStart: form?["windowStart"] ?? "",
            windowEnd: form?["windowEnd"] ?? "")
    }

    static func tone(of kind: String) -> String? {
        switch kind {
        case "canceled": "danger"
        case "completed", "arrived": "success"
        case "dispatched": "info"
        case "booked", JobEvent.noteKind: "brand"
        case JobEvent.workOrderNoteKind: "info"
        case "rescheduled", "hold": "warning"
        default: nil
        }
    }
}
