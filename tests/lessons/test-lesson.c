/* test-lesson.c — the lesson engine (sim/lesson*.c): the trigger matcher on
 * synthetic events (table-driven), picture names and markup, every kind of
 * bad lesson file (each message must name file, line and problem), the
 * runner's questions and exercises (not yet / solved), and `hvsim lesson`
 * through $HVSIM. Host test code. */
#include <glib.h>
#include <stdarg.h>
#include <glib/gstdio.h>
#include <string.h>

#include "../sim/cli-harness.h"
#include "backend-kvm.h"
#include "hv-tlfs.h"
#include "lesson.h"
#include "sim-profile.h"
#include "vmx.h"

/* ---- The matcher, on events made by hand ------------------------------------ */

static SimEvent make_event(SimEventType type, uint32_t partition)
{
	SimEvent ev;
	sim_event_init(&ev, type);
	ev.seq = 7;
	ev.partition = partition;
	return ev;
}

typedef struct MatchRow {
	const char *pattern;
	gboolean expect;
} MatchRow;

static void check_rows(const SimEvent *ev, const MatchRow *rows, gsize n)
{
	for (gsize i = 0; i < n; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(LessonPattern) p = lesson_pattern_parse(rows[i].pattern, &error);
		g_assert_no_error(error);
		if (lesson_pattern_matches(p, ev) != rows[i].expect)
			g_error("pattern \"%s\" against a %s event: expected %s", rows[i].pattern,
			        sim_event_type_name(ev->type), rows[i].expect ? "a match" : "no match");
	}
}

static void test_match_exit(void)
{
	SimEvent ev = make_event(SIM_EV_VM_EXIT, 2);
	ev.u.exit.reason = VMX_EXIT_IO_INSTRUCTION;
	ev.u.exit.qualification = (uint64_t)0x3f8 << 16;   /* port in bits 31:16 */
	static const MatchRow rows[] = {
		{ "exit", TRUE },
		{ "exit reason=io_instruction", TRUE },
		{ "exit reason=IO_INSTRUCTION", TRUE },          /* names in any case */
		{ "exit reason=30", TRUE },                      /* or by number */
		{ "exit reason=0x1e", TRUE },
		{ "exit reason=cpuid", FALSE },
		{ "exit port=0x3f8", TRUE },
		{ "exit port=1016", TRUE },                      /* 0x3f8 in decimal */
		{ "exit port=0x3f9", FALSE },
		{ "exit partition=2 reason=io_instruction port=0x3f8", TRUE },
		{ "exit partition=1", FALSE },
		{ "exit vp=0", TRUE },
		{ "hypercall", FALSE },                          /* another kind */
		{ "entry", FALSE },
	};
	check_rows(&ev, rows, G_N_ELEMENTS(rows));
	/* A CPUID exit has no port: a port condition cannot match it. */
	ev.u.exit.reason = VMX_EXIT_CPUID;
	static const MatchRow cpuid_rows[] = {
		{ "exit reason=cpuid", TRUE },
		{ "exit port=0x3f8", FALSE },
	};
	check_rows(&ev, cpuid_rows, G_N_ELEMENTS(cpuid_rows));
}

static void test_match_hypercall(void)
{
	SimEvent ev = make_event(SIM_EV_HYPERCALL, 1);
	ev.u.hypercall.code = HVCALL_POST_MESSAGE;
	ev.u.hypercall.status = HV_STATUS_INSUFFICIENT_BUFFERS;
	static const MatchRow rows[] = {
		{ "hypercall name=HvCallPostMessage", TRUE },
		{ "hypercall name=0x5c", TRUE },
		{ "hypercall name=HvCallSignalEvent", FALSE },
		{ "hypercall status=HV_STATUS_INSUFFICIENT_BUFFERS", TRUE },
		{ "hypercall status=0x13", TRUE },
		{ "hypercall status=HV_STATUS_SUCCESS", FALSE },
		{ "hypercall fast=false", TRUE },
		{ "hypercall fast=true", FALSE },
		{ "hypercall partition=1 name=HvCallPostMessage status=HV_STATUS_INSUFFICIENT_BUFFERS", TRUE },
	};
	check_rows(&ev, rows, G_N_ELEMENTS(rows));
}

static void test_match_ring_boot_vmbus(void)
{
	SimEvent ring = make_event(SIM_EV_RING, 1);
	ring.u.ring.from = 3;
	ring.u.ring.to = 0;
	ring.u.ring.cause = SIM_RING_SYSCALL;
	static const MatchRow ring_rows[] = {
		{ "ring from=3 to=0", TRUE },
		{ "ring from=3 to=0 cause=syscall", TRUE },
		{ "ring from=0", FALSE },
		{ "ring cause=int", FALSE },
	};
	check_rows(&ring, ring_rows, G_N_ELEMENTS(ring_rows));

	SimEvent boot = make_event(SIM_EV_BOOT, 1);
	boot.u.boot.stage = SIM_BOOT_LAUNCHED;
	g_strlcpy(boot.text, "VMLAUNCH: the OS continues as partition 1", sizeof boot.text);
	static const MatchRow boot_rows[] = {
		{ "boot stage=launched", TRUE },
		{ "boot stage=vmxon", FALSE },
		{ "boot text=VMLAUNCH", TRUE },                  /* text: a substring */
		{ "boot text=\"continues as partition 1\"", TRUE },
		{ "boot text=VMRESUME", FALSE },
	};
	check_rows(&boot, boot_rows, G_N_ELEMENTS(boot_rows));

	SimEvent vm = make_event(SIM_EV_VMBUS, 2);
	vm.u.vmbus.kind = SIM_VMBUS_MESSAGE;
	vm.u.vmbus.msgtype = 14; /* INITIATE_CONTACT */
	vm.u.vmbus.to = 1;
	static const MatchRow vm_rows[] = {
		{ "vmbus msgtype=INITIATE_CONTACT", TRUE },
		{ "vmbus kind=message to=1", TRUE },
		{ "vmbus kind=signal", FALSE },
		{ "vmbus msgtype=OFFERCHANNEL", FALSE },
		{ "vmbus channel=storage", FALSE },              /* relid 0: no channel */
	};
	check_rows(&vm, vm_rows, G_N_ELEMENTS(vm_rows));
	vm.u.vmbus.kind = SIM_VMBUS_RING_WRITE;
	vm.u.vmbus.relid = 2;
	static const MatchRow ring_write_rows[] = {
		{ "vmbus kind=ring_write channel=storage", TRUE },
		{ "vmbus channel=heartbeat", FALSE },
		{ "vmbus relid=2", TRUE },
		{ "vmbus msgtype=INITIATE_CONTACT", FALSE },     /* not a message */
	};
	check_rows(&vm, ring_write_rows, G_N_ELEMENTS(ring_write_rows));
}

static void test_match_special(void)
{
	/* end and refused are not events: no event matches them. */
	SimEvent ev = make_event(SIM_EV_PARTITION_STOP, 1);
	static const MatchRow rows[] = {
		{ "end", FALSE },
		{ "refused", FALSE },
		{ "partition-stop", TRUE },
		{ "partition-stop clean=true", FALSE },
	};
	check_rows(&ev, rows, G_N_ELEMENTS(rows));
}

typedef struct ParseRow {
	const char *pattern;
	const char *message;     /* a substring of the error */
} ParseRow;

static void test_pattern_errors(void)
{
	static const ParseRow rows[] = {
		{ "", "empty pattern" },
		{ "exits reason=cpuid", "unknown trigger kind 'exits' (known: boot, child, hypercall, exit," },
		{ "exit colour=red", "kind 'exit' has no field 'colour' (fields: partition, vp, text, reason, port)" },
		{ "exit reason=io_instr", "'io_instr' is not a known reason (known: " },
		{ "hypercall name=HvCallPostMesage", "'HvCallPostMesage' is not a known name" },
		{ "boot stage=lunched", "'lunched' is not a known stage (known: power_on, hvboot_request," },
		{ "exit reason", "'reason' is not field=value" },
		{ "exit port=COM1", "port=COM1: a number is expected" },
		{ "console text=\"unterminated", "pattern \"console text=\"unterminated\":" },
		{ "vmbus channel=network", "'network' is not a known channel (known: heartbeat, storage)" },
		{ "end outcome=crashed", "'crashed' is not a known outcome" },
		{ "end partition=1", "kind 'end' has no field 'partition'" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_autoptr(GError) error = NULL;
		LessonPattern *p = lesson_pattern_parse(rows[i].pattern, &error);
		g_assert_null(p);
		g_assert_error(error, LESSON_ERROR, LESSON_ERROR_INVALID);
		if (!strstr(error->message, rows[i].message))
			g_error("pattern \"%s\": message \"%s\" lacks \"%s\"", rows[i].pattern, error->message, rows[i].message);
	}
}

static void test_highlight_names(void)
{
	static const char *const good[] = { "hypervisor", "hardware", "hw.uart", "hv.synic", "part.1", "part.12.ring0.vid",
		                            "part.2.ring3.apps", "vmbus", "vmbus.2.1", "label.ring-1", "title" };
	static const char *const bad[] = { "hypervisors", "part.x", "part.1.ring1", "part.1.ring0.gpu", "vmbus.2",
		                           "hw.gpu", "", "part..ring0", "PART.1" };
	for (gsize i = 0; i < G_N_ELEMENTS(good); i++)
		if (!lesson_highlight_valid(good[i]))
			g_error("'%s' should be a picture element", good[i]);
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
		if (lesson_highlight_valid(bad[i]))
			g_error("'%s' should not be a picture element", bad[i]);
}

static void test_markup(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *plain = lesson_markup_to_text("A <b>bold</b> &amp; <span weight=\"bold\">spanned</span> <tt>x</tt>", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(plain, ==, "A bold & spanned x");
	g_assert_null(lesson_markup_to_text("<b>unclosed", &error));
	g_assert_nonnull(error);
	g_clear_error(&error);
	g_assert_null(lesson_markup_to_text("<blink>no</blink>", &error));
	g_assert_nonnull(strstr(error->message, "<blink> is not a Pango markup tag"));
	g_clear_error(&error);
	g_assert_null(lesson_markup_to_text("R&D", &error));
	g_assert_nonnull(error);
}

/* ---- Bad lesson files: file, line and problem --------------------------------- */

typedef struct BadFile {
	const char *name;
	const char *text;
	guint line;              /* the line the message must name */
	const char *problem;     /* a substring of the message after file:line */
	gboolean at_run;         /* found by --check, not by loading */
} BadFile;

#define HEAD "[Lesson]\nTitle=t\nObjectives=o\nScenario=hello\n"

static const BadFile bad_files[] = {
	{ "syntax", HEAD "[Step 1]\nText=x\nTrigger=end\nthis line has no equals sign\n", 8,
	  "syntax error: \"this line has no equals sign\" is neither a [Group] header" },
	{ "group-header", HEAD "[Step 1\nText=x\n", 5, "syntax error: a group header is [Name] alone on its line" },
	{ "key-before-group", "Title=t\n[Lesson]\n", 1, "a key before the first group" },
	{ "unknown-trigger", HEAD "[Step 1]\nText=x\nTrigger=exits reason=cpuid\n", 7,
	  "[Step 1] Trigger: unknown trigger kind 'exits'" },
	{ "unknown-field", HEAD "[Step 1]\nText=x\nTrigger=exit colour=red\n", 7, "kind 'exit' has no field 'colour'" },
	{ "unknown-key", HEAD "[Step 1]\nText=x\nTrigger=end\nColour=red\n", 8, "[Step 1] Colour: unknown key 'Colour'" },
	{ "unknown-lesson-key", HEAD "Author=me\n[Step 1]\nText=x\nTrigger=end\n", 5, "[Lesson] Author: unknown key 'Author'" },
	{ "bad-count", HEAD "[Step 1]\nText=x\nTrigger=exit\nCount=many\n", 8, "[Step 1] Count: bad count 'many'" },
	{ "zero-count", HEAD "[Step 1]\nText=x\nTrigger=exit\nCount=0\n", 8, "bad count '0'" },
	{ "unknown-highlight", HEAD "[Step 1]\nText=x\nTrigger=end\nHighlight=hypervisor;part.1.ring0.gpu\n", 8,
	  "[Step 1] Highlight: unknown highlight 'part.1.ring0.gpu'" },
	{ "bad-markup", HEAD "[Step 1]\nText=a <b>bold claim\nTrigger=end\n", 6, "[Step 1] Text: bad markup (a tag not closed or closed in the wrong order" },
	{ "bad-tag", HEAD "[Step 1]\nText=a <blink>b</blink>\nTrigger=end\n", 6, "<blink> is not a Pango markup tag" },
	{ "no-trigger", HEAD "[Step 1]\nText=x\n", 5, "[Step 1]: a step needs Trigger=" },
	{ "step-order", HEAD "[Step 1]\nText=x\nTrigger=end\n[Step 3]\nText=y\nTrigger=end\n", 8,
	  "[Step 3]: steps are numbered 1, 2, 3 ... in order: expected [Step 2]" },
	{ "duplicate-key", HEAD "[Step 1]\nText=x\nText=y\nTrigger=end\n", 7, "[Step 1] Text is set twice (first at line 6)" },
	{ "bad-scenario", "[Lesson]\nTitle=t\nObjectives=o\nScenario=bootx\n[Step 1]\nText=x\nTrigger=end\n", 4,
	  "[Lesson] Scenario: scenario 'bootx' is not a built-in scenario" },
	{ "unused-term", HEAD "[Glossary]\nSLAT=x\n[Step 1]\nText=x\nTrigger=end\n", 6, "[Glossary] SLAT: the term 'SLAT' is used in no step's Text" },
	{ "answer-range", HEAD "[Step 1]\nText=x\nTrigger=exit\nQuestion=q\nChoices=a;b\nAnswer=3\nObserve=exit\nField=reason\n", 10,
	  "[Step 1] Answer: Answer must be the number of a choice, 1 to 2" },
	{ "question-field", HEAD "[Step 1]\nText=x\nTrigger=exit\nQuestion=q\nChoices=a;b\nAnswer=1\nObserve=exit\nField=colour\n", 12,
	  "[Step 1] Field: pattern" },
	{ "exercise-no-solution", HEAD "[Step 1]\nText=x\nTrigger=end\nTask=t\nExpect=exit < 3\n", 8,
	  "an exercise needs Solution=" },
	{ "exercise-bad-expect", HEAD "[Step 1]\nText=x\nTrigger=end\nTask=t\nExpect=exit about 3\nSolution=workload=1\n", 9,
	  "[Step 1] Expect: \"exit about 3\": the comparison must be one of" },
	/* Found only by running the machine. */
	{ "unreachable", HEAD "[Step 1]\nText=x\nTrigger=boot stage=launched\n", 7,
	  "step 1: trigger \"boot stage=launched\" (count 1) was not reached: the machine ended", TRUE },
	{ "unreachable-count", HEAD "[Step 1]\nText=x\nTrigger=hypercall name=HvCallGetPartitionId\nCount=2\n", 7,
	  "step 1: trigger \"hypercall name=HvCallGetPartitionId\" (count 2) was not reached", TRUE },
	{ "wrong-answer", HEAD "[Step 1]\nText=x\nTrigger=partition-start\nQuestion=q\nChoices=cpuid;io_instruction\nAnswer=1\nObserve=exit\nField=reason\n", 10,
	  "step 1: wrong answer: Answer=1 says reason = cpuid, but the machine's next \"exit\" has reason = io_instruction", TRUE },
	{ "exercise-proves-nothing", HEAD "[Step 1]\nText=x\nTrigger=end\nTask=t\nExpect=exit reason=cpuid >= 1\nSolution=vendor=amd\n", 9,
	  "step 1: the exercise is solved without any change", TRUE },
	{ "exercise-wrong-solution", HEAD "[Step 1]\nText=x\nTrigger=end\nTask=t\nExpect=exit reason=cpuid == 0\nSolution=vendor=amd\n", 10,
	  "step 1: the Solution does not solve the exercise: exit reason=cpuid: ", TRUE },
	{ "bad-measure", HEAD "[Step 1]\nText=x\nTrigger=end\nMeasure=weather\n", 8,
	  "[Step 1] Measure: unknown measurement 'weather'" },
	{ "bad-vps", HEAD "[Step 1]\nText=x\nVps=0\nTrigger=end\n", 7, "[Step 1] Vps: vps '0': a number of virtual processors" },
	{ "refused-not", HEAD "[Step 1]\nText=x\nProfile=hyperv-2008\nTrigger=refused\n", 8,
	  "step 1: trigger \"refused\" was not reached: the machine was set up without a refusal", TRUE },
};

static void test_bad_file(gconstpointer data)
{
	const BadFile *b = data;
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("hvsim-lesson-XXXXXX", &error);
	g_assert_no_error(error);
	g_autofree char *path = g_build_filename(dir, "bad.lesson", NULL);
	g_assert_true(g_file_set_contents(path, b->text, -1, &error));
	g_autoptr(Lesson) l = lesson_load(path, &error);
	if (b->at_run) {
		g_assert_no_error(error);
		g_assert_nonnull(l);
		g_assert_false(lesson_check(l, NULL, &error));
	} else {
		g_assert_null(l);
	}
	g_assert_nonnull(error);
	g_test_message("%s", error->message);
	g_autofree char *where = g_strdup_printf("%s:%u: ", path, b->line);
	if (!g_str_has_prefix(error->message, where))
		g_error("message \"%s\" does not start with \"%s\"", error->message, where);
	if (!strstr(error->message, b->problem))
		g_error("message \"%s\" lacks \"%s\"", error->message, b->problem);
	g_unlink(path);
	g_rmdir(dir);
}

/* ---- Questions and exercises on a real machine ------------------------------ */

static const char *const exercise_lesson =
	HEAD
	"[Step 1]\nText=x\nTrigger=end\nTask=stop COM1 exiting\n"
	"Expect=exit reason=io_instruction port=0x3f8 == 0; port-io port=0x3f8 intercepted=false >= 1\n"
	"Solution=io-passthrough=0x3f8-0x3ff\n";

static LessonExerciseState run_exercise(const char *path, GHashTable *overrides, const char **why_out, char **why_copy)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Lesson) l = lesson_load(path, &error);
	g_assert_no_error(error);
	g_autoptr(LessonRun) r = lesson_run_new(l, overrides);
	g_assert_true(lesson_run_next(r, &error));
	g_assert_no_error(error);
	const char *why = NULL;
	LessonExerciseState st = lesson_run_exercise(r, &why);
	*why_copy = g_strdup(why);
	(void)why_out;
	g_assert_false(lesson_run_next(r, &error));   /* the end */
	g_assert_no_error(error);
	return st;
}

static void test_exercise_states(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("hvsim-lesson-XXXXXX", &error);
	g_autofree char *path = g_build_filename(dir, "ex.lesson", NULL);
	g_assert_true(g_file_set_contents(path, exercise_lesson, -1, &error));

	/* As written: COM1 exits; the check says why it is not solved. */
	g_autofree char *why = NULL;
	g_assert_cmpint(run_exercise(path, NULL, NULL, &why), ==, LESSON_EXERCISE_NOT_YET);
	g_test_message("not yet: %s", why);
	g_assert_nonnull(strstr(why, "exit reason=io_instruction port=0x3f8: "));
	g_assert_nonnull(strstr(why, "(wanted == 0)"));
	g_assert_nonnull(strstr(why, "port-io port=0x3f8 intercepted=false: 0 (wanted >= 1)"));

	/* The student's change: a wrong range first (still not solved), then COM1. */
	g_autoptr(GHashTable) set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_assert_true(lesson_settings_parse(set, "io-passthrough=0x2f8-0x2ff", &error));
	g_autofree char *why2 = NULL;
	g_assert_cmpint(run_exercise(path, set, NULL, &why2), ==, LESSON_EXERCISE_NOT_YET);
	g_assert_true(lesson_settings_parse(set, "io-passthrough=0x3f8-0x3ff", &error));
	g_autofree char *why3 = NULL;
	g_assert_cmpint(run_exercise(path, set, NULL, &why3), ==, LESSON_EXERCISE_SOLVED);
	g_test_message("solved: %s", why3);
	g_assert_nonnull(strstr(why3, "exit reason=io_instruction port=0x3f8: 0 (ok)"));

	/* And --check proves both states. */
	g_autoptr(Lesson) l = lesson_load(path, &error);
	g_autoptr(GString) log = g_string_new(NULL);
	g_assert_true(lesson_check(l, log, &error));
	g_assert_no_error(error);
	g_assert_nonnull(strstr(log->str, "not yet as written"));
	g_assert_nonnull(strstr(log->str, "solved with the Solution"));

	/* Bad --set values are refused with the reason. */
	g_assert_false(lesson_settings_parse(set, "io-passthrough=0x3ff-0x3f8", &error));
	g_assert_nonnull(strstr(error->message, "a port or a range FIRST-LAST"));
	g_clear_error(&error);
	g_assert_false(lesson_settings_parse(set, "colour=red", &error));
	g_assert_nonnull(strstr(error->message, "unknown setting 'colour'"));
	g_clear_error(&error);
	g_unlink(path);
	g_rmdir(dir);
}

/* Files that are not lesson text at all. */
static void test_not_text(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("hvsim-lesson-XXXXXX", &error);
	g_autofree char *path = g_build_filename(dir, "x.lesson", NULL);
	g_assert_true(g_file_set_contents(path, "[Lesson]\nTitle=\xff\xfe\n", -1, &error));
	g_assert_null(lesson_load(path, &error));
	g_assert_error(error, LESSON_ERROR, LESSON_ERROR_FILE);
	g_assert_nonnull(strstr(error->message, ": not UTF-8 text"));
	g_clear_error(&error);
	g_autofree char *big = g_strnfill((1u << 20) + 1, '#');
	g_assert_true(g_file_set_contents(path, big, -1, &error));
	g_assert_null(lesson_load(path, &error));
	g_assert_nonnull(strstr(error->message, "is too large for a lesson"));
	g_clear_error(&error);
	g_unlink(path);
	g_assert_null(lesson_load(path, &error));
	g_assert_nonnull(strstr(error->message, ": cannot read:"));
	g_rmdir(dir);
}

/* A question's observation does not consume events: the next step's
 * trigger still finds the observed event. */
static void test_question_observe(void)
{
	static const char *const text =
		HEAD "[Step 1]\nText=x\nTrigger=partition-start\nQuestion=q\nChoices=cpuid;io_instruction\nAnswer=2\n"
		"Observe=exit\nField=reason\n[Step 2]\nText=y\nTrigger=exit reason=io_instruction\n";
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("hvsim-lesson-XXXXXX", &error);
	g_autofree char *path = g_build_filename(dir, "q.lesson", NULL);
	g_assert_true(g_file_set_contents(path, text, -1, &error));
	g_autoptr(Lesson) l = lesson_load(path, &error);
	g_assert_no_error(error);
	g_autoptr(LessonRun) r = lesson_run_new(l, NULL);
	g_assert_true(lesson_run_next(r, &error));
	g_autofree char *value = NULL;
	SimEvent observed;
	g_assert_true(lesson_run_observe(r, &value, &observed, &error));
	g_assert_cmpstr(value, ==, "io_instruction");
	g_assert_true(lesson_run_next(r, &error));
	g_assert_cmpuint(lesson_run_match_seq(r), ==, observed.seq);
	const GArray *ev = lesson_run_events(r);
	g_assert_cmpuint(g_array_index(ev, SimEvent, ev->len - 1).seq, ==, observed.seq);
	g_unlink(path);
	g_rmdir(dir);
}

/* ---- Product profiles: the VM as asked for ------------------------------------- */

static SimMachine *machine_with(GError **error, ...)
{
	g_autoptr(GHashTable) set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	va_list ap;
	va_start(ap, error);
	for (const char *kv; (kv = va_arg(ap, const char *));) {
		g_autoptr(GError) e = NULL;
		if (!lesson_settings_parse(set, kv, &e))
			g_error("%s: %s", kv, e->message);
	}
	va_end(ap);
	return lesson_machine_new(set, error);
}

/* A second VP under Virtual Server 2005 (Table 1: one VP per VM) is
 * refused for that reason, and the refusal names every other limit the
 * VM breaks too (hvsim's guests are x64). */
static void test_profile_second_vp(void)
{
	g_autoptr(GError) error = NULL;
	g_assert_null(machine_with(&error, "scenario=boot", "profile=virtual-server-2005", "vps=2", NULL));
	g_assert_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_VPS);
	g_assert_nonnull(strstr(error->message, "Virtual Server 2005 refuses this virtual machine, for 2 reasons"));
	g_assert_nonnull(strstr(error->message, "(1) it allows at most 1 virtual processor per virtual machine; this one asks for 2"));
	g_assert_nonnull(strstr(error->message, "(2) it runs 32-bit (x86) guests only; boot is an x64 image"));
	g_clear_error(&error);

	/* One VP: only the architecture is wrong. */
	g_assert_null(machine_with(&error, "scenario=boot", "profile=virtual-server-2005", NULL));
	g_assert_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_ARCH);
	g_assert_nonnull(strstr(error->message, "for 1 reason: (1) it runs 32-bit (x86) guests only"));
	g_assert_null(strstr(error->message, "virtual processor"));
	g_clear_error(&error);

	/* Hyper-V: five VPs break its limit of four, x64 is fine. */
	g_assert_null(machine_with(&error, "scenario=hello", "profile=hyperv-2008", "vps=5", NULL));
	g_assert_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_VPS);
	g_assert_nonnull(strstr(error->message, "for 1 reason: (1) it allows at most 4 virtual processors per virtual machine; this one asks for 5"));
	g_clear_error(&error);

	/* Within the product's limit, but more than hvsim builds: said so. */
	g_assert_null(machine_with(&error, "scenario=hello", "profile=hyperv-2008", "vps=2", NULL));
	g_assert_error(error, LESSON_ERROR, LESSON_ERROR_INVALID);
	g_assert_nonnull(strstr(error->message, "start every partition with one virtual processor"));
	g_clear_error(&error);
	g_assert_null(machine_with(&error, "scenario=hello", "vps=2", NULL));
	g_assert_error(error, LESSON_ERROR, LESSON_ERROR_INVALID);
	g_clear_error(&error);

	/* The check itself: memory alone, no image. */
	SimProfileVm vm = { .vps = 1, .memory = UINT64_C(4096) << 20 };
	g_assert_false(sim_profile_check_vm(sim_profile_find("virtual-server-2005"), &vm, &error));
	g_assert_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_MEMORY);
	g_assert_nonnull(strstr(error->message, "for 1 reason: (1) it allows at most 3686 MB of memory"));
	g_clear_error(&error);
	vm.memory = UINT64_C(3686) << 20;
	g_assert_true(sim_profile_check_vm(sim_profile_find("virtual-server-2005"), &vm, &error));
	g_assert_true(sim_profile_check_vm(NULL, &(SimProfileVm){ .vps = 99, .memory = G_MAXUINT64 }, &error));
	g_assert_no_error(error);
}

/* Lesson 1's step 2 asks for that second VP and its trigger catches the
 * refusal, for the right reason. */
static void test_history_second_vp(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = lesson_find("history", &error);
	g_assert_no_error(error);
	g_autoptr(Lesson) l = lesson_load(path, &error);
	g_assert_no_error(error);
	g_autoptr(LessonRun) r = lesson_run_new(l, NULL);
	g_assert_true(lesson_run_next(r, &error));
	g_assert_true(lesson_run_next(r, &error));
	g_assert_no_error(error);
	const LessonStep *s = lesson_run_step(r);
	g_assert_true(lesson_pattern_is_refused(s->trigger));
	g_assert_cmpstr(g_hash_table_lookup(s->settings, "profile"), ==, "virtual-server-2005");
	g_assert_cmpstr(g_hash_table_lookup(s->settings, "vps"), ==, "2");
	g_assert_null(lesson_run_machine(r));
	const char *why = lesson_run_match_text(r);
	g_assert_nonnull(why);
	g_assert_nonnull(strstr(why, "Virtual Server 2005 refuses this virtual machine"));
	g_assert_nonnull(strstr(why, "at most 1 virtual processor per virtual machine; this one asks for 2"));
}

/* Measure=native: the probe's own reason where native mode does not work
 * (the build machines: PVM), a measured figure where it does; and lesson
 * 11 has a step that shows it. */
static void test_native_note(void)
{
	GString *reason = g_string_new(NULL);
	gboolean native = sim_kvm_probe(reason);
	g_autofree char *note = lesson_native_note();
	g_test_message("probe: %s; note: %s", native ? "native" : reason->str, note);
	if (native) {
		g_assert_nonnull(strstr(note, "µs natively through KVM and"));
		g_assert_nonnull(strstr(note, "µs on the emulator"));
	} else {
		g_assert_nonnull(strstr(note, "This host cannot run hvsim natively"));
		g_assert_nonnull(strstr(note, reason->str));
	}
	g_string_free(reason, TRUE);

	g_autoptr(GError) error = NULL;
	g_autofree char *path = lesson_find("native", &error);
	g_assert_no_error(error);
	g_autoptr(Lesson) l = lesson_load(path, &error);
	g_assert_no_error(error);
	g_autoptr(LessonRun) r = lesson_run_new(l, NULL);
	guint measured = 0;
	while (lesson_run_next(r, &error)) {
		const LessonStep *s = lesson_run_step(r);
		g_assert_true((s->measure != NULL) == (lesson_run_note(r) != NULL));
		if (s->measure) {
			measured++;
			g_assert_nonnull(strstr(lesson_run_note(r), native ? "natively through KVM" : "capability probe (hvsim probe) says"));
		}
	}
	g_assert_no_error(error);
	g_assert_cmpuint(measured, ==, 1);
}

/* ---- The lessons themselves and the CLI ---------------------------------------- */

static void test_lessons_load(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) paths = lesson_list(&error);
	g_assert_no_error(error);
	g_assert_cmpuint(paths->len, ==, 11);
	for (guint i = 0; i < paths->len; i++) {
		g_autoptr(Lesson) l = lesson_load(g_ptr_array_index(paths, i), &error);
		g_assert_no_error(error);
		g_assert_cmpuint(l->steps->len, >=, 5);
		g_assert_cmpuint(l->steps->len, <=, 15);
	}
	g_autofree char *p = lesson_find("3", &error);
	g_assert_no_error(error);
	g_assert_true(g_str_has_suffix(p, "03-rings.lesson"));
	g_autofree char *q = lesson_find("vmbus", &error);
	g_assert_true(g_str_has_suffix(q, "07-vmbus.lesson"));
	g_assert_null(lesson_find("no-such-lesson", &error));
	g_assert_nonnull(strstr(error->message, "no lesson 'no-such-lesson'"));
}

#define RUN(r, ...) cli_run((r), (const char *const[]){ __VA_ARGS__, NULL })

static void test_cli_list(void)
{
	CliResult r;
	RUN(&r, "lesson", "--list");
	g_assert_cmpint(r.status, ==, 0);
	g_auto(GStrv) lines = g_strsplit(g_strchomp(r.out), "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, 11);
	g_assert_true(g_str_has_prefix(lines[0], "01-history "));
	g_assert_true(g_str_has_prefix(lines[10], "11-native "));
	cli_result_clear(&r);
}

static void test_cli_run_noninteractive(void)
{
	CliResult r;
	/* stdin is not a terminal here: the lesson runs through. */
	RUN(&r, "lesson", "rings");
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "== Step 1/9: Four rings, two in use =="));
	g_assert_nonnull(strstr(r.out, "  * ring -1: "));                  /* a term defined on first use */
	g_assert_nonnull(strstr(r.out, "=> #"));                           /* the matching event, marked */
	g_assert_nonnull(strstr(r.out, "The answer is 1) A #GP exception into its own kernel."));
	g_assert_nonnull(strstr(r.out, "== End of \"Rings: 3, 0 and -1\" =="));
	g_assert_null(strstr(r.out, "<b>"));                               /* markup stripped */
	cli_result_clear(&r);
}

static void test_cli_exercise(void)
{
	CliResult r;
	RUN(&r, "lesson", "vmm-types");
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "Result: not yet"));
	cli_result_clear(&r);
	RUN(&r, "lesson", "vmm-types", "--set", "io-passthrough=0x3f8-0x3ff");
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "Result: solved"));
	cli_result_clear(&r);
	RUN(&r, "lesson", "vmm-types", "--set", "io-passthrough=COM1");
	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "hvsim lesson: --set io-passthrough 'COM1': a port or a range"));
	cli_result_clear(&r);
}

static void test_cli_check_bad(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("hvsim-lesson-XXXXXX", &error);
	g_autofree char *path = g_build_filename(dir, "bad.lesson", NULL);
	g_assert_true(g_file_set_contents(path, HEAD "[Step 1]\nText=x\nTrigger=boot stage=launched\n", -1, &error));
	CliResult r;
	RUN(&r, "lesson", "--check", path);
	g_assert_cmpint(r.status, ==, 1);
	g_autofree char *want = g_strdup_printf("hvsim lesson --check: %s:7: step 1: trigger \"boot stage=launched\"", path);
	g_assert_nonnull(strstr(r.err, want));
	g_assert_nonnull(strstr(r.err, "FAILED bad"));
	cli_result_clear(&r);
	RUN(&r, "lesson", "--check");
	g_assert_cmpint(r.status, ==, 2);
	cli_result_clear(&r);
	RUN(&r, "lesson", "nonesuch");
	g_assert_cmpint(r.status, ==, 4);
	g_assert_nonnull(strstr(r.err, "no lesson 'nonesuch'"));
	cli_result_clear(&r);
	g_unlink(path);
	g_rmdir(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/lesson/pattern/exit", test_match_exit);
	g_test_add_func("/lesson/pattern/hypercall", test_match_hypercall);
	g_test_add_func("/lesson/pattern/ring-boot-vmbus", test_match_ring_boot_vmbus);
	g_test_add_func("/lesson/pattern/end-refused", test_match_special);
	g_test_add_func("/lesson/pattern/errors", test_pattern_errors);
	g_test_add_func("/lesson/highlight", test_highlight_names);
	g_test_add_func("/lesson/markup", test_markup);
	for (gsize i = 0; i < G_N_ELEMENTS(bad_files); i++) {
		g_autofree char *name = g_strdup_printf("/lesson/bad-file/%s", bad_files[i].name);
		g_test_add_data_func(name, &bad_files[i], test_bad_file);
	}
	g_test_add_func("/lesson/file/not-text", test_not_text);
	g_test_add_func("/lesson/exercise/states", test_exercise_states);
	g_test_add_func("/lesson/question/observe", test_question_observe);
	g_test_add_func("/lesson/lessons/load", test_lessons_load);
	g_test_add_func("/lesson/profile/second-vp", test_profile_second_vp);
	g_test_add_func("/lesson/history/second-vp-refused", test_history_second_vp);
	g_test_add_func("/lesson/native/note", test_native_note);
	g_test_add_func("/lesson/cli/list", test_cli_list);
	g_test_add_func("/lesson/cli/run", test_cli_run_noninteractive);
	g_test_add_func("/lesson/cli/exercise", test_cli_exercise);
	g_test_add_func("/lesson/cli/check-bad", test_cli_check_bad);
	return g_test_run();
}
