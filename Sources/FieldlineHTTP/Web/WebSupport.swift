import Fieldline
import FieldlineCore
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

enum WebCookies {
    static let session = "fieldline_session"
    static let flash = "fieldline_flash"
}

/// A one-shot message shown on the next page, carried in a short-lived cookie across a redirect.
struct Flash: Sendable {
    enum Kind: String, Sendable {
        case success, error, info, warning
    }

    var kind: Kind
    var message: String

    var cookieValue: String {
        Data("\(kind.rawValue):\(message)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    init?(cookieValue: String) {
        var base64 = cookieValue.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64.append("=") }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
            let colon = text.firstIndex(of: ":"), let kind = Kind(rawValue: String(text[..<colon]))
        else { return nil }
        self.kind = kind
        self.message = String(text[text.index(after: colon)...].prefix(500))
    }
}

/// Everything every signed-in page shows around its content: navigation, the user, the CSRF token.
struct Shell: Sendable {
    var accountName: String
    var userName: String
    var userInitials: String
    var roleLabel: String
    var csrf: String
    var active: String
    var flash: FlashView?
    var canSeeTechnicians: Bool
    var canSeeCustomers: Bool
    var canSeeJobs: Bool
    var canSeeSettings = false
    /// Office users who read the inbox see its link and the unread counter (CH3).
    var canSeeInbox = false
    var unread = 0
    var hasUnread = false

    struct FlashView: Sendable {
        var kind: String
        var message: String
    }

    // Stored, not computed: templates read values through reflection, which sees stored properties only.
    var navToday = false
    /// Technicians' own jobs (TC6).
    var canSeeField = false
    var navField = false
    var navInbox = false
    var navCustomers = false
    var navJobs = false
    var navBookings = false
    var navTechnicians = false
    var navSettings = false
    var canSeeCampaigns = false
    var navCampaigns = false
}

struct MapTiles: Sendable {
    var url: String
    var attribution: String
}

struct WebRenderer: Sendable {
    let app: Fieldline
    let templates: MustacheLibrary
    let secureCookies: Bool
    /// Shown on the sign-in page in demo mode only, so a new user can get in at once.
    let demoSignIn: (email: String, password: String)?
    /// Raster tiles for the tracking map, when configured.
    var mapTiles: MapTiles? = nil

    func shell(_ context: AppRequestContext, request: Request, active: String) async throws -> Shell {
        guard let auth = context.auth else { throw FieldlineError.unauthenticated(message: "Sign in first.") }
        let flash = request.cookies[WebCookies.flash].flatMap { Flash(cookieValue: $0.value) }
        var shell = Shell(
            accountName: auth.account.name, userName: auth.user.name,
            userInitials: Technician.initials(of: auth.user.name), roleLabel: auth.user.role.label,
            csrf: auth.csrfToken,
            active: active, flash: flash.map { .init(kind: $0.kind.rawValue, message: $0.message) },
            canSeeTechnicians: auth.actor.can(.viewTechnicians), canSeeCustomers: auth.actor.can(.viewCustomers),
            canSeeJobs: auth.actor.can(.viewJobs))
        shell.navToday = active == "today"
        shell.canSeeField = Field.isTechnician(auth.actor)
        shell.navField = active == "field"
        shell.navInbox = active == "inbox"
        if auth.actor.role != .technician, auth.actor.can(.viewCustomerChats) {
            shell.canSeeInbox = true
            shell.unread = try await app.inbox.unreadCount(in: auth.account.id)
            shell.hasUnread = shell.unread > 0
        }
        shell.navCustomers = active == "customers"
        shell.navJobs = active == "jobs"
        shell.navBookings = active == "bookings"
        shell.navTechnicians = active == "technicians"
        shell.navSettings = active == "settings"
        shell.canSeeSettings = auth.actor.can(.manageAccount)
        shell.canSeeCampaigns = auth.actor.can(.manageMarketing)
        shell.navCampaigns = active == "campaigns"
        return shell
    }

    /// Renders a page; a flash cookie that was shown is cleared in the same response.
    /// A form shown again after `error` (the one way pages do it): what was typed stays, the reason
    /// shows, and the status is the one the API answers the same error with.
    func formAgain(_ template: String, _ model: Any, after error: FieldlineError, request: Request) throws -> Response {
        try page(template, model, request: request, status: ErrorMapping.status(of: error))
    }

    func page(_ template: String, _ model: Any, request: Request, status: HTTPResponse.Status = .ok) throws -> Response
    {
        guard let html = templates.render(model, withTemplate: template) else {
            throw ConfigurationError(message: "Missing template \(template).")
        }
        var response = Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
        if request.cookies[WebCookies.flash] != nil {
            response.setCookie(Cookie(name: WebCookies.flash, value: "", maxAge: 0, path: "/", secure: secureCookies))
        }
        return response
    }

    func redirect(to location: String, flash: Flash? = nil) -> Response {
        var response = Response(status: .seeOther, headers: [.location: location])
        if let flash {
            response.setCookie(
                Cookie(
                    name: WebCookies.flash, value: flash.cookieValue, maxAge: 60, path: "/", secure: secureCookies,
                    httpOnly: true, sameSite: .lax))
        }
        return response
    }
}

extension Request {
    /// Where a failed form post goes back to: the page that sent it, if it is one of ours.
    var safeReferer: String? {
        guard let referer = headers[.referer], let url = URL(string: referer) else { return nil }
        let path = url.path.isEmpty ? "/" : url.path
        guard path.hasPrefix("/"), !path.hasPrefix("//") else { return nil }
        return url.query.map { "\(path)?\($0)" } ?? path
    }
}

extension Request {
    /// A script of our own pages asking for JSON (a form posted with `fetch`), not a navigation.
    var wantsJSON: Bool {
        headers[.accept]?.contains("application/json") == true
    }
}
