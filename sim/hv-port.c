/* hv-port.c — ports, connections, HvCallPostMessage and HvCallSignalEvent
 * (facts §3.6, §4.2-4.5). Sim thread, ring -1: the handlers run between the
 * VMCALL exit and the VM entry that returns their status.
 *
 * The TLFS's inter-partition communication in four calls:
 *   - CreatePort makes a *port* in the receiving partition. It names where
 *     what arrives through it lands: a VP and a SINT of that partition, and
 *     for an event port a range of the SINT's 2048 event flags. A message
 *     port also owns a pool of 16 message buffers.
 *   - ConnectPort makes a *connection* in the sending partition: a 24-bit
 *     id, unique in that partition, bound to exactly one port. It is
 *     one-way: the sender only ever names its connection id, never the
 *     receiver, its port or its VPs.
 *   - PostMessage sends up to 240 bytes through a connection to a message
 *     port: the hypervisor takes one of the port's buffers and hands the
 *     message to the SynIC of the target VP (hv-synic.c, facts §4.2), which
 *     puts it in the SIM slot of the port's SINT or queues it. The buffer
 *     is in flight until the message leaves that queue for the slot.
 *   - SignalEvent sets one flag through a connection to an event port:
 *     bit (base flag + FlagNumber) of the SINT's area in the target VP's
 *     SIEF page. Only a 0 -> 1 change interrupts; it never runs out of
 *     buffers, which is why VMBus channels signal rather than post.
 *
 * The dispatcher (hv-hypercall.c) has checked the caller's right
 * (CreatePort, ConnectPort, PostMessages, SignalEvents: ACCESS_DENIED
 * otherwise), the form and the input block; these handlers check the input.
 *
 * Which partitions a call may name: the caller itself (HV_PARTITION_ID_SELF
 * or its own id) or a live child it created; any other id (0, unknown,
 * deleted, another partition's child) is HV_STATUS_INVALID_PARTITION_ID.
 * A child gets ports and connections between InitializePartition and
 * FinalizePartition (facts §3.7); before or after, the port calls on it are
 * HV_STATUS_INVALID_PARTITION_STATE. (CreatePort's ConnectionPartition is
 * only recorded: any live child of the caller will do.)
 *
 * Model limits: at most SIM_PORT_MAX ports and SIM_CONNECTION_MAX
 * connections per partition; past them HV_STATUS_NO_RESOURCES (not
 * INSUFFICIENT_MEMORY: that would tell the parent to deposit more, which
 * would not help). VTLs are not modelled: every VTL field must be 0. */
#include <stdarg.h>
#include <string.h>

#include "hv-port.h"
#include "hv-tlfs.h"
#include "sim-private.h"

typedef struct SimPort {
	uint32_t id;                  /* HV_PORT_ID: 24 bits, unique in the partition */
	uint32_t type;                /* HV_PORT_TYPE_MESSAGE or HV_PORT_TYPE_EVENT */
	uint32_t sint;                /* target SINT, < 16 */
	uint32_t target_vp;           /* a VP index of the partition, or HV_ANY_VP (message ports) */
	uint16_t base_flag;           /* event ports: first flag of the range ... */
	uint16_t flag_count;          /* ... and its length; base + count <= 2048 */
	uint64_t connection_partition; /* CreatePort's ConnectionPartition (0 = none): recorded, not enforced */
} SimPort;

typedef struct SimConnection {
	uint32_t id;                  /* HV_CONNECTION_ID: 24 bits, unique in the partition */
	uint64_t port_partition;      /* where its port lives (a TLFS id: the port may go away) */
	uint32_t port_id;
	bool dangling;                /* its port was deleted: sends fail with INVALID_PORT_ID */
} SimConnection;

/* A partition's ports (it receives through them) and connections (it sends
 * through them). Fixed arrays: the limits are small and a lookup is a scan. */
struct SimPorts {
	SimPort port[SIM_PORT_MAX];
	guint n_ports;
	SimConnection conn[SIM_CONNECTION_MAX];
	guint n_conns;
};

void sim_ports_free(SimPorts *ports)
{
	g_free(ports);
}

static SimPorts *ports_of(SimPartition *p)
{
	if (!p->ports)
		p->ports = g_new0(SimPorts, 1);
	return p->ports;
}

static SimPort *find_port(SimPartition *p, uint32_t id)
{
	for (guint i = 0; p->ports && i < p->ports->n_ports; i++)
		if (p->ports->port[i].id == id)
			return &p->ports->port[i];
	return NULL;
}

static SimConnection *find_connection(SimPartition *p, uint32_t id)
{
	for (guint i = 0; p->ports && i < p->ports->n_conns; i++)
		if (p->ports->conn[i].id == id)
			return &p->ports->conn[i];
	return NULL;
}

/* Reports why a call failed (a `message` event on the caller's VP) and
 * returns its status. */
static uint16_t G_GNUC_PRINTF(3, 4) refuse(HvCallCtx *ctx, uint16_t status, const char *fmt, ...);

/* The partition `id` names in `call`'s `field`, if the caller may set up
 * ports or connections there (see the banner). */
static uint16_t nameable_partition(HvCallCtx *ctx, const char *call, const char *field, uint64_t id,
                                   SimPartition **out)
{
	SimPartition *self = ctx->vp->partition;
	if (id == HV_PARTITION_ID_SELF || id == self->id) {
		*out = self;
		return HV_STATUS_SUCCESS;
	}
	SimChild *c = id == HV_PARTITION_ID_INVALID ? NULL : sim_child_find(ctx->vp, id);
	SimPartition *p = c ? sim_machine_find_partition(self->machine, id) : NULL;
	if (!p)
		return refuse(ctx, HV_STATUS_INVALID_PARTITION_ID,
		              "%s: %s 0x%" G_GINT64_MODIFIER "x is neither the caller nor a live child of it", call,
		              field, id);
	if (c->state != SIM_CHILD_INITIALIZED)
		return refuse(ctx, HV_STATUS_INVALID_PARTITION_STATE,
		              "%s: partition %u is %s; ports and connections need an initialized, not finalized, child",
		              call, p->id, sim_child_state_name(c->state));
	*out = p;
	return HV_STATUS_SUCCESS;
}

static uint16_t refuse(HvCallCtx *ctx, uint16_t status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *why = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	sim_vp_message(ctx->vp, "%s", why);
	return status;
}

/* ---- HvCallCreatePort (facts §3.6, §4.5) ----------------------------------------
 * Checks, in order, and the status each failure returns:
 *   RsvdZ, PortVtl or MinConnectionVtl non-zero          INVALID_PARAMETER
 *   PortPartition not nameable                           INVALID_PARTITION_ID
 *   ConnectionPartition neither 0 nor self nor a child   INVALID_PARTITION_ID
 *   PortInfo padding or reserved field non-zero          INVALID_PARAMETER
 *   type not Message/Event (Monitor is not modelled)     INVALID_PARAMETER
 *   SINT >= 16                                           INVALID_PARAMETER
 *   event port: FlagCount 0, or base + count > 2048      INVALID_PARAMETER
 *   target VP not in the port partition (HV_ANY_VP is
 *   allowed for message ports only)                      INVALID_VP_INDEX
 *   PortId above 24 bits (HV_PORT_ID's reserved 31:24,
 *   like HV_CONNECTION_ID's), or already a port there    INVALID_PORT_ID
 *   SIM_PORT_MAX ports already                           NO_RESOURCES
 * ProximityDomainInfo is accepted and ignored (one NUMA node). */
static uint16_t check_port_info(HvCallCtx *ctx, SimPartition *pp, const struct hv_port_info *pi)
{
	if (pi->padding != 0)
		return refuse(ctx, HV_STATUS_INVALID_PARAMETER, "CreatePort: PortInfo padding must be zero");
	switch (pi->port_type) {
	case HV_PORT_TYPE_MESSAGE:
		if (pi->u.message.rsvd != 0)
			return refuse(ctx, HV_STATUS_INVALID_PARAMETER, "CreatePort: message PortInfo reserved field must be zero");
		break;
	case HV_PORT_TYPE_EVENT:
		if (pi->u.event.rsvd != 0)
			return refuse(ctx, HV_STATUS_INVALID_PARAMETER, "CreatePort: event PortInfo reserved field must be zero");
		break;
	case HV_PORT_TYPE_MONITOR:
		return refuse(ctx, HV_STATUS_INVALID_PARAMETER, "CreatePort: monitor ports are not modelled");
	default:
		return refuse(ctx, HV_STATUS_INVALID_PARAMETER,
		              "CreatePort: port type %u is not Message (1) or Event (2)", pi->port_type);
	}
	/* target_sint and target_vp sit at the same offsets in both variants. */
	uint32_t sint = pi->u.message.target_sint, vp = pi->u.message.target_vp;
	if (sint >= HV_SYNIC_SINT_COUNT)
		return refuse(ctx, HV_STATUS_INVALID_PARAMETER, "CreatePort: SINT %u does not exist (0-15)", sint);
	if (pi->port_type == HV_PORT_TYPE_EVENT) {
		uint32_t base = pi->u.event.base_flag_number, count = pi->u.event.flag_count;
		if (count == 0 || base + count > HV_EVENT_FLAGS_PER_SINT)
			return refuse(ctx, HV_STATUS_INVALID_PARAMETER,
			              "CreatePort: flags %u..%u+%u do not fit a SINT's %u event flags (count must be > 0)",
			              base, base, count, HV_EVENT_FLAGS_PER_SINT);
	}
	/* HV_ANY_VP: the hypervisor picks a VP per message; an event flag has
	 * to live in one VP's SIEF page, so event ports name their VP. */
	if (!(vp == HV_ANY_VP && pi->port_type == HV_PORT_TYPE_MESSAGE) && !sim_partition_vp(pp, vp))
		return refuse(ctx, HV_STATUS_INVALID_VP_INDEX, "CreatePort: partition %u has no VP %u", pp->id, vp);
	return HV_STATUS_SUCCESS;
}

uint16_t sim_hv_call_create_port(HvCallCtx *ctx)
{
	struct hv_input_create_port in;
	memcpy(&in, ctx->in, sizeof in);

	if (in.rsvd_z != 0 || in.port_vtl != 0 || in.min_connection_vtl != 0)
		return refuse(ctx, HV_STATUS_INVALID_PARAMETER,
		              "CreatePort: RsvdZ, PortVtl and MinConnectionVtl must be zero (VTLs are not modelled)");
	SimPartition *pp;
	uint16_t st = nameable_partition(ctx, "CreatePort", "PortPartition", in.port_partition_id, &pp);
	if (st != HV_STATUS_SUCCESS)
		return st;
	uint64_t conn_part = in.connection_partition_id;
	if (conn_part == HV_PARTITION_ID_SELF)
		conn_part = ctx->vp->partition->id;
	if (conn_part != 0 && conn_part != ctx->vp->partition->id && !sim_child_find(ctx->vp, conn_part))
		return refuse(ctx, HV_STATUS_INVALID_PARTITION_ID,
		              "CreatePort: ConnectionPartition 0x%" G_GINT64_MODIFIER "x is neither 0, the caller nor its child",
		              in.connection_partition_id);
	st = check_port_info(ctx, pp, &in.port_info);
	if (st != HV_STATUS_SUCCESS)
		return st;
	if (in.port_id & ~HV_CONNECTION_ID_MASK)
		return refuse(ctx, HV_STATUS_INVALID_PORT_ID, "CreatePort: port id 0x%x has bits above 23 set", in.port_id);
	if (find_port(pp, in.port_id))
		return refuse(ctx, HV_STATUS_INVALID_PORT_ID, "CreatePort: partition %u already has a port %u",
		              pp->id, in.port_id);
	SimPorts *ps = ports_of(pp);
	if (ps->n_ports >= SIM_PORT_MAX)
		return refuse(ctx, HV_STATUS_NO_RESOURCES, "CreatePort: partition %u already owns %u ports (the model's limit)",
		              pp->id, SIM_PORT_MAX);

	const struct hv_port_info *pi = &in.port_info;
	SimPort *port = &ps->port[ps->n_ports++];
	*port = (SimPort){
		.id = in.port_id,
		.type = pi->port_type,
		.sint = pi->u.message.target_sint,
		.target_vp = pi->u.message.target_vp,
		.connection_partition = conn_part,
	};
	g_autofree char *vp_text = port->target_vp == HV_ANY_VP ? g_strdup("any VP")
	                                                      : g_strdup_printf("VP %u", port->target_vp);
	if (port->type == HV_PORT_TYPE_EVENT) {
		port->base_flag = pi->u.event.base_flag_number;
		port->flag_count = pi->u.event.flag_count;
		sim_vp_message(ctx->vp, "port %u created in partition %u (event, flags %u-%u of SINT %u of %s)",
		               port->id, pp->id, port->base_flag, port->base_flag + port->flag_count - 1u,
		               port->sint, vp_text);
	} else {
		sim_vp_message(ctx->vp, "port %u created in partition %u (message, SINT %u of %s)",
		               port->id, pp->id, port->sint, vp_text);
	}
	return HV_STATUS_SUCCESS;
}

/* ---- HvCallConnectPort (facts §3.6, §4.5) ---------------------------------------
 *   RsvdZ fields or ConnectionVtl non-zero               INVALID_PARAMETER
 *   ConnectionPartition or PortPartition not nameable    INVALID_PARTITION_ID
 *   ConnectionId above 24 bits                           INVALID_CONNECTION_ID
 *   no port PortId in PortPartition                      INVALID_PORT_ID
 *   ConnectionInfo type differs from the port's, or its
 *   padding / data non-zero (only monitor and doorbell
 *   connections carry data)                              INVALID_PARAMETER
 *   ConnectionId already a connection there              INVALID_CONNECTION_ID
 *   SIM_CONNECTION_MAX connections already               NO_RESOURCES */
uint16_t sim_hv_call_connect_port(HvCallCtx *ctx)
{
	struct hv_input_connect_port in;
	memcpy(&in, ctx->in, sizeof in);

	if (in.rsvd_z1[0] || in.rsvd_z1[1] || in.rsvd_z1[2] || in.rsvd_z2 != 0 || in.connection_vtl != 0)
		return refuse(ctx, HV_STATUS_INVALID_PARAMETER,
		              "ConnectPort: RsvdZ fields and ConnectionVtl must be zero (VTLs are not modelled)");
	SimPartition *cp;
	uint16_t st = nameable_partition(ctx, "ConnectPort", "ConnectionPartition", in.connection_partition_id, &cp);
	if (st != HV_STATUS_SUCCESS)
		return st;
	SimPartition *pp;
	st = nameable_partition(ctx, "ConnectPort", "PortPartition", in.port_partition_id, &pp);
	if (st != HV_STATUS_SUCCESS)
		return st;
	if (in.connection_id & ~HV_CONNECTION_ID_MASK)
		return refuse(ctx, HV_STATUS_INVALID_CONNECTION_ID,
		              "ConnectPort: connection id 0x%x has bits above 23 set", in.connection_id);
	SimPort *port = find_port(pp, in.port_id);
	if (!port)
		return refuse(ctx, HV_STATUS_INVALID_PORT_ID, "ConnectPort: partition %u has no port %u", pp->id, in.port_id);
	const struct hv_connection_info *ci = &in.connection_info;
	if (ci->port_type != port->type)
		return refuse(ctx, HV_STATUS_INVALID_PARAMETER,
		              "ConnectPort: ConnectionInfo type %u but port %u is of type %u", ci->port_type, port->id,
		              port->type);
	if (ci->padding || ci->data[0] || ci->data[1] || ci->data[2])
		return refuse(ctx, HV_STATUS_INVALID_PARAMETER,
		              "ConnectPort: message and event connections carry no ConnectionInfo data: it must be zero");
	if (find_connection(cp, in.connection_id))
		return refuse(ctx, HV_STATUS_INVALID_CONNECTION_ID, "ConnectPort: partition %u already has a connection %u",
		              cp->id, in.connection_id);
	SimPorts *ps = ports_of(cp);
	if (ps->n_conns >= SIM_CONNECTION_MAX)
		return refuse(ctx, HV_STATUS_NO_RESOURCES,
		              "ConnectPort: partition %u already holds %u connections (the model's limit)", cp->id,
		              SIM_CONNECTION_MAX);

	ps->conn[ps->n_conns++] = (SimConnection){
		.id = in.connection_id, .port_partition = pp->id, .port_id = port->id,
	};
	sim_vp_message(ctx->vp, "connection %u of partition %u bound to port %u of partition %u",
	               in.connection_id, cp->id, port->id, pp->id);
	return HV_STATUS_SUCCESS;
}

/* ---- Sending through a connection ------------------------------------------------ */

/* The caller's connection `id` and the port it is bound to, which must be
 * of `type`: INVALID_CONNECTION_ID if the caller holds no such connection
 * (ids above 24 bits never exist), INVALID_PORT_ID if its port is gone (or
 * its partition is), or is of the other type (facts §3.6). */
static uint16_t connection_port(HvCallCtx *ctx, const char *call, uint32_t id, uint32_t type,
                                SimPartition **pp_out, SimPort **port_out)
{
	SimPartition *self = ctx->vp->partition;
	SimConnection *c = (id & ~HV_CONNECTION_ID_MASK) ? NULL : find_connection(self, id);
	if (!c)
		return refuse(ctx, HV_STATUS_INVALID_CONNECTION_ID, "%s: partition %u has no connection 0x%x", call,
		              self->id, id);
	SimPartition *pp = c->dangling ? NULL : sim_machine_find_partition(self->machine, c->port_partition);
	SimPort *port = pp ? find_port(pp, c->port_id) : NULL;
	if (!port)
		return refuse(ctx, HV_STATUS_INVALID_PORT_ID, "%s: port %u of partition %" G_GUINT64_FORMAT
		              " (connection %u) no longer exists", call, c->port_id, c->port_partition, id);
	if (pp->stopped)   /* facts §3.6: the port's owner is not active */
		return refuse(ctx, HV_STATUS_INVALID_PORT_ID, "%s: port %u belongs to partition %u, which has stopped",
		              call, port->id, pp->id);
	if (port->type != type)
		return refuse(ctx, HV_STATUS_INVALID_PORT_ID, "%s: connection %u leads to port %u, which is not %s port",
		              call, id, port->id, type == HV_PORT_TYPE_MESSAGE ? "a message" : "an event");
	*pp_out = pp;
	*port_out = port;
	return HV_STATUS_SUCCESS;
}

/* Buffers of a message port in flight: its messages still queued in a
 * target VP's SynIC (facts §4.2 step 3: a buffer is freed when its message
 * enters the SIM slot). Counting the queues, rather than keeping a counter,
 * means the SynIC never has to call back into the ports. */
static unsigned port_buffers_in_use(SimPartition *pp, const SimPort *port)
{
	unsigned n = 0;
	for (guint i = 0; i < pp->vps->len; i++)
		n += sim_synic_queued_from_port(g_ptr_array_index(pp->vps, i), port->sint, port->id);
	return n;
}

/* ---- HvCallPostMessage (facts §3.6, §4.2) ----------------------------------------
 * In the facts sheet's order:
 *   ConnectionId unknown to the caller (or above 24 bits) INVALID_CONNECTION_ID
 *   its port deleted, or not a message port               INVALID_PORT_ID
 *   RsvdZ non-zero, MessageType 0 or with bit 31 set (the
 *   hypervisor's own types), PayloadSize > 240             INVALID_PARAMETER
 *   all 16 of the port's buffers in flight                 INSUFFICIENT_BUFFERS
 *   the port's VP no longer exists                         INVALID_VP_INDEX
 *   target SynIC or SIM page disabled, or SINT masked
 *   (the message would be lost); HV_ANY_VP with no VP
 *   that could take it                                     INVALID_SYNIC_STATE
 *   the target SINT's queue full (it is shared by every
 *   port on that SINT)                                     INSUFFICIENT_BUFFERS
 * HV_ANY_VP picks, per message, the lowest VP whose SynIC and SIM page are
 * enabled and whose SINT is unmasked. */
uint16_t sim_hv_call_post_message(HvCallCtx *ctx)
{
	struct hv_input_post_message in;
	SimPartition *pp;
	SimPort *port;
	memcpy(&in, ctx->in, sizeof in);

	uint16_t st = connection_port(ctx, "PostMessage", in.connection_id, HV_PORT_TYPE_MESSAGE, &pp, &port);
	if (st != HV_STATUS_SUCCESS)
		return st;
	if (in.rsvd_z != 0)
		return refuse(ctx, HV_STATUS_INVALID_PARAMETER, "PostMessage: RsvdZ must be zero");
	if (in.message_type == HVMSG_NONE || (in.message_type & HV_MESSAGE_TYPE_HYPERVISOR))
		return refuse(ctx, HV_STATUS_INVALID_PARAMETER,
		              "PostMessage: message type 0x%08x: must be non-zero with bit 31 clear", in.message_type);
	if (in.payload_size > HV_MESSAGE_PAYLOAD_MAX)
		return refuse(ctx, HV_STATUS_INVALID_PARAMETER, "PostMessage: payload of %u bytes (at most %u)",
		              in.payload_size, HV_MESSAGE_PAYLOAD_MAX);
	if (port_buffers_in_use(pp, port) >= HV_SYNIC_PORT_MESSAGE_BUFFERS)
		return refuse(ctx, HV_STATUS_INSUFFICIENT_BUFFERS,
		              "PostMessage: all %u buffers of port %u are in flight (the guest has not freed its SIM slot)",
		              HV_SYNIC_PORT_MESSAGE_BUFFERS, port->id);

	SimVp *target = NULL;
	if (port->target_vp == HV_ANY_VP) {
		for (guint i = 0; i < pp->vps->len; i++) {
			SimVp *vp = g_ptr_array_index(pp->vps, i);
			if (!sim_synic_message_blocker(vp, port->sint) &&
			    (!target || vp->index < target->index))
				target = vp;
		}
		if (!target)
			return refuse(ctx, HV_STATUS_INVALID_SYNIC_STATE,
			              "PostMessage: port %u (any VP): no VP of partition %u has its SynIC, SIM page and SINT%u on",
			              port->id, pp->id, port->sint);
	} else {
		target = sim_partition_vp(pp, port->target_vp);
		if (!target)
			return refuse(ctx, HV_STATUS_INVALID_VP_INDEX, "PostMessage: port %u targets VP %u, which is gone",
			              port->id, port->target_vp);
		const char *why = sim_synic_message_blocker(target, port->sint);
		if (why)
			return refuse(ctx, HV_STATUS_INVALID_SYNIC_STATE, "PostMessage: port %u, SINT%u of VP %u: %s",
			              port->id, port->sint, target->index, why);
	}
	/* Only the SINT's shared queue can still refuse (hv-synic.c says why). */
	if (!sim_synic_post(target, port->sint, in.message_type, in.payload, in.payload_size, port->id))
		return HV_STATUS_INSUFFICIENT_BUFFERS;
	sim_vmbus_observe_post(ctx->vp, pp, in.message_type, in.payload, in.payload_size);
	return HV_STATUS_SUCCESS;
}

/* ---- HvCallSignalEvent (facts §3.6, §4.3) ----------------------------------------
 * Usually fast: RDX = ConnectionId | FlagNumber << 32 (RsvdZ in 63:48).
 *   ConnectionId unknown to the caller (or above 24 bits) INVALID_CONNECTION_ID
 *   its port deleted, or not an event port                INVALID_PORT_ID
 *   RsvdZ non-zero, FlagNumber >= the port's FlagCount    INVALID_PARAMETER
 *   the port's VP no longer exists                        INVALID_VP_INDEX
 *   target SynIC or SIEF page disabled, SINT masked       INVALID_SYNIC_STATE
 * A flag that is already set stays set: success, and no interrupt. */
uint16_t sim_hv_call_signal_event(HvCallCtx *ctx)
{
	struct hv_input_signal_event in;
	SimPartition *pp;
	SimPort *port;
	memcpy(&in, ctx->in, sizeof in);

	uint16_t st = connection_port(ctx, "SignalEvent", in.connection_id, HV_PORT_TYPE_EVENT, &pp, &port);
	if (st != HV_STATUS_SUCCESS)
		return st;
	if (in.rsvd_z != 0)
		return refuse(ctx, HV_STATUS_INVALID_PARAMETER, "SignalEvent: RsvdZ must be zero");
	if (in.flag_number >= port->flag_count)
		return refuse(ctx, HV_STATUS_INVALID_PARAMETER, "SignalEvent: flag %u of port %u, which has %u flags",
		              in.flag_number, port->id, port->flag_count);
	SimVp *target = sim_partition_vp(pp, port->target_vp);
	if (!target)
		return refuse(ctx, HV_STATUS_INVALID_VP_INDEX, "SignalEvent: port %u targets VP %u, which is gone",
		              port->id, port->target_vp);
	const char *why = sim_synic_event_blocker(target, port->sint);
	if (why)
		return refuse(ctx, HV_STATUS_INVALID_SYNIC_STATE, "SignalEvent: port %u, SINT%u of VP %u: %s", port->id,
		              port->sint, target->index, why);

	unsigned flag = (unsigned)port->base_flag + in.flag_number; /* < 2048, checked at CreatePort */
	if (sim_synic_set_event_flag(target, port->sint, flag))
		sim_vp_message(target, "event flag %u of SINT %u set on partition %u VP %u", flag, port->sint, pp->id,
		               target->index);
	else
		sim_vp_message(target, "event flag %u of SINT %u on partition %u VP %u was already set: no interrupt",
		               flag, port->sint, pp->id, target->index);
	sim_vmbus_observe_signal(ctx->vp, pp, in.connection_id, flag);
	return HV_STATUS_SUCCESS;
}

/* ---- HvCallDeletePort / HvCallDisconnectPort (facts §4.5) ------------------------
 * Rights: CreatePort for DeletePort, ConnectPort for DisconnectPort; memory
 * form, 16-byte input.
 *   RsvdZ non-zero                                        INVALID_PARAMETER
 *   partition not nameable                                INVALID_PARTITION_ID
 *   no such port / connection there                      INVALID_PORT_ID /
 *                                                         INVALID_CONNECTION_ID
 * Deleting a port frees its queued, undelivered messages (a message already
 * in a SIM slot is the guest's) and leaves the connections to it dangling:
 * they stay, and sends through them fail with INVALID_PORT_ID even if a new
 * port later takes the same id. */
/* What deleting a port undoes outside its own record: its queued,
 * undelivered messages are freed (on every VP: an HV_ANY_VP port may have
 * queued on any) and the connections to it, which live in the senders and
 * may be in any partition of the machine, are left dangling. */
static void port_unlink(SimPartition *pp, const SimPort *port, unsigned *dropped, unsigned *dangling)
{
	*dropped = *dangling = 0;
	if (port->type == HV_PORT_TYPE_MESSAGE)
		for (guint i = 0; i < pp->vps->len; i++)
			*dropped += sim_synic_drop_from_port(g_ptr_array_index(pp->vps, i), port->sint, port->id);
	SimMachine *m = pp->machine;
	for (guint i = 0; i < m->partitions->len; i++) {
		SimPartition *cp = g_ptr_array_index(m->partitions, i);
		for (guint j = 0; cp->ports && j < cp->ports->n_conns; j++) {
			SimConnection *c = &cp->ports->conn[j];
			if (!c->dangling && c->port_partition == pp->id && c->port_id == port->id) {
				c->dangling = true;
				(*dangling)++;
			}
		}
	}
}

void sim_ports_teardown(SimPartition *p)
{
	g_return_if_fail(p != NULL);
	for (guint i = 0; p->ports && i < p->ports->n_ports; i++) {
		unsigned dropped, dangling;
		port_unlink(p, &p->ports->port[i], &dropped, &dangling);
	}
	g_clear_pointer(&p->ports, sim_ports_free);
}

uint16_t sim_hv_call_delete_port(HvCallCtx *ctx)
{
	struct hv_input_delete_port in;
	memcpy(&in, ctx->in, sizeof in);
	if (in.rsvd_z != 0)
		return refuse(ctx, HV_STATUS_INVALID_PARAMETER, "DeletePort: RsvdZ must be zero");
	SimPartition *pp;
	uint16_t st = nameable_partition(ctx, "DeletePort", "PortPartition", in.port_partition_id, &pp);
	if (st != HV_STATUS_SUCCESS)
		return st;
	SimPort *port = find_port(pp, in.port_id);
	if (!port)
		return refuse(ctx, HV_STATUS_INVALID_PORT_ID, "DeletePort: partition %u has no port %u", pp->id, in.port_id);

	unsigned dropped, dangling;
	port_unlink(pp, port, &dropped, &dangling);
	uint32_t id = port->id;
	SimPorts *ps = pp->ports;
	*port = ps->port[--ps->n_ports]; /* order does not matter */
	sim_vp_message(ctx->vp, "port %u deleted from partition %u (%u queued message%s freed, %u connection%s left dangling)",
	               id, pp->id, dropped, dropped == 1 ? "" : "s", dangling, dangling == 1 ? "" : "s");
	return HV_STATUS_SUCCESS;
}

uint16_t sim_hv_call_disconnect_port(HvCallCtx *ctx)
{
	struct hv_input_disconnect_port in;
	memcpy(&in, ctx->in, sizeof in);
	if (in.rsvd_z != 0)
		return refuse(ctx, HV_STATUS_INVALID_PARAMETER, "DisconnectPort: RsvdZ must be zero");
	SimPartition *cp;
	uint16_t st = nameable_partition(ctx, "DisconnectPort", "ConnectionPartition", in.connection_partition_id, &cp);
	if (st != HV_STATUS_SUCCESS)
		return st;
	SimConnection *c = find_connection(cp, in.connection_id);
	if (!c)
		return refuse(ctx, HV_STATUS_INVALID_CONNECTION_ID, "DisconnectPort: partition %u has no connection 0x%x",
		              cp->id, in.connection_id);
	*c = cp->ports->conn[--cp->ports->n_conns];
	sim_vp_message(ctx->vp, "connection %u of partition %u disconnected", in.connection_id, cp->id);
	return HV_STATUS_SUCCESS;
}
