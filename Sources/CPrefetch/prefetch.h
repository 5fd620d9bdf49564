#ifndef DOCKER_LIBRATO_CPREFETCH_H
#define DOCKER_LIBRATO_CPREFETCH_H
// A software prefetch hint for Swift, which has no spelling of its own for it (no standard-library or package API
// exposes __builtin_prefetch). Header-only: the call inlines into the Swift caller as one PREFETCHT0 instruction.
// A prefetch never faults, whatever the address: a stale or wrong hint only costs a wasted cache fill.

static inline __attribute__((always_inline)) void dl_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// Prefetches `bytes` bytes from `address`, one hint per 64-byte line.
static inline __attribute__((always_inline)) void dl_prefetch_range(const void *address, long bytes) {
    const char *p = (const char *)address;
    for (long i = 0; i < bytes; i += 64) __builtin_prefetch(p + i, 0, 3);
}

#endif
