/* bench-snapshot.c — what a SimSnapshot costs. The GUI's runner takes one
 * after every batch of GUI_RUNNER_RUN_BATCH (400,000) instructions while
 * running, so the figure that matters is the time of one snapshot against
 * the time the machine needs for such a batch, both measured here in the
 * same run. Prints figures; asserts nothing about speed. Host code. */
#include <glib.h>
#include <stdio.h>

#include "sim-harness.h"
#include "sim-snapshot.h"

#define BENCH_AT_INSNS   UINT64_C(8000000)  /* the boot scenario's child is running by then */
#define BENCH_BATCH      UINT64_C(400000)   /* the runner's batch (gui-runner.h) */
#define BENCH_SNAPSHOTS  2000u

static double snapshot_us(SimMachine *m, const SimSnapRequest *req)
{
	gint64 t0 = g_get_monotonic_time();
	for (guint i = 0; i < BENCH_SNAPSHOTS; i++)
		sim_snapshot_free(sim_snapshot_take_detail(m, req));
	return (double)(g_get_monotonic_time() - t0) / BENCH_SNAPSHOTS;
}

int main(void)
{
	Harness h;
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL };
	harness_init_scenario(&h, &cfg, "boot");
	while (sim_machine_insns(h.m) < BENCH_AT_INSNS && sim_machine_step(h.m, BENCH_AT_INSNS - sim_machine_insns(h.m), SIM_STEP_STOP_NONE))
		;
	/* The machine's speed here: one batch, as the runner runs it. */
	gint64 t0 = g_get_monotonic_time();
	uint64_t before = sim_machine_insns(h.m);
	sim_machine_step(h.m, BENCH_BATCH, SIM_STEP_STOP_NONE);
	double batch_us = (double)(g_get_monotonic_time() - t0) * BENCH_BATCH / (double)MAX(sim_machine_insns(h.m) - before, 1);

	SimSnapRequest basic = { 0 };
	SimSnapRequest full = {
		.detail = SIM_SNAP_DETAIL_CONSOLES | SIM_SNAP_DETAIL_GPA_MAP | SIM_SNAP_DETAIL_MEMORY,
		.mem_partition = 2, .mem_gpa = 0x100000, .mem_len = SIM_SNAP_MEMORY_MAX,
	};
	double us_basic = snapshot_us(h.m, &basic);
	double us_full = snapshot_us(h.m, &full);
	printf("snapshot at %" G_GUINT64_FORMAT " instructions, %u partitions\n", sim_machine_insns(h.m),
	       sim_machine_n_partitions(h.m));
	printf("time per snapshot (basic, what the runner takes every batch)   %.1f us\n", us_basic);
	printf("time per snapshot (all details: consoles, GPA map, 4 KiB hex) %.1f us\n", us_full);
	printf("time per %" G_GUINT64_FORMAT "-instruction batch                          %.1f us\n", BENCH_BATCH, batch_us);
	printf("ratio snapshot-basic/batch %.4f\n", us_basic / batch_us);
	printf("ratio snapshot-full/batch %.4f\n", us_full / batch_us);
	printf("ratio snapshot-full/basic %.2f\n", us_full / us_basic);
	harness_fini(&h);
	return 0;
}
