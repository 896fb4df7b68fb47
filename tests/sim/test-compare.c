/* test-compare.c — `hvsim compare` (sim/sim-compare.c): which events two
 * traces are compared by, where a difference is reported, and hostile
 * input. Host test code; traces are written to a temporary directory.
 * The exit-status tests run the built binary named by $HVSIM. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "cli-harness.h"
#include "sim-compare.h"

/* Events in the trace format without seq and vtime, which trace_write
 * adds (they are never compared). */
#define EV_START1 "\"type\":\"partition_start\",\"partition\":1,\"vp\":0,\"name\":\"hello (hello, hvix64 flavour)\""
#define EV_VPSTART1 "\"type\":\"vp_start\",\"partition\":1,\"vp\":0,\"name\":\"VP 0\""
/* An OUT to the disk's sector-count port (COM1's are console traffic). */
#define EV_OUT_EXIT "\"type\":\"vm_exit\",\"partition\":1,\"vp\":0,\"reason\":30,\"reason_name\":\"io_instruction\",\"qualification\":\"0x1f20000\",\"rip\":\"0x100347\",\"length\":1"
#define EV_OUT_IO "\"type\":\"port_io\",\"partition\":1,\"vp\":0,\"port\":\"0x1f2\",\"size\":1,\"direction\":\"out\",\"intercepted\":true,\"value\":\"0xa\""
#define EV_COM1_EXIT "\"type\":\"vm_exit\",\"partition\":1,\"vp\":0,\"reason\":30,\"reason_name\":\"io_instruction\",\"qualification\":\"0x3f80000\",\"rip\":\"0x100347\",\"length\":1"
#define EV_COM1_IO "\"type\":\"port_io\",\"partition\":1,\"vp\":0,\"port\":\"0x3f8\",\"size\":1,\"direction\":\"out\",\"intercepted\":true,\"value\":\"0xa\""
#define EV_ENTRY "\"type\":\"vm_entry\",\"partition\":1,\"vp\":0"
#define EV_CONSOLE "\"type\":\"console\",\"partition\":1,\"vp\":0,\"text\":\"[kernel] hello\""
#define EV_VMCALL_EXIT "\"type\":\"vm_exit\",\"partition\":1,\"vp\":0,\"reason\":18,\"reason_name\":\"vmcall\",\"qualification\":\"0x0\",\"rip\":\"0x136000\",\"length\":3"
#define EV_HC_PORT_EXIT "\"type\":\"vm_exit\",\"partition\":1,\"vp\":0,\"reason\":30,\"reason_name\":\"io_instruction\",\"qualification\":\"0x6200001\",\"rip\":\"0x136000\",\"length\":2"
#define EV_HC(code, status) "\"type\":\"hypercall\",\"partition\":1,\"vp\":0,\"code\":\"" code "\",\"name\":\"x\",\"fast\":false,\"rep_count\":0,\"rep_start\":0,\"input\":\"0x0\",\"output\":\"0x10a000\",\"status\":\"" status "\",\"status_name\":\"x\",\"reps_completed\":0"
#define EV_HC_A EV_HC("0x0046", "0x0000")
#define EV_HC_B EV_HC("0x0050", "0x0000")
#define EV_HC_C EV_HC("0x0008", "0x0000")
#define EV_CPUID_EXIT "\"type\":\"vm_exit\",\"partition\":1,\"vp\":0,\"reason\":10,\"reason_name\":\"cpuid\",\"qualification\":\"0x0\",\"rip\":\"0x100100\",\"length\":2"
#define EV_CPUID "\"type\":\"cpuid\",\"partition\":1,\"vp\":0,\"leaf\":\"0x1\",\"subleaf\":\"0x0\",\"eax\":\"0x906ea\",\"ebx\":\"0x0\",\"ecx\":\"0x80982201\",\"edx\":\"0x701ab71\""
#define EV_RING "\"type\":\"ring\",\"partition\":1,\"vp\":0,\"from_ring\":0,\"to_ring\":3,\"cause\":\"iret\",\"vector\":0,\"from_rip\":\"0x1\",\"to_rip\":\"0x2\""
#define EV_EFER_EXIT "\"type\":\"vm_exit\",\"partition\":1,\"vp\":0,\"reason\":31,\"reason_name\":\"rdmsr\",\"qualification\":\"0x0\",\"rip\":\"0x100200\",\"length\":2"
#define EV_EFER "\"type\":\"msr\",\"partition\":1,\"vp\":0,\"msr\":\"0xc0000080\",\"name\":\"IA32_EFER\",\"access\":\"read\",\"synthetic\":false,\"fault\":false,\"value\":\"0x500\""
#define EV_TIMER "\"type\":\"timer\",\"partition\":1,\"vp\":0,\"timer\":0,\"expiry\":105647"
#define EV_STOP1 "\"type\":\"partition_stop\",\"partition\":1,\"vp\":0,\"clean\":true,\"status\":0,\"reason\":\"the guest powered off\""
#define EV_P2_CONSOLE "\"type\":\"console\",\"partition\":2,\"vp\":0,\"text\":\"child\""
#define EV_P2_STOP "\"type\":\"partition_stop\",\"partition\":2,\"vp\":0,\"clean\":true,\"status\":0,\"reason\":\"finalized\""

typedef struct {
	char *dir;
	char *a, *b;  /* the paths compare_events wrote */
	SimCompareFlags flags; /* how compare_events loads them */
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	f->dir = g_dir_make_tmp("hvsim-compare-XXXXXX", &error);
	g_assert_no_error(error);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
	g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
	const char *name;
	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(f->dir, name, NULL);
		g_unlink(p);
	}
	g_rmdir(f->dir);
	g_free(f->dir);
	g_free(f->a);
	g_free(f->b);
}

/* Writes one event per line, each with its own seq and a vtime that grows
 * with `clock` (so that two traces never agree on clocks). Returns the path. */
static char *trace_write(Fixture *f, const char *name, guint clock, const char *const *events)
{
	g_autoptr(GString) s = g_string_new(NULL);
	guint seq = 0;
	for (const char *const *e = events; *e; e++) {
		seq++;
		g_string_append_printf(s, "{\"seq\":%u,\"vtime\":%u,%s}\n", seq, seq * clock, *e);
	}
	char *path = g_build_filename(f->dir, name, NULL);
	g_autoptr(GError) error = NULL;
	g_file_set_contents(path, s->str, (gssize)s->len, &error);
	g_assert_no_error(error);
	return path;
}

/* Writes a.jsonl and b.jsonl (with different clocks) into the fixture,
 * loads and compares them; returns the report. */
static char *compare_events(Fixture *f, const char *const *a_events, const char *const *b_events, SimCompareResult *res)
{
	g_free(f->a);
	g_free(f->b);
	f->a = trace_write(f, "a.jsonl", 1, a_events);
	f->b = trace_write(f, "b.jsonl", 7, b_events);
	g_autoptr(GError) error = NULL;
	g_autoptr(SimCompareTrace) ta = sim_compare_trace_load(f->a, f->flags, &error);
	g_assert_no_error(error);
	g_autoptr(SimCompareTrace) tb = sim_compare_trace_load(f->b, f->flags, &error);
	g_assert_no_error(error);
	GString *report = g_string_new(NULL);
	gboolean same = sim_compare_traces(ta, tb, res, report);
	g_test_message("%s", report->str);
	g_assert_cmpint(same, ==, res->equivalent);
	return g_string_free(report, FALSE);
}

static const char *const base_events[] = {
	EV_START1, EV_VPSTART1, EV_OUT_EXIT, EV_OUT_IO, EV_ENTRY, EV_CONSOLE,
	EV_VMCALL_EXIT, EV_HC_A, EV_ENTRY, EV_VMCALL_EXIT, EV_HC_B, EV_ENTRY,
	EV_VMCALL_EXIT, EV_HC_C, EV_ENTRY, EV_STOP1, NULL,
};

static void test_equal(Fixture *f, gconstpointer data)
{
	SimCompareResult res;
	g_autofree char *report = compare_events(f, base_events, base_events, &res);
	g_assert_true(res.equivalent);
	/* start, vp_start, exit, port_io, console, 3 hypercalls, stop. */
	g_assert_cmpuint(res.n_compared, ==, 9);
	g_assert_cmpuint(res.n_sequences, ==, 1);
	g_assert_cmpuint(res.n_differing, ==, 0);
	g_assert_nonnull(strstr(report, "equivalent: 9 events"));
}

/* What only the emulator sees (CPUID, ring transitions, an EFER read,
 * timers, vm_entry), and the hypercall's own exit being a VMCALL in one
 * trace and a port write in the other, do not count. */
static void test_emulator_only_ignored(Fixture *f, gconstpointer data)
{
	const char *const emu[] = {
		EV_START1, EV_VPSTART1, EV_CPUID_EXIT, EV_CPUID, EV_ENTRY, EV_RING, EV_EFER_EXIT, EV_EFER, EV_ENTRY,
		EV_OUT_EXIT, EV_OUT_IO, EV_ENTRY, EV_CONSOLE, EV_TIMER,
		EV_VMCALL_EXIT, EV_HC_A, EV_ENTRY, EV_VMCALL_EXIT, EV_HC_B, EV_ENTRY,
		EV_VMCALL_EXIT, EV_HC_C, EV_ENTRY, EV_RING, EV_STOP1, NULL,
	};
	const char *const native[] = {
		EV_START1, EV_VPSTART1, EV_OUT_EXIT, EV_OUT_IO, EV_ENTRY, EV_CONSOLE,
		EV_HC_PORT_EXIT, EV_HC_A, EV_ENTRY, EV_HC_PORT_EXIT, EV_HC_B, EV_ENTRY,
		EV_HC_PORT_EXIT, EV_HC_C, EV_ENTRY, EV_STOP1, NULL,
	};
	SimCompareResult res;
	g_autofree char *report = compare_events(f, emu, native, &res);
	g_assert_true(res.equivalent);
	g_assert_cmpuint(res.n_compared, ==, 9);
}

/* Events of different partitions interleave differently natively: only
 * the order within one (partition, VP) counts. */
static void test_interleaving_ignored(Fixture *f, gconstpointer data)
{
	const char *const x[] = { EV_START1, EV_P2_CONSOLE, EV_CONSOLE, EV_P2_STOP, EV_STOP1, NULL };
	const char *const y[] = { EV_START1, EV_CONSOLE, EV_P2_CONSOLE, EV_STOP1, EV_P2_STOP, NULL };
	SimCompareResult res;
	g_autofree char *report = compare_events(f, x, y, &res);
	g_assert_true(res.equivalent);
	g_assert_cmpuint(res.n_sequences, ==, 2);
}

/* base_events into `ev` (G_N_ELEMENTS(base_events) long) with element
 * `index` left out, replaced by `replace`, or swapped with the next one. */
static const char *const *variant_events(const char **ev, guint index, const char *replace, gboolean swap_next)
{
	guint n = 0;
	for (guint i = 0; base_events[i]; i++) {
		if (i == index && !replace && !swap_next)
			continue;
		ev[n++] = i == index && replace ? replace : base_events[i];
	}
	ev[n] = NULL;
	if (swap_next) {
		const char *t = ev[index];
		ev[index] = ev[index + 1];
		ev[index + 1] = t;
	}
	return ev;
}

/* Index 10 of base_events is the second hypercall (line 11). */
#define HC_B_INDEX 10

static void test_dropped_hypercall(Fixture *f, gconstpointer data)
{
	const char *ev[G_N_ELEMENTS(base_events)];
	SimCompareResult res;
	g_autofree char *report = compare_events(f, base_events, variant_events(ev, HC_B_INDEX, NULL, FALSE), &res);
	g_assert_false(res.equivalent);
	g_assert_cmpuint(res.first_partition, ==, 1);
	g_assert_cmpuint(res.first_vp, ==, 0);
	g_assert_cmpuint(res.first_line_a, ==, HC_B_INDEX + 1);
	/* B's line there is the third hypercall (line 13; 14 in A): the
	 * VMCALL exit before the dropped call stays, and is never compared. */
	g_assert_cmpuint(res.first_line_b, ==, HC_B_INDEX + 3);
	g_assert_nonnull(strstr(report, "an event in A that B lacks"));
	g_autofree char *where = g_strdup_printf("A %s:%u: hypercall code=\"0x0050\"", f->a, HC_B_INDEX + 1);
	g_assert_nonnull(strstr(report, where));
	g_autofree char *counts = g_strdup_printf("    %-26s %8d %8d\n", "hypercall", 3, 2);
	g_assert_nonnull(strstr(report, counts));
}

static void test_different_status(Fixture *f, gconstpointer data)
{
	const char *ev[G_N_ELEMENTS(base_events)];
	SimCompareResult res;
	g_autofree char *report = compare_events(f, base_events,
	                                         variant_events(ev, HC_B_INDEX, EV_HC("0x0050", "0x0005"), FALSE), &res);
	g_assert_false(res.equivalent);
	g_assert_cmpuint(res.first_line_a, ==, HC_B_INDEX + 1);
	g_assert_cmpuint(res.first_line_b, ==, HC_B_INDEX + 1);
	g_assert_nonnull(strstr(report, "the events differ"));
	g_autofree char *where = g_strdup_printf("B %s:%u: hypercall code=\"0x0050\" fast=false rep_count=0 rep_start=0 status=\"0x0005\"",
	                                         f->b, HC_B_INDEX + 1);
	g_assert_nonnull(strstr(report, where));
	g_assert_nonnull(strstr(report, "the same number of events of each kind in both"));
}

/* A port_io and the console line swapped within the VP is a difference
 * (reported at the first of the pair); the console line and the VMCALL
 * exit after it swapped is none, as that exit is never compared. */
static void test_reordered_pair(Fixture *f, gconstpointer data)
{
	const char *const swapped[] = {
		EV_START1, EV_VPSTART1, EV_OUT_EXIT, EV_CONSOLE, EV_ENTRY, EV_OUT_IO,
		EV_VMCALL_EXIT, EV_HC_A, EV_ENTRY, EV_VMCALL_EXIT, EV_HC_B, EV_ENTRY,
		EV_VMCALL_EXIT, EV_HC_C, EV_ENTRY, EV_STOP1, NULL,
	};
	SimCompareResult res;
	g_autofree char *report = compare_events(f, base_events, swapped, &res);
	g_assert_false(res.equivalent);
	g_assert_cmpuint(res.first_line_a, ==, 4);
	g_assert_cmpuint(res.first_line_b, ==, 4);
	g_assert_nonnull(strstr(report, "two events in the opposite order"));

	const char *ev[G_N_ELEMENTS(base_events)];
	g_autofree char *report2 = compare_events(f, base_events, variant_events(ev, 5, NULL, TRUE), &res);
	g_assert_true(res.equivalent);
}

#define EV_CON(text) "\"type\":\"console\",\"partition\":1,\"vp\":0,\"text\":\"" text "\""
#define EV_PAGE(bytes) "\"type\":\"hypercall_page\",\"partition\":1,\"vp\":0,\"gpa\":\"0x18d000\",\"enabled\":true,\"bytes\":\"" bytes "\",\"instruction\":\"x\""
#define EV_LSR_EXIT "\"type\":\"vm_exit\",\"partition\":1,\"vp\":0,\"reason\":30,\"reason_name\":\"io_instruction\",\"qualification\":\"0x3fd0008\",\"rip\":\"0x100f56\",\"length\":1"
#define EV_LSR_IO "\"type\":\"port_io\",\"partition\":1,\"vp\":0,\"port\":\"0x3fd\",\"size\":1,\"direction\":\"in\",\"intercepted\":true,\"value\":\"0x60\""
#define EV_POWER_EXIT "\"type\":\"vm_exit\",\"partition\":1,\"vp\":0,\"reason\":30,\"reason_name\":\"io_instruction\",\"qualification\":\"0x6040001\",\"rip\":\"0x100400\",\"length\":2"
#define EV_POWER_IO(value) "\"type\":\"port_io\",\"partition\":1,\"vp\":0,\"port\":\"0x604\",\"size\":2,\"direction\":\"out\",\"intercepted\":true,\"value\":\"" value "\""

/* What a guest prints of the clock and of its hypercall page differs
 * between backends, and so does the number of COM1 accesses that print
 * it: by default neither counts; hex numbers and other ports still do. */
static void test_console_masking(Fixture *f, gconstpointer data)
{
	const char *const emu[] = {
		EV_START1, EV_PAGE("0f 01 c1 c3"), EV_COM1_EXIT, EV_COM1_IO, EV_ENTRY,
		EV_CON("[kernel] hypercall page at 0x18d000: 0f 01 c1 c3"),
		EV_LSR_EXIT, EV_LSR_IO, EV_ENTRY,
		EV_CON("[kernel] idle: HLT until the timer fired at 108843 (+10008 x 100 ns), checksum 0xfab795ec"),
		EV_POWER_EXIT, EV_POWER_IO("0x2000"), EV_STOP1, NULL,
	};
	const char *const native[] = {
		EV_START1, EV_PAGE("e6 e0 c3 cc"), EV_COM1_EXIT, EV_COM1_IO, EV_ENTRY,
		EV_CON("[kernel] hypercall page at 0x18d000: e6 e0 c3 cc"),
		EV_LSR_EXIT, EV_LSR_IO, EV_ENTRY, EV_LSR_EXIT, EV_LSR_IO, EV_ENTRY,
		EV_CON("[kernel] idle: HLT until the timer fired at 49058291 (+175418 x 100 ns), checksum 0xfab795ec"),
		EV_POWER_EXIT, EV_POWER_IO("0x2000"), EV_STOP1, NULL,
	};
	SimCompareResult res;
	g_autofree char *report = compare_events(f, emu, native, &res);
	g_assert_true(res.equivalent);
	/* start, 2 console lines, the power exit and its port_io, stop. */
	g_assert_cmpuint(res.n_compared, ==, 6);

	f->flags = SIM_COMPARE_EXACT_CONSOLE;
	g_autofree char *exact = compare_events(f, emu, native, &res);
	g_assert_false(res.equivalent);
	g_assert_cmpuint(res.first_line_a, ==, 6);
	g_assert_nonnull(strstr(exact, "0f 01 c1 c3"));
	g_assert_nonnull(strstr(exact, "e6 e0 c3 cc"));

	/* A hex number, or another port's value, still differs. */
	f->flags = SIM_COMPARE_DEFAULT;
	const char *const hex[] = {
		EV_START1, EV_PAGE("e6 e0 c3 cc"),
		EV_CON("[kernel] hypercall page at 0x18d000: e6 e0 c3 cc"),
		EV_CON("[kernel] idle: HLT until the timer fired at 1 (+1 x 100 ns), checksum 0xfab795ed"),
		EV_POWER_EXIT, EV_POWER_IO("0x2000"), EV_STOP1, NULL,
	};
	g_autofree char *hex_report = compare_events(f, emu, hex, &res);
	g_assert_false(res.equivalent);
	g_assert_cmpuint(res.first_line_a, ==, 10);
	g_assert_nonnull(strstr(hex_report, "checksum 0xfab795ed"));
	g_assert_nonnull(strstr(hex_report, "timer fired at # (+# x # ns)"));
	const char *const power[] = {
		EV_START1, EV_PAGE("0f 01 c1 c3"),
		EV_CON("[kernel] hypercall page at 0x18d000: 0f 01 c1 c3"),
		EV_CON("[kernel] idle: HLT until the timer fired at 108843 (+10008 x 100 ns), checksum 0xfab795ec"),
		EV_POWER_EXIT, EV_POWER_IO("0x2001"), EV_STOP1, NULL,
	};
	g_autofree char *power_report = compare_events(f, emu, power, &res);
	g_assert_false(res.equivalent);
	g_assert_cmpuint(res.first_line_a, ==, 12);
}

#define EV_HLT_EXIT "\"type\":\"vm_exit\",\"partition\":1,\"vp\":0,\"reason\":12,\"reason_name\":\"hlt\",\"qualification\":\"0x0\",\"rip\":\"0x106a99\",\"length\":1"
#define EV_SMSR(msr, access) "\"type\":\"msr\",\"partition\":1,\"vp\":0,\"msr\":\"" msr "\",\"name\":\"\",\"access\":\"" access "\",\"synthetic\":true,\"fault\":false,\"value\":\"0x1\""
#define EV_MSG(type, delivered) "\"type\":\"synic_message\",\"partition\":1,\"vp\":0,\"sint\":0,\"message_type\":\"" type "\",\"payload_size\":128,\"delivered\":" delivered
#define EV_RING_READ "\"type\":\"vmbus\",\"partition\":1,\"vp\":0,\"kind\":\"ring_read\",\"to\":2,\"relid\":1,\"ring\":\"child_to_parent\",\"write_index\":32,\"read_index\":32,\"interrupt_mask\":0,\"text\":\"\""
#define EV_SIGNAL(w) "\"type\":\"vmbus\",\"partition\":1,\"vp\":0,\"kind\":\"signal\",\"to\":2,\"relid\":1,\"write_index\":" w ",\"read_index\":0,\"bytes_waiting\":" w ",\"next_packet_type\":6,\"next_packet_len\":24,\"text\":\"\""

/* A parent that waits for its child's messages: in the emulator it
 * halts, reads the clock and arms its timer before each message, which
 * may come queued; natively the message may already be there. With
 * SIM_COMPARE_IGNORE_WAITS only what it did, and what it received, count. */
static void test_ignore_waits(Fixture *f, gconstpointer data)
{
	const char *const emu[] = {
		EV_START1, EV_HC_A,
		EV_SMSR("0x40000020", "read"), EV_SMSR("0x400000b1", "write"), EV_SMSR("0x400000b0", "write"),
		EV_HLT_EXIT, EV_MSG("0x80010000", "false"), EV_ENTRY, EV_MSG("0x80010000", "true"),
		EV_SMSR("0x40000070", "write"), EV_SMSR("0x40000084", "write"), EV_RING_READ, EV_SIGNAL("32"),
		EV_HC_B, EV_MSG("0x80000010", "true"), EV_STOP1, NULL,
	};
	const char *const native[] = {
		EV_START1, EV_MSG("0x80010000", "true"), EV_HC_A,
		EV_SMSR("0x40000084", "write"), EV_SIGNAL("64"), EV_HC_B, EV_STOP1, NULL,
	};
	SimCompareResult res;
	g_autofree char *strict = compare_events(f, emu, native, &res);
	g_assert_false(res.equivalent);

	f->flags = SIM_COMPARE_IGNORE_WAITS;
	g_autofree char *loose = compare_events(f, emu, native, &res);
	g_assert_true(res.equivalent);
	/* Own: start, 2 hypercalls, signal, stop; arrivals: 1 message. */
	g_assert_cmpuint(res.n_compared, ==, 6);
	g_assert_cmpuint(res.n_sequences, ==, 2);

	/* A different message arriving is still a difference, in its stream. */
	const char *const other[] = {
		EV_START1, EV_MSG("0x80000000", "true"), EV_HC_A, EV_SIGNAL("64"), EV_HC_B, EV_STOP1, NULL,
	};
	g_autofree char *report = compare_events(f, emu, other, &res);
	g_assert_false(res.equivalent);
	g_assert_cmpuint(res.first_line_a, ==, 9);
	g_assert_cmpuint(res.first_line_b, ==, 2);
	g_assert_nonnull(strstr(report, "partition 1 VP 0, arrivals (SynIC messages): 1 events in A, 1 in B"));
}

/* A trace ending early: the other goes on. */
static void test_truncated(Fixture *f, gconstpointer data)
{
	const char *const shorter[] = { EV_START1, EV_VPSTART1, EV_OUT_EXIT, EV_OUT_IO, EV_ENTRY, EV_CONSOLE, NULL };
	SimCompareResult res;
	g_autofree char *report = compare_events(f, base_events, shorter, &res);
	g_assert_false(res.equivalent);
	g_assert_cmpuint(res.first_line_a, ==, 8);
	g_assert_cmpuint(res.first_line_b, ==, 0);
	g_assert_nonnull(strstr(report, "A goes on where B's events of this VP end"));
}

/* Hostile input: each case is a trace whose line 2 is bad. */
typedef struct {
	const char *name;
	const char *line2;
	SimCompareError code;
	const char *message;  /* expected after "PATH:2: " */
} BadCase;

static const BadCase bad_cases[] = {
	{ "not-json", "{\"seq\":2,", SIM_COMPARE_ERROR_JSON, "not JSON" },
	{ "array", "[1,2,3]", SIM_COMPARE_ERROR_JSON, "not a JSON object" },
	{ "empty", "", SIM_COMPARE_ERROR_JSON, "not a JSON object" },
	{ "no-type", "{\"seq\":2,\"partition\":1,\"vp\":0}", SIM_COMPARE_ERROR_EVENT, "field \"type\" is missing" },
	{ "type-number", "{\"type\":7,\"partition\":1,\"vp\":0}", SIM_COMPARE_ERROR_EVENT, "field \"type\" is not a string" },
	{ "no-partition", "{\"type\":\"console\",\"vp\":0,\"text\":\"x\"}", SIM_COMPARE_ERROR_EVENT, "console event: field \"partition\" is missing" },
	{ "negative-vp", "{\"type\":\"console\",\"partition\":1,\"vp\":-1,\"text\":\"x\"}", SIM_COMPARE_ERROR_EVENT, "console event: field \"vp\" is -1, not between 0 and 4294967295" },
	{ "huge-partition", "{\"type\":\"console\",\"partition\":99999999999,\"vp\":0,\"text\":\"x\"}", SIM_COMPARE_ERROR_EVENT, "not between 0 and" },
	{ "hypercall-no-status", "{\"type\":\"hypercall\",\"partition\":1,\"vp\":0,\"code\":\"0x0046\",\"fast\":false,\"rep_count\":0,\"rep_start\":0,\"reps_completed\":0}", SIM_COMPARE_ERROR_EVENT, "hypercall event: field \"status\" is missing" },
	{ "exit-no-reason", "{\"type\":\"vm_exit\",\"partition\":1,\"vp\":0}", SIM_COMPARE_ERROR_EVENT, "vm_exit event: field \"reason_name\" is missing" },
	{ "io-exit-rip-number", "{\"type\":\"vm_exit\",\"partition\":1,\"vp\":0,\"reason_name\":\"io_instruction\",\"qualification\":\"0x0\",\"rip\":5}", SIM_COMPARE_ERROR_EVENT, "field \"rip\" is not a string" },
	{ "vmbus-kind", "{\"type\":\"vmbus\",\"partition\":1,\"vp\":0,\"kind\":5}", SIM_COMPARE_ERROR_EVENT, "vmbus event: field \"kind\" is not a string" },
	{ "console-text-object", "{\"type\":\"console\",\"partition\":1,\"vp\":0,\"text\":{}}", SIM_COMPARE_ERROR_EVENT, "field \"text\" is not a string" },
};

static void test_bad_input(Fixture *f, gconstpointer data)
{
	for (gsize i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
		const BadCase *c = &bad_cases[i];
		g_autofree char *contents = g_strdup_printf("{\"seq\":1,\"vtime\":0," EV_CONSOLE "}\n%s\n{\"seq\":3,\"vtime\":0," EV_CONSOLE "}\n", c->line2);
		g_autofree char *path = g_build_filename(f->dir, c->name, NULL);
		g_assert_true(g_file_set_contents(path, contents, -1, NULL));
		g_autoptr(GError) error = NULL;
		g_autoptr(SimCompareTrace) t = sim_compare_trace_load(path, SIM_COMPARE_DEFAULT, &error);
		g_test_message("%s: %s", c->name, error ? error->message : "(loaded)");
		g_assert_null(t);
		g_assert_error(error, SIM_COMPARE_ERROR, (gint)c->code);
		g_autofree char *prefix = g_strdup_printf("%s:2: ", path);
		g_assert_true(g_str_has_prefix(error->message, prefix));
		g_assert_nonnull(strstr(error->message, c->message));
	}
}

/* A line of 1 MiB without a newline stops the reader at the limit. */
static void test_huge_line(Fixture *f, gconstpointer data)
{
	g_autoptr(GString) s = g_string_new("{\"seq\":1,\"vtime\":0," EV_CONSOLE "}\n{\"type\":\"console\",\"text\":\"");
	while (s->len < (1u << 20))
		g_string_append(s, "xxxxxxxxxxxxxxxx");
	g_autofree char *path = g_build_filename(f->dir, "huge.jsonl", NULL);
	g_assert_true(g_file_set_contents(path, s->str, (gssize)s->len, NULL));
	g_autoptr(GError) error = NULL;
	g_autoptr(SimCompareTrace) t = sim_compare_trace_load(path, SIM_COMPARE_DEFAULT, &error);
	g_assert_null(t);
	g_assert_error(error, SIM_COMPARE_ERROR, SIM_COMPARE_ERROR_TOO_LONG);
	g_autofree char *prefix = g_strdup_printf("%s:2: line longer than", path);
	g_assert_true(g_str_has_prefix(error->message, prefix));
}

static void test_missing_file(Fixture *f, gconstpointer data)
{
	g_autofree char *path = g_build_filename(f->dir, "nothing-here.jsonl", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(SimCompareTrace) t = sim_compare_trace_load(path, SIM_COMPARE_DEFAULT, &error);
	g_assert_null(t);
	g_assert_error(error, SIM_COMPARE_ERROR, SIM_COMPARE_ERROR_IO);
	g_assert_true(g_str_has_prefix(error->message, path));
}

/* The command's exit status and output: 0, 1, 2. */
static void test_cli(Fixture *f, gconstpointer data)
{
	if (!g_getenv("HVSIM")) {
		g_test_skip("HVSIM is not set: run these tests through `meson test`, which sets it to the built binary");
		return;
	}
	const char *ev[G_N_ELEMENTS(base_events)];
	g_autofree char *a = trace_write(f, "a.jsonl", 1, base_events);
	g_autofree char *b = trace_write(f, "b.jsonl", 3, base_events);
	g_autofree char *c = trace_write(f, "c.jsonl", 1, variant_events(ev, HC_B_INDEX, NULL, FALSE));
	g_autofree char *bad = g_build_filename(f->dir, "bad.jsonl", NULL);
	g_assert_true(g_file_set_contents(bad, "{\"seq\":1,\"vtime\":0," EV_CONSOLE "}\nnot json\n", -1, NULL));
	CliResult r;

	cli_run(&r, (const char *const[]){ "compare", a, b, NULL });
	g_assert_cmpint(r.status, ==, 0);
	g_assert_true(g_str_has_prefix(r.out, "equivalent: 9 events"));
	cli_result_clear(&r);

	cli_run(&r, (const char *const[]){ "compare", "--context", "0", a, c, NULL });
	g_assert_cmpint(r.status, ==, 1);
	g_assert_nonnull(strstr(r.out, "partition 1 VP 0: 9 events in A, 8 in B"));
	g_assert_null(strstr(r.out, "before it"));
	cli_result_clear(&r);

	cli_run(&r, (const char *const[]){ "compare", a, bad, NULL });
	g_assert_cmpint(r.status, ==, 2);
	g_autofree char *where = g_strdup_printf("hvsim compare: %s:2: not JSON", bad);
	g_assert_true(g_str_has_prefix(r.err, where));
	cli_result_clear(&r);

	cli_run(&r, (const char *const[]){ "compare", a, NULL });
	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "give two trace files"));
	cli_result_clear(&r);

	cli_run(&r, (const char *const[]){ "compare", "--context", "-1", a, b, NULL });
	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "--context: '-1' is not a whole number"));
	cli_result_clear(&r);
}

/* A field one trace marks not observable ("not_observable": ["rip"]) is
 * not compared, and the report says so; the same field with two real
 * values that differ is a difference. An I/O intercept's rip is compared
 * (it is exact in both backends), so it shows both. */
#define EV_P2_IO_INTERCEPT(rip_field) "\"type\":\"intercept\",\"partition\":2,\"vp\":0,\"message_type\":\"0x80010000\",\"parent\":1,\"port\":\"0x1f2\",\"size\":1,\"access\":1,\"value\":\"0xa\",\"gpa\":\"0x0\"," rip_field ",\"delivered\":true,\"text\":\"x\""
#define EV_P2_TRIPLE(rip_field) "\"type\":\"vm_exit\",\"partition\":2,\"vp\":0,\"reason\":2,\"reason_name\":\"triple_fault\",\"qualification\":\"0x0\"," rip_field ",\"length\":0"
static void test_not_observable(Fixture *f, gconstpointer data)
{
	static const char *const a[] = { EV_P2_IO_INTERCEPT("\"rip\":\"0x1000\""), EV_P2_TRIPLE("\"rip\":\"0x1234\""), EV_P2_STOP, NULL };
	static const char *const b[] = { EV_P2_IO_INTERCEPT("\"not_observable\":[\"rip\"]"),
	                                  EV_P2_TRIPLE("\"not_observable\":[\"rip\"]"), EV_P2_STOP, NULL };
	static const char *const c[] = { EV_P2_IO_INTERCEPT("\"rip\":\"0x2000\""), EV_P2_TRIPLE("\"rip\":\"0x1234\""), EV_P2_STOP, NULL };
	SimCompareResult res;
	g_autofree char *same = compare_events(f, a, b, &res);
	g_assert_true(res.equivalent);
	g_assert_cmpuint(res.n_compared, ==, 3);
	g_autofree char *note = g_strdup_printf("not compared: fields B (%s) marks not observable: intercept rip (1 event), "
	                                        "vm_exit triple_fault rip (1 event)", f->b);
	g_assert_nonnull(strstr(same, note));
	g_assert_null(strstr(same, "fields A"));
	/* Both sides marked: still the same. */
	g_autofree char *both = compare_events(f, b, b, &res);
	g_assert_true(res.equivalent);
	g_autofree char *diff = compare_events(f, a, c, &res);
	g_assert_false(res.equivalent);
	g_assert_nonnull(strstr(diff, "rip=\"0x2000\""));
	g_assert_null(strstr(diff, "not compared"));
	/* A not_observable that is not a list of names is bad input. */
	static const char *const bad[] = { EV_P2_TRIPLE("\"not_observable\":\"rip\""), NULL };
	g_free(f->a);
	f->a = trace_write(f, "bad.jsonl", 1, bad);
	g_autoptr(GError) error = NULL;
	g_autoptr(SimCompareTrace) t = sim_compare_trace_load(f->a, f->flags, &error);
	g_assert_null(t);
	g_assert_error(error, SIM_COMPARE_ERROR, SIM_COMPARE_ERROR_EVENT);
	g_assert_nonnull(strstr(error->message, "bad.jsonl:1: vm_exit event: field \"not_observable\" is not a list of field names"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/sim/compare/equal", test_equal);
	ADD("/sim/compare/emulator-only-events-ignored", test_emulator_only_ignored);
	ADD("/sim/compare/interleaving-of-partitions-ignored", test_interleaving_ignored);
	ADD("/sim/compare/dropped-hypercall", test_dropped_hypercall);
	ADD("/sim/compare/different-status", test_different_status);
	ADD("/sim/compare/reordered-pair", test_reordered_pair);
	ADD("/sim/compare/truncated", test_truncated);
	ADD("/sim/compare/console-masking", test_console_masking);
	ADD("/sim/compare/ignore-waits", test_ignore_waits);
	ADD("/sim/compare/bad-input", test_bad_input);
	ADD("/sim/compare/huge-line", test_huge_line);
	ADD("/sim/compare/missing-file", test_missing_file);
	ADD("/sim/compare/cli", test_cli);
	ADD("/sim/compare/not-observable", test_not_observable);
#undef ADD
	return g_test_run();
}
