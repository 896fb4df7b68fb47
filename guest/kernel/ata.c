/* ata.c — the disk driver: ATA PIO on the primary IDE channel (the
 * platform disk at HVSIM_PORT_ATA), LBA28, polling the status register.
 * Guest ring 0, freestanding.
 *
 * The same code runs in both kinds of partition, and that is the lesson of
 * the emulated storage path. In the parent (the root after the late
 * launch) the hypervisor passes the ATA ports through: every IN and OUT
 * below reaches the platform disk with no VM exit. In a child, the parent's
 * worker process has intercepted the same ports: every IN and OUT below is
 * a VM exit, a message to the parent, a round trip through the parent's
 * ring 3 worker (vmwp.c emulates the drive) and a register write to resume
 * the child. A sector is 256 data-port accesses, so 512 round trips per
 * KiB: the slow path a synthetic (VMBus) disk is measured against.
 *
 * The protocol (ATA/ATAPI-6, PIO data-in and data-out):
 *   1. select the drive and load LBA 27:0 and the sector count
 *      (device, count, LBA 7:0, 15:8, 23:16 registers);
 *   2. write the command to the command register;
 *   3. per sector: poll status until BSY is clear, then ERR/DF mean the
 *      command failed, DRQ means "the drive wants 256 words moved";
 *      move them through the 16-bit data register;
 *   4. after the last sector: poll until BSY clears and check ERR once
 *      more (a write fails only when the drive has the data).
 * Commands complete at once in the simulator, but the driver never relies
 * on that: every wait is a bounded poll. */
#include "ata.h"

/* Status reads before a wait gives up. Bounded so a drive that stays BSY
 * (or a worker that emulates one) cannot hang the kernel; small enough
 * that a child's worker (which stops a child after 100000 intercepts)
 * sees the timeout message first. */
#define ATA_POLL_MAX 20000u
/* LBA28: the command block carries 28 address bits. */
#define ATA_LBA28_LIMIT (1ull << 28)
/* A bus with no drive on it floats high: every register reads 0xFF. */
#define ATA_STATUS_FLOATING 0xFFu
/* IDENTIFY DEVICE words (ATA-6, table 20). */
#define ATA_ID_WORDS          256u
#define ATA_ID_CAPABILITIES   49u
#define ATA_ID_CAP_LBA        (1u << 9)
#define ATA_ID_LBA28_LOW      60u
#define ATA_ID_LBA28_HIGH     61u
#define ATA_ID_MODEL          27u
#define ATA_ID_MODEL_WORDS    20u

static uint16_t ata_port(unsigned reg)
{
	return (uint16_t)(HVSIM_PORT_ATA + reg);
}

/* x86.h has no 16-bit IN: only this driver needs one. */
static inline uint16_t ata_inw(uint16_t port)
{
	uint16_t value;
	__asm__ volatile("inw %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

/* The one drive, as IDENTIFY described it. */
static struct {
	bool probed;
	enum ata_result probe_result;
	uint64_t sectors;
	char model[ATA_ID_MODEL_WORDS * 2 + 1];
} ata_disk;

const char *ata_result_name(enum ata_result r)
{
	switch (r) {
	case ATA_OK: return "ok";
	case ATA_ERR_NO_DISK: return "no ATA disk";
	case ATA_ERR_ARGUMENT: return "bad sector count";
	case ATA_ERR_RANGE: return "past the end of the disk";
	case ATA_ERR_DEVICE: return "the drive reported an error";
	case ATA_ERR_TIMEOUT: return "the drive did not answer in time";
	}
	return "?";
}

/* Polls until BSY is clear and every bit of `want` is set. ERR or DF
 * (with BSY clear) end the wait with ATA_ERR_DEVICE and a line naming the
 * status and error registers; `what` says which step waited. */
static enum ata_result ata_wait(uint8_t want, const char *what, uint64_t lba)
{
	uint8_t status = 0;

	for (unsigned i = 0; i < ATA_POLL_MAX; i++) {
		status = inb(ata_port(ATA_REG_STATUS));
		if (status == ATA_STATUS_FLOATING) {
			klog("disk: %s: status reads 0xff (no drive on the bus)\n", what);
			return ATA_ERR_NO_DISK;
		}
		if (status & ATA_SR_BSY)
			continue;
		if (status & (ATA_SR_ERR | ATA_SR_DF)) {
			uint8_t error = inb(ata_port(ATA_REG_ERROR));

			klog("disk: %s at LBA %lu failed: status 0x%02x, error 0x%02x%s%s\n", what, lba,
			     status, error, (error & ATA_ER_IDNF) ? " (IDNF: no such sector)" : "",
			     (error & ATA_ER_ABRT) ? " (ABRT: command aborted)" : "");
			return ATA_ERR_DEVICE;
		}
		if ((status & want) == want)
			return ATA_OK;
	}
	klog("disk: %s at LBA %lu: no answer after %u status reads (status 0x%02x)\n", what, lba,
	     ATA_POLL_MAX, status);
	return ATA_ERR_TIMEOUT;
}

/* Step 1: master drive, LBA mode, address and count (256 is written as 0). */
static void ata_select(uint64_t lba, unsigned count)
{
	outb(ata_port(ATA_REG_DEVICE), (uint8_t)(ATA_DEV_LBA | ((lba >> 24) & 0x0F)));
	outb(ata_port(ATA_REG_COUNT), (uint8_t)count);
	outb(ata_port(ATA_REG_LBA0), (uint8_t)lba);
	outb(ata_port(ATA_REG_LBA1), (uint8_t)(lba >> 8));
	outb(ata_port(ATA_REG_LBA2), (uint8_t)(lba >> 16));
}

enum ata_result ata_probe(void)
{
	uint16_t id[ATA_ID_WORDS];
	enum ata_result r;
	uint8_t status;

	if (ata_disk.probed)
		return ata_disk.probe_result;
	ata_disk.probed = true;
	ata_disk.probe_result = ATA_ERR_NO_DISK;

	/* A floating bus: no controller, or (in a child) no worker that
	 * emulates one (unemulated ports read all ones). */
	status = inb(ata_port(ATA_REG_STATUS));
	if (status == ATA_STATUS_FLOATING) {
		klog("disk: no ATA controller at port 0x%x (status reads 0xff)\n", HVSIM_PORT_ATA);
		return ATA_ERR_NO_DISK;
	}
	/* We poll: tell the drive not to raise interrupts. */
	outb(HVSIM_PORT_ATA_CTRL, ATA_CTL_NIEN);
	outb(ata_port(ATA_REG_DEVICE), ATA_DEV_LBA);
	outb(ata_port(ATA_REG_STATUS), ATA_CMD_IDENTIFY);
	/* Status 0 right after the command: no drive answered. */
	if (inb(ata_port(ATA_REG_STATUS)) == 0) {
		klog("disk: no drive answered IDENTIFY DEVICE (status 0)\n");
		return ATA_ERR_NO_DISK;
	}
	r = ata_wait(ATA_SR_DRQ, "IDENTIFY DEVICE", 0);
	if (r != ATA_OK) {
		/* An ATAPI device aborts IDENTIFY DEVICE: not a disk for us. */
		ata_disk.probe_result = r == ATA_ERR_DEVICE ? ATA_ERR_NO_DISK : r;
		return ata_disk.probe_result;
	}
	for (unsigned i = 0; i < ATA_ID_WORDS; i++)
		id[i] = ata_inw(ata_port(ATA_REG_DATA));

	if (!(id[ATA_ID_CAPABILITIES] & ATA_ID_CAP_LBA)) {
		klog("disk: the drive does not support LBA (IDENTIFY word 49 = 0x%04x)\n",
		     id[ATA_ID_CAPABILITIES]);
		return ATA_ERR_NO_DISK;
	}
	ata_disk.sectors = ((uint64_t)id[ATA_ID_LBA28_HIGH] << 16) | id[ATA_ID_LBA28_LOW];
	/* ATA strings: two characters per word, the first in the high byte;
	 * padded with spaces, which we trim. */
	for (unsigned i = 0; i < ATA_ID_MODEL_WORDS; i++) {
		char hi = (char)(id[ATA_ID_MODEL + i] >> 8), lo = (char)id[ATA_ID_MODEL + i];
		ata_disk.model[2 * i] = (hi >= ' ' && hi <= '~') ? hi : '.';
		ata_disk.model[2 * i + 1] = (lo >= ' ' && lo <= '~') ? lo : '.';
	}
	for (int i = (int)ATA_ID_MODEL_WORDS * 2 - 1; i >= 0 && ata_disk.model[i] == ' '; i--)
		ata_disk.model[i] = '\0';
	kdetail("disk: \"%s\", %lu sectors (%lu KiB), LBA28 PIO, polled\n", ata_disk.model,
		ata_disk.sectors, ata_disk.sectors * ATA_SECTOR_SIZE >> 10);
	ata_disk.probe_result = ATA_OK;
	return ATA_OK;
}

uint64_t ata_sectors(void)
{
	return ata_disk.probe_result == ATA_OK ? ata_disk.sectors : 0;
}

/* The checks both directions share: a probed disk, a count one command
 * can carry, a run inside the disk and inside LBA28. */
static enum ata_result ata_check(uint64_t lba, unsigned count, const char *what)
{
	enum ata_result r = ata_probe();

	if (r != ATA_OK)
		return r;
	if (count == 0 || count > HVSIM_DISK_SECTORS_MAX)
		return ATA_ERR_ARGUMENT;
	/* Subtracted form: lba + count cannot overflow here. */
	if (lba >= ata_disk.sectors || count > ata_disk.sectors - lba || lba >= ATA_LBA28_LIMIT - count) {
		klog("disk: %s of %u sectors at LBA %lu refused: the disk has %lu sectors\n", what, count,
		     lba, ata_disk.sectors);
		return ATA_ERR_RANGE;
	}
	return ATA_OK;
}

enum ata_result ata_read(uint64_t lba, unsigned count, void *buf)
{
	uint8_t *p = buf;
	enum ata_result r = ata_check(lba, count, "read");

	if (r != ATA_OK)
		return r;
	ata_select(lba, count);
	outb(ata_port(ATA_REG_STATUS), ATA_CMD_READ_SECTORS);
	for (unsigned s = 0; s < count; s++) {
		r = ata_wait(ATA_SR_DRQ, "READ SECTORS", lba + s);
		if (r != ATA_OK)
			return r;
		/* Byte stores: the buffer may have any alignment. */
		for (unsigned i = 0; i < ATA_SECTOR_SIZE; i += 2) {
			uint16_t w = ata_inw(ata_port(ATA_REG_DATA));
			p[i] = (uint8_t)w;
			p[i + 1] = (uint8_t)(w >> 8);
		}
		p += ATA_SECTOR_SIZE;
	}
	/* The drive drops DRQ after the last word; ERR now would mean the
	 * transfer went wrong at the end. */
	return ata_wait(ATA_SR_DRDY, "READ SECTORS (end)", lba + count - 1);
}

enum ata_result ata_write(uint64_t lba, unsigned count, const void *buf)
{
	const uint8_t *p = buf;
	enum ata_result r = ata_check(lba, count, "write");

	if (r != ATA_OK)
		return r;
	ata_select(lba, count);
	outb(ata_port(ATA_REG_STATUS), ATA_CMD_WRITE_SECTORS);
	for (unsigned s = 0; s < count; s++) {
		r = ata_wait(ATA_SR_DRQ, "WRITE SECTORS", lba + s);
		if (r != ATA_OK)
			return r;
		for (unsigned i = 0; i < ATA_SECTOR_SIZE; i += 2)
			outw(ata_port(ATA_REG_DATA), (uint16_t)(p[i] | (p[i + 1] << 8)));
		p += ATA_SECTOR_SIZE;
	}
	r = ata_wait(ATA_SR_DRDY, "WRITE SECTORS (end)", lba + count - 1);
	if (r != ATA_OK)
		return r;
	/* Written means on the medium, not in a drive cache. */
	outb(ata_port(ATA_REG_STATUS), ATA_CMD_FLUSH_CACHE);
	return ata_wait(ATA_SR_DRDY, "FLUSH CACHE", lba);
}
