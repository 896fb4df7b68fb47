/* vmbus-ring.c — the VMBus ring buffer: validation, copy with wrap-around,
 * publish order and signalling rules. Runs hosted (simulator, tests,
 * fuzzer) and freestanding (guest ring 0): no libc calls. GCC may still
 * turn the byte loops into memcpy/memset, which every freestanding
 * environment must provide (the guest kernel's lib.c does).
 *
 * The numbered guarantees this file keeps are listed in vmbus-ring.h;
 * comments below cite them as (G1)..(G8). */
#include "vmbus-ring.h"

/* Shared control fields are read and written with relaxed atomic accesses:
 * each is one aligned 32-bit load or store the compiler may not split,
 * merge or repeat (the "read once" that makes a snapshot a snapshot).
 * Ordering between them and the data comes from explicit VMBUS_BARRIER()s. */
static inline uint32_t shared_load(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void shared_store(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static const char *const status_names[VMBUS_RING_STATUS_COUNT] = {
	[VMBUS_RING_OK] = "ok",
	[VMBUS_RING_EMPTY] = "ring empty",
	[VMBUS_RING_FULL] = "ring full: not enough free space for the packet",
	[VMBUS_RING_ERR_ARGUMENT] = "invalid argument from the caller",
	[VMBUS_RING_ERR_WINDOW] = ("bad window: needs an 8-byte aligned 4096-byte control page "
				   "plus a data area of 32 bytes .. 1 GiB, a multiple of 8"),
	[VMBUS_RING_ERR_READ_INDEX_RANGE] = "read_index beyond the data area",
	[VMBUS_RING_ERR_READ_INDEX_ALIGN] = "read_index not 8-byte aligned",
	[VMBUS_RING_ERR_WRITE_INDEX_RANGE] = "write_index beyond the data area",
	[VMBUS_RING_ERR_WRITE_INDEX_ALIGN] = "write_index not 8-byte aligned",
	[VMBUS_RING_ERR_TRUNCATED] = "fewer bytes available than a descriptor and trailer",
	[VMBUS_RING_ERR_LEN8_SMALL] = "packet length (len8) smaller than its descriptor",
	[VMBUS_RING_ERR_LEN8_BEYOND_DATA] = "packet length (len8) beyond the bytes available",
	[VMBUS_RING_ERR_OFFSET8_SMALL] = "data offset (offset8) inside the descriptor",
	[VMBUS_RING_ERR_OFFSET8_BEYOND] = "data offset (offset8) beyond the end of the packet",
	[VMBUS_RING_ERR_BUFFER_SMALL] = "reader's buffer smaller than the packet",
	[VMBUS_RING_ERR_TOO_BIG] = "packet too big for this ring",
};

const char *vmbus_ring_status_name(enum vmbus_ring_status status)
{
	if ((unsigned)status >= VMBUS_RING_STATUS_COUNT)
		return "unknown ring status";
	return status_names[status];
}

/* --- Window ------------------------------------------------------------ */

enum vmbus_ring_status vmbus_ring_attach(struct vmbus_ring *ring, void *window,
					 size_t window_size)
{
	if (!ring || !window)
		return VMBUS_RING_ERR_ARGUMENT;
	/* The control fields are accessed as aligned u32s, the descriptor
	 * through byte copies; 8 keeps both natural. */
	if ((uintptr_t)window % VMBUS_PACKET_ALIGN != 0)
		return VMBUS_RING_ERR_WINDOW;
	if (window_size < sizeof(struct vmbus_ring_control) + VMBUS_RING_MIN_DATA_SIZE)
		return VMBUS_RING_ERR_WINDOW;
	size_t d = window_size - sizeof(struct vmbus_ring_control);
	if (d > VMBUS_RING_MAX_DATA_SIZE || d % VMBUS_PACKET_ALIGN != 0)
		return VMBUS_RING_ERR_WINDOW;
	ring->ctl = window;
	ring->data = (uint8_t *)window + sizeof(struct vmbus_ring_control);
	ring->data_size = (uint32_t)d;
	return VMBUS_RING_OK;
}

enum vmbus_ring_status vmbus_ring_init(struct vmbus_ring *ring, void *window,
				       size_t window_size)
{
	enum vmbus_ring_status st = vmbus_ring_attach(ring, window, window_size);
	if (st != VMBUS_RING_OK)
		return st;
	struct vmbus_ring_control *c = ring->ctl;
	shared_store(&c->write_index, 0);
	shared_store(&c->read_index, 0);
	shared_store(&c->interrupt_mask, 0);
	shared_store(&c->pending_send_sz, 0);
	for (unsigned i = 0; i < sizeof(c->reserved) / sizeof(c->reserved[0]); i++)
		shared_store(&c->reserved[i], 0);
	/* This implementation honours pending_send_sz (G7). */
	shared_store(&c->feature_bits, VMBUS_RING_FEATURE_PENDING_SEND_SZ);
	/* The ring is published to the other side (through OPENCHANNEL) only
	 * after this: make the reset visible before anything that follows. */
	VMBUS_BARRIER();
	return VMBUS_RING_OK;
}

/* --- Arithmetic (§6.4) -------------------------------------------------- */

uint32_t vmbus_ring_free_bytes(uint32_t d, uint32_t write_index, uint32_t read_index)
{
	/* Free is everything the reader has not yet to read. It is d when
	 * empty; guarantee 4 keeps the writer from using the last byte, so it
	 * never reaches 0 through writes. */
	if (write_index >= read_index)
		return d - (write_index - read_index);
	return read_index - write_index;
}

uint32_t vmbus_ring_avail_bytes(uint32_t d, uint32_t write_index, uint32_t read_index)
{
	if (write_index >= read_index)
		return write_index - read_index;
	return d - read_index + write_index;
}

static uint64_t align8(uint64_t n)
{
	return (n + (VMBUS_PACKET_ALIGN - 1)) & ~(uint64_t)(VMBUS_PACKET_ALIGN - 1);
}

uint32_t vmbus_ring_packet_footprint(uint32_t bytes_after_descriptor)
{
	return (uint32_t)(align8((uint64_t)sizeof(struct vmbus_packet_desc) +
				 bytes_after_descriptor) + VMBUS_PACKET_TRAILER_SIZE);
}

/* --- Signalling rules (§6.5) -------------------------------------------- */

bool vmbus_ring_writer_should_signal(uint32_t old_write_index, uint32_t read_index_now,
				     uint32_t interrupt_mask)
{
	/* (G6) A reader with its mask set is draining and will re-check
	 * before it sleeps; a reader that had data before this write was
	 * already signalled for it. Only a reader that had caught up with
	 * our old write_index may be asleep waiting for this packet. */
	if (interrupt_mask != 0)
		return false;
	return old_write_index == read_index_now;
}

bool vmbus_ring_reader_should_signal(uint32_t pending_send_sz, uint32_t free_before,
				     uint32_t free_after)
{
	/* (G7) The writer needs free > pending (G4's strict rule). Signal
	 * exactly on the transition "could not write" -> "can write". */
	if (pending_send_sz == 0)
		return false;
	return free_before <= pending_send_sz && free_after > pending_send_sz;
}

/* --- Index snapshot (G2) ------------------------------------------------ */

static enum vmbus_ring_status check_indices(uint32_t d, uint32_t w, uint32_t r)
{
	if (r >= d)
		return VMBUS_RING_ERR_READ_INDEX_RANGE;
	if (r % VMBUS_PACKET_ALIGN != 0)
		return VMBUS_RING_ERR_READ_INDEX_ALIGN;
	if (w >= d)
		return VMBUS_RING_ERR_WRITE_INDEX_RANGE;
	if (w % VMBUS_PACKET_ALIGN != 0)
		return VMBUS_RING_ERR_WRITE_INDEX_ALIGN;
	return VMBUS_RING_OK;
}

enum vmbus_ring_status vmbus_ring_indices(const struct vmbus_ring *ring,
					  uint32_t *write_index, uint32_t *read_index)
{
	if (!ring || !ring->ctl || !write_index || !read_index)
		return VMBUS_RING_ERR_ARGUMENT;
	/* Read each index exactly once: the values checked are the values used. */
	uint32_t w = shared_load(&ring->ctl->write_index);
	uint32_t r = shared_load(&ring->ctl->read_index);
	enum vmbus_ring_status st = check_indices(ring->data_size, w, r);
	if (st != VMBUS_RING_OK)
		return st;
	*write_index = w;
	*read_index = r;
	return VMBUS_RING_OK;
}

/* --- Copies with wrap-around (G1) --------------------------------------- */

static void bytes_copy(uint8_t *dst, const uint8_t *src, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		dst[i] = src[i];
}

/* Copy n bytes out of the data area starting at off. Callers guarantee
 * off < d and n <= d, so both pieces lie inside the data area. */
static void copy_from_ring(const struct vmbus_ring *ring, uint32_t off, void *dst, uint32_t n)
{
	uint32_t first = ring->data_size - off;
	if (first > n)
		first = n;
	bytes_copy(dst, ring->data + off, first);
	bytes_copy((uint8_t *)dst + first, ring->data, n - first);
}

/* Copy n bytes (or zeros if src is NULL) into the data area at *pos and
 * advance *pos modulo d. Callers guarantee *pos < d and n <= d. */
static void copy_to_ring(struct vmbus_ring *ring, uint32_t *pos, const void *src, uint32_t n)
{
	const uint8_t *s = src;
	uint32_t p = *pos;
	for (uint32_t i = 0; i < n; i++) {
		ring->data[p] = s ? s[i] : 0;
		if (++p == ring->data_size)
			p = 0;
	}
	*pos = p;
}

/* --- Writer -------------------------------------------------------------- */

enum vmbus_ring_status vmbus_ring_writev(struct vmbus_ring *ring, uint16_t type,
					 uint16_t flags, uint16_t offset8, uint64_t trans_id,
					 const struct vmbus_ring_iovec *iov, unsigned iov_count,
					 bool *signal)
{
	if (signal)
		*signal = false;
	if (!ring || !ring->ctl || (iov_count && !iov))
		return VMBUS_RING_ERR_ARGUMENT;

	/* Size the packet in 64 bits: many large gather elements cannot wrap. */
	uint64_t body = 0;
	for (unsigned i = 0; i < iov_count; i++) {
		if (iov[i].len && !iov[i].base)
			return VMBUS_RING_ERR_ARGUMENT;
		body += iov[i].len;
	}
	uint64_t plen = align8(sizeof(struct vmbus_packet_desc) + body);
	if (plen > VMBUS_RING_MAX_PACKET)
		return VMBUS_RING_ERR_TOO_BIG;
	uint64_t data_off = (uint64_t)offset8 * 8u;
	if (data_off < sizeof(struct vmbus_packet_desc) ||
	    data_off > sizeof(struct vmbus_packet_desc) + body)
		return VMBUS_RING_ERR_ARGUMENT;
	uint32_t need = (uint32_t)plen + VMBUS_PACKET_TRAILER_SIZE;
	/* (G4) free is at most d, and a write needs free > need. */
	if (need >= ring->data_size)
		return VMBUS_RING_ERR_TOO_BIG;

	/* Our own write_index lives in shared memory too, where the reader
	 * could have scribbled on it: it is checked like the read_index. */
	uint32_t w, r;
	enum vmbus_ring_status st = vmbus_ring_indices(ring, &w, &r);
	if (st != VMBUS_RING_OK)
		return st;
	if (vmbus_ring_free_bytes(ring->data_size, w, r) <= need)
		return VMBUS_RING_FULL;
	/* ORDERING: the read_index load above must happen before we overwrite
	 * the space it freed; the reader's barrier before publishing pairs
	 * with this one, so we never overwrite bytes still being copied out. */
	VMBUS_BARRIER();

	struct vmbus_packet_desc desc = {
		.type = type,
		.offset8 = offset8,
		.len8 = (uint16_t)(plen / 8u),
		.flags = flags,
		.trans_id = trans_id,
	};
	uint32_t pos = w;
	copy_to_ring(ring, &pos, &desc, sizeof(desc));
	for (unsigned i = 0; i < iov_count; i++)
		copy_to_ring(ring, &pos, iov[i].base, iov[i].len);
	copy_to_ring(ring, &pos, NULL, (uint32_t)(plen - sizeof(desc) - body));
	uint64_t trailer = VMBUS_PACKET_TRAILER(w);
	copy_to_ring(ring, &pos, &trailer, sizeof(trailer));

	/* ORDERING (G5): every byte of the packet must be visible before the
	 * write_index that tells the reader it is there. */
	VMBUS_BARRIER();
	shared_store(&ring->ctl->write_index, pos);
	/* ORDERING (G6): the store above must be visible before we load
	 * interrupt_mask and read_index (store -> load, the one order x86
	 * does not keep by itself). Without it we could read a stale
	 * read_index, decide "not empty before", while the reader read our
	 * stale write_index, found the ring empty and went to sleep: a lost
	 * wake-up. */
	VMBUS_BARRIER();
	uint32_t mask = shared_load(&ring->ctl->interrupt_mask);
	uint32_t r_now = shared_load(&ring->ctl->read_index);
	if (signal)
		*signal = vmbus_ring_writer_should_signal(w, r_now, mask);
	return VMBUS_RING_OK;
}

enum vmbus_ring_status vmbus_ring_write(struct vmbus_ring *ring, uint16_t type,
					uint16_t flags, uint64_t trans_id,
					const void *payload, uint32_t payload_len,
					bool *signal)
{
	struct vmbus_ring_iovec iov = { .base = payload, .len = payload_len };
	return vmbus_ring_writev(ring, type, flags,
				 sizeof(struct vmbus_packet_desc) / 8u, trans_id,
				 &iov, 1, signal);
}

bool vmbus_ring_set_pending_send(struct vmbus_ring *ring, uint32_t bytes)
{
	uint32_t want = (uint32_t)align8(bytes);
	shared_store(&ring->ctl->pending_send_sz, want);
	/* ORDERING: publish pending_send_sz before re-reading read_index. The
	 * reader publishes read_index before loading pending_send_sz; with a
	 * full barrier on both sides at least one of us sees the other's
	 * store, so either it signals or we see the space here. */
	VMBUS_BARRIER();
	uint32_t w, r;
	if (vmbus_ring_indices(ring, &w, &r) != VMBUS_RING_OK)
		return true; /* let the retried write report the bad index */
	return vmbus_ring_free_bytes(ring->data_size, w, r) > want;
}

void vmbus_ring_clear_pending_send(struct vmbus_ring *ring)
{
	shared_store(&ring->ctl->pending_send_sz, 0);
}

/* --- Reader -------------------------------------------------------------- */

enum vmbus_ring_status vmbus_ring_read_begin(const struct vmbus_ring *ring,
					     struct vmbus_ring_iter *it)
{
	if (!ring || !ring->ctl || !it)
		return VMBUS_RING_ERR_ARGUMENT;
	uint32_t w, r;
	enum vmbus_ring_status st = vmbus_ring_indices(ring, &w, &r);
	if (st != VMBUS_RING_OK)
		return st;
	/* ORDERING (G5): the packet bytes must be read after the write_index
	 * that covers them (pairs with the writer's barrier before publish). */
	VMBUS_BARRIER();
	it->read_start = r;
	it->write_snap = w;
	it->cursor = r;
	return VMBUS_RING_OK;
}

enum vmbus_ring_status vmbus_ring_read_next(const struct vmbus_ring *ring,
					    struct vmbus_ring_iter *it,
					    struct vmbus_packet_info *info,
					    void *buf, size_t buf_size)
{
	if (!ring || !ring->ctl || !it || !info)
		return VMBUS_RING_ERR_ARGUMENT;
	const uint32_t d = ring->data_size;
	/* The iterator is the caller's memory, but it came from indices we
	 * checked; re-check anyway so a corrupted iterator cannot escape. */
	enum vmbus_ring_status st = check_indices(d, it->write_snap, it->cursor);
	if (st != VMBUS_RING_OK)
		return st;

	uint32_t avail = vmbus_ring_avail_bytes(d, it->write_snap, it->cursor);
	if (avail == 0)
		return VMBUS_RING_EMPTY;
	if (avail < sizeof(struct vmbus_packet_desc) + VMBUS_PACKET_TRAILER_SIZE)
		return VMBUS_RING_ERR_TRUNCATED;

	/* (G3) One fetch of the descriptor into private memory; every check
	 * and every later use reads this copy, never the shared bytes. */
	struct vmbus_packet_desc desc;
	copy_from_ring(ring, it->cursor, &desc, sizeof(desc));
	uint32_t plen = (uint32_t)desc.len8 * 8u;     /* <= 524280: no overflow */
	uint32_t doff = (uint32_t)desc.offset8 * 8u;
	if (plen < sizeof(desc))
		return VMBUS_RING_ERR_LEN8_SMALL;
	if ((uint64_t)plen + VMBUS_PACKET_TRAILER_SIZE > avail)
		return VMBUS_RING_ERR_LEN8_BEYOND_DATA;
	if (doff < sizeof(desc))
		return VMBUS_RING_ERR_OFFSET8_SMALL;
	if (doff > plen)
		return VMBUS_RING_ERR_OFFSET8_BEYOND;

	/* plen + 8 <= avail < d, so these offsets stay below 2 * d < 2^31. */
	uint32_t trailer_at = (it->cursor + plen) % d;
	uint64_t trailer;
	copy_from_ring(ring, trailer_at, &trailer, sizeof(trailer));

	info->type = desc.type;
	info->flags = desc.flags;
	info->trans_id = desc.trans_id;
	info->start = it->cursor;
	info->packet_len = plen;
	info->data_offset = doff;
	info->data_len = plen - doff;
	info->trailer = trailer;

	if (!buf || buf_size < plen)
		return VMBUS_RING_ERR_BUFFER_SMALL;
	copy_from_ring(ring, it->cursor, buf, plen);
	/* The caller parses buf: give it the descriptor we checked, not a
	 * second fetch the other side may have changed in between. */
	bytes_copy(buf, (const uint8_t *)&desc, sizeof(desc));

	it->cursor = (it->cursor + plen + VMBUS_PACKET_TRAILER_SIZE) % d;
	return VMBUS_RING_OK;
}

enum vmbus_ring_status vmbus_ring_read_end(struct vmbus_ring *ring,
					   const struct vmbus_ring_iter *it, bool *signal)
{
	if (signal)
		*signal = false;
	if (!ring || !ring->ctl || !it)
		return VMBUS_RING_ERR_ARGUMENT;
	const uint32_t d = ring->data_size;
	enum vmbus_ring_status st = check_indices(d, it->write_snap, it->cursor);
	if (st != VMBUS_RING_OK)
		return st;
	st = check_indices(d, it->write_snap, it->read_start);
	if (st != VMBUS_RING_OK)
		return st;
	if (it->cursor == it->read_start)
		return VMBUS_RING_OK;   /* nothing consumed, nothing to publish */

	/* ORDERING (G5): all copies out of the packets must complete before
	 * read_index hands their space back to the writer. */
	VMBUS_BARRIER();
	shared_store(&ring->ctl->read_index, it->cursor);
	/* ORDERING (G7): publish read_index before loading pending_send_sz
	 * (store -> load). Pairs with the barrier in set_pending_send: either
	 * the writer sees our new read_index, or we see its pending_send_sz. */
	VMBUS_BARRIER();
	uint32_t pending = shared_load(&ring->ctl->pending_send_sz);
	if (pending == 0)
		return VMBUS_RING_OK;
	/* ORDERING: write_index read after pending_send_sz, so the free space
	 * is the one the blocked writer measured or newer. */
	VMBUS_BARRIER();
	uint32_t w = shared_load(&ring->ctl->write_index);
	if (w >= d || w % VMBUS_PACKET_ALIGN != 0) {
		/* The writer's index went bad after our read was published. A
		 * signal is only a hint, so give one; the writer's next write
		 * reports its own index. */
		if (signal)
			*signal = true;
		return VMBUS_RING_OK;
	}
	uint32_t before = vmbus_ring_free_bytes(d, w, it->read_start);
	uint32_t after = vmbus_ring_free_bytes(d, w, it->cursor);
	if (signal)
		*signal = vmbus_ring_reader_should_signal(pending, before, after);
	return VMBUS_RING_OK;
}

enum vmbus_ring_status vmbus_ring_peek(const struct vmbus_ring *ring,
				       struct vmbus_packet_info *info,
				       void *buf, size_t buf_size)
{
	struct vmbus_ring_iter it;
	enum vmbus_ring_status st = vmbus_ring_read_begin(ring, &it);
	if (st != VMBUS_RING_OK)
		return st;
	return vmbus_ring_read_next(ring, &it, info, buf, buf_size);
}

enum vmbus_ring_status vmbus_ring_read(struct vmbus_ring *ring,
				       struct vmbus_packet_info *info,
				       void *buf, size_t buf_size, bool *signal)
{
	if (signal)
		*signal = false;
	struct vmbus_ring_iter it;
	enum vmbus_ring_status st = vmbus_ring_read_begin(ring, &it);
	if (st != VMBUS_RING_OK)
		return st;
	st = vmbus_ring_read_next(ring, &it, info, buf, buf_size);
	if (st != VMBUS_RING_OK)
		return st;
	return vmbus_ring_read_end(ring, &it, signal);
}

void vmbus_ring_mask_interrupts(struct vmbus_ring *ring)
{
	shared_store(&ring->ctl->interrupt_mask, 1);
	/* ORDERING: the mask must be visible before we start draining, or
	 * the writer keeps signalling for packets we are about to read
	 * anyway (harmless, but what the mask is for). */
	VMBUS_BARRIER();
}

bool vmbus_ring_unmask_interrupts(struct vmbus_ring *ring)
{
	shared_store(&ring->ctl->interrupt_mask, 0);
	/* ORDERING: unmask before the re-check (store -> load). A packet
	 * published while we were masked got no signal; if we slept without
	 * looking again it would wait until the next one. */
	VMBUS_BARRIER();
	uint32_t w = shared_load(&ring->ctl->write_index);
	uint32_t r = shared_load(&ring->ctl->read_index);
	/* Bad indices also say "look again": the next read reports them. */
	return w != r;
}
