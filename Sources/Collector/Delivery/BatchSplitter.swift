import WireFormat

/// Splits a batch whose frame would exceed the hub's receive limit. The data side already caps batches at
/// `frameMaxBytes`, so this is a defence: a frame over the hub's `NN_RCVMAXSIZE` would vanish on the wire together
/// with its connection, and be retransmitted into the same fate forever.
enum BatchSplitter {
    private enum Item {
        case stats(Int), log(Int), event(Int), status(Int), hostStates(Int), heartbeat(Int), abandoned(Int), ack(Int)
    }

    /// Two batches with about half of `batch`'s records each (container tables rebuilt for each half); nil when it
    /// holds fewer than two records besides its container table.
    static func halves(_ batch: Batch) -> (Batch, Batch)? {
        var items: [Item] = []
        items += batch.stats.indices.map(Item.stats)
        items += batch.logs.indices.map(Item.log)
        items += batch.events.indices.map(Item.event)
        items += batch.statuses.indices.map(Item.status)
        items += batch.hostStates.indices.map(Item.hostStates)
        items += batch.heartbeats.indices.map(Item.heartbeat)
        items += batch.abandoned.indices.map(Item.abandoned)
        items += batch.acks.indices.map(Item.ack)
        guard items.count >= 2 else { return nil }
        let middle = items.count / 2
        var first = build(batch, items[..<middle])
        let second = build(batch, items[middle...])
        // Containers no record refers to stay with the first half.
        for container in batch.containers where !first.containers.contains(container) && !second.containers.contains(container) {
            first.containers.append(container)
        }
        return (first, second)
    }

    private static func build(_ source: Batch, _ items: ArraySlice<Item>) -> Batch {
        var out = Batch()
        for item in items {
            switch item {
            case .stats(let i):
                let r = source.stats[i]
                guard source.containers.indices.contains(r.container) else { continue }
                out.stats.append(ContainerRecord(container: out.index(of: source.containers[r.container]), r.value))
            case .log(let i):
                let r = source.logs[i]
                guard source.containers.indices.contains(r.container) else { continue }
                out.logs.append(ContainerRecord(container: out.index(of: source.containers[r.container]), r.value))
            case .event(let i):
                let r = source.events[i]
                guard source.containers.indices.contains(r.container) else { continue }
                out.events.append(ContainerRecord(container: out.index(of: source.containers[r.container]), r.value))
            case .status(let i):
                let r = source.statuses[i]
                guard source.containers.indices.contains(r.container) else { continue }
                out.statuses.append(ContainerRecord(container: out.index(of: source.containers[r.container]), r.value))
            case .hostStates(let i): out.hostStates.append(source.hostStates[i])
            case .heartbeat(let i): out.heartbeats.append(source.heartbeats[i])
            case .abandoned(let i): out.abandoned.append(source.abandoned[i])
            case .ack(let i): out.acks.append(source.acks[i])
            }
        }
        return out
    }
}
