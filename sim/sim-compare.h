/* sim-compare.h — compare two traces (`hvsim compare`) by the events both
 * backends see: the emulator's and the native (KVM) backend's.
 * Host code, main thread; no machine involved, only trace files
 * (docs/trace-format.md). docs/cli.md#compare is the user contract. */
#pragma once

#include <glib.h>
#include <stdio.h>

G_BEGIN_DECLS

#define SIM_COMPARE_ERROR (sim_compare_error_quark())
GQuark sim_compare_error_quark(void);

typedef enum {
	SIM_COMPARE_ERROR_IO,        /* the file cannot be opened or read */
	SIM_COMPARE_ERROR_TOO_LONG,  /* a line longer than SIM_COMPARE_MAX_LINE */
	SIM_COMPARE_ERROR_JSON,      /* a line that is not one JSON object */
	SIM_COMPARE_ERROR_EVENT,     /* an event without a field it needs, or of the wrong type */
} SimCompareError;

/* Trace lines are well under 1 KiB (text fields hold at most 199
 * characters); anything this long is not a trace. */
#define SIM_COMPARE_MAX_LINE (64u * 1024u)

/* The comparable events of one trace, grouped per (partition, VP). */
typedef struct SimCompareTrace SimCompareTrace;

typedef enum {
	SIM_COMPARE_DEFAULT = 0,
	/* Compare console lines as written, and the COM1 port accesses that
	 * carry them one by one (by default: text with clock readings and
	 * hypercall-page bytes masked, COM1 accesses not compared). */
	SIM_COMPARE_EXACT_CONSOLE = 1 << 0,
	/* Leave out what depends on how long a VP waited, which a native run
	 * does not reproduce when VPs run concurrently or against host time:
	 * HLT exits, the clock, timer, EOI and EOM MSRs, the VMBus ring
	 * observations and the indexes in signals; and compare the SynIC
	 * messages a VP receives apart from its own events, in the order
	 * they were delivered (a queued message counts when delivered). */
	SIM_COMPARE_IGNORE_WAITS = 1 << 1,
} SimCompareFlags;

/* Reads a JSON-lines trace. The error names the file and the line. */
SimCompareTrace *sim_compare_trace_load(const char *path, SimCompareFlags flags, GError **error);
void sim_compare_trace_free(SimCompareTrace *trace);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimCompareTrace, sim_compare_trace_free)

guint64 sim_compare_trace_n_lines(const SimCompareTrace *trace);
/* Events kept for the comparison (the rest only one backend sees). */
guint64 sim_compare_trace_n_kept(const SimCompareTrace *trace);

/* Where two traces first part, and how much differs. */
typedef struct {
	gboolean equivalent;
	guint n_sequences;        /* (partition, VP) sequences in either trace */
	guint n_differing;        /* of those, how many differ */
	guint64 n_compared;       /* events compared (pairs that matched, plus the first mismatch) */
	/* The first difference, in the order of the sequences (lowest
	 * partition, then VP); 0 when equivalent. A line number is 0 when that
	 * trace has no event there (its sequence ended or is missing). */
	guint first_partition, first_vp;
	guint64 first_line_a, first_line_b;
} SimCompareResult;

/* Compares the per-(partition, VP) sequences of a and b and writes a
 * report for people into `report` (first divergence with context, counts
 * by kind where they differ). Returns result->equivalent. */
gboolean sim_compare_traces(const SimCompareTrace *a, const SimCompareTrace *b,
                            SimCompareResult *result, GString *report);

/* `hvsim compare [OPTIONS] TRACE_A TRACE_B`: 0 equivalent, 1 different,
 * 2 bad command line or bad input. */
int sim_compare_cli(int argc, char **argv);

G_END_DECLS
