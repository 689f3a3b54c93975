import Fieldline
import FieldlineCore
import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle
import Synchronization

/// The public arrival-tracking page (DN6) at `/t/{token}`, its state as JSON, and a stream of
/// Server-Sent Events that carries a fresh state whenever the technician's position or visit
/// changes. No session: the unguessable token is the key, and unknown or expired tokens get the
/// same friendly 404.
struct TrackingPage {
    let app: Fieldline
    let renderer: WebRenderer

    /// How often an idle stream sends the state again (proxies drop silent connections, and the
    /// age of the last position moves on).
    static let keepAlive: Duration = .seconds(20)
    /// Streams one link may hold open at once: a family's phones, not a flood.
    static let streamsPerLink = 5
    let openStreams = OpenStreams()

    struct Model {
        var title: String
        var companyName: String
        /// Tap to call or text the business (E.164 for the link, as people write it for the label).
        var companyPhone: String?
        var companyPhoneDisplay: String?
        var onTheWay: Bool
        var arrived: Bool
        var finished: Bool
        var firstName: String
        var technicianName: String
        var initials: String
        var photoURL: String
        var hasRating: Bool
        var rating: String
        var arrivalWindow: String
        var arrivedAt: String
        var address: String
        var verified: Bool
        var showMap: Bool
        var distance: String
        var eta: String
        var updated: String
        var liveURL: String
        var stateURL: String
        var tileURL: String
        var tileAttribution: String
        var stateJSON: String
    }

    struct NotFoundModel {
        var title = "This tracking link has ended"
    }

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/t/:token", use: showTracking)
        router.get("/t/:token/state", use: trackingState)
        router.get("/t/:token/live", use: liveTracking)
    }

    /// The tracking page, or the friendly 404 for an unknown or expired link.
    @Sendable func showTracking(_ request: Request, context: AppRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        do {
            let view = try await app.tracking.view(token: token)
            return try renderer.page("tracking", model(view, token: token), request: request)
        } catch FieldlineError.notFound {
            return try renderer.page("tracking_notfound", NotFoundModel(), request: request, status: .notFound)
        }
    }

    /// The link's state as JSON, for the page's script.
    @Sendable func trackingState(_ request: Request, context: AppRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        do {
            var response = try APIResponse.json(
                TrackingStateJSON(try await app.tracking.view(token: token), app: app))
            response.headers[.cacheControl] = "no-store"
            return response
        } catch FieldlineError.notFound {
            return ErrorMapping.jsonResponse(
                .trackingLinkNotFound,
                message: "This tracking link does not exist or has ended.")
        }
    }

    /// The Server-Sent Events stream of the link's state, at most `streamsPerLink` at once per link.
    @Sendable func liveTracking(_ request: Request, context: AppRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        let first: Tracking.View
        do {
            first = try await app.tracking.view(token: token)
        } catch FieldlineError.notFound {
            return ErrorMapping.jsonResponse(
                .trackingLinkNotFound,
                message: "This tracking link does not exist or has ended.")
        }
        guard openStreams.open(token, limit: Self.streamsPerLink) else {
            return ErrorMapping.jsonResponse(
                .tooManyStreams,
                message: "This tracking link is open in too many places; close one and reload.")
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store", .connection: "keep-alive"],
            body: ResponseBody { writer in
                defer { openStreams.close(token) }
                try await stream(token: token, first: first, to: &writer)
            })
    }

    /// Sends the state now and after every change of this technician's position or visit, until
    /// the visit is no longer on the way, the link ends, or the customer leaves.
    private func stream(token: String, first: Tracking.View, to writer: inout any ResponseBodyWriter) async throws {
        let technicianID = first.technicianID
        let events = app.live.subscribe(to: first.accountID, buffer: 16)
        // Every wake-up sends the state as it is then, so coalesced wake-ups lose nothing.
        let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let forwarder = Task {
            for await event in events {
                switch event {
                case .technicianPosition(technicianID), .visitChanged(technicianID): wake.yield()
                default: break
                }
            }
            wake.finish()
        }
        let heartbeat = Task {
            while !Task.isCancelled {
                // Sleep fails only when cancelled, which the loop checks next.
                try? await Task.sleep(for: Self.keepAlive)
                wake.yield()
            }
        }
        // A stream may last hours; a server shutting down ends it instead of waiting for it.
        let shutdown = Task {
            await withGracefulShutdownHandler {
                // Sleep fails only when cancelled, and that means the stream has already ended.
                try? await Task.sleep(for: .seconds(TrackingRules.lifetime))
            } onGracefulShutdown: {
                wake.finish()
            }
        }
        defer {
            forwarder.cancel()
            heartbeat.cancel()
            shutdown.cancel()
            wake.finish()
        }
        try await writer.write(ByteBuffer(string: "retry: 5000\n\n" + (try event(first))))
        guard first.phase == .onTheWay else {
            try await writer.finish(nil)
            return
        }
        for await _ in wakeups {
            let view: Tracking.View
            do {
                view = try await app.tracking.view(token: token)
            } catch FieldlineError.notFound {
                try await writer.write(ByteBuffer(string: "event: ended\ndata: {}\n\n"))
                break
            }
            try await writer.write(ByteBuffer(string: try event(view)))
            if view.phase != .onTheWay { break }
        }
        try await writer.finish(nil)
    }

    private func event(_ view: Tracking.View) throws -> String {
        let data = try JSONCoding.encoder.encode(TrackingStateJSON(view, app: app))
        return "data: \(String(decoding: data, as: UTF8.self))\n\n"
    }

    private func model(_ view: Tracking.View, token: String) throws -> Model {
        let firstName = NoticeValues.firstName(view.technicianName)
        let state = try JSONCoding.encoder.encode(TrackingStateJSON(view, app: app))
        let title: String
        switch view.phase {
        case .arrived: title = "\(firstName) has arrived"
        case .finished: title = "Your visit is complete"
        default: title = "\(firstName) is on the way"
        }
        return Model(
            title: title, companyName: view.companyName, companyPhone: view.companyPhone?.e164,
            companyPhoneDisplay: view.companyPhone?.displayed, onTheWay: view.phase == .onTheWay,
            arrived: view.phase == .arrived, finished: view.phase == .finished, firstName: firstName,
            technicianName: view.technicianName, initials: view.technicianInitials, photoURL: view.technicianPhotoURL,
            hasRating: view.technicianRating != nil,
            rating: view.technicianRating.map { String(format: "%.1f", $0) } ?? "", arrivalWindow: view.arrivalWindow,
            arrivedAt: view.arrivedAtText ?? "", address: view.address, verified: view.verified,
            showMap: view.verified && view.phase == .onTheWay, distance: view.estimate?.distanceText ?? "—",
            eta: view.estimate?.etaText ?? "—",
            updated: view.positionRecordedAt == nil
                ? "Waiting for \(firstName)'s location"
                : "Updated \(Self.ago(view.positionRecordedAt, now: app.clock.now()))",
            liveURL: "/t/\(token)/live", stateURL: "/t/\(token)/state", tileURL: renderer.mapTiles?.url ?? "",
            tileAttribution: renderer.mapTiles?.attribution ?? "",
            // Inside <script type="application/json"> no "<" may start a tag or comment: JSON's
            // own escape keeps the value and the element intact.
            stateJSON: String(decoding: state, as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c"))
    }

    static func ago(_ date: Date?, now: Date) -> String {
        guard let date else { return "" }
        let minutes = Int(now.timeIntervalSince(date) / 60)
        if minutes < 1 { return "just now" }
        return minutes == 1 ? "1 min ago" : "\(minutes) min ago"
    }
}

/// What the tracking page's script reads: the same shape in the page, from `/state` and on the
/// event stream.
struct TrackingStateJSON: Encodable {
    struct TechnicianJSON: Encodable {
        var name: String
        var firstName: String
        var initials: String
        var photoUrl: String
        var rating: Double?
    }

    struct DestinationJSON: Encodable {
        var address: String
        var latitude: Double?
        var longitude: Double?
    }

    struct PositionJSON: Encodable {
        var latitude: Double
        var longitude: Double
        var recordedAt: Date
    }

    var state: String
    var technician: TechnicianJSON
    var verified: Bool
    var destination: DestinationJSON
    var position: PositionJSON?
    var distanceText: String?
    var etaText: String?
    var arrivedAt: Date?
    var expiresAt: Date

    init(_ view: Tracking.View, app: Fieldline) {
        state = view.phase.rawValue
        technician = TechnicianJSON(
            name: view.technicianName, firstName: NoticeValues.firstName(view.technicianName),
            initials: view.technicianInitials, photoUrl: view.technicianPhotoURL, rating: view.technicianRating)
        verified = view.verified
        destination = DestinationJSON(
            address: view.address, latitude: view.destination?.latitude, longitude: view.destination?.longitude)
        if let position = view.position, let recordedAt = view.positionRecordedAt {
            self.position = PositionJSON(
                latitude: position.latitude, longitude: position.longitude, recordedAt: recordedAt)
        }
        distanceText = view.estimate?.distanceText
        etaText = view.estimate?.etaText
        arrivedAt = view.arrivedAt
        expiresAt = view.expiresAt
    }
}

/// Event streams open per tracking link on this server.
final class OpenStreams: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func open(_ token: String, limit: Int) -> Bool {
        counts.withLock { counts in
            guard counts[token, default: 0] < limit else { return false }
            counts[token, default: 0] += 1
            return true
        }
    }

    func close(_ token: String) {
        counts.withLock { counts in
            let left = counts[token, default: 1] - 1
            counts[token] = left > 0 ? left : nil
        }
    }
}
