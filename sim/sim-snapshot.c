/* sim-snapshot.c — copies the machine state the architecture picture needs
 * into plain data (sim-snapshot.h). Runs on the sim thread; the copy it
 * returns owns all its memory and points nowhere into the machine. */
#include <string.h>

#include "hvsim-platform.h"
#include "sim-private.h"
#include "sim-snapshot.h"

#define X86_SELECTOR_RPL_MASK 0x3u  /* CS.RPL is the current privilege level */

const char *sim_snap_role_name(SimSnapRole role)
{
	switch (role) {
	case SIM_SNAP_ROLE_ROOT: return "root";
	case SIM_SNAP_ROLE_CHILD: return "child";
	case SIM_SNAP_ROLE_GUEST: return "guest";
	}
	return "?";
}

/* The parent partition is the OS that booted on the hardware: it holds the
 * right to create partitions once launched, and before the launch it is the
 * partition the simulator loaded into a late-launch machine. */
static SimSnapRole role_of(const SimMachine *m, const SimPartition *p)
{
	if (p->parent_id != 0)
		return SIM_SNAP_ROLE_CHILD;
	if ((p->privileges & SIM_PRIV_HV_RIGHTS(HV_PRIV_CREATE_PARTITIONS)) || m->config.late_launch)
		return SIM_SNAP_ROLE_ROOT;
	return SIM_SNAP_ROLE_GUEST;
}

/* The last complete console line, or the one being assembled if nothing
 * was completed after it. */
static char *console_last(const SimPartition *p)
{
	if (p->console_line && p->console_line->len)
		return g_strdup(p->console_line->str);
	if (!p->console || !p->console->len)
		return g_strdup("");
	const char *s = p->console->str;
	gsize end = p->console->len;
	while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == '\r'))
		end--;
	gsize start = end;
	while (start > 0 && s[start - 1] != '\n')
		start--;
	return g_strndup(s + start, end - start);
}

static void snap_vp(const SimMachine *m, SimVp *vp, SimSnapVp *out)
{
	out->index = vp->index;
	out->insns = vp->insns;
	out->started = vp->started;
	out->halted = vp->halted;
	out->explicit_suspend = vp->explicit_suspend;
	out->intercept_suspend = vp->intercept_suspend;
	if (vp->boot_pending) {
		/* Never ran: the state its parent set, not the engine's reset state. */
		out->rip = vp->boot.rip;
		out->cpl = vp->boot.cs & X86_SELECTOR_RPL_MASK;
		return;
	}
	static const SimReg regs[2] = { SIM_REG_RIP, SIM_REG_CS };
	uint64_t v[2];
	m->backend->regs_get(vp, regs, v, 2);
	out->rip = v[0];
	out->cpl = (uint8_t)(v[1] & X86_SELECTOR_RPL_MASK);
}

static void snap_partition(const SimMachine *m, SimPartition *p, SimSnapPartition *out)
{
	out->id = p->id;
	out->parent_id = p->parent_id;
	out->name = g_strdup(p->name ? p->name : "");
	out->role = role_of(m, p);
	out->hv_active = p->hv_active;
	out->running = p->running;
	out->stopped = p->stopped;
	out->stop_clean = p->stop_clean;
	out->deleted = p->deleted;
	out->stop_reason = g_strdup(p->stop_reason);
	out->insns = sim_partition_insns(p);
	if (p->child && p->child->mapped)
		out->memory_bytes = (uint64_t)g_hash_table_size(p->child->mapped) * 4096u;
	else
		out->memory_bytes = p->mem.size;
	out->console_last = console_last(p);
	out->n_vps = p->vps ? p->vps->len : 0;
	out->vps = g_new0(SimSnapVp, MAX(out->n_vps, 1));
	for (guint i = 0; i < out->n_vps; i++)
		snap_vp(m, g_ptr_array_index(p->vps, i), &out->vps[i]);
}

/* The hardware row: the platform devices of the partitions the simulator
 * loaded (children have none of their own), the disk's two register
 * blocks as one disk, and the platform clock behind the synthetic timers. */
static void snap_devices(SimMachine *m, GArray *out)
{
	for (guint i = 0; i < m->partitions->len; i++) {
		SimPartition *p = g_ptr_array_index(m->partitions, i);
		if (p->parent_id != 0 || !p->devices)
			continue;
		for (guint j = 0; j < p->devices->len; j++) {
			SimDevice *d = g_ptr_array_index(p->devices, j);
			SimSnapDevice sd = { .partition = p->id, .port_first = d->port_first, .port_last = d->port_last };
			g_strlcpy(sd.name, d->ops->name, sizeof sd.name);
			if (strcmp(d->ops->name, "uart16550") == 0)
				sd.kind = SIM_SNAP_DEV_UART;
			else if (strcmp(d->ops->name, "ata") == 0)
				sd.kind = SIM_SNAP_DEV_DISK;
			else
				sd.kind = SIM_SNAP_DEV_POWER;
			if (sd.kind == SIM_SNAP_DEV_DISK) {
				/* The control block shares the command block's drive. */
				if (d->port_first == HVSIM_PORT_ATA_CTRL)
					continue;
				sim_ata_disk(d, &sd.size_bytes);
			}
			g_array_append_val(out, sd);
		}
	}
	SimSnapDevice clock = { .kind = SIM_SNAP_DEV_TIMER };
	g_strlcpy(clock.name, "timer", sizeof clock.name);
	g_array_append_val(out, clock);
}

SimSnapshot *sim_snapshot_take(SimMachine *m)
{
	g_return_val_if_fail(m != NULL, NULL);
	SimSnapshot *s = g_new0(SimSnapshot, 1);
	s->vendor = m->config.vendor;
	g_strlcpy(s->vendor_name, sim_vendor_name(m->config.vendor), sizeof s->vendor_name);
	g_strlcpy(s->hypervisor, sim_vendor_hypervisor(m->config.vendor), sizeof s->hypervisor);
	s->has_virtualization = !m->config.no_virtualization;
	s->insns = sim_machine_insns(m);
	s->vtime = sim_machine_vtime(m);
	s->event_seq = sim_event_bus_last_seq(m->events);

	s->n_partitions = m->partitions->len;
	s->partitions = g_new0(SimSnapPartition, MAX(s->n_partitions, 1));
	for (guint i = 0; i < s->n_partitions; i++) {
		snap_partition(m, g_ptr_array_index(m->partitions, i), &s->partitions[i]);
		s->hv_launched |= s->partitions[i].hv_active;
	}

	/* VMBus channels, as the simulator's inspector knows them. */
	s->channels = g_new0(SimSnapChannel, SIM_SNAP_CHANNELS_MAX);
	s->n_channels = sim_vmbus_snapshot_channels(m, s->channels, SIM_SNAP_CHANNELS_MAX);

	GArray *devs = g_array_new(FALSE, TRUE, sizeof(SimSnapDevice));
	snap_devices(m, devs);
	s->n_devices = devs->len;
	s->devices = (SimSnapDevice *)(void *)g_array_free(devs, FALSE);
	return s;
}

void sim_snapshot_free(SimSnapshot *s)
{
	if (!s)
		return;
	for (guint i = 0; i < s->n_partitions; i++) {
		SimSnapPartition *p = &s->partitions[i];
		g_free(p->name);
		g_free(p->stop_reason);
		g_free(p->console_last);
		g_free(p->vps);
	}
	g_free(s->partitions);
	g_free(s->channels);
	g_free(s->devices);
	g_free(s);
}

const SimSnapPartition *sim_snapshot_partition(const SimSnapshot *s, uint32_t id)
{
	g_return_val_if_fail(s != NULL, NULL);
	for (guint i = 0; i < s->n_partitions; i++)
		if (s->partitions[i].id == id)
			return &s->partitions[i];
	return NULL;
}
