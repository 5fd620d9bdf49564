import CPrefetch
import ContainerMetrics

/// Software prefetch for ``HubCore``'s `apply`. A hub following thousands of containers holds far more state than the
/// core's L2 cache, and each sample reads a container's state, its open period, the period starts and the previous
/// sample's interfaces from places nothing else touched since that container's previous sample: cache misses one
/// after the other, each waited for (BENCHMARKS.md, "Hub ingest": ingest ran ~1.6× as fast with a tenth of the
/// containers). Which states come next is known early — the collector's previous frame names the slots of this
/// one's containers, and a frame's containers are resolved to slots before its records are applied — so the loops
/// ask for them ahead: each state a few containers ahead while resolving, its buffers a few records ahead while
/// applying. The misses then overlap with the work on the records before.
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
        guard configuration.prefetchHints else { return }
        states.withUnsafeBufferPointer { b in
            guard Int(slot) < b.count, let base = b.baseAddress else { return }
            dl_prefetch_range(UnsafeRawPointer(base + Int(slot)), ContainerState.hotBytes)
        }
    }

    /// Second stage, while records are applied (the state itself is in cache by then, from the first stage): the heap
    /// buffers it refers to — its open periods (the hot part of the first one), their starts, and the live sample's
    /// interfaces. Their addresses are read from the state as plain words: reading the arrays as arrays would retain
    /// them, and the retain itself would wait for the miss this is meant to hide.
    @inline(__always)
    func prefetchBuffers(_ slot: Int32) {
        guard configuration.prefetchHints else { return }
        states.withUnsafeBufferPointer { b in
            guard Int(slot) < b.count, let base = b.baseAddress else { return }
            let state = UnsafeRawPointer(base + Int(slot))
            // A Swift array is one reference to a heap object: a 16-byte object header, the count and the capacity,
            // then the elements.
            let elements = 32
            let data = state.load(fromByteOffset: ContainerState.openDataOffset, as: UInt.self)
            if let period = UnsafeRawPointer(bitPattern: data) {
                dl_prefetch_range(period + elements + ContainerPeriod.hotStart, ContainerPeriod.hotBytes)
            }
            if let starts = UnsafeRawPointer(bitPattern: state.load(fromByteOffset: ContainerState.openStartsOffset, as: UInt.self)) {
                dl_prefetch(starts + elements)
            }
            if let networks = UnsafeRawPointer(bitPattern: state.load(fromByteOffset: ContainerState.liveNetworksOffset, as: UInt.self)) {
                dl_prefetch_range(networks + elements, MemoryLayout<StatsSample.NetworkCounters>.stride)
            }
        }
    }
}
