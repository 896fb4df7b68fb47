/* sim-machine.h — public API of the machine: create it, load a partition,
 * run it, read its summary. Runs on the sim thread (the CLI's main thread,
 * later the GUI's worker thread). No GTK. */
#ifndef HVSIM_SIM_MACHINE_H
#define HVSIM_SIM_MACHINE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim-event.h"
#include "sim-profile.h"

G_BEGIN_DECLS

typedef enum SimVendor {
	SIM_VENDOR_INTEL, /* VT-x: hvix64, VMCALL in the hypercall page */
	SIM_VENDOR_AMD,   /* AMD-V: hvax64, VMMCALL in the hypercall page */
} SimVendor;

/* Which CPU backend runs guest code (docs/native.md). */
typedef enum SimBackendKind {
	SIM_BACKEND_EMULATED = 0, /* Unicorn: deterministic, every ring transition visible (the default) */
	SIM_BACKEND_KVM,          /* Linux KVM (VT-x / AMD-V); falls back to EMULATED if the probe fails */
} SimBackendKind;

typedef struct SimConfig {
	SimVendor vendor;
	SimBackendKind backend; /* asked for; sim_machine_backend_native() says what runs */
	/* Natively: the guests' clock runs at host time / this (0 or 1: real
	 * time). For a nested KVM on an emulated CPU (docs/native.md#time). */
	uint32_t native_time_scale;
	uint64_t max_insns;     /* stop the machine after this many guest instructions (0 = default) */
	uint64_t memory_size;   /* bytes of RAM per partition (0 = default) */
	uint64_t workload;      /* boot-info parameter for the ring 3 compute loop */
	uint64_t hypercall_loops; /* boot-info parameter for the hypercall benchmark */
	gboolean quiet_guest;   /* boot-info flag: guests print little */
	uint64_t stuck_slices;  /* identical-state slices before "stuck" (0 = default) */
	gboolean late_launch;   /* power on with no hypervisor; the guest's hvboot launches it */
	gboolean bad_input;     /* boot-info flag BAD_INPUT: the kernel tests bad hypercalls */
	gboolean no_virtualization; /* the CPU model lacks VT-x / AMD-V (hvboot must refuse) */
	const SimProfile *profile; /* product limits (sim-profile.h); NULL = none */
	/* The child OS image the loader puts in a late-launched parent's RAM
	 * for its worker process (boot info child_image_*); NULL = none. The
	 * bytes must outlive the machine's set-up (they are copied). */
	const guint8 *child_image;
	gsize child_image_len;
	const char *child_image_name;
	gboolean child_triple_fault; /* boot info child_flags: the child triple-faults on purpose */
	/* More HVSIM_BOOT_FLAG_* bits the worker passes its child (scenarios
	 * with a child only), e.g. HVSIM_BOOT_FLAG_STORVSC_HOSTILE: the
	 * lessons' hostile-child setting. */
	uint32_t child_extra_flags;
	/* Ports io_passthrough_first..last have their I/O bitmap bits clear in
	 * the partitions the simulator loads (never in children): IN/OUT on
	 * them reach the partition's device without a VM exit. The lessons'
	 * io-passthrough setting. */
	gboolean io_passthrough;
	uint16_t io_passthrough_first, io_passthrough_last;
} SimConfig;

#define SIM_DEFAULT_MEMORY_SIZE (16ull << 20)
#define SIM_MIN_MEMORY_SIZE     (1ull << 20)
#define SIM_MAX_MEMORY_SIZE     (1ull << 30)
#define SIM_DEFAULT_MAX_INSNS   20000000000ull
#define SIM_SLICE_INSNS         UINT64_C(200000)   /* deterministic time slice */
/* Natively (SIM_BACKEND_KVM) the instruction counter holds measured
 * nanoseconds: the default limit is 300 s of guest running time, room for
 * a nested KVM on an emulated CPU, where one exit costs ~60 us. */
#define SIM_NATIVE_DEFAULT_LIMIT_NS 300000000000ull
/* --time-scale at most this: beyond it a guest's 1 ms would be minutes. */
#define SIM_NATIVE_MAX_TIME_SCALE 10000u

typedef struct SimMachine SimMachine;
typedef struct SimPartition SimPartition;

/* How a run ended. */
typedef enum SimOutcome {
	SIM_OUTCOME_SHUTDOWN,      /* every partition powered off cleanly */
	SIM_OUTCOME_GUEST_ERROR,   /* a partition stopped on a guest error (triple fault, ...) */
	SIM_OUTCOME_LIMIT,         /* --max-insns reached */
	SIM_OUTCOME_STUCK,         /* guest made no progress */
	SIM_OUTCOME_HOST_ERROR,    /* the simulator itself failed */
} SimOutcome;

SimMachine *sim_machine_new(const SimConfig *config, GError **error);
void sim_machine_free(SimMachine *m);

SimEventBus *sim_machine_events(SimMachine *m);
const SimConfig *sim_machine_config(const SimMachine *m);
const char *sim_vendor_name(SimVendor v);       /* "intel" / "amd" */
const char *sim_vendor_hypervisor(SimVendor v); /* "hvix64" / "hvax64" */

/* Creates a partition with one VP and loads an ELF image into it.
 * `image_name` names the file or scenario in messages. With a profile in
 * the config, first refuses (SIM_PROFILE_ERROR) memory above the product's
 * per-VM limit and guest architectures the product does not run. */
SimPartition *sim_machine_add_partition(SimMachine *m, const char *name,
                                        const guint8 *image, gsize image_len,
                                        const char *image_name, GError **error);

/* Runs until every partition has stopped or a limit is hit (starts the
 * machine first if sim_machine_start has not run; after some steps it runs
 * on from where they left off). */
SimOutcome sim_machine_run(SimMachine *m);

/* Stepping, for the GUI and lessons. The scheduler is the same one
 * sim_machine_run uses, and a step may end anywhere — between scheduler
 * rounds (sim_machine_step) or at any instruction boundary, even inside a
 * VP's time slice (sim_machine_step_precise): the machine keeps its place
 * in the round and in the slice, and the next step, or sim_machine_run,
 * continues from there exactly as an uninterrupted run would. So a run
 * taken in steps of any kind emits exactly the event stream of one whole
 * run (tests/sim/test-step.c). */
typedef enum SimStepStop {
	SIM_STEP_STOP_NONE,       /* only the instruction budget (or the end) stops a step */
	SIM_STEP_STOP_VM_EXIT,    /* a round in which any VM exit happened */
	SIM_STEP_STOP_HYPERCALL,
	SIM_STEP_STOP_INTERCEPT,
	SIM_STEP_STOP_VMBUS,
	SIM_STEP_STOP_CONSOLE,    /* a guest printed a console line */
	SIM_STEP_STOP_RING,       /* a privilege-level transition inside a guest */
	SIM_STEP_STOP_INTERRUPT,  /* an interrupt injected at VM entry */
} SimStepStop;

/* Whether `ev` is of the kind `stop_on` names. */
bool sim_step_stop_matches(SimStepStop stop_on, const SimEvent *ev);

/* Starts every loaded partition (what sim_machine_run does before its
 * loop). Call once; returns the provisional outcome (SHUTDOWN). */
SimOutcome sim_machine_start(SimMachine *m);

/* Runs until the end of the scheduler round in which at least `max_insns`
 * more guest instructions retired (0: no instruction budget), or a round
 * emitted an event of the kind `stop_on` names, or the machine ended. A
 * round gives each runnable VP one slice (up to SIM_SLICE_INSNS), so a
 * step may retire more than asked. Returns false once the machine has
 * ended (the outcome and its message are then final); starts the machine
 * if needed. */
bool sim_machine_step(SimMachine *m, uint64_t max_insns, SimStepStop stop_on);

/* Decides whether a precise step stops after this event (any thread-free
 * predicate over the event). */
typedef bool (*SimStepMatchFunc)(const SimEvent *ev, gpointer user_data);

/* Runs until exactly `max_insns` more guest instructions retired (0: no
 * budget), or an event `match` accepts was emitted (NULL: none), or the
 * machine ended. It stops at an instruction boundary: with a budget, right
 * before the instruction that would exceed it; after an event, at the next
 * boundary the emulator reaches, which is the instruction right after it
 * for every event that ends a translated block (VM exits, hypercalls,
 * interrupts, exceptions, ring transitions) and the end of the current
 * basic block for an event raised in its middle (passed-through port I/O,
 * CPUID); events emitted by the scheduler between slices (timers, VMBus
 * polling) stop before the next slice. Returns false once the machine
 * has ended. */
bool sim_machine_step_precise(SimMachine *m, uint64_t max_insns, SimStepMatchFunc match, gpointer user_data);

/* A breakpoint on a guest address: precise steps (and nothing else) stop
 * right before a VP of `partition` executes the instruction at `rip` (a
 * guest-linear address, as RIP). Resuming from there executes it. */
typedef struct SimAddrBreakpoint {
	uint32_t partition;
	uint64_t rip;
} SimAddrBreakpoint;

/* Replaces the address breakpoints (copied; n may be 0). */
void sim_machine_set_breakpoints(SimMachine *m, const SimAddrBreakpoint *bps, guint n);
/* Whether the last precise step stopped at an address breakpoint, and which. */
bool sim_machine_breakpoint_hit(const SimMachine *m, SimAddrBreakpoint *hit);

/* Whether the machine stands inside a scheduler round (after a precise
 * step), rather than between two. */
bool sim_machine_in_round(const SimMachine *m);

/* Whether the scheduler has finished, and how (valid once ended). */
bool sim_machine_ended(const SimMachine *m);
SimOutcome sim_machine_outcome(const SimMachine *m);

/* One line describing why the run ended (valid after sim_machine_run). */
const char *sim_machine_outcome_message(const SimMachine *m);
uint64_t sim_machine_insns(const SimMachine *m);
uint64_t sim_machine_vtime(const SimMachine *m);

/* The backend the machine runs on: TRUE for KVM. When KVM was asked for
 * but its capability probe failed, the machine runs emulated and
 * sim_machine_backend_fallback() says why (NULL otherwise). */
gboolean sim_machine_backend_native(const SimMachine *m);
const char *sim_machine_backend_fallback(const SimMachine *m);
const char *sim_backend_kind_name(SimBackendKind k); /* "emulated" / "kvm" */

/* Partition queries (for summaries, tests and inspectors). */
guint sim_machine_n_partitions(const SimMachine *m);
SimPartition *sim_machine_partition(SimMachine *m, guint index);
const char *sim_partition_name(const SimPartition *p);
uint32_t sim_partition_id(const SimPartition *p);
const char *sim_partition_console(const SimPartition *p); /* everything printed so far */
/* Instructions its VPs retired, including VPs already deleted. */
uint64_t sim_partition_insns(const SimPartition *p);
/* The partition that created it (0 for one the simulator loaded). */
uint32_t sim_partition_parent(const SimPartition *p);
/* Why it stopped (NULL while it runs) and whether that was orderly. */
const char *sim_partition_stop_reason(const SimPartition *p);
gboolean sim_partition_stopped_cleanly(const SimPartition *p);

G_END_DECLS

#endif
