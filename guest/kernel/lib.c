/* lib.c — the two C library routines a freestanding kernel cannot avoid.
 * Guest ring 0, freestanding. GCC emits calls to memset/memcpy for large
 * struct copies and zeroing even with -ffreestanding, so they must exist.
 * Written with the x86 string instructions rather than C loops, because GCC
 * could "optimize" a byte loop in memset back into a call to memset. */
#include "kernel.h"

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;

	/* rep stosb: store AL at [RDI], RCX times (DF = 0: upwards). */
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	void *d = dst;

	/* rep movsb: copy [RSI] to [RDI], RCX times. */
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}
