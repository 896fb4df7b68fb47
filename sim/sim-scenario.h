/* sim-scenario.h — built-in scenarios (guest images compiled into hvsim as
 * GResources) and trace writing shared by the CLI, the tests and later the
 * GUI. Sim thread. */
#ifndef HVSIM_SIM_SCENARIO_H
#define HVSIM_SIM_SCENARIO_H

#include <stdio.h>

#include <glib.h>

#include "sim-machine.h"

typedef struct SimScenario {
	const char *name;
	const char *image;        /* resource name under /org/hvsim/guest/ */
	const char *description;
	gboolean late_launch;     /* power on without a hypervisor; the kernel launches it */
	gboolean bad_input;       /* boot-info flag BAD_INPUT: the kernel's hypercall self-test */
	const char *child;        /* resource name of the child OS image the worker starts, or NULL */
	gboolean child_triple_fault; /* the child triple-faults on purpose (isolation) */
	gboolean child_io_workload;  /* the child runs iotest on a disk its worker emulates */
	gboolean child_io_synthetic; /* ... on a disk the parent serves over VMBus (storvsc/storvsp) */
	uint32_t child_flags;        /* more HVSIM_BOOT_FLAG_* bits the worker passes its child */
} SimScenario;

/* NULL-terminated list of built-in scenarios. */
const SimScenario *sim_scenarios(void);
const SimScenario *sim_scenario_find(const char *name);

/* Loads a built-in scenario by name, or else an ELF file by path, into a new
 * partition of m. A scenario with a child image puts it in the partition's
 * RAM for the worker, unless m's config already names a child image (the
 * CLI's --child). Errors name the scenario or the file. */
SimPartition *sim_load_scenario_or_image(SimMachine *m, const char *what, GError **error);

/* Reads a guest image file, with the checks and messages the CLI uses
 * ("what" names it in messages). */
GBytes *sim_read_image_file(const char *path, const char *what, GError **error);

/* The bytes of a built-in guest image (for benchmarks and tests). */
GBytes *sim_guest_image(const char *resource_name, GError **error);

/* JSON-lines trace writer: one event per line, docs/trace-format.md. */
typedef struct SimTraceWriter SimTraceWriter;
SimTraceWriter *sim_trace_writer_new(FILE *out, SimVendor vendor);
void sim_trace_writer_on_event(const SimEvent *ev, gpointer user_data);
/* Flushes; false (with errno set) if any write failed. */
gboolean sim_trace_writer_finish(SimTraceWriter *w);
void sim_trace_writer_free(SimTraceWriter *w);

#endif
