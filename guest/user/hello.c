/* hello.c — the well-behaved ring 3 program: says hello with SYSCALL, runs
 * an integer compute loop (the speed benchmark's workload), prints the
 * result and exits.
 * Guest ring 3, freestanding; lives in the user region (ulib.h markers). */
#include "ulib.h"

/* FNV-1a 64-bit parameters, and a non-zero xorshift64 seed. */
#define FNV64_OFFSET_BASIS 0xCBF29CE484222325ull
#define FNV64_PRIME        0x00000100000001B3ull
#define XORSHIFT_SEED      0x9E3779B97F4A7C15ull

/* The compute kernel: a xorshift64 generator feeding an FNV-1a hash two
 * bytes per step, plus a running sum. Registers only, no memory access, no
 * system call, one basic block per iteration (about 20 instructions): in
 * the emulator it runs as translated host code with no VM exit at all,
 * which is the point of hardware-assisted virtualization too: ring 3
 * arithmetic runs at native speed, only privileged events cost an exit.
 * Kept out of line (noinline) under a plain C signature, because the
 * simulator's benchmark also calls it directly. */
UTEXT __attribute__((noinline)) uint64_t user_compute(uint64_t iterations)
{
	uint64_t x = XORSHIFT_SEED;
	uint64_t h = FNV64_OFFSET_BASIS;
	uint64_t sum = 0;

	for (uint64_t i = 0; i < iterations; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* FNV-1a over all eight bytes of the word: one basic block of
		 * about 45 instructions per iteration. (The emulator's clock
		 * costs a few ns per translated block, so block length sets how
		 * visible that cost is; the benchmark reports it for this loop.) */
#pragma GCC unroll 8
		for (unsigned b = 0; b < 8; b++)
			h = (h ^ ((x >> (8 * b)) & 0xFF)) * FNV64_PRIME;
		sum += h ^ (h >> 29);
	}
	return h ^ sum;
}

UTEXT noreturn void hello_main(uint64_t iterations)
{
	struct uline line; /* no "= { 0 }": zeroing 128 bytes may become a call to
			    * the kernel's memset, which ring 3 cannot reach */
	uint64_t result;

	line.len = 0;

	uputs(USTR("hello from ring 3\n"));

	result = user_compute(iterations);

	uline_str(&line, USTR("hello: "));
	uline_dec(&line, iterations);
	uline_str(&line, USTR(" iterations, checksum "));
	uline_hex(&line, result);
	uline_char(&line, '\n');
	uwrite(line.buf, line.len);

	uexit(0);
}
