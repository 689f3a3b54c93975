import Fieldline
import FieldlineCore
import Foundation
import Hummingbird
import HummingbirdCore

/// The day's visits: who goes where, when, and how far along they are.
struct TodayPage {
    let app: Fieldline
    let renderer: WebRenderer

    struct Model {
        var shell: Shell
        var title: String
        var dayLabel: String
        var isToday: Bool
        var previousDay: String
        var nextDay: String
        var visits: [Visit]
        var visitCount: Int
        var hasVisits: Bool
        var canBook: Bool
        var canOpenCustomers: Bool
        var hasUnassigned: Bool
        var dispatchedCount: Int
        var workingCount: Int
        var doneCount: Int
        var unassignedCount: Int
        var board: DispatchBoardPage.Feed?
    }

    struct Visit {
        var jobID: String
        var jobNumber: Int
        var summary: String
        var customerName: String
        var customerID: String
        var address: String
        var startTime: String
        var endTime: String
        var arrivalWindow: String
        var status: StatusView
        var crew: [CrewMember]
        var hasCrew: Bool
        var appointmentID: String
        /// Who can still be put on this visit, for the office's assign form.
        var assignable: [JobPages.Choice]
        var canAssign: Bool
    }

    struct CrewMember {
        var assignmentID: String
        var technician: TechnicianView
        var status: StatusView
        var next: NextStepView?
        /// "Also on #1042 at 2:00 PM": the same technician on another open visit at the same time.
        var doubleBooked: String?
    }

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/today", use: showDay)
    }

    /// The day's schedule (`?date=` another day), with the board's latest when the person may see it.
    @Sendable func showDay(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let schedule = try await app.jobs.schedule(day: request.query["date"], by: actor)
        let text = TimeText(timeZoneIdentifier: schedule.account.timeZone)
        let calendar = schedule.account.calendar
        let today = DayString.of(app.clock.now(), calendar: calendar)
        let shift = { (days: Int) in
            DayString.of(
                calendar.date(byAdding: .day, value: days, to: schedule.interval.start) ?? schedule.interval.start,
                calendar: calendar)
        }
        let technicians =
            actor.can(.manageJobs) ? try await app.technicians.all(by: actor, includeInactive: false) : []
        let doubleBookings = schedule.doubleBookings
        let visits = schedule.visits.map { visit in
            let assigned = Set(visit.assignments.map(\.technician.id))
            let assignable = technicians.filter { !assigned.contains($0.id) }.map {
                JobPages.Choice(id: $0.id.rawValue, label: $0.name, selected: false)
            }
            return
                Visit(
                    jobID: visit.job.id.rawValue, jobNumber: visit.job.number, summary: visit.job.summary,
                    customerName: visit.customer.name, customerID: visit.customer.id.rawValue,
                    address: visit.location.address.oneLine,
                    startTime: text.time(visit.appointment.startsAt), endTime: text.time(visit.appointment.endsAt),
                    arrivalWindow:
                        "\(text.time(visit.appointment.arrivalWindow.start)) – \(text.time(visit.appointment.arrivalWindow.end))",
                    status: StatusView(visit.job.status),
                    crew: visit.assignments.map { crew in
                        CrewMember(
                            assignmentID: crew.assignment.id.rawValue, technician: TechnicianView(crew.technician),
                            status: StatusView(crew.assignment.status),
                            next: NextStepView.available(
                                to: actor, for: crew.assignment, jobStatus: visit.job.status),
                            doubleBooked: JobPages.doubleBookedNote(doubleBookings[crew.assignment.id], text: text))
                    }, hasCrew: !visit.assignments.isEmpty, appointmentID: visit.appointment.id.rawValue,
                    assignable: assignable,
                    canAssign: actor.can(.manageJobs) && !visit.job.status.isClosed && visit.assignments.isEmpty
                        && !assignable.isEmpty)
        }
        let statuses = schedule.visits.flatMap { $0.assignments.map(\.assignment.status) }
        let model = Model(
            shell: try await renderer.shell(context, request: request, active: "today"),
            title: schedule.day == today ? "Today" : text.day(schedule.interval.start),
            dayLabel: text.longDay(schedule.interval.start), isToday: schedule.day == today,
            previousDay: shift(-1), nextDay: shift(1), visits: visits, visitCount: visits.count,
            hasVisits: !visits.isEmpty, canBook: actor.can(.manageJobs),
            canOpenCustomers: actor.can(.viewCustomers),
            hasUnassigned: visits.contains { !$0.hasCrew },
            dispatchedCount: statuses.filter { $0 == .dispatched }.count,
            workingCount: statuses.filter { $0 == .working }.count,
            doneCount: statuses.filter { $0 == .done }.count,
            unassignedCount: visits.filter { !$0.hasCrew }.count,
            board: actor.can(.viewJobs)
                ? try await DispatchBoardPage(app: app, renderer: renderer).feed(limit: 5, context: context) : nil)
        return try renderer.page("today", model, request: request)
    }
}
