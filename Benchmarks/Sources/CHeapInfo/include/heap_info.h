#pragma once
#include <malloc.h>
#include <stddef.h>

/// Bytes of heap in use (glibc's allocator: small chunks plus mmapped large ones).
static inline size_t heap_in_use(void) {
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}
