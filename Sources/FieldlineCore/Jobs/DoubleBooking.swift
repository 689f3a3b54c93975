import Foundation

/// A technician booked on two visits whose times overlap. Booking it is allowed (a short call can
/// fit inside a long job, and the office knows best), but it is never silent: pages flag it.
public enum DoubleBooking {
    /// One technician's place on one visit.
    public struct Slot: Sendable, Equatable {
        public var assignmentID: AssignmentID
        public var technicianID: TechnicianID
        public var jobID: JobID
        public var jobNumber: Int
        public var startsAt: Date
        public var endsAt: Date

        public init(
            assignmentID: AssignmentID, technicianID: TechnicianID, jobID: JobID, jobNumber: Int, startsAt: Date,
            endsAt: Date
        ) {
            self.assignmentID = assignmentID
            self.technicianID = technicianID
            self.jobID = jobID
            self.jobNumber = jobNumber
            self.startsAt = startsAt
            self.endsAt = endsAt
        }

        /// One technician's place on one visit of a job.
        public init(_ assignment: Assignment, job: Job, appointment: Appointment) {
            self.init(
                assignmentID: assignment.id, technicianID: assignment.technicianID, jobID: job.id,
                jobNumber: job.number, startsAt: appointment.startsAt, endsAt: appointment.endsAt)
        }

        /// Visits that only touch (one ends at 10:00, the next starts at 10:00) do not overlap.
        public func overlaps(_ other: Slot) -> Bool {
            startsAt < other.endsAt && other.startsAt < endsAt
        }
    }

    /// For each slot that overlaps another of the same technician on another job, those others,
    /// earliest first. Slots on canceled or finished jobs should be left out by the caller.
    public static func conflicts(among slots: [Slot]) -> [AssignmentID: [Slot]] {
        var result: [AssignmentID: [Slot]] = [:]
        for (_, mine) in Dictionary(grouping: slots, by: \.technicianID) where mine.count > 1 {
            let ordered = mine.sorted { ($0.startsAt, $0.jobNumber) < ($1.startsAt, $1.jobNumber) }
            for (index, slot) in ordered.enumerated() {
                // Sorted by start: only later slots that start before this one ends can overlap it.
                for other in ordered[(index + 1)...] {
                    guard other.startsAt < slot.endsAt else { break }
                    guard other.jobID != slot.jobID, slot.overlaps(other) else { continue }
                    result[slot.assignmentID, default: []].append(other)
                    result[other.assignmentID, default: []].append(slot)
                }
            }
        }
        return result.mapValues { $0.sorted { ($0.startsAt, $0.jobNumber) < ($1.startsAt, $1.jobNumber) } }
    }
}
