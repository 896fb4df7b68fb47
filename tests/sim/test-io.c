/* test-io.c — the two storage paths. The emulated one (scenario
 * io-emulated): a child
 * kernel's ATA driver writes, reads back and verifies a pattern through a
 * disk that the parent's worker process (vmwp) emulates one port access at
 * a time, backed by a region of the parent's own platform disk. Checks the
 * verified line, the bytes on the parent's disk, the cost in intercepts per
 * KiB (512 data-port round trips plus command overhead), a clean end; a
 * hostile child's register values refused as the platform disk would
 * (IDNF, ABRT); that the boot scenario's child has no disk; and the CLI.
 * The synthetic one (scenario io-synthetic): the same iotest through the
 * child's storvsc and the parent's storvsp over a VMBus storage channel:
 * the verified line, the bytes at the synthetic region, the order of
 * signals and work per request, VM exits per KiB against the emulated
 * path (at least 10x fewer), and hostile requests refused. The channel's
 * life cycle: the storage ring GPADL is too big for one GPADL_HEADER and
 * goes out with a GPADL_BODY; before power-off the child closes both
 * channels, tears their GPADLs down and unloads. A hostile child corrupts
 * its ring and the control protocol in eight ways: each is refused, and
 * the parent keeps serving.
 * Host test program (GLib test framework). */
#include <glib.h>
#include <string.h>

#include "cli-harness.h"
#include "elf-builder.h"
#include "hv-tlfs.h"
#include "hvsim-platform.h"
#include "sim-harness.h"
#include "vmbus-proto.h"

/* What the worker gives its child (guest/user/vmwp.c VMWP_CHILD_IO_KIB)
 * and what iotest then moves: N KiB written and N KiB read back. */
#define IO_KIB 4u
#define IO_LINE "iotest: wrote 4 KiB, read back 4 KiB, verified OK"
/* 16-bit data-port accesses per KiB moved. */
#define IO_WORDS_PER_KIB (1024u / 2u)
/* IDENTIFY DEVICE: one sector of words, read once by the child's driver. */
#define IO_IDENTIFY_WORDS (ATA_SECTOR_SIZE / 2u)

/* iotest's pattern (guest/user/iotest.c): the byte at offset i of the
 * child's disk is (i * 7 + i / 512 + 0x5A) mod 256. */
static guint8 io_pattern(uint64_t i)
{
	return (guint8)(i * 7u + i / ATA_SECTOR_SIZE + 0x5Au);
}

/* Loads a built-in scenario (it switches late launch on and supplies the
 * child image), adds `child_flags` to what the worker passes its child,
 * and runs it to the end, recording every event. */
static SimOutcome run_config_flags(Harness *h, const SimConfig *cfg, const char *scenario, uint32_t child_flags)
{
	harness_init_scenario(h, cfg, scenario);
	if (child_flags) {
		struct hvsim_boot_info bi;
		g_assert_true(sim_memory_read(&h->p->mem, HVSIM_BOOT_INFO_GPA, &bi, sizeof bi));
		bi.child_flags |= child_flags;
		g_assert_true(sim_memory_write(&h->p->mem, HVSIM_BOOT_INFO_GPA, &bi, sizeof bi));
	}
	gint64 t0 = g_get_monotonic_time();
	SimOutcome o = harness_run(h);
	g_test_message("%s: outcome %d in %.2f s: %s", scenario, o, (g_get_monotonic_time() - t0) / 1e6,
	               sim_machine_outcome_message(h->m));
	return o;
}

static SimOutcome run_config(Harness *h, const SimConfig *cfg, const char *scenario)
{
	return run_config_flags(h, cfg, scenario, 0);
}

static SimOutcome run_named(Harness *h, SimVendor vendor, const char *scenario)
{
	SimConfig cfg = { .vendor = vendor };
	return run_config(h, &cfg, scenario);
}

static gboolean console_has(Harness *h, const char *text)
{
	for (guint i = 0; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type == SIM_EV_CONSOLE && strstr(e->text, text))
			return TRUE;
	}
	return FALSE;
}

static gboolean is_ata_port(uint16_t port)
{
	return (port >= HVSIM_PORT_ATA && port <= HVSIM_PORT_ATA_LAST) || port == HVSIM_PORT_ATA_CTRL;
}

/* The platform disk of partition p (its ATA command block device). */
static const guint8 *partition_disk(SimPartition *p, uint64_t *bytes)
{
	for (guint i = 0; i < p->devices->len; i++) {
		SimDevice *dev = g_ptr_array_index(p->devices, i);
		if (dev->port_first == HVSIM_PORT_ATA)
			return sim_ata_disk(dev, bytes);
	}
	g_assert_not_reached();
	return NULL;
}

static void test_emulated(gconstpointer data)
{
	Harness h;
	g_assert_cmpint(run_named(&h, (SimVendor)GPOINTER_TO_INT(data), "io-emulated"), ==, SIM_OUTCOME_SHUTDOWN);

	/* The child verified its data, said so through its emulated UART,
	 * and ended cleanly; so did the parent and its worker. */
	SimPartition *child = sim_machine_partition(h.m, 1);
	g_assert_nonnull(child);
	g_assert_cmpuint(sim_partition_id(child), ==, 2);
	g_assert_nonnull(strstr(sim_partition_console(child), IO_LINE "\n"));
	g_assert_null(strstr(sim_partition_console(child), "FAILED"));
	g_assert_true(console_has(&h, "child 2 | " IO_LINE));
	g_assert_true(console_has(&h, "vmwp: child partition 2 booted, ran and powered off"));
	g_assert_true(console_has(&h, "process \"vmwp\" exited with status 0"));
	g_assert_true(sim_partition_stopped_cleanly(child));
	g_assert_true(sim_partition_stopped_cleanly(h.p));

	/* The data is on the parent's disk, at the child's region, and
	 * nothing was written around it. */
	uint64_t bytes = 0;
	const guint8 *disk = partition_disk(h.p, &bytes);
	uint64_t base = (uint64_t)HVSIM_VMWP_DISK_BASE_LBA * ATA_SECTOR_SIZE;
	uint64_t len = (uint64_t)IO_KIB << 10;
	g_assert_cmpuint(bytes, >=, base + (uint64_t)HVSIM_VMWP_DISK_SECTORS * ATA_SECTOR_SIZE);
	for (uint64_t i = 0; i < len; i++) {
		if (disk[base + i] != io_pattern(i))
			g_test_message("parent disk byte %" G_GUINT64_FORMAT " (child offset %" G_GUINT64_FORMAT ")",
			               base + i, i);
		g_assert_cmphex(disk[base + i], ==, io_pattern(i));
	}
	for (uint64_t i = 0; i < bytes; i++)
		if (i < base || i >= base + len)
			g_assert_cmphex(disk[i], ==, 0);

	/* The cost: every intercept went to the parent and was delivered;
	 * the data port saw exactly one 16-bit access per word moved
	 * (written, read back, IDENTIFY), and the other ATA registers only a
	 * few per command. */
	guint64 intercepts = 0, ata = 0, data_port = 0, exits = 0;
	for (guint i = 0; i < h.events->len; i++) {
		const SimEvent *e = harness_event(&h, i);
		if (e->type == SIM_EV_VM_EXIT)
			exits++;
		if (e->type != SIM_EV_INTERCEPT)
			continue;
		g_assert_cmpuint(e->partition, ==, 2);
		g_assert_true(e->u.intercept.delivered);
		intercepts++;
		if (e->u.intercept.message_type != HVMSG_X64_IO_PORT_INTERCEPT || !is_ata_port(e->u.intercept.port))
			continue;
		ata++;
		if (e->u.intercept.port == HVSIM_PORT_ATA + ATA_REG_DATA) {
			g_assert_cmpuint(e->u.intercept.size, ==, 2);
			data_port++;
		}
	}
	guint64 kib_moved = 2 * IO_KIB; /* written + read back */
	g_test_message("%u KiB written and read back: %" G_GUINT64_FORMAT " intercepts (%" G_GUINT64_FORMAT
	               " ATA, %" G_GUINT64_FORMAT " on the data port), %" G_GUINT64_FORMAT " VM exits; per KiB moved: %"
	               G_GUINT64_FORMAT " ATA intercepts, %" G_GUINT64_FORMAT " intercepts, %" G_GUINT64_FORMAT " VM exits",
	               IO_KIB, intercepts, ata, data_port, exits, ata / kib_moved, intercepts / kib_moved,
	               exits / kib_moved);
	g_assert_cmpuint(data_port, ==, kib_moved * IO_WORDS_PER_KIB + IO_IDENTIFY_WORDS);
	/* Overhead: a status poll per sector and some 10 accesses per command
	 * (identify, write, flush, read): under 5 % over the words. */
	g_assert_cmpuint(ata, >, data_port);
	g_assert_cmpuint(ata - data_port, <, data_port / 20);
	g_assert_cmpuint(ata / kib_moved, >=, IO_WORDS_PER_KIB);
	g_assert_cmpuint(ata / kib_moved, <, IO_WORDS_PER_KIB + IO_WORDS_PER_KIB / 10);
	/* Everything else the child did (console, power) is small beside it. */
	g_assert_cmpuint(intercepts - ata, <, ata / 4);
	/* Each intercept is at least its own exit in the child. */
	g_assert_cmpuint(exits, >, intercepts);
	harness_fini(&h);
}

/* A hostile child (hand-made code in place of the kernel, with the disk
 * the io-emulated scenario gives it) programs the worker's ATA registers
 * itself: a read past the end of its 512 sectors, an unknown command, a
 * data-port read with no transfer. It prints each status and error
 * register (error + '0') to its UART, then powers off. */
static const guint8 hostile_ata_child[] = {
	/* READ SECTORS, 1 sector at LBA 600 (0x258), LBA mode, master */
	0xb0, 0x40, 0x66, 0xba, 0xf6, 0x01, 0xee,       /* mov al,0x40; mov dx,0x1f6; out dx,al */
	0xb0, 0x01, 0x66, 0xba, 0xf2, 0x01, 0xee,       /* count 1 */
	0xb0, 0x58, 0x66, 0xba, 0xf3, 0x01, 0xee,       /* LBA 7:0 */
	0xb0, 0x02, 0x66, 0xba, 0xf4, 0x01, 0xee,       /* LBA 15:8 */
	0xb0, 0x00, 0x66, 0xba, 0xf5, 0x01, 0xee,       /* LBA 23:16 */
	0xb0, 0x20, 0x66, 0xba, 0xf7, 0x01, 0xee,       /* command 0x20 */
	0xec, 0x66, 0xba, 0xf8, 0x03, 0xee,             /* in al,dx (status); out 0x3f8 */
	0x66, 0xba, 0xf1, 0x01, 0xec, 0x04, 0x30,       /* in al,0x1f1 (error); add al,'0' */
	0x66, 0xba, 0xf8, 0x03, 0xee,                   /* out 0x3f8 */
	/* command 0xC8 (READ DMA: not modelled) */
	0xb0, 0xc8, 0x66, 0xba, 0xf7, 0x01, 0xee,
	0xec, 0x66, 0xba, 0xf8, 0x03, 0xee,
	0x66, 0xba, 0xf1, 0x01, 0xec, 0x04, 0x30,
	0x66, 0xba, 0xf8, 0x03, 0xee,
	/* in ax,0x1f0 with no transfer in progress; add al,'0'; out 0x3f8 */
	0x66, 0xba, 0xf0, 0x01, 0x66, 0xed, 0x04, 0x30,
	0x66, 0xba, 0xf8, 0x03, 0xee,
	0xb0, 0x0a, 0xee,                               /* '\n' */
	0x66, 0xb8, 0x00, 0x20, 0x66, 0xba, 0x04, 0x06, /* mov ax,0x2000; mov dx,0x604 */
	0x66, 0xef,                                     /* out dx,ax: power off */
	0xf4, 0xeb, 0xfd,                               /* hlt; jmp $-1 */
};

static void test_hostile_child(void)
{
	Harness h;
	g_autoptr(GByteArray) img = elf_build_code(HVSIM_IMAGE_MIN_GPA, hostile_ata_child, sizeof hostile_ata_child);
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL, .child_image = img->data, .child_image_len = img->len,
	                  .child_image_name = "hostile-ata.elf" };
	g_assert_cmpint(run_config(&h, &cfg, "io-emulated"), ==, SIM_OUTCOME_SHUTDOWN);

	/* status DRDY|ERR ('A'), error IDNF (0x10 + '0' = '@'); then
	 * status 'A', error ABRT (0x04 + '0' = '4'); then a data word of 0. */
	SimPartition *child = sim_machine_partition(h.m, 1);
	g_assert_nonnull(child);
	g_test_message("child console: %s", sim_partition_console(child));
	g_assert_nonnull(strstr(sim_partition_console(child), "A@A40\n"));
	g_assert_true(console_has(&h, "vmwp: child disk: a run past the end refused: IDNF (child LBA 600)"));
	g_assert_true(console_has(&h, "vmwp: child disk: unknown command refused: ABRT"));
	g_assert_true(console_has(&h, "vmwp: child partition 2 booted, ran and powered off"));
	g_assert_true(sim_partition_stopped_cleanly(h.p));

	/* Nothing reached the parent's disk. */
	uint64_t bytes = 0;
	const guint8 *disk = partition_disk(h.p, &bytes);
	for (uint64_t i = 0; i < bytes; i++)
		g_assert_cmphex(disk[i], ==, 0);
	harness_fini(&h);
}

/* The boot scenario's child gets no disk: no ATA intercept is installed,
 * and neither kernel touches the ports (the scenario's output and trace
 * stay what they were). */
static void test_boot_has_no_disk(void)
{
	Harness h;
	g_assert_cmpint(run_named(&h, SIM_VENDOR_INTEL, "boot"), ==, SIM_OUTCOME_SHUTDOWN);
	for (guint i = 0; i < h.events->len; i++) {
		const SimEvent *e = harness_event(&h, i);
		if (e->type == SIM_EV_INTERCEPT)
			g_assert_false(is_ata_port(e->u.intercept.port));
		/* Nor does the parent: its driver probes only when asked. */
		if (e->type == SIM_EV_PORT_IO)
			g_assert_false(is_ata_port(e->u.io.port));
	}
	g_assert_false(console_has(&h, "child disk"));
	g_assert_false(console_has(&h, "iotest"));
	harness_fini(&h);
}

static void test_cli(void)
{
	CliResult r;
	if (!g_getenv("HVSIM")) {
		g_test_skip("HVSIM is not set");
		return;
	}
	cli_run(&r, (const char *const[]){ "scenarios", NULL });
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "io-emulated"));
	g_assert_nonnull(strstr(r.out, "io-synthetic"));
	cli_result_clear(&r);

	cli_run(&r, (const char *const[]){ "run", "io-emulated", NULL });
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "child 2 | " IO_LINE));
	g_assert_nonnull(strstr(r.out, "vmwp: child disk: 256 KiB"));
	g_assert_nonnull(strstr(r.out, "vmwp: child 2 disk: 4 ATA commands, 8 sectors written, 8 read"));
	cli_result_clear(&r);

	cli_run(&r, (const char *const[]){ "run", "io-synthetic", NULL });
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "child 2 | " IO_LINE));
	g_assert_nonnull(strstr(r.out, "vmwp: child disk: 256 KiB synthetic"));
	g_assert_nonnull(strstr(r.out, "[storvsp] child 2: WRITE(10) LBA 0, 8 sectors (our LBA 1536)"));
	g_assert_null(strstr(r.out, "ATA commands"));
	cli_result_clear(&r);
}

/* ==== the synthetic path ======================================================= */

/* A storage-channel signal (relid 2) sent by partition `from` whose ring's
 * next packet, as the simulator's inspector read it, is `packet_type`
 * (9 GPA direct: a request; 11: a completion). */
static gboolean is_storage_signal(const SimEvent *e, guint from, uint16_t packet_type)
{
	return e->type == SIM_EV_VMBUS && e->u.vmbus.kind == SIM_VMBUS_SIGNAL && e->partition == from &&
	       e->u.vmbus.relid == HVSIM_VMBUS_STORAGE_RELID && e->u.vmbus.packet_type == packet_type;
}

static gint console_from(Harness *h, guint from, const char *text)
{
	for (guint i = from; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type == SIM_EV_CONSOLE && strstr(e->text, text))
			return (gint)i;
	}
	return -1;
}

/* VM exits of every partition between events first and last. */
static guint64 exits_between(Harness *h, guint first, guint last)
{
	guint64 n = 0;
	for (guint i = first; i <= last && i < h->events->len; i++)
		if (harness_event(h, i)->type == SIM_EV_VM_EXIT)
			n++;
	return n;
}

/* iotest's pattern at the child's region of the parent's disk (from
 * base_lba), and zero everywhere else. */
static void check_parent_disk(Harness *h, uint64_t base_lba)
{
	uint64_t bytes = 0;
	const guint8 *disk = partition_disk(h->p, &bytes);
	uint64_t base = base_lba * ATA_SECTOR_SIZE;
	uint64_t len = (uint64_t)IO_KIB << 10;
	g_assert_cmpuint(bytes, >=, base + len);
	for (uint64_t i = 0; i < len; i++)
		g_assert_cmphex(disk[base + i], ==, io_pattern(i));
	for (uint64_t i = 0; i < bytes; i++)
		if (i < base || i >= base + len)
			g_assert_cmphex(disk[i], ==, 0);
}

/* The measured window of the emulated path: its first and last ATA
 * intercept. */
static void emulated_window(Harness *h, guint *first, guint *last)
{
	gboolean seen = FALSE;
	for (guint i = 0; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type != SIM_EV_INTERCEPT || !is_ata_port(e->u.intercept.port))
			continue;
		if (!seen)
			*first = i;
		seen = TRUE;
		*last = i;
	}
	g_assert_true(seen);
}

/* The synthetic path's requests: the child's GPA-direct signals, in order
 * (READ CAPACITY when iotest asks for the disk's size, as the emulated
 * path's IDENTIFY, then iotest's 4 KiB write and read).
 * For each: the parent reads and does the work (its storvsp line), then
 * signals the completion back, before the child's next request. Returns
 * the window from the first request (READ CAPACITY: the emulated path's
 * window opens with IDENTIFY) to the last completion signal. */
#define IO_SYNTHETIC_REQUESTS (1u + 2u * IO_KIB * 1024u / (8u * ATA_SECTOR_SIZE))

static void synthetic_order(Harness *h, guint *first, guint *last)
{
	guint req[IO_SYNTHETIC_REQUESTS + 1];
	guint n = 0;
	for (guint i = 0; i < h->events->len; i++)
		if (is_storage_signal(harness_event(h, i), 2, VMBUS_PACKET_DATA_USING_GPA_DIRECT)) {
			g_assert_cmpuint(n, <, IO_SYNTHETIC_REQUESTS);
			req[n++] = i;
		}
	g_assert_cmpuint(n, ==, IO_SYNTHETIC_REQUESTS);
	req[n] = h->events->len;
	for (guint r = 0; r < n; r++) {
		gint work = console_from(h, req[r], "[storvsp] child 2: ");
		g_assert_cmpint(work, >, (gint)req[r]);
		g_assert_cmpint(work, <, (gint)req[r + 1]);
		gint done = -1;
		for (guint i = (guint)work; i < req[r + 1] && done < 0; i++)
			if (is_storage_signal(harness_event(h, i), 1, VMBUS_PACKET_COMP))
				done = (gint)i;
		if (done < 0)
			g_error("request %u (event %u): no completion signal from the parent before the next request", r,
			        req[r]);
		if (r == 0)
			*first = req[r];
		*last = (guint)done;
	}
}

static void test_synthetic(gconstpointer data)
{
	Harness h;
	g_assert_cmpint(run_named(&h, (SimVendor)GPOINTER_TO_INT(data), "io-synthetic"), ==, SIM_OUTCOME_SHUTDOWN);

	SimPartition *child = sim_machine_partition(h.m, 1);
	g_assert_nonnull(child);
	g_assert_nonnull(strstr(sim_partition_console(child), IO_LINE "\n"));
	g_assert_null(strstr(sim_partition_console(child), "FAILED"));
	g_assert_true(console_has(&h, "child 2 | " IO_LINE));
	g_assert_true(console_has(&h, "vmwp: child disk: 256 KiB synthetic (storvsc, VMBus relid 2) = parent LBA 1536..2047"));
	g_assert_true(console_has(&h, "child 2 | [kernel] storvsc: channel 2 open, vstor protocol 6.2, up to 131072 bytes a request"));
	g_assert_true(console_has(&h, "child 2 | [kernel] vmbus: channel 1 open (protocol 4.0); sent \"ping\", completion \"pong\""));
	g_assert_true(console_has(&h, "7 storage requests, 0 refused"));
	/* The storage ring GPADL (32 pages) needed a GPADL_BODY; the child
	 * took VMBus down before it powered off. */
	static const char *const life[] = {
		"server: GPADL 0xe1e11: 26 of 32 pages in its header, the rest to come in GPADL_BODY",
		"server <- child 2: GPADL_BODY",
		"server: GPADL 0xe1e11 assembled from its header and 1 GPADL_BODY message: 32 pages",
		"server: channel 2 open: upstream ring 16 pages, downstream 16 pages",
		"child 2 | " IO_LINE,
		"server: channel 2 closed by child 2 (7 packets)",
		"server: GPADL 0xe1e11 torn down: child pages",
		"server: channel 1 closed by child 2 (1 packets)",
		"server: GPADL 0xe1e10 torn down: child pages",
		"server: child 2 unloads, every channel closed and GPADL torn down",
		"child 2 | [kernel] vmbus: unloaded: 2 channels closed and their GPADLs torn down, UNLOAD_RESPONSE",
	};
	gint at = 0;
	for (guint i = 0; i < G_N_ELEMENTS(life); i++) {
		gint next = console_from(&h, (guint)at, life[i]);
		if (next < 0)
			g_error("console line \"%s\" missing after event %d", life[i], at);
		at = next;
	}
	g_assert_false(console_has(&h, "without UNLOAD"));
	g_assert_false(console_has(&h, "refused with status"));
	g_assert_true(console_has(&h, "vmwp: child partition 2 booted, ran and powered off"));
	g_assert_true(console_has(&h, "process \"vmwp\" exited with status 0"));
	g_assert_true(sim_partition_stopped_cleanly(child));
	g_assert_true(sim_partition_stopped_cleanly(h.p));

	/* The data is on the parent's disk at the synthetic region; nothing
	 * else was written (not the emulated region either). */
	check_parent_disk(&h, HVSIM_STORVSP_DISK_BASE_LBA);

	/* No ATA port was intercepted: the child's disk is not a device. */
	for (guint i = 0; i < h.events->len; i++) {
		const SimEvent *e = harness_event(&h, i);
		if (e->type == SIM_EV_INTERCEPT)
			g_assert_false(is_ata_port(e->u.intercept.port));
	}
	guint first = 0, last = 0;
	synthetic_order(&h, &first, &last);
	harness_fini(&h);
}

/* The point of the lesson, measured: VM exits of both partitions per KiB
 * moved, from the first to the last I/O request, on both paths. */
static void test_exits_per_kib(void)
{
	Harness e, s;
	guint ef = 0, el = 0, sf = 0, sl = 0;
	guint64 kib_moved = 2 * IO_KIB;

	gint64 t0 = g_get_monotonic_time();
	g_assert_cmpint(run_named(&e, SIM_VENDOR_INTEL, "io-emulated"), ==, SIM_OUTCOME_SHUTDOWN);
	gint64 t1 = g_get_monotonic_time();
	g_assert_cmpint(run_named(&s, SIM_VENDOR_INTEL, "io-synthetic"), ==, SIM_OUTCOME_SHUTDOWN);
	gint64 t2 = g_get_monotonic_time();
	emulated_window(&e, &ef, &el);
	synthetic_order(&s, &sf, &sl);
	guint64 emulated = exits_between(&e, ef, el), synthetic = exits_between(&s, sf, sl);
	g_test_message("emulated: %" G_GUINT64_FORMAT " VM exits for %" G_GUINT64_FORMAT " KiB = %.1f per KiB (run %.2f s)",
	               emulated, kib_moved, (double)emulated / kib_moved, (t1 - t0) / 1e6);
	g_test_message("synthetic: %" G_GUINT64_FORMAT " VM exits for %" G_GUINT64_FORMAT " KiB = %.1f per KiB (run %.2f s)",
	               synthetic, kib_moved, (double)synthetic / kib_moved, (t2 - t1) / 1e6);
	g_assert_cmpuint(synthetic, >, 0);
	g_assert_cmpuint(synthetic * 10, <=, emulated);
	harness_fini(&e);
	harness_fini(&s);
}

/* The child's storvsc, told to misbehave (HVSIM_BOOT_FLAG_STORVSC_HOSTILE),
 * sends three requests the parent must refuse: a data page outside its
 * RAM, an LBA outside its disk (one that a careless 32-bit sum would turn
 * into the parent's LBA 0), an unknown vstor operation. Each gets an error
 * completion and a parent line; the parent keeps serving (iotest then
 * passes) and its disk outside the child's region is untouched. */
static void test_synthetic_hostile(void)
{
	Harness h;
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL };
	g_assert_cmpint(run_config_flags(&h, &cfg, "io-synthetic", HVSIM_BOOT_FLAG_STORVSC_HOSTILE), ==,
	                SIM_OUTCOME_SHUTDOWN);
	static const char *const lines[] = {
		"(packet type 9, operation 3): refused with status 0xc000000d: a data PFN lies outside the child's RAM",
		"child 2 | [kernel] storvsc: hostile (a) data page outside our RAM: refused, status 0xc000000d",
		"(packet type 9, operation 3): refused with status 0xc000000d: LBA range outside the child's disk",
		"child 2 | [kernel] storvsc: hostile (b) LBA outside our disk: refused, status 0xc000000d",
		"(packet type 6, operation 99): refused with status 0xc0000010: unknown or unserved vstor operation",
		"child 2 | [kernel] storvsc: hostile (c) unknown vstor operation: refused, status 0xc0000010",
		"child 2 | " IO_LINE,
		"10 storage requests, 3 refused",
	};
	SimPartition *child = sim_machine_partition(h.m, 1);
	g_assert_nonnull(child);
	g_test_message("child console:\n%s", sim_partition_console(child));
	gint at = 0;
	for (guint i = 0; i < G_N_ELEMENTS(lines); i++) {
		gint next = console_from(&h, (guint)at, lines[i]);
		if (next < 0)
			g_error("console line \"%s\" missing after event %d", lines[i], at);
		at = next;
	}
	g_assert_false(console_has(&h, "ACCEPTED"));
	g_assert_true(sim_partition_stopped_cleanly(h.p));
	check_parent_disk(&h, HVSIM_STORVSP_DISK_BASE_LBA);
	harness_fini(&h);
}

/* HVSIM_BOOT_FLAG_VMBUS_HOSTILE: the child's kernel, after opening its
 * storage channel, corrupts its upstream ring four ways before signalling
 * (write_index beyond the ring, not 8-aligned, a len8 past the data, an
 * offset8 past the packet), re-opening the channel after each; sends a
 * GPADL naming a page outside its RAM, an OPENCHANNEL for a relid never
 * offered, a 241-byte message (the hypervisor refuses the hypercall);
 * unloads and sends a GPADL_HEADER after UNLOAD; then contacts the parent
 * again and runs iotest over a fresh storage channel. Every case is
 * refused with its reason, the parent keeps serving, iotest verifies, and
 * the parent's disk holds the pattern at the child's region only. */
static void test_vmbus_hostile(void)
{
	Harness h;
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL };
	g_assert_cmpint(run_config_flags(&h, &cfg, "io-synthetic", HVSIM_BOOT_FLAG_VMBUS_HOSTILE), ==,
	                SIM_OUTCOME_SHUTDOWN);
	SimPartition *child = sim_machine_partition(h.m, 1);
	g_assert_nonnull(child);
	g_test_message("child console:\n%s", sim_partition_console(child));

	/* The parent's refusals, in order, each followed by the parent
	 * serving the child again (the channel re-opened, the connection made
	 * again after UNLOAD). */
	static const char *const parent[] = {
		"[storvsp] child 2's storage ring: write_index beyond the data area; the channel is no longer read",
		"server: channel 2 closed by child 2",
		"server: channel 2 open: upstream ring 16 pages",
		"[storvsp] child 2's storage ring: write_index not 8-byte aligned; the channel is no longer read",
		"server: channel 2 closed by child 2",
		"server: channel 2 open: upstream ring 16 pages",
		"[storvsp] child 2's storage ring: packet length (len8) beyond the bytes available; the channel is no longer read",
		"server: channel 2 closed by child 2",
		"server: channel 2 open: upstream ring 16 pages",
		"[storvsp] child 2's storage ring: data offset (offset8) beyond the end of the packet; the channel is no longer read",
		"server: channel 2 closed by child 2",
		"server: channel 2 open: upstream ring 16 pages",
		"of child 2 refused: a PFN lies outside the child's RAM",
		"child 2: OPENCHANNEL (148 bytes) rejected: it names a channel or GPADL this connection does not have",
		"server: child 2 unloads, every channel closed and GPADL torn down",
		"child 2: GPADL_HEADER (36 bytes) rejected: message not legal in the current state (connection disconnected)",
		"server <- child 2: INITIATE_CONTACT",
		"server: channel 2 open: upstream ring 16 pages",
		"[storvsp] child 2: WRITE(10) LBA 0, 8 sectors (our LBA 1536)",
		"server: child 2 unloads, every channel closed and GPADL torn down",
	};
	/* The child's account of the same, in order. */
	static const char *const child_lines[] = {
		"child 2 | [kernel] vmbus: hostile (a) write_index beyond the ring: signalled",
		"child 2 | [kernel] storvsc: channel 2 open",
		"child 2 | [kernel] vmbus: hostile (b) write_index not 8-aligned: signalled",
		"child 2 | [kernel] storvsc: channel 2 open",
		"child 2 | [kernel] vmbus: hostile (c) len8 past the data written: signalled",
		"child 2 | [kernel] storvsc: channel 2 open",
		"child 2 | [kernel] vmbus: hostile (d) offset8 beyond the packet: signalled",
		"child 2 | [kernel] storvsc: channel 2 open",
		"child 2 | [kernel] vmbus: hostile (e) GPADL of page 0x100000 outside our RAM: refused, status 0xc0000001",
		"child 2 | [kernel] vmbus: hostile (f) OPENCHANNEL of relid 7 (never offered): posted",
		"child 2 | [kernel] vmbus: hostile (h) 241-byte message: HvCallPostMessage status 0x0005 refused",
		"child 2 | [kernel] vmbus: unloaded: 2 channels closed and their GPADLs torn down, UNLOAD_RESPONSE",
		"child 2 | [kernel] vmbus: hostile (g) GPADL_HEADER after UNLOAD: posted",
		"child 2 | [kernel] vmbus: hostile cases done; connected again, storage channel 2 open",
		"child 2 | " IO_LINE,
		"child 2 | [kernel] vmbus: unloaded: 1 channel closed and its GPADL torn down, UNLOAD_RESPONSE",
		"vmwp: child partition 2 booted, ran and powered off",
	};
	const char *const *lists[] = { parent, child_lines };
	const guint counts[] = { G_N_ELEMENTS(parent), G_N_ELEMENTS(child_lines) };
	for (guint l = 0; l < G_N_ELEMENTS(lists); l++) {
		gint at = 0;
		for (guint i = 0; i < counts[l]; i++) {
			gint next = console_from(&h, (guint)at, lists[l][i]);
			if (next < 0)
				g_error("console line \"%s\" missing after event %d", lists[l][i], at);
			at = next;
		}
	}
	/* (h) never reached the parent: the hypervisor refused the call, the
	 * only PostMessage of the run that failed. */
	guint refused_posts = 0;
	for (guint i = 0; i < h.events->len; i++) {
		const SimEvent *e = harness_event(&h, i);
		if (e->type != SIM_EV_HYPERCALL || e->u.hypercall.code != HVCALL_POST_MESSAGE ||
		    e->u.hypercall.status == HV_STATUS_SUCCESS)
			continue;
		g_assert_cmpuint(e->partition, ==, 2);
		g_assert_cmphex(e->u.hypercall.status, ==, HV_STATUS_INVALID_PARAMETER);
		refused_posts++;
	}
	g_assert_cmpuint(refused_posts, ==, 1);
	g_assert_false(console_has(&h, "ACCEPTED"));
	g_assert_false(console_has(&h, "vmbus: stopped"));
	g_assert_false(console_has(&h, "server bug"));
	g_assert_false(console_has(&h, "refused with status"));
	g_assert_true(sim_partition_stopped_cleanly(child));
	g_assert_true(sim_partition_stopped_cleanly(h.p));
	check_parent_disk(&h, HVSIM_STORVSP_DISK_BASE_LBA);
	harness_fini(&h);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_data_func("/sim/io/emulated/intel", GINT_TO_POINTER(SIM_VENDOR_INTEL), test_emulated);
	g_test_add_func("/sim/io/emulated/hostile-child", test_hostile_child);
	g_test_add_func("/sim/io/boot-has-no-disk", test_boot_has_no_disk);
	g_test_add_data_func("/sim/io/synthetic/intel", GINT_TO_POINTER(SIM_VENDOR_INTEL), test_synthetic);
	g_test_add_data_func("/sim/io/synthetic/amd", GINT_TO_POINTER(SIM_VENDOR_AMD), test_synthetic);
	g_test_add_func("/sim/io/synthetic/exits-per-kib", test_exits_per_kib);
	g_test_add_func("/sim/io/synthetic/hostile", test_synthetic_hostile);
	g_test_add_func("/sim/io/synthetic/vmbus-hostile", test_vmbus_hostile);
	g_test_add_func("/sim/io/cli", test_cli);
	return g_test_run();
}
