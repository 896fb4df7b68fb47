/* lib.c — the two C library routines a freestanding kernel cannot avoid.
 * Guest ring 0, freestanding. GCC emits calls to memset/memcpy for large
 * struct copies and zeroing even with -ffreestanding, so they must exist.
 * Written with the x86 string instructions rather than C loops, because GCC
 * could "optimize" a byte loop in memset back into a call to memset. */
#include "kernel.h"

/* Quadwords first, then the bytes left: the emulator pays per store, so
 * zeroing a child's megabytes takes an eighth of the stores. */
void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	size_t q = n / 8, b = n % 8;
	uint64_t pattern = (uint8_t)c * 0x0101010101010101ull;

	/* rep stosq: store RAX at [RDI], RCX times (DF = 0: upwards); then
	 * rep stosb for the tail (AL is the low byte of the pattern). */
	__asm__ volatile("rep stosq\n\tmov %2, %%rcx\n\trep stosb"
			 : "+D"(d), "+c"(q) : "r"(b), "a"(pattern) : "memory");
	return dst;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	void *d = dst;
	size_t q = n / 8, b = n % 8;

	/* rep movsq: copy [RSI] to [RDI], RCX quadwords; then the tail bytes. */
	__asm__ volatile("rep movsq\n\tmov %3, %%rcx\n\trep movsb"
			 : "+D"(d), "+S"(src), "+c"(q) : "r"(b) : "memory");
	return dst;
}
