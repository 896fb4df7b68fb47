/* hvsim-main.c — the `hvsim` command line: run a scenario or guest image
 * headless, print its console and a summary, write traces, run benchmarks.
 * Main thread (which is the sim thread here). Never links GTK.
 * docs/cli.md documents every command and option; keep them in step. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backend-kvm.h"
#include "lesson-cli.h"
#include "sim-bench.h"
#include "sim-compare.h"
#include "sim-machine.h"
#include "sim-profile.h"
#include "sim-scenario.h"
#include "sim-stats.h"

enum {
	EXIT_OK = 0,
	EXIT_GUEST_ERROR = 1,  /* the guest did not shut down cleanly */
	EXIT_USAGE = 2,        /* bad command line */
	EXIT_LIMIT = 3,        /* --max-insns reached or guest stuck */
	EXIT_LOAD = 4,         /* image missing or invalid, trace not writable */
};

static const char *const top_help =
	"Usage: hvsim COMMAND [OPTIONS...]\n"
	"\n"
	"A teaching simulator of a type-1 hypervisor in the Hyper-V mould: real\n"
	"x86-64 guest code runs in a partition under a modelled ring -1 hypervisor.\n"
	"\n"
	"Commands:\n"
	"  run [OPTIONS] SCENARIO_OR_IMAGE   run a built-in scenario or a guest ELF image\n"
	"  scenarios                         list the built-in scenarios\n"
	"  profiles                          list the product profiles (run --profile NAME)\n"
	"  bench [--quick] [io|native]       measure speed against bare Unicorn baselines;\n"
	"                                    io: the synthetic against the emulated disk path;\n"
	"                                    native: the KVM backend against bare KVM_RUN\n"
	"  compare TRACE_A TRACE_B           compare two traces by the events both backends see\n"
	"  lesson [--list|--check] [NAME]    step-through lessons (docs/lessons.md)\n"
	"  probe                             can this host run guests natively (KVM)? says why not\n"
	"  help [COMMAND]                    show help (also: hvsim COMMAND --help)\n"
	"\n"
	"Documentation: docs/cli.md. `hvsim --help` also lists the options of run.\n";

/* Is `id` a child partition (created by another partition)? */
static gboolean is_child(SimMachine *m, uint32_t id)
{
	for (guint i = 0; i < sim_machine_n_partitions(m); i++) {
		SimPartition *p = sim_machine_partition(m, i);
		if (sim_partition_id(p) == id)
			return sim_partition_parent(p) != 0;
	}
	return FALSE;
}

static void print_console_event(const SimEvent *ev, gpointer user_data)
{
	if (ev->type == SIM_EV_CONSOLE) {
		/* A child's console is a device its parent's worker emulates, and
		 * the worker prints it ("child 2 | ..."); the hypervisor's copy of
		 * the bytes is in the trace and the summary, not printed twice. */
		if (is_child(user_data, ev->partition))
			return;
		fputs(ev->text, stdout);
		fputc('\n', stdout);
	} else if (ev->type == SIM_EV_BOOT) {
		fprintf(stdout, "hvsim: boot: %s\n", ev->text);
	} else if (ev->type == SIM_EV_MESSAGE) {
		fprintf(stdout, "hvsim: partition %u: %s\n", ev->partition, ev->text);
	}
}

/* Strictly parses a positive decimal integer (no sign, no suffix). */
static gboolean parse_count(const char *opt, const char *s, guint64 min, guint64 max, guint64 *out, GError **error)
{
	guint64 v = 0;
	if (!s || !g_ascii_string_to_unsigned(s, 10, min, max, &v, NULL)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		            "%s: '%s' is not a whole number between %" G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT,
		            opt, s ? s : "", min, max);
		return FALSE;
	}
	*out = v;
	return TRUE;
}

static int cmd_run(int argc, char **argv)
{
	g_autofree char *vendor = NULL, *trace = NULL, *max_insns = NULL, *memory = NULL, *workload = NULL;
	g_autofree char *hypercalls = NULL, *profile = NULL, *child = NULL, *backend = NULL, *time_scale = NULL;
	gboolean quiet = FALSE, no_virt = FALSE;
	GOptionEntry entries[] = {
		{ "vendor", 0, 0, G_OPTION_ARG_STRING, &vendor, "CPU vendor: intel (VT-x, hvix64, VMCALL) or amd (AMD-V, hvax64, VMMCALL); default intel", "intel|amd" },
		{ "trace", 0, 0, G_OPTION_ARG_FILENAME, &trace, "Write every event as one JSON object per line to FILE (docs/trace-format.md)", "FILE" },
		{ "max-insns", 0, 0, G_OPTION_ARG_STRING, &max_insns, "Stop after N guest instructions (default 20000000000)", "N" },
		{ "memory", 0, 0, G_OPTION_ARG_STRING, &memory, "Guest RAM per partition in MiB, 1-1024 (default 16)", "MIB" },
		{ "workload", 0, 0, G_OPTION_ARG_STRING, &workload, "Iterations of the ring 3 compute loop (0 = the guest's default)", "N" },
		{ "hypercalls", 0, 0, G_OPTION_ARG_STRING, &hypercalls, "Extra HvCallNotifyLongSpinWait calls the kernel makes (the benchmark's workload)", "N" },
		{ "profile", 0, 0, G_OPTION_ARG_STRING, &profile, "Apply a product's per-VM limits (see `hvsim profiles`): virtual-server-2005, hyperv-2008 or hyperv-server-2008; default none", "NAME" },
		{ "no-virtualization", 0, 0, G_OPTION_ARG_NONE, &no_virt, "The CPU model has no VT-x/AMD-V (for the boot scenario: hvboot cannot launch the hypervisor)", NULL },
		{ "child", 0, 0, G_OPTION_ARG_FILENAME, &child, "The child OS image (an ELF, docs/guest-abi.md) the boot scenario's worker process starts in the child partition; default: the built-in mini kernel", "FILE" },
		{ "backend", 0, 0, G_OPTION_ARG_STRING, &backend, "CPU backend: emulated (Unicorn, deterministic; the default) or kvm (native, after a capability probe; falls back to emulated with the reason, docs/native.md)", "emulated|kvm" },
		{ "time-scale", 0, 0, G_OPTION_ARG_STRING, &time_scale, "With --backend kvm: the guests' clock (reference time, synthetic timers) runs at host time / N, for a nested KVM whose CPU is emulated (default 1: real time; docs/native.md#time)", "N" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print neither the guest console nor the summary, only the outcome", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("SCENARIO_OR_IMAGE");
	g_autoptr(GError) error = NULL;
	g_option_context_set_summary(ctx,
		"Runs a built-in scenario (see `hvsim scenarios`; default scenario: boot)\n"
		"or a guest ELF image, prints the guest's console and a summary of VM exits,\n"
		"ring transitions and hypercalls.\n\n"
		"Exit status: 0 the guest powered off cleanly; 1 guest error (triple fault,\n"
		"stopped partition); 2 bad command line; 3 --max-insns reached or guest stuck;\n"
		"4 the image or trace file could not be used, or the --profile product refuses it.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		fprintf(stderr, "hvsim run: %s\n", error->message);
		return EXIT_USAGE;
	}
	if (argc > 2) {
		fprintf(stderr, "hvsim run: one scenario or image expected, got %d (first extra: '%s')\n", argc - 1, argv[2]);
		return EXIT_USAGE;
	}
	const char *what = argc == 2 ? argv[1] : "boot";
	const SimScenario *scenario = sim_scenario_find(what);
	if (child && !(scenario && scenario->child)) {
		fprintf(stderr, "hvsim run: --child: %s has no worker process to start a child; use a scenario that runs one (boot, isolation, io-emulated, io-synthetic, unmapped)\n", what);
		return EXIT_USAGE;
	}

	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL };
	if (vendor) {
		if (g_ascii_strcasecmp(vendor, "intel") == 0)
			cfg.vendor = SIM_VENDOR_INTEL;
		else if (g_ascii_strcasecmp(vendor, "amd") == 0)
			cfg.vendor = SIM_VENDOR_AMD;
		else {
			fprintf(stderr, "hvsim run: --vendor: '%s' is not a vendor; use intel or amd\n", vendor);
			return EXIT_USAGE;
		}
	}
	if (backend) {
		if (g_ascii_strcasecmp(backend, "emulated") == 0)
			cfg.backend = SIM_BACKEND_EMULATED;
		else if (g_ascii_strcasecmp(backend, "kvm") == 0)
			cfg.backend = SIM_BACKEND_KVM;
		else {
			fprintf(stderr, "hvsim run: --backend: '%s' is not a backend; use emulated or kvm\n", backend);
			return EXIT_USAGE;
		}
	}
	if (profile) {
		cfg.profile = sim_profile_find(profile);
		if (!cfg.profile) {
			fprintf(stderr, "hvsim run: --profile: '%s' is not a profile; use one of %s\n", profile, sim_profile_names());
			return EXIT_USAGE;
		}
	}
	guint64 v;
	if (max_insns) {
		if (!parse_count("--max-insns", max_insns, 1, G_MAXUINT64 / 2, &v, &error)) {
			fprintf(stderr, "hvsim run: %s\n", error->message);
			return EXIT_USAGE;
		}
		cfg.max_insns = v;
	}
	if (memory) {
		if (!parse_count("--memory", memory, 1, 1024, &v, &error)) {
			fprintf(stderr, "hvsim run: %s\n", error->message);
			return EXIT_USAGE;
		}
		cfg.memory_size = v << 20;
	}
	/* The product's memory limit, before anything is loaded. */
	if (!sim_profile_check_memory(cfg.profile, cfg.memory_size ? cfg.memory_size : SIM_DEFAULT_MEMORY_SIZE, &error)) {
		fprintf(stderr, "hvsim run: %s\n", error->message);
		return EXIT_LOAD;
	}
	if (workload) {
		if (!parse_count("--workload", workload, 0, G_MAXUINT32, &v, &error)) {
			fprintf(stderr, "hvsim run: %s\n", error->message);
			return EXIT_USAGE;
		}
		cfg.workload = v;
	}
	if (hypercalls) {
		if (!parse_count("--hypercalls", hypercalls, 0, G_MAXUINT32, &v, &error)) {
			fprintf(stderr, "hvsim run: %s\n", error->message);
			return EXIT_USAGE;
		}
		cfg.hypercall_loops = v;
	}

	if (time_scale) {
		if (!parse_count("--time-scale", time_scale, 1, SIM_NATIVE_MAX_TIME_SCALE, &v, &error)) {
			fprintf(stderr, "hvsim run: %s\n", error->message);
			return EXIT_USAGE;
		}
		if (cfg.backend != SIM_BACKEND_KVM) {
			fprintf(stderr, "hvsim run: --time-scale: only the native backend (--backend kvm) has a measured clock to slow down; the emulator's is modelled\n");
			return EXIT_USAGE;
		}
		cfg.native_time_scale = (uint32_t)v;
	}

	cfg.no_virtualization = no_virt;
	g_autoptr(GBytes) child_bytes = NULL;
	if (child) {
		child_bytes = sim_read_image_file(child, "--child", &error);
		if (!child_bytes) {
			fprintf(stderr, "hvsim run: %s\n", error->message);
			return EXIT_LOAD;
		}
		cfg.child_image = g_bytes_get_data(child_bytes, &cfg.child_image_len);
		cfg.child_image_name = child;
	}
	SimMachine *m = sim_machine_new(&cfg, &error);
	if (!m) {
		fprintf(stderr, "hvsim run: %s\n", error->message);
		return EXIT_LOAD;
	}
	if (sim_machine_backend_fallback(m))
		fprintf(stderr, "hvsim: native backend unavailable, running on the emulator instead: %s%s\n",
		        sim_machine_backend_fallback(m),
		        cfg.native_time_scale > 1 ? " (--time-scale is ignored: the emulator's clock is modelled)" : "");
	if (!sim_load_scenario_or_image(m, what, &error)) {
		fprintf(stderr, "hvsim run: %s\n", error->message);
		sim_machine_free(m);
		return EXIT_LOAD;
	}

	FILE *tf = NULL;
	SimTraceWriter *tw = NULL;
	if (trace) {
		tf = fopen(trace, "w");
		if (!tf) {
			fprintf(stderr, "hvsim run: --trace %s: cannot open for writing: %s\n", trace, g_strerror(errno));
			sim_machine_free(m);
			return EXIT_LOAD;
		}
		tw = sim_trace_writer_new(tf, cfg.vendor);
		sim_event_bus_subscribe(sim_machine_events(m), sim_trace_writer_on_event, tw);
	}
	SimStats *stats = sim_stats_new();
	sim_event_bus_subscribe(sim_machine_events(m), sim_stats_on_event, stats);
	if (!quiet)
		sim_event_bus_subscribe(sim_machine_events(m), print_console_event, m);

	SimOutcome outcome = sim_machine_run(m);

	int status = EXIT_OK;
	switch (outcome) {
	case SIM_OUTCOME_SHUTDOWN: status = EXIT_OK; break;
	case SIM_OUTCOME_GUEST_ERROR: status = EXIT_GUEST_ERROR; break;
	case SIM_OUTCOME_LIMIT:
	case SIM_OUTCOME_STUCK: status = EXIT_LIMIT; break;
	case SIM_OUTCOME_HOST_ERROR: status = EXIT_LOAD; break;
	}
	if (!quiet) {
		GString *s = g_string_new(NULL);
		sim_stats_summary(stats, m, s);
		fputs(s->str, stdout);
		g_string_free(s, TRUE);
	}
	fflush(stdout);
	if (status == EXIT_OK)
		fprintf(stdout, "hvsim: %s\n", sim_machine_outcome_message(m));
	else
		fprintf(stderr, "hvsim: %s\n", sim_machine_outcome_message(m));

	if (tw) {
		if (!sim_trace_writer_finish(tw)) {
			fprintf(stderr, "hvsim run: --trace %s: write failed: %s\n", trace, g_strerror(errno));
			status = status ? status : EXIT_LOAD;
		}
		sim_trace_writer_free(tw);
		if (fclose(tf) != 0 && status == EXIT_OK) {
			fprintf(stderr, "hvsim run: --trace %s: close failed: %s\n", trace, g_strerror(errno));
			status = EXIT_LOAD;
		}
	}
	sim_stats_free(stats);
	sim_machine_free(m);
	return status;
}

static int cmd_scenarios(void)
{
	for (const SimScenario *s = sim_scenarios(); s->name; s++)
		printf("%-12s %s\n", s->name, s->description);
	return EXIT_OK;
}

static int cmd_profiles(void)
{
	printf("%-20s %-34s %4s %10s  %-9s %-26s %s\n", "NAME", "PRODUCT", "VPS", "MEMORY", "GUESTS", "VMM", "PARENT SHELL");
	for (const SimProfile *p = sim_profiles(); p->name; p++) {
		g_autofree char *mem = g_strdup_printf("%" G_GUINT64_FORMAT " MiB", p->max_memory >> 20);
		printf("%-20s %-34s %4u %10s  %-9s %-26s %s\n", p->name, p->product, p->max_vps, mem,
		       sim_guest_archs_name(p->guest_archs), sim_vmm_type_name(p->vmm),
		       sim_parent_shell_name(p->parent_shell));
	}
	puts("");
	for (const SimProfile *p = sim_profiles(); p->name; p++)
		printf("%-20s %s\n", p->name, p->note);
	return EXIT_OK;
}

/* `hvsim probe`: the native backend's capability probe, alone. */
static int cmd_probe(void)
{
	GString *reason = g_string_new(NULL);
	bool ok = sim_kvm_probe(reason);
	if (ok)
		puts("hvsim probe: native mode available: /dev/kvm ran the probe guest (long mode, IRETQ to ring 3, port I/O in both rings, INT 0x80 through the IDT with the TSS stack switch, HLT) as hardware does");
	else
		printf("hvsim probe: native mode unavailable: %s\n", reason->str);
	g_string_free(reason, TRUE);
	return ok ? EXIT_OK : EXIT_GUEST_ERROR;
}

static int cmd_bench(int argc, char **argv)
{
	gboolean quick = FALSE;
	g_autofree char *time_scale = NULL;
	GOptionEntry entries[] = {
		{ "quick", 0, 0, G_OPTION_ARG_NONE, &quick, "Short runs (for smoke tests; figures are noisier)", NULL },
		{ "time-scale", 0, 0, G_OPTION_ARG_STRING, &time_scale, "bench native: the native guests' clock runs at host time / N, as `hvsim run --time-scale` (for a nested KVM whose CPU is emulated; default 1)", "N" },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("[io|native]");
	g_autoptr(GError) error = NULL;
	g_option_context_set_summary(ctx,
		"`hvsim bench io` runs the same disk workload through the synthetic\n"
		"(VMBus) and the emulated (ATA intercepts) paths and compares them.\n"
		"Without an argument: measures, in one run on this machine, the simulator against bare Unicorn\n"
		"baselines and prints one line `ratio NAME VALUE` per comparison\n"
		"(value = ours / baseline, throughput).");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		fprintf(stderr, "hvsim bench: %s\n", error->message);
		return EXIT_USAGE;
	}
	bool io = argc > 1 && g_str_equal(argv[1], "io");
	bool native = argc > 1 && g_str_equal(argv[1], "native");
	if (argc > (io || native ? 2 : 1)) {
		fprintf(stderr, "hvsim bench: unexpected argument '%s' (known: io, native)\n", argv[io || native ? 2 : 1]);
		return EXIT_USAGE;
	}
	guint64 scale = 1;
	if (time_scale && !parse_count("--time-scale", time_scale, 1, SIM_NATIVE_MAX_TIME_SCALE, &scale, &error)) {
		fprintf(stderr, "hvsim bench: %s\n", error->message);
		return EXIT_USAGE;
	}
	if (time_scale && !native) {
		fprintf(stderr, "hvsim bench: --time-scale: only `hvsim bench native` runs guests on a measured clock\n");
		return EXIT_USAGE;
	}
	if (native) /* prints the probe's reason and fails cleanly where KVM is unusable */
		return sim_bench_native(quick, (uint32_t)scale, stdout, &error) ? EXIT_OK :
		       (fprintf(stderr, "hvsim bench native: %s\n", error->message), EXIT_GUEST_ERROR);
	bool ok = io ? sim_bench_io(quick, stdout, &error) : sim_bench_run(quick, stdout, &error);
	return ok ? EXIT_OK : (fprintf(stderr, "hvsim bench: %s\n", error->message), EXIT_LOAD);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(top_help, stdout);
		return EXIT_OK;
	}
	const char *cmd = argv[1];
	if (g_str_equal(cmd, "--help") || g_str_equal(cmd, "-h") || g_str_equal(cmd, "help")) {
		char run_name[] = "hvsim run", bench_name[] = "hvsim bench", help[] = "--help";
		char *run_help[] = { run_name, help, NULL };
		char *bench_help[] = { bench_name, help, NULL };
		if (argc > 2 && g_str_equal(argv[2], "bench"))
			return cmd_bench(2, bench_help);
		if (argc > 2 && g_str_equal(argv[2], "compare")) {
			char compare_name[] = "hvsim compare";
			char *compare_help[] = { compare_name, help, NULL };
			return sim_compare_cli(2, compare_help);
		}
		if (argc > 2 && g_str_equal(argv[2], "scenarios")) {
			puts("Usage: hvsim scenarios\n\nLists the built-in scenarios that `hvsim run NAME` accepts.");
			return EXIT_OK;
		}
		if (argc > 2 && g_str_equal(argv[2], "lesson")) {
			char lesson_name[] = "hvsim lesson";
			char *lesson_help[] = { lesson_name, help, NULL };
			return lesson_cli_main(2, lesson_help);
		}
		if (argc > 2 && g_str_equal(argv[2], "profiles")) {
			puts("Usage: hvsim profiles\n\nLists the product profiles that `hvsim run --profile NAME` accepts, with their per-VM limits.");
			return EXIT_OK;
		}
		if (argc > 2 && !g_str_equal(argv[2], "run")) {
			fprintf(stderr, "hvsim help: unknown command '%s'\n", argv[2]);
			return EXIT_USAGE;
		}
		if (argc <= 2) {
			fputs(top_help, stdout);
			fputs("\n", stdout);
		}
		fflush(stdout);
		/* GOption prints the options of run and exits with status 0. */
		return cmd_run(2, run_help);
	}
	if (g_str_equal(cmd, "--version")) {
		printf("hvsim %s\n", HVSIM_VERSION);
		return EXIT_OK;
	}
	/* Subcommands parse their own options; argv[0] becomes "hvsim CMD". */
	g_autofree char *prog = g_strdup_printf("hvsim %s", cmd);
	argv[1] = prog;
	if (g_str_equal(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (g_str_equal(cmd, "scenarios"))
		return cmd_scenarios();
	if (g_str_equal(cmd, "profiles"))
		return cmd_profiles();
	if (g_str_equal(cmd, "bench"))
		return cmd_bench(argc - 1, argv + 1);
	if (g_str_equal(cmd, "compare"))
		return sim_compare_cli(argc - 1, argv + 1);
	if (g_str_equal(cmd, "lesson"))
		return lesson_cli_main(argc - 1, argv + 1);
	if (g_str_equal(cmd, "probe"))
		return cmd_probe();
	fprintf(stderr, "hvsim: unknown command '%s'\n\n%s", cmd, top_help);
	return EXIT_USAGE;
}
