/* lesson-pattern.c — event patterns of the lesson engine: "KIND field=value"
 * parsed once, matched against every SimEvent; the fields of an event as
 * text; one-line event descriptions; picture element names; the Pango
 * markup subset of lesson texts. Sim thread; pure functions, no machine. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hv-names.h"
#include "lesson.h"
#include "ring.h"
#include "vmbus-channel.h"
#include "vmx.h"

G_DEFINE_QUARK(lesson-error-quark, lesson_error)

/* ---- Kinds and their fields ---------------------------------------------- */

#define KIND_END     (-1)  /* the machine ended */
#define KIND_REFUSED (-2)  /* the machine could not be set up */

typedef struct Kind {
	const char *name;
	int type;                      /* SimEventType, or KIND_END / KIND_REFUSED */
	const char *const *fields;     /* besides partition, vp and text */
} Kind;

#define F(...) (const char *const[]){ __VA_ARGS__, NULL }
static const Kind kinds[] = {
	{ "boot", SIM_EV_BOOT, F("stage") },
	{ "child", SIM_EV_CHILD, F("child", "state") },
	{ "hypercall", SIM_EV_HYPERCALL, F("name", "status", "fast") },
	{ "exit", SIM_EV_VM_EXIT, F("reason", "port") },
	{ "entry", SIM_EV_VM_ENTRY, F("injected") },
	{ "ring", SIM_EV_RING, F("from", "to", "cause", "vector") },
	{ "vmbus", SIM_EV_VMBUS, F("kind", "msgtype", "relid", "channel", "to") },
	{ "intercept", SIM_EV_INTERCEPT, F("port", "access") },
	{ "console", SIM_EV_CONSOLE, F("child-console") },
	{ "fault", SIM_EV_FAULT, F("vector", "name", "cpl") },
	{ "port-io", SIM_EV_PORT_IO, F("port", "direction", "intercepted") },
	{ "msr", SIM_EV_MSR, F("msr", "name", "access", "synthetic") },
	{ "cpuid", SIM_EV_CPUID, F("leaf") },
	{ "synic", SIM_EV_SYNIC_MESSAGE, F("sint", "type", "delivered") },
	{ "interrupt", SIM_EV_INTERRUPT, F("vector") },
	{ "halt", SIM_EV_HALT, F(NULL) },
	{ "timer", SIM_EV_TIMER, F(NULL) },
	{ "vp-start", SIM_EV_VP_START, F(NULL) },
	{ "vp-state", SIM_EV_VP_STATE, F("state") },
	{ "partition-start", SIM_EV_PARTITION_START, F(NULL) },
	{ "partition-stop", SIM_EV_PARTITION_STOP, F("clean") },
	{ "message", SIM_EV_MESSAGE, F(NULL) },
	{ "hypercall-page", SIM_EV_HYPERCALL_PAGE, F("enabled") },
	{ "end", KIND_END, F("outcome") },
	{ "refused", KIND_REFUSED, F(NULL) },
};
#undef F

const char *const *lesson_pattern_kinds(void)
{
	static const char *names[G_N_ELEMENTS(kinds) + 1];
	if (!names[0])
		for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++)
			names[i] = kinds[i].name;
	return names;
}

static const Kind *kind_find(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++)
		if (g_str_equal(kinds[i].name, name))
			return &kinds[i];
	return NULL;
}

static bool kind_has_field(const Kind *k, const char *field)
{
	if (g_str_equal(field, "partition") || g_str_equal(field, "vp") || g_str_equal(field, "text"))
		return k->type >= 0 || g_str_equal(field, "text");
	for (const char *const *f = k->fields; *f; f++)
		if (g_str_equal(*f, field))
			return true;
	return false;
}

/* The channels the parent's VMBus server offers (hvsim-platform.h). */
static const struct { const char *name; uint32_t relid; } channels[] = {
	{ "heartbeat", 1 },   /* HVSIM_VMBUS_RELID */
	{ "storage", 2 },     /* HVSIM_VMBUS_STORAGE_RELID */
};

static const char *vmbus_kind_name(uint8_t kind)
{
	switch (kind) {
	case SIM_VMBUS_MESSAGE: return "message";
	case SIM_VMBUS_SIGNAL: return "signal";
	case SIM_VMBUS_RING_WRITE: return "ring_write";
	case SIM_VMBUS_RING_READ: return "ring_read";
	case SIM_VMBUS_RING_MASK: return "ring_mask";
	}
	return "unknown";
}

static const char *outcome_name(SimOutcome o)
{
	switch (o) {
	case SIM_OUTCOME_SHUTDOWN: return "shutdown";
	case SIM_OUTCOME_GUEST_ERROR: return "guest_error";
	case SIM_OUTCOME_LIMIT: return "limit";
	case SIM_OUTCOME_STUCK: return "stuck";
	case SIM_OUTCOME_HOST_ERROR: return "host_error";
	}
	return "unknown";
}

/* Named values a field may take: the value must be one of them or a
 * number. NULL: anything goes (numbers, free text). */
static const char *field_value_name(const char *kind, const char *field, uint32_t v)
{
	if (g_str_equal(field, "stage"))
		return v <= SIM_BOOT_REFUSED ? sim_boot_stage_name((SimBootStage)v) : NULL;
	if (g_str_equal(field, "state") && g_str_equal(kind, "child"))
		return v <= SIM_CHILD_DELETED ? sim_child_state_name((SimChildState)v) : NULL;
	if (g_str_equal(field, "state"))
		return v <= SIM_VP_INTERCEPT_SUSPEND ? sim_vp_state_name((SimVpState)v) : NULL;
	if (g_str_equal(field, "name") && g_str_equal(kind, "hypercall"))
		return v <= 0xFFFF ? hv_call_name((uint16_t)v) : NULL;
	if (g_str_equal(field, "status")) {
		const char *n = v <= 0xFFFF ? hv_status_name((uint16_t)v) : NULL;
		return n && !g_str_equal(n, "HV_STATUS_UNKNOWN") ? n : NULL;
	}
	if (g_str_equal(field, "reason")) {
		const char *n = v < 80 ? vmx_exit_reason_id(v) : NULL;
		return n && !g_str_equal(n, "unknown") ? n : NULL;
	}
	if (g_str_equal(field, "cause"))
		return v <= SIM_RING_IRET ? sim_ring_cause_name((SimRingCause)v) : NULL;
	if (g_str_equal(field, "kind"))
		return v <= SIM_VMBUS_RING_MASK ? vmbus_kind_name((uint8_t)v) : NULL;
	if (g_str_equal(field, "msgtype"))
		return v < VMBUS_MSG_COUNT ? vmbus_msgtype_name(v) : NULL;
	if (g_str_equal(field, "channel"))
		return v < G_N_ELEMENTS(channels) ? channels[v].name : NULL;
	if (g_str_equal(field, "outcome"))
		return v <= SIM_OUTCOME_HOST_ERROR ? outcome_name((SimOutcome)v) : NULL;
	if (g_str_equal(field, "direction"))
		return v == 0 ? "in" : v == 1 ? "out" : NULL;
	if (g_str_equal(field, "access"))
		return v == 0 ? "read" : v == 1 ? "write" : NULL;
	if (g_str_equal(field, "fast") || g_str_equal(field, "intercepted") || g_str_equal(field, "synthetic") ||
	    g_str_equal(field, "delivered") || g_str_equal(field, "clean") || g_str_equal(field, "enabled") ||
	    g_str_equal(field, "child-console"))
		return v == 0 ? "false" : v == 1 ? "true" : NULL;
	return NULL;
}

/* Fields whose values are names (enumerated above); numbers allowed
 * where the name stands for a number. */
static bool field_is_named(const char *kind, const char *field)
{
	static const char *const named[] = { "stage", "state", "status", "reason", "cause", "kind", "msgtype",
		                             "channel", "outcome", "direction", "access", "fast", "intercepted",
		                             "synthetic", "delivered", "clean", "enabled", "child-console" };
	for (gsize i = 0; i < G_N_ELEMENTS(named); i++)
		if (g_str_equal(field, named[i]))
			return true;
	return g_str_equal(field, "name") && g_str_equal(kind, "hypercall");
}

static bool parse_number(const char *s, guint64 *out)
{
	if (!s || !*s)
		return false;
	char *end = NULL;
	guint64 v = g_ascii_strtoull(s, &end, 0);
	if (end == s || *end)
		return false;
	*out = v;
	return true;
}

static bool value_known(const char *kind, const char *field, const char *value, GString *known)
{
	guint64 n;
	bool numeric_ok = !g_str_equal(field, "outcome") && !g_str_equal(field, "channel") &&
	                  !g_str_equal(field, "kind") && !g_str_equal(field, "direction");
	if (numeric_ok && parse_number(value, &n))
		return true;
	uint32_t limit = g_str_equal(field, "name") || g_str_equal(field, "status") ? 0x10000 : 256;
	for (uint32_t v = 0; v < limit; v++) {
		const char *nm = field_value_name(kind, field, v);
		if (!nm)
			continue;
		if (g_ascii_strcasecmp(nm, value) == 0)
			return true;
		if (known && known->len < 600)
			g_string_append_printf(known, "%s%s", known->len ? ", " : "", nm);
	}
	return false;
}

/* ---- Patterns -------------------------------------------------------------- */

typedef struct Cond {
	char *field;
	char *value;
} Cond;

struct LessonPattern {
	char *spec;
	const Kind *kind;
	GArray *conds;   /* Cond */
};

void lesson_pattern_free(LessonPattern *p)
{
	if (!p)
		return;
	for (guint i = 0; i < p->conds->len; i++) {
		g_free(g_array_index(p->conds, Cond, i).field);
		g_free(g_array_index(p->conds, Cond, i).value);
	}
	g_array_unref(p->conds);
	g_free(p->spec);
	g_free(p);
}

LessonPattern *lesson_pattern_parse(const char *spec, GError **error)
{
	g_auto(GStrv) argv = NULL;
	int argc = 0;
	g_autoptr(GError) e = NULL;
	g_autofree char *trimmed = g_strstrip(g_strdup(spec ? spec : ""));
	if (!*trimmed) {
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID, "empty pattern: expected KIND [field=value ...]");
		return NULL;
	}
	if (!g_shell_parse_argv(trimmed, &argc, &argv, &e)) {
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID, "pattern \"%s\": %s", trimmed, e->message);
		return NULL;
	}
	const Kind *k = kind_find(argv[0]);
	if (!k) {
		g_autofree char *list = g_strjoinv(", ", (char **)lesson_pattern_kinds());
		g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID, "unknown trigger kind '%s' (known: %s)", argv[0], list);
		return NULL;
	}
	LessonPattern *p = g_new0(LessonPattern, 1);
	p->spec = g_strdup(trimmed);
	p->kind = k;
	p->conds = g_array_new(FALSE, TRUE, sizeof(Cond));
	for (int i = 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i]) {
			g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID,
			            "pattern \"%s\": '%s' is not field=value", trimmed, argv[i]);
			lesson_pattern_free(p);
			return NULL;
		}
		Cond c = { g_strndup(argv[i], (gsize)(eq - argv[i])), g_strdup(eq + 1) };
		g_array_append_val(p->conds, c);
		if (!kind_has_field(k, c.field)) {
			GString *f = g_string_new(k->type >= 0 ? "partition, vp, text" : "text");
			for (const char *const *x = k->fields; *x; x++)
				g_string_append_printf(f, ", %s", *x);
			g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID,
			            "pattern \"%s\": kind '%s' has no field '%s' (fields: %s)", trimmed, k->name, c.field,
			            f->str);
			g_string_free(f, TRUE);
			lesson_pattern_free(p);
			return NULL;
		}
		if (field_is_named(k->name, c.field)) {
			g_autoptr(GString) known = g_string_new(NULL);
			if (!value_known(k->name, c.field, c.value, known)) {
				g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID,
				            "pattern \"%s\": '%s' is not a known %s (known: %s)", trimmed, c.value, c.field,
				            known->str);
				lesson_pattern_free(p);
				return NULL;
			}
		} else if (!g_str_equal(c.field, "text")) {
			guint64 n;
			if (!parse_number(c.value, &n) && !(g_str_equal(c.field, "name") || g_str_equal(c.field, "msgtype"))) {
				g_set_error(error, LESSON_ERROR, LESSON_ERROR_INVALID,
				            "pattern \"%s\": %s=%s: a number is expected (decimal or 0x...)", trimmed, c.field,
				            c.value);
				lesson_pattern_free(p);
				return NULL;
			}
		}
	}
	return p;
}

bool lesson_pattern_is_end(const LessonPattern *p)
{
	return p->kind->type == KIND_END;
}

bool lesson_pattern_is_refused(const LessonPattern *p)
{
	return p->kind->type == KIND_REFUSED;
}

const char *lesson_pattern_spec(const LessonPattern *p)
{
	return p->spec;
}

/* ---- Event fields ----------------------------------------------------------- */

/* Port of an I/O-instruction exit: qualification bits 31:16 (facts §8.2). */
#define IO_QUAL_PORT_SHIFT 16
#define IO_QUAL_PORT_MASK  0xFFFFu

static bool put(char *buf, gsize len, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static bool put(char *buf, gsize len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return true;
}

static const char *tf(bool b)
{
	return b ? "true" : "false";
}

bool lesson_event_field(const SimEvent *ev, const char *field, char *buf, gsize len)
{
	if (g_str_equal(field, "partition"))
		return put(buf, len, "%u", ev->partition);
	if (g_str_equal(field, "vp"))
		return put(buf, len, "%u", ev->vp);
	if (g_str_equal(field, "text"))
		return put(buf, len, "%s", ev->text);
	switch (ev->type) {
	case SIM_EV_BOOT:
		if (g_str_equal(field, "stage"))
			return put(buf, len, "%s", sim_boot_stage_name((SimBootStage)ev->u.boot.stage));
		break;
	case SIM_EV_CHILD:
		if (g_str_equal(field, "child"))
			return put(buf, len, "%" G_GUINT64_FORMAT, ev->u.child.child);
		if (g_str_equal(field, "state"))
			return put(buf, len, "%s", sim_child_state_name((SimChildState)ev->u.child.state));
		break;
	case SIM_EV_HYPERCALL:
		if (g_str_equal(field, "name")) {
			const char *n = hv_call_name(ev->u.hypercall.code);
			return n ? put(buf, len, "%s", n) : put(buf, len, "0x%04x", ev->u.hypercall.code);
		}
		if (g_str_equal(field, "status"))
			return put(buf, len, "%s", hv_status_name(ev->u.hypercall.status));
		if (g_str_equal(field, "fast"))
			return put(buf, len, "%s", tf(ev->u.hypercall.fast));
		break;
	case SIM_EV_VM_EXIT: {
		uint32_t basic = ev->u.exit.reason & 0xFFFF;
		if (g_str_equal(field, "reason"))
			return put(buf, len, "%s", vmx_exit_reason_id(basic));
		if (g_str_equal(field, "port") && basic == VMX_EXIT_IO_INSTRUCTION)
			return put(buf, len, "0x%x",
			           (unsigned)((ev->u.exit.qualification >> IO_QUAL_PORT_SHIFT) & IO_QUAL_PORT_MASK));
		break;
	}
	case SIM_EV_VM_ENTRY:
		if (g_str_equal(field, "injected") && ev->u.entry.injected)
			return put(buf, len, "0x%x", ev->u.entry.injected_vector);
		break;
	case SIM_EV_RING:
		if (g_str_equal(field, "from"))
			return put(buf, len, "%u", ev->u.ring.from);
		if (g_str_equal(field, "to"))
			return put(buf, len, "%u", ev->u.ring.to);
		if (g_str_equal(field, "cause"))
			return put(buf, len, "%s", sim_ring_cause_name((SimRingCause)ev->u.ring.cause));
		if (g_str_equal(field, "vector"))
			return put(buf, len, "%u", ev->u.ring.vector);
		break;
	case SIM_EV_VMBUS:
		if (g_str_equal(field, "kind"))
			return put(buf, len, "%s", vmbus_kind_name(ev->u.vmbus.kind));
		if (g_str_equal(field, "msgtype") && ev->u.vmbus.kind == SIM_VMBUS_MESSAGE)
			return put(buf, len, "%s", vmbus_msgtype_name(ev->u.vmbus.msgtype));
		if (g_str_equal(field, "relid"))
			return put(buf, len, "%u", ev->u.vmbus.relid);
		if (g_str_equal(field, "channel")) {
			for (gsize i = 0; i < G_N_ELEMENTS(channels); i++)
				if (channels[i].relid == ev->u.vmbus.relid)
					return put(buf, len, "%s", channels[i].name);
			return false;
		}
		if (g_str_equal(field, "to"))
			return put(buf, len, "%u", ev->u.vmbus.to);
		break;
	case SIM_EV_INTERCEPT:
		if (g_str_equal(field, "port"))
			return put(buf, len, "0x%x", ev->u.intercept.port);
		if (g_str_equal(field, "access"))
			return put(buf, len, "%s", ev->u.intercept.access ? "write" : "read");
		break;
	case SIM_EV_CONSOLE:
		/* A child's console line the parent's worker printed ("child 2 | ..."). */
		if (g_str_equal(field, "child-console"))
			return put(buf, len, "%s", tf(g_str_has_prefix(ev->text, "child ")));
		break;
	case SIM_EV_FAULT:
		if (g_str_equal(field, "vector"))
			return put(buf, len, "%u", ev->u.fault.vector);
		if (g_str_equal(field, "name")) {
			const char *mn = ring_vector_mnemonic(ev->u.fault.vector);
			return put(buf, len, "%s", mn ? mn : "INT");
		}
		if (g_str_equal(field, "cpl"))
			return put(buf, len, "%u", ev->u.fault.cpl);
		break;
	case SIM_EV_PORT_IO:
		if (g_str_equal(field, "port"))
			return put(buf, len, "0x%x", ev->u.io.port);
		if (g_str_equal(field, "direction"))
			return put(buf, len, "%s", ev->u.io.in ? "in" : "out");
		if (g_str_equal(field, "intercepted"))
			return put(buf, len, "%s", tf(ev->u.io.intercepted));
		break;
	case SIM_EV_MSR:
		if (g_str_equal(field, "msr"))
			return put(buf, len, "0x%x", ev->u.msr.msr);
		if (g_str_equal(field, "name")) {
			const char *n = hv_msr_name(ev->u.msr.msr);
			return n ? put(buf, len, "%s", n) : put(buf, len, "0x%x", ev->u.msr.msr);
		}
		if (g_str_equal(field, "access"))
			return put(buf, len, "%s", ev->u.msr.write ? "write" : "read");
		if (g_str_equal(field, "synthetic"))
			return put(buf, len, "%s", tf(ev->u.msr.synthetic));
		break;
	case SIM_EV_CPUID:
		if (g_str_equal(field, "leaf"))
			return put(buf, len, "0x%x", ev->u.cpuid.leaf);
		break;
	case SIM_EV_SYNIC_MESSAGE:
		if (g_str_equal(field, "sint"))
			return put(buf, len, "%u", ev->u.synic.sint);
		if (g_str_equal(field, "type"))
			return put(buf, len, "0x%08x", ev->u.synic.message_type);
		if (g_str_equal(field, "delivered"))
			return put(buf, len, "%s", tf(ev->u.synic.delivered));
		break;
	case SIM_EV_INTERRUPT:
		if (g_str_equal(field, "vector"))
			return put(buf, len, "0x%x", ev->u.interrupt.vector);
		break;
	case SIM_EV_VP_STATE:
		if (g_str_equal(field, "state"))
			return put(buf, len, "%s", sim_vp_state_name((SimVpState)ev->u.vp_state.state));
		break;
	case SIM_EV_PARTITION_STOP:
		if (g_str_equal(field, "clean"))
			return put(buf, len, "%s", tf(ev->u.stop.clean));
		break;
	case SIM_EV_HYPERCALL_PAGE:
		if (g_str_equal(field, "enabled"))
			return put(buf, len, "%s", tf(ev->u.hcpage.enabled));
		break;
	default:
		break;
	}
	return false;
}

/* Equal as numbers when both are numbers, else as names (any case). */
static bool value_equal(const char *want, const char *have)
{
	guint64 a, b;
	if (parse_number(want, &a) && parse_number(have, &b))
		return a == b;
	return g_ascii_strcasecmp(want, have) == 0;
}

/* A named value given as a number ("reason=30") against the event's name. */
static bool named_number_equal(const char *kind, const char *field, const char *want, const char *have)
{
	guint64 n;
	if (!field_is_named(kind, field) || !parse_number(want, &n) || n > 0xFFFF)
		return false;
	const char *nm = field_value_name(kind, field, (uint32_t)n);
	return nm && g_ascii_strcasecmp(nm, have) == 0;
}

bool lesson_pattern_matches(const LessonPattern *p, const SimEvent *ev)
{
	if (p->kind->type < 0 || (int)ev->type != p->kind->type)
		return false;
	char have[SIM_EVENT_TEXT_MAX + 8];
	for (guint i = 0; i < p->conds->len; i++) {
		const Cond *c = &g_array_index(p->conds, Cond, i);
		if (!lesson_event_field(ev, c->field, have, sizeof have))
			return false;
		if (g_str_equal(c->field, "text")) {
			if (!strstr(have, c->value))
				return false;
		} else if (!value_equal(c->value, have) && !named_number_equal(p->kind->name, c->field, c->value, have)) {
			return false;
		}
	}
	return true;
}

/* For `end` and `refused`: a pattern's text/outcome conditions against a
 * line (the refusal, or the outcome name and message). */
bool lesson_pattern_matches_end(const LessonPattern *p, const char *outcome, const char *text);
bool lesson_pattern_matches_end(const LessonPattern *p, const char *outcome, const char *text)
{
	for (guint i = 0; i < p->conds->len; i++) {
		const Cond *c = &g_array_index(p->conds, Cond, i);
		if (g_str_equal(c->field, "text") && !strstr(text ? text : "", c->value))
			return false;
		if (g_str_equal(c->field, "outcome") && g_ascii_strcasecmp(c->value, outcome ? outcome : "") != 0)
			return false;
	}
	return true;
}

const char *lesson_outcome_name(SimOutcome o);
const char *lesson_outcome_name(SimOutcome o)
{
	return outcome_name(o);
}

/* ---- Descriptions ------------------------------------------------------------ */

void lesson_event_describe(const SimEvent *ev, GString *out)
{
	char a[SIM_EVENT_TEXT_MAX + 8], b[64], c[64];
	g_string_append_printf(out, "#%" G_GUINT64_FORMAT " p%u ", ev->seq, ev->partition);
	switch (ev->type) {
	case SIM_EV_VM_EXIT:
		lesson_event_field(ev, "reason", a, sizeof a);
		g_string_append_printf(out, "VM exit: %s (reason %u)", a, ev->u.exit.reason & 0xFFFF);
		if (lesson_event_field(ev, "port", b, sizeof b))
			g_string_append_printf(out, ", port %s", b);
		break;
	case SIM_EV_VM_ENTRY:
		g_string_append(out, "VM entry");
		if (ev->u.entry.injected)
			g_string_append_printf(out, ", injecting vector 0x%x", ev->u.entry.injected_vector);
		break;
	case SIM_EV_HYPERCALL:
		lesson_event_field(ev, "name", a, sizeof a);
		g_string_append_printf(out, "hypercall %s -> %s", a, hv_status_name(ev->u.hypercall.status));
		if (ev->u.hypercall.rep_count)
			g_string_append_printf(out, " (%u of %u reps)", ev->u.hypercall.reps_done, ev->u.hypercall.rep_count);
		break;
	case SIM_EV_RING:
		g_string_append_printf(out, "ring %u -> %u (%s", ev->u.ring.from, ev->u.ring.to,
		                       sim_ring_cause_name((SimRingCause)ev->u.ring.cause));
		if (ev->u.ring.cause == SIM_RING_EXCEPTION || ev->u.ring.cause == SIM_RING_SOFTWARE_INT)
			g_string_append_printf(out, ", vector %u", ev->u.ring.vector);
		g_string_append(out, ")");
		break;
	case SIM_EV_VMBUS:
		lesson_event_field(ev, "kind", b, sizeof b);
		g_string_append_printf(out, "VMBus %s -> partition %u: %s", b, ev->u.vmbus.to, ev->text);
		break;
	case SIM_EV_PORT_IO:
		g_string_append_printf(out, "port %s 0x%x = 0x%x (%s)", ev->u.io.in ? "IN" : "OUT", ev->u.io.port,
		                       ev->u.io.value, ev->u.io.intercepted ? "VM exit" : "no exit");
		break;
	case SIM_EV_MSR:
		lesson_event_field(ev, "name", a, sizeof a);
		g_string_append_printf(out, "%s %s = 0x%" G_GINT64_MODIFIER "x", ev->u.msr.write ? "WRMSR" : "RDMSR", a,
		                       ev->u.msr.value);
		break;
	case SIM_EV_CPUID:
		g_string_append_printf(out, "CPUID leaf 0x%x", ev->u.cpuid.leaf);
		break;
	case SIM_EV_SYNIC_MESSAGE:
		g_string_append_printf(out, "SynIC message 0x%08x in SINT %u%s", ev->u.synic.message_type, ev->u.synic.sint,
		                       ev->u.synic.delivered ? "" : " (queued)");
		break;
	case SIM_EV_INTERRUPT:
		g_string_append_printf(out, "interrupt vector 0x%x injected", ev->u.interrupt.vector);
		break;
	case SIM_EV_FAULT:
		lesson_event_field(ev, "name", b, sizeof b);
		g_string_append_printf(out, "fault %s in ring %u: %s", b, ev->u.fault.cpl, ev->text);
		break;
	case SIM_EV_HYPERCALL_PAGE:
		g_string_append_printf(out, "hypercall page at 0x%" G_GINT64_MODIFIER "x: %s", ev->u.hcpage.gpa, ev->text);
		break;
	case SIM_EV_VP_STATE:
		lesson_event_field(ev, "state", b, sizeof b);
		g_string_append_printf(out, "VP %s: %s", b, ev->text);
		break;
	case SIM_EV_PARTITION_STOP:
		g_string_append_printf(out, "partition stopped (%s): %s", ev->u.stop.clean ? "clean" : "error", ev->text);
		break;
	default:
		g_strlcpy(c, sim_event_type_name(ev->type), sizeof c);
		g_string_append_printf(out, "%s%s%s", c, ev->text[0] ? ": " : "", ev->text);
		break;
	}
}

/* ---- Highlights ---------------------------------------------------------------
 * The element names gui/render.c gives its layout ('#' = a partition or
 * channel number). tests/gui checks this table against the renderer. */
static const char *const highlight_patterns[] = {
	"title", "hardware", "hw.lp0", "hw.memory", "hw.disk", "hw.uart", "hw.timer",
	"hypervisor", "hv.image", "hv.scheduler", "hv.synic", "hv.hypercalls",
	"part.#", "part.#.header", "part.#.console", "part.#.ring3", "part.#.ring0",
	"part.#.ring3.apps", "part.#.ring3.worker", "part.#.ring3.vidlib",
	"part.#.ring0.kernel", "part.#.ring0.hvboot", "part.#.ring0.vid", "part.#.ring0.vmbus",
	"part.#.ring0.vsp", "part.#.ring0.vsc",
	"vmbus", "vmbus.#.#", "label.ring3", "label.ring0", "label.ring-1", "label.hardware",
	"legend", "legend.#", "legend.status",   /* the animation's legend row (gui/render.c) */
	/* captions (text as wide as it is) and the strips the links run along */
	"hardware.title", "hypervisor.title", "part.#.title", "part.#.exit", "part.#.ring3.caption",
	"part.#.ring0.caption", "part.#.ring3.here", "part.#.ring0.here", "vmbus.note", "vmbus.#.#.label",
	"route.main", "route.hw", "route.bypass",
};

static bool glob_number_match(const char *pat, const char *s)
{
	while (*pat) {
		if (*pat == '#') {
			if (!g_ascii_isdigit(*s))
				return false;
			while (g_ascii_isdigit(*s))
				s++;
			pat++;
		} else if (*pat++ != *s++) {
			return false;
		}
	}
	return *s == '\0';
}

bool lesson_highlight_valid(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(highlight_patterns); i++)
		if (glob_number_match(highlight_patterns[i], name))
			return true;
	return false;
}

/* ---- Markup -------------------------------------------------------------------
 * Pango's markup tags (pango_parse_markup accepts exactly these); sim/ does
 * not link Pango, so GMarkup checks the structure on a wrapped string. */
static const char *const pango_tags[] = { "markup", "b", "big", "i", "s", "sub", "sup", "small", "tt", "u", "span" };

static void markup_start(GMarkupParseContext *ctx, const char *element, const char **names, const char **values,
                         gpointer user_data, GError **error)
{
	for (gsize i = 0; i < G_N_ELEMENTS(pango_tags); i++)
		if (g_str_equal(element, pango_tags[i]))
			return;
	int line = 0, col = 0;
	g_markup_parse_context_get_position(ctx, &line, &col);
	g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_UNKNOWN_ELEMENT,
	            "<%s> is not a Pango markup tag (use b, i, u, s, tt, big, small, sub, sup, span)", element);
}

static void markup_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer user_data, GError **error)
{
	g_string_append_len(user_data, text, (gssize)len);
}

char *lesson_markup_to_text(const char *markup, GError **error)
{
	static const GMarkupParser parser = { .start_element = markup_start, .text = markup_text };
	GString *plain = g_string_new(NULL);
	g_autofree char *wrapped = g_strconcat("<markup>", markup, "</markup>", NULL);
	GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, plain, NULL);
	gboolean ok = g_markup_parse_context_parse(ctx, wrapped, -1, error) && g_markup_parse_context_end_parse(ctx, error);
	g_markup_parse_context_free(ctx);
	if (!ok) {
		g_string_free(plain, TRUE);
		return NULL;
	}
	return g_string_free(plain, FALSE);
}
