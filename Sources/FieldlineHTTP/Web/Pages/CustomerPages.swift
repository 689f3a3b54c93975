import Fieldline
import FieldlineCore
import FieldlineStore
import Foundation
import Hummingbird
import HummingbirdCore

/// Customer search, creation and the customer page with locations, numbers, emails and jobs.
struct CustomerPages {
    let app: Fieldline
    let renderer: WebRenderer

    struct ListModel {
        var shell: Shell
        var query: String
        /// The query as it goes into a link (percent-encoded).
        var queryParameter: String
        var customers: [Row]
        var hasCustomers: Bool
        var canEdit: Bool
        var nextOffset: Int?
        var previousOffset: Int?
    }

    struct Row {
        var id: String
        var name: String
        var phone: String?
        var phoneKind: String?
        var morePhones: Int?
        var address: String?
        var moreLocations: Int?
    }

    struct NewModel {
        var shell: Shell
        var error: String?
        var values: [String: String]
    }

    struct DetailModel {
        var shell: Shell
        var id: String
        var name: String
        var notes: String?
        var tags: [String]
        var tagsText: String
        var since: String
        var canEdit: Bool
        var canBook: Bool
        /// Admins may erase a customer (OP3); an erased one shows when it was.
        var canErase: Bool
        var erasedOn: String?
        var locations: [LocationView]
        var hasLocations: Bool
        var phones: [PhoneView]
        var emails: [EmailView]
        var jobs: [JobRow]
        var hasJobs: Bool
        var estimates: [EstimateRow]
        var hasEstimates: Bool
        var services: [ServiceRow]
        var hasServices: Bool
        var today: String
    }

    struct EstimateRow {
        var id: String
        var summary: String
        var amount: String?
        var given: String
        var statusLabel: String
        var tone: String
        var isOpen: Bool
    }

    struct ServiceRow {
        var id: String
        var name: String
        var every: String
        var intervalMonths: Int
        var nextDue: String
        var dueText: String
        var overdue: Bool
    }

    struct EmailView {
        var id: String
        var address: String
        var jobNotifications: Bool
    }

    struct JobRow {
        var id: String
        var number: Int
        var summary: String
        var status: StatusView
        var when: String?
    }

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/customers", use: listCustomers)
        router.get("/customers/new", use: showNewCustomer)
        router.post("/customers", use: createCustomer)
        router.get("/customers/:id", use: showCustomer)
        router.post("/customers/:id", use: updateCustomer)
        router.post("/customers/:id/erase", use: eraseCustomer)
        router.post("/customers/:id/locations", use: addLocation)
        router.post("/locations/:id", use: updateLocation)
        router.post("/customers/:id/phones", use: addPhone)
        router.post("/phones/:id", use: updatePhone)
        router.post("/phones/:id/opt-in-request", use: requestOptIn)
        router.post("/phones/:id/delete", use: removePhone)
        router.post("/customers/:id/estimates", use: addEstimate)
        router.post("/estimates/:id/status", use: decideEstimate)
        router.post("/customers/:id/services", use: addService)
        router.post("/services/:id", use: updateService)
        router.post("/services/:id/done", use: markServiceDone)
        router.post("/services/:id/delete", use: removeService)
        router.post("/customers/:id/emails", use: addEmail)
        router.post("/emails/:id/delete", use: removeEmail)
    }

    /// The customer list: a search (`?q=`), fifty at a time (`?offset=`).
    @Sendable func listCustomers(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let query = request.query["q"] ?? ""
        let paging = try Paging(limit: 50, offset: try request.query.int("offset"))
        let found = try await app.customers.search(query, paging: paging, by: actor)
        let rows = found.map { summary in
            Row(
                id: summary.customer.id.rawValue, name: summary.customer.name,
                phone: summary.phones.first?.number.displayed, phoneKind: summary.phones.first?.kind.rawValue,
                morePhones: summary.phones.count > 1 ? summary.phones.count - 1 : nil,
                address: summary.firstLocation?.address.oneLine,
                moreLocations: summary.locationCount > 1 ? summary.locationCount - 1 : nil)
        }
        let model = ListModel(
            shell: try await renderer.shell(context, request: request, active: "customers"), query: query,
            queryParameter: query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "",
            customers: rows,
            hasCustomers: !rows.isEmpty, canEdit: actor.can(.editCustomers),
            nextOffset: rows.count == paging.limit ? paging.offset + paging.limit : nil,
            previousOffset: paging.offset > 0 ? max(0, paging.offset - paging.limit) : nil)
        return try renderer.page("customers", model, request: request)
    }

    /// The new-customer form. Prefilled when coming from a booking: the caller's name and number are
    /// already known.
    @Sendable func showNewCustomer(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.actor().require(.editCustomers)
        var values: [String: String] = [:]
        for key in ["name", "phone", "booking"] {
            if let value = request.query[key], !value.isEmpty {
                values[key] = String(value.prefix(200))
            }
        }
        return try renderer.page(
            "customer_new",
            NewModel(
                shell: try await renderer.shell(context, request: request, active: "customers"), error: nil,
                values: values),
            request: request)
    }

    /// Adds a customer, then ties the booking it came from (if any) to it. The customer stands on its
    /// own; tying the booking to it is a second step that may fail (someone dismissed the booking
    /// meanwhile) without undoing the customer.
    @Sendable func createCustomer(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let actor = try context.actor()
        let hasAddress = !(form["street"] ?? "").isEmpty || !(form["city"] ?? "").isEmpty
        let input = Customers.NewCustomer(
            name: form["name"], notes: form["notes"],
            location: hasAddress
                ? .init(
                    name: form["locationName"], street: form["street"], unit: form["unit"], city: form["city"],
                    state: form["state"], postalCode: form["postalCode"], notes: form["locationNotes"])
                : nil,
            phones: (form["phone"] ?? "").isEmpty
                ? [] : [.init(number: form["phone"], kind: form["phoneKind"], jobNotifications: true)],
            emails: (form["email"] ?? "").isEmpty ? [] : [form["email"] ?? ""], tags: [form["tags"] ?? ""])
        let customer: Customer
        do {
            customer = try await app.customers.create(input, by: actor)
        } catch let error as FieldlineError {
            guard case .forbidden = error else {
                var values: [String: String] = [:]
                for key in [
                    "name", "notes", "tags", "locationName", "street", "unit", "city", "state", "postalCode",
                    "locationNotes", "phone", "phoneKind", "email", "booking",
                ] {
                    values[key] = form[key] ?? ""
                }
                return try renderer.formAgain(
                    "customer_new",
                    NewModel(
                        shell: try await renderer.shell(context, request: request, active: "customers"),
                        error: error.message, values: values),
                    after: error, request: request)
            }
            throw error
        }
        guard let booking = form["booking"], !booking.isEmpty else {
            return renderer.redirect(
                to: "/customers/\(customer.id)", flash: Flash(.success, "\(customer.name) was added."))
        }
        do {
            let location = try await app.customers.detail(customer.id, by: actor).locations.first?.id
            _ = try await app.bookings.attach(BookingID(booking), to: customer.id, location: location, by: actor)
            return renderer.redirect(
                to: "/bookings",
                flash: Flash(.success, "\(customer.name) was added; the booking can now become a job."))
        } catch let error as FieldlineError {
            return renderer.redirect(
                to: "/customers/\(customer.id)",
                flash: Flash(.error, "\(customer.name) was added, but the booking was not linked: \(error.message)")
            )
        }
    }

    /// The customer page: locations, numbers (with their consent history), emails, jobs, estimates
    /// and recurring services.
    @Sendable func showCustomer(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let id = try context.parameters.id("id", as: CustomerID.self)
        let detail = try await app.customers.detail(id, by: actor)
        let text = try context.timeText()
        let texted = try await app.inbox.texted(detail.phones.map(\.number), by: actor)
        let today = DayString.of(app.clock.now(), calendar: try context.signedIn().account.calendar)
        var consentViews = PhoneView.withChat(detail.phones, texted: texted, actor: actor)
        for index in consentViews.indices {
            let (_, consent, ledger) = try await app.consent.history(ofPhone: detail.phones[index].id, by: actor)
            consentViews[index].add(
                consent: consent, ledger: ledger, text: text, now: app.clock.now(), actor: actor)
        }
        let model = DetailModel(
            shell: try await renderer.shell(context, request: request, active: "customers"), id: id.rawValue,
            name: detail.customer.name, notes: detail.customer.notes, tags: detail.customer.tags,
            tagsText: detail.customer.tags.joined(separator: ", "), since: text.day(detail.customer.createdAt),
            canEdit: actor.can(.editCustomers) && detail.customer.erasedAt == nil,
            canBook: actor.can(.manageJobs) && !detail.locations.isEmpty && detail.customer.erasedAt == nil,
            canErase: actor.can(.manageAccount) && detail.customer.erasedAt == nil,
            erasedOn: detail.customer.erasedAt.map(text.day),
            locations: detail.locations.map(LocationView.init), hasLocations: !detail.locations.isEmpty,
            phones: consentViews,
            emails: detail.emails.map {
                EmailView(id: $0.id.rawValue, address: $0.address.value, jobNotifications: $0.jobNotifications)
            },
            jobs: detail.jobs.map { job in
                JobRow(
                    id: job.id.rawValue, number: job.number, summary: job.summary, status: StatusView(job.status),
                    when: detail.nextAppointmentByJob[job.id].map { text.range($0.startsAt, $0.endsAt) })
            }, hasJobs: !detail.jobs.isEmpty,
            estimates: detail.estimates.map { estimate in
                EstimateRow(
                    id: estimate.id.rawValue, summary: estimate.summary, amount: estimate.amountText,
                    given: text.day(estimate.createdAt), statusLabel: estimate.status.label,
                    tone: estimate.status == .open ? "warning" : estimate.status == .sold ? "success" : "neutral",
                    isOpen: estimate.status == .open)
            }, hasEstimates: !detail.estimates.isEmpty,
            services: detail.services.map { service in
                ServiceRow(
                    id: service.id.rawValue, name: service.name,
                    every: service.intervalMonths == 1
                        ? "Every month"
                        : service.intervalMonths == 12 ? "Every year" : "Every \(service.intervalMonths) months",
                    intervalMonths: service.intervalMonths, nextDue: service.nextDue,
                    dueText: service.dueDateText
                        + (service.nextDue.prefix(4) == today.prefix(4) ? "" : ", \(service.nextDue.prefix(4))"),
                    overdue: service.nextDue < today)
            }, hasServices: !detail.services.isEmpty, today: today)
        return try renderer.page("customer", model, request: request)
    }

    /// Saves the customer's name, notes and tags.
    @Sendable func updateCustomer(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: CustomerID.self)
        _ = try await app.customers.update(
            id, name: form["name"], notes: form["notes"] ?? "", tags: form["tags"].map { [$0] },
            by: try context.actor())
        return renderer.redirect(to: "/customers/\(id)", flash: Flash(.success, "Customer details saved."))
    }

    /// Erases the customer once the admin typed their name (OP3); a wrong name goes back to the
    /// page with the reason.
    @Sendable func eraseCustomer(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: CustomerID.self)
        let erased = try await app.customers.erase(id, confirmingName: form["confirmName"], by: try context.actor())
        return renderer.redirect(
            to: "/customers", flash: Flash(.success, "The customer was erased: \(erased.summary)."))
    }

    @Sendable func addLocation(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: CustomerID.self)
        _ = try await app.customers.addLocation(
            Self.location(
                from: form, verified: form.checked("verified"), latitude: try form.double("latitude"),
                longitude: try form.double("longitude")), to: id, by: try context.actor())
        return renderer.redirect(to: "/customers/\(id)", flash: Flash(.success, "Location added."))
    }

    @Sendable func updateLocation(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: LocationID.self)
        let location = try await app.customers.updateLocation(
            id,
            with: Self.location(
                from: form, verified: form.checked("verified"), latitude: try form.double("latitude"),
                longitude: try form.double("longitude")),
            by: try context.actor())
        return renderer.redirect(to: "/customers/\(location.customerID)", flash: Flash(.success, "Location saved."))
    }

    @Sendable func addPhone(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: CustomerID.self)
        let phone = try await app.customers.addPhone(
            .init(
                number: form["number"], kind: form["kind"], label: form["label"],
                jobNotifications: form.checked("jobNotifications"),
                marketingUpdates: form.checked("marketingUpdates")),
            to: id, by: try context.actor())
        return renderer.redirect(to: "/customers/\(id)", flash: Flash(.success, "\(phone.number.displayed) added."))
    }

    @Sendable func updatePhone(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: PhoneContactID.self)
        let phone = try await app.customers.updatePhone(
            id,
            .init(
                kind: form["kind"], label: form["label"], jobNotifications: form.checked("jobNotifications"),
                marketingUpdates: form.checked("marketingUpdates")), by: try context.actor())
        return renderer.redirect(
            to: "/customers/\(phone.customerID)",
            flash: Flash(.success, "Preferences for \(phone.number.displayed) saved."))
    }

    /// Texts the number asking it to reply YES for marketing texts; during quiet hours the request
    /// waits, and the flash says when it goes out.
    @Sendable func requestOptIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        _ = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: PhoneContactID.self)
        let (_, optIn) = try await app.consent.requestMarketingOptIn(ofPhone: id, by: actor)
        let phone = try await app.consent.history(ofPhone: id, by: actor).phone
        let message: String
        if optIn.sendAt <= app.clock.now() {
            message = "Asked \(phone.number.displayed) to reply YES for marketing texts."
        } else {
            let sendAt = try context.timeText().dateTime(optIn.sendAt)
            message = "The opt-in request to \(phone.number.displayed) goes out at \(sendAt), when quiet hours end."
        }
        return renderer.redirect(to: "/customers/\(phone.customerID)", flash: Flash(.success, message))
    }

    @Sendable func removePhone(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await verifiedForm(request, context)
        let actor = try context.actor()
        let id = try context.parameters.id("id", as: PhoneContactID.self)
        try await app.customers.removePhone(id, by: actor)
        return renderer.redirect(
            to: request.safeReferer ?? "/customers", flash: Flash(.success, "Phone number removed."))
    }

    @Sendable func addEstimate(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: CustomerID.self)
        let estimate = try await app.estimates.add(
            .init(summary: form["summary"], amount: form["amount"]), to: id, by: try context.actor())
        return renderer.redirect(
            to: "/customers/\(id)#estimates", flash: Flash(.success, "Estimate for \(estimate.summary) added."))
    }

    /// Marks an estimate open, sold or declined; the status is parsed where it is decided.
    @Sendable func decideEstimate(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: EstimateID.self)
        let estimate = try await app.estimates.decide(id, status: form["status"], by: try context.actor())
        return renderer.redirect(
            to: "/customers/\(estimate.customerID)#estimates",
            flash: Flash(.success, "Estimate for \(estimate.summary): \(estimate.status.label.lowercased())."))
    }

    @Sendable func addService(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: CustomerID.self)
        let service = try await app.estimates.addService(
            .init(name: form["name"], intervalMonths: try form.int("intervalMonths"), nextDue: form["nextDue"]),
            to: id, by: try context.actor())
        return renderer.redirect(
            to: "/customers/\(id)#services", flash: Flash(.success, "\(service.name) added."))
    }

    @Sendable func updateService(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: RecurringServiceID.self)
        let service = try await app.estimates.updateService(
            id, intervalMonths: try form.int("intervalMonths"), nextDue: form["nextDue"], by: try context.actor())
        return renderer.redirect(
            to: "/customers/\(service.customerID)#services", flash: Flash(.success, "\(service.name) saved."))
    }

    /// Records a recurring service as done and moves it to its next due date. `due` is the date the
    /// page showed, so a second click does not move it twice.
    @Sendable func markServiceDone(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: RecurringServiceID.self)
        let service = try await app.estimates.serviceDone(id, expecting: form["due"], by: try context.actor())
        return renderer.redirect(
            to: "/customers/\(service.customerID)#services",
            flash: Flash(
                .success, "\(service.name) is next due \(service.dueDateText), \(service.nextDue.prefix(4))."))
    }

    @Sendable func removeService(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: RecurringServiceID.self)
        let service = try await app.estimates.removeService(id, by: try context.actor())
        return renderer.redirect(
            to: "/customers/\(service.customerID)#services", flash: Flash(.success, "\(service.name) removed."))
    }

    @Sendable func addEmail(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: CustomerID.self)
        _ = try await app.customers.addEmail(
            form["address"], jobNotifications: form.checked("jobNotifications"), to: id, by: try context.actor())
        return renderer.redirect(to: "/customers/\(id)", flash: Flash(.success, "Email added."))
    }

    @Sendable func removeEmail(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: EmailContactID.self)
        try await app.customers.removeEmail(id, by: try context.actor())
        return renderer.redirect(to: request.safeReferer ?? "/customers", flash: Flash(.success, "Email removed."))
    }

    static func location(
        from form: FormData, verified: Bool, latitude: Double?, longitude: Double?
    ) -> Customers.NewLocation {
        .init(
            name: form["locationName"], street: form["street"], unit: form["unit"], city: form["city"],
            state: form["state"],
            postalCode: form["postalCode"], verified: verified, latitude: latitude, longitude: longitude,
            notes: form["locationNotes"])
    }
}
