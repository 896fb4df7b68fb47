/* sim-snapshot.h — a self-contained, plain-data copy of the machine state
 * the architecture picture needs. Taken on the sim thread; once taken it
 * holds no pointer into the machine, so it can be handed to another thread
 * (the GUI's) and read there while the machine runs on. No GTK. */
#ifndef HVSIM_SIM_SNAPSHOT_H
#define HVSIM_SIM_SNAPSHOT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim-machine.h"

G_BEGIN_DECLS

/* ---- Symbols ------------------------------------------------------------------
 * The function symbols of a guest image (its ELF .symtab), sorted by
 * address: built once per image when the machine loads it, then shared by
 * every snapshot (refcounted, never changed), so looking an address up on
 * the GUI thread touches no machine state. */
typedef struct SimSymtab SimSymtab;

/* Builds the table from an ELF64 image; NULL if it has no usable symbols.
 * The image is hostile input: every offset and length is checked. */
SimSymtab *sim_symtab_new_from_elf(const guint8 *image, gsize len);
SimSymtab *sim_symtab_ref(SimSymtab *t);
void sim_symtab_unref(SimSymtab *t);
guint sim_symtab_count(const SimSymtab *t);
/* The symbol containing `addr` (or the nearest one below it, within its
 * size or, for size-0 assembly labels, SIM_SYMTAB_LABEL_REACH bytes) and the
 * offset into it; NULL if none. Any thread. */
#define SIM_SYMTAB_LABEL_REACH 0x1000u
const char *sim_symtab_lookup(const SimSymtab *t, uint64_t addr, uint64_t *offset);
/* The address of symbol `name`; false if the table has none by that name.
 * (Several by that name, e.g. static objects of several files: the lowest.) */
bool sim_symtab_address(const SimSymtab *t, const char *name, uint64_t *addr);
/* How many symbols of the table are named `name` (at distinct addresses),
 * their first `max` addresses, lowest first, into `addrs`. Any thread. */
guint sim_symtab_addresses(const SimSymtab *t, const char *name, uint64_t *addrs, guint max);
/* The size of the largest symbol that starts at `addr` (0: none, or only
 * size-0 assembly labels there). Any thread. */
uint64_t sim_symtab_size_at(const SimSymtab *t, uint64_t addr);
/* "func+0x12" (or "func" at offset 0) into buf; false (buf "") if none. */
bool sim_symtab_describe(const SimSymtab *t, uint64_t addr, char *buf, gsize len);

/* ---- What a snapshot holds beyond the picture's needs ---------------------------
 * The runner takes a snapshot after every batch while the machine runs, so
 * the default snapshot copies only fixed-size state. Heavy parts are copied
 * only when a request asks (the GUI asks for what its visible panel shows). */
typedef enum SimSnapDetail {
	SIM_SNAP_DETAIL_CONSOLES = 1u << 0,  /* each partition's whole console */
	SIM_SNAP_DETAIL_GPA_MAP  = 1u << 1,  /* children's GPA -> parent-GPA runs */
	SIM_SNAP_DETAIL_MEMORY   = 1u << 2,  /* the bytes of one GPA range (hex view) */
} SimSnapDetail;

#define SIM_SNAP_MEMORY_MAX 4096u   /* bytes a hex-view request may ask for */

typedef struct SimSnapRequest {
	guint detail;                /* SimSnapDetail bits */
	uint32_t mem_partition;      /* DETAIL_MEMORY: whose guest-physical memory */
	uint64_t mem_gpa;
	uint32_t mem_len;            /* clamped to SIM_SNAP_MEMORY_MAX */
} SimSnapRequest;

/* One run of a child's GPA map: `pages` consecutive child pages from
 * `gpa` onto consecutive parent pages from `spa` (the child's "system"
 * addresses are its parent's GPAs: the parent is identity-mapped onto the
 * machine's RAM), all with the same EPT permissions. */
typedef struct SimSnapGpaRun {
	uint64_t gpa;
	uint64_t spa;
	uint64_t pages;
	uint8_t perms;               /* VMX_EPT_READ | WRITE | EXEC bits */
} SimSnapGpaRun;

/* The hex view's bytes, or why there are none. */
typedef struct SimSnapMemory {
	bool asked;
	uint32_t partition;
	uint64_t gpa;
	uint32_t len;                /* bytes in `bytes` (0 on error) */
	guint8 *bytes;
	char *error;                 /* NULL, or what was wrong with the request */
} SimSnapMemory;

/* What a partition is in the picture. */
typedef enum SimSnapRole {
	SIM_SNAP_ROLE_ROOT,   /* the OS that booted (and late-launched the hypervisor): the parent partition */
	SIM_SNAP_ROLE_CHILD,  /* created by a parent through the hypercall interface */
	SIM_SNAP_ROLE_GUEST,  /* loaded by the simulator under an already running hypervisor */
} SimSnapRole;

const char *sim_snap_role_name(SimSnapRole role);  /* "root", "child", "guest" */

/* The processor mode a VP's registers say it is in (CR0.PE, EFER.LMA). */
typedef enum SimSnapCpuMode {
	SIM_SNAP_MODE_REAL,
	SIM_SNAP_MODE_PROTECTED,
	SIM_SNAP_MODE_LONG,
} SimSnapCpuMode;

const char *sim_snap_mode_name(SimSnapCpuMode mode);  /* "real", "protected", "long (64-bit)" */

#define SIM_SNAP_GPRS       16u   /* RAX..R15, in the order of sim_snap_gpr_name */
#define SIM_SNAP_CODE_BYTES 16u   /* the longest x86 instruction is 15 bytes */
#define SIM_SNAP_WINDOW_BEFORE 256u /* bytes of code before RIP in the listing window (most functions start there) */
#define SIM_SNAP_WINDOW_BYTES 384u  /* the whole window around RIP */

const char *sim_snap_gpr_name(guint i);  /* "RAX", "RCX", ... "R15" */

/* A VP's VMCS as the model holds it ("modelled VMCS"): the exit
 * information its last VM exit left (vmx_exit_record: reason,
 * qualification, length, addresses, interruption info and GUEST_RIP), the
 * guest-state fields (saved at every VM exit, as the processor saves them;
 * EFER lives there all the time; between exits the engine holds the live
 * registers, SimSnapVp has those) and
 * the controls sim_hv_setup_vmcs() wrote. Fields the model never writes are
 * not copied: the GUI shows only what is here. */
typedef struct SimSnapVmcs {
	bool valid;                  /* the VP has a VMCS (its partition runs under the hypervisor) */
	/* Exit information. */
	uint32_t exit_reason;        /* VM_EXIT_REASON: bits 15:0 are the basic reason */
	uint64_t exit_qualification;
	uint64_t guest_rip;          /* where the exit happened */
	uint32_t insn_len;           /* VM_EXIT_INSTRUCTION_LEN */
	uint32_t intr_info;          /* VM_EXIT_INTR_INFO */
	uint64_t exit_gpa;           /* GUEST_PHYSICAL_ADDRESS (EPT violations) */
	uint64_t exit_linear;        /* GUEST_LINEAR_ADDRESS */
	uint8_t code[SIM_SNAP_CODE_BYTES]; /* guest memory at guest_rip (read as SimSnapVp.code) */
	uint8_t code_len;            /* 0 if unreadable */
	bool code_paged;
	/* Guest-state area. */
	uint64_t g_cr0, g_cr3, g_cr4, g_efer;
	uint64_t g_rip, g_rsp, g_rflags;
	uint16_t g_cs, g_ss;
	/* Execution, exit and entry controls. */
	uint32_t pin_based;          /* PIN_BASED_VM_EXEC_CONTROL (VMX_PIN_*) */
	uint32_t proc_based;         /* CPU_BASED_VM_EXEC_CONTROL (VMX_PROC_*) */
	uint32_t proc_based2;        /* SECONDARY_VM_EXEC_CONTROL (VMX_PROC2_*) */
	uint32_t exit_controls;      /* VM_EXIT_CONTROLS (VMX_EXIT_CTL_*) */
	uint32_t entry_controls;     /* VM_ENTRY_CONTROLS (VMX_ENTRY_CTL_*) */
	uint32_t exception_bitmap;
	uint16_t vpid;               /* VIRTUAL_PROCESSOR_ID */
	uint64_t ept_pointer;        /* EPT_POINTER as the VMCS holds it (the model keeps a child's EPTP in its bookkeeping: slat_eptp) */
	uint32_t io_ports_exiting;   /* ports whose I/O-bitmap bit is set (of 65536) */
	bool msr_efer_exits;         /* the MSR bitmap intercepts IA32_EFER (the model's one architectural MSR exit) */
} SimSnapVmcs;

/* A VP's synthetic interrupt controller (hv-synic.c) as the guest
 * programmed it, and what waits in the hypervisor for each SINT. */
#define SIM_SNAP_SINTS 16u

typedef struct SimSnapSynic {
	uint64_t scontrol;           /* HV_X64_MSR_SCONTROL: bit 0 enables the SynIC */
	uint64_t simp;               /* HV_X64_MSR_SIMP: message page GPA | enable */
	uint64_t siefp;              /* HV_X64_MSR_SIEFP: event-flags page GPA | enable */
	uint64_t sint[SIM_SNAP_SINTS]; /* HV_X64_MSR_SINTx: vector 7:0, masked bit 16 */
	uint8_t queued[SIM_SNAP_SINTS];   /* messages the hypervisor holds back (slot busy) */
	uint32_t slot_type[SIM_SNAP_SINTS]; /* message type in the SIM page's slot (0 = free), if readable */
} SimSnapSynic;

typedef struct SimSnapVp {
	uint32_t index;
	uint8_t cpl;                 /* CS.RPL: 0 kernel, 3 user */
	uint64_t rip;
	uint64_t insns;              /* instructions retired */
	bool started;
	bool halted;
	bool explicit_suspend;       /* the parent holds it (child VPs) */
	bool intercept_suspend;      /* waiting for the parent to handle an intercept */
	/* Registers as the backend holds them (zero while boot is pending). */
	uint64_t gpr[SIM_SNAP_GPRS];
	uint64_t rflags;
	uint16_t cs, ss;
	uint64_t cr0, cr3, cr4, efer;
	SimSnapCpuMode mode;
	uint64_t rsp;                /* = gpr[4] */
	/* Memory at rip: through the VP's page tables as the CPU fetches
	 * (rings/ ring_read_linear; code_paged true), or where they do not
	 * map it at GPA = linear, as the emulated backend fetches (Unicorn
	 * 2.0.1 ignores guest page tables; code_paged false). */
	uint8_t code[SIM_SNAP_CODE_BYTES];
	uint8_t code_len;            /* 0 if unreadable */
	bool code_paged;
	/* The code around RIP for the disassembly listing: up to
	 * SIM_SNAP_WINDOW_BYTES from window_start (a linear address at or
	 * before rip), read the same way as `code`; window_len 0 if unreadable. */
	uint64_t window_start;
	uint8_t window[SIM_SNAP_WINDOW_BYTES];
	uint16_t window_len;
	SimSnapVmcs vmcs;
	SimSnapSynic synic;
} SimSnapVp;

typedef struct SimSnapPartition {
	uint32_t id;
	uint32_t parent_id;          /* 0 for a partition the simulator loaded */
	char *name;
	SimSnapRole role;
	bool hv_active;              /* runs under the hypervisor (false before late launch) */
	bool running;
	bool stopped;
	bool stop_clean;
	bool deleted;                /* a child its parent deleted (kept for the summary) */
	char *stop_reason;           /* NULL while it runs */
	uint64_t insns;
	uint64_t memory_bytes;       /* its guest-physical RAM (flat RAM or the mapped view) */
	char *console_last;          /* the last console line ("" if none) */
	SimSnapVp *vps;
	guint n_vps;
	/* The symbols of the image it runs (shared, read-only; NULL if the
	 * image has no symbol table). A child's is the child image the
	 * worker loads at the ELF's own addresses. */
	SimSymtab *symtab;
	/* Details, only when the request asked for them (else NULL / 0). */
	char *console;               /* SIM_SNAP_DETAIL_CONSOLES: everything it printed */
	bool identity_mapped;        /* a partition the simulator loaded: GPA = SPA over flat RAM */
	uint64_t slat_eptp;          /* a child's EPTP (the hypervisor's bookkeeping; 0 = no map yet) */
	SimSnapGpaRun *gpa_runs;     /* SIM_SNAP_DETAIL_GPA_MAP: a child's map, by GPA */
	guint n_gpa_runs;
} SimSnapPartition;

/* One VMBus channel as the simulator's inspector sees it from outside.
 * Ring 0 is child -> parent, ring 1 parent -> child. */
#define SIM_SNAP_RING_TO_PARENT 0
#define SIM_SNAP_RING_TO_CHILD  1

#define SIM_SNAP_CHANNELS_MAX 32u  /* channels a snapshot holds */

typedef struct SimSnapChannel {
	uint32_t child_id;
	uint32_t relid;
	bool open;
	uint32_t write_index[2];
	uint32_t read_index[2];
	uint32_t data_size[2];       /* bytes in the ring's data area (0 = unknown) */
	char type_name[24];          /* the offer's device class: "storage (SCSI)", ... */
} SimSnapChannel;

typedef enum SimSnapDeviceKind {
	SIM_SNAP_DEV_UART,
	SIM_SNAP_DEV_DISK,
	SIM_SNAP_DEV_TIMER,
	SIM_SNAP_DEV_POWER,
} SimSnapDeviceKind;

/* A platform device of the hardware row. */
typedef struct SimSnapDevice {
	SimSnapDeviceKind kind;
	char name[32];               /* "uart16550", "ata", ... */
	uint32_t partition;          /* the partition whose hardware it is */
	uint16_t port_first, port_last; /* 0, 0 for devices without ports */
	uint64_t size_bytes;         /* disk capacity; 0 otherwise */
} SimSnapDevice;

typedef struct SimSnapshot {
	SimVendor vendor;
	char vendor_name[16];        /* "intel" / "amd" */
	char hypervisor[16];         /* "hvix64" / "hvax64" */
	bool has_virtualization;     /* the CPU model offers VT-x / AMD-V */
	bool hv_launched;            /* some partition runs under the hypervisor */
	uint64_t insns;              /* the machine's retired instructions */
	uint64_t vtime;              /* virtual ns */
	uint64_t event_seq;          /* the last event emitted before the snapshot */
	SimSnapPartition *partitions;
	guint n_partitions;
	SimSnapChannel *channels;
	guint n_channels;
	SimSnapDevice *devices;
	guint n_devices;
	guint detail;                /* the SimSnapDetail bits it was taken with */
	SimSnapMemory memory;        /* SIM_SNAP_DETAIL_MEMORY */
} SimSnapshot;

/* Copies what the picture and the panels need (no details). Sim thread (or
 * from an event subscriber, which runs on it). Never NULL. */
SimSnapshot *sim_snapshot_take(SimMachine *m);
/* The same, plus the details `req` asks for (NULL = none). */
SimSnapshot *sim_snapshot_take_detail(SimMachine *m, const SimSnapRequest *req);
void sim_snapshot_free(SimSnapshot *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimSnapshot, sim_snapshot_free)

/* The partition with that id, or NULL. */
const SimSnapPartition *sim_snapshot_partition(const SimSnapshot *s, uint32_t id);

/* The VP `index` of partition `id`, or NULL. */
const SimSnapVp *sim_snapshot_vp(const SimSnapshot *s, uint32_t id, guint index, const SimSnapPartition **part);

/* "IF ZF CF ...": the RFLAGS bits set, named, into buf. */
void sim_snap_rflags_describe(uint64_t rflags, char *buf, gsize len);

/* Disassembles up to max_insns instructions (Capstone, Intel syntax) of
 * `code`, taken at guest address `addr`, one line each:
 * "0x0000000000100a2c  e6 f8     out 0xf8, al". Any thread. Returns a new
 * string, "" when nothing decodes. */
char *sim_snap_disasm(const uint8_t *code, gsize len, uint64_t addr, SimSnapCpuMode mode, guint max_insns);
/* The first instruction of `code` alone, "mnemonic operands" ("out 0xf8,
 * al"), into buf. FALSE, buf empty, when it does not decode. Any thread. */
bool sim_snap_disasm_one(const uint8_t *code, gsize len, uint64_t addr, SimSnapCpuMode mode, char *buf, gsize buf_len);

/* Provided by vmbus-inspect.c: copies up to `max` channels the
 * inspector knows into `out` — child id, relid, open, and for each ring
 * (SIM_SNAP_RING_TO_PARENT/_TO_CHILD) the write and read index from its
 * control page and its data size ((pages - 1) * 4096), the offer's
 * device class — and returns how
 * many it wrote. Reads guest memory through the checked accessors only. */
guint sim_vmbus_snapshot_channels(SimMachine *m, SimSnapChannel *out, guint max);

G_END_DECLS

#endif /* HVSIM_SIM_SNAPSHOT_H */
