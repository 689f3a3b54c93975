import Fieldline
import FieldlineCore
import Foundation
import Hummingbird
import HummingbirdCore

/// The `/api/v1` endpoints, grouped by feature. Handlers only translate: decode, call the use
/// case with the signed-in actor, encode.
enum APIRoutes {
    static func all(app: Fieldline) -> [APIRoute] {
        accounts(app) + customers(app) + technicians(app) + jobs(app) + bookings(app) + conversations(app)
            + messaging(app) + field(app) + dispatch(app) + consent(app) + registrations(app) + campaigns(app)
            + triggeredCampaigns(app) + estimates(app) + serviceChannel(app) + audit(app) + customerImports(app)
    }

    static func accounts(_ app: Fieldline) -> [APIRoute] {
        [
            APIRoute(.post, "/auth/token", authenticated: false) { request, context in
                let body = try await request.decodeJSON(TokenRequest.self, context: context)
                let session = try await app.accounts.signIn(
                    email: body.email, password: body.password, kind: .api, from: context.clientAddress(request))
                return try APIResponse.json(
                    TokenJSON(token: session.token, expiresAt: session.expiresAt, user: UserJSON(session.user)),
                    status: .created)
            },
            APIRoute(.delete, "/auth/token") { request, _ in
                if let token = request.bearerToken { try await app.accounts.signOut(token: token) }
                return APIResponse.noContent()
            },
            // Forgot password: the same answer whatever the address; a link goes out if it signs in.
            APIRoute(.post, "/auth/password-reset", authenticated: false) { request, context in
                let body = try await request.decodeJSON(PasswordResetRequest.self, context: context)
                try await app.passwordChanges.requestReset(email: body.email)
                return Response(status: .accepted)
            },
            APIRoute(.post, "/me/password") { request, context in
                let body = try await request.decodeJSON(PasswordChange.self, context: context)
                try await app.passwordChanges.change(
                    current: body.currentPassword, new: body.newPassword, keeping: request.bearerToken,
                    by: try context.actor())
                return APIResponse.noContent()
            },
            APIRoute(.post, "/users/{userId}/password-reset") { _, context in
                let id = try context.parameters.id("userId", as: UserID.self)
                try await app.passwordChanges.forceReset(id, by: try context.actor())
                return Response(status: .accepted)
            },
            APIRoute(.get, "/me") { _, context in
                guard let auth = context.auth else { throw FieldlineError.unauthenticated(message: "Sign in first.") }
                return try APIResponse.json(
                    MeJSON(
                        user: UserJSON(auth.user), account: AccountJSON(auth.account),
                        permissions: auth.actor.permissions.map(\.rawValue).sorted()))
            },
            APIRoute(.get, "/account") { _, context in
                let actor = try context.actor()
                return try APIResponse.json(AccountJSON(try await app.accounts.find(actor.accountID)))
            },
            APIRoute(.patch, "/account") { request, context in
                let body = try await request.decodeJSON(AccountPatch.self, context: context)
                let actor = try context.actor()
                var limit: MarketingLimit?
                if let patch = body.marketingLimit {
                    limit = patch.applied(to: try await app.accounts.find(actor.accountID).marketingLimit)
                }
                let account = try await app.accounts.update(
                    .init(
                        name: body.name, timeZone: body.timeZone, businessHours: body.businessHours,
                        autoreplyEnabled: body.autoreply?.enabled, autoreplyText: body.autoreply?.text,
                        messageRetentionMonths: body.messageRetentionMonths, marketingLimit: limit),
                    by: actor)
                return try APIResponse.json(AccountJSON(account))
            },
            APIRoute(.get, "/users") { _, context in
                let users = try await app.accounts.users(by: try context.actor())
                return try APIResponse.json(ListJSON(items: users.map(UserJSON.init), limit: users.count, offset: 0))
            },
            APIRoute(.post, "/users") { request, context in
                let body = try await request.decodeJSON(UserCreate.self, context: context)
                let actor = try context.actor()
                let user = try await app.accounts.createUser(
                    .init(
                        email: body.email, name: body.name, role: body.role, password: body.password, phone: body.phone,
                        technicianID: body.technicianId.map(TechnicianID.init)),
                    in: actor.accountID, by: actor)
                return try APIResponse.json(UserJSON(user), status: .created)
            },
            APIRoute(.patch, "/users/{userId}") { request, context in
                let id = try context.parameters.id("userId", as: UserID.self)
                let body = try await request.decodeJSON(UserPatch.self, context: context)
                let user = try await app.accounts.updateUser(
                    id,
                    .init(
                        name: body.name, role: body.role, phone: body.phone, active: body.active,
                        chatAccess: body.chatAccess),
                    by: try context.actor())
                return try APIResponse.json(UserJSON(user))
            },
        ]
    }

    static func customers(_ app: Fieldline) -> [APIRoute] {
        [
            APIRoute(.get, "/customers") { request, context in
                let paging = try Paging(
                    limit: try request.query.int("limit"), offset: try request.query.int("offset"))
                let found = try await app.customers.search(
                    request.query["q"], paging: paging, by: try context.actor())
                return try APIResponse.json(
                    ListJSON(items: found.map(CustomerJSON.init), limit: paging.limit, offset: paging.offset))
            },
            APIRoute(.post, "/customers/{customerId}/erase") { request, context in
                let id = try context.parameters.id("customerId", as: CustomerID.self)
                let body = try await request.decodeJSON(CustomerEraseRequest.self, context: context)
                let erased = try await app.customers.erase(
                    id, confirmingName: body.confirmName, by: try context.actor())
                return try APIResponse.json(CustomerErasedJSON(erased))
            },
            APIRoute(.post, "/customers") { request, context in
                let body = try await request.decodeJSON(CustomerCreate.self, context: context)
                let actor = try context.actor()
                let customer = try await app.customers.create(
                    .init(
                        name: body.name, notes: body.notes, location: body.location?.newLocation,
                        phones: (body.phones ?? []).map(\.newPhone), emails: body.emails ?? [], tags: body.tags ?? []),
                    by: actor)
                return try APIResponse.json(
                    CustomerJSON(try await app.customers.detail(customer.id, by: actor)), status: .created)
            },
            APIRoute(.get, "/customers/{customerId}") { _, context in
                let id = try context.parameters.id("customerId", as: CustomerID.self)
                return try APIResponse.json(CustomerJSON(try await app.customers.detail(id, by: try context.actor())))
            },
            APIRoute(.patch, "/customers/{customerId}") { request, context in
                let id = try context.parameters.id("customerId", as: CustomerID.self)
                let body = try await request.decodeJSON(CustomerPatch.self, context: context)
                let actor = try context.actor()
                _ = try await app.customers.update(id, name: body.name, notes: body.notes, tags: body.tags, by: actor)
                return try APIResponse.json(CustomerJSON(try await app.customers.detail(id, by: actor)))
            },
            APIRoute(.post, "/customers/{customerId}/locations") { request, context in
                let id = try context.parameters.id("customerId", as: CustomerID.self)
                let body = try await request.decodeJSON(LocationInput.self, context: context)
                let location = try await app.customers.addLocation(body.newLocation, to: id, by: try context.actor())
                return try APIResponse.json(LocationJSON(location), status: .created)
            },
            APIRoute(.get, "/locations/{locationId}") { _, context in
                let id = try context.parameters.id("locationId", as: LocationID.self)
                return try APIResponse.json(LocationJSON(try await app.customers.location(id, by: try context.actor())))
            },
            APIRoute(.patch, "/locations/{locationId}") { request, context in
                let id = try context.parameters.id("locationId", as: LocationID.self)
                let body = try await request.decodeJSON(LocationInput.self, context: context)
                let location = try await app.customers.updateLocation(
                    id, with: body.newLocation, by: try context.actor())
                return try APIResponse.json(LocationJSON(location))
            },
            APIRoute(.post, "/customers/{customerId}/phones") { request, context in
                let id = try context.parameters.id("customerId", as: CustomerID.self)
                let body = try await request.decodeJSON(PhoneInput.self, context: context)
                let phone = try await app.customers.addPhone(body.newPhone, to: id, by: try context.actor())
                return try APIResponse.json(PhoneJSON(phone), status: .created)
            },
            APIRoute(.patch, "/phones/{phoneId}") { request, context in
                let id = try context.parameters.id("phoneId", as: PhoneContactID.self)
                let body = try await request.decodeJSON(PhonePatch.self, context: context)
                let phone = try await app.customers.updatePhone(
                    id,
                    .init(
                        kind: body.kind, label: body.label, jobNotifications: body.jobNotifications,
                        marketingUpdates: body.marketingUpdates), by: try context.actor())
                return try APIResponse.json(PhoneJSON(phone))
            },
            APIRoute(.delete, "/phones/{phoneId}") { _, context in
                let id = try context.parameters.id("phoneId", as: PhoneContactID.self)
                try await app.customers.removePhone(id, by: try context.actor())
                return APIResponse.noContent()
            },
            APIRoute(.post, "/customers/{customerId}/emails") { request, context in
                let id = try context.parameters.id("customerId", as: CustomerID.self)
                let body = try await request.decodeJSON(EmailInput.self, context: context)
                let email = try await app.customers.addEmail(
                    body.address, jobNotifications: body.jobNotifications, to: id, by: try context.actor())
                return try APIResponse.json(EmailJSON(email), status: .created)
            },
            APIRoute(.patch, "/emails/{emailId}") { request, context in
                let id = try context.parameters.id("emailId", as: EmailContactID.self)
                let body = try await request.decodeJSON(EmailPatch.self, context: context)
                guard let value = body.jobNotifications else {
                    throw FieldlineError.invalid(field: "jobNotifications", message: "jobNotifications is required.")
                }
                return try APIResponse.json(
                    EmailJSON(try await app.customers.updateEmail(id, jobNotifications: value, by: try context.actor()))
                )
            },
            APIRoute(.delete, "/emails/{emailId}") { _, context in
                let id = try context.parameters.id("emailId", as: EmailContactID.self)
                try await app.customers.removeEmail(id, by: try context.actor())
                return APIResponse.noContent()
            },
        ]
    }

    static func technicians(_ app: Fieldline) -> [APIRoute] {
        [
            APIRoute(.get, "/technicians") { _, context in
                let all = try await app.technicians.all(by: try context.actor())
                return try APIResponse.json(ListJSON(items: all.map(TechnicianJSON.init), limit: all.count, offset: 0))
            },
            APIRoute(.post, "/technicians") { request, context in
                let body = try await request.decodeJSON(TechnicianInput.self, context: context)
                return try APIResponse.json(
                    TechnicianJSON(try await app.technicians.add(body.input, by: try context.actor())), status: .created
                )
            },
            APIRoute(.get, "/technicians/{technicianId}") { _, context in
                let id = try context.parameters.id("technicianId", as: TechnicianID.self)
                return try APIResponse.json(TechnicianJSON(try await app.technicians.find(id, by: try context.actor())))
            },
            APIRoute(.patch, "/technicians/{technicianId}") { request, context in
                let id = try context.parameters.id("technicianId", as: TechnicianID.self)
                let body = try await request.decodeJSON(TechnicianInput.self, context: context)
                return try APIResponse.json(
                    TechnicianJSON(try await app.technicians.update(id, body.input, by: try context.actor())))
            },
        ]
    }

    static func jobs(_ app: Fieldline) -> [APIRoute] {
        [
            APIRoute(.get, "/jobs") { request, context in
                let paging = try Paging(
                    limit: try request.query.int("limit"), offset: try request.query.int("offset"))
                let status = try request.query["status"].map { raw in
                    guard let status = JobStatus(rawValue: raw) else {
                        throw FieldlineError.invalid(
                            field: "status",
                            message:
                                "status must be one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
                    }
                    return status
                }
                let jobs = try await app.jobs.list(status: status, paging: paging, by: try context.actor())
                return try APIResponse.json(
                    ListJSON(items: jobs.map { JobJSON($0.job) }, limit: paging.limit, offset: paging.offset))
            },
            APIRoute(.post, "/jobs") { request, context in
                let body = try await request.decodeJSON(JobCreate.self, context: context)
                let actor = try context.actor()
                let job = try await app.jobs.book(try body.newJob(), by: actor)
                return try APIResponse.json(
                    JobDetailJSON(try await app.jobs.detail(job.id, by: actor)), status: .created)
            },
            APIRoute(.get, "/jobs/{jobId}") { _, context in
                let id = try context.parameters.id("jobId", as: JobID.self)
                return try APIResponse.json(JobDetailJSON(try await app.jobs.detail(id, by: try context.actor())))
            },
            APIRoute(.patch, "/jobs/{jobId}") { request, context in
                let id = try context.parameters.id("jobId", as: JobID.self)
                let body = try await request.decodeJSON(JobPatch.self, context: context)
                let actor = try context.actor()
                _ = try await app.jobs.update(
                    id, .init(summary: body.summary, customFields: body.customFields), by: actor)
                return try APIResponse.json(JobDetailJSON(try await app.jobs.detail(id, by: actor)))
            },
            APIRoute(.post, "/jobs/{jobId}/cancel") { request, context in
                let id = try context.parameters.id("jobId", as: JobID.self)
                let body = try await request.decodeJSON(CancelRequest.self, context: context)
                let actor = try context.actor()
                _ = try await app.jobs.cancel(id, reason: body.reason, by: actor)
                return try APIResponse.json(JobDetailJSON(try await app.jobs.detail(id, by: actor)))
            },
            APIRoute(.post, "/jobs/{jobId}/hold") { request, context in
                let id = try context.parameters.id("jobId", as: JobID.self)
                let body = try await request.decodeJSON(CancelRequest.self, context: context)
                let actor = try context.actor()
                _ = try await app.jobs.hold(id, reason: body.reason, by: actor)
                return try APIResponse.json(JobDetailJSON(try await app.jobs.detail(id, by: actor)))
            },
            APIRoute(.post, "/jobs/{jobId}/resume") { _, context in
                let id = try context.parameters.id("jobId", as: JobID.self)
                let actor = try context.actor()
                _ = try await app.jobs.resume(id, by: actor)
                return try APIResponse.json(JobDetailJSON(try await app.jobs.detail(id, by: actor)))
            },
            APIRoute(.get, "/schedule") { request, context in
                let schedule = try await app.jobs.schedule(
                    day: request.query["date"], by: try context.actor())
                return try APIResponse.json(ScheduleJSON(schedule))
            },
            APIRoute(.post, "/appointments/{appointmentId}/reschedule") { request, context in
                let id = try context.parameters.id("appointmentId", as: AppointmentID.self)
                let body = try await request.decodeJSON(RescheduleRequest.self, context: context)
                let appointment = try await app.jobs.reschedule(
                    id, startsAt: body.startsAt, endsAt: body.endsAt, arrivalWindowStart: body.arrivalWindowStart,
                    arrivalWindowEnd: body.arrivalWindowEnd, by: try context.actor())
                return try APIResponse.json(AppointmentJSON(appointment))
            },
            APIRoute(.post, "/appointments/{appointmentId}/assignments") { request, context in
                let id = try context.parameters.id("appointmentId", as: AppointmentID.self)
                let body = try await request.decodeJSON(AssignRequest.self, context: context)
                guard let technicianId = body.technicianId, !technicianId.isEmpty else {
                    throw FieldlineError.invalid(field: "technicianId", message: "technicianId is required.")
                }
                let assignment = try await app.jobs.assign(TechnicianID(technicianId), to: id, by: try context.actor())
                return try APIResponse.json(AssignmentJSON(assignment), status: .created)
            },
        ]
            + AssignmentAction.allCases.map { action in
                APIRoute(.post, "/assignments/{assignmentId}/\(action.rawValue)") { _, context in
                    let id = try context.parameters.id("assignmentId", as: AssignmentID.self)
                    return try APIResponse.json(
                        AssignmentJSON(try await app.jobs.advance(id, action, by: try context.actor())))
                }
            }
    }

    static func bookings(_ app: Fieldline) -> [APIRoute] {
        [
            APIRoute(.get, "/bookings") { request, context in
                let paging = try Paging(
                    limit: try request.query.int("limit"), offset: try request.query.int("offset"))
                let status = try request.query["status"].map { raw in
                    guard let status = BookingStatus(rawValue: raw) else {
                        throw FieldlineError.invalid(
                            field: "status", message: "status must be new, accepted, dismissed or converted.")
                    }
                    return status
                }
                let bookings = try await app.bookings.list(status: status, paging: paging, by: try context.actor())
                return try APIResponse.json(
                    ListJSON(items: bookings.map(BookingJSON.init), limit: paging.limit, offset: paging.offset))
            },
            APIRoute(.post, "/bookings") { request, context in
                let body = try await request.decodeJSON(BookingCreate.self, context: context)
                let booking = try await app.bookings.create(
                    .init(
                        source: body.source, customerID: body.customerId.map(CustomerID.init),
                        locationID: body.locationId.map(LocationID.init), contactName: body.contactName,
                        contactPhone: body.contactPhone, summary: body.summary, details: body.details,
                        requestedFor: body.requestedFor), by: try context.actor())
                return try APIResponse.json(BookingJSON(booking), status: .created)
            },
            APIRoute(.get, "/bookings/{bookingId}") { _, context in
                let id = try context.parameters.id("bookingId", as: BookingID.self)
                return try APIResponse.json(BookingJSON(try await app.bookings.find(id, by: try context.actor())))
            },
            APIRoute(.post, "/bookings/{bookingId}/accept") { _, context in
                let id = try context.parameters.id("bookingId", as: BookingID.self)
                return try APIResponse.json(BookingJSON(try await app.bookings.accept(id, by: try context.actor())))
            },
            APIRoute(.post, "/bookings/{bookingId}/dismiss") { _, context in
                let id = try context.parameters.id("bookingId", as: BookingID.self)
                return try APIResponse.json(BookingJSON(try await app.bookings.dismiss(id, by: try context.actor())))
            },
            APIRoute(.post, "/bookings/{bookingId}/convert") { request, context in
                let id = try context.parameters.id("bookingId", as: BookingID.self)
                let body = try await request.decodeJSON(JobCreate.self, context: context)
                let (booking, job) = try await app.bookings.convert(
                    id, into: try body.newJob(), by: try context.actor())
                return try APIResponse.json(
                    BookingConversionJSON(booking: BookingJSON(booking), job: JobJSON(job)), status: .created)
            },
        ]
    }
}
