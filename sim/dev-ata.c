/* dev-ata.c — the platform disk: one ATA drive on the primary IDE channel,
 * LBA28, PIO transfers (the ATA command block every PC had at 0x1F0).
 * Sim thread. Port offsets and bits are in hvsim-platform.h.
 *
 * Modelled: IDENTIFY DEVICE (words 0, 10-19 serial, 23-26 firmware, 27-46
 * model, 49 LBA supported, 60-61 LBA28 sector count), READ SECTORS, WRITE
 * SECTORS and FLUSH CACHE, with the status register's BSY/DRDY/DRQ/ERR and
 * the error register's ABRT/IDNF. Commands complete at once (never BSY);
 * no interrupts (nIEN is the only device-control bit that exists here, and
 * it is ignored), no DMA, no LBA48, no slave drive (selecting it reads 0).
 *
 * Everything a guest writes is hostile: an LBA or a sector run past the
 * end of the disk is IDNF, an unknown command ABRT, a data-port access with
 * no transfer in progress reads 0 or is ignored. The disk is host memory
 * (SimConfig.disk_size bytes, zero-filled), not a file. */
#include <string.h>

#include "hvsim-platform.h"
#include "sim-private.h"

typedef struct AtaState {
	guint8 *disk;
	uint64_t sectors;
	uint8_t features, count, lba[3], device, status, error;
	/* A PIO transfer in progress: the sector buffer, the position in it,
	 * the sectors left (including the buffered one) and the next LBA. */
	guint8 buf[ATA_SECTOR_SIZE];
	unsigned pos;
	unsigned left;
	uint64_t next_lba;
	bool writing;
	bool identify;
} AtaState;

static uint64_t cur_lba(const AtaState *s)
{
	return ((uint64_t)(s->device & 0x0F) << 24) | ((uint64_t)s->lba[2] << 16) | ((uint64_t)s->lba[1] << 8) |
	       s->lba[0];
}

static void ata_fail(AtaState *s, uint8_t error)
{
	s->error = error;
	s->status = ATA_SR_DRDY | ATA_SR_ERR;
	s->left = 0;
	s->pos = 0;
}

static void ata_note(SimDevice *dev, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void ata_note(SimDevice *dev, const char *fmt, ...)
{
	SimVp *vp = dev->partition->vps->len ? g_ptr_array_index(dev->partition->vps, 0) : NULL;
	if (!vp)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	sim_vp_message(vp, "disk: %s", text);
	g_free(text);
}

/* Loads the next sector to read into the buffer. */
static void load_sector(AtaState *s)
{
	memcpy(s->buf, s->disk + s->next_lba * ATA_SECTOR_SIZE, ATA_SECTOR_SIZE);
	s->pos = 0;
	s->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
}

static void put_string(guint8 *words, unsigned first_word, unsigned n_words, const char *text)
{
	/* ATA strings: two characters per word, the first in the high byte,
	 * padded with spaces. */
	size_t len = strlen(text);
	for (unsigned i = 0; i < n_words * 2; i++) {
		char c = i < len ? text[i] : ' ';
		words[first_word * 2 + (i ^ 1)] = (guint8)c;
	}
}

static void identify(AtaState *s)
{
	uint16_t w[256];
	memset(w, 0, sizeof w);
	w[0] = 0x0040;                     /* fixed device, ATA */
	w[49] = 1u << 9;                   /* LBA supported */
	w[60] = (uint16_t)(s->sectors & 0xFFFF);
	w[61] = (uint16_t)(s->sectors >> 16);
	memcpy(s->buf, w, sizeof w);
	put_string(s->buf, 10, 10, "HVSIM0001");
	put_string(s->buf, 23, 4, "1.0");
	put_string(s->buf, 27, 20, "hvsim platform disk");
	s->pos = 0;
	s->left = 1;
	s->writing = false;
	s->identify = true;
	s->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
}

static void command(SimDevice *dev, AtaState *s, uint8_t cmd)
{
	s->error = 0;
	s->identify = false;
	if (s->device & ATA_DEV_SLAVE) {
		ata_fail(s, ATA_ER_ABRT); /* no slave: nothing answers */
		return;
	}
	unsigned count = s->count ? s->count : 256;
	uint64_t lba = cur_lba(s);
	switch (cmd) {
	case ATA_CMD_IDENTIFY:
		identify(s);
		return;
	case ATA_CMD_FLUSH_CACHE:
		s->status = ATA_SR_DRDY | ATA_SR_DSC;
		return;
	case ATA_CMD_READ_SECTORS:
	case ATA_CMD_WRITE_SECTORS:
		if (!(s->device & ATA_DEV_LBA) || lba >= s->sectors || count > s->sectors - lba) {
			ata_note(dev, "%s of %u sector%s at LBA %" G_GUINT64_FORMAT " refused: %s (the disk has %" G_GUINT64_FORMAT " sectors)",
			         cmd == ATA_CMD_READ_SECTORS ? "read" : "write", count, count == 1 ? "" : "s", lba,
			         (s->device & ATA_DEV_LBA) ? "past the end of the disk" : "CHS addressing is not modelled",
			         s->sectors);
			ata_fail(s, ATA_ER_IDNF);
			return;
		}
		s->next_lba = lba;
		s->left = count;
		s->writing = cmd == ATA_CMD_WRITE_SECTORS;
		if (s->writing) {
			s->pos = 0;
			s->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
		} else {
			load_sector(s);
		}
		return;
	default:
		ata_note(dev, "unknown command 0x%02x aborted", cmd);
		ata_fail(s, ATA_ER_ABRT);
		return;
	}
}

/* One 16-bit word through the data port. */
static uint16_t data_in(AtaState *s)
{
	if (!(s->status & ATA_SR_DRQ) || s->writing || !s->left)
		return 0;
	uint16_t v = (uint16_t)(s->buf[s->pos] | (s->buf[s->pos + 1] << 8));
	s->pos += 2;
	if (s->pos == ATA_SECTOR_SIZE) {
		s->left--;
		if (s->identify || !s->left) {
			s->left = 0;
			s->identify = false;
			s->status = ATA_SR_DRDY | ATA_SR_DSC;
		} else {
			s->next_lba++;
			load_sector(s);
		}
	}
	return v;
}

static void data_out(AtaState *s, uint16_t v)
{
	if (!(s->status & ATA_SR_DRQ) || !s->writing || !s->left)
		return;
	s->buf[s->pos] = (guint8)v;
	s->buf[s->pos + 1] = (guint8)(v >> 8);
	s->pos += 2;
	if (s->pos == ATA_SECTOR_SIZE) {
		memcpy(s->disk + s->next_lba * ATA_SECTOR_SIZE, s->buf, ATA_SECTOR_SIZE);
		s->next_lba++;
		s->pos = 0;
		if (--s->left == 0)
			s->status = ATA_SR_DRDY | ATA_SR_DSC;
	}
}

static uint32_t ata_read(SimDevice *dev, uint16_t offset, unsigned size)
{
	AtaState *s = dev->state;
	if (dev->port_first == HVSIM_PORT_ATA_CTRL)   /* alternate status */
		return (s->device & ATA_DEV_SLAVE) ? 0 : s->status;
	switch (offset) {
	case ATA_REG_DATA:
		if (size == 4)
			return data_in(s) | ((uint32_t)data_in(s) << 16);
		return data_in(s);
	case ATA_REG_ERROR: return s->error;
	case ATA_REG_COUNT: return s->count;
	case ATA_REG_LBA0: case ATA_REG_LBA1: case ATA_REG_LBA2: return s->lba[offset - ATA_REG_LBA0];
	case ATA_REG_DEVICE: return s->device | 0xA0;
	case ATA_REG_STATUS: return (s->device & ATA_DEV_SLAVE) ? 0 : s->status;
	default: return 0xFF;
	}
}

static void ata_write(SimDevice *dev, uint16_t offset, unsigned size, uint32_t value)
{
	AtaState *s = dev->state;
	if (dev->port_first == HVSIM_PORT_ATA_CTRL)
		return; /* device control: nIEN and SRST are not modelled */
	switch (offset) {
	case ATA_REG_DATA:
		data_out(s, (uint16_t)value);
		if (size == 4)
			data_out(s, (uint16_t)(value >> 16));
		return;
	case ATA_REG_ERROR: s->features = (uint8_t)value; return;
	case ATA_REG_COUNT: s->count = (uint8_t)value; return;
	case ATA_REG_LBA0: case ATA_REG_LBA1: case ATA_REG_LBA2: s->lba[offset - ATA_REG_LBA0] = (uint8_t)value; return;
	case ATA_REG_DEVICE: s->device = (uint8_t)value & (ATA_DEV_LBA | ATA_DEV_SLAVE | 0x0F); return;
	case ATA_REG_STATUS: command(dev, s, (uint8_t)value); return;
	default: return;
	}
}

static void ata_free(SimDevice *dev)
{
	AtaState *s = dev->state;
	if (dev->port_first == HVSIM_PORT_ATA_CTRL)
		return; /* the state belongs to the command block */
	g_free(s->disk);
	g_free(s);
}

static const SimDeviceOps ata_ops = {
	.name = "ata",
	.io_read = ata_read,
	.io_write = ata_write,
	.free = ata_free,
};

void sim_ata_new(SimPartition *p, uint64_t disk_bytes, SimDevice **cmd, SimDevice **ctrl)
{
	AtaState *s = g_new0(AtaState, 1);
	s->sectors = disk_bytes / ATA_SECTOR_SIZE;
	s->disk = g_malloc0(s->sectors * ATA_SECTOR_SIZE);
	s->status = ATA_SR_DRDY | ATA_SR_DSC;
	s->device = ATA_DEV_LBA;
	*cmd = g_new0(SimDevice, 1);
	(*cmd)->ops = &ata_ops;
	(*cmd)->partition = p;
	(*cmd)->port_first = HVSIM_PORT_ATA;
	(*cmd)->port_last = HVSIM_PORT_ATA_LAST;
	(*cmd)->state = s;
	*ctrl = g_new0(SimDevice, 1);
	(*ctrl)->ops = &ata_ops;
	(*ctrl)->partition = p;
	(*ctrl)->port_first = HVSIM_PORT_ATA_CTRL;
	(*ctrl)->port_last = HVSIM_PORT_ATA_CTRL;
	(*ctrl)->state = s;
}

const guint8 *sim_ata_disk(SimDevice *cmd, uint64_t *bytes)
{
	AtaState *s = cmd->state;
	*bytes = s->sectors * ATA_SECTOR_SIZE;
	return s->disk;
}
