/* test-cli.c — tests for the `hvsim` command line (hvsim-main.c): options,
 * exit statuses (0 ok, 1 guest error, 2 usage, 3 limit or stuck, 4 load or
 * trace error) and what it prints. Runs the built binary named by $HVSIM in
 * a subprocess. Host test program (GLib test framework, GIO). */
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "cli-harness.h"
#include "elf-builder.h"
#include "hvsim-platform.h"
#include "text-lines.h"

enum { EXIT_OK = 0, EXIT_GUEST_ERROR = 1, EXIT_USAGE = 2, EXIT_LIMIT = 3, EXIT_LOAD = 4 };

#define RUN(r, ...) cli_run((r), (const char *const[]){ __VA_ARGS__, NULL })

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		g_test_message("missing: \"%s\"", needle);
	g_assert_nonnull(strstr(haystack, needle));
}

/* A scratch directory for files the tests write; removed afterwards. */
typedef struct Scratch {
	char *dir;
} Scratch;

static const char *scratch_dir(Scratch *s)
{
	if (!s->dir) {
		g_autoptr(GError) error = NULL;
		s->dir = g_dir_make_tmp("hvsim-test-cli-XXXXXX", &error);
		g_assert_no_error(error);
	}
	return s->dir;
}

static char *scratch_path(Scratch *s, const char *name)
{
	return g_build_filename(scratch_dir(s), name, NULL);
}

static void scratch_write(Scratch *s, const char *name, const void *data, gsize len, char **path)
{
	g_autoptr(GError) error = NULL;
	*path = scratch_path(s, name);
	g_assert_true(g_file_set_contents(*path, data, (gssize)len, &error));
	g_assert_no_error(error);
}

static void scratch_clear(Scratch *s)
{
	if (!s->dir)
		return;
	GDir *d = g_dir_open(s->dir, 0, NULL);
	const char *name;
	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(s->dir, name, NULL);
		g_remove(p);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(s->dir);
	g_clear_pointer(&s->dir, g_free);
}

/* ==== help ================================================================ */

static const char *const run_options[] = {
	"--vendor", "--trace", "--max-insns", "--memory", "--workload", "--hypercalls", "--quiet",
};

static void test_help(void)
{
	static const char *const invocations[][3] = {
		{ "--help", NULL },
		{ "run", "--help", NULL },
		{ "help", "run", NULL },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(invocations); i++) {
		CliResult r;
		cli_run(&r, invocations[i]);
		g_assert_cmpint(r.status, ==, EXIT_OK);
		for (gsize j = 0; j < G_N_ELEMENTS(run_options); j++)
			assert_contains(r.out, run_options[j]);
		assert_contains(r.out, "SCENARIO_OR_IMAGE");
		cli_result_clear(&r);
	}
	/* The top-level help lists the commands. */
	CliResult r;
	RUN(&r, "--help");
	assert_contains(r.out, "scenarios");
	assert_contains(r.out, "bench");
	cli_result_clear(&r);

	RUN(&r, "--version");
	g_assert_cmpint(r.status, ==, EXIT_OK);
	g_assert_true(g_str_has_prefix(r.out, "hvsim "));
	cli_result_clear(&r);
}

/* ==== usage errors: exit 2 ================================================== */

typedef struct UsageRow {
	const char *path;
	const char *args[6];
	const char *stderr_has;
} UsageRow;

static const UsageRow usage_rows[] = {
	{ "vendor-arm",        { "run", "--vendor", "arm" },        "'arm'" },
	{ "vendor-empty",      { "run", "--vendor=" },              "--vendor" },
	{ "max-insns-abc",     { "run", "--max-insns", "abc" },     "'abc'" },
	{ "max-insns-zero",    { "run", "--max-insns", "0" },       "--max-insns: '0'" },
	{ "max-insns-neg",     { "run", "--max-insns=-5" },         "'-5'" },
	{ "max-insns-neg-sep", { "run", "--max-insns", "-5" },      "-5" },
	{ "max-insns-suffix",  { "run", "--max-insns", "10k" },     "'10k'" },
	{ "max-insns-huge",    { "run", "--max-insns", "99999999999999999999999" }, "--max-insns" },
	{ "memory-zero",       { "run", "--memory", "0" },          "--memory: '0'" },
	{ "memory-2048",       { "run", "--memory", "2048" },       "--memory: '2048'" },
	{ "memory-float",      { "run", "--memory", "1.5" },        "'1.5'" },
	{ "workload-text",     { "run", "--workload", "many" },     "--workload" },
	{ "hypercalls-neg",    { "run", "--hypercalls=-1" },        "--hypercalls" },
	{ "unknown-option",    { "run", "--frobnicate" },           "frobnicate" },
	{ "two-images",        { "run", "hello", "extra" },         "'extra'" },
	{ "unknown-command",   { "frobnicate" },                    "unknown command 'frobnicate'" },
	{ "bench-extra",       { "bench", "extra" },                "'extra'" },
	{ "bench-io-extra",    { "bench", "io", "more" },           "'more'" },
	{ "time-scale-zero",   { "run", "--backend", "kvm", "--time-scale", "0" }, "--time-scale: '0' is not a whole number between 1 and 10000" },
	{ "time-scale-huge",   { "run", "--backend", "kvm", "--time-scale=10001" }, "--time-scale: '10001'" },
	{ "time-scale-text",   { "run", "--backend", "kvm", "--time-scale", "fast" }, "--time-scale: 'fast'" },
	{ "time-scale-emulated", { "run", "--time-scale", "100" }, "--time-scale: only the native backend (--backend kvm)" },
	{ "bench-time-scale",  { "bench", "--time-scale", "10" },   "--time-scale: only `hvsim bench native`" },
	{ "bench-native-time-scale-neg", { "bench", "native", "--time-scale=-1" }, "--time-scale: '-1'" },
};

static void test_usage(gconstpointer data)
{
	const UsageRow *row = data;
	CliResult r;
	cli_run(&r, row->args);
	g_assert_cmpint(r.status, ==, EXIT_USAGE);
	assert_contains(r.err, row->stderr_has);
	/* Nothing ran: no guest output, no summary. */
	g_assert_null(strstr(r.out, "[kernel]"));
	g_assert_null(strstr(r.out, "== summary"));
	cli_result_clear(&r);
}

/* ==== load errors: exit 4 ===================================================== */

static void test_missing_file(void)
{
	Scratch s = { 0 };
	g_autofree char *path = scratch_path(&s, "no-such-guest.elf");
	CliResult r;
	RUN(&r, "run", path);
	g_assert_cmpint(r.status, ==, EXIT_LOAD);
	assert_contains(r.err, path);
	assert_contains(r.err, "no such file");
	assert_contains(r.err, "hello");        /* the built-in scenarios are listed */
	cli_result_clear(&r);
	scratch_clear(&s);
}

static void test_directory(void)
{
	Scratch s = { 0 };
	const char *dir = scratch_dir(&s);
	CliResult r;
	RUN(&r, "run", dir);
	g_assert_cmpint(r.status, ==, EXIT_LOAD);
	assert_contains(r.err, dir);
	assert_contains(r.err, "is a directory");
	cli_result_clear(&r);
	scratch_clear(&s);
}

static void test_not_elf(void)
{
	Scratch s = { 0 };
	g_autofree char *path = NULL;
	static const char garbage[] = "#!/bin/sh\necho this is not a guest image\n";
	scratch_write(&s, "garbage.elf", garbage, sizeof garbage - 1, &path);
	CliResult r;
	RUN(&r, "run", path);
	g_assert_cmpint(r.status, ==, EXIT_LOAD);
	assert_contains(r.err, path);
	assert_contains(r.err, "not an ELF file");
	cli_result_clear(&r);
	scratch_clear(&s);
}

static void test_wrong_machine(void)
{
	static const guint8 code[] = { 0xEB, 0xFE };
	g_autoptr(GByteArray) img = elf_build_code(HVSIM_IMAGE_MIN_GPA, code, sizeof code);
	elf_ehdr(img)->e_machine = EM_AARCH64;
	Scratch s = { 0 };
	g_autofree char *path = NULL;
	scratch_write(&s, "arm64.elf", img->data, img->len, &path);
	CliResult r;
	RUN(&r, "run", path);
	g_assert_cmpint(r.status, ==, EXIT_LOAD);
	assert_contains(r.err, path);
	assert_contains(r.err, "wrong machine");
	cli_result_clear(&r);
	scratch_clear(&s);
}

/* 1 MiB of RAM is a valid size, but hello.elf is linked at 1 MiB. */
static void test_memory_too_small_for_image(void)
{
	CliResult r;
	RUN(&r, "run", "hello", "--memory", "1");
	g_assert_cmpint(r.status, ==, EXIT_LOAD);
	assert_contains(r.err, "hello");
	assert_contains(r.err, "outside guest memory");
	cli_result_clear(&r);
}

static void test_trace_unwritable(void)
{
	CliResult r;
	RUN(&r, "run", "hello", "--quiet", "--trace", "/nonexistent/dir/t.jsonl");
	g_assert_cmpint(r.status, ==, EXIT_LOAD);
	assert_contains(r.err, "/nonexistent/dir/t.jsonl");
	cli_result_clear(&r);
}

/* ==== running =================================================================== */

static void test_run_hello(void)
{
	static const char *const expected[] = {
		"hello from ring 3", "killed", "VMCALL", "CPUID", "HLT", "I/O instruction", "RDMSR", "WRMSR",
		"3->0 syscall", "0->3", "3->0 int", "HvCallGetPartitionId", "HV_STATUS_INVALID_HYPERCALL_CODE",
		"== summary (intel, hvix64", "instructions retired:", "0f 01 c1 c3",
		"hvsim: all partitions shut down cleanly\n",
	};
	CliResult r;
	RUN(&r, "run", "hello");
	g_assert_cmpint(r.status, ==, EXIT_OK);
	for (gsize i = 0; i < G_N_ELEMENTS(expected); i++)
		assert_contains(r.out, expected[i]);
	g_assert_true(g_str_has_suffix(r.out, "hvsim: all partitions shut down cleanly\n"));
	g_assert_cmpstr(r.err, ==, "");
	cli_result_clear(&r);
}

/* With no scenario, run runs hello. */
static void test_run_default(void)
{
	CliResult r;
	RUN(&r, "run", "--workload", "10");
	g_assert_cmpint(r.status, ==, EXIT_OK);
	assert_contains(r.out, "hello: 10 iterations");
	cli_result_clear(&r);
}

static void test_quiet(void)
{
	CliResult r;
	RUN(&r, "run", "hello", "--quiet");
	g_assert_cmpint(r.status, ==, EXIT_OK);
	g_assert_null(strstr(r.out, "[kernel]"));
	g_assert_null(strstr(r.out, "hello from ring 3"));
	g_assert_null(strstr(r.out, "== summary"));
	g_assert_cmpstr(r.out, ==, "hvsim: all partitions shut down cleanly\n");
	cli_result_clear(&r);
}

static void test_amd(void)
{
	CliResult r;
	RUN(&r, "run", "hello", "--vendor", "amd");
	g_assert_cmpint(r.status, ==, EXIT_OK);
	assert_contains(r.out, "0f 01 d9");
	assert_contains(r.out, "== summary (amd, hvax64");
	g_assert_null(strstr(r.out, "0f 01 c1"));
	cli_result_clear(&r);
	/* Vendor names are not case-sensitive. */
	RUN(&r, "run", "hello", "--vendor=AMD", "--quiet");
	g_assert_cmpint(r.status, ==, EXIT_OK);
	cli_result_clear(&r);
}

static void test_parameters(void)
{
	CliResult r;
	RUN(&r, "run", "hello", "--workload", "1000", "--hypercalls", "5", "--memory", "32");
	g_assert_cmpint(r.status, ==, EXIT_OK);
	assert_contains(r.out, "hello: 1000 iterations");
	assert_contains(r.out, "32 MiB of memory");
	assert_contains(r.out, "5 fast hypercalls");
	cli_result_clear(&r);
}

/* The number after "events:" in the summary. */
static guint64 summary_events(const char *out)
{
	const char *p = strstr(out, "events:");
	g_assert_nonnull(p);
	return g_ascii_strtoull(p + strlen("events:"), NULL, 10);
}

static void test_trace(void)
{
	Scratch s = { 0 };
	g_autofree char *path = scratch_path(&s, "trace.jsonl");
	CliResult r;
	RUN(&r, "run", "hello", "--vendor", "amd", "--trace", path);
	g_assert_cmpint(r.status, ==, EXIT_OK);

	g_autofree char *text = NULL;
	gsize len = 0;
	g_autoptr(GError) error = NULL;
	g_assert_true(g_file_get_contents(path, &text, &len, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(len, >, 0);
	g_assert_cmpint(text[len - 1], ==, '\n');
	g_auto(GStrv) lines = text_lines(text, len);
	guint n = g_strv_length(lines);
	/* One line per event, numbered in order. */
	g_assert_cmpuint(n, ==, summary_events(r.out));
	for (guint i = 0; i < n; i++) {
		g_autofree char *prefix = g_strdup_printf("{\"seq\":%u,", i + 1);
		g_assert_true(g_str_has_prefix(lines[i], prefix));
		g_assert_true(g_str_has_suffix(lines[i], "}"));
	}
	assert_contains(text, "\"svm_name\":\"VMMCALL\"");
	assert_contains(text, "\"type\":\"partition_stop\",\"partition\":1");
	g_autofree char *last = g_strdup_printf("{\"seq\":%u,\"type\":\"partition_stop\"", n);
	g_assert_true(g_str_has_prefix(lines[n - 1], last));
	cli_result_clear(&r);
	scratch_clear(&s);
}

static void test_max_insns(void)
{
	CliResult r;
	RUN(&r, "run", "hello", "--max-insns", "100000");
	g_assert_cmpint(r.status, ==, EXIT_LIMIT);
	assert_contains(r.err, "max-insns");
	assert_contains(r.err, "stopped after");
	cli_result_clear(&r);
}

/* Guests built here: exit statuses 1 (guest error) and 3 (stuck). */
static void test_guest_outcomes(void)
{
	static const guint8 cli_hlt[] = { 0xFA, 0xF4 };   /* cli; hlt */
	static const guint8 jmp_self[] = { 0xEB, 0xFE };  /* jmp $ */
	Scratch s = { 0 };
	g_autoptr(GByteArray) a = elf_build_code(HVSIM_IMAGE_MIN_GPA, cli_hlt, sizeof cli_hlt);
	g_autoptr(GByteArray) b = elf_build_code(HVSIM_IMAGE_MIN_GPA, jmp_self, sizeof jmp_self);
	g_autofree char *pa = NULL, *pb = NULL;
	scratch_write(&s, "cli-hlt.elf", a->data, a->len, &pa);
	scratch_write(&s, "jmp-self.elf", b->data, b->len, &pb);

	CliResult r;
	RUN(&r, "run", pa);
	g_assert_cmpint(r.status, ==, EXIT_GUEST_ERROR);
	assert_contains(r.err, "interrupts disabled");
	assert_contains(r.err, "cli-hlt.elf");     /* the partition is named after the file */
	cli_result_clear(&r);

	RUN(&r, "run", pb, "--quiet");
	g_assert_cmpint(r.status, ==, EXIT_LIMIT);
	assert_contains(r.err, "stuck");
	cli_result_clear(&r);
	scratch_clear(&s);
}

static void test_no_binary(void)
{
	g_test_skip("HVSIM is not set: run these tests through `meson test`, which sets it to the built binary");
}

/* `hvsim bench io --quick`: both paths side by side, the two ratio lines,
 * and the synthetic path at least ten times fewer exits per KiB (counted,
 * not timed: the same every run). */
static void test_bench_io(void)
{
	CliResult r;
	RUN(&r, "bench", "io", "--quick");
	g_assert_cmpint(r.status, ==, EXIT_OK);
	assert_contains(r.out, "VM exits per KiB");
	assert_contains(r.out, "world switches per request");
	assert_contains(r.out, "packets per signal");
	assert_contains(r.out, "ratio io-throughput-synthetic-over-emulated ");
	const char *line = strstr(r.out, "ratio exits-per-kib-emulated-over-synthetic ");
	g_assert_nonnull(line);
	double ratio = g_ascii_strtod(line + strlen("ratio exits-per-kib-emulated-over-synthetic "), NULL);
	g_test_message("exits per KiB, emulated over synthetic: %.1f", ratio);
	g_assert_cmpfloat(ratio, >=, 10.0);
	cli_result_clear(&r);
}

static void test_scenarios(void)
{
	CliResult r;
	RUN(&r, "scenarios");
	g_assert_cmpint(r.status, ==, EXIT_OK);
	g_assert_true(g_str_has_prefix(r.out, "boot "));
	g_assert_nonnull(strstr(r.out, "\nisolation "));
	g_assert_nonnull(strstr(r.out, "\nunmapped "));
	g_assert_nonnull(strstr(r.out, "\nhello "));
	cli_result_clear(&r);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	if (!g_getenv("HVSIM")) {
		g_test_add_func("/sim/cli/no-binary", test_no_binary);
		return g_test_run();
	}
	g_test_add_func("/sim/cli/help", test_help);
	for (gsize i = 0; i < G_N_ELEMENTS(usage_rows); i++) {
		g_autofree char *path = g_strdup_printf("/sim/cli/usage/%s", usage_rows[i].path);
		g_test_add_data_func(path, &usage_rows[i], test_usage);
	}
	g_test_add_func("/sim/cli/load/missing-file", test_missing_file);
	g_test_add_func("/sim/cli/load/directory", test_directory);
	g_test_add_func("/sim/cli/load/not-elf", test_not_elf);
	g_test_add_func("/sim/cli/load/wrong-machine", test_wrong_machine);
	g_test_add_func("/sim/cli/load/memory-too-small", test_memory_too_small_for_image);
	g_test_add_func("/sim/cli/load/trace-unwritable", test_trace_unwritable);
	g_test_add_func("/sim/cli/run/hello", test_run_hello);
	g_test_add_func("/sim/cli/run/default-scenario", test_run_default);
	g_test_add_func("/sim/cli/run/quiet", test_quiet);
	g_test_add_func("/sim/cli/run/amd", test_amd);
	g_test_add_func("/sim/cli/run/parameters", test_parameters);
	g_test_add_func("/sim/cli/run/trace", test_trace);
	g_test_add_func("/sim/cli/run/max-insns", test_max_insns);
	g_test_add_func("/sim/cli/run/guest-outcomes", test_guest_outcomes);
	g_test_add_func("/sim/cli/scenarios", test_scenarios);
	g_test_add_func("/sim/cli/bench-io", test_bench_io);
	return g_test_run();
}
