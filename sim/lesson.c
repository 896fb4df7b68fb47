/* lesson.c — lesson files (GLib key files, docs/lessons.md): loading and
 * checking them with file:line messages, the machine settings a lesson
 * runs with, and the runner that drives a SimMachine from step to step.
 * Sim thread (the CLI's main thread, the GUI's runner); no GTK. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include <gio/gio.h>

#include "backend-kvm.h"
#include "hvsim-platform.h"
#include "lesson.h"
#include "sim-profile.h"
#include "sim-scenario.h"
#include "sim-stats.h"

/* From lesson-pattern.c (engine-internal). */
bool lesson_pattern_matches_end(const LessonPattern *p, const char *outcome, const char *text);
const char *lesson_outcome_name(SimOutcome o);

/* A lesson's machine stops after this many guest instructions: the
 * scenarios need at most a few tens of millions, so a trigger that never
 * comes fails in seconds rather than running to the default limit. */
#define LESSON_MAX_INSNS UINT64_C(1000000000)
/* Events kept per step for the front ends to show (the last ones). */
#define LESSON_RAN_MAX 400u
/* A lesson file is a page or two of text; anything larger is not one. */
#define LESSON_FILE_MAX (1u << 20)
/* Steps per lesson the format allows (the issue asks for 5-15). */
#define LESSON_STEPS_MAX 40u
/* The VPs a lesson may ask a virtual machine for (Vps=): enough to break
 * every product's limit (Table 1: 1 and 4). */
#define LESSON_VPS_MAX 64u
/* Measure=native: the hello kernel's hypercall loop, run with two counts
 * (N and N/10) so that set-up and power-off cancel out (as `hvsim bench
 * native`); N grows tenfold until the difference takes long enough to
 * stand above the noise of a shared machine (a round trip is ~1 us on the
 * emulator, ~150 us in a nested KVM on an emulated CPU). */
#define LESSON_NATIVE_CALLS_FIRST UINT64_C(2000)
#define LESSON_NATIVE_CALLS_MAX   UINT64_C(2000000)
#define LESSON_NATIVE_MIN_SECONDS 0.1

/* ---- Settings -------------------------------------------------------------- */

typedef struct Setting {
	const char *key;      /* in the lesson file */
	const char *name;     /* in --set and Solution */
} Setting;

static const Setting settings_table[] = {
	{ "Scenario", "scenario" },
	{ "Vendor", "vendor" },
	{ "Profile", "profile" },
	{ "Backend", "backend" },
	{ "Workload", "workload" },
	{ "Memory", "memory" },
	{ "IoPassthrough", "io-passthrough" },
	{ "HostileChild", "hostile-child" },
	{ "Vps", "vps" },
};

const char *const *lesson_setting_names(void)
{
	static const char *names[G_N_ELEMENTS(settings_table) + 1];
	if (!names[0])
		for (gsize i = 0; i < G_N_ELEMENTS(settings_table); i++)
			names[i] = settings_table[i].name;
	return names;
}

static const Setting *setting_by_key(const char *key)
{
	for (gsize i = 0; i < G_N_ELEMENTS(settings_table); i++)
		if (g_str_equal(settings_table[i].key, key))
			return &settings_table[i];
	return NULL;
}

static gboolean parse_port_range(const char *s, guint64 *first, guint64 *last)
{
	g_auto(GStrv) parts = g_strsplit(s, "-", 2);
	char *end = NULL;
	*first = g_ascii_strtoull(parts[0], &end, 0);
	if (end == parts[0] || *end || *first > 0xFFFF)
		return FALSE;
	*last = *first;
	if (parts[1]) {
		*last = g_ascii_strtoull(parts[1], &end, 0);
		if (end == parts[1] || *end || *last > 0xFFFF || *last < *first)
			return FALSE;
	}
	return TRUE;
}

/* Checks one setting's value; the message says what is allowed. */
static gboolean setting_check(const char *name, const char *value, GError **error)
{
	guint64 v, w;
	if (g_str_equal(name, "scenario")) {
		if (sim_scenario_find(value))
			return TRUE;
		GString *known = g_string_new(NULL);
		for (const SimScenario *s = sim_scenarios(); s->name; s++)
			g_string_append_printf(known, "%s%s", known->len ? ", " : "", s->name);
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID, "scenario '%s' is not a built-in scenario (%s)", value,
		            known->str);
		g_string_free(known, TRUE);
		return FALSE;
	}
	if (g_str_equal(name, "vendor")) {
		if (g_str_equal(value, "intel") || g_str_equal(value, "amd"))
			return TRUE;
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID, "vendor '%s': use intel or amd", value);
		return FALSE;
	}
	if (g_str_equal(name, "profile")) {
		if (g_str_equal(value, "none") || sim_profile_find(value))
			return TRUE;
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID, "profile '%s': use none or one of %s", value,
		            sim_profile_names());
		return FALSE;
	}
	if (g_str_equal(name, "backend")) {
		if (g_str_equal(value, "emulated"))
			return TRUE;
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID,
		            "backend '%s': lessons run on the emulated backend only (Backend=emulated)", value);
		return FALSE;
	}
	if (g_str_equal(name, "workload")) {
		if (g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT32, &v, NULL))
			return TRUE;
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID, "workload '%s': a whole number is expected", value);
		return FALSE;
	}
	if (g_str_equal(name, "memory")) {
		if (g_ascii_string_to_unsigned(value, 10, 1, 1024, &v, NULL))
			return TRUE;
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID, "memory '%s': MiB from 1 to 1024 expected", value);
		return FALSE;
	}
	if (g_str_equal(name, "vps")) {
		if (g_ascii_string_to_unsigned(value, 10, 1, LESSON_VPS_MAX, &v, NULL))
			return TRUE;
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID, "vps '%s': a number of virtual processors from 1 to %u expected",
		            value, LESSON_VPS_MAX);
		return FALSE;
	}
	if (g_str_equal(name, "io-passthrough")) {
		if (g_str_equal(value, "none") || parse_port_range(value, &v, &w))
			return TRUE;
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID,
		            "io-passthrough '%s': a port or a range FIRST-LAST (0x0-0xffff), or none", value);
		return FALSE;
	}
	if (g_str_equal(name, "hostile-child")) {
		if (g_str_equal(value, "none") || g_str_equal(value, "storvsc") || g_str_equal(value, "vmbus") ||
		    g_str_equal(value, "unmapped-read"))
			return TRUE;
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID,
		            "hostile-child '%s': use none, storvsc, vmbus or unmapped-read", value);
		return FALSE;
	}
	g_autofree char *known = g_strjoinv(", ", (char **)lesson_setting_names());
	g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID, "unknown setting '%s' (settings: %s)", name, known);
	return FALSE;
}

static GHashTable *settings_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

gboolean lesson_settings_parse(GHashTable *settings, const char *kv, GError **error)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv) {
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID, "'%s' is not NAME=VALUE", kv);
		return FALSE;
	}
	g_autofree char *name = g_strstrip(g_strndup(kv, (gsize)(eq - kv)));
	g_autofree char *value = g_strstrip(g_strdup(eq + 1));
	if (!setting_check(name, value, error))
		return FALSE;
	g_hash_table_replace(settings, g_steal_pointer(&name), g_steal_pointer(&value));
	return TRUE;
}

static void settings_merge(GHashTable *into, GHashTable *from)
{
	if (!from)
		return;
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, from);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_hash_table_replace(into, g_strdup(k), g_strdup(v));
}

static GHashTable *settings_copy(GHashTable *from)
{
	GHashTable *t = settings_new();
	settings_merge(t, from);
	return t;
}

/* "key=value; key=value" (Solution). */
static gboolean settings_parse_list(GHashTable *into, const char *list, GError **error)
{
	g_auto(GStrv) items = g_strsplit(list, ";", -1);
	guint n = 0;
	for (char **i = items; *i; i++) {
		g_strstrip(*i);
		if (!**i)
			continue;
		if (!lesson_settings_parse(into, *i, error))
			return FALSE;
		n++;
	}
	if (!n) {
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID, "no NAME=VALUE setting given");
		return FALSE;
	}
	return TRUE;
}

static const char *setting(GHashTable *s, const char *name, const char *dflt)
{
	const char *v = g_hash_table_lookup(s, name);
	return v ? v : dflt;
}

SimMachine *lesson_machine_new(GHashTable *settings, GError **error)
{
	/* Values were checked when the lesson (or --set) was read. */
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL, .max_insns = LESSON_MAX_INSNS };
	guint64 v, w;
	if (g_str_equal(setting(settings, "vendor", "intel"), "amd"))
		cfg.vendor = SIM_VENDOR_AMD;
	const char *profile = setting(settings, "profile", "none");
	if (!g_str_equal(profile, "none"))
		cfg.profile = sim_profile_find(profile);
	if (g_ascii_string_to_unsigned(setting(settings, "workload", "0"), 10, 0, G_MAXUINT32, &v, NULL))
		cfg.workload = v;
	if (g_ascii_string_to_unsigned(setting(settings, "memory", "0"), 10, 0, 1024, &v, NULL))
		cfg.memory_size = v << 20;
	const char *pt = setting(settings, "io-passthrough", "none");
	if (!g_str_equal(pt, "none") && parse_port_range(pt, &v, &w)) {
		cfg.io_passthrough = TRUE;
		cfg.io_passthrough_first = (uint16_t)v;
		cfg.io_passthrough_last = (uint16_t)w;
	}
	const char *hostile = setting(settings, "hostile-child", "none");
	if (g_str_equal(hostile, "storvsc"))
		cfg.child_extra_flags = HVSIM_BOOT_FLAG_STORVSC_HOSTILE;
	else if (g_str_equal(hostile, "vmbus"))
		cfg.child_extra_flags = HVSIM_BOOT_FLAG_VMBUS_HOSTILE;
	else if (g_str_equal(hostile, "unmapped-read"))
		cfg.child_extra_flags = HVSIM_BOOT_FLAG_TOUCH_UNMAPPED;
	guint64 vps = 1;
	g_ascii_string_to_unsigned(setting(settings, "vps", "1"), 10, 1, LESSON_VPS_MAX, &vps, NULL);
	const char *scenario = setting(settings, "scenario", "boot");
	/* With a product profile, the product's admission check comes first,
	 * on the virtual machine as asked for (VPs, memory, the scenario's
	 * image): every limit of Table 1 it breaks, in one refusal, before
	 * anything is built (sim-profile.c). */
	if (cfg.profile) {
		const SimScenario *sc = sim_scenario_find(scenario);
		g_autoptr(GBytes) img = sc ? sim_guest_image(sc->image, NULL) : NULL;
		SimProfileVm vm = {
			.vps = (guint)vps,
			.memory = cfg.memory_size ? cfg.memory_size : SIM_DEFAULT_MEMORY_SIZE,
			.image = img ? g_bytes_get_data(img, NULL) : NULL,
			.image_len = img ? g_bytes_get_size(img) : 0,
			.image_name = scenario,
		};
		if (!sim_profile_check_vm(cfg.profile, &vm, error))
			return NULL;
	}
	if (vps > 1) {
		/* Honest about the model: a count the profile let through is
		 * still more than hvsim builds. */
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID,
		            "vps=%" G_GUINT64_FORMAT ": hvsim's scenarios start every partition with one virtual processor; "
		            "a larger count is only checked against a product profile's limit (Profile=), not built",
		            vps);
		return NULL;
	}
	if (!sim_profile_check_memory(cfg.profile, cfg.memory_size ? cfg.memory_size : SIM_DEFAULT_MEMORY_SIZE, error))
		return NULL;
	SimMachine *m = sim_machine_new(&cfg, error);
	if (!m)
		return NULL;
	if (!sim_load_scenario_or_image(m, scenario, error)) {
		sim_machine_free(m);
		return NULL;
	}
	return m;
}

/* ---- Lines of the file --------------------------------------------------------
 * GKeyFile's errors carry no line numbers: a pre-scan maps every group and
 * key to its line, and finds what GKeyFile would reject, with its line. */

typedef struct LineMap {
	GHashTable *lines;   /* "group\nkey" or "group" -> line (GUINT_TO_POINTER) */
	GPtrArray *groups;   /* group names in file order */
} LineMap;

static char *line_key(const char *group, const char *key)
{
	return key ? g_strdup_printf("%s\n%s", group, key) : g_strdup(group);
}

static void linemap_clear(LineMap *lm)
{
	if (lm->lines)
		g_hash_table_unref(lm->lines);
	if (lm->groups)
		g_ptr_array_unref(lm->groups);
}

static gboolean linemap_scan(LineMap *lm, const char *path, const char *data, GError **error)
{
	lm->lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	lm->groups = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
	g_autofree char *group = NULL;
	for (guint i = 0; lines[i]; i++) {
		guint no = i + 1;
		char *s = lines[i];
		gsize n = strlen(s);
		if (n && s[n - 1] == '\r')
			s[--n] = '\0';
		const char *t = s;
		while (*t == ' ' || *t == '\t')
			t++;
		if (!*t || *t == '#')
			continue;
		if (*t == '[') {
			const char *close = strchr(t, ']');
			if (!close || close[1] != '\0' || close == t + 1) {
				g_set_error(error, LESSON_ERROR, LESSON_ERROR_SYNTAX,
				            "%s:%u: syntax error: a group header is [Name] alone on its line, got \"%s\"", path, no, t);
				return FALSE;
			}
			g_free(group);
			group = g_strndup(t + 1, (gsize)(close - t - 1));
			if (g_hash_table_contains(lm->lines, group)) {
				g_set_error(error, LESSON_ERROR, LESSON_ERROR_SYNTAX, "%s:%u: group [%s] appears twice (first at line %u)",
				            path, no, group, GPOINTER_TO_UINT(g_hash_table_lookup(lm->lines, group)));
				return FALSE;
			}
			g_hash_table_insert(lm->lines, g_strdup(group), GUINT_TO_POINTER(no));
			g_ptr_array_add(lm->groups, g_strdup(group));
			continue;
		}
		const char *eq = strchr(t, '=');
		if (!eq) {
			g_set_error(error, LESSON_ERROR, LESSON_ERROR_SYNTAX,
			            "%s:%u: syntax error: \"%s\" is neither a [Group] header, a Key=value line nor a # comment",
			            path, no, t);
			return FALSE;
		}
		if (!group) {
			g_set_error(error, LESSON_ERROR, LESSON_ERROR_SYNTAX,
			            "%s:%u: syntax error: a key before the first group (start with [Lesson])", path, no);
			return FALSE;
		}
		g_autofree char *key = g_strstrip(g_strndup(t, (gsize)(eq - t)));
		if (!*key) {
			g_set_error(error, LESSON_ERROR, LESSON_ERROR_SYNTAX, "%s:%u: syntax error: empty key before '='", path, no);
			return FALSE;
		}
		char *lk = line_key(group, key);
		if (g_hash_table_contains(lm->lines, lk)) {
			g_set_error(error, LESSON_ERROR, LESSON_ERROR_SYNTAX, "%s:%u: [%s] %s is set twice (first at line %u)", path,
			            no, group, key, GPOINTER_TO_UINT(g_hash_table_lookup(lm->lines, lk)));
			g_free(lk);
			return FALSE;
		}
		g_hash_table_insert(lm->lines, lk, GUINT_TO_POINTER(no));
	}
	return TRUE;
}

static guint linemap_line(const LineMap *lm, const char *group, const char *key)
{
	if (!lm->lines)
		return 0;
	g_autofree char *lk = line_key(group, key);
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(lm->lines, lk));
	if (!n && key)
		n = GPOINTER_TO_UINT(g_hash_table_lookup(lm->lines, group));
	return n;
}

/* ---- Loading -------------------------------------------------------------------- */

typedef enum ExpectOp { OP_LT, OP_LE, OP_EQ, OP_NE, OP_GE, OP_GT } ExpectOp;

typedef struct LessonExpect {
	LessonPattern *pattern;
	ExpectOp op;
	guint64 n;
	char *spec;
} LessonExpect;

static void expect_free(gpointer p)
{
	LessonExpect *e = p;
	lesson_pattern_free(e->pattern);
	g_free(e->spec);
	g_free(e);
}

static const char *const op_names[] = { "<", "<=", "==", "!=", ">=", ">" };

static gboolean op_holds(ExpectOp op, guint64 have, guint64 want)
{
	switch (op) {
	case OP_LT: return have < want;
	case OP_LE: return have <= want;
	case OP_EQ: return have == want;
	case OP_NE: return have != want;
	case OP_GE: return have >= want;
	case OP_GT: return have > want;
	}
	return FALSE;
}

/* "PATTERN OP N; PATTERN OP N ..." */
static GPtrArray *expect_parse(const char *text, GError **error)
{
	GPtrArray *items = g_ptr_array_new_with_free_func(expect_free);
	g_auto(GStrv) parts = g_strsplit(text, ";", -1);
	for (char **p = parts; *p; p++) {
		g_strstrip(*p);
		if (!**p)
			continue;
		char *sp = strrchr(*p, ' ');
		guint64 n;
		if (!sp || !g_ascii_string_to_unsigned(sp + 1, 10, 0, G_MAXUINT32, &n, NULL)) {
			g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID, "\"%s\": expected PATTERN OP COUNT (e.g. \"exit reason=io_instruction < 10\")", *p);
			g_ptr_array_unref(items);
			return NULL;
		}
		*sp = '\0';
		g_strchomp(*p);
		char *sp2 = strrchr(*p, ' ');
		int op = -1;
		for (gsize i = 0; sp2 && i < G_N_ELEMENTS(op_names); i++)
			if (g_str_equal(sp2 + 1, op_names[i]))
				op = (int)i;
		if (op < 0) {
			g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID, "\"%s %s\": the comparison must be one of < <= == != >= >", *p,
			            sp + 1);
			g_ptr_array_unref(items);
			return NULL;
		}
		*sp2 = '\0';
		LessonPattern *pat = lesson_pattern_parse(*p, error);
		if (!pat) {
			g_ptr_array_unref(items);
			return NULL;
		}
		if (lesson_pattern_is_end(pat) || lesson_pattern_is_refused(pat)) {
			g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID, "\"%s\": only event kinds can be counted", *p);
			lesson_pattern_free(pat);
			g_ptr_array_unref(items);
			return NULL;
		}
		LessonExpect *e = g_new0(LessonExpect, 1);
		e->pattern = pat;
		e->op = (ExpectOp)op;
		e->n = n;
		e->spec = g_strdup_printf("%s %s %" G_GUINT64_FORMAT, *p, op_names[op], n);
		g_ptr_array_add(items, e);
	}
	if (!items->len) {
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID, "no condition given");
		g_ptr_array_unref(items);
		return NULL;
	}
	return items;
}

static void step_free(gpointer p)
{
	LessonStep *s = p;
	g_free(s->group);
	g_free(s->title);
	g_free(s->text);
	g_free(s->plain);
	lesson_pattern_free(s->trigger);
	g_strfreev(s->highlight);
	if (s->settings)
		g_hash_table_unref(s->settings);
	g_free(s->question);
	g_strfreev(s->choices);
	lesson_pattern_free(s->observe);
	g_free(s->field);
	g_strfreev(s->values);
	g_free(s->task);
	g_free(s->expect);
	if (s->expect_items)
		g_ptr_array_unref(s->expect_items);
	if (s->solution)
		g_hash_table_unref(s->solution);
	g_free(s->hint);
	g_free(s->measure);
	if (s->terms)
		g_ptr_array_unref(s->terms);
	g_free(s);
}

typedef struct LessonPriv {
	Lesson pub;
	LineMap lm;
} LessonPriv;

void lesson_free(Lesson *l)
{
	if (!l)
		return;
	LessonPriv *lp = (LessonPriv *)l;
	g_free(l->path);
	g_free(l->name);
	g_free(l->title);
	g_strfreev(l->objectives);
	if (l->settings)
		g_hash_table_unref(l->settings);
	if (l->steps)
		g_ptr_array_unref(l->steps);
	if (l->glossary)
		g_ptr_array_unref(l->glossary);
	linemap_clear(&lp->lm);
	g_free(lp);
}

guint lesson_line(const Lesson *l, const char *group, const char *key)
{
	return linemap_line(&((const LessonPriv *)l)->lm, group, key);
}

/* Sets `error` to "FILE:LINE: [group] key: <message>" from a nested error. */
static gboolean fail_at(const Lesson *l, const char *group, const char *key, GError **error, int code,
                        const char *fmt, ...) G_GNUC_PRINTF(6, 7);
static gboolean fail_at(const Lesson *l, const char *group, const char *key, GError **error, int code,
                        const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	guint line = lesson_line(l, group, key);
	g_set_error(error, LESSON_ERROR, code, "%s:%u: [%s]%s%s: %s", l->path, line, group, key ? " " : "",
	            key ? key : "", msg);
	return FALSE;
}

static const char *const step_keys[] = {
	"Title", "Text", "Trigger", "Count", "Highlight",
	"Question", "Choices", "Answer", "Observe", "Field", "Values",
	"Task", "Expect", "Solution", "Hint", "Measure",
	NULL,   /* for g_strjoinv() in the unknown-key message */
};
static const char *const lesson_keys[] = { "Title", "Objectives" };

static gboolean key_known(const char *key, const char *const *keys, gsize n, gboolean settings_too)
{
	for (gsize i = 0; i < n; i++)
		if (g_str_equal(keys[i], key))
			return TRUE;
	return settings_too && setting_by_key(key);
}

static char *get_string(GKeyFile *kf, const char *group, const char *key)
{
	char *v = g_key_file_get_string(kf, group, key, NULL);
	if (v)
		g_strstrip(v);
	return v;
}

/* Settings keys (Scenario=, Vendor=, ...) of a group into a table. */
static gboolean read_settings(Lesson *l, GKeyFile *kf, const char *group, GHashTable **out, GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
	for (char **k = keys; k && *k; k++) {
		const Setting *s = setting_by_key(*k);
		if (!s)
			continue;
		g_autofree char *v = get_string(kf, group, *k);
		g_autoptr(GError) e = NULL;
		if (!setting_check(s->name, v, &e))
			return fail_at(l, group, *k, error, LESSON_ERROR_INVALID, "%s", e->message);
		if (!*out)
			*out = settings_new();
		g_hash_table_replace(*out, g_strdup(s->name), g_steal_pointer(&v));
	}
	return TRUE;
}

static gboolean check_markup(Lesson *l, const char *group, const char *key, const char *text, char **plain,
                             GError **error)
{
	g_autoptr(GError) e = NULL;
	char *p = lesson_markup_to_text(text, &e);
	if (!p)
		return fail_at(l, group, key, error, LESSON_ERROR_INVALID,
		               "bad markup (a tag not closed or closed in the wrong order, or a bare & or <: write &amp; and &lt;): %s",
		               e->message);
	if (plain)
		*plain = p;
	else
		g_free(p);
	return TRUE;
}

static gboolean load_question(Lesson *l, GKeyFile *kf, LessonStep *s, GError **error)
{
	const char *g = s->group;
	s->question = get_string(kf, g, "Question");
	if (!s->question) {
		static const char *const qkeys[] = { "Choices", "Answer", "Observe", "Field", "Values" };
		for (gsize i = 0; i < G_N_ELEMENTS(qkeys); i++)
			if (g_key_file_has_key(kf, g, qkeys[i], NULL))
				return fail_at(l, g, qkeys[i], error, LESSON_ERROR_INVALID, "%s without a Question", qkeys[i]);
		return TRUE;
	}
	if (!check_markup(l, g, "Question", s->question, NULL, error))
		return FALSE;
	gsize n = 0;
	s->choices = g_key_file_get_string_list(kf, g, "Choices", &n, NULL);
	if (!s->choices || n < 2)
		return fail_at(l, g, "Choices", error, LESSON_ERROR_INVALID,
		               "a question needs Choices=first;second;... (at least two)");
	for (gsize i = 0; i < n; i++)
		g_strstrip(s->choices[i]);
	g_autofree char *ans = get_string(kf, g, "Answer");
	guint64 a;
	if (!ans || !g_ascii_string_to_unsigned(ans, 10, 1, n, &a, NULL))
		return fail_at(l, g, "Answer", error, LESSON_ERROR_INVALID, "Answer must be the number of a choice, 1 to %zu",
		               (size_t)n);
	s->answer = (guint)a;
	g_autofree char *obs = get_string(kf, g, "Observe");
	if (!obs)
		return fail_at(l, g, "Question", error, LESSON_ERROR_INVALID,
		               "a question needs Observe=PATTERN (the event its answer is about) and Field=NAME");
	g_autoptr(GError) e = NULL;
	s->observe = lesson_pattern_parse(obs, &e);
	if (!s->observe)
		return fail_at(l, g, "Observe", error, LESSON_ERROR_INVALID, "%s", e->message);
	if (lesson_pattern_is_end(s->observe) || lesson_pattern_is_refused(s->observe))
		return fail_at(l, g, "Observe", error, LESSON_ERROR_INVALID, "a question observes an event, not end or refused");
	s->field = get_string(kf, g, "Field");
	if (!s->field)
		return fail_at(l, g, "Question", error, LESSON_ERROR_INVALID, "a question needs Field=NAME of the observed event");
	/* The field must exist for that kind: reuse the pattern parser. */
	g_autofree char *probe = g_strdup_printf("%s %s=0", lesson_pattern_spec(s->observe), s->field);
	g_autoptr(LessonPattern) pp = lesson_pattern_parse(probe, &e);
	if (!pp && e && strstr(e->message, "has no field"))
		return fail_at(l, g, "Field", error, LESSON_ERROR_INVALID, "%s", e->message);
	g_clear_error(&e);
	gsize nv = 0;
	s->values = g_key_file_get_string_list(kf, g, "Values", &nv, NULL);
	if (s->values && nv != n)
		return fail_at(l, g, "Values", error, LESSON_ERROR_INVALID, "%zu values for %zu choices", (size_t)nv, (size_t)n);
	if (!s->values)
		s->values = g_strdupv(s->choices);
	for (gsize i = 0; i < n; i++) {
		g_strstrip(s->values[i]);
		for (gsize j = 0; j < i; j++)
			if (g_ascii_strcasecmp(s->values[i], s->values[j]) == 0)
				return fail_at(l, g, s->values == s->choices ? "Choices" : "Values", error, LESSON_ERROR_INVALID,
				               "choices %zu and %zu mean the same value '%s'", (size_t)j + 1, (size_t)i + 1,
				               s->values[i]);
	}
	return TRUE;
}

static gboolean load_exercise(Lesson *l, GKeyFile *kf, LessonStep *s, GError **error)
{
	const char *g = s->group;
	s->task = get_string(kf, g, "Task");
	if (!s->task) {
		static const char *const xkeys[] = { "Expect", "Solution", "Hint" };
		for (gsize i = 0; i < G_N_ELEMENTS(xkeys); i++)
			if (g_key_file_has_key(kf, g, xkeys[i], NULL))
				return fail_at(l, g, xkeys[i], error, LESSON_ERROR_INVALID, "%s without a Task", xkeys[i]);
		return TRUE;
	}
	if (!check_markup(l, g, "Task", s->task, NULL, error))
		return FALSE;
	if (s->settings)
		return fail_at(l, g, "Task", error, LESSON_ERROR_INVALID,
		               "an exercise runs the lesson's own settings plus the student's --set; it takes no settings of its own");
	if (s->question)
		return fail_at(l, g, "Task", error, LESSON_ERROR_INVALID, "a step has a Question or a Task, not both");
	s->expect = get_string(kf, g, "Expect");
	if (!s->expect)
		return fail_at(l, g, "Task", error, LESSON_ERROR_INVALID, "an exercise needs Expect=PATTERN OP COUNT; ...");
	g_autoptr(GError) e = NULL;
	s->expect_items = expect_parse(s->expect, &e);
	if (!s->expect_items)
		return fail_at(l, g, "Expect", error, LESSON_ERROR_INVALID, "%s", e->message);
	g_autofree char *sol = get_string(kf, g, "Solution");
	if (!sol)
		return fail_at(l, g, "Task", error, LESSON_ERROR_INVALID,
		               "an exercise needs Solution=NAME=VALUE; ... (the settings --check proves it with)");
	s->solution = settings_new();
	if (!settings_parse_list(s->solution, sol, &e))
		return fail_at(l, g, "Solution", error, LESSON_ERROR_INVALID, "%s", e->message);
	s->hint = get_string(kf, g, "Hint");
	return TRUE;
}

static gboolean load_step(Lesson *l, GKeyFile *kf, const char *group, guint index, GError **error)
{
	LessonStep *s = g_new0(LessonStep, 1);
	g_ptr_array_add(l->steps, s);
	s->index = index;
	s->group = g_strdup(group);
	g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
	for (char **k = keys; k && *k; k++)
		if (!key_known(*k, step_keys, G_N_ELEMENTS(step_keys) - 1, TRUE)) {
			g_autofree char *known = g_strjoinv(", ", (char **)step_keys);
			return fail_at(l, group, *k, error, LESSON_ERROR_INVALID,
			               "unknown key '%s' (a step knows %s and the settings Scenario, Vendor, Profile, Backend, Workload, Memory, IoPassthrough, HostileChild, Vps)",
			               *k, known);
		}
	s->title = get_string(kf, group, "Title");
	s->text = get_string(kf, group, "Text");
	if (!s->text || !*s->text)
		return fail_at(l, group, NULL, error, LESSON_ERROR_INVALID, "a step needs Text=");
	if (!check_markup(l, group, "Text", s->text, &s->plain, error))
		return FALSE;
	g_autofree char *trig = get_string(kf, group, "Trigger");
	if (!trig)
		return fail_at(l, group, NULL, error, LESSON_ERROR_INVALID, "a step needs Trigger=PATTERN (or Trigger=end)");
	g_autoptr(GError) e = NULL;
	s->trigger = lesson_pattern_parse(trig, &e);
	if (!s->trigger)
		return fail_at(l, group, "Trigger", error, LESSON_ERROR_INVALID, "%s", e->message);
	s->count = 1;
	g_autofree char *count = get_string(kf, group, "Count");
	if (count) {
		guint64 c;
		if (!g_ascii_string_to_unsigned(count, 10, 1, 1000000, &c, NULL))
			return fail_at(l, group, "Count", error, LESSON_ERROR_INVALID, "bad count '%s': a whole number from 1 to 1000000",
			               count);
		if (lesson_pattern_is_end(s->trigger) || lesson_pattern_is_refused(s->trigger))
			if (c != 1)
				return fail_at(l, group, "Count", error, LESSON_ERROR_INVALID, "end and refused happen once");
		s->count = (guint)c;
	}
	gsize nh = 0;
	s->highlight = g_key_file_get_string_list(kf, group, "Highlight", &nh, NULL);
	if (!s->highlight)
		s->highlight = g_new0(char *, 1);
	for (gsize i = 0; i < nh; i++) {
		g_strstrip(s->highlight[i]);
		if (!lesson_highlight_valid(s->highlight[i]))
			return fail_at(l, group, "Highlight", error, LESSON_ERROR_INVALID,
			               "unknown highlight '%s' (names of the picture: hardware, hw.lp0, hypervisor, hv.synic, part.N, part.N.ring0.vid, vmbus.C.R, label.ring-1, ...; docs/lessons.md)",
			               s->highlight[i]);
	}
	if (!read_settings(l, kf, group, &s->settings, error))
		return FALSE;
	if (lesson_pattern_is_refused(s->trigger) && !s->settings)
		return fail_at(l, group, "Trigger", error, LESSON_ERROR_INVALID,
		               "refused is about setting a machine up: give this step its settings (Scenario=, Profile=, ...)");
	if (!load_question(l, kf, s, error) || !load_exercise(l, kf, s, error))
		return FALSE;
	s->measure = get_string(kf, group, "Measure");
	if (s->measure && !g_str_equal(s->measure, "native"))
		return fail_at(l, group, "Measure", error, LESSON_ERROR_INVALID,
		               "unknown measurement '%s' (Measure=native: the host's capability probe and, where it passes, a measured figure)",
		               s->measure);
	if (s->measure && s->task)
		return fail_at(l, group, "Measure", error, LESSON_ERROR_INVALID, "an exercise step measures nothing");
	if (s->question && (lesson_pattern_is_end(s->trigger) || lesson_pattern_is_refused(s->trigger)))
		return fail_at(l, group, "Question", error, LESSON_ERROR_INVALID,
		               "a question is about the machine's next events: the trigger cannot be end or refused");
	return TRUE;
}

static char *lesson_name_from_path(const char *path)
{
	g_autofree char *base = g_path_get_basename(path);
	if (g_str_has_suffix(base, ".lesson"))
		base[strlen(base) - strlen(".lesson")] = '\0';
	return g_steal_pointer(&base);
}

/* Reads the key file into `l`; every message names file:line. */
static gboolean lesson_parse(LessonPriv *lp, const char *data, gsize len, GError **error)
{
	Lesson *l = &lp->pub;
	const char *path = l->path;
	g_autoptr(GError) e = NULL;
	if (!linemap_scan(&lp->lm, path, data, error))
		return FALSE;
	g_autoptr(GKeyFile) kf = g_key_file_new();
	if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &e)) {
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_SYNTAX, "%s: %s", path, e->message);
		return FALSE;
	}

	/* [Lesson] */
	if (!g_key_file_has_group(kf, "Lesson")) {
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID, "%s:1: no [Lesson] group (it holds Title, Objectives, Scenario, ...)", path);
		return FALSE;
	}
	g_auto(GStrv) lkeys = g_key_file_get_keys(kf, "Lesson", NULL, NULL);
	for (char **k = lkeys; k && *k; k++)
		if (!key_known(*k, lesson_keys, G_N_ELEMENTS(lesson_keys), TRUE)) {
			return fail_at(l, "Lesson", *k, error, LESSON_ERROR_INVALID,
			        "unknown key '%s' ([Lesson] knows Title, Objectives, Scenario, Vendor, Profile, Backend, Workload, Memory, IoPassthrough, HostileChild, Vps)",
			        *k);
		}
	l->title = get_string(kf, "Lesson", "Title");
	if (!l->title || !*l->title) {
		return fail_at(l, "Lesson", NULL, error, LESSON_ERROR_INVALID, "a lesson needs Title=");
	}
	l->objectives = g_key_file_get_string_list(kf, "Lesson", "Objectives", NULL, NULL);
	if (!l->objectives || !l->objectives[0]) {
		fail_at(l, "Lesson", NULL, error, LESSON_ERROR_INVALID, "a lesson needs Objectives=first;second;...");
		return FALSE;
	}
	for (char **o = l->objectives; *o; o++)
		g_strstrip(*o);
	if (!read_settings(l, kf, "Lesson", &l->settings, error))
		return FALSE;
	if (!l->settings || !g_hash_table_contains(l->settings, "scenario")) {
		return fail_at(l, "Lesson", NULL, error, LESSON_ERROR_INVALID, "a lesson needs Scenario= (see `hvsim scenarios`)");
	}

	/* Groups: Lesson, Glossary, Step 1..N in order. */
	guint expect_step = 1;
	for (guint i = 0; i < lp->lm.groups->len; i++) {
		const char *g = g_ptr_array_index(lp->lm.groups, i);
		if (g_str_equal(g, "Lesson") || g_str_equal(g, "Glossary"))
			continue;
		guint64 n = 0;
		if (!g_str_has_prefix(g, "Step ") || !g_ascii_string_to_unsigned(g + 5, 10, 1, LESSON_STEPS_MAX, &n, NULL)) {
			return fail_at(l, g, NULL, error, LESSON_ERROR_INVALID,
			        "unknown group (a lesson has [Lesson], [Glossary] and [Step 1] ... [Step N], at most %u)",
			        LESSON_STEPS_MAX);
		}
		if (n != expect_step) {
			return fail_at(l, g, NULL, error, LESSON_ERROR_INVALID, "steps are numbered 1, 2, 3 ... in order: expected [Step %u]",
			        expect_step);
		}
		if (!load_step(l, kf, g, expect_step - 1, error))
			return FALSE;
		expect_step++;
	}
	if (!l->steps->len) {
		return fail_at(l, "Lesson", NULL, error, LESSON_ERROR_INVALID, "a lesson needs at least one [Step 1]");
	}
	/* A step after a refused one needs a machine of its own. */
	for (guint i = 1; i < l->steps->len; i++) {
		LessonStep *prev = g_ptr_array_index(l->steps, i - 1), *s = g_ptr_array_index(l->steps, i);
		if (lesson_pattern_is_refused(prev->trigger) && !s->settings && !s->task) {
			return fail_at(l, s->group, NULL, error, LESSON_ERROR_INVALID,
			        "no machine runs after the refusal of [%s]: give this step its settings (Scenario=, Profile=, ...)",
			        prev->group);
		}
	}

	/* [Glossary]: Term=definition; each term must be used, and is defined
	 * at the first step whose text uses it. */
	g_auto(GStrv) terms = g_key_file_get_keys(kf, "Glossary", NULL, NULL);
	for (char **t = terms; t && *t; t++) {
		g_autofree char *def = get_string(kf, "Glossary", *t);
		if (!check_markup(l, "Glossary", *t, def, NULL, error))
			return FALSE;
		g_autofree char *needle = g_utf8_strdown(*t, -1);
		gboolean used = FALSE;
		for (guint i = 0; i < l->steps->len && !used; i++) {
			LessonStep *s = g_ptr_array_index(l->steps, i);
			g_autofree char *hay = g_utf8_strdown(s->plain, -1);
			if (strstr(hay, needle)) {
				used = TRUE;
				if (!s->terms)
					s->terms = g_ptr_array_new();
				g_ptr_array_add(l->glossary, g_strdup(*t));
				g_ptr_array_add(l->glossary, g_steal_pointer(&def));
				g_ptr_array_add(s->terms, g_ptr_array_index(l->glossary, l->glossary->len - 2));
				g_ptr_array_add(s->terms, g_ptr_array_index(l->glossary, l->glossary->len - 1));
			}
		}
		if (!used) {
			return fail_at(l, "Glossary", *t, error, LESSON_ERROR_INVALID, "the term '%s' is used in no step's Text", *t);
		}
	}
	return TRUE;
}

Lesson *lesson_load(const char *path, GError **error)
{
	LessonPriv *lp = g_new0(LessonPriv, 1);
	Lesson *l = &lp->pub;
	l->path = g_strdup(path);
	l->name = lesson_name_from_path(path);
	l->steps = g_ptr_array_new_with_free_func(step_free);
	l->glossary = g_ptr_array_new_with_free_func(g_free);

	g_autofree char *data = NULL;
	gsize len = 0;
	g_autoptr(GError) e = NULL;
	if (!g_file_get_contents(path, &data, &len, &e)) {
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_FILE, "%s: cannot read: %s", path, e->message);
	} else if (len > LESSON_FILE_MAX) {
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_FILE, "%s: %" G_GSIZE_FORMAT " bytes is too large for a lesson (at most %u KiB)",
		            path, len, LESSON_FILE_MAX >> 10);
	} else if (!g_utf8_validate(data, (gssize)len, NULL) || memchr(data, '\0', len)) {
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_FILE, "%s: not UTF-8 text", path);
	} else if (lesson_parse(lp, data, len, error)) {
		return l;
	}
	lesson_free(l);
	return NULL;
}

/* ---- Finding lessons ------------------------------------------------------------ */

const char *lesson_dir(void)
{
	const char *env = g_getenv("HVSIM_LESSONS_DIR");
	if (env && *env)
		return env;
#ifdef HVSIM_LESSONS_SRCDIR
	if (g_file_test(HVSIM_LESSONS_SRCDIR, G_FILE_TEST_IS_DIR))
		return HVSIM_LESSONS_SRCDIR;
#endif
#ifdef HVSIM_LESSONS_INSTALLDIR
	return HVSIM_LESSONS_INSTALLDIR;
#else
	return "lessons";
#endif
}

static int cmp_paths(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

GPtrArray *lesson_list(GError **error)
{
	const char *dir = lesson_dir();
	g_autoptr(GError) e = NULL;
	g_autoptr(GDir) d = g_dir_open(dir, 0, &e);
	if (!d) {
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_NOT_FOUND, "lessons directory %s: %s (set HVSIM_LESSONS_DIR)", dir,
		            e->message);
		return NULL;
	}
	GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
	const char *n;
	while ((n = g_dir_read_name(d)))
		if (g_str_has_suffix(n, ".lesson"))
			g_ptr_array_add(paths, g_build_filename(dir, n, NULL));
	g_ptr_array_sort(paths, cmp_paths);
	return paths;
}

char *lesson_find(const char *name, GError **error)
{
	if ((strchr(name, '/') || g_str_has_suffix(name, ".lesson"))) {
		if (g_file_test(name, G_FILE_TEST_IS_REGULAR))
			return g_strdup(name);
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_NOT_FOUND, "%s: no such lesson file", name);
		return NULL;
	}
	g_autoptr(GPtrArray) all = lesson_list(error);
	if (!all)
		return NULL;
	g_ptr_array_sort(all, cmp_paths);
	guint64 num = 0;
	gboolean is_num = g_ascii_string_to_unsigned(name, 10, 1, 99, &num, NULL);
	for (guint i = 0; i < all->len; i++) {
		g_autofree char *base = lesson_name_from_path(g_ptr_array_index(all, i));
		const char *dash = strchr(base, '-');
		if (g_str_equal(base, name) || (dash && g_str_equal(dash + 1, name)) ||
		    (is_num && g_ascii_strtoull(base, NULL, 10) == num && g_ascii_isdigit(base[0])))
			return g_strdup(g_ptr_array_index(all, i));
	}
	GString *known = g_string_new(NULL);
	for (guint i = 0; i < all->len; i++) {
		g_autofree char *base = lesson_name_from_path(g_ptr_array_index(all, i));
		g_string_append_printf(known, "%s%s", known->len ? ", " : "", base);
	}
	g_set_error(error, LESSON_ERROR, LESSON_ERROR_NOT_FOUND, "no lesson '%s' in %s (lessons: %s)", name, lesson_dir(),
	            known->str);
	g_string_free(known, TRUE);
	return NULL;
}

/* ---- Running ----------------------------------------------------------------------- */

struct LessonRun {
	const Lesson *lesson;
	GHashTable *overrides;
	guint next;              /* the step lesson_run_next runs */
	SimMachine *m;           /* NULL before the first step and after a refusal */
	guint sub;
	GArray *log;             /* SimEvent: not yet consumed from `cursor` on */
	guint cursor;
	GArray *ran;             /* the last step's events (the last LESSON_RAN_MAX) */
	guint64 ran_total;
	guint64 ran_by_type[SIM_EV_N_TYPES];
	uint64_t match_seq;
	char *match_text;
	LessonExerciseState ex_state;
	char *ex_why;
	gboolean skip_exercises;
	SimStats *stats;         /* of the machine, from power-on */
	SimEvent last_exit;      /* the machine's last VM exit consumed so far */
	gboolean have_exit;
	char *note;              /* Measure=: what the host said */
};

static void run_record(const SimEvent *ev, gpointer user_data)
{
	LessonRun *r = user_data;
	g_array_append_vals(r->log, ev, 1);
}

LessonRun *lesson_run_new(const Lesson *l, GHashTable *overrides)
{
	LessonRun *r = g_new0(LessonRun, 1);
	r->lesson = l;
	r->overrides = overrides ? settings_copy(overrides) : settings_new();
	r->log = g_array_new(FALSE, FALSE, sizeof(SimEvent));
	r->ran = g_array_new(FALSE, FALSE, sizeof(SimEvent));
	return r;
}

static void run_drop_machine(LessonRun *r)
{
	if (r->m)
		sim_machine_free(r->m);
	r->m = NULL;
	g_clear_pointer(&r->stats, sim_stats_free);
	r->have_exit = FALSE;
	g_array_set_size(r->log, 0);
	r->cursor = 0;
}

void lesson_run_free(LessonRun *r)
{
	if (!r)
		return;
	run_drop_machine(r);
	g_hash_table_unref(r->overrides);
	g_array_unref(r->log);
	g_array_unref(r->ran);
	g_free(r->match_text);
	g_free(r->ex_why);
	g_free(r->note);
	g_free(r);
}

void lesson_run_skip_exercises(LessonRun *r, gboolean skip)
{
	r->skip_exercises = skip;
}

guint lesson_run_step_index(const LessonRun *r)
{
	return r->next ? r->next - 1 : 0;
}

const LessonStep *lesson_run_step(const LessonRun *r)
{
	return r->next ? g_ptr_array_index(r->lesson->steps, r->next - 1) : NULL;
}

SimMachine *lesson_run_machine(LessonRun *r)
{
	return r->m;
}

const GArray *lesson_run_events(const LessonRun *r)
{
	return r->ran;
}

guint64 lesson_run_events_total(const LessonRun *r)
{
	return r->ran_total;
}

guint64 lesson_run_events_of_type(const LessonRun *r, SimEventType type)
{
	return (unsigned)type < SIM_EV_N_TYPES ? r->ran_by_type[type] : 0;
}

uint64_t lesson_run_match_seq(const LessonRun *r)
{
	return r->match_seq;
}

const char *lesson_run_match_text(const LessonRun *r)
{
	return r->match_text;
}

const char *lesson_run_note(const LessonRun *r)
{
	return r->note;
}

gboolean lesson_run_last_exit(const LessonRun *r, SimEvent *ev)
{
	if (r->have_exit && ev)
		*ev = r->last_exit;
	return r->have_exit;
}

char *lesson_run_stats(LessonRun *r)
{
	if (!r->m || !r->stats)
		return NULL;
	GString *out = g_string_new(NULL);
	sim_stats_summary(r->stats, r->m, out);
	return g_string_free(out, FALSE);
}

LessonExerciseState lesson_run_exercise(const LessonRun *r, const char **why)
{
	if (why)
		*why = r->ex_why;
	return r->ex_state;
}

static void ran_add(LessonRun *r, const SimEvent *ev)
{
	if (r->ran->len >= LESSON_RAN_MAX)
		g_array_remove_range(r->ran, 0, LESSON_RAN_MAX / 2);
	g_array_append_vals(r->ran, ev, 1);
	r->ran_total++;
	if (ev->type == SIM_EV_VM_EXIT) {
		r->last_exit = *ev;
		r->have_exit = TRUE;
	}
	if ((unsigned)ev->type < SIM_EV_N_TYPES)
		r->ran_by_type[ev->type]++;
}

/* "FILE:LINE: step N ("title"): " for run-time messages. */
static char *step_where(const Lesson *l, const LessonStep *s, const char *key)
{
	return g_strdup_printf("%s:%u: step %u%s%s%s", l->path, lesson_line(l, s->group, key), s->index + 1,
	                       s->title ? " (\"" : "", s->title ? s->title : "", s->title ? "\")" : "");
}

static const char *machine_end_line(SimMachine *m)
{
	return sim_machine_outcome_message(m);
}

/* A precise step's stop condition: the `left`-th next match of a pattern.
 * The machine stops at the instruction boundary right after that event
 * (sim_machine_step_precise), so the state a step shows is the moment of
 * its event, not the end of a scheduler round. */
typedef struct Watch {
	const LessonPattern *p;
	guint left;
} Watch;

static bool watch_match(const SimEvent *ev, gpointer user_data)
{
	Watch *w = user_data;
	return w->left && lesson_pattern_matches(w->p, ev) && --w->left == 0;
}

/* Runs the machine to the `left`-th next event matching `p` (end and
 * refused never match: to the end). */
static void step_until(SimMachine *m, const LessonPattern *p, guint left)
{
	Watch w = { p, left };
	sim_machine_step_precise(m, 0, watch_match, &w);
}

/* Consumes events up to the count-th match of `p`, running the machine
 * as needed. */
static gboolean run_to(LessonRun *r, const LessonPattern *p, guint count)
{
	guint seen = 0;
	for (;;) {
		while (r->cursor < r->log->len) {
			const SimEvent *ev = &g_array_index(r->log, SimEvent, r->cursor++);
			ran_add(r, ev);
			if (lesson_pattern_matches(p, ev) && ++seen == count) {
				r->match_seq = ev->seq;
				return TRUE;
			}
		}
		g_array_set_size(r->log, 0);
		r->cursor = 0;
		if (sim_machine_ended(r->m))
			return FALSE;
		step_until(r->m, p, count - seen);
	}
}

static gboolean run_start_machine(LessonRun *r, GHashTable *settings, GError **error)
{
	run_drop_machine(r);
	r->m = lesson_machine_new(settings, error);
	if (!r->m)
		return FALSE;
	r->sub = sim_event_bus_subscribe(sim_machine_events(r->m), run_record, r);
	r->stats = sim_stats_new();
	sim_event_bus_subscribe(sim_machine_events(r->m), sim_stats_on_event, r->stats);
	/* Start it here: the events of the start (partition start, power-on)
	 * go into the log like any other, where a trigger can find them. */
	sim_machine_start(r->m);
	return TRUE;
}

/* An exercise: a machine of its own, run to the trigger, the Expect
 * conditions counted over everything it did from power-on. */
typedef struct ExCount {
	const LessonStep *s;
	guint64 *counts;
	guint seen;
	gboolean hit;
} ExCount;

static void ex_count_event(const SimEvent *ev, gpointer user_data)
{
	ExCount *c = user_data;
	for (guint i = 0; i < c->s->expect_items->len; i++)
		if (lesson_pattern_matches(((LessonExpect *)g_ptr_array_index(c->s->expect_items, i))->pattern, ev))
			c->counts[i]++;
	if (!c->hit && lesson_pattern_matches(c->s->trigger, ev) && ++c->seen == c->s->count)
		c->hit = TRUE;
}

static gboolean exercise_eval(const Lesson *l, const LessonStep *s, GHashTable *settings, LessonExerciseState *state,
                              char **why, GError **error)
{
	g_autoptr(GError) e = NULL;
	SimMachine *m = lesson_machine_new(settings, &e);
	if (!m) {
		g_autofree char *w = step_where(l, s, "Task");
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_EXERCISE, "%s: the exercise's machine cannot be set up: %s", w,
		            e->message);
		return FALSE;
	}
	ExCount c = { .s = s, .counts = g_new0(guint64, s->expect_items->len) };
	sim_event_bus_subscribe(sim_machine_events(m), ex_count_event, &c);
	gboolean is_end = lesson_pattern_is_end(s->trigger);
	sim_machine_start(m);   /* its events are counted too */
	if (!c.hit)
		step_until(m, s->trigger, s->count - c.seen);   /* ex_count_event counts the same matches */
	gboolean reached = c.hit || (is_end && sim_machine_ended(m) &&
	                             lesson_pattern_matches_end(s->trigger, lesson_outcome_name(sim_machine_outcome(m)),
	                                                        machine_end_line(m)));
	if (!reached) {
		g_autofree char *w = step_where(l, s, "Trigger");
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_UNREACHABLE,
		            "%s: exercise trigger \"%s\" (count %u) was not reached: the machine ended (%s)", w,
		            lesson_pattern_spec(s->trigger), s->count, machine_end_line(m));
		g_free(c.counts);
		sim_machine_free(m);
		return FALSE;
	}
	GString *msg = g_string_new(NULL);
	gboolean ok = TRUE;
	for (guint i = 0; i < s->expect_items->len; i++) {
		const LessonExpect *x = g_ptr_array_index(s->expect_items, i);
		gboolean holds = op_holds(x->op, c.counts[i], x->n);
		ok &= holds;
		g_string_append_printf(msg, "%s%s: %" G_GUINT64_FORMAT, msg->len ? "; " : "", lesson_pattern_spec(x->pattern),
		                       c.counts[i]);
		if (holds)
			g_string_append(msg, " (ok)");
		else
			g_string_append_printf(msg, " (wanted %s %" G_GUINT64_FORMAT ")", op_names[x->op], x->n);
	}
	*state = ok ? LESSON_EXERCISE_SOLVED : LESSON_EXERCISE_NOT_YET;
	*why = g_string_free(msg, FALSE);
	g_free(c.counts);
	sim_machine_free(m);
	return TRUE;
}

static gboolean run_step(LessonRun *r, LessonStep *s, GError **error);

/* ---- Measure=native: the host's own figures ------------------------------------
 * The capability probe of `hvsim probe` (backend-kvm.c) decides; where it
 * passes, one figure measured now: the wall-clock time of a hypercall
 * round trip (VMCALL, the VM exit, hvsim's handler, the VM entry) on the
 * processor and on the emulator, from the hello kernel's loop of
 * HvCallNotifyLongSpinWait run with two counts (the difference cancels
 * set-up and power-off, as in `hvsim bench native`). */

static void count_hypercall(const SimEvent *ev, gpointer user_data)
{
	guint64 *n = user_data;
	*n += ev->type == SIM_EV_HYPERCALL;
}

static gboolean timed_hello(SimBackendKind backend, guint64 loops, double *seconds, guint64 *calls, GError **error)
{
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL, .quiet_guest = TRUE, .backend = backend,
	                  .hypercall_loops = loops };
	SimMachine *m = sim_machine_new(&cfg, error);
	if (!m)
		return FALSE;
	if (backend == SIM_BACKEND_KVM && !sim_machine_backend_native(m)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "%s", sim_machine_backend_fallback(m));
		sim_machine_free(m);
		return FALSE;
	}
	*calls = 0;
	sim_event_bus_subscribe(sim_machine_events(m), count_hypercall, calls);
	if (!sim_load_scenario_or_image(m, "hello", error)) {
		sim_machine_free(m);
		return FALSE;
	}
	gint64 t0 = g_get_monotonic_time();
	SimOutcome o = sim_machine_run(m);
	*seconds = (double)(g_get_monotonic_time() - t0) / 1e6;
	if (o != SIM_OUTCOME_SHUTDOWN)
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "hello did not shut down cleanly: %s",
		            sim_machine_outcome_message(m));
	sim_machine_free(m);
	return o == SIM_OUTCOME_SHUTDOWN;
}

/* Microseconds per hypercall round trip on `backend` and the loop count
 * it took (*calls: N), or < 0 with error. */
static double hypercall_us(SimBackendKind backend, guint64 *calls, GError **error)
{
	for (guint64 n = LESSON_NATIVE_CALLS_FIRST;; n *= 10) {
		double tb, ts;
		guint64 cb, cs;
		if (!timed_hello(backend, n, &tb, &cb, error) || !timed_hello(backend, n / 10, &ts, &cs, error))
			return -1;
		*calls = n;
		if (tb - ts >= LESSON_NATIVE_MIN_SECONDS || n >= LESSON_NATIVE_CALLS_MAX)
			return MAX(tb - ts, 1e-9) * 1e6 / (double)(cb > cs ? cb - cs : 1);
	}
}

char *lesson_native_note(void)
{
	GString *reason = g_string_new(NULL);
	gboolean native = sim_kvm_probe(reason);
	g_autofree char *why = g_string_free(reason, FALSE);
	if (!native)
		return g_strdup_printf("This host cannot run hvsim natively, so this step has no figure from it. "
		                       "The capability probe (hvsim probe) says: %s. On a host where the probe passes, "
		                       "this step measures a hypercall round trip on the processor and on the emulator.",
		                       why && *why ? why : "no reason given");
	g_autoptr(GError) e = NULL;
	guint64 nat_n = 0, emu_n = 0;
	double nat = hypercall_us(SIM_BACKEND_KVM, &nat_n, &e);
	double emu = nat >= 0 ? hypercall_us(SIM_BACKEND_EMULATED, &emu_n, &e) : -1;
	if (nat < 0 || emu < 0)
		return g_strdup_printf("The capability probe passed on this host, but the measurement failed: %s.",
		                       e ? e->message : "no reason given");
	return g_strdup_printf("Measured on this host just now (wall clock; the hello kernel's HvCallNotifyLongSpinWait "
	                       "loop run N and N/10 times, N = %" G_GUINT64_FORMAT " natively and %" G_GUINT64_FORMAT
	                       " on the emulator): one hypercall round trip, "
	                       "from the call into the hypercall page to the return into the guest through hvsim's "
	                       "handler, takes %.2f µs natively through KVM and %.2f µs on the emulator. (Natively the "
	                       "page holds OUT to port 0xE0 instead of VMCALL: KVM keeps VMCALL in the host kernel, and "
	                       "the port write is how the exit reaches hvsim; docs/native.md.)",
	                       nat_n, emu_n, nat, emu);
}

gboolean lesson_run_next(LessonRun *r, GError **error)
{
	const Lesson *l = r->lesson;
	if (r->next >= l->steps->len)
		return FALSE;
	LessonStep *s = g_ptr_array_index(l->steps, r->next++);
	g_array_set_size(r->ran, 0);
	r->ran_total = 0;
	memset(r->ran_by_type, 0, sizeof r->ran_by_type);
	r->match_seq = 0;
	g_clear_pointer(&r->match_text, g_free);
	r->ex_state = LESSON_EXERCISE_NONE;
	g_clear_pointer(&r->ex_why, g_free);
	g_clear_pointer(&r->note, g_free);
	if (!run_step(r, s, error))
		return FALSE;
	if (s->measure)
		r->note = lesson_native_note();
	return TRUE;
}

static gboolean run_step(LessonRun *r, LessonStep *s, GError **error)
{
	const Lesson *l = r->lesson;

	if (s->task && r->skip_exercises)
		return TRUE;
	if (s->task) {
		g_autoptr(GHashTable) set = settings_copy(l->settings);
		settings_merge(set, r->overrides);
		return exercise_eval(l, s, set, &r->ex_state, &r->ex_why, error);
	}
	if (s->settings || !r->m) {
		g_autoptr(GHashTable) set = settings_copy(l->settings);
		settings_merge(set, s->settings);
		g_autoptr(GError) e = NULL;
		gboolean ok = run_start_machine(r, set, &e);
		if (lesson_pattern_is_refused(s->trigger)) {
			if (ok) {
				g_autofree char *w = step_where(l, s, "Trigger");
				g_set_error(error, LESSON_ERROR, LESSON_ERROR_UNREACHABLE,
				            "%s: trigger \"%s\" was not reached: the machine was set up without a refusal", w,
				            lesson_pattern_spec(s->trigger));
				return FALSE;
			}
			if (!lesson_pattern_matches_end(s->trigger, NULL, e->message)) {
				g_autofree char *w = step_where(l, s, "Trigger");
				g_set_error(error, LESSON_ERROR, LESSON_ERROR_UNREACHABLE,
				            "%s: trigger \"%s\" was not reached: the refusal says \"%s\"", w,
				            lesson_pattern_spec(s->trigger), e->message);
				return FALSE;
			}
			r->match_text = g_strdup(e->message);
			return TRUE;
		}
		if (!ok) {
			g_autofree char *w = step_where(l, s, s->settings ? "Scenario" : "Trigger");
			g_set_error(error, LESSON_ERROR, LESSON_ERROR_UNREACHABLE, "%s: the machine cannot be set up: %s", w,
			            e->message);
			return FALSE;
		}
	} else if (lesson_pattern_is_refused(s->trigger)) {
		g_autofree char *w = step_where(l, s, "Trigger");
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID, "%s: refused needs a machine set up by this step", w);
		return FALSE;
	}

	if (lesson_pattern_is_end(s->trigger)) {
		/* Consume everything to the end (no event matches end). */
		run_to(r, s->trigger, 1);
		const char *outcome = lesson_outcome_name(sim_machine_outcome(r->m));
		r->match_text = g_strdup_printf("%s: %s", outcome, machine_end_line(r->m));
		if (!lesson_pattern_matches_end(s->trigger, outcome, machine_end_line(r->m))) {
			g_autofree char *w = step_where(l, s, "Trigger");
			g_set_error(error, LESSON_ERROR, LESSON_ERROR_UNREACHABLE,
			            "%s: trigger \"%s\" was not reached: the machine ended with %s", w,
			            lesson_pattern_spec(s->trigger), r->match_text);
			return FALSE;
		}
		return TRUE;
	}
	if (!run_to(r, s->trigger, s->count)) {
		g_autofree char *w = step_where(l, s, "Trigger");
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_UNREACHABLE,
		            "%s: trigger \"%s\" (count %u) was not reached: the machine ended (%s) after %" G_GUINT64_FORMAT
		            " more events", w, lesson_pattern_spec(s->trigger), s->count, machine_end_line(r->m),
		            r->ran_total);
		return FALSE;
	}
	return TRUE;
}

gboolean lesson_run_observe(LessonRun *r, char **value, SimEvent *observed, GError **error)
{
	const LessonStep *s = lesson_run_step(r);
	g_return_val_if_fail(s && s->question && r->m, FALSE);
	guint j = r->cursor;
	for (;;) {
		for (; j < r->log->len; j++) {
			const SimEvent *ev = &g_array_index(r->log, SimEvent, j);
			if (lesson_pattern_matches(s->observe, ev)) {
				char buf[SIM_EVENT_TEXT_MAX + 8];
				if (!lesson_event_field(ev, s->field, buf, sizeof buf))
					g_strlcpy(buf, "(none)", sizeof buf);
				*value = g_strdup(buf);
				if (observed)
					*observed = *ev;
				return TRUE;
			}
		}
		if (sim_machine_ended(r->m))
			break;
		step_until(r->m, s->observe, 1);
	}
	g_autofree char *w = step_where(r->lesson, s, "Observe");
	g_set_error(error, LESSON_ERROR, LESSON_ERROR_ANSWER,
	            "%s: the question observes \"%s\", which did not happen before the machine ended (%s)", w,
	            lesson_pattern_spec(s->observe), machine_end_line(r->m));
	return FALSE;
}

/* Whether a choice's value names what was observed (numbers as numbers). */
gboolean lesson_value_matches(const char *want, const char *have);
gboolean lesson_value_matches(const char *want, const char *have)
{
	char *e1 = NULL, *e2 = NULL;
	guint64 a = g_ascii_strtoull(want, &e1, 0), b = g_ascii_strtoull(have, &e2, 0);
	if (e1 != want && !*e1 && e2 != have && !*e2)
		return a == b;
	return g_ascii_strcasecmp(want, have) == 0;
}

gboolean lesson_answer_matches(const LessonStep *s, const char *want, const char *value)
{
	/* Text fields hold sentences: a choice names a part of one. */
	if (g_str_equal(s->field, "text"))
		return strstr(value, want) != NULL;
	return lesson_value_matches(want, value);
}

gboolean lesson_check(const Lesson *l, GString *log, GError **error)
{
	g_autoptr(LessonRun) r = lesson_run_new(l, NULL);
	for (guint i = 0; i < l->steps->len; i++) {
		if (!lesson_run_next(r, error))
			return FALSE;
		const LessonStep *s = lesson_run_step(r);
		if (log)
			g_string_append_printf(log, "  step %u: %s", i + 1,
			                       s->task ? "exercise" : lesson_pattern_spec(s->trigger));
		if (s->question) {
			g_autofree char *value = NULL;
			if (!lesson_run_observe(r, &value, NULL, error))
				return FALSE;
			const char *want = s->values[s->answer - 1];
			if (!lesson_answer_matches(s, want, value)) {
				g_autofree char *w = step_where(l, s, "Answer");
				g_set_error(error, LESSON_ERROR, LESSON_ERROR_ANSWER,
				            "%s: wrong answer: Answer=%u says %s = %s, but the machine's next \"%s\" has %s = %s", w,
				            s->answer, s->field, want, lesson_pattern_spec(s->observe), s->field, value);
				return FALSE;
			}
			if (log)
				g_string_append_printf(log, "; answer %u (%s = %s) checked", s->answer, s->field, value);
		}
		if (s->task) {
			const char *why = NULL;
			if (lesson_run_exercise(r, &why) != LESSON_EXERCISE_NOT_YET) {
				g_autofree char *w = step_where(l, s, "Expect");
				g_set_error(error, LESSON_ERROR, LESSON_ERROR_EXERCISE,
				            "%s: the exercise is solved without any change (%s): its check proves nothing", w, why);
				return FALSE;
			}
			if (log)
				g_string_append_printf(log, " not yet as written (%s)", why);
			g_autoptr(GHashTable) set = settings_copy(l->settings);
			settings_merge(set, s->solution);
			LessonExerciseState st;
			g_autofree char *why2 = NULL;
			if (!exercise_eval(l, s, set, &st, &why2, error))
				return FALSE;
			if (st != LESSON_EXERCISE_SOLVED) {
				g_autofree char *w = step_where(l, s, "Solution");
				g_set_error(error, LESSON_ERROR, LESSON_ERROR_EXERCISE, "%s: the Solution does not solve the exercise: %s",
				            w, why2);
				return FALSE;
			}
			if (log)
				g_string_append_printf(log, "; solved with the Solution (%s)", why2);
		}
		if (log && lesson_run_note(r))
			g_string_append_printf(log, "; measured: %s", lesson_run_note(r));
		if (log)
			g_string_append_c(log, '\n');
	}
	return TRUE;
}
