import Fieldline
import FieldlineCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Signs web requests in from the session cookie; anyone else is sent to the sign-in page.
struct WebSessionMiddleware: RouterMiddleware {
    let app: Fieldline
    let renderer: WebRenderer

    func handle(
        _ request: Request, context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        var auth: Accounts.Authenticated
        do {
            guard let token = request.cookies[WebCookies.session]?.value, !token.isEmpty else {
                throw FieldlineError.unauthenticated(message: "Sign in first.")
            }
            auth = try await app.accounts.authenticate(token: token, kind: .web)
            context.sessionToken = token
        } catch FieldlineError.unauthenticated {
            let target = request.method == .get ? request.uri.description : "/"
            let next =
                target == "/"
                ? "" : "?next=" + (target.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            return renderer.redirect(to: "/signin" + next)
        }
        auth.actor.address = context.clientAddress(request)
        context.auth = auth
        return try await next(request, context)
    }
}

/// Errors on web pages become pages: a refused form goes back where it came from with the
/// reason shown; missing records and missing permissions get their own page.
struct WebErrorMiddleware: RouterMiddleware {
    let renderer: WebRenderer

    struct ErrorPage {
        var title: String
        var message: String
        var status: Int
    }

    func handle(
        _ request: Request, context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error where request.wantsJSON && (error is FieldlineError || error is HTTPFailure) {
            // The page's own scripts post and read JSON: they get the API's error shape, not a
            // redirect with a flash they would never show.
            return ErrorMapping.jsonResponse(for: error, logger: context.logger)
        } catch let error as FieldlineError {
            // The same status as the API answers for the same error (ErrorMapping).
            let status = ErrorMapping.status(of: error)
            switch error {
            case .unauthenticated:
                return renderer.redirect(to: "/signin")
            case .invalid, .conflict:
                if request.method == .post {
                    return renderer.redirect(to: request.safeReferer ?? "/", flash: Flash(.error, error.message))
                }
                return try errorPage("That did not work", error.message, status, request)
            case .notFound:
                return try errorPage(
                    "Not found", "This page does not exist, or it belongs to another account.", status, request)
            case .forbidden, .refused:
                return try errorPage("Not allowed", error.message, status, request)
            case .rateLimited:
                return try errorPage("Slow down", error.message, status, request)
            }
        } catch let error as HTTPFailure {
            return try errorPage("That did not work", error.message, error.status, request)
        } catch let error as HTTPError where error.status == .notFound {
            return try errorPage("Not found", "This page does not exist.", .notFound, request)
        } catch let error as NIOTooManyBytesError {
            if request.wantsJSON { return ErrorMapping.jsonResponse(for: error, logger: context.logger) }
            return try errorPage(
                "Too much to send", "What was sent is larger than 1 MB. Send less and try again.", .contentTooLarge,
                request)
        } catch {
            context.logger.error("Unhandled error on \(request.uri.path): \(String(reflecting: error))")
            return try errorPage(
                "Something went wrong", "We could not show this page. The error has been logged.", .internalServerError,
                request)
        }
    }

    private func errorPage(
        _ title: String, _ message: String, _ status: HTTPResponse.Status, _ request: Request
    ) throws
        -> Response
    {
        try renderer.page(
            "error", ErrorPage(title: title, message: message, status: status.code), request: request, status: status)
    }
}
