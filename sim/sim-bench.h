/* sim-bench.h — `hvsim bench`: throughput against bare Unicorn baselines.
 * Main thread. Prints `ratio NAME VALUE` lines (docs/cli.md). */
#ifndef HVSIM_SIM_BENCH_H
#define HVSIM_SIM_BENCH_H

#include <stdbool.h>
#include <stdio.h>

#include <glib.h>

bool sim_bench_run(bool quick, FILE *out, GError **error);
/* `hvsim bench io`: io-synthetic against io-emulated (the same workload). */
bool sim_bench_io(bool quick, FILE *out, GError **error);
/* `hvsim bench native`: the KVM backend against bare KVM_RUN and against
 * the emulator (docs/native.md); false with the probe's reason printed
 * where KVM cannot run hvsim guests. */
bool sim_bench_native(bool quick, uint32_t time_scale, FILE *out, GError **error);
#define SIM_BENCH_IO_KIB 4u   /* what the scenarios' iotest writes (and reads back) */

#endif
