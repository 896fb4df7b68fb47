/* fuzz-ring.c — libFuzzer harness for vmbus/'s ring reader and packet
 * parser, built with clang and -fsanitize=fuzzer,address,undefined.
 * Host-only; the meson test 'fuzz-ring' (suite fuzz) runs a bounded pass.
 *
 * Input: bytes 0..15 are the control page's write_index, read_index,
 * interrupt_mask and pending_send_sz (little-endian u32); the rest,
 * truncated to a multiple of 8, is the data area. The window is a heap
 * allocation of exactly 4096 + D bytes, so any access outside it is an
 * ASan report. The harness also checks the guarantees it can see: a
 * returned packet fits the bytes that were available, its data offset
 * lies inside it, and the copy-out carries the descriptor that was
 * checked. The same bytes after the control words, cut to a SynIC payload,
 * also go through the control-message validator and state machines. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmbus-channel.h"
#include "vmbus-ring.h"

#define CTL_SIZE sizeof(struct vmbus_ring_control)
#define MAX_DATA (64u * 1024u)
#define MAX_PACKETS 64

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void drain(struct vmbus_ring *ring)
{
	/* Iterator pass: read until the ring says stop, then publish. */
	struct vmbus_ring_iter it;
	if (vmbus_ring_read_begin(ring, &it) != VMBUS_RING_OK)
		return;
	uint32_t avail_total = vmbus_ring_avail_bytes(ring->data_size, it.write_snap, it.cursor);
	uint32_t consumed = 0;
	for (int n = 0; n < MAX_PACKETS; n++) {
		struct vmbus_packet_info info;
		/* First ask with no buffer: the parser must fill info and
		 * refuse; then give it a buffer of exactly packet_len bytes,
		 * so an overrun of the copy-out is an ASan report too. */
		enum vmbus_ring_status st = vmbus_ring_read_next(ring, &it, &info, NULL, 0);
		if (st != VMBUS_RING_ERR_BUFFER_SMALL)
			break;
		uint8_t *buf = malloc(info.packet_len);
		check(buf != NULL);
		st = vmbus_ring_read_next(ring, &it, &info, buf, info.packet_len);
		check(st == VMBUS_RING_OK);
		check(info.packet_len >= sizeof(struct vmbus_packet_desc));
		check(info.data_offset >= sizeof(struct vmbus_packet_desc));
		check(info.data_offset <= info.packet_len);
		check(info.data_len == info.packet_len - info.data_offset);
		struct vmbus_packet_desc d;
		memcpy(&d, buf, sizeof(d));
		check(d.len8 * 8u == info.packet_len && d.offset8 * 8u == info.data_offset);
		consumed += info.packet_len + VMBUS_PACKET_TRAILER_SIZE;
		check(consumed <= avail_total);
		free(buf);
	}
	bool sig;
	check(vmbus_ring_read_end(ring, &it, &sig) == VMBUS_RING_OK);
}

static void messages(const uint8_t *in, size_t size)
{
	size_t len = size < VMBUS_MESSAGE_MAX_SIZE + 8 ? size : VMBUS_MESSAGE_MAX_SIZE + 8;
	uint8_t *msg = malloc(len ? len : 1);  /* exactly len: over-reads trip ASan */
	check(msg != NULL);
	memcpy(msg, in, len);
	enum vmbus_msg_status v = vmbus_msg_validate(msg, len);
	check((unsigned)v < VMBUS_MSG_STATUS_COUNT);
	for (int st = 0; st < VMBUS_CHAN_STATE_COUNT; st++) {
		enum vmbus_chan_state s = (enum vmbus_chan_state)st;
		enum vmbus_msg_status r = vmbus_channel_step(&s, msg, len);
		check(r == VMBUS_MSG_OK || s == (enum vmbus_chan_state)st);
		check(r == VMBUS_MSG_OK ? v == VMBUS_MSG_OK : 1);
	}
	for (int st = 0; st < VMBUS_CONN_STATE_COUNT; st++) {
		enum vmbus_conn_state s = (enum vmbus_conn_state)st;
		enum vmbus_msg_status r = vmbus_conn_step(&s, msg, len);
		check(r == VMBUS_MSG_OK || s == (enum vmbus_conn_state)st);
	}
	uint32_t relid;
	if (vmbus_msg_channel_relid(msg, len, &relid) && v == VMBUS_MSG_OK)
		check(relid != 0 && relid <= VMBUS_MAX_RELID);
	free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	if (size < 16)
		return 0;
	messages(in + 16, size - 16);
	size_t d = (size - 16) & ~(size_t)7;
	if (d < VMBUS_RING_MIN_DATA_SIZE || d > MAX_DATA)
		return 0;
	size_t win_size = CTL_SIZE + d;
	uint8_t *win = malloc(win_size);
	check(win != NULL);
	memset(win, 0, CTL_SIZE);
	memcpy(win, in, 16);                 /* write, read, mask, pending */
	memcpy(win + CTL_SIZE, in + 16, d);

	struct vmbus_ring ring;
	check(vmbus_ring_attach(&ring, win, win_size) == VMBUS_RING_OK);

	/* Peek twice: it must not consume and must agree with itself. */
	struct vmbus_packet_info a, b;
	uint8_t *buf = malloc(d);
	check(buf != NULL);
	enum vmbus_ring_status s1 = vmbus_ring_peek(&ring, &a, buf, d);
	enum vmbus_ring_status s2 = vmbus_ring_peek(&ring, &b, buf, d);
	check(s1 == s2);
	if (s1 == VMBUS_RING_OK)
		check(a.start == b.start && a.packet_len == b.packet_len);
	check((unsigned)s1 < VMBUS_RING_STATUS_COUNT);

	drain(&ring);

	/* One-shot reads until the ring stops giving packets. */
	for (int n = 0; n < MAX_PACKETS; n++) {
		struct vmbus_packet_info info;
		bool sig;
		if (vmbus_ring_read(&ring, &info, buf, d, &sig) != VMBUS_RING_OK)
			break;
	}

	/* The writer on the same page: hostile indices are refused, sane ones
	 * keep it inside the window. Then read back what it wrote. */
	uint8_t payload[40];
	memset(payload, 0x42, sizeof(payload));
	bool sig;
	enum vmbus_ring_status ws = vmbus_ring_write(&ring, VMBUS_PACKET_DATA_INBAND, 0, 7,
						     payload, in[0] % sizeof(payload), &sig);
	if (ws == VMBUS_RING_OK) {
		/* The packet just written is after whatever the reader left. */
		drain(&ring);
		check(ring.ctl->read_index == ring.ctl->write_index ||
		      vmbus_ring_peek(&ring, &a, buf, d) != VMBUS_RING_EMPTY);
	}
	free(buf);
	free(win);
	return 0;
}
