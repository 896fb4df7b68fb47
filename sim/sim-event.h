/* sim-event.h — the typed event stream every consumer of the machine reads.
 * Runs on the sim thread: events are produced synchronously by the machine
 * and handed to subscribers (statistics, trace writer, later the GUI queue
 * and the lesson engine) in order. No GTK here. */
#ifndef HVSIM_SIM_EVENT_H
#define HVSIM_SIM_EVENT_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Marks a function on the path every VM exit takes (backend exit handling,
 * the hypervisor's dispatcher, event emission). The compiler puts such
 * functions together (.text.hot), so one exit runs through a few pages of
 * code instead of one page per source file: under a nested KVM on an
 * emulated CPU each page a round trip touches costs noticeably. */
#define SIM_HOT __attribute__((hot))
/* Marks what that path calls only when something goes wrong (a partition
 * stopped, a message for the user): the compiler moves the blocks that
 * call it out of the hot functions (.text.unlikely), so what runs on every
 * exit stays on as few pages as it can. Why pages matter: docs/native.md,
 * "Where an exit's time goes". */
#define SIM_COLD __attribute__((cold))

typedef enum SimEventType {
	SIM_EV_PARTITION_START,  /* a partition's first VP is about to run */
	SIM_EV_PARTITION_STOP,   /* the partition stopped (clean or not) */
	SIM_EV_VP_START,
	SIM_EV_RING,             /* a privilege-level transition inside the guest */
	SIM_EV_VM_EXIT,          /* guest -> ring -1 */
	SIM_EV_VM_ENTRY,         /* ring -1 -> guest */
	SIM_EV_CPUID,
	SIM_EV_MSR,
	SIM_EV_HYPERCALL,
	SIM_EV_HYPERCALL_PAGE,   /* the hypercall page was (re)written */
	SIM_EV_PORT_IO,
	SIM_EV_CONSOLE,          /* one line of guest console output */
	SIM_EV_FAULT,            /* an exception raised inside the guest */
	SIM_EV_INTERRUPT,        /* an interrupt injected at VM entry */
	SIM_EV_HALT,             /* a VP idles in HLT until an interrupt */
	SIM_EV_TIMER,            /* a synthetic timer expired */
	SIM_EV_MESSAGE,          /* a hypervisor diagnostic about a partition */
	SIM_EV_SYNIC_MESSAGE,    /* a SynIC message went into a SIM slot or was queued */
	SIM_EV_BOOT,             /* a stage of boot and late launch (text: what happened) */
	SIM_EV_CHILD,            /* a child partition changed life-cycle state (text: what happened) */
	SIM_EV_INTERCEPT,        /* the hypervisor sent a child's intercept to its parent (text: what) */
	SIM_EV_VP_STATE,         /* a child VP was suspended or resumed (text: why) */
	SIM_EV_VMBUS,            /* a VMBus message or signal between a parent and its child, decoded */
	SIM_EV_N_TYPES
} SimEventType;

/* The stages of boot and late launch, in order. */
typedef enum SimBootStage {
	SIM_BOOT_POWER_ON,        /* the machine starts with no hypervisor */
	SIM_BOOT_HVBOOT_REQUEST,  /* the OS's hvboot asked the platform to launch an image */
	SIM_BOOT_IMAGE,           /* hvix64 / hvax64 chosen for this CPU */
	SIM_BOOT_VMXON,           /* VMX (SVM) operation enabled */
	SIM_BOOT_VMCS_FROM_STATE, /* the running OS's CPU state copied into a VMCS */
	SIM_BOOT_LAUNCHED,        /* VM entry: the OS continues as the parent partition */
	SIM_BOOT_REFUSED,         /* no launch (no VT-x/AMD-V, wrong image, already running) */
} SimBootStage;

const char *sim_boot_stage_name(SimBootStage stage);

/* The life cycle of a child partition (facts §3.7), in order. A child only
 * moves forward; after DELETED its id is gone for good (never reused). */
typedef enum SimChildState {
	SIM_CHILD_CREATED,        /* HvCallCreatePartition */
	SIM_CHILD_INITIALIZED,    /* HvCallInitializePartition: early properties frozen */
	SIM_CHILD_FINALIZED,      /* HvCallFinalizePartition: only deletion is left */
	SIM_CHILD_DELETED,        /* HvCallDeletePartition: the object is freed */
} SimChildState;

const char *sim_child_state_name(SimChildState state);  /* "created", ... */

/* Whether a child VP may run (the suspend registers, facts §4.7). */
typedef enum SimVpState {
	SIM_VP_RUNNING,           /* both suspend registers clear */
	SIM_VP_EXPLICIT_SUSPEND,  /* the parent holds it (new VPs start so) */
	SIM_VP_INTERCEPT_SUSPEND, /* waiting for the parent to handle an intercept */
} SimVpState;

const char *sim_vp_state_name(SimVpState state);         /* "running", ... */

#define SIM_VMBUS_MESSAGE 0u  /* a channel message (HvPostMessage of VMBus type) */
#define SIM_VMBUS_SIGNAL  1u  /* an HvSignalEvent on an open channel, with its ring */
#define SIM_VMBUS_RING_WRITE 2u /* the producer moved a ring's write index (packets written) */
#define SIM_VMBUS_RING_READ  3u /* the consumer moved its read index (packets read) */
#define SIM_VMBUS_RING_MASK  4u /* the consumer set or cleared the ring's interrupt mask */

/* Why a ring transition happened (mirrors rings/ RingCause). */
typedef enum SimRingCause {
	SIM_RING_EXCEPTION,
	SIM_RING_SOFTWARE_INT,
	SIM_RING_EXTERNAL,
	SIM_RING_SYSCALL,
	SIM_RING_SYSRET,
	SIM_RING_IRET,
} SimRingCause;

#define SIM_EVENT_TEXT_MAX 200

typedef struct SimEvent {
	uint64_t seq;        /* 1, 2, 3 ... per machine */
	uint64_t vtime;      /* virtual time in ns (emulator: modelled) */
	uint32_t partition;
	uint32_t vp;
	SimEventType type;
	union {
		struct { uint8_t from, to; uint8_t cause; uint8_t vector;
		         uint64_t from_rip, to_rip; uint32_t error_code; uint8_t has_error; } ring;
		struct { uint32_t reason; uint64_t qualification; uint64_t rip;
		         uint32_t length; uint32_t intr_info;
		         uint8_t rip_lost; /* rip is not the guest's: its state was not observable */ } exit;
		struct { uint32_t injected_vector; uint8_t injected; } entry;
		struct { uint32_t leaf, subleaf; uint32_t eax, ebx, ecx, edx; } cpuid;
		struct { uint32_t msr; uint8_t write; uint8_t synthetic; uint8_t fault; uint64_t value; } msr;
		struct { uint16_t code; uint16_t status; uint8_t fast; uint16_t rep_count;
		         uint16_t rep_start; uint16_t reps_done; uint64_t input; uint64_t output; } hypercall;
		struct { uint64_t gpa; uint8_t enabled; uint8_t bytes[8]; uint8_t nbytes; } hcpage;
		struct { uint16_t port; uint8_t size; uint8_t in; uint8_t intercepted; uint32_t value; } io;
		struct { uint8_t vector; uint8_t cpl; uint8_t has_error; uint32_t error_code;
		         uint64_t rip; uint64_t cr2; } fault;
		struct { uint8_t vector; uint8_t type; } interrupt;
		struct { uint32_t timer; uint64_t expiry; } timer;
		struct { uint32_t message_type; uint8_t sint; uint8_t payload_size; uint8_t delivered; } synic;
		struct { int32_t status; uint8_t clean; } stop;
		struct { uint8_t stage; uint8_t hypervisor; } boot; /* SimBootStage; 1 if a hypervisor runs after it */
		struct { uint64_t child; uint8_t state; } child;    /* child partition id; SimChildState */
		struct { uint32_t message_type; uint32_t parent; uint16_t port; uint8_t size; uint8_t access;
		         uint64_t value; uint64_t gpa; uint64_t rip; uint8_t delivered;
		         uint8_t rip_lost; /* as exit.rip_lost */ } intercept;
		struct { uint8_t state; } vp_state;                 /* SimVpState */
		struct { uint8_t kind; uint32_t to; uint32_t msgtype; uint32_t relid; uint32_t status;
		         uint32_t write_index, read_index, avail; uint16_t packet_type; uint32_t packet_len;
		         uint8_t ring_status; } vmbus;  /* kind: SIM_VMBUS_MESSAGE / SIM_VMBUS_SIGNAL */
	} u;
	/* Text for CONSOLE (one line), PARTITION_STOP (reason), MESSAGE, FAULT
	 * (explanation), BOOT and CHILD (what happened), HYPERCALL (call name is looked up, not stored). */
	char text[SIM_EVENT_TEXT_MAX];
} SimEvent;

/* Clears an event for filling in. The text buffer is not cleared (only
 * its first byte): events are built on hot paths, several per VM exit. */
static inline void sim_event_init(SimEvent *ev, SimEventType type)
{
	memset(ev, 0, offsetof(SimEvent, text));
	ev->type = type;
	ev->text[0] = '\0';
}

typedef void (*SimEventFunc)(const SimEvent *ev, gpointer user_data);

typedef struct SimEventBus SimEventBus;

SimEventBus *sim_event_bus_new(void);
void sim_event_bus_free(SimEventBus *bus);
/* Subscribers are called in subscription order, synchronously. */
guint sim_event_bus_subscribe(SimEventBus *bus, SimEventFunc func, gpointer user_data);
void sim_event_bus_unsubscribe(SimEventBus *bus, guint id);
/* Fills seq, then delivers. The caller fills everything else. */
void sim_event_bus_emit(SimEventBus *bus, SimEvent *ev);
uint64_t sim_event_bus_last_seq(const SimEventBus *bus);

const char *sim_event_type_name(SimEventType type);   /* "vm_exit", ... */
const char *sim_ring_cause_name(SimRingCause cause);   /* "syscall", ... */

/* One JSON object (no newline) describing ev; documented in docs/trace-format.md. */
void sim_event_to_json(const SimEvent *ev, const char *vendor, GString *out);

#endif /* HVSIM_SIM_EVENT_H */
