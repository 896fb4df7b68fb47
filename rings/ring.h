/* ring.h — privilege as the CPU enforces it: CPL, paging checks, GDT/IDT/TSS,
 * interrupt and exception delivery, SYSCALL/SYSRET, IRETQ, privileged
 * instructions. Sim thread; a pure model over a register struct and a guest
 * memory callback, no GLib, no Unicorn, no global state.
 *
 * Why it exists: Unicorn 2.0.1 reports INT n and exceptions to a hook instead
 * of vectoring through the guest IDT, and its SYSCALL does not transfer
 * control. The emulated backend copies the guest registers into a RingCpu,
 * calls one of the transition functions below and copies the result back.
 * Every transition also fills a RingTransition for the event stream.
 *
 * Scope: IA-32e mode (long mode) with 4-level paging, as hvsim guests run.
 * Legacy protected mode, compatibility-mode targets, task gates, call gates,
 * the LDT and 5-level paging are reported as RING_UNSUPPORTED (or treated as
 * the SDM treats a null LDTR), never silently approximated. */
#ifndef HVSIM_RINGS_RING_H
#define HVSIM_RINGS_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring-defs.h"

/* ---- The CPU state this module reads and writes ---------------------------
 * Only what privilege transitions touch. Segment registers other than CS and
 * SS are not modelled (in 64-bit mode their bases are MSRs and their
 * descriptors play no part in protection). */
typedef struct RingCpu {
	uint64_t rip, rsp, rflags;
	uint64_t rcx, r11;              /* SYSCALL/SYSRET use them */
	uint16_t cs, ss;                /* selectors; in long mode CPL = cs & 3 */
	uint64_t cr0, cr2, cr3, cr4, efer;
	uint64_t gdtr_base; uint16_t gdtr_limit;
	uint64_t idtr_base; uint16_t idtr_limit;
	uint16_t tr; uint64_t tr_base; uint32_t tr_limit;   /* 64-bit TSS */
	uint64_t star, lstar, fmask;    /* IA32_STAR / LSTAR / FMASK */
} RingCpu;

/* Guest-PHYSICAL memory, supplied by the caller. Each callback returns false
 * when [gpa, gpa + len) is not backed by guest RAM. The model never crosses a
 * 4 KiB page boundary in one call. */
typedef struct RingMem {
	bool (*read)(void *ctx, uint64_t gpa, void *buf, size_t len);
	bool (*write)(void *ctx, uint64_t gpa, const void *buf, size_t len);
	void *ctx;
} RingMem;

typedef enum RingCause {
	RING_CAUSE_EXCEPTION,    /* raised by the CPU: #GP, #PF, #UD, ... */
	RING_CAUSE_SOFTWARE_INT, /* INT n, INT3, INTO: gate DPL is checked */
	RING_CAUSE_EXTERNAL,     /* an injected/external interrupt (or NMI) */
	RING_CAUSE_SYSCALL,
	RING_CAUSE_SYSRET,
	RING_CAUSE_IRET,
} RingCause;

/* What to deliver. */
typedef struct RingEvent {
	uint8_t  vector;
	RingCause cause;                /* EXCEPTION, SOFTWARE_INT or EXTERNAL */
	bool     has_error_code;        /* callers normally use ring_vector_has_error_code();
	                                 * only honoured for RING_CAUSE_EXCEPTION: INT n
	                                 * and external interrupts never push one */
	uint32_t error_code;
	uint8_t  insn_length;           /* SOFTWARE_INT only: length of the INT
	                                 * instruction, so that a fault raised while
	                                 * delivering it reports the INT itself.
	                                 * 0 = the usual encoding (1 for vector 3, CC;
	                                 * 2 otherwise, CD ib) */
} RingEvent;

#define RING_DETAIL_LEN 96

/* What happened, for the event stream. On RING_FAULT (from SYSCALL, SYSRET or
 * IRETQ) vector/error_code describe the fault the caller must now deliver,
 * error_code_pushed says whether it has an error code, and the CPU is
 * unchanged (except CR2 when the fault is a #PF). */
typedef struct RingTransition {
	uint8_t  from_cpl, to_cpl;
	RingCause cause;                /* cause of what was finally delivered */
	RingCause original_cause;       /* cause of what was first requested */
	uint8_t  vector;                /* vector finally delivered (may be 8 after escalation) */
	bool     error_code_pushed; uint32_t error_code;
	bool     stack_switched;        /* RSP loaded from TSS.RSPn or TSS.ISTn */
	uint8_t  ist;                   /* IST slot used, 0 = none */
	uint64_t from_rip, to_rip, new_rsp;
	uint16_t new_cs, new_ss;
	uint8_t  escalations;           /* 0 none, 1 = turned into #DF, 2 = triple fault */
	uint8_t  original_vector;       /* the vector first requested */
	uint8_t  faults_during_delivery;/* how many faults replaced an event (0 = clean) */
	char     detail[RING_DETAIL_LEN]; /* one human-readable line */
} RingTransition;

typedef enum RingStatus {
	RING_OK = 0,
	RING_TRIPLE_FAULT,  /* the CPU would shut down; see ring_deliver() */
	RING_FAULT,         /* a fault to deliver instead, see the out params */
	RING_UNSUPPORTED,   /* outside what the model covers; out->detail says what */
} RingStatus;

/* CPL is the RPL field of CS: the CPU keeps it there (loading CS always
 * writes the new CPL into CS.RPL, even for conforming segments). */
static inline uint8_t ring_cpl(const RingCpu *c)
{
	return (uint8_t)(c->cs & RING_SEL_RPL_MASK);
}

static inline uint8_t ring_iopl(const RingCpu *c)
{
	return (uint8_t)((c->rflags & RING_RFLAGS_IOPL) >> RING_RFLAGS_IOPL_SHIFT);
}

/* IA-32e mode is active: EFER.LMA, which the CPU sets once CR0.PG is turned
 * on with EFER.LME. */
static inline bool ring_long_mode(const RingCpu *c)
{
	return (c->efer & RING_EFER_LMA) != 0;
}

/* With 4-level paging a linear address has 48 significant bits; bits 63:47
 * must all equal bit 47. Any other address faults before paging is even
 * consulted (#GP, or #SS for stack references). */
bool ring_canonical(uint64_t linear);

/* ---- Paging ---------------------------------------------------------------- */
typedef enum RingAccessKind {
	RING_ACC_READ = 0,
	RING_ACC_WRITE = 1,
	RING_ACC_EXEC = 2,
} RingAccessKind;

/* *pf_error_code value when RING_FAULT is not a page fault (non-canonical
 * address: that is #GP(0), or #SS(0) for a stack access). */
#define RING_PF_NONE UINT32_MAX

/* Translate a linear address as the CPU's page walker does: 4-level IA-32e
 * paging (CR0.PG, CR4.PAE, EFER.LMA), 4 KiB / 2 MiB / 1 GiB pages, U/S, R/W
 * (CR0.WP), NX (EFER.NXE), SMEP and SMAP (RFLAGS.AC). user = the access is made
 * at CPL 3. Paging off: identity. Returns RING_OK with *gpa, or RING_FAULT
 * with *pf_error_code (RING_PF_NONE for non-canonical), or RING_UNSUPPORTED
 * for a paging mode other than 4-level IA-32e. A page-table entry that lies
 * outside guest RAM is reported as a not-present #PF. Accessed/dirty bits are
 * not set by this model. */
RingStatus ring_translate(const RingCpu *cpu, const RingMem *mem, uint64_t linear,
                          RingAccessKind kind, bool user, uint64_t *gpa,
                          uint32_t *pf_error_code);

/* Read or write len bytes at a linear address, translating page by page (the
 * range may cross pages). On RING_FAULT nothing after the failing page was
 * touched and *pf_error_code is set as for ring_translate(); the faulting
 * address (CR2) is the start of the failing page, or linear itself when the
 * first page fails. RING_UNSUPPORTED also when a translated GPA is not backed
 * by guest RAM. */
RingStatus ring_read_linear(const RingCpu *cpu, const RingMem *mem, uint64_t linear,
                            void *buf, size_t len, bool user, uint32_t *pf_error_code);
RingStatus ring_write_linear(const RingCpu *cpu, const RingMem *mem, uint64_t linear,
                             const void *buf, size_t len, bool user,
                             uint32_t *pf_error_code);

/* ---- Descriptors ------------------------------------------------------------ */
typedef struct RingDescriptor {
	uint64_t base;     /* 64 bits for system descriptors (TSS/LDT), else 32 */
	uint32_t limit;    /* in bytes, already scaled by G */
	uint8_t  type;     /* 4-bit type field, see RING_TYPE_* and RING_SYS_* */
	bool     s;        /* true: code/data; false: system */
	uint8_t  dpl;
	bool     present, l, db, g, avl;
} RingDescriptor;

/* Decode the GDT entry a selector names: 8 bytes, or 16 for the system
 * descriptors that long mode widens (TSS, LDT, call gate). GDT reads are
 * supervisor accesses through paging. false for the null selector, an LDT
 * selector (TI = 1), an index past GDTR.limit, or a read that faults. */
bool ring_read_descriptor(const RingCpu *cpu, const RingMem *mem, uint16_t sel,
                          RingDescriptor *out);

static inline bool ring_desc_is_code(const RingDescriptor *d)
{
	return d->s && (d->type & RING_TYPE_CODE);
}

/* A 64-bit code segment: L = 1 and D = 0 (L = D = 1 is reserved). */
static inline bool ring_desc_is_code64(const RingDescriptor *d)
{
	return ring_desc_is_code(d) && d->l && !d->db;
}

static inline bool ring_desc_is_writable_data(const RingDescriptor *d)
{
	return d->s && !(d->type & RING_TYPE_CODE) && (d->type & RING_TYPE_DATA_WRITE);
}

/* ---- Exceptions and the double-fault rules ---------------------------------- */
enum {
	RING_CLASS_BENIGN,        /* never combine into #DF */
	RING_CLASS_CONTRIBUTORY,  /* #DE #TS #NP #SS #GP #CP */
	RING_CLASS_PAGE_FAULT,    /* #PF #VE */
	RING_CLASS_DOUBLE_FAULT,  /* #DF itself: a further fault shuts the CPU down */
};

/* What the CPU does when a second exception is raised while it is delivering
 * a first one (SDM Vol. 3A table "Conditions for Generating a Double Fault"). */
typedef enum RingDfAction {
	RING_DF_SERIAL,        /* deliver the second one instead */
	RING_DF_DOUBLE_FAULT,  /* deliver #DF(0) */
	RING_DF_SHUTDOWN,      /* triple fault */
} RingDfAction;

bool ring_vector_has_error_code(uint8_t vector);
const char *ring_vector_mnemonic(uint8_t vector);  /* "#GP"; NULL if reserved or >= 32 */
int ring_exception_class(uint8_t vector);          /* RING_CLASS_*; >= 32 is benign */
RingDfAction ring_df_action(int first_class, int second_class);

/* Deliver an exception or interrupt through the IDT as an IA-32e CPU does:
 * gate checks, target code segment checks, stack switch (TSS.RSPn / ISTn),
 * the 5- or 6-quadword frame, RFLAGS masking, CS:RIP from the gate.
 *
 * cpu->rip must hold the RIP to push: the faulting instruction for faults,
 * the next instruction for traps, INT n and external interrupts.
 *
 * A fault raised during delivery replaces the event following the
 * double-fault table; out->vector is what was finally delivered,
 * out->original_vector what was asked for.
 *
 * RING_OK: *cpu holds the handler's state. RING_TRIPLE_FAULT: the real CPU
 * would enter shutdown, its state is architecturally meaningless; this
 * model leaves *cpu as it was at entry except CR2 (if a #PF was recognized),
 * though stack bytes may have been written. RING_UNSUPPORTED: *cpu as at
 * entry, out->detail says why. Never returns RING_FAULT. */
RingStatus ring_deliver(RingCpu *cpu, const RingMem *mem, const RingEvent *ev,
                        RingTransition *out);

/* Turn a RING_FAULT transition into the event to pass to ring_deliver(). */
void ring_fault_event(const RingTransition *t, RingEvent *ev);

/* ---- Fast system calls and interrupt return ---------------------------------- */
/* SYSCALL, 64-bit form. next_rip is the address after the SYSCALL. */
RingStatus ring_syscall(RingCpu *cpu, uint64_t next_rip, RingTransition *out);
/* SYSRETQ (REX.W form, returns to 64-bit mode). */
RingStatus ring_sysret(RingCpu *cpu, RingTransition *out);
/* IRETQ in 64-bit mode. */
RingStatus ring_iret(RingCpu *cpu, const RingMem *mem, RingTransition *out);

/* ---- Privileged instructions --------------------------------------------------
 * Every rule below faults with #GP(0) when it is not met. */
enum {
	RING_PRIV_CPL0,      /* CPL must be 0 */
	RING_PRIV_IOPL,      /* CPL <= RFLAGS.IOPL */
	RING_PRIV_CR4_TSD,   /* CPL 0, or CR4.TSD clear */
	RING_PRIV_CR4_PCE,   /* CPL 0, or CR4.PCE set */
	RING_PRIV_CR4_UMIP,  /* CPL 0, or CR4.UMIP clear */
};

typedef struct RingPrivRule {
	const char *mnemonic;  /* capstone-style lowercase; "mov cr" / "mov dr" for
	                        * MOV to/from control and debug registers */
	int rule;              /* RING_PRIV_* */
	const char *why;       /* one sentence for students */
} RingPrivRule;

/* NULL if the instruction is not privileged. Accepts a leading "rep "/"lock "
 * prefix and the size-suffixed string forms (insb, outsd, ...). */
const RingPrivRule *ring_priv_lookup(const char *mnemonic);
bool ring_priv_allowed(const RingPrivRule *rule, const RingCpu *cpu);
/* The whole table, for lessons and inspectors. */
const RingPrivRule *ring_priv_table(size_t *count);

#endif /* HVSIM_RINGS_RING_H */
