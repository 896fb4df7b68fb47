/* ata.h — the mini kernel's disk driver: ATA PIO on the primary IDE
 * channel, LBA28, polled. Guest ring 0, freestanding. */
#ifndef GUEST_KERNEL_ATA_H
#define GUEST_KERNEL_ATA_H

#include "kernel.h"

/* What a driver call can end in. Every failure also prints one kernel
 * line that says what happened (status and error registers, LBA). */
enum ata_result {
	ATA_OK = 0,
	ATA_ERR_NO_DISK,  /* nothing answers at HVSIM_PORT_ATA, or not an ATA disk */
	ATA_ERR_ARGUMENT, /* sector count outside 1..HVSIM_DISK_SECTORS_MAX */
	ATA_ERR_RANGE,    /* sectors past the end of the disk (or of LBA28) */
	ATA_ERR_DEVICE,   /* the drive set ERR or DF */
	ATA_ERR_TIMEOUT,  /* BSY or no DRQ for too long */
};

/* Finds the disk (IDENTIFY DEVICE) on first use; later calls return the
 * first answer. */
enum ata_result ata_probe(void);
/* The disk's size in sectors (0 before a successful probe). */
uint64_t ata_sectors(void);
/* Move `count` (1..HVSIM_DISK_SECTORS_MAX) sectors from LBA `lba`: one
 * READ/WRITE SECTORS command. `buf` holds count * ATA_SECTOR_SIZE bytes,
 * any alignment. A write is followed by FLUSH CACHE. */
enum ata_result ata_read(uint64_t lba, unsigned count, void *buf);
enum ata_result ata_write(uint64_t lba, unsigned count, const void *buf);
const char *ata_result_name(enum ata_result r);

#endif /* GUEST_KERNEL_ATA_H */
