/* storvsc.h — the child's storage VSC: a disk on the parent's storage
 * channel (vstor protocol, facts §7.4), used by the disk system call when
 * the child runs with HVSIM_BOOT_FLAG_IO_SYNTHETIC. Guest ring 0,
 * freestanding; child partitions only. */
#ifndef GUEST_KERNEL_STORVSC_H
#define GUEST_KERNEL_STORVSC_H

#include "ata.h"
#include "vmbus-client.h"

/* The initialization handshake on the open channel `ch` (BEGIN,
 * QUERY_PROTOCOL_VERSION, QUERY_PROPERTIES, END, each completed). One
 * line; false if any step failed. */
bool storvsc_start(struct vmbus_client_channel *ch);

/* The disk as the ATA driver offers it (same results, so the disk system
 * call maps both alike): sectors (READ CAPACITY(10) on first use, as the
 * ATA driver probes with IDENTIFY; 0 when there is no synthetic disk), and
 * 1..HVSIM_DISK_SECTORS_MAX sectors moved by one EXECUTE_SRB whose buffer
 * is described by its pages (GPA direct). IF = 0 on entry and exit. */
uint64_t storvsc_sectors(void);
enum ata_result storvsc_read(uint64_t lba, unsigned count, void *buf);
enum ata_result storvsc_write(uint64_t lba, unsigned count, const void *buf);

/* HVSIM_BOOT_FLAG_STORVSC_HOSTILE: three requests the parent must refuse
 * (a data page outside our RAM, an LBA outside our disk, an unknown vstor
 * operation); one line each with the answer. */
void storvsc_hostile(void);

#endif /* GUEST_KERNEL_STORVSC_H */
