/* lesson-cli.c — `hvsim lesson`: list lessons, run one in the terminal
 * (narrative, the events it ran through, Enter for the next step, answers
 * by number; non-interactive when stdin is not a terminal) and check them
 * headless (--check). Main thread (the sim thread of the CLI). No GTK.
 * docs/lessons.md documents the command and the lesson format. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lesson-cli.h"
#include "lesson.h"

enum {
	LESSON_EXIT_OK = 0,
	LESSON_EXIT_FAILED = 1,   /* a check failed or a step could not be reached */
	LESSON_EXIT_USAGE = 2,
	LESSON_EXIT_LOAD = 4,     /* no such lesson, or the file is wrong */
};

#define WRAP_COLUMNS 78
/* Events shown after a step (the last ones, the matching one last). */
#define SHOW_EVENTS 8u

/* Prints `text` wrapped at WRAP_COLUMNS: continuation lines are indented
 * by `indent` spaces; the first line starts at column `first_col` (what
 * the caller already printed on it). */
static void print_wrapped(const char *text, int indent, int first_col)
{
	g_auto(GStrv) paras = g_strsplit(text, "\n", -1);
	int col = first_col;
	for (char **p = paras; *p; p++) {
		g_auto(GStrv) words = g_strsplit_set(*p, " \t", -1);
		gboolean line_empty = TRUE;
		for (char **w = words; *w; w++) {
			if (!**w)
				continue;
			int len = (int)g_utf8_strlen(*w, -1);
			if (!line_empty && col + 1 + len > WRAP_COLUMNS) {
				putchar('\n');
				col = printf("%*s", indent, "");
				line_empty = TRUE;
			}
			if (!line_empty)
				col += printf(" ");
			col += len;
			fputs(*w, stdout);
			line_empty = FALSE;
		}
		putchar('\n');
		col = p[1] ? printf("%*s", indent, "") : 0;
	}
}

/* "PREFIX" then text wrapped under it. */
static void print_item(const char *prefix, const char *text)
{
	int n = printf("%s", prefix);
	print_wrapped(text, n, n);
}

/* Noisy kinds left out of the short list unless they are the match. */
static gboolean noisy(const SimEvent *ev)
{
	return ev->type == SIM_EV_VM_ENTRY || ev->type == SIM_EV_PORT_IO || ev->type == SIM_EV_MSR;
}

static void print_events(LessonRun *r)
{
	const GArray *ev = lesson_run_events(r);
	guint64 total = lesson_run_events_total(r);
	if (!total)
		return;
	GString *s = g_string_new(NULL);
	for (int t = 0; t < SIM_EV_N_TYPES; t++) {
		guint64 n = lesson_run_events_of_type(r, (SimEventType)t);
		if (n)
			g_string_append_printf(s, "%s%s %" G_GUINT64_FORMAT, s->len ? ", " : "", sim_event_type_name((SimEventType)t), n);
	}
	printf("  -- the machine ran through %" G_GUINT64_FORMAT " events (%s); the last of them:\n", total, s->str);
	g_string_free(s, TRUE);
	guint shown = 0;
	gint first = (gint)ev->len - 1;
	for (; first > 0 && shown < SHOW_EVENTS; first--)
		if (!noisy(&g_array_index(ev, SimEvent, first)) || first == (gint)ev->len - 1)
			shown++;
	uint64_t match = lesson_run_match_seq(r);
	for (guint i = (guint)MAX(first, 0); i < ev->len; i++) {
		const SimEvent *e = &g_array_index(ev, SimEvent, i);
		if (noisy(e) && e->seq != match)
			continue;
		GString *line = g_string_new(NULL);
		lesson_event_describe(e, line);
		printf("  %s %s\n", e->seq == match ? "=>" : "  ", line->str);
		g_string_free(line, TRUE);
	}
}

/* Reads a line from stdin; NULL at end of input. */
static char *read_line(void)
{
	char buf[256];
	if (!fgets(buf, sizeof buf, stdin))
		return NULL;
	return g_strstrip(g_strdup(buf));
}

static gboolean run_interactive(const Lesson *l, GHashTable *overrides, gboolean tty)
{
	printf("== %s ==\n", l->title);
	puts("Objectives:");
	for (char **o = l->objectives; *o; o++)
		print_item("  - ", *o);
	if (overrides && g_hash_table_size(overrides)) {
		printf("Your settings for the exercises:");
		GHashTableIter it;
		gpointer k, v;
		g_hash_table_iter_init(&it, overrides);
		while (g_hash_table_iter_next(&it, &k, &v))
			printf(" %s=%s", (char *)k, (char *)v);
		putchar('\n');
	}
	g_autoptr(LessonRun) r = lesson_run_new(l, overrides);
	guint n = l->steps->len;
	for (guint i = 0; i < n; i++) {
		const LessonStep *s = g_ptr_array_index(l->steps, i);
		printf("\n== Step %u/%u%s%s ==\n", i + 1, n, s->title ? ": " : "", s->title ? s->title : "");
		print_wrapped(s->plain, 0, 0);
		for (guint t = 0; s->terms && t + 1 < s->terms->len; t += 2) {
			g_autofree char *def = lesson_markup_to_text(g_ptr_array_index(s->terms, t + 1), NULL);
			g_autofree char *prefix = g_strdup_printf("  * %s: ", (char *)g_ptr_array_index(s->terms, t));
			print_wrapped(def ? def : "", 4, printf("%s", prefix));
		}
		g_autoptr(GError) error = NULL;
		fflush(stdout);
		if (!lesson_run_next(r, &error)) {
			fprintf(stderr, "hvsim lesson: %s\n", error->message);
			return FALSE;
		}
		if (s->task) {
			g_autofree char *task = lesson_markup_to_text(s->task, NULL);
			print_item("  Exercise: ", task ? task : s->task);
			const char *why = NULL;
			LessonExerciseState st = lesson_run_exercise(r, &why);
			printf("  Result: %s — %s\n", st == LESSON_EXERCISE_SOLVED ? "solved" : "not yet", why);
			if (st != LESSON_EXERCISE_SOLVED && s->hint) {
				print_item("  Hint: ", s->hint);
			}
			if (st != LESSON_EXERCISE_SOLVED)
				printf("  (change the machine with: hvsim lesson %s --set NAME=VALUE ...)\n", l->name);
		}
		if (lesson_run_note(r)) {
			putchar('\n');
			print_wrapped(lesson_run_note(r), 0, 0);
		}
		if (!s->task) {
			const char *mt = lesson_run_match_text(r);
			if (mt)
				printf("  -- %s\n", mt);
			print_events(r);
		}
		if (s->highlight && s->highlight[0]) {
			g_autofree char *h = g_strjoinv(", ", s->highlight);
			printf("  Look at (in hvsim-gui): %s\n", h);
		}
		if (s->question) {
			g_autofree char *q = lesson_markup_to_text(s->question, NULL);
			putchar('\n');
			print_item("  Question: ", q ? q : s->question);
			for (guint c = 0; s->choices[c]; c++)
				printf("    %u) %s\n", c + 1, s->choices[c]);
			guint64 pick = 0;
			if (tty) {
				for (;;) {
					printf("  Your answer (1-%u): ", g_strv_length(s->choices));
					fflush(stdout);
					g_autofree char *line = read_line();
					if (!line)
						break;
					if (g_ascii_string_to_unsigned(line, 10, 1, g_strv_length(s->choices), &pick, NULL))
						break;
				}
			}
			g_autofree char *value = NULL;
			SimEvent observed;
			if (!lesson_run_observe(r, &value, &observed, &error)) {
				fprintf(stderr, "hvsim lesson: %s\n", error->message);
				return FALSE;
			}
			if (pick)
				printf("  %s\n", pick == s->answer ? "Right." : "Not this time.");
			GString *d = g_string_new(NULL);
			lesson_event_describe(&observed, d);
			printf("  The answer is %u) %s. What happened next: %s\n", s->answer, s->choices[s->answer - 1], d->str);
			g_string_free(d, TRUE);
		}
		if (tty && i + 1 < n) {
			printf("\n  [Enter: next step, q: quit] ");
			fflush(stdout);
			g_autofree char *line = read_line();
			if (!line || g_str_equal(line, "q"))
				return TRUE;
		}
	}
	printf("\n== End of \"%s\" ==\n", l->title);
	return TRUE;
}

static int check_one(const char *path)
{
	g_autoptr(GError) error = NULL;
	gint64 t0 = g_get_monotonic_time();
	g_autoptr(Lesson) l = lesson_load(path, &error);
	if (!l) {
		fprintf(stderr, "hvsim lesson --check: %s\n", error->message);
		return LESSON_EXIT_FAILED;
	}
	GString *log = g_string_new(NULL);
	gboolean ok = lesson_check(l, log, &error);
	double secs = (g_get_monotonic_time() - t0) / 1e6;
	if (ok)
		printf("ok %s: %u steps (%.2f s)\n%s", l->name, l->steps->len, secs, log->str);
	else
		fprintf(stderr, "hvsim lesson --check: %s\nFAILED %s\n", error->message, l->name);
	g_string_free(log, TRUE);
	return ok ? LESSON_EXIT_OK : LESSON_EXIT_FAILED;
}

int lesson_cli_main(int argc, char **argv)
{
	gboolean list = FALSE, check = FALSE, all = FALSE;
	g_auto(GStrv) sets = NULL;
	GOptionEntry entries[] = {
		{ "list", 0, 0, G_OPTION_ARG_NONE, &list, "List the lessons", NULL },
		{ "check", 0, 0, G_OPTION_ARG_NONE, &check, "Run NAME (or --all) headless: every trigger, answer and exercise checked", NULL },
		{ "all", 0, 0, G_OPTION_ARG_NONE, &all, "With --check: every lesson", NULL },
		{ "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Change the machine the exercises run (repeatable): scenario, vendor, profile, backend, workload, memory, io-passthrough, hostile-child, vps", "NAME=VALUE" },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("[NAME|FILE]");
	g_autoptr(GError) error = NULL;
	g_option_context_set_summary(ctx,
		"Step-through lessons on the running machine (docs/lessons.md).\n"
		"  hvsim lesson --list            the lessons\n"
		"  hvsim lesson NAME              run one (Enter for the next step; answers by number)\n"
		"  hvsim lesson --check NAME      check one headless; --check --all checks every lesson\n"
		"NAME is a file name without .lesson (01-history), the part after the number\n"
		"(history), the number (1) or a path to a .lesson file.\n\n"
		"Exit status: 0 ok; 1 a check failed or a step was not reached; 2 bad command\n"
		"line; 4 no such lesson or the lesson file is wrong.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		fprintf(stderr, "hvsim lesson: %s\n", error->message);
		return LESSON_EXIT_USAGE;
	}
	if (argc > 2) {
		fprintf(stderr, "hvsim lesson: one lesson expected, got %d (first extra: '%s')\n", argc - 1, argv[2]);
		return LESSON_EXIT_USAGE;
	}
	const char *name = argc == 2 ? argv[1] : NULL;

	if (list) {
		g_autoptr(GPtrArray) paths = lesson_list(&error);
		if (!paths) {
			fprintf(stderr, "hvsim lesson: %s\n", error->message);
			return LESSON_EXIT_LOAD;
		}
		int status = LESSON_EXIT_OK;
		for (guint i = 0; i < paths->len; i++) {
			g_autoptr(GError) e = NULL;
			g_autoptr(Lesson) l = lesson_load(g_ptr_array_index(paths, i), &e);
			if (!l) {
				fprintf(stderr, "hvsim lesson: %s\n", e->message);
				status = LESSON_EXIT_LOAD;
				continue;
			}
			printf("%-22s %2u steps  %s\n", l->name, l->steps->len, l->title);
		}
		return status;
	}
	if (check) {
		if (all == (name != NULL)) {
			fprintf(stderr, "hvsim lesson --check: give one lesson NAME or --all\n");
			return LESSON_EXIT_USAGE;
		}
		g_autoptr(GPtrArray) paths = NULL;
		if (all) {
			paths = lesson_list(&error);
		} else {
			char *p = lesson_find(name, &error);
			if (p) {
				paths = g_ptr_array_new_with_free_func(g_free);
				g_ptr_array_add(paths, p);
			}
		}
		if (!paths) {
			fprintf(stderr, "hvsim lesson --check: %s\n", error->message);
			return LESSON_EXIT_LOAD;
		}
		if (!paths->len) {
			fprintf(stderr, "hvsim lesson --check: no lessons in %s\n", lesson_dir());
			return LESSON_EXIT_LOAD;
		}
		gint64 t0 = g_get_monotonic_time();
		guint failed = 0;
		for (guint i = 0; i < paths->len; i++)
			failed += check_one(g_ptr_array_index(paths, i)) != LESSON_EXIT_OK;
		printf("%u of %u lessons checked ok in %.2f s\n", paths->len - failed, paths->len,
		       (g_get_monotonic_time() - t0) / 1e6);
		return failed ? LESSON_EXIT_FAILED : LESSON_EXIT_OK;
	}
	if (!name) {
		fprintf(stderr, "hvsim lesson: name a lesson (hvsim lesson --list shows them)\n");
		return LESSON_EXIT_USAGE;
	}
	g_autoptr(GHashTable) overrides = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (char **s = sets; s && *s; s++)
		if (!lesson_settings_parse(overrides, *s, &error)) {
			fprintf(stderr, "hvsim lesson: --set %s\n", error->message);
			return LESSON_EXIT_USAGE;
		}
	g_autofree char *path = lesson_find(name, &error);
	if (!path) {
		fprintf(stderr, "hvsim lesson: %s\n", error->message);
		return LESSON_EXIT_LOAD;
	}
	g_autoptr(Lesson) l = lesson_load(path, &error);
	if (!l) {
		fprintf(stderr, "hvsim lesson: %s\n", error->message);
		return LESSON_EXIT_LOAD;
	}
	return run_interactive(l, overrides, isatty(STDIN_FILENO)) ? LESSON_EXIT_OK : LESSON_EXIT_FAILED;
}
