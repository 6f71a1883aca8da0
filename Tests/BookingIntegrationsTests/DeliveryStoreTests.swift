import BookingIntegrations
import Foundation
import Testing

@Suite("Delivery store")
struct DeliveryStoreTests {
    @Test("checkpoints and dead letters survive reopening; letters list by subscriber in log order")
    func persists() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        func letter(_ subscriber: String, _ position: Int64, _ key: String = "webhook") -> DeadLetter {
            DeadLetter(
                subscriber: subscriber, position: position, eventID: UUID(), deliveryKey: key, attempts: 8, lastError: "HTTP 503",
                firstAttemptAt: 1, lastAttemptAt: 2)
        }
        do {
            let store = try DeliveryStore(dataDirectory: directory.path)
            #expect(try store.checkpoint(of: "crm") == 0)
            try store.setCheckpoint(300, of: "crm")
            try store.setCheckpoint(7, of: "mail")
            // 256 sorts before 3 as text but after it big-endian: the key keeps log order.
            for item in [letter("crm", 256), letter("crm", 3), letter("mail", 5, "user"), letter("mail", 5, "facilitator"), letter("crmx", 1)] {
                try store.park(item)
            }
        }
        let store = try DeliveryStore(dataDirectory: directory.path)
        #expect(try store.checkpoint(of: "crm") == 300)
        #expect(try store.checkpoint(of: "mail") == 7)
        #expect(try store.deadLetters(subscriber: "crm").map(\.position) == [3, 256], "crmx is another subscriber")
        #expect(try store.deadLetterCount(subscriber: "mail") == 2)
        #expect(try store.deadLetters().count == 5)
        #expect(try store.removeDeadLetter(subscriber: "crm", position: 3, deliveryKey: "webhook"))
        #expect(try !store.removeDeadLetter(subscriber: "crm", position: 3, deliveryKey: "webhook"))
        #expect(try store.deadLetter(subscriber: "crm", position: 256, deliveryKey: "webhook")?.attempts == 8)
        #expect(try store.deadLetterCount(subscriber: "crm") == 1)
    }
}
