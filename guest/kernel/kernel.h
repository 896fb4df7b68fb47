/* kernel.h — what the parts of the mini kernel offer each other: console,
 * CPU tables, paging, traps, system calls, processes, power.
 * Guest ring 0, freestanding (no libc; only the compiler's own headers). */
#ifndef GUEST_KERNEL_KERNEL_H
#define GUEST_KERNEL_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include "hvsim-platform.h"
#include "x86.h"

#define KERNEL_PRINTF(fmt_index) __attribute__((format(printf, fmt_index, fmt_index + 1)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KIB(n) ((uint64_t)(n) << 10)
#define MIB(n) ((uint64_t)(n) << 20)

/* ---- Linker-script symbols (kernel.ld) --------------------------------------
 * The addresses of these are the layout; their contents mean nothing. The
 * kernel runs identity-mapped (virtual address == guest-physical address), so
 * each is also a GPA. */
extern char __kernel_start[], __kernel_ro_end[], __kernel_end[];
extern char __user_start[], __user_text_end[], __user_rw_start[], __user_end[];
extern char __user_stack_bottom[], __user_stack_top[];

/* ---- Boot (main.c) ----------------------------------------------------------- */
/* A copy of the loader's boot info, validated; the loader's page may be reused. */
extern struct hvsim_boot_info kernel_boot;
/* HVSIM_BOOT_FLAG_QUIET: benchmarks want only a few lines of output. */
extern bool kernel_quiet;

/* ---- Console (console.c): 16550 UART at HVSIM_PORT_COM1 ---------------------- */
void console_init(void);
void console_write(const char *s, size_t len);
void kvprintf(const char *fmt, va_list ap);
/* printf subset: %s %c %d %i %u %x %X %p %%, the l/ll/z length modifiers,
 * a width and the '0' and '-' flags. */
void kprintf(const char *fmt, ...) KERNEL_PRINTF(1);
/* One kernel line, prefixed "[kernel] " (the caller supplies the newline). */
void klog(const char *fmt, ...) KERNEL_PRINTF(1);
/* Same, but suppressed when the boot flags ask for quiet output. */
void kdetail(const char *fmt, ...) KERNEL_PRINTF(1);
noreturn void panic(const char *fmt, ...) KERNEL_PRINTF(1);

/* ---- Power (main.c) ----------------------------------------------------------- */
noreturn void power_off(void);
/* hvboot.c: start the hypervisor under the running kernel (late launch). */
void hvboot(void);

/* ---- CPU tables (cpu.c, idt.c) -------------------------------------------------- */
void cpu_init(void);  /* GDT, segment registers, TSS */
void idt_init(void);  /* 256 gates, LIDT */

/* The frame every interrupt and exception handler sees (built by isr.S): the
 * general registers pushed by the stub, the vector and error code (0 when the
 * CPU pushes none), then what the CPU itself pushed. */
struct trap_frame {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t vector;
	uint64_t error_code;
	/* pushed by the CPU */
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "isr.S pushes 22 quadwords");

void trap_dispatch(struct trap_frame *frame);
const char *exception_mnemonic(unsigned vector);

/* ---- Paging (paging.c) ---------------------------------------------------------- */
/* Builds the kernel's own 4-level tables over min(memory_size, 64 MiB) and
 * loads CR3. Returns the number of bytes identity-mapped. */
uint64_t paging_init(uint64_t memory_size);
/* Maps the 4 KiB page holding `gpa`, which lies past our RAM (and below
 * 64 MiB), read-only and supervisor: so that a read there reaches the
 * hypervisor's SLAT instead of faulting in our own page tables. False if
 * `gpa` is in RAM or too far. (HVSIM_BOOT_FLAG_TOUCH_UNMAPPED only.) */
bool paging_map_past_ram(uint64_t gpa);
/* True if ring 3 may read [addr, addr + len): the ring 3 region (user
 * pages) or memory lent to it. */
bool user_range_ok(uint64_t addr, uint64_t len);
/* True if the kernel may store to [addr, addr + len) on ring 3's behalf:
 * the writable part of the ring 3 region or memory lent writable. */
bool user_range_writable(uint64_t addr, uint64_t len);
/* Makes the page-aligned range [addr, addr + len), free RAM above the
 * kernel, reachable from ring 3 (U=1, writable or read-only) and accepted
 * by user_range_ok/user_range_writable. False if the range is not such RAM
 * or too many ranges are lent already. */
bool paging_lend_to_user(uint64_t addr, uint64_t len, bool writable);

/* ---- System calls (syscall.c, syscall.S) ------------------------------------------ */
void syscall_init(void);
uint64_t syscall_dispatch(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2);
#define SYSCALL_ERROR ((uint64_t)-1) /* returned for a bad number or argument */

/* ---- Processes (process.c, context.S) -------------------------------------------- */
typedef void (*user_entry_fn)(uint64_t arg);

struct process {
	const char *name;
	user_entry_fn entry; /* in the user region; gets `arg` in RDI */
	uint64_t arg;
	/* Filled in when it ends. */
	bool killed;
	unsigned kill_vector;
	int64_t exit_status;
};

/* Runs `p` in ring 3 until it exits or is killed; returns to the caller then. */
void process_run(struct process *p);
/* From a system call or fault handler (ring 0, on the trap stack): end the
 * current process and resume the kernel inside process_run(). */
noreturn void process_exit(int64_t status);
noreturn void process_kill(unsigned vector);
const char *process_current_name(void);

/* ---- The VID driver's SynIC interrupt (vid.c) -------------------------------- */
void vid_interrupt(void);

/* ---- Timer (timer.c) ------------------------------------------------------------- */
void timer_interrupt(void);

/* ---- Stacks (entry.S) -------------------------------------------------------------- */
extern char boot_stack_guard[], trap_stack_guard[], df_stack_guard[];
extern char boot_stack_top[], trap_stack_top[], df_stack_top[];

/* ---- Freestanding helpers (lib.c) ---------------------------------------------------
 * GCC may emit calls to memcpy/memset even in freestanding code (struct
 * copies, zeroing), so the kernel must define them. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);

#endif /* GUEST_KERNEL_KERNEL_H */
