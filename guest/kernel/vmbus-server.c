/* vmbus-server.c — the parent's VMBus server: the root side of the control
 * protocol (facts §5) for the child its worker runs, with two channels: a
 * heartbeat-class one served by a tiny ping/pong VSP here, and a storage
 * one served by storvsp.c. Guest ring 0, freestanding, root partition
 * only; everything runs in the handler of HVSIM_VECTOR_VMBUS (IF = 0).
 *
 * How a child's words reach us: the child posts to its connection 1, which
 * the worker bound to our port HVSIM_VMBUS_PARENT_ID(child, MESSAGE) on
 * SINT 2 of our VP 0; the hypervisor puts the message in our SIM slot 2
 * (origin = that port id) and raises our vector. The child's channel
 * signals come the same way as SIEF flags of SINT 2, flag = relid (one
 * event port per channel). We answer with HvCallPostMessage /
 * HvCallSignalEvent through the parent's connections to the child's ports
 * (hvsim-platform.h lists all twelve ends).
 *
 * Everything the child sends is hostile: each message is copied out of the
 * slot, checked by vmbus_msg_validate and by the connection and channel
 * state machines (vmbus-channel.h) before anything acts on it, and a GPADL
 * is believed only after every page it names was found in the child's RAM.
 * A rejected message costs a line, never the server.
 *
 * The life cycle ends the way it began, through the same state machines:
 * CLOSECHANNEL stops reading a channel's rings, GPADL_TEARDOWN forgets a
 * GPADL's pages (GPADL_TORNDOWN), UNLOAD closes and forgets everything
 * (UNLOAD_RESPONSE). After that, and after a child that never unloaded is
 * finalized, no address into the child's RAM is left here: nothing can
 * make us touch its pages again. */
#include "vmbus-server.h"
#include "storvsp.h"
#include "vid.h"
#include "vmbus-synic.h"

/* NTSTATUS STATUS_UNSUCCESSFUL: what a Hyper-V host puts in a failed
 * GPADL_CREATED / OPENCHANNEL_RESULT (facts §7.4 lists the NTSTATUS values). */
#define SRV_STATUS_FAILED 0xC0000001u
/* A ring is a control page plus at least one data page (facts §6.1). */
#define SRV_RING_MIN_PAGES 2u
/* Bytes of a child's packet payload shown on the console. */
#define SRV_SHOW_MAX 32u
/* Largest packet the VSP takes (on the trap stack); a bigger one stops the
 * channel (ERR_BUFFER_SMALL). */
#define SRV_PACKET_MAX 512u

/* Our SIEF page (the SIM page is the VID driver's) and our own hypercall
 * parameter page: the handler may interrupt ring 3 code only, never a VID
 * request in the middle of filling hv_input_page, but a page of our own
 * makes that independent of how the VID driver runs. */
static uint8_t srv_siefp[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
static uint8_t srv_input[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));

/* The devices we offer: a heartbeat integration component (facts §7.5:
 * one channel, in-band packets only) and a SCSI controller (facts §7.4).
 * The instance GUIDs are ours: "HVSIM" heartbeat 1, storage 2. */
static const struct vmbus_guid srv_heartbeat_class = VMBUS_GUID_IC_HEARTBEAT;
static const struct vmbus_guid srv_heartbeat_instance =
	VMBUS_GUID_INIT(0x4d495348, 0x0056, 0x0001, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01);
static const struct vmbus_guid srv_storage_class = VMBUS_GUID_SCSI;
static const struct vmbus_guid srv_storage_instance =
	VMBUS_GUID_INIT(0x4d495348, 0x0056, 0x0002, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02);

/* One GPADL of the child: contiguous pages of its RAM (rings are reached
 * in one piece), announced by GPADL_HEADER and, when more pages than fit
 * in it, completed by GPADL_BODY messages. */
struct srv_gpadl {
	uint32_t id;                 /* 0: free */
	uint32_t relid;              /* the channel it was announced on */
	bool complete;               /* every page arrived and was checked */
	uint64_t first_pfn;
	uint32_t pages, have;        /* announced / arrived (and checked) */
	uint32_t bodies;             /* GPADL_BODY messages taken */
};

/* GPADLs served at once (each channel's ring, plus room for a hostile
 * child's extras): one more is refused. */
#define SRV_GPADLS 4u

/* One offered channel as the server sees it. */
struct srv_channel {
	uint32_t relid;
	uint32_t signal_kind;        /* HVSIM_VMBUS_KIND_*: our connection to the child's port */
	const struct vmbus_guid *class, *instance;
	uint32_t child_connection;   /* what the offer tells the child to signal */
	/* The open channel: upstream (child -> us) and downstream rings, in
	 * the child's pages of GPADL ring_gpadl, reached in place. When
	 * closed, both rings are zeroed: no pointer into the child's RAM. */
	bool open;
	uint32_t ring_gpadl;
	struct vmbus_ring up, down;
	uint64_t packets;
};

/* Offer order: storage first. The order is the host's choice; this one
 * suits the simulator's VMBus inspector, which shows a parent -> child
 * signal with the child's first open channel in offer order: the child
 * opens the heartbeat channel and finishes its ping before it opens the
 * storage channel, so each signal is shown with its own channel. */
enum { SRV_STORAGE, SRV_HEARTBEAT, SRV_CHANNELS };

/* The server's view of the one child it serves. */
static struct vmbus_server {
	bool ready;                  /* SINT 2 and the SIEF page are on */
	uint8_t *simp;               /* the VID driver's SIM page */
	uint64_t child;              /* 0: nobody served */
	uint64_t base, bytes;        /* the child's RAM in ours: child GPA g at base + g */
	struct vmbus_end end;        /* connection and channel states */
	struct srv_channel chan[SRV_CHANNELS];
	struct srv_gpadl gpadl[SRV_GPADLS];
	struct storvsp storage;      /* the storage channel's device */
	bool unloaded;               /* the child said UNLOAD (and was answered) */
} srv;

static struct srv_gpadl *srv_gpadl_find(uint32_t id)
{
	for (unsigned i = 0; id != 0 && i < SRV_GPADLS; i++)
		if (srv.gpadl[i].id == id)
			return &srv.gpadl[i];
	return NULL;
}

/* Stops using a channel's rings: the pointers into the child's pages go. */
static void srv_close_channel(struct srv_channel *ch)
{
	ch->open = false;
	ch->ring_gpadl = 0;
	memset(&ch->up, 0, sizeof(ch->up));
	memset(&ch->down, 0, sizeof(ch->down));
	if (ch == &srv.chan[SRV_STORAGE])
		storvsp_close(&srv.storage);
}

/* Closes every channel and forgets every GPADL; how many of each there
 * were, for the line. */
static void srv_drop_all(unsigned *channels, unsigned *gpadls)
{
	*channels = *gpadls = 0;
	for (unsigned i = 0; i < SRV_CHANNELS; i++) {
		if (srv.chan[i].open)
			(*channels)++;
		srv_close_channel(&srv.chan[i]);
	}
	for (unsigned i = 0; i < SRV_GPADLS; i++) {
		if (srv.gpadl[i].id)
			(*gpadls)++;
		memset(&srv.gpadl[i], 0, sizeof(srv.gpadl[i]));
	}
}

static struct srv_channel *srv_channel(uint32_t relid)
{
	for (unsigned i = 0; i < SRV_CHANNELS; i++)
		if (srv.chan[i].relid == relid)
			return &srv.chan[i];
	return NULL;
}

bool vmbus_server_init(const struct hv_info *hv)
{
	srv.simp = vid_sim_page();
	if (!srv.simp) {
		klog("[vmbus] the VID driver has no SIM page: no VMBus server\n");
		return false;
	}
	if (!vmbus_synic_enable(hv, NULL, srv_siefp))
		return false;
	vmbus_role = VMBUS_ROLE_SERVER;
	srv.ready = true;
	kdetail("[vmbus] server: SINT%u -> vector 0x%x (messages in SIM slot %u, channel signals in "
		"the SIEF page at %p)\n", HVSIM_VMBUS_SINT, HVSIM_VECTOR_VMBUS, HVSIM_VMBUS_SINT,
		(void *)srv_siefp);
	return true;
}

static void srv_reset_child(void)
{
	uint8_t *simp = srv.simp;
	bool ready = srv.ready;

	memset(&srv, 0, sizeof(srv));
	srv.simp = simp;
	srv.ready = ready;
	srv.end.conn = VMBUS_CONN_DISCONNECTED;
	srv.chan[SRV_HEARTBEAT] = (struct srv_channel){
		.relid = HVSIM_VMBUS_RELID, .signal_kind = HVSIM_VMBUS_KIND_EVENT,
		.class = &srv_heartbeat_class, .instance = &srv_heartbeat_instance,
		.child_connection = HVSIM_VMBUS_CHILD_SIGNAL_CONNECTION,
	};
	srv.chan[SRV_STORAGE] = (struct srv_channel){
		.relid = HVSIM_VMBUS_STORAGE_RELID, .signal_kind = HVSIM_VMBUS_KIND_STORAGE_EVENT,
		.class = &srv_storage_class, .instance = &srv_storage_instance,
		.child_connection = HVSIM_VMBUS_STORAGE_SIGNAL_CONNECTION,
	};
}

bool vmbus_server_attach(uint64_t id, uint64_t base, uint64_t bytes)
{
	if (!srv.ready) {
		klog("[vmbus] VMBus for partition %lu refused: the server is not running\n", id);
		return false;
	}
	if (srv.child != 0 && srv.child != id) {
		klog("[vmbus] VMBus for partition %lu refused: the server serves partition %lu\n", id,
		     srv.child);
		return false;
	}
	srv_reset_child();
	srv.child = id;
	srv.base = base;
	srv.bytes = bytes;
	storvsp_reset(&srv.storage, id, base, bytes);
	kdetail("[vmbus] server: serving partition %lu (its RAM at 0x%lx, %lu KiB); waiting for "
		"INITIATE_CONTACT on port %u\n", id, base, bytes >> 10,
		HVSIM_VMBUS_PARENT_ID(id, HVSIM_VMBUS_KIND_MESSAGE));
	return true;
}

void vmbus_server_detach(uint64_t id)
{
	unsigned channels, gpadls;

	if (srv.child != id || id == 0)
		return;
	/* A child that crashed or was stopped before UNLOAD: its channels
	 * and GPADLs are dropped here, without a message to it (it runs no
	 * more); from now on no address into its RAM is left. */
	srv_drop_all(&channels, &gpadls);
	if (channels || gpadls || (!srv.unloaded && srv.end.conn != VMBUS_CONN_DISCONNECTED))
		klog("[vmbus] server: partition %lu gone without UNLOAD: %u open channel%s dropped, %u "
		     "GPADL%s forgotten; its pages are no longer touched\n", id, channels,
		     channels == 1 ? "" : "s", gpadls, gpadls == 1 ? "" : "s");
	kdetail("[vmbus] server: partition %lu gone (%lu heartbeat packets, %lu storage requests, %lu "
		"refused): its pages are forgotten\n", id, srv.chan[SRV_HEARTBEAT].packets,
		srv.storage.requests, srv.storage.refused);
	srv_reset_child();
}

static void srv_send(const void *msg, uint32_t len)
{
	const char *name = vmbus_synic_msg_name(msg, len);
	enum vmbus_msg_status st = vmbus_end_step(&srv.end, msg, len);
	uint16_t status;

	if (st != VMBUS_MSG_OK) {
		klog("[vmbus] server bug: our own %s is %s in connection state %s: not sent\n", name,
		     vmbus_msg_status_name(st), vmbus_conn_state_name(srv.end.conn));
		return;
	}
	status = vmbus_synic_post(srv_input, HVSIM_VMBUS_PARENT_ID(srv.child, HVSIM_VMBUS_KIND_MESSAGE),
				  msg, len);
	if (status == HV_STATUS_SUCCESS)
		kdetail("[vmbus] server -> child %lu: %s (HvCallPostMessage)\n", srv.child, name);
	else
		klog("[vmbus] server -> child %lu: %s: HvCallPostMessage status 0x%04x %s\n", srv.child,
		     name, status, hv_status_name(status));
}

static void srv_signal(const struct srv_channel *ch)
{
	uint16_t status = vmbus_synic_signal(HVSIM_VMBUS_PARENT_ID(srv.child, ch->signal_kind), 0);

	if (status != HV_STATUS_SUCCESS)
		klog("[vmbus] server -> child %lu: HvCallSignalEvent status 0x%04x %s\n", srv.child,
		     status, hv_status_name(status));
}

/* ---- Control messages (facts §5.5) ------------------------------------------------ */

static void srv_initiate_contact(const struct vmbus_msg_initiate_contact *m)
{
	struct vmbus_msg_version_response r;
	bool ok = m->version_requested == VMBUS_VERSION_WIN10;

	/* 4.0 only: below 5.0 the child keeps posting to connection 1
	 * (facts §5.1), which is how the worker wired it; a 5.0+ child would
	 * move to connection 4, which nobody connected. It retries lower. */
	kdetail("[vmbus] server: child %lu asks for protocol %u.%u: %s\n", srv.child,
		m->version_requested >> 16, m->version_requested & 0xFFFF,
		ok ? "accepted" : "refused (this server speaks 4.0 only)");
	memset(&r, 0, sizeof(r));
	r.hdr.msgtype = VMBUS_MSG_VERSION_RESPONSE;
	r.version_supported = ok;
	r.connection_state = VMBUS_CONNECTION_SUCCESS;
	r.msg_conn_id = VMBUS_MESSAGE_CONNECTION_ID;
	srv_send(&r, sizeof(r));
}

static void srv_request_offers(void)
{
	struct vmbus_msg_offer_channel o;
	struct vmbus_msg_header all;

	for (unsigned i = 0; i < SRV_CHANNELS; i++) {
		memset(&o, 0, sizeof(o));
		o.hdr.msgtype = VMBUS_MSG_OFFERCHANNEL;
		o.interface_type = *srv.chan[i].class;
		o.interface_instance = *srv.chan[i].instance;
		o.child_relid = srv.chan[i].relid;
		o.monitor_allocated = 0;           /* signal with hypercalls, no monitor page */
		o.is_dedicated_interrupt = 1;
		o.connection_id = srv.chan[i].child_connection;
		srv_send(&o, sizeof(o));  /* creates the channel in srv.end */
	}
	memset(&all, 0, sizeof(all));
	all.msgtype = VMBUS_MSG_ALLOFFERS_DELIVERED;
	srv_send(&all, sizeof(all));
}

/* Checks `n` PFNs (unaligned u64s at `pfns`) as the pages [g->have,
 * g->have + n) of GPADL g and takes them. NULL if good, else why not. */
static const char *srv_take_pfns(struct srv_gpadl *g, const uint8_t *pfns, uint64_t n)
{
	uint64_t pfn;

	if (n > g->pages - g->have)
		return "more PFNs than its range needs";
	for (uint64_t i = 0; i < n; i++) {
		memcpy(&pfn, pfns + i * sizeof(pfn), sizeof(pfn));
		/* Every page inside the child's RAM: the one check that keeps a
		 * child from making us read or write our own memory. */
		if (pfn >= srv.bytes / VMBUS_PAGE_SIZE)
			return "a PFN lies outside the child's RAM";
		if (g->have == 0)
			g->first_pfn = pfn;
		else if (pfn != g->first_pfn + g->have)
			return "its pages are not contiguous (rings are mapped in one piece)";
		g->have++;
	}
	return NULL;
}

/* Answers GPADL g: GPADL_CREATED, success unless `why`; a refused GPADL
 * is forgotten. */
static void srv_gpadl_created(struct srv_gpadl *g, uint32_t relid, uint32_t id, const char *why)
{
	struct vmbus_msg_gpadl_created c;

	memset(&c, 0, sizeof(c));
	c.hdr.msgtype = VMBUS_MSG_GPADL_CREATED;
	c.child_relid = relid;
	c.gpadl = id;
	if (why) {
		klog("[vmbus] server: GPADL 0x%x of child %lu refused: %s\n", id, srv.child, why);
		c.creation_status = SRV_STATUS_FAILED;
		if (g)
			memset(g, 0, sizeof(*g));
	} else {
		g->complete = true;
		kdetail("[vmbus] server: GPADL 0x%x = child pages 0x%lx-0x%lx (%u%s), all in its RAM\n", id,
			g->first_pfn, g->first_pfn + g->pages - 1, g->pages,
			g->bodies ? ", header + GPADL_BODY" : "");
		if (g->bodies)
			klog("[vmbus] server: GPADL 0x%x assembled from its header and %u GPADL_BODY "
			     "message%s: %u pages\n", id, g->bodies, g->bodies == 1 ? "" : "s", g->pages);
	}
	srv_send(&c, sizeof(c));
}

static void srv_gpadl_header(const uint8_t *msg, size_t len)
{
	struct vmbus_msg_gpadl_header h;
	struct vmbus_gpa_range r;
	struct srv_gpadl *g = NULL;
	const char *why = NULL;
	uint64_t n, here;

	memcpy(&h, msg, sizeof(h));
	memcpy(&r, msg + sizeof(h), sizeof(r));
	n = ((uint64_t)r.byte_count + VMBUS_PAGE_SIZE - 1) / VMBUS_PAGE_SIZE;
	here = (len - sizeof(h) - sizeof(r)) / sizeof(uint64_t);
	if (!srv_channel(h.child_relid))
		why = "no such channel";
	else if (srv_gpadl_find(h.gpadl))
		why = "its id is in use";
	else if (h.rangecount != 1 || r.byte_offset != 0)
		why = "not one range starting on a page boundary";
	else if (n > srv.bytes / VMBUS_PAGE_SIZE)
		why = "more pages than the child's RAM";
	if (!why) {
		for (unsigned i = 0; i < SRV_GPADLS && !g; i++)
			if (srv.gpadl[i].id == 0)
				g = &srv.gpadl[i];
		if (!g)
			why = "too many GPADLs (tear one down first)";
	}
	if (!why) {
		memset(g, 0, sizeof(*g));
		g->id = h.gpadl;
		g->relid = h.child_relid;
		g->pages = (uint32_t)n;
		why = srv_take_pfns(g, msg + sizeof(h) + sizeof(r), here);
	}
	if (!why && g->have < g->pages) {
		/* The rest comes in GPADL_BODY messages (facts §5.4): answered
		 * when the last one is in. */
		kdetail("[vmbus] server: GPADL 0x%x: %u of %u pages in its header, the rest to come in "
			"GPADL_BODY\n", g->id, g->have, g->pages);
		return;
	}
	srv_gpadl_created(g, h.child_relid, h.gpadl, why);
}

static void srv_gpadl_body(const uint8_t *msg, size_t len)
{
	struct vmbus_msg_gpadl_body b;
	struct srv_gpadl *g;
	const char *why = NULL;

	memcpy(&b, msg, sizeof(b));
	g = srv_gpadl_find(b.gpadl);
	if (!g) {
		klog("[vmbus] server: GPADL_BODY for GPADL 0x%x of child %lu, which we do not hold: "
		     "ignored\n", b.gpadl, srv.child);
		return;
	}
	if (g->complete) {
		/* Nothing pending: refuse the GPADL (its pages were known). */
		why = "a GPADL_BODY after its last page";
	} else {
		g->bodies++;
		why = srv_take_pfns(g, msg + sizeof(b), (len - sizeof(b)) / sizeof(uint64_t));
		if (!why && g->have < g->pages)
			return;
	}
	if (why && g->complete) {
		/* A complete GPADL may be in use by an open channel: keep it,
		 * say so (no second GPADL_CREATED for one GPADL). */
		klog("[vmbus] server: GPADL_BODY of child %lu for GPADL 0x%x refused: %s\n", srv.child,
		     b.gpadl, why);
		return;
	}
	srv_gpadl_created(g, g->relid, g->id, why);
}

static const char *srv_attach_rings(struct srv_channel *ch, const struct vmbus_msg_open_channel *m)
{
	struct srv_gpadl *g = srv_gpadl_find(m->ring_gpadl);
	uint8_t *window;
	uint32_t off = m->downstream_page_offset;

	if (!g || g->relid != ch->relid || !g->complete)
		return "its ring GPADL does not exist on this channel";
	if (ch->open)
		return "the channel is open already";
	if (m->target_vp != HVSIM_VMBUS_VP)
		return "target VP is not VP 0 (the only one our event connection reaches)";
	if (g->pages < 2 * SRV_RING_MIN_PAGES || off < SRV_RING_MIN_PAGES ||
	    off > g->pages - SRV_RING_MIN_PAGES)
		return "the downstream ring offset leaves a ring without a data page";
	/* Our address of the child's pages: checked inside its RAM. */
	window = (uint8_t *)(uintptr_t)(srv.base + g->first_pfn * VMBUS_PAGE_SIZE);
	/* Attach, not init: the child created the rings; their control pages
	 * are the child's to reset. */
	if (vmbus_ring_attach(&ch->up, window, (size_t)off * VMBUS_PAGE_SIZE) != VMBUS_RING_OK ||
	    vmbus_ring_attach(&ch->down, window + (size_t)off * VMBUS_PAGE_SIZE,
			      (size_t)(g->pages - off) * VMBUS_PAGE_SIZE) != VMBUS_RING_OK)
		return "a ring window is not usable";
	ch->ring_gpadl = g->id;
	return NULL;
}

static void srv_open_channel(const struct vmbus_msg_open_channel *m)
{
	struct vmbus_msg_open_result r;
	struct srv_channel *ch = srv_channel(m->child_relid);
	const char *why = ch ? srv_attach_rings(ch, m) : "no such channel";

	memset(&r, 0, sizeof(r));
	r.hdr.msgtype = VMBUS_MSG_OPENCHANNEL_RESULT;
	r.child_relid = m->child_relid;
	r.open_id = m->open_id;
	if (why) {
		klog("[vmbus] server: OPENCHANNEL of relid %u refused: %s\n", m->child_relid, why);
		r.status = SRV_STATUS_FAILED;
	} else {
		ch->open = true;
		kdetail("[vmbus] server: channel %u open: upstream ring %u pages, downstream %u pages, in "
			"the child's memory (shared, not copied)\n", m->child_relid,
			m->downstream_page_offset, srv_gpadl_find(ch->ring_gpadl)->pages -
			m->downstream_page_offset);
	}
	srv_send(&r, sizeof(r));
}

/* CLOSECHANNEL (no answer in the protocol): the rings are not read again. */
static void srv_close(const struct vmbus_msg_relid *m)
{
	struct srv_channel *ch = srv_channel(m->child_relid);

	if (!ch)
		return;
	kdetail("[vmbus] server: channel %u closed by child %lu (%lu packets); its rings are no longer "
		"read\n", ch->relid, srv.child, ch->relid == HVSIM_VMBUS_STORAGE_RELID ?
		srv.storage.requests : ch->packets);
	srv_close_channel(ch);
}

/* GPADL_TEARDOWN: forget the pages, answer GPADL_TORNDOWN. A GPADL an open
 * channel's rings live in stays (the child must close first). */
static void srv_gpadl_teardown(const struct vmbus_msg_gpadl_teardown *m)
{
	struct vmbus_msg_gpadl_torndown t;
	struct srv_gpadl *g = srv_gpadl_find(m->gpadl);
	struct srv_channel *ch = srv_channel(m->child_relid);

	if (!g || g->relid != m->child_relid) {
		klog("[vmbus] server: GPADL_TEARDOWN of GPADL 0x%x on channel %u refused: no such GPADL "
		     "on that channel\n", m->gpadl, m->child_relid);
		return;
	}
	if (ch && ch->open && ch->ring_gpadl == g->id) {
		klog("[vmbus] server: GPADL_TEARDOWN of GPADL 0x%x refused: channel %u is open on it "
		     "(CLOSECHANNEL first)\n", m->gpadl, m->child_relid);
		return;
	}
	kdetail("[vmbus] server: GPADL 0x%x torn down: child pages 0x%lx-0x%lx forgotten\n", g->id,
		g->first_pfn, g->first_pfn + g->pages - 1);
	memset(g, 0, sizeof(*g));
	memset(&t, 0, sizeof(t));
	t.hdr.msgtype = VMBUS_MSG_GPADL_TORNDOWN;
	t.gpadl = m->gpadl;
	srv_send(&t, sizeof(t));
}

/* UNLOAD: every channel closed, every GPADL forgotten, then
 * UNLOAD_RESPONSE (the connection is back at DISCONNECTED: the child may
 * make contact again). */
static void srv_unload(void)
{
	struct vmbus_msg_header h;
	unsigned channels, gpadls;

	srv_drop_all(&channels, &gpadls);
	if (channels || gpadls)
		klog("[vmbus] server: child %lu unloads with %u channel%s open and %u GPADL%s: closed "
		     "and forgotten; no page of it is mapped any more\n", srv.child, channels,
		     channels == 1 ? "" : "s", gpadls, gpadls == 1 ? "" : "s");
	else
		klog("[vmbus] server: child %lu unloads, every channel closed and GPADL torn down; no "
		     "page of it is mapped any more\n", srv.child);
	srv.unloaded = true;
	memset(&h, 0, sizeof(h));
	h.msgtype = VMBUS_MSG_UNLOAD_RESPONSE;
	srv_send(&h, sizeof(h));
}

/* Why vmbus_end_step refused a message, in words for the line (a relid or
 * GPADL id that names nothing is ERR_RELID there). */
static const char *srv_reject_reason(enum vmbus_msg_status st, const uint8_t *msg, size_t len)
{
	if (st == VMBUS_MSG_ERR_RELID && vmbus_msg_validate(msg, len) == VMBUS_MSG_OK)
		return "it names a channel or GPADL this connection does not have";
	return vmbus_msg_status_name(st);
}

static void srv_message(const struct hv_message *hm)
{
	uint8_t msg[HV_MESSAGE_PAYLOAD_MAX];
	size_t len = hm->header.payload_size;
	enum vmbus_msg_status st;
	uint32_t type;

	if (srv.child == 0 ||
	    hm->header.origination_id != HVSIM_VMBUS_PARENT_ID(srv.child, HVSIM_VMBUS_KIND_MESSAGE)) {
		klog("[vmbus] message from port %lu dropped: no child served through it\n",
		     hm->header.origination_id);
		return;
	}
	if (hm->header.message_type != VMBUS_POST_MESSAGE_TYPE || len > sizeof(msg)) {
		klog("[vmbus] child %lu: message type 0x%x, %zu bytes: not a VMBus message, dropped\n",
		     srv.child, hm->header.message_type, len);
		return;
	}
	/* A private copy: checked and used, never re-read from the slot. */
	memcpy(msg, hm->payload, len);
	st = vmbus_end_step(&srv.end, msg, len);
	if (st != VMBUS_MSG_OK) {
		klog("[vmbus] child %lu: %s (%zu bytes) rejected: %s (connection %s)\n", srv.child,
		     vmbus_synic_msg_name(msg, len), len, srv_reject_reason(st, msg, len),
		     vmbus_conn_state_name(srv.end.conn));
		return;
	}
	kdetail("[vmbus] server <- child %lu: %s\n", srv.child, vmbus_synic_msg_name(msg, len));
	memcpy(&type, msg, sizeof(type));
	switch (type) {
	case VMBUS_MSG_INITIATE_CONTACT:
		srv.unloaded = false;
		srv_initiate_contact((const void *)msg);
		break;
	case VMBUS_MSG_REQUESTOFFERS:
		srv_request_offers();
		break;
	case VMBUS_MSG_GPADL_HEADER:
		srv_gpadl_header(msg, len);
		break;
	case VMBUS_MSG_GPADL_BODY:
		srv_gpadl_body(msg, len);
		break;
	case VMBUS_MSG_OPENCHANNEL:
		srv_open_channel((const void *)msg);
		break;
	case VMBUS_MSG_CLOSECHANNEL:
		srv_close((const void *)msg);
		break;
	case VMBUS_MSG_GPADL_TEARDOWN:
		srv_gpadl_teardown((const void *)msg);
		break;
	case VMBUS_MSG_UNLOAD:
		srv_unload();
		break;
	default:
		/* Legal in its state but not served (RELID_RELEASED: we never
		 * rescind): said, and otherwise ignored. */
		klog("[vmbus] child %lu: %s is not served: ignored\n", srv.child,
		     vmbus_synic_msg_name(msg, len));
		break;
	}
}

/* ---- The channel: our VSP -------------------------------------------------------- */

/* The child's packet, shown as text (its bytes, printable ones only). */
static void srv_show_packet(const struct vmbus_packet_info *info, const uint8_t *pkt)
{
	char text[SRV_SHOW_MAX + 1];
	uint32_t n = info->data_len < SRV_SHOW_MAX ? info->data_len : SRV_SHOW_MAX;
	uint32_t i;

	for (i = 0; i < n && pkt[info->data_offset + i] != 0; i++) {
		uint8_t c = pkt[info->data_offset + i];
		text[i] = (c >= ' ' && c <= '~') ? (char)c : '.';
	}
	text[i] = '\0';
	klog("[vmbus] server: packet from child %lu read in place from its ring: type %u, transaction "
	     "%lu, \"%s\"\n", srv.child, info->type, info->trans_id, text);
}

static void srv_heartbeat_event(struct srv_channel *ch)
{
	static const char reply[] = "pong";
	uint64_t pkt[SRV_PACKET_MAX / sizeof(uint64_t)];
	struct vmbus_packet_info info;
	enum vmbus_ring_status rs;
	bool signal_reader = false;

	for (;;) {
		bool sig = false;

		rs = vmbus_ring_read(&ch->up, &info, pkt, sizeof(pkt), &sig);
		if (rs == VMBUS_RING_EMPTY)
			break;
		if (rs != VMBUS_RING_OK) {
			/* The ring is the child's to corrupt: stop reading it. */
			klog("[vmbus] server: child %lu's upstream ring: %s; the channel is no longer read\n",
			     srv.child, vmbus_ring_status_name(rs));
			ch->open = false;
			return;
		}
		signal_reader |= sig;
		ch->packets++;
		srv_show_packet(&info, (const uint8_t *)pkt);
		if (info.type != VMBUS_PACKET_DATA_INBAND)
			continue;
		/* Completion: same transaction id, into the downstream ring. */
		rs = vmbus_ring_write(&ch->down, VMBUS_PACKET_COMP, 0, info.trans_id, reply, sizeof(reply),
				      &sig);
		if (rs != VMBUS_RING_OK) {
			klog("[vmbus] server: completion for child %lu not written: %s\n", srv.child,
			     vmbus_ring_status_name(rs));
			continue;
		}
		kdetail("[vmbus] server: completion for transaction %lu written%s\n", info.trans_id,
			sig ? "; signalling the child (HvCallSignalEvent)" : "");
		signal_reader |= sig;
	}
	/* One signal covers both reasons (new data; room for a blocked
	 * writer): the child looks at both rings when its flag is set. */
	if (signal_reader)
		srv_signal(ch);
}

static void srv_storage_event(struct srv_channel *ch)
{
	bool signal = false;

	if (!storvsp_serve(&srv.storage, &ch->up, &ch->down, &signal))
		ch->open = false;
	if (signal)
		srv_signal(ch);
}

void vmbus_server_interrupt(void)
{
	struct hv_message m;

	if (!srv.ready)
		return;
	/* Channel signals first, then messages: a child signals before it
	 * posts its next message (say, a CLOSECHANNEL after a packet), and
	 * the packet must be read while the channel is still open. SIEF flag
	 * = relid (the worker made one event port per channel). */
	for (unsigned i = 0; i < SRV_CHANNELS && srv.child != 0; i++) {
		struct srv_channel *ch = &srv.chan[i];

		if (!vmbus_synic_take_event(srv_siefp, ch->relid))
			continue;
		if (!ch->open)
			klog("[vmbus] signal from child %lu on channel %u, which is not open: ignored\n",
			     srv.child, ch->relid);
		else if (i == SRV_STORAGE)
			srv_storage_event(ch);
		else
			srv_heartbeat_event(ch);
	}
	while (vmbus_synic_take_message(srv.simp, &m))
		srv_message(&m);
}
