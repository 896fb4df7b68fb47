/* sim-event.c — the event bus and the JSON form of every event.
 * Runs on the sim thread. The JSON layout is a user contract:
 * docs/trace-format.md describes each field; change both together. */
#include "sim-event.h"

#include "hv-names.h"
#include "ring.h"
#include "vmx.h"

typedef struct Subscriber {
	guint id;
	SimEventFunc func;
	gpointer user_data;
} Subscriber;

/* The subscribers are kept in the bus's own block while they fit (a
 * machine has a handful: trace, statistics, console, the GUI's runner),
 * in an array of their own beyond that: every event reads the list, and
 * one block is one page less per exit to touch. */
#define BUS_INLINE_SUBS 8u

struct SimEventBus {
	uint64_t seq;
	guint next_id;
	guint n_subs, cap;
	Subscriber *subs;                       /* `inline_subs` or a block of `cap` */
	Subscriber inline_subs[BUS_INLINE_SUBS];
};

SimEventBus *sim_event_bus_new(void)
{
	SimEventBus *bus = g_new0(SimEventBus, 1);
	bus->subs = bus->inline_subs;
	bus->cap = BUS_INLINE_SUBS;
	bus->next_id = 1;
	return bus;
}

void sim_event_bus_free(SimEventBus *bus)
{
	if (!bus)
		return;
	if (bus->subs != bus->inline_subs)
		g_free(bus->subs);
	g_free(bus);
}

guint sim_event_bus_subscribe(SimEventBus *bus, SimEventFunc func, gpointer user_data)
{
	g_return_val_if_fail(bus != NULL && func != NULL, 0);
	if (bus->n_subs == bus->cap) {
		guint cap = bus->cap * 2;
		Subscriber *grown = g_new(Subscriber, cap);
		memcpy(grown, bus->subs, sizeof *grown * bus->n_subs);
		if (bus->subs != bus->inline_subs)
			g_free(bus->subs);
		bus->subs = grown;
		bus->cap = cap;
	}
	Subscriber s = { bus->next_id++, func, user_data };
	bus->subs[bus->n_subs++] = s;
	return s.id;
}

void sim_event_bus_unsubscribe(SimEventBus *bus, guint id)
{
	g_return_if_fail(bus != NULL);
	for (guint i = 0; i < bus->n_subs; i++) {
		if (bus->subs[i].id == id) {
			/* In order: subscribers are called in the order they came. */
			memmove(&bus->subs[i], &bus->subs[i + 1], sizeof bus->subs[0] * (bus->n_subs - i - 1));
			bus->n_subs--;
			return;
		}
	}
}

SIM_HOT void sim_event_bus_emit(SimEventBus *bus, SimEvent *ev)
{
	ev->seq = ++bus->seq;
	for (guint i = 0; i < bus->n_subs; i++)
		bus->subs[i].func(ev, bus->subs[i].user_data);
}

uint64_t sim_event_bus_last_seq(const SimEventBus *bus)
{
	return bus->seq;
}

static const char *const type_names[SIM_EV_N_TYPES] = {
	[SIM_EV_PARTITION_START] = "partition_start",
	[SIM_EV_PARTITION_STOP] = "partition_stop",
	[SIM_EV_VP_START] = "vp_start",
	[SIM_EV_RING] = "ring",
	[SIM_EV_VM_EXIT] = "vm_exit",
	[SIM_EV_VM_ENTRY] = "vm_entry",
	[SIM_EV_CPUID] = "cpuid",
	[SIM_EV_MSR] = "msr",
	[SIM_EV_HYPERCALL] = "hypercall",
	[SIM_EV_HYPERCALL_PAGE] = "hypercall_page",
	[SIM_EV_PORT_IO] = "port_io",
	[SIM_EV_CONSOLE] = "console",
	[SIM_EV_FAULT] = "fault",
	[SIM_EV_INTERRUPT] = "interrupt",
	[SIM_EV_HALT] = "halt",
	[SIM_EV_TIMER] = "timer",
	[SIM_EV_SYNIC_MESSAGE] = "synic_message",
	[SIM_EV_BOOT] = "boot",
	[SIM_EV_CHILD] = "child",
	[SIM_EV_INTERCEPT] = "intercept",
	[SIM_EV_VP_STATE] = "vp_state",
	[SIM_EV_VMBUS] = "vmbus",
	[SIM_EV_MESSAGE] = "message",
};

const char *sim_vp_state_name(SimVpState state)
{
	switch (state) {
	case SIM_VP_RUNNING: return "running";
	case SIM_VP_EXPLICIT_SUSPEND: return "explicit_suspend";
	case SIM_VP_INTERCEPT_SUSPEND: return "intercept_suspend";
	}
	return "unknown";
}

const char *sim_event_type_name(SimEventType type)
{
	return (unsigned)type < SIM_EV_N_TYPES ? type_names[type] : "unknown";
}

const char *sim_boot_stage_name(SimBootStage stage)
{
	switch (stage) {
	case SIM_BOOT_POWER_ON: return "power_on";
	case SIM_BOOT_HVBOOT_REQUEST: return "hvboot_request";
	case SIM_BOOT_IMAGE: return "hypervisor_image";
	case SIM_BOOT_VMXON: return "vmxon";
	case SIM_BOOT_VMCS_FROM_STATE: return "vmcs_from_running_state";
	case SIM_BOOT_LAUNCHED: return "launched";
	case SIM_BOOT_REFUSED: return "refused";
	}
	return "unknown";
}

const char *sim_child_state_name(SimChildState state)
{
	switch (state) {
	case SIM_CHILD_CREATED: return "created";
	case SIM_CHILD_INITIALIZED: return "initialized";
	case SIM_CHILD_FINALIZED: return "finalized";
	case SIM_CHILD_DELETED: return "deleted";
	}
	return "unknown";
}

const char *sim_ring_cause_name(SimRingCause cause)
{
	switch (cause) {
	case SIM_RING_EXCEPTION: return "exception";
	case SIM_RING_SOFTWARE_INT: return "int";
	case SIM_RING_EXTERNAL: return "interrupt";
	case SIM_RING_SYSCALL: return "syscall";
	case SIM_RING_SYSRET: return "sysret";
	case SIM_RING_IRET: return "iret";
	}
	return "unknown";
}

/* JSON string escaping for guest-controlled text (console lines). */
static void append_json_string(GString *out, const char *s)
{
	g_string_append_c(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': g_string_append(out, "\\\""); break;
		case '\\': g_string_append(out, "\\\\"); break;
		case '\n': g_string_append(out, "\\n"); break;
		case '\r': g_string_append(out, "\\r"); break;
		case '\t': g_string_append(out, "\\t"); break;
		default:
			if (*p < 0x20 || *p >= 0x7F)
				g_string_append_printf(out, "\\u%04x", *p);
			else
				g_string_append_c(out, (char)*p);
		}
	}
	g_string_append_c(out, '"');
}

static void hex_field(GString *out, const char *name, uint64_t v)
{
	g_string_append_printf(out, ",\"%s\":\"0x%" G_GINT64_MODIFIER "x\"", name, v);
}

void sim_event_to_json(const SimEvent *ev, const char *vendor, GString *out)
{
	gboolean amd = vendor && g_str_equal(vendor, "amd");

	g_string_append_printf(out,
		"{\"seq\":%" G_GUINT64_FORMAT ",\"type\":\"%s\",\"partition\":%u,\"vp\":%u,\"vtime\":%" G_GUINT64_FORMAT,
		ev->seq, sim_event_type_name(ev->type), ev->partition, ev->vp, ev->vtime);

	switch (ev->type) {
	case SIM_EV_PARTITION_START:
	case SIM_EV_VP_START:
		g_string_append(out, ",\"name\":");
		append_json_string(out, ev->text);
		break;
	case SIM_EV_PARTITION_STOP:
		g_string_append_printf(out, ",\"clean\":%s,\"status\":%d,\"reason\":",
		                       ev->u.stop.clean ? "true" : "false", ev->u.stop.status);
		append_json_string(out, ev->text);
		break;
	case SIM_EV_RING:
		g_string_append_printf(out, ",\"from_ring\":%u,\"to_ring\":%u,\"cause\":\"%s\",\"vector\":%u",
		                       ev->u.ring.from, ev->u.ring.to,
		                       sim_ring_cause_name((SimRingCause)ev->u.ring.cause), ev->u.ring.vector);
		hex_field(out, "from_rip", ev->u.ring.from_rip);
		hex_field(out, "to_rip", ev->u.ring.to_rip);
		if (ev->u.ring.has_error)
			hex_field(out, "error_code", ev->u.ring.error_code);
		break;
	case SIM_EV_VM_EXIT: {
		uint32_t basic = ev->u.exit.reason & 0xFFFF;
		g_string_append_printf(out, ",\"reason\":%u,\"reason_name\":\"%s\"", basic,
		                       vmx_exit_reason_id(basic));
		if (amd) {
			/* The same event under AMD-V (VMCB exit code), for the AMD flavour. */
			uint32_t svm = vmx_exit_to_svm(basic, ev->u.exit.qualification, ev->u.exit.intr_info & 0xFF);
			g_string_append_printf(out, ",\"svm_code\":\"0x%03x\",\"svm_name\":\"%s\"",
			                       svm, svm_exit_code_name(svm));
		}
		hex_field(out, "qualification", ev->u.exit.qualification);
		/* A backend that could not see the guest's state says so rather
		 * than give a RIP that is not the guest's (docs/trace-format.md). */
		if (ev->u.exit.rip_lost)
			g_string_append(out, ",\"not_observable\":[\"rip\"]");
		else
			hex_field(out, "rip", ev->u.exit.rip);
		g_string_append_printf(out, ",\"length\":%u", ev->u.exit.length);
		break;
	}
	case SIM_EV_VM_ENTRY:
		if (ev->u.entry.injected)
			g_string_append_printf(out, ",\"injected_vector\":%u", ev->u.entry.injected_vector);
		break;
	case SIM_EV_CPUID:
		hex_field(out, "leaf", ev->u.cpuid.leaf);
		hex_field(out, "subleaf", ev->u.cpuid.subleaf);
		hex_field(out, "eax", ev->u.cpuid.eax);
		hex_field(out, "ebx", ev->u.cpuid.ebx);
		hex_field(out, "ecx", ev->u.cpuid.ecx);
		hex_field(out, "edx", ev->u.cpuid.edx);
		break;
	case SIM_EV_MSR: {
		const char *name = hv_msr_name(ev->u.msr.msr);
		hex_field(out, "msr", ev->u.msr.msr);
		g_string_append(out, ",\"name\":");
		append_json_string(out, name ? name : "");
		g_string_append_printf(out, ",\"access\":\"%s\",\"synthetic\":%s,\"fault\":%s",
		                       ev->u.msr.write ? "write" : "read",
		                       ev->u.msr.synthetic ? "true" : "false",
		                       ev->u.msr.fault ? "true" : "false");
		hex_field(out, "value", ev->u.msr.value);
		break;
	}
	case SIM_EV_HYPERCALL: {
		const char *name = hv_call_name(ev->u.hypercall.code);
		g_string_append_printf(out, ",\"code\":\"0x%04x\",\"name\":\"%s\",\"fast\":%s,\"rep_count\":%u,\"rep_start\":%u",
		                       ev->u.hypercall.code, name ? name : "unknown",
		                       ev->u.hypercall.fast ? "true" : "false",
		                       ev->u.hypercall.rep_count, ev->u.hypercall.rep_start);
		hex_field(out, "input", ev->u.hypercall.input);
		hex_field(out, "output", ev->u.hypercall.output);
		g_string_append_printf(out, ",\"status\":\"0x%04x\",\"status_name\":\"%s\",\"reps_completed\":%u",
		                       ev->u.hypercall.status, hv_status_name(ev->u.hypercall.status),
		                       ev->u.hypercall.reps_done);
		break;
	}
	case SIM_EV_HYPERCALL_PAGE:
		hex_field(out, "gpa", ev->u.hcpage.gpa);
		g_string_append_printf(out, ",\"enabled\":%s,\"bytes\":\"", ev->u.hcpage.enabled ? "true" : "false");
		for (unsigned i = 0; i < ev->u.hcpage.nbytes && i < sizeof ev->u.hcpage.bytes; i++)
			g_string_append_printf(out, "%s%02x", i ? " " : "", ev->u.hcpage.bytes[i]);
		g_string_append(out, "\",\"instruction\":");
		append_json_string(out, ev->text);
		break;
	case SIM_EV_PORT_IO:
		hex_field(out, "port", ev->u.io.port);
		g_string_append_printf(out, ",\"size\":%u,\"direction\":\"%s\",\"intercepted\":%s",
		                       ev->u.io.size, ev->u.io.in ? "in" : "out",
		                       ev->u.io.intercepted ? "true" : "false");
		hex_field(out, "value", ev->u.io.value);
		break;
	case SIM_EV_CONSOLE:
		g_string_append(out, ",\"text\":");
		append_json_string(out, ev->text);
		break;
	case SIM_EV_FAULT: {
		const char *mn = ring_vector_mnemonic(ev->u.fault.vector);
		g_string_append_printf(out, ",\"vector\":%u,\"mnemonic\":\"%s\",\"cpl\":%u",
		                       ev->u.fault.vector, mn ? mn : "INT", ev->u.fault.cpl);
		if (ev->u.fault.has_error)
			hex_field(out, "error_code", ev->u.fault.error_code);
		hex_field(out, "rip", ev->u.fault.rip);
		if (ev->u.fault.vector == 14)
			hex_field(out, "cr2", ev->u.fault.cr2);
		g_string_append(out, ",\"detail\":");
		append_json_string(out, ev->text);
		break;
	}
	case SIM_EV_INTERRUPT:
		g_string_append_printf(out, ",\"vector\":%u,\"intr_type\":\"%s\"", ev->u.interrupt.vector,
		                       vmx_intr_type_name(ev->u.interrupt.type));
		break;
	case SIM_EV_HALT:
		break;
	case SIM_EV_TIMER:
		g_string_append_printf(out, ",\"timer\":%u,\"expiry\":%" G_GUINT64_FORMAT,
		                       ev->u.timer.timer, ev->u.timer.expiry);
		break;
	case SIM_EV_MESSAGE:
		g_string_append(out, ",\"text\":");
		append_json_string(out, ev->text);
		break;
	case SIM_EV_BOOT:
		g_string_append_printf(out, ",\"stage\":\"%s\",\"hypervisor\":%s,\"text\":",
		                       sim_boot_stage_name((SimBootStage)ev->u.boot.stage),
		                       ev->u.boot.hypervisor ? "true" : "false");
		append_json_string(out, ev->text);
		break;
	case SIM_EV_CHILD:
		g_string_append_printf(out, ",\"child\":%" G_GUINT64_FORMAT ",\"state\":\"%s\",\"text\":",
		                       ev->u.child.child, sim_child_state_name((SimChildState)ev->u.child.state));
		append_json_string(out, ev->text);
		break;
	case SIM_EV_INTERCEPT:
		g_string_append_printf(out, ",\"message_type\":\"0x%08x\",\"parent\":%u,\"port\":\"0x%x\",\"size\":%u,\"access\":%u,\"value\":\"0x%" G_GINT64_MODIFIER "x\",\"gpa\":\"0x%" G_GINT64_MODIFIER "x\"",
		                       ev->u.intercept.message_type, ev->u.intercept.parent, ev->u.intercept.port,
		                       ev->u.intercept.size, ev->u.intercept.access, ev->u.intercept.value,
		                       ev->u.intercept.gpa);
		if (ev->u.intercept.rip_lost)
			g_string_append(out, ",\"not_observable\":[\"rip\"]");
		else
			hex_field(out, "rip", ev->u.intercept.rip);
		g_string_append_printf(out, ",\"delivered\":%s,\"text\":", ev->u.intercept.delivered ? "true" : "false");
		append_json_string(out, ev->text);
		break;
	case SIM_EV_VMBUS:
		if (ev->u.vmbus.kind == SIM_VMBUS_MESSAGE)
			g_string_append_printf(out, ",\"kind\":\"message\",\"to\":%u,\"msgtype\":%u,\"relid\":%u,\"status\":%u,\"text\":",
			                       ev->u.vmbus.to, ev->u.vmbus.msgtype, ev->u.vmbus.relid, ev->u.vmbus.status);
		else if (ev->u.vmbus.kind != SIM_VMBUS_SIGNAL)
			g_string_append_printf(out, ",\"kind\":\"%s\",\"to\":%u,\"relid\":%u,\"ring\":\"%s\",\"write_index\":%u,\"read_index\":%u,\"interrupt_mask\":%u,\"text\":",
			                       ev->u.vmbus.kind == SIM_VMBUS_RING_WRITE ? "ring_write" :
			                       ev->u.vmbus.kind == SIM_VMBUS_RING_READ ? "ring_read" : "ring_mask",
			                       ev->u.vmbus.to, ev->u.vmbus.relid,
			                       ev->u.vmbus.msgtype == 0 ? "child_to_parent" : "parent_to_child",
			                       ev->u.vmbus.write_index, ev->u.vmbus.read_index, ev->u.vmbus.status);
		else
			g_string_append_printf(out, ",\"kind\":\"signal\",\"to\":%u,\"relid\":%u,\"write_index\":%u,\"read_index\":%u,\"bytes_waiting\":%u,\"next_packet_type\":%u,\"next_packet_len\":%u,\"text\":",
			                       ev->u.vmbus.to, ev->u.vmbus.relid, ev->u.vmbus.write_index, ev->u.vmbus.read_index,
			                       ev->u.vmbus.avail, ev->u.vmbus.packet_type, ev->u.vmbus.packet_len);
		append_json_string(out, ev->text);
		break;
	case SIM_EV_VP_STATE:
		g_string_append_printf(out, ",\"state\":\"%s\",\"text\":", sim_vp_state_name((SimVpState)ev->u.vp_state.state));
		append_json_string(out, ev->text);
		break;
	case SIM_EV_SYNIC_MESSAGE:
		g_string_append_printf(out, ",\"sint\":%u,\"message_type\":\"0x%08x\",\"payload_size\":%u,\"delivered\":%s",
		                       ev->u.synic.sint, ev->u.synic.message_type, ev->u.synic.payload_size,
		                       ev->u.synic.delivered ? "true" : "false");
		break;
	case SIM_EV_N_TYPES:
		break;
	}
	g_string_append_c(out, '}');
}
