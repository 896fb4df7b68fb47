/* sim-compare.c — `hvsim compare`: are two traces the same run, as far as
 * the hypervisor can tell? Host code, main thread; reads trace files only.
 *
 * The emulated backend sees every instruction; the native (KVM) backend
 * sees only what the hardware makes exit to user space, and its clock is
 * not the emulator's modelled one. So the comparison keeps the events
 * that are the hypervisor's own business and that both backends see, in
 * a canonical form without clocks, and drops the rest:
 *
 *   kept                      compared fields
 *   partition_start/vp_start  name
 *   partition_stop            clean, status (not the reason text)
 *   vm_exit io_instruction    qualification (port, size, direction, string,
 *                             REP, immediate), rip
 *   vm_exit hlt               rip
 *   vm_exit ept_violation     (the reason alone: rip and qualification are
 *   vm_exit triple_fault       the emulator's approximations)
 *   msr (synthetic only)      msr, access, fault (values can be clocks)
 *   port_io (not COM1)        port, size, direction, intercepted, value
 *   hypercall                 code, fast, rep_count, rep_start, status,
 *                             reps_completed
 *   console                   text, with decimal numbers and the hypercall
 *                             page's bytes masked
 *   synic_message             sint, message_type, payload_size, delivered
 *   boot, child, vp_state     stage/hypervisor, child/state, state
 *   intercept                 message_type, parent, port, size, access,
 *                             value, gpa, delivered; rip for I/O intercepts
 *   vmbus                     kind and its indexes (not the text)
 *
 *   dropped: vtime, seq, vm_entry (its injected vector depends on timing),
 *   cpuid (KVM answers CPUID in the kernel), the other exit reasons (CPUID,
 *   RDTSC, VMCALL...), RDMSR/WRMSR exits (their msr event stands for them:
 *   KVM exits to user space for the synthetic MSRs alone), non-synthetic
 *   msr events, hypercall_page (its bytes are backend-specific), halt (the
 *   HLT exit stands for it), timer (a clock), interrupt, fault, ring (inside
 *   the guest), message (free text), and event types this version does not
 *   know. A VM exit that a hypercall event follows before the VP is
 *   entered again is the hypercall's own exit, whatever its reason (VMCALL
 *   in the emulator, a port write on the native hypercall page): dropped.
 *
 * Console lines are text the guest made, and a guest prints what it reads:
 * the clock (the host's time natively), and the bytes of its hypercall
 * page (the backend's own sequence). So by default every decimal number
 * in a console line is compared as "#" and the page's bytes (as the
 * trace's hypercall_page event gives them) as "<hypercall page>"; and as
 * a line of a different length takes a different number of UART
 * accesses, the port I/O on COM1 (port_io events and I/O exits) is
 * represented by the console lines alone. SIM_COMPARE_EXACT_CONSOLE
 * compares both as they are. A child's console bytes are intercepts,
 * the hypervisor's business, and are always compared.
 *
 * SIM_COMPARE_IGNORE_WAITS (for a native trace) also leaves out what
 * depends on how long a VP waited: HLT exits, the clock, timer, EOI and EOM
 * MSRs, the VMBus ring observations and the indexes in signals; and it
 * moves the SynIC messages a VP receives, once delivered, to a stream of
 * their own per receiving VP (the "arrivals"), compared in order but not
 * against the VP's own events.
 *
 * A field an event marks "not_observable" (a backend that could not see
 * it: natively on AMD, the RIP of a triple fault) is not compared, on
 * either side; the report says which fields each trace marked.
 *
 * Events are compared per (partition, VP), in trace order: the
 * interleaving of different VPs depends on the host scheduler natively. */
#include <errno.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hv-tlfs.h"
#include "hvsim-platform.h"
#include "sim-compare.h"

G_DEFINE_QUARK(sim-compare-error-quark, sim_compare_error)

/* The synthetic timers' MSRs: STIMER0_CONFIG to STIMER3_COUNT, a
 * CONFIG/COUNT pair per timer (TLFS). */
#define COMPARE_MSR_STIMER_FIRST HV_X64_MSR_STIMER0_CONFIG
#define COMPARE_MSR_STIMER_LAST (HV_X64_MSR_STIMER0_CONFIG + 7u)
#define COMPARE_DEFAULT_CONTEXT 3
#define COMPARE_MAX_CONTEXT 1000

typedef struct {
	char *key;         /* canonical form: "hypercall code=0x0046 ..." */
	const char *kind;  /* interned: "hypercall", "vm_exit io_instruction", ... */
	guint64 line;
} CompareEvent;

typedef enum { COMPARE_OWN, COMPARE_ARRIVALS, COMPARE_N_STREAMS } CompareStream;

static const char *const compare_stream_names[COMPARE_N_STREAMS] = { "", ", arrivals (SynIC messages)" };

typedef struct {
	guint partition, vp;
	CompareStream stream;
	GArray *events;          /* CompareEvent */
	gint64 open_exit;        /* index of the kept vm_exit not yet followed by vm_entry, or -1 */
} CompareSeq;

struct SimCompareTrace {
	char *path;
	SimCompareFlags flags;
	GPtrArray *hypercall_bytes; /* every "bytes" of an enabled hypercall page so far */
	guint64 n_lines, n_kept;
	/* "TYPE FIELD" -> count (guint64 *): fields the trace marks as not
	 * observable ("not_observable": [...]), which are not compared. */
	GHashTable *unobservable;
	/* (partition << 32 | vp) -> CompareSeq: the VP's own events, and (with
	 * SIM_COMPARE_IGNORE_WAITS) the SynIC messages that arrived for it. */
	GHashTable *seqs[COMPARE_N_STREAMS];
};

/* ---- Reading ------------------------------------------------------------ */

static void compare_event_clear(gpointer p)
{
	g_free(((CompareEvent *)p)->key);
}

static void compare_seq_free(gpointer p)
{
	CompareSeq *s = p;
	g_array_unref(s->events);
	g_free(s);
}

void sim_compare_trace_free(SimCompareTrace *trace)
{
	if (!trace)
		return;
	for (int i = 0; i < COMPARE_N_STREAMS; i++)
		g_hash_table_unref(trace->seqs[i]);
	g_ptr_array_unref(trace->hypercall_bytes);
	g_hash_table_unref(trace->unobservable);
	g_free(trace->path);
	g_free(trace);
}

guint64 sim_compare_trace_n_lines(const SimCompareTrace *trace)
{
	return trace->n_lines;
}

guint64 sim_compare_trace_n_kept(const SimCompareTrace *trace)
{
	return trace->n_kept;
}

/* One line into `line`, without its '\n'. Returns FALSE at end of file
 * with nothing read; sets *too_long (and stops reading) past the limit. */
static gboolean compare_read_line(FILE *f, GString *line, gboolean *too_long)
{
	g_string_truncate(line, 0);
	*too_long = FALSE;
	int c;
	while ((c = getc(f)) != EOF) {
		if (c == '\n')
			return TRUE;
		if (line->len >= SIM_COMPARE_MAX_LINE) {
			*too_long = TRUE;
			return TRUE;
		}
		g_string_append_c(line, (char)c);
	}
	return line->len > 0;
}

/* What the reader of one line needs to name where a problem is. */
typedef struct {
	const char *path;
	guint64 line;
	JsonObject *obj;
	const char *type;
} CompareLine;

static gboolean compare_bad(const CompareLine *l, GError **error, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static gboolean compare_bad(const CompareLine *l, GError **error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, SIM_COMPARE_ERROR, SIM_COMPARE_ERROR_EVENT, "%s:%" G_GUINT64_FORMAT ": %s%s%s",
	            l->path, l->line, l->type ? l->type : "", l->type ? " event: " : "", what);
	return FALSE;
}

/* The JSON value of a field, checked to be of the expected GType. */
static JsonNode *compare_field(const CompareLine *l, const char *name, GType want, GError **error)
{
	JsonNode *n = json_object_get_member(l->obj, name);
	static const char *const want_names[] = { "a string", "an integer", "true or false" };
	const char *want_name = want == G_TYPE_STRING ? want_names[0] : want == G_TYPE_INT64 ? want_names[1] : want_names[2];
	if (!n) {
		compare_bad(l, error, "field \"%s\" is missing", name);
		return NULL;
	}
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != want) {
		compare_bad(l, error, "field \"%s\" is not %s", name, want_name);
		return NULL;
	}
	return n;
}

static gboolean compare_get_string(const CompareLine *l, const char *name, const char **out, GError **error)
{
	JsonNode *n = compare_field(l, name, G_TYPE_STRING, error);
	return n ? (*out = json_node_get_string(n), TRUE) : FALSE;
}

static gboolean compare_get_uint32(const CompareLine *l, const char *name, guint *out, GError **error)
{
	JsonNode *n = compare_field(l, name, G_TYPE_INT64, error);
	if (!n)
		return FALSE;
	gint64 v = json_node_get_int(n);
	if (v < 0 || v > G_MAXUINT32)
		return compare_bad(l, error, "field \"%s\" is %" G_GINT64_FORMAT ", not between 0 and %u", name, v, G_MAXUINT32);
	*out = (guint)v;
	return TRUE;
}

/* A field's kind in the canonical form. */
typedef enum { F_STR, F_INT, F_BOOL } CompareFieldKind;

typedef struct {
	const char *name;
	CompareFieldKind kind;
} CompareField;

#define COMPARE_MAX_FIELDS 10

/* The kept event types whose canonical form is a plain field list. */
typedef struct {
	const char *type;
	CompareField fields[COMPARE_MAX_FIELDS];
} CompareRule;

static const CompareRule compare_rules[] = {
	{ "partition_start", { { "name", F_STR } } },
	{ "vp_start", { { "name", F_STR } } },
	{ "partition_stop", { { "clean", F_BOOL }, { "status", F_INT } } },
	{ "port_io", { { "port", F_STR }, { "size", F_INT }, { "direction", F_STR }, { "intercepted", F_BOOL }, { "value", F_STR } } },
	{ "hypercall", { { "code", F_STR }, { "fast", F_BOOL }, { "rep_count", F_INT }, { "rep_start", F_INT },
	                 { "status", F_STR }, { "reps_completed", F_INT } } },
	{ "console", { { "text", F_STR } } },
	{ "synic_message", { { "sint", F_INT }, { "message_type", F_STR }, { "payload_size", F_INT }, { "delivered", F_BOOL } } },
	{ "boot", { { "stage", F_STR }, { "hypervisor", F_BOOL } } },
	{ "child", { { "child", F_INT }, { "state", F_STR } } },
	{ "vp_state", { { "state", F_STR } } },
	/* msr (synthetic only), intercept, vmbus and vm_exit: below. */
	{ "msr", { { "msr", F_STR }, { "access", F_STR }, { "fault", F_BOOL } } },
	{ "intercept", { { "message_type", F_STR }, { "parent", F_INT }, { "port", F_STR }, { "size", F_INT },
	                 { "access", F_INT }, { "value", F_STR }, { "gpa", F_STR }, { "delivered", F_BOOL } } },
};

/* The vmbus event's fields depend on its kind. */
static const CompareRule compare_vmbus_rules[] = {
	{ "message", { { "to", F_INT }, { "msgtype", F_INT }, { "relid", F_INT }, { "status", F_INT } } },
	{ "signal", { { "to", F_INT }, { "relid", F_INT }, { "write_index", F_INT }, { "read_index", F_INT },
	              { "bytes_waiting", F_INT }, { "next_packet_type", F_INT }, { "next_packet_len", F_INT } } },
	{ "ring_write", { { "to", F_INT }, { "relid", F_INT }, { "ring", F_STR }, { "write_index", F_INT },
	                  { "read_index", F_INT }, { "interrupt_mask", F_INT } } },
	{ "ring_read", { { "to", F_INT }, { "relid", F_INT }, { "ring", F_STR }, { "write_index", F_INT },
	                 { "read_index", F_INT }, { "interrupt_mask", F_INT } } },
	{ "ring_mask", { { "to", F_INT }, { "relid", F_INT }, { "ring", F_STR }, { "write_index", F_INT },
	                 { "read_index", F_INT }, { "interrupt_mask", F_INT } } },
};

/* With SIM_COMPARE_IGNORE_WAITS, a signal without the ring indexes the
 * other side may or may not have moved yet. */
static const CompareRule compare_vmbus_signal_untimed = { "signal", { { "to", F_INT }, { "relid", F_INT } } };

/* The exit reasons both backends report, and whether their rip is exact. */
static const struct {
	const char *reason;
	gboolean with_qualification, with_rip;
} compare_exits[] = {
	{ "io_instruction", TRUE, TRUE },
	{ "hlt", FALSE, TRUE },
	{ "ept_violation", FALSE, FALSE },
	{ "triple_fault", FALSE, FALSE },
};

static const CompareRule *compare_find_rule(const CompareRule *rules, gsize n, const char *type)
{
	for (gsize i = 0; i < n; i++)
		if (g_str_equal(rules[i].type, type))
			return &rules[i];
	return NULL;
}

/* Does the event mark this field as not observable? A backend that could
 * not see a value says so ("not_observable": ["rip"]) instead of giving
 * one (docs/trace-format.md). */
static gboolean compare_unobservable(const CompareLine *l, const char *name)
{
	JsonNode *n = json_object_get_member(l->obj, "not_observable");
	if (!n || !JSON_NODE_HOLDS_ARRAY(n))
		return FALSE;
	JsonArray *a = json_node_get_array(n);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonNode *e = json_array_get_element(a, i);
		if (JSON_NODE_HOLDS_VALUE(e) && json_node_get_value_type(e) == G_TYPE_STRING &&
		    g_str_equal(json_node_get_string(e), name))
			return TRUE;
	}
	return FALSE;
}

/* In a key, the value of a field not observable: it matches any value of
 * that field in the other trace (compare_key_match). */
#define COMPARE_UNOBSERVED "?"

/* Appends " name=value" for each field, checking its JSON type. */
static gboolean compare_append_fields(const CompareLine *l, const CompareField *fields, GString *key, GError **error)
{
	static const GType gtypes[] = { [F_STR] = G_TYPE_STRING, [F_INT] = G_TYPE_INT64, [F_BOOL] = G_TYPE_BOOLEAN };
	for (guint i = 0; i < COMPARE_MAX_FIELDS && fields[i].name; i++) {
		if (compare_unobservable(l, fields[i].name)) {
			g_string_append_printf(key, " %s=" COMPARE_UNOBSERVED, fields[i].name);
			continue;
		}
		JsonNode *n = compare_field(l, fields[i].name, gtypes[fields[i].kind], error);
		if (!n)
			return FALSE;
		g_string_append_printf(key, " %s=", fields[i].name);
		switch (fields[i].kind) {
		case F_STR: {
			g_autofree char *esc = g_strescape(json_node_get_string(n), NULL);
			g_string_append_printf(key, "\"%s\"", esc);
			break;
		}
		case F_INT:
			g_string_append_printf(key, "%" G_GINT64_FORMAT, json_node_get_int(n));
			break;
		case F_BOOL:
			g_string_append(key, json_node_get_boolean(n) ? "true" : "false");
			break;
		}
	}
	return TRUE;
}

static CompareSeq *compare_seq(SimCompareTrace *t, CompareStream stream, guint partition, guint vp)
{
	guint64 id = (guint64)partition << 32 | vp;
	CompareSeq *s = g_hash_table_lookup(t->seqs[stream], &id);
	if (!s) {
		s = g_new0(CompareSeq, 1);
		s->partition = partition;
		s->vp = vp;
		s->stream = stream;
		s->events = g_array_new(FALSE, FALSE, sizeof(CompareEvent));
		g_array_set_clear_func(s->events, compare_event_clear);
		s->open_exit = -1;
		guint64 *k = g_new(guint64, 1);
		*k = id;
		g_hash_table_insert(t->seqs[stream], k, s);
	}
	return s;
}

/* Builds the canonical key of one event into `key`; *kind NULL means the
 * event is not compared. */
/* Is this hex string ("0x3f8") a COM1 port? */
static gboolean compare_is_com1(const char *port)
{
	guint64 v = 0;
	return g_str_has_prefix(port, "0x") && g_ascii_string_to_unsigned(port + 2, 16, 0, G_MAXUINT16, &v, NULL) &&
	       v >= HVSIM_PORT_COM1 && v <= HVSIM_PORT_COM1_LAST;
}

/* The console text as compared: the hypercall page's bytes as the trace
 * showed them replaced, then each decimal number that is not part of a
 * word or of a 0x literal replaced by '#'. */
static char *compare_console_text(const SimCompareTrace *t, const char *text)
{
	g_autoptr(GString) in = g_string_new(text);
	for (guint i = 0; i < t->hypercall_bytes->len; i++)
		g_string_replace(in, t->hypercall_bytes->pdata[i], "<hypercall page>", 0);
	GString *out = g_string_sized_new(in->len);
	for (gsize i = 0; i < in->len;) {
		char c = in->str[i];
		gboolean word = i > 0 && (g_ascii_isalnum(in->str[i - 1]) || in->str[i - 1] == '_');
		if (c == '0' && (in->str[i + 1] == 'x' || in->str[i + 1] == 'X') && g_ascii_isxdigit(in->str[i + 2]) && !word) {
			g_string_append_len(out, in->str + i, 2);
			for (i += 2; g_ascii_isxdigit(in->str[i]); i++)
				g_string_append_c(out, in->str[i]);
		} else if (g_ascii_isdigit(c) && !word) {
			g_string_append_c(out, '#');
			while (g_ascii_isdigit(in->str[i]))
				i++;
		} else {
			g_string_append_c(out, c);
			i++;
		}
	}
	return g_string_free(out, FALSE);
}

/* A hex string field as a number. */
static gboolean compare_get_hex(const CompareLine *l, const char *name, guint64 *out, GError **error)
{
	const char *v;
	if (!compare_get_string(l, name, &v, error))
		return FALSE;
	if (!g_str_has_prefix(v, "0x") || !g_ascii_string_to_unsigned(v + 2, 16, 0, G_MAXUINT64, out, NULL))
		return compare_bad(l, error, "field \"%s\" is not a hex number (\"0x...\")", name);
	return TRUE;
}

/* The synthetic MSRs a VP touches as often as it waits: the clock it
 * reads, the timer it arms, the end-of-interrupt and end-of-message it
 * signals after each wake-up. */
static gboolean compare_is_wait_msr(guint64 msr)
{
	return msr == HV_X64_MSR_TIME_REF_COUNT || msr == HV_X64_MSR_EOI || msr == HV_X64_MSR_EOM ||
	       (msr >= COMPARE_MSR_STIMER_FIRST && msr <= COMPARE_MSR_STIMER_LAST);
}

/* With SIM_COMPARE_IGNORE_WAITS: a SynIC message is compared in the
 * receiving VP's arrival stream, once, when it is delivered, and not at
 * all if a timer sent it. Sets *drop or the key. */
static gboolean compare_arrival(const CompareLine *l, GString *key, gboolean *drop, GError **error)
{
	guint64 type;
	JsonNode *delivered = compare_field(l, "delivered", G_TYPE_BOOLEAN, error);
	if (!delivered || !compare_get_hex(l, "message_type", &type, error))
		return FALSE;
	*drop = !json_node_get_boolean(delivered) || type == HVMSG_TIMER_EXPIRED;
	static const CompareField fields[COMPARE_MAX_FIELDS] = {
		{ "sint", F_INT }, { "message_type", F_STR }, { "payload_size", F_INT },
	};
	return *drop || compare_append_fields(l, fields, key, error);
}

static gboolean compare_canonical(SimCompareTrace *t, const CompareLine *l, GString *key, const char **kind,
                                  CompareStream *stream, GError **error)
{
	gboolean exact_console = (t->flags & SIM_COMPARE_EXACT_CONSOLE) != 0;
	gboolean ignore_waits = (t->flags & SIM_COMPARE_IGNORE_WAITS) != 0;
	*stream = COMPARE_OWN;
	const CompareRule *rule = NULL;
	*kind = NULL;
	g_string_assign(key, l->type);

	if (g_str_equal(l->type, "vm_exit")) {
		const char *reason;
		if (!compare_get_string(l, "reason_name", &reason, error))
			return FALSE;
		if (ignore_waits && g_str_equal(reason, "hlt"))
			return TRUE;  /* a wait */
		for (gsize i = 0; i < G_N_ELEMENTS(compare_exits); i++) {
			if (!g_str_equal(compare_exits[i].reason, reason))
				continue;
			CompareField f[COMPARE_MAX_FIELDS] = { { NULL, F_STR } };
			guint n = 0;
			if (compare_exits[i].with_qualification)
				f[n++] = (CompareField){ "qualification", F_STR };
			if (compare_exits[i].with_rip)
				f[n++] = (CompareField){ "rip", F_STR };
			g_string_append_printf(key, " %s", reason);
			if (!compare_append_fields(l, f, key, error))
				return FALSE;
			if (!exact_console && compare_exits[i].with_qualification) {
				/* io_instruction: bits 31:16 of the qualification are the port. */
				guint64 qual;
				if (!compare_get_hex(l, "qualification", &qual, error))
					return FALSE;
				if ((qual >> 16 & 0xffff) >= HVSIM_PORT_COM1 && (qual >> 16 & 0xffff) <= HVSIM_PORT_COM1_LAST)
					return TRUE;  /* console traffic */
			}
			g_autofree char *k = g_strdup_printf("vm_exit %s", reason);
			*kind = g_intern_string(k);
			return TRUE;
		}
		return TRUE;  /* an exit reason only one backend reports */
	}
	if (g_str_equal(l->type, "vmbus")) {
		const char *vkind;
		if (!compare_get_string(l, "kind", &vkind, error))
			return FALSE;
		rule = compare_find_rule(compare_vmbus_rules, G_N_ELEMENTS(compare_vmbus_rules), vkind);
		if (!rule)
			return TRUE;  /* a kind newer than this reader: as an unknown type */
		if (ignore_waits && g_str_has_prefix(vkind, "ring_"))
			return TRUE;  /* the hypervisor saw the indexes move when it looked: a matter of timing */
		if (ignore_waits && g_str_equal(vkind, "signal"))
			rule = &compare_vmbus_signal_untimed;
		g_string_append_printf(key, " %s", vkind);
		g_autofree char *k = g_strdup_printf("vmbus %s", vkind);
		*kind = g_intern_string(k);
		return compare_append_fields(l, rule->fields, key, error);
	}
	if (g_str_equal(l->type, "hypercall_page")) {
		/* Not compared; its bytes are masked in console lines. */
		const char *bytes;
		JsonNode *en = compare_field(l, "enabled", G_TYPE_BOOLEAN, error);
		if (!en || !compare_get_string(l, "bytes", &bytes, error))
			return FALSE;
		if (json_node_get_boolean(en) && *bytes)
			g_ptr_array_add(t->hypercall_bytes, g_strdup(bytes));
		return TRUE;
	}
	if (g_str_equal(l->type, "console") && !exact_console) {
		const char *text;
		if (!compare_get_string(l, "text", &text, error))
			return FALSE;
		g_autofree char *masked = compare_console_text(t, text);
		g_autofree char *esc = g_strescape(masked, NULL);
		g_string_append_printf(key, " text=\"%s\"", esc);
		*kind = g_intern_string(l->type);
		return TRUE;
	}
	if (g_str_equal(l->type, "synic_message") && ignore_waits) {
		gboolean drop;
		if (!compare_arrival(l, key, &drop, error))
			return FALSE;
		if (!drop) {
			*stream = COMPARE_ARRIVALS;
			*kind = g_intern_string(l->type);
		}
		return TRUE;
	}
	if (g_str_equal(l->type, "port_io") && !exact_console) {
		const char *port;
		if (!compare_get_string(l, "port", &port, error))
			return FALSE;
		if (compare_is_com1(port))
			return TRUE;  /* console traffic */
	}
	rule = compare_find_rule(compare_rules, G_N_ELEMENTS(compare_rules), l->type);
	if (!rule)
		return TRUE;  /* only one backend sees it, or a newer type */
	if (g_str_equal(l->type, "msr")) {
		JsonNode *syn = compare_field(l, "synthetic", G_TYPE_BOOLEAN, error);
		if (!syn)
			return FALSE;
		if (!json_node_get_boolean(syn))
			return TRUE;  /* KVM handles the architectural MSRs itself */
		guint64 msr;
		if (!compare_get_hex(l, "msr", &msr, error))
			return FALSE;
		if (ignore_waits && compare_is_wait_msr(msr))
			return TRUE;
	}
	if (!compare_append_fields(l, rule->fields, key, error))
		return FALSE;
	if (g_str_equal(l->type, "intercept")) {
		/* Only an I/O port intercept's rip is exact in both backends. */
		guint64 mt;
		if (!compare_get_hex(l, "message_type", &mt, error))
			return FALSE;
		if (mt == HVMSG_X64_IO_PORT_INTERCEPT) {
			static const CompareField rip[COMPARE_MAX_FIELDS] = { { "rip", F_STR } };
			if (!compare_append_fields(l, rip, key, error))
				return FALSE;
		}
	}
	*kind = g_intern_string(l->type);
	return TRUE;
}

/* Reads one line's event into the trace. */
static gboolean compare_take_line(SimCompareTrace *t, JsonParser *parser, const char *path, guint64 lineno,
                                  const GString *text, GString *key, GError **error)
{
	CompareLine l = { .path = path, .line = lineno };
	g_autoptr(GError) jerr = NULL;
	if (!json_parser_load_from_data(parser, text->str, (gssize)text->len, &jerr)) {
		g_set_error(error, SIM_COMPARE_ERROR, SIM_COMPARE_ERROR_JSON, "%s:%" G_GUINT64_FORMAT ": not JSON: %s",
		            path, lineno, jerr->message);
		return FALSE;
	}
	JsonNode *root = json_parser_get_root(parser);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, SIM_COMPARE_ERROR, SIM_COMPARE_ERROR_JSON,
		            "%s:%" G_GUINT64_FORMAT ": not a JSON object (each line of a trace is one event object)", path, lineno);
		return FALSE;
	}
	l.obj = json_node_get_object(root);
	guint partition, vp;
	if (!compare_get_string(&l, "type", &l.type, error))
		return FALSE;
	if (!compare_get_uint32(&l, "partition", &partition, error) || !compare_get_uint32(&l, "vp", &vp, error))
		return FALSE;

	const char *kind;
	CompareStream stream;
	if (!compare_canonical(t, &l, key, &kind, &stream, error))
		return FALSE;
	JsonNode *unobs = json_object_get_member(l.obj, "not_observable");
	if (unobs) {
		if (!JSON_NODE_HOLDS_ARRAY(unobs))
			return compare_bad(&l, error, "field \"not_observable\" is not a list of field names");
		JsonArray *a = json_node_get_array(unobs);
		for (guint i = 0; i < json_array_get_length(a); i++) {
			JsonNode *e = json_array_get_element(a, i);
			if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING)
				return compare_bad(&l, error, "field \"not_observable\" is not a list of field names");
			const char *what = g_str_equal(l.type, "vm_exit") ? json_object_get_string_member_with_default(l.obj, "reason_name", "")
			                                                    : "";
			char *name = g_strdup_printf("%s%s%s %s", l.type, *what ? " " : "", what, json_node_get_string(e));
			guint64 *c = g_hash_table_lookup(t->unobservable, name);
			if (!c)
				g_hash_table_insert(t->unobservable, name, c = g_new0(guint64, 1));
			else
				g_free(name);
			(*c)++;
		}
	}
	if (kind && stream != COMPARE_OWN) {
		CompareEvent ev = { g_strdup(key->str), kind, lineno };
		g_array_append_val(compare_seq(t, stream, partition, vp)->events, ev);
		t->n_kept++;
		return TRUE;
	}
	CompareSeq *s = compare_seq(t, COMPARE_OWN, partition, vp);
	if (g_str_equal(l.type, "vm_exit")) {
		s->open_exit = kind ? (gint64)s->events->len : -1;
	} else if (g_str_equal(l.type, "vm_entry")) {
		s->open_exit = -1;
	} else if (g_str_equal(l.type, "hypercall") && s->open_exit >= 0) {
		/* The exit was this hypercall's own (a port write natively). */
		g_array_remove_index(s->events, (guint)s->open_exit);
		s->open_exit = -1;
		t->n_kept--;
	}
	if (!kind)
		return TRUE;
	CompareEvent ev = { g_strdup(key->str), kind, lineno };
	g_array_append_val(s->events, ev);
	t->n_kept++;
	return TRUE;
}

SimCompareTrace *sim_compare_trace_load(const char *path, SimCompareFlags flags, GError **error)
{
	g_return_val_if_fail(path != NULL, NULL);
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		g_set_error(error, SIM_COMPARE_ERROR, SIM_COMPARE_ERROR_IO, "%s: %s", path, g_strerror(e));
		return NULL;
	}
	g_autoptr(SimCompareTrace) t = g_new0(SimCompareTrace, 1);
	t->path = g_strdup(path);
	t->flags = flags;
	t->hypercall_bytes = g_ptr_array_new_with_free_func(g_free);
	t->unobservable = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (int i = 0; i < COMPARE_N_STREAMS; i++)
		t->seqs[i] = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, compare_seq_free);
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	g_autoptr(GString) line = g_string_sized_new(512);
	g_autoptr(GString) key = g_string_sized_new(256);
	gboolean too_long, ok = TRUE;
	while (ok && compare_read_line(f, line, &too_long)) {
		t->n_lines++;
		if (too_long) {
			g_set_error(error, SIM_COMPARE_ERROR, SIM_COMPARE_ERROR_TOO_LONG,
			            "%s:%" G_GUINT64_FORMAT ": line longer than %u bytes: not a trace", path, t->n_lines,
			            SIM_COMPARE_MAX_LINE);
			ok = FALSE;
		} else {
			ok = compare_take_line(t, parser, path, t->n_lines, line, key, error);
		}
	}
	if (ok && ferror(f)) {
		g_set_error(error, SIM_COMPARE_ERROR, SIM_COMPARE_ERROR_IO, "%s: read error after line %" G_GUINT64_FORMAT,
		            path, t->n_lines);
		ok = FALSE;
	}
	fclose(f);
	return ok ? g_steal_pointer(&t) : NULL;
}

/* ---- Comparing ---------------------------------------------------------- */

static gint compare_seq_order(gconstpointer a, gconstpointer b)
{
	const CompareSeq *x = *(CompareSeq *const *)a, *y = *(CompareSeq *const *)b;
	if (x->partition != y->partition)
		return x->partition < y->partition ? -1 : 1;
	if (x->vp != y->vp)
		return x->vp < y->vp ? -1 : 1;
	return (int)x->stream - (int)y->stream;
}

/* Every (partition, VP, stream) that either trace has, in order. */
static GPtrArray *compare_all_ids(const SimCompareTrace *a, const SimCompareTrace *b)
{
	GPtrArray *ids = g_ptr_array_new();
	const SimCompareTrace *both[] = { a, b };
	for (int stream = 0; stream < COMPARE_N_STREAMS; stream++) {
		g_autoptr(GHashTable) seen = g_hash_table_new(g_int64_hash, g_int64_equal);
		for (int i = 0; i < 2; i++) {
			GHashTableIter it;
			gpointer k, v;
			g_hash_table_iter_init(&it, both[i]->seqs[stream]);
			while (g_hash_table_iter_next(&it, &k, &v))
				if (g_hash_table_add(seen, k))
					g_ptr_array_add(ids, v);
		}
	}
	g_ptr_array_sort(ids, compare_seq_order);
	return ids;
}

static const CompareEvent *compare_at(const CompareSeq *s, guint i)
{
	return s && i < s->events->len ? &g_array_index(s->events, CompareEvent, i) : NULL;
}

static int compare_strcmp(const void *x, const void *y);

/* The end of the key token starting at p: up to the next space outside a
 * quoted value (values are g_strescape'd, so a quote inside is \"). */
static const char *compare_token_end(const char *p)
{
	gboolean quoted = FALSE;
	for (; *p && (quoted || *p != ' '); p++) {
		if (quoted && *p == '\\' && p[1])
			p++;
		else if (*p == '"')
			quoted = !quoted;
	}
	return p;
}

/* Keys match token by token; a "name=?" (a field its trace marks not
 * observable) matches any value of the same field. */
static gboolean compare_key_match(const char *a, const char *b)
{
	while (*a && *b) {
		const char *ea = compare_token_end(a), *eb = compare_token_end(b);
		gsize la = (gsize)(ea - a), lb = (gsize)(eb - b);
		if (la != lb || memcmp(a, b, la) != 0) {
			const char *qa = memchr(a, '=', la), *qb = memchr(b, '=', lb);
			if (!qa || !qb || qa - a != qb - b || memcmp(a, b, (gsize)(qa - a)) != 0)
				return FALSE;  /* different fields */
			gboolean ua = ea - qa == 2 && qa[1] == COMPARE_UNOBSERVED[0];
			gboolean ub = eb - qb == 2 && qb[1] == COMPARE_UNOBSERVED[0];
			if (!ua && !ub)
				return FALSE;
		}
		a = *ea ? ea + 1 : ea;
		b = *eb ? eb + 1 : eb;
	}
	return !*a && !*b;
}

static gboolean compare_same(const CompareEvent *x, const CompareEvent *y)
{
	return x && y && (g_str_equal(x->key, y->key) || compare_key_match(x->key, y->key));
}

/* The note on what a trace marked not observable (and so was not
 * compared), sorted; nothing if it marked nothing. */
static void compare_report_unobservable(GString *r, const char *side, const SimCompareTrace *t)
{
	guint n = g_hash_table_size(t->unobservable);
	if (!n)
		return;
	g_autofree const char **names = (const char **)g_hash_table_get_keys_as_array(t->unobservable, NULL);
	qsort(names, n, sizeof *names, compare_strcmp);
	g_string_append_printf(r, "not compared: fields %s (%s) marks not observable:", side, t->path);
	for (guint i = 0; i < n; i++)
		g_string_append_printf(r, "%s %s (%" G_GUINT64_FORMAT " event%s)", i ? "," : "", names[i],
		                       *(guint64 *)g_hash_table_lookup(t->unobservable, names[i]),
		                       *(guint64 *)g_hash_table_lookup(t->unobservable, names[i]) == 1 ? "" : "s");
	g_string_append_c(r, '\n');
}

static void compare_print_event(GString *r, const char *side, const char *path, const CompareEvent *e)
{
	if (e)
		g_string_append_printf(r, "    %s %s:%" G_GUINT64_FORMAT ": %s\n", side, path, e->line, e->key);
	else
		g_string_append_printf(r, "    %s %s: (no more events of this VP)\n", side, path);
}

/* The first divergence of one sequence pair, with context. */
static void compare_report_divergence(GString *r, const SimCompareTrace *a, const SimCompareTrace *b,
                                      const CompareSeq *sa, const CompareSeq *sb, guint i, guint context)
{
	const CompareEvent *ai = compare_at(sa, i), *bi = compare_at(sb, i);
	const CompareEvent *an = compare_at(sa, i + 1), *bn = compare_at(sb, i + 1);
	const char *what;
	if (!ai)
		what = "B goes on where A's events of this VP end";
	else if (!bi)
		what = "A goes on where B's events of this VP end";
	else if (compare_same(ai, bn) && compare_same(an, bi))
		what = "two events in the opposite order";
	else if (compare_same(an, bi))
		what = "an event in A that B lacks";
	else if (compare_same(ai, bn))
		what = "an event in B that A lacks";
	else
		what = "the events differ";
	g_string_append_printf(r, "  first difference at its event %u: %s\n", i + 1, what);
	guint from = i > context ? i - context : 0;
	if (from < i)
		g_string_append(r, "  before it (the same in both):\n");
	for (guint k = from; k < i; k++) {
		const CompareEvent *e = compare_at(sa, k), *f = compare_at(sb, k);
		g_string_append_printf(r, "    %s:%" G_GUINT64_FORMAT " = %s:%" G_GUINT64_FORMAT ": %s\n",
		                       a->path, e->line, b->path, f->line, e->key);
	}
	g_string_append(r, "  here:\n");
	compare_print_event(r, "A", a->path, ai);
	compare_print_event(r, "B", b->path, bi);
	if (context > 0 && (an || bn)) {
		g_string_append(r, "  after it:\n");
		for (guint k = i + 1; k <= i + context; k++)
			if (compare_at(sa, k))
				compare_print_event(r, "A", a->path, compare_at(sa, k));
		for (guint k = i + 1; k <= i + context; k++)
			if (compare_at(sb, k))
				compare_print_event(r, "B", b->path, compare_at(sb, k));
	}
}

static int compare_strcmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Counts of each kind, side by side, for one sequence pair: the kinds
 * whose counts differ. */
static void compare_report_counts(GString *r, const CompareSeq *sa, const CompareSeq *sb)
{
	g_autoptr(GHashTable) counts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	const CompareSeq *both[] = { sa, sb };
	for (int side = 0; side < 2; side++) {
		for (guint i = 0; both[side] && i < both[side]->events->len; i++) {
			const char *kind = g_array_index(both[side]->events, CompareEvent, i).kind;
			guint64 *c = g_hash_table_lookup(counts, kind);
			if (!c)
				g_hash_table_insert(counts, (gpointer)kind, c = g_new0(guint64, 2));
			c[side]++;
		}
	}
	g_autofree const char **kinds = (const char **)g_hash_table_get_keys_as_array(counts, NULL);
	guint n = g_hash_table_size(counts);
	qsort(kinds, n, sizeof *kinds, compare_strcmp);
	gboolean header = FALSE;
	for (guint i = 0; i < n; i++) {
		guint64 *c = g_hash_table_lookup(counts, kinds[i]);
		if (c[0] == c[1])
			continue;
		if (!header)
			g_string_append(r, "  counts by kind that differ (A, B):\n");
		header = TRUE;
		g_string_append_printf(r, "    %-26s %8" G_GUINT64_FORMAT " %8" G_GUINT64_FORMAT "\n", kinds[i], c[0], c[1]);
	}
	if (!header)
		g_string_append(r, "  the same number of events of each kind in both\n");
}

static gboolean compare_traces_with_context(const SimCompareTrace *a, const SimCompareTrace *b,
                                            SimCompareResult *res, GString *r, guint context)
{
	*res = (SimCompareResult){ .equivalent = TRUE };
	g_autoptr(GPtrArray) ids = compare_all_ids(a, b);
	res->n_sequences = ids->len;
	for (guint s = 0; s < ids->len; s++) {
		const CompareSeq *id = ids->pdata[s];
		guint64 key = (guint64)id->partition << 32 | id->vp;
		const CompareSeq *sa = g_hash_table_lookup(a->seqs[id->stream], &key);
		const CompareSeq *sb = g_hash_table_lookup(b->seqs[id->stream], &key);
		guint na = sa ? sa->events->len : 0, nb = sb ? sb->events->len : 0;
		guint i = 0;
		while (i < na && i < nb && compare_same(compare_at(sa, i), compare_at(sb, i)))
			i++;
		res->n_compared += i;
		if (i == na && i == nb)
			continue;
		res->n_compared++;
		res->n_differing++;
		g_string_append_printf(r, "partition %u VP %u%s: %u events in A, %u in B\n", id->partition, id->vp,
		                       compare_stream_names[id->stream], na, nb);
		compare_report_divergence(r, a, b, sa, sb, i, context);
		compare_report_counts(r, sa, sb);
		if (res->equivalent) {
			res->equivalent = FALSE;
			res->first_partition = id->partition;
			res->first_vp = id->vp;
			res->first_line_a = compare_at(sa, i) ? compare_at(sa, i)->line : 0;
			res->first_line_b = compare_at(sb, i) ? compare_at(sb, i)->line : 0;
		}
	}
	compare_report_unobservable(r, "A", a);
	compare_report_unobservable(r, "B", b);
	if (res->equivalent)
		g_string_append_printf(r, "equivalent: %" G_GUINT64_FORMAT " events compared in %u (partition, VP) sequences; "
		                       "A has %" G_GUINT64_FORMAT " lines, B %" G_GUINT64_FORMAT
		                       " (the rest are events only one backend sees)\n",
		                       res->n_compared, res->n_sequences, a->n_lines, b->n_lines);
	else
		g_string_append_printf(r, "different: %u of %u (partition, VP) sequences differ (A = %s, B = %s)\n",
		                       res->n_differing, res->n_sequences, a->path, b->path);
	return res->equivalent;
}

gboolean sim_compare_traces(const SimCompareTrace *a, const SimCompareTrace *b,
                            SimCompareResult *result, GString *report)
{
	g_return_val_if_fail(a && b && result && report, FALSE);
	return compare_traces_with_context(a, b, result, report, COMPARE_DEFAULT_CONTEXT);
}

/* ---- Command line ------------------------------------------------------- */

enum { COMPARE_EXIT_SAME = 0, COMPARE_EXIT_DIFFERENT = 1, COMPARE_EXIT_BAD = 2 };

int sim_compare_cli(int argc, char **argv)
{
	char *context_arg = NULL;
	gboolean exact_console = FALSE, ignore_waits = FALSE;
	GOptionEntry entries[] = {
		{ "ignore-waits", 0, 0, G_OPTION_ARG_NONE, &ignore_waits,
		  "Leave out what depends on how long VPs waited (HLT exits, clock, timer, EOI and EOM MSRs; SynIC messages compared apart, per receiving VP, once delivered): for native traces", NULL },
		{ "exact-console", 0, 0, G_OPTION_ARG_NONE, &exact_console,
		  "Compare console lines as written and COM1 accesses one by one (default: numbers and hypercall-page bytes in console lines masked, COM1 accesses not compared)", NULL },
		{ "context", 0, 0, G_OPTION_ARG_STRING, &context_arg, "Events shown before and after a difference (default 3)", "N" },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("TRACE_A TRACE_B");
	g_autoptr(GError) error = NULL;
	g_option_context_set_summary(ctx,
		"Compares two traces (hvsim run --trace) by the events both backends see:\n"
		"hypercalls, the VM exits both report, synthetic MSRs, port I/O, SynIC and\n"
		"VMBus events, console lines, partition and child life cycle; per\n"
		"(partition, VP), in order. Exit status: 0 equivalent, 1 different,\n"
		"2 bad input. docs/cli.md#compare lists what is compared.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	gboolean parsed = g_option_context_parse(ctx, &argc, &argv, &error);
	g_autofree char *context_str = context_arg;
	if (!parsed) {
		fprintf(stderr, "hvsim compare: %s\n", error->message);
		return COMPARE_EXIT_BAD;
	}
	guint64 context = COMPARE_DEFAULT_CONTEXT;
	if (context_str && !g_ascii_string_to_unsigned(context_str, 10, 0, COMPARE_MAX_CONTEXT, &context, NULL)) {
		fprintf(stderr, "hvsim compare: --context: '%s' is not a whole number between 0 and %d\n",
		        context_str, COMPARE_MAX_CONTEXT);
		return COMPARE_EXIT_BAD;
	}
	if (argc != 3) {
		fprintf(stderr, "hvsim compare: give two trace files (TRACE_A TRACE_B); see hvsim compare --help\n");
		return COMPARE_EXIT_BAD;
	}
	SimCompareFlags flags = (exact_console ? SIM_COMPARE_EXACT_CONSOLE : SIM_COMPARE_DEFAULT) |
	                        (ignore_waits ? SIM_COMPARE_IGNORE_WAITS : SIM_COMPARE_DEFAULT);
	g_autoptr(SimCompareTrace) a = sim_compare_trace_load(argv[1], flags, &error);
	g_autoptr(SimCompareTrace) b = a ? sim_compare_trace_load(argv[2], flags, &error) : NULL;
	if (!b) {
		fprintf(stderr, "hvsim compare: %s\n", error->message);
		return COMPARE_EXIT_BAD;
	}
	SimCompareResult res;
	g_autoptr(GString) report = g_string_new(NULL);
	gboolean same = compare_traces_with_context(a, b, &res, report, (guint)context);
	fputs(report->str, stdout);
	return same ? COMPARE_EXIT_SAME : COMPARE_EXIT_DIFFERENT;
}
