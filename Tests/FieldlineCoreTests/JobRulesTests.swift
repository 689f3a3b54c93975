import FieldlineCore
import Foundation
import Testing

@Suite("A technician's visit moves Scheduled → Dispatched → Working → Done and nowhere else")
struct JobRulesTests {
    static let allowed: [AssignmentAction: (from: AssignmentStatus, to: AssignmentStatus)] = [
        .dispatch: (.scheduled, .dispatched), .arrive: (.dispatched, .working), .complete: (.working, .done),
    ]

    @Test(
        "Every action from every status on an open job",
        arguments: AssignmentAction.allCases, AssignmentStatus.allCases)
    func transitions(action: AssignmentAction, status: AssignmentStatus) throws {
        for jobStatus in [JobStatus.scheduled, .inProgress] {
            if let rule = Self.allowed[action], rule.from == status {
                #expect(try JobRules.next(status, after: action, jobStatus: jobStatus) == rule.to)
            } else {
                #expect {
                    try JobRules.next(status, after: action, jobStatus: jobStatus)
                } throws: { error in
                    (error as? FieldlineError)?.code == "invalid_assignment_transition"
                }
            }
        }
    }

    @Test("Nothing moves on a completed or canceled job", arguments: [JobStatus.completed, .canceled])
    func closedJobs(jobStatus: JobStatus) {
        for action in AssignmentAction.allCases {
            for status in AssignmentStatus.allCases {
                #expect {
                    try JobRules.next(status, after: action, jobStatus: jobStatus)
                } throws: { error in
                    (error as? FieldlineError)?.code == "job_closed"
                }
            }
        }
    }

    @Test("Nothing moves on a job on hold; hold and resume only from the right states")
    func hold() throws {
        for action in AssignmentAction.allCases {
            #expect {
                try JobRules.next(.scheduled, after: action, jobStatus: .hold)
            } throws: { error in
                (error as? FieldlineError)?.code == "job_on_hold"
            }
        }
        #expect(try JobRules.hold(.scheduled) == .hold)
        #expect(try JobRules.hold(.inProgress) == .hold)
        for status in [JobStatus.hold, .completed, .canceled] {
            #expect(throws: FieldlineError.self) { try JobRules.hold(status) }
        }
        #expect(try JobRules.resume(.hold, assignments: [.working]) == .inProgress)
        #expect(try JobRules.resume(.hold, assignments: []) == .scheduled)
        #expect(throws: FieldlineError.self) { try JobRules.resume(.scheduled, assignments: []) }
    }

    @Test("A job's status follows its visits")
    func derivedJobStatus() {
        #expect(JobRules.jobStatus(current: .scheduled, assignments: []) == .scheduled)
        #expect(JobRules.jobStatus(current: .scheduled, assignments: [.scheduled, .scheduled]) == .scheduled)
        #expect(JobRules.jobStatus(current: .scheduled, assignments: [.scheduled, .dispatched]) == .inProgress)
        #expect(JobRules.jobStatus(current: .inProgress, assignments: [.working, .done]) == .inProgress)
        #expect(JobRules.jobStatus(current: .inProgress, assignments: [.done, .done]) == .completed)
        #expect(JobRules.jobStatus(current: .inProgress, assignments: [.scheduled]) == .scheduled)
    }

    @Test("Canceled and on-hold jobs keep their status whatever the visits do")
    func manualStatusesStick() {
        for assignments in [[AssignmentStatus.done], [.working], []] {
            #expect(JobRules.jobStatus(current: .canceled, assignments: assignments) == .canceled)
            #expect(JobRules.jobStatus(current: .hold, assignments: assignments) == .hold)
        }
    }
}

@Suite("Bookings move New → Accepted → Converted, or are dismissed")
struct BookingRulesTests {
    @Test("Allowed and refused booking steps")
    func steps() throws {
        #expect(try BookingStatus.new.after(.accept) == .accepted)
        #expect(try BookingStatus.new.after(.dismiss) == .dismissed)
        #expect(try BookingStatus.accepted.after(.dismiss) == .dismissed)
        #expect(try BookingStatus.new.after(.convert) == .converted)
        #expect(try BookingStatus.accepted.after(.convert) == .converted)
        for (status, action) in [
            (BookingStatus.accepted, BookingAction.accept), (.dismissed, .accept), (.dismissed, .convert),
            (.converted, .dismiss), (.converted, .convert), (.converted, .accept), (.dismissed, .dismiss),
        ] {
            #expect(throws: FieldlineError.self) { try status.after(action) }
        }
    }
}

@Suite("Appointment times")
struct AppointmentTimesTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("The arrival window defaults to the visit")
    func defaultWindow() throws {
        let times = try AppointmentTimes(startsAt: start, endsAt: start + 7200)
        #expect(times.arrivalWindow == ArrivalWindow(start: start, end: start + 7200))
    }

    @Test("An end before (or at) the start is refused on endsAt")
    func endBeforeStart() {
        for end in [start, start - 60] {
            #expect {
                try AppointmentTimes(startsAt: start, endsAt: end)
            } throws: { error in
                (error as? FieldlineError)
                    == .invalid(field: "endsAt", message: "The appointment must end after it starts.")
            }
        }
    }

    @Test("Missing times, windows ending before they start, and windows outside the visit are refused")
    func refused() {
        #expect(throws: FieldlineError.self) { try AppointmentTimes(startsAt: nil, endsAt: start) }
        #expect(throws: FieldlineError.self) { try AppointmentTimes(startsAt: start, endsAt: nil) }
        #expect(throws: FieldlineError.self) {
            try AppointmentTimes(
                startsAt: start, endsAt: start + 7200, arrivalWindowStart: start + 3600, arrivalWindowEnd: start)
        }
        #expect(throws: FieldlineError.self) {
            try AppointmentTimes(
                startsAt: start, endsAt: start + 7200, arrivalWindowStart: start, arrivalWindowEnd: start + 9000)
        }
        #expect(throws: FieldlineError.self) {
            try AppointmentTimes(startsAt: start, endsAt: start + 15 * 24 * 3600)
        }
    }
}
