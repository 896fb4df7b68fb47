/* vmbus-client.c — the child's VMBus client: the guest side of the control
 * protocol (facts §5.5) and one tiny VSC that opens the offered channel
 * and sends one packet. Guest ring 0, freestanding, child partitions only;
 * runs once at boot with IF = 0, sleeping on HLT between messages.
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
#include "vmbus-synic.h"

/* Each ring: one control page and two data pages; upstream (to the parent)
 * first, downstream from page CLI_RING_PAGES (OPENCHANNEL's offset). */
#define CLI_RING_PAGES   3u
#define CLI_GPADL_PAGES  (2u * CLI_RING_PAGES)
#define CLI_OPEN_ID      1u
#define CLI_TRANSACTION  1u
/* Wake-ups (interrupts) to wait for one answer before giving up: the
 * parent answers within a few; its worker tears us down if we hang. */
#define CLI_WAKEUPS_MAX  64u

static uint8_t cli_simp[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
static uint8_t cli_siefp[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
static uint8_t cli_input[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
/* The ring pages, in our own RAM: the parent reads and writes them in
 * place once the GPADL names them. */
static uint8_t cli_rings[CLI_GPADL_PAGES * HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));

static struct vmbus_client {
	struct vmbus_end end;
	struct vmbus_msg_offer_channel offer;
	struct vmbus_ring send, recv;
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
		/* The first offer is ours to open (vmbus_end_step made it the
		 * channel); later ones are not served. */
		if (type == VMBUS_MSG_OFFERCHANNEL && cli.offer.hdr.msgtype == 0)
			memcpy(&cli.offer, msg, sizeof(cli.offer));
	}
	return cli.offer.hdr.msgtype != 0 || cli_fail("the parent offered no channel");
}

/* §5.5 steps 6-9: ring pages, GPADL, open. */
static bool cli_open(void)
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
	const size_t ring_bytes = (size_t)CLI_RING_PAGES * HV_PAGE_SIZE;

	/* We create both rings (facts §6.1): reset their control pages. */
	if (vmbus_ring_init(&cli.send, cli_rings, ring_bytes) != VMBUS_RING_OK ||
	    vmbus_ring_init(&cli.recv, cli_rings + ring_bytes, ring_bytes) != VMBUS_RING_OK)
		return cli_fail("ring set-up failed");

	memset(&g, 0, sizeof(g));
	g.h.hdr.msgtype = VMBUS_MSG_GPADL_HEADER;
	g.h.child_relid = cli.offer.child_relid;
	g.h.gpadl = VMBUS_GPADL_FIRST_ID_LINUX;
	g.h.range_buflen = sizeof(g.r) + sizeof(g.pfn);
	g.h.rangecount = 1;
	g.r.byte_count = sizeof(cli_rings);
	g.r.byte_offset = 0;
	/* Identity-mapped: our address is our GPA, and GPA >> 12 the PFN. */
	for (unsigned i = 0; i < CLI_GPADL_PAGES; i++)
		g.pfn[i] = (hv_gpa(cli_rings) >> HV_PAGE_SHIFT) + i;
	if (!cli_post(&g, sizeof(g)) || !cli_expect(VMBUS_MSG_GPADL_CREATED, msg))
		return false;
	memcpy(&created, msg, sizeof(created));
	if (created.creation_status != 0)
		return cli_fail("the parent refused the GPADL");

	memset(&o, 0, sizeof(o));
	o.hdr.msgtype = VMBUS_MSG_OPENCHANNEL;
	o.child_relid = cli.offer.child_relid;
	o.open_id = CLI_OPEN_ID;
	o.ring_gpadl = g.h.gpadl;
	o.target_vp = HVSIM_VMBUS_VP;
	o.downstream_page_offset = CLI_RING_PAGES;
	if (!cli_post(&o, sizeof(o)) || !cli_expect(VMBUS_MSG_OPENCHANNEL_RESULT, msg))
		return false;
	memcpy(&r, msg, sizeof(r));
	return r.status == 0 || cli_fail("the parent refused to open the channel");
}

/* The round trip: one in-band packet up, its completion down. */
static bool cli_ping(char *reply, size_t reply_size)
{
	static const char ping[] = "ping";
	uint64_t pkt[HV_MESSAGE_PAYLOAD_MAX / sizeof(uint64_t)];
	struct vmbus_packet_info info;
	enum vmbus_ring_status rs;
	bool sig = false;

	rs = vmbus_ring_write(&cli.send, VMBUS_PACKET_DATA_INBAND, VMBUS_PACKET_FLAG_COMPLETION_REQUESTED,
			      CLI_TRANSACTION, ping, sizeof(ping), &sig);
	if (rs != VMBUS_RING_OK)
		return cli_fail("the packet did not fit the ring");
	/* Guarantee 6 (vmbus-ring.h): signal only on empty -> non-empty. */
	if (sig && vmbus_synic_signal(cli.offer.connection_id, 0) != HV_STATUS_SUCCESS)
		return cli_fail("HvCallSignalEvent failed");
	kdetail("[vmbus] client: packet written%s\n", sig ? ", parent signalled" : "");

	for (unsigned wakeups = 0; wakeups < CLI_WAKEUPS_MAX; wakeups++) {
		/* The parent's signal is SIEF flag = our relid (facts §5.6). */
		if (!vmbus_synic_take_event(cli_siefp, cli.offer.child_relid)) {
			cli_sleep();
			continue;
		}
		rs = vmbus_ring_read(&cli.recv, &info, pkt, sizeof(pkt), &sig);
		if (rs == VMBUS_RING_EMPTY)
			continue;
		if (rs != VMBUS_RING_OK)
			return cli_fail("the downstream ring is corrupt");
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
	return cli_fail("no completion from the parent");
}

bool vmbus_client_run(const struct hv_info *hv)
{
	char reply[16];

	memset(&cli, 0, sizeof(cli));
	if (!hv->hypercalls_enabled || !vmbus_synic_enable(hv, cli_simp, cli_siefp))
		return false;
	vmbus_role = VMBUS_ROLE_CLIENT;
	if (cli_connect() && cli_open() && cli_ping(reply, sizeof(reply))) {
		klog("vmbus: channel %u open (protocol 4.0); sent \"ping\", completion \"%s\"\n",
		     cli.offer.child_relid, reply);
		return true;
	}
	klog("vmbus: stopped: %s\n", cli.failed ? cli.failed : "?");
	return false;
}
