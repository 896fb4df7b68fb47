/* gui-lesson.c — the lesson sidebar of hvsim-gui (gui-lesson.h). GTK main
 * thread for everything on screen; each step runs on a GTask worker thread
 * that alone touches the lesson's LessonRun and machine while it works, and
 * hands back the machine's state (snapshot, the step's events, its
 * statistics) and texts. The lesson's machine is not the window's runner:
 * while a lesson is attached the window presents the lesson's machine
 * (hvsim_window_present_state: picture, event log, status line, inspector,
 * statistics) and its own stepping actions are switched off. */
#include <math.h>
#include <string.h>

#include "gui-lesson.h"
#include "lesson.h"
#include "render.h"

#define GUI_LESSON_EVENT_LINES 10   /* events listed under "What happened" */
#define GUI_LESSON_PAGE "lesson"

/* The highlight drawn around the step's elements: orange, and a light wash. */
#define HL_R 1.0
#define HL_G 0.55
#define HL_B 0.0
#define HL_WASH_ALPHA 0.16
#define HL_LINE 3.5
#define HL_PAD 2.0          /* the wash and outline reach this far round the element */
#define FNV_PRIME 0x100000001b3ull

struct GuiLesson {
	HvsimWindow *win;          /* NULL once the window is gone */
	Lesson *lesson;
	LessonRun *run;            /* only the worker touches it while busy */
	guint steps_done;          /* steps `run` has run */
	GArray *history;           /* SimEvent: the run's machine's events so far, the newest GUI_RUNNER_EVENTS_MAX */
	gboolean busy;
	gint refs;

	/* The step on screen. */
	const LessonStep *step;
	gboolean shown;            /* a state of the lesson's machine is on the window */
	char *answer_line;         /* what the question's answer turned out to be */

	GtkWidget *page, *progress, *progress_label, *step_title, *text, *terms, *ran;
	GtkWidget *question, *question_label, *choices, *verdict, *exercise, *note, *back, *next, *status;

	GArray *seqs;              /* per step: the matching event's seq when first shown (0: not yet) */
	HvsimRenderLayoutCache layout;   /* the picture's, for the highlights (GTK main thread) */
	GArray *hl_rects;          /* HvsimRenderRect: the highlights of the frame being drawn */
	gboolean autorun, auto_back, back_at_end;
	GuiLessonDone done;
	gpointer done_data;
};

static GuiLesson *gl_ref(GuiLesson *gl)
{
	g_atomic_int_inc(&gl->refs);
	return gl;
}

static void gl_unref(gpointer p)
{
	GuiLesson *gl = p;
	if (!g_atomic_int_dec_and_test(&gl->refs))
		return;
	lesson_run_free(gl->run);
	g_array_unref(gl->history);
	lesson_free(gl->lesson);
	g_free(gl->answer_line);
	g_array_unref(gl->seqs);
	hvsim_render_layout_cache_clear(&gl->layout);
	g_clear_pointer(&gl->hl_rects, g_array_unref);
	g_free(gl);
}

/* The window is going away: the lesson forgets it (a step in flight
 * finishes into nothing). */
static void gl_detach(gpointer p)
{
	GuiLesson *gl = p;
	gl->win = NULL;
	gl_unref(gl);
}

/* ---- One step, on a worker thread ------------------------------------------------ */

typedef struct Job {
	GuiLesson *gl;
	guint target;              /* 0-based step to show */
	LessonRun *run;            /* moved from gl while the job runs */
	GArray *history;           /* ... and so is its history */
	guint steps_done;
	GuiRunnerState *state;     /* the lesson's machine for the window (NULL: refused, none) */
	char *ran, *answer_line, *exercise, *note;
	guint64 match_seq;
	GError *error;
} Job;

static void job_free(gpointer p)
{
	Job *j = p;
	lesson_run_free(j->run);
	g_clear_pointer(&j->history, g_array_unref);
	g_clear_pointer(&j->state, gui_runner_state_free);
	g_free(j->ran);
	g_free(j->note);
	g_free(j->answer_line);
	g_free(j->exercise);
	g_clear_error(&j->error);
	gl_unref(j->gl);
	g_free(j);
}

/* The lesson's machine as the window shows a runner's: the snapshot (with
 * the consoles and GPA maps the inspector's pages show), the events the
 * step ran through, the last VM exit, the statistics from power-on. */
/* The step's events join the history of its machine; a step that started
 * a fresh machine (its events begin again at a lower seq) starts a new one. */
static void history_add(GArray *history, LessonRun *run)
{
	const GArray *ev = lesson_run_events(run);
	if (!lesson_run_machine(run) ||
	    (ev->len && history->len &&
	     g_array_index(ev, SimEvent, 0).seq <= g_array_index(history, SimEvent, history->len - 1).seq))
		g_array_set_size(history, 0);
	g_array_append_vals(history, ev->data, ev->len);
	if (history->len > GUI_RUNNER_EVENTS_MAX)
		g_array_remove_range(history, 0, history->len - GUI_RUNNER_EVENTS_MAX);
}

static GuiRunnerState *machine_state(LessonRun *run, const GArray *history, SimMachine *m, const LessonStep *s)
{
	GuiRunnerState *st = g_new0(GuiRunnerState, 1);
	SimSnapRequest req = { .detail = SIM_SNAP_DETAIL_CONSOLES | SIM_SNAP_DETAIL_GPA_MAP };
	st->snap = sim_snapshot_take_detail(m, &req);
	st->events = g_array_sized_new(FALSE, FALSE, sizeof(SimEvent), history->len);
	g_array_append_vals(st->events, history->data, history->len);
	st->have_exit = lesson_run_last_exit(run, &st->last_exit);
	st->ended = sim_machine_ended(m);
	if (st->ended)
		st->outcome_message = g_strdup(sim_machine_outcome_message(m));
	st->stats = lesson_run_stats(run);
	st->vendor = sim_machine_config(m)->vendor;
	uint64_t seq = lesson_run_match_seq(run);
	if (seq)
		st->stop_message = g_strdup_printf("Lesson step %u: stopped right after event %" G_GUINT64_FORMAT " (%s)",
		                                   s->index + 1, seq, lesson_pattern_spec(s->trigger));
	else
		st->stop_message = g_strdup_printf("Lesson step %u: %s", s->index + 1,
		                                   lesson_run_match_text(run) ? lesson_run_match_text(run) : "");
	return st;
}

static void job_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
	Job *j = data;
	const Lesson *l = j->gl->lesson;
	/* Back, or a fresh start: the lesson is deterministic, so running it
	 * again from step 1 reaches exactly the same moment. */
	if (!j->run || j->steps_done > j->target) {
		lesson_run_free(j->run);
		j->run = lesson_run_new(l, NULL);
		j->steps_done = 0;
		g_array_set_size(j->history, 0);
	}
	while (j->steps_done <= j->target) {
		if (!lesson_run_next(j->run, &j->error)) {
			if (!j->error)
				g_set_error(&j->error, LESSON_ERROR, LESSON_ERROR_UNREACHABLE, "the lesson has no step %u", j->target + 1);
			return;
		}
		j->steps_done++;
		history_add(j->history, j->run);
	}
	const LessonStep *s = lesson_run_step(j->run);
	SimMachine *m = lesson_run_machine(j->run);
	j->match_seq = lesson_run_match_seq(j->run);
	if (m)
		j->state = machine_state(j->run, j->history, m, s);
	j->note = g_strdup(lesson_run_note(j->run));

	GString *ran = g_string_new(NULL);
	const GArray *ev = lesson_run_events(j->run);
	if (lesson_run_match_text(j->run))
		g_string_append_printf(ran, "%s\n", lesson_run_match_text(j->run));
	if (lesson_run_events_total(j->run))
		g_string_append_printf(ran, "%" G_GUINT64_FORMAT " events, the last of them:\n", lesson_run_events_total(j->run));
	guint first = ev->len > GUI_LESSON_EVENT_LINES ? ev->len - GUI_LESSON_EVENT_LINES : 0;
	for (guint i = first; i < ev->len; i++) {
		const SimEvent *e = &g_array_index(ev, SimEvent, i);
		g_string_append(ran, e->seq == lesson_run_match_seq(j->run) ? "▶ " : "   ");
		lesson_event_describe(e, ran);
		g_string_append_c(ran, '\n');
	}
	j->ran = g_string_free(ran, FALSE);

	if (s->question) {
		g_autofree char *value = NULL;
		SimEvent observed;
		if (!lesson_run_observe(j->run, &value, &observed, &j->error))
			return;
		GString *a = g_string_new(NULL);
		g_string_append_printf(a, "The answer is %u) %s. What happened next: ", s->answer, s->choices[s->answer - 1]);
		lesson_event_describe(&observed, a);
		if (!lesson_answer_matches(s, s->values[s->answer - 1], value))
			g_string_append_printf(a, " (the lesson's answer no longer matches: %s = %s)", s->field, value);
		j->answer_line = g_string_free(a, FALSE);
	}
	if (s->task) {
		const char *why = NULL;
		LessonExerciseState st = lesson_run_exercise(j->run, &why);
		j->exercise = g_strdup_printf("%s — %s", st == LESSON_EXERCISE_SOLVED ? "Solved" : "Not yet", why ? why : "");
	}
}

/* ---- The page ---------------------------------------------------------------------- */

static void set_busy(GuiLesson *gl, gboolean busy)
{
	gl->busy = busy;
	guint idx = gl->step ? gl->step->index : 0;
	gtk_widget_set_sensitive(gl->back, !busy && gl->step && idx > 0);
	gtk_widget_set_sensitive(gl->next, !busy && (!gl->step || idx + 1 < gl->lesson->steps->len));
	if (busy)
		gtk_label_set_text(GTK_LABEL(gl->status), "Running the machine to the step's moment…");
}

static void on_choice(GtkButton *button, gpointer user_data)
{
	GuiLesson *gl = user_data;
	if (!gl->step || !gl->step->question)
		return;
	guint pick = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(button), "choice"));
	g_autofree char *line = g_strdup_printf("%s %s", pick == gl->step->answer ? "Right." : "Not this time.",
	                                        gl->answer_line ? gl->answer_line : "");
	gtk_label_set_text(GTK_LABEL(gl->verdict), line);
	for (GtkWidget *c = gtk_widget_get_first_child(gl->choices); c; c = gtk_widget_get_next_sibling(c))
		gtk_widget_set_sensitive(c, FALSE);
}

static void show_question(GuiLesson *gl, const LessonStep *s)
{
	GtkWidget *c;
	while ((c = gtk_widget_get_first_child(gl->choices)))
		gtk_box_remove(GTK_BOX(gl->choices), c);
	gtk_label_set_text(GTK_LABEL(gl->verdict), "");
	gtk_widget_set_visible(gl->question, s->question != NULL);
	if (!s->question)
		return;
	gtk_label_set_markup(GTK_LABEL(gl->question_label), s->question);
	for (guint i = 0; s->choices[i]; i++) {
		g_autofree char *label = g_strdup_printf("%u) %s", i + 1, s->choices[i]);
		GtkWidget *b = gtk_button_new_with_label(label);
		gtk_label_set_wrap(GTK_LABEL(gtk_button_get_child(GTK_BUTTON(b))), TRUE);
		gtk_label_set_xalign(GTK_LABEL(gtk_button_get_child(GTK_BUTTON(b))), 0);
		g_object_set_data(G_OBJECT(b), "choice", GUINT_TO_POINTER(i + 1));
		g_signal_connect(b, "clicked", G_CALLBACK(on_choice), gl);
		gtk_box_append(GTK_BOX(gl->choices), b);
	}
}

static void show_step(GuiLesson *gl, const LessonStep *s)
{
	guint n = gl->lesson->steps->len;
	g_autofree char *prog = g_strdup_printf("Step %u of %u", s->index + 1, n);
	gtk_label_set_text(GTK_LABEL(gl->progress_label), prog);
	gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(gl->progress), (double)(s->index + 1) / n);
	g_autofree char *title = g_markup_printf_escaped("<big><b>%s</b></big>", s->title ? s->title : "");
	gtk_label_set_markup(GTK_LABEL(gl->step_title), title);
	gtk_label_set_markup(GTK_LABEL(gl->text), s->text);
	GString *terms = g_string_new(NULL);
	for (guint t = 0; s->terms && t + 1 < s->terms->len; t += 2) {
		g_autofree char *term = g_markup_escape_text(g_ptr_array_index(s->terms, t), -1);
		g_string_append_printf(terms, "%s<b>%s</b>: %s", terms->len ? "\n" : "", term,
		                       (const char *)g_ptr_array_index(s->terms, t + 1));
	}
	gtk_label_set_markup(GTK_LABEL(gl->terms), terms->str);
	gtk_widget_set_visible(gl->terms, terms->len > 0);
	g_string_free(terms, TRUE);
	show_question(gl, s);
	gtk_widget_set_visible(gl->exercise, s->task != NULL);
}

static void go_to(GuiLesson *gl, guint target);

/* For --lesson-auto: the window's log ends with an event of the lesson's
 * machine, one of those the step ran through (its line as the log writes
 * it: "   seq  pN  what"). */
static gboolean log_shows_lesson(GuiLesson *gl, const GArray *events, char **why)
{
	g_autofree char *log = hvsim_window_get_log_text(gl->win);
	const char *nl = log ? strrchr(log, '\n') : NULL;
	const char *last = nl ? nl + 1 : log;
	if (!last || !*last) {
		*why = g_strdup("the log is empty");
		return FALSE;
	}
	SimVendor vendor = hvsim_window_get_state(gl->win) ? hvsim_window_get_state(gl->win)->vendor : SIM_VENDOR_INTEL;
	for (guint i = events->len; i > 0; i--) {
		const SimEvent *e = &g_array_index(events, SimEvent, i - 1);
		char what[320], line[400];
		gui_event_describe(e, vendor, what, sizeof what);
		g_snprintf(line, sizeof line, "%6" G_GUINT64_FORMAT "  p%u  %s", e->seq, e->partition, what);
		if (g_str_equal(line, last)) {
			*why = g_strdup_printf("window log: its last line is event %" G_GUINT64_FORMAT " of the lesson's machine",
			                       e->seq);
			return TRUE;
		}
	}
	*why = g_strdup_printf("its last line \"%s\" is none of the %u events the step ran through", last, events->len);
	return FALSE;
}

static void job_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GuiLesson *gl = user_data;
	GTask *task = G_TASK(res);
	Job *j = g_task_get_task_data(task);
	/* The run comes back to the lesson, whatever happened. */
	gl->run = g_steal_pointer(&j->run);
	gl->history = g_steal_pointer(&j->history);
	gl->steps_done = j->steps_done;
	if (!gl->win) {
		gl_unref(gl);
		return;
	}
	if (j->error) {
		gl->busy = FALSE;
		gtk_label_set_text(GTK_LABEL(gl->status), j->error->message);
		gtk_widget_set_sensitive(gl->back, FALSE);
		gtk_widget_set_sensitive(gl->next, FALSE);
		if (gl->autorun) {
			g_printerr("hvsim-gui: lesson %s: %s\n", gl->lesson->name, j->error->message);
			gl->autorun = FALSE;
			if (gl->done)
				gl->done(FALSE, gl->done_data);
		}
		gl_unref(gl);
		return;
	}
	const LessonStep *s = g_ptr_array_index(gl->lesson->steps, j->target);
	gl->step = s;
	/* The lesson is deterministic: a step shown again (Back) stops at the
	 * very same event. */
	guint64 *seen = &g_array_index(gl->seqs, guint64, j->target);
	gboolean again = *seen != 0;
	gboolean same = !again || *seen == j->match_seq;
	if (!again)
		*seen = j->match_seq;
	g_autoptr(GArray) shown_events = j->state ? g_array_ref(j->state->events) : NULL;
	if (j->state) {
		/* The window shows the lesson's machine from now on (a refused
		 * step has none: the last one stays). */
		hvsim_window_present_state(gl->win, g_steal_pointer(&j->state));
		gl->shown = TRUE;
	}
	g_free(gl->answer_line);
	gl->answer_line = g_steal_pointer(&j->answer_line);
	show_step(gl, s);
	gtk_label_set_text(GTK_LABEL(gl->note), j->note ? j->note : "");
	gtk_widget_set_visible(gl->note, j->note != NULL);
	gtk_label_set_text(GTK_LABEL(gl->ran), j->ran ? j->ran : "");
	if (s->task) {
		g_autofree char *task_text = lesson_markup_to_text(s->task, NULL);
		g_autofree char *ex = g_strdup_printf("Exercise: %s\n%s\n(change the machine with: hvsim lesson %s --set NAME=VALUE)",
		                                      task_text ? task_text : "", j->exercise, gl->lesson->name);
		gtk_label_set_text(GTK_LABEL(gl->exercise), ex);
	}
	gtk_label_set_text(GTK_LABEL(gl->status), "");
	set_busy(gl, FALSE);
	gtk_widget_queue_draw(hvsim_window_get_picture(gl->win));

	if (gl->autorun && gl->auto_back) {
		/* The last check of --lesson-auto: Back reached the same moment. */
		g_print("hvsim-gui: lesson %s: back to step %u: event #%" G_GUINT64_FORMAT " %s\n", gl->lesson->name,
		        s->index + 1, j->match_seq, same ? "again" : "DIFFERS");
		gl->autorun = FALSE;
		if (gl->done)
			gl->done(same, gl->done_data);
	} else if (gl->autorun) {
		g_print("hvsim-gui: lesson %s: step %u/%u: %s\n", gl->lesson->name, s->index + 1, gl->lesson->steps->len,
		        s->title ? s->title : "");
		g_autofree char *why = NULL;
		if (shown_events && !log_shows_lesson(gl, shown_events, &why)) {
			g_printerr("hvsim-gui: lesson %s: step %u: the window's event log does not show the lesson's machine: %s\n",
			           gl->lesson->name, s->index + 1, why);
			gl->autorun = FALSE;
			if (gl->done)
				gl->done(FALSE, gl->done_data);
			gl_unref(gl);
			return;
		}
		if (why)
			g_print("  %s\n", why);
		if (s->question)
			g_print("  %s\n", gl->answer_line);
		if (s->index + 1 < gl->lesson->steps->len) {
			go_to(gl, s->index + 1);
		} else {
			g_print("hvsim-gui: lesson %s: %u of %u steps shown in the window\n", gl->lesson->name,
			        gl->lesson->steps->len, gl->lesson->steps->len);
			if (gl->back_at_end && s->index > 0) {
				gl->auto_back = TRUE;
				go_to(gl, s->index - 1);
			} else {
				gl->autorun = FALSE;
				if (gl->done)
					gl->done(TRUE, gl->done_data);
			}
		}
	}
	gl_unref(gl);
}

static void go_to(GuiLesson *gl, guint target)
{
	if (gl->busy || target >= gl->lesson->steps->len)
		return;
	Job *j = g_new0(Job, 1);
	j->gl = gl_ref(gl);
	j->target = target;
	j->run = g_steal_pointer(&gl->run);
	j->history = g_steal_pointer(&gl->history);
	j->steps_done = gl->steps_done;
	set_busy(gl, TRUE);
	GTask *task = g_task_new(NULL, NULL, job_done, gl_ref(gl));
	g_task_set_task_data(task, j, job_free);
	g_task_run_in_thread(task, job_thread);
	g_object_unref(task);
}

static void on_next(GtkButton *b, gpointer user_data)
{
	GuiLesson *gl = user_data;
	go_to(gl, gl->step ? gl->step->index + 1 : 0);
}

static void on_back(GtkButton *b, gpointer user_data)
{
	GuiLesson *gl = user_data;
	if (gl->step && gl->step->index > 0)
		go_to(gl, gl->step->index - 1);
}

/* ---- The picture -------------------------------------------------------------------- */

/* The step's highlights at this size: the rectangles of the elements it
 * names that the picture has now (an element not drawn at this moment is
 * left out; the lesson test catches those). */
static const GArray *highlights(GuiLesson *gl, HvsimWindow *win, int width, int height, const HvsimRenderOptions *opt)
{
	const SimSnapshot *snap = hvsim_window_get_snapshot(win);
	if (!gl->hl_rects)
		gl->hl_rects = g_array_new(FALSE, FALSE, sizeof(HvsimRenderRect));
	g_array_set_size(gl->hl_rects, 0);
	if (!gl->shown || !snap || !gl->step || !gl->step->highlight[0])
		return gl->hl_rects;
	const GArray *layout = hvsim_render_layout_cached(&gl->layout, width, height, snap, opt);
	for (char **h = gl->step->highlight; *h; h++) {
		const HvsimRenderRect *r = hvsim_render_layout_find(layout, *h);
		if (r)
			g_array_append_vals(gl->hl_rects, r, 1);
	}
	return gl->hl_rects;
}

/* One highlight: an orange wash over the element and an outline round it. */
static void draw_highlight(cairo_t *cr, const HvsimRenderRect *r)
{
	cairo_rectangle(cr, r->x - HL_PAD, r->y - HL_PAD, r->w + 2 * HL_PAD, r->h + 2 * HL_PAD);
	cairo_set_source_rgba(cr, HL_R, HL_G, HL_B, HL_WASH_ALPHA);
	cairo_fill_preserve(cr);
	cairo_set_source_rgb(cr, HL_R, HL_G, HL_B);
	cairo_set_line_width(cr, HL_LINE);
	cairo_stroke(cr);
}

/* The window draws the lesson's machine itself (it presents its state);
 * the lesson adds the step's highlights, all at once (exports, or the
 * view drawn whole) ... */
static void draw_lesson(HvsimWindow *win, cairo_t *cr, int width, int height, const HvsimRenderOptions *opt,
                        gpointer user_data)
{
	const GArray *hl = highlights(user_data, win, width, height, opt);
	cairo_save(cr);
	for (guint i = 0; i < hl->len; i++)
		draw_highlight(cr, &g_array_index(hl, HvsimRenderRect, i));
	cairo_restore(cr);
}

/* ... or as items (hvsim_window_add_draw_hook_items), so that the window
 * keeps the view in tiles and repaints a highlight only when it changes:
 * its bounds reach past the outline's half width, its key is its place. */
static void lesson_items(HvsimWindow *win, int width, int height, const HvsimRenderOptions *opt, GArray *items,
                         gpointer user_data)
{
	const GArray *hl = highlights(user_data, win, width, height, opt);
	double m = HL_PAD + HL_LINE / 2 + 1;   /* the outline's outer half, and a pixel for its edge */
	for (guint i = 0; i < hl->len; i++) {
		const HvsimRenderRect *r = &g_array_index(hl, HvsimRenderRect, i);
		HvsimRenderItem it = { .x = floor(r->x - m), .y = floor(r->y - m) };
		it.w = ceil(r->x + r->w + m) - it.x;
		it.h = ceil(r->y + r->h + m) - it.y;
		double place[4] = { r->x, r->y, r->w, r->h };
		it.key = 0x6c6573736f6e0000ull;   /* "lesson": apart from other hooks' keys */
		for (guint k = 0; k < G_N_ELEMENTS(place); k++)
			it.key = (it.key ^ (guint64)llround(place[k] * 64)) * FNV_PRIME;
		g_array_append_val(items, it);
	}
}

static void lesson_draw_item(HvsimWindow *win, cairo_t *cr, int width, int height, const HvsimRenderOptions *opt,
                             guint index, gpointer user_data)
{
	GuiLesson *gl = user_data;
	if (gl->hl_rects && index < gl->hl_rects->len)   /* this frame's, made by lesson_items */
		draw_highlight(cr, &g_array_index(gl->hl_rects, HvsimRenderRect, index));
}

/* The window re-enables its stepping actions with every state it takes
 * from its runner; while a lesson drives, they stay off. */
static void disable_stepping(HvsimWindow *win)
{
	static const char *const actions[] = { "sim.run", "sim.step", "sim.step-exit", "sim.reset", "sim.step-insn",
		                               "sim.step-next", "sim.step-back", "sim.next-kind", "sim.load" };
	for (gsize i = 0; i < G_N_ELEMENTS(actions); i++)
		gtk_widget_action_set_enabled(GTK_WIDGET(win), actions[i], FALSE);
}

static void on_state_published(HvsimWindow *win, gpointer user_data)
{
	disable_stepping(win);
}

static GtkWidget *label_new(gboolean wrap, gboolean mono)
{
	GtkWidget *l = gtk_label_new(NULL);
	gtk_label_set_wrap(GTK_LABEL(l), wrap);
	gtk_label_set_wrap_mode(GTK_LABEL(l), PANGO_WRAP_WORD_CHAR);
	gtk_label_set_xalign(GTK_LABEL(l), 0);
	gtk_label_set_selectable(GTK_LABEL(l), TRUE);
	if (mono)
		gtk_widget_add_css_class(l, "monospace");
	return l;
}

GuiLesson *gui_lesson_attach(HvsimWindow *win, const char *name, GError **error)
{
	g_return_val_if_fail(HVSIM_IS_WINDOW(win), NULL);
	g_autofree char *path = lesson_find(name, error);
	if (!path)
		return NULL;
	Lesson *l = lesson_load(path, error);
	if (!l)
		return NULL;
	GuiLesson *gl = g_new0(GuiLesson, 1);
	gl->refs = 1;
	gl->win = win;
	gl->lesson = l;
	gl->seqs = g_array_new(FALSE, TRUE, sizeof(guint64));
	gl->history = g_array_new(FALSE, FALSE, sizeof(SimEvent));
	g_array_set_size(gl->seqs, l->steps->len);

	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8);
	gtk_widget_set_margin_start(box, 10);
	gtk_widget_set_margin_end(box, 10);
	gtk_widget_set_margin_top(box, 8);
	gtk_widget_set_margin_bottom(box, 8);
	GtkWidget *title = label_new(TRUE, FALSE);
	g_autofree char *tm = g_markup_printf_escaped("<b>%s</b>", l->title);
	gtk_label_set_markup(GTK_LABEL(title), tm);
	gtk_box_append(GTK_BOX(box), title);
	gl->progress_label = label_new(FALSE, FALSE);
	gtk_box_append(GTK_BOX(box), gl->progress_label);
	gl->progress = gtk_progress_bar_new();
	gtk_box_append(GTK_BOX(box), gl->progress);
	gl->step_title = label_new(TRUE, FALSE);
	gtk_box_append(GTK_BOX(box), gl->step_title);
	gl->text = label_new(TRUE, FALSE);
	gtk_box_append(GTK_BOX(box), gl->text);
	gl->terms = label_new(TRUE, FALSE);
	gtk_widget_add_css_class(gl->terms, "dim-label");
	gtk_box_append(GTK_BOX(box), gl->terms);
	gl->note = label_new(TRUE, FALSE);   /* Measure=: what the host said */
	gtk_widget_set_visible(gl->note, FALSE);
	gtk_box_append(GTK_BOX(box), gl->note);

	gl->question = gtk_frame_new("Question");
	GtkWidget *qbox = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	gtk_widget_set_margin_start(qbox, 8);
	gtk_widget_set_margin_end(qbox, 8);
	gtk_widget_set_margin_top(qbox, 6);
	gtk_widget_set_margin_bottom(qbox, 6);
	gl->question_label = label_new(TRUE, FALSE);
	gl->choices = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
	gl->verdict = label_new(TRUE, FALSE);
	gtk_box_append(GTK_BOX(qbox), gl->question_label);
	gtk_box_append(GTK_BOX(qbox), gl->choices);
	gtk_box_append(GTK_BOX(qbox), gl->verdict);
	gtk_frame_set_child(GTK_FRAME(gl->question), qbox);
	gtk_widget_set_visible(gl->question, FALSE);
	gtk_box_append(GTK_BOX(box), gl->question);

	gl->exercise = label_new(TRUE, FALSE);
	gtk_widget_set_visible(gl->exercise, FALSE);
	gtk_box_append(GTK_BOX(box), gl->exercise);

	GtkWidget *what = label_new(FALSE, FALSE);
	gtk_label_set_markup(GTK_LABEL(what), "<small><b>What the machine ran through</b></small>");
	gtk_box_append(GTK_BOX(box), what);
	gl->ran = label_new(TRUE, TRUE);
	gtk_box_append(GTK_BOX(box), gl->ran);

	GtkWidget *buttons = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	gl->back = gtk_button_new_with_mnemonic("_Back");
	gl->next = gtk_button_new_with_mnemonic("_Next");
	gtk_widget_add_css_class(gl->next, "suggested-action");
	g_signal_connect(gl->back, "clicked", G_CALLBACK(on_back), gl);
	g_signal_connect(gl->next, "clicked", G_CALLBACK(on_next), gl);
	gtk_box_append(GTK_BOX(buttons), gl->back);
	gtk_box_append(GTK_BOX(buttons), gl->next);
	gl->status = label_new(TRUE, FALSE);

	GtkWidget *scroll = gtk_scrolled_window_new();
	gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroll), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), box);
	gtk_widget_set_vexpand(scroll, TRUE);
	gl->page = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	gtk_box_append(GTK_BOX(gl->page), scroll);
	gtk_widget_set_margin_start(buttons, 10);
	gtk_widget_set_margin_bottom(buttons, 6);
	gtk_box_append(GTK_BOX(gl->page), gl->status);
	gtk_box_append(GTK_BOX(gl->page), buttons);

	hvsim_window_add_panel(win, GUI_LESSON_PAGE, "Lesson", gl->page, NULL, NULL);
	hvsim_window_show_panel(win, GUI_LESSON_PAGE);
	hvsim_window_add_draw_hook_items(win, draw_lesson, lesson_items, lesson_draw_item, gl);
	g_signal_connect(win, "state-published", G_CALLBACK(on_state_published), NULL);
	disable_stepping(win);
	/* The window holds the lesson; the lesson only points back. */
	g_object_set_data_full(G_OBJECT(win), "gui-lesson", gl, gl_detach);
	go_to(gl, 0);
	return gl;
}

void gui_lesson_auto(GuiLesson *gl, gboolean back, GuiLessonDone done, gpointer user_data)
{
	gl->autorun = TRUE;
	gl->back_at_end = back;
	gl->done = done;
	gl->done_data = user_data;
	/* Step 1 is already running; its completion goes on from there. If it
	 * already finished, start the next one now. */
	if (!gl->busy && gl->step) {
		if (gl->step->index + 1 < gl->lesson->steps->len) {
			go_to(gl, gl->step->index + 1);
		} else {
			gl->autorun = FALSE;
			done(TRUE, user_data);
		}
	}
}

char *gui_lesson_scenario(const char *name)
{
	g_autofree char *path = lesson_find(name, NULL);
	g_autoptr(Lesson) l = path ? lesson_load(path, NULL) : NULL;
	const char *sc = l ? g_hash_table_lookup(l->settings, "scenario") : NULL;
	return g_strdup(sc);
}
