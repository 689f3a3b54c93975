import Fieldline
import FieldlineCore
import Foundation
import Hummingbird

/// The field team, with each technician's chat permissions (TC5) for admins to set.
struct TechnicianPages {
    let app: Fieldline
    let renderer: WebRenderer

    struct Model {
        var shell: Shell
        var technicians: [TechnicianView]
        var hasTechnicians: Bool
        var canManage: Bool
    }

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/technicians", use: showTechnicians)
        router.post("/technicians", use: addTechnician)
        router.post("/technicians/:id", use: updateTechnician)
    }

    /// The team; admins get the forms to add and change technicians.
    @Sendable func showTechnicians(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let technicians = try await app.technicians.all(by: actor)
        return try renderer.page(
            "technicians",
            Model(
                shell: try await renderer.shell(context, request: request, active: "technicians"),
                technicians: technicians.map(TechnicianView.init), hasTechnicians: !technicians.isEmpty,
                canManage: actor.can(.manageTechnicians)), request: request)
    }

    /// Adds a technician to the team.
    @Sendable func addTechnician(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let technician = try await app.technicians.add(
            .init(name: form["name"], phone: form["phone"], rating: try form.double("rating")),
            by: try context.actor())
        return renderer.redirect(to: "/technicians", flash: Flash(.success, "\(technician.name) joined the team."))
    }

    /// Saves a technician's details, chat permissions (TC5) and whether they are still active.
    @Sendable func updateTechnician(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: TechnicianID.self)
        let technician = try await app.technicians.update(
            id,
            .init(
                name: form["name"], phone: form["phone"], rating: try form.double("rating"),
                canViewChats: form.checked("canViewChats"), canReplyChats: form.checked("canReplyChats"),
                active: form.checked("active")), by: try context.actor())
        return renderer.redirect(to: "/technicians", flash: Flash(.success, "\(technician.name) saved."))
    }
}
