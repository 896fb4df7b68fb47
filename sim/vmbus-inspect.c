/* vmbus-inspect.c — the simulator watching VMBus from outside: every
 * HvPostMessage of VMBus type and every HvSignalEvent between a parent and
 * its child is decoded with the hosted vmbus/ library, and the channel
 * state it implies is kept here (offers, GPADLs, open rings) so that a
 * signal can be shown with the ring it is about: both indices and the next
 * packet, read from guest memory at that moment. Sim thread; observes only
 * (nothing here changes what the guests see).
 *
 * The guests' messages are hostile input for this code too: every message
 * is validated before any field is believed, GPADL page lists are bounded,
 * and a ring is decoded from a private copy of its pages through the
 * library's checked reader, so a lying guest gets a `vmbus` event saying
 * what was wrong and nothing else. */
#include <string.h>

#include "sim-private.h"
#include "sim-snapshot.h"
#include "vmbus-channel.h"
#include "vmbus-proto.h"
#include "vmbus-ring.h"

#define GPADL_MAX_PAGES 64u   /* pages the inspector follows per GPADL */
#define INSPECT_MAX     32u   /* GPADLs / channels remembered per machine */

typedef struct InspectGpadl {
	uint32_t child;            /* partition that described it */
	uint32_t id;
	uint32_t n_pages, expected_pages;
	uint64_t pfn[GPADL_MAX_PAGES];
} InspectGpadl;

typedef struct InspectChannel {
	uint32_t child;
	uint32_t relid;
	uint32_t connection_id;    /* the child signals the parent on it (offer) */
	struct vmbus_guid type;    /* the offer's interface type (device class) */
	uint32_t ring_gpadl;       /* OPENCHANNEL */
	uint32_t downstream_page;  /* first page of the parent->child ring */
	bool open;
	/* Control-page fields as last seen, per ring (0 child->parent, 1
	 * parent->child): write index, read index, interrupt mask. */
	uint32_t seen[2][3];
	bool seen_valid[2];
} InspectChannel;

struct SimVmbusInspect {
	InspectGpadl gpadl[INSPECT_MAX];
	guint n_gpadl;
	InspectChannel chan[INSPECT_MAX];
	guint n_chan;
};

void sim_vmbus_inspect_free(SimVmbusInspect *v)
{
	g_free(v);
}

static SimVmbusInspect *inspect_of(SimMachine *m)
{
	if (!m->vmbus)
		m->vmbus = g_new0(SimVmbusInspect, 1);
	return m->vmbus;
}

static InspectChannel *find_channel(SimVmbusInspect *v, uint32_t child, uint32_t relid)
{
	for (guint i = 0; i < v->n_chan; i++)
		if (v->chan[i].child == child && v->chan[i].relid == relid)
			return &v->chan[i];
	return NULL;
}

static InspectChannel *add_channel(SimVmbusInspect *v, uint32_t child, uint32_t relid)
{
	InspectChannel *c = find_channel(v, child, relid);
	if (c || v->n_chan >= INSPECT_MAX)
		return c;
	c = &v->chan[v->n_chan++];
	memset(c, 0, sizeof *c);
	c->child = child;
	c->relid = relid;
	return c;
}

static InspectGpadl *find_gpadl(SimVmbusInspect *v, uint32_t child, uint32_t id)
{
	for (guint i = 0; i < v->n_gpadl; i++)
		if (v->gpadl[i].child == child && v->gpadl[i].id == id)
			return &v->gpadl[i];
	return NULL;
}

/* A page number whose address does not fit 64 bits names no page: the
 * list stops before it, so the inspector never reads an aliased page. */
static void clamp_pfns(InspectGpadl *g)
{
	for (uint32_t i = 0; i < g->n_pages; i++)
		if (g->pfn[i] > (UINT64_MAX >> 12)) {
			g->n_pages = i;
			return;
		}
}

static void emit(SimVp *vp, uint8_t kind, uint32_t to, uint32_t msgtype, uint32_t relid, uint32_t status,
                 const char *fmt, ...) G_GNUC_PRINTF(7, 8);
static void emit(SimVp *vp, uint8_t kind, uint32_t to, uint32_t msgtype, uint32_t relid, uint32_t status,
                 const char *fmt, ...)
{
	SimEvent ev;
	va_list ap;
	sim_event_init(&ev, SIM_EV_VMBUS);
	ev.u.vmbus.kind = kind;
	ev.u.vmbus.to = to;
	ev.u.vmbus.msgtype = msgtype;
	ev.u.vmbus.relid = relid;
	ev.u.vmbus.status = status;
	va_start(ap, fmt);
	g_vsnprintf(ev.text, sizeof ev.text, fmt, ap);
	va_end(ap);
	sim_vp_emit(vp, &ev);
}

/* The child of a parent/child pair: who owns the GPADLs and rings. */
static uint32_t child_of(SimPartition *a, SimPartition *b)
{
	if (a->parent_id == b->id)
		return a->id;
	if (b->parent_id == a->id)
		return b->id;
	return 0;
}

void sim_vmbus_observe_post(SimVp *sender, SimPartition *target, uint32_t type, const void *payload, uint32_t size)
{
	if (type != VMBUS_POST_MESSAGE_TYPE)
		return;
	SimPartition *from = sender->partition;
	uint32_t child = child_of(from, target);
	if (!child)
		return; /* not between a parent and its child: not VMBus as modelled */
	SimVmbusInspect *v = inspect_of(from->machine);
	uint32_t msgtype = size >= 4 ? *(const uint32_t *)payload : 0;
	uint32_t relid = 0;
	vmbus_msg_channel_relid(payload, size, &relid);
	enum vmbus_msg_status st = vmbus_msg_validate(payload, size);
	if (st != VMBUS_MSG_OK) {
		emit(sender, SIM_VMBUS_MESSAGE, target->id, msgtype, relid, st, "%s from partition %u refused by the inspector: %s",
		     vmbus_msgtype_name(msgtype), from->id, vmbus_msg_status_name(st));
		return;
	}
	const guint8 *p = payload;
	switch (msgtype) {
	case VMBUS_MSG_OFFERCHANNEL: {
		struct vmbus_msg_offer_channel o;
		memcpy(&o, p, sizeof o);
		InspectChannel *c = add_channel(v, child, o.child_relid);
		if (c) {
			c->connection_id = o.connection_id;
			c->type = o.interface_type;
		}
		emit(sender, SIM_VMBUS_MESSAGE, target->id, msgtype, o.child_relid, 0,
		     "OFFERCHANNEL relid %u, signal connection %u", o.child_relid, o.connection_id);
		return;
	}
	case VMBUS_MSG_GPADL_HEADER: {
		struct vmbus_msg_gpadl_header h;
		memcpy(&h, p, sizeof h);
		InspectGpadl *g = find_gpadl(v, child, h.gpadl);
		if (!g && v->n_gpadl < INSPECT_MAX)
			g = &v->gpadl[v->n_gpadl++];
		if (g && h.rangecount >= 1 && size >= sizeof h + sizeof(struct vmbus_gpa_range)) {
			struct vmbus_gpa_range r;
			memcpy(&r, p + sizeof h, sizeof r);
			memset(g, 0, sizeof *g);
			g->child = child;
			g->id = h.gpadl;
			g->expected_pages = (uint32_t)(((uint64_t)r.byte_offset + r.byte_count + VMBUS_PAGE_SIZE - 1) / VMBUS_PAGE_SIZE);
			uint32_t here = (uint32_t)((size - sizeof h - sizeof r) / 8);
			for (uint32_t i = 0; i < here && g->n_pages < GPADL_MAX_PAGES && i < g->expected_pages; i++)
				memcpy(&g->pfn[g->n_pages++], p + sizeof h + sizeof r + 8 * i, 8);
			clamp_pfns(g);
		}
		emit(sender, SIM_VMBUS_MESSAGE, target->id, msgtype, h.child_relid, 0,
		     "GPADL_HEADER gpadl %u for relid %u: %u page%s%s", h.gpadl, h.child_relid,
		     g ? g->expected_pages : 0, g && g->expected_pages == 1 ? "" : "s",
		     g && g->n_pages < g->expected_pages ? " (more in GPADL_BODY)" : "");
		return;
	}
	case VMBUS_MSG_GPADL_BODY: {
		struct vmbus_msg_gpadl_body b;
		memcpy(&b, p, sizeof b);
		InspectGpadl *g = find_gpadl(v, child, b.gpadl);
		uint32_t here = (uint32_t)((size - sizeof b) / 8);
		for (uint32_t i = 0; g && i < here && g->n_pages < GPADL_MAX_PAGES && g->n_pages < g->expected_pages; i++)
			memcpy(&g->pfn[g->n_pages++], p + sizeof b + 8 * i, 8);
		if (g)
			clamp_pfns(g);
		emit(sender, SIM_VMBUS_MESSAGE, target->id, msgtype, 0, 0, "GPADL_BODY gpadl %u: %u more page%s",
		     b.gpadl, here, here == 1 ? "" : "s");
		return;
	}
	case VMBUS_MSG_OPENCHANNEL: {
		struct vmbus_msg_open_channel o;
		memcpy(&o, p, sizeof o);
		InspectChannel *c = add_channel(v, child, o.child_relid);
		if (c) {
			c->ring_gpadl = o.ring_gpadl;
			c->downstream_page = o.downstream_page_offset;
		}
		emit(sender, SIM_VMBUS_MESSAGE, target->id, msgtype, o.child_relid, 0,
		     "OPENCHANNEL relid %u: rings in gpadl %u, parent->child ring from page %u", o.child_relid,
		     o.ring_gpadl, o.downstream_page_offset);
		return;
	}
	case VMBUS_MSG_OPENCHANNEL_RESULT: {
		struct vmbus_msg_open_result r;
		memcpy(&r, p, sizeof r);
		InspectChannel *c = find_channel(v, child, r.child_relid);
		if (c)
			c->open = r.status == 0;
		emit(sender, SIM_VMBUS_MESSAGE, target->id, msgtype, r.child_relid, r.status,
		     "OPENCHANNEL_RESULT relid %u: %s", r.child_relid, r.status == 0 ? "open" : "refused");
		return;
	}
	case VMBUS_MSG_CLOSECHANNEL:
	case VMBUS_MSG_RESCIND_CHANNELOFFER: {
		InspectChannel *c = find_channel(v, child, relid);
		if (c)
			c->open = false;
		break;
	}
	default:
		break;
	}
	emit(sender, SIM_VMBUS_MESSAGE, target->id, msgtype, relid, 0, "%s", vmbus_msgtype_name(msgtype));
}

/* Bytes [off, off + len) of a ring's data area (which starts one page after
 * the control page, `first`), wrapping at `d`, page by page through the
 * child's memory. */
static bool read_data(SimPartition *childp, const InspectGpadl *g, uint32_t first, uint32_t d, uint32_t off,
                      void *buf, uint32_t len)
{
	guint8 *b = buf;
	while (len) {
		off %= d;
		uint32_t page = first + 1 + off / VMBUS_PAGE_SIZE, in_page = off % VMBUS_PAGE_SIZE;
		uint32_t chunk = MIN(len, MIN(VMBUS_PAGE_SIZE - in_page, d - off));
		if (page >= g->n_pages ||
		    !sim_memory_read(&childp->mem, g->pfn[page] * VMBUS_PAGE_SIZE + in_page, b, chunk))
			return false;
		b += chunk;
		off += chunk;
		len -= chunk;
	}
	return true;
}

/* One direction's ring of `c`, read where it lies in the child's memory:
 * the indices from its control page and the descriptor of the next packet,
 * each checked as the library's reader would (nothing else is copied). */
static bool describe_ring(SimPartition *childp, SimVmbusInspect *v, const InspectChannel *c, bool to_parent,
                          SimEvent *ev)
{
	InspectGpadl *g = find_gpadl(v, c->child, c->ring_gpadl);
	if (!g || g->n_pages < 2 || c->downstream_page == 0 || c->downstream_page >= g->n_pages)
		return false;
	uint32_t first = to_parent ? 0 : c->downstream_page;
	uint32_t pages = to_parent ? c->downstream_page : g->n_pages - c->downstream_page;
	if (pages < 2)
		return false;
	uint32_t d = (pages - 1) * VMBUS_PAGE_SIZE;
	uint32_t idx[2];   /* write_index, read_index: the first 8 bytes of the control page */
	if (!sim_memory_read(&childp->mem, g->pfn[first] * VMBUS_PAGE_SIZE, idx, sizeof idx))
		return false;
	uint32_t w = idx[0], r = idx[1];
	ev->u.vmbus.write_index = w;
	ev->u.vmbus.read_index = r;
	enum vmbus_ring_status st = VMBUS_RING_OK;
	if (w >= d)
		st = VMBUS_RING_ERR_WRITE_INDEX_RANGE;
	else if (w % VMBUS_PACKET_ALIGN)
		st = VMBUS_RING_ERR_WRITE_INDEX_ALIGN;
	else if (r >= d)
		st = VMBUS_RING_ERR_READ_INDEX_RANGE;
	else if (r % VMBUS_PACKET_ALIGN)
		st = VMBUS_RING_ERR_READ_INDEX_ALIGN;
	if (st == VMBUS_RING_OK) {
		uint32_t avail = vmbus_ring_avail_bytes(d, w, r);
		ev->u.vmbus.avail = avail;
		struct vmbus_packet_desc desc;
		if (avail >= sizeof desc + VMBUS_PACKET_TRAILER_SIZE &&
		    read_data(childp, g, first, d, r, &desc, sizeof desc)) {
			uint64_t len = (uint64_t)desc.len8 * 8;
			if (len < sizeof desc)
				st = VMBUS_RING_ERR_LEN8_SMALL;
			else if (len + VMBUS_PACKET_TRAILER_SIZE > avail)
				st = VMBUS_RING_ERR_LEN8_BEYOND_DATA;
			ev->u.vmbus.packet_type = desc.type;
			ev->u.vmbus.packet_len = (uint32_t)len;
		} else if (avail) {
			st = VMBUS_RING_ERR_TRUNCATED;
		}
	}
	ev->u.vmbus.ring_status = (uint8_t)st;
	return true;
}

/* The first 12 bytes of ring `dir`'s control page: write, read, mask. */
static bool ring_ctl(SimPartition *childp, SimVmbusInspect *v, const InspectChannel *c, int dir, uint32_t out[3])
{
	InspectGpadl *g = find_gpadl(v, c->child, c->ring_gpadl);
	if (!g || c->downstream_page == 0 || c->downstream_page >= g->n_pages)
		return false;
	uint32_t first = dir == 0 ? 0 : c->downstream_page;
	return sim_memory_read(&childp->mem, g->pfn[first] * VMBUS_PAGE_SIZE, out, 3 * sizeof(uint32_t));
}

static const char *const ring_name[2] = { "child->parent", "parent->child" };

/* Compares a channel's rings with what was seen last and reports, as `vp`,
 * the changes `vp`'s partition made: packets written (write index moved,
 * producer side), packets consumed (read index moved, consumer side), the
 * consumer's interrupt mask set or cleared. Guest memory is read as is:
 * indices are reported, not believed (nothing is dereferenced). */
static void poll_channel(SimVp *vp, SimPartition *childp, SimVmbusInspect *v, InspectChannel *c)
{
	bool is_child = vp->partition->id == c->child;
	uint32_t now_all[2][3];
	bool have[2];
	for (int dir = 0; dir < 2; dir++) {
		have[dir] = ring_ctl(childp, v, c, dir, now_all[dir]);
		if (have[dir] && !c->seen_valid[dir]) {
			memcpy(c->seen[dir], now_all[dir], sizeof now_all[dir]);
			c->seen_valid[dir] = true;
			have[dir] = false;
		}
	}
	/* Reads and mask changes first, then writes: within one slice a side
	 * typically consumes what it was sent, then sends. */
	static const int order[3] = { 1, 2, 0 };
	static const uint8_t kinds[3] = { SIM_VMBUS_RING_WRITE, SIM_VMBUS_RING_READ, SIM_VMBUS_RING_MASK };
	for (int k = 0; k < 3; k++)
	for (int dir = 0; dir < 2; dir++) {
		if (!have[dir])
			continue;
		uint32_t *now = now_all[dir];
		bool producer = (dir == 0) == is_child;   /* the child writes ring 0, the parent ring 1 */
		{
			int f = order[k];
			if (now[f] == c->seen[dir][f])
				continue;
			/* Writes belong to the producer, reads and the mask to the consumer. */
			if ((f == 0) != producer)
				continue;
			SimEvent ev;
			sim_event_init(&ev, SIM_EV_VMBUS);
			ev.u.vmbus.kind = kinds[f];
			ev.u.vmbus.to = is_child ? vp->partition->parent_id : c->child;
			ev.u.vmbus.relid = c->relid;
			ev.u.vmbus.write_index = now[0];
			ev.u.vmbus.read_index = now[1];
			ev.u.vmbus.status = now[2];
			ev.u.vmbus.msgtype = (uint32_t)dir;
			if (f == 0)
				g_snprintf(ev.text, sizeof ev.text, "relid %u: packets written to the %s ring (write index %u -> %u)",
				           c->relid, ring_name[dir], c->seen[dir][0], now[0]);
			else if (f == 1)
				g_snprintf(ev.text, sizeof ev.text, "relid %u: packets read from the %s ring (read index %u -> %u)",
				           c->relid, ring_name[dir], c->seen[dir][1], now[1]);
			else
				g_snprintf(ev.text, sizeof ev.text, "relid %u: interrupts from the %s ring %s by its reader",
				           c->relid, ring_name[dir], now[2] ? "masked" : "unmasked");
			sim_vp_emit(vp, &ev);
			c->seen[dir][f] = now[f];
		}
	}
}

void sim_vmbus_poll(SimVp *vp)
{
	SimMachine *m = vp->partition->machine;
	SimVmbusInspect *v = m->vmbus;
	if (!v)
		return;
	SimPartition *p = vp->partition;
	for (guint i = 0; i < v->n_chan; i++) {
		InspectChannel *c = &v->chan[i];
		if (!c->open)
			continue;
		SimPartition *childp = sim_machine_find_partition(m, c->child);
		if (childp && p->id != c->child && childp->parent_id != p->id)
			continue;   /* neither end of this channel ran */
		if (!childp || childp->stopped) {
			c->open = false;   /* gone: nothing more to watch */
			continue;
		}
		poll_channel(vp, childp, v, c);
	}
}

void sim_vmbus_observe_signal(SimVp *sender, SimPartition *target, uint32_t connection_id, unsigned flag)
{
	SimPartition *from = sender->partition;
	uint32_t child = child_of(from, target);
	if (!child || !from->machine->vmbus)
		return;
	SimVmbusInspect *v = from->machine->vmbus;
	bool to_parent = from->id == child;
	/* Which channel: the one whose relid is the event flag set (Win8+
	 * hosts and guests signal flag = relid, facts §5.6); otherwise, from
	 * the child, the channel whose offer named this connection. */
	InspectChannel *c = NULL;
	for (guint i = 0; i < v->n_chan && !c; i++)
		if (v->chan[i].child == child && v->chan[i].open && v->chan[i].relid == flag)
			c = &v->chan[i];
	for (guint i = 0; i < v->n_chan && !c && to_parent; i++)
		if (v->chan[i].child == child && v->chan[i].open && v->chan[i].connection_id == connection_id)
			c = &v->chan[i];
	if (!c)
		return;
	SimPartition *childp = to_parent ? from : target;
	/* What the signaller did to the rings comes first in the trace. */
	poll_channel(sender, childp, v, c);
	SimEvent ev;
	sim_event_init(&ev, SIM_EV_VMBUS);
	ev.u.vmbus.kind = SIM_VMBUS_SIGNAL;
	ev.u.vmbus.to = target->id;
	ev.u.vmbus.relid = c->relid;
	bool ok = describe_ring(childp, v, c, to_parent, &ev);
	g_snprintf(ev.text, sizeof ev.text,
	           ok ? "signal: relid %u, %s ring write %u read %u, %u bytes waiting" : "signal: relid %u, %s ring unreadable",
	           c->relid, to_parent ? "child->parent" : "parent->child", ev.u.vmbus.write_index,
	           ev.u.vmbus.read_index, ev.u.vmbus.avail);
	sim_vp_emit(sender, &ev);
}

/* The device class an offer names, in a word (VMBus §7.1 GUIDs). */
static const char *type_name(const struct vmbus_guid *g)
{
	static const struct { struct vmbus_guid guid; const char *name; } known[] = {
		{ VMBUS_GUID_SCSI, "storage (SCSI)" },
		{ VMBUS_GUID_IDE_ACCEL, "storage (IDE)" },
		{ VMBUS_GUID_NETWORK, "network" },
		{ VMBUS_GUID_KEYBOARD, "keyboard" },
		{ VMBUS_GUID_MOUSE, "mouse" },
		{ VMBUS_GUID_VIDEO, "video" },
		{ VMBUS_GUID_VPCI, "PCI pass-through" },
		{ VMBUS_GUID_IC_SHUTDOWN, "shutdown IC" },
		{ VMBUS_GUID_IC_TIMESYNC, "time sync IC" },
		{ VMBUS_GUID_IC_HEARTBEAT, "heartbeat IC" },
		{ VMBUS_GUID_IC_KVP, "KVP IC" },
		{ VMBUS_GUID_IC_VSS, "VSS IC" },
		{ VMBUS_GUID_DYNAMIC_MEMORY, "dynamic memory" },
	};
	for (guint i = 0; i < G_N_ELEMENTS(known); i++)
		if (memcmp(&known[i].guid, g, sizeof *g) == 0)
			return known[i].name;
	static const struct vmbus_guid zero;
	return memcmp(&zero, g, sizeof zero) == 0 ? "not offered yet" : "unknown class";
}

guint sim_vmbus_snapshot_channels(SimMachine *m, SimSnapChannel *out, guint max)
{
	SimVmbusInspect *v = m->vmbus;
	guint n = 0;
	if (!v)
		return 0;
	for (guint i = 0; i < v->n_chan && n < max; i++) {
		InspectChannel *c = &v->chan[i];
		SimSnapChannel *o = &out[n++];
		memset(o, 0, sizeof *o);
		o->child_id = c->child;
		o->relid = c->relid;
		g_strlcpy(o->type_name, type_name(&c->type), sizeof o->type_name);
		SimPartition *childp = sim_machine_find_partition(m, c->child);
		o->open = c->open && childp && !childp->stopped;
		InspectGpadl *g = find_gpadl(v, c->child, c->ring_gpadl);
		if (!o->open || !g || c->downstream_page == 0 || c->downstream_page >= g->n_pages)
			continue;
		for (int dir = 0; dir < 2; dir++) {
			uint32_t ctl[3];
			uint32_t pages = dir == 0 ? c->downstream_page : g->n_pages - c->downstream_page;
			if (pages < 2 || !ring_ctl(childp, v, c, dir, ctl))
				continue;
			/* As the guest has them: reported, not believed. */
			o->write_index[dir] = ctl[0];
			o->read_index[dir] = ctl[1];
			o->data_size[dir] = (pages - 1) * VMBUS_PAGE_SIZE;
		}
	}
	return n;
}
