/// Ids kept in ascending order, the backbone of every index and of keyset pagination.
///
/// The writer allocates ids in increasing order, so an insert is almost always an append (O(1)
/// amortised); an out-of-order id (a hand-built or merged log) still lands in its place by binary search.
struct SortedIDs<ID: Comparable & Sendable>: Sendable, Equatable {
    private(set) var ids: [ID] = []

    var count: Int { ids.count }

    /// Adds `id` once, keeping the order.
    mutating func insert(_ id: ID) {
        guard let last = ids.last, id <= last else {
            ids.append(id)
            return
        }
        let index = lowerBound(of: id)
        if index < ids.count, ids[index] == id { return }
        ids.insert(id, at: index)
    }

    /// The index of the first id strictly greater than `after` (0 when `after` is `nil`).
    func startIndex(after: ID?) -> Int {
        guard let after else { return 0 }
        var low = 0
        var high = ids.count
        while low < high {
            let middle = (low + high) / 2
            if ids[middle] <= after { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The index of the first id not less than `id` (lower bound).
    private func lowerBound(of id: ID) -> Int {
        var low = 0
        var high = ids.count
        while low < high {
            let middle = (low + high) / 2
            if ids[middle] < id { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// A page of the ids after `after`, mapped through `item`; ids that map to `nil` are skipped, which
    /// is how filtered lists (active sessions, confirmed bookings) share one paginator.
    ///
    /// Filtering at query time costs the skipped ids, not the whole list, and keeps `apply` free of
    /// per-filter indexes.
    func page<Item>(after: ID?, limit: Int, _ item: (ID) -> Item?) -> Page<Item> {
        let limit = max(0, limit)
        var items: [Item] = []
        items.reserveCapacity(min(limit, ids.count))
        var index = startIndex(after: after)
        while index < ids.count {
            if let found = item(ids[index]) {
                if items.count == limit { return Page(items: items, hasMore: true) }
                items.append(found)
            }
            index += 1
        }
        return Page(items: items, hasMore: false)
    }
}
