/* ulib.h — a tiny "libc" for ring 3 programs: system call wrappers (SYSCALL
 * and INT 0x80), string output, and the markers that place code and data in
 * the user region.
 * Guest ring 3, freestanding. Nothing here may touch kernel memory. */
#ifndef GUEST_USER_ULIB_H
#define GUEST_USER_ULIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include "hvsim-platform.h"
#include "programs.h"

/* ---- Where ring 3 code lives ------------------------------------------------
 * Kernel and programs are compiled in one compiler command into one ELF, so
 * the linker cannot tell them apart by file. It can by section name:
 * kernel.ld puts .user.* in the user region, the only pages mapped with the
 * U bit. Everything a program executes or reads must carry one of these
 * markers; an unmarked function or string lands in kernel memory, and
 * touching it from ring 3 raises #PF (the kernel then kills the program).
 * That includes string literals, which the compiler would otherwise put in
 * the kernel's .rodata: wrap them in USTR(). */
#define UTEXT   __attribute__((section(".user.text")))
#define URODATA __attribute__((section(".user.rodata")))
#define UDATA   __attribute__((section(".user.data")))
#define USTR(literal) \
	({ static const char ustr_[] URODATA = literal; &ustr_[0]; })
/* Small helpers are inlined into their caller, so they end up wherever the
 * caller is; the UTEXT covers an out-of-line copy. */
#define UINLINE static inline __attribute__((always_inline)) UTEXT

#define UFD_STDOUT 1

/* ---- System calls -----------------------------------------------------------
 * SYSCALL: the fast path. RAX = number, RDI/RSI/RDX = arguments; the CPU
 * itself overwrites RCX (return RIP) and R11 (RFLAGS), so they are
 * clobbered. The kernel preserves everything else and returns in RAX. */
UINLINE uint64_t usyscall3(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	uint64_t ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2)
			 : "rcx", "r11", "memory");
	return ret;
}

/* INT 0x80: the classic path through the IDT (a DPL 3 interrupt gate).
 * Slower: the CPU reads the gate and the TSS, switches stacks and pushes a
 * full frame; IRETQ undoes it. Same registers; nothing else is clobbered. */
UINLINE uint64_t uint80_3(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	uint64_t ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2)
			 : "memory");
	return ret;
}

UINLINE size_t ustrlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

UINLINE uint64_t uwrite(const char *buf, size_t len)
{
	return usyscall3(HVSIM_SYS_WRITE, UFD_STDOUT, (uint64_t)(uintptr_t)buf, len);
}

UINLINE uint64_t uputs(const char *s)
{
	return uwrite(s, ustrlen(s));
}

UINLINE uint64_t uputs_int80(const char *s)
{
	return uint80_3(HVSIM_SYS_WRITE, UFD_STDOUT, (uint64_t)(uintptr_t)s, ustrlen(s));
}

UINLINE noreturn void uexit(int64_t status)
{
	usyscall3(HVSIM_SYS_EXIT, (uint64_t)status, 0, 0);
	__builtin_unreachable(); /* exit does not return */
}

UINLINE noreturn void uexit_int80(int64_t status)
{
	uint80_3(HVSIM_SYS_EXIT, (uint64_t)status, 0, 0);
	__builtin_unreachable();
}

/* HVSIM_SYS_DISK: `sectors` whole sectors at `lba` to (READ) or from
 * (WRITE) `buf`; returns the sectors moved or an HVSIM_DISK_ERROR_*. The
 * request lives on the caller's (user) stack, as the kernel requires. */
UINLINE uint64_t udisk(uint32_t op, uint64_t lba, void *buf, uint32_t sectors)
{
	struct hvsim_disk_request req;

	req.lba = lba;
	req.buffer = (uint64_t)(uintptr_t)buf;
	req.sectors = sectors;
	req.reserved = 0;
	return usyscall3(HVSIM_SYS_DISK, op, (uint64_t)(uintptr_t)&req, 0);
}

UINLINE uint64_t udisk_sectors(void)
{
	return usyscall3(HVSIM_SYS_DISK, HVSIM_DISK_INFO, 0, 0);
}

/* ---- Memory --------------------------------------------------------------------
 * Never rely on the compiler's memcpy/memset here: GCC may turn a copy
 * loop or a large struct assignment into a call to the kernel's memcpy,
 * which ring 3 cannot execute (#PF). The x86 string instructions do the
 * job and work in any ring. Quadwords first, then the bytes left: every
 * store costs the emulator a slow path (docs/architecture.md), so the
 * worker's megabytes of copying take an eighth of the stores. */
UINLINE void ucopy(void *dst, const void *src, size_t n)
{
	size_t q = n / 8, b = n % 8;
	__asm__ volatile("rep movsq\n\tmov %3, %%rcx\n\trep movsb"
			 : "+D"(dst), "+S"(src), "+c"(q) : "r"(b) : "memory");
}

UINLINE void uzero(void *dst, size_t n)
{
	size_t q = n / 8, b = n % 8;
	__asm__ volatile("rep stosq\n\tmov %2, %%rcx\n\trep stosb"
			 : "+D"(dst), "+c"(q) : "r"(b), "a"(0) : "memory");
}

/* ---- Building a line of output on the (user) stack ------------------------ */
struct uline {
	char buf[120];
	size_t len;
};

UINLINE void uline_char(struct uline *l, char c)
{
	if (l->len < sizeof(l->buf))
		l->buf[l->len++] = c;
}

UINLINE void uline_str(struct uline *l, const char *s)
{
	while (*s)
		uline_char(l, *s++);
}

/* Digits are computed, not looked up in a "0123..." table: such a table
 * would be a string literal in the kernel's .rodata. For the same reason
 * the value is hidden from the optimizer (the empty asm): given a
 * constant, GCC would fold the digits into a constant of its own in the
 * kernel's .rodata, which ring 3 cannot read. */
UINLINE void uline_hex(struct uline *l, uint64_t v)
{
	__asm__("" : "+r"(v));
	uline_str(l, USTR("0x"));
	for (int shift = 60; shift >= 0; shift -= 4) {
		unsigned d = (v >> shift) & 0xF;
		uline_char(l, (char)(d < 10 ? '0' + d : 'a' + d - 10));
	}
}

UINLINE void uline_dec(struct uline *l, uint64_t v)
{
	char tmp[20];
	int n = 0;

	__asm__("" : "+r"(v)); /* see uline_hex */
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		uline_char(l, tmp[--n]);
}

#endif /* GUEST_USER_ULIB_H */
