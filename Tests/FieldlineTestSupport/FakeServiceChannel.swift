import FieldlineCore
import FieldlineProviders
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// A ServiceChannel stand-in on 127.0.0.1 that keeps state and speaks the documented shapes: the
/// OAuth2 token endpoint (password and refresh grants, Basic client credentials, one request per
/// 5 s per user or 429 with `Error-Message`), `/odata/workorders` paged by UpdatedDate, accept,
/// decline, status, notes, check-in and check-out, the error body, a per-minute call budget
/// answered with 429 + Retry-After, and replica lag (a work order written in the last
/// `replicaLag` seconds reads as 404). Time is the test's clock.
public final class FakeServiceChannel: LoopbackFake {
    public let credentials: ServiceChannelCredentials
    let clock: any WallClock

    public struct Call: Sendable, Equatable {
        public var method: String
        public var path: String
        public var body: String
    }

    private struct State {
        var workOrders: [Int: ServiceChannelWorkOrder] = [:]
        var notes: [Int: [ServiceChannelNote]] = [:]
        var writtenAt: [Int: Date] = [:]
        var tokens: [String: Date] = [:]
        var refreshTokens: Set<String> = []
        var tokenRequestTimes: [Date] = []
        var tokenLimitViolations = 0
        var callTimes: [Date] = []
        var calls: [Call] = []
        var throttledCalls = 0
        var forcedThrottles = 0
        var callsPerMinute = 300
        var replicaLag: TimeInterval = 0
        var nextNoteID = 1
        var outage = false
        var lostAnswers = 0
        var attachments: [Int: [Attachment]] = [:]
        var touchAfterList: (id: Int, primary: String)?
        var invoices: [Invoice] = []
    }

    /// A file uploaded to a work order.
    public struct Attachment: Sendable, Equatable {
        public var fileName: String
        public var contentType: String
        public var data: Data
    }

    /// An invoice as `POST /invoices` received it.
    public struct Invoice: Sendable, Equatable {
        public var number: String
        public var workOrderID: Int
        public var date: String
        public var total: Double
        public var tax: Double
        public var labor: Double
    }

    private let state = Mutex(State())
    private let server = LoopbackRunner()

    public init(clock: any WallClock, callsPerMinute: Int = 300) {
        self.clock = clock
        credentials = ServiceChannelCredentials(
            clientID: "SC" + FakeTwilio.hex(16), clientSecret: FakeTwilio.hex(32), username: "api@northside.test",
            password: FakeTwilio.hex(12))
        state.withLock { $0.callsPerMinute = callsPerMinute }
    }

    public var endpoints: ServiceChannelEndpoints {
        let base = "http://127.0.0.1:\(server.port)"
        return ServiceChannelEndpoints(apiBase: base + "/v3", tokenURL: base + "/oauth/token")
    }

    // MARK: Control and inspection

    public func add(_ workOrder: ServiceChannelWorkOrder) {
        state.withLock { $0.workOrders[workOrder.id] = workOrder }
    }

    public func workOrder(_ id: Int) -> ServiceChannelWorkOrder? { state.withLock { $0.workOrders[id] } }
    public func notes(of id: Int) -> [ServiceChannelNote] { state.withLock { $0.notes[id] ?? [] } }
    public func attachments(of id: Int) -> [Attachment] { state.withLock { $0.attachments[id] ?? [] } }
    public var invoices: [Invoice] { state.withLock { $0.invoices } }
    /// Every API call (not token requests), in order.
    public var calls: [Call] { state.withLock { $0.calls } }
    public var tokenRequests: Int { state.withLock { $0.tokenRequestTimes.count } }
    /// Token requests that came sooner than 5 s after the previous one.
    public var tokenLimitViolations: Int { state.withLock { $0.tokenLimitViolations } }
    public var throttledCalls: Int { state.withLock { $0.throttledCalls } }
    /// The most calls that fell in any 60-second window.
    public var busiestMinute: Int {
        state.withLock { state in
            let times = state.callTimes.sorted()
            var best = 0
            var start = 0
            for (end, time) in times.enumerated() {
                while time.timeIntervalSince(times[start]) >= 60 { start += 1 }
                best = max(best, end - start + 1)
            }
            return best
        }
    }

    /// The next `times` calls answer 429 with Retry-After, whatever the budget.
    public func throttleNext(_ times: Int) { state.withLock { $0.forcedThrottles = times } }
    public func setReplicaLag(_ seconds: TimeInterval) { state.withLock { $0.replicaLag = seconds } }
    /// Every access token stops working (as after a password change on ServiceChannel's side).
    public func revokeTokens() { state.withLock { $0.tokens.removeAll() } }
    /// While on, every request (token ones too) answers 503, as during an outage.
    public func setOutage(_ down: Bool) { state.withLock { $0.outage = down } }
    /// The next `times` changes take effect but their answers are lost (a 504 comes back instead),
    /// as when a connection drops after ServiceChannel did the work.
    public func loseNextAnswers(_ times: Int) { state.withLock { $0.lostAnswers = times } }

    /// Right after answering the next work order page, work order `id` changes in the portal (its
    /// UpdatedDate moves to now), as happens while a long sync reads its pages.
    public func changeAfterNextPage(_ id: Int, primary: String = "Open") {
        state.withLock { $0.touchAfterList = (id, primary) }
    }

    /// Someone at the subscriber or provider acted in ServiceChannel's own portal.
    public func portalAccept(_ id: Int) {
        portal(id) { $0.status = .init(primary: "In Progress", extended: "Dispatch Confirmed") }
    }

    public func portalSetStatus(_ id: Int, primary: String, extended: String?) {
        portal(id) { $0.status = .init(primary: primary, extended: extended) }
    }

    /// A note written in ServiceChannel by the subscriber's people.
    public func portalNote(_ id: Int, text: String, by author: String) {
        let now = clock.now()
        state.withLock { state in
            state.notes[id, default: []].append(
                ServiceChannelNote(
                    id: state.nextNoteID, text: text, actionRequired: false, createdBy: author,
                    dateCreated: ServiceChannelDate.format(now)))
            state.nextNoteID += 1
            state.workOrders[id]?.updatedDate = ServiceChannelDate.format(now)
        }
    }

    private func portal(_ id: Int, _ change: (inout ServiceChannelWorkOrder) -> Void) {
        let now = clock.now()
        state.withLock { state in
            guard var order = state.workOrders[id] else { return }
            change(&order)
            order.updatedDate = ServiceChannelDate.format(now)
            state.workOrders[id] = order
        }
    }

    // MARK: Lifecycle

    public func start() async throws {
        let router = Router()
        router.post("/oauth/token") { request, _ in try await self.token(request) }
        router.get("/v3/odata/workorders") { request, _ in
            try await self.api(request, "GET", "/odata/workorders") { _ in try self.list(request) }
        }
        router.get("/v3/workorders/:id") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await self.api(request, "GET", "/workorders/\(id)") { _ in try self.read(Int(id) ?? 0) }
        }
        router.get("/v3/workorders/:id/notes") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await self.api(request, "GET", "/workorders/\(id)/notes") { _ in
                try self.json([
                    "Notes": self.notes(of: Int(id) ?? 0).map(Self.noteJSON),
                    "AllNotesCount": self.notes(of: Int(id) ?? 0).count,
                ])
            }
        }
        for action in ["accept", "decline", "status"] {
            router.put(RouterPath(stringLiteral: "/v3/workorders/:id/\(action)")) { request, context in
                let id = context.parameters.get("id") ?? ""
                return try await self.api(request, "PUT", "/workorders/\(id)/\(action)") { body in
                    try self.change(Int(id) ?? 0, action: action, body: body)
                }
            }
        }
        router.get("/v3/workorders/:id/attachments") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await self.api(request, "GET", "/workorders/\(id)/attachments") { _ in
                try self.json(
                    self.attachments(of: Int(id) ?? 0).enumerated().map { index, file in
                        ["Id": index + 1, "FileName": file.fileName, "FileSize": file.data.count] as [String: Any]
                    })
            }
        }
        router.post("/v3/workorders/:id/attachments") { request, context in
            let id = context.parameters.get("id") ?? ""
            let contentType = request.headers[.contentType] ?? ""
            return try await self.api(request, "POST", "/workorders/\(id)/attachments") { body in
                try self.upload(Int(id) ?? 0, contentType: contentType, body: body)
            }
        }
        router.post("/v3/invoices") { request, _ in
            try await self.api(request, "POST", "/invoices") { body in try self.invoice(body) }
        }
        for action in ["notes", "universalCheckIn", "universalCheckOut"] {
            router.post(RouterPath(stringLiteral: "/v3/workorders/:id/\(action)")) { request, context in
                let id = context.parameters.get("id") ?? ""
                return try await self.api(request, "POST", "/workorders/\(id)/\(action)") { body in
                    try self.change(Int(id) ?? 0, action: action, body: body)
                }
            }
        }
        await server.start(router, label: "fake-servicechannel")
    }

    public func stop() async {
        await server.stop()
    }

    public static func running<T: Sendable>(
        clock: any WallClock, callsPerMinute: Int = 300, _ body: (FakeServiceChannel) async throws -> T
    ) async throws -> T {
        try await FakeServiceChannel(clock: clock, callsPerMinute: callsPerMinute).run(body)
    }

    // MARK: Token endpoint

    static func outage() throws -> Response {
        try error(503, "ServiceUnavailable", "The service is temporarily unavailable.")
    }

    private func token(_ request: Request) async throws -> Response {
        let body = String(buffer: try await request.body.collect(upTo: 1 << 16))
        if state.withLock({ $0.outage }) { return try Self.outage() }
        let form = Dictionary(FormEncoding.decode(body).map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
        let now = clock.now()
        let expectedBasic =
            "Basic " + Data("\(credentials.clientID):\(credentials.clientSecret)".utf8).base64EncodedString()
        guard request.headers[.authorization] == expectedBasic else {
            return try json(
                ["error": "invalid_client", "error_description": "Client credentials are invalid."],
                status: .unauthorized)
        }
        let limited = state.withLock { state -> Bool in
            if let last = state.tokenRequestTimes.last, now.timeIntervalSince(last) < 5 {
                state.tokenLimitViolations += 1
                state.tokenRequestTimes.append(now)
                return true
            }
            state.tokenRequestTimes.append(now)
            return false
        }
        if limited {
            var response = try json(["error": "too_many_requests"], status: .tooManyRequests)
            response.headers[HTTPField.Name("Error-Message")!] =
                "Rejected by security reason: Login attempts limit exceed."
            return response
        }
        switch form["grant_type"] {
        case "password":
            guard form["username"] == credentials.username, form["password"] == credentials.password else {
                return try json(
                    ["error": "invalid_grant", "error_description": "The user name or password is incorrect."],
                    status: .badRequest)
            }
        case "refresh_token":
            let known = state.withLock { $0.refreshTokens.remove(form["refresh_token"] ?? "") != nil }
            guard known else {
                return try json(
                    ["error": "invalid_grant", "error_description": "Invalid refresh token."], status: .badRequest)
            }
        default:
            return try json(["error": "unsupported_grant_type"], status: .badRequest)
        }
        let access = FakeTwilio.hex(40)
        let refresh = FakeTwilio.hex(40)
        state.withLock { state in
            state.tokens[access] = now.addingTimeInterval(600)
            state.refreshTokens.insert(refresh)
        }
        return try json(["access_token": access, "token_type": "bearer", "expires_in": 600, "refresh_token": refresh])
    }

    // MARK: The API

    private func api(
        _ request: Request, _ method: String, _ path: String, _ handle: (Data) throws -> Response
    ) async throws -> Response {
        let body = Data(try await request.body.collect(upTo: 1 << 20).readableBytesView)
        if state.withLock({ $0.outage }) { return try Self.outage() }
        let now = clock.now()
        let header = request.headers[.authorization] ?? ""
        let authorized = state.withLock { state -> Bool in
            guard header.hasPrefix("Bearer "), let expires = state.tokens[String(header.dropFirst(7))] else {
                return false
            }
            return expires > now
        }
        guard authorized else {
            return try json(
                ["ErrorCode": "Unauthorized", "ErrorMessage": "Authorization has been denied for this request."],
                status: .unauthorized)
        }
        let retryAfter = state.withLock { state -> Int? in
            state.callTimes.removeAll { now.timeIntervalSince($0) >= 120 }
            let lastMinute = state.callTimes.filter { now.timeIntervalSince($0) < 60 }
            if state.forcedThrottles > 0 || lastMinute.count >= state.callsPerMinute {
                state.forcedThrottles = max(0, state.forcedThrottles - 1)
                state.throttledCalls += 1
                let oldest = lastMinute.min() ?? now
                return max(1, Int((60 - now.timeIntervalSince(oldest)).rounded(.up)))
            }
            state.callTimes.append(now)
            state.calls.append(Call(method: method, path: path, body: String(decoding: body, as: UTF8.self)))
            return nil
        }
        if let retryAfter {
            var response = try json(
                [
                    "Reason":
                        "Request has been throttled. Your current Application limit is [\(state.withLock { $0.callsPerMinute })] per [1] minute"
                ],
                status: .tooManyRequests)
            response.headers[.retryAfter] = String(retryAfter)
            return response
        }
        return try handle(body)
    }

    private func list(_ request: Request) throws -> Response {
        // Decoded by hand: the names themselves are percent-encoded ("%24filter").
        let pairs = FormEncoding.decode(request.uri.query ?? "")
        let query = Dictionary(pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
        guard let filter = Self.filter(query["$filter"] ?? "") else {
            return try Self.error(400, "InvalidFilter", "The $filter is not one this stand-in understands.")
        }
        let top = min(Int(query["$top"] ?? "50") ?? 50, 50)
        let skip = Int(query["$skip"] ?? "0") ?? 0
        let (matching, touch) = state.withLock { state in
            let touch = state.touchAfterList
            state.touchAfterList = nil
            return (
                state.workOrders.values.filter { filter($0.updatedAt ?? .distantPast, $0.id) }
                    .sorted { ($0.updatedAt ?? .distantPast, $0.id) < ($1.updatedAt ?? .distantPast, $1.id) }, touch
            )
        }
        let page = Array(matching.dropFirst(skip).prefix(top))
        // Someone changes a work order while the pages are being read.
        if let touch { portalSetStatus(touch.id, primary: touch.primary, extended: nil) }
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(page))
        return try json([
            "@odata.context": "https://api.servicechannel.com/v3/odata/$metadata#workorders", "value": encoded,
        ])
    }

    /// `UpdatedDate ge T`, or the keyset form `UpdatedDate gt T or (UpdatedDate eq T and Id gt N)`.
    static func filter(_ text: String) -> ((Date, Int) -> Bool)? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return { _, _ in true } }
        let simple = "UpdatedDate ge "
        if trimmed.hasPrefix(simple), let since = ServiceChannelDate.parse(String(trimmed.dropFirst(simple.count))) {
            return { updated, _ in updated >= since }
        }
        let pattern = #"^UpdatedDate gt (\S+) or \(UpdatedDate eq (\S+) and Id gt (\d+)\)$"#
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let match = regex.firstMatch(in: trimmed, range: NSRange(trimmed.startIndex..., in: trimmed)),
            let after = Range(match.range(at: 1), in: trimmed).flatMap({ ServiceChannelDate.parse(String(trimmed[$0])) }
            ),
            let equal = Range(match.range(at: 2), in: trimmed).flatMap({ ServiceChannelDate.parse(String(trimmed[$0])) }
            ),
            let id = Range(match.range(at: 3), in: trimmed).flatMap({ Int(trimmed[$0]) })
        else { return nil }
        return { updated, workOrder in updated > after || (updated == equal && workOrder > id) }
    }

    private func read(_ id: Int) throws -> Response {
        let now = clock.now()
        let found = state.withLock { state -> ServiceChannelWorkOrder? in
            guard let order = state.workOrders[id] else { return nil }
            if let written = state.writtenAt[id], now.timeIntervalSince(written) < state.replicaLag { return nil }
            return order
        }
        guard let found else { return try Self.error(404, "WorkOrderNotFound", "Work order \(id) was not found.") }
        return try json(try JSONSerialization.jsonObject(with: JSONEncoder().encode(found)))
    }

    private func change(_ id: Int, action: String, body: Data) throws -> Response {
        let input = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        let now = clock.now()
        enum Outcome { case done, notFound, refused(Int, String) }
        let outcome = state.withLock { state -> Outcome in
            guard var order = state.workOrders[id] else { return .notFound }
            func note(_ text: String, actionRequired: Bool = false) {
                state.notes[id, default: []].append(
                    ServiceChannelNote(
                        id: state.nextNoteID, text: text, actionRequired: actionRequired, createdBy: "Fieldline",
                        dateCreated: ServiceChannelDate.format(now)))
                state.nextNoteID += 1
            }
            switch action {
            case "accept":
                if order.status.primary == "In Progress" {
                    return .refused(5202, "The work order is already accepted.")
                }
                guard order.status.primary == "Open" else {
                    return .refused(904, "The work order status does not allow this.")
                }
                order.status = .init(primary: "In Progress", extended: "Dispatch Confirmed")
                if let text = input["Note"] as? String { note(text) }
            case "decline":
                guard order.status.primary == "Open" else {
                    return .refused(904, "The work order status does not allow this.")
                }
                order.status = .init(primary: "Open", extended: "Declined")
                if let text = input["Note"] as? String { note(text) }
            case "status":
                let status = input["Status"] as? [String: Any] ?? [:]
                guard let primary = status["Primary"] as? String else {
                    return .refused(400, "Status.Primary is required.")
                }
                guard order.status.primary != "Completed" else {
                    return .refused(904, "The work order status does not allow this.")
                }
                order.status = .init(primary: primary, extended: status["Extended"] as? String)
                if let text = input["Note"] as? String { note(text) }
            case "notes":
                guard let text = input["Note"] as? String, !text.isEmpty else {
                    return .refused(400, "Note is required.")
                }
                note(text, actionRequired: input["ActionRequired"] as? Bool ?? false)
            case "universalCheckIn":
                guard order.status.primary == "In Progress" else {
                    return .refused(904, "The work order status does not allow check-in.")
                }
                order.status = .init(primary: "In Progress", extended: "On Site")
            case "universalCheckOut":
                guard order.status.primary == "In Progress" else {
                    return .refused(904, "The work order status does not allow check-out.")
                }
                if input["PrimaryStatus"] as? String == "Completed" {
                    order.status = .init(
                        primary: "Completed", extended: input["ExtendedStatus"] as? String ?? "Pending Confirmation")
                }
            default:
                return .refused(400, "Unknown action.")
            }
            order.updatedDate = ServiceChannelDate.format(now)
            state.workOrders[id] = order
            state.writtenAt[id] = now
            return .done
        }
        switch outcome {
        case .done:
            return try answer(json(["result": true, "id": id], status: action == "notes" ? .created : .ok))
        case .notFound:
            return try Self.error(404, "WorkOrderNotFound", "Work order \(id) was not found.")
        case .refused(let code, let message):
            return try Self.error(400, String(code), message)
        }
    }

    /// `multipart/form-data` with the file in the `file` part, read as ServiceChannel does.
    private func upload(_ id: Int, contentType: String, body: Data) throws -> Response {
        guard let range = contentType.range(of: "boundary=") else {
            return try Self.error(400, "InvalidRequest", "Expected multipart/form-data.")
        }
        let boundary = Data(("--" + contentType[range.upperBound...].trimmingCharacters(in: .whitespaces)).utf8)
        var file: Attachment?
        var rest = body[...]
        while let start = rest.range(of: boundary) {
            rest = rest[start.upperBound...]
            guard let headerEnd = rest.range(of: Data("\r\n\r\n".utf8)) else { break }
            let headers = String(decoding: rest[rest.startIndex..<headerEnd.lowerBound], as: UTF8.self)
            let contentStart = headerEnd.upperBound
            guard let next = rest[contentStart...].range(of: boundary) else { break }
            let content = rest[contentStart..<max(contentStart, next.lowerBound - 2)]
            if headers.contains(#"name="file""#), let nameRange = headers.range(of: #"filename=""#) {
                let name = headers[nameRange.upperBound...].prefix { $0 != "\"" }
                let type = headers.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("content-type:") }
                    .map { String($0.dropFirst("content-type:".count)).trimmingCharacters(in: .whitespaces) }
                file = Attachment(
                    fileName: String(name), contentType: type ?? "application/octet-stream", data: Data(content))
            }
            rest = rest[next.lowerBound...]
        }
        guard let file, !file.data.isEmpty else { return try Self.error(400, "InvalidRequest", "No file part.") }
        let now = clock.now()
        let found = state.withLock { state -> Bool in
            guard state.workOrders[id] != nil else { return false }
            state.attachments[id, default: []].append(file)
            state.workOrders[id]?.updatedDate = ServiceChannelDate.format(now)
            return true
        }
        guard found else { return try Self.error(404, "WorkOrderNotFound", "Work order \(id) was not found.") }
        return try answer(json(["result": true], status: .created))
    }

    private func invoice(_ body: Data) throws -> Response {
        let input = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        guard let number = input["InvoiceNumber"] as? String, let id = input["WoIdentifier"] as? Int,
            let total = input["InvoiceTotal"] as? Double
        else {
            return try Self.error(400, "InvalidRequest", "InvoiceNumber, WoIdentifier and InvoiceTotal are required.")
        }
        let details = input["InvoiceAmountsDetails"] as? [String: Any] ?? [:]
        enum Outcome { case done, notFound, notCompleted, duplicate }
        let now = clock.now()
        let outcome = state.withLock { state -> Outcome in
            guard var order = state.workOrders[id] else { return .notFound }
            guard order.status.primary == "Completed" else { return .notCompleted }
            guard order.isInvoiced != true else { return .duplicate }
            order.isInvoiced = true
            order.updatedDate = ServiceChannelDate.format(now)
            state.workOrders[id] = order
            state.invoices.append(
                Invoice(
                    number: number, workOrderID: id, date: input["InvoiceDate"] as? String ?? "", total: total,
                    tax: input["InvoiceTax"] as? Double ?? 0, labor: details["Labor"] as? Double ?? 0))
            return .done
        }
        switch outcome {
        case .done: return try answer(json(["result": true, "id": id], status: .created))
        case .notFound: return try Self.error(404, "WorkOrderNotFound", "Work order \(id) was not found.")
        case .notCompleted: return try Self.error(400, "904", "Only a completed work order can be invoiced.")
        case .duplicate: return try Self.error(400, "InvoiceAlreadyExists", "The work order is already invoiced.")
        }
    }

    /// The answer to a change that took effect, unless it is to be lost on the way back.
    private func answer(_ response: Response) throws -> Response {
        let lost = state.withLock { state -> Bool in
            guard state.lostAnswers > 0 else { return false }
            state.lostAnswers -= 1
            return true
        }
        return lost ? try Self.error(504, "GatewayTimeout", "The gateway timed out.") : response
    }

    static func noteJSON(_ note: ServiceChannelNote) -> [String: Any] {
        [
            "Id": note.id, "NoteData": note.text, "ActionRequired": note.actionRequired,
            "CreatedBy": note.createdBy ?? "", "DateCreated": note.dateCreated ?? "",
        ]
    }

    static func error(_ status: Int, _ code: String, _ message: String) throws -> Response {
        let body = try JSONSerialization.data(
            withJSONObject: [
                "ErrorCodes": [Int(code) ?? 0], "ErrorCode": code, "ErrorMessage": message, "Data": NSNull(),
            ])
        return Response(
            status: .init(code: status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    private func json(_ object: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
