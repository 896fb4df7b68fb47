/* sim-private.h — the machine's internal types: machine, partition, virtual
 * processor, backend and device ops tables. Sim thread only; not for gui/.
 * A machine context is passed everywhere: there are no per-machine globals,
 * so one process can run two machines (the tests do). */
#ifndef HVSIM_SIM_PRIVATE_H
#define HVSIM_SIM_PRIVATE_H

#include <gio/gio.h>
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "hv-tlfs.h"
#include "sim-machine.h"
#include "vmx.h"

typedef struct SimVp SimVp;
typedef struct SimDevice SimDevice;
typedef struct SimPorts SimPorts;   /* hv-port.c: a partition's ports and connections */
typedef struct SimVmbusInspect SimVmbusInspect; /* vmbus-inspect.c: channel state seen from outside */
typedef struct SimSymtab SimSymtab; /* sim-symtab.c: an image's symbols, for inspectors */

/* ---- Guest-physical memory ------------------------------------------------ */
/* Two kinds: a partition the simulator loaded owns flat RAM (`host`, GPAs
 * [0, size)); a child partition's GPA space is a view through its SLAT map
 * (`slat`: child page -> SIM_SLAT_ENTRY) into its parent's flat RAM
 * (`backing`), exactly what the child's EPT says. */
typedef struct SimMemory {
	guint8 *host;     /* flat: page-aligned host mapping of the whole GPA space; NULL for a view */
	uint64_t size;    /* flat: bytes of RAM; view: one past the highest mapped GPA */
	const struct SimMemory *backing; /* view: the parent's RAM */
	GHashTable *slat; /* view: of guint64* child page -> SIM_SLAT_ENTRY (owned by the SimChild) */
} SimMemory;

/* A SLAT map value: the backing page number and the EPT permissions. */
#define SIM_SLAT_ENTRY(page, perms) GSIZE_TO_POINTER(((gsize)(page) << 4) | (perms))
#define SIM_SLAT_PAGE(v) ((uint64_t)GPOINTER_TO_SIZE(v) >> 4)
#define SIM_SLAT_PERMS(v) ((unsigned)(GPOINTER_TO_SIZE(v) & 0xF))

bool sim_memory_init(SimMemory *mem, uint64_t size, GError **error);
void sim_memory_fini(SimMemory *mem);
/* Bounds-checked accessors: false (and nothing copied) if any byte of
 * [gpa, gpa+len) lies outside RAM. The length may be guest-controlled. */
bool sim_memory_read(const SimMemory *mem, uint64_t gpa, void *buf, uint64_t len);
bool sim_memory_write(SimMemory *mem, uint64_t gpa, const void *buf, uint64_t len);
bool sim_memory_range_ok(const SimMemory *mem, uint64_t gpa, uint64_t len);
/* For accesses the guest itself makes (through rings/): in a view, every
 * page must also allow the access in the GPA map. */
bool sim_memory_guest_access_ok(const SimMemory *mem, uint64_t gpa, uint64_t len, bool write);

/* ---- ELF loader ------------------------------------------------------------ */
typedef struct SimImageInfo {
	uint64_t entry;
	uint64_t lowest, highest; /* [lowest, highest) covered by PT_LOAD segments */
	guint n_segments;
} SimImageInfo;

/* Validates and loads an ELF64 x86-64 executable into mem. Every failure is
 * a GError naming `name` and what was wrong (and where, for segment errors). */
bool sim_elf_load(SimMemory *mem, const guint8 *image, gsize len, const char *name,
                  uint64_t min_gpa, SimImageInfo *info, GError **error);
bool sim_elf_symbol(const guint8 *image, gsize len, const char *name, uint64_t *value);

/* ---- Exits ------------------------------------------------------------------ */
/* What the hypervisor's exit handler tells the backend to do next. */
typedef enum SimExitAction {
	SIM_RESUME_NEXT,      /* VM entry after advancing RIP past the instruction */
	SIM_RESUME_SAME,      /* VM entry at the same RIP (state was changed) */
	SIM_STOP_VP,          /* the VP idles (HLT) until an interrupt arrives */
	SIM_STOP_PARTITION,   /* the partition is finished (power off or fatal) */
	SIM_SUSPEND_VP,       /* the VP waits, at the same RIP, for its parent to handle an intercept */
} SimExitAction;

/* A VM exit as the backend reports it: the vmx-model record plus the data a
 * port access carries (KVM reports it the same way in its run page). */
typedef struct SimExit {
	VmxExit vmx;
	uint64_t io_data;     /* OUT: value written; IN: value for the guest (set by handler) */
	/* A handler's result for RAX (hypercall status, RDMSR low half...), written
	 * by the backend together with RIP at VM entry. */
	bool set_rax;
	uint64_t rax;
	/* The backend could not read the guest's state at this exit: KVM on
	 * AMD re-initialises the vCPU at a shutdown before user space sees it
	 * (docs/native.md). guest_rip is then not the guest's; the trace says
	 * "not_observable" instead of giving it. */
	bool state_lost;
} SimExit;

/* ---- Registers -------------------------------------------------------------- */
typedef enum SimReg {
	SIM_REG_RAX, SIM_REG_RCX, SIM_REG_RDX, SIM_REG_RBX, SIM_REG_RSP, SIM_REG_RBP,
	SIM_REG_RSI, SIM_REG_RDI, SIM_REG_R8, SIM_REG_R9, SIM_REG_R10, SIM_REG_R11,
	SIM_REG_R12, SIM_REG_R13, SIM_REG_R14, SIM_REG_R15,
	SIM_REG_RIP, SIM_REG_RFLAGS,
	SIM_REG_CR0, SIM_REG_CR2, SIM_REG_CR3, SIM_REG_CR4, SIM_REG_EFER,
	SIM_REG_CS, SIM_REG_SS,
	SIM_REG_N
} SimReg;

/* Initial register state of a VP (docs/guest-abi.md). */
typedef struct SimBootState {
	uint64_t rip, rsp, rdi, rflags;
	uint64_t cr0, cr3, cr4, efer;
	uint64_t gdt_base; uint16_t gdt_limit;
	uint16_t cs, ds;
} SimBootState;

/* ---- Backend ops: what a CPU backend must provide --------------------------- */
typedef enum SimRunResult {
	SIM_RUN_YIELD,        /* slice used up; run again later */
	SIM_RUN_HALTED,       /* VP executed HLT (handled as an exit) and waits */
	SIM_RUN_STOPPED,      /* the partition stopped (see partition->stop_*) */
	SIM_RUN_ERROR,        /* the backend failed; partition stopped with a message */
	SIM_RUN_PAUSED,       /* stopped at an instruction boundary inside the slice
	                       * (vp->pause_at reached); the next vp_run resumes the
	                       * same slice exactly where it stopped */
} SimRunResult;

typedef struct SimBackendOps {
	const char *name;
	bool (*vp_init)(SimVp *vp, GError **error);
	void (*vp_fini)(SimVp *vp);
	bool (*vp_set_boot_state)(SimVp *vp, const SimBootState *st, GError **error);
	uint64_t (*reg_get)(SimVp *vp, SimReg reg);
	void (*reg_set)(SimVp *vp, SimReg reg, uint64_t value);
	/* Several registers at once (general registers, RIP, RFLAGS, CS, SS,
	 * control registers): exit handlers read their operands this way, and
	 * every VM exit the guest state it saves into the VMCS. */
	void (*regs_get)(SimVp *vp, const SimReg *regs, uint64_t *values, unsigned n);
	/* Runs the VP until its instruction count reaches `until_insns` or an
	 * exit stops it. Exits are handed to sim_hv_handle_exit(). If the
	 * count reaches vp->pause_at first, stops before the next instruction
	 * and returns SIM_RUN_PAUSED; the next call (same `until_insns`) then
	 * continues as if it had not stopped: no VM entry in between, the same
	 * slice end, the same events. */
	SimRunResult (*vp_run)(SimVp *vp, uint64_t until_insns);
	/* Delivers an event through the guest IDT at the next entry. */
	bool (*vp_deliver_interrupt)(SimVp *vp, uint8_t vector);
	/* The partition's hypercall page content changed (bytes at gpa). */
	void (*hypercall_page_changed)(SimVp *vp, uint64_t gpa, bool enabled);
	/* Optional: the sequence the hypervisor writes at the start of the
	 * hypercall page on this backend (bytes into buf, at most cap; returns
	 * how many) and its disassembly for the trace. NULL: VMCALL; RET on
	 * Intel, VMMCALL; RET on AMD (what the emulator runs). */
	size_t (*hypercall_stub)(SimVp *vp, guint8 *buf, size_t cap, const char **text);
	/* True when time is measured (native): the dispatcher then adds no
	 * modelled world-switch cost, and vp->insns holds measured guest
	 * nanoseconds instead of retired instructions (docs/native.md). */
	bool measured_time;
} SimBackendOps;

extern const SimBackendOps sim_backend_unicorn;
extern const SimBackendOps sim_backend_kvm;   /* backend-kvm.c; Linux only */

/* ---- Port-I/O devices (ops table) ------------------------------------------ */
typedef struct SimDeviceOps {
	const char *name;
	/* size is 1, 2 or 4; offset is relative to the device's first port */
	uint32_t (*io_read)(SimDevice *dev, uint16_t offset, unsigned size);
	void (*io_write)(SimDevice *dev, uint16_t offset, unsigned size, uint32_t value);
	void (*free)(SimDevice *dev);
} SimDeviceOps;

struct SimDevice {
	const SimDeviceOps *ops;
	SimPartition *partition;
	uint16_t port_first, port_last;
	void *state;
};

SimDevice *sim_uart_new(SimPartition *p, uint16_t base);
SimDevice *sim_power_new(SimPartition *p, uint16_t port);
/* The platform disk (dev-ata.c): the command block and the control block
 * sharing one drive of `disk_bytes` (whole 512-byte sectors, zero-filled). */
void sim_ata_new(SimPartition *p, uint64_t disk_bytes, SimDevice **cmd, SimDevice **ctrl);
/* The disk's contents, for tests and inspectors. */
const guint8 *sim_ata_disk(SimDevice *cmd, uint64_t *bytes);
#define SIM_DISK_SIZE (1ull << 20)  /* the platform disk: 1 MiB, 2048 sectors */

/* ---- Virtual processor ------------------------------------------------------ */
typedef struct SimStimer {
	uint64_t config;
	uint64_t count;     /* as the guest wrote it: absolute time (one-shot) or period (periodic), 100 ns units */
	uint64_t expiry;    /* next expiry, absolute, 100 ns units (valid while armed) */
	bool armed;
} SimStimer;

/* Per-VP SynIC state (hv-synic.c; facts §2.1, §2.4, §4). The MSRs as the
 * guest sees them, plus the hypervisor's per-SINT queue of messages that
 * could not go into the SIM page yet because the slot was busy. */
#define SIM_SYNIC_QUEUE_MAX 16u   /* messages waiting per SINT (the TLFS port pool is 16) */

typedef struct SimSynicQueue {
	struct hv_message msg[SIM_SYNIC_QUEUE_MAX];
	unsigned head, len;        /* ring of len messages starting at head */
} SimSynicQueue;

typedef struct SimSynic {
	uint64_t scontrol;         /* HV_X64_MSR_SCONTROL */
	uint64_t simp;             /* HV_X64_MSR_SIMP */
	uint64_t siefp;            /* HV_X64_MSR_SIEFP */
	uint64_t sint[HV_SYNIC_SINT_COUNT];
	SimSynicQueue queue[HV_SYNIC_SINT_COUNT];
} SimSynic;

/* Interrupts waiting for the guest: one bit per vector (the local APIC's
 * IRR, without an APIC). */
#define SIM_VECTOR_COUNT 256u

struct SimVp {
	SimPartition *partition;
	uint32_t index;
	VmxVmcs *vmcs;             /* this VP's VMCS: controls, bitmaps, exit info */
	uint64_t insns;            /* guest instructions retired (deterministic) */
	uint64_t extra_ns;         /* modelled exit costs and idle time, virtual ns */
	bool halted;               /* in HLT, waiting for an interrupt */
	bool entry_due;            /* the HLT exit's VM entry has not been reported yet */
	bool started;
	uint64_t pending[SIM_VECTOR_COUNT / 64]; /* requested vectors, bit v = vector v */
	int pending_vector;        /* the highest vector in `pending`, or -1: the one
	                            * VM entry delivers next (kept by sim_vp_raise_vector
	                            * and sim_vp_take_vector) */
	uint64_t tpr;              /* HV_X64_MSR_TPR as last written */
	/* A child's VP runs only while both suspend registers are 0 (facts
	 * §4.7): ExplicitSuspend is the parent's switch (set at CreateVp),
	 * InterceptSuspend is set while the parent handles an intercept. */
	bool explicit_suspend;
	bool intercept_suspend;
	uint64_t round_ns;         /* virtual time it used in the scheduler's current round */
	/* A child VP that never ran: its initial state as the parent sets it
	 * (SetVpRegisters), given to the backend when it first starts. */
	bool boot_pending;
	SimBootState boot;
	void *backend;             /* backend's per-VP state */
	/* Stuck detection: a hash of the architectural state at slice ends. */
	uint64_t last_state_hash;
	uint64_t same_state_slices;
	/* A slice paused inside (sim_machine_step_precise): the backend stops
	 * before the instruction at which `insns` would pass pause_at
	 * (UINT64_MAX: never; 0: at the next instruction boundary it reaches). */
	uint64_t pause_at;
	bool slice_open;           /* a slice is paused; these say how it began: */
	uint64_t slice_until;      /* its end, as the scheduler computed it */
	uint64_t slice_insns0;     /* insns when it began */
	uint64_t slice_vtime0;     /* virtual time when it began */
	uint64_t slice_exits0;     /* exits when it began */
	uint64_t exits;            /* exits handled (sim_hv_handle_exit): natively a slice with exits is progress */
	/* Last: the SynIC's message queues are 64 KiB, and the fields above
	 * are read on every exit; together they stay on one or two pages. */
	SimStimer stimer0;
	SimSynic synic;
};

/* ---- Partition privileges ------------------------------------------------------
 * What a partition may do: CPUID 0x40000003 EAX (synthetic MSRs) in bits
 * 31:0 and EBX (hypercall rights) in bits 63:32 (facts §1.3). The one place
 * the model decides it; the hypercall table and the MSR handlers only test
 * bits. Following the facts sheet's teaching model:
 * - a partition that starts under the hypervisor (hello, custom images) is
 *   a guest: the MSRs it uses and the calls about itself, nothing that
 *   manages other partitions;
 * - the OS that late-launched the hypervisor becomes the root partition and
 *   adds the rights a parent needs: create and manage children, give them
 *   memory, set up ports and connections, post messages and signal events. */
#define SIM_PRIV_HV_RIGHTS(bits) ((uint64_t)(bits) << 32)
#define SIM_PRIV_GUEST                                                                    \
	(HV_MSR_ACCESS_TIME_REF_COUNT | HV_MSR_ACCESS_SYNIC | HV_MSR_ACCESS_SYNTIMER |     \
	 HV_MSR_ACCESS_HYPERCALL | HV_MSR_ACCESS_VP_INDEX | HV_MSR_ACCESS_APIC |           \
	 SIM_PRIV_HV_RIGHTS(HV_PRIV_ACCESS_PARTITION_ID | HV_PRIV_ACCESS_VP_REGISTERS))
#define SIM_PRIV_ROOT                                                                     \
	(SIM_PRIV_GUEST |                                                                 \
	 SIM_PRIV_HV_RIGHTS(HV_PRIV_CREATE_PARTITIONS | HV_PRIV_ACCESS_MEMORY_POOL |       \
	                    HV_PRIV_CREATE_PORT | HV_PRIV_CONNECT_PORT |                   \
	                    HV_PRIV_POST_MESSAGES | HV_PRIV_SIGNAL_EVENTS))

/* ---- Partition -------------------------------------------------------------- */
struct SimPartition {
	SimMachine *machine;
	uint32_t id;               /* TLFS partition id (1 = the first) */
	char *name;
	char *image_name;
	SimMemory mem;
	GPtrArray *vps;            /* of SimVp* */
	GPtrArray *devices;        /* of SimDevice* */
	uint64_t guest_os_id;
	uint64_t hypercall_msr;
	guint8 *hcpage_saved;      /* RAM hidden under the hypercall overlay (HV_PAGE_SIZE bytes, made at
	                            * the first enable: inline it would spread this structure, read on
	                            * every exit, over two pages) */
	bool hcpage_active;
	uint64_t hcpage_gpa;
	/* False from power-on until late launch: the OS runs on the bare CPU
	 * model, its "exits" are not VM exits and nothing is intercepted. */
	bool hv_active;
	GString *console;          /* everything the guest printed */
	GString *console_line;     /* the line being assembled */
	bool running;
	bool stopped;
	bool stop_clean;
	int stop_status;
	char *stop_reason;
	uint64_t privileges;       /* HV_PRIV_* mask: EBX << 32 | EAX of 0x40000003 */
	SimPorts *ports;           /* ports it owns and connections it holds (hv-port.c); NULL until the first */
	/* A child partition: the hypervisor's bookkeeping (NULL for a partition
	 * the simulator loaded, and after the child was deleted) and the id of
	 * the partition that created it (0 for none). */
	struct SimChild *child;
	uint32_t parent_id;
	bool deleted;              /* DeletePartition: kept only for the summary */
	uint64_t freed_vp_insns;   /* instructions retired by VPs already deleted */
	SimSymtab *symtab;         /* its image's symbols (NULL for a child: see SimMachine) */
	void *backend;             /* backend's per-partition state (native: the KVM VM), or NULL */
};

/* ---- Child partitions (hv-partition.c) ----------------------------------------
 * A partition created with HvCallCreatePartition has two halves: this
 * hypervisor bookkeeping (deposited pages, VP slots, the GPA map as an EPT,
 * intercepts) and a SimPartition in the machine's list that the scheduler
 * runs once its parent has created and started a VP (`part`). */
#define SIM_CHILD_MAX 16u          /* live children per machine: the model's fixed memory pool */

typedef struct SimChild {
	uint64_t id;               /* TLFS partition id, unique per machine, never reused */
	uint32_t parent;           /* id of the partition that created it */
	SimChildState state;       /* CREATED .. FINALIZED; DELETED children are freed */
	struct hv_input_create_partition create; /* the creation input, as given */
	/* DepositMemory: root page numbers given to this child's pool, as a
	 * set (GUINT_TO_POINTER of the page number; root RAM is far below
	 * 2^44 bytes so a page number fits 32 bits). At most
	 * SIM_CHILD_DEPOSIT_MAX; freed (given back) when the child is deleted. */
	GHashTable *deposited;
	/* CreateVp: bit i set = VP i exists (i < SIM_CHILD_VP_MAX). */
	uint32_t vps;
	/* MapGpaPages: the child's EPT. Tables live in `ept_arena`, whose
	 * "host physical" space starts at SIM_CHILD_EPT_BASE; leaf SPAs are
	 * root GPAs. `mapped`: child GPA page -> root page, one per leaf. */
	guint8 *ept_arena;         /* SIM_CHILD_EPT_TABLES pages, NULL until the first map */
	guint ept_used;            /* tables handed out (the PML4 is table 0) */
	uint64_t eptp;             /* 4-level, WB; 0 until the first map */
	GHashTable *mapped;        /* of child page (guint64*) -> SIM_SLAT_ENTRY(root page, EPT perms) */
	uint64_t map_generation;   /* bumped on every map change: engines re-map when it moved */
	/* InstallIntercept: the I/O ports whose reads (IN) and writes (OUT)
	 * go to the parent as intercept messages; bit p = port p. */
	guint8 io_intercept_read[65536 / 8];
	guint8 io_intercept_write[65536 / 8];
	SimPartition *part;        /* the runnable side: VPs, memory view, console */
} SimChild;

#define SIM_CHILD_DEPOSIT_MAX 4096u /* deposited pages per child (then NO_RESOURCES) */
#define SIM_CHILD_VP_MAX      4u    /* VP indexes 0..3 without a profile */
#define SIM_CHILD_EPT_TABLES  64u   /* EPT tables per child (256 KiB arena) */
#define SIM_CHILD_EPT_BASE    0x1000ull /* SPA of arena table 0 (0 means "no table") */
#define SIM_CHILD_MAP_MAX     4096u /* mapped pages per child (then NO_RESOURCES) */

/* ---- Machine ---------------------------------------------------------------- */
struct SimMachine {
	SimConfig config;
	SimEventBus *events;
	GPtrArray *partitions;     /* of SimPartition*: the runnable ones the scheduler sees */
	GPtrArray *children;       /* of SimChild*: the bookkeeping half of live children */
	uint64_t next_partition_id; /* the id the next partition of either kind gets (starts at 1) */
	const SimBackendOps *backend;
	bool measured_time;        /* backend->measured_time, kept here: read on every exit, and
	                            * the ops table sits on a page of its own */
	char *backend_fallback;    /* why the native backend was asked for but not used, or NULL */
	SimOutcome outcome;
	char *outcome_message;
	uint64_t total_insns;
	SimVmbusInspect *vmbus;    /* NULL until the first VMBus message */
	SimSymtab *child_symtab;   /* the child image's symbols (the image children run), or NULL */
	bool started;              /* sim_machine_start ran (partitions started) */
	bool ended;                /* the scheduler finished: outcome is final */
	/* Where the scheduler is inside a round, so a step may end inside one
	 * and the next continues it (sim-machine.c, run_round). */
	struct {
		bool open;             /* a round began and has not finished */
		guint part, vp;        /* the partition and VP index it is at */
		bool any_live, progressed;
		uint64_t elapsed;      /* virtual time the VPs that ran used so far */
	} round;
	/* Address breakpoints (sim_machine_set_breakpoints): they stop only
	 * precise steps; backends resynchronise when the generation moves. */
	GArray *addr_bps;          /* of SimAddrBreakpoint */
	guint bp_generation;
	bool precise;              /* a precise step is running */
	bool bp_hit;               /* the last precise step stopped at one: */
	SimAddrBreakpoint bp_hit_at;
	uint64_t pause_total;      /* pause once total_insns reaches this (UINT64_MAX: no) */
	bool pause_now;            /* pause at the next instruction boundary (an event asked) */
	SimVp *running_vp;         /* the VP in its slice, or NULL */
};

/* Constructors shared by the loader and the partition hypercalls. A new
 * partition has no VPs, devices or memory; a new VP has its VMCS and backend
 * state but no boot state and is not in p->vps yet. */
SimPartition *sim_partition_new(SimMachine *m, uint32_t id, const char *name, const char *image_name);
SimVp *sim_vp_new(SimPartition *p, uint32_t index, GError **error);
void sim_vp_free(SimVp *vp);
/* First start of a VP (the scheduler may run it from now on): emits
 * vp_start, and partition_start for a child's first VP. */
void sim_vp_start(SimVp *vp);
/* The VP of `p` with that index, or NULL. */
SimVp *sim_partition_vp(SimPartition *p, uint32_t index);
/* Can the scheduler run it (its partition running, not suspended)? */
static inline bool sim_vp_runnable(const SimVp *vp)
{
	return vp->started && !vp->explicit_suspend && !vp->intercept_suspend;
}

/* ---- Hypervisor (hv-*.c) ---------------------------------------------------- */
/* The single exit dispatcher: a switch over the basic exit reason. */
SimExitAction sim_hv_handle_exit(SimVp *vp, SimExit *exit);
/* Modelled cost of one exit + entry round trip in virtual ns. */
#define SIM_COST_WORLD_SWITCH_NS 800u
#define SIM_COST_INSN_NS 1u

/* Event helpers: fill partition, vp, vtime and emit. */
void sim_vp_emit(SimVp *vp, SimEvent *ev);
void sim_vp_message(SimVp *vp, const char *fmt, ...) G_GNUC_PRINTF(2, 3) SIM_COLD;
/* Stops the partition with a reason; clean = orderly power-off. */
void sim_partition_stop(SimPartition *p, bool clean, int status, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5) SIM_COLD;
/* Guest console output from a device. */
void sim_partition_console_putc(SimPartition *p, SimVp *vp, char c);
void sim_partition_console_flush(SimPartition *p, SimVp *vp);

/* Virtual time of a VP: retired instructions at the modelled 1 ns each,
 * plus modelled world-switch costs and time spent idle in HLT. */
static inline uint64_t sim_vp_vtime(const SimVp *vp)
{
	return vp->insns * SIM_COST_INSN_NS + vp->extra_ns;
}

/* Emits a boot/late-launch stage event. */
void sim_vp_boot_event(SimVp *vp, SimBootStage stage, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Hypervisor pieces used by the machine (hv-exit.c). */
void sim_hv_setup_vmcs(SimVp *vp);
void sim_hv_cpuid(SimVp *vp, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
void sim_vp_hv_timer_check(SimVp *vp);
uint64_t sim_vp_time_ref_count(const SimVp *vp);
/* The instruction count at which the VP's armed timer fires (UINT64_MAX if none). */
uint64_t sim_vp_timer_deadline(SimVp *vp);
/* Tells a child's parent that the child cannot go on (triple fault, or the
 * scheduler found it stuck): an UnrecoverableException message to the
 * parent's SINT0 and an `intercept` event saying `what`. */
void sim_hv_child_unrecoverable(SimVp *vp, const char *what, bool state_lost);
/* A port access whose I/O bitmap bit is clear: straight to the partition's
 * device, no exit (port_io event with intercepted false). Returns the IN
 * value. */
uint32_t sim_platform_port_io(SimVp *vp, uint16_t port, unsigned size, bool in, uint32_t value);
/* Sets or clears a child VP's suspend register and emits vp_state. */
void sim_vp_set_suspend(SimVp *vp, SimVpState state, bool on, const char *why);
/* Reports a VM entry (with the vector injected at it, or -1). */
void sim_hv_emit_entry(SimVp *vp, int injected_vector);

/* ---- Pending interrupts -------------------------------------------------------
 * A set of requested vectors; VM entry takes the highest first, as a local
 * APIC would by priority class. Raising a vector that is already pending
 * merges with it (interrupts are edge-triggered requests, not a count). */
static inline void sim_vp_raise_vector(SimVp *vp, uint8_t vector)
{
	vp->pending[vector / 64] |= 1ull << (vector % 64);
	if ((int)vector > vp->pending_vector)
		vp->pending_vector = vector;
}

static inline bool sim_vp_vector_pending(const SimVp *vp, uint8_t vector)
{
	return vp->pending[vector / 64] & (1ull << (vector % 64));
}

/* Removes and returns the highest pending vector, or -1 if none. */
static inline int sim_vp_take_vector(SimVp *vp)
{
	int v = vp->pending_vector;
	if (v < 0)
		return -1;
	vp->pending[v / 64] &= ~(1ull << (v % 64));
	vp->pending_vector = -1;
	for (int w = SIM_VECTOR_COUNT / 64 - 1; w >= 0; w--) {
		if (vp->pending[w]) {
			vp->pending_vector = w * 64 + 63 - __builtin_clzll(vp->pending[w]);
			break;
		}
	}
	return v;
}

/* ---- Child partitions (hv-partition.c) ---------------------------------------- */
/* The next free partition id: 1, 2, 3 ... shared by runnable partitions
 * and children, so ids are unique and a deleted child's id is never reused. */
uint64_t sim_machine_alloc_partition_id(SimMachine *m);
/* Creates a child of the calling VP's partition in state CREATED and emits
 * its `child` event; NULL if the pool of SIM_CHILD_MAX children is full. */
SimChild *sim_child_create(SimVp *caller, const struct hv_input_create_partition *in);
/* The live child `id` whose parent is the caller's partition, or NULL
 * (unknown, deleted, 0, SELF, or another partition's child). */
SimChild *sim_child_find(SimVp *caller, uint64_t id);
/* Moves a child to `state` and emits the event; DELETED also frees it. */
void sim_child_set_state(SimVp *caller, SimChild *c, SimChildState state);
void sim_machine_children_free(SimMachine *m);
/* Emits a `child` event about `c` (its state unchanged) with `fmt` as text. */
void sim_child_note(SimVp *caller, const SimChild *c, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* True if root page `page` is deposited to any live child of the machine. */
bool sim_child_page_deposited(SimMachine *m, uint64_t page);
/* The host memory the child's EPT tables live in (for vmx_ept_*). */
void sim_child_ept_mem(SimChild *c, VmxEptMem *mem);
/* Maps child GPA page `gpa_page` to root page `root_page` with EPT
 * permissions `perms`; false when the arena or the map limit is full. */
bool sim_child_map_page(SimChild *c, uint64_t gpa_page, uint64_t root_page, unsigned perms);
void sim_child_unmap_page(SimChild *c, uint64_t gpa_page);
/* Drops the VPs and the GPA mappings (FinalizePartition's teardown). */
void sim_child_teardown(SimChild *c);

/* ---- Ports and connections (hv-port.c) ---------------------------------------- */
/* Frees a partition's ports and connections (NULL is fine). */
void sim_ports_free(SimPorts *ports);
/* The partition with TLFS id `id` that the machine knows (runnable or a
 * child that has not been deleted), or NULL. */
SimPartition *sim_machine_find_partition(SimMachine *m, uint64_t id);

/* ---- VMBus inspection (vmbus-inspect.c) --------------------------------------
 * Called after a successful HvPostMessage / HvSignalEvent from `sender` to
 * a port of `target`: decodes VMBus traffic between a parent and its child
 * and emits `vmbus` events. Observes only. */
void sim_vmbus_observe_post(SimVp *sender, SimPartition *target, uint32_t type, const void *payload, uint32_t size);
void sim_vmbus_observe_signal(SimVp *sender, SimPartition *target, uint32_t connection_id, unsigned flag);
void sim_vmbus_inspect_free(SimVmbusInspect *v);
/* After `vp` ran: ring writes, reads and interrupt-mask changes it made on
 * open channels, as `vmbus` events (nothing if VMBus was never used). */
void sim_vmbus_poll(SimVp *vp);

/* ---- SynIC (hv-synic.c) ------------------------------------------------------- */
/* Puts the SynIC of a new VP in its reset state (every SINT masked). */
void sim_synic_reset(SimVp *vp);
/* RDMSR/WRMSR of SCONTROL, SVERSION, SIEFP, SIMP, EOM and SINT0-15 (the
 * dispatcher in hv-exit.c routes them here). Return false for #GP. */
bool sim_synic_msr_read(SimVp *vp, uint32_t msr, uint64_t *value);
bool sim_synic_msr_write(SimVp *vp, uint32_t msr, uint64_t value);
/* Posts a message to `sint` of this VP (facts §4.2): into the SIM slot and
 * raising the SINT's vector if the slot is free, else queued. False (with a
 * `message` event saying why) if it cannot be delivered at all: SynIC
 * disabled, SIM page disabled, SINT masked, bad sint/len, or queue full. */
bool sim_synic_post(SimVp *vp, unsigned sint, uint32_t type, const void *payload, unsigned len,
                    uint64_t origin);

#endif
