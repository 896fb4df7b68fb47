/* lesson.h — the lesson engine: step-through lessons read from GLib key
 * files (lessons/NN-name.lesson, format in docs/lessons.md), run on a
 * SimMachine to the moment each step is about (an event pattern, its
 * trigger), with questions checked against the machine's next events and
 * exercises checked against what a changed machine does. One engine for
 * the CLI (`hvsim lesson`) and the GUI's sidebar. Sim thread; no GTK. */
#ifndef HVSIM_LESSON_H
#define HVSIM_LESSON_H

#include <glib.h>
#include <stdbool.h>

#include "sim-event.h"
#include "sim-machine.h"

G_BEGIN_DECLS

#define LESSON_ERROR (lesson_error_quark())
typedef enum LessonError {
	LESSON_ERROR_FILE,        /* cannot read the file, or it is not a key file */
	LESSON_ERROR_SYNTAX,      /* a line that is neither group, key nor comment */
	LESSON_ERROR_INVALID,     /* a key, value, pattern, markup or highlight is wrong */
	LESSON_ERROR_UNREACHABLE, /* a step's trigger never happened */
	LESSON_ERROR_ANSWER,      /* a question's answer no longer matches the machine */
	LESSON_ERROR_EXERCISE,    /* an exercise's check does not behave as stated */
	LESSON_ERROR_NOT_FOUND,   /* no lesson of that name */
} LessonError;
GQuark lesson_error_quark(void);

/* ---- Event patterns (triggers, observations, exercise counts) ------------
 * "KIND field=value ..." (docs/lessons.md lists kinds and fields), e.g.
 * `hypercall name=HvCallPostMessage partition=1` or `exit reason=io_instruction`.
 * Two kinds are not events: `end` (the machine ended; field outcome) and
 * `refused` (the machine could not be set up; field text). */
typedef struct LessonPattern LessonPattern;

LessonPattern *lesson_pattern_parse(const char *spec, GError **error);
void lesson_pattern_free(LessonPattern *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LessonPattern, lesson_pattern_free)
bool lesson_pattern_matches(const LessonPattern *p, const SimEvent *ev);
bool lesson_pattern_is_end(const LessonPattern *p);
bool lesson_pattern_is_refused(const LessonPattern *p);
const char *lesson_pattern_spec(const LessonPattern *p);   /* as written */
/* The named field of an event as text ("io_instruction", "0x3f8", ...),
 * or false if the event's kind has no such field. */
bool lesson_event_field(const SimEvent *ev, const char *field, char *buf, gsize len);
/* Pattern kinds, NULL-terminated (for messages and docs). */
const char *const *lesson_pattern_kinds(void);

/* One line describing an event, for the terminal and the sidebar. */
void lesson_event_describe(const SimEvent *ev, GString *out);

/* ---- Highlights: names of elements of the GUI's picture -----------------
 * (gui/render.h HvsimRenderRect names, "hypervisor", "part.1.ring0.vid" ...) */
bool lesson_highlight_valid(const char *name);

/* ---- Markup: the subset of Pango markup the texts may use ---------------- */
/* Checks that `markup` is well formed and uses only Pango's tags; returns
 * the plain text (entities decoded) or NULL with an error. */
char *lesson_markup_to_text(const char *markup, GError **error);

/* ---- Lessons ----------------------------------------------------------------- */

typedef struct LessonStep {
	guint index;              /* 0-based */
	char *group;              /* "Step 3" */
	char *title;              /* may be NULL */
	char *text;               /* Pango markup */
	char *plain;              /* text without markup */
	LessonPattern *trigger;
	guint count;              /* the count-th match of trigger */
	char **highlight;         /* NULL-terminated, may be empty */
	/* Machine settings this step starts a fresh machine with (NULL: none). */
	GHashTable *settings;
	/* Question (question == NULL: none). */
	char *question;
	char **choices;
	guint answer;             /* 1-based */
	LessonPattern *observe;   /* the event the answer is about */
	char *field;              /* its field the choices name */
	char **values;            /* what each choice means as a field value */
	/* Exercise (task == NULL: none). Runs on its own machine: the lesson's
	 * settings plus the student's --set, to its trigger; then Expect. */
	char *task;
	char *expect;             /* as written: "PATTERN OP N; ..." */
	GPtrArray *expect_items;  /* LessonExpect */
	GHashTable *solution;     /* settings that solve it (for --check) */
	char *hint;
	/* Measure=native: once the trigger is reached, the run's note says
	 * what the host can do natively (lesson_run_note); NULL: none. */
	char *measure;
	/* Glossary terms whose first use is this step's Text: term,
	 * definition, term, definition ... (borrowed from the lesson; may be NULL). */
	GPtrArray *terms;
} LessonStep;

typedef struct Lesson {
	char *path;
	char *name;               /* file name without .lesson: "01-history" */
	char *title;
	char **objectives;
	GHashTable *settings;     /* setting name ("scenario", ...) -> value */
	GPtrArray *steps;         /* LessonStep */
	GPtrArray *glossary;      /* char * pairs: term, definition, term, ... */
} Lesson;

Lesson *lesson_load(const char *path, GError **error);
void lesson_free(Lesson *l);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Lesson, lesson_free)

/* Where lessons live: $HVSIM_LESSONS_DIR, else the source tree's lessons/
 * (compiled in), else the installed data directory. */
const char *lesson_dir(void);
/* A lesson by name ("01-history", "history", "1") or by path. */
char *lesson_find(const char *name, GError **error);
/* Sorted paths of every lesson in lesson_dir(). */
GPtrArray *lesson_list(GError **error);

/* Setting names ("scenario", "vendor", "profile", "backend", "workload",
 * "io-passthrough", "hostile-child"), NULL-terminated. */
const char *const *lesson_setting_names(void);
/* Parses "key=value" into `settings` (for --set), checking the key. */
gboolean lesson_settings_parse(GHashTable *settings, const char *kv, GError **error);
/* Builds a SimConfig and loads the scenario: a started machine, or NULL
 * with the machine's own refusal in `error`. */
SimMachine *lesson_machine_new(GHashTable *settings, GError **error);

/* ---- Running ----------------------------------------------------------------- */

typedef struct LessonRun LessonRun;

typedef enum LessonExerciseState {
	LESSON_EXERCISE_NONE,
	LESSON_EXERCISE_NOT_YET,
	LESSON_EXERCISE_SOLVED,
} LessonExerciseState;

/* `overrides` (may be NULL) are the student's --set settings: they apply
 * to exercise steps only, so the narrative always runs as written. */
LessonRun *lesson_run_new(const Lesson *l, GHashTable *overrides);
void lesson_run_free(LessonRun *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LessonRun, lesson_run_free)

/* Exercise steps are passed over without running their machine (their
 * state stays LESSON_EXERCISE_NONE): for tests that look at the narrative
 * machine only. */
void lesson_run_skip_exercises(LessonRun *r, gboolean skip);
/* Runs the next step to its trigger. False at the end or on failure
 * (error set: file:line, step and trigger). */
gboolean lesson_run_next(LessonRun *r, GError **error);
guint lesson_run_step_index(const LessonRun *r);     /* of the last step run */
const LessonStep *lesson_run_step(const LessonRun *r);
SimMachine *lesson_run_machine(LessonRun *r);        /* may be NULL (refused) */
/* The events the last step ran through (SimEvent), the matching one last. */
const GArray *lesson_run_events(const LessonRun *r);
guint64 lesson_run_events_total(const LessonRun *r); /* before trimming */
guint64 lesson_run_events_of_type(const LessonRun *r, SimEventType type);
uint64_t lesson_run_match_seq(const LessonRun *r);   /* 0: end/refused */
const char *lesson_run_match_text(const LessonRun *r); /* refusal or outcome */

/* Measure=: the host's answer for the last step (NULL: no measurement). */
const char *lesson_run_note(const LessonRun *r);
/* The capability probe's result and, where native mode works, a
 * hypercall round trip measured natively and on the emulator: a sentence
 * for a lesson's narrative (what Measure=native produces). */
char *lesson_native_note(void);
/* The last VM exit of the run's machine so far (false: none yet). */
gboolean lesson_run_last_exit(const LessonRun *r, SimEvent *ev);
/* The statistics of the run's machine from power-on, as `hvsim run`
 * prints them; NULL without a machine. */
char *lesson_run_stats(LessonRun *r);

/* The question of the last step: the observed event's field value (runs
 * the machine on as needed, without consuming events). */
gboolean lesson_run_observe(LessonRun *r, char **value, SimEvent *observed, GError **error);
/* Whether the choice value `want` names the observed field value. */
gboolean lesson_answer_matches(const LessonStep *s, const char *want, const char *value);
/* The exercise of the last step: its state and a line saying why. */
LessonExerciseState lesson_run_exercise(const LessonRun *r, const char **why);

/* Headless check of a whole lesson: every trigger reached, every answer
 * matching, every exercise 'not yet' as written and solved with its
 * Solution. Appends one line per step to `log` (may be NULL). */
gboolean lesson_check(const Lesson *l, GString *log, GError **error);

/* Line of a group/key in the file (0 if unknown), for messages. */
guint lesson_line(const Lesson *l, const char *group, const char *key);

G_END_DECLS

#endif /* HVSIM_LESSON_H */
