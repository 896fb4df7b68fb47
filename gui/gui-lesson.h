/* gui-lesson.h — the lesson sidebar of hvsim-gui: a side-panel page that
 * runs a lesson (sim/lesson.h) step by step, shows its narrative, progress,
 * the events each step ran through, question cards and exercise results,
 * and draws the lesson's machine with the step's elements highlighted over
 * the window's picture. GTK main thread; the lesson's machine runs on a
 * worker thread while a step executes. */
#ifndef HVSIM_GUI_LESSON_H
#define HVSIM_GUI_LESSON_H

#include "hvsim-window.h"

G_BEGIN_DECLS

typedef struct GuiLesson GuiLesson;

/* Loads the lesson `name` (a name or path, as `hvsim lesson` takes) into
 * `win`: adds and shows its page, draws its picture, takes the machine's
 * stepping actions over (Next and Back drive the lesson) and runs step 1.
 * The window owns the result. NULL with `error` if the lesson is wrong. */
GuiLesson *gui_lesson_attach(HvsimWindow *win, const char *name, GError **error);

/* Steps through every step by itself (for tests and demonstrations),
 * printing one line per step, with `back` goes Back once at the end (which
 * must stop at the same event as before: the lesson is run again up to
 * there), then calls `done` with TRUE if all of that worked (FALSE and a
 * message on standard error at the first failure). */
typedef void (*GuiLessonDone)(gboolean ok, gpointer user_data);
void gui_lesson_auto(GuiLesson *gl, gboolean back, GuiLessonDone done, gpointer user_data);

/* The scenario the lesson `name` runs (for the window's own machine and
 * title), or NULL if there is no such lesson. */
char *gui_lesson_scenario(const char *name);

G_END_DECLS

#endif /* HVSIM_GUI_LESSON_H */
