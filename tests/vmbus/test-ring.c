/* test-ring.c — tests for vmbus/'s ring buffer: round trips at every
 * payload alignment, wrap-around, full/empty boundaries, the signalling
 * rules, and hostile control pages and descriptors. Host test program
 * (GLib test framework).
 *
 * Every window sits in an mmap'd region between two PROT_NONE pages, flush
 * against one of them, with guard bytes filling the rest of the readable
 * span: a read or write past the window faults, a write beside it changes
 * a guard byte. Each test checks the guards when it tears down. */
#include <glib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmbus-ring.h"

#define PAGE 4096u
#define GUARD_BYTE 0xA5u
#define CTL_SIZE sizeof(struct vmbus_ring_control)

typedef enum { FLUSH_TAIL, FLUSH_HEAD } Flush;

typedef struct {
	uint8_t *region;     /* PROT_NONE | rw span | PROT_NONE */
	size_t region_size;
	uint8_t *rw;
	size_t rw_size;
	uint8_t *win;
	size_t win_size;
	struct vmbus_ring ring;
} Win;

static void win_open(Win *w, uint32_t data_size, Flush flush)
{
	w->win_size = CTL_SIZE + data_size;
	/* Leave room for guard bytes on the side that does not touch a
	 * PROT_NONE page. */
	w->rw_size = (w->win_size + 64 + PAGE - 1) / PAGE * PAGE;
	w->region_size = w->rw_size + 2 * PAGE;
	w->region = mmap(NULL, w->region_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	g_assert_true(w->region != MAP_FAILED);
	w->rw = w->region + PAGE;
	g_assert_cmpint(mprotect(w->rw, w->rw_size, PROT_READ | PROT_WRITE), ==, 0);
	memset(w->rw, GUARD_BYTE, w->rw_size);
	w->win = flush == FLUSH_TAIL ? w->rw + w->rw_size - w->win_size : w->rw;
	g_assert_cmpint(vmbus_ring_init(&w->ring, w->win, w->win_size), ==, VMBUS_RING_OK);
}

static void win_check_guards(const Win *w)
{
	for (uint8_t *p = w->rw; p < w->win; p++)
		g_assert_cmphex(*p, ==, GUARD_BYTE);
	for (uint8_t *p = w->win + w->win_size; p < w->rw + w->rw_size; p++)
		g_assert_cmphex(*p, ==, GUARD_BYTE);
}

static void win_close(Win *w)
{
	win_check_guards(w);
	g_assert_cmpint(munmap(w->region, w->region_size), ==, 0);
}

static struct vmbus_ring_control *ctl(Win *w)
{
	return w->ring.ctl;
}

static uint32_t footprint(uint32_t payload)
{
	return (16u + payload + 7u) / 8u * 8u + 8u;
}

static void fill_pattern(uint8_t *p, uint32_t n, uint32_t seed)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 31u + i * 7u + 1u);
}

/* Write an in-band packet of n pattern bytes; return the status. */
static enum vmbus_ring_status put(Win *w, uint32_t n, uint32_t seed, bool *signal)
{
	uint8_t buf[4096];
	g_assert_cmpuint(n, <=, sizeof(buf));
	fill_pattern(buf, n, seed);
	return vmbus_ring_write(&w->ring, VMBUS_PACKET_DATA_INBAND,
				VMBUS_PACKET_FLAG_COMPLETION_REQUESTED, 0x1000u + seed,
				buf, n, signal);
}

/* Read one packet and check it is the one put(n, seed) wrote. */
static void get_expect(Win *w, uint32_t n, uint32_t seed, bool *signal)
{
	uint8_t buf[4096 + 64];
	uint8_t want[4096];
	struct vmbus_packet_info info;
	uint32_t start = ctl(w)->read_index;
	g_assert_cmpint(vmbus_ring_read(&w->ring, &info, buf, sizeof(buf), signal), ==,
			VMBUS_RING_OK);
	fill_pattern(want, n, seed);
	g_assert_cmpuint(info.type, ==, VMBUS_PACKET_DATA_INBAND);
	g_assert_cmpuint(info.flags, ==, VMBUS_PACKET_FLAG_COMPLETION_REQUESTED);
	g_assert_cmpuint(info.trans_id, ==, 0x1000u + seed);
	g_assert_cmpuint(info.start, ==, start);
	g_assert_cmpuint(info.data_offset, ==, 16);
	g_assert_cmpuint(info.packet_len, ==, footprint(n) - 8);
	g_assert_cmpuint(info.data_len, ==, info.packet_len - 16);
	g_assert_cmphex(info.trailer, ==, (uint64_t)start << 32);
	g_assert_cmpmem(buf + 16, n, want, n);
	for (uint32_t i = 16 + n; i < info.packet_len; i++)
		g_assert_cmphex(buf[i], ==, 0);       /* padding is zero */
	g_assert_cmpuint(ctl(w)->read_index, ==, (start + footprint(n)) % w->ring.data_size);
}

/* ==== geometry ============================================================ */

static void test_attach(void)
{
	static uint64_t mem[(PAGE + 256) / 8];
	struct vmbus_ring r;
	g_assert_cmpint(vmbus_ring_attach(NULL, mem, sizeof(mem)), ==, VMBUS_RING_ERR_ARGUMENT);
	g_assert_cmpint(vmbus_ring_attach(&r, NULL, sizeof(mem)), ==, VMBUS_RING_ERR_ARGUMENT);
	g_assert_cmpint(vmbus_ring_attach(&r, mem, PAGE), ==, VMBUS_RING_ERR_WINDOW);
	g_assert_cmpint(vmbus_ring_attach(&r, mem, PAGE + 24), ==, VMBUS_RING_ERR_WINDOW);
	g_assert_cmpint(vmbus_ring_attach(&r, mem, PAGE + 36), ==, VMBUS_RING_ERR_WINDOW);
	g_assert_cmpint(vmbus_ring_attach(&r, (uint8_t *)mem + 4, PAGE + 32), ==,
			VMBUS_RING_ERR_WINDOW);
	g_assert_cmpint(vmbus_ring_attach(&r, mem, (size_t)PAGE + (2u << 30)), ==,
			VMBUS_RING_ERR_WINDOW);
	g_assert_cmpint(vmbus_ring_attach(&r, mem, PAGE + 32), ==, VMBUS_RING_OK);
	g_assert_cmpuint(r.data_size, ==, 32);
	g_assert_cmpint(vmbus_ring_attach(&r, mem, sizeof(mem)), ==, VMBUS_RING_OK);
	g_assert_cmpuint(r.data_size, ==, 256);
	g_assert_true((void *)r.ctl == (void *)mem);
	g_assert_true(r.data == (uint8_t *)mem + PAGE);
}

static void test_init(void)
{
	Win w;
	win_open(&w, 256, FLUSH_TAIL);
	memset(w.win, 0xEE, 128);
	g_assert_cmpint(vmbus_ring_init(&w.ring, w.win, w.win_size), ==, VMBUS_RING_OK);
	g_assert_cmpuint(ctl(&w)->write_index, ==, 0);
	g_assert_cmpuint(ctl(&w)->read_index, ==, 0);
	g_assert_cmpuint(ctl(&w)->interrupt_mask, ==, 0);
	g_assert_cmpuint(ctl(&w)->pending_send_sz, ==, 0);
	g_assert_cmpuint(ctl(&w)->reserved[11], ==, 0);
	g_assert_cmpuint(ctl(&w)->feature_bits, ==, VMBUS_RING_FEATURE_PENDING_SEND_SZ);
	win_close(&w);
}

static void test_arith(void)
{
	/* §6.4, typed in: (d, write, read) -> free, avail */
	static const struct { uint32_t d, w, r, free, avail; } t[] = {
		{ 256, 0, 0, 256, 0 },
		{ 256, 64, 0, 192, 64 },
		{ 256, 0, 64, 64, 192 },
		{ 256, 248, 8, 16, 240 },
		{ 256, 8, 248, 240, 16 },
		{ 4096, 4088, 4088, 4096, 0 },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		g_assert_cmpuint(vmbus_ring_free_bytes(t[i].d, t[i].w, t[i].r), ==, t[i].free);
		g_assert_cmpuint(vmbus_ring_avail_bytes(t[i].d, t[i].w, t[i].r), ==, t[i].avail);
	}
	g_assert_cmpuint(vmbus_ring_packet_footprint(0), ==, 24);
	g_assert_cmpuint(vmbus_ring_packet_footprint(1), ==, 32);
	g_assert_cmpuint(vmbus_ring_packet_footprint(8), ==, 32);
	g_assert_cmpuint(vmbus_ring_packet_footprint(9), ==, 40);
}

static void test_status_names(void)
{
	for (int s = 0; s < VMBUS_RING_STATUS_COUNT; s++) {
		const char *n = vmbus_ring_status_name((enum vmbus_ring_status)s);
		g_assert_nonnull(n);
		g_assert_cmpstr(n, !=, "unknown ring status");
	}
	g_assert_cmpstr(vmbus_ring_status_name(VMBUS_RING_STATUS_COUNT), ==, "unknown ring status");
}

/* ==== round trips ========================================================= */

static void test_empty(void)
{
	Win w;
	uint8_t buf[64];
	struct vmbus_packet_info info;
	bool sig = true;
	win_open(&w, 256, FLUSH_TAIL);
	g_assert_cmpint(vmbus_ring_read(&w.ring, &info, buf, sizeof(buf), &sig), ==,
			VMBUS_RING_EMPTY);
	g_assert_false(sig);
	g_assert_cmpint(vmbus_ring_peek(&w.ring, &info, buf, sizeof(buf)), ==, VMBUS_RING_EMPTY);
	g_assert_true(put(&w, 5, 1, NULL) == VMBUS_RING_OK);
	get_expect(&w, 5, 1, NULL);
	g_assert_cmpint(vmbus_ring_read(&w.ring, &info, buf, sizeof(buf), NULL), ==,
			VMBUS_RING_EMPTY);
	win_close(&w);
}

static void test_alignment(void)
{
	/* Payloads of every length mod 8 (and zero), each on a fresh ring
	 * and then all back to back on one ring. */
	Win w;
	win_open(&w, 4096, FLUSH_TAIL);
	for (uint32_t n = 0; n <= 40; n++) {
		g_assert_cmpint(vmbus_ring_init(&w.ring, w.win, w.win_size), ==, VMBUS_RING_OK);
		memset(w.ring.data, 0xCC, w.ring.data_size);  /* padding must be written */
		g_assert_cmpint(put(&w, n, n, NULL), ==, VMBUS_RING_OK);
		g_assert_cmpuint(ctl(&w)->write_index, ==, footprint(n));
		/* The descriptor on the wire, byte by byte. */
		uint8_t *p = w.ring.data;
		g_assert_cmpuint(p[0] | p[1] << 8, ==, VMBUS_PACKET_DATA_INBAND);
		g_assert_cmpuint(p[2] | p[3] << 8, ==, 2);
		g_assert_cmpuint(p[4] | p[5] << 8, ==, (footprint(n) - 8) / 8);
		g_assert_cmpuint(p[6] | p[7] << 8, ==, 1);
		/* Trailer: low u32 0, high u32 = start (0). */
		uint64_t tr;
		memcpy(&tr, p + footprint(n) - 8, 8);
		g_assert_cmphex(tr, ==, 0);
		get_expect(&w, n, n, NULL);
	}
	g_assert_cmpint(vmbus_ring_init(&w.ring, w.win, w.win_size), ==, VMBUS_RING_OK);
	for (uint32_t n = 0; n <= 40; n++)
		g_assert_cmpint(put(&w, n, n, NULL), ==, VMBUS_RING_OK);
	for (uint32_t n = 0; n <= 40; n++)
		get_expect(&w, n, n, NULL);   /* checks trailer == start << 32 for each */
	win_close(&w);
}

static void test_wrap(void)
{
	/* A 256-byte ring and packets of sizes that do not divide it: over
	 * 200 packets the descriptor, payload and trailer each land split
	 * across the end. */
	Win w;
	win_open(&w, 256, FLUSH_HEAD);
	unsigned wraps = 0, desc_split = 0;
	for (uint32_t i = 0; i < 200; i++) {
		uint32_t n = (i * 13u) % 90u;
		uint32_t start = ctl(&w)->write_index;
		if (start + footprint(n) > 256)
			wraps++;
		if (start + 16 > 256)
			desc_split++;
		g_assert_cmpint(put(&w, n, i, NULL), ==, VMBUS_RING_OK);
		if (i % 2 == 1) {  /* keep up to two packets in flight */
			for (uint32_t j = i - 1; j <= i; j++)
				get_expect(&w, (j * 13u) % 90u, j, NULL);
		}
	}
	g_assert_cmpuint(wraps, >, 10);
	g_assert_cmpuint(desc_split, >, 0);
	win_close(&w);
}

static void test_full(void)
{
	/* D = 128. Empty: free 128. */
	Win w;
	bool sig;
	win_open(&w, 128, FLUSH_TAIL);
	/* A packet that would fill an empty ring exactly can never fit. */
	g_assert_cmpint(put(&w, 128 - 24, 0, NULL), ==, VMBUS_RING_ERR_TOO_BIG);
	/* The biggest one: footprint 120 = D - 8. */
	g_assert_cmpint(put(&w, 96, 1, &sig), ==, VMBUS_RING_OK);
	g_assert_true(sig);
	g_assert_cmpint(put(&w, 0, 2, NULL), ==, VMBUS_RING_FULL);  /* free 8 <= 24 */
	get_expect(&w, 96, 1, NULL);

	/* A (footprint 32) leaves free 96. */
	g_assert_cmpint(put(&w, 8, 3, NULL), ==, VMBUS_RING_OK);
	uint32_t wi = ctl(&w)->write_index, ri = ctl(&w)->read_index;
	g_assert_cmpuint(vmbus_ring_free_bytes(128, wi, ri), ==, 96);
	/* Exactly full: footprint 96 == free -> refused, ring unchanged. */
	g_assert_cmpint(put(&w, 72, 4, NULL), ==, VMBUS_RING_FULL);
	g_assert_cmpuint(ctl(&w)->write_index, ==, wi);
	/* One step short of full: footprint 88 < 96 fits, 8 bytes stay free. */
	g_assert_cmpint(put(&w, 64, 5, &sig), ==, VMBUS_RING_OK);
	g_assert_false(sig);
	g_assert_cmpuint(vmbus_ring_free_bytes(128, ctl(&w)->write_index, ctl(&w)->read_index),
			 ==, 8);
	g_assert_cmpuint(ctl(&w)->write_index, !=, ctl(&w)->read_index); /* full != empty */
	g_assert_cmpint(put(&w, 0, 6, NULL), ==, VMBUS_RING_FULL);
	get_expect(&w, 8, 3, NULL);
	get_expect(&w, 64, 5, NULL);
	g_assert_cmpuint(ctl(&w)->write_index, ==, ctl(&w)->read_index);
	win_close(&w);
}

static void test_too_big(void)
{
	/* len8 is u16: 0xFFFF * 8 bytes at most, whatever the ring size. */
	Win w;
	win_open(&w, 1u << 20, FLUSH_TAIL);
	uint8_t *big = g_malloc0(0x80000);
	bool sig = true;
	g_assert_cmpint(vmbus_ring_write(&w.ring, VMBUS_PACKET_DATA_INBAND, 0, 1, big,
					 0xFFFFu * 8u - 16u, &sig), ==, VMBUS_RING_OK);
	g_assert_cmpuint(ctl(&w)->write_index, ==, 0xFFFFu * 8u + 8u);
	g_assert_cmpint(vmbus_ring_write(&w.ring, VMBUS_PACKET_DATA_INBAND, 0, 1, big,
					 0xFFFFu * 8u - 15u, &sig), ==, VMBUS_RING_ERR_TOO_BIG);
	g_assert_false(sig);
	g_free(big);
	win_close(&w);
}

static void test_writev(void)
{
	/* A GPA-direct style packet: 24 bytes of extra header, then payload. */
	Win w;
	win_open(&w, 512, FLUSH_TAIL);
	uint8_t hdr[24], pay[13], buf[128];
	fill_pattern(hdr, sizeof(hdr), 7);
	fill_pattern(pay, sizeof(pay), 8);
	struct vmbus_ring_iovec iov[] = { { hdr, sizeof(hdr) }, { pay, sizeof(pay) },
					  { NULL, 0 } };
	g_assert_cmpint(vmbus_ring_writev(&w.ring, VMBUS_PACKET_DATA_USING_GPA_DIRECT, 0,
					  (16 + 24) / 8, 42, iov, 3, NULL), ==, VMBUS_RING_OK);
	struct vmbus_packet_info info;
	g_assert_cmpint(vmbus_ring_read(&w.ring, &info, buf, sizeof(buf), NULL), ==,
			VMBUS_RING_OK);
	g_assert_cmpuint(info.type, ==, VMBUS_PACKET_DATA_USING_GPA_DIRECT);
	g_assert_cmpuint(info.data_offset, ==, 40);
	g_assert_cmpuint(info.packet_len, ==, 56);
	g_assert_cmpuint(info.data_len, ==, 16);
	g_assert_cmpmem(buf + 16, 24, hdr, 24);
	g_assert_cmpmem(buf + 40, 13, pay, 13);
	/* offset8 inside the descriptor or beyond the data: refused. */
	g_assert_cmpint(vmbus_ring_writev(&w.ring, 6, 0, 1, 0, iov, 2, NULL), ==,
			VMBUS_RING_ERR_ARGUMENT);
	g_assert_cmpint(vmbus_ring_writev(&w.ring, 6, 0, 8, 0, iov, 2, NULL), ==,
			VMBUS_RING_ERR_ARGUMENT);
	/* offset8 at the very end of the data (no payload) is fine; one
	 * more is not. */
	g_assert_cmpint(vmbus_ring_writev(&w.ring, 6, 0, 5, 0, iov, 1, NULL), ==, VMBUS_RING_OK);
	g_assert_cmpint(vmbus_ring_writev(&w.ring, 6, 0, 6, 0, iov, 1, NULL), ==,
			VMBUS_RING_ERR_ARGUMENT);
	struct vmbus_ring_iovec bad = { NULL, 4 };
	g_assert_cmpint(vmbus_ring_writev(&w.ring, 6, 0, 2, 0, &bad, 1, NULL), ==,
			VMBUS_RING_ERR_ARGUMENT);
	g_assert_cmpint(vmbus_ring_writev(&w.ring, 6, 0, 2, 0, NULL, 1, NULL), ==,
			VMBUS_RING_ERR_ARGUMENT);
	win_close(&w);
}

static void test_iter(void)
{
	/* begin/next/end: nothing is consumed before end; peek never consumes. */
	Win w;
	win_open(&w, 1024, FLUSH_TAIL);
	for (uint32_t i = 0; i < 4; i++)
		g_assert_cmpint(put(&w, 10 + i, i, NULL), ==, VMBUS_RING_OK);
	struct vmbus_packet_info info;
	uint8_t buf[256];
	g_assert_cmpint(vmbus_ring_peek(&w.ring, &info, buf, sizeof(buf)), ==, VMBUS_RING_OK);
	g_assert_cmpuint(info.trans_id, ==, 0x1000);
	g_assert_cmpint(vmbus_ring_peek(&w.ring, &info, buf, sizeof(buf)), ==, VMBUS_RING_OK);
	g_assert_cmpuint(info.trans_id, ==, 0x1000);

	struct vmbus_ring_iter it;
	g_assert_cmpint(vmbus_ring_read_begin(&w.ring, &it), ==, VMBUS_RING_OK);
	for (uint32_t i = 0; i < 4; i++) {
		g_assert_cmpint(vmbus_ring_read_next(&w.ring, &it, &info, buf, sizeof(buf)), ==,
				VMBUS_RING_OK);
		g_assert_cmpuint(info.trans_id, ==, 0x1000 + i);
		g_assert_cmpuint(ctl(&w)->read_index, ==, 0);
	}
	g_assert_cmpint(vmbus_ring_read_next(&w.ring, &it, &info, buf, sizeof(buf)), ==,
			VMBUS_RING_EMPTY);
	bool sig = true;
	g_assert_cmpint(vmbus_ring_read_end(&w.ring, &it, &sig), ==, VMBUS_RING_OK);
	g_assert_false(sig);
	g_assert_cmpuint(ctl(&w)->read_index, ==, ctl(&w)->write_index);
	win_close(&w);
}

static void test_buffer_small(void)
{
	Win w;
	win_open(&w, 256, FLUSH_TAIL);
	g_assert_cmpint(put(&w, 20, 9, NULL), ==, VMBUS_RING_OK);
	struct vmbus_packet_info info;
	uint8_t buf[64];
	memset(buf, 0x5A, sizeof(buf));
	g_assert_cmpint(vmbus_ring_read(&w.ring, &info, buf, 39, NULL), ==,
			VMBUS_RING_ERR_BUFFER_SMALL);
	g_assert_cmpuint(info.packet_len, ==, 40);      /* says what it needs */
	g_assert_cmphex(buf[0], ==, 0x5A);             /* and wrote nothing */
	g_assert_cmpuint(ctl(&w)->read_index, ==, 0);
	g_assert_cmpint(vmbus_ring_read(&w.ring, &info, NULL, 0, NULL), ==,
			VMBUS_RING_ERR_BUFFER_SMALL);
	get_expect(&w, 20, 9, NULL);
	win_close(&w);
}

/* ==== signalling ========================================================== */

static void test_signal_rules(void)
{
	/* Pure rules, typed in from §6.5 and Linux hv_pkt_iter_close(). */
	g_assert_true(vmbus_ring_writer_should_signal(64, 64, 0));
	g_assert_false(vmbus_ring_writer_should_signal(64, 64, 1));
	g_assert_false(vmbus_ring_writer_should_signal(64, 32, 0));
	g_assert_false(vmbus_ring_writer_should_signal(64, 32, 0xFFFFFFFFu));
	static const struct { uint32_t pending, before, after; bool sig; } t[] = {
		{ 0, 0, 4096, false },     /* nobody waits */
		{ 64, 32, 96, true },      /* blocked -> can write */
		{ 64, 64, 72, true },      /* before == pending: it could not write (needs >) */
		{ 64, 64, 64, false },     /* after == pending: still cannot */
		{ 64, 72, 200, false },    /* had room already */
		{ 64, 8, 40, false },      /* still blocked */
		{ 64, 8, 65, true },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
		g_assert_true(vmbus_ring_reader_should_signal(t[i].pending, t[i].before,
							      t[i].after) == t[i].sig);
}

static void test_signal_writer(void)
{
	Win w;
	bool sig;
	win_open(&w, 1024, FLUSH_TAIL);
	g_assert_cmpint(put(&w, 8, 0, &sig), ==, VMBUS_RING_OK);
	g_assert_true(sig);                           /* empty -> non-empty */
	g_assert_cmpint(put(&w, 8, 1, &sig), ==, VMBUS_RING_OK);
	g_assert_false(sig);                          /* already non-empty */
	get_expect(&w, 8, 0, NULL);
	g_assert_cmpint(put(&w, 8, 2, &sig), ==, VMBUS_RING_OK);
	g_assert_false(sig);                          /* reader not caught up */
	get_expect(&w, 8, 1, NULL);
	get_expect(&w, 8, 2, NULL);
	g_assert_cmpint(put(&w, 8, 3, &sig), ==, VMBUS_RING_OK);
	g_assert_true(sig);                           /* caught up: empty again */
	get_expect(&w, 8, 3, NULL);
	vmbus_ring_mask_interrupts(&w.ring);
	g_assert_cmpuint(ctl(&w)->interrupt_mask, ==, 1);
	g_assert_cmpint(put(&w, 8, 4, &sig), ==, VMBUS_RING_OK);
	g_assert_false(sig);                          /* masked */
	g_assert_true(vmbus_ring_unmask_interrupts(&w.ring)); /* data arrived: drain */
	g_assert_cmpuint(ctl(&w)->interrupt_mask, ==, 0);
	get_expect(&w, 8, 4, NULL);
	g_assert_false(vmbus_ring_unmask_interrupts(&w.ring));
	/* FULL never signals. */
	g_assert_cmpint(put(&w, 2000, 5, &sig), ==, VMBUS_RING_ERR_TOO_BIG);
	g_assert_false(sig);
	win_close(&w);
}

static void test_signal_reader(void)
{
	/* D = 256 and packets of 40 bytes (footprint 64): three of them
	 * leave free = 64. */
	Win w;
	bool sig;
	win_open(&w, 256, FLUSH_TAIL);
	for (uint32_t i = 0; i < 3; i++)
		g_assert_cmpint(put(&w, 40, i, NULL), ==, VMBUS_RING_OK);
	/* free = 64; a 100-byte packet needs footprint 120 -> blocked. */
	g_assert_cmpint(put(&w, 100, 9, NULL), ==, VMBUS_RING_FULL);
	/* Reading with nobody blocked: no signal. */
	get_expect(&w, 40, 0, &sig);
	g_assert_false(sig);
	/* free = 128 now: the 120 fits, so announce a bigger one. */
	g_assert_cmpint(put(&w, 40, 3, NULL), ==, VMBUS_RING_OK);        /* free 64 */
	g_assert_false(vmbus_ring_set_pending_send(&w.ring, footprint(100)));
	g_assert_cmpuint(ctl(&w)->pending_send_sz, ==, 128);
	get_expect(&w, 40, 1, &sig);   /* free 64 -> 128: 128 > 128 is false */
	g_assert_false(sig);
	get_expect(&w, 40, 2, &sig);   /* free 128 -> 192: crossed */
	g_assert_true(sig);
	get_expect(&w, 40, 3, &sig);   /* already above before this read */
	g_assert_false(sig);
	vmbus_ring_clear_pending_send(&w.ring);
	g_assert_cmpuint(ctl(&w)->pending_send_sz, ==, 0);
	/* set_pending_send rounds up to 8 and reports space already there. */
	g_assert_true(vmbus_ring_set_pending_send(&w.ring, 131));
	g_assert_cmpuint(ctl(&w)->pending_send_sz, ==, 136);
	vmbus_ring_clear_pending_send(&w.ring);
	win_close(&w);
}

/* ==== hostile control pages and descriptors =============================== */

typedef struct {
	const char *name;
	uint32_t write_index, read_index;
	bool desc;                 /* place a descriptor at read_index */
	uint16_t offset8, len8;
	enum vmbus_ring_status want;
} Hostile;

#define D 512u
static const Hostile hostile[] = {
	{ "read index = D", 64, D, false, 0, 0, VMBUS_RING_ERR_READ_INDEX_RANGE },
	{ "read index huge", 64, 0xFFFFFFF8u, false, 0, 0, VMBUS_RING_ERR_READ_INDEX_RANGE },
	{ "read index unaligned", 64, 4, false, 0, 0, VMBUS_RING_ERR_READ_INDEX_ALIGN },
	{ "write index = D + 8", D + 8, 0, false, 0, 0, VMBUS_RING_ERR_WRITE_INDEX_RANGE },
	{ "write index max", 0xFFFFFFFFu, 0, false, 0, 0, VMBUS_RING_ERR_WRITE_INDEX_RANGE },
	{ "write index unaligned", 12, 0, false, 0, 0, VMBUS_RING_ERR_WRITE_INDEX_ALIGN },
	{ "16 bytes: no room for a trailer", 16, 0, true, 2, 2, VMBUS_RING_ERR_TRUNCATED },
	{ "len8 zero", 64, 0, true, 2, 0, VMBUS_RING_ERR_LEN8_SMALL },
	{ "len8 one", 64, 0, true, 2, 1, VMBUS_RING_ERR_LEN8_SMALL },
	{ "len8 beyond data", 64, 0, true, 2, 8, VMBUS_RING_ERR_LEN8_BEYOND_DATA },
	{ "len8 max", 64, 0, true, 2, 0xFFFF, VMBUS_RING_ERR_LEN8_BEYOND_DATA },
	{ "len8 exactly fills avail", 64, 0, true, 2, 7, VMBUS_RING_OK },
	{ "len8 wraps past end", 24, D - 40, true, 2, 7, VMBUS_RING_OK },
	{ "len8 wrap overreach", 24, D - 40, true, 2, 8, VMBUS_RING_ERR_LEN8_BEYOND_DATA },
	{ "len8 whole ring", D - 8, 0, true, 2, (D - 16) / 8, VMBUS_RING_OK },
	{ "offset8 zero", 64, 0, true, 0, 4, VMBUS_RING_ERR_OFFSET8_SMALL },
	{ "offset8 inside descriptor", 64, 0, true, 1, 4, VMBUS_RING_ERR_OFFSET8_SMALL },
	{ "offset8 = len8 (no payload)", 64, 0, true, 4, 4, VMBUS_RING_OK },
	{ "offset8 beyond packet", 64, 0, true, 5, 4, VMBUS_RING_ERR_OFFSET8_BEYOND },
	{ "offset8 max", 64, 0, true, 0xFFFF, 4, VMBUS_RING_ERR_OFFSET8_BEYOND },
	{ "descriptor split at the end", 64, D - 8, true, 2, 4, VMBUS_RING_OK },
};

static void place_desc(Win *w, uint32_t at, uint16_t offset8, uint16_t len8)
{
	struct vmbus_packet_desc d = { .type = VMBUS_PACKET_DATA_INBAND, .offset8 = offset8,
				       .len8 = len8, .trans_id = 77 };
	const uint8_t *s = (const uint8_t *)&d;
	for (uint32_t i = 0; i < sizeof(d); i++)
		w->ring.data[(at + i) % w->ring.data_size] = s[i];
}

static void run_hostile(const Hostile *h, Flush flush)
{
	Win w;
	win_open(&w, D, flush);
	memset(w.ring.data, 0x3C, D);
	if (h->desc)
		place_desc(&w, h->read_index, h->offset8, h->len8);
	ctl(&w)->write_index = h->write_index;
	ctl(&w)->read_index = h->read_index;
	ctl(&w)->pending_send_sz = 0xFFFFFFFFu;
	uint8_t *before = g_memdup2(w.win, w.win_size);

	/* The output buffer is exactly as big as the ring: a reader that
	 * believed a hostile len8 would overrun it (and hit ASan/guards). */
	uint8_t *buf = g_malloc(D);
	struct vmbus_packet_info info;
	enum vmbus_ring_status st = vmbus_ring_peek(&w.ring, &info, buf, D);
	if (st != h->want)
		g_error("%s: peek returned '%s', want '%s'", h->name,
			vmbus_ring_status_name(st), vmbus_ring_status_name(h->want));
	g_assert_cmpmem(w.win, w.win_size, before, w.win_size);  /* peek writes nothing */

	bool sig = false;
	st = vmbus_ring_read(&w.ring, &info, buf, D, &sig);
	g_assert_cmpint(st, ==, h->want);
	if (st == VMBUS_RING_OK) {
		g_assert_cmpuint(info.packet_len, ==, h->len8 * 8u);
		g_assert_cmpuint(info.data_offset, ==, h->offset8 * 8u);
		g_assert_cmpuint(ctl(&w)->read_index, ==,
				 (h->read_index + h->len8 * 8u + 8u) % D);
	} else {
		g_assert_false(sig);
		/* Nothing published: the window is as it was. */
		g_assert_cmpmem(w.win, w.win_size, before, w.win_size);
	}
	/* A writer on the same hostile page: refuses bad indices and writes
	 * nothing; on sane indices it stays inside the window. */
	memcpy(w.win, before, w.win_size);
	st = put(&w, 8, 1, &sig);
	if (h->want >= VMBUS_RING_ERR_READ_INDEX_RANGE && h->want <= VMBUS_RING_ERR_WRITE_INDEX_ALIGN) {
		g_assert_cmpint(st, ==, h->want);
		g_assert_cmpmem(w.win, w.win_size, before, w.win_size);
	}
	g_free(buf);
	g_free(before);
	win_close(&w);
}

static void test_hostile(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(hostile); i++) {
		g_test_message("hostile: %s", hostile[i].name);
		run_hostile(&hostile[i], FLUSH_TAIL);
		run_hostile(&hostile[i], FLUSH_HEAD);
	}
}

static void test_hostile_iter(void)
{
	/* A corrupted iterator (the caller's memory) cannot escape either. */
	Win w;
	win_open(&w, 256, FLUSH_TAIL);
	g_assert_cmpint(put(&w, 8, 0, NULL), ==, VMBUS_RING_OK);
	struct vmbus_ring_iter it;
	struct vmbus_packet_info info;
	uint8_t buf[256];
	g_assert_cmpint(vmbus_ring_read_begin(&w.ring, &it), ==, VMBUS_RING_OK);
	it.cursor = 0x7FFFFFF8u;
	g_assert_cmpint(vmbus_ring_read_next(&w.ring, &it, &info, buf, sizeof(buf)), ==,
			VMBUS_RING_ERR_READ_INDEX_RANGE);
	g_assert_cmpint(vmbus_ring_read_end(&w.ring, &it, NULL), ==,
			VMBUS_RING_ERR_READ_INDEX_RANGE);
	g_assert_cmpuint(ctl(&w)->read_index, ==, 0);
	/* A descriptor changed after the first fetch does not reach the
	 * caller: the copy-out carries the checked descriptor. */
	g_assert_cmpint(vmbus_ring_read_begin(&w.ring, &it), ==, VMBUS_RING_OK);
	g_assert_cmpint(vmbus_ring_read_next(&w.ring, &it, &info, buf, sizeof(buf)), ==,
			VMBUS_RING_OK);
	struct vmbus_packet_desc d;
	memcpy(&d, buf, sizeof(d));
	g_assert_cmpuint(d.len8, ==, info.packet_len / 8);
	win_close(&w);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/vmbus/ring/attach", test_attach);
	g_test_add_func("/vmbus/ring/init", test_init);
	g_test_add_func("/vmbus/ring/arith", test_arith);
	g_test_add_func("/vmbus/ring/status-names", test_status_names);
	g_test_add_func("/vmbus/ring/empty", test_empty);
	g_test_add_func("/vmbus/ring/alignment", test_alignment);
	g_test_add_func("/vmbus/ring/wrap", test_wrap);
	g_test_add_func("/vmbus/ring/full", test_full);
	g_test_add_func("/vmbus/ring/too-big", test_too_big);
	g_test_add_func("/vmbus/ring/writev", test_writev);
	g_test_add_func("/vmbus/ring/iter", test_iter);
	g_test_add_func("/vmbus/ring/buffer-small", test_buffer_small);
	g_test_add_func("/vmbus/ring/signal/rules", test_signal_rules);
	g_test_add_func("/vmbus/ring/signal/writer", test_signal_writer);
	g_test_add_func("/vmbus/ring/signal/reader", test_signal_reader);
	g_test_add_func("/vmbus/ring/hostile/control-and-descriptor", test_hostile);
	g_test_add_func("/vmbus/ring/hostile/iterator", test_hostile_iter);
	return g_test_run();
}
