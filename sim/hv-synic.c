/* hv-synic.c — the modelled hypervisor's synthetic interrupt controller
 * (SynIC): its per-VP MSRs, the SIM page and message delivery.
 * Runs on the sim thread, in "ring -1", called from the RDMSR/WRMSR exit
 * handlers (hv-exit.c) and from hypervisor events such as a timer expiry.
 *
 * What the guest sees (TLFS "Synthetic interrupt controller"; facts §2.1,
 * §2.4, §4):
 *   - SCONTROL bit 0 turns the VP's SynIC on; SVERSION reads 1.
 *   - SIMP names a 4 KiB page, the SIM page: 16 slots of 256 bytes, slot n
 *     belongs to SINTn. A slot is free while its MessageType is 0.
 *   - SIEFP names the event-flags page: 16 areas of 256 bytes, area n holds
 *     SINTn's 2048 event flags, set by HvSignalEvent (hv-port.c).
 *   - SINTn says which vector a message for SINTn raises, and whether it is
 *     masked, auto-EOI or polled.
 *   - EOM ("end of message") tells the hypervisor the guest freed a slot
 *     that had MessagePending set, so it should look at its queue again.
 *
 * Modelling choices:
 *   - The SIM and SIEF pages are guest RAM at the programmed GPA, not an
 *     overlay as on Hyper-V. The hypervisor zeroes the page when the guest
 *     enables it (or moves it), which is what the guest would see of a
 *     freshly created overlay; the RAM is not restored on disable.
 *   - There is no local APIC: "raising the vector" puts it in the VP's
 *     pending set (sim_vp_raise_vector); AutoEOI is stored and has nothing
 *     to clear. */
#include <string.h>

#include "hv-port.h"
#include "hv-tlfs.h"
#include "sim-private.h"

static SimSynic *synic_of(SimVp *vp)
{
	return &vp->synic;
}

static bool synic_enabled(const SimSynic *s)
{
	return s->scontrol & HV_SYNIC_SCONTROL_ENABLE;
}

static bool simp_enabled(const SimSynic *s)
{
	return s->simp & HV_SYNIC_PAGE_ENABLE;
}

static uint64_t page_gpa(uint64_t msr_value)
{
	return (msr_value >> HV_SYNIC_PAGE_GPFN_SHIFT) << HV_PAGE_SHIFT;
}

/* GPA of SINTn's slot in the SIM page. The page was bounds-checked when the
 * guest wrote SIMP and memory never shrinks, so the slot lies in RAM. */
static uint64_t slot_gpa(const SimSynic *s, unsigned sint)
{
	return page_gpa(s->simp) + (uint64_t)HV_MESSAGE_SIZE * sint;
}

void sim_synic_reset(SimVp *vp)
{
	SimSynic *s = synic_of(vp);
	memset(s, 0, sizeof *s);
	/* Every SINT comes out of reset masked (facts §2.4): 0x10000. */
	for (unsigned i = 0; i < HV_SYNIC_SINT_COUNT; i++)
		s->sint[i] = HV_SYNIC_SINT_RESET;
}

/* ---- Events ------------------------------------------------------------------ */
static void emit_synic_message(SimVp *vp, unsigned sint, const struct hv_message *m, bool delivered)
{
	SimEvent ev;
	sim_event_init(&ev, SIM_EV_SYNIC_MESSAGE);
	ev.u.synic.sint = (uint8_t)sint;
	ev.u.synic.message_type = m->header.message_type;
	ev.u.synic.payload_size = m->header.payload_size;
	ev.u.synic.delivered = delivered;
	sim_vp_emit(vp, &ev);
}

/* ---- Delivery (facts §4.2) ------------------------------------------------------ */

/* The MessageType of SINTn's slot: 0 means the guest has freed it. */
static uint32_t slot_type(SimVp *vp, unsigned sint)
{
	uint32_t type = HVMSG_NONE;
	/* Checked at WRMSR SIMP, but a child's parent may have unmapped the
	 * page since: then the slot counts as busy and messages stay queued. */
	if (!sim_memory_read(&vp->partition->mem, slot_gpa(synic_of(vp), sint), &type, sizeof type))
		return UINT32_MAX;
	return type;
}

/* Step 4: tell the guest more messages wait behind the one in the slot, so
 * that after freeing the slot it writes EOM. Only the flags byte changes. */
static void slot_set_pending(SimVp *vp, unsigned sint)
{
	SimPartition *p = vp->partition;
	uint64_t gpa = slot_gpa(synic_of(vp), sint) + offsetof(struct hv_message_header, message_flags);
	uint8_t flags = 0;
	if (sim_memory_read(&p->mem, gpa, &flags, 1)) {
		flags |= HV_MESSAGE_FLAG_PENDING;
		sim_memory_write(&p->mem, gpa, &flags, 1);
	}
}

/* Step 3: copy the message into the free slot and raise the SINT's vector,
 * an edge-triggered interrupt. A masked SINT gets the message but no
 * interrupt (EOM drains masked SINTs too); a polled SINT counts as unmasked
 * but never interrupts: the guest looks at the slot itself. */
static void deliver(SimVp *vp, unsigned sint, struct hv_message *m)
{
	SimSynic *s = synic_of(vp);
	uint64_t cfg = s->sint[sint];

	if (s->queue[sint].len > 0)
		m->header.message_flags |= HV_MESSAGE_FLAG_PENDING;
	/* All 256 bytes: the payload is zero-padded, so nothing of an older
	 * message survives in the slot. */
	sim_memory_write(&vp->partition->mem, slot_gpa(s, sint), m, sizeof *m);
	emit_synic_message(vp, sint, m, true);
	if (!(cfg & HV_SYNIC_SINT_MASKED) && !(cfg & HV_SYNIC_SINT_POLLING))
		sim_vp_raise_vector(vp, (uint8_t)(cfg & HV_SYNIC_SINT_VECTOR_MASK));
}

/* Step 5, the rescan of one SINT's queue: if the slot is free, the oldest
 * queued message goes in; if it is still busy, MessagePending is set so the
 * guest's EOM brings us back here. */
static void scan_sint(SimVp *vp, unsigned sint)
{
	SimSynic *s = synic_of(vp);
	SimSynicQueue *q = &s->queue[sint];

	if (q->len == 0 || !synic_enabled(s) || !simp_enabled(s))
		return;
	if (slot_type(vp, sint) != HVMSG_NONE) {
		slot_set_pending(vp, sint);
		return;
	}
	struct hv_message m = q->msg[q->head];
	q->head = (q->head + 1) % SIM_SYNIC_QUEUE_MAX;
	q->len--;
	deliver(vp, sint, &m);
}

static void scan_all(SimVp *vp)
{
	for (unsigned i = 0; i < HV_SYNIC_SINT_COUNT; i++)
		scan_sint(vp, i);
}

static bool refuse(SimVp *vp, unsigned sint, uint32_t type, const char *why)
{
	sim_vp_message(vp, "SynIC: message type 0x%08x for SINT%u not delivered: %s", type, sint, why);
	return false;
}

bool sim_synic_post(SimVp *vp, unsigned sint, uint32_t type, const void *payload, unsigned len,
                    uint64_t origin)
{
	g_return_val_if_fail(vp != NULL, false);
	g_return_val_if_fail(len == 0 || payload != NULL, false);
	SimSynic *s = synic_of(vp);

	if (sint >= HV_SYNIC_SINT_COUNT)
		return refuse(vp, sint, type, "there are only 16 SINTs");
	if (type == HVMSG_NONE)
		return refuse(vp, sint, type, "type 0 marks an empty slot");
	if (len > HV_MESSAGE_PAYLOAD_MAX)
		return refuse(vp, sint, type, "payload longer than 240 bytes");
	/* A message needs somewhere to land: the SynIC on and a SIM page
	 * (facts §4.2 step 2: "none -> error to the caller"), and an
	 * unmasked SINT, or it would be lost. */
	if (!synic_enabled(s))
		return refuse(vp, sint, type, "the SynIC is disabled (SCONTROL.Enable = 0)");
	if (!simp_enabled(s))
		return refuse(vp, sint, type, "the SIM page is disabled (SIMP.Enable = 0)");
	if (!sim_memory_range_ok(&vp->partition->mem, page_gpa(s->simp), HV_PAGE_SIZE))
		return refuse(vp, sint, type, "the SIM page is no longer in the partition's memory (its GPA was unmapped)");
	if (s->sint[sint] & HV_SYNIC_SINT_MASKED)
		return refuse(vp, sint, type, "the SINT is masked");

	/* Step 1: fill a message buffer. */
	struct hv_message m;
	memset(&m, 0, sizeof m);
	m.header.message_type = type;
	m.header.payload_size = (uint8_t)len;
	m.header.origination_id = origin;
	if (len)
		memcpy(m.payload, payload, len);

	/* Step 3 directly when nothing is queued ahead of it and the slot is
	 * free; otherwise step 2, queue it (FIFO per SINT), and rescan. */
	SimSynicQueue *q = &s->queue[sint];
	if (q->len == 0 && slot_type(vp, sint) == HVMSG_NONE) {
		deliver(vp, sint, &m);
		return true;
	}
	if (q->len == SIM_SYNIC_QUEUE_MAX)
		return refuse(vp, sint, type, "16 messages already wait for the guest to free the slot");
	q->msg[(q->head + q->len) % SIM_SYNIC_QUEUE_MAX] = m;
	q->len++;
	emit_synic_message(vp, sint, &m, false);
	scan_sint(vp, sint);
	return true;
}

/* Why SINTn of this VP cannot take a message now (facts §3.6: the target's
 * SynIC or SIM page disabled; a masked SINT would lose it), or NULL. The
 * same checks sim_synic_post makes, asked before a port spends a buffer. */
const char *sim_synic_message_blocker(SimVp *vp, unsigned sint)
{
	const SimSynic *s = synic_of(vp);
	g_assert(sint < HV_SYNIC_SINT_COUNT);
	if (!synic_enabled(s))
		return "the SynIC is disabled (SCONTROL.Enable = 0)";
	if (!simp_enabled(s))
		return "the SIM page is disabled (SIMP.Enable = 0)";
	if (!sim_memory_range_ok(&vp->partition->mem, page_gpa(s->simp), HV_PAGE_SIZE))
		return "the SIM page is no longer in the partition's memory (its GPA was unmapped)";
	if (s->sint[sint] & HV_SYNIC_SINT_MASKED)
		return "the SINT is masked";
	return NULL;
}

/* Guest-posted messages (type bit 31 clear) from port `port_id` still in
 * SINTn's queue: each holds one of the port's buffers until it moves into
 * the SIM slot. Hypervisor messages (timers, intercepts) have bit 31 set,
 * so their origination ids cannot be mistaken for a port's. */
unsigned sim_synic_queued_from_port(SimVp *vp, unsigned sint, uint32_t port_id)
{
	const SimSynicQueue *q = &synic_of(vp)->queue[sint];
	unsigned n = 0;
	g_assert(sint < HV_SYNIC_SINT_COUNT);
	for (unsigned i = 0; i < q->len; i++) {
		const struct hv_message_header *h = &q->msg[(q->head + i) % SIM_SYNIC_QUEUE_MAX].header;
		n += !(h->message_type & HV_MESSAGE_TYPE_HYPERVISOR) && h->origination_id == port_id;
	}
	return n;
}

unsigned sim_synic_drop_from_port(SimVp *vp, unsigned sint, uint32_t port_id)
{
	SimSynicQueue *q = &synic_of(vp)->queue[sint];
	struct hv_message keep[SIM_SYNIC_QUEUE_MAX];
	unsigned n = 0, dropped = 0;
	g_assert(sint < HV_SYNIC_SINT_COUNT);
	for (unsigned i = 0; i < q->len; i++) {
		const struct hv_message *m = &q->msg[(q->head + i) % SIM_SYNIC_QUEUE_MAX];
		if (!(m->header.message_type & HV_MESSAGE_TYPE_HYPERVISOR) && m->header.origination_id == port_id)
			dropped++;
		else
			keep[n++] = *m;
	}
	/* A MessagePending flag already in the slot may now promise more than
	 * is queued; the guest's EOM is then a harmless no-op. */
	memcpy(q->msg, keep, n * sizeof keep[0]);
	q->head = 0;
	q->len = n;
	return dropped;
}

/* ---- Event flags (facts §4.3) ------------------------------------------------------
 * The SIEF page: SINTn owns bytes [256n, 256n + 256), flag k of it is bit
 * k % 8 of byte k / 8. The guest clears flags with locked atomics; this
 * model's guest runs only between exits, so a read-modify-write here is
 * atomic with respect to it. */
#define SIEF_BYTES_PER_SINT (HV_EVENT_FLAGS_PER_SINT / 8u)
_Static_assert(SIEF_BYTES_PER_SINT * HV_SYNIC_SINT_COUNT == HV_PAGE_SIZE, "16 SINT areas fill the SIEF page");

const char *sim_synic_event_blocker(SimVp *vp, unsigned sint)
{
	const SimSynic *s = synic_of(vp);
	g_assert(sint < HV_SYNIC_SINT_COUNT);
	if (!synic_enabled(s))
		return "the SynIC is disabled (SCONTROL.Enable = 0)";
	if (!(s->siefp & HV_SYNIC_PAGE_ENABLE))
		return "the SIEF page is disabled (SIEFP.Enable = 0)";
	if (!sim_memory_range_ok(&vp->partition->mem, page_gpa(s->siefp), HV_PAGE_SIZE))
		return "the SIEF page is no longer in the partition's memory (its GPA was unmapped)";
	if (s->sint[sint] & HV_SYNIC_SINT_MASKED)
		return "the SINT is masked";
	return NULL;
}

bool sim_synic_set_event_flag(SimVp *vp, unsigned sint, unsigned flag)
{
	SimSynic *s = synic_of(vp);
	SimMemory *mem = &vp->partition->mem;
	g_assert(sint < HV_SYNIC_SINT_COUNT && flag < HV_EVENT_FLAGS_PER_SINT);
	g_assert(sim_synic_event_blocker(vp, sint) == NULL);

	/* The blocker above checked the page lies in memory now. */
	uint64_t gpa = page_gpa(s->siefp) + (uint64_t)SIEF_BYTES_PER_SINT * sint + flag / 8u;
	uint8_t byte = 0, bit = (uint8_t)(1u << (flag % 8u));
	if (!sim_memory_read(mem, gpa, &byte, 1))
		return false;
	if (byte & bit)
		return false; /* already set: the guest has not handled it yet, no new edge */
	byte |= bit;
	sim_memory_write(mem, gpa, &byte, 1);
	/* A 0 -> 1 transition is an edge: raise the SINT's vector, unless the
	 * SINT is polled (the guest scans the page itself). */
	uint64_t cfg = s->sint[sint];
	if (!(cfg & HV_SYNIC_SINT_POLLING))
		sim_vp_raise_vector(vp, (uint8_t)(cfg & HV_SYNIC_SINT_VECTOR_MASK));
	return true;
}

/* ---- MSRs (facts §2.1, §2.4) ------------------------------------------------------ */
bool sim_synic_msr_read(SimVp *vp, uint32_t msr, uint64_t *value)
{
	SimSynic *s = synic_of(vp);
	switch (msr) {
	case HV_X64_MSR_SCONTROL: *value = s->scontrol; return true;
	case HV_X64_MSR_SVERSION: *value = HV_SYNIC_VERSION_1; return true;
	case HV_X64_MSR_SIEFP:    *value = s->siefp; return true;
	case HV_X64_MSR_SIMP:     *value = s->simp; return true;
	case HV_X64_MSR_EOM:      *value = 0; return true; /* write-only trigger; reads 0 */
	case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
		*value = s->sint[msr - HV_X64_MSR_SINT0];
		return true;
	default:
		return false;
	}
}

/* SIMP and SIEFP: bit 0 enable, 11:1 RsvdP (kept as written), 63:12 GPFN.
 * A GPFN outside the partition's memory is refused with #GP, enabled or
 * not, as for the HYPERCALL MSR. Enabling the page, or moving an enabled
 * one, presents it zeroed: every slot free, every flag clear. */
static bool write_page_msr(SimVp *vp, uint64_t *reg, uint64_t value)
{
	SimMemory *mem = &vp->partition->mem;
	uint64_t gpa = page_gpa(value);
	if (!sim_memory_range_ok(mem, gpa, HV_PAGE_SIZE))
		return false;
	bool was_on = *reg & HV_SYNIC_PAGE_ENABLE;
	bool moved = page_gpa(*reg) != gpa;
	*reg = value;
	if ((value & HV_SYNIC_PAGE_ENABLE) && (!was_on || moved)) {
		static const guint8 zero[HV_PAGE_SIZE];
		sim_memory_write(mem, gpa, zero, sizeof zero);
	}
	return true;
}

bool sim_synic_msr_write(SimVp *vp, uint32_t msr, uint64_t value)
{
	SimSynic *s = synic_of(vp);
	switch (msr) {
	case HV_X64_MSR_SCONTROL:
		/* Bit 0 enable, 63:1 RsvdP: stored as written. Messages queued
		 * while the SynIC was off may now go in. */
		s->scontrol = value;
		scan_all(vp);
		return true;
	case HV_X64_MSR_SVERSION:
		return false; /* read-only: #GP */
	case HV_X64_MSR_SIEFP:
		return write_page_msr(vp, &s->siefp, value);
	case HV_X64_MSR_SIMP:
		if (!write_page_msr(vp, &s->simp, value))
			return false;
		scan_all(vp);
		return true;
	case HV_X64_MSR_EOM:
		/* The guest freed a slot whose MessagePending was set: rescan
		 * every SINT's queue (masked ones too). With nothing queued this
		 * is a no-op. The value (RsvdZ, write 0) is not used. */
		scan_all(vp);
		return true;
	case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15: {
		unsigned n = msr - HV_X64_MSR_SINT0;
		/* Vectors 0-15 are the CPU's exceptions and cannot be a SINT's:
		 * #GP. A masked SINT may carry one, so the reset value 0x10000
		 * can be written back (KVM accepts it the same way). RsvdP bits
		 * 15:8 and 63:19 are kept as written. */
		if ((value & HV_SYNIC_SINT_VECTOR_MASK) < HV_SYNIC_FIRST_VALID_VECTOR &&
		    !(value & HV_SYNIC_SINT_MASKED))
			return false;
		s->sint[n] = value;
		scan_sint(vp, n); /* unmasking may let a queued message in */
		return true;
	}
	default:
		return false;
	}
}
