import Fieldline
import FieldlineCore
import Foundation
import Hummingbird
import HummingbirdCore

struct SignInPages {
    let app: Fieldline
    let renderer: WebRenderer

    var forms: SignInForms { SignInForms(app: app, renderer: renderer) }

    struct Model {
        var email: String
        var next: String
        var error: String?
        var demoHint: DemoHint?
        /// Before there is a session, the form's token pairs with a cookie of its own (double submit):
        /// another site can make a browser post the form, but cannot read or set the cookie.
        var csrf: String
    }

    struct DemoHint {
        var email: String
        var password: String
        var technicianEmail = DemoSeed.technicianEmail
    }

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/signin", use: showSignIn)
        router.post("/signin", use: signIn)
        router.post("/signout", use: signOut)
    }

    /// The sign-in form (`?next=` where to go after), with its token's cookie.
    @Sendable func showSignIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let csrf = forms.token(request)
        return try forms.page(
            "signin",
            Model(
                email: "", next: Self.safeNext(request.query["next"]), error: nil,
                demoHint: demoHint(), csrf: csrf),
            csrf: csrf, request: request)
    }

    /// Signs in and sets the session cookie, or shows the form again with the reason.
    @Sendable func signIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await FormData.read(request, context: context)
        let next = Self.safeNext(form["next"])
        let csrf = forms.token(request)
        // Another site must not sign a visitor in to an account of its choosing (login CSRF).
        guard forms.verified(form, request: request) else {
            return try forms.page(
                "signin",
                Model(
                    email: form["email"] ?? "", next: next,
                    error: "This sign-in form expired or did not come from Fieldline. Try again.",
                    demoHint: demoHint(), csrf: csrf),
                csrf: csrf, request: request, status: .forbidden)
        }
        do {
            let session = try await app.accounts.signIn(
                email: form["email"], password: form["password"], kind: .web, from: context.clientAddress(request))
            var response = renderer.redirect(to: next)
            response.setCookie(
                Cookie(
                    name: WebCookies.session, value: session.token, expires: session.expiresAt, path: "/",
                    secure: renderer.secureCookies, httpOnly: true, sameSite: .lax))
            return response
        } catch let error as FieldlineError {
            return try renderer.formAgain(
                "signin",
                Model(
                    email: form["email"] ?? "", next: next, error: error.message, demoHint: demoHint(), csrf: csrf),
                after: error, request: request)
        }
    }

    /// Ends the browser's session and clears its cookie. Signing someone out is a change too: it
    /// needs the session's own token. A session that has already ended has nothing to end.
    @Sendable func signOut(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let token = request.cookies[WebCookies.session]?.value, let session = try await liveSession(token) {
            let form = try await FormData.read(request, context: context)
            guard let sent = form["_csrf"], SecretComparison.equal(sent, session.csrfToken) else {
                throw HTTPFailure(
                    code: .csrfFailed,
                    message: "This form expired or did not come from Fieldline. Reload the page and try again.")
            }
            try await app.accounts.signOut(token: token)
        }
        var response = renderer.redirect(to: "/signin", flash: Flash(.info, "You are signed out."))
        response.setCookie(
            Cookie(name: WebCookies.session, value: "", maxAge: 0, path: "/", secure: renderer.secureCookies))
        return response
    }

    /// The web session `token` opens, or nil when it has expired or never existed; any other
    /// failure (the database) is not a signed-out visitor and propagates.
    private func liveSession(_ token: String) async throws -> Accounts.Authenticated? {
        do {
            return try await app.accounts.authenticate(token: token, kind: .web)
        } catch FieldlineError.unauthenticated {
            return nil
        }
    }

    private func demoHint() -> DemoHint? {
        renderer.demoSignIn.map { DemoHint(email: $0.email, password: $0.password) }
    }

    /// Only a path on this server, so the sign-in form cannot bounce people to another site. It is
    /// judged as a browser will read it: browsers strip leading and trailing spaces and controls,
    /// drop tabs and newlines anywhere, and read `\` as `/` — so `/\t/evil.example` and
    /// `/\\evil.example` are both `//evil.example`, another site.
    static func safeNext(_ raw: String?) -> String {
        guard let raw, raw.utf8.count <= 2048 else { return "/" }
        let controls = CharacterSet.controlCharacters.union(.whitespaces)
        let normalised = String(
            String.UnicodeScalarView(
                raw.trimmingCharacters(in: controls).unicodeScalars.filter { !["\t", "\n", "\r"].contains($0) }
            )
        ).replacingOccurrences(of: "\\", with: "/")
        guard normalised.hasPrefix("/"), !normalised.hasPrefix("//"),
            !normalised.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) })
        else { return "/" }
        return normalised
    }
}

/// The forms used before there is a session (sign-in, forgot password, the reset link): their
/// token pairs with a cookie of their own (double submit), and a foreign `Origin` is refused.
struct SignInForms {
    let app: Fieldline
    let renderer: WebRenderer

    static let cookieName = "fieldline_signin"

    /// The visitor's token: the one its cookie holds, or a new one.
    func token(_ request: Request) -> String {
        if let existing = request.cookies[Self.cookieName]?.value, existing.count == 32,
            existing.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        {
            return existing
        }
        return app.tokens.token(bytes: 24)
    }

    /// A page carrying one of these forms, with the cookie its token pairs with.
    func page(
        _ template: String, _ model: Any, csrf: String, request: Request, status: HTTPResponse.Status = .ok
    ) throws -> Response {
        var response = try renderer.page(template, model, request: request, status: status)
        response.setCookie(cookie(csrf))
        return response
    }

    func cookie(_ token: String) -> Cookie {
        Cookie(
            name: Self.cookieName, value: token, maxAge: 12 * 3600, path: "/", secure: renderer.secureCookies,
            httpOnly: true, sameSite: .strict)
    }

    /// The form came from a page of ours in this browser.
    func verified(_ form: FormData, request: Request) -> Bool {
        guard let cookie = request.cookies[Self.cookieName]?.value, let sent = form["_csrf"],
            SecretComparison.equal(cookie, sent)
        else { return false }
        return request.headers[.origin].map { LiveSocket.isOurOrigin($0, request: request.head, app: app) } ?? true
    }
}
