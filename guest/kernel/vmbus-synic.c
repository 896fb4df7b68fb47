/* vmbus-synic.c — SINT 2 of the SynIC as both VMBus ends use it: enabling
 * it, taking a control message out of its SIM slot, taking a channel
 * signal out of its SIEF flags, and the two sending hypercalls.
 * Guest ring 0, freestanding; the parent (vmbus-server.c) and the child
 * (vmbus-client.c) link the same code, as Windows has one VMBus driver. */
#include "vmbus-synic.h"

enum vmbus_role vmbus_role;

/* Each SINT owns 256 bytes of the SIEF page: 2048 flags (facts §4.3). */
#define VMBUS_SIEF_BYTES_PER_SINT (HV_EVENT_FLAGS_PER_SINT / 8u)

bool vmbus_synic_enable(const struct hv_info *hv, uint8_t *simp, uint8_t *siefp)
{
	uint64_t v;

	if (!(hv->msr_access & HV_MSR_ACCESS_SYNIC)) {
		klog("[vmbus] no access to the SynIC MSRs (CPUID 0x%08x EAX bit 2): no VMBus\n",
		     HV_CPUID_FEATURES);
		return false;
	}
	/* Pages first (reserved bits 11:1 are "preserve": read-modify-write),
	 * so nothing can arrive before there is somewhere to put it. */
	if (simp) {
		v = rdmsr(HV_X64_MSR_SIMP);
		v = (v & (HV_PAGE_SIZE - 1) & ~HV_SYNIC_PAGE_ENABLE) | hv_gpa(simp) | HV_SYNIC_PAGE_ENABLE;
		wrmsr(HV_X64_MSR_SIMP, v);
	}
	v = rdmsr(HV_X64_MSR_SIEFP);
	v = (v & (HV_PAGE_SIZE - 1) & ~HV_SYNIC_PAGE_ENABLE) | hv_gpa(siefp) | HV_SYNIC_PAGE_ENABLE;
	wrmsr(HV_X64_MSR_SIEFP, v);
	/* SINT 2: our vector, unmasked, not auto-EOI (the handler EOIs), not
	 * polled. A message or a newly set flag raises the vector. */
	v = rdmsr(HV_X64_MSR_SINT0 + HVSIM_VMBUS_SINT);
	v &= ~(HV_SYNIC_SINT_VECTOR_MASK | HV_SYNIC_SINT_MASKED | HV_SYNIC_SINT_AUTO_EOI |
	       HV_SYNIC_SINT_POLLING);
	v |= HVSIM_VECTOR_VMBUS;
	wrmsr(HV_X64_MSR_SINT0 + HVSIM_VMBUS_SINT, v);
	wrmsr(HV_X64_MSR_SCONTROL, rdmsr(HV_X64_MSR_SCONTROL) | HV_SYNIC_SCONTROL_ENABLE);
	return true;
}

/* The TLFS recipe (facts §4.2), as vid_take_message does it for SINT 0:
 * copy out, free the slot, only then look at MessagePending. */
bool vmbus_synic_take_message(uint8_t *simp, struct hv_message *out)
{
	struct hv_message *slot = (struct hv_message *)&simp[HVSIM_VMBUS_SINT * HV_MESSAGE_SIZE];

	if (*(volatile uint32_t *)&slot->header.message_type == HVMSG_NONE)
		return false;
	memcpy(out, slot, sizeof(*out));
	/* Ordering point: the copy is complete before the slot is freed. */
	__asm__ volatile("" : : : "memory");
	*(volatile uint32_t *)&slot->header.message_type = HVMSG_NONE;
	__asm__ volatile("" : : : "memory");
	/* Ordering point: the flag is read after the slot was freed. */
	if (*(volatile uint8_t *)&slot->header.message_flags & HV_MESSAGE_FLAG_PENDING)
		wrmsr(HV_X64_MSR_EOM, 0);
	return true;
}

bool vmbus_synic_take_event(uint8_t *siefp, unsigned flag)
{
	uint8_t *byte = &siefp[HVSIM_VMBUS_SINT * VMBUS_SIEF_BYTES_PER_SINT + flag / 8u];
	uint8_t bit = (uint8_t)(1u << (flag % 8u));

	/* Locked read-modify-write: a flag the hypervisor sets between our
	 * read and our write is not lost (it is seen set, or stays set). */
	return (__atomic_fetch_and(byte, (uint8_t)~bit, __ATOMIC_SEQ_CST) & bit) != 0;
}

uint16_t vmbus_synic_post(uint8_t *page, uint32_t conn, const void *msg, uint32_t len)
{
	struct hv_input_post_message *in = (void *)page;

	if (len > HV_MESSAGE_PAYLOAD_MAX)
		return HV_STATUS_INVALID_PARAMETER;
	memset(in, 0, sizeof(*in)); /* RsvdZ, and no stale payload bytes */
	in->connection_id = conn;
	in->message_type = VMBUS_POST_MESSAGE_TYPE;
	in->payload_size = len;
	memcpy(in->payload, msg, len);
	return hv_result_status(hv_hypercall(hv_control(HVCALL_POST_MESSAGE, 0, 0, 0), hv_gpa(in), 0));
}

uint16_t vmbus_synic_post_unchecked(uint8_t *page, uint32_t conn, const void *msg, uint32_t len)
{
	struct hv_input_post_message *in = (void *)page;

	memset(in, 0, sizeof(*in));
	in->connection_id = conn;
	in->message_type = VMBUS_POST_MESSAGE_TYPE;
	in->payload_size = len;
	memcpy(in->payload, msg, len < HV_MESSAGE_PAYLOAD_MAX ? len : HV_MESSAGE_PAYLOAD_MAX);
	return hv_result_status(hv_hypercall(hv_control(HVCALL_POST_MESSAGE, 0, 0, 0), hv_gpa(in), 0));
}

uint16_t vmbus_synic_signal(uint32_t conn, uint16_t flag)
{
	/* Fast: no parameter page, nothing for the hypervisor to map. */
	return hv_result_status(hv_hypercall(hv_control(HVCALL_SIGNAL_EVENT, HV_HYPERCALL_FAST, 0, 0),
					     (uint64_t)conn | ((uint64_t)flag << 32), 0));
}

struct vmbus_end_channel *vmbus_end_channel(struct vmbus_end *e, uint32_t relid)
{
	for (unsigned i = 0; i < e->n_chans; i++)
		if (e->chans[i].relid == relid)
			return &e->chans[i];
	return NULL;
}

struct vmbus_end_gpadl *vmbus_end_gpadl(struct vmbus_end *e, uint32_t id)
{
	for (unsigned i = 0; id != 0 && i < VMBUS_END_GPADLS; i++)
		if (e->gpadls[i].id == id)
			return &e->gpadls[i];
	return NULL;
}

/* The GPADL id of a GPADL message (all have it as a u32: @12 in HEADER,
 * BODY, CREATED and TEARDOWN, @8 in TORNDOWN). len was validated. */
static uint32_t end_gpadl_id(uint32_t type, const uint8_t *msg)
{
	uint32_t id;

	memcpy(&id, msg + (type == VMBUS_MSG_GPADL_TORNDOWN ? 8u : 12u), sizeof(id));
	return id;
}

/* The channel a channel message belongs to: its relid, or for BODY and
 * TORNDOWN the relid its GPADL was announced on. */
static struct vmbus_end_channel *end_message_channel(struct vmbus_end *e, uint32_t type,
						     const void *msg, size_t len)
{
	struct vmbus_end_gpadl *g;
	uint32_t relid;

	if (type == VMBUS_MSG_GPADL_BODY || type == VMBUS_MSG_GPADL_TORNDOWN) {
		g = vmbus_end_gpadl(e, end_gpadl_id(type, msg));
		return g ? vmbus_end_channel(e, g->relid) : NULL;
	}
	if (!vmbus_msg_channel_relid(msg, len, &relid))
		return NULL;
	return vmbus_end_channel(e, relid);
}

enum vmbus_msg_status vmbus_end_step(struct vmbus_end *e, const void *msg, size_t len)
{
	enum vmbus_conn_state before = e->conn;
	enum vmbus_msg_status st = vmbus_conn_step(&e->conn, msg, len);
	struct vmbus_end_channel *c;
	struct vmbus_end_gpadl *g;
	uint32_t relid, type;

	if (st == VMBUS_MSG_OK) {
		/* The offer is a connection message that creates a channel; a
		 * relid offered twice, or one too many, undoes the step. */
		memcpy(&type, msg, sizeof(type));
		if (type == VMBUS_MSG_OFFERCHANNEL && vmbus_msg_channel_relid(msg, len, &relid)) {
			if (vmbus_end_channel(e, relid) || e->n_chans >= VMBUS_END_CHANNELS) {
				e->conn = before;
				return VMBUS_MSG_ERR_RELID;
			}
			e->chans[e->n_chans].relid = relid;
			e->chans[e->n_chans].state = VMBUS_CHAN_OFFERED;
			e->n_chans++;
		}
		/* The connection is gone, and every channel and GPADL with
		 * it: a new contact starts from the offers again. */
		if (type == VMBUS_MSG_UNLOAD_RESPONSE) {
			e->n_chans = 0;
			memset(e->gpadls, 0, sizeof(e->gpadls));
		}
		return st;
	}
	if (st != VMBUS_MSG_ERR_NOT_CONN_MSG)
		return st;
	memcpy(&type, msg, sizeof(type));
	if (!(c = end_message_channel(e, type, msg, len)))
		return VMBUS_MSG_ERR_RELID;
	/* A new GPADL needs a free record, and its id must be new. */
	if (type == VMBUS_MSG_GPADL_HEADER) {
		uint32_t id = end_gpadl_id(type, msg);

		if (id == 0 || vmbus_end_gpadl(e, id))
			return VMBUS_MSG_ERR_ILLEGAL_IN_STATE;
		g = NULL;
		for (unsigned i = 0; !g && i < VMBUS_END_GPADLS; i++)
			if (e->gpadls[i].id == 0)
				g = &e->gpadls[i];
		if (!g)
			return VMBUS_MSG_ERR_ILLEGAL_IN_STATE;
		st = vmbus_channel_step(&c->state, msg, len);
		if (st == VMBUS_MSG_OK) {
			g->id = id;
			g->relid = c->relid;
		}
		return st;
	}
	st = vmbus_channel_step(&c->state, msg, len);
	if (st != VMBUS_MSG_OK)
		return st;
	if (type == VMBUS_MSG_GPADL_TORNDOWN ||
	    (type == VMBUS_MSG_GPADL_CREATED &&
	     ((const struct vmbus_msg_gpadl_created *)msg)->creation_status != 0)) {
		g = vmbus_end_gpadl(e, end_gpadl_id(type, msg));
		if (g)
			memset(g, 0, sizeof(*g));
	}
	return st;
}

const char *vmbus_synic_msg_name(const void *msg, size_t len)
{
	uint32_t type;

	if (len < sizeof(type))
		return "(short)";
	memcpy(&type, msg, sizeof(type));
	return vmbus_msgtype_name(type);
}

void vmbus_interrupt(void)
{
	if (vmbus_role == VMBUS_ROLE_SERVER)
		vmbus_server_interrupt();
	else if (vmbus_role == VMBUS_ROLE_CLIENT)
		vmbus_client_interrupt();
	wrmsr(HV_X64_MSR_EOI, 0);
}
