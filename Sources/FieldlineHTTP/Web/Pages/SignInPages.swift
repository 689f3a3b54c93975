import Fieldline
import FieldlineCore
import Foundation
import Hummingbird
import HummingbirdCore

struct SignInPages {
    let app: Fieldline
    let renderer: WebRenderer

    struct Model {
        var email: String
        var next: String
        var error: String?
        var demoHint: DemoHint?
    }

    struct DemoHint {
        var email: String
        var password: String
        var technicianEmail = DemoSeed.technicianEmail
    }

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/signin") { request, _ in
            try renderer.page(
                "signin",
                Model(
                    email: "", next: Self.safeNext(request.query["next"]), error: nil,
                    demoHint: demoHint()),
                request: request)
        }
        router.post("/signin") { request, context in
            let form = try await FormData.read(request, context: context)
            let next = Self.safeNext(form["next"])
            do {
                let session = try await app.accounts.signIn(
                    email: form["email"], password: form["password"], kind: .web)
                var response = renderer.redirect(to: next)
                response.setCookie(
                    Cookie(
                        name: WebCookies.session, value: session.token, expires: session.expiresAt, path: "/",
                        secure: renderer.secureCookies, httpOnly: true, sameSite: .lax))
                return response
            } catch let error as FieldlineError {
                return try renderer.page(
                    "signin", Model(email: form["email"] ?? "", next: next, error: error.message, demoHint: demoHint()),
                    request: request, status: ErrorMapping.status(of: error))
            }
        }
        router.post("/signout") { request, _ in
            if let token = request.cookies[WebCookies.session]?.value {
                try await app.accounts.signOut(token: token)
            }
            var response = renderer.redirect(to: "/signin", flash: Flash(.info, "You are signed out."))
            response.setCookie(
                Cookie(name: WebCookies.session, value: "", maxAge: 0, path: "/", secure: renderer.secureCookies))
            return response
        }
    }

    private func demoHint() -> DemoHint? {
        renderer.demoSignIn.map { DemoHint(email: $0.email, password: $0.password) }
    }

    /// Only local paths, so the sign-in form cannot be used to bounce people to another site.
    static func safeNext(_ raw: String?) -> String {
        guard let raw, raw.hasPrefix("/"), !raw.hasPrefix("//"), !raw.hasPrefix("/\\") else { return "/" }
        return raw
    }
}
