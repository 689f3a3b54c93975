import Fieldline
import FieldlineCore
import Foundation
import Hummingbird

/// FS7: texts from employee and technician phones ("running late", "need a part"), which never
/// belong in the customer inbox. A card on Today shows the latest; this page shows them all, and
/// both refresh live.
struct DispatchBoardPage {
    let app: Fieldline
    let renderer: WebRenderer

    struct Feed {
        var items: [Item]
        var hasItems: Bool
        var feedURL: String
    }

    struct Item {
        var id: String
        var author: String
        var initials: String
        var body: String
        var time: String
        var hasMedia: Bool
    }

    struct PageModel {
        var shell: Shell
        var feed: Feed
    }

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/dispatch-board", use: showBoard)
        router.get("/dispatch-board/feed", use: showFeed)
    }

    /// The whole board: the latest hundred texts.
    @Sendable func showBoard(_ request: Request, context: AppRequestContext) async throws -> Response {
        let feed = try await self.feed(limit: 100, context: context)
        return try renderer.page(
            "dispatch_board",
            PageModel(shell: try await renderer.shell(context, request: request, active: "today"), feed: feed),
            request: request)
    }

    /// The feed alone (`?limit=`, 1–100), for the live refresh of the page and of Today's card.
    @Sendable func showFeed(_ request: Request, context: AppRequestContext) async throws -> Response {
        let limit = request.query["limit"].flatMap { Int($0) }.map { min(max($0, 1), 100) } ?? 100
        return try renderer.page(
            "dispatch_board_feed", try await feed(limit: limit, context: context), request: request)
    }

    /// The latest `limit` texts, timed in the account's time zone: the page shows 100, Today's card 5.
    func feed(limit: Int, context: AppRequestContext) async throws -> Feed {
        let actor = try context.actor()
        let entries = try await app.inbox.dispatchBoard(paging: try Paging(limit: limit), by: actor)
        let text = try context.timeText()
        return Feed(
            items: entries.map { entry in
                Item(
                    id: entry.message.id.rawValue, author: entry.message.author.name,
                    initials: Technician.initials(of: entry.message.author.name), body: entry.message.body,
                    time: text.short(entry.message.createdAt, now: app.clock.now()), hasMedia: !entry.media.isEmpty)
            }, hasItems: !entries.isEmpty, feedURL: "/dispatch-board/feed?limit=\(limit)")
    }
}
