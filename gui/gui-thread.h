/* gui-thread.h — the window's background threads (the machine's and the
 * picture's) leave the UI thread the first claim on a core. Called by
 * those threads themselves, once, as they start. */
#pragma once

#include <glib.h>

/* How much nicer than the process a background thread runs: on a machine
 * with two cores the machine's thread, the UI thread, the picture's worker
 * and the display server often want three; at equal priority the UI
 * thread's frame waited its turn (docs/gui.md, Performance). */
#define GUI_THREAD_BACKGROUND_NICE 10
#define GUI_THREAD_NICE_MAX 19   /* the nicest a Linux thread can be */

/* The calling thread's nice value raised by GUI_THREAD_BACKGROUND_NICE
 * (Linux schedules each thread by its own; at most GUI_THREAD_NICE_MAX). FALSE, with
 * nothing changed, where that is not possible: then the thread runs as
 * before, at the process's priority. */
gboolean gui_thread_set_background(void);

/* The nice value of the calling thread (Linux), or of the process. */
int gui_thread_nice(void);
