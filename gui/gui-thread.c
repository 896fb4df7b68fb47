/* gui-thread.c — the window's background threads yield to the UI thread
 * (each calls it on itself as it starts). */
#include <errno.h>
#include <sys/resource.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

#include "gui-thread.h"

/* On Linux PRIO_PROCESS with a thread id names that thread alone. */
static id_t this_thread(void)
{
#ifdef __linux__
	return (id_t)syscall(SYS_gettid);
#else
	return 0;   /* the process */
#endif
}

int gui_thread_nice(void)
{
	errno = 0;
	int n = getpriority(PRIO_PROCESS, this_thread());
	return errno ? 0 : n;
}

gboolean gui_thread_set_background(void)
{
#ifdef __linux__
	int want = MIN(gui_thread_nice() + GUI_THREAD_BACKGROUND_NICE, GUI_THREAD_NICE_MAX);
	return setpriority(PRIO_PROCESS, this_thread(), want) == 0;
#else
	return FALSE;   /* elsewhere the process's priority would change with it */
#endif
}
