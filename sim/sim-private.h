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

#include "sim-machine.h"
#include "vmx.h"

typedef struct SimVp SimVp;
typedef struct SimDevice SimDevice;

/* ---- Guest-physical memory ------------------------------------------------ */
typedef struct SimMemory {
	guint8 *host;     /* page-aligned host mapping of the whole GPA space */
	uint64_t size;    /* bytes; GPAs [0, size) are RAM */
} SimMemory;

bool sim_memory_init(SimMemory *mem, uint64_t size, GError **error);
void sim_memory_fini(SimMemory *mem);
/* Bounds-checked accessors: false (and nothing copied) if any byte of
 * [gpa, gpa+len) lies outside RAM. The length may be guest-controlled. */
bool sim_memory_read(const SimMemory *mem, uint64_t gpa, void *buf, uint64_t len);
bool sim_memory_write(SimMemory *mem, uint64_t gpa, const void *buf, uint64_t len);
bool sim_memory_range_ok(const SimMemory *mem, uint64_t gpa, uint64_t len);

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
} SimRunResult;

typedef struct SimBackendOps {
	const char *name;
	bool (*vp_init)(SimVp *vp, GError **error);
	void (*vp_fini)(SimVp *vp);
	bool (*vp_set_boot_state)(SimVp *vp, const SimBootState *st, GError **error);
	uint64_t (*reg_get)(SimVp *vp, SimReg reg);
	void (*reg_set)(SimVp *vp, SimReg reg, uint64_t value);
	/* Several general registers (RAX..R15, RIP, RFLAGS, CS, SS) at once:
	 * exit handlers read their operands this way. */
	void (*regs_get)(SimVp *vp, const SimReg *regs, uint64_t *values, unsigned n);
	/* Runs the VP until its instruction count reaches `until_insns` or an
	 * exit stops it. Exits are handed to sim_hv_handle_exit(). */
	SimRunResult (*vp_run)(SimVp *vp, uint64_t until_insns);
	/* Delivers an event through the guest IDT at the next entry. */
	bool (*vp_deliver_interrupt)(SimVp *vp, uint8_t vector);
	/* The partition's hypercall page content changed (bytes at gpa). */
	void (*hypercall_page_changed)(SimVp *vp, uint64_t gpa, bool enabled);
} SimBackendOps;

extern const SimBackendOps sim_backend_unicorn;

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

/* ---- Virtual processor ------------------------------------------------------ */
typedef struct SimStimer {
	uint64_t config;
	uint64_t count;     /* as the guest wrote it: absolute time (one-shot) or period (periodic), 100 ns units */
	uint64_t expiry;    /* next expiry, absolute, 100 ns units (valid while armed) */
	bool armed;
} SimStimer;

struct SimVp {
	SimPartition *partition;
	uint32_t index;
	VmxVmcs *vmcs;             /* this VP's VMCS: controls, bitmaps, exit info */
	uint64_t insns;            /* guest instructions retired (deterministic) */
	uint64_t extra_ns;         /* modelled exit costs and idle time, virtual ns */
	bool halted;               /* in HLT, waiting for an interrupt */
	bool entry_due;            /* the HLT exit's VM entry has not been reported yet */
	bool started;
	int pending_vector;        /* -1 or an interrupt waiting for the guest */
	SimStimer stimer0;
	uint64_t tpr;              /* HV_X64_MSR_TPR as last written */
	void *backend;             /* backend's per-VP state */
	/* Stuck detection: a hash of the architectural state at slice ends. */
	uint64_t last_state_hash;
	uint64_t same_state_slices;
};

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
	guint8 hcpage_saved[4096]; /* RAM hidden under the hypercall overlay */
	bool hcpage_active;
	uint64_t hcpage_gpa;
	GString *console;          /* everything the guest printed */
	GString *console_line;     /* the line being assembled */
	bool running;
	bool stopped;
	bool stop_clean;
	int stop_status;
	char *stop_reason;
	uint64_t privileges;       /* HV_PRIV_* mask: EBX << 32 | EAX of 0x40000003 */
};

/* ---- Machine ---------------------------------------------------------------- */
struct SimMachine {
	SimConfig config;
	SimEventBus *events;
	GPtrArray *partitions;     /* of SimPartition* */
	const SimBackendOps *backend;
	SimOutcome outcome;
	char *outcome_message;
	uint64_t total_insns;
};

/* ---- Hypervisor (hv-*.c) ---------------------------------------------------- */
/* The single exit dispatcher: a switch over the basic exit reason. */
SimExitAction sim_hv_handle_exit(SimVp *vp, SimExit *exit);
/* Modelled cost of one exit + entry round trip in virtual ns. */
#define SIM_COST_WORLD_SWITCH_NS 800u
#define SIM_COST_INSN_NS 1u

/* Event helpers: fill partition, vp, vtime and emit. */
void sim_vp_emit(SimVp *vp, SimEvent *ev);
void sim_vp_message(SimVp *vp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Stops the partition with a reason; clean = orderly power-off. */
void sim_partition_stop(SimPartition *p, bool clean, int status, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);
/* Guest console output from a device. */
void sim_partition_console_putc(SimPartition *p, SimVp *vp, char c);
void sim_partition_console_flush(SimPartition *p, SimVp *vp);

/* Virtual time of a VP: retired instructions at the modelled 1 ns each,
 * plus modelled world-switch costs and time spent idle in HLT. */
static inline uint64_t sim_vp_vtime(const SimVp *vp)
{
	return vp->insns * SIM_COST_INSN_NS + vp->extra_ns;
}

/* Hypervisor pieces used by the machine (hv-exit.c). */
void sim_hv_setup_vmcs(SimVp *vp);
void sim_hv_cpuid(SimVp *vp, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
void sim_vp_hv_timer_check(SimVp *vp);
uint64_t sim_vp_time_ref_count(const SimVp *vp);
/* The instruction count at which the VP's armed timer fires (UINT64_MAX if none). */
uint64_t sim_vp_timer_deadline(SimVp *vp);
/* Reports a VM entry (with the vector injected at it, or -1). */
void sim_hv_emit_entry(SimVp *vp, int injected_vector);

#endif
