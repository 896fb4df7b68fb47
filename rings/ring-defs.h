/* ring-defs.h — the architectural constants of x86-64 privilege: control
 * register and RFLAGS bits, page-table entry bits, descriptor fields, TSS
 * offsets, exception vectors. Plain C, no code; every number rings/ uses is
 * named here once (Intel SDM Vol. 3A chapters 2-6 are the source). */
#ifndef HVSIM_RINGS_RING_DEFS_H
#define HVSIM_RINGS_RING_DEFS_H

#include <stdint.h>

/* ---- Control registers and EFER ------------------------------------------ */
#define RING_CR0_PE   (1ull << 0)   /* protected mode enable */
#define RING_CR0_WP   (1ull << 16)  /* supervisor writes honour read-only pages */
#define RING_CR0_PG   (1ull << 31)  /* paging enable */

#define RING_CR4_TSD  (1ull << 2)   /* RDTSC/RDTSCP only at CPL 0 */
#define RING_CR4_PAE  (1ull << 5)   /* 64-bit page-table entries (required by long mode) */
#define RING_CR4_PCE  (1ull << 8)   /* RDPMC allowed at any CPL */
#define RING_CR4_UMIP (1ull << 11)  /* SGDT/SIDT/SLDT/STR/SMSW only at CPL 0 */
#define RING_CR4_LA57 (1ull << 12)  /* 5-level paging (not modelled) */
#define RING_CR4_SMEP (1ull << 20)  /* supervisor may not execute user pages */
#define RING_CR4_SMAP (1ull << 21)  /* supervisor may not touch user data unless RFLAGS.AC */

#define RING_EFER_SCE (1ull << 0)   /* SYSCALL/SYSRET enable */
#define RING_EFER_LME (1ull << 8)   /* long mode enable (software's request) */
#define RING_EFER_LMA (1ull << 10)  /* long mode active (the CPU's answer) */
#define RING_EFER_NXE (1ull << 11)  /* execute-disable bit in page tables */

/* ---- RFLAGS --------------------------------------------------------------- */
#define RING_RFLAGS_CF    (1ull << 0)
#define RING_RFLAGS_FIXED (1ull << 1)   /* bit 1 always reads as 1 */
#define RING_RFLAGS_PF    (1ull << 2)
#define RING_RFLAGS_AF    (1ull << 4)
#define RING_RFLAGS_ZF    (1ull << 6)
#define RING_RFLAGS_SF    (1ull << 7)
#define RING_RFLAGS_TF    (1ull << 8)   /* single-step trap */
#define RING_RFLAGS_IF    (1ull << 9)   /* maskable interrupts enabled */
#define RING_RFLAGS_DF    (1ull << 10)
#define RING_RFLAGS_OF    (1ull << 11)
#define RING_RFLAGS_IOPL_SHIFT 12
#define RING_RFLAGS_IOPL  (3ull << RING_RFLAGS_IOPL_SHIFT) /* I/O privilege level */
#define RING_RFLAGS_NT    (1ull << 14)  /* nested task (legacy task switching) */
#define RING_RFLAGS_RF    (1ull << 16)  /* resume: suppress instruction breakpoints once */
#define RING_RFLAGS_VM    (1ull << 17)  /* virtual-8086 mode */
#define RING_RFLAGS_AC    (1ull << 18)  /* alignment check / SMAP override */
#define RING_RFLAGS_VIF   (1ull << 19)
#define RING_RFLAGS_VIP   (1ull << 20)
#define RING_RFLAGS_ID    (1ull << 21)

/* What SYSRET keeps of R11: every defined flag except RF and VM (and the
 * reserved bits); bit 1 is forced to 1 separately. SDM SYSRET "Operation". */
#define RING_SYSRET_RFLAGS_KEEP 0x3C7FD7ull

/* ---- IA32_STAR layout ------------------------------------------------------
 * SYSCALL takes CS from bits 47:32 (SS = that + 8); SYSRETQ takes a base from
 * bits 63:48 and uses base + 16 for CS, base + 8 for SS, both with RPL 3. This
 * is why GDTs list user data *before* user code. */
#define RING_STAR_SYSCALL_SHIFT 32
#define RING_STAR_SYSRET_SHIFT  48
#define RING_STAR_SEL_MASK      0xFFFFull
#define RING_SYSCALL_SS_OFFSET  8u
#define RING_SYSRET_SS_OFFSET   8u
#define RING_SYSRET_CS64_OFFSET 16u

/* ---- Selectors -------------------------------------------------------------
 * A selector is index:13 | TI:1 | RPL:2. RPL is the privilege the selector
 * claims; for CS it *is* the current privilege level (CPL). */
#define RING_SEL_RPL_MASK  0x0003u
#define RING_CPL_KERNEL    0u       /* ring 0 */
#define RING_CPL_USER      3u       /* ring 3 */
#define RING_SEL_TI        0x0004u  /* 1 = LDT (not modelled: LDTR is always null) */
#define RING_SEL_INDEX_MASK 0xFFF8u
#define RING_SEL_ERRCODE_MASK 0xFFFCu /* selector as it appears in an error code */

/* ---- Segment and gate descriptors (the 8-byte legacy format) --------------
 * Bits of the 64-bit little-endian descriptor word. */
#define RING_DESC_LIMIT_LO_MASK 0xFFFFull        /* limit 15:0 in bits 15:0 */
#define RING_DESC_LIMIT_HI_SHIFT 48              /* limit 19:16 in bits 51:48 */
#define RING_DESC_LIMIT_HI_MASK 0xFull
#define RING_DESC_LIMIT_HI_POS 16
#define RING_DESC_BASE_LO_SHIFT 16               /* base 23:0 in bits 39:16 */
#define RING_DESC_BASE_LO_MASK 0xFFFFFFull
#define RING_DESC_BASE_HI_SHIFT 56               /* base 31:24 in bits 63:56 */
#define RING_DESC_BASE_HI_POS  24
#define RING_DESC_TYPE_SHIFT   40                /* 4-bit type */
#define RING_DESC_TYPE_MASK    0xFull
#define RING_DESC_DPL_MASK     0x3ull
#define RING_DESC_G_SHIFT      12                /* G = 1: limit in 4 KiB units */
#define RING_DESC_S            (1ull << 44)      /* 1 = code/data, 0 = system */
#define RING_DESC_DPL_SHIFT    45                /* 2-bit descriptor privilege level */
#define RING_DESC_P            (1ull << 47)      /* present */
#define RING_DESC_AVL          (1ull << 52)
#define RING_DESC_L            (1ull << 53)      /* 64-bit code segment */
#define RING_DESC_DB           (1ull << 54)      /* default operand size / big */
#define RING_DESC_G            (1ull << 55)      /* limit counts 4 KiB units */
#define RING_DESC_UPPER_BASE_MASK 0xFFFFFFFFull /* 16-byte form: base 63:32 in bits 31:0 */
#define RING_DESC_UPPER_BASE_POS 32
#define RING_DESC_SIZE         8u
#define RING_DESC_SYSTEM_SIZE  16u               /* TSS/LDT/gates in long mode */

/* Type field, code/data descriptors (S = 1). */
#define RING_TYPE_ACCESSED     0x1u
#define RING_TYPE_DATA_WRITE   0x2u   /* data: writable */
#define RING_TYPE_CODE_READ    0x2u   /* code: readable */
#define RING_TYPE_CODE_CONFORMING 0x4u /* code: runs at the caller's CPL */
#define RING_TYPE_CODE         0x8u   /* 1 = code, 0 = data */

/* Type field, system descriptors (S = 0) in IA-32e mode. */
#define RING_SYS_LDT           0x2u
#define RING_SYS_TSS64_AVAIL   0x9u
#define RING_SYS_TSS64_BUSY    0xBu
#define RING_SYS_CALL_GATE64   0xCu
#define RING_SYS_INT_GATE64    0xEu   /* clears IF on entry */
#define RING_SYS_TRAP_GATE64   0xFu   /* leaves IF alone */

/* IDT gate: selector, IST and offset 31:0 in quadword 0; offset 63:32 in
 * bits 31:0 of quadword 1 (its upper half is reserved). */
#define RING_GATE_SIZE         16u
#define RING_GATE_SEL_SHIFT    16     /* selector in bits 31:16 of quadword 0 */
#define RING_GATE_IST_SHIFT    32     /* IST index in bits 34:32 */
#define RING_GATE_IST_MASK     0x7ull
#define RING_GATE_OFF_LO_MASK  0xFFFFull  /* offset 15:0 in bits 15:0 */
#define RING_GATE_OFF_MID_SHIFT 48        /* offset 31:16 in bits 63:48 */
#define RING_GATE_OFF_MID_POS  16
#define RING_GATE_OFF_HI_MASK  0xFFFFFFFFull /* offset 63:32 in quadword 1 bits 31:0 */
#define RING_GATE_OFF_HI_POS   32
#define RING_STACK_ALIGN       16u        /* IA-32e aligns RSP before the frame */

/* ---- 64-bit TSS (SDM Vol. 3A figure "64-Bit TSS Format") ------------------- */
#define RING_TSS_RSP0          0x04u  /* RSPn at 0x04 + 8 * n, n = 0..2 */
#define RING_TSS_IST1          0x24u  /* ISTn at 0x24 + 8 * (n - 1), n = 1..7 */
#define RING_TSS_SLOT_SIZE     8u     /* each RSPn / ISTn is one quadword */
#define RING_TSS_IOMAP_BASE    0x66u
#define RING_TSS64_MIN_LIMIT   0x67u  /* 104 bytes, limit is size - 1 */
#define RING_IST_COUNT         7u

/* ---- Page-table entries (IA-32e 4-level paging) --------------------------- */
#define RING_PTE_P        (1ull << 0)   /* present */
#define RING_PTE_RW       (1ull << 1)   /* writable */
#define RING_PTE_US       (1ull << 2)   /* user-accessible */
#define RING_PTE_PWT      (1ull << 3)
#define RING_PTE_PCD      (1ull << 4)
#define RING_PTE_A        (1ull << 5)   /* accessed (not set by this model) */
#define RING_PTE_D        (1ull << 6)   /* dirty (not set by this model) */
#define RING_PTE_PS       (1ull << 7)   /* large page in PDPTE/PDE; PAT in a PTE */
#define RING_PTE_G        (1ull << 8)
#define RING_PTE_XD       (1ull << 63)  /* execute-disable, needs EFER.NXE */
#define RING_PAGE_SHIFT   12
#define RING_PAGE_SIZE    (1ull << RING_PAGE_SHIFT)
#define RING_PT_ENTRIES   512u
#define RING_PT_INDEX_BITS 9
#define RING_PAGING_LEVELS 4
/* The model assumes a 52-bit physical address width, the architectural
 * maximum, so no address bit of an entry is ever reserved for width reasons. */
#define RING_MAXPHYADDR   52
#define RING_PTE_ADDR_MASK (((1ull << RING_MAXPHYADDR) - 1) & ~(RING_PAGE_SIZE - 1))
#define RING_PTE_ADDR_BITS_ALL 0x000FFFFFFFFFF000ull /* bits 51:12, the widest frame field */
#define RING_CR3_ADDR_MASK RING_PTE_ADDR_MASK
#define RING_LARGE_2M_RSVD 0x00000000001FE000ull /* PDE with PS: bits 20:13 */
#define RING_LARGE_1G_RSVD 0x000000003FFFE000ull /* PDPTE with PS: bits 29:13 */
#define RING_LINEAR_BITS  48   /* 4-level paging: addresses are 48-bit, sign-extended */

/* #PF error code (SDM Vol. 3A "Page-Fault Error Code"). */
#define RING_PFEC_P     (1u << 0)  /* 0: not present, 1: protection violation */
#define RING_PFEC_W     (1u << 1)  /* the access was a write */
#define RING_PFEC_U     (1u << 2)  /* the access was a user-mode access */
#define RING_PFEC_RSVD  (1u << 3)  /* a reserved bit was set in some entry */
#define RING_PFEC_I     (1u << 4)  /* instruction fetch (only with NXE or SMEP) */

/* Error code of #GP/#NP/#SS/#TS (SDM Vol. 3A "Error Code"). */
#define RING_EC_EXT     (1u << 0)  /* raised while delivering an external event */
#define RING_EC_IDT     (1u << 1)  /* index refers to an IDT gate */
#define RING_EC_TI      (1u << 2)  /* index refers to the LDT */
#define RING_EC_INDEX_SHIFT 3      /* descriptor/vector index in bits 15:3 */

/* ---- Exception vectors ---------------------------------------------------- */
enum {
	RING_VEC_DE = 0,   /* divide error */
	RING_VEC_DB = 1,   /* debug */
	RING_VEC_NMI = 2,
	RING_VEC_BP = 3,   /* INT3 breakpoint */
	RING_VEC_OF = 4,   /* INTO overflow */
	RING_VEC_BR = 5,   /* BOUND range */
	RING_VEC_UD = 6,   /* invalid opcode */
	RING_VEC_NM = 7,   /* device not available */
	RING_VEC_DF = 8,   /* double fault */
	RING_VEC_CSO = 9,  /* coprocessor segment overrun (historic) */
	RING_VEC_TS = 10,  /* invalid TSS */
	RING_VEC_NP = 11,  /* segment not present */
	RING_VEC_SS = 12,  /* stack-segment fault */
	RING_VEC_GP = 13,  /* general protection */
	RING_VEC_PF = 14,  /* page fault */
	RING_VEC_MF = 16,  /* x87 floating point */
	RING_VEC_AC = 17,  /* alignment check */
	RING_VEC_MC = 18,  /* machine check */
	RING_VEC_XM = 19,  /* SIMD floating point */
	RING_VEC_VE = 20,  /* virtualization exception (EPT) */
	RING_VEC_CP = 21,  /* control protection (CET) */
	RING_VEC_HV = 28,  /* AMD: hypervisor injection */
	RING_VEC_VC = 29,  /* AMD: VMM communication (SEV-ES) */
	RING_VEC_SX = 30,  /* AMD: security exception */
	RING_VEC_FIRST_USER = 32, /* 32..255 belong to the OS (INT n, device IRQs) */
};

/* Instruction lengths, for pointing RIP back at a software interrupt that
 * faulted (the caller passes RIP *after* the instruction). */
#define RING_INSN_LEN_INT_N 2u   /* CD ib */
#define RING_INSN_LEN_INT3  1u   /* CC */

#endif /* HVSIM_RINGS_RING_DEFS_H */
