import Fieldline
import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import Hummingbird

/// Settings → ServiceChannel (SV1, SV6, SV10, SV12, SV13): the connection and its health, the
/// subscribers, status mappings and conversion rules; plus declining a work order's booking and
/// writing notes on a job.
struct ServiceChannelPages {
    let app: Fieldline
    let renderer: WebRenderer

    struct Model {
        var shell: Shell
        var connected: Bool
        var canStoreCredentials: Bool
        var environments: [JobPages.Choice]
        var clientID: String
        var username: String
        var authorizedBy: String
        var healthy: Bool
        var health: String
        var lastError: String?
        var lastSync: String
        var throttled: String?
        var imported: Int
        var ignored: Int
        var pending: Int
        var attentionCount: Int
        var attention: [ChangeView]
        var hasAttention: Bool
        var webhookURL: String
        var webhookSecret: String
        var mappings: [MappingView]
        var subscribers: [SubscriberView]
        var hasSubscribers: Bool
        var subscriberChoices: [JobPages.Choice]
        var rules: [RuleView]
        var hasRules: Bool
        /// Why the connect form was refused; the form comes back with what was typed.
        var connectError: String?
    }

    struct MappingView {
        var milestone: String
        var label: String
        var enabled: Bool
        var isArrival: Bool
        var isCompletion: Bool
        var primaries: [JobPages.Choice]
        var extended: String
        var describe: String
    }

    struct SubscriberView {
        var id: Int
        var name: String
        var noteSync: Bool
        var instructions: String?
        var pin: String?
        var hasOverride: Bool
        var mappings: [MappingView]
        var overrideSummary: String
    }

    struct RuleView {
        var id: String
        var conditions: String
        var outcome: String
    }

    struct ChangeView {
        var summary: String
        var state: String
        var tone: String
        var time: String
        var problem: String?
        var workOrder: String
    }

    /// What a form on the ServiceChannel settings page asks for: the last part of the path it posts to.
    enum ServiceChannelAction: String, CaseIterable, Sendable {
        case connect, test, sync, disconnect, mappings, subscriber, rules
        case deleteRule = "rule-delete"
    }

    /// The settings page, where every one of its forms goes back to.
    static let settingsPath = "/settings/servicechannel"

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/settings/servicechannel", use: showSettings)
        router.post("/settings/servicechannel/:action", use: applyAction)
        router.post("/bookings/:id/decline", use: declineBooking)
        router.post("/jobs/:id/notes", use: addNote)
        router.post("/jobs/:id/notes/:note", use: editNote)
    }

    /// The connection and its health, the subscribers, status mappings and conversion rules.
    @Sendable func showSettings(_ request: Request, context: AppRequestContext) async throws -> Response {
        let overview = try await app.serviceChannel.overview(by: try context.actor())
        return try renderer.page(
            "servicechannel",
            try await model(overview, text: try context.timeText(), request: request, context: context),
            request: request)
    }

    /// A form of the settings page, by the action its path names; an unknown action is not found.
    @Sendable func applyAction(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let actor = try context.actor()
        guard let raw = context.parameters.get("action"), let action = ServiceChannelAction(rawValue: raw) else {
            throw HTTPFailure(code: .notFound, message: "Unknown ServiceChannel action.")
        }
        switch action {
        case .connect: return try await connect(form, actor: actor, request: request, context: context)
        case .test: return try await testConnection(by: actor)
        case .sync: return try await checkNow(by: actor)
        case .disconnect: return try await disconnect(by: actor)
        case .mappings: return try await saveMappings(form, by: actor)
        case .subscriber: return try await saveSubscriber(form, by: actor)
        case .rules: return try await addRule(form, by: actor)
        case .deleteRule: return try await deleteRule(form, by: actor)
        }
    }

    /// Connects with the credentials typed. A refused connection shows the form again, with what was
    /// typed and the reason; a missing permission goes on to the error page.
    private func connect(
        _ form: FormData, actor: Actor, request: Request, context: AppRequestContext
    ) async throws -> Response {
        do {
            _ = try await app.serviceChannel.connect(
                .init(
                    authorizationAccepted: form.checked("authorization"), environment: form["environment"],
                    clientID: form["clientId"], clientSecret: form["clientSecret"],
                    username: form["username"], password: form["password"]), by: actor)
        } catch let error as FieldlineError {
            guard case .forbidden = error else {
                let overview = try await app.serviceChannel.overview(by: actor)
                var model = try await self.model(
                    overview, text: try context.timeText(), request: request, context: context)
                model.connectError = error.message
                model.clientID = form["clientId"] ?? ""
                model.username = form["username"] ?? ""
                return try renderer.formAgain("servicechannel", model, after: error, request: request)
            }
            throw error
        }
        app.serviceChannelPollSignal.signal()
        return renderer.redirect(
            to: Self.settingsPath,
            flash: Flash(.success, "Connected to ServiceChannel. Open work orders are on their way in."))
    }

    /// Tries the stored credentials and says how it went.
    private func testConnection(by actor: Actor) async throws -> Response {
        let message = try await app.serviceChannel.test(by: actor)
        return renderer.redirect(to: Self.settingsPath, flash: Flash(.success, message))
    }

    /// Asks for a check for changed work orders now rather than at the next poll.
    private func checkNow(by actor: Actor) async throws -> Response {
        try await app.serviceChannel.requestPoll(by: actor)
        return renderer.redirect(to: Self.settingsPath, flash: Flash(.info, "Checking ServiceChannel for changes now."))
    }

    private func disconnect(by actor: Actor) async throws -> Response {
        try await app.serviceChannel.disconnect(by: actor)
        return renderer.redirect(
            to: Self.settingsPath, flash: Flash(.info, "Disconnected. Bookings and jobs from ServiceChannel stay."))
    }

    /// The account's status mapping, or a subscriber's own (`subscriberId`); `reset=1` with a
    /// subscriber drops its own mapping so it follows the account's again.
    private func saveMappings(_ form: FormData, by actor: Actor) async throws -> Response {
        let subscriber = try Self.subscriberID(form["subscriberId"])
        if form["reset"] == "1", let subscriber {
            try await app.serviceChannel.clearOverride(subscriber: subscriber, by: actor)
            return renderer.redirect(
                to: Self.settingsPath, flash: Flash(.info, "That subscriber follows the account's mapping again."))
        }
        try await app.serviceChannel.saveMappings(
            WorkOrderMilestone.allCases.map { milestone in
                .init(
                    milestone: milestone, enabled: form.checked("\(milestone.rawValue).enabled"),
                    primary: form["\(milestone.rawValue).primary"],
                    extended: form["\(milestone.rawValue).extended"])
            }, subscriber: subscriber, by: actor)
        return renderer.redirect(to: Self.settingsPath, flash: Flash(.success, "Status mapping saved."))
    }

    /// A subscriber's note sync and phone check-in instructions and PIN.
    private func saveSubscriber(_ form: FormData, by actor: Actor) async throws -> Response {
        guard let id = try Self.subscriberID(form["subscriberId"]) else {
            throw FieldlineError.invalid(field: "subscriberId", message: "Choose a subscriber.")
        }
        let saved = try await app.serviceChannel.updateSubscriber(
            id, noteSync: form.checked("noteSync"), checkInInstructions: form["checkInInstructions"],
            checkInPIN: form["checkInPin"], by: actor)
        return renderer.redirect(to: Self.settingsPath, flash: Flash(.success, "\(saved.name) saved."))
    }

    /// A conversion rule: which work orders become a job or a booking.
    private func addRule(_ form: FormData, by actor: Actor) async throws -> Response {
        let subscriber = try Self.subscriberID(form["subscriberId"])
        _ = try await app.serviceChannel.addRule(
            subscriberID: subscriber, trade: form["trade"], priority: form["priority"],
            category: form["category"], outcome: form["outcome"], by: actor)
        return renderer.redirect(to: Self.settingsPath, flash: Flash(.success, "Rule added."))
    }

    private func deleteRule(_ form: FormData, by actor: Actor) async throws -> Response {
        try await app.serviceChannel.deleteRule(form["ruleId"] ?? "", by: actor)
        return renderer.redirect(to: Self.settingsPath, flash: Flash(.info, "Rule removed."))
    }

    /// Declines a work order's booking, with the reason ServiceChannel is told.
    @Sendable func declineBooking(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: BookingID.self)
        _ = try await app.serviceChannel.decline(
            booking: id, reason: form["reason"].flatMap { Int($0) }, comment: form["comment"],
            by: try context.actor())
        return renderer.redirect(
            to: "/bookings", flash: Flash(.info, "Declined. ServiceChannel hears the reason within a minute."))
    }

    /// A note on a job.
    @Sendable func addNote(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: JobID.self)
        _ = try await app.jobs.addNote(id, text: form["text"], by: try context.actor())
        return renderer.redirect(to: "/jobs/\(id)#activity", flash: Flash(.success, "Note added."))
    }

    /// A job's note, changed.
    @Sendable func editNote(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: JobID.self)
        _ = try await app.jobs.editNote(
            id, note: context.parameters.get("note") ?? "", text: form["text"], by: try context.actor())
        return renderer.redirect(to: "/jobs/\(id)#activity", flash: Flash(.success, "Note changed."))
    }

    /// A subscriber chosen in a form: none (empty) or a ServiceChannel subscriber id.
    static func subscriberID(_ raw: String?) throws(FieldlineError) -> Int? {
        guard let raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        guard let id = Int(raw), id > 0 else {
            throw .invalid(field: "subscriberId", message: "Choose a subscriber from the list.")
        }
        return id
    }

    private func model(
        _ overview: ServiceChannel.Overview, text: TimeText, request: Request, context: AppRequestContext
    ) async throws -> Model {
        let connection = overview.connection
        var health = "Not connected"
        if let connection {
            if let syncedAt = connection.lastSyncAt {
                health =
                    "Last checked \(text.dateTime(syncedAt)) · \(connection.lastSyncCount) work order\(connection.lastSyncCount == 1 ? "" : "s") read"
            } else {
                health = "Connected \(text.dateTime(connection.connectedAt)); the first check is on its way"
            }
        }
        let names = Dictionary(
            overview.subscribers.map { ($0.subscriberID, $0.name) }, uniquingKeysWith: { first, _ in first })
        return Model(
            shell: try await renderer.shell(context, request: request, active: "settings"),
            connected: connection != nil, canStoreCredentials: overview.canStoreCredentials,
            environments: ServiceChannelEnvironment.allCases.map {
                JobPages.Choice(
                    id: $0.rawValue, label: $0.label, selected: $0 == (connection?.environment ?? .production))
            },
            clientID: connection?.clientID ?? "", username: connection?.username ?? "",
            authorizedBy: connection.map {
                "Data authorization accepted by \($0.authorizedByName), \(text.dateTime($0.authorizedAt))"
            } ?? "", healthy: connection?.isHealthy ?? false, health: health,
            lastError: connection.flatMap { c in
                guard !c.isHealthy, let error = c.lastError else { return nil }
                return "\(error) (\(c.lastErrorAt.map(text.dateTime) ?? ""))"
            },
            lastSync: connection?.lastSyncAt.map(text.dateTime) ?? "not yet",
            throttled: connection?.lastThrottledAt.map { "Last throttled by ServiceChannel \(text.dateTime($0))" },
            imported: overview.workOrders.imported, ignored: overview.workOrders.ignored,
            pending: overview.queue.pending, attentionCount: overview.queue.attention,
            attention: overview.attention.map { Self.changeView($0, text: text) },
            hasAttention: !overview.attention.isEmpty, webhookURL: overview.webhookURL,
            webhookSecret: overview.webhookSecret ?? "",
            mappings: Self.mappingViews(overview.mappings),
            subscribers: overview.subscribers.map { subscriber in
                let own = overview.overrides[subscriber.subscriberID]
                let effective = WorkOrderMilestone.allCases.map {
                    StatusMapping.resolve($0, subscriber: own ?? [], account: overview.mappings)
                }
                return SubscriberView(
                    id: subscriber.subscriberID, name: subscriber.name, noteSync: subscriber.noteSync,
                    instructions: subscriber.checkInInstructions, pin: subscriber.checkInPIN,
                    hasOverride: own != nil, mappings: Self.mappingViews(effective),
                    overrideSummary: own == nil ? "Follows the account's mapping" : "Has its own mapping")
            },
            hasSubscribers: !overview.subscribers.isEmpty,
            subscriberChoices: overview.subscribers.map {
                JobPages.Choice(id: String($0.subscriberID), label: $0.name, selected: false)
            },
            rules: overview.rules.map { rule in
                var conditions: [String] = []
                if let id = rule.subscriberID { conditions.append("subscriber is \(names[id] ?? String(id))") }
                if let trade = rule.trade { conditions.append("trade is \(trade)") }
                if let priority = rule.priority { conditions.append("priority is \(priority)") }
                if let category = rule.category { conditions.append("category is \(category)") }
                return RuleView(
                    id: rule.id, conditions: "When " + conditions.joined(separator: " and "),
                    outcome: rule.outcome == .job ? "make a job (for mapped locations)" : "make a booking")
            }, hasRules: !overview.rules.isEmpty, connectError: nil)
    }

    static func mappingViews(_ mappings: [StatusMapping]) -> [MappingView] {
        mappings.map { mapping in
            let status = [mapping.primary, mapping.extended].compactMap { $0 }.joined(separator: " / ")
            let describe: String
            switch mapping.milestone {
            case .dispatched: describe = mapping.enabled ? "Sets the work order to \(status)" : "Sends nothing"
            case .arrived: describe = mapping.enabled ? "Checks the technician in" : "Sends nothing"
            case .completed:
                describe = mapping.enabled ? "Checks the technician out; work order \(status)" : "Sends nothing"
            }
            return MappingView(
                milestone: mapping.milestone.rawValue, label: mapping.milestone.label, enabled: mapping.enabled,
                isArrival: mapping.milestone == .arrived, isCompletion: mapping.milestone == .completed,
                primaries: StatusMapping.primaries.map {
                    JobPages.Choice(id: $0, label: $0, selected: $0 == mapping.primary)
                }, extended: mapping.extended ?? "", describe: describe)
        }
    }

    static func changeView(_ change: WorkOrderChange, text: TimeText) -> ChangeView {
        let tone =
            switch change.state {
            case .applied: "success"
            case .queued, .sending: "neutral"
            case .actionRequired: "warning"
            case .failed: "danger"
            }
        return ChangeView(
            summary: change.summary, state: change.state.label, tone: tone,
            time: text.dateTime(change.appliedAt ?? change.createdAt), problem: change.problem,
            workOrder: String(change.workOrderID))
    }
}

/// A work order as a booking or job shows it (SV13): its facts, the phone check-in, and how
/// each change Fieldline sent it fared.
struct WorkOrderPanelView {
    var number: String
    var subscriber: String
    var location: String
    var address: String?
    var priority: String?
    var trade: String?
    var nte: String?
    var scheduled: String?
    var status: String
    var notice: String?
    var checkInInstructions: String?
    var checkInPIN: String?
    var hasCheckIn: Bool
    var changes: [ServiceChannelPages.ChangeView]
    var hasChanges: Bool
    var hasProblem: Bool

    init(_ panel: ServiceChannel.WorkOrderPanel, text: TimeText) {
        let order = panel.workOrder
        number = order.number
        subscriber = order.subscriberName ?? "Subscriber \(order.subscriberID)"
        location = order.locationName ?? "Location \(order.locationID)"
        address = order.locationAddress
        priority = order.priority
        let work = [order.trade, order.category].compactMap { $0?.capitalized }.joined(separator: " · ")
        trade = work.isEmpty ? nil : work
        nte = order.nteText
        scheduled = order.scheduledDate.flatMap(ServiceChannelDate.parse).map(text.dateTime)
        status = order.statusText
        notice = order.notice
        checkInInstructions = panel.subscriber?.checkInInstructions
        checkInPIN = panel.subscriber?.checkInPIN
        hasCheckIn = checkInInstructions != nil || checkInPIN != nil
        changes = panel.changes.map { ServiceChannelPages.changeView($0, text: text) }
        hasChanges = !changes.isEmpty
        hasProblem = panel.hasProblem
    }
}
