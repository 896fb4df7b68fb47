/* test-synic.c — tests for the modelled SynIC (hv-synic.c): its MSRs, the
 * SIM page and message delivery, EOM and the message queue, the pending
 * interrupt set, and STIMER0 in message mode. Driven as VM exits and direct
 * calls on a machine that is not running. Host test program (GLib test
 * framework); expected behaviour from shared/reference/hyperv-facts.md
 * §2.1, §2.4, §2.5 and §4. */
#include <glib.h>
#include <string.h>

#include "hvsim-platform.h"
#include "sim-harness.h"

#define PAGE_A  0x200000ull   /* free RAM in hello.elf's partition */
#define PAGE_B  0x300000ull
#define MEM_END SIM_DEFAULT_MEMORY_SIZE

/* The hello scenario's event count (as the harness records it) before the
 * SynIC existed: 15860, both vendors. Advertising the SynIC privilege makes
 * the guest print " SynIC" in its list of synthetic MSRs: 6 characters, each
 * a UART status IN and a data OUT, each of those a vm_exit, port_io and
 * vm_entry. Nothing else may change: no message is posted. */
#define HELLO_EVENTS_BEFORE 15860u
#define HELLO_EVENTS (HELLO_EVENTS_BEFORE + 6u * 2u * 3u)

/* ==== MSR access table ======================================================= */

typedef struct SynicRow {
	const char *path;
	uint32_t msr;
	gboolean write;
	uint64_t value;      /* written, or expected on a read */
	gboolean gp;         /* #GP(0) expected */
} SynicRow;

static const SynicRow synic_rows[] = {
	/* Reset values (facts §2.1, §2.4). */
	{ "reset/scontrol",        HV_X64_MSR_SCONTROL, FALSE, 0, FALSE },
	{ "reset/sversion",        HV_X64_MSR_SVERSION, FALSE, HV_SYNIC_VERSION_1, FALSE },
	{ "reset/siefp",           HV_X64_MSR_SIEFP, FALSE, 0, FALSE },
	{ "reset/simp",            HV_X64_MSR_SIMP, FALSE, 0, FALSE },
	{ "reset/eom",             HV_X64_MSR_EOM, FALSE, 0, FALSE },
	{ "reset/sint0",           HV_X64_MSR_SINT0, FALSE, 0x10000, FALSE },
	{ "reset/sint2",           HV_X64_MSR_SINT0 + 2, FALSE, 0x10000, FALSE },
	{ "reset/sint15",          HV_X64_MSR_SINT15, FALSE, 0x10000, FALSE },
	/* Writes. */
	{ "sversion/write",        HV_X64_MSR_SVERSION, TRUE, 1, TRUE },             /* read-only */
	{ "scontrol/enable",       HV_X64_MSR_SCONTROL, TRUE, 1, FALSE },
	{ "eom/write",             HV_X64_MSR_EOM, TRUE, 0, FALSE },
	{ "sint/vector-16",        HV_X64_MSR_SINT0 + 1, TRUE, 16, FALSE },
	{ "sint/vector-ff",        HV_X64_MSR_SINT0 + 1, TRUE, 0xFF, FALSE },
	{ "sint/vector-15",        HV_X64_MSR_SINT0 + 1, TRUE, 15, TRUE },           /* an exception vector */
	{ "sint/vector-0",         HV_X64_MSR_SINT0 + 1, TRUE, 0, TRUE },
	{ "sint/vector-2-polling", HV_X64_MSR_SINT0 + 1, TRUE, 2 | HV_SYNIC_SINT_POLLING, TRUE },
	{ "sint/reset-value",      HV_X64_MSR_SINT0 + 1, TRUE, 0x10000, FALSE },     /* masked: accepted */
	{ "simp/in-ram",           HV_X64_MSR_SIMP, TRUE, PAGE_A | 1, FALSE },
	{ "simp/last-page",        HV_X64_MSR_SIMP, TRUE, (MEM_END - 4096) | 1, FALSE },
	{ "simp/past-ram",         HV_X64_MSR_SIMP, TRUE, MEM_END | 1, TRUE },
	{ "simp/past-ram-off",     HV_X64_MSR_SIMP, TRUE, MEM_END, TRUE },
	{ "siefp/in-ram",          HV_X64_MSR_SIEFP, TRUE, PAGE_B | 1, FALSE },
	{ "siefp/past-ram",        HV_X64_MSR_SIEFP, TRUE, 0xFFFFFFFFFFFFF001ull, TRUE },
};

static void test_access(gconstpointer data)
{
	const SynicRow *row = data;
	Harness h;
	uint64_t value = 0xABCD;

	harness_init_hello(&h, SIM_VENDOR_INTEL);
	guint first = h.events->len;
	SimExitAction a = row->write ? harness_wrmsr(&h, row->msr, row->value)
	                             : harness_rdmsr(&h, row->msr, &value);
	const SimEvent *ev = harness_last_from(&h, first, SIM_EV_MSR);
	g_assert_nonnull(ev);
	g_assert_cmpint(ev->u.msr.fault, ==, row->gp);
	if (row->gp) {
		g_assert_cmpint(a, ==, SIM_RESUME_SAME);
		harness_assert_injected(&h, X86_VEC_GP, TRUE, 0);
	} else {
		g_assert_cmpint(a, ==, SIM_RESUME_NEXT);
		harness_assert_no_injection(&h);
		if (row->write && row->msr != HV_X64_MSR_EOM)
			g_assert_cmphex(harness_rdmsr_ok(&h, row->msr), ==, row->value);
		else if (!row->write)
			g_assert_cmphex(value, ==, row->value);
	}
	harness_fini(&h);
}

/* A refused write leaves the register as it was. */
static void test_gp_keeps_value(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_SINT0 + 4, 0x44), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_SINT0 + 4, 0x04), ==, SIM_RESUME_SAME);
	harness_assert_injected(&h, X86_VEC_GP, TRUE, 0);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_SINT0 + 4), ==, 0x44);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_SIMP, PAGE_A | 1), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_SIMP, MEM_END | 1), ==, SIM_RESUME_SAME);
	harness_assert_injected(&h, X86_VEC_GP, TRUE, 0);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_SIMP), ==, PAGE_A | 1);
	harness_fini(&h);
}

/* RsvdP bits read back as written (facts §2.1, §2.4). */
static void test_rsvdp(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	const uint64_t scontrol = 1 | (1ull << 7) | (1ull << 63);
	const uint64_t simp = PAGE_A | 0xFFE | 1;                 /* 11:1 RsvdP */
	const uint64_t siefp = PAGE_B | 0x5A4;
	const uint64_t sint = 0x30 | (0xA5ull << 8) | HV_SYNIC_SINT_AUTO_EOI | (1ull << 40) | (1ull << 63);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_SCONTROL, scontrol), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_SIMP, simp), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_SIEFP, siefp), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_SINT0 + 7, sint), ==, SIM_RESUME_NEXT);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_SCONTROL), ==, scontrol);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_SIMP), ==, simp);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_SIEFP), ==, siefp);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_SINT0 + 7), ==, sint);
	/* Only that SINT changed. */
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_SINT0 + 6), ==, HV_SYNIC_SINT_RESET);
	harness_fini(&h);
}

/* The SynIC is advertised in CPUID 0x40000003 EAX, and nothing else new. */
static void test_privilege(void)
{
	Harness h;
	uint32_t r[4];
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	sim_hv_cpuid(h.vp, HV_CPUID_FEATURES, 0, r);
	g_assert_cmphex(r[0], ==, HV_MSR_ACCESS_TIME_REF_COUNT | HV_MSR_ACCESS_SYNIC | HV_MSR_ACCESS_SYNTIMER |
	                HV_MSR_ACCESS_APIC | HV_MSR_ACCESS_HYPERCALL | HV_MSR_ACCESS_VP_INDEX);
	g_assert_cmphex(r[1], ==, HV_PRIV_ACCESS_PARTITION_ID | HV_PRIV_ACCESS_VP_REGISTERS);
	harness_fini(&h);
}

/* ==== delivery ================================================================ */

/* SynIC on, SIM page at PAGE_A, SINTn unmasked with `sint_value`. */
static void synic_setup(Harness *h, unsigned sint, uint64_t sint_value)
{
	g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_SCONTROL, HV_SYNIC_SCONTROL_ENABLE), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_SIMP, PAGE_A | HV_SYNIC_PAGE_ENABLE), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_SINT0 + sint, sint_value), ==, SIM_RESUME_NEXT);
}

static void read_slot(Harness *h, unsigned sint, struct hv_message *m)
{
	g_assert_true(sim_memory_read(&h->p->mem, PAGE_A + HV_MESSAGE_SIZE * sint, m, sizeof *m));
}

/* What the guest's ISR does: free the slot (MessageType = 0). */
static void free_slot(Harness *h, unsigned sint)
{
	uint32_t none = HVMSG_NONE;
	g_assert_true(sim_memory_write(&h->p->mem, PAGE_A + HV_MESSAGE_SIZE * sint, &none, sizeof none));
}

static void test_deliver(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	/* Junk in the page before it is enabled: enabling presents it zeroed. */
	guint8 junk[HV_PAGE_SIZE];
	memset(junk, 0x77, sizeof junk);
	g_assert_true(sim_memory_write(&h.p->mem, PAGE_A, junk, sizeof junk));
	synic_setup(&h, 2, 0x50);

	const guint8 payload[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	guint first = h.events->len;
	g_assert_true(sim_synic_post(h.vp, 2, 0x1, payload, sizeof payload, 0x1234));

	/* The 256 bytes of slot 2, exactly. */
	guint8 want[HV_MESSAGE_SIZE] = { 0 };
	want[0] = 0x01;               /* MessageType 1 (little-endian u32) */
	want[4] = sizeof payload;     /* PayloadSize */
	want[5] = 0;                  /* flags: nothing else queued */
	want[8] = 0x34; want[9] = 0x12; /* origination id */
	memcpy(want + 16, payload, sizeof payload);
	guint8 got[HV_MESSAGE_SIZE];
	g_assert_true(sim_memory_read(&h.p->mem, PAGE_A + 2 * HV_MESSAGE_SIZE, got, sizeof got));
	g_assert_cmpmem(got, sizeof got, want, sizeof want);
	/* The rest of the page is zero: the other slots are free. */
	guint8 page[HV_PAGE_SIZE];
	g_assert_true(sim_memory_read(&h.p->mem, PAGE_A, page, sizeof page));
	for (unsigned i = 0; i < HV_PAGE_SIZE; i++)
		if (i < 2 * HV_MESSAGE_SIZE || i >= 3 * HV_MESSAGE_SIZE)
			g_assert_cmpuint(page[i], ==, 0);

	/* The SINT's vector is pending; the event says delivered. */
	g_assert_cmpint(h.vp->pending_vector, ==, 0x50);
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_SYNIC_MESSAGE), ==, 1);
	const SimEvent *ev = harness_last_from(&h, first, SIM_EV_SYNIC_MESSAGE);
	g_assert_cmpuint(ev->u.synic.sint, ==, 2);
	g_assert_cmphex(ev->u.synic.message_type, ==, 0x1);
	g_assert_cmpuint(ev->u.synic.payload_size, ==, sizeof payload);
	g_assert_true(ev->u.synic.delivered);

	g_autoptr(GString) json = g_string_new(NULL);
	sim_event_to_json(ev, "intel", json);
	g_assert_nonnull(strstr(json->str, "\"type\":\"synic_message\""));
	g_assert_nonnull(strstr(json->str, "\"sint\":2,\"message_type\":\"0x00000001\",\"payload_size\":10,\"delivered\":true"));
	harness_fini(&h);
}

/* Impossible deliveries: false, a `message` event, nothing written. */
typedef struct RefuseRow {
	const char *path;
	uint64_t scontrol, simp, sint;
	unsigned post_sint;
	unsigned len;
	const char *why;
} RefuseRow;

static const RefuseRow refuse_rows[] = {
	{ "synic-off",  0, PAGE_A | 1, 0x50, 3, 8, "SynIC is disabled" },
	{ "simp-off",   1, PAGE_A,     0x50, 3, 8, "SIM page is disabled" },
	{ "masked",     1, PAGE_A | 1, 0x50 | HV_SYNIC_SINT_MASKED, 3, 8, "masked" },
	{ "bad-sint",   1, PAGE_A | 1, 0x50, 16, 8, "16 SINTs" },
	{ "too-long",   1, PAGE_A | 1, 0x50, 3, 241, "240 bytes" },
};

static void test_refuse(gconstpointer data)
{
	const RefuseRow *row = data;
	Harness h;
	guint8 payload[256] = { 0xEE };
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_SCONTROL, row->scontrol), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_SIMP, row->simp), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_SINT0 + 3, row->sint), ==, SIM_RESUME_NEXT);
	free_slot(&h, 3);

	guint first = h.events->len;
	g_assert_false(sim_synic_post(h.vp, row->post_sint, 0x1, payload, row->len, 0));
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_SYNIC_MESSAGE), ==, 0);
	const SimEvent *msg = harness_last_from(&h, first, SIM_EV_MESSAGE);
	g_assert_nonnull(msg);
	g_test_message("%s", msg->text);
	g_assert_nonnull(strstr(msg->text, row->why));
	g_assert_cmpint(h.vp->pending_vector, ==, -1);
	struct hv_message m;
	read_slot(&h, 3, &m);
	g_assert_cmphex(m.header.message_type, ==, HVMSG_NONE);
	harness_fini(&h);
}

/* A busy slot queues the message and sets MessagePending; the guest frees
 * the slot and writes EOM, and the next one comes in (facts §4.2). */
static void test_queue_eom(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	synic_setup(&h, 5, 0x60);
	struct hv_message m;

	for (uint32_t k = 1; k <= 3; k++) {
		guint first = h.events->len;
		g_assert_true(sim_synic_post(h.vp, 5, k, &k, sizeof k, 100 + k));
		g_assert_cmpint(harness_last_from(&h, first, SIM_EV_SYNIC_MESSAGE)->u.synic.delivered, ==, k == 1);
	}
	read_slot(&h, 5, &m);
	g_assert_cmphex(m.header.message_type, ==, 1);
	g_assert_cmphex(m.header.message_flags & HV_MESSAGE_FLAG_PENDING, ==, HV_MESSAGE_FLAG_PENDING);
	g_assert_cmpuint(h.vp->synic.queue[5].len, ==, 2);

	/* EOM before the slot is freed changes nothing. */
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_EOM, 0), ==, SIM_RESUME_NEXT);
	read_slot(&h, 5, &m);
	g_assert_cmphex(m.header.message_type, ==, 1);
	g_assert_cmpuint(h.vp->synic.queue[5].len, ==, 2);

	for (uint32_t k = 2; k <= 3; k++) {
		g_assert_cmpint(sim_vp_take_vector(h.vp), ==, 0x60);
		free_slot(&h, 5);
		guint first = h.events->len;
		g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_EOM, 0), ==, SIM_RESUME_NEXT);
		g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_SYNIC_MESSAGE), ==, 1);
		g_assert_true(harness_last_from(&h, first, SIM_EV_SYNIC_MESSAGE)->u.synic.delivered);
		read_slot(&h, 5, &m);
		g_assert_cmphex(m.header.message_type, ==, k);
		g_assert_cmpuint(m.header.origination_id, ==, 100 + k);
		g_assert_cmpuint(m.header.payload_size, ==, 4);
		uint32_t got;
		memcpy(&got, m.payload, sizeof got);
		g_assert_cmpuint(got, ==, k);
		/* MessagePending while more wait behind it: only the second. */
		g_assert_cmphex(m.header.message_flags & HV_MESSAGE_FLAG_PENDING, ==, k == 2 ? HV_MESSAGE_FLAG_PENDING : 0);
		g_assert_cmpint(h.vp->pending_vector, ==, 0x60);
	}
	/* EOM with nothing queued is a no-op. */
	g_assert_cmpint(sim_vp_take_vector(h.vp), ==, 0x60);
	free_slot(&h, 5);
	guint first = h.events->len;
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_EOM, 0), ==, SIM_RESUME_NEXT);
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_SYNIC_MESSAGE), ==, 0);
	g_assert_cmpint(h.vp->pending_vector, ==, -1);
	harness_fini(&h);
}

/* The queue is bounded: the 17th waiting message is refused. */
static void test_queue_full(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	synic_setup(&h, 6, 0x61);
	g_assert_true(sim_synic_post(h.vp, 6, 1, NULL, 0, 0));    /* into the slot */
	for (unsigned i = 0; i < SIM_SYNIC_QUEUE_MAX; i++)
		g_assert_true(sim_synic_post(h.vp, 6, 2, NULL, 0, 0));
	guint first = h.events->len;
	g_assert_false(sim_synic_post(h.vp, 6, 3, NULL, 0, 0));
	g_assert_nonnull(harness_last_from(&h, first, SIM_EV_MESSAGE));
	g_assert_cmpuint(h.vp->synic.queue[6].len, ==, SIM_SYNIC_QUEUE_MAX);
	harness_fini(&h);
}

/* Polling: counts as unmasked, the message lands, no interrupt. */
static void test_polling(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	synic_setup(&h, 4, 0x70 | HV_SYNIC_SINT_POLLING);
	g_assert_true(sim_synic_post(h.vp, 4, 0x9, NULL, 0, 0));
	struct hv_message m;
	read_slot(&h, 4, &m);
	g_assert_cmphex(m.header.message_type, ==, 0x9);
	g_assert_cmpint(h.vp->pending_vector, ==, -1);
	g_assert_false(sim_vp_vector_pending(h.vp, 0x70));
	harness_fini(&h);
}

/* AutoEOI is stored (there is no APIC ISR to clear) and still interrupts. */
static void test_auto_eoi(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	synic_setup(&h, 1, 0x71 | HV_SYNIC_SINT_AUTO_EOI);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_SINT0 + 1), ==, 0x71 | HV_SYNIC_SINT_AUTO_EOI);
	g_assert_true(sim_synic_post(h.vp, 1, 0x9, NULL, 0, 0));
	g_assert_cmpint(h.vp->pending_vector, ==, 0x71);
	harness_fini(&h);
}

/* A message queued on a masked SINT... cannot be: posting is refused. But
 * one queued before the mask goes into the slot at EOM, without an
 * interrupt (facts §4.2 step 5: EOM drains masked SINTs too). */
static void test_eom_drains_masked(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	synic_setup(&h, 8, 0x72);
	g_assert_true(sim_synic_post(h.vp, 8, 1, NULL, 0, 0));
	g_assert_true(sim_synic_post(h.vp, 8, 2, NULL, 0, 0));
	g_assert_cmpint(sim_vp_take_vector(h.vp), ==, 0x72);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_SINT0 + 8, 0x72 | HV_SYNIC_SINT_MASKED), ==, SIM_RESUME_NEXT);
	free_slot(&h, 8);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_EOM, 0), ==, SIM_RESUME_NEXT);
	struct hv_message m;
	read_slot(&h, 8, &m);
	g_assert_cmphex(m.header.message_type, ==, 2);
	g_assert_cmpint(h.vp->pending_vector, ==, -1);
	harness_fini(&h);
}

/* ==== the pending-interrupt set ================================================ */

static void test_pending_set(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	g_assert_cmpint(sim_vp_take_vector(h.vp), ==, -1);
	sim_vp_raise_vector(h.vp, 0x40);
	sim_vp_raise_vector(h.vp, 0xC1);
	sim_vp_raise_vector(h.vp, 0x7F);
	sim_vp_raise_vector(h.vp, 0x40);          /* merges: edge-triggered */
	g_assert_cmpint(h.vp->pending_vector, ==, 0xC1);
	g_assert_cmpint(sim_vp_take_vector(h.vp), ==, 0xC1);
	g_assert_cmpint(sim_vp_take_vector(h.vp), ==, 0x7F);
	g_assert_cmpint(h.vp->pending_vector, ==, 0x40);
	g_assert_cmpint(sim_vp_take_vector(h.vp), ==, 0x40);
	g_assert_cmpint(sim_vp_take_vector(h.vp), ==, -1);
	g_assert_cmpint(h.vp->pending_vector, ==, -1);
	harness_fini(&h);
}

/* ==== STIMER0 in message mode (facts §2.5) ======================================= */

static void test_stimer_message(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	synic_setup(&h, 5, 0x62);
	uint64_t cfg = HV_STIMER_CONFIG_ENABLE | (5ull << HV_STIMER_CONFIG_SINT_SHIFT);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_CONFIG, cfg), ==, SIM_RESUME_NEXT);
	uint64_t due = harness_rdmsr_ok(&h, HV_X64_MSR_TIME_REF_COUNT) + 100;
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_COUNT, due), ==, SIM_RESUME_NEXT);
	g_assert_true(h.vp->stimer0.armed);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_STIMER0_CONFIG), ==, cfg);

	guint first = h.events->len;
	sim_vp_hv_timer_check(h.vp);
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_TIMER), ==, 0);

	h.vp->insns += 150 * HV_TIME_UNIT_NS;    /* past the expiry */
	const uint64_t now = sim_vp_time_ref_count(h.vp);
	sim_vp_hv_timer_check(h.vp);
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_TIMER), ==, 1);
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_SYNIC_MESSAGE), ==, 1);
	g_assert_false(h.vp->stimer0.armed);

	struct hv_message m;
	read_slot(&h, 5, &m);
	g_assert_cmphex(m.header.message_type, ==, HVMSG_TIMER_EXPIRED);
	g_assert_cmphex(m.header.message_type, ==, 0x80000010u);
	g_assert_cmpuint(m.header.payload_size, ==, 24);
	g_assert_cmpuint(m.header.origination_id, ==, 0);
	struct hv_timer_message_payload pl;
	memcpy(&pl, m.payload, sizeof pl);
	g_assert_cmpuint(pl.timer_index, ==, 0);
	g_assert_cmpuint(pl.reserved, ==, 0);
	g_assert_cmpuint(pl.expiration_time, ==, due);
	g_assert_cmpuint(pl.delivery_time, ==, now);
	for (unsigned i = sizeof pl; i < HV_MESSAGE_PAYLOAD_MAX; i++)
		g_assert_cmpuint(m.payload[i], ==, 0);
	/* The SINT's vector, not the CONFIG vector field, is raised. */
	g_assert_cmpint(h.vp->pending_vector, ==, 0x62);
	harness_fini(&h);
}

/* Message mode with SINTx = 0: Enable clears at once (TLFS). */
static void test_stimer_message_sint0(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	synic_setup(&h, 0, 0x62);
	guint first = h.events->len;
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_CONFIG, HV_STIMER_CONFIG_ENABLE), ==, SIM_RESUME_NEXT);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_STIMER0_CONFIG) & HV_STIMER_CONFIG_ENABLE, ==, 0);
	g_assert_false(h.vp->stimer0.armed);
	g_assert_nonnull(harness_last_from(&h, first, SIM_EV_MESSAGE));
	harness_fini(&h);
}

/* A message-mode timer on a masked SINT fires, but the message is refused
 * with a diagnostic and no vector is raised. */
static void test_stimer_message_masked(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	synic_setup(&h, 3, 0x63 | HV_SYNIC_SINT_MASKED);
	uint64_t cfg = HV_STIMER_CONFIG_ENABLE | (3ull << HV_STIMER_CONFIG_SINT_SHIFT);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_CONFIG, cfg), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_COUNT, 1), ==, SIM_RESUME_NEXT);
	guint first = h.events->len;
	sim_vp_hv_timer_check(h.vp);
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_TIMER), ==, 1);
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_SYNIC_MESSAGE), ==, 0);
	g_assert_nonnull(strstr(harness_last_from(&h, first, SIM_EV_MESSAGE)->text, "masked"));
	g_assert_cmpint(h.vp->pending_vector, ==, -1);
	harness_fini(&h);
}

/* ==== the hello scenario is unchanged ============================================= */

static void test_hello_unchanged(gconstpointer data)
{
	SimVendor vendor = GPOINTER_TO_INT(data);
	Harness h;
	harness_init_hello(&h, vendor);
	g_assert_cmpint(harness_run(&h), ==, SIM_OUTCOME_SHUTDOWN);
	g_assert_cmpuint(h.events->len, ==, HELLO_EVENTS);
	g_assert_cmpuint(harness_count_from(&h, 0, SIM_EV_SYNIC_MESSAGE), ==, 0);
	g_assert_nonnull(strstr(h.p->console->str, "TIME_REF_COUNT SynIC STIMER"));
	g_assert_true(h.p->stop_clean);
	harness_fini(&h);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(synic_rows); i++) {
		g_autofree char *path = g_strdup_printf("/sim/synic/msr/%s", synic_rows[i].path);
		g_test_add_data_func(path, &synic_rows[i], test_access);
	}
	g_test_add_func("/sim/synic/msr/gp-keeps-value", test_gp_keeps_value);
	g_test_add_func("/sim/synic/msr/rsvdp", test_rsvdp);
	g_test_add_func("/sim/synic/privilege", test_privilege);
	g_test_add_func("/sim/synic/deliver/sim-page", test_deliver);
	for (gsize i = 0; i < G_N_ELEMENTS(refuse_rows); i++) {
		g_autofree char *path = g_strdup_printf("/sim/synic/deliver/refused/%s", refuse_rows[i].path);
		g_test_add_data_func(path, &refuse_rows[i], test_refuse);
	}
	g_test_add_func("/sim/synic/deliver/queue-eom", test_queue_eom);
	g_test_add_func("/sim/synic/deliver/queue-full", test_queue_full);
	g_test_add_func("/sim/synic/deliver/polling", test_polling);
	g_test_add_func("/sim/synic/deliver/auto-eoi", test_auto_eoi);
	g_test_add_func("/sim/synic/deliver/eom-drains-masked", test_eom_drains_masked);
	g_test_add_func("/sim/synic/pending-set", test_pending_set);
	g_test_add_func("/sim/synic/stimer/message", test_stimer_message);
	g_test_add_func("/sim/synic/stimer/message-sint0", test_stimer_message_sint0);
	g_test_add_func("/sim/synic/stimer/message-masked", test_stimer_message_masked);
	g_test_add_data_func("/sim/synic/hello-unchanged/intel", GINT_TO_POINTER(SIM_VENDOR_INTEL), test_hello_unchanged);
	g_test_add_data_func("/sim/synic/hello-unchanged/amd", GINT_TO_POINTER(SIM_VENDOR_AMD), test_hello_unchanged);
	return g_test_run();
}
