import Fieldline
import FieldlineCore
import Foundation
import Hummingbird

extension APIRoutes {
    /// The technician's API (TC1–TC6, DN7): my jobs, a job's customer thread, replies, read marks
    /// and position reports. Every route answers for the signed-in technician only.
    static func field(_ app: Fieldline) -> [APIRoute] {
        [
            APIRoute(.get, "/my/jobs") { _, context in
                try APIResponse.json(FieldJobsJSON(try await app.field.myJobs(by: try context.actor())))
            },
            APIRoute(.get, "/my/jobs/{jobId}") { _, context in
                let id = try context.parameters.id("jobId", as: JobID.self)
                return try APIResponse.json(FieldJobDetailJSON(try await app.field.job(id, by: try context.actor())))
            },
            APIRoute(.get, "/my/jobs/{jobId}/thread") { _, context in
                let id = try context.parameters.id("jobId", as: JobID.self)
                let thread = try await app.field.thread(ofJob: id, by: try context.actor())
                return try APIResponse.json(FieldThreadJSON(jobId: id.rawValue, thread: thread))
            },
            APIRoute(.post, "/my/jobs/{jobId}/thread/messages") { request, context in
                let id = try context.parameters.id("jobId", as: JobID.self)
                let body = try await request.decodeJSON(ReplyRequest.self, context: context)
                let message = try await app.field.reply(
                    toJob: id, body: body.body, attachmentCount: body.attachments?.count ?? 0,
                    by: try context.actor())
                return try APIResponse.json(MessageJSON(message), status: .created)
            },
            APIRoute(.post, "/my/jobs/{jobId}/thread/read") { _, context in
                let id = try context.parameters.id("jobId", as: JobID.self)
                let summary = try await app.field.markRead(ofJob: id, by: try context.actor())
                return try APIResponse.json(FieldThreadSummaryJSON(summary))
            },
            APIRoute(.post, "/my/positions") { request, context in
                let body = try await request.decodeJSON(PositionRequest.self, context: context)
                let recordedAt = try body.recordedAt.map { raw in
                    guard let date = JSONCoding.parseDate(raw) else {
                        throw FieldlineError.invalid(
                            field: "recordedAt",
                            message: "recordedAt is an ISO 8601 time such as 2026-11-23T09:00:00Z.")
                    }
                    return date
                }
                let position = try await app.field.reportPosition(
                    latitude: body.latitude, longitude: body.longitude, accuracyMeters: body.accuracyMeters,
                    recordedAt: recordedAt, by: try context.actor())
                return try APIResponse.json(PositionJSON(position), status: .created)
            },
        ]
    }
}

struct PositionRequest: Decodable {
    var latitude: Double?
    var longitude: Double?
    var accuracyMeters: Double?
    var recordedAt: String?
}

struct PositionJSON: Encodable {
    var technicianId: String
    var latitude: Double
    var longitude: Double
    var accuracyMeters: Double?
    var recordedAt: Date
    var receivedAt: Date

    init(_ position: TechnicianPosition) {
        technicianId = position.technicianID.rawValue
        latitude = position.latitude
        longitude = position.longitude
        accuracyMeters = position.accuracyMeters
        recordedAt = position.recordedAt
        receivedAt = position.receivedAt
    }
}

struct FieldThreadSummaryJSON: Encodable {
    var conversationId: String
    var unread: Int

    init(_ summary: Field.ThreadSummary) {
        conversationId = summary.conversationID.rawValue
        unread = summary.unread
    }
}

/// A job in the technician's list: their own visit, where, and the thread's unread count.
struct FieldJobJSON: Encodable {
    var id: String
    var number: Int
    var summary: String
    var status: String
    var customerName: String
    var location: LocationJSON
    var appointment: AppointmentJSON
    var assignmentId: String
    var assignmentStatus: String
    /// Left out when chat is off for the technician or the job has no open customer thread.
    var thread: FieldThreadSummaryJSON?

    init(_ card: Field.JobCard) {
        id = card.job.id.rawValue
        number = card.job.number
        summary = card.job.summary
        status = card.job.status.rawValue
        customerName = card.customerName
        location = LocationJSON(card.location)
        appointment = AppointmentJSON(card.appointment)
        assignmentId = card.assignment.id.rawValue
        assignmentStatus = card.assignment.status.rawValue
        thread = card.thread.map(FieldThreadSummaryJSON.init)
    }
}

struct FieldJobsJSON: Encodable {
    var day: String
    var timeZone: String
    var chatEnabled: Bool
    var today: [FieldJobJSON]
    var upcoming: [FieldJobJSON]

    init(_ jobs: Field.MyJobs) {
        day = jobs.day
        timeZone = jobs.timeZone
        chatEnabled = jobs.chatEnabled
        today = jobs.today.map(FieldJobJSON.init)
        upcoming = jobs.upcoming.map(FieldJobJSON.init)
    }
}

struct FieldCrewJSON: Encodable {
    var technicianId: String
    var name: String
    var photoUrl: String?
    var status: String
}

struct FieldJobDetailJSON: Encodable {
    var job: FieldJobJSON
    var crew: [FieldCrewJSON]
    var customerPhones: [String]
    /// `granted`, or why the thread is not shown: `chat_not_enabled`, `no_thread`, `closed`.
    var chat: String

    init(_ detail: Field.JobDetail) {
        job = FieldJobJSON(detail.card)
        crew = detail.crew.map {
            FieldCrewJSON(
                technicianId: $0.technician.id.rawValue, name: $0.technician.name, photoUrl: $0.technician.photoURL,
                status: $0.status.rawValue)
        }
        customerPhones = detail.customerPhones.map(\.e164)
        chat =
            switch detail.chat {
            case .granted: "granted"
            case .missingPermissions: "chat_not_enabled"
            case .notAssigned: "not_assigned"
            case .noThread: "no_thread"
            case .closed: "closed"
            }
    }
}

struct FieldThreadJSON: Encodable {
    var jobId: String
    /// Left out when the job has no open customer thread (none yet, or closed in the office).
    var conversationId: String?
    var customerPhone: String?
    var unread: Int
    var items: [MessageJSON]

    init(jobId: String, thread: Field.Thread?) {
        self.jobId = jobId
        conversationId = thread?.conversation.id.rawValue
        customerPhone = thread?.conversation.phone.e164
        unread = thread?.unread ?? 0
        items = thread?.entries.map(MessageJSON.init) ?? []
    }
}
