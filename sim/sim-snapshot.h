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

const char *sim_snap_gpr_name(guint i);  /* "RAX", "RCX", ... "R15" */

/* The exit-information fields of a VP's VMCS, as its last VM exit left them. */
typedef struct SimSnapVmcs {
	bool valid;                  /* the VP has a VMCS (its partition runs under the hypervisor) */
	uint32_t exit_reason;        /* VM_EXIT_REASON: bits 15:0 are the basic reason */
	uint64_t exit_qualification;
	uint64_t guest_rip;          /* where the exit happened */
	uint32_t insn_len;           /* VM_EXIT_INSTRUCTION_LEN */
	uint32_t intr_info;          /* VM_EXIT_INTR_INFO */
	uint8_t code[SIM_SNAP_CODE_BYTES]; /* guest memory at guest_rip (identity-mapped guests) */
	uint8_t code_len;            /* 0 if unreadable */
} SimSnapVmcs;

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
	uint8_t code[SIM_SNAP_CODE_BYTES]; /* guest memory at rip (identity-mapped guests) */
	uint8_t code_len;            /* 0 if unreadable */
	SimSnapVmcs vmcs;
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
} SimSnapshot;

/* Copies what the picture needs. Sim thread (or from an event subscriber,
 * which runs on it). Never NULL. */
SimSnapshot *sim_snapshot_take(SimMachine *m);
void sim_snapshot_free(SimSnapshot *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimSnapshot, sim_snapshot_free)

/* The partition with that id, or NULL. */
const SimSnapPartition *sim_snapshot_partition(const SimSnapshot *s, uint32_t id);

/* "IF ZF CF ...": the RFLAGS bits set, named, into buf. */
void sim_snap_rflags_describe(uint64_t rflags, char *buf, gsize len);

/* Disassembles up to max_insns instructions (Capstone, Intel syntax) of
 * `code`, taken at guest address `addr`, one line each:
 * "0x0000000000100a2c  e6 f8     out 0xf8, al". Any thread. Returns a new
 * string, "" when nothing decodes. */
char *sim_snap_disasm(const uint8_t *code, gsize len, uint64_t addr, SimSnapCpuMode mode, guint max_insns);

/* To be provided by vmbus-inspect.c (not implemented yet; the snapshot's
 * channel list stays empty until it is): copies up to `max` channels the
 * inspector knows into `out` — child id, relid, open, and for each ring
 * (SIM_SNAP_RING_TO_PARENT/_TO_CHILD) the write and read index from its
 * control page and its data size ((pages - 1) * 4096) — and returns how
 * many it wrote. Reads guest memory through the checked accessors only. */
guint sim_vmbus_snapshot_channels(SimMachine *m, SimSnapChannel *out, guint max);

G_END_DECLS

#endif /* HVSIM_SIM_SNAPSHOT_H */
