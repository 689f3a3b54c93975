import Fieldline
import FieldlineCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// `POST /webhooks/servicechannel/{account}`: ServiceChannel's notice that a work order changed,
/// signed with the connection's key. It answers at once (ServiceChannel waits 5 s at most) and the
/// poller reads the change.
struct ServiceChannelWebhooks {
    let app: Fieldline

    func register(on router: Router<AppRequestContext>) {
        let hooks = router.group().add(middleware: APIErrorMiddleware())
        hooks.post("/webhooks/servicechannel/:account") { request, context in
            let body = Data(try await request.body.collect(upTo: 1 << 20).readableBytesView)
            let event = try await app.serviceChannel.receiveWebhook(
                account: context.parameters.get("account") ?? "", body: body,
                signType: request.headers[HTTPField.Name("Sign-Type")!],
                signData: request.headers[HTTPField.Name("Sign-Data")!])
            context.logger.info("ServiceChannel webhook \(event ?? "without EventType") received.")
            return try APIResponse.json(["received": true])
        }
    }
}
