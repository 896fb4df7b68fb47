/* sim-stats.c — statistics from the event stream and the run summary.
 * Sim thread. Counting only: cheap enough to stay subscribed in benchmarks. */
#include "sim-stats.h"

#include "hv-names.h"
#include "sim-private.h"
#include "ring.h"
#include "vmx.h"

/* Counts key in t; last and last_count remember the previous key so a run of
 * the same call (the common case) skips the hash lookup. */
static void bump(GHashTable *t, guint key, guint *last, guint64 **last_count)
{
	if (*last_count && *last == key) {
		(**last_count)++;
		return;
	}
	guint64 *v = g_hash_table_lookup(t, GUINT_TO_POINTER(key));
	if (!v) {
		v = g_new0(guint64, 1);
		g_hash_table_insert(t, GUINT_TO_POINTER(key), v);
	}
	(*v)++;
	*last = key;
	*last_count = v;
}

SimStats *sim_stats_new(void)
{
	SimStats *s = g_new0(SimStats, 1);
	s->hypercalls = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	s->hypercall_status = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	return s;
}

void sim_stats_free(SimStats *s)
{
	if (!s)
		return;
	g_hash_table_destroy(s->hypercalls);
	g_hash_table_destroy(s->hypercall_status);
	g_free(s);
}

SIM_HOT void sim_stats_on_event(const SimEvent *ev, gpointer user_data)
{
	SimStats *s = user_data;
	s->events++;
	if ((unsigned)ev->type < SIM_EV_N_TYPES)
		s->by_type[ev->type]++;
	gboolean per = ev->partition < SIM_STATS_PARTITIONS;
	switch (ev->type) {
	case SIM_EV_VM_EXIT: {
		guint basic = ev->u.exit.reason & 0xFFFF;
		if (basic < G_N_ELEMENTS(s->exits_by_reason))
			s->exits_by_reason[basic]++;
		if (per)
			s->part[ev->partition].exits++;
		break;
	}
	case SIM_EV_INTERCEPT:
		if (per)
			s->part[ev->partition].intercepts++;
		break;
	case SIM_EV_CONSOLE:
		if (per)
			s->part[ev->partition].console_lines++;
		break;
	case SIM_EV_INTERRUPT:
		if (per)
			s->part[ev->partition].interrupts++;
		break;
	case SIM_EV_RING:
		s->ring[ev->u.ring.from & 3][ev->u.ring.to & 3][ev->u.ring.cause & 7]++;
		break;
	case SIM_EV_HYPERCALL:
		if (per)
			s->part[ev->partition].hypercalls++;
		bump(s->hypercalls, ev->u.hypercall.code, &s->last_call, &s->last_call_count);
		bump(s->hypercall_status, (guint)ev->u.hypercall.code << 16 | ev->u.hypercall.status,
		     &s->last_status, &s->last_status_count);
		break;
	case SIM_EV_BOOT:
		if (ev->u.boot.stage == SIM_BOOT_POWER_ON)
			s->booted_bare = TRUE;
		if (ev->u.boot.stage == SIM_BOOT_LAUNCHED) {
			s->launched = TRUE;
			s->launch_vtime = ev->vtime;
		}
		break;
	case SIM_EV_FAULT:
		if (ev->u.fault.vector < 32)
			s->faults_by_vector[ev->u.fault.vector]++;
		break;
	default:
		break;
	}
}

static gint cmp_uint(gconstpointer a, gconstpointer b)
{
	guint x = GPOINTER_TO_UINT(*(const gpointer *)a), y = GPOINTER_TO_UINT(*(const gpointer *)b);
	return x < y ? -1 : x > y;
}

static void call_label(guint code, char *buf, gsize len)
{
	const char *name = hv_call_name((uint16_t)code);
	if (name)
		g_strlcpy(buf, name, len);
	else
		g_snprintf(buf, len, "unknown call 0x%04x", code);
}

/* Prints a table keyed by call code (with_status: code << 16 | status). */
static void print_calls(GString *out, const char *title, GHashTable *t, gboolean with_status)
{
	guint n = 0;
	gpointer *keys = g_hash_table_get_keys_as_array(t, &n);
	qsort(keys, n, sizeof *keys, cmp_uint);
	g_string_append_printf(out, "  %s:%s\n", title, n ? "" : " none");
	for (guint i = 0; i < n; i++) {
		guint k = GPOINTER_TO_UINT(keys[i]);
		char label[96], name[40];
		call_label(with_status ? k >> 16 : k, name, sizeof name);
		if (with_status)
			g_snprintf(label, sizeof label, "%s -> %s", name, hv_status_name((uint16_t)(k & 0xFFFF)));
		else
			g_strlcpy(label, name, sizeof label);
		g_string_append_printf(out, "    %-58s %10" G_GUINT64_FORMAT "\n", label,
		                       *(guint64 *)g_hash_table_lookup(t, keys[i]));
	}
	g_free(keys);
}

void sim_stats_summary(const SimStats *s, SimMachine *m, GString *out)
{
	const SimConfig *cfg = sim_machine_config(m);
	gboolean amd = cfg->vendor == SIM_VENDOR_AMD;
	guint64 exits = s->by_type[SIM_EV_VM_EXIT];

	/* With a product profile the header names it: "..., profile Hyper-V Server 2008; ...". */
	g_autofree char *prof = cfg->profile ? g_strdup_printf(", profile %s", cfg->profile->product) : g_strdup("");
	const char *costs = sim_machine_backend_native(m) ? "native: times below are measured" :
	                    "costs below are a model, not measured";
	if (s->booted_bare && !s->launched)
		g_string_append_printf(out, "== summary (%s, no hypervisor ran%s; %s) ==\n",
		                       sim_vendor_name(cfg->vendor), prof, costs);
	else
		g_string_append_printf(out, "== summary (%s, %s flavour%s; %s) ==\n",
		                       sim_vendor_name(cfg->vendor), sim_vendor_hypervisor(cfg->vendor), prof, costs);
	if (cfg->profile)
		g_string_append_printf(out, "  profile:              %s (--profile %s): at most %u VP%s and %" G_GUINT64_FORMAT " MiB per VM, %s guests\n",
		                       cfg->profile->product, cfg->profile->name, cfg->profile->max_vps,
		                       cfg->profile->max_vps == 1 ? "" : "s", cfg->profile->max_memory >> 20,
		                       sim_guest_archs_name(cfg->profile->guest_archs));
	if (sim_machine_backend_native(m)) {
		/* KVM cannot count instructions: the clock is measured (docs/native.md). */
		g_string_append(out, "  backend:              native (KVM): costs and times below are measured, not modelled\n");
		g_string_append(out, "  instructions retired: not counted natively\n");
		if (cfg->native_time_scale > 1)
			g_string_append_printf(out, "  time:                 %" G_GUINT64_FORMAT " ns (measured running time of the VPs, plus idle time in HLT), at host time / %u (--time-scale: the guests' clock was slowed)\n",
			                       sim_machine_vtime(m), cfg->native_time_scale);
		else
			g_string_append_printf(out, "  time:                 %" G_GUINT64_FORMAT " ns (measured running time of the VPs, plus idle time in HLT)\n",
			                       sim_machine_vtime(m));
	} else {
		g_string_append_printf(out, "  instructions retired: %" G_GUINT64_FORMAT "\n", sim_machine_insns(m));
		g_string_append_printf(out, "  virtual time:         %" G_GUINT64_FORMAT " ns (1 ns per instruction, %u ns per VM exit and its entry, modelled)\n",
		                       sim_machine_vtime(m), SIM_COST_WORLD_SWITCH_NS);
	}
	g_string_append_printf(out, "  events:               %" G_GUINT64_FORMAT "\n", s->events);
	if (s->booted_bare && s->launched)
		g_string_append_printf(out, "  boot:                 no hypervisor yet until the late launch at vtime %" G_GUINT64_FORMAT " ns (%s); nothing before it was a VM exit\n",
		                       s->launch_vtime, sim_vendor_hypervisor(cfg->vendor));
	else if (s->booted_bare)
		g_string_append(out, "  boot:                 no hypervisor was ever launched: no VM exits, nothing intercepted\n");
	g_string_append_printf(out, "  VM exits:             %" G_GUINT64_FORMAT "\n", exits);
	for (guint r = 0; r < G_N_ELEMENTS(s->exits_by_reason); r++) {
		if (!s->exits_by_reason[r])
			continue;
		if (amd)
			g_string_append_printf(out, "    %-22s (VMX %2u, SVM %-8s)              %10" G_GUINT64_FORMAT "\n",
			                       vmx_exit_reason_name(r), r, svm_exit_code_name(vmx_exit_to_svm(r, 0, 0)),
			                       s->exits_by_reason[r]);
		else
			g_string_append_printf(out, "    %-22s (reason %2u)                        %10" G_GUINT64_FORMAT "\n",
			                       vmx_exit_reason_name(r), r, s->exits_by_reason[r]);
	}
	gboolean any_ring = FALSE;
	for (guint f = 0; f < 4; f++)
		for (guint t = 0; t < 4; t++)
			for (guint c = 0; c < 8; c++)
				any_ring |= s->ring[f][t][c] != 0;
	g_string_append_printf(out, "  ring transitions (from->to cause):%s\n", any_ring ? "" : " none");
	for (guint f = 0; f < 4; f++)
		for (guint t = 0; t < 4; t++)
			for (guint c = 0; c < 8; c++)
				if (s->ring[f][t][c]) {
					char label[48];
					g_snprintf(label, sizeof label, "%u->%u %s", f, t, sim_ring_cause_name((SimRingCause)c));
					g_string_append_printf(out, "    %-58s %10" G_GUINT64_FORMAT "\n", label, s->ring[f][t][c]);
				}
	print_calls(out, "hypercalls", s->hypercalls, FALSE);
	print_calls(out, "hypercall results", s->hypercall_status, TRUE);
	g_string_append_printf(out, "  CPUID: %" G_GUINT64_FORMAT ", MSR accesses: %" G_GUINT64_FORMAT
	                       ", port I/O accesses: %" G_GUINT64_FORMAT ", events injected at VM entry: %" G_GUINT64_FORMAT "\n",
	                       s->by_type[SIM_EV_CPUID], s->by_type[SIM_EV_MSR], s->by_type[SIM_EV_PORT_IO],
	                       s->by_type[SIM_EV_INTERRUPT]);
	g_string_append(out, "  guest exceptions:");
	gboolean any = FALSE;
	for (guint v = 0; v < 32; v++) {
		if (!s->faults_by_vector[v])
			continue;
		const char *mn = ring_vector_mnemonic((uint8_t)v);
		g_string_append_printf(out, " %s x%" G_GUINT64_FORMAT, mn ? mn : "?", s->faults_by_vector[v]);
		any = TRUE;
	}
	g_string_append(out, any ? "\n" : " none\n");

	/* Per partition: who it is, what it cost, how it ended. */
	g_string_append(out, "  partitions:\n");
	for (guint i = 0; i < sim_machine_n_partitions(m); i++) {
		SimPartition *p = sim_machine_partition(m, i);
		uint32_t id = sim_partition_id(p);
		uint32_t parent = sim_partition_parent(p);
		uint64_t insns = sim_partition_insns(p);
		char role[64];
		if (parent)
			g_snprintf(role, sizeof role, "child of partition %u", parent);
		else
			g_strlcpy(role, p->privileges & SIM_PRIV_HV_RIGHTS(HV_PRIV_CREATE_PARTITIONS) ? "root (parent)" : "guest",
			          sizeof role);
		g_string_append_printf(out, "    %u %-24s %s\n", id, sim_partition_name(p), role);
		if (id < SIM_STATS_PARTITIONS)
			g_string_append_printf(out, "      VM exits %" G_GUINT64_FORMAT ", hypercalls %" G_GUINT64_FORMAT
			                       ", intercepts sent to the parent %" G_GUINT64_FORMAT ", interrupts injected %" G_GUINT64_FORMAT
			                       ", console lines %" G_GUINT64_FORMAT "%s\n",
			                       s->part[id].exits, s->part[id].hypercalls, s->part[id].intercepts,
			                       s->part[id].interrupts, s->part[id].console_lines,
			                       p->vps->len ? "" : (p->deleted ? " (deleted)" : " (no VP left)"));
		if (sim_machine_backend_native(m))
			g_string_append_printf(out, "      measured running time %" G_GUINT64_FORMAT " ns\n", insns);
		else
			g_string_append_printf(out, "      instructions retired %" G_GUINT64_FORMAT "\n", insns);
		g_string_append_printf(out, "      %s: %s\n", p->stopped ? (p->stop_clean ? "ended" : "failed") : "state",
		                       p->stop_reason ? p->stop_reason : p->running ? "running" : "never ran");
	}
}
