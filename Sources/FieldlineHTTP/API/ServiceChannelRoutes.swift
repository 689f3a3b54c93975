import Fieldline
import FieldlineCore
import FieldlineStore
import Foundation
import Hummingbird

extension APIRoutes {
    /// ServiceChannel: the connection's health (admins), declining a work order's booking, a
    /// job's work order, and job notes (which sync to the work order, SV10).
    static func serviceChannel(_ app: Fieldline) -> [APIRoute] {
        [
            APIRoute(.get, "/servicechannel") { _, context in
                try APIResponse.json(ServiceChannelJSON(try await app.serviceChannel.overview(by: try context.actor())))
            },
            APIRoute(.post, "/bookings/{bookingId}/decline") { request, context in
                let id = try context.parameters.id("bookingId", as: BookingID.self)
                let body = try await request.decodeJSON(DeclineInput.self, context: context)
                return try APIResponse.json(
                    BookingJSON(
                        try await app.serviceChannel.decline(
                            booking: id, reason: body.reason, comment: body.comment, by: try context.actor())))
            },
            APIRoute(.get, "/jobs/{jobId}/work-order") { _, context in
                let id = try context.parameters.id("jobId", as: JobID.self)
                let actor = try context.actor()
                // The job must be visible first: another account's job is as absent as a missing one.
                _ = try await app.jobs.detail(id, by: actor)
                guard let panel = try await app.serviceChannel.panel(forJob: id, by: actor) else {
                    throw FieldlineError.notFound(entity: "work order", id: id.rawValue)
                }
                return try APIResponse.json(WorkOrderJSON(panel))
            },
            APIRoute(.post, "/jobs/{jobId}/notes") { request, context in
                let id = try context.parameters.id("jobId", as: JobID.self)
                let body = try await request.decodeJSON(NoteInput.self, context: context)
                return try APIResponse.json(
                    JobEventJSON(try await app.jobs.addNote(id, text: body.text, by: try context.actor())),
                    status: .created)
            },
            APIRoute(.get, "/jobs/{jobId}/invoice") { _, context in
                let id = try context.parameters.id("jobId", as: JobID.self)
                guard let invoice = try await app.invoices.invoice(ofJob: id, by: try context.actor()) else {
                    throw FieldlineError.notFound(entity: "invoice", id: id.rawValue)
                }
                return try APIResponse.json(InvoiceJSON(invoice))
            },
            APIRoute(.put, "/jobs/{jobId}/invoice") { request, context in
                let id = try context.parameters.id("jobId", as: JobID.self)
                let body = try await request.decodeJSON(InvoiceInput.self, context: context)
                let invoice = try await app.invoices.save(
                    .init(
                        number: body.number, issuedOn: body.issuedOn, labor: body.labor, material: body.material,
                        travel: body.travel, freight: body.freight, other: body.other, tax: body.tax),
                    forJob: id, by: try context.actor())
                return try APIResponse.json(InvoiceJSON(invoice))
            },
            APIRoute(.post, "/jobs/{jobId}/invoice/export") { _, context in
                let id = try context.parameters.id("jobId", as: JobID.self)
                return try APIResponse.json(
                    InvoiceJSON(try await app.invoices.export(forJob: id, by: try context.actor())))
            },
            APIRoute(.patch, "/jobs/{jobId}/notes/{noteId}") { request, context in
                let id = try context.parameters.id("jobId", as: JobID.self)
                let noteID = context.parameters.get("noteId") ?? ""
                let body = try await request.decodeJSON(NoteInput.self, context: context)
                return try APIResponse.json(
                    JobEventJSON(
                        try await app.jobs.editNote(id, note: noteID, text: body.text, by: try context.actor())))
            },
        ]
    }
}

struct DeclineInput: Codable {
    var reason: Int?
    var comment: String?
}

struct InvoiceInput: Codable {
    var number: String?
    var issuedOn: String?
    var labor: String?
    var material: String?
    var travel: String?
    var freight: String?
    var other: String?
    var tax: String?
}

struct InvoiceJSON: Codable {
    var id: String
    var jobId: String
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
    var exportedAt: Date?

    init(_ invoice: Invoice) {
        func text(_ cents: Int) -> String { String(format: "%.2f", Double(cents) / 100) }
        id = invoice.id.rawValue
        jobId = invoice.jobID.rawValue
        number = invoice.number
        issuedOn = invoice.issuedOn
        labor = text(invoice.amounts.labor)
        material = text(invoice.amounts.material)
        travel = text(invoice.amounts.travel)
        freight = text(invoice.amounts.freight)
        other = text(invoice.amounts.other)
        tax = text(invoice.amounts.tax)
        total = text(invoice.amounts.total)
        status = invoice.status.rawValue
        exportedAt = invoice.exportedAt
    }
}

struct NoteInput: Codable {
    var text: String?
}

struct ServiceChannelJSON: Codable {
    struct Connection: Codable {
        var environment: String
        var clientId: String
        var username: String
        var authorizedBy: String
        var authorizedAt: Date
        var connectedAt: Date
        var healthy: Bool
        var lastSyncAt: Date?
        var lastSyncCount: Int
        var lastError: String?
        var lastErrorAt: Date?
        var lastThrottledAt: Date?
    }

    struct Subscriber: Codable {
        var id: Int
        var name: String
        var noteSync: Bool
        var checkInInstructions: String?
        var checkInPin: String?
    }

    var connected: Bool
    var connection: Connection?
    var workOrdersImported: Int
    var workOrdersIgnored: Int
    var updatesPending: Int
    var updatesNeedingAttention: Int
    var subscribers: [Subscriber]
    var webhookUrl: String

    init(_ overview: ServiceChannel.Overview) {
        connected = overview.connection != nil
        connection = overview.connection.map {
            Connection(
                environment: $0.environment.rawValue, clientId: $0.clientID, username: $0.username,
                authorizedBy: $0.authorizedByName, authorizedAt: $0.authorizedAt, connectedAt: $0.connectedAt,
                healthy: $0.isHealthy, lastSyncAt: $0.lastSyncAt, lastSyncCount: $0.lastSyncCount,
                lastError: $0.lastError, lastErrorAt: $0.lastErrorAt, lastThrottledAt: $0.lastThrottledAt)
        }
        workOrdersImported = overview.workOrders.imported
        workOrdersIgnored = overview.workOrders.ignored
        updatesPending = overview.queue.pending
        updatesNeedingAttention = overview.queue.attention
        subscribers = overview.subscribers.map {
            Subscriber(
                id: $0.subscriberID, name: $0.name, noteSync: $0.noteSync,
                checkInInstructions: $0.checkInInstructions, checkInPin: $0.checkInPIN)
        }
        webhookUrl = overview.webhookURL
    }
}

struct WorkOrderJSON: Codable {
    struct Change: Codable {
        var kind: String
        var summary: String
        var state: String
        var attempts: Int
        var problem: String?
        var createdAt: Date
        var appliedAt: Date?
    }

    var id: Int
    var number: String
    var subscriberId: Int
    var subscriberName: String?
    var locationName: String?
    var locationAddress: String?
    var priority: String?
    var trade: String?
    var category: String?
    var description: String?
    var nte: Double?
    var currency: String?
    var status: String
    var notice: String?
    var checkInInstructions: String?
    var checkInPin: String?
    var changes: [Change]

    init(_ panel: ServiceChannel.WorkOrderPanel) {
        let order = panel.workOrder
        id = order.workOrderID
        number = order.number
        subscriberId = order.subscriberID
        subscriberName = order.subscriberName
        locationName = order.locationName
        locationAddress = order.locationAddress
        priority = order.priority
        trade = order.trade
        category = order.category
        description = order.description
        nte = order.nte
        currency = order.currency
        status = order.statusText
        notice = order.notice
        checkInInstructions = panel.subscriber?.checkInInstructions
        checkInPin = panel.subscriber?.checkInPIN
        changes = panel.changes.map {
            Change(
                kind: $0.kind.rawValue, summary: $0.summary, state: $0.state.rawValue, attempts: $0.attempts,
                problem: $0.problem, createdAt: $0.createdAt, appliedAt: $0.appliedAt)
        }
    }
}
