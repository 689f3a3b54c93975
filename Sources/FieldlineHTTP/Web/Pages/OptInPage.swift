import Fieldline
import FieldlineCore
import Foundation
import Hummingbird
import Synchronization

/// The public opt-in form (SC5) at `/opt-in/{account}`: a number typed in gets the double opt-in
/// text. Bots are kept out by a honeypot field and a limit per connecting address; a number gets
/// at most one request per window however often it is typed in. The answer is the same whatever
/// the number's state, so the page tells nobody who opted out.
struct OptInPage {
    let app: Fieldline
    let renderer: WebRenderer
    let throttle = AddressThrottle(limit: 5, window: 600)

    struct Model {
        var accountID: String
        var companyName: String
        var marketingNumber: String
        var phone: String
        var error: String?
        var done: Bool
    }

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/opt-in/:account", use: showOptIn)
        router.post("/opt-in/:account", use: signUp)
    }

    /// The sign-up form of an account that takes sign-ups; a 404 page for any other address.
    @Sendable func showOptIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let account = try await page(context) else { return try unavailable(request) }
        return try renderer.page(
            "opt_in", try await model(account, phone: "", error: nil, done: false), request: request)
    }

    /// Asks the typed number to confirm by text; the same answer whatever the number's state.
    @Sendable func signUp(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let account = try await page(context) else { return try unavailable(request) }
        let form = try await FormData.read(request, context: context)
        let phone = String((form["phone"] ?? "").prefix(40))
        guard
            throttle.allow(context.clientAddress(request) ?? "unknown", scope: account.id.rawValue, at: app.clock.now())
        else {
            return try renderer.page(
                "opt_in",
                try await model(
                    account, phone: phone, error: "Too many sign-ups from here. Try again in a few minutes.",
                    done: false), request: request, status: .tooManyRequests)
        }
        // A filled-in trap is a bot: it sees the usual answer and nothing is sent.
        if (form["website"] ?? "").isEmpty {
            do {
                _ = try await app.consent.signUp(phone: phone, agreed: form.checked("agree"), accountID: account.id)
            } catch let error as FieldlineError where error.isRefusal {
                return try renderer.formAgain(
                    "opt_in", try await model(account, phone: phone, error: error.message, done: false),
                    after: error, request: request)
            }
        }
        // Parsing only reads the typed text (it throws nothing but "not a phone number"): a number
        // that does not read as one is shown as typed.
        let shown = (try? PhoneNumber.parse(phone).displayed) ?? phone
        return try renderer.page(
            "opt_in", try await model(account, phone: shown, error: nil, done: true), request: request)
    }

    /// The account behind the address, if it takes sign-ups.
    private func page(_ context: AppRequestContext) async throws -> Account? {
        guard let raw = context.parameters.get("account"), raw.count <= 64 else { return nil }
        do {
            return try await app.consent.signUpPage(AccountID(raw))
        } catch FieldlineError.notFound {
            return nil
        }
    }

    private func unavailable(_ request: Request) throws -> Response {
        try renderer.page("opt_in", Unavailable(), request: request, status: .notFound)
    }

    struct Unavailable {
        var unavailable = true
        var companyName = "Text sign-up"
    }

    private func model(_ account: Account, phone: String, error: String?, done: Bool) async throws -> Model {
        let number = try await app.consent.marketingNumber(of: account.id)
        return Model(
            accountID: account.id.rawValue, companyName: account.name, marketingNumber: number?.displayed ?? "",
            phone: phone, error: error, done: done)
    }
}
