import Fieldline
import FieldlineCore
import FieldlineStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle

/// Builds the HTTP application: JSON API, web app, public assets, health check.
public enum FieldlineServer {
    /// `backgroundWorkers: false` leaves out the outbox worker and media fetcher, for tests that
    /// drive them by hand.
    public static func buildApplication(
        configuration: ServerConfiguration, app: Fieldline, demoSignIn: (email: String, password: String)? = nil,
        backgroundWorkers: Bool = true
    ) async throws -> some ApplicationProtocol {
        let resources = try await ServerResources.load()
        let router = try buildRouter(
            app: app, resources: resources,
            renderer: WebRenderer(
                app: app, templates: resources.templates, secureCookies: configuration.secureCookies,
                demoSignIn: demoSignIn,
                mapTiles: configuration.mapTileURL.map {
                    MapTiles(url: $0, attribution: configuration.mapTileAttribution ?? "")
                }))
        let hub = LiveHub(app: app)
        return Application(
            router: router,
            server: .http1WebSocketUpgrade { request, _, logger in
                await LiveSocket.shouldUpgrade(request, app: app, hub: hub, logger: logger)
            },
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "Fieldline"),
            // Graceful shutdown runs last to first: the server stops taking requests, then the
            // relay and the workers finish, and only then is the database closed.
            services: [DatabaseCloser(database: app.database, logger: app.logger)]
                + (backgroundWorkers
                    ? [
                        OutboxWorker(app: app), EmailWorker(app: app), MediaFetcher(app: app),
                        CampaignScheduler(app: app), TriggeredCampaignScheduler(app: app),
                        ServiceChannelWorker(app: app), RetentionSweeper(app: app), CustomerImportWorker(app: app),
                    ] : [])
                // Demo mode plays the dispatched technicians' phones so tracking pages move.
                + (backgroundWorkers && demoSignIn != nil ? [DemoDriver(app: app)] : [])
                + [LiveEventRelay(app: app)],
            logger: app.logger)
    }

    static func buildRouter(
        app: Fieldline, resources: ServerResources, renderer: WebRenderer
    ) throws
        -> Router<AppRequestContext>
    {
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: SecurityHeadersMiddleware(https: app.publicURL.lowercased().hasPrefix("https://")))
        router.get("/health") { _, _ in
            try APIResponse.json(["status": "ok"])
        }
        router.get("/static/:file") { _, context in
            guard let name = context.parameters.get("file"), let file = resources.publicFiles[name] else {
                throw HTTPError(.notFound)
            }
            return Response(
                status: .ok,
                headers: [.contentType: file.contentType, .cacheControl: "public, max-age=300"],
                body: .init(byteBuffer: ByteBuffer(bytes: file.data)))
        }
        router.get("/avatars/technicians/:file") { _, context in
            guard let file = context.parameters.get("file"), file.hasSuffix(".svg"),
                let svg = try await app.technicians.avatarSVG(TechnicianID(String(file.dropLast(4))))
            else { throw HTTPError(.notFound) }
            return Response(
                status: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(string: svg)))
        }
        APIRouter.register(APIRoutes.all(app: app), on: router, app: app, openAPIDocument: resources.openAPIDocument)
        TwilioWebhooks(app: app).register(on: router)
        ServiceChannelWebhooks(app: app).register(on: router)
        WebRoutes.register(on: router, app: app, renderer: renderer)
        return router
    }
}

/// Closes the database once the server has drained at shutdown.
struct DatabaseCloser: Service {
    let database: any Database
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        await database.close()
        logger.info("Database closed.")
    }
}

/// Headers every response carries: no framing by other sites, no MIME sniffing, our own assets only.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Served at an https public URL: browsers are told to use nothing else for a year.
    var https = false

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        if https { response.headers[HTTPField.Name("Strict-Transport-Security")!] = "max-age=31536000" }
        if response.headers[.contentType]?.hasPrefix("text/html") == true {
            response.headers[.contentSecurityPolicy] =
                "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"
        }
        return response
    }
}
