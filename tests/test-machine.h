/* test-machine.h — shared by the test programs that need a machine with a
 * scenario loaded (header only, so no test links anything more). Test
 * code; fails the test on any error. */
#ifndef HVSIM_TEST_MACHINE_H
#define HVSIM_TEST_MACHINE_H

#include <glib.h>

#include "sim-machine.h"
#include "sim-scenario.h"

/* A machine on the Intel flavour with `scenario` (a name or an image
 * path) loaded, not yet started. */
static inline SimMachine *test_machine_with(const char *scenario)
{
	g_autoptr(GError) error = NULL;
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL };
	SimMachine *m = sim_machine_new(&cfg, &error);
	g_assert_no_error(error);
	g_assert_nonnull(sim_load_scenario_or_image(m, scenario, &error));
	g_assert_no_error(error);
	return m;
}

#endif /* HVSIM_TEST_MACHINE_H */
