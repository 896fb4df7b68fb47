/* test-backend.c — the window's backend choice decided from the capability
 * probe's verdict (gui-backend.c), given both verdicts, and the runner on
 * the KVM backend: natively where this host's probe passes (then step back
 * refuses), else on the emulator with the probe's reason. No display.
 * Host test program (this thread plays the UI thread). */
#include <glib.h>
#include <string.h>

#include "backend-kvm.h"
#include "gui-backend.h"
#include "gui-runner.h"

#define WAIT_LIMIT_US (300 * G_USEC_PER_SEC)   /* natively under a nested TCG KVM, runs are slow */
#define PVM_REASON "the probe guest expected INT 0x80 ... but got a triple fault (KVM_EXIT_SHUTDOWN)"

/* Probe passes: native is offered, its note says what it cannot show, and
 * step back is off once it runs, with the reason as tooltip. */
static void test_backend_probe_passes(void)
{
	GuiBackendOffer offer;
	gui_backend_offer(TRUE, NULL, &offer);
	g_assert_true(offer.native_selectable);
	g_assert_nonnull(strstr(offer.native_note, "passed the capability probe"));
	g_assert_nonnull(strstr(offer.native_note, "ring transitions"));
	g_assert_null(strstr(offer.native_note, "unavailable"));
	gui_backend_offer_clear(&offer);
	g_assert_null(offer.native_note);

	const char *why = NULL;
	g_assert_false(gui_backend_can_step_back(TRUE, &why));
	g_assert_cmpstr(why, ==, GUI_BACKEND_NO_STEP_BACK);
	g_assert_nonnull(strstr(why, "deterministic"));
	g_assert_cmpstr(gui_backend_label(TRUE), ==, "native (KVM)");

	/* Natively every kind can be stepped to but ring transitions. */
	static const SimStepStop kinds[] = { SIM_STEP_STOP_VM_EXIT, SIM_STEP_STOP_HYPERCALL, SIM_STEP_STOP_INTERCEPT,
		                             SIM_STEP_STOP_VMBUS, SIM_STEP_STOP_INTERRUPT };
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		why = "stale";
		g_assert_true(gui_backend_can_step_to(TRUE, kinds[i], &why));
		g_assert_null(why);
	}
	g_assert_false(gui_backend_can_step_to(TRUE, SIM_STEP_STOP_RING, &why));
	g_assert_cmpstr(why, ==, GUI_BACKEND_NO_RING_STEP);
}

/* Probe fails: native is greyed out and the tooltip is the probe's reason. */
static void test_backend_probe_fails(void)
{
	GuiBackendOffer offer;
	gui_backend_offer(FALSE, PVM_REASON, &offer);
	g_assert_false(offer.native_selectable);
	g_assert_cmpstr(offer.native_note, ==, "Native backend unavailable on this host: " PVM_REASON);
	gui_backend_offer_clear(&offer);
	/* A probe with no sentence still gives one. */
	gui_backend_offer(FALSE, "", &offer);
	g_assert_false(offer.native_selectable);
	g_assert_cmpstr(offer.native_note, ==, "Native backend unavailable on this host: the capability probe failed");
	gui_backend_offer_clear(&offer);

	const char *why = "stale";
	g_assert_true(gui_backend_can_step_back(FALSE, &why));
	g_assert_null(why);
	why = "stale";
	g_assert_true(gui_backend_can_step_to(FALSE, SIM_STEP_STOP_RING, &why));   /* the emulator sees them */
	g_assert_null(why);
	g_assert_cmpstr(gui_backend_label(FALSE), ==, "emulated (Unicorn)");
}

static void test_backend_parse(void)
{
	static const struct { const char *text; gboolean ok; SimBackendKind kind; } cases[] = {
		{ "emulated", TRUE, SIM_BACKEND_EMULATED }, { "EMULATED", TRUE, SIM_BACKEND_EMULATED },
		{ "kvm", TRUE, SIM_BACKEND_KVM }, { "Kvm", TRUE, SIM_BACKEND_KVM },
		{ "", FALSE, 0 }, { "native", FALSE, 0 }, { "kvm ", FALSE, 0 }, { "unicorn", FALSE, 0 },
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		SimBackendKind k = (SimBackendKind)99;
		gboolean ok = gui_backend_parse(cases[i].text, &k, &error);
		g_assert_cmpint(ok, ==, cases[i].ok);
		if (ok) {
			g_assert_no_error(error);
			g_assert_cmpint(k, ==, cases[i].kind);
		} else {
			g_assert_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
			g_assert_nonnull(strstr(error->message, "use emulated or kvm"));
		}
	}
}

/* Polls as the UI does until the runner is idle; returns that state. */
static GuiRunnerState *wait_idle(GuiRunner *r, guint64 *version)
{
	gint64 deadline = g_get_monotonic_time() + WAIT_LIMIT_US;
	for (;;) {
		GuiRunnerState *s = gui_runner_take(r, version, 0);
		if (s && !s->busy)
			return s;
		gui_runner_state_free(s);
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_usleep(5000);
	}
}

/* The GUI's runner asked for KVM runs `hello` to its end: natively where
 * the probe passes (no step back: it refuses and says why), else on the
 * emulator with the probe's reason (and step back works). The nested-KVM
 * harness (tests/native/run-nested.sh) runs this with a real KVM. */
static void test_backend_runner_kvm(void)
{
	GString *reason = g_string_new(NULL);
	gboolean probe = sim_kvm_probe(reason);
	g_test_message("probe: %s", probe ? "passed" : reason->str);
	/* The nested harness's emulated CPU: the guests' clock slowed (docs/native.md#time). */
	const char *scale = g_getenv("HVSIM_TEST_TIME_SCALE");
	GuiRunnerSetup setup = { .scenario = "hello", .vendor = SIM_VENDOR_INTEL, .backend = SIM_BACKEND_KVM,
	                         .native_time_scale = scale ? (uint32_t)g_ascii_strtoull(scale, NULL, 10) : 0 };
	g_autoptr(GError) error = NULL;
	GuiRunner *r = gui_runner_new_full(&setup, &error);
	g_assert_no_error(error);
	guint64 version = 0;
	GuiRunnerState *s = wait_idle(r, &version);
	g_assert_cmpint(s->native, ==, probe);
	if (probe)
		g_assert_null(s->backend_fallback);
	else
		g_assert_cmpstr(s->backend_fallback, ==, reason->str);
	gui_runner_state_free(s);

	/* To the first VM exit, then run to the end. */
	gui_runner_step_to(r, SIM_STEP_STOP_VM_EXIT);
	s = wait_idle(r, &version);
	g_assert_true(s->have_exit);
	g_assert_false(s->ended);
	gui_runner_state_free(s);
	gui_runner_step_to(r, SIM_STEP_STOP_HYPERCALL);
	s = wait_idle(r, &version);
	g_assert_nonnull(s->stop_message);
	g_assert_nonnull(strstr(s->stop_message, "hypercall"));
	gui_runner_state_free(s);

	/* Back: natively refused with the reason, emulated it replays. */
	gui_runner_back_to(r, SIM_STEP_STOP_VM_EXIT);
	s = wait_idle(r, &version);
	if (probe)
		g_assert_cmpstr(s->stop_message, ==, GUI_BACKEND_NO_STEP_BACK);
	else
		g_assert_true(g_str_has_prefix(s->stop_message, "Back right after event"));
	gui_runner_state_free(s);

	gui_runner_run(r);
	s = wait_idle(r, &version);
	g_assert_true(s->ended);
	g_assert_nonnull(s->outcome_message);
	g_test_message("outcome: %s", s->outcome_message);
	g_assert_cmpint(s->native, ==, probe);
	g_assert_nonnull(strstr(s->stats, "hypercall"));
	gui_runner_state_free(s);
	gui_runner_free(r);
	g_string_free(reason, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/gui/backend/probe-passes", test_backend_probe_passes);
	g_test_add_func("/gui/backend/probe-fails", test_backend_probe_fails);
	g_test_add_func("/gui/backend/parse", test_backend_parse);
	g_test_add_func("/gui/backend/runner-kvm", test_backend_runner_kvm);
	return g_test_run();
}
