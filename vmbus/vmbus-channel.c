/* vmbus-channel.c — control-message validation and the connection and
 * channel state machines. Runs hosted (simulator's VMBus server) and
 * freestanding (guest ring 0 VMBus client): no libc calls. */
#include "vmbus-channel.h"

static const char *const msg_status_names[VMBUS_MSG_STATUS_COUNT] = {
	[VMBUS_MSG_OK] = "ok",
	[VMBUS_MSG_ERR_ARGUMENT] = "no message",
	[VMBUS_MSG_ERR_SHORT] = "message shorter than its type's layout",
	[VMBUS_MSG_ERR_TOO_LONG] = "message longer than a SynIC payload (240 bytes)",
	[VMBUS_MSG_ERR_UNKNOWN_TYPE] = "unknown or unmodelled message type",
	[VMBUS_MSG_ERR_RELID] = "child_relid 0 or above 2047",
	[VMBUS_MSG_ERR_CONNECTION_STATE] = "connection_state not 0, 1 or 2",
	[VMBUS_MSG_ERR_MONITOR_PAGES] = "only one of the two monitor pages given",
	[VMBUS_MSG_ERR_GPADL_RANGES] = "GPADL ranges inconsistent with range_buflen/rangecount",
	[VMBUS_MSG_ERR_GPADL_PFNS] = "PFN array not a whole number of 8-byte entries",
	[VMBUS_MSG_ERR_RING_OFFSET] = "downstream ring page offset leaves no upstream ring",
	[VMBUS_MSG_ERR_ILLEGAL_IN_STATE] = "message not legal in the current state",
	[VMBUS_MSG_ERR_NOT_CHANNEL_MSG] = "connection-level message sent to a channel",
	[VMBUS_MSG_ERR_NOT_CONN_MSG] = "channel message sent to the connection",
};

const char *vmbus_msg_status_name(enum vmbus_msg_status status)
{
	if ((unsigned)status >= VMBUS_MSG_STATUS_COUNT)
		return "unknown message status";
	return msg_status_names[status];
}

static const char *const msgtype_names[VMBUS_MSG_COUNT] = {
	[VMBUS_MSG_INVALID] = "INVALID",
	[VMBUS_MSG_OFFERCHANNEL] = "OFFERCHANNEL",
	[VMBUS_MSG_RESCIND_CHANNELOFFER] = "RESCIND_CHANNELOFFER",
	[VMBUS_MSG_REQUESTOFFERS] = "REQUESTOFFERS",
	[VMBUS_MSG_ALLOFFERS_DELIVERED] = "ALLOFFERS_DELIVERED",
	[VMBUS_MSG_OPENCHANNEL] = "OPENCHANNEL",
	[VMBUS_MSG_OPENCHANNEL_RESULT] = "OPENCHANNEL_RESULT",
	[VMBUS_MSG_CLOSECHANNEL] = "CLOSECHANNEL",
	[VMBUS_MSG_GPADL_HEADER] = "GPADL_HEADER",
	[VMBUS_MSG_GPADL_BODY] = "GPADL_BODY",
	[VMBUS_MSG_GPADL_CREATED] = "GPADL_CREATED",
	[VMBUS_MSG_GPADL_TEARDOWN] = "GPADL_TEARDOWN",
	[VMBUS_MSG_GPADL_TORNDOWN] = "GPADL_TORNDOWN",
	[VMBUS_MSG_RELID_RELEASED] = "RELID_RELEASED",
	[VMBUS_MSG_INITIATE_CONTACT] = "INITIATE_CONTACT",
	[VMBUS_MSG_VERSION_RESPONSE] = "VERSION_RESPONSE",
	[VMBUS_MSG_UNLOAD] = "UNLOAD",
	[VMBUS_MSG_UNLOAD_RESPONSE] = "UNLOAD_RESPONSE",
	[VMBUS_MSG_OPEN_RESERVED_CHANNEL] = "OPEN_RESERVED_CHANNEL",
	[VMBUS_MSG_CLOSE_RESERVED_CHANNEL] = "CLOSE_RESERVED_CHANNEL",
	[VMBUS_MSG_CLOSE_RESERVED_RESPONSE] = "CLOSE_RESERVED_RESPONSE",
	[VMBUS_MSG_TL_CONNECT_REQUEST] = "TL_CONNECT_REQUEST",
	[VMBUS_MSG_MODIFY_CHANNEL] = "MODIFY_CHANNEL",
	[VMBUS_MSG_TL_CONNECT_RESULT] = "TL_CONNECT_RESULT",
	[VMBUS_MSG_MODIFY_CHANNEL_RESPONSE] = "MODIFY_CHANNEL_RESPONSE",
};

const char *vmbus_msgtype_name(uint32_t msgtype)
{
	if (msgtype >= VMBUS_MSG_COUNT)
		return "UNKNOWN";
	return msgtype_names[msgtype];
}

/* Fixed layout of each modelled type; 0 = not modelled. */
static const uint8_t min_size[VMBUS_MSG_COUNT] = {
	[VMBUS_MSG_OFFERCHANNEL] = sizeof(struct vmbus_msg_offer_channel),
	[VMBUS_MSG_RESCIND_CHANNELOFFER] = sizeof(struct vmbus_msg_relid),
	[VMBUS_MSG_REQUESTOFFERS] = sizeof(struct vmbus_msg_header),
	[VMBUS_MSG_ALLOFFERS_DELIVERED] = sizeof(struct vmbus_msg_header),
	[VMBUS_MSG_OPENCHANNEL] = sizeof(struct vmbus_msg_open_channel),
	[VMBUS_MSG_OPENCHANNEL_RESULT] = sizeof(struct vmbus_msg_open_result),
	[VMBUS_MSG_CLOSECHANNEL] = sizeof(struct vmbus_msg_relid),
	/* a header with at least one range head */
	[VMBUS_MSG_GPADL_HEADER] = sizeof(struct vmbus_msg_gpadl_header) + sizeof(struct vmbus_gpa_range),
	/* a body with at least one PFN */
	[VMBUS_MSG_GPADL_BODY] = sizeof(struct vmbus_msg_gpadl_body) + sizeof(uint64_t),
	[VMBUS_MSG_GPADL_CREATED] = sizeof(struct vmbus_msg_gpadl_created),
	[VMBUS_MSG_GPADL_TEARDOWN] = sizeof(struct vmbus_msg_gpadl_teardown),
	[VMBUS_MSG_GPADL_TORNDOWN] = sizeof(struct vmbus_msg_gpadl_torndown),
	[VMBUS_MSG_RELID_RELEASED] = sizeof(struct vmbus_msg_relid),
	[VMBUS_MSG_INITIATE_CONTACT] = sizeof(struct vmbus_msg_initiate_contact),
	[VMBUS_MSG_VERSION_RESPONSE] = sizeof(struct vmbus_msg_version_response),
	[VMBUS_MSG_UNLOAD] = sizeof(struct vmbus_msg_header),
	[VMBUS_MSG_UNLOAD_RESPONSE] = sizeof(struct vmbus_msg_header),
};

size_t vmbus_msg_min_size(uint32_t msgtype)
{
	return msgtype < VMBUS_MSG_COUNT ? min_size[msgtype] : 0;
}

/* Copy a message into a local, aligned struct (the caller's buffer may be
 * a SynIC slot at any alignment, and shared: read it once). */
static void copy_in(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	for (size_t i = 0; i < n; i++)
		d[i] = s[i];
}

static uint32_t msgtype_of(const void *msg)
{
	struct vmbus_msg_header h;
	copy_in(&h, msg, sizeof(h));
	return h.msgtype;
}

static bool relid_ok(uint32_t relid)
{
	/* Relid 0 is never a channel (bit 0 meant "control message" before
	 * Win8); SIEF has 2048 flags per SINT. */
	return relid != 0 && relid <= VMBUS_MAX_RELID;
}

static enum vmbus_msg_status validate_gpadl_header(const uint8_t *msg, size_t len)
{
	struct vmbus_msg_gpadl_header h;
	struct vmbus_gpa_range r;
	copy_in(&h, msg, sizeof(h));
	copy_in(&r, msg + sizeof(h), sizeof(r));
	if (!relid_ok(h.child_relid))
		return VMBUS_MSG_ERR_RELID;
	size_t here = len - sizeof(h);        /* range bytes in this message */
	if (here % sizeof(uint64_t) != 0)
		return VMBUS_MSG_ERR_GPADL_PFNS;
	if (h.rangecount == 0 || h.range_buflen < here ||
	    h.range_buflen % sizeof(uint64_t) != 0)
		return VMBUS_MSG_ERR_GPADL_RANGES;
	/* The first range must describe at least one byte starting inside
	 * its first page; with a single range, range_buflen is exactly its
	 * head plus its PFNs (64-bit sums: no overflow). */
	if (r.byte_count == 0 || r.byte_offset >= VMBUS_PAGE_SIZE)
		return VMBUS_MSG_ERR_GPADL_RANGES;
	uint64_t pfns = ((uint64_t)r.byte_offset + r.byte_count + VMBUS_PAGE_SIZE - 1) /
			VMBUS_PAGE_SIZE;
	uint64_t first_len = sizeof(struct vmbus_gpa_range) + pfns * sizeof(uint64_t);
	if (h.rangecount == 1 ? first_len != h.range_buflen : first_len >= h.range_buflen)
		return VMBUS_MSG_ERR_GPADL_RANGES;
	return VMBUS_MSG_OK;
}

enum vmbus_msg_status vmbus_msg_validate(const void *msg, size_t len)
{
	if (!msg)
		return VMBUS_MSG_ERR_ARGUMENT;
	if (len < sizeof(struct vmbus_msg_header))
		return VMBUS_MSG_ERR_SHORT;
	if (len > VMBUS_MESSAGE_MAX_SIZE)
		return VMBUS_MSG_ERR_TOO_LONG;
	uint32_t type = msgtype_of(msg);
	size_t need = vmbus_msg_min_size(type);
	if (need == 0)
		return VMBUS_MSG_ERR_UNKNOWN_TYPE;
	if (len < need)
		return VMBUS_MSG_ERR_SHORT;

	/* Now len >= the fixed layout: the copies below stay inside msg. */
	switch (type) {
	case VMBUS_MSG_INITIATE_CONTACT: {
		struct vmbus_msg_initiate_contact m;
		copy_in(&m, msg, sizeof(m));
		if ((m.monitor_page1 == 0) != (m.monitor_page2 == 0))
			return VMBUS_MSG_ERR_MONITOR_PAGES;
		return VMBUS_MSG_OK;
	}
	case VMBUS_MSG_VERSION_RESPONSE: {
		struct vmbus_msg_version_response m;
		copy_in(&m, msg, sizeof(m));
		if (m.connection_state > VMBUS_CONNECTION_UNKNOWN_FAILURE)
			return VMBUS_MSG_ERR_CONNECTION_STATE;
		return VMBUS_MSG_OK;
	}
	case VMBUS_MSG_OFFERCHANNEL: {
		struct vmbus_msg_offer_channel m;
		copy_in(&m, msg, sizeof(m));
		return relid_ok(m.child_relid) ? VMBUS_MSG_OK : VMBUS_MSG_ERR_RELID;
	}
	case VMBUS_MSG_OPENCHANNEL: {
		struct vmbus_msg_open_channel m;
		copy_in(&m, msg, sizeof(m));
		if (!relid_ok(m.child_relid))
			return VMBUS_MSG_ERR_RELID;
		/* The upstream ring sits in pages [0, offset): it needs its
		 * control page and at least one data page (§6.1). */
		if (m.downstream_page_offset < 2)
			return VMBUS_MSG_ERR_RING_OFFSET;
		return VMBUS_MSG_OK;
	}
	case VMBUS_MSG_OPENCHANNEL_RESULT:
	case VMBUS_MSG_GPADL_CREATED:
	case VMBUS_MSG_GPADL_TEARDOWN:
	case VMBUS_MSG_RESCIND_CHANNELOFFER:
	case VMBUS_MSG_CLOSECHANNEL:
	case VMBUS_MSG_RELID_RELEASED: {
		struct vmbus_msg_relid m;   /* child_relid @8 in all of these */
		copy_in(&m, msg, sizeof(m));
		return relid_ok(m.child_relid) ? VMBUS_MSG_OK : VMBUS_MSG_ERR_RELID;
	}
	case VMBUS_MSG_GPADL_HEADER:
		return validate_gpadl_header(msg, len);
	case VMBUS_MSG_GPADL_BODY:
		if ((len - sizeof(struct vmbus_msg_gpadl_body)) % sizeof(uint64_t) != 0)
			return VMBUS_MSG_ERR_GPADL_PFNS;
		return VMBUS_MSG_OK;
	default:
		/* REQUESTOFFERS, ALLOFFERS_DELIVERED, UNLOAD, UNLOAD_RESPONSE,
		 * GPADL_TORNDOWN: nothing beyond the length to check. */
		return VMBUS_MSG_OK;
	}
}

bool vmbus_msg_channel_relid(const void *msg, size_t len, uint32_t *relid)
{
	if (!msg || !relid || len < sizeof(struct vmbus_msg_relid))
		return false;
	switch (msgtype_of(msg)) {
	case VMBUS_MSG_OFFERCHANNEL: {
		if (len < sizeof(struct vmbus_msg_offer_channel))
			return false;
		struct vmbus_msg_offer_channel m;
		copy_in(&m, msg, sizeof(m));
		*relid = m.child_relid;
		return true;
	}
	case VMBUS_MSG_RESCIND_CHANNELOFFER:
	case VMBUS_MSG_OPENCHANNEL:
	case VMBUS_MSG_OPENCHANNEL_RESULT:
	case VMBUS_MSG_CLOSECHANNEL:
	case VMBUS_MSG_GPADL_HEADER:
	case VMBUS_MSG_GPADL_CREATED:
	case VMBUS_MSG_GPADL_TEARDOWN:
	case VMBUS_MSG_RELID_RELEASED: {
		struct vmbus_msg_relid m;
		copy_in(&m, msg, sizeof(m));
		*relid = m.child_relid;
		return true;
	}
	default:
		return false;
	}
}

/* --- Connection ---------------------------------------------------------- */

static const char *const conn_state_names[VMBUS_CONN_STATE_COUNT] = {
	[VMBUS_CONN_DISCONNECTED] = "disconnected",
	[VMBUS_CONN_CONTACTING] = "contacting",
	[VMBUS_CONN_CONNECTED] = "connected",
	[VMBUS_CONN_REQUESTED] = "offers requested",
	[VMBUS_CONN_READY] = "ready",
	[VMBUS_CONN_UNLOADING] = "unloading",
};

const char *vmbus_conn_state_name(enum vmbus_conn_state state)
{
	return (unsigned)state < VMBUS_CONN_STATE_COUNT ? conn_state_names[state] : "invalid";
}

enum vmbus_msg_status vmbus_conn_step(enum vmbus_conn_state *state,
				      const void *msg, size_t len)
{
	if (!state)
		return VMBUS_MSG_ERR_ARGUMENT;
	enum vmbus_msg_status st = vmbus_msg_validate(msg, len);
	if (st != VMBUS_MSG_OK)
		return st;
	enum vmbus_conn_state s = *state, next;
	bool connected = s == VMBUS_CONN_CONNECTED || s == VMBUS_CONN_REQUESTED ||
			 s == VMBUS_CONN_READY;

	switch (msgtype_of(msg)) {
	case VMBUS_MSG_INITIATE_CONTACT:
		if (s != VMBUS_CONN_DISCONNECTED)
			return VMBUS_MSG_ERR_ILLEGAL_IN_STATE;
		next = VMBUS_CONN_CONTACTING;
		break;
	case VMBUS_MSG_VERSION_RESPONSE: {
		if (s != VMBUS_CONN_CONTACTING)
			return VMBUS_MSG_ERR_ILLEGAL_IN_STATE;
		struct vmbus_msg_version_response m;
		copy_in(&m, msg, sizeof(m));
		/* Rejected: the guest may propose a lower version. */
		next = m.version_supported && m.connection_state == VMBUS_CONNECTION_SUCCESS
			       ? VMBUS_CONN_CONNECTED : VMBUS_CONN_DISCONNECTED;
		break;
	}
	case VMBUS_MSG_REQUESTOFFERS:
		if (s != VMBUS_CONN_CONNECTED)
			return VMBUS_MSG_ERR_ILLEGAL_IN_STATE;
		next = VMBUS_CONN_REQUESTED;
		break;
	case VMBUS_MSG_OFFERCHANNEL:
		if (s != VMBUS_CONN_REQUESTED && s != VMBUS_CONN_READY)
			return VMBUS_MSG_ERR_ILLEGAL_IN_STATE;
		next = s;
		break;
	case VMBUS_MSG_ALLOFFERS_DELIVERED:
		if (s != VMBUS_CONN_REQUESTED)
			return VMBUS_MSG_ERR_ILLEGAL_IN_STATE;
		next = VMBUS_CONN_READY;
		break;
	case VMBUS_MSG_UNLOAD:
		if (!connected)
			return VMBUS_MSG_ERR_ILLEGAL_IN_STATE;
		next = VMBUS_CONN_UNLOADING;
		break;
	case VMBUS_MSG_UNLOAD_RESPONSE:
		if (s != VMBUS_CONN_UNLOADING)
			return VMBUS_MSG_ERR_ILLEGAL_IN_STATE;
		next = VMBUS_CONN_DISCONNECTED;
		break;
	default:
		/* A channel message: legal only once offers flow (a rescind
		 * may race with the offers themselves). */
		if (s == VMBUS_CONN_READY ||
		    (s == VMBUS_CONN_REQUESTED &&
		     msgtype_of(msg) == VMBUS_MSG_RESCIND_CHANNELOFFER))
			return VMBUS_MSG_ERR_NOT_CONN_MSG;
		return VMBUS_MSG_ERR_ILLEGAL_IN_STATE;
	}
	*state = next;
	return VMBUS_MSG_OK;
}

/* --- Channel -------------------------------------------------------------- */

static const char *const chan_state_names[VMBUS_CHAN_STATE_COUNT] = {
	[VMBUS_CHAN_OFFERED] = "offered",
	[VMBUS_CHAN_GPADL] = "gpadl",
	[VMBUS_CHAN_OPENING] = "opening",
	[VMBUS_CHAN_OPEN] = "open",
	[VMBUS_CHAN_CLOSING] = "closing",
	[VMBUS_CHAN_CLOSED] = "closed",
};

const char *vmbus_chan_state_name(enum vmbus_chan_state state)
{
	return (unsigned)state < VMBUS_CHAN_STATE_COUNT ? chan_state_names[state] : "invalid";
}

#define BIT(t) (1u << (t))
#define GPADL_ALL (BIT(VMBUS_MSG_GPADL_HEADER) | BIT(VMBUS_MSG_GPADL_BODY) | \
		   BIT(VMBUS_MSG_GPADL_CREATED) | BIT(VMBUS_MSG_GPADL_TEARDOWN) | \
		   BIT(VMBUS_MSG_GPADL_TORNDOWN))

/* The table of the header comment: which message types each state takes. */
static const uint32_t chan_legal[VMBUS_CHAN_STATE_COUNT] = {
	[VMBUS_CHAN_OFFERED] = BIT(VMBUS_MSG_GPADL_HEADER) | BIT(VMBUS_MSG_RESCIND_CHANNELOFFER),
	[VMBUS_CHAN_GPADL] = GPADL_ALL | BIT(VMBUS_MSG_OPENCHANNEL) |
			     BIT(VMBUS_MSG_RESCIND_CHANNELOFFER),
	[VMBUS_CHAN_OPENING] = BIT(VMBUS_MSG_OPENCHANNEL_RESULT) | BIT(VMBUS_MSG_GPADL_BODY) |
			       BIT(VMBUS_MSG_GPADL_CREATED) | BIT(VMBUS_MSG_RESCIND_CHANNELOFFER),
	[VMBUS_CHAN_OPEN] = GPADL_ALL | BIT(VMBUS_MSG_CLOSECHANNEL) |
			    BIT(VMBUS_MSG_RESCIND_CHANNELOFFER),
	[VMBUS_CHAN_CLOSING] = GPADL_ALL | BIT(VMBUS_MSG_OPENCHANNEL) |
			       BIT(VMBUS_MSG_RESCIND_CHANNELOFFER),
	[VMBUS_CHAN_CLOSED] = BIT(VMBUS_MSG_CLOSECHANNEL) | BIT(VMBUS_MSG_GPADL_TEARDOWN) |
			      BIT(VMBUS_MSG_GPADL_TORNDOWN) | BIT(VMBUS_MSG_RELID_RELEASED),
};

static bool is_channel_msgtype(uint32_t t)
{
	switch (t) {
	case VMBUS_MSG_RESCIND_CHANNELOFFER:
	case VMBUS_MSG_OPENCHANNEL:
	case VMBUS_MSG_OPENCHANNEL_RESULT:
	case VMBUS_MSG_CLOSECHANNEL:
	case VMBUS_MSG_GPADL_HEADER:
	case VMBUS_MSG_GPADL_BODY:
	case VMBUS_MSG_GPADL_CREATED:
	case VMBUS_MSG_GPADL_TEARDOWN:
	case VMBUS_MSG_GPADL_TORNDOWN:
	case VMBUS_MSG_RELID_RELEASED:
		return true;
	default:
		return false;
	}
}

bool vmbus_chan_legal(enum vmbus_chan_state state, uint32_t msgtype)
{
	if ((unsigned)state >= VMBUS_CHAN_STATE_COUNT || msgtype >= 32)
		return false;
	return (chan_legal[state] & BIT(msgtype)) != 0;
}

enum vmbus_msg_status vmbus_channel_step(enum vmbus_chan_state *state,
					 const void *msg, size_t len)
{
	if (!state || (unsigned)*state >= VMBUS_CHAN_STATE_COUNT)
		return VMBUS_MSG_ERR_ARGUMENT;
	enum vmbus_msg_status st = vmbus_msg_validate(msg, len);
	if (st != VMBUS_MSG_OK)
		return st;
	uint32_t t = msgtype_of(msg);
	if (!is_channel_msgtype(t))
		return VMBUS_MSG_ERR_NOT_CHANNEL_MSG;
	enum vmbus_chan_state s = *state;
	if (!vmbus_chan_legal(s, t))
		return VMBUS_MSG_ERR_ILLEGAL_IN_STATE;

	enum vmbus_chan_state next = s;
	switch (t) {
	case VMBUS_MSG_RESCIND_CHANNELOFFER:
		next = VMBUS_CHAN_CLOSED;
		break;
	case VMBUS_MSG_GPADL_HEADER:
	case VMBUS_MSG_GPADL_BODY:
	case VMBUS_MSG_GPADL_CREATED:
		if (s == VMBUS_CHAN_OFFERED || s == VMBUS_CHAN_CLOSING)
			next = VMBUS_CHAN_GPADL;
		break;
	case VMBUS_MSG_OPENCHANNEL:
		next = VMBUS_CHAN_OPENING;
		break;
	case VMBUS_MSG_OPENCHANNEL_RESULT: {
		struct vmbus_msg_open_result m;
		copy_in(&m, msg, sizeof(m));
		next = m.status == 0 ? VMBUS_CHAN_OPEN : VMBUS_CHAN_GPADL;
		break;
	}
	case VMBUS_MSG_CLOSECHANNEL:
		if (s == VMBUS_CHAN_OPEN)
			next = VMBUS_CHAN_CLOSING;
		break;
	default:
		/* TEARDOWN, TORNDOWN, RELID_RELEASED: no state change. */
		break;
	}
	*state = next;
	return VMBUS_MSG_OK;
}
