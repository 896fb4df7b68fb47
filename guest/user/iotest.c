/* iotest.c — the storage workload: writes a deterministic pattern to the
 * disk through the disk system call, reads it back and compares byte for
 * byte; one line of result, exit status 0 (verified) or 1.
 * Guest ring 3, freestanding; lives in the user region (ulib.h markers).
 * Runs in a child partition (HVSIM_BOOT_FLAG_IO_WORKLOAD), where its disk
 * is the ATA drive the parent's worker emulates: every word it moves is an
 * I/O intercept round trip. */
#include "ulib.h"

/* One request moves 8 sectors (4 KiB) through a buffer on the user stack
 * (16 KiB in all); the data starts at the disk's first sector (any
 * disk has one, so `disk - IOTEST_FIRST_LBA` below cannot wrap). */
#define IOTEST_CHUNK_SECTORS 8u
#define IOTEST_CHUNK_BYTES   (IOTEST_CHUNK_SECTORS * ATA_SECTOR_SIZE)
#define IOTEST_FIRST_LBA     0u
#define IOTEST_SECTORS_PER_KIB (1024u / ATA_SECTOR_SIZE)

/* The pattern: the byte at disk offset i (from IOTEST_FIRST_LBA) is
 * (i * 7 + i / 512 + 0x5A) mod 256. Neighbouring bytes differ (a swapped
 * or dropped byte shows), and so do neighbouring sectors (a sector written
 * to the wrong LBA shows). tests/sim/test-io.c checks the same formula. */
#define IOTEST_PATTERN_STEP   7u
#define IOTEST_PATTERN_OFFSET 0x5Au

UINLINE uint8_t iotest_byte(uint64_t offset)
{
	return (uint8_t)(offset * IOTEST_PATTERN_STEP + offset / ATA_SECTOR_SIZE + IOTEST_PATTERN_OFFSET);
}

UTEXT static noreturn void iotest_failed(struct uline *l)
{
	uline_char(l, '\n');
	uwrite(l->buf, l->len);
	uexit(1);
}

/* "iotest: FAILED: <what> (result 0x...)" for a refused system call. */
UTEXT static noreturn void iotest_call_failed(const char *what, uint64_t lba, uint64_t result)
{
	struct uline line;

	line.len = 0;
	uline_str(&line, USTR("iotest: FAILED: "));
	uline_str(&line, what);
	uline_str(&line, USTR(" at LBA "));
	uline_dec(&line, lba);
	uline_str(&line, result == HVSIM_DISK_ERROR_RANGE    ? USTR(": past the end of the disk")
			 : result == HVSIM_DISK_ERROR_DEVICE ? USTR(": the disk failed")
			 : result == HVSIM_DISK_ERROR_ARGUMENT ? USTR(": request refused")
							       : USTR(": short transfer"));
	iotest_failed(&line);
}

UTEXT noreturn void iotest_main(uint64_t kib)
{
	uint8_t buf[IOTEST_CHUNK_BYTES];
	struct uline line; /* not zeroed: see hello.c */
	uint64_t disk = udisk_sectors();
	uint64_t sectors = kib * IOTEST_SECTORS_PER_KIB;

	line.len = 0;
	/* The error values are the top three of the 64-bit range. */
	if (disk >= HVSIM_DISK_ERROR_DEVICE) {
		uline_str(&line, USTR("iotest: FAILED: no disk"));
		iotest_failed(&line);
	}
	/* Divided form: kib * 2 cannot overflow a check. */
	if (kib == 0 || kib > (disk - IOTEST_FIRST_LBA) / IOTEST_SECTORS_PER_KIB) {
		uline_str(&line, USTR("iotest: FAILED: "));
		uline_dec(&line, kib);
		uline_str(&line, USTR(" KiB do not fit on the disk ("));
		uline_dec(&line, disk / IOTEST_SECTORS_PER_KIB);
		uline_str(&line, USTR(" KiB)"));
		iotest_failed(&line);
	}

	/* Write the whole run, chunk by chunk... */
	for (uint64_t done = 0; done < sectors; done += IOTEST_CHUNK_SECTORS) {
		uint32_t n = sectors - done < IOTEST_CHUNK_SECTORS ? (uint32_t)(sectors - done)
								     : IOTEST_CHUNK_SECTORS;
		uint64_t base = done * ATA_SECTOR_SIZE;
		uint64_t got;

		for (uint32_t i = 0; i < n * ATA_SECTOR_SIZE; i++)
			buf[i] = iotest_byte(base + i);
		got = udisk(HVSIM_DISK_WRITE, IOTEST_FIRST_LBA + done, buf, n);
		if (got != n)
			iotest_call_failed(USTR("write"), IOTEST_FIRST_LBA + done, got);
	}
	/* ...then read it back into a cleared buffer (so a read that moved
	 * nothing cannot pass) and compare. */
	for (uint64_t done = 0; done < sectors; done += IOTEST_CHUNK_SECTORS) {
		uint32_t n = sectors - done < IOTEST_CHUNK_SECTORS ? (uint32_t)(sectors - done)
								     : IOTEST_CHUNK_SECTORS;
		uint64_t base = done * ATA_SECTOR_SIZE;
		uint64_t got;

		uzero(buf, sizeof(buf));
		got = udisk(HVSIM_DISK_READ, IOTEST_FIRST_LBA + done, buf, n);
		if (got != n)
			iotest_call_failed(USTR("read"), IOTEST_FIRST_LBA + done, got);
		for (uint32_t i = 0; i < n * ATA_SECTOR_SIZE; i++) {
			if (buf[i] == iotest_byte(base + i))
				continue;
			uline_str(&line, USTR("iotest: FAILED: byte "));
			uline_dec(&line, base + i);
			uline_str(&line, USTR(" (LBA "));
			uline_dec(&line, IOTEST_FIRST_LBA + (base + i) / ATA_SECTOR_SIZE);
			uline_str(&line, USTR(") reads "));
			uline_hex(&line, buf[i]);
			uline_str(&line, USTR(", wrote "));
			uline_hex(&line, iotest_byte(base + i));
			iotest_failed(&line);
		}
	}
	uline_str(&line, USTR("iotest: wrote "));
	uline_dec(&line, kib);
	uline_str(&line, USTR(" KiB, read back "));
	uline_dec(&line, kib);
	uline_str(&line, USTR(" KiB, verified OK\n"));
	uwrite(line.buf, line.len);
	uexit(0);
}
