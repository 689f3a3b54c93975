import Fieldline
import FieldlineCore
import FieldlineStore
import Foundation

// The JSON shapes of `/api/v1`, exactly as `openapi.yaml` describes them. Inputs have optional
// fields so that a missing value gets the application's own message naming the field.

struct ListJSON<Item: Encodable>: Encodable {
    var items: [Item]
    var limit: Int
    var offset: Int
}

struct AccountJSON: Codable {
    var id: String
    var name: String
    var timeZone: String
    var businessHours: BusinessHours
    var autoreply: Autoreply
    /// Absent: texts are kept for ever.
    var messageRetentionMonths: Int?
    var marketingLimit: MarketingLimit

    init(_ account: Account) {
        id = account.id.rawValue
        name = account.name
        timeZone = account.timeZone
        businessHours = account.businessHours
        autoreply = account.autoreply
        messageRetentionMonths = account.messageRetentionMonths
        marketingLimit = account.marketingLimit
    }
}

struct UserJSON: Codable {
    var id: String
    var email: String
    var name: String
    var role: String
    var phone: String?
    var technicianId: String?
    var active: Bool
    var chatAccess: String

    init(_ user: User) {
        id = user.id.rawValue
        email = user.email.value
        name = user.name
        role = user.role.rawValue
        phone = user.phone?.e164
        technicianId = user.technicianID?.rawValue
        active = user.active
        chatAccess = user.chatAccess?.rawValue ?? "role"
    }
}

struct UserPatch: Decodable {
    var name: String?
    var role: String?
    var phone: String?
    var active: Bool?
    var chatAccess: String?
}

struct MeJSON: Encodable {
    var user: UserJSON
    var account: AccountJSON
    var permissions: [String]
}

struct TokenRequest: Decodable {
    var email: String?
    var password: String?
}

struct TokenJSON: Encodable {
    var token: String
    var tokenType = "Bearer"
    var expiresAt: Date
    var user: UserJSON
}

struct AccountPatch: Decodable {
    var name: String?
    var timeZone: String?
    var businessHours: BusinessHours?
    var autoreply: AutoreplyPatch?
    /// 0 keeps texts for ever.
    var messageRetentionMonths: Int?
    var marketingLimit: MarketingLimitPatch?
}

/// Each part of the limit may be sent alone; what is absent stays as it is.
struct MarketingLimitPatch: Decodable {
    var texts: Int?
    var days: Int?
    var skipOpenConversations: Bool?

    func applied(to limit: MarketingLimit) -> MarketingLimit {
        MarketingLimit(
            texts: texts ?? limit.texts, days: days ?? limit.days,
            skipOpenConversations: skipOpenConversations ?? limit.skipOpenConversations)
    }
}

struct CustomerEraseRequest: Decodable {
    var confirmName: String?
}

struct CustomerErasedJSON: Encodable {
    var numbers: Int
    var emails: Int
    var messages: Int
    var conversations: Int
    var locationsRemoved: Int
    var locationsBlanked: Int
    var estimates: Int
    var trackingLinks: Int
    var jobsKept: Int
    var summary: String

    init(_ erased: CustomerStore.Erased) {
        numbers = erased.numbers
        emails = erased.emails
        messages = erased.messages
        conversations = erased.conversations
        locationsRemoved = erased.locationsRemoved
        locationsBlanked = erased.locationsBlanked
        estimates = erased.estimates
        trackingLinks = erased.trackingLinks
        jobsKept = erased.jobsKept
        summary = erased.summary
    }
}

struct AutoreplyPatch: Decodable {
    var enabled: Bool?
    var text: String?
}

struct UserCreate: Decodable {
    var email: String?
    var name: String?
    var role: String?
    var password: String?
    var phone: String?
    var technicianId: String?
}

struct LocationInput: Decodable {
    var name: String?
    var street: String?
    var unit: String?
    var city: String?
    var state: String?
    var postalCode: String?
    var verified: Bool?
    var latitude: Double?
    var longitude: Double?
    var notes: String?

    var newLocation: Customers.NewLocation {
        .init(
            name: name, street: street, unit: unit, city: city, state: state, postalCode: postalCode,
            verified: verified, latitude: latitude, longitude: longitude, notes: notes)
    }
}

struct PhoneInput: Decodable {
    var number: String?
    var kind: String?
    var label: String?
    var jobNotifications: Bool?
    var marketingUpdates: Bool?

    var newPhone: Customers.NewPhone {
        .init(
            number: number, kind: kind, label: label, jobNotifications: jobNotifications,
            marketingUpdates: marketingUpdates)
    }
}

struct PhonePatch: Decodable {
    var kind: String?
    var label: String?
    var jobNotifications: Bool?
    var marketingUpdates: Bool?
}

struct EmailInput: Decodable {
    var address: String?
    var jobNotifications: Bool?
}

struct EmailPatch: Decodable {
    var jobNotifications: Bool?
}

struct CustomerCreate: Decodable {
    var name: String?
    var notes: String?
    var location: LocationInput?
    var phones: [PhoneInput]?
    var emails: [String]?
    var tags: [String]?
}

struct CustomerPatch: Decodable {
    var name: String?
    var notes: String?
    /// Replaces the customer's tags when given.
    var tags: [String]?
}

struct LocationJSON: Codable {
    var id: String
    var customerId: String
    var name: String?
    var street: String
    var unit: String?
    var city: String
    var state: String
    var postalCode: String
    var address: String
    var verified: Bool
    var latitude: Double?
    var longitude: Double?
    var notes: String?

    init(_ location: ServiceLocation) {
        id = location.id.rawValue
        customerId = location.customerID.rawValue
        name = location.name
        street = location.address.street
        unit = location.address.unit
        city = location.address.city
        state = location.address.state
        postalCode = location.address.postalCode
        address = location.address.oneLine
        verified = location.verified
        latitude = location.coordinates?.latitude
        longitude = location.coordinates?.longitude
        notes = location.notes
    }
}

struct PhoneJSON: Codable {
    var id: String
    var customerId: String
    var number: String
    var display: String
    var kind: String
    var label: String?
    var jobNotifications: Bool
    var marketingUpdates: Bool

    init(_ phone: PhoneContact) {
        id = phone.id.rawValue
        customerId = phone.customerID.rawValue
        number = phone.number.e164
        display = phone.number.displayed
        kind = phone.kind.rawValue
        label = phone.label
        jobNotifications = phone.preferences.jobNotifications
        marketingUpdates = phone.preferences.marketingUpdates
    }
}

struct EmailJSON: Codable {
    var id: String
    var customerId: String
    var address: String
    var jobNotifications: Bool

    init(_ email: EmailContact) {
        id = email.id.rawValue
        customerId = email.customerID.rawValue
        address = email.address.value
        jobNotifications = email.jobNotifications
    }
}

struct CustomerJSON: Encodable {
    var id: String
    var name: String
    var notes: String?
    var tags: [String]
    var createdAt: Date
    /// Set once the customer was erased (OP3).
    var erasedAt: Date?
    var updatedAt: Date
    var phones: [PhoneJSON]?
    var emails: [EmailJSON]?
    var locations: [LocationJSON]?
    var jobs: [JobJSON]?
    var estimates: [EstimateJSON]?
    var recurringServices: [RecurringServiceJSON]?

    init(_ customer: Customer) {
        id = customer.id.rawValue
        name = customer.name
        notes = customer.notes
        tags = customer.tags
        createdAt = customer.createdAt
        erasedAt = customer.erasedAt
        updatedAt = customer.updatedAt
    }

    init(_ detail: CustomerDetail) {
        self.init(detail.customer)
        phones = detail.phones.map(PhoneJSON.init)
        emails = detail.emails.map(EmailJSON.init)
        locations = detail.locations.map(LocationJSON.init)
        jobs = detail.jobs.map(JobJSON.init)
        estimates = detail.estimates.map(EstimateJSON.init)
        recurringServices = detail.services.map(RecurringServiceJSON.init)
    }

    init(_ summary: CustomerSummary) {
        self.init(summary.customer)
        phones = summary.phones.map(PhoneJSON.init)
        locations = summary.firstLocation.map { [LocationJSON($0)] }
    }
}

struct TechnicianInput: Decodable {
    var name: String?
    var phone: String?
    var photoUrl: String?
    var rating: Double?
    var canViewChats: Bool?
    var canReplyChats: Bool?
    var active: Bool?

    var input: Technicians.Input {
        .init(
            name: name, phone: phone, photoURL: photoUrl, rating: rating, canViewChats: canViewChats,
            canReplyChats: canReplyChats, active: active)
    }
}

struct TechnicianJSON: Codable {
    var id: String
    var name: String
    var phone: String?
    var photoUrl: String?
    var rating: Double?
    var publicRating: Double?
    var canViewChats: Bool
    var canReplyChats: Bool
    var active: Bool

    init(_ technician: Technician) {
        id = technician.id.rawValue
        name = technician.name
        phone = technician.phone?.e164
        photoUrl = technician.photoURL
        rating = technician.rating
        publicRating = technician.publicRating
        canViewChats = technician.chat.canViewChats
        canReplyChats = technician.chat.canReplyChats
        active = technician.active
    }
}

struct JobJSON: Codable {
    var id: String
    var number: Int
    var customerId: String
    var locationId: String
    var summary: String
    var status: String
    var customFields: [String: String]
    var createdAt: Date
    var updatedAt: Date

    init(_ job: Job) {
        id = job.id.rawValue
        number = job.number
        customerId = job.customerID.rawValue
        locationId = job.locationID.rawValue
        summary = job.summary
        status = job.status.rawValue
        customFields = job.customFields
        createdAt = job.createdAt
        updatedAt = job.updatedAt
    }
}

struct AssignmentJSON: Codable {
    var id: String
    var jobId: String
    var appointmentId: String
    var technicianId: String
    var technicianName: String?
    var status: String
    var dispatchedAt: Date?
    var arrivedAt: Date?
    var completedAt: Date?

    init(_ assignment: Assignment, technician: Technician? = nil) {
        id = assignment.id.rawValue
        jobId = assignment.jobID.rawValue
        appointmentId = assignment.appointmentID.rawValue
        technicianId = assignment.technicianID.rawValue
        technicianName = technician?.name
        status = assignment.status.rawValue
        dispatchedAt = assignment.dispatchedAt
        arrivedAt = assignment.arrivedAt
        completedAt = assignment.completedAt
    }
}

struct AppointmentJSON: Codable {
    var id: String
    var jobId: String
    var startsAt: Date
    var endsAt: Date
    var arrivalWindowStart: Date
    var arrivalWindowEnd: Date
    var assignments: [AssignmentJSON]?

    init(_ appointment: Appointment, assignments: [AssignmentJSON]? = nil) {
        id = appointment.id.rawValue
        jobId = appointment.jobID.rawValue
        startsAt = appointment.startsAt
        endsAt = appointment.endsAt
        arrivalWindowStart = appointment.arrivalWindow.start
        arrivalWindowEnd = appointment.arrivalWindow.end
        self.assignments = assignments
    }
}

struct JobEventJSON: Codable {
    var id: String
    var occurredAt: Date
    var actorKind: String
    var actorName: String
    var kind: String
    var text: String

    init(_ event: JobEvent) {
        id = event.id
        occurredAt = event.occurredAt
        actorKind = event.actor.kind.rawValue
        actorName = event.actor.name
        kind = event.kind
        text = event.text
    }
}

struct JobDetailJSON: Encodable {
    var job: JobJSON
    var customer: CustomerJSON
    var location: LocationJSON
    var appointments: [AppointmentJSON]
    var auditTrail: [JobEventJSON]

    init(_ detail: JobDetail) {
        job = JobJSON(detail.job)
        var customer = CustomerJSON(detail.customer)
        customer.phones = detail.phones.map(PhoneJSON.init)
        self.customer = customer
        location = LocationJSON(detail.location)
        let byAppointment = Dictionary(grouping: detail.assignments, by: \.appointmentID)
        appointments = detail.appointments.map { appointment in
            AppointmentJSON(
                appointment,
                assignments: (byAppointment[appointment.id] ?? []).map {
                    AssignmentJSON($0, technician: detail.technicians[$0.technicianID])
                })
        }
        auditTrail = detail.events.map(JobEventJSON.init)
    }
}

struct JobCreate: Decodable {
    var customerId: String?
    var locationId: String?
    var summary: String?
    var startsAt: Date?
    var endsAt: Date?
    var arrivalWindowStart: Date?
    var arrivalWindowEnd: Date?
    var technicianIds: [String]?
    var customFields: [String: String]?

    func newJob() throws -> Jobs.NewJob {
        guard let customerId, !customerId.isEmpty else {
            throw FieldlineError.invalid(field: "customerId", message: "customerId is required.")
        }
        guard let locationId, !locationId.isEmpty else {
            throw FieldlineError.invalid(field: "locationId", message: "locationId is required.")
        }
        return Jobs.NewJob(
            customerID: CustomerID(customerId), locationID: LocationID(locationId), summary: summary,
            startsAt: startsAt,
            endsAt: endsAt, arrivalWindowStart: arrivalWindowStart, arrivalWindowEnd: arrivalWindowEnd,
            technicianIDs: (technicianIds ?? []).map(TechnicianID.init), customFields: customFields)
    }
}

struct JobPatch: Decodable {
    var summary: String?
    var customFields: [String: String]?
}

struct CancelRequest: Decodable {
    var reason: String?
}

struct RescheduleRequest: Decodable {
    var startsAt: Date?
    var endsAt: Date?
    var arrivalWindowStart: Date?
    var arrivalWindowEnd: Date?
}

struct AssignRequest: Decodable {
    var technicianId: String?
}

struct ScheduleJSON: Encodable {
    struct Visit: Encodable {
        var appointment: AppointmentJSON
        var job: JobJSON
        var customerName: String
        var address: String
    }

    var date: String
    var timeZone: String
    var visits: [Visit]

    init(_ schedule: DaySchedule) {
        date = schedule.day
        timeZone = schedule.account.timeZone
        visits = schedule.visits.map { visit in
            Visit(
                appointment: AppointmentJSON(
                    visit.appointment,
                    assignments: visit.assignments.map { AssignmentJSON($0.assignment, technician: $0.technician) }),
                job: JobJSON(visit.job), customerName: visit.customer.name, address: visit.location.address.oneLine)
        }
    }
}

struct BookingCreate: Decodable {
    var source: String?
    var customerId: String?
    var locationId: String?
    var contactName: String?
    var contactPhone: String?
    var summary: String?
    var details: String?
    var requestedFor: Date?
}

struct BookingJSON: Codable {
    var id: String
    var source: String
    var customerId: String?
    var locationId: String?
    var contactName: String?
    var contactPhone: String?
    var summary: String
    var details: String?
    var requestedFor: Date?
    var status: String
    var jobId: String?
    var createdAt: Date
    var updatedAt: Date

    init(_ booking: Booking) {
        id = booking.id.rawValue
        source = booking.source
        customerId = booking.customerID?.rawValue
        locationId = booking.locationID?.rawValue
        contactName = booking.contactName
        contactPhone = booking.contactPhone?.e164
        summary = booking.summary
        details = booking.details
        requestedFor = booking.requestedFor
        status = booking.status.rawValue
        jobId = booking.jobID?.rawValue
        createdAt = booking.createdAt
        updatedAt = booking.updatedAt
    }
}

struct BookingConversionJSON: Encodable {
    var booking: BookingJSON
    var job: JobJSON
}

struct PasswordResetRequest: Decodable {
    var email: String?
}

struct PasswordChange: Decodable {
    var currentPassword: String?
    var newPassword: String?
}
