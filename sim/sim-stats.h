/* sim-stats.h — counters built from the event stream, and the run summary
 * the CLI prints. Sim thread (a subscriber of the event bus). */
#ifndef HVSIM_SIM_STATS_H
#define HVSIM_SIM_STATS_H

#include <glib.h>

#include "sim-machine.h"

#define SIM_STATS_PARTITIONS 64u

typedef struct SimStats {
	guint64 events;
	guint64 by_type[SIM_EV_N_TYPES];
	guint64 exits_by_reason[128];    /* basic exit reason (0..127) */
	guint64 ring[4][4][8];           /* [from][to][SimRingCause] */
	/* Counted by integer key on the hot path, named only in the summary:
	 * code -> count, and code << 16 | status -> count. */
	GHashTable *hypercalls;       /* guint key -> guint64 * */
	GHashTable *hypercall_status;
	/* A small cache in front of the tables: the last key of each. */
	guint last_call, last_status;
	guint64 *last_call_count, *last_status_count;
	guint64 faults_by_vector[32];
	gboolean launched;               /* a late launch happened */
	guint64 launch_vtime;            /* its virtual time */
	gboolean booted_bare;            /* the machine powered on with no hypervisor */
	/* Per partition, by id (ids above the array are not counted). */
	struct {
		guint64 exits, hypercalls, intercepts, console_lines, interrupts;
	} part[SIM_STATS_PARTITIONS];
} SimStats;

SimStats *sim_stats_new(void);
void sim_stats_free(SimStats *s);
/* Subscribe with this as the function and the stats as user data. */
void sim_stats_on_event(const SimEvent *ev, gpointer user_data);
/* A human-readable summary (what `hvsim run` prints at the end). */
void sim_stats_summary(const SimStats *s, SimMachine *m, GString *out);

#endif
