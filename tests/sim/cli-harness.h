/* cli-harness.h — running the built `hvsim` binary (named by $HVSIM) in a
 * subprocess from a test, capturing its exit status, stdout and stderr.
 * Host test code (GLib test framework, GIO); shared by the CLI tests. */
#ifndef HVSIM_TESTS_CLI_HARNESS_H
#define HVSIM_TESTS_CLI_HARNESS_H

#include <gio/gio.h>
#include <glib.h>
#include <string.h>

typedef struct CliResult {
	int status;
	char *out;
	char *err;
} CliResult;

static inline void cli_result_clear(CliResult *r)
{
	g_free(r->out);
	g_free(r->err);
	memset(r, 0, sizeof *r);
}

/* Runs $HVSIM with the NULL-terminated arguments and waits for it. */
static inline void cli_run(CliResult *r, const char *const *args)
{
	const char *hvsim = g_getenv("HVSIM");
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new();

	g_assert_nonnull(hvsim);
	g_ptr_array_add(argv, (gpointer)hvsim);
	for (const char *const *a = args; *a; a++)
		g_ptr_array_add(argv, (gpointer)*a);
	g_ptr_array_add(argv, NULL);

	g_autoptr(GSubprocess) proc = g_subprocess_newv((const char *const *)argv->pdata,
	                                                G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
	                                                &error);
	g_assert_no_error(error);
	memset(r, 0, sizeof *r);
	g_assert_true(g_subprocess_communicate_utf8(proc, NULL, NULL, &r->out, &r->err, &error));
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(proc));
	r->status = g_subprocess_get_exit_status(proc);
	g_test_message("exit %d\n--- stdout (%zu bytes)\n%.3000s\n--- stderr\n%s", r->status,
	               strlen(r->out), r->out, r->err);
}

#endif
