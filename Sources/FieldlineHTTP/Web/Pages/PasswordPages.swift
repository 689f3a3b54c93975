import Fieldline
import FieldlineCore
import Foundation
import Hummingbird
import HummingbirdCore

/// Passwords on the web: "forgot password" and the reset link (public, with the sign-in form's
/// token pairing), changing your own (signed in), and an admin forcing a reset (Settings).
struct PasswordPages {
    let app: Fieldline
    let renderer: WebRenderer
    /// Forgot-password posts per connecting address: the form sends email, so it must not be a
    /// way to flood someone's inbox (each person also gets at most three links an hour).
    let throttle = AddressThrottle(limit: 5, window: 15 * 60)

    struct ForgotModel {
        var email: String
        var csrf: String
        var sent: Bool
        var error: String?
    }

    struct ResetModel {
        var token: String
        var csrf: String
        var valid: Bool
        var error: String?
    }

    struct AccountModel {
        var shell: Shell
        var email: String
        var error: String?
    }

    /// The forms before there is a session: their token pairs with a cookie of its own.
    private var forms: SignInForms { SignInForms(app: app, renderer: renderer) }

    func registerPublic(on router: RouterGroup<AppRequestContext>) {
        router.get("/forgot-password", use: showForgotPassword)
        router.post("/forgot-password", use: requestReset)
        router.get("/reset-password/:token", use: showResetPassword)
        router.post("/reset-password/:token", use: resetPassword)
    }

    func registerSignedIn(on router: RouterGroup<AppRequestContext>) {
        router.get("/account/password", use: showChangePassword)
        router.post("/account/password", use: changePassword)
        router.post("/settings/users/:id/reset-password", use: forceReset)
    }

    /// The "forgot password" form.
    @Sendable func showForgotPassword(_ request: Request, context: AppRequestContext) async throws -> Response {
        let csrf = forms.token(request)
        return try forms.page(
            "forgot_password", ForgotModel(email: "", csrf: csrf, sent: false, error: nil), csrf: csrf,
            request: request)
    }

    /// Sends a reset link to the address, if it has an account; the answer is the same whether or
    /// not it does.
    @Sendable func requestReset(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await FormData.read(request, context: context)
        let csrf = forms.token(request)
        let email = String((form["email"] ?? "").prefix(254))
        guard forms.verified(form, request: request) else {
            return try forms.page(
                "forgot_password",
                ForgotModel(
                    email: email, csrf: csrf, sent: false,
                    error: "This form expired or did not come from Fieldline. Try again."),
                csrf: csrf, request: request, status: .forbidden)
        }
        guard throttle.allow(context.clientAddress(request) ?? "unknown", scope: "password-reset", at: app.clock.now())
        else {
            return try renderer.page(
                "forgot_password",
                ForgotModel(
                    email: email, csrf: csrf, sent: false,
                    error: "Too many requests from here. Try again in a few minutes."),
                request: request, status: .tooManyRequests)
        }
        // The same answer whether or not the address has an account.
        try await app.passwordChanges.requestReset(email: email)
        return try renderer.page(
            "forgot_password", ForgotModel(email: email, csrf: csrf, sent: true, error: nil), request: request)
    }

    /// The reset link's page: the new-password form, or that the link no longer works.
    @Sendable func showResetPassword(_ request: Request, context: AppRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        let csrf = forms.token(request)
        return try forms.page(
            "reset_password",
            ResetModel(
                token: token, csrf: csrf, valid: try await app.passwordChanges.linkIsValid(token), error: nil),
            csrf: csrf, request: request)
    }

    /// Sets the new password from a reset link, then sends the person to sign in with it.
    @Sendable func resetPassword(_ request: Request, context: AppRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        let form = try await FormData.read(request, context: context)
        let csrf = forms.token(request)
        func again(_ error: String, status: HTTPResponse.Status) async throws -> Response {
            return try forms.page(
                "reset_password",
                ResetModel(
                    token: token, csrf: csrf, valid: try await app.passwordChanges.linkIsValid(token),
                    error: error),
                csrf: csrf, request: request, status: status)
        }
        guard forms.verified(form, request: request) else {
            return try await again(
                "This form expired or did not come from Fieldline. Try again.", status: .forbidden)
        }
        do {
            try await app.passwordChanges.reset(
                token: token, new: form["newPassword"], from: context.clientAddress(request))
        } catch let error as FieldlineError where error.isRefusal {
            return try await again(error.message, status: ErrorMapping.status(of: error))
        }
        return renderer.redirect(
            to: "/signin", flash: Flash(.success, "Your new password is set. Sign in with it."))
    }

    /// The signed-in person's change-password form.
    @Sendable func showChangePassword(_ request: Request, context: AppRequestContext) async throws -> Response {
        try renderer.page(
            "account_password",
            AccountModel(
                shell: try await renderer.shell(context, request: request, active: ""),
                email: context.auth?.user.email.value ?? "", error: nil),
            request: request)
    }

    /// Changes the signed-in person's own password; their other sessions end, this one stays.
    @Sendable func changePassword(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let actor = try context.actor()
        do {
            try await app.passwordChanges.change(
                current: form["currentPassword"], new: form["newPassword"],
                keeping: request.cookies[WebCookies.session]?.value, by: actor)
        } catch let error as FieldlineError where error.isRefusal {
            return try renderer.formAgain(
                "account_password",
                AccountModel(
                    shell: try await renderer.shell(context, request: request, active: ""),
                    email: context.auth?.user.email.value ?? "", error: error.message),
                after: error, request: request)
        }
        return renderer.redirect(
            to: "/account/password",
            flash: Flash(.success, "Your password is changed. You are signed out everywhere else."))
    }

    /// An admin forcing a reset (Settings): the user's password stops working and a link to choose
    /// a new one is sent.
    @Sendable func forceReset(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: UserID.self)
        try await app.passwordChanges.forceReset(id, by: try context.actor())
        return renderer.redirect(
            to: "/settings#people",
            flash: Flash(.success, "Their password no longer works; a link to choose a new one is on its way."))
    }
}
