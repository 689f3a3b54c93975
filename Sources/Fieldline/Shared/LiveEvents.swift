import FieldlineCore
import Foundation
import Synchronization

/// Something a screen showing the account should react to at once (CH3, CH4): the browser's live
/// socket forwards these, and tests listen to them.
public enum LiveEvent: Sendable, Equatable {
    /// A text arrived or was queued; `conversationID` is nil for texts outside the inbox.
    case messageCreated(conversationID: ConversationID?, messageID: MessageID)
    /// A text's delivery status moved.
    case messageStatusChanged(conversationID: ConversationID?, messageID: MessageID, status: DeliveryStatus)
    /// A picture or video a customer sent has been downloaded and can be shown.
    case mediaReady(conversationID: ConversationID?, messageID: MessageID)
    /// A thread was read, marked unread, closed, reopened, blocked or re-tied.
    case conversationChanged(ConversationID)
    /// Something that changes the unread counter happened.
    case unreadChanged
    /// A text from an employee or technician number reached the dispatch board (FS7).
    case dispatchBoardMessage(MessageID)
}

/// Account-scoped publish/subscribe for live events, in process. Publishing never blocks: a
/// subscriber that falls behind loses the oldest events, and screens re-read state on reconnect.
public final class LiveEvents: Sendable {
    private struct Subscriber {
        var accountID: AccountID
        var continuation: AsyncStream<LiveEvent>.Continuation
    }

    private let subscribers = Mutex<[UUID: Subscriber]>([:])

    public init() {}

    public func publish(_ event: LiveEvent, to accountID: AccountID) {
        let targets = subscribers.withLock { all in all.values.filter { $0.accountID == accountID } }
        for target in targets { target.continuation.yield(event) }
    }

    /// The events of one account from now on. The stream ends when the subscription is dropped.
    public func subscribe(to accountID: AccountID, buffer: Int = 256) -> AsyncStream<LiveEvent> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<LiveEvent>.makeStream(bufferingPolicy: .bufferingNewest(buffer))
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = Subscriber(accountID: accountID, continuation: continuation) }
        return stream
    }

    public var subscriberCount: Int { subscribers.withLock { $0.count } }
}
