import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation

/// A realistic demo business for `fieldline serve --demo`: customers around Austin, a crew of
/// technicians, jobs today (some already under way) and tomorrow, and a few open bookings.
/// Created once; later runs find it and only report how to sign in.
public struct DemoSeed: Sendable {
    let app: Fieldline

    public init(app: Fieldline) {
        self.app = app
    }

    public struct SignIn: Sendable, Equatable {
        public var email: String
        public var password: String
        public var created: Bool
    }

    public static let adminEmail = "admin@northside.example"
    public static let dispatcherEmail = "dispatch@northside.example"
    /// Luis Romero, a technician with chat on: the technician's pages (`/field`) on a phone.
    public static let technicianEmail = "luis@northside.example"
    public static let password = "fieldline-demo"

    /// The demo's texting numbers: carried by the console provider, so the phone simulator can
    /// play the customers.
    public static let mainNumber = "(512) 555-0300"
    public static let marketingNumber = "(512) 555-0301"

    public func ensure() async throws -> SignIn {
        if let account = try await app.accounts.demoAccount() {
            // A demo made before texting existed gets its numbers now.
            if try await app.database.read({ sql in try await SenderNumberStore(sql).all(in: account.id) }).isEmpty {
                try await addNumbers(to: account.id)
            }
            // A demo made before registrations existed was registered all along.
            for registration in try await app.database.read({ sql in
                try await RegistrationStore(sql).registrations(of: account.id)
            }) where registration.status == .notSubmitted {
                _ = try await app.registrations.record(.approved, of: registration.kind, accountID: account.id)
            }
            return SignIn(email: Self.adminEmail, password: Self.password, created: false)
        }
        var hours: [Int: BusinessHours.Period] = [7: BusinessHours.Period(opens: 8 * 60, closes: 12 * 60)]
        for weekday in 2...6 {
            hours[weekday] = BusinessHours.Period(opens: 7 * 60, closes: 18 * 60)
        }
        let account = try await app.accounts.create(
            Accounts.NewAccount(
                name: "Northside Plumbing & Air", timeZone: "America/Chicago", businessHours: BusinessHours(days: hours)
            ),
            isDemo: true)
        let adminUser = try await app.accounts.createUser(
            .init(email: Self.adminEmail, name: "Dana Whitfield", role: "admin", password: Self.password),
            in: account.id, by: nil)
        let admin = Actor(user: adminUser)
        try await registerWithCarriers(account.id, by: admin)
        _ = try await app.accounts.createUser(
            .init(
                email: Self.dispatcherEmail, name: "Marcus Bell", role: "dispatcher", password: Self.password,
                phone: "(512) 555-0100"),
            in: account.id, by: admin)

        var technicians: [Technician] = []
        for (name, phone, rating, chat) in [
            ("Luis Romero", "(512) 555-0131", 4.9, true), ("Priya Nair", "(512) 555-0132", 4.7, true),
            ("Tom Becker", "(512) 555-0133", 3.8, false), ("Aisha Grant", "(512) 555-0134", 4.5, true),
            ("Kenji Watanabe", "(512) 555-0135", 5.0, false),
        ] {
            technicians.append(
                try await app.technicians.add(
                    .init(name: name, phone: phone, rating: rating, canViewChats: chat, canReplyChats: chat), by: admin)
            )
        }
        _ = try await app.accounts.createUser(
            .init(
                email: Self.technicianEmail, name: "Luis Romero", role: "technician", password: Self.password,
                technicianID: technicians[0].id),
            in: account.id, by: admin)

        let people: [(String, String, String, String, String, Bool, Double, Double)] = [
            ("Robert Castellanos", "(512) 555-0142", "418 Birchwood Ln", "Austin", "78704", true, 30.2449, -97.7694),
            ("Harbor View Dental", "(512) 555-0187", "22 Harbor St", "Austin", "78701", true, 30.2672, -97.7431),
            ("Megan O'Connell", "(737) 555-0119", "1907 Willow Creek Dr", "Austin", "78741", false, 30.2287, -97.7266),
            (
                "Greenleaf Property Management", "(512) 555-0160", "5400 N Lamar Blvd", "Austin", "78751", true,
                30.3232, -97.7297
            ),
            ("Samuel Osei", "(512) 555-0124", "3311 Red River St", "Austin", "78705", true, 30.2905, -97.7317),
            ("Linda Park", "(737) 555-0171", "800 W 6th St Apt 14", "Austin", "78703", false, 30.2707, -97.7530),
            ("Café Bravo", "(512) 555-0193", "1100 S Congress Ave", "Austin", "78704", true, 30.2510, -97.7493),
            ("Jorge & Ana Medina", "(512) 555-0148", "7205 Manchaca Rd", "Austin", "78745", false, 30.2060, -97.8039),
            (
                "Westlake Fitness", "(512) 555-0102", "3801 Bee Caves Rd", "West Lake Hills", "78746", true, 30.2745,
                -97.8004
            ),
            ("Kevin Marsh", "(737) 555-0155", "2502 E Cesar Chavez St", "Austin", "78702", false, 30.2556, -97.7195),
            ("Nora Whitaker", "(512) 555-0176", "4607 Avenue D", "Austin", "78751", true, 30.3148, -97.7260),
            ("Pinnacle Realty", "(512) 555-0110", "9600 Great Hills Trl", "Austin", "78759", true, 30.3953, -97.7470),
        ]
        var customers: [(Customer, LocationID)] = []
        for (index, person) in people.enumerated() {
            let (name, phone, street, city, zip, verified, latitude, longitude) = person
            let email = name.lowercased().filter { $0.isASCII && $0.isLetter } + "@example.com"
            let customer = try await app.customers.create(
                .init(
                    name: name, notes: index == 0 ? "Prefers a text to a call; works from home." : nil,
                    location: .init(
                        name: index % 4 == 1 ? "Main office" : nil, street: street, city: city, state: "TX",
                        postalCode: zip, verified: verified, latitude: verified ? latitude : nil,
                        longitude: verified ? longitude : nil,
                        notes: index == 0 ? "Dog in the backyard — use the side gate." : nil),
                    phones: [
                        .init(
                            number: phone, kind: index % 5 == 3 ? "landline" : "mobile",
                            label: index % 4 == 1 ? "Office" : "Cell",
                            marketingUpdates: index % 3 == 0)
                    ],
                    emails: index % 2 == 0 ? [email] : [],
                    tags: (index % 3 == 0 ? ["maintenance plan"] : []) + (index % 4 == 0 ? ["vip"] : [])),
                by: admin)
            let detail = try await app.customers.detail(customer.id, by: admin)
            guard let location = detail.locations.first else { continue }
            customers.append((customer, location.id))
        }
        if let robert = customers.first {
            _ = try await app.customers.addLocation(
                .init(name: "Rental", street: "1214 E 7th St", city: "Austin", state: "TX", postalCode: "78702"),
                to: robert.0.id, by: admin)
        }

        let calendar = account.calendar
        let today = calendar.startOfDay(for: app.clock.now())
        func at(_ dayOffset: Int, _ hour: Int) -> Date {
            let day: Date = calendar.date(byAdding: Calendar.Component.day, value: dayOffset, to: today) ?? today
            return calendar.date(bySettingHour: hour, minute: 0, second: 0, of: day) ?? day
        }
        let plan: [(Int, Int, Int, String, [Int], AssignmentStatus)] = [
            (0, 0, 8, "Water heater leaking, no hot water", [0], .done),
            (1, 0, 9, "Quarterly backflow test", [1], .working),
            (4, 0, 10, "AC blowing warm air", [4, 2], .dispatched),
            (3, 0, 13, "Replace kitchen faucet", [3], .scheduled),
            (10, 0, 15, "Clogged main line — camera inspection", [0], .scheduled),
            (5, 0, 16, "Thermostat not responding", [], .scheduled),
            (6, 1, 8, "Grease trap service", [1], .scheduled),
            (7, 1, 10, "Install tankless water heater", [0, 2], .scheduled),
            (8, 1, 13, "Annual furnace tune-up", [3], .scheduled),
            (9, 1, 15, "Running toilet and low pressure", [4], .scheduled),
            (10, -1, 9, "Gas smell near water heater", [0], .done),
        ]
        try await addNumbers(to: account.id)
        var jobs: [Job] = []
        var underWay: [(AssignmentID, [AssignmentAction])] = []
        for (customerIndex, day, hour, summary, crew, status) in plan {
            let (customer, location) = customers[customerIndex]
            let job = try await app.jobs.book(
                .init(
                    customerID: customer.id, locationID: location, summary: summary, startsAt: at(day, hour),
                    endsAt: at(day, hour + 2), arrivalWindowStart: at(day, hour), arrivalWindowEnd: at(day, hour + 1),
                    technicianIDs: crew.map { technicians[$0].id },
                    customFields: customerIndex == 1 ? ["PO number": "HV-2231"] : nil),
                by: admin)
            jobs.append(job)
            let assignments = try await app.jobs.detail(job.id, by: admin).assignments
            for assignment in assignments {
                let steps: [AssignmentAction] =
                    switch status {
                    case .scheduled: []
                    case .dispatched: [.dispatch]
                    case .working: [.dispatch, .arrive]
                    case .done: [.dispatch, .arrive, .complete]
                    }
                // Visits under way now are moved on once notices are on (below); past ones not,
                // so nobody is told today about yesterday's visit.
                if status == .done {
                    for step in steps { _ = try await app.jobs.advance(assignment.id, step, by: admin) }
                } else {
                    underWay.append((assignment.id, steps))
                }
            }
        }
        // On-the-way notices on, then today's dispatches text and email their customers (the demo
        // phone and the log) with live tracking links.
        var notices = DispatchNoticeSettings()
        notices.textEnabled = true
        notices.emailEnabled = true
        _ = try await app.dispatchNotices.update(notices, by: admin)
        for (assignment, steps) in underWay {
            for step in steps { _ = try await app.jobs.advance(assignment, step, by: admin) }
        }

        _ = try await app.bookings.create(
            .init(
                source: "web", customerID: customers[11].0.id, locationID: customers[11].1,
                summary: "Leak under the break-room sink", details: "Noticed water on the floor this morning.",
                requestedFor: at(2, 9)), by: admin)
        _ = try await app.bookings.create(
            .init(
                source: "phone", contactName: "Grace Liu", contactPhone: "(512) 555-0199",
                summary: "Estimate for whole-house repipe"), by: admin)
        try await seedServiceChannel(
            account: account, admin: admin, dental: customers[1], technician: technicians[1].id, at: at)
        try await seedConversations(account: account, admin: admin, luisAfternoonJob: jobs[4])
        try await seedMarketing(account: account, admin: admin)
        try await seedFollowUps(account: account, admin: admin, customers: customers.map(\.0))
        return SignIn(email: Self.adminEmail, password: Self.password, created: true)
    }

    /// A tracking page of a visit on the way now, for the start-up banner: the token lives only in
    /// the notice that carried it.
    public func liveTrackingURL() async throws -> String? {
        guard let account = try await app.accounts.demoAccount() else { return nil }
        let bodies = try await app.database.read { sql in
            try await MessageStore(sql).bodies(of: .dispatchNotice, in: account.id, limit: 20)
        }
        for body in bodies {
            guard let token = TrackingRules.token(in: body) else { continue }
            if let view = try? await app.tracking.view(token: token), view.phase == .onTheWay {
                return "\(app.publicURL)/t/\(token)"
            }
        }
        return nil
    }

    /// The demo business filled in both registrations and the registry approved them.
    private func registerWithCarriers(_ accountID: AccountID, by admin: Actor) async throws {
        _ = try await app.registrations.save(
            .texting,
            details: RegistrationDetails(
                legalName: "Northside Plumbing & Air LLC", taxId: "74-2918455", website: "https://northside.example",
                street: "2100 S Lamar Blvd", city: "Austin", state: "TX", postalCode: "78704",
                contactName: "Dana Whitfield", contactEmail: Self.adminEmail, contactPhone: Self.mainNumber,
                useCase: "Appointment confirmations, technician on-the-way notices and two-way customer care.",
                optInDescription:
                    "Customers give their mobile number when they book by phone or online and agree to job texts.",
                sampleMessage: "Northside Plumbing & Air: Luis is on the way and should arrive around 10:40."),
            by: admin)
        _ = try await app.registrations.save(
            .marketing,
            details: RegistrationDetails(
                useCase: "Seasonal maintenance offers to customers who signed up.",
                optInDescription:
                    "Double opt-in: customers reply YES to a request, text our sign-up sentence, or use our web form.",
                sampleMessage: "Northside: AC check-ups are $49 through May 31. Reply STOP to opt out"),
            by: admin)
        for kind in RegistrationKind.allCases {
            _ = try await app.registrations.record(.approved, of: kind, accountID: accountID)
        }
    }

    /// Customers who signed up on the web form, a draft and a campaign going out now.
    /// Two ServiceChannel work orders as a connection would have brought them in: one waiting as a
    /// booking, one already a job for tomorrow with its updates sent and a note from the client.
    /// No connection is made (the demo has no ServiceChannel to talk to).
    private func seedServiceChannel(
        account: Account, admin: Actor, dental: (Customer, LocationID), technician: TechnicianID,
        at: (Int, Int) -> Date
    ) async throws {
        let now = app.clock.now()
        func order(
            _ id: Int, subscriber: (Int, String), store: (Int, String, String), trade: String, category: String,
            description: String, nte: Double, scheduled: Date
        ) -> ServiceChannelWorkOrder {
            ServiceChannelWorkOrder(
                id: id, number: String(85_120_000 + id % 10_000), purchaseNumber: nil,
                subscriber: .init(id: subscriber.0, name: subscriber.1),
                location: .init(
                    id: store.0, storeID: String(store.0), name: store.1, address1: store.2, city: "Austin",
                    state: "TX", zip: "78701"),
                status: .init(primary: WorkOrderIntake.open), priority: "P2 - 8 HOURS", trade: trade,
                category: category, description: description, nte: nte, currency: .init(alphabeticalCode: "USD"),
                scheduledDate: ServiceChannelDate.format(scheduled), updatedDate: ServiceChannelDate.format(now),
                createdDate: ServiceChannelDate.format(now))
        }
        let cafe = order(
            91_406_211, subscriber: (2_014_917_243, "Bravo Hospitality Group"),
            store: (
                1100, "Café Bravo · Store 1100",
                "1100 S Congress Ave"
            ), trade: "PLUMBING", category: "REPAIR",
            description: "Grease backing up into the prep sink; kitchen closes at 10 pm.", nte: 650,
            scheduled: at(1, 11))
        let dentalOrder = order(
            91_406_388, subscriber: (2_014_918_002, "Harbor View Dental Group"),
            store: (22, "Harbor View Dental · Downtown", "22 Harbor St"), trade: "PLUMBING", category: "REPAIR",
            description: "Restroom faucet dripping in the patient restroom.", nte: 450, scheduled: at(1, 14))
        let integration = Actor(integration: "ServiceChannel", accountID: account.id)
        let dentalBooking: BookingID? = try await app.transaction { sql, effects in
            var dentalBooking: BookingID?
            let store = ServiceChannelStore(sql)
            for workOrder in [cafe, dentalOrder] {
                try await store.noteSubscribers(
                    [workOrder.subscriber.id: workOrder.subscriber.name ?? ""], in: account.id)
                let booking = Booking(
                    id: .generate(), accountID: account.id, source: "servicechannel",
                    customerID: workOrder.id == dentalOrder.id ? dental.0.id : nil,
                    locationID: workOrder.id == dentalOrder.id ? dental.1 : nil,
                    contactName: ServiceChannelSync.contactName(workOrder), contactPhone: nil,
                    summary: ServiceChannelSync.summary(workOrder), details: ServiceChannelSync.details(workOrder),
                    requestedFor: workOrder.scheduledDate.flatMap(ServiceChannelDate.parse), status: .new, jobID: nil,
                    createdAt: now, updatedAt: now)
                try await BookingStore(sql).insert(booking)
                var record = ServiceChannelSync.record(workOrder, accountID: account.id, firstSeenAt: now)
                record.bookingID = booking.id
                try await store.insert([record])
                if workOrder.id == dentalOrder.id { dentalBooking = booking.id }
                try await app.react(
                    to: DomainEvent(
                        accountID: account.id, occurredAt: now, actor: .user(integration),
                        kind: .bookingCreated(booking.id)), in: sql, effects: effects)
            }
            try await store.update(
                SubscriberSettings(
                    accountID: account.id, subscriberID: dentalOrder.subscriber.id, name: "Harbor View Dental Group",
                    checkInInstructions:
                        "Call 1-800-555-0199 on arrival and when leaving, enter the PIN, then the work order number.",
                    checkInPIN: "4417"))
            return dentalBooking
        }
        guard let dentalBooking else { return }
        let (_, job) = try await app.bookings.convert(
            dentalBooking,
            into: .init(
                customerID: dental.0.id, locationID: dental.1, summary: ServiceChannelSync.summary(dentalOrder),
                startsAt: at(1, 14), endsAt: at(1, 16), arrivalWindowStart: at(1, 14), arrivalWindowEnd: at(1, 15),
                technicianIDs: [technician]), by: admin)
        try await app.database.write { sql in
            // As if sent: the demo has no ServiceChannel to send them to.
            try await ServiceChannelStore(sql).markApplied(in: account.id, at: now)
            let store = ServiceChannelStore(sql)
            if var record = try await store.workOrder(dentalOrder.id, in: account.id) {
                record.statusPrimary = WorkOrderIntake.inProgress
                record.statusExtended = "Dispatch Confirmed"
                try await store.refresh(record)
                try await store.setLastNoteID(3, ofWorkOrder: dentalOrder.id, in: account.id)
            }
            try await JobStore(sql).append(
                JobEvent(
                    id: UUID().uuidString.lowercased(), accountID: account.id, jobID: job.id,
                    occurredAt: now.addingTimeInterval(60),
                    actor: ActorRef(kind: .integration, id: nil, name: "ServiceChannel · Jane Ortiz"),
                    kind: JobEvent.workOrderNoteKind,
                    text: "Please check in with the front desk; the patient restroom is off the main hallway."))
        }
    }

    private func seedMarketing(account: Account, admin: Actor) async throws {
        try await app.database.write { sql in
            let contacts = try await CustomerStore(sql).search("", in: account.id, limit: 50, offset: 0)
            for customer in contacts {
                for phone in try await CustomerStore(sql).phones(of: customer.id, in: account.id)
                where phone.kind != .landline && phone.preferences.marketingUpdates {
                    try await app.consent.apply(
                        SMSConsent(phone: phone.number, marketing: .optedIn),
                        changes: [ConsentChange(scope: .marketing, from: "none", to: "opted_in")], method: "web_form",
                        actor: ActorRef(kind: .contact, id: nil, name: phone.number.displayed), messageID: nil,
                        accountID: account.id, in: sql)
                }
            }
        }
        _ = try await app.campaigns.create(
            .init(
                name: "Spring AC check-up",
                body: "Northside: beat the heat. AC check-ups are $49 through May 31. Book at northside.example/ac",
                audience: CampaignAudience(tags: ["maintenance plan"])),
            timing: .draft, by: admin)
        _ = try await app.campaigns.create(
            .init(
                name: "Water heater flush",
                body: "Northside: a yearly flush adds years to your water heater. $79 this month. Call (512) 555-0300",
                audience: CampaignAudience()),
            timing: .now, by: admin)
    }

    /// Estimates waiting for an answer and maintenance on a schedule, with the three automatic
    /// texts on: a reminder comes due within the week, so the scheduler's first pass sends one.
    private func seedFollowUps(account: Account, admin: Actor, customers: [Customer]) async throws {
        guard customers.count > 8 else { return }
        let calendar = account.calendar
        func day(_ offset: Int) -> String {
            DayString.of(app.clock.now().addingTimeInterval(TimeInterval(offset) * 86_400), calendar: calendar)
        }
        for (index, summary, amount, status) in [
            (2, "Tankless water heater", "3,450", "open"), (5, "Whole-house repipe", "12,800", "open"),
            (0, "Sewer line camera inspection", "295", "sold"),
            (7, "Second-floor bathroom remodel", "9,200", "declined"),
        ] {
            let estimate = try await app.estimates.add(
                .init(summary: summary, amount: amount), to: customers[index].id, by: admin)
            if status != "open" { _ = try await app.estimates.decide(estimate.id, status: status, by: admin) }
        }
        for (index, name, months, due) in [
            (0, "Furnace tune-up", 12, 5), (3, "Backflow preventer test", 12, 34), (6, "Water heater flush", 12, 120),
            (8, "AC maintenance", 6, 61),
        ] {
            _ = try await app.estimates.addService(
                .init(name: name, intervalMonths: months, nextDue: day(due)), to: customers[index].id, by: admin)
        }
        for kind in TriggeredCampaignKind.allCases {
            _ = try await app.triggeredCampaigns.save(kind, .init(enabled: true), by: admin)
        }
    }

    private func addNumbers(to accountID: AccountID) async throws {
        _ = try await app.senderNumbers.add(
            .init(
                number: Self.mainNumber, label: "Main line", provider: "console", chat: true, mms: true,
                isDefault: true, ratePerSecond: 1),
            to: accountID)
        _ = try await app.senderNumbers.add(
            .init(
                number: Self.marketingNumber, label: "Promotions", provider: "console", chat: false, marketing: true,
                ratePerSecond: 1),
            to: accountID)
    }

    /// A few threads in every state of the inbox: unread, read but unanswered, answered, closed,
    /// and one from a number nobody knows yet.
    private func seedConversations(account: Account, admin: Actor, luisAfternoonJob: Job) async throws {
        guard
            let main = try await app.database.read({ sql in
                try await SenderNumberStore(sql).defaultNumber(in: account.id)
            })
        else { return }
        func text(_ from: String, _ body: String) async throws -> ConversationID? {
            let outcome = try await app.inbound.receive(
                InboundText(
                    providerMessageID: "CO" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
                    from: try PhoneNumber.parse(from), to: main, body: body))
            if case .inbox(_, let conversation, _) = outcome { return conversation }
            return nil
        }
        if let answered = try await text("(512) 555-0142", "Hi, is the plumber still coming this morning?") {
            _ = try await app.inbox.markRead(answered, by: admin)
            _ = try await app.inbox.reply(
                to: answered, body: "Good morning Robert! Luis is on his way and should be there by 9:30.", by: admin)
        }
        if let closed = try await text("(512) 555-0124", "Thanks again for the quick fix yesterday!") {
            _ = try await app.inbox.reply(to: closed, body: "Happy to help, Samuel. Have a great week!", by: admin)
            _ = try await app.inbox.close(closed, by: admin)
        }
        if let read = try await text("(737) 555-0171", "Can someone look at the garbage disposal next week?") {
            _ = try await app.inbox.markRead(read, by: admin)
        }
        _ = try await text("(512) 555-0148", "The water heater is making a loud banging noise again 😟")
        _ = try await text("(512) 555-0222", "Do you do drain cleaning on weekends? How much?")
        // Technicians texting the business number from their own phones land on the dispatch board.
        _ = try await text("(512) 555-0132", "Parts counter is slow today, running about 20 min behind for my 11:00.")
        _ = try await text("(512) 555-0131", "Done at Birchwood. Can someone order a 3/4\" ball valve for Thursday?")
        // Luis's afternoon visit has a thread with an unread answer, so signing in as Luis shows the
        // technician's side (TC1): the red dot on the job, the chat, the reply.
        let (nora, _) = try await app.inbox.start(
            phone: "(512) 555-0176", jobID: luisAfternoonJob.id,
            body: "Hi Nora, this is Northside Plumbing. Luis will be with you between 3 and 4 PM today.", by: admin)
        _ = try await text("(512) 555-0176", "Thank you! The cleanout is behind the garage, gate code 4411.")
        _ = try await app.inbox.markRead(nora.id, by: admin)
    }
}
