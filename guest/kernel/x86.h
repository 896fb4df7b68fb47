/* x86.h — x86-64 architectural constants (Intel SDM / AMD APM) that only the
 * mini kernel needs (the ones shared with the host model live in
 * sim/abi/x86-arch.h), and thin wrappers around privileged instructions.
 * Guest ring 0, freestanding. Included by C and by the .S files: the part
 * outside `#ifndef __ASSEMBLER__` must stay plain preprocessor numbers. */
#ifndef GUEST_KERNEL_X86_H
#define GUEST_KERNEL_X86_H

/* ---- Segment selectors of the kernel's own GDT (cpu.c) ----------------------
 * A selector is (descriptor index << 3) | table indicator (0 = GDT) | RPL.
 * The order is not free: SYSCALL and SYSRET compute selectors from the STAR
 * MSR instead of reading them from memory (see syscall.c):
 *   SYSCALL: CS = STAR[47:32],       SS = STAR[47:32] + 8
 *   SYSRETQ: CS = STAR[63:48] + 16,  SS = STAR[63:48] + 8   (both | RPL 3)
 * so kernel data must follow kernel code, and user data must sit between a
 * (legacy, unused) 32-bit user code slot and the 64-bit user code slot. */
#define SEL_NULL        0x00
#define SEL_KERNEL_CODE 0x08 /* 64-bit code, DPL 0 */
#define SEL_KERNEL_DATA 0x10 /* data, DPL 0 */
#define SEL_USER_CODE32 0x18 /* 32-bit code, DPL 3: placeholder, the STAR base */
#define SEL_USER_DATA   0x20 /* data, DPL 3 */
#define SEL_USER_CODE   0x28 /* 64-bit code, DPL 3 */
#define SEL_TSS         0x30 /* 64-bit TSS: 16 bytes, two GDT slots */
#define GDT_SLOTS       8    /* null, 5 segments, TSS (2 slots) */
#define SEL_RPL_USER    3
#define SEL_USER_DATA_RPL3 (SEL_USER_DATA | SEL_RPL_USER) /* 0x23 */
#define SEL_USER_CODE_RPL3 (SEL_USER_CODE | SEL_RPL_USER) /* 0x2B */

/* ---- Exception vectors -------------------------------------------------------
 * 0-31 are reserved for CPU exceptions. x86-arch.h (shared with the host)
 * names the vectors the host model also needs (X86_VEC_DE, _UD, _DF, _GP,
 * _PF); the guest-only rest are named in the C part below. */
#define X86_EXC_COUNT 32
/* The exceptions for which the CPU pushes an error code, one bit per vector
 * (8, 10-14, 17, 21, 29, 30). isr.S uses it to push a fake 0 for the others so
 * that every handler sees the same frame. */
#define X86_EXC_ERROR_CODE_MASK 0x60227D00
#define X86_IDT_VECTORS 256

/* ---- Interrupt and trap frames, stacks -------------------------------------- */
#define ISR_STUB_SIZE 16 /* isr.S aligns each of its 256 stubs to this */
#define TSS_IST_DOUBLE_FAULT 1 /* IST slot used by #DF (idt.c, cpu.c) */

/* Kernel stacks (entry.S). Each one sits above an unmapped guard page, so an
 * overflow faults instead of silently overwriting the stack below it. */
#define BOOT_STACK_SIZE  16384 /* kmain and everything it calls */
#define TRAP_STACK_SIZE  16384 /* TSS.RSP0: entries from ring 3 (interrupts, SYSCALL) */
#define DF_STACK_SIZE    4096  /* TSS.IST1: double fault */
#define GUARD_PAGE_SIZE  4096

#ifndef __ASSEMBLER__
#include <stdint.h>

#include "x86-arch.h" /* MSRs, EFER/RFLAGS/CR0 bits, the common vectors */

#define X86_VEC_DB  1  /* debug */
#define X86_VEC_NMI 2  /* non-maskable interrupt */
#define X86_VEC_BP  3  /* breakpoint (INT3) */
#define X86_VEC_OF  4  /* overflow (INTO) */
#define X86_VEC_BR  5  /* BOUND range exceeded */
#define X86_VEC_NM  7  /* device not available */
#define X86_VEC_TS  10 /* invalid TSS */
#define X86_VEC_NP  11 /* segment not present */
#define X86_VEC_SS  12 /* stack-segment fault */
#define X86_VEC_MF  16 /* x87 floating-point error */
#define X86_VEC_AC  17 /* alignment check */
#define X86_VEC_MC  18 /* machine check */
#define X86_VEC_XM  19 /* SIMD floating-point */
#define X86_VEC_VE  20 /* virtualization exception */
#define X86_VEC_CP  21 /* control protection */
#define X86_VEC_HV  28 /* hypervisor injection (AMD) */
#define X86_VEC_VC  29 /* VMM communication (AMD SEV-ES) */
#define X86_VEC_SX  30 /* security exception (AMD) */

/* ---- Paging (4-level, 4 KiB pages) ----------------------------------------- */
#define PAGE_SIZE      4096ull
#define PAGE_SHIFT     12u
#define PT_ENTRIES     512u
#define PTE_P          (1ull << 0) /* present */
#define PTE_W          (1ull << 1) /* writable (else read-only, also for ring 0 since CR0.WP=1) */
#define PTE_U          (1ull << 2) /* user: ring 3 may access */
#define PTE_PS         (1ull << 7) /* in a PD entry: a 2 MiB page, no page table below */
#define PTE_ADDR_MASK  0x000FFFFFFFFFF000ull
#define PML4_SHIFT     39u
#define PDPT_SHIFT     30u
#define PD_SHIFT       21u
#define PD_PAGE_SIZE   (1ull << PD_SHIFT) /* what one PD entry maps with PTE_PS */
#define PT_INDEX_MASK  0x1FFu
/* #PF error code bits. */
#define PF_ERR_P    (1u << 0) /* 1 = protection violation, 0 = page not present */
#define PF_ERR_W    (1u << 1) /* the access was a write */
#define PF_ERR_U    (1u << 2) /* the access came from ring 3 */
#define PF_ERR_I    (1u << 4) /* instruction fetch */

/* ---- Descriptors ---------------------------------------------------------- */
/* Access byte (bits 47:40 of a segment descriptor). */
#define DESC_ACCESSED  0x01u /* set in advance, so the CPU never writes the GDT to set it */
#define DESC_RW        0x02u /* data: writable; code: readable */
#define DESC_CODE      0x08u /* executable */
#define DESC_S         0x10u /* code/data (1) or system (0) descriptor */
#define DESC_DPL(n)    ((unsigned)(n) << 5)
#define DESC_P         0x80u /* present */
#define DESC_TYPE_TSS64_AVAILABLE 0x09u /* system type: 64-bit TSS, not busy */
#define DESC_LIMIT_LOW_SHIFT  0u  /* limit 15:0 in bits 15:0 */
#define DESC_ACCESS_SHIFT     40u /* access byte in bits 47:40 */
#define DESC_LIMIT_HIGH_SHIFT 48u /* limit 19:16 in bits 51:48 */
#define DESC_FLAGS_SHIFT      52u /* flags nibble in bits 55:52 */
/* Flags nibble (bits 55:52). */
#define DESC_FLAG_L    0x2u /* 64-bit code segment */
#define DESC_FLAG_DB   0x4u /* 32-bit default operand size (must be 0 when L=1) */
#define DESC_FLAG_G    0x8u /* limit counts 4 KiB units */
/* IDT gate type/attribute byte. */
#define IDT_TYPE_INTERRUPT_GATE 0x0Eu /* clears IF on entry */
#define IDT_TYPE_TRAP_GATE      0x0Fu /* leaves IF alone */

/* ---- SYSCALL/SYSRET selector fields of IA32_STAR (SDM vol. 2B, SYSCALL) ---- */
#define STAR_SYSCALL_CS_SHIFT 32u
#define STAR_SYSRET_CS_SHIFT  48u

/* ---- CPUID ------------------------------------------------------------------ */
#define CPUID_LEAF_FEATURES 0x00000001u

/* ---- Instruction wrappers ------------------------------------------------- */
static inline void outb(uint16_t port, uint8_t value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t value)
{
	__asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t value)
{
	__asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t value;
	__asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

/* RDMSR/WRMSR: ECX selects the MSR, EDX:EAX carry the 64-bit value. Both are
 * privileged; on a synthetic MSR (0x40000000-0x400000FF) they are intercepted
 * by the hypervisor, which implements the register. */
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t value)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
			 : "memory");
}

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

/* CPUID always causes a VM exit under VT-x: the hypervisor answers the
 * 0x40000000 range itself and filters the rest. */
static inline struct cpuid_regs cpuid(uint32_t leaf)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(0u));
	return r;
}

static inline uint64_t read_cr0(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

/* Loading CR3 switches address spaces and flushes the non-global TLB. */
static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause");
}

/* Stop the CPU for good: with IF=0 only an NMI could wake it, and then it
 * halts again. */
static inline __attribute__((__noreturn__)) void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}
#endif /* !__ASSEMBLER__ */

#endif /* GUEST_KERNEL_X86_H */
