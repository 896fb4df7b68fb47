/* gui-anim-view.c — the animation in the window: the glue between
 * HvsimWindow (published state, draw hooks, the picture's frame clock) and
 * the pure-data GuiAnim. GTK main thread only. */
#include "gui-anim-view.h"

#define ANIM_VIEW_STEPS    8      /* slider steps the anim.slower/faster keys move by */
#define ANIM_VIEW_COOL_S   (3 * GUI_ANIM_HEAT_SECONDS)  /* redraw this long after the last event (heat cools) */
#define ANIM_VIEW_TEXTS_S  0.25   /* at full speed, the counters' numbers change at most this often */
#define ANIM_VIEW_TEXT_GROUPS 4u  /* ... a group of them at a time, in turn (render.h) */

struct GuiAnimView {
	HvsimWindow *win;        /* not a reference: the view dies with the window */
	GuiAnim *anim;
	GtkWidget *scale;
	GtkWidget *speed_label;
	double position;
	gboolean held;           /* the view paused a running machine */
	double last_event;       /* clock of the last fed events */
	guint tick_id;
	HvsimRenderLayoutCache layout;   /* of the picture drawn last (for the hook) */
	/* This frame's plan: made when the window asks for the items, its
	 * items drawn from it; stale from the next frame's tick on. */
	HvsimRenderAnimPlan *plan;
	gboolean plan_fresh;
	double texts_at;         /* when a group of the plan's counters last took new numbers */
	guint texts_group;       /* the group whose turn is next */
};

static double now_s(void)
{
	return g_get_monotonic_time() / (double)G_USEC_PER_SEC;
}

GuiAnim *gui_anim_view_get_anim(GuiAnimView *v)
{
	return v->anim;
}

gboolean gui_anim_view_holding(GuiAnimView *v)
{
	return v->held;
}

static void speed_text(double speed, char *buf, gsize len)
{
	if (speed >= GUI_ANIM_FULL_SPEED)
		g_strlcpy(buf, "full speed", len);
	else if (speed <= GUI_ANIM_SLOW_MOTION)
		g_strlcpy(buf, "slow motion", len);
	else
		g_snprintf(buf, len, "%.0f events/s", speed);
}

static void apply_position(GuiAnimView *v, double position)
{
	v->position = CLAMP(position, 0, 1);
	gui_anim_set_speed(v->anim, gui_anim_speed_from_slider(v->position));
	char text[32];
	speed_text(gui_anim_get_speed(v->anim), text, sizeof text);
	if (v->speed_label)
		gtk_label_set_text(GTK_LABEL(v->speed_label), text);
	gtk_widget_queue_draw(hvsim_window_get_picture(v->win));
}

void gui_anim_view_set_position(GuiAnimView *v, double position)
{
	if (v->scale)
		gtk_range_set_value(GTK_RANGE(v->scale), CLAMP(position, 0, 1));   /* calls apply_position */
	else
		apply_position(v, position);
}

static void on_scale_changed(GtkRange *range, GuiAnimView *v)
{
	apply_position(v, gtk_range_get_value(range));
}

/* Hold the machine while more than a few seconds of animation wait; let it
 * run on once the queue is short again (only if the view was what paused it). */
static void flow(GuiAnimView *v, const GuiRunnerState *st)
{
	GuiRunner *r = hvsim_window_get_runner(v->win);
	gboolean hold = gui_anim_hold(v->anim);
	if (hold && st && st->running) {
		gui_runner_pause(r);
		v->held = TRUE;
	} else if (!hold && v->held) {
		v->held = FALSE;
		if (st && !st->running && !st->ended)
			gui_runner_run(r);
	}
}

static void on_state(HvsimWindow *win, GuiAnimView *v)
{
	const GuiRunnerState *st = hvsim_window_get_state(win);
	if (!st)
		return;
	double now = now_s();
	gui_anim_feed(v->anim, (const SimEvent *)(const void *)st->events->data, st->events->len,
	              hvsim_window_get_snapshot(win), now);
	if (st->events->len)
		v->last_event = now;
	flow(v, st);
	gtk_widget_queue_draw(hvsim_window_get_picture(win));
}

static gboolean on_tick(GtkWidget *w, GdkFrameClock *clock, gpointer user_data)
{
	GuiAnimView *v = user_data;
	const GuiRunnerState *st = hvsim_window_get_state(v->win);
	double now = now_s();
	v->plan_fresh = FALSE;
	if (v->held)
		flow(v, st);
	/* While anything moves, the machine runs, or the heat still cools
	 * (a link at 1,000 events/s keeps some for about 5 s). */
	if (gui_anim_busy(v->anim) || gui_anim_warm(v->anim) || (st && st->running) ||
	    now - v->last_event < ANIM_VIEW_COOL_S)
		gtk_widget_queue_draw(w);
	return G_SOURCE_CONTINUE;
}

static void items_hook(HvsimWindow *win, int width, int height, const HvsimRenderOptions *opt, GArray *items,
                       gpointer user_data)
{
	GuiAnimView *v = user_data;
	const SimSnapshot *snap = hvsim_window_get_snapshot(win);
	v->plan_fresh = FALSE;
	if (!snap) {
		g_clear_pointer(&v->plan, hvsim_render_anim_plan_free);
		return;
	}
	const GArray *l = hvsim_render_layout_cached(&v->layout, width, height, snap, opt);
	double now = now_s();
	const GuiAnimFrame *f = gui_anim_frame(v->anim, now);
	HvsimRenderAnimPlan *plan = hvsim_render_anim_plan(width, height, l, opt, f);
	/* At full speed numbers that change 60 times a second cannot be read
	 * (and each change is a repaint): the counters keep theirs for a
	 * quarter of a second, as the window's texts do while running; they
	 * take new ones a group at a time (all at once was the most repainted
	 * frame at full speed but for a new picture). */
	if (f->full_speed && v->plan) {
		guint fresh = ANIM_VIEW_TEXT_GROUPS;
		if (now - v->texts_at >= ANIM_VIEW_TEXTS_S / ANIM_VIEW_TEXT_GROUPS) {
			fresh = v->texts_group;
			v->texts_group = (fresh + 1) % ANIM_VIEW_TEXT_GROUPS;
			v->texts_at = now;
		}
		hvsim_render_anim_plan_keep_texts(plan, v->plan, ANIM_VIEW_TEXT_GROUPS, fresh);
	} else {
		v->texts_at = now;
	}
	g_clear_pointer(&v->plan, hvsim_render_anim_plan_free);
	v->plan = plan;
	v->plan_fresh = TRUE;
	const GArray *pi = hvsim_render_anim_plan_items(v->plan);
	g_array_append_vals(items, pi->data, pi->len);
}

static void draw_item_hook(HvsimWindow *win, cairo_t *cr, int width, int height, const HvsimRenderOptions *opt,
                           guint index, gpointer user_data)
{
	GuiAnimView *v = user_data;
	const GArray *items = v->plan ? hvsim_render_anim_plan_items(v->plan) : NULL;
	if (items && v->plan_fresh && index < items->len)
		hvsim_render_anim_plan_draw_item(cr, v->plan, index);
}

static void draw_hook(HvsimWindow *win, cairo_t *cr, int width, int height, const HvsimRenderOptions *opt,
                      gpointer user_data)
{
	GuiAnimView *v = user_data;
	const SimSnapshot *snap = hvsim_window_get_snapshot(win);
	if (!snap)
		return;
	const GArray *l = hvsim_render_layout_cached(&v->layout, width, height, snap, opt);
	hvsim_render_anim(cr, width, height, l, opt, gui_anim_frame(v->anim, now_s()));
}

static void act_slower(GSimpleAction *a, GVariant *p, gpointer user_data)
{
	GuiAnimView *v = user_data;
	gui_anim_view_set_position(v, v->position - 1.0 / ANIM_VIEW_STEPS);
}

static void act_faster(GSimpleAction *a, GVariant *p, gpointer user_data)
{
	GuiAnimView *v = user_data;
	gui_anim_view_set_position(v, v->position + 1.0 / ANIM_VIEW_STEPS);
}

static const GActionEntry anim_actions[] = {
	{ .name = "slower", .activate = act_slower },
	{ .name = "faster", .activate = act_faster },
};

static void view_free(gpointer data)
{
	GuiAnimView *v = data;
	hvsim_render_layout_cache_clear(&v->layout);
	g_clear_pointer(&v->plan, hvsim_render_anim_plan_free);
	gui_anim_free(v->anim);
	g_free(v);
}

/* The slider at the end of the header bar, nearest the middle (the
 * stepping buttons fill the start; the bar is as wide as twice its wider
 * side, so the two are kept even):
 * the scale and the speed it gives ("full speed", "3 events/s"), no
 * caption (the tooltip says what it is; the header bar stays narrow). */
static void add_slider(GuiAnimView *v)
{
	GtkWidget *bar = gtk_window_get_titlebar(GTK_WINDOW(v->win));
	if (!GTK_IS_HEADER_BAR(bar))
		return;
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 4);
	v->scale = gtk_scale_new_with_range(GTK_ORIENTATION_HORIZONTAL, 0, 1, 1.0 / ANIM_VIEW_STEPS);
	gtk_scale_set_draw_value(GTK_SCALE(v->scale), FALSE);
	gtk_widget_set_size_request(v->scale, 100, -1);
	gtk_widget_set_tooltip_text(v->scale, "Animation speed: slow motion (one event a second) to full speed (heat on "
	                                      "the links). Keys: - slower, + faster");
	v->speed_label = gtk_label_new("");
	gtk_label_set_width_chars(GTK_LABEL(v->speed_label), 11);
	gtk_label_set_xalign(GTK_LABEL(v->speed_label), 0);
	gtk_widget_set_tooltip_text(v->speed_label, "Animation speed (keys: - slower, + faster)");
	gtk_box_append(GTK_BOX(box), v->scale);
	gtk_box_append(GTK_BOX(box), v->speed_label);
	gtk_header_bar_pack_end(GTK_HEADER_BAR(bar), box);
	g_signal_connect(v->scale, "value-changed", G_CALLBACK(on_scale_changed), v);
}

GuiAnimView *gui_anim_view_attach(HvsimWindow *win, double position)
{
	g_return_val_if_fail(HVSIM_IS_WINDOW(win), NULL);
	GuiAnimView *v = g_new0(GuiAnimView, 1);
	v->win = win;
	v->anim = gui_anim_new();
	v->last_event = -G_MAXDOUBLE;
	g_object_set_data_full(G_OBJECT(win), "hvsim-anim-view", v, view_free);
	add_slider(v);
	gui_anim_view_set_position(v, position);
	apply_position(v, CLAMP(position, 0, 1));

	GSimpleActionGroup *group = g_simple_action_group_new();
	g_action_map_add_action_entries(G_ACTION_MAP(group), anim_actions, G_N_ELEMENTS(anim_actions), v);
	gtk_widget_insert_action_group(GTK_WIDGET(win), "anim", G_ACTION_GROUP(group));
	g_object_unref(group);

	hvsim_window_add_draw_hook_items(win, draw_hook, items_hook, draw_item_hook, v);
	g_signal_connect(win, "state-published", G_CALLBACK(on_state), v);
	GtkWidget *picture = hvsim_window_get_picture(win);
	v->tick_id = gtk_widget_add_tick_callback(picture, on_tick, v, NULL);
	if (hvsim_window_get_state(win))
		on_state(win, v);
	return v;
}
