// mallinfo2() is declared in <malloc.h>, which Swift's Glibc module does not import; the header wraps it.
#include "heap_info.h"
