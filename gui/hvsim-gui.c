/* hvsim-gui.c — the classroom application: `hvsim-gui [SCENARIO]`. Parses
 * the options, runs the GtkApplication with its keyboard shortcuts and opens
 * an HvsimWindow (hvsim-window.c: the picture, the panels, the controls);
 * --export and --bench run without a window. GTK main thread only:
 * nothing here touches a SimMachine. */
#include <gtk/gtk.h>
#include <stdlib.h>
#include <string.h>

#include "backend-kvm.h"
#include "gui-anim-view.h"
#include "gui-backend.h"
#include "gui-bench.h"
#include "gui-export.h"
#include "gui-lesson.h"
#include "gui-panel.h"
#include "gui-window-bench.h"
#include "gui-runner.h"
#include "hvsim-window.h"
#include "render.h"

#define GUI_POLL_MS        33u   /* how often --export looks for published state */
#define GUI_EXPORT_W       1600  /* --export's default size (pixels for PNG, points for SVG/PDF) */
#define GUI_EXPORT_H       900

typedef struct GuiApp {
	GtkApplication *app;
	/* Options. */
	char *scenario;
	SimVendor vendor;
	SimBackendKind backend;  /* --backend, after the probe (KVM only if it passed) */
	char *screenshot;
	guint64 until_insns;
	SimStepStop until_event;  /* --until-event: step to the first event of this kind (NONE: no) */
	gboolean run;            /* start running as the window opens */
	gboolean dark;           /* the dark style (window and picture) */
	gboolean presentation;   /* presentation mode: full screen, the picture alone, large type */
	int size_w, size_h;      /* --size: the window's size (0: the .ui's default) */
	char *panel;             /* the side panel shown first: events, vp or stats */
	char *inspect;           /* --inspect: the VP page's tab (gui-panel.h page names) */
	guint32 vp_partition;    /* --vp: the VP the inspector follows (0: the last exit's) */
	guint vp_index;
	double speed_position;   /* --speed: the animation slider's position (0 slow motion .. 1 full speed) */
	double bench_minutes;    /* --bench-window: how long (0: no window bench) */
	GArray *bench_before_ips;  /* --bench-window: the headless runs before the window (double each) */
	GArray *bench_before_cpu;
	char *lesson;            /* --lesson: the lesson the side panel runs (gui-lesson.c) */
	gboolean lesson_auto;    /* --lesson-auto: step through it by itself, then exit */
	gboolean lesson_back;    /* --lesson-back: ... and go Back once before exiting */
	int status;              /* the process's exit status */

	HvsimWindow *window;
} GuiApp;

/* ---- Shortcuts ------------------------------------------------------------------- */

static void act_quit(GSimpleAction *a, GVariant *p, gpointer user_data)
{
	g_application_quit(G_APPLICATION(((GuiApp *)user_data)->app));
}

static const GActionEntry app_actions[] = {
	{ .name = "quit", .activate = act_quit },
};

/* Single keys (space, n, s, ...) drive the classroom stepping; while a text
 * entry of the window has the focus (its "typing" property) they are typed
 * instead, and only the Control variants (and F5) stay. The actions are the
 * window's (hvsim-window.c's class_init). */
static const struct { const char *action; const char *accels[3]; } app_accels[] = {
	{ "sim.run", { "space", NULL } },
	{ "sim.step-next", { "n", NULL } },
	{ "sim.step-back", { "b", NULL } },
	{ "sim.step-insn", { "i", NULL } },
	{ "sim.next-kind", { "k", NULL } },
	{ "sim.step", { "s", NULL } },
	{ "sim.reset", { "r", NULL } },
	{ "view.export", { "<Control>e", NULL } },
	{ "view.dark", { "d", NULL } },
	{ "view.presentation", { "F5", NULL } },
	{ "view.leave-presentation", { "Escape", NULL } },   /* enabled only in presentation mode */
	{ "app.quit", { "<Control>q", "q", NULL } },
	{ "win.show-help-overlay", { "question", "<Control>question", NULL } },
	{ "anim.slower", { "minus", "KP_Subtract", NULL } },   /* the animation's speed (gui-anim-view.c) */
	{ "anim.faster", { "plus", "equal", NULL } },
};

static void set_accels(GtkApplication *app, gboolean single_keys)
{
	for (guint i = 0; i < G_N_ELEMENTS(app_accels); i++) {
		const char *accels[G_N_ELEMENTS(app_accels[i].accels)] = { NULL };
		guint n = 0;
		for (guint j = 0; app_accels[i].accels[j]; j++)
			if (single_keys || strchr(app_accels[i].accels[j], '<') || g_str_equal(app_accels[i].accels[j], "F5"))
				accels[n++] = app_accels[i].accels[j];
		gtk_application_set_accels_for_action(app, app_accels[i].action, accels);
	}
}

static void on_typing(HvsimWindow *win, GParamSpec *pspec, gpointer user_data)
{
	set_accels(((GuiApp *)user_data)->app, !hvsim_window_get_typing(win));
}

/* ---- The window -------------------------------------------------------------------- */

static void on_bench_done(int status, gpointer user_data)
{
	GuiApp *g = user_data;
	g->status = status;
	g_application_quit(G_APPLICATION(g->app));
}

static void on_screenshot_done(HvsimWindow *win, gboolean ok, gpointer user_data)
{
	GuiApp *g = user_data;
	if (!ok)
		g->status = 1;
	g_application_quit(G_APPLICATION(g->app));
}

static void on_lesson_done(gboolean ok, gpointer user_data)
{
	GuiApp *g = user_data;
	g->status = ok ? 0 : 1;
	/* --screenshot with --lesson-auto: the window at the lesson's last step. */
	if (ok && g->screenshot && g->window)
		hvsim_window_screenshot_when_idle(g->window, g->screenshot, on_screenshot_done, g);
	else
		g_application_quit(G_APPLICATION(g->app));
}

static void on_activate(GApplication *app, gpointer user_data)
{
	GuiApp *g = user_data;
	if (g->window) {
		gtk_window_present(GTK_WINDOW(g->window));
		return;
	}
	g_autoptr(GError) error = NULL;
	GuiRunnerSetup setup = { .scenario = g->scenario, .vendor = g->vendor, .backend = g->backend };
	g->window = hvsim_window_new_full(g->app, &setup, &error);
	if (!g->window) {
		g_printerr("hvsim-gui: %s\n", error->message);
		g->status = 2;
		return;   /* no window: the application exits */
	}
	g_object_add_weak_pointer(G_OBJECT(g->window), (gpointer *)&g->window);
	g_signal_connect(g->window, "notify::typing", G_CALLBACK(on_typing), g);
	if (g->size_w)
		hvsim_window_set_fixed_size(g->window, g->size_w, g->size_h);
	if (g->panel)
		hvsim_window_show_panel(g->window, g->panel);
	GuiPanel *inspector = GUI_PANEL(hvsim_window_get_inspector(g->window));
	if (g->inspect)
		gui_panel_show_page(inspector, g->inspect);
	if (g->vp_partition)
		gui_panel_select(inspector, g->vp_partition, g->vp_index);
	hvsim_window_set_dark(g->window, g->dark);
	hvsim_window_set_presentation(g->window, g->presentation);
	gui_anim_view_attach(g->window, g->speed_position);
	GuiRunner *r = hvsim_window_get_runner(g->window);
	if (g->until_insns)
		gui_runner_until_insns(r, g->until_insns);
	if (g->until_event != SIM_STEP_STOP_NONE)
		gui_runner_step_to(r, g->until_event);
	if (g->run)
		gui_runner_run(r);
	if (g->screenshot && !g->lesson_auto)
		hvsim_window_screenshot_when_idle(g->window, g->screenshot, on_screenshot_done, g);
	if (g->lesson) {
		GuiLesson *gl = gui_lesson_attach(g->window, g->lesson, &error);
		if (!gl) {
			g_printerr("hvsim-gui: --lesson: %s\n", error->message);
			g->status = 4;
			gtk_window_destroy(GTK_WINDOW(g->window));
			return;
		}
		if (g->lesson_auto)
			gui_lesson_auto(gl, g->lesson_back, on_lesson_done, g);
	}
	gtk_window_present(GTK_WINDOW(g->window));
	gtk_widget_grab_focus(hvsim_window_get_picture(g->window));
	if (g->bench_minutes > 0)
		gui_window_bench_start(g->window, g->bench_minutes * 60, g->scenario, g->vendor,
		                       g_steal_pointer(&g->bench_before_ips), g_steal_pointer(&g->bench_before_cpu),
		                       stdout, on_bench_done, g);
}

/* The window owns the runner: it stops the sim thread when destroyed. */
static void on_shutdown(GApplication *app, gpointer user_data)
{
	GuiApp *g = user_data;
	if (g->window)
		gtk_window_destroy(GTK_WINDOW(g->window));
}

/* ---- Headless export ------------------------------------------------------------- */

/* --export: no window and no display; the runner still owns the machine
 * and this thread only waits for its published state. */
static int export_headless(GuiApp *g, const char *path, HvsimRenderStyle style)
{
	g_autoptr(GError) error = NULL;
	GuiExportFormat format;
	if (!gui_export_format_for(path, &format, &error)) {
		g_printerr("hvsim-gui: --export: %s\n", error->message);
		return 2;
	}
	GuiRunnerSetup setup = { .scenario = g->scenario, .vendor = g->vendor, .backend = g->backend };
	GuiRunner *r = gui_runner_new_full(&setup, &error);
	if (!r) {
		g_printerr("hvsim-gui: %s\n", error->message);
		return 2;
	}
	if (g->until_insns)
		gui_runner_until_insns(r, g->until_insns);
	if (g->until_event != SIM_STEP_STOP_NONE)
		gui_runner_step_to(r, g->until_event);
	guint64 version = 0;
	SimSnapshot *snap = NULL;
	for (;;) {
		g_autoptr(GuiRunnerState) st = gui_runner_take(r, &version, 0);
		if (st && st->snap) {
			g_clear_pointer(&snap, sim_snapshot_free);
			snap = g_steal_pointer(&st->snap);
		}
		if (st && !st->busy && snap)
			break;
		g_usleep(GUI_POLL_MS * 1000);
	}
	gui_runner_free(r);
	HvsimRenderOptions opt = { .style = style };
	int status = 0;
	if (!gui_export(snap, &opt, GUI_EXPORT_W, GUI_EXPORT_H, path, &error)) {
		g_printerr("hvsim-gui: --export: %s\n", error->message);
		status = 1;
	} else {
		g_print("hvsim-gui: wrote %s (%s at %" G_GUINT64_FORMAT " instructions)\n", path, g->scenario, snap->insns);
	}
	sim_snapshot_free(snap);
	return status;
}

/* ---- main ---------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	GuiApp g = { .vendor = SIM_VENDOR_INTEL };
	char *backend = NULL;
	char *vendor = NULL, *until_insns = NULL, *until_event = NULL, *screenshot = NULL, *export = NULL;
	gboolean dark = FALSE, bench = FALSE, run = FALSE, presentation = FALSE;
	char *panel = NULL, *size = NULL, *inspect = NULL, *vp = NULL, *speed = NULL, *bench_minutes = NULL;
	gboolean bench_window = FALSE;
	char *lesson = NULL;
	gboolean lesson_auto = FALSE, lesson_back = FALSE;
	GOptionEntry entries[] = {
		{ "vendor", 0, 0, G_OPTION_ARG_STRING, &vendor, "CPU vendor flavour: intel (VT-x, hvix64, default) or amd (AMD-V, hvax64)", "VENDOR" },
		{ "backend", 0, 0, G_OPTION_ARG_STRING, &backend, "CPU backend: emulated (Unicorn, deterministic; the default) or kvm (native, after a capability probe; falls back to the emulator with the reason; no step back natively, docs/native.md)", "emulated|kvm" },
		{ "screenshot", 0, 0, G_OPTION_ARG_FILENAME, &screenshot, "Run to the point --until-* names (default: power-on), save the window as PNG to FILE and exit", "FILE" },
		{ "export", 0, 0, G_OPTION_ARG_FILENAME, &export, "Without a window (no display needed): run to the point --until-* names, write the architecture view to FILE (.png, .svg or .pdf) and exit", "FILE" },
		{ "panel", 0, 0, G_OPTION_ARG_STRING, &panel, "The side panel shown first: events (default), vp or stats", "PANEL" },
		{ "inspect", 0, 0, G_OPTION_ARG_STRING, &inspect, "Show the VP page at this tab: cpu, vmcs, synic, memory or consoles", "TAB" },
		{ "vp", 0, 0, G_OPTION_ARG_STRING, &vp, "The VP the VP page follows, e.g. 2 or 2:0 (default: the last VM exit's)", "PARTITION[:VP]" },
		{ "run", 0, 0, G_OPTION_ARG_NONE, &run, "Start running as the window opens (with --screenshot: run to the end first)", NULL },
		{ "bench", 0, 0, G_OPTION_ARG_NONE, &bench, "Without a window: the machine's speed with the GUI's runner attached against headless, and the view's frame times; prints ratio gui-attached-speed", NULL },
		{ "dark", 0, 0, G_OPTION_ARG_NONE, &dark, "The dark style (window and picture; with --export, the picture)", NULL },
		{ "presentation", 0, 0, G_OPTION_ARG_NONE, &presentation, "Start in presentation mode (F5): full screen, the picture alone, large type; Escape or F5 leaves it", NULL },
		{ "size", 0, 0, G_OPTION_ARG_STRING, &size, "The window's size, e.g. 1920x1080 (in presentation mode: instead of full screen)", "WxH" },
		{ "until-insns", 0, 0, G_OPTION_ARG_STRING, &until_insns, "Before showing, run until the machine retired N guest instructions", "N" },
		{ "until-event", 0, 0, G_OPTION_ARG_STRING, &until_event, "Before showing, run to right after the first event of this kind: vm-exit, hypercall, intercept, vmbus, interrupt or ring", "KIND" },
		{ "speed", 0, 0, G_OPTION_ARG_STRING, &speed, "The animation's speed: slow (one event a second), full (default) or events per second (1-200)", "SPEED" },
		{ "bench-window", 0, 0, G_OPTION_ARG_NONE, &bench_window, "In a real window (needs a display): frames per second and worst frame while the machine runs at full speed, its speed against headless, memory over the run", NULL },
		{ "bench-minutes", 0, 0, G_OPTION_ARG_STRING, &bench_minutes, "How long --bench-window measures, in minutes (default 0.5)", "M" },
		{ "lesson", 0, 0, G_OPTION_ARG_STRING, &lesson, "Run a step-through lesson in the side panel (hvsim lesson --list; docs/lessons.md)", "NAME" },
		{ "lesson-auto", 0, 0, G_OPTION_ARG_NONE, &lesson_auto, "With --lesson: go through every step by itself, then exit (0: every step ran)", NULL },
		{ "lesson-back", 0, 0, G_OPTION_ARG_NONE, &lesson_back, "With --lesson-auto: at the end go Back once, which must stop at the same event as before", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("[SCENARIO] — the hvsim classroom window");
	g_option_context_set_summary(ctx, "Shows a scenario (default: boot) running on the simulated hypervisor.\n"
	                             "Keys: space run/pause, i one instruction, n next / b previous VM exit (k: other kinds), s round, r reset, F5 presentation, q quit.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_autoptr(GError) error = NULL;
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		g_printerr("hvsim-gui: %s (see hvsim-gui --help)\n", error->message);
		return 2;
	}
	if (argc > 2) {
		g_printerr("hvsim-gui: one scenario expected, got %d (first extra: '%s')\n", argc - 1, argv[2]);
		return 2;
	}
	g.scenario = g_strdup(argc > 1 ? argv[1] : "boot");
	if (vendor && g_ascii_strcasecmp(vendor, "amd") == 0)
		g.vendor = SIM_VENDOR_AMD;
	else if (vendor && g_ascii_strcasecmp(vendor, "intel") != 0) {
		g_printerr("hvsim-gui: --vendor: '%s' is not a vendor; use intel or amd\n", vendor);
		return 2;
	}
	if (backend) {
		gboolean ok = gui_backend_parse(backend, &g.backend, &error);
		g_free(backend);
		if (!ok) {
			g_printerr("hvsim-gui: --backend: %s\n", error->message);
			return 2;
		}
	}
	if (g.backend == SIM_BACKEND_KVM && (bench || bench_window || bench_minutes)) {
		g_printerr("hvsim-gui: --backend kvm: the benches count guest instructions, which the native backend cannot "
		           "(its counter holds measured nanoseconds); run them on the emulator\n");
		return 2;
	}
	if (g.backend == SIM_BACKEND_KVM) {
		/* As `hvsim run --backend kvm`: the probe first; where it fails, the
		 * reason and the emulator. */
		GString *reason = g_string_new(NULL);
		if (!sim_kvm_probe(reason)) {
			g_printerr("hvsim-gui: native backend unavailable, running on the emulator instead: %s\n", reason->str);
			g.backend = SIM_BACKEND_EMULATED;
		}
		g_string_free(reason, TRUE);
	}
	if (until_insns) {
		char *end = NULL;
		g.until_insns = g_ascii_strtoull(until_insns, &end, 10);
		if (!end || *end || !g.until_insns) {
			g_printerr("hvsim-gui: --until-insns: '%s' is not a positive number of instructions\n", until_insns);
			return 2;
		}
	}
	if (until_event) {
		static const struct { const char *name; SimStepStop kind; } kinds[] = {
			{ "vm-exit", SIM_STEP_STOP_VM_EXIT }, { "hypercall", SIM_STEP_STOP_HYPERCALL },
			{ "intercept", SIM_STEP_STOP_INTERCEPT }, { "vmbus", SIM_STEP_STOP_VMBUS },
			{ "interrupt", SIM_STEP_STOP_INTERRUPT }, { "ring", SIM_STEP_STOP_RING },
		};
		for (guint i = 0; i < G_N_ELEMENTS(kinds); i++)
			if (g_str_equal(until_event, kinds[i].name))
				g.until_event = kinds[i].kind;
		if (g.until_event == SIM_STEP_STOP_NONE) {
			g_printerr("hvsim-gui: --until-event: '%s' is not a kind of event; use vm-exit, hypercall, intercept, vmbus, interrupt or ring\n",
			           until_event);
			return 2;
		}
	}
	g.screenshot = screenshot;
	g.run = run;
	if (panel && !g_str_equal(panel, "events") && !g_str_equal(panel, "vp") && !g_str_equal(panel, "stats")) {
		g_printerr("hvsim-gui: --panel: '%s' is not a panel; use events, vp or stats\n", panel);
		return 2;
	}
	g.panel = panel;
	if (inspect) {
		static const char *const tabs[] = { GUI_PANEL_PAGE_CPU, GUI_PANEL_PAGE_VMCS, GUI_PANEL_PAGE_SYNIC,
		                                    GUI_PANEL_PAGE_MEMORY, GUI_PANEL_PAGE_CONSOLES, NULL };
		if (!g_strv_contains(tabs, inspect)) {
			g_printerr("hvsim-gui: --inspect: '%s' is not a tab; use cpu, vmcs, synic, memory or consoles\n", inspect);
			return 2;
		}
		g.inspect = inspect;
		if (!g.panel)
			g.panel = panel = g_strdup("vp");
	}
	if (vp) {
		char *end = NULL;
		guint64 part = g_ascii_strtoull(vp, &end, 10), index = 0;
		if (end && *end == ':')
			index = g_ascii_strtoull(end + 1, &end, 10);
		gboolean ok = end && !*end && part >= 1 && part <= G_MAXUINT32 && index < 64;
		if (!ok) {
			g_printerr("hvsim-gui: --vp: '%s' is not PARTITION[:VP] (e.g. 2 or 2:0)\n", vp);
			return 2;
		}
		g.vp_partition = (guint32)part;
		g.vp_index = (guint)index;
	}
	if ((lesson_auto && !lesson) || (lesson_back && !lesson_auto)) {
		g_printerr("hvsim-gui: %s\n", lesson_back && !lesson_auto ? "--lesson-back needs --lesson-auto" : "--lesson-auto needs --lesson NAME");
		return 2;
	}
	g.lesson = lesson;
	g.lesson_auto = lesson_auto;
	g.lesson_back = lesson_back;
	/* The window's own machine runs the lesson's scenario unless one is named. */
	char *lesson_scenario = lesson && argc < 2 ? gui_lesson_scenario(lesson) : NULL;
	if (lesson_scenario) {
		g_free(g.scenario);
		g.scenario = lesson_scenario;
	}
	g.dark = dark;
	g.presentation = presentation;
	if (size) {
		char *end = NULL;
		guint64 w = g_ascii_strtoull(size, &end, 10), h = 0;
		if (end && (*end == 'x' || *end == 'X'))
			h = g_ascii_strtoull(end + 1, &end, 10);
		gboolean ok = end && !*end && w >= 320 && h >= 240 && w <= 16384 && h <= 16384;
		g_free(size);
		if (!ok) {
			g_printerr("hvsim-gui: --size: expected WIDTHxHEIGHT in pixels, at least 320x240 (e.g. 1920x1080)\n");
			return 2;
		}
		g.size_w = (int)w;
		g.size_h = (int)h;
	}
	g.speed_position = 1.0;
	if (speed) {
		char *end = NULL;
		double eps = g_ascii_strtod(speed, &end);
		if (g_str_equal(speed, "slow"))
			g.speed_position = 0;
		else if (g_str_equal(speed, "full"))
			g.speed_position = 1;
		else if (end && !*end && end != speed && eps >= 1 && eps <= 200)
			g.speed_position = gui_anim_slider_from_speed(eps);
		else {
			g_printerr("hvsim-gui: --speed: '%s' is not a speed; use slow, full or events per second from 1 to 200\n", speed);
			g_free(speed);
			return 2;
		}
		g_free(speed);
	}
	if (bench_minutes || bench_window) {
		g.bench_minutes = 0.5;
		if (bench_minutes) {
			char *end = NULL;
			g.bench_minutes = g_ascii_strtod(bench_minutes, &end);
			gboolean ok = end && !*end && end != bench_minutes && g.bench_minutes > 0 && g.bench_minutes <= 24 * 60;
			g_free(bench_minutes);
			if (!ok) {
				g_printerr("hvsim-gui: --bench-minutes: expected minutes, more than 0 and at most 1440 (e.g. 0.5 or 10)\n");
				return 2;
			}
		}
		/* Half the headless reference first, in this process, before any
		 * window; the other half after the window's part (gui-window-bench.c). */
		g.bench_before_ips = g_array_new(FALSE, FALSE, sizeof(double));
		g.bench_before_cpu = g_array_new(FALSE, FALSE, sizeof(double));
		if (!gui_window_bench_headless(g.scenario, g.vendor, GUI_WINDOW_BENCH_HEADLESS_REPS, 0, g.bench_before_ips,
		                               g.bench_before_cpu, NULL, &error)) {
			g_printerr("hvsim-gui: --bench-window: %s\n", error ? error->message : "the headless run failed");
			g_array_unref(g.bench_before_ips);
			g_array_unref(g.bench_before_cpu);
			return 1;
		}
		g.speed_position = 1.0;   /* full speed: the machine is not held for the animation */
	}
	if (bench) {
		int rc = gui_bench_run(g.scenario, g.vendor, stdout);
		g_free(g.scenario);
		g_free(vendor);
		g_free(until_insns);
		g_free(until_event);
		g_free(screenshot);
		g_free(export);
		return rc;
	}
	if (export) {
		int rc = export_headless(&g, export, dark ? HVSIM_RENDER_DARK : HVSIM_RENDER_LIGHT);
		g_free(g.scenario);
		g_free(vendor);
		g_free(until_insns);
		g_free(until_event);
		g_free(screenshot);
		g_free(export);
		return rc;
	}

	g.app = gtk_application_new("org.hvsim.Gui", G_APPLICATION_NON_UNIQUE);
	g_action_map_add_action_entries(G_ACTION_MAP(g.app), app_actions, G_N_ELEMENTS(app_actions), &g);
	set_accels(g.app, TRUE);
	g_signal_connect(g.app, "activate", G_CALLBACK(on_activate), &g);
	g_signal_connect(g.app, "shutdown", G_CALLBACK(on_shutdown), &g);
	char *app_argv[] = { argv[0], NULL };
	int rc = g_application_run(G_APPLICATION(g.app), 1, app_argv);

	g_object_unref(g.app);
	g_free(g.scenario);
	g_free(vendor);
	g_free(until_insns);
	g_free(until_event);
	g_free(screenshot);
	g_free(export);
	g_free(panel);
	g_free(inspect);
	g_free(vp);
	g_free(lesson);
	g_clear_pointer(&g.bench_before_ips, g_array_unref);
	g_clear_pointer(&g.bench_before_cpu, g_array_unref);
	return rc ? rc : g.status;
}
