/// A map from a writer-allocated id to a value, stored by position: id n lives in slot n − 1.
///
/// The single writer allocates user, session and booking ids densely from 1 (`lastID + 1`), so a
/// lookup is an index instead of a SipHash and a probe, and neighbouring ids share cache lines. This is
/// what lets a full rebuild fold a million events a second.
///
/// Ids the writer never allocates (zero, negative, or far beyond the ids seen so far, which only a
/// hand-made log holds) are still kept, in a small dictionary: dropping them would change what such a
/// log means, and growing the slots to reach them would let one huge id allocate gigabytes. An id
/// gets a slot only while the slots stay within `2 × count + gapAllowance` (or within ``reach``), so
/// at worst about half of them are empty.
public struct DenseTable<ID: RawRepresentable, Value> where ID.RawValue == Int64 {
    /// Slot `i` is `pages[i >> pageShift][i & pageMask]`; `nil` where that id has no value.
    ///
    /// Paged so that growing never moves what is stored: one array doubling its way to a million
    /// booking views copied each of them again and touched twice the memory, page faults included,
    /// which was a fifth of a rebuild. Every page but the last is full.
    @usableFromInline var pages: ContiguousArray<ContiguousArray<Value?>> = []
    /// How many slots the pages hold: ids `1...slotCount` live there.
    @usableFromInline var slotCount = 0
    /// Values whose ids fall outside `1...slotCount`. Empty for every log the writer produces, so the
    /// hot paths only test `isEmpty`.
    @usableFromInline var overflow: [Int64: Value] = [:]
    /// How many ids have a value, in either store.
    @usableFromInline var storedCount = 0
    /// How many ids have a value.
    @inlinable public var count: Int { storedCount }
    /// Ids up to this get a slot however few ids have values: for a table keyed by another table's
    /// ids, that table's ``extent``. Facilitators are few among users, so by its own count alone a
    /// facilitator's totals would rarely get a slot; with the users' extent they always do, and memory
    /// still follows the accounts, never an odd id.
    public var reach: Int64 = 0

    /// 4096 slots a page: a few hundred kilobytes of views, so a page is allocated rarely and the page
    /// list stays small enough to stay in cache.
    @inlinable static var pageShift: Int { 12 }
    @inlinable static var pageSize: Int { 1 << pageShift }
    @inlinable static var pageMask: Int { pageSize - 1 }

    /// How many empty slots an id may skip past the end and still get a slot: small gaps (an
    /// out-of-order or hand-numbered log) stay dense without making the slots sparse.
    @inlinable static var gapAllowance: Int64 { 1_024 }

    /// An empty table.
    @inlinable public init() {}

    /// Whether no id has a value.
    @inlinable public var isEmpty: Bool { count == 0 }

    /// Ids `1...extent` have slots, whether or not they have values.
    @inlinable public var extent: Int64 { Int64(slotCount) }

    /// The slot of `raw`, when it has one.
    @inlinable @inline(__always)
    func slotIndex(_ raw: Int64) -> Int? {
        raw > 0 && raw <= Int64(slotCount) ? Int(truncatingIfNeeded: raw) &- 1 : nil
    }

    @inlinable @inline(__always)
    func isOccupied(_ index: Int) -> Bool {
        pages[index &>> Self.pageShift][index & Self.pageMask] != nil
    }

    @inlinable @inline(__always)
    func value(raw: Int64) -> Value? {
        if let index = slotIndex(raw) { return pages[index &>> Self.pageShift][index & Self.pageMask] }
        return overflow.isEmpty ? nil : overflow[raw]
    }

    /// Whether `id` has a value.
    @inlinable public func contains(_ id: ID) -> Bool {
        if let index = slotIndex(id.rawValue) { return isOccupied(index) }
        return !overflow.isEmpty && overflow[id.rawValue] != nil
    }

    /// The value for `id`, `nil` when there is none. Setting `nil` removes it.
    ///
    /// Compound mutations (`table[id]?.list.append(x)`) change the stored value in place, without
    /// copying the arrays inside it; hot paths use ``update(_:_:)``, which also avoids the accessor's
    /// coroutine.
    @inlinable public subscript(id: ID) -> Value? {
        get { value(raw: id.rawValue) }
        set {
            let raw = id.rawValue
            if let index = slotIndex(raw) {
                storedCount += (newValue != nil ? 1 : 0) - (isOccupied(index) ? 1 : 0)
                pages[index &>> Self.pageShift][index & Self.pageMask] = newValue
            } else if let newValue {
                insertOutsideSlots(newValue, raw: raw)
            } else if overflow.removeValue(forKey: raw) != nil {
                storedCount -= 1
            }
        }
        _modify {
            let raw = id.rawValue
            if let index = slotIndex(raw) {
                let wasPresent = isOccupied(index)
                defer { storedCount += (isOccupied(index) ? 1 : 0) - (wasPresent ? 1 : 0) }
                yield &pages[index &>> Self.pageShift][index & Self.pageMask]
            } else {
                // Moved out rather than copied, so the value stays uniquely referenced while mutated.
                var value = overflow.isEmpty ? nil : overflow.removeValue(forKey: raw)
                if value != nil { storedCount -= 1 }
                defer { self[id] = value }
                yield &value
            }
        }
    }

    /// Calls `body` on the value for `id` in place and returns its result; `nil`, without calling
    /// `body`, when `id` has no value.
    ///
    /// What the read model's updates use: a closure is inlined, where the subscript's `_modify` is a
    /// coroutine the optimiser leaves out of line and which then allocates its frame.
    @inlinable @inline(__always)
    public mutating func update<Result>(_ id: ID, _ body: (inout Value) throws -> Result) rethrows -> Result? {
        if let index = slotIndex(id.rawValue) {
            let (page, offset) = (index &>> Self.pageShift, index & Self.pageMask)
            // Checked apart from the mutation: a `switch` or `take()` around `body` keeps a second
            // reference (or a moved copy) alive while it runs, so a list in the value was copied on
            // write; measured 2–3× slower.
            if pages[page][offset] == nil { return nil }
            return try body(&pages[page][offset]!)
        }
        guard !overflow.isEmpty, overflow[id.rawValue] != nil else { return nil }
        return try body(&overflow[id.rawValue]!)
    }

    /// Like ``update(_:_:)``, but stores `defaultValue()` first when `id` has no value, so `body`
    /// always runs.
    @inlinable @inline(__always)
    public mutating func update<Result>(
        _ id: ID, default defaultValue: @autoclosure () -> Value, _ body: (inout Value) throws -> Result
    ) rethrows -> Result {
        if let result = try update(id, body) { return result }
        self[id] = defaultValue()
        // Present now, in whichever store `id` belongs to.
        return try update(id, body)!
    }

    /// Every value, in ascending id order.
    @inlinable public var values: [Value] {
        var result: [Value] = []
        result.reserveCapacity(count)
        forEachInIDOrder { _, value in result.append(value) }
        return result
    }

    /// Calls `body` with each id's raw value and its value, in ascending id order: the overflow's ids
    /// below 1, the slots, then the overflow's ids past them.
    @inlinable public func forEachInIDOrder(_ body: (Int64, Value) throws -> Void) rethrows {
        let outside = overflow.isEmpty ? [] : overflow.sorted { $0.key < $1.key }
        let firstPastSlots = outside.firstIndex { $0.key > 0 } ?? outside.endIndex
        for (raw, value) in outside[..<firstPastSlots] { try body(raw, value) }
        var raw: Int64 = 1
        for page in pages {
            for slot in page {
                if let value = slot { try body(raw, value) }
                raw += 1
            }
        }
        for (raw, value) in outside[firstPastSlots...] { try body(raw, value) }
    }

    /// Stores a value for an id outside `1...slotCount`: in a slot, after adding slots to reach it,
    /// when that keeps the slots dense enough; in the overflow otherwise.
    @inlinable mutating func insertOutsideSlots(_ value: Value, raw: Int64) {
        // Bounded by the count, not by the last slot: an allowance relative to the end would let each
        // new id reach further than the last, and a few thousand ids claim billions of slots. `raw` is
        // past the end here, and the bound can't overflow: `count` is at most the memory's size.
        guard raw > 0, raw <= Swift.max(2 * (Int64(count) + 1) + Self.gapAllowance, reach) else {
            if overflow.updateValue(value, forKey: raw) == nil { storedCount += 1 }
            return
        }
        storedCount += 1
        // Skipping ids: every slot added takes over its id's value from the overflow, if it had one,
        // so no id is ever in both stores. The writer's next id skips nothing and finds the overflow
        // empty.
        var next = Int64(slotCount) + 1
        while next < raw {
            appendSlot(overflow.isEmpty ? nil : overflow.removeValue(forKey: next))
            next += 1
        }
        if !overflow.isEmpty, overflow.removeValue(forKey: raw) != nil { storedCount -= 1 }
        appendSlot(value)
    }

    @inlinable @inline(__always)
    mutating func appendSlot(_ value: Value?) {
        if slotCount & Self.pageMask == 0 {
            var page = ContiguousArray<Value?>()
            // The first page grows as needed, so a small table stays small; later ones are allocated
            // whole, so they are never copied either.
            if !pages.isEmpty { page.reserveCapacity(Self.pageSize) }
            pages.append(page)
        }
        pages[pages.count &- 1].append(value)
        slotCount += 1
    }
}

extension DenseTable: Sendable where Value: Sendable {}

extension DenseTable: Equatable where Value: Equatable {
    /// Equal when the same ids hold equal values, wherever each table happens to store them.
    @inlinable public static func == (lhs: Self, rhs: Self) -> Bool {
        guard lhs.count == rhs.count else { return false }
        // The same slots and no overflow: the common case, compared page by page.
        if lhs.slotCount == rhs.slotCount, lhs.overflow.isEmpty, rhs.overflow.isEmpty {
            return lhs.pages == rhs.pages
        }
        // Equal counts and every entry of one found in the other: the same set of entries.
        var equal = true
        lhs.forEachInIDOrder { raw, value in
            guard equal else { return }
            equal = rhs.value(raw: raw) == value
        }
        return equal
    }
}

extension DenseTable: Sequence {
    /// Entries in ascending id order, like a dictionary's `(key, value)` pairs.
    public typealias Element = (key: ID, value: Value)

    /// Iterates a snapshot of the entries: for audits, checks and tests, not hot paths.
    public func makeIterator() -> IndexingIterator<[Element]> {
        var entries: [Element] = []
        entries.reserveCapacity(count)
        forEachInIDOrder { raw, value in
            if let id = ID(rawValue: raw) { entries.append((id, value)) }
        }
        return entries.makeIterator()
    }

    /// Every id with a value, ascending.
    public var keys: [ID] { map(\.key) }
}

extension DenseTable where ID: Hashable {
    /// The entries as a dictionary.
    public var dictionary: [ID: Value] { Dictionary(uniqueKeysWithValues: map { ($0.key, $0.value) }) }
}
