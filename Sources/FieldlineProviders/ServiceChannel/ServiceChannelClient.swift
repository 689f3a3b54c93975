import AsyncHTTPClient
import FieldlineCore
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// ServiceChannel's API v3 for one connection (one client key and API user), within its limits
/// (SV14): the access token is reused until shortly before its ten minutes end, then refreshed;
/// token requests are at least `tokenInterval` apart; calls stay inside the per-minute budget by
/// waiting for it; a 429 waits its Retry-After and is tried again. An actor, so every call of a
/// connection shares the token and the budget.
public actor ServiceChannelClient {
    let http: HTTPClient
    let endpoints: ServiceChannelEndpoints
    let credentials: ServiceChannelCredentials
    let limits: ServiceChannelLimits
    let clock: any WallClock
    let sleep: @Sendable (TimeInterval) async throws -> Void
    let timeout: TimeAmount

    private struct Token {
        var access: String
        var refresh: String?
        var expiresAt: Date
    }

    private var token: Token?
    /// Spaces token requests per API user across every client of this process.
    let tokenGate: ServiceChannelTokenGate
    /// When each call of the last minute was made: the budget's window.
    private var recentCalls: [Date] = []
    /// Calls and token requests made, for the connection's health and the benchmark.
    public private(set) var callsMade = 0
    public private(set) var tokenRequests = 0
    public private(set) var throttledAnswers = 0

    /// A token is renewed this long before ServiceChannel says it ends.
    static let tokenMargin: TimeInterval = 30
    /// The most records `/odata/workorders` returns per page.
    public static let pageSize = 50

    public init(
        http: HTTPClient, endpoints: ServiceChannelEndpoints, credentials: ServiceChannelCredentials,
        limits: ServiceChannelLimits = .production, clock: any WallClock,
        sleep: @escaping @Sendable (TimeInterval) async throws -> Void = { seconds in
            try await Task.sleep(nanoseconds: UInt64(max(seconds, 0) * 1_000_000_000))
        },
        timeout: TimeAmount = .seconds(20), tokenGate: ServiceChannelTokenGate = ServiceChannelTokenGate()
    ) {
        self.tokenGate = tokenGate
        self.http = http
        self.endpoints = endpoints
        self.credentials = credentials
        self.limits = limits
        self.clock = clock
        self.sleep = sleep
        self.timeout = timeout
    }

    // MARK: Work orders

    /// Work orders changed at or after `since`, oldest change first, every page.
    public func workOrders(
        updatedSince since: Date, maximumPages: Int = 1000
    ) async throws(ServiceChannelError)
        -> [ServiceChannelWorkOrder]
    {
        var all: [ServiceChannelWorkOrder] = []
        var cursor = ServiceChannelCursor(updated: since, id: nil)
        for _ in 0..<maximumPages {
            let batch = try await workOrderPage(from: cursor)
            all += batch
            guard batch.count == Self.pageSize, let next = ServiceChannelCursor(after: batch), next != cursor else {
                break
            }
            cursor = next
        }
        return all
    }

    /// One page of `/odata/workorders` after `cursor`, in (UpdatedDate, Id) order. Keyset paging
    /// rather than `$skip`: a work order that changes while the pages are read moves to the end
    /// of the order, and would shift every later one past a `$skip`.
    public func workOrderPage(
        from cursor: ServiceChannelCursor
    ) async throws(ServiceChannelError)
        -> [ServiceChannelWorkOrder]
    {
        struct Page: Decodable {
            var value: [ServiceChannelWorkOrder]
        }
        let at = ServiceChannelDate.formatMilliseconds(cursor.updated)
        let filter =
            cursor.id.map { id in "UpdatedDate gt \(at) or (UpdatedDate eq \(at) and Id gt \(id))" }
            ?? "UpdatedDate ge \(at)"
        let query: [(name: String, value: String)] = [
            ("$filter", filter), ("$orderby", "UpdatedDate asc,Id asc"), ("$top", String(Self.pageSize)),
        ]
        let data = try await call(.GET, "/odata/workorders", query: query)
        do {
            return try JSONDecoder().decode(Page.self, from: data).value
        } catch {
            throw .unavailable("ServiceChannel answered a work order page Fieldline cannot read: \(error).")
        }
    }

    public func workOrder(_ id: Int) async throws(ServiceChannelError) -> ServiceChannelWorkOrder {
        let data = try await call(.GET, "/workorders/\(id)")
        do {
            return try JSONDecoder().decode(ServiceChannelWorkOrder.self, from: data)
        } catch {
            throw .unavailable("ServiceChannel answered work order \(id) in a shape Fieldline cannot read: \(error).")
        }
    }

    /// Accept: In Progress / Dispatch Confirmed, with `note` on the work order (SV3).
    public func accept(_ id: Int, note: String) async throws(ServiceChannelError) {
        _ = try await call(.PUT, "/workorders/\(id)/accept", json: ["Note": note])
    }

    /// Decline: Open / Declined, with the reason and `note` (SV3).
    public func decline(
        _ id: Int, reason: ServiceChannelDeclineReason, customReason: String?, note: String
    ) async throws(ServiceChannelError) {
        var body: [String: Any] = ["DeclineReasonId": reason.rawValue, "Note": note]
        if let customReason { body["CustomDeclineReason"] = customReason }
        _ = try await call(.PUT, "/workorders/\(id)/decline", json: body)
    }

    public func setStatus(
        _ id: Int, primary: String, extended: String?, note: String
    ) async throws(ServiceChannelError) {
        var status: [String: Any] = ["Primary": primary]
        if let extended { status["Extended"] = extended }
        _ = try await call(.PUT, "/workorders/\(id)/status", json: ["Status": status, "Note": note])
    }

    public func addNote(_ id: Int, text: String, actionRequired: Bool = false) async throws(ServiceChannelError) {
        _ = try await call(
            .POST, "/workorders/\(id)/notes",
            json: ["Note": text, "ActionRequired": actionRequired, "NotifyFollowers": false])
    }

    public func notes(_ id: Int) async throws(ServiceChannelError) -> [ServiceChannelNote] {
        struct Notes: Decodable {
            var notes: [ServiceChannelNote]

            enum CodingKeys: String, CodingKey {
                case notes = "Notes"
            }
        }
        let data = try await call(.GET, "/workorders/\(id)/notes")
        do {
            return try JSONDecoder().decode(Notes.self, from: data).notes
        } catch {
            throw .unavailable("ServiceChannel answered the notes of \(id) in a shape Fieldline cannot read.")
        }
    }

    /// The technician arrived (SV8): the work order goes In Progress / On Site.
    public func checkIn(
        _ id: Int, at time: Date, latitude: Double?, longitude: Double?
    ) async throws(ServiceChannelError) {
        var body: [String: Any] = ["WorkTypeId": 1, "TechsCount": 1, "CheckInTime": ServiceChannelDate.format(time)]
        if let latitude, let longitude {
            body["Latitude"] = latitude
            body["Longitude"] = longitude
        }
        _ = try await call(.POST, "/workorders/\(id)/universalCheckIn", json: body)
    }

    /// The work is done (SV8): checked out with Completed (and the extended status the mapping
    /// names, if any).
    public func checkOut(
        _ id: Int, at time: Date, resolution: String, extendedStatus: String? = nil
    ) async throws(ServiceChannelError) {
        var body: [String: Any] = [
            "WorkTypeId": 1, "PrimaryStatus": "Completed", "Resolution": resolution,
            "CheckOutTime": ServiceChannelDate.format(time),
        ]
        if let extendedStatus { body["ExtendedStatus"] = extendedStatus }
        _ = try await call(.POST, "/workorders/\(id)/universalCheckOut", json: body)
    }

    /// Attaches a file to the work order (SV9): multipart, the file in the `file` part.
    public func uploadAttachment(
        _ id: Int, fileName: String, contentType: String, data: Data, description: String
    ) async throws(ServiceChannelError) {
        let boundary = "fieldline-" + UUID().uuidString.lowercased()
        var body = Data()
        func line(_ text: String) { body.append(Data((text + "\r\n").utf8)) }
        line("--\(boundary)")
        line(#"Content-Disposition: form-data; name="description""#)
        line("")
        line(description)
        line("--\(boundary)")
        line(
            #"Content-Disposition: form-data; name="file"; filename="\#(fileName.replacingOccurrences(of: "\"", with: ""))""#
        )
        line("Content-Type: \(contentType)")
        line("")
        body.append(data)
        line("")
        line("--\(boundary)--")
        _ = try await call(.POST, "/workorders/\(id)/attachments", multipart: (boundary, body))
    }

    /// The names of the files on a work order, to tell whether an upload whose answer was lost
    /// went through.
    public func attachmentNames(_ id: Int) async throws(ServiceChannelError) -> [String] {
        struct Attachment: Decodable {
            var fileName: String?

            enum CodingKeys: String, CodingKey {
                case fileName = "FileName"
            }
        }
        let data = try await call(.GET, "/workorders/\(id)/attachments")
        do {
            return try JSONDecoder().decode([Attachment].self, from: data).compactMap(\.fileName)
        } catch {
            throw .unavailable("ServiceChannel answered the attachments of \(id) in a shape Fieldline cannot read.")
        }
    }

    /// Sends an invoice for a completed work order (SV11).
    public func createInvoice(
        workOrder id: Int, number: String, date: String, total: Double, tax: Double, labor: Double, material: Double,
        travel: Double, freight: Double, other: Double
    ) async throws(ServiceChannelError) {
        _ = try await call(
            .POST, "/invoices",
            json: [
                "InvoiceNumber": number, "WoIdentifier": id, "InvoiceDate": date, "InvoiceTotal": total,
                "InvoiceTax": tax,
                "InvoiceAmountsDetails": [
                    "Labor": labor, "Material": material, "Travel": travel, "Freight": freight, "Other": other,
                ],
            ])
    }

    // MARK: Calls

    /// One call within the budget, with a valid token; a 401 gets one new token, a 429 waits its
    /// Retry-After. The body of a 2xx answer is returned.
    func call(
        _ method: HTTPMethod, _ path: String, query: [(name: String, value: String)] = [], json: [String: Any]? = nil,
        multipart: (boundary: String, body: Data)? = nil
    ) async throws(ServiceChannelError) -> Data {
        var url = endpoints.apiBase + path
        if !query.isEmpty { url += "?" + FormEncoding.encode(query).replacingOccurrences(of: "+", with: "%20") }
        var body: Data?
        var contentType = "application/json"
        if let json {
            do {
                body = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
            } catch {
                throw .unavailable("The request to ServiceChannel could not be written: \(error).")
            }
        }
        if let multipart {
            body = multipart.body
            contentType = "multipart/form-data; boundary=\(multipart.boundary)"
        }
        var renewedToken = false
        var throttled = 0
        while true {
            try await waitForBudget()
            let access = try await accessToken()
            var request = HTTPClientRequest(url: url)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(access)")
            request.headers.add(name: "Accept", value: "application/json")
            if let body {
                request.headers.add(name: "Content-Type", value: contentType)
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            let (status, headers, data) = try await execute(request)
            switch status.code {
            case 200...299:
                return data
            case 401 where !renewedToken:
                token = nil
                renewedToken = true
            case 401:
                throw .authentication("ServiceChannel refused a new access token for \(method) \(path).")
            case 429:
                throttledAnswers += 1
                let wait = Self.retryAfter(headers) ?? 60
                guard throttled < limits.throttleRetries else { throw .throttled(retryAfter: wait) }
                throttled += 1
                try await pause(wait)
            case 404:
                let (code, message) = Self.errorBody(data, status: status.code)
                throw .notFound(code: code, message: message)
            case 400...499:
                let (code, message) = Self.errorBody(data, status: status.code)
                throw .refused(status: Int(status.code), code: code, message: message)
            default:
                throw .unavailable("ServiceChannel answered \(status.code) to \(method) \(path).")
            }
        }
    }

    /// A call leaves the budget's window this long after the minute: ServiceChannel counts a call
    /// when it arrives, a little after we send it, and a request can overtake an earlier one.
    static let windowMargin: TimeInterval = 1

    /// Waits until another call fits in the last minute's budget, and counts this one.
    private func waitForBudget() async throws(ServiceChannelError) {
        let window = 60 + Self.windowMargin
        while true {
            let now = clock.now()
            recentCalls.removeAll { now.timeIntervalSince($0) >= window }
            if recentCalls.count < limits.callsPerMinute {
                recentCalls.append(now)
                callsMade += 1
                return
            }
            let oldest = recentCalls.min() ?? now
            try await pause(max(0.01, window - now.timeIntervalSince(oldest)))
        }
    }

    /// A token good for at least `tokenMargin` more seconds: the one held, else a refreshed one,
    /// else a new one from the password grant.
    private func accessToken() async throws(ServiceChannelError) -> String {
        if let token, token.expiresAt.timeIntervalSince(clock.now()) > Self.tokenMargin { return token.access }
        if let refresh = token?.refresh {
            do {
                return try await requestToken([("grant_type", "refresh_token"), ("refresh_token", refresh)])
            } catch .authentication {
                // An expired or revoked refresh token: sign in again.
            }
        }
        return try await requestToken([
            ("grant_type", "password"), ("username", credentials.username), ("password", credentials.password),
        ])
    }

    private func requestToken(_ form: [(name: String, value: String)]) async throws(ServiceChannelError) -> String {
        var attempts = 0
        while true {
            let wait = tokenGate.reserve(
                endpoints.tokenURL + " " + credentials.username, interval: limits.tokenInterval, now: clock.now())
            if wait > 0 { try await pause(wait) }
            tokenRequests += 1
            var request = HTTPClientRequest(url: endpoints.tokenURL)
            request.method = .POST
            let basic = Data("\(credentials.clientID):\(credentials.clientSecret)".utf8).base64EncodedString()
            request.headers.add(name: "Authorization", value: "Basic \(basic)")
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.headers.add(name: "Accept", value: "application/json")
            request.body = .bytes(ByteBuffer(string: FormEncoding.encode(form)))
            let (status, _, data) = try await execute(request)
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            switch status.code {
            case 200...299:
                guard let access = json?["access_token"] as? String, !access.isEmpty else {
                    throw .unavailable("ServiceChannel's token answer has no access_token.")
                }
                let lifetime = (json?["expires_in"] as? Double) ?? Double(json?["expires_in"] as? String ?? "") ?? 600
                token = Token(
                    access: access, refresh: json?["refresh_token"] as? String ?? token?.refresh,
                    expiresAt: clock.now().addingTimeInterval(lifetime))
                return access
            case 429 where attempts < limits.throttleRetries:
                // Another process of the same API user asked too: the interval starts again.
                attempts += 1
                throttledAnswers += 1
            case 400, 401:
                token = nil
                let reason = json?["error_description"] as? String ?? json?["error"] as? String ?? "refused"
                throw .authentication(
                    "ServiceChannel refused the sign-in: \(reason)\(reason.hasSuffix(".") ? "" : ".")")
            case 429:
                throw .throttled(retryAfter: limits.tokenInterval)
            default:
                throw .unavailable("ServiceChannel's token endpoint answered \(status.code).")
            }
        }
    }

    private func execute(
        _ request: HTTPClientRequest
    ) async throws(ServiceChannelError) -> (HTTPResponseStatus, HTTPHeaders, Data) {
        do {
            let response = try await http.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 8 << 20)
            return (response.status, response.headers, Data(buffer: body))
        } catch {
            throw .unavailable("ServiceChannel could not be reached: \(error).")
        }
    }

    private func pause(_ seconds: TimeInterval) async throws(ServiceChannelError) {
        do {
            try await sleep(seconds)
        } catch {
            throw .unavailable("Stopped while waiting for ServiceChannel's limits.")
        }
    }

    static func retryAfter(_ headers: HTTPHeaders) -> TimeInterval? {
        headers.first(name: "Retry-After").flatMap { TimeInterval($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// ServiceChannel's error body: {ErrorCodes:[…], ErrorCode, ErrorMessage, Data}, or a
    /// throttling body with `Reason`.
    static func errorBody(_ data: Data, status: UInt) -> (code: String?, message: String) {
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        var code = json?["ErrorCode"] as? String
        if code == nil, let codes = json?["ErrorCodes"] as? [Any], let first = codes.first {
            code = "\(first)"
        }
        let message =
            json?["ErrorMessage"] as? String ?? json?["Reason"] as? String ?? "ServiceChannel answered \(status)."
        return (code, message)
    }
}

/// ServiceChannel allows one token request per 5 s per user, whichever client makes it: a client
/// trying new credentials and the connection's own client share this gate.
public final class ServiceChannelTokenGate: Sendable {
    private let next = Mutex<[String: Date]>([:])

    public init() {}

    /// Takes the next free slot for `key`; returns how long to wait for it.
    func reserve(_ key: String, interval: TimeInterval, now: Date) -> TimeInterval {
        next.withLock { next in
            let slot = max(now, next[key] ?? now)
            next[key] = slot.addingTimeInterval(interval)
            return slot.timeIntervalSince(now)
        }
    }
}
