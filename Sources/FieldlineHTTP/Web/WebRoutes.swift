import Fieldline
import FieldlineCore
import Foundation
import Hummingbird

/// Registers the server-rendered web app.
enum WebRoutes {
    static func register(on router: Router<AppRequestContext>, app: Fieldline, renderer: WebRenderer) {
        let web = router.group().add(middleware: WebErrorMiddleware(renderer: renderer))
        SignInPages(app: app, renderer: renderer).register(on: web)
        let passwords = PasswordPages(app: app, renderer: renderer)
        passwords.registerPublic(on: web)
        TrackingPage(app: app, renderer: renderer).register(on: web)
        OptInPage(app: app, renderer: renderer).register(on: web)
        let signedIn = web.group().add(middleware: WebSessionMiddleware(app: app, renderer: renderer))
        // Technicians start on their own jobs (TC6); everyone else on the day's schedule.
        signedIn.get("/") { _, context in
            renderer.redirect(to: context.auth.map { Field.isTechnician($0.actor) } == true ? "/field" : "/today")
        }
        TodayPage(app: app, renderer: renderer).register(on: signedIn)
        InboxPages(app: app, renderer: renderer).register(on: signedIn)
        DispatchBoardPage(app: app, renderer: renderer).register(on: signedIn)
        CustomerImportPages(app: app, renderer: renderer).register(on: signedIn)
        CustomerPages(app: app, renderer: renderer).register(on: signedIn)
        JobPages(app: app, renderer: renderer).register(on: signedIn)
        BookingPages(app: app, renderer: renderer).register(on: signedIn)
        TechnicianPages(app: app, renderer: renderer).register(on: signedIn)
        FieldPages(app: app, renderer: renderer).register(on: signedIn)
        SettingsPages(app: app, renderer: renderer).register(on: signedIn)
        AuditLogPage(app: app, renderer: renderer).register(on: signedIn)
        passwords.registerSignedIn(on: signedIn)
        NoticeSettingsPage(app: app, renderer: renderer).register(on: signedIn)
        RegistrationPage(app: app, renderer: renderer).register(on: signedIn)
        CampaignPages(app: app, renderer: renderer).register(on: signedIn)
        TriggeredCampaignPages(app: app, renderer: renderer).register(on: signedIn)
        ServiceChannelPages(app: app, renderer: renderer).register(on: signedIn)
        // Only a demo server has the simulator; elsewhere its paths do not exist.
        if app.demo { SimulatorPage(app: app, renderer: renderer).register(on: signedIn) }
    }
}

/// Reads a posted form and checks its CSRF token against the session's: every state-changing
/// web request goes through here.
func verifiedForm(_ request: Request, _ context: AppRequestContext) async throws -> FormData {
    let form = try await FormData.read(request, context: context)
    guard let expected = context.auth?.csrfToken, let sent = form["_csrf"], SecretComparison.equal(sent, expected)
    else {
        throw HTTPFailure(
            code: .csrfFailed,
            message: "This form expired or did not come from Fieldline. Reload the page and try again.")
    }
    return form
}
