import Fieldline
import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import Hummingbird
import HummingbirdCore

/// Incoming requests for work, to accept, dismiss or turn into jobs.
struct BookingPages {
    let app: Fieldline
    let renderer: WebRenderer

    struct Model {
        var shell: Shell
        var bookings: [Row]
        var hasBookings: Bool
        var filters: [JobPages.Filter]
        var canManage: Bool
        var declineReasons: [Reason]
    }

    struct Row {
        var id: String
        var summary: String
        var details: String?
        var source: String
        var contact: String?
        var customerID: String?
        var requestedFor: String?
        var created: String
        var status: StatusView
        var canAccept: Bool
        var canDismiss: Bool
        var canConvert: Bool
        var needsCustomer: Bool
        var newCustomerLink: String
        var jobID: String?
        var workOrder: WorkOrderPanelView?
        var canDecline: Bool
    }

    struct Reason {
        var id: Int
        var label: String
    }

    /// What a booking's buttons post to `/bookings/:id/:action`.
    enum Action: String, CaseIterable, Sendable {
        case accept, dismiss
    }

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/bookings", use: listBookings)
        router.post("/bookings", use: createBooking)
        router.post("/bookings/:id/:action", use: applyAction)
    }

    /// The bookings, open ones (new or accepted) unless `?status=` names another status, with the
    /// ServiceChannel work order of those that came from one.
    @Sendable func listBookings(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let rawStatus = request.query["status"] ?? "open"
        let selected = BookingStatus(rawValue: rawStatus)
        var bookings = try await app.bookings.list(status: selected, paging: try Paging(limit: 100), by: actor)
        if rawStatus == "open" { bookings = bookings.filter { $0.status == .new || $0.status == .accepted } }

        let text = try context.timeText()
        let canManage = actor.can(.manageJobs)
        let isOpen = { (booking: Booking) in booking.status == .new || booking.status == .accepted }
        var panels: [BookingID: WorkOrderPanelView] = [:]
        for booking in bookings where booking.source == "servicechannel" {
            if let panel = try await app.serviceChannel.panel(forBooking: booking.id, by: actor) {
                panels[booking.id] = WorkOrderPanelView(panel, text: text)
            }
        }
        let rows = bookings.map { booking in
            let workOrder = panels[booking.id]
            return Row(
                id: booking.id.rawValue, summary: booking.summary, details: booking.details,
                source: BookingSource.label(booking.source),
                contact: Self.contact(of: booking),
                customerID: booking.customerID?.rawValue, requestedFor: booking.requestedFor.map(text.dateTime),
                created: text.dateTime(booking.createdAt), status: StatusView(booking.status),
                canAccept: canManage && booking.status == .new,
                canDismiss: canManage && isOpen(booking) && workOrder == nil,
                canConvert: canManage && booking.customerID != nil && isOpen(booking),
                needsCustomer: canManage && booking.customerID == nil && isOpen(booking),
                newCustomerLink: Self.newCustomerLink(for: booking), jobID: booking.jobID?.rawValue,
                workOrder: workOrder, canDecline: canManage && isOpen(booking) && workOrder != nil)
        }
        let filters =
            [JobPages.Filter(label: "Open", value: "open", selected: rawStatus == "open")]
            + BookingStatus.allCases.map {
                JobPages.Filter(label: $0.label, value: $0.rawValue, selected: $0 == selected)
            }
        return try renderer.page(
            "bookings",
            Model(
                shell: try await renderer.shell(context, request: request, active: "bookings"), bookings: rows,
                hasBookings: !rows.isEmpty, filters: filters, canManage: canManage,
                declineReasons: ServiceChannelDeclineReason.allCases.map {
                    Reason(id: $0.rawValue, label: $0.label)
                }),
            request: request)
    }

    /// Saves a booking entered on the page, its requested time read in the account's time zone.
    @Sendable func createBooking(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let actor = try context.actor()
        let text = try context.timeText()
        var requestedFor: Date?
        if let raw = form["requestedFor"], !raw.isEmpty {
            guard let date = text.parseInput(raw) else {
                throw FieldlineError.invalid(field: "requestedFor", message: "\"\(raw)\" is not a date and time.")
            }
            requestedFor = date
        }
        _ = try await app.bookings.create(
            .init(
                source: form["source"], contactName: form["contactName"], contactPhone: form["contactPhone"],
                summary: form["summary"], details: form["details"], requestedFor: requestedFor), by: actor)
        return renderer.redirect(to: "/bookings", flash: Flash(.success, "Booking saved."))
    }

    /// Accepts or dismisses a booking; an action other than those is not found.
    @Sendable func applyAction(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await verifiedForm(request, context)
        let actor = try context.actor()
        let id = try context.parameters.id("id", as: BookingID.self)
        guard let action = context.parameters.get("action").flatMap(Action.init(rawValue:)) else {
            throw HTTPFailure(code: .notFound, message: "Unknown booking action.")
        }
        switch action {
        case .accept:
            _ = try await app.bookings.accept(id, by: actor)
            return renderer.redirect(to: "/bookings", flash: Flash(.success, "Booking accepted."))
        case .dismiss:
            _ = try await app.bookings.dismiss(id, by: actor)
            return renderer.redirect(to: "/bookings", flash: Flash(.info, "Booking dismissed."))
        }
    }

    /// The new-customer form, prefilled from the booking's contact, coming back to the booking.
    static func newCustomerLink(for booking: Booking) -> String {
        var components = URLComponents()
        components.path = "/customers/new"
        components.queryItems = [
            URLQueryItem(name: "booking", value: booking.id.rawValue),
            URLQueryItem(name: "name", value: booking.contactName ?? ""),
            URLQueryItem(name: "phone", value: booking.contactPhone?.displayed ?? ""),
        ]
        return components.string ?? "/customers/new"
    }

    static func contact(of booking: Booking) -> String? {
        let parts = [booking.contactName, booking.contactPhone?.displayed].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: " · ")
    }
}
