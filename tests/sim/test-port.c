/* test-port.c — tests for ports, connections, HvCallPostMessage and
 * HvCallSignalEvent (hv-port.c, with hv-synic.c's delivery): who may call
 * them, a message from PostMessage to the SIM slot, the SynIC queue and a
 * port's 16 buffers, event flags in the SIEF page and their interrupts,
 * deleting ports and connections, and every bad input the calls refuse
 * (one table; TLFS statuses from shared/reference/hyperv-facts.md §3.4,
 * §3.6, §4.1-4.5).
 * Host test program (GLib test framework): the calls are driven as VMCALL
 * exits on a machine that is not running; DeletePort and DisconnectPort,
 * not in the call table yet, by calling their handlers directly. */
#include <glib.h>
#include <stddef.h>
#include <string.h>

#include "hv-port.h"
#include "sim-harness.h"

#define HCPAGE_GPA 0x200000ull
#define IN_GPA     0x201000ull
#define OUT_GPA    0x202000ull
#define SIMP_GPA   0x203000ull
#define SIEFP_GPA  0x204000ull
#define FAST       (1ull << 16)   /* hypercall input value: fast form */

/* The set-up every test starts from (partition 1, VP 0): */
#define MSG_SINT    2u      /* message port 5 -> SINT2 of VP 0, connection 7 */
#define MSG_VECTOR  0x50u
#define MSG_PORT    5u
#define MSG_CONN    7u
#define EVT_SINT    3u      /* event port 6 -> SINT3 of VP 0, flags 8..11, connection 8 */
#define EVT_VECTOR  0x60u
#define EVT_PORT    6u
#define EVT_CONN    8u
#define EVT_BASE    8u
#define EVT_COUNT   4u
#define SINT4_VECTOR 0x70u  /* SINT4: unmasked, for a second message port */

/* ==== machine and calls ======================================================== */

/* A hello.elf partition with `privileges`, the hypercall page on and RIP
 * where a caller's would be. */
static void init_machine(Harness *h, uint64_t privileges)
{
	harness_init_hello(h, SIM_VENDOR_INTEL);
	h->p->privileges = privileges;
	h->p->hv_active = true;
	harness_enable_hypercall_page(h, HCPAGE_GPA);
	harness_set_reg(h, SIM_REG_RIP, HCPAGE_GPA);
}


/* A memory-form call with `len` bytes of input. */
static uint16_t call_mem(Harness *h, uint16_t code, const void *in, gsize len)
{
	g_assert_true(sim_memory_write(&h->p->mem, IN_GPA, in, len));
	return harness_hypercall(h, code, IN_GPA, OUT_GPA);
}

static struct hv_input_create_port message_port_input(uint32_t id, uint32_t sint, uint32_t vp)
{
	struct hv_input_create_port in;
	memset(&in, 0, sizeof in);
	in.port_partition_id = HV_PARTITION_ID_SELF;
	in.port_id = id;
	in.port_info.port_type = HV_PORT_TYPE_MESSAGE;
	in.port_info.u.message.target_sint = sint;
	in.port_info.u.message.target_vp = vp;
	return in;
}

static struct hv_input_create_port event_port_input(uint32_t id, uint32_t sint, uint16_t base, uint16_t count)
{
	struct hv_input_create_port in;
	memset(&in, 0, sizeof in);
	in.port_partition_id = HV_PARTITION_ID_SELF;
	in.port_id = id;
	in.port_info.port_type = HV_PORT_TYPE_EVENT;
	in.port_info.u.event.target_sint = sint;
	in.port_info.u.event.target_vp = 0;
	in.port_info.u.event.base_flag_number = base;
	in.port_info.u.event.flag_count = count;
	return in;
}

static struct hv_input_connect_port connect_input(uint32_t conn, uint32_t port, uint32_t type)
{
	struct hv_input_connect_port in;
	memset(&in, 0, sizeof in);
	in.connection_partition_id = HV_PARTITION_ID_SELF;
	in.connection_id = conn;
	in.port_partition_id = HV_PARTITION_ID_SELF;
	in.port_id = port;
	in.connection_info.port_type = type;
	return in;
}

static struct hv_input_post_message post_input(uint32_t conn, uint32_t type, uint32_t size, guint8 fill)
{
	struct hv_input_post_message in;
	memset(&in, 0, sizeof in);
	in.connection_id = conn;
	in.message_type = type;
	in.payload_size = size;
	for (uint32_t i = 0; i < sizeof in.payload; i++)
		in.payload[i] = (guint8)(fill + i);
	return in;
}

static struct hv_input_signal_event signal_input(uint32_t conn, uint16_t flag)
{
	return (struct hv_input_signal_event){ .connection_id = conn, .flag_number = flag };
}

static uint16_t create_port(Harness *h, const struct hv_input_create_port *in)
{
	return call_mem(h, HVCALL_CREATE_PORT, in, sizeof *in);
}

static uint16_t connect_port(Harness *h, const struct hv_input_connect_port *in)
{
	return call_mem(h, HVCALL_CONNECT_PORT, in, sizeof *in);
}

static uint16_t post(Harness *h, const struct hv_input_post_message *in)
{
	return call_mem(h, HVCALL_POST_MESSAGE, in, sizeof *in);
}

static uint16_t post_simple(Harness *h, uint32_t conn, uint32_t type)
{
	struct hv_input_post_message in = post_input(conn, type, 8, (guint8)type);
	return post(h, &in);
}

/* The fast form, as guests issue it: RDX = id | flag << 32. */
static uint16_t signal_fast(Harness *h, uint32_t conn, uint16_t flag)
{
	return harness_hypercall(h, HVCALL_SIGNAL_EVENT | FAST, conn | (uint64_t)flag << 32, 0);
}

/* SynIC on, SIM and SIEF pages enabled, SINT2-4 unmasked with their vectors. */
static void enable_synic(Harness *h)
{
	g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_SCONTROL, HV_SYNIC_SCONTROL_ENABLE), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_SIMP, SIMP_GPA | HV_SYNIC_PAGE_ENABLE), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_SIEFP, SIEFP_GPA | HV_SYNIC_PAGE_ENABLE), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_SINT0 + MSG_SINT, MSG_VECTOR), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_SINT0 + EVT_SINT, EVT_VECTOR), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_SINT0 + 4, SINT4_VECTOR), ==, SIM_RESUME_NEXT);
}

/* The root machine with the SynIC on, message port 5 + connection 7 and
 * event port 6 + connection 8. */
static void init_ports(Harness *h)
{
	init_machine(h, SIM_PRIV_ROOT);
	enable_synic(h);
	struct hv_input_create_port mp = message_port_input(MSG_PORT, MSG_SINT, 0);
	struct hv_input_create_port ep = event_port_input(EVT_PORT, EVT_SINT, EVT_BASE, EVT_COUNT);
	struct hv_input_connect_port mc = connect_input(MSG_CONN, MSG_PORT, HV_PORT_TYPE_MESSAGE);
	struct hv_input_connect_port ec = connect_input(EVT_CONN, EVT_PORT, HV_PORT_TYPE_EVENT);
	g_assert_cmphex(create_port(h, &mp), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(create_port(h, &ep), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(connect_port(h, &mc), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(connect_port(h, &ec), ==, HV_STATUS_SUCCESS);
}

/* ==== reading the guest's pages ================================================= */

static struct hv_message read_slot(Harness *h, unsigned sint)
{
	struct hv_message m;
	g_assert_true(sim_memory_read(&h->p->mem, SIMP_GPA + (uint64_t)HV_MESSAGE_SIZE * sint, &m, sizeof m));
	return m;
}

/* What the guest's ISR does: MessageType = 0 frees the slot, then EOM. */
static void free_slot_and_eom(Harness *h, unsigned sint)
{
	uint32_t none = HVMSG_NONE;
	g_assert_true(sim_memory_write(&h->p->mem, SIMP_GPA + (uint64_t)HV_MESSAGE_SIZE * sint, &none, sizeof none));
	g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_EOM, 0), ==, SIM_RESUME_NEXT);
}

static guint8 sief_byte(Harness *h, unsigned sint, unsigned byte)
{
	guint8 b;
	g_assert_true(sim_memory_read(&h->p->mem, SIEFP_GPA + 256u * sint + byte, &b, 1));
	return b;
}

/* Number of set bits in the whole SIEF page. */
static unsigned sief_bits(Harness *h)
{
	unsigned n = 0;
	for (unsigned i = 0; i < HV_PAGE_SIZE; i++) {
		guint8 b;
		g_assert_true(sim_memory_read(&h->p->mem, SIEFP_GPA + i, &b, 1));
		n += (unsigned)__builtin_popcount(b);
	}
	return n;
}

static gboolean any_vector_pending(Harness *h)
{
	return h->vp->pending_vector >= 0;
}

/* A `message` event since `from` whose text contains `needle`. */
static gboolean message_seen(Harness *h, guint from, const char *needle)
{
	for (guint i = from; i < h->events->len; i++) {
		const SimEvent *ev = harness_event(h, i);
		if (ev->type == SIM_EV_MESSAGE && strstr(ev->text, needle))
			return TRUE;
	}
	return FALSE;
}

/* ==== rights ===================================================================== */

/* A guest (no CreatePort/ConnectPort/PostMessages/SignalEvents rights) is
 * refused every call with ACCESS_DENIED, even with a valid input, and
 * nothing is created; the root is not. */
static void test_access_denied(void)
{
	Harness h;
	init_machine(&h, SIM_PRIV_GUEST);
	enable_synic(&h);
	struct hv_input_create_port mp = message_port_input(MSG_PORT, MSG_SINT, 0);
	struct hv_input_connect_port mc = connect_input(MSG_CONN, MSG_PORT, HV_PORT_TYPE_MESSAGE);
	struct hv_input_post_message pm = post_input(MSG_CONN, 1, 4, 0);
	struct hv_input_signal_event se = signal_input(EVT_CONN, 0);
	g_assert_cmphex(create_port(&h, &mp), ==, HV_STATUS_ACCESS_DENIED);
	g_assert_cmphex(connect_port(&h, &mc), ==, HV_STATUS_ACCESS_DENIED);
	g_assert_cmphex(post(&h, &pm), ==, HV_STATUS_ACCESS_DENIED);
	g_assert_cmphex(call_mem(&h, HVCALL_SIGNAL_EVENT, &se, sizeof se), ==, HV_STATUS_ACCESS_DENIED);
	g_assert_cmphex(signal_fast(&h, EVT_CONN, 0), ==, HV_STATUS_ACCESS_DENIED);
	g_assert_null(h.p->ports);
	g_assert_cmphex(read_slot(&h, MSG_SINT).header.message_type, ==, HVMSG_NONE);

	/* The same calls with the root's rights get past the check. */
	h.p->privileges = SIM_PRIV_ROOT;
	g_assert_cmphex(create_port(&h, &mp), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(connect_port(&h, &mc), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(post(&h, &pm), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(signal_fast(&h, EVT_CONN, 0), ==, HV_STATUS_INVALID_CONNECTION_ID);
	harness_fini(&h);
}

/* ==== messages =================================================================== */

/* PostMessage through connection 7: the SIM slot of SINT2 gets the type,
 * size, origination (the port id) and exactly PayloadSize bytes; the
 * vector of SINT2 is raised; the events tell the story. */
static void test_message_delivered(void)
{
	Harness h;
	guint first;
	init_machine(&h, SIM_PRIV_ROOT);
	enable_synic(&h);

	first = h.events->len;
	struct hv_input_create_port mp = message_port_input(MSG_PORT, MSG_SINT, 0);
	g_assert_cmphex(create_port(&h, &mp), ==, HV_STATUS_SUCCESS);
	g_assert_true(message_seen(&h, first, "port 5 created in partition 1 (message, SINT 2 of VP 0)"));
	first = h.events->len;
	struct hv_input_connect_port mc = connect_input(MSG_CONN, MSG_PORT, HV_PORT_TYPE_MESSAGE);
	g_assert_cmphex(connect_port(&h, &mc), ==, HV_STATUS_SUCCESS);
	g_assert_true(message_seen(&h, first, "connection 7 of partition 1 bound to port 5 of partition 1"));

	/* Garbage in the slot's payload area must not survive. */
	guint8 junk[HV_MESSAGE_SIZE];
	memset(junk, 0xEE, sizeof junk);
	memset(junk, 0, 4); /* MessageType 0: the slot is free */
	g_assert_true(sim_memory_write(&h.p->mem, SIMP_GPA + HV_MESSAGE_SIZE * MSG_SINT, junk, sizeof junk));
	g_assert_false(any_vector_pending(&h));

	first = h.events->len;
	struct hv_input_post_message pm = post_input(MSG_CONN, 0x42, 13, 0x30);
	g_assert_cmphex(post(&h, &pm), ==, HV_STATUS_SUCCESS);
	struct hv_message m = read_slot(&h, MSG_SINT);
	g_assert_cmphex(m.header.message_type, ==, 0x42);
	g_assert_cmpuint(m.header.payload_size, ==, 13);
	g_assert_cmphex(m.header.message_flags, ==, 0);
	g_assert_cmphex(m.header.origination_id, ==, MSG_PORT);
	g_assert_cmpmem(m.payload, 13, pm.payload, 13);
	for (unsigned i = 13; i < HV_MESSAGE_PAYLOAD_MAX; i++)
		g_assert_cmphex(m.payload[i], ==, 0);
	g_assert_true(sim_vp_vector_pending(h.vp, MSG_VECTOR));
	g_assert_cmpint(sim_vp_take_vector(h.vp), ==, MSG_VECTOR);
	g_assert_false(any_vector_pending(&h));
	const SimEvent *ev = harness_last_from(&h, first, SIM_EV_SYNIC_MESSAGE);
	g_assert_nonnull(ev);
	g_assert_cmpuint(ev->u.synic.sint, ==, MSG_SINT);
	g_assert_cmphex(ev->u.synic.message_type, ==, 0x42);
	g_assert_cmpuint(ev->u.synic.payload_size, ==, 13);
	g_assert_true(ev->u.synic.delivered);
	/* Other slots are untouched. */
	g_assert_cmphex(read_slot(&h, MSG_SINT + 1).header.message_type, ==, HVMSG_NONE);

	/* The largest payload, 240 bytes. */
	free_slot_and_eom(&h, MSG_SINT);
	pm = post_input(MSG_CONN, 0x7FFFFFFF, HV_MESSAGE_PAYLOAD_MAX, 0x90);
	g_assert_cmphex(post(&h, &pm), ==, HV_STATUS_SUCCESS);
	m = read_slot(&h, MSG_SINT);
	g_assert_cmphex(m.header.message_type, ==, 0x7FFFFFFF);
	g_assert_cmpuint(m.header.payload_size, ==, HV_MESSAGE_PAYLOAD_MAX);
	g_assert_cmpmem(m.payload, HV_MESSAGE_PAYLOAD_MAX, pm.payload, HV_MESSAGE_PAYLOAD_MAX);
	harness_fini(&h);
}

/* A busy slot: the second message waits in the queue with no interrupt,
 * the slot's MessagePending flag is set; freeing the slot and writing EOM
 * brings it in and raises the vector again. FIFO order. */
static void test_message_queued(void)
{
	Harness h;
	init_ports(&h);
	g_assert_cmphex(post_simple(&h, MSG_CONN, 1), ==, HV_STATUS_SUCCESS);
	g_assert_cmpint(sim_vp_take_vector(h.vp), ==, MSG_VECTOR);

	guint first = h.events->len;
	g_assert_cmphex(post_simple(&h, MSG_CONN, 2), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(post_simple(&h, MSG_CONN, 3), ==, HV_STATUS_SUCCESS);
	const SimEvent *ev = harness_last_from(&h, first, SIM_EV_SYNIC_MESSAGE);
	g_assert_nonnull(ev);
	g_assert_false(ev->u.synic.delivered);
	struct hv_message m = read_slot(&h, MSG_SINT);
	g_assert_cmphex(m.header.message_type, ==, 1);
	g_assert_cmphex(m.header.message_flags & HV_MESSAGE_FLAG_PENDING, ==, HV_MESSAGE_FLAG_PENDING);
	g_assert_false(any_vector_pending(&h));

	free_slot_and_eom(&h, MSG_SINT);
	m = read_slot(&h, MSG_SINT);
	g_assert_cmphex(m.header.message_type, ==, 2);
	g_assert_cmphex(m.header.origination_id, ==, MSG_PORT);
	g_assert_cmphex(m.header.message_flags & HV_MESSAGE_FLAG_PENDING, ==, HV_MESSAGE_FLAG_PENDING); /* 3 waits */
	g_assert_cmpint(sim_vp_take_vector(h.vp), ==, MSG_VECTOR);

	free_slot_and_eom(&h, MSG_SINT);
	m = read_slot(&h, MSG_SINT);
	g_assert_cmphex(m.header.message_type, ==, 3);
	g_assert_cmphex(m.header.message_flags, ==, 0); /* nothing behind it */
	g_assert_cmpint(sim_vp_take_vector(h.vp), ==, MSG_VECTOR);
	harness_fini(&h);
}

/* A port owns 16 buffers: with the slot busy and 16 messages queued the
 * next post is INSUFFICIENT_BUFFERS and changes nothing. Moving one into
 * the slot frees one buffer: exactly one more post succeeds. */
static void test_message_buffers(void)
{
	Harness h;
	init_ports(&h);
	g_assert_cmphex(post_simple(&h, MSG_CONN, 100), ==, HV_STATUS_SUCCESS); /* into the slot */
	for (uint32_t i = 0; i < HV_SYNIC_PORT_MESSAGE_BUFFERS; i++)
		g_assert_cmphex(post_simple(&h, MSG_CONN, 101 + i), ==, HV_STATUS_SUCCESS);
	g_assert_cmpuint(h.vp->synic.queue[MSG_SINT].len, ==, HV_SYNIC_PORT_MESSAGE_BUFFERS);

	guint first = h.events->len;
	g_assert_cmphex(post_simple(&h, MSG_CONN, 999), ==, HV_STATUS_INSUFFICIENT_BUFFERS);
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_SYNIC_MESSAGE), ==, 0);
	g_assert_true(message_seen(&h, first, "buffers of port 5"));
	g_assert_cmpuint(h.vp->synic.queue[MSG_SINT].len, ==, HV_SYNIC_PORT_MESSAGE_BUFFERS);

	/* Another port on another SINT has its own buffers. */
	struct hv_input_create_port p2 = message_port_input(9, 4, 0);
	struct hv_input_connect_port c2 = connect_input(10, 9, HV_PORT_TYPE_MESSAGE);
	g_assert_cmphex(create_port(&h, &p2), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(connect_port(&h, &c2), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(post_simple(&h, 10, 55), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(read_slot(&h, 4).header.origination_id, ==, 9);

	/* Message 101 moves into the slot: one buffer comes back. */
	free_slot_and_eom(&h, MSG_SINT);
	g_assert_cmphex(read_slot(&h, MSG_SINT).header.message_type, ==, 101);
	g_assert_cmphex(post_simple(&h, MSG_CONN, 117), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(post_simple(&h, MSG_CONN, 118), ==, HV_STATUS_INSUFFICIENT_BUFFERS);

	/* Everything arrives, in order, and the last one has nothing behind it. */
	for (uint32_t t = 102; t <= 117; t++) {
		free_slot_and_eom(&h, MSG_SINT);
		struct hv_message m = read_slot(&h, MSG_SINT);
		g_assert_cmphex(m.header.message_type, ==, t);
		g_assert_cmpint(!!(m.header.message_flags & HV_MESSAGE_FLAG_PENDING), ==, t < 117);
	}
	g_assert_cmpuint(h.vp->synic.queue[MSG_SINT].len, ==, 0);
	harness_fini(&h);
}

/* An HV_ANY_VP message port: delivered to VP 0 while it can take
 * messages; with no VP able to, INVALID_SYNIC_STATE. */
static void test_message_any_vp(void)
{
	Harness h;
	init_ports(&h);
	struct hv_input_create_port p = message_port_input(20, 4, HV_ANY_VP);
	struct hv_input_connect_port c = connect_input(21, 20, HV_PORT_TYPE_MESSAGE);
	guint first = h.events->len;
	g_assert_cmphex(create_port(&h, &p), ==, HV_STATUS_SUCCESS);
	g_assert_true(message_seen(&h, first, "port 20 created in partition 1 (message, SINT 4 of any VP)"));
	g_assert_cmphex(connect_port(&h, &c), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(post_simple(&h, 21, 0x77), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(read_slot(&h, 4).header.message_type, ==, 0x77);
	g_assert_cmpint(sim_vp_take_vector(h.vp), ==, SINT4_VECTOR);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_SINT0 + 4, HV_SYNIC_SINT_MASKED | SINT4_VECTOR), ==, SIM_RESUME_NEXT);
	g_assert_cmphex(post_simple(&h, 21, 0x78), ==, HV_STATUS_INVALID_SYNIC_STATE);
	g_assert_cmphex(read_slot(&h, 4).header.message_type, ==, 0x77);
	harness_fini(&h);
}

/* ==== events ===================================================================== */

/* Flag 3 of port 6 is SIEF bit 8 + 3 = 11 of SINT3: byte 1, bit 3. The
 * first signal raises the vector, a second of the same flag does not; a
 * different flag does. Both forms work. */
static void test_event_signal(void)
{
	Harness h;
	init_ports(&h);
	guint first = h.events->len;
	g_assert_cmphex(signal_fast(&h, EVT_CONN, 3), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(sief_byte(&h, EVT_SINT, 1), ==, 1u << 3);
	g_assert_cmpuint(sief_bits(&h), ==, 1);
	g_assert_true(message_seen(&h, first, "event flag 11 of SINT 3 set on partition 1 VP 0"));
	g_assert_cmpint(sim_vp_take_vector(h.vp), ==, EVT_VECTOR);
	g_assert_false(any_vector_pending(&h));

	/* Again: the flag is still set (the guest has not cleared it). */
	first = h.events->len;
	g_assert_cmphex(signal_fast(&h, EVT_CONN, 3), ==, HV_STATUS_SUCCESS);
	g_assert_false(any_vector_pending(&h));
	g_assert_cmpuint(sief_bits(&h), ==, 1);
	g_assert_true(message_seen(&h, first, "already set"));

	/* Flag 0 (bit 8, byte 1 bit 0) through the memory form. */
	struct hv_input_signal_event se = signal_input(EVT_CONN, 0);
	g_assert_cmphex(call_mem(&h, HVCALL_SIGNAL_EVENT, &se, sizeof se), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(sief_byte(&h, EVT_SINT, 1), ==, (1u << 3) | 1u);
	g_assert_cmpint(sim_vp_take_vector(h.vp), ==, EVT_VECTOR);

	/* The guest clears flag 11: the next signal is an edge again. */
	guint8 b = 1u;
	g_assert_true(sim_memory_write(&h.p->mem, SIEFP_GPA + 256u * EVT_SINT + 1, &b, 1));
	g_assert_cmphex(signal_fast(&h, EVT_CONN, 3), ==, HV_STATUS_SUCCESS);
	g_assert_cmpint(sim_vp_take_vector(h.vp), ==, EVT_VECTOR);
	g_assert_cmpuint(sief_bits(&h), ==, 2);
	/* No message was posted by any of it. */
	g_assert_cmphex(read_slot(&h, EVT_SINT).header.message_type, ==, HVMSG_NONE);
	harness_fini(&h);
}

/* The top of a SINT's flags: an event port on flags 2044..2047 of SINT15
 * sets the last bit of the SIEF page. */
static void test_event_last_flag(void)
{
	Harness h;
	init_ports(&h);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_SINT15, 0x90), ==, SIM_RESUME_NEXT);
	struct hv_input_create_port ep = event_port_input(30, 15, HV_EVENT_FLAGS_PER_SINT - 4, 4);
	struct hv_input_connect_port ec = connect_input(31, 30, HV_PORT_TYPE_EVENT);
	g_assert_cmphex(create_port(&h, &ep), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(connect_port(&h, &ec), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(signal_fast(&h, 31, 3), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(sief_byte(&h, 15, 255), ==, 0x80);
	g_assert_cmpuint(sief_bits(&h), ==, 1);
	g_assert_cmpint(sim_vp_take_vector(h.vp), ==, 0x90);
	harness_fini(&h);
}

/* ==== limits ===================================================================== */

/* SIM_PORT_MAX ports and SIM_CONNECTION_MAX connections per partition;
 * one more is NO_RESOURCES (init_ports made 2 of each). */
static void test_limits(void)
{
	Harness h;
	init_ports(&h);
	for (uint32_t i = 2; i < SIM_PORT_MAX; i++) {
		struct hv_input_create_port p = message_port_input(100 + i, 4, 0);
		g_assert_cmphex(create_port(&h, &p), ==, HV_STATUS_SUCCESS);
	}
	struct hv_input_create_port p = message_port_input(999, 4, 0);
	g_assert_cmphex(create_port(&h, &p), ==, HV_STATUS_NO_RESOURCES);
	for (uint32_t i = 2; i < SIM_CONNECTION_MAX; i++) {
		struct hv_input_connect_port c = connect_input(100 + i, MSG_PORT, HV_PORT_TYPE_MESSAGE);
		g_assert_cmphex(connect_port(&h, &c), ==, HV_STATUS_SUCCESS);
	}
	struct hv_input_connect_port c = connect_input(999, MSG_PORT, HV_PORT_TYPE_MESSAGE);
	g_assert_cmphex(connect_port(&h, &c), ==, HV_STATUS_NO_RESOURCES);
	/* The last ones made work: connection 163 posts through port 5. */
	g_assert_cmphex(post_simple(&h, 100 + SIM_CONNECTION_MAX - 1, 0x10), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(read_slot(&h, MSG_SINT).header.message_type, ==, 0x10);
	harness_fini(&h);
}

/* ==== DeletePort / DisconnectPort ================================================
 * Not in the call table yet: the handlers are called directly, as the
 * dispatcher would after its checks. */
static uint16_t call_handler(Harness *h, HvCallFunc func, uint16_t code, uint64_t partition, uint32_t id,
                             uint32_t rsvd)
{
	HvControl ctl = { .code = code };
	guint8 in[16], out[16];
	memcpy(in, &partition, 8);
	memcpy(in + 8, &id, 4);
	memcpy(in + 12, &rsvd, 4);
	HvCallCtx ctx = { .vp = h->vp, .ctl = &ctl, .in = in, .out = out };
	return func(&ctx);
}

static uint16_t delete_port(Harness *h, uint64_t partition, uint32_t id, uint32_t rsvd)
{
	return call_handler(h, sim_hv_call_delete_port, HVCALL_DELETE_PORT, partition, id, rsvd);
}

static uint16_t disconnect_port(Harness *h, uint64_t partition, uint32_t id, uint32_t rsvd)
{
	return call_handler(h, sim_hv_call_disconnect_port, HVCALL_DISCONNECT_PORT, partition, id, rsvd);
}

/* Deleting a message port frees its queued messages (not another port's,
 * not the one in the slot) and leaves its connections dangling, even
 * after a new port takes the same id. */
static void test_delete_port(void)
{
	Harness h;
	init_ports(&h);
	struct hv_input_connect_port c11 = connect_input(11, MSG_PORT, HV_PORT_TYPE_MESSAGE);
	struct hv_input_create_port p9 = message_port_input(9, MSG_SINT, 0);
	struct hv_input_connect_port c10 = connect_input(10, 9, HV_PORT_TYPE_MESSAGE);
	g_assert_cmphex(connect_port(&h, &c11), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(create_port(&h, &p9), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(connect_port(&h, &c10), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(post_simple(&h, MSG_CONN, 1), ==, HV_STATUS_SUCCESS);  /* slot */
	g_assert_cmphex(post_simple(&h, MSG_CONN, 2), ==, HV_STATUS_SUCCESS);  /* queued */
	g_assert_cmphex(post_simple(&h, 10, 3), ==, HV_STATUS_SUCCESS);        /* queued, port 9 */
	g_assert_cmphex(post_simple(&h, 11, 4), ==, HV_STATUS_SUCCESS);        /* queued */

	guint first = h.events->len;
	g_assert_cmphex(delete_port(&h, HV_PARTITION_ID_SELF, MSG_PORT, 0), ==, HV_STATUS_SUCCESS);
	g_assert_true(message_seen(&h, first, "port 5 deleted from partition 1 (2 queued messages freed, "
	                                      "2 connections left dangling)"));
	g_assert_cmpuint(h.vp->synic.queue[MSG_SINT].len, ==, 1);
	g_assert_cmphex(read_slot(&h, MSG_SINT).header.message_type, ==, 1);
	g_assert_cmphex(post_simple(&h, MSG_CONN, 5), ==, HV_STATUS_INVALID_PORT_ID);
	g_assert_cmphex(post_simple(&h, 11, 5), ==, HV_STATUS_INVALID_PORT_ID);
	g_assert_cmphex(delete_port(&h, HV_PARTITION_ID_SELF, MSG_PORT, 0), ==, HV_STATUS_INVALID_PORT_ID);

	/* Port 9's message comes next, then nothing. */
	free_slot_and_eom(&h, MSG_SINT);
	struct hv_message m = read_slot(&h, MSG_SINT);
	g_assert_cmphex(m.header.message_type, ==, 3);
	g_assert_cmphex(m.header.origination_id, ==, 9);
	g_assert_cmpuint(h.vp->synic.queue[MSG_SINT].len, ==, 0);

	/* A new port 5: the old connections still dangle, a new one works. */
	struct hv_input_create_port p5 = message_port_input(MSG_PORT, 4, 0);
	struct hv_input_connect_port c12 = connect_input(12, MSG_PORT, HV_PORT_TYPE_MESSAGE);
	g_assert_cmphex(create_port(&h, &p5), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(post_simple(&h, MSG_CONN, 6), ==, HV_STATUS_INVALID_PORT_ID);
	g_assert_cmphex(connect_port(&h, &c12), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(post_simple(&h, 12, 7), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(read_slot(&h, 4).header.message_type, ==, 7);

	/* An event port: its connection dangles too. */
	g_assert_cmphex(signal_fast(&h, EVT_CONN, 0), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(delete_port(&h, 1, EVT_PORT, 0), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(signal_fast(&h, EVT_CONN, 1), ==, HV_STATUS_INVALID_PORT_ID);
	g_assert_cmpuint(sief_bits(&h), ==, 1);

	/* Bad input. */
	g_assert_cmphex(delete_port(&h, HV_PARTITION_ID_SELF, 9, 1), ==, HV_STATUS_INVALID_PARAMETER);
	g_assert_cmphex(delete_port(&h, 99, 9, 0), ==, HV_STATUS_INVALID_PARTITION_ID);
	g_assert_cmphex(delete_port(&h, 0, 9, 0), ==, HV_STATUS_INVALID_PARTITION_ID);
	g_assert_cmphex(delete_port(&h, HV_PARTITION_ID_SELF, 77, 0), ==, HV_STATUS_INVALID_PORT_ID);
	g_assert_cmphex(post_simple(&h, 10, 8), ==, HV_STATUS_SUCCESS); /* port 9 survived all of them */
	harness_fini(&h);
}

/* Disconnecting removes the connection: its id is unknown, then free. */
static void test_disconnect_port(void)
{
	Harness h;
	init_ports(&h);
	g_assert_cmphex(disconnect_port(&h, HV_PARTITION_ID_SELF, MSG_CONN, 1), ==, HV_STATUS_INVALID_PARAMETER);
	g_assert_cmphex(disconnect_port(&h, 99, MSG_CONN, 0), ==, HV_STATUS_INVALID_PARTITION_ID);
	g_assert_cmphex(disconnect_port(&h, HV_PARTITION_ID_SELF, 77, 0), ==, HV_STATUS_INVALID_CONNECTION_ID);
	g_assert_cmphex(post_simple(&h, MSG_CONN, 1), ==, HV_STATUS_SUCCESS);

	guint first = h.events->len;
	g_assert_cmphex(disconnect_port(&h, HV_PARTITION_ID_SELF, MSG_CONN, 0), ==, HV_STATUS_SUCCESS);
	g_assert_true(message_seen(&h, first, "connection 7 of partition 1 disconnected"));
	g_assert_cmphex(post_simple(&h, MSG_CONN, 2), ==, HV_STATUS_INVALID_CONNECTION_ID);
	g_assert_cmphex(disconnect_port(&h, 1, MSG_CONN, 0), ==, HV_STATUS_INVALID_CONNECTION_ID);
	g_assert_cmphex(signal_fast(&h, EVT_CONN, 0), ==, HV_STATUS_SUCCESS); /* the other one is intact */

	struct hv_input_connect_port c = connect_input(MSG_CONN, MSG_PORT, HV_PORT_TYPE_MESSAGE);
	g_assert_cmphex(connect_port(&h, &c), ==, HV_STATUS_SUCCESS);
	free_slot_and_eom(&h, MSG_SINT);
	g_assert_cmphex(post_simple(&h, MSG_CONN, 3), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(read_slot(&h, MSG_SINT).header.message_type, ==, 3);
	harness_fini(&h);
}

/* ==== a child's ports ==============================================================
 * The root may put ports and connections in a child it created, between
 * InitializePartition and FinalizePartition; ids are per partition. */
static uint64_t create_child(Harness *h)
{
	guint8 in[sizeof(struct hv_input_create_partition)];
	memset(in, 0, sizeof in);
	g_assert_cmphex(call_mem(h, HVCALL_CREATE_PARTITION, in, sizeof in), ==, HV_STATUS_SUCCESS);
	uint64_t id = 0;
	g_assert_true(sim_memory_read(&h->p->mem, OUT_GPA, &id, sizeof id));
	g_assert_cmpuint(id, >, h->p->id);
	return id;
}

static uint16_t partition_call(Harness *h, uint16_t code, uint64_t id)
{
	return call_mem(h, code, &id, sizeof id);
}

static void test_child_ports(void)
{
	Harness h;
	init_ports(&h);
	uint64_t child = create_child(&h);
	SimPartition *cp = sim_machine_find_partition(h.m, child);
	g_assert_nonnull(cp);

	struct hv_input_create_port any = message_port_input(MSG_PORT, MSG_SINT, HV_ANY_VP);
	any.port_partition_id = child;
	g_assert_cmphex(create_port(&h, &any), ==, HV_STATUS_INVALID_PARTITION_STATE); /* not initialized */
	g_assert_cmphex(partition_call(&h, HVCALL_INITIALIZE_PARTITION, child), ==, HV_STATUS_SUCCESS);

	/* Port 5 again, in the child: a different partition's id space. */
	struct hv_input_create_port vp0 = any;
	vp0.port_info.u.message.target_vp = 0;
	g_assert_cmphex(create_port(&h, &vp0), ==, HV_STATUS_INVALID_VP_INDEX); /* the child has no VP yet */
	g_assert_cmphex(create_port(&h, &any), ==, HV_STATUS_SUCCESS);
	g_assert_nonnull(cp->ports);

	/* Root connection 40 -> child port 5; child connection 7 -> root port 5. */
	struct hv_input_connect_port to_child = connect_input(40, MSG_PORT, HV_PORT_TYPE_MESSAGE);
	to_child.port_partition_id = child;
	g_assert_cmphex(connect_port(&h, &to_child), ==, HV_STATUS_SUCCESS);
	struct hv_input_connect_port in_child = connect_input(MSG_CONN, MSG_PORT, HV_PORT_TYPE_MESSAGE);
	in_child.connection_partition_id = child;
	g_assert_cmphex(connect_port(&h, &in_child), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(connect_port(&h, &in_child), ==, HV_STATUS_INVALID_CONNECTION_ID);
	/* No VP of the child can take a message. */
	g_assert_cmphex(post_simple(&h, 40, 1), ==, HV_STATUS_INVALID_SYNIC_STATE);
	/* The root's own connection 7 still leads to the root's port 5. */
	g_assert_cmphex(post_simple(&h, MSG_CONN, 2), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(read_slot(&h, MSG_SINT).header.message_type, ==, 2);

	/* Finalized: no more ports there; FinalizePartition's teardown
	 * (sim_ports_teardown) leaves the root's connection dangling. */
	g_assert_cmphex(partition_call(&h, HVCALL_FINALIZE_PARTITION, child), ==, HV_STATUS_SUCCESS);
	struct hv_input_create_port other = any;
	other.port_id = 9;
	g_assert_cmphex(create_port(&h, &other), ==, HV_STATUS_INVALID_PARTITION_STATE);
	sim_ports_teardown(cp);
	g_assert_null(cp->ports);
	g_assert_cmphex(post_simple(&h, 40, 3), ==, HV_STATUS_INVALID_PORT_ID);

	/* Deleted: the id names nothing any more. */
	g_assert_cmphex(partition_call(&h, HVCALL_DELETE_PARTITION, child), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(create_port(&h, &other), ==, HV_STATUS_INVALID_PARTITION_ID);
	g_assert_cmphex(post_simple(&h, 40, 4), ==, HV_STATUS_INVALID_PORT_ID);
	harness_fini(&h);
}

/* ==== bad input: one table ========================================================
 * Each row starts from init_ports, changes the SynIC if `setup` says so,
 * patches up to three fields of the call's default input and expects
 * `status`. Defaults (all valid):
 *   CreatePort:  message port 9, SINT4 of VP 0, partition SELF
 *   ConnectPort: connection 10 -> message port 5, both SELF
 *   PostMessage: connection 7, type 1, 8 bytes
 *   SignalEvent: connection 8, flag 0 (memory form) */
typedef enum Call { CREATE, CONNECT, POST, SIGNAL } Call;
typedef enum Setup { NONE, SYNIC_OFF, SIM_OFF, SIEF_OFF, SINT_MASKED } Setup;

typedef struct Patch {
	guint8 size;       /* 0: unused; 1, 2, 4 or 8 bytes */
	guint16 offset;
	uint64_t value;
} Patch;

typedef struct BadRow {
	const char *path;
	Call call;
	Setup setup;
	Patch patch[3];
	uint16_t status;
} BadRow;

#define F(type, field, v) { sizeof(((struct type *)0)->field), offsetof(struct type, field), (v) }
#define CP(field, v) F(hv_input_create_port, field, v)
#define CN(field, v) F(hv_input_connect_port, field, v)
#define PM(field, v) F(hv_input_post_message, field, v)
#define SE(field, v) F(hv_input_signal_event, field, v)

static const BadRow bad_rows[] = {
	/* CreatePort */
	{ "create/rsvd-z",            CREATE, NONE, { CP(rsvd_z, 1) }, HV_STATUS_INVALID_PARAMETER },
	{ "create/port-vtl",          CREATE, NONE, { CP(port_vtl, 1) }, HV_STATUS_INVALID_PARAMETER },
	{ "create/min-connection-vtl", CREATE, NONE, { CP(min_connection_vtl, 1) }, HV_STATUS_INVALID_PARAMETER },
	{ "create/partition-0",       CREATE, NONE, { CP(port_partition_id, 0) }, HV_STATUS_INVALID_PARTITION_ID },
	{ "create/partition-unknown", CREATE, NONE, { CP(port_partition_id, 99) }, HV_STATUS_INVALID_PARTITION_ID },
	{ "create/connection-partition-unknown", CREATE, NONE, { CP(connection_partition_id, 99) },
	  HV_STATUS_INVALID_PARTITION_ID },
	{ "create/info-padding",      CREATE, NONE, { CP(port_info.padding, 1) }, HV_STATUS_INVALID_PARAMETER },
	{ "create/message-rsvd",      CREATE, NONE, { CP(port_info.u.message.rsvd, 1) }, HV_STATUS_INVALID_PARAMETER },
	{ "create/type-0",            CREATE, NONE, { CP(port_info.port_type, 0) }, HV_STATUS_INVALID_PARAMETER },
	{ "create/type-monitor",      CREATE, NONE, { CP(port_info.port_type, HV_PORT_TYPE_MONITOR) },
	  HV_STATUS_INVALID_PARAMETER },
	{ "create/type-doorbell",     CREATE, NONE, { CP(port_info.port_type, 4) }, HV_STATUS_INVALID_PARAMETER },
	{ "create/sint-16",           CREATE, NONE, { CP(port_info.u.message.target_sint, 16) },
	  HV_STATUS_INVALID_PARAMETER },
	{ "create/vp-1",              CREATE, NONE, { CP(port_info.u.message.target_vp, 1) }, HV_STATUS_INVALID_VP_INDEX },
	{ "create/vp-self",           CREATE, NONE, { CP(port_info.u.message.target_vp, HV_VP_INDEX_SELF) },
	  HV_STATUS_INVALID_VP_INDEX },
	{ "create/event-count-0",     CREATE, NONE,
	  { CP(port_info.port_type, HV_PORT_TYPE_EVENT), CP(port_info.u.event.flag_count, 0) },
	  HV_STATUS_INVALID_PARAMETER },
	{ "create/event-past-2048",   CREATE, NONE,
	  { CP(port_info.port_type, HV_PORT_TYPE_EVENT), CP(port_info.u.event.flag_count, 2049) },
	  HV_STATUS_INVALID_PARAMETER },
	{ "create/event-base-2047-count-2", CREATE, NONE,
	  { CP(port_info.port_type, HV_PORT_TYPE_EVENT), CP(port_info.u.event.base_flag_number, 2047),
	    CP(port_info.u.event.flag_count, 2) },
	  HV_STATUS_INVALID_PARAMETER },
	{ "create/event-rsvd",        CREATE, NONE,
	  { CP(port_info.port_type, HV_PORT_TYPE_EVENT), CP(port_info.u.event.flag_count, 1),
	    CP(port_info.u.event.rsvd, 1) },
	  HV_STATUS_INVALID_PARAMETER },
	{ "create/event-any-vp",      CREATE, NONE,
	  { CP(port_info.port_type, HV_PORT_TYPE_EVENT), CP(port_info.u.event.flag_count, 1),
	    CP(port_info.u.event.target_vp, HV_ANY_VP) },
	  HV_STATUS_INVALID_VP_INDEX },
	{ "create/duplicate-id",      CREATE, NONE, { CP(port_id, MSG_PORT) }, HV_STATUS_INVALID_PORT_ID },
	{ "create/duplicate-event-id", CREATE, NONE, { CP(port_id, EVT_PORT) }, HV_STATUS_INVALID_PORT_ID },
	{ "create/id-past-24-bits",   CREATE, NONE, { CP(port_id, 0x01000009) }, HV_STATUS_INVALID_PORT_ID },
	/* ConnectPort */
	{ "connect/rsvd-z1",          CONNECT, NONE, { CN(rsvd_z1[1], 1) }, HV_STATUS_INVALID_PARAMETER },
	{ "connect/rsvd-z2",          CONNECT, NONE, { CN(rsvd_z2, 1) }, HV_STATUS_INVALID_PARAMETER },
	{ "connect/connection-vtl",   CONNECT, NONE, { CN(connection_vtl, 1) }, HV_STATUS_INVALID_PARAMETER },
	{ "connect/connection-partition-unknown", CONNECT, NONE, { CN(connection_partition_id, 99) },
	  HV_STATUS_INVALID_PARTITION_ID },
	{ "connect/connection-partition-0", CONNECT, NONE, { CN(connection_partition_id, 0) },
	  HV_STATUS_INVALID_PARTITION_ID },
	{ "connect/port-partition-unknown", CONNECT, NONE, { CN(port_partition_id, 99) },
	  HV_STATUS_INVALID_PARTITION_ID },
	{ "connect/port-missing",     CONNECT, NONE, { CN(port_id, 77) }, HV_STATUS_INVALID_PORT_ID },
	{ "connect/info-type-mismatch", CONNECT, NONE, { CN(connection_info.port_type, HV_PORT_TYPE_EVENT) },
	  HV_STATUS_INVALID_PARAMETER },
	{ "connect/info-data",        CONNECT, NONE, { CN(connection_info.data[1], 1) }, HV_STATUS_INVALID_PARAMETER },
	{ "connect/info-padding",     CONNECT, NONE, { CN(connection_info.padding, 1) }, HV_STATUS_INVALID_PARAMETER },
	{ "connect/duplicate-id",     CONNECT, NONE, { CN(connection_id, MSG_CONN) }, HV_STATUS_INVALID_CONNECTION_ID },
	{ "connect/id-past-24-bits",  CONNECT, NONE, { CN(connection_id, 0x0100000A) },
	  HV_STATUS_INVALID_CONNECTION_ID },
	/* PostMessage */
	{ "post/connection-unknown",  POST, NONE, { PM(connection_id, 99) }, HV_STATUS_INVALID_CONNECTION_ID },
	{ "post/connection-high-bits", POST, NONE, { PM(connection_id, 0x01000000 | MSG_CONN) },
	  HV_STATUS_INVALID_CONNECTION_ID },
	{ "post/event-port",          POST, NONE, { PM(connection_id, EVT_CONN) }, HV_STATUS_INVALID_PORT_ID },
	{ "post/rsvd-z",              POST, NONE, { PM(rsvd_z, 1) }, HV_STATUS_INVALID_PARAMETER },
	{ "post/type-0",              POST, NONE, { PM(message_type, 0) }, HV_STATUS_INVALID_PARAMETER },
	{ "post/type-bit-31",         POST, NONE, { PM(message_type, HVMSG_TIMER_EXPIRED) }, HV_STATUS_INVALID_PARAMETER },
	{ "post/size-241",            POST, NONE, { PM(payload_size, 241) }, HV_STATUS_INVALID_PARAMETER },
	{ "post/size-huge",           POST, NONE, { PM(payload_size, 0xFFFFFFFF) }, HV_STATUS_INVALID_PARAMETER },
	{ "post/synic-off",           POST, SYNIC_OFF, { { 0 } }, HV_STATUS_INVALID_SYNIC_STATE },
	{ "post/sim-off",             POST, SIM_OFF, { { 0 } }, HV_STATUS_INVALID_SYNIC_STATE },
	{ "post/sint-masked",         POST, SINT_MASKED, { { 0 } }, HV_STATUS_INVALID_SYNIC_STATE },
	/* SignalEvent */
	{ "signal/connection-unknown", SIGNAL, NONE, { SE(connection_id, 99) }, HV_STATUS_INVALID_CONNECTION_ID },
	{ "signal/connection-high-bits", SIGNAL, NONE, { SE(connection_id, 0x01000000 | EVT_CONN) },
	  HV_STATUS_INVALID_CONNECTION_ID },
	{ "signal/message-port",      SIGNAL, NONE, { SE(connection_id, MSG_CONN) }, HV_STATUS_INVALID_PORT_ID },
	{ "signal/rsvd-z",            SIGNAL, NONE, { SE(rsvd_z, 1) }, HV_STATUS_INVALID_PARAMETER },
	{ "signal/flag-count",        SIGNAL, NONE, { SE(flag_number, EVT_COUNT) }, HV_STATUS_INVALID_PARAMETER },
	{ "signal/flag-ffff",         SIGNAL, NONE, { SE(flag_number, 0xFFFF) }, HV_STATUS_INVALID_PARAMETER },
	{ "signal/synic-off",         SIGNAL, SYNIC_OFF, { { 0 } }, HV_STATUS_INVALID_SYNIC_STATE },
	{ "signal/sief-off",          SIGNAL, SIEF_OFF, { { 0 } }, HV_STATUS_INVALID_SYNIC_STATE },
	{ "signal/sint-masked",       SIGNAL, SINT_MASKED, { { 0 } }, HV_STATUS_INVALID_SYNIC_STATE },
	/* Valid variations the checks must not refuse. */
	{ "ok/create-any-vp",         CREATE, NONE, { CP(port_info.u.message.target_vp, HV_ANY_VP) }, HV_STATUS_SUCCESS },
	{ "ok/create-own-id",         CREATE, NONE, { CP(port_partition_id, 1) }, HV_STATUS_SUCCESS },
	{ "ok/create-connection-partition-self", CREATE, NONE, { CP(connection_partition_id, HV_PARTITION_ID_SELF) },
	  HV_STATUS_SUCCESS },
	{ "ok/create-proximity",      CREATE, NONE, { CP(proximity_domain_info, 0x12345678) }, HV_STATUS_SUCCESS },
	{ "ok/create-id-24-bits",     CREATE, NONE, { CP(port_id, 0x00FFFFFF) }, HV_STATUS_SUCCESS },
	{ "ok/create-event-top",      CREATE, NONE,
	  { CP(port_info.port_type, HV_PORT_TYPE_EVENT), CP(port_info.u.event.base_flag_number, 2047),
	    CP(port_info.u.event.flag_count, 1) },
	  HV_STATUS_SUCCESS },
	{ "ok/connect-own-ids",       CONNECT, NONE, { CN(connection_partition_id, 1), CN(port_partition_id, 1) },
	  HV_STATUS_SUCCESS },
	{ "ok/connect-id-24-bits",    CONNECT, NONE, { CN(connection_id, 0x00FFFFFF) }, HV_STATUS_SUCCESS },
	{ "ok/post-empty",            POST, NONE, { PM(payload_size, 0) }, HV_STATUS_SUCCESS },
	{ "ok/signal-last-flag",      SIGNAL, NONE, { SE(flag_number, EVT_COUNT - 1) }, HV_STATUS_SUCCESS },
};

static void apply_patch(guint8 *in, const Patch *p)
{
	g_assert(p->size == 1 || p->size == 2 || p->size == 4 || p->size == 8);
	uint8_t v8 = (uint8_t)p->value;
	uint16_t v16 = (uint16_t)p->value;
	uint32_t v32 = (uint32_t)p->value;
	uint64_t v64 = p->value;
	const void *src = p->size == 1 ? (const void *)&v8 : p->size == 2 ? (const void *)&v16
	                : p->size == 4 ? (const void *)&v32 : (const void *)&v64;
	memcpy(in + p->offset, src, p->size);
}

static void apply_setup(Harness *h, Setup s, unsigned sint)
{
	switch (s) {
	case NONE: break;
	case SYNIC_OFF: g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_SCONTROL, 0), ==, SIM_RESUME_NEXT); break;
	case SIM_OFF: g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_SIMP, SIMP_GPA), ==, SIM_RESUME_NEXT); break;
	case SIEF_OFF: g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_SIEFP, SIEFP_GPA), ==, SIM_RESUME_NEXT); break;
	case SINT_MASKED:
		g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_SINT0 + sint, HV_SYNIC_SINT_MASKED | 0x40), ==, SIM_RESUME_NEXT);
		break;
	}
}

static void test_bad_input(gconstpointer data)
{
	const BadRow *row = data;
	Harness h;
	init_ports(&h);
	apply_setup(&h, row->setup, row->call == SIGNAL ? EVT_SINT : MSG_SINT);

	union {
		struct hv_input_create_port create;
		struct hv_input_connect_port connect;
		struct hv_input_post_message post;
		struct hv_input_signal_event signal;
		guint8 bytes[HV_PAGE_SIZE];
	} in, dflt;
	gsize len = 0;
	uint16_t code = 0;
	memset(&dflt, 0, sizeof dflt);
	switch (row->call) {
	case CREATE:
		dflt.create = message_port_input(9, 4, 0);
		len = sizeof dflt.create, code = HVCALL_CREATE_PORT;
		break;
	case CONNECT:
		dflt.connect = connect_input(10, MSG_PORT, HV_PORT_TYPE_MESSAGE);
		len = sizeof dflt.connect, code = HVCALL_CONNECT_PORT;
		break;
	case POST:
		dflt.post = post_input(MSG_CONN, 1, 8, 0);
		len = sizeof dflt.post, code = HVCALL_POST_MESSAGE;
		break;
	case SIGNAL:
		dflt.signal = signal_input(EVT_CONN, 0);
		len = sizeof dflt.signal, code = HVCALL_SIGNAL_EVENT;
		break;
	}
	in = dflt;
	for (unsigned i = 0; i < G_N_ELEMENTS(row->patch); i++)
		if (row->patch[i].size)
			apply_patch(in.bytes, &row->patch[i]);

	guint first = h.events->len;
	g_assert_cmphex(call_mem(&h, code, &in, len), ==, row->status);
	if (row->status == HV_STATUS_SUCCESS) {
		harness_fini(&h);
		return;
	}
	/* A refusal says why ... */
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_MESSAGE), >=, 1);
	/* ... and leaves nothing behind: no message, no flag, no interrupt ... */
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_SYNIC_MESSAGE), ==, 0);
	g_assert_false(any_vector_pending(&h));
	if (row->setup != NONE) {
		enable_synic(&h);
		g_assert_cmphex(read_slot(&h, MSG_SINT).header.message_type, ==, HVMSG_NONE);
	}
	g_assert_cmpuint(sief_bits(&h), ==, 0);
	/* ... and no object: the default call still succeeds (a port 9 or a
	 * connection 10 made by the refused call would now be a duplicate). */
	g_assert_cmphex(call_mem(&h, code, &dflt, len), ==, HV_STATUS_SUCCESS);
	harness_fini(&h);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/port/access-denied", test_access_denied);
	g_test_add_func("/port/message/delivered", test_message_delivered);
	g_test_add_func("/port/message/queued", test_message_queued);
	g_test_add_func("/port/message/buffers", test_message_buffers);
	g_test_add_func("/port/message/any-vp", test_message_any_vp);
	g_test_add_func("/port/event/signal", test_event_signal);
	g_test_add_func("/port/event/last-flag", test_event_last_flag);
	g_test_add_func("/port/limits", test_limits);
	g_test_add_func("/port/delete", test_delete_port);
	g_test_add_func("/port/disconnect", test_disconnect_port);
	g_test_add_func("/port/child", test_child_ports);
	for (gsize i = 0; i < G_N_ELEMENTS(bad_rows); i++) {
		g_autofree char *path = g_strdup_printf("/port/input/%s", bad_rows[i].path);
		g_test_add_data_func(path, &bad_rows[i], test_bad_input);
	}
	return g_test_run();
}
