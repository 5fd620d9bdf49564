import CPrefetch
import ContainerMetrics

/// Software prefetch for ``HubCore``'s `apply`. A hub following thousands of containers holds far more state than the
/// core's L2 cache, and each sample reads a container's state, its open period, the period starts and the previous
/// sample's interfaces from places nothing else touched since that container's previous sample: cache misses one
/// after the other, each waited for (BENCHMARKS.md, "Hub ingest": ingest ran ~1.6× as fast with a tenth of the
/// containers). Which states come next is known early — the collector's previous frame names the slots of this
/// one's containers, and a frame's containers are resolved to slots before its records are applied — so the loops
/// ask for them ahead: each state a few containers ahead while resolving, its buffers a few records ahead while
/// applying, its open period's interfaces one record ahead. The misses then overlap with the work on the records before.
///
/// Hints only: a prefetch never faults and never changes a value, so a hint computed from a stale slot or a buffer
/// about to move costs a wasted cache fill and nothing else.
extension HubCore {
    /// How many containers (resolving) and records (applying) ahead each stage looks. Measured with
    /// `HubBench --ab-prefetch` (BENCHMARKS.md): 3/1, 4/2, 6/2, 8/2 and 8/4 all bought 7–13 %, so the choice is not
    /// critical; nearer, a miss is not over in time, farther, the lines may be gone again.
    static let stateDistance = 4
    static let bufferDistance = 2
    /// First stage, while the frame's containers are resolved: the bytes of the state each sample reads.
    @inline(__always)
    func prefetchState(_ slot: Int32) {
        withState(slot) { dl_prefetch_range($0, ContainerState.hotBytes) }
    }

    /// Second stage, while records are applied (the state itself is in cache by then, from the first stage): the heap
    /// buffers it refers to — its open periods (the hot part of the first one), their starts, and the live sample's
    /// interfaces. Their addresses are read from the state as plain words: reading the arrays as arrays would retain
    /// them, and the retain itself would wait for the miss this is meant to hide. Each from the buffer's first byte:
    /// writing an element checks the buffer's reference count first (`isUniquelyReferenced`, the object header),
    /// and with the header left out that check waited for a miss on every sample (7 % of the ingest profile).
    @inline(__always)
    func prefetchBuffers(_ slot: Int32) {
        withState(slot) { state in
            let data = state.load(fromByteOffset: ContainerState.openDataOffset, as: UInt.self)
            if let period = UnsafeRawPointer(bitPattern: data) {
                dl_prefetch_range(period, Self.arrayElements + ContainerPeriod.hotStart + ContainerPeriod.hotBytes)
            }
            if let starts = UnsafeRawPointer(bitPattern: state.load(fromByteOffset: ContainerState.openStartsOffset, as: UInt.self)) {
                dl_prefetch_range(starts, Self.arrayElements + MemoryLayout<Int64>.stride)
            }
            if let networks = UnsafeRawPointer(bitPattern: state.load(fromByteOffset: ContainerState.liveNetworksOffset, as: UInt.self)) {
                dl_prefetch_range(networks, Self.arrayElements + MemoryLayout<StatsSample.NetworkCounters>.stride)
            }
        }
    }

    /// Third stage, one record ahead (the period's hot part is in cache by then, from the second stage): the buffer
    /// of its first open period's per-interface deltas, which each sample updates in place (the reference count, then
    /// the first interface). Unlike the other stages this one reads memory, two words of the period buffer (its count
    /// and the interfaces reference): a buffer the state's array owns, valid while the core is not being mutated.
    @inline(__always)
    func prefetchPeriodInterfaces(_ slot: Int32) {
        withState(slot) { state in
            guard let period = UnsafeRawPointer(bitPattern: state.load(fromByteOffset: ContainerState.openDataOffset, as: UInt.self)),
                period.load(fromByteOffset: Self.arrayCount, as: Int.self) > 0
            else { return }
            let interfaces = period.load(fromByteOffset: Self.arrayElements + ContainerPeriod.interfacesOffset, as: UInt.self)
            if let buffer = UnsafeRawPointer(bitPattern: interfaces) {
                dl_prefetch_range(buffer, Self.arrayElements + MemoryLayout<StatsSample.NetworkCounters>.stride)
            }
        }
    }

    /// The address of the state in `slot`, for a hint (nothing when the hints are off or the slot is out of range).
    @inline(__always)
    func withState(_ slot: Int32, _ body: (UnsafeRawPointer) -> Void) {
        guard configuration.prefetchHints else { return }
        states.withUnsafeBufferPointer { b in
            guard Int(slot) < b.count, let base = b.baseAddress else { return }
            body(UnsafeRawPointer(base + Int(slot)))
        }
    }

    /// A Swift array is one reference to a heap object: a 16-byte object header, the count, the capacity, then the
    /// elements. (An empty array refers to a shared empty object: its count is 0.)
    static let arrayCount = 16
    static let arrayElements = 32
}
