import FieldlineCore
import Foundation
import Testing

@Suite("A technician's access to a job's customer thread, and position reports")
struct FieldChatRulesTests {
    @Test("TC1, TC2, TC4, TC5: every combination of permissions, assignment and thread state")
    func everyCombination() {
        let threads: [ConversationStatus?] = [nil, .open, .closed]
        for canView in [false, true] {
            for canReply in [false, true] {
                for assigned in [false, true] {
                    for thread in threads {
                        let access = FieldChatRules.access(
                            permissions: TechnicianChatPermissions(canViewChats: canView, canReplyChats: canReply),
                            assignedToJob: assigned, thread: thread)
                        let expected: FieldChatRules.Access =
                            if !(canView && canReply) {
                                .missingPermissions
                            } else if !assigned {
                                .notAssigned
                            } else if thread == nil {
                                .noThread
                            } else if thread == .closed {
                                .closed
                            } else {
                                .granted
                            }
                        #expect(
                            access == expected,
                            "view \(canView) reply \(canReply) assigned \(assigned) \(thread as Any)")
                    }
                }
            }
        }
    }

    @Test("Chat in the field needs both switches, not one")
    func bothSwitches() {
        #expect(!FieldChatRules.chatEnabled(TechnicianChatPermissions(canViewChats: true, canReplyChats: false)))
        #expect(!FieldChatRules.chatEnabled(TechnicianChatPermissions(canViewChats: false, canReplyChats: true)))
        #expect(FieldChatRules.chatEnabled(TechnicianChatPermissions(canViewChats: true, canReplyChats: true)))
    }

    @Test("DN7: a position is checked field by field, naming the field that is wrong")
    func positions() throws {
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        let fix = try TechnicianPosition.validated(
            latitude: 30.25, longitude: -97.75, accuracyMeters: 12, recordedAt: nil, now: now)
        #expect(fix.latitude == 30.25 && fix.longitude == -97.75 && fix.accuracy == 12 && fix.recordedAt == now)
        let cases: [(Double?, Double?, Double?, Date?, String)] = [
            (nil, -97.75, nil, nil, "latitude"),
            (90.5, -97.75, nil, nil, "latitude"),
            (.nan, -97.75, nil, nil, "latitude"),
            (30.25, nil, nil, nil, "longitude"),
            (30.25, -180.01, nil, nil, "longitude"),
            (30.25, .infinity, nil, nil, "longitude"),
            (30.25, -97.75, -1, nil, "accuracyMeters"),
            (30.25, -97.75, 250_000, nil, "accuracyMeters"),
            (30.25, -97.75, nil, now.addingTimeInterval(600), "recordedAt"),
            (30.25, -97.75, nil, now.addingTimeInterval(-2 * 86400), "recordedAt"),
        ]
        for (latitude, longitude, accuracy, recordedAt, field) in cases {
            do {
                _ = try TechnicianPosition.validated(
                    latitude: latitude, longitude: longitude, accuracyMeters: accuracy, recordedAt: recordedAt,
                    now: now)
                Issue.record("A bad \(field) was accepted.")
            } catch {
                if case .invalid(let named, _) = error { #expect(named == field) } else { Issue.record("\(error)") }
            }
        }
        // A device clock a little ahead is tolerated; the edges of the map are valid places.
        #expect(
            (try? TechnicianPosition.validated(
                latitude: -90, longitude: 180, accuracyMeters: 0, recordedAt: now.addingTimeInterval(120), now: now))
                != nil)
    }
}
