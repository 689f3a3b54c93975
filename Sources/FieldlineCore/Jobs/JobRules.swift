import Foundation

/// What can happen to a technician's assignment, and the status it leads to.
public enum AssignmentAction: String, Sendable, CaseIterable {
    case dispatch, arrive, complete

    public var label: String {
        switch self {
        case .dispatch: "dispatch"
        case .arrive: "mark arrived"
        case .complete: "complete"
        }
    }
}

public enum JobRules {
    /// The next status of an assignment, or a conflict naming why the step is not possible.
    /// The chain is strict so that dispatch notifications and ServiceChannel check-ins fire once.
    public static func next(
        _ status: AssignmentStatus, after action: AssignmentAction, jobStatus: JobStatus
    ) throws(FieldlineError) -> AssignmentStatus {
        guard !jobStatus.isClosed else {
            throw .conflict(
                code: .jobClosed, message: "This job is \(jobStatus.label.lowercased()); its visits cannot change.")
        }
        guard jobStatus != .hold else {
            throw .conflict(code: .jobOnHold, message: "This job is on hold; take it off hold first.")
        }
        switch (action, status) {
        case (.dispatch, .scheduled): return .dispatched
        case (.arrive, .dispatched): return .working
        case (.complete, .working): return .done
        default:
            throw .conflict(
                code: .invalidAssignmentTransition,
                message: "Cannot \(action.label) a technician whose visit is \(status.label.lowercased()).")
        }
    }

    /// The job's status after its assignments changed. Hold and canceled are set by people, not derived;
    /// a job completes when every assignment is done.
    public static func jobStatus(current: JobStatus, assignments: [AssignmentStatus]) -> JobStatus {
        if current == .canceled || current == .hold { return current }
        guard !assignments.isEmpty else { return current == .completed ? .completed : .scheduled }
        if assignments.allSatisfy({ $0 == .done }) { return .completed }
        if assignments.contains(where: { $0 != .scheduled }) { return .inProgress }
        return .scheduled
    }

    /// People may change times, technicians and the summary only while a job is still open.
    public static func requireOpen(_ status: JobStatus, toDo action: String) throws(FieldlineError) {
        guard !status.isClosed else {
            throw .conflict(
                code: .jobClosed, message: "This job is \(status.label.lowercased()); you cannot \(action).")
        }
    }

    /// Putting a job on hold pauses it (parts on order, customer away); only open jobs can be held,
    /// and only held jobs resumed.
    public static func hold(_ status: JobStatus) throws(FieldlineError) -> JobStatus {
        try requireOpen(status, toDo: "put it on hold")
        guard status != .hold else {
            throw .conflict(code: .jobOnHold, message: "This job is already on hold.")
        }
        return .hold
    }

    public static func resume(_ status: JobStatus, assignments: [AssignmentStatus]) throws(FieldlineError) -> JobStatus
    {
        guard status == .hold else {
            throw .conflict(code: .jobNotOnHold, message: "Only a job on hold can be resumed.")
        }
        return jobStatus(current: .scheduled, assignments: assignments)
    }
}
