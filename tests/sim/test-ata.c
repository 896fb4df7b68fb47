/* test-ata.c — the platform disk (dev-ata.c): IDENTIFY, PIO reads and
 * writes of whole sectors, multi-sector runs, and the hostile cases a guest
 * can make (LBA past the end, a run crossing the end, CHS addressing, the
 * slave drive, unknown commands, data-port accesses with no transfer), driven
 * through the device's port ops. Then the root partition of a late launch
 * reaching the disk with no VM exit (passed through). Host test program
 * (GLib test framework); port offsets and bits from hvsim-platform.h. */
#include <glib.h>
#include <string.h>

#include "sim-harness.h"

typedef struct Disk {
	Harness h;
	SimDevice *cmd, *ctrl;
} Disk;

static void disk_init(Disk *d)
{
	memset(d, 0, sizeof *d);
	harness_init_hello(&d->h, SIM_VENDOR_INTEL);
	for (guint i = 0; i < d->h.p->devices->len; i++) {
		SimDevice *dev = g_ptr_array_index(d->h.p->devices, i);
		if (dev->port_first == HVSIM_PORT_ATA)
			d->cmd = dev;
		if (dev->port_first == HVSIM_PORT_ATA_CTRL)
			d->ctrl = dev;
	}
	g_assert_nonnull(d->cmd);
	g_assert_nonnull(d->ctrl);
}

static uint32_t in8(Disk *d, unsigned reg)
{
	return d->cmd->ops->io_read(d->cmd, (uint16_t)reg, 1);
}

static void out8(Disk *d, unsigned reg, uint32_t v)
{
	d->cmd->ops->io_write(d->cmd, (uint16_t)reg, 1, v);
}

static void select_lba(Disk *d, uint32_t lba, uint8_t count, uint8_t device)
{
	out8(d, ATA_REG_DEVICE, device | ((lba >> 24) & 0x0F));
	out8(d, ATA_REG_COUNT, count);
	out8(d, ATA_REG_LBA0, lba & 0xFF);
	out8(d, ATA_REG_LBA1, (lba >> 8) & 0xFF);
	out8(d, ATA_REG_LBA2, (lba >> 16) & 0xFF);
}

static void write_sectors(Disk *d, uint32_t lba, uint8_t count, const guint8 *data)
{
	select_lba(d, lba, count, ATA_DEV_LBA);
	out8(d, ATA_REG_STATUS, ATA_CMD_WRITE_SECTORS);
	unsigned n = count ? count : 256;
	for (unsigned i = 0; i < n * ATA_SECTOR_SIZE; i += 2) {
		g_assert_cmphex(in8(d, ATA_REG_STATUS) & (ATA_SR_DRQ | ATA_SR_ERR), ==, ATA_SR_DRQ);
		d->cmd->ops->io_write(d->cmd, ATA_REG_DATA, 2, (uint32_t)(data[i] | data[i + 1] << 8));
	}
	g_assert_cmphex(in8(d, ATA_REG_STATUS) & (ATA_SR_DRQ | ATA_SR_ERR | ATA_SR_DRDY), ==, ATA_SR_DRDY);
}

static void read_sectors(Disk *d, uint32_t lba, uint8_t count, guint8 *data)
{
	select_lba(d, lba, count, ATA_DEV_LBA);
	out8(d, ATA_REG_STATUS, ATA_CMD_READ_SECTORS);
	unsigned n = count ? count : 256;
	for (unsigned i = 0; i < n * ATA_SECTOR_SIZE; i += 2) {
		g_assert_cmphex(in8(d, ATA_REG_STATUS) & (ATA_SR_DRQ | ATA_SR_ERR), ==, ATA_SR_DRQ);
		uint32_t w = d->cmd->ops->io_read(d->cmd, ATA_REG_DATA, 2);
		data[i] = (guint8)w;
		data[i + 1] = (guint8)(w >> 8);
	}
	g_assert_cmphex(in8(d, ATA_REG_STATUS) & (ATA_SR_DRQ | ATA_SR_ERR), ==, 0);
}

static void test_identify(void)
{
	Disk d;
	disk_init(&d);
	out8(&d, ATA_REG_DEVICE, ATA_DEV_LBA);
	out8(&d, ATA_REG_STATUS, ATA_CMD_IDENTIFY);
	g_assert_cmphex(in8(&d, ATA_REG_STATUS) & ATA_SR_DRQ, ==, ATA_SR_DRQ);
	uint16_t w[256];
	for (int i = 0; i < 256; i++)
		w[i] = (uint16_t)d.cmd->ops->io_read(d.cmd, ATA_REG_DATA, 2);
	g_assert_cmphex(in8(&d, ATA_REG_STATUS) & ATA_SR_DRQ, ==, 0);
	g_assert_cmphex(w[49] & (1u << 9), !=, 0);                        /* LBA */
	g_assert_cmpuint((uint32_t)w[60] | (uint32_t)w[61] << 16, ==, SIM_DISK_SIZE / ATA_SECTOR_SIZE);
	/* Model string: first character in the high byte of word 27. */
	g_assert_cmpint(w[27] >> 8, ==, 'h');
	g_assert_cmpint(w[27] & 0xFF, ==, 'v');
	/* The alternate status (control block) mirrors the status. */
	g_assert_cmphex(d.ctrl->ops->io_read(d.ctrl, 0, 1), ==, in8(&d, ATA_REG_STATUS));
	harness_fini(&d.h);
}

static void test_read_write(void)
{
	Disk d;
	disk_init(&d);
	guint8 out[3 * ATA_SECTOR_SIZE], back[3 * ATA_SECTOR_SIZE];
	for (gsize i = 0; i < sizeof out; i++)
		out[i] = (guint8)(i * 7 + 3);
	write_sectors(&d, 100, 3, out);
	uint64_t size;
	const guint8 *disk = sim_ata_disk(d.cmd, &size);
	g_assert_cmpuint(size, ==, SIM_DISK_SIZE);
	g_assert_cmpmem(disk + 100 * ATA_SECTOR_SIZE, sizeof out, out, sizeof out);
	g_assert_cmphex(disk[99 * ATA_SECTOR_SIZE + 511], ==, 0);           /* neighbours untouched */
	g_assert_cmphex(disk[103 * ATA_SECTOR_SIZE], ==, 0);
	read_sectors(&d, 100, 3, back);
	g_assert_cmpmem(back, sizeof back, out, sizeof out);
	/* The last sector of the disk, and FLUSH CACHE. */
	uint32_t last = (uint32_t)(SIM_DISK_SIZE / ATA_SECTOR_SIZE - 1);
	write_sectors(&d, last, 1, out);
	read_sectors(&d, last, 1, back);
	g_assert_cmpmem(back, ATA_SECTOR_SIZE, out, ATA_SECTOR_SIZE);
	out8(&d, ATA_REG_STATUS, ATA_CMD_FLUSH_CACHE);
	g_assert_cmphex(in8(&d, ATA_REG_STATUS) & (ATA_SR_ERR | ATA_SR_DRQ), ==, 0);
	harness_fini(&d.h);
}

static void expect_error(Disk *d, uint8_t error)
{
	g_assert_cmphex(in8(d, ATA_REG_STATUS) & (ATA_SR_ERR | ATA_SR_DRQ), ==, ATA_SR_ERR);
	g_assert_cmphex(in8(d, ATA_REG_ERROR), ==, error);
}

static void test_hostile(void)
{
	Disk d;
	disk_init(&d);
	uint32_t sectors = (uint32_t)(SIM_DISK_SIZE / ATA_SECTOR_SIZE);
	guint first = d.h.events->len;

	select_lba(&d, sectors, 1, ATA_DEV_LBA);                 /* one past the end */
	out8(&d, ATA_REG_STATUS, ATA_CMD_READ_SECTORS);
	expect_error(&d, ATA_ER_IDNF);
	select_lba(&d, sectors - 2, 3, ATA_DEV_LBA);             /* a run crossing the end */
	out8(&d, ATA_REG_STATUS, ATA_CMD_WRITE_SECTORS);
	expect_error(&d, ATA_ER_IDNF);
	select_lba(&d, 0x0FFFFFFF, 0, ATA_DEV_LBA);              /* the largest LBA28, 256 sectors */
	out8(&d, ATA_REG_STATUS, ATA_CMD_READ_SECTORS);
	expect_error(&d, ATA_ER_IDNF);
	select_lba(&d, 0, 1, 0);                                 /* CHS: not modelled */
	out8(&d, ATA_REG_STATUS, ATA_CMD_READ_SECTORS);
	expect_error(&d, ATA_ER_IDNF);
	out8(&d, ATA_REG_DEVICE, ATA_DEV_LBA);
	out8(&d, ATA_REG_STATUS, 0x42);                          /* unknown command */
	expect_error(&d, ATA_ER_ABRT);
	g_assert_cmpuint(harness_count_from(&d.h, first, SIM_EV_MESSAGE), ==, 5); /* each one said why */

	/* No transfer in progress: the data port reads 0, a write changes nothing. */
	g_assert_cmphex(d.cmd->ops->io_read(d.cmd, ATA_REG_DATA, 2), ==, 0);
	d.cmd->ops->io_write(d.cmd, ATA_REG_DATA, 2, 0xBEEF);
	uint64_t size;
	const guint8 *disk = sim_ata_disk(d.cmd, &size);
	for (uint64_t i = 0; i < size; i++)
		if (disk[i])
			g_error("byte %" G_GUINT64_FORMAT " of the disk changed", i);

	/* The slave drive does not exist: status 0, commands aborted. */
	out8(&d, ATA_REG_DEVICE, ATA_DEV_LBA | ATA_DEV_SLAVE);
	g_assert_cmphex(in8(&d, ATA_REG_STATUS), ==, 0);
	out8(&d, ATA_REG_STATUS, ATA_CMD_IDENTIFY);
	g_assert_cmphex(in8(&d, ATA_REG_STATUS), ==, 0);
	out8(&d, ATA_REG_DEVICE, ATA_DEV_LBA);
	g_assert_cmphex(in8(&d, ATA_REG_ERROR), ==, ATA_ER_ABRT);
	harness_fini(&d.h);
}

/* After a late launch the disk is the root's own hardware: its ports are
 * clear in the I/O bitmap (no VM exit); a guest started under the
 * hypervisor still exits on them. */
static void test_passthrough(void)
{
	Harness h;
	harness_init_root(&h, SIM_VENDOR_INTEL);
	for (uint32_t port = HVSIM_PORT_ATA; port <= HVSIM_PORT_ATA_LAST; port++)
		g_assert_false(vmx_io_exits(h.vp->vmcs, (uint16_t)port, 1));
	g_assert_false(vmx_io_exits(h.vp->vmcs, HVSIM_PORT_ATA_CTRL, 1));
	g_assert_true(vmx_io_exits(h.vp->vmcs, HVSIM_PORT_POWER, 2));
	harness_fini(&h);
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	g_assert_true(vmx_io_exits(h.vp->vmcs, HVSIM_PORT_ATA, 2));
	harness_fini(&h);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sim/ata/identify", test_identify);
	g_test_add_func("/sim/ata/read-write", test_read_write);
	g_test_add_func("/sim/ata/hostile", test_hostile);
	g_test_add_func("/sim/ata/passthrough", test_passthrough);
	return g_test_run();
}
