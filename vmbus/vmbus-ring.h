/* vmbus-ring.h — one VMBus ring buffer (one direction of a channel) over a
 * caller-supplied memory window. Plain C17, no libc: the simulator's VSPs
 * and inspectors use it hosted; guest kernels link it freestanding.
 *
 * A window is the ring's control page (struct vmbus_ring_control, 4096
 * bytes) followed directly by its data area of D bytes. Packets in the data
 * area are a 16-byte descriptor, extra headers and payload padded to 8, and
 * an 8-byte trailer holding the packet's start offset (fact sheet §6.3).
 *
 * The other side of the ring is another partition: every index and length
 * read from the window is HOSTILE. The library keeps these GUARANTEES:
 *
 *  1. No access outside the window. Every byte read or written lies in
 *     [window, window + 4096 + D), whatever the control page and the data
 *     area contain. Wrapped packets are copied in two pieces.
 *  2. Indices are checked before use. A write_index or read_index that is
 *     >= D or not a multiple of 8 is reported (VMBUS_RING_ERR_*_INDEX_*)
 *     and nothing is copied or published.
 *  3. Packets are checked before they are returned. A descriptor is read
 *     once into private memory and only that copy is checked and used:
 *     len8 * 8 must hold the 16-byte descriptor, the packet plus its
 *     trailer must fit in the bytes available, offset8 * 8 must lie in
 *     [16, len8 * 8]. All arithmetic is done in 64 bits on values below
 *     2^32, so nothing overflows.
 *  4. One byte is never used. A writer writes N bytes (packet + trailer)
 *     only if the free space is strictly greater than N, so a full ring
 *     never looks empty (write_index == read_index means empty, §6.4). The
 *     largest packet a ring of D bytes carries is D - 16 bytes plus its
 *     trailer (indices move in steps of 8).
 *  5. Publish after copy. The writer copies descriptor, payload, padding
 *     and trailer, then a full barrier, then publishes write_index; the
 *     reader copies the packet out, then a full barrier, then publishes
 *     read_index. The other side never sees an index covering bytes that
 *     are not yet written (writer) or still being read (reader).
 *  6. The writer signals only on the empty -> non-empty transition: after
 *     publishing, it must signal iff the ring was empty before its write
 *     (its old write_index equals the read_index it now sees) and the
 *     reader's interrupt_mask is 0.
 *  7. The reader signals the writer only when it unblocks it: after
 *     publishing read_index, it must signal iff pending_send_sz != 0, the
 *     free space before the read was <= pending_send_sz (the writer could
 *     not write) and after it is > pending_send_sz (now it can; guarantee
 *     4's strict comparison). A read that leaves the writer blocked, or one
 *     that starts with enough space, does not signal.
 *  8. Errors are specific and sticky-free: every failure returns a
 *     vmbus_ring_status naming what was wrong (vmbus_ring_status_name())
 *     and leaves both indices unchanged; nothing is ever half-published.
 *
 * The ring's own caller decides what a signal is (HvSignalEvent from a
 * guest, a SIEF bit from the host, fact sheet §5.6): these functions only
 * say whether one is due. */
#ifndef HVSIM_VMBUS_RING_H
#define HVSIM_VMBUS_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmbus-proto.h"

/* An ordering point between this side and the other partition's CPU: a
 * compiler barrier (nothing is cached in registers or moved across it) and
 * a full hardware fence (x86 needs it for store -> load ordering; weaker
 * CPUs for every order). The __atomic builtins work hosted and
 * freestanding: they never call into a library for a fence. */
#define VMBUS_BARRIER() do {                                      \
		__asm__ __volatile__("" ::: "memory");            \
		__atomic_thread_fence(__ATOMIC_SEQ_CST);          \
	} while (0)

/* Smallest data area that carries a packet: 16-byte descriptor + 8-byte
 * trailer + the byte that is never used, rounded to 8. */
#define VMBUS_RING_MIN_DATA_SIZE  32u
/* Largest data area accepted: indices are u32, and 1 GiB keeps all sums
 * far from overflow. */
#define VMBUS_RING_MAX_DATA_SIZE  (1u << 30)
/* Largest packet (descriptor + headers + payload + padding): len8 is u16. */
#define VMBUS_RING_MAX_PACKET     (0xFFFFu * 8u)

enum vmbus_ring_status {
	VMBUS_RING_OK = 0,
	VMBUS_RING_EMPTY,                 /* reader: nothing to read (not an error) */
	VMBUS_RING_FULL,                  /* writer: not enough free space now */
	VMBUS_RING_ERR_ARGUMENT,          /* NULL pointer or bad argument from the caller */
	VMBUS_RING_ERR_WINDOW,            /* window too small/large or data size not 8-aligned */
	VMBUS_RING_ERR_READ_INDEX_RANGE,  /* read_index >= data size */
	VMBUS_RING_ERR_READ_INDEX_ALIGN,  /* read_index not a multiple of 8 */
	VMBUS_RING_ERR_WRITE_INDEX_RANGE, /* write_index >= data size */
	VMBUS_RING_ERR_WRITE_INDEX_ALIGN, /* write_index not a multiple of 8 */
	VMBUS_RING_ERR_TRUNCATED,         /* bytes available < descriptor + trailer */
	VMBUS_RING_ERR_LEN8_SMALL,        /* len8 * 8 < 16 (includes len8 == 0) */
	VMBUS_RING_ERR_LEN8_BEYOND_DATA,  /* packet + trailer longer than the bytes available */
	VMBUS_RING_ERR_OFFSET8_SMALL,     /* data offset inside the descriptor */
	VMBUS_RING_ERR_OFFSET8_BEYOND,    /* data offset beyond the end of the packet */
	VMBUS_RING_ERR_BUFFER_SMALL,      /* reader's buffer smaller than the packet */
	VMBUS_RING_ERR_TOO_BIG,           /* writer: packet can never fit this ring */
	VMBUS_RING_STATUS_COUNT
};

/* One ring over its window. Only pointers and the data size are private;
 * everything else lives in the shared control page. */
struct vmbus_ring {
	struct vmbus_ring_control *ctl;
	uint8_t *data;
	uint32_t data_size;           /* D */
};

/* A packet as parsed from the reader's private copy of its descriptor. */
struct vmbus_packet_info {
	uint16_t type;            /* enum vmbus_packet_type (not filtered here) */
	uint16_t flags;
	uint64_t trans_id;
	uint32_t start;           /* data-area offset of the descriptor */
	uint32_t packet_len;      /* len8 * 8: what the copy-out holds */
	uint32_t data_offset;     /* offset8 * 8: payload offset in the packet */
	uint32_t data_len;        /* packet_len - data_offset (payload + padding) */
	uint64_t trailer;         /* the trailer as read (high u32 should be start) */
};

/* A reader's pass over the ring: read_begin snapshots both indices,
 * read_next copies packets out and moves a private cursor, read_end
 * publishes the cursor as read_index. Nothing is consumed before read_end. */
struct vmbus_ring_iter {
	uint32_t read_start;      /* read_index at read_begin */
	uint32_t write_snap;      /* write_index at read_begin (or last refresh) */
	uint32_t cursor;          /* private read position */
};

/* One gather element of a packet being written. */
struct vmbus_ring_iovec {
	const void *base;
	uint32_t len;
};

const char *vmbus_ring_status_name(enum vmbus_ring_status status);

/* Attach to a window of window_size bytes (control page + data). Does not
 * touch the window. Returns OK or ERR_WINDOW/ERR_ARGUMENT. */
enum vmbus_ring_status vmbus_ring_attach(struct vmbus_ring *ring, void *window,
					 size_t window_size);
/* Attach and reset the control page: indices 0, no mask, not blocked,
 * feature_bits = VMBUS_RING_FEATURE_PENDING_SEND_SZ. Done once by the side
 * that creates the ring (the guest allocates both rings of a channel). */
enum vmbus_ring_status vmbus_ring_init(struct vmbus_ring *ring, void *window,
				       size_t window_size);

/* Pure arithmetic of §6.4 for a data area of d bytes (indices < d). */
uint32_t vmbus_ring_free_bytes(uint32_t d, uint32_t write_index, uint32_t read_index);
uint32_t vmbus_ring_avail_bytes(uint32_t d, uint32_t write_index, uint32_t read_index);
/* Bytes a packet with this many bytes after the descriptor occupies,
 * trailer included (what pending_send_sz is set to). */
uint32_t vmbus_ring_packet_footprint(uint32_t bytes_after_descriptor);

/* Guarantee 6 and 7 as pure functions. */
bool vmbus_ring_writer_should_signal(uint32_t old_write_index, uint32_t read_index_now,
				     uint32_t interrupt_mask);
bool vmbus_ring_reader_should_signal(uint32_t pending_send_sz, uint32_t free_before,
				     uint32_t free_after);

/* Validated snapshot of both indices (guarantee 2). */
enum vmbus_ring_status vmbus_ring_indices(const struct vmbus_ring *ring,
					  uint32_t *write_index, uint32_t *read_index);

/* Write one packet: descriptor (type, flags, offset8, trans_id; len8 is
 * computed), the gather list, zero padding to 8, trailer. offset8 * 8 must
 * lie in [16, 16 + total gather length]: 2 for a plain in-band packet; more
 * when the first gather elements are extra headers. On OK, *signal says
 * whether the reader must be signalled (guarantee 6). FULL leaves the ring
 * unchanged; the caller may set pending_send_sz and wait. */
enum vmbus_ring_status vmbus_ring_writev(struct vmbus_ring *ring, uint16_t type,
					 uint16_t flags, uint16_t offset8, uint64_t trans_id,
					 const struct vmbus_ring_iovec *iov, unsigned iov_count,
					 bool *signal);
/* writev with offset8 = 2 and one payload buffer. */
enum vmbus_ring_status vmbus_ring_write(struct vmbus_ring *ring, uint16_t type,
					uint16_t flags, uint64_t trans_id,
					const void *payload, uint32_t payload_len,
					bool *signal);

/* Blocked writer: announce how many bytes (footprint) it waits for
 * (rounded up to 8) and clear it when it resumes. set returns true if the
 * space is already there after the announcement (the reader freed it
 * before it could see pending_send_sz): retry instead of waiting. */
bool vmbus_ring_set_pending_send(struct vmbus_ring *ring, uint32_t bytes);
void vmbus_ring_clear_pending_send(struct vmbus_ring *ring);

/* Reader: the iterator (first/next/close). */
enum vmbus_ring_status vmbus_ring_read_begin(const struct vmbus_ring *ring,
					     struct vmbus_ring_iter *it);
/* Copy the packet at the cursor (descriptor included, len8 * 8 bytes) into
 * buf and move the cursor past its trailer. EMPTY at the end. If buf is too
 * small, info is still filled and ERR_BUFFER_SMALL returned; the cursor
 * does not move. */
enum vmbus_ring_status vmbus_ring_read_next(const struct vmbus_ring *ring,
					    struct vmbus_ring_iter *it,
					    struct vmbus_packet_info *info,
					    void *buf, size_t buf_size);
/* Publish the cursor as read_index; *signal: whether the writer must be
 * signalled (guarantee 7). */
enum vmbus_ring_status vmbus_ring_read_end(struct vmbus_ring *ring,
					   const struct vmbus_ring_iter *it, bool *signal);

/* Peek at the next packet without consuming it. */
enum vmbus_ring_status vmbus_ring_peek(const struct vmbus_ring *ring,
				       struct vmbus_packet_info *info,
				       void *buf, size_t buf_size);
/* Read and consume one packet (begin + next + end). */
enum vmbus_ring_status vmbus_ring_read(struct vmbus_ring *ring,
				       struct vmbus_packet_info *info,
				       void *buf, size_t buf_size, bool *signal);

/* Reader-side interrupt mask (§6.5): mask while draining; unmask returns
 * true if data arrived meanwhile, so the caller drains again instead of
 * sleeping (the lost wake-up the re-check prevents). */
void vmbus_ring_mask_interrupts(struct vmbus_ring *ring);
bool vmbus_ring_unmask_interrupts(struct vmbus_ring *ring);

#endif /* HVSIM_VMBUS_RING_H */
