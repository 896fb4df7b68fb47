/* test-channel.c — tests for vmbus/'s control messages: layouts, validation
 * of every modelled type (good, short, and hostile fields), and the
 * connection and channel state machines driven in order and with every
 * message type in every state. Host test program (GLib test framework).
 * Expected transition tables are typed in from the fact sheet §5.5, not
 * computed from the library's own tables. */
#include <glib.h>
#include <string.h>

#include "vmbus-channel.h"
#include "vmbus-storage.h"

#define RELID 5u
#define GPADL 0xE1E10u

typedef struct {
	uint8_t b[VMBUS_MESSAGE_MAX_SIZE + 8];
	size_t len;
} Msg;

/* A valid message of each modelled type. */
static Msg mk(uint32_t type)
{
	Msg m;
	memset(&m, 0, sizeof(m));
	struct vmbus_msg_header h = { .msgtype = type };
	memcpy(m.b, &h, sizeof(h));
	m.len = vmbus_msg_min_size(type);
	switch (type) {
	case VMBUS_MSG_OFFERCHANNEL: {
		struct vmbus_msg_offer_channel o = { .hdr = h, .interface_type = VMBUS_GUID_SCSI,
						     .child_relid = RELID,
						     .connection_id = VMBUS_CHANNEL_CONNECTION_ID(RELID, 2, 0) };
		memcpy(m.b, &o, sizeof(o));
		break;
	}
	case VMBUS_MSG_RESCIND_CHANNELOFFER:
	case VMBUS_MSG_CLOSECHANNEL:
	case VMBUS_MSG_RELID_RELEASED: {
		struct vmbus_msg_relid r = { .hdr = h, .child_relid = RELID };
		memcpy(m.b, &r, sizeof(r));
		break;
	}
	case VMBUS_MSG_OPENCHANNEL: {
		struct vmbus_msg_open_channel o = { .hdr = h, .child_relid = RELID, .open_id = 9,
						    .ring_gpadl = GPADL, .downstream_page_offset = 4 };
		memcpy(m.b, &o, sizeof(o));
		break;
	}
	case VMBUS_MSG_OPENCHANNEL_RESULT: {
		struct vmbus_msg_open_result r = { .hdr = h, .child_relid = RELID, .open_id = 9 };
		memcpy(m.b, &r, sizeof(r));
		break;
	}
	case VMBUS_MSG_GPADL_HEADER: {
		/* one range: 8 pages from offset 0 -> 8 PFNs */
		struct vmbus_msg_gpadl_header g = { .hdr = h, .child_relid = RELID, .gpadl = GPADL,
						    .range_buflen = 8 + 8 * 8, .rangecount = 1 };
		struct vmbus_gpa_range r = { .byte_count = 8 * 4096, .byte_offset = 0 };
		memcpy(m.b, &g, sizeof(g));
		memcpy(m.b + sizeof(g), &r, sizeof(r));
		for (uint64_t i = 0; i < 8; i++) {
			uint64_t pfn = 0x100 + i;
			memcpy(m.b + sizeof(g) + sizeof(r) + 8 * i, &pfn, 8);
		}
		m.len = sizeof(g) + sizeof(r) + 8 * 8;
		break;
	}
	case VMBUS_MSG_GPADL_BODY: {
		struct vmbus_msg_gpadl_body g = { .hdr = h, .msgnumber = 1, .gpadl = GPADL };
		memcpy(m.b, &g, sizeof(g));
		m.len = sizeof(g) + 2 * 8;
		break;
	}
	case VMBUS_MSG_GPADL_CREATED: {
		struct vmbus_msg_gpadl_created g = { .hdr = h, .child_relid = RELID, .gpadl = GPADL };
		memcpy(m.b, &g, sizeof(g));
		break;
	}
	case VMBUS_MSG_GPADL_TEARDOWN: {
		struct vmbus_msg_gpadl_teardown g = { .hdr = h, .child_relid = RELID, .gpadl = GPADL };
		memcpy(m.b, &g, sizeof(g));
		break;
	}
	case VMBUS_MSG_GPADL_TORNDOWN: {
		struct vmbus_msg_gpadl_torndown g = { .hdr = h, .gpadl = GPADL };
		memcpy(m.b, &g, sizeof(g));
		break;
	}
	case VMBUS_MSG_INITIATE_CONTACT: {
		struct vmbus_msg_initiate_contact c = { .hdr = h,
							.version_requested = VMBUS_VERSION_WIN10_V5 };
		c.u.v5.msg_sint = VMBUS_MESSAGE_SINT;
		memcpy(m.b, &c, sizeof(c));
		break;
	}
	case VMBUS_MSG_VERSION_RESPONSE: {
		struct vmbus_msg_version_response v = { .hdr = h, .version_supported = 1,
							.msg_conn_id = VMBUS_MESSAGE_CONNECTION_ID_4 };
		memcpy(m.b, &v, sizeof(v));
		break;
	}
	default:
		break;
	}
	return m;
}

static void put32(Msg *m, size_t off, uint32_t v) { memcpy(m->b + off, &v, 4); }
static void put16(Msg *m, size_t off, uint16_t v) { memcpy(m->b + off, &v, 2); }
static void put64(Msg *m, size_t off, uint64_t v) { memcpy(m->b + off, &v, 8); }

/* Validate from an exactly-sized heap copy, so an over-read would be an
 * out-of-bounds access (visible under ASan/valgrind). */
static enum vmbus_msg_status validate(const Msg *m)
{
	void *p = g_memdup2(m->b, m->len);
	enum vmbus_msg_status st = vmbus_msg_validate(p, m->len);
	g_free(p);
	return st;
}

static const uint32_t modelled[] = {
	VMBUS_MSG_OFFERCHANNEL, VMBUS_MSG_RESCIND_CHANNELOFFER, VMBUS_MSG_REQUESTOFFERS,
	VMBUS_MSG_ALLOFFERS_DELIVERED, VMBUS_MSG_OPENCHANNEL, VMBUS_MSG_OPENCHANNEL_RESULT,
	VMBUS_MSG_CLOSECHANNEL, VMBUS_MSG_GPADL_HEADER, VMBUS_MSG_GPADL_BODY,
	VMBUS_MSG_GPADL_CREATED, VMBUS_MSG_GPADL_TEARDOWN, VMBUS_MSG_GPADL_TORNDOWN,
	VMBUS_MSG_RELID_RELEASED, VMBUS_MSG_INITIATE_CONTACT, VMBUS_MSG_VERSION_RESPONSE,
	VMBUS_MSG_UNLOAD, VMBUS_MSG_UNLOAD_RESPONSE,
};

/* ==== layouts ============================================================= */

static void test_layout(void)
{
	/* Fixed sizes from §5.4, typed in. */
	static const struct { uint32_t type; size_t size; } t[] = {
		{ VMBUS_MSG_OFFERCHANNEL, 196 }, { VMBUS_MSG_RESCIND_CHANNELOFFER, 12 },
		{ VMBUS_MSG_REQUESTOFFERS, 8 }, { VMBUS_MSG_ALLOFFERS_DELIVERED, 8 },
		{ VMBUS_MSG_OPENCHANNEL, 148 }, { VMBUS_MSG_OPENCHANNEL_RESULT, 20 },
		{ VMBUS_MSG_CLOSECHANNEL, 12 }, { VMBUS_MSG_GPADL_HEADER, 28 },
		{ VMBUS_MSG_GPADL_BODY, 24 }, { VMBUS_MSG_GPADL_CREATED, 20 },
		{ VMBUS_MSG_GPADL_TEARDOWN, 16 }, { VMBUS_MSG_GPADL_TORNDOWN, 12 },
		{ VMBUS_MSG_RELID_RELEASED, 12 }, { VMBUS_MSG_INITIATE_CONTACT, 40 },
		{ VMBUS_MSG_VERSION_RESPONSE, 16 }, { VMBUS_MSG_UNLOAD, 8 },
		{ VMBUS_MSG_UNLOAD_RESPONSE, 8 }, { VMBUS_MSG_INVALID, 0 },
		{ VMBUS_MSG_MODIFY_CHANNEL, 0 }, { 999, 0 },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
		g_assert_cmpuint(vmbus_msg_min_size(t[i].type), ==, t[i].size);

	/* Windows GUID byte order: the SCSI class on the wire. */
	static const uint8_t scsi[16] = { 0xd9, 0x63, 0x61, 0xba, 0xa1, 0x04, 0x29, 0x4d,
					  0xb6, 0x05, 0x72, 0xe2, 0xff, 0xb1, 0xdc, 0x7f };
	struct vmbus_guid g = VMBUS_GUID_SCSI;
	g_assert_cmpmem(g.b, 16, scsi, 16);
	struct vmbus_guid hb = VMBUS_GUID_IC_HEARTBEAT;
	g_assert_cmphex(hb.b[0], ==, 0x39);
	g_assert_cmphex(hb.b[3], ==, 0x57);
	g_assert_cmphex(hb.b[8], ==, 0xab);

	g_assert_cmpuint(VMBUS_CHANNEL_CONNECTION_ID(5, 2, 0), ==, 0x2005);
	g_assert_cmpuint(VMBUS_VERSION(5, 0), ==, VMBUS_VERSION_WIN10_V5);
	g_assert_cmpuint(VSTOR_VERSION_WIN8, ==, 0x0501);
	g_assert_cmpuint(sizeof(struct vstor_packet), ==, 64);
	g_assert_cmpuint(VMBUS_PACKET_TRAILER(0x40), ==, 0x4000000000ull);

	g_assert_cmpstr(vmbus_msgtype_name(VMBUS_MSG_GPADL_TORNDOWN), ==, "GPADL_TORNDOWN");
	g_assert_cmpstr(vmbus_msgtype_name(1000), ==, "UNKNOWN");
	for (int s = 0; s < VMBUS_MSG_STATUS_COUNT; s++)
		g_assert_cmpstr(vmbus_msg_status_name((enum vmbus_msg_status)s), !=,
				"unknown message status");
}

/* ==== validation ========================================================== */

static void test_validate_good(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(modelled); i++) {
		Msg m = mk(modelled[i]);
		g_test_message("%s", vmbus_msgtype_name(modelled[i]));
		g_assert_cmpint(validate(&m), ==, VMBUS_MSG_OK);
	}
}

static void test_validate_short(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(modelled); i++) {
		Msg m = mk(modelled[i]);
		m.len = vmbus_msg_min_size(modelled[i]) - 1;
		g_assert_cmpint(validate(&m), ==, VMBUS_MSG_ERR_SHORT);
	}
	Msg m = mk(VMBUS_MSG_UNLOAD);
	m.len = 7;
	g_assert_cmpint(validate(&m), ==, VMBUS_MSG_ERR_SHORT);
	m.len = 0;
	g_assert_cmpint(vmbus_msg_validate(m.b, 0), ==, VMBUS_MSG_ERR_SHORT);
	g_assert_cmpint(vmbus_msg_validate(NULL, 8), ==, VMBUS_MSG_ERR_ARGUMENT);
	m.len = VMBUS_MESSAGE_MAX_SIZE + 1;
	g_assert_cmpint(validate(&m), ==, VMBUS_MSG_ERR_TOO_LONG);
}

static void test_validate_type(void)
{
	static const uint32_t bad[] = { 0, 18, 21, 24, 25, 29, 0x80000001u, 0xFFFFFFFFu };
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		Msg m = mk(VMBUS_MSG_UNLOAD);
		put32(&m, 0, bad[i]);
		m.len = 64;
		g_assert_cmpint(validate(&m), ==, VMBUS_MSG_ERR_UNKNOWN_TYPE);
	}
}

static void test_validate_relid(void)
{
	static const uint32_t with_relid[] = {
		VMBUS_MSG_OFFERCHANNEL, VMBUS_MSG_RESCIND_CHANNELOFFER, VMBUS_MSG_OPENCHANNEL,
		VMBUS_MSG_OPENCHANNEL_RESULT, VMBUS_MSG_CLOSECHANNEL, VMBUS_MSG_GPADL_HEADER,
		VMBUS_MSG_GPADL_CREATED, VMBUS_MSG_GPADL_TEARDOWN, VMBUS_MSG_RELID_RELEASED,
	};
	for (size_t i = 0; i < G_N_ELEMENTS(with_relid); i++) {
		uint32_t t = with_relid[i];
		size_t off = t == VMBUS_MSG_OFFERCHANNEL ? 184 : 8;
		Msg m = mk(t);
		uint32_t relid = 0;
		g_assert_true(vmbus_msg_channel_relid(m.b, m.len, &relid));
		g_assert_cmpuint(relid, ==, RELID);
		put32(&m, off, 0);
		g_assert_cmpint(validate(&m), ==, VMBUS_MSG_ERR_RELID);
		put32(&m, off, VMBUS_MAX_RELID + 1);
		g_assert_cmpint(validate(&m), ==, VMBUS_MSG_ERR_RELID);
		put32(&m, off, 0xFFFFFFFFu);
		g_assert_cmpint(validate(&m), ==, VMBUS_MSG_ERR_RELID);
		put32(&m, off, VMBUS_MAX_RELID);
		g_assert_cmpint(validate(&m), ==, VMBUS_MSG_OK);
	}
	uint32_t relid = 77;
	Msg body = mk(VMBUS_MSG_GPADL_BODY), torn = mk(VMBUS_MSG_GPADL_TORNDOWN);
	g_assert_false(vmbus_msg_channel_relid(body.b, body.len, &relid));
	g_assert_false(vmbus_msg_channel_relid(torn.b, torn.len, &relid));
	Msg offer = mk(VMBUS_MSG_OFFERCHANNEL);
	g_assert_false(vmbus_msg_channel_relid(offer.b, 100, &relid));  /* cut short */
	g_assert_cmpuint(relid, ==, 77);
}

static void test_validate_fields(void)
{
	Msg m = mk(VMBUS_MSG_VERSION_RESPONSE);
	m.b[9] = 2;
	g_assert_cmpint(validate(&m), ==, VMBUS_MSG_OK);
	m.b[9] = 3;
	g_assert_cmpint(validate(&m), ==, VMBUS_MSG_ERR_CONNECTION_STATE);

	m = mk(VMBUS_MSG_INITIATE_CONTACT);
	put64(&m, 24, 0x5000);
	g_assert_cmpint(validate(&m), ==, VMBUS_MSG_ERR_MONITOR_PAGES);
	put64(&m, 32, 0x6000);
	g_assert_cmpint(validate(&m), ==, VMBUS_MSG_OK);
	put64(&m, 24, 0);
	g_assert_cmpint(validate(&m), ==, VMBUS_MSG_ERR_MONITOR_PAGES);
	m.len = 56;  /* 6.0 appends a client-id GUID */
	put64(&m, 32, 0);
	g_assert_cmpint(validate(&m), ==, VMBUS_MSG_OK);

	m = mk(VMBUS_MSG_OPENCHANNEL);
	put32(&m, 24, 1);
	g_assert_cmpint(validate(&m), ==, VMBUS_MSG_ERR_RING_OFFSET);
	put32(&m, 24, 0);
	g_assert_cmpint(validate(&m), ==, VMBUS_MSG_ERR_RING_OFFSET);
	put32(&m, 24, 2);
	g_assert_cmpint(validate(&m), ==, VMBUS_MSG_OK);

	m = mk(VMBUS_MSG_GPADL_BODY);
	m.len = 33;
	g_assert_cmpint(validate(&m), ==, VMBUS_MSG_ERR_GPADL_PFNS);
	m.len = VMBUS_MESSAGE_MAX_SIZE;     /* 28 PFNs */
	g_assert_cmpint(validate(&m), ==, VMBUS_MSG_OK);
}

static void test_validate_gpadl_header(void)
{
	/* Offsets: rangebuflen @16, rangecount @18, byte_count @20,
	 * byte_offset @24. The good message: 1 range, 8 pages, buflen 72. */
	Msg m = mk(VMBUS_MSG_GPADL_HEADER);
	g_assert_cmpuint(m.len, ==, 92);
	Msg t;

	t = m; put16(&t, 18, 0);
	g_assert_cmpint(validate(&t), ==, VMBUS_MSG_ERR_GPADL_RANGES);  /* no range */
	t = m; put16(&t, 16, 80);
	g_assert_cmpint(validate(&t), ==, VMBUS_MSG_ERR_GPADL_RANGES);  /* buflen != range */
	t = m; put16(&t, 16, 64);
	g_assert_cmpint(validate(&t), ==, VMBUS_MSG_ERR_GPADL_RANGES);  /* less than present */
	t = m; put16(&t, 16, 73);
	g_assert_cmpint(validate(&t), ==, VMBUS_MSG_ERR_GPADL_RANGES);  /* not whole u64s */
	t = m; put32(&t, 20, 0);
	g_assert_cmpint(validate(&t), ==, VMBUS_MSG_ERR_GPADL_RANGES);  /* empty range */
	t = m; put32(&t, 24, 4096);
	g_assert_cmpint(validate(&t), ==, VMBUS_MSG_ERR_GPADL_RANGES);  /* offset off page */
	t = m; put32(&t, 24, 1);
	g_assert_cmpint(validate(&t), ==, VMBUS_MSG_ERR_GPADL_RANGES);  /* now 9 PFNs */
	t = m; put32(&t, 24, 1); put32(&t, 20, 8 * 4096 - 1);
	g_assert_cmpint(validate(&t), ==, VMBUS_MSG_OK);                /* back to 8 */
	t = m; put32(&t, 20, 0xFFFFFFFFu); put32(&t, 24, 4095);
	g_assert_cmpint(validate(&t), ==, VMBUS_MSG_ERR_GPADL_RANGES);  /* no overflow */
	t = m; t.len = 93;
	g_assert_cmpint(validate(&t), ==, VMBUS_MSG_ERR_GPADL_PFNS);
	/* A second range continued in GPADL_BODY messages: buflen covers it. */
	t = m; put16(&t, 18, 2); put16(&t, 16, 72 + 16);
	g_assert_cmpint(validate(&t), ==, VMBUS_MSG_OK);
	t = m; put16(&t, 18, 2);
	g_assert_cmpint(validate(&t), ==, VMBUS_MSG_ERR_GPADL_RANGES);  /* no room for it */
	/* 26 PFNs: the most a header carries (236 bytes). */
	t = m; put32(&t, 20, 26 * 4096); put16(&t, 16, 8 + 26 * 8); t.len = 236;
	g_assert_cmpint(validate(&t), ==, VMBUS_MSG_OK);
	/* A big GPADL: 1000 pages, 26 of them here, the rest in bodies. */
	t = m; put32(&t, 20, 1000 * 4096); put16(&t, 16, 8 + 1000 * 8); t.len = 236;
	g_assert_cmpint(validate(&t), ==, VMBUS_MSG_OK);
}

/* ==== connection state machine ============================================ */

static void conn_go(enum vmbus_conn_state *s, uint32_t type, enum vmbus_msg_status want,
		    enum vmbus_conn_state next)
{
	Msg m = mk(type);
	g_assert_cmpint(vmbus_conn_step(s, m.b, m.len), ==, want);
	g_assert_cmpstr(vmbus_conn_state_name(*s), ==, vmbus_conn_state_name(next));
}

static void test_conn_in_order(void)
{
	enum vmbus_conn_state s = VMBUS_CONN_DISCONNECTED;
	conn_go(&s, VMBUS_MSG_INITIATE_CONTACT, VMBUS_MSG_OK, VMBUS_CONN_CONTACTING);
	conn_go(&s, VMBUS_MSG_VERSION_RESPONSE, VMBUS_MSG_OK, VMBUS_CONN_CONNECTED);
	conn_go(&s, VMBUS_MSG_REQUESTOFFERS, VMBUS_MSG_OK, VMBUS_CONN_REQUESTED);
	conn_go(&s, VMBUS_MSG_OFFERCHANNEL, VMBUS_MSG_OK, VMBUS_CONN_REQUESTED);
	conn_go(&s, VMBUS_MSG_OFFERCHANNEL, VMBUS_MSG_OK, VMBUS_CONN_REQUESTED);
	conn_go(&s, VMBUS_MSG_ALLOFFERS_DELIVERED, VMBUS_MSG_OK, VMBUS_CONN_READY);
	conn_go(&s, VMBUS_MSG_GPADL_HEADER, VMBUS_MSG_ERR_NOT_CONN_MSG, VMBUS_CONN_READY);
	conn_go(&s, VMBUS_MSG_OFFERCHANNEL, VMBUS_MSG_OK, VMBUS_CONN_READY);  /* hot-add */
	conn_go(&s, VMBUS_MSG_UNLOAD, VMBUS_MSG_OK, VMBUS_CONN_UNLOADING);
	conn_go(&s, VMBUS_MSG_UNLOAD_RESPONSE, VMBUS_MSG_OK, VMBUS_CONN_DISCONNECTED);

	/* Version rejected (or accepted with a failure state): back to the
	 * start, so the guest can propose a lower version. */
	conn_go(&s, VMBUS_MSG_INITIATE_CONTACT, VMBUS_MSG_OK, VMBUS_CONN_CONTACTING);
	Msg v = mk(VMBUS_MSG_VERSION_RESPONSE);
	v.b[8] = 0;
	g_assert_cmpint(vmbus_conn_step(&s, v.b, v.len), ==, VMBUS_MSG_OK);
	g_assert_cmpint(s, ==, VMBUS_CONN_DISCONNECTED);
	conn_go(&s, VMBUS_MSG_INITIATE_CONTACT, VMBUS_MSG_OK, VMBUS_CONN_CONTACTING);
	v = mk(VMBUS_MSG_VERSION_RESPONSE);
	v.b[9] = VMBUS_CONNECTION_LOW_RESOURCES;
	g_assert_cmpint(vmbus_conn_step(&s, v.b, v.len), ==, VMBUS_MSG_OK);
	g_assert_cmpint(s, ==, VMBUS_CONN_DISCONNECTED);
	/* A malformed message never moves the state. */
	v.b[9] = 7;
	s = VMBUS_CONN_CONTACTING;
	g_assert_cmpint(vmbus_conn_step(&s, v.b, v.len), ==, VMBUS_MSG_ERR_CONNECTION_STATE);
	g_assert_cmpint(s, ==, VMBUS_CONN_CONTACTING);
}

static void test_conn_matrix(void)
{
	/* For every state and type: the legal next state (typed from §5.5),
	 * 'n' = channel message passed on, '-' = illegal here. States in
	 * order D, CT, C, RQ, RD, U. */
	static const struct { uint32_t type; const char *row; } t[] = {
		{ VMBUS_MSG_INITIATE_CONTACT,     "T-----" },
		{ VMBUS_MSG_VERSION_RESPONSE,     "-C----" },
		{ VMBUS_MSG_REQUESTOFFERS,        "--Q---" },
		{ VMBUS_MSG_OFFERCHANNEL,         "---QR-" },
		{ VMBUS_MSG_ALLOFFERS_DELIVERED,  "---R--" },
		{ VMBUS_MSG_UNLOAD,               "--UUU-" },
		{ VMBUS_MSG_UNLOAD_RESPONSE,      "-----D" },
		{ VMBUS_MSG_RESCIND_CHANNELOFFER, "---nn-" },
		{ VMBUS_MSG_OPENCHANNEL,          "----n-" },
		{ VMBUS_MSG_OPENCHANNEL_RESULT,   "----n-" },
		{ VMBUS_MSG_CLOSECHANNEL,         "----n-" },
		{ VMBUS_MSG_GPADL_HEADER,         "----n-" },
		{ VMBUS_MSG_GPADL_BODY,           "----n-" },
		{ VMBUS_MSG_GPADL_CREATED,        "----n-" },
		{ VMBUS_MSG_GPADL_TEARDOWN,       "----n-" },
		{ VMBUS_MSG_GPADL_TORNDOWN,       "----n-" },
		{ VMBUS_MSG_RELID_RELEASED,       "----n-" },
	};
	static const char code[] = "DTCQRU";
	g_assert_cmpuint(G_N_ELEMENTS(t), ==, G_N_ELEMENTS(modelled));
	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		for (int st = 0; st < VMBUS_CONN_STATE_COUNT; st++) {
			enum vmbus_conn_state s = (enum vmbus_conn_state)st;
			Msg m = mk(t[i].type);
			enum vmbus_msg_status r = vmbus_conn_step(&s, m.b, m.len);
			char want = t[i].row[st];
			g_test_message("%s in %s", vmbus_msgtype_name(t[i].type),
				       vmbus_conn_state_name((enum vmbus_conn_state)st));
			if (want == '-') {
				g_assert_cmpint(r, ==, VMBUS_MSG_ERR_ILLEGAL_IN_STATE);
				g_assert_cmpint(s, ==, st);
			} else if (want == 'n') {
				g_assert_cmpint(r, ==, VMBUS_MSG_ERR_NOT_CONN_MSG);
				g_assert_cmpint(s, ==, st);
			} else {
				g_assert_cmpint(r, ==, VMBUS_MSG_OK);
				g_assert_cmpint(code[s], ==, want);
			}
		}
	}
}

/* ==== channel state machine =============================================== */

static void chan_go(enum vmbus_chan_state *s, uint32_t type, enum vmbus_chan_state next)
{
	Msg m = mk(type);
	g_assert_cmpint(vmbus_channel_step(s, m.b, m.len), ==, VMBUS_MSG_OK);
	g_assert_cmpstr(vmbus_chan_state_name(*s), ==, vmbus_chan_state_name(next));
}

static void test_chan_in_order(void)
{
	enum vmbus_chan_state s = VMBUS_CHAN_OFFERED;
	/* §5.5 steps 6-9 */
	chan_go(&s, VMBUS_MSG_GPADL_HEADER, VMBUS_CHAN_GPADL);
	chan_go(&s, VMBUS_MSG_GPADL_BODY, VMBUS_CHAN_GPADL);
	chan_go(&s, VMBUS_MSG_GPADL_CREATED, VMBUS_CHAN_GPADL);
	chan_go(&s, VMBUS_MSG_OPENCHANNEL, VMBUS_CHAN_OPENING);
	chan_go(&s, VMBUS_MSG_OPENCHANNEL_RESULT, VMBUS_CHAN_OPEN);
	/* tear-down */
	chan_go(&s, VMBUS_MSG_CLOSECHANNEL, VMBUS_CHAN_CLOSING);
	chan_go(&s, VMBUS_MSG_GPADL_TEARDOWN, VMBUS_CHAN_CLOSING);
	chan_go(&s, VMBUS_MSG_GPADL_TORNDOWN, VMBUS_CHAN_CLOSING);
	/* open again, and fail */
	chan_go(&s, VMBUS_MSG_GPADL_HEADER, VMBUS_CHAN_GPADL);
	chan_go(&s, VMBUS_MSG_GPADL_CREATED, VMBUS_CHAN_GPADL);
	chan_go(&s, VMBUS_MSG_OPENCHANNEL, VMBUS_CHAN_OPENING);
	Msg r = mk(VMBUS_MSG_OPENCHANNEL_RESULT);
	put32(&r, 16, 0xC0000001u);
	g_assert_cmpint(vmbus_channel_step(&s, r.b, r.len), ==, VMBUS_MSG_OK);
	g_assert_cmpint(s, ==, VMBUS_CHAN_GPADL);
	/* host removal */
	chan_go(&s, VMBUS_MSG_RESCIND_CHANNELOFFER, VMBUS_CHAN_CLOSED);
	chan_go(&s, VMBUS_MSG_GPADL_TEARDOWN, VMBUS_CHAN_CLOSED);
	chan_go(&s, VMBUS_MSG_RELID_RELEASED, VMBUS_CHAN_CLOSED);
	/* A rescind while open */
	s = VMBUS_CHAN_OPEN;
	chan_go(&s, VMBUS_MSG_RESCIND_CHANNELOFFER, VMBUS_CHAN_CLOSED);
	chan_go(&s, VMBUS_MSG_CLOSECHANNEL, VMBUS_CHAN_CLOSED);
}

static void test_chan_matrix(void)
{
	/* Next state for each (type, state), typed from §5.5; states in
	 * order offered, gpadl, opening, open, closing, closed; '-' illegal,
	 * 'x' connection-level message (not a channel's). */
	static const struct { uint32_t type; const char *row; } t[] = {
		{ VMBUS_MSG_RESCIND_CHANNELOFFER, "ZZZZZ-" },
		{ VMBUS_MSG_OPENCHANNEL,          "-P--P-" },
		{ VMBUS_MSG_OPENCHANNEL_RESULT,   "--O---" },
		{ VMBUS_MSG_CLOSECHANNEL,         "---C-Z" },
		{ VMBUS_MSG_GPADL_HEADER,         "GG-OG-" },
		{ VMBUS_MSG_GPADL_BODY,           "-GPOG-" },
		{ VMBUS_MSG_GPADL_CREATED,        "-GPOG-" },
		{ VMBUS_MSG_GPADL_TEARDOWN,       "-G-OCZ" },
		{ VMBUS_MSG_GPADL_TORNDOWN,       "-G-OCZ" },
		{ VMBUS_MSG_RELID_RELEASED,       "-----Z" },
		{ VMBUS_MSG_OFFERCHANNEL,         "xxxxxx" },
		{ VMBUS_MSG_REQUESTOFFERS,        "xxxxxx" },
		{ VMBUS_MSG_ALLOFFERS_DELIVERED,  "xxxxxx" },
		{ VMBUS_MSG_INITIATE_CONTACT,     "xxxxxx" },
		{ VMBUS_MSG_VERSION_RESPONSE,     "xxxxxx" },
		{ VMBUS_MSG_UNLOAD,               "xxxxxx" },
		{ VMBUS_MSG_UNLOAD_RESPONSE,      "xxxxxx" },
	};
	static const char code[] = "fGPOCZ";
	g_assert_cmpuint(G_N_ELEMENTS(t), ==, G_N_ELEMENTS(modelled));
	unsigned legal = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		for (int st = 0; st < VMBUS_CHAN_STATE_COUNT; st++) {
			enum vmbus_chan_state s = (enum vmbus_chan_state)st;
			Msg m = mk(t[i].type);
			enum vmbus_msg_status r = vmbus_channel_step(&s, m.b, m.len);
			char want = t[i].row[st];
			g_test_message("%s in %s", vmbus_msgtype_name(t[i].type),
				       vmbus_chan_state_name((enum vmbus_chan_state)st));
			if (want == '-' || want == 'x') {
				g_assert_cmpint(r, ==, want == '-' ? VMBUS_MSG_ERR_ILLEGAL_IN_STATE
							: VMBUS_MSG_ERR_NOT_CHANNEL_MSG);
				g_assert_cmpint(s, ==, st);
				g_assert_false(vmbus_chan_legal((enum vmbus_chan_state)st, t[i].type));
			} else {
				g_assert_cmpint(r, ==, VMBUS_MSG_OK);
				g_assert_cmpint(code[s], ==, want);
				g_assert_true(vmbus_chan_legal((enum vmbus_chan_state)st, t[i].type));
				legal++;
			}
		}
	}
	g_assert_cmpuint(legal, ==, 31);
	/* Invalid state or message: refused before any table lookup. */
	enum vmbus_chan_state bad = VMBUS_CHAN_STATE_COUNT;
	Msg m = mk(VMBUS_MSG_CLOSECHANNEL);
	g_assert_cmpint(vmbus_channel_step(&bad, m.b, m.len), ==, VMBUS_MSG_ERR_ARGUMENT);
	enum vmbus_chan_state s = VMBUS_CHAN_OPEN;
	put32(&m, 8, 0);
	g_assert_cmpint(vmbus_channel_step(&s, m.b, m.len), ==, VMBUS_MSG_ERR_RELID);
	g_assert_cmpint(s, ==, VMBUS_CHAN_OPEN);
	g_assert_false(vmbus_chan_legal(VMBUS_CHAN_OPEN, 1000));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/vmbus/msg/layout", test_layout);
	g_test_add_func("/vmbus/msg/validate/good", test_validate_good);
	g_test_add_func("/vmbus/msg/validate/short", test_validate_short);
	g_test_add_func("/vmbus/msg/validate/type", test_validate_type);
	g_test_add_func("/vmbus/msg/validate/relid", test_validate_relid);
	g_test_add_func("/vmbus/msg/validate/fields", test_validate_fields);
	g_test_add_func("/vmbus/msg/validate/gpadl-header", test_validate_gpadl_header);
	g_test_add_func("/vmbus/conn/in-order", test_conn_in_order);
	g_test_add_func("/vmbus/conn/matrix", test_conn_matrix);
	g_test_add_func("/vmbus/chan/in-order", test_chan_in_order);
	g_test_add_func("/vmbus/chan/matrix", test_chan_matrix);
	return g_test_run();
}
