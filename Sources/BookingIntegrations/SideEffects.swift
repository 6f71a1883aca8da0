import ServiceLifecycle

/// The side-effect subscribers of one server: the services to run beside the HTTP server and what
/// `/health` reports about each.
public struct SideEffects: Sendable {
    /// The workers to run (as services, so they start and stop with the application).
    public private(set) var services: [any Service] = []
    private var reporters: [@Sendable () -> SubscriberStatus] = []

    /// No subscribers.
    public init() {}

    /// Adds a running subscriber; its dead letters are counted in `store`.
    public mutating func add<Channel: DeliveryChannel>(_ worker: DeliveryWorker<Channel>, store: DeliveryStore) {
        services.append(worker)
        reporters.append {
            let checkpoint = worker.checkpoint ?? (try? store.checkpoint(of: worker.name)) ?? 0
            return SubscriberStatus(
                name: worker.name, isOn: true, reason: nil, checkpoint: checkpoint,
                deadLetters: (try? store.deadLetterCount(subscriber: worker.name)) ?? 0)
        }
    }

    /// Records a subscriber that is off (not configured), with why, for `/health`. Its dead letters
    /// from an earlier configuration, if any, are still counted.
    public mutating func addDisabled(name: String, reason: String, store: DeliveryStore?) {
        reporters.append {
            SubscriberStatus(
                name: name, isOn: false, reason: reason, checkpoint: (try? store?.checkpoint(of: name)) ?? 0,
                deadLetters: (try? store?.deadLetterCount(subscriber: name)) ?? 0)
        }
    }

    /// Each subscriber's state, in the order they were added.
    public func statuses() -> [SubscriberStatus] { reporters.map { $0() } }
}

/// What `/health` says about one subscriber.
public struct SubscriberStatus: Sendable, Equatable {
    /// The subscriber's stable name (`crm`).
    public var name: String
    /// Whether it runs in this process.
    public var isOn: Bool
    /// Why it is off.
    public var reason: String?
    /// The last log position it fully handled.
    public var checkpoint: Int64
    /// Deliveries parked for an operator.
    public var deadLetters: Int
}
