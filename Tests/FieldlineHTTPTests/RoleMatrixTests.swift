import Fieldline
import FieldlineCore
import FieldlineHTTP
import FieldlineTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Who may read what, generated from the route table: every API route that reads (GET) is called
/// by each role of one business on that business's own records, and must be refused (403) or
/// answered exactly as this table says. A new read route fails here until it is given a line.
@Suite("The role matrix over every API read")
struct RoleMatrixTests {
    enum Role: String, CaseIterable {
        case admin, dispatcher, marketer, technician
    }

    static let roleEmails: [Role: String] = [
        .admin: "admin@rival.test", .dispatcher: "dispatch@rival.test", .marketer: "marketing@rival.test",
        .technician: "luis@rival.test",
    ]

    /// The roles that may read each route; everyone else is refused with 403. Technicians read
    /// their own job, its work order, their own record and their schedule (the business's job is
    /// assigned to its technician); the rest of the office's data is the office's.
    static let readers: [String: Set<Role>] = [
        "GET /account": [.admin, .dispatcher, .marketer, .technician],
        "GET /audit-log": [.admin],
        "GET /audit-log/export": [.admin],
        "GET /blocked-numbers": [.admin],
        "GET /bookings": [.admin, .dispatcher, .marketer],
        "GET /bookings/{bookingId}": [.admin, .dispatcher, .marketer],
        "GET /campaigns": [.admin, .marketer],
        "GET /campaigns/{campaignId}": [.admin, .marketer],
        "GET /chat-history": [.admin, .dispatcher],
        "GET /consent-ledger/export": [.admin, .marketer],
        "GET /conversations": [.admin, .dispatcher],
        "GET /conversations/unread-count": [.admin, .dispatcher],
        "GET /conversations/{conversationId}": [.admin, .dispatcher],
        "GET /conversations/{conversationId}/messages": [.admin, .dispatcher],
        "GET /customer-imports": [.admin, .dispatcher],
        "GET /customer-imports/{importId}": [.admin, .dispatcher],
        "GET /customer-imports/{importId}/preview": [.admin, .dispatcher],
        "GET /customer-imports/{importId}/problems": [.admin, .dispatcher],
        "GET /customers": [.admin, .dispatcher, .marketer],
        "GET /customers/{customerId}": [.admin, .dispatcher, .marketer],
        "GET /dispatch-board": [.admin, .dispatcher, .marketer],
        "GET /jobs": [.admin, .dispatcher, .marketer],
        "GET /jobs/{jobId}": [.admin, .dispatcher, .marketer, .technician],
        "GET /jobs/{jobId}/invoice": [.admin, .dispatcher, .marketer],
        "GET /jobs/{jobId}/messages": [.admin, .dispatcher],
        "GET /jobs/{jobId}/work-order": [.admin, .dispatcher, .marketer, .technician],
        "GET /locations/{locationId}": [.admin, .dispatcher, .marketer],
        "GET /me": [.admin, .dispatcher, .marketer, .technician],
        "GET /media/{mediaId}": [.admin, .dispatcher],
        "GET /my/jobs": [.technician],
        "GET /my/jobs/{jobId}": [.technician],
        "GET /my/jobs/{jobId}/thread": [.technician],
        "GET /phone-numbers": [.admin, .dispatcher],
        "GET /phone-numbers/{numberId}": [.admin],
        "GET /phones/{phoneId}/consent": [.admin, .dispatcher, .marketer],
        "GET /schedule": [.admin, .dispatcher, .marketer, .technician],
        "GET /servicechannel": [.admin],
        "GET /settings/dispatch-notices": [.admin],
        "GET /settings/registrations": [.admin, .marketer],
        "GET /technicians": [.admin, .dispatcher, .marketer],
        "GET /technicians/{technicianId}": [.admin, .dispatcher, .marketer, .technician],
        "GET /triggered-campaigns": [.admin, .marketer],
        "GET /users": [.admin],
    ]

    @Test("Each role reads exactly the routes the matrix gives it", arguments: TestEngine.available)
    func reads(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, _, fake, _, client in
            let business = try await AccountIsolationTests.makeRival(app, fake: fake, client: client)
            _ = try await app.technicians.update(
                business.world.technician.id, .init(canViewChats: true, canReplyChats: true),
                by: business.world.admin)
            var tokens: [Role: String] = [:]
            for role in Role.allCases {
                tokens[role] = try await client.token(email: Self.roleEmails[role]!)
            }
            var observed: [String: Set<Role>] = [:]
            for operation in APIRouteTable.operations(app: app) where operation.hasPrefix("GET ") {
                var path = String(operation.dropFirst(4))
                for (name, id) in business.ids { path = path.replacingOccurrences(of: "{\(name)}", with: id) }
                var allowed: Set<Role> = []
                for role in Role.allCases {
                    let response = try await client.api(.get, path, token: tokens[role])
                    #expect(response.status.code < 500, "\(operation) as \(role): \(response.status)")
                    if response.status != .forbidden { allowed.insert(role) }
                }
                observed[operation] = allowed
            }
            for (operation, allowed) in observed {
                #expect(Self.readers[operation] != nil, "\(operation) has no line in the role matrix")
                if let expected = Self.readers[operation] {
                    #expect(allowed == expected, "\(operation): read by \(allowed.map(\.rawValue).sorted())")
                }
            }
        }
    }
}
