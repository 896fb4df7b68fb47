/* test-profile.c — tests for the product profiles (sim-profile.c): the
 * table's limits as the seed's History part and Table 1 give them, the
 * memory / guest-architecture / VP checks, their enforcement in
 * sim_machine_add_partition, and `hvsim run --profile` / `hvsim profiles`
 * through the built binary named by $HVSIM. Host test program. */
#include <gio/gio.h>
#include <glib.h>
#include <string.h>

#include "cli-harness.h"
#include "sim-machine.h"
#include "sim-profile.h"
#include "sim-scenario.h"
#include "sim-stats.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

static void test_table(void)
{
	const SimProfile *vs = sim_profile_find("virtual-server-2005");
	const SimProfile *hv = sim_profile_find("hyperv-2008");
	const SimProfile *hs = sim_profile_find("hyperv-server-2008");
	g_assert_nonnull(vs);
	g_assert_nonnull(hv);
	g_assert_nonnull(hs);
	g_assert_null(sim_profile_find("hyperv-2012"));
	g_assert_null(sim_profile_find(NULL));

	guint n = 0;
	for (const SimProfile *p = sim_profiles(); p->name; p++)
		n++;
	g_assert_cmpuint(n, ==, 3);

	/* Virtual Server 2005: one x86 processor, at most 3.6 GB, hybrid VMM. */
	g_assert_cmpstr(vs->product, ==, "Virtual Server 2005");
	g_assert_cmpuint(vs->max_vps, ==, 1);
	g_assert_cmpuint(vs->max_memory, ==, (uint64_t)(3.6 * 1024) * MIB);
	g_assert_cmpuint(vs->max_memory, ==, 3686 * MIB);
	g_assert_cmpuint(vs->guest_archs, ==, SIM_GUEST_ARCH_X86);
	g_assert_cmpint(vs->vmm, ==, SIM_VMM_HYBRID);
	g_assert_cmpint(vs->parent_shell, ==, SIM_PARENT_GUI);

	/* Hyper-V (Windows Server 2008 x64): x86 and x64, 64 GB, 4 VPs, type 1, GUI. */
	g_assert_cmpuint(hv->max_vps, ==, 4);
	g_assert_cmpuint(hv->max_memory, ==, 64 * GIB);
	g_assert_cmpuint(hv->guest_archs, ==, SIM_GUEST_ARCH_X86 | SIM_GUEST_ARCH_X64);
	g_assert_cmpint(hv->vmm, ==, SIM_VMM_TYPE1);
	g_assert_cmpint(hv->parent_shell, ==, SIM_PARENT_GUI);
	g_assert_nonnull(strstr(hv->product, "Hyper-V"));

	/* Hyper-V Server 2008: the same hypervisor and limits, no GUI shell. */
	g_assert_cmpstr(hs->product, ==, "Hyper-V Server 2008");
	g_assert_cmpuint(hs->max_vps, ==, hv->max_vps);
	g_assert_cmpuint(hs->max_memory, ==, hv->max_memory);
	g_assert_cmpuint(hs->guest_archs, ==, hv->guest_archs);
	g_assert_cmpint(hs->vmm, ==, SIM_VMM_TYPE1);
	g_assert_cmpint(hs->parent_shell, ==, SIM_PARENT_NONE);

	for (const SimProfile *p = sim_profiles(); p->name; p++) {
		g_assert_nonnull(strstr(sim_profile_names(), p->name));
		g_assert_nonnull(p->note);
	}
}

static void test_memory_limit(void)
{
	const SimProfile *vs = sim_profile_find("virtual-server-2005");
	const SimProfile *hv = sim_profile_find("hyperv-2008");
	g_autoptr(GError) error = NULL;

	g_assert_true(sim_profile_check_memory(NULL, 1000 * GIB, NULL));
	g_assert_true(sim_profile_check_memory(vs, 3686 * MIB, &error));
	g_assert_no_error(error);
	g_assert_false(sim_profile_check_memory(vs, 3687 * MIB, &error));
	g_assert_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_MEMORY);
	g_assert_cmpstr(error->message, ==,
	                "Virtual Server 2005 allows at most 3686 MB of memory per virtual machine; this one asks for 3687 MB");
	g_clear_error(&error);
	g_assert_true(sim_profile_check_memory(hv, 64 * GIB, &error));
	g_assert_false(sim_profile_check_memory(hv, 64 * GIB + MIB, &error));
	g_assert_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_MEMORY);
	g_assert_nonnull(strstr(error->message, "at most 65536 MB"));
}

/* sim_machine_add_partition refuses memory over the limit with the
 * product's message, before the simulator's own 1 GiB cap is consulted. */
static void test_memory_add_partition(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) img = sim_guest_image("hello.elf", &error);
	g_assert_no_error(error);
	gsize len;
	const guint8 *data = g_bytes_get_data(img, &len);

	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL, .memory_size = 3687 * MIB,
	                  .profile = sim_profile_find("virtual-server-2005") };
	SimMachine *m = sim_machine_new(&cfg, &error);
	g_assert_no_error(error);
	g_assert_null(sim_machine_add_partition(m, "big", data, len, "hello.elf", &error));
	g_assert_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_MEMORY);
	g_assert_nonnull(strstr(error->message, "Virtual Server 2005 allows at most 3686 MB"));
	g_assert_cmpuint(sim_machine_n_partitions(m), ==, 0);
	sim_machine_free(m);
	g_clear_error(&error);

	cfg.profile = sim_profile_find("hyperv-2008");
	cfg.memory_size = 65 * GIB;
	m = sim_machine_new(&cfg, &error);
	g_assert_null(sim_machine_add_partition(m, "big", data, len, "hello.elf", &error));
	g_assert_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_MEMORY);
	g_assert_nonnull(strstr(error->message, "Hyper-V"));
	sim_machine_free(m);
}

static void test_x64_refused(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) img = sim_guest_image("hello.elf", &error);
	g_assert_no_error(error);
	gsize len;
	const guint8 *data = g_bytes_get_data(img, &len);

	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL, .profile = sim_profile_find("virtual-server-2005") };
	SimMachine *m = sim_machine_new(&cfg, &error);
	g_assert_null(sim_machine_add_partition(m, "hello", data, len, "hello.elf", &error));
	g_assert_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_ARCH);
	g_assert_cmpstr(error->message, ==, "Virtual Server 2005 runs 32-bit (x86) guests only; hello.elf is an x64 image");
	g_assert_cmpuint(sim_machine_n_partitions(m), ==, 0);
	sim_machine_free(m);

	/* The helper alone: x64 passes where x64 is allowed; non-ELF is left to the loader. */
	g_clear_error(&error);
	g_assert_true(sim_profile_check_image(sim_profile_find("hyperv-2008"), data, len, "hello.elf", &error));
	g_assert_true(sim_profile_check_image(NULL, data, len, "hello.elf", &error));
	g_assert_true(sim_profile_check_image(sim_profile_find("virtual-server-2005"), (const guint8 *)"junk", 4, "junk", &error));
	g_assert_no_error(error);
}

static void run_hello_clean(gconstpointer name)
{
	g_autoptr(GError) error = NULL;
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL, .profile = sim_profile_find(name), .quiet_guest = TRUE };
	g_assert_nonnull(cfg.profile);
	SimMachine *m = sim_machine_new(&cfg, &error);
	g_assert_no_error(error);
	g_assert_nonnull(sim_load_scenario_or_image(m, "hello", &error));
	g_assert_no_error(error);
	SimStats *stats = sim_stats_new();
	sim_event_bus_subscribe(sim_machine_events(m), sim_stats_on_event, stats);
	g_assert_cmpint(sim_machine_run(m), ==, SIM_OUTCOME_SHUTDOWN);
	GString *s = g_string_new(NULL);
	sim_stats_summary(stats, m, s);
	g_autofree char *want = g_strdup_printf("profile %s;", cfg.profile->product);
	g_assert_nonnull(strstr(s->str, want));
	g_string_free(s, TRUE);
	sim_stats_free(stats);
	sim_machine_free(m);
}

static void test_vps(void)
{
	const SimProfile *vs = sim_profile_find("virtual-server-2005");
	const SimProfile *hv = sim_profile_find("hyperv-2008");
	const SimProfile *hs = sim_profile_find("hyperv-server-2008");
	g_autoptr(GError) error = NULL;

	g_assert_true(sim_profile_check_vps(NULL, 64, NULL));
	g_assert_true(sim_profile_check_vps(vs, 1, &error));
	g_assert_false(sim_profile_check_vps(vs, 2, &error));
	g_assert_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_VPS);
	g_assert_cmpstr(error->message, ==,
	                "Virtual Server 2005 allows at most 1 virtual processor per virtual machine; this one asks for 2");
	g_clear_error(&error);
	for (guint n = 1; n <= 4; n++) {
		g_assert_true(sim_profile_check_vps(hv, n, &error));
		g_assert_true(sim_profile_check_vps(hs, n, &error));
	}
	g_assert_no_error(error);
	g_assert_false(sim_profile_check_vps(hv, 5, &error));
	g_assert_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_VPS);
	g_assert_nonnull(strstr(error->message, "at most 4 virtual processors"));
	g_clear_error(&error);
	g_assert_false(sim_profile_check_vps(hs, 5, &error));
	g_assert_nonnull(strstr(error->message, "Hyper-V Server 2008"));
}

/* ---- CLI, through $HVSIM ---------------------------------------------------- */

#define RUN(r, ...) cli_run((r), (const char *const[]){ __VA_ARGS__, NULL })

static void test_cli_bad_profile(void)
{
	CliResult r;
	RUN(&r, "run", "hello", "--profile", "hyperv-2012");
	g_assert_cmpint(r.status, ==, 2);
	g_assert_cmpstr(r.err, ==, "hvsim run: --profile: 'hyperv-2012' is not a profile; use one of "
	                           "virtual-server-2005, hyperv-2008, hyperv-server-2008\n");
	g_assert_cmpstr(r.out, ==, "");
	cli_result_clear(&r);

	RUN(&r, "run", "--help");
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "--profile"));
	g_assert_nonnull(strstr(r.out, "virtual-server-2005, hyperv-2008 or hyperv-server-2008"));
	cli_result_clear(&r);
}

static void test_cli_profiles(void)
{
	CliResult r;
	RUN(&r, "profiles");
	g_assert_cmpint(r.status, ==, 0);
	g_assert_cmpstr(r.err, ==, "");
	g_auto(GStrv) lines = g_strsplit(r.out, "\n", -1);
	guint rows = 0;
	for (const SimProfile *p = sim_profiles(); p->name; p++) {
		for (char **l = lines; *l; l++)
			if (g_str_has_prefix(*l, p->name) && strstr(*l, " MiB")) {
				rows++;
				g_autofree char *mem = g_strdup_printf("%" G_GUINT64_FORMAT " MiB", p->max_memory >> 20);
				g_assert_nonnull(strstr(*l, mem));
				g_assert_nonnull(strstr(*l, p->product));
			}
	}
	g_assert_cmpuint(rows, ==, 3);
	g_assert_nonnull(strstr(r.out, "3686 MiB"));
	g_assert_nonnull(strstr(r.out, "65536 MiB"));
	cli_result_clear(&r);
}

static void test_cli_vs2005_refuses(void)
{
	CliResult r;
	RUN(&r, "run", "hello", "--profile", "virtual-server-2005");
	g_assert_cmpint(r.status, ==, 4);
	g_assert_cmpstr(r.err, ==, "hvsim run: Virtual Server 2005 runs 32-bit (x86) guests only; hello is an x64 image\n");
	g_assert_cmpstr(r.out, ==, "");
	cli_result_clear(&r);
}

static void test_cli_hyperv_runs(void)
{
	CliResult r;
	RUN(&r, "run", "hello", "--profile", "hyperv-2008");
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "== summary (intel, hvix64 flavour, profile Hyper-V (Windows Server 2008 x64);"));
	g_assert_nonnull(strstr(r.out, "--profile hyperv-2008"));
	cli_result_clear(&r);

	RUN(&r, "run", "hello", "--profile=hyperv-server-2008", "--vendor", "amd");
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "profile Hyper-V Server 2008;"));
	cli_result_clear(&r);

	/* Without --profile the header is unchanged. */
	RUN(&r, "run", "hello");
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "== summary (intel, hvix64 flavour; costs"));
	g_assert_null(strstr(r.out, "profile"));
	cli_result_clear(&r);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sim/profile/table", test_table);
	g_test_add_func("/sim/profile/memory-limit", test_memory_limit);
	g_test_add_func("/sim/profile/memory-add-partition", test_memory_add_partition);
	g_test_add_func("/sim/profile/x64-refused", test_x64_refused);
	g_test_add_data_func("/sim/profile/hello/hyperv-2008", "hyperv-2008", run_hello_clean);
	g_test_add_data_func("/sim/profile/hello/hyperv-server-2008", "hyperv-server-2008", run_hello_clean);
	g_test_add_func("/sim/profile/vps", test_vps);
	g_test_add_func("/sim/profile/cli/bad-profile", test_cli_bad_profile);
	g_test_add_func("/sim/profile/cli/profiles", test_cli_profiles);
	g_test_add_func("/sim/profile/cli/virtual-server-2005", test_cli_vs2005_refuses);
	g_test_add_func("/sim/profile/cli/hyperv", test_cli_hyperv_runs);
	return g_test_run();
}
