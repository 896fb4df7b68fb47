/* gui-bench.h — `hvsim-gui --bench`: the machine's speed with the GUI's
 * runner attached against headless, and the frame times of the
 * architecture view drawn while it runs. Headless (no display): the UI
 * thread's work is modelled as polling the runner and drawing every
 * published snapshot into a Cairo image surface at 60 Hz. No GTK. */
#ifndef HVSIM_GUI_BENCH_H
#define HVSIM_GUI_BENCH_H

#include <stdio.h>

#include "sim-machine.h"

/* Prints the figures and `ratio gui-attached-speed VALUE`; returns the
 * process exit status (0, or 1 if a run failed). */
int gui_bench_run(const char *scenario, SimVendor vendor, FILE *out);

#endif /* HVSIM_GUI_BENCH_H */
