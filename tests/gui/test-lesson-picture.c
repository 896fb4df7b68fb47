/* test-lesson-picture.c — lessons against the picture: every lesson run
 * step by step with the engine, and at each step's moment the renderer's
 * layout of the machine must hold every element the step highlights; and
 * every name the renderer gives its layout must be one the lesson format
 * accepts (sim/lesson-pattern.c keeps the table). Headless host test. */
#include <glib.h>
#include <string.h>

#include "lesson.h"
#include "render.h"
#include "sim-snapshot.h"

#define CANVAS_W 1280.0
#define CANVAS_H 720.0

/* Every layout name is a valid highlight (the engine's table is current). */
static void check_layout_names(const GArray *layout, const char *where)
{
	for (guint i = 0; i < layout->len; i++) {
		const HvsimRenderRect *r = &g_array_index(layout, HvsimRenderRect, i);
		if (!lesson_highlight_valid(r->name))
			g_error("%s: the picture has an element '%s' the lesson format does not know (sim/lesson-pattern.c highlight_patterns)",
			        where, r->name);
	}
}

static void test_lesson(gconstpointer data)
{
	const char *path = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(Lesson) l = lesson_load(path, &error);
	g_assert_no_error(error);
	g_autoptr(LessonRun) r = lesson_run_new(l, NULL);
	lesson_run_skip_exercises(r, TRUE);   /* they run machines of their own, not the picture's */
	guint checked = 0;
	g_autoptr(GString) missing = g_string_new(NULL);
	while (lesson_run_next(r, &error)) {
		const LessonStep *s = lesson_run_step(r);
		SimMachine *m = lesson_run_machine(r);
		if (!m || s->task || !s->highlight[0])
			continue;   /* refused (no machine), or an exercise (its own machine) */
		g_autoptr(SimSnapshot) snap = sim_snapshot_take(m);
		GArray *layout = hvsim_render_layout(CANVAS_W, CANVAS_H, snap, NULL);
		g_autofree char *where = g_strdup_printf("%s step %u", l->name, s->index + 1);
		check_layout_names(layout, where);
		for (char **h = s->highlight; *h; h++) {
			if (!hvsim_render_layout_find(layout, *h))
				g_string_append_printf(missing, "\n%s:%u: step %u highlights '%s', which the picture does not show at that moment",
				                       path, lesson_line(l, s->group, "Highlight"), s->index + 1, *h);
			checked++;
		}
		g_array_unref(layout);
	}
	g_assert_no_error(error);
	if (missing->len)
		g_error("%s", missing->str);
	g_test_message("%s: %u highlights found in the picture", l->name, checked);
	g_assert_cmpuint(checked, >, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) paths = lesson_list(&error);
	g_assert_no_error(error);
	for (guint i = 0; i < paths->len; i++) {
		const char *p = g_ptr_array_index(paths, i);
		g_autofree char *base = g_path_get_basename(p);
		base[strlen(base) - strlen(".lesson")] = '\0';
		g_autofree char *name = g_strdup_printf("/gui/lesson-picture/%s", base);
		g_test_add_data_func(name, p, test_lesson);
	}
	return g_test_run();
}
