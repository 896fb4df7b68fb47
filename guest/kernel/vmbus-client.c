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

#define CLI_GPADL_PAGES  (2u * VMBUS_CLIENT_RING_PAGES)
#define CLI_TRANSACTION  1u
/* Wake-ups (interrupts) to wait for one answer before giving up: the
 * parent answers within a few; its worker tears us down if we hang. */
#define CLI_WAKEUPS_MAX  64u

static uint8_t cli_simp[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
static uint8_t cli_siefp[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
static uint8_t cli_input[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
/* The ring pages of each channel, in our own RAM: the parent reads and
 * writes them in place once the GPADL names them. */
static uint8_t cli_rings[VMBUS_END_CHANNELS][CLI_GPADL_PAGES * HV_PAGE_SIZE]
	__attribute__((aligned(HV_PAGE_SIZE)));

static const struct vmbus_guid cli_heartbeat_class = VMBUS_GUID_IC_HEARTBEAT;
static const struct vmbus_guid cli_storage_class = VMBUS_GUID_SCSI;

static struct vmbus_client {
	struct vmbus_end end;
	unsigned n_offers;
	struct vmbus_client_channel chan[VMBUS_END_CHANNELS]; /* in offer order */
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

			memcpy(&ch->offer, msg, sizeof(ch->offer));
			ch->rings = cli_rings[cli.n_offers];
			ch->gpadl = VMBUS_GPADL_FIRST_ID_LINUX + cli.n_offers;
			cli.n_offers++;
			kdetail("[vmbus] client: offer %u: relid %u, connection 0x%x\n", cli.n_offers,
				ch->offer.child_relid, ch->offer.connection_id);
		}
	}
	return cli.n_offers != 0 || cli_fail("the parent offered no channel");
}

/* §5.5 steps 6-9: ring pages, GPADL, open. */
bool vmbus_client_open(struct vmbus_client_channel *ch)
{
	struct {
		struct vmbus_msg_gpadl_header h;
		struct vmbus_gpa_range r;
		uint64_t pfn[CLI_GPADL_PAGES];
	} __attribute__((packed)) g;
	uint8_t msg[HV_MESSAGE_PAYLOAD_MAX];
	struct vmbus_msg_gpadl_created created;
	struct vmbus_msg_open_channel o;
	struct vmbus_msg_open_result r;
	const size_t ring_bytes = (size_t)VMBUS_CLIENT_RING_PAGES * HV_PAGE_SIZE;

	/* We create both rings (facts §6.1): reset their control pages. */
	if (vmbus_ring_init(&ch->send, ch->rings, ring_bytes) != VMBUS_RING_OK ||
	    vmbus_ring_init(&ch->recv, ch->rings + ring_bytes, ring_bytes) != VMBUS_RING_OK)
		return cli_fail("ring set-up failed");

	memset(&g, 0, sizeof(g));
	g.h.hdr.msgtype = VMBUS_MSG_GPADL_HEADER;
	g.h.child_relid = ch->offer.child_relid;
	g.h.gpadl = ch->gpadl;
	g.h.range_buflen = sizeof(g.r) + sizeof(g.pfn);
	g.h.rangecount = 1;
	g.r.byte_count = 2u * ring_bytes;
	g.r.byte_offset = 0;
	/* Identity-mapped: our address is our GPA, and GPA >> 12 the PFN. */
	for (unsigned i = 0; i < CLI_GPADL_PAGES; i++)
		g.pfn[i] = (hv_gpa(ch->rings) >> HV_PAGE_SHIFT) + i;
	if (!cli_post(&g, sizeof(g)) || !cli_expect(VMBUS_MSG_GPADL_CREATED, msg))
		return false;
	memcpy(&created, msg, sizeof(created));
	if (created.creation_status != 0)
		return cli_fail("the parent refused the GPADL");

	memset(&o, 0, sizeof(o));
	o.hdr.msgtype = VMBUS_MSG_OPENCHANNEL;
	o.child_relid = ch->offer.child_relid;
	o.open_id = ch->offer.child_relid;
	o.ring_gpadl = g.h.gpadl;
	o.target_vp = HVSIM_VMBUS_VP;
	o.downstream_page_offset = VMBUS_CLIENT_RING_PAGES;
	if (!cli_post(&o, sizeof(o)) || !cli_expect(VMBUS_MSG_OPENCHANNEL_RESULT, msg))
		return false;
	memcpy(&r, msg, sizeof(r));
	if (r.status != 0)
		return cli_fail("the parent refused to open the channel");
	ch->open = true;
	return true;
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

static bool cli_same_guid(const struct vmbus_guid *a, const struct vmbus_guid *b)
{
	const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;

	for (size_t i = 0; i < sizeof(*a); i++)
		if (x[i] != y[i])
			return false;
	return true;
}

bool vmbus_client_run(const struct hv_info *hv, bool storage)
{
	char reply[16];
	bool ok = true;

	memset(&cli, 0, sizeof(cli));
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
