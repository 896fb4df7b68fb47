/* vmbus-client.c — the child's VMBus client: the guest side of the control
 * protocol (facts §5.5), the enumeration of the parent's offers (one VSC
 * per class we know: a tiny heartbeat VSC here that sends one ping, and
 * storvsc.c for the SCSI class), and the channel primitives the VSCs use.
 * Guest ring 0, freestanding, child partitions only; runs at boot with
 * IF = 0, sleeping on HLT between messages; storvsc's requests later run
 * its channel from the disk system call the same way.
 *
 * The child knows nothing of ports: it posts to connection 1 (the VMBus
 * message connection below protocol 5.0) and signals the connection id the
 * offer names; the parent's worker wired both before our VP first ran.
 * Everything the parent sends is checked like anything from another
 * partition: vmbus_msg_validate and the state machines first.
 *
 * Quiet: each byte a child prints is two intercepts in the parent's worker,
 * so the steps are kdetail lines (off in a quiet child) and the outcome is
 * one klog line. */
#include "vmbus-client.h"
#include "storvsc.h"
#include "vmbus-synic.h"

#define CLI_TRANSACTION  1u
/* Wake-ups (interrupts) to wait for one answer before giving up: the
 * parent answers within a few; its worker tears us down if we hang. */
#define CLI_WAKEUPS_MAX  64u

static uint8_t cli_simp[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
static uint8_t cli_siefp[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
static uint8_t cli_input[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
/* The ring pages of the channels, in our own RAM: the parent reads and
 * writes them in place once a GPADL names them. One heartbeat-sized and
 * one storage-sized pair of rings; each offer takes its pages from here
 * in offer order. */
#define CLI_RING_POOL_PAGES (2u * VMBUS_CLIENT_RING_PAGES + 2u * VMBUS_CLIENT_STORAGE_RING_PAGES)
static uint8_t cli_ring_pool[CLI_RING_POOL_PAGES * HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));

static const struct vmbus_guid cli_heartbeat_class = VMBUS_GUID_IC_HEARTBEAT;
static const struct vmbus_guid cli_storage_class = VMBUS_GUID_SCSI;

static struct vmbus_client {
	struct vmbus_end end;
	unsigned n_offers;
	struct vmbus_client_channel chan[VMBUS_END_CHANNELS]; /* in offer order */
	uint32_t pool_used;          /* pages of cli_ring_pool given to channels */
	uint32_t next_gpadl;         /* GPADL ids: new for every GPADL, like Linux */
	const char *failed;          /* why the handshake stopped, for the one line */
} cli;

/* The interrupt only wakes the HLT below; vmbus_interrupt writes the EOI. */
void vmbus_client_interrupt(void)
{
}

/* Sleep until the next interrupt. STI takes effect after HLT has begun
 * waiting, so one that is already pending wakes it (see timer.c). */
static void cli_sleep(void)
{
	__asm__ volatile("sti; hlt; cli" : : : "memory");
}

static bool cli_fail(const char *why)
{
	if (!cli.failed)
		cli.failed = why;
	return false;
}

static bool cli_post(const void *msg, uint32_t len)
{
	uint16_t status;

	if (vmbus_end_step(&cli.end, msg, len) != VMBUS_MSG_OK)
		return cli_fail("our own message is illegal now (client bug)");
	status = vmbus_synic_post(cli_input, VMBUS_MESSAGE_CONNECTION_ID, msg, len);
	kdetail("[vmbus] client -> parent: %s, HvCallPostMessage status 0x%04x\n",
		vmbus_synic_msg_name(msg, len), status);
	return status == HV_STATUS_SUCCESS || cli_fail("HvCallPostMessage failed (no VMBus ports?)");
}

/* The next control message from the parent, validated and applied to the
 * state machines, into msg (HV_MESSAGE_PAYLOAD_MAX bytes); its length. */
static size_t cli_receive(uint8_t *msg)
{
	struct hv_message m;

	for (unsigned wakeups = 0; wakeups < CLI_WAKEUPS_MAX;) {
		if (!vmbus_synic_take_message(cli_simp, &m)) {
			cli_sleep();
			wakeups++;
			continue;
		}
		size_t len = m.header.payload_size;

		if (m.header.message_type != VMBUS_POST_MESSAGE_TYPE || len > HV_MESSAGE_PAYLOAD_MAX)
			continue; /* not VMBus: nothing to act on */
		memcpy(msg, m.payload, len);
		if (vmbus_end_step(&cli.end, msg, len) != VMBUS_MSG_OK) {
			kdetail("[vmbus] client: %s from the parent rejected\n", vmbus_synic_msg_name(msg, len));
			continue;
		}
		kdetail("[vmbus] client <- parent: %s\n", vmbus_synic_msg_name(msg, len));
		return len;
	}
	cli_fail("no answer from the parent");
	return 0;
}

/* Receives until a message of `type` arrives (anything else legal is
 * skipped); false if none does. */
static bool cli_expect(uint32_t type, uint8_t *msg)
{
	for (;;) {
		size_t len = cli_receive(msg);
		uint32_t got;

		if (len == 0)
			return false;
		memcpy(&got, msg, sizeof(got));
		if (got == type)
			return true;
	}
}

static bool cli_same_guid(const struct vmbus_guid *a, const struct vmbus_guid *b)
{
	const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;

	for (size_t i = 0; i < sizeof(*a); i++)
		if (x[i] != y[i])
			return false;
	return true;
}

/* §5.5 steps 2-5: contact at 4.0, then the offers. */
static bool cli_connect(void)
{
	uint8_t msg[HV_MESSAGE_PAYLOAD_MAX];
	struct vmbus_msg_initiate_contact c;
	struct vmbus_msg_version_response v;
	struct vmbus_msg_header h;

	memset(&c, 0, sizeof(c));
	c.hdr.msgtype = VMBUS_MSG_INITIATE_CONTACT;
	c.version_requested = VMBUS_VERSION_WIN10;
	c.target_vcpu = HVSIM_VMBUS_VP;
	if (!cli_post(&c, sizeof(c)) || !cli_expect(VMBUS_MSG_VERSION_RESPONSE, msg))
		return false;
	memcpy(&v, msg, sizeof(v));
	if (!v.version_supported)
		return cli_fail("the parent refused protocol 4.0");

	memset(&h, 0, sizeof(h));
	h.msgtype = VMBUS_MSG_REQUESTOFFERS;
	if (!cli_post(&h, sizeof(h)))
		return false;
	for (;;) {
		size_t len = cli_receive(msg);
		uint32_t type;

		if (len == 0)
			return false;
		memcpy(&type, msg, sizeof(type));
		if (type == VMBUS_MSG_ALLOFFERS_DELIVERED)
			break;
		/* Every offer vmbus_end_step took (it refuses one too many). */
		if (type == VMBUS_MSG_OFFERCHANNEL && cli.n_offers < VMBUS_END_CHANNELS) {
			struct vmbus_client_channel *ch = &cli.chan[cli.n_offers];
			uint32_t pages;

			memset(ch, 0, sizeof(*ch));
			memcpy(&ch->offer, msg, sizeof(ch->offer));
			ch->ring_pages = cli_same_guid(&ch->offer.interface_type, &cli_storage_class)
				? VMBUS_CLIENT_STORAGE_RING_PAGES : VMBUS_CLIENT_RING_PAGES;
			pages = 2u * ch->ring_pages;
			if (cli.pool_used + pages > CLI_RING_POOL_PAGES)
				return cli_fail("no ring pages left for an offer");
			ch->rings = cli_ring_pool + (size_t)cli.pool_used * HV_PAGE_SIZE;
			cli.pool_used += pages;
			cli.n_offers++;
			kdetail("[vmbus] client: offer %u: relid %u, connection 0x%x\n", cli.n_offers,
				ch->offer.child_relid, ch->offer.connection_id);
		}
	}
	return cli.n_offers != 0 || cli_fail("the parent offered no channel");
}

/* Posts GPADL_HEADER (+ GPADL_BODY ...) for `pages` contiguous pages from
 * PFN first_pfn as GPADL `id` on `relid`: as many PFNs as fit in the
 * header (VMBUS_GPADL_HEADER_MAX_PFNS), the rest VMBUS_GPADL_BODY_MAX_PFNS
 * a message (facts §5.4). `raw`: the hostile child's form, past our own
 * state machine (the parent's must catch it). */
static bool cli_post_gpadl(uint32_t relid, uint32_t id, uint64_t first_pfn, uint32_t pages, bool raw)
{
	struct {
		struct vmbus_msg_gpadl_header h;
		struct vmbus_gpa_range r;
		uint64_t pfn[VMBUS_GPADL_HEADER_MAX_PFNS];
	} __attribute__((packed)) g;
	struct {
		struct vmbus_msg_gpadl_body b;
		uint64_t pfn[VMBUS_GPADL_BODY_MAX_PFNS];
	} __attribute__((packed)) body;
	uint32_t here = pages < VMBUS_GPADL_HEADER_MAX_PFNS ? pages : VMBUS_GPADL_HEADER_MAX_PFNS;
	uint32_t len = (uint32_t)(sizeof(g.h) + sizeof(g.r) + here * sizeof(uint64_t));

	memset(&g, 0, sizeof(g));
	g.h.hdr.msgtype = VMBUS_MSG_GPADL_HEADER;
	g.h.child_relid = relid;
	g.h.gpadl = id;
	/* range_buflen counts the whole range, body PFNs included. */
	g.h.range_buflen = (uint16_t)(sizeof(g.r) + (size_t)pages * sizeof(uint64_t));
	g.h.rangecount = 1;
	g.r.byte_count = pages * HV_PAGE_SIZE;
	g.r.byte_offset = 0;
	for (uint32_t i = 0; i < here; i++)
		g.pfn[i] = first_pfn + i;
	if (raw)
		return vmbus_synic_post(cli_input, VMBUS_MESSAGE_CONNECTION_ID, &g, len) == HV_STATUS_SUCCESS;
	if (!cli_post(&g, len))
		return false;
	for (uint32_t msgno = 1, done = here; done < pages; msgno++) {
		uint32_t n = pages - done < VMBUS_GPADL_BODY_MAX_PFNS ? pages - done
								       : VMBUS_GPADL_BODY_MAX_PFNS;

		memset(&body, 0, sizeof(body));
		body.b.hdr.msgtype = VMBUS_MSG_GPADL_BODY;
		body.b.msgnumber = msgno;
		body.b.gpadl = id;
		for (uint32_t i = 0; i < n; i++)
			body.pfn[i] = first_pfn + done + i;
		if (!cli_post(&body, (uint32_t)(sizeof(body.b) + n * sizeof(uint64_t))))
			return false;
		done += n;
	}
	return true;
}

/* §5.5 steps 6-9: ring pages, GPADL, open. */
bool vmbus_client_open(struct vmbus_client_channel *ch)
{
	uint8_t msg[HV_MESSAGE_PAYLOAD_MAX];
	struct vmbus_msg_gpadl_created created;
	struct vmbus_msg_open_channel o;
	struct vmbus_msg_open_result r;
	const size_t ring_bytes = (size_t)ch->ring_pages * HV_PAGE_SIZE;

	/* We create both rings (facts §6.1): reset their control pages. */
	if (vmbus_ring_init(&ch->send, ch->rings, ring_bytes) != VMBUS_RING_OK ||
	    vmbus_ring_init(&ch->recv, ch->rings + ring_bytes, ring_bytes) != VMBUS_RING_OK)
		return cli_fail("ring set-up failed");

	/* Identity-mapped: our address is our GPA, and GPA >> 12 the PFN. */
	ch->gpadl = cli.next_gpadl++;
	if (!cli_post_gpadl(ch->offer.child_relid, ch->gpadl, hv_gpa(ch->rings) >> HV_PAGE_SHIFT,
			    2u * ch->ring_pages, false) ||
	    !cli_expect(VMBUS_MSG_GPADL_CREATED, msg))
		return false;
	memcpy(&created, msg, sizeof(created));
	if (created.creation_status != 0)
		return cli_fail("the parent refused the GPADL");

	memset(&o, 0, sizeof(o));
	o.hdr.msgtype = VMBUS_MSG_OPENCHANNEL;
	o.child_relid = ch->offer.child_relid;
	o.open_id = ch->offer.child_relid;
	o.ring_gpadl = ch->gpadl;
	o.target_vp = HVSIM_VMBUS_VP;
	o.downstream_page_offset = ch->ring_pages;
	if (!cli_post(&o, sizeof(o)) || !cli_expect(VMBUS_MSG_OPENCHANNEL_RESULT, msg))
		return false;
	memcpy(&r, msg, sizeof(r));
	if (r.status != 0)
		return cli_fail("the parent refused to open the channel");
	ch->open = true;
	return true;
}

bool vmbus_client_close(struct vmbus_client_channel *ch)
{
	uint8_t msg[HV_MESSAGE_PAYLOAD_MAX];
	struct vmbus_msg_relid c;
	struct vmbus_msg_gpadl_teardown t;

	memset(&c, 0, sizeof(c));
	c.hdr.msgtype = VMBUS_MSG_CLOSECHANNEL;
	c.child_relid = ch->offer.child_relid;
	if (!cli_post(&c, sizeof(c)))
		return false;
	ch->open = false;
	/* The parent answers a teardown only once it forgot the pages: then
	 * they are ours alone again. */
	memset(&t, 0, sizeof(t));
	t.hdr.msgtype = VMBUS_MSG_GPADL_TEARDOWN;
	t.child_relid = ch->offer.child_relid;
	t.gpadl = ch->gpadl;
	if (!cli_post(&t, sizeof(t)) || !cli_expect(VMBUS_MSG_GPADL_TORNDOWN, msg))
		return false;
	kdetail("[vmbus] client: channel %u closed, GPADL 0x%x torn down\n", ch->offer.child_relid,
		ch->gpadl);
	return true;
}

bool vmbus_client_unload(void)
{
	uint8_t msg[HV_MESSAGE_PAYLOAD_MAX];
	struct vmbus_msg_header h;
	unsigned closed = 0;

	if (vmbus_role != VMBUS_ROLE_CLIENT || cli.end.conn == VMBUS_CONN_DISCONNECTED)
		return false;
	cli.failed = NULL;
	for (unsigned i = 0; i < cli.n_offers; i++) {
		if (!cli.chan[i].open)
			continue;
		if (!vmbus_client_close(&cli.chan[i]))
			goto failed;
		closed++;
	}
	memset(&h, 0, sizeof(h));
	h.msgtype = VMBUS_MSG_UNLOAD;
	if (!cli_post(&h, sizeof(h)) || !cli_expect(VMBUS_MSG_UNLOAD_RESPONSE, msg))
		goto failed;
	klog("vmbus: unloaded: %u channel%s closed and %s GPADL%s torn down, UNLOAD_RESPONSE\n", closed,
	     closed == 1 ? "" : "s", closed == 1 ? "its" : "their", closed == 1 ? "" : "s");
	return true;
failed:
	klog("vmbus: unload stopped: %s\n", cli.failed ? cli.failed : "?");
	return false;
}

bool vmbus_client_send(struct vmbus_client_channel *ch, uint16_t type, uint16_t offset8,
		       uint64_t trans_id, const struct vmbus_ring_iovec *iov, unsigned iov_count)
{
	bool sig = false;
	enum vmbus_ring_status rs = vmbus_ring_writev(&ch->send, type,
						      VMBUS_PACKET_FLAG_COMPLETION_REQUESTED, offset8,
						      trans_id, iov, iov_count, &sig);

	if (rs != VMBUS_RING_OK) {
		klog("vmbus: channel %u: packet not written: %s\n", ch->offer.child_relid,
		     vmbus_ring_status_name(rs));
		return false;
	}
	/* Guarantee 6 (vmbus-ring.h): signal only on empty -> non-empty. */
	if (sig && vmbus_synic_signal(ch->offer.connection_id, 0) != HV_STATUS_SUCCESS) {
		klog("vmbus: channel %u: HvCallSignalEvent failed\n", ch->offer.child_relid);
		return false;
	}
	return true;
}

bool vmbus_client_receive(struct vmbus_client_channel *ch, struct vmbus_packet_info *info,
			  void *buf, size_t buf_size)
{
	for (unsigned wakeups = 0; wakeups < CLI_WAKEUPS_MAX;) {
		bool sig = false;
		enum vmbus_ring_status rs = vmbus_ring_read(&ch->recv, info, buf, buf_size, &sig);

		if (rs == VMBUS_RING_OK) {
			/* Our read may unblock the parent's writer (guarantee 7). */
			if (sig)
				vmbus_synic_signal(ch->offer.connection_id, 0);
			return true;
		}
		if (rs != VMBUS_RING_EMPTY) {
			klog("vmbus: channel %u: the downstream ring is corrupt: %s\n",
			     ch->offer.child_relid, vmbus_ring_status_name(rs));
			return false;
		}
		/* Empty: wait for the parent's signal, SIEF flag = our relid
		 * (facts §5.6). Taking the flag before sleeping is the
		 * re-check: a signal that came after the read is seen here. */
		if (!vmbus_synic_take_event(cli_siefp, ch->offer.child_relid)) {
			cli_sleep();
			wakeups++;
		}
	}
	klog("vmbus: channel %u: no packet from the parent\n", ch->offer.child_relid);
	return false;
}

/* The heartbeat VSC's round trip: one in-band packet up, its completion
 * down. */
static bool cli_ping(struct vmbus_client_channel *ch, char *reply, size_t reply_size)
{
	static const char ping[] = "ping";
	uint64_t pkt[HV_MESSAGE_PAYLOAD_MAX / sizeof(uint64_t)];
	struct vmbus_ring_iovec iov = { ping, sizeof(ping) };
	struct vmbus_packet_info info;

	if (!vmbus_client_send(ch, VMBUS_PACKET_DATA_INBAND, VMBUS_CLIENT_INBAND_OFFSET8, CLI_TRANSACTION,
			       &iov, 1))
		return cli_fail("the ping was not sent");
	if (!vmbus_client_receive(ch, &info, pkt, sizeof(pkt)))
		return cli_fail("no completion from the parent");
	if (info.type != VMBUS_PACKET_COMP || info.trans_id != CLI_TRANSACTION)
		return cli_fail("the answer is not our completion");
	size_t n = info.data_len < reply_size - 1 ? info.data_len : reply_size - 1;
	for (size_t i = 0; i < n; i++) {
		char c = ((const char *)pkt)[info.data_offset + i];
		reply[i] = (c >= ' ' && c <= '~') || c == 0 ? c : '.';
	}
	reply[n] = '\0';
	return true;
}


bool vmbus_client_run(const struct hv_info *hv, bool storage)
{
	char reply[16];
	bool ok = true;

	memset(&cli, 0, sizeof(cli));
	cli.next_gpadl = VMBUS_GPADL_FIRST_ID_LINUX;
	if (!hv->hypercalls_enabled || !vmbus_synic_enable(hv, cli_simp, cli_siefp))
		return false;
	vmbus_role = VMBUS_ROLE_CLIENT;
	if (!cli_connect()) {
		klog("vmbus: stopped: %s\n", cli.failed ? cli.failed : "?");
		return false;
	}
	/* One VSC per class we know, heartbeat first: its round trip is the
	 * VMBus self-test, and storage traffic comes after it. */
	for (unsigned i = 0; i < cli.n_offers; i++) {
		struct vmbus_client_channel *ch = &cli.chan[i];

		if (!cli_same_guid(&ch->offer.interface_type, &cli_heartbeat_class))
			continue;
		if (vmbus_client_open(ch) && cli_ping(ch, reply, sizeof(reply))) {
			klog("vmbus: channel %u open (protocol 4.0); sent \"ping\", completion \"%s\"\n",
			     ch->offer.child_relid, reply);
		} else {
			klog("vmbus: stopped: %s\n", cli.failed ? cli.failed : "?");
			ok = false;
		}
	}
	for (unsigned i = 0; i < cli.n_offers && ok; i++) {
		struct vmbus_client_channel *ch = &cli.chan[i];

		if (!cli_same_guid(&ch->offer.interface_type, &cli_storage_class))
			continue;
		/* storvsc only when the disk is to be synthetic: the offer is
		 * seen in every child, the channel opened only then. */
		if (!storage) {
			kdetail("[vmbus] client: SCSI offer, relid %u: no synthetic disk wanted, not opened\n",
				ch->offer.child_relid);
			continue;
		}
		if (!vmbus_client_open(ch)) {
			klog("vmbus: stopped: %s\n", cli.failed ? cli.failed : "?");
			return false;
		}
		ok = storvsc_start(ch);
	}
	return ok;
}

/* ---- HVSIM_BOOT_FLAG_VMBUS_HOSTILE: a child that lies ---------------------------
 *
 * Each case is something a buggy or malicious child can do to its parent;
 * the parent's server and storvsp must refuse it with a line and keep
 * serving. The hostile child uses its own channel primitives where they
 * can carry the lie and posts raw messages where our own state machine
 * would (rightly) refuse to send them. */

/* (e): a page far outside any child's RAM. */
#define CLI_HOSTILE_PFN    0x100000u
/* (f): a relid the parent never offered. */
#define CLI_HOSTILE_RELID  7u
/* (h): one byte more than a SynIC message carries. */
#define CLI_HOSTILE_OVERSIZE (VMBUS_MESSAGE_MAX_SIZE + 1u)
#define CLI_HOSTILE_TRANSACTION 0x4057u

/* How the upstream ring lies, cases (a)-(d). */
enum cli_ring_lie {
	CLI_LIE_WRITE_INDEX_RANGE,   /* (a) write_index beyond the data area */
	CLI_LIE_WRITE_INDEX_ALIGN,   /* (b) write_index not a multiple of 8 */
	CLI_LIE_LEN8,                /* (c) len8 runs past the bytes written */
	CLI_LIE_OFFSET8,             /* (d) offset8 beyond the packet's end */
};

static struct vmbus_client_channel *cli_find(const struct vmbus_guid *class)
{
	for (unsigned i = 0; i < cli.n_offers; i++)
		if (cli_same_guid(&cli.chan[i].offer.interface_type, class))
			return &cli.chan[i];
	return NULL;
}

/* Close, tear down, open again and restart storvsc: the way back after
 * the parent stopped reading a channel whose ring we corrupted. */
static bool cli_reopen_storage(struct vmbus_client_channel *ch)
{
	return vmbus_client_close(ch) && vmbus_client_open(ch) && storvsc_start(ch);
}

/* Writes a good in-band packet into our upstream ring, then corrupts the
 * ring as `lie` says and signals the parent anyway. */
static void cli_ring_lie(struct vmbus_client_channel *ch, enum cli_ring_lie lie, char tag,
			 const char *what)
{
	static const char junk[] = "hostile";   /* 8 bytes: one packet of 3 * 8 */
	struct vmbus_ring_iovec iov = { junk, sizeof(junk) };
	volatile struct vmbus_ring_control *ctl = ch->send.ctl;
	uint32_t start = ctl->write_index;
	struct vmbus_packet_desc *d;
	enum vmbus_ring_status rs;
	bool sig = false;

	rs = vmbus_ring_writev(&ch->send, VMBUS_PACKET_DATA_INBAND, VMBUS_PACKET_FLAG_COMPLETION_REQUESTED,
			       VMBUS_CLIENT_INBAND_OFFSET8, CLI_HOSTILE_TRANSACTION, &iov, 1, &sig);
	/* A fresh ring: the descriptor lies in one piece at `start`. */
	if (rs != VMBUS_RING_OK || start + sizeof(*d) > ch->send.data_size) {
		klog("vmbus: hostile (%c): the packet to corrupt was not written\n", tag);
		return;
	}
	d = (struct vmbus_packet_desc *)(ch->send.data + start);
	switch (lie) {
	case CLI_LIE_WRITE_INDEX_RANGE:
		ctl->write_index = ch->send.data_size + VMBUS_PACKET_ALIGN;
		break;
	case CLI_LIE_WRITE_INDEX_ALIGN:
		ctl->write_index = ctl->write_index + VMBUS_PACKET_ALIGN / 2u;
		break;
	case CLI_LIE_LEN8:
		d->len8 = 0x100;        /* 2 KiB, where 24 bytes were written */
		break;
	case CLI_LIE_OFFSET8:
		d->offset8 = (uint16_t)(d->len8 + 1u);
		break;
	}
	VMBUS_BARRIER();
	klog("vmbus: hostile (%c) %s: signalled, HvCallSignalEvent status 0x%04x\n", tag, what,
	     vmbus_synic_signal(ch->offer.connection_id, 0));
}

bool vmbus_client_hostile(void)
{
	static const struct { enum cli_ring_lie lie; char tag; const char *what; } lies[] = {
		{ CLI_LIE_WRITE_INDEX_RANGE, 'a', "write_index beyond the ring" },
		{ CLI_LIE_WRITE_INDEX_ALIGN, 'b', "write_index not 8-aligned" },
		{ CLI_LIE_LEN8, 'c', "len8 past the data written" },
		{ CLI_LIE_OFFSET8, 'd', "offset8 beyond the packet" },
	};
	uint8_t msg[HV_MESSAGE_PAYLOAD_MAX];
	uint8_t big[CLI_HOSTILE_OVERSIZE];
	struct vmbus_msg_gpadl_created created;
	struct vmbus_msg_open_channel o;
	struct vmbus_client_channel *ch = cli_find(&cli_storage_class);
	uint16_t status;

	if (!ch || !ch->open) {
		klog("vmbus: hostile: no open storage channel to misuse\n");
		return false;
	}
	/* (a)-(d): the parent stops reading the ring; we start it again. */
	for (unsigned i = 0; i < ARRAY_SIZE(lies); i++) {
		cli_ring_lie(ch, lies[i].lie, lies[i].tag, lies[i].what);
		if (!cli_reopen_storage(ch)) {
			klog("vmbus: hostile: the storage channel did not come back: %s\n",
			     cli.failed ? cli.failed : "?");
			return false;
		}
	}
	/* (e) A GPADL of one page outside our RAM, through our own machine
	 * (legal in state open): the parent must refuse it. */
	if (!cli_post_gpadl(ch->offer.child_relid, cli.next_gpadl++, CLI_HOSTILE_PFN, 1, false) ||
	    !cli_expect(VMBUS_MSG_GPADL_CREATED, msg))
		return false;
	memcpy(&created, msg, sizeof(created));
	klog("vmbus: hostile (e) GPADL of page 0x%x outside our RAM: %s, status 0x%08x\n",
	     CLI_HOSTILE_PFN, created.creation_status ? "refused" : "ACCEPTED", created.creation_status);
	/* (f) OPENCHANNEL of a relid never offered: raw (our machine knows
	 * no such channel). The parent rejects it without an answer. */
	memset(&o, 0, sizeof(o));
	o.hdr.msgtype = VMBUS_MSG_OPENCHANNEL;
	o.child_relid = CLI_HOSTILE_RELID;
	o.ring_gpadl = ch->gpadl;
	o.downstream_page_offset = ch->ring_pages;
	status = vmbus_synic_post(cli_input, VMBUS_MESSAGE_CONNECTION_ID, &o, sizeof(o));
	klog("vmbus: hostile (f) OPENCHANNEL of relid %u (never offered): posted, status 0x%04x\n",
	     CLI_HOSTILE_RELID, status);
	/* (h) 241 bytes: the hypervisor refuses the hypercall itself. */
	memset(big, 0, sizeof(big));
	status = vmbus_synic_post_unchecked(cli_input, VMBUS_MESSAGE_CONNECTION_ID, big, sizeof(big));
	klog("vmbus: hostile (h) %u-byte message: HvCallPostMessage status 0x%04x %s\n",
	     CLI_HOSTILE_OVERSIZE, status, status == HV_STATUS_SUCCESS ? "ACCEPTED" : "refused");
	/* (g) After UNLOAD the connection is gone: a GPADL_HEADER now is a
	 * message in the wrong state. Raw, as our machine would not send it. */
	if (!vmbus_client_unload())
		return false;
	cli_post_gpadl(ch->offer.child_relid, cli.next_gpadl++, hv_gpa(ch->rings) >> HV_PAGE_SHIFT, 1,
		       true);
	klog("vmbus: hostile (g) GPADL_HEADER after UNLOAD: posted\n");

	/* Back to good behaviour: contact again, the storage channel again. */
	memset(&cli.end, 0, sizeof(cli.end));
	cli.n_offers = 0;
	cli.pool_used = 0;
	cli.failed = NULL;
	if (!cli_connect() || !(ch = cli_find(&cli_storage_class)) || !vmbus_client_open(ch) ||
	    !storvsc_start(ch)) {
		klog("vmbus: hostile: no way back after UNLOAD: %s\n", cli.failed ? cli.failed : "?");
		return false;
	}
	klog("vmbus: hostile cases done; connected again, storage channel %u open\n",
	     ch->offer.child_relid);
	return true;
}
