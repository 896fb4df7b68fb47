/* vmwp.c — the worker process: the ring 3 half of the host side of a
 * virtual machine (Hyper-V's vmwp.exe). It builds a child partition through
 * the VID library and driver, loads the child's OS into it, starts its VP,
 * emulates the devices the child touches (a 16550 UART, the power register
 * and, for an I/O workload, an ATA disk) and takes the partition down again
 * when the child ends.
 * Guest ring 3, freestanding; lives in the user region (ulib.h markers).
 * Runs only in the parent of a late launch that may create partitions.
 *
 * The worker is the VMM, not the hypervisor: it never sees the child run.
 * The hypervisor runs the child's VP until it does something the worker
 * asked to see (InstallIntercept: here port I/O), suspends the VP and sends
 * the worker a message; the worker emulates the instruction and resumes
 * the VP with the results (SetVpRegisters). Everything that comes from the
 * child or its image is hostile input: a VMM bug must cost one VM only. */
#include "uelf.h"
#include "vidlib.h"
#include "vmbus-proto.h"
#include "x86.h"

/* The child's machine. Its RAM is at least 4 MiB, and grows in the 2 MiB
 * steps of the boot page tables to hold the whole image (our own kernel
 * needs a little more: its ring 3 region starts at 4 MiB). */
#define VMWP_CHILD_RAM_MIN   (4ull << 20)
#define VMWP_CHILD_VP        0u
#define VMWP_CHILD_WORKLOAD  2000u   /* hello's loop in the child: short */
/* iotest's KiB in the child (HVSIM_BOOT_FLAG_IO_WORKLOAD): each KiB
 * written and read back is over a thousand intercepts. */
#define VMWP_CHILD_IO_KIB    4u
#define VMWP_CHILD_IO_KIB_MAX 256u   /* the child's disk region: 512 sectors */
#define VMWP_SEGMENTS_MAX    16u     /* PT_LOAD segments we accept */
#define VMWP_PHNUM_MAX       64u     /* program headers we look at */
#define VMWP_CHILD_LINE_MAX  96u     /* one line of the child's console */
/* The boot GDT: null, 64-bit code (0x08), data (0x10), as the hvsim loader
 * builds it (sim/sim-machine.c build_boot_area). */
#define VMWP_GDT_ENTRIES     3u
#define VMWP_DESC_LIMIT_MAX  0xFFFFFull /* 20-bit limit, in 4 KiB units with G */
#define VMWP_IO_SIZE_MAX     4u
#define VMWP_INSN_LENGTH_MASK 0xFu   /* intercept header: 3:0 instruction length */
/* A child that never stops doing I/O (a bug, or hostile) must not keep its
 * worker busy for ever: past this many intercepts it is stopped. Our
 * kernel needs about 600, plus about 1030 per KiB its iotest moves. */
#define VMWP_INTERCEPTS_MAX  100000u

/* How the message loop goes on after one message. */
enum vmwp_next { VMWP_CONTINUE, VMWP_STOP, VMWP_FAIL };

struct vmwp_segment {
	uint64_t offset, paddr, filesz, memsz;
};

/* The child's ATA drive: the registers of the primary channel's command
 * block (master only), with the semantics of the platform disk
 * (sim/dev-ata.c). Its sectors are the parent's: child LBA n is the
 * parent's LBA base + n, reached through the disk system call, so the
 * child's data really lands on the parent's disk. */
struct vmwp_ata {
	bool present;                /* the child has a disk at all */
	uint64_t base, sectors;      /* the parent's first LBA, the child's size */
	/* 8-bit registers, kept in 32-bit fields: GCC merges stores to
	 * neighbouring bytes into one 16-bit store and, to avoid the slow
	 * `movw $imm16` encoding, loads the constant from the kernel's
	 * .rodata, which ring 3 cannot read (#PF). */
	uint32_t features, count, lba[3], device, status, error, control;
	/* A PIO transfer in progress: the sector buffer, the position in it,
	 * the sectors left (including the buffered one) and the child LBA of
	 * the buffered sector. */
	uint8_t buf[ATA_SECTOR_SIZE];
	unsigned pos, left;
	uint64_t next_lba;
	uint32_t writing, identify; /* booleans, 32 bits wide for the same reason */
	/* Totals for the last line. */
	uint64_t sectors_read, sectors_written, commands;
};

/* The one VM this worker runs. */
struct vmwp_child {
	uint64_t id;
	uint64_t io_kib;          /* the child's iotest size (the parent's --workload, bounded) */
	/* The image, as the driver lent it (read-only) and as validated. */
	struct hvsim_vid_image image;
	const uint8_t *img;
	uint64_t entry;
	struct vmwp_segment seg[VMWP_SEGMENTS_MAX];
	unsigned segments;
	uint64_t highest;
	/* The child's RAM: GPA 0 is ram[0] for the worker. */
	uint64_t ram_size;
	uint8_t *ram;
	/* Device state and the outcome. */
	uint8_t uart_scratch;
	struct vmwp_ata ata;
	char line[VMWP_CHILD_LINE_MAX];
	size_t line_len;
	uint64_t intercepts;
	bool powered_off, crashed;
};

/* ---- Output ------------------------------------------------------------------- */

UTEXT static void vmwp_line_start(struct uline *l)
{
	l->len = 0;
	uline_str(l, USTR("vmwp: "));
}

UTEXT static void vmwp_line_end(struct uline *l)
{
	/* A line that filled the buffer still ends with its newline. */
	if (l->len == sizeof(l->buf))
		l->len--;
	uline_char(l, '\n');
	uwrite(l->buf, l->len);
}

/* Hex without leading zeros (uline_hex prints all 16 digits). */
UTEXT static void vmwp_hex(struct uline *l, uint64_t v)
{
	int shift = 60;

	uline_str(l, USTR("0x"));
	while (shift > 0 && ((v >> shift) & 0xF) == 0)
		shift -= 4;
	for (; shift >= 0; shift -= 4) {
		unsigned d = (v >> shift) & 0xF;
		uline_char(l, (char)(d < 10 ? '0' + d : 'a' + d - 10));
	}
}

/* "vmwp: <what>(<id>): status 0x0000\n"; `id` is printed unless 0. Returns
 * whether the status was HV_STATUS_SUCCESS. */
UTEXT static bool vmwp_report(const char *what, uint64_t id, int32_t status)
{
	struct uline line; /* not zeroed: see hello.c */

	vmwp_line_start(&line);
	uline_str(&line, what);
	if (id) {
		uline_char(&line, '(');
		uline_dec(&line, id);
		uline_char(&line, ')');
	}
	if (status == VID_REFUSED) {
		uline_str(&line, USTR(": refused by the VID driver"));
	} else {
		uline_str(&line, USTR(": status 0x"));
		for (int shift = 12; shift >= 0; shift -= 4) {
			unsigned d = ((unsigned)status >> shift) & 0xF;
			uline_char(&line, (char)(d < 10 ? '0' + d : 'a' + d - 10));
		}
		uline_str(&line, status == HV_STATUS_SUCCESS ? USTR(" SUCCESS") : USTR(" (failed)"));
	}
	vmwp_line_end(&line);
	return status == HV_STATUS_SUCCESS;
}

/* "vmwp: <what>: <why>" for a failure that is not a status. */
UTEXT static bool vmwp_fail(const char *what, const char *why)
{
	struct uline line;

	vmwp_line_start(&line);
	uline_str(&line, what);
	uline_str(&line, USTR(": "));
	uline_str(&line, why);
	vmwp_line_end(&line);
	return false;
}

/* ---- The image: an ELF file from the "disk", hostile until checked ------------- */

/* Checks the image and keeps a validated copy of what loading needs (entry,
 * PT_LOAD segments); loading then never reads a header from the image
 * again. Returns NULL or what is wrong. Every sum is checked against
 * overflow in its subtracted form (a <= size - b instead of a + b <= size). */
UTEXT static const char *vmwp_check_elf(struct vmwp_child *c)
{
	struct elf64_ehdr eh;
	struct elf64_phdr ph;
	uint64_t size = c->image.size;
	bool entry_ok = false;

	if (size < sizeof(eh))
		return USTR("shorter than an ELF header");
	ucopy(&eh, c->img, sizeof(eh));
	if (eh.e_ident[0] != ELF_MAG0 || eh.e_ident[1] != ELF_MAG1 || eh.e_ident[2] != ELF_MAG2 ||
	    eh.e_ident[3] != ELF_MAG3)
		return USTR("no ELF magic (7f 45 4c 46)");
	if (eh.e_ident[ELF_EI_CLASS] != ELF_CLASS64 || eh.e_ident[ELF_EI_DATA] != ELF_DATA2LSB)
		return USTR("not a little-endian ELF-64 file");
	if (eh.e_machine != ELF_EM_X86_64)
		return USTR("not built for x86-64");
	if (eh.e_type != ELF_ET_EXEC)
		return USTR("not an executable (ET_EXEC)");
	if (eh.e_phentsize != sizeof(ph))
		return USTR("program header size is not 56 bytes");
	if (eh.e_phnum == 0 || eh.e_phnum > VMWP_PHNUM_MAX)
		return USTR("no program headers, or too many");
	if (eh.e_phoff > size || (uint64_t)eh.e_phnum * sizeof(ph) > size - eh.e_phoff)
		return USTR("program headers lie outside the image");

	c->segments = 0;
	c->highest = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		ucopy(&ph, c->img + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != ELF_PT_LOAD || ph.p_memsz == 0)
			continue;
		if (c->segments == VMWP_SEGMENTS_MAX)
			return USTR("too many PT_LOAD segments");
		if (ph.p_offset > size || ph.p_filesz > size - ph.p_offset)
			return USTR("a PT_LOAD segment's bytes lie outside the image");
		if (ph.p_filesz > ph.p_memsz)
			return USTR("a PT_LOAD segment has more file bytes than memory bytes");
		if (ph.p_paddr != ph.p_vaddr)
			return USTR("a PT_LOAD segment is not identity-mapped (paddr != vaddr)");
		/* The child's RAM is at most HVSIM_VID_MEMORY_MAX; the final
		 * size is chosen to hold the highest segment. */
		if (ph.p_paddr < HVSIM_IMAGE_MIN_GPA || ph.p_paddr > HVSIM_VID_MEMORY_MAX ||
		    ph.p_memsz > HVSIM_VID_MEMORY_MAX - ph.p_paddr)
			return USTR("a PT_LOAD segment lies outside [0x10000, the child's RAM)");
		if (eh.e_entry >= ph.p_paddr && eh.e_entry - ph.p_paddr < ph.p_memsz)
			entry_ok = true;
		c->seg[c->segments].offset = ph.p_offset;
		c->seg[c->segments].paddr = ph.p_paddr;
		c->seg[c->segments].filesz = ph.p_filesz;
		c->seg[c->segments].memsz = ph.p_memsz;
		c->segments++;
		if (ph.p_paddr + ph.p_memsz > c->highest)
			c->highest = ph.p_paddr + ph.p_memsz;
	}
	if (c->segments == 0)
		return USTR("no PT_LOAD segment");
	if (!entry_ok)
		return USTR("the entry point lies in no PT_LOAD segment");
	c->entry = eh.e_entry;
	/* HVSIM_VID_MEMORY_MAX is a multiple of 2 MiB, so rounding up stays
	 * within it. */
	c->ram_size = (c->highest + PD_PAGE_SIZE - 1) & ~(PD_PAGE_SIZE - 1);
	if (c->ram_size < VMWP_CHILD_RAM_MIN)
		c->ram_size = VMWP_CHILD_RAM_MIN;
	return 0;
}

/* Copies the segments into the child's RAM; the part of each beyond its
 * file bytes (.bss) is zeroed. */
UTEXT static void vmwp_load_segments(struct vmwp_child *c)
{
	for (unsigned i = 0; i < c->segments; i++) {
		const struct vmwp_segment *s = &c->seg[i];

		ucopy(c->ram + s->paddr, c->img + s->offset, s->filesz);
		uzero(c->ram + s->paddr + s->filesz, s->memsz - s->filesz);
	}
}

/* ---- The boot area: what the hvsim loader builds for a partition it boots
 * (sim/sim-machine.c build_boot_area), built by the worker for its child ---- */

UTEXT static uint64_t vmwp_segment_descriptor(uint64_t access, uint64_t flags)
{
	/* Base 0, limit 0xFFFFF in 4 KiB units (G): flat. In 64-bit mode only
	 * the access byte and L/D matter, but the loader's values are full. */
	return ((VMWP_DESC_LIMIT_MAX & 0xFFFF) << DESC_LIMIT_LOW_SHIFT) |
	       ((VMWP_DESC_LIMIT_MAX >> 16) << DESC_LIMIT_HIGH_SHIFT) |
	       (access << DESC_ACCESS_SHIFT) | (flags << DESC_FLAGS_SHIFT);
}

UTEXT static void vmwp_build_boot_area(struct vmwp_child *c, uint32_t child_flags)
{
	uint64_t *gdt = (uint64_t *)(c->ram + HVSIM_BOOT_GDT_GPA);
	uint64_t *pml4 = (uint64_t *)(c->ram + HVSIM_BOOT_PML4_GPA);
	uint64_t *pdpt = (uint64_t *)(c->ram + HVSIM_BOOT_PDPT_GPA);
	uint64_t *pd = (uint64_t *)(c->ram + HVSIM_BOOT_PD_GPA);
	struct hvsim_boot_info *bi = (struct hvsim_boot_info *)(c->ram + HVSIM_BOOT_INFO_GPA);
	const char *cmdline = USTR("child");

	/* GDT: 0x08 64-bit code, DPL 0 (0x00AF9A000000FFFF); 0x10 data, DPL 0,
	 * writable (0x00CF92000000FFFF). */
	gdt[0] = 0;
	gdt[HVSIM_BOOT_SEL_CODE64 >> 3] =
		vmwp_segment_descriptor(DESC_P | DESC_S | DESC_CODE | DESC_RW, DESC_FLAG_G | DESC_FLAG_L);
	gdt[HVSIM_BOOT_SEL_DATA >> 3] =
		vmwp_segment_descriptor(DESC_P | DESC_S | DESC_RW, DESC_FLAG_G | DESC_FLAG_DB);

	/* Page tables: PML4[0] -> PDPT[0] -> one PD of 2 MiB pages identity-
	 * mapping the child's RAM, supervisor read/write. The child's kernel
	 * replaces them with its own at once; they only have to get it there. */
	pml4[0] = HVSIM_BOOT_PDPT_GPA | PTE_P | PTE_W;
	pdpt[0] = HVSIM_BOOT_PD_GPA | PTE_P | PTE_W;
	for (uint64_t i = 0; i * PD_PAGE_SIZE < c->ram_size; i++)
		pd[i] = (i * PD_PAGE_SIZE) | PTE_P | PTE_W | PTE_PS;

	/* Boot info. The RAM came zeroed from the driver: reserved fields and
	 * the rest of the command line are 0. */
	bi->magic = HVSIM_BOOT_MAGIC;
	bi->version = HVSIM_BOOT_VERSION;
	/* Quiet: every byte the child prints is an intercept round trip. The
	 * flags the loader asked to pass on (e.g. a deliberate triple fault)
	 * are added; the worker decides only that this is a child. */
	bi->flags = HVSIM_BOOT_FLAG_CHILD | HVSIM_BOOT_FLAG_QUIET |
		    (child_flags & ~(uint32_t)HVSIM_BOOT_FLAG_LATE_LAUNCH);
	bi->memory_size = c->ram_size;
	bi->image_start = c->seg[0].paddr;
	bi->image_end = c->highest;
	for (unsigned i = 1; i < c->segments; i++)
		if (c->seg[i].paddr < bi->image_start)
			bi->image_start = c->seg[i].paddr;
	bi->workload = (child_flags & HVSIM_BOOT_FLAG_IO_WORKLOAD) ? c->io_kib : VMWP_CHILD_WORKLOAD;
	bi->hypercall_loops = 0;
	bi->partition_id = (uint32_t)c->id;
	bi->vp_index = VMWP_CHILD_VP;
	ucopy(bi->cmdline, cmdline, ustrlen(cmdline) + 1);
}

/* ---- The child's disk: an ATA drive, emulated one port access at a time ---------
 * Every IN and OUT the child's driver makes to 0x1F0-0x1F7 or 0x3F6 lands
 * here as one intercept message: a sector is 256 of them on the data port.
 * The registers behave like the platform disk's (sim/dev-ata.c); the
 * sectors are the parent's own, read and written through the disk system
 * call. The child chooses every register value: an LBA, a count or a run
 * outside its disk is IDNF, an unknown command ABRT, a data access with no
 * transfer in progress reads 0 or is ignored. */

/* The drive's strings in IDENTIFY DEVICE (words 10-19, 23-26, 27-46). */
#define VMWP_ATA_ID_SERIAL        10u
#define VMWP_ATA_ID_SERIAL_WORDS  10u
#define VMWP_ATA_ID_FIRMWARE      23u
#define VMWP_ATA_ID_FIRMWARE_WORDS 4u
#define VMWP_ATA_ID_MODEL         27u
#define VMWP_ATA_ID_MODEL_WORDS   20u
#define VMWP_ATA_ID_CONFIG_ATA    0x0040u  /* word 0: fixed device, ATA */
#define VMWP_ATA_ID_CAPABILITIES  49u
#define VMWP_ATA_ID_CAP_LBA       (1u << 9)
#define VMWP_ATA_ID_LBA28_LOW     60u
#define VMWP_ATA_ID_LBA28_HIGH    61u
/* Device register bits a write keeps: LBA, drive select, LBA 27:24. The
 * two obsolete bits (7 and 5) always read as 1. */
#define VMWP_ATA_DEV_WRITABLE     (ATA_DEV_LBA | ATA_DEV_SLAVE | 0x0Fu)
#define VMWP_ATA_DEV_OBSOLETE     0xA0u

UTEXT static uint64_t vmwp_ata_lba(const struct vmwp_ata *a)
{
	return ((uint64_t)(a->device & 0x0F) << 24) | ((uint64_t)a->lba[2] << 16) |
	       ((uint64_t)a->lba[1] << 8) | a->lba[0];
}

/* The command failed: ERR in status, `error` in the error register, no
 * transfer. */
UTEXT static void vmwp_ata_fail(struct vmwp_ata *a, uint8_t error)
{
	a->error = error;
	a->status = ATA_SR_DRDY | ATA_SR_ERR;
	a->left = 0;
	a->pos = 0;
}

/* One line about a disk problem: "vmwp: child disk: <what>". */
UTEXT static void vmwp_ata_note(const char *what, uint64_t lba)
{
	struct uline line;

	vmwp_line_start(&line);
	uline_str(&line, USTR("child disk: "));
	uline_str(&line, what);
	uline_str(&line, USTR(" (child LBA "));
	uline_dec(&line, lba);
	uline_char(&line, ')');
	vmwp_line_end(&line);
}

/* The backend: one sector of the parent's disk through the disk system
 * call. The child LBA was checked against the child's size, which the
 * set-up checked against the parent's disk. */
UTEXT static bool vmwp_ata_backend(struct vmwp_ata *a, uint32_t op, uint64_t lba)
{
	if (udisk(op, a->base + lba, a->buf, 1) == 1)
		return true;
	vmwp_ata_note(op == HVSIM_DISK_READ ? USTR("the parent's disk refused a read: ABRT")
					    : USTR("the parent's disk refused a write: ABRT"), lba);
	vmwp_ata_fail(a, ATA_ER_ABRT);
	return false;
}

/* Fetches the next sector of a read into the buffer; DRQ: the child may
 * take its 256 words. */
UTEXT static void vmwp_ata_load(struct vmwp_ata *a)
{
	if (!vmwp_ata_backend(a, HVSIM_DISK_READ, a->next_lba))
		return;
	a->sectors_read++;
	a->pos = 0;
	a->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
}

/* ATA strings: two characters per word, the first in the high byte,
 * padded with spaces. */
UTEXT static void vmwp_ata_id_string(uint8_t *words, unsigned first, unsigned n_words, const char *text)
{
	size_t len = ustrlen(text);

	for (unsigned i = 0; i < n_words * 2; i++)
		words[first * 2 + (i ^ 1)] = (uint8_t)(i < len ? text[i] : ' ');
}

UTEXT static void vmwp_ata_identify(struct vmwp_ata *a)
{
	uzero(a->buf, sizeof(a->buf));
	a->buf[0] = (uint8_t)VMWP_ATA_ID_CONFIG_ATA;
	a->buf[VMWP_ATA_ID_CAPABILITIES * 2 + 1] = (uint8_t)(VMWP_ATA_ID_CAP_LBA >> 8);
	a->buf[VMWP_ATA_ID_LBA28_LOW * 2] = (uint8_t)a->sectors;
	a->buf[VMWP_ATA_ID_LBA28_LOW * 2 + 1] = (uint8_t)(a->sectors >> 8);
	a->buf[VMWP_ATA_ID_LBA28_HIGH * 2] = (uint8_t)(a->sectors >> 16);
	a->buf[VMWP_ATA_ID_LBA28_HIGH * 2 + 1] = (uint8_t)(a->sectors >> 24);
	vmwp_ata_id_string(a->buf, VMWP_ATA_ID_SERIAL, VMWP_ATA_ID_SERIAL_WORDS, USTR("VMWP0001"));
	vmwp_ata_id_string(a->buf, VMWP_ATA_ID_FIRMWARE, VMWP_ATA_ID_FIRMWARE_WORDS, USTR("1.0"));
	vmwp_ata_id_string(a->buf, VMWP_ATA_ID_MODEL, VMWP_ATA_ID_MODEL_WORDS, USTR("vmwp emulated disk"));
	a->pos = 0;
	a->left = 1;
	a->writing = false;
	a->identify = true;
	a->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
}

/* A write to the command register. */
UTEXT static void vmwp_ata_command(struct vmwp_ata *a, uint8_t cmd)
{
	unsigned count = a->count ? a->count : 256;
	uint64_t lba = vmwp_ata_lba(a);

	a->error = 0;
	a->identify = false;
	a->left = 0;
	a->commands++;
	if (a->device & ATA_DEV_SLAVE) {
		vmwp_ata_fail(a, ATA_ER_ABRT); /* no slave: nothing answers */
		return;
	}
	if (cmd == ATA_CMD_IDENTIFY) {
		vmwp_ata_identify(a);
		return;
	}
	if (cmd == ATA_CMD_FLUSH_CACHE) {
		/* Every sector went to the parent's disk when it was complete. */
		a->status = ATA_SR_DRDY | ATA_SR_DSC;
		return;
	}
	if (cmd != ATA_CMD_READ_SECTORS && cmd != ATA_CMD_WRITE_SECTORS) {
		vmwp_ata_note(USTR("unknown command refused: ABRT"), lba);
		vmwp_ata_fail(a, ATA_ER_ABRT);
		return;
	}
	/* Subtracted form: lba + count cannot overflow. */
	if (!(a->device & ATA_DEV_LBA) || lba >= a->sectors || count > a->sectors - lba) {
		vmwp_ata_note((a->device & ATA_DEV_LBA) ? USTR("a run past the end refused: IDNF")
							: USTR("CHS addressing refused: IDNF"), lba);
		vmwp_ata_fail(a, ATA_ER_IDNF);
		return;
	}
	a->next_lba = lba;
	a->left = count;
	a->writing = cmd == ATA_CMD_WRITE_SECTORS;
	if (a->writing) {
		a->pos = 0;
		a->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
	} else {
		vmwp_ata_load(a);
	}
}

/* One 16-bit word from the data register. */
UTEXT static uint16_t vmwp_ata_data_in(struct vmwp_ata *a)
{
	uint16_t v;

	if (!(a->status & ATA_SR_DRQ) || a->writing || !a->left)
		return 0;
	v = (uint16_t)(a->buf[a->pos] | (a->buf[a->pos + 1] << 8));
	a->pos += 2;
	if (a->pos == ATA_SECTOR_SIZE) {
		a->left--;
		if (a->identify || !a->left) {
			a->left = 0;
			a->identify = false;
			a->status = ATA_SR_DRDY | ATA_SR_DSC;
		} else {
			a->next_lba++;
			vmwp_ata_load(a);
		}
	}
	return v;
}

/* One 16-bit word to the data register; a full sector goes to the
 * parent's disk at once. */
UTEXT static void vmwp_ata_data_out(struct vmwp_ata *a, uint16_t v)
{
	if (!(a->status & ATA_SR_DRQ) || !a->writing || !a->left)
		return;
	a->buf[a->pos] = (uint8_t)v;
	a->buf[a->pos + 1] = (uint8_t)(v >> 8);
	a->pos += 2;
	if (a->pos < ATA_SECTOR_SIZE)
		return;
	if (!vmwp_ata_backend(a, HVSIM_DISK_WRITE, a->next_lba))
		return;
	a->sectors_written++;
	a->next_lba++;
	a->pos = 0;
	if (--a->left == 0)
		a->status = ATA_SR_DRDY | ATA_SR_DSC;
}

UTEXT static bool vmwp_ata_port(uint16_t port)
{
	return (port >= HVSIM_PORT_ATA && port <= HVSIM_PORT_ATA_LAST) || port == HVSIM_PORT_ATA_CTRL;
}

/* An IN of `size` bytes: the data register moves one word per 16 bits
 * (two for a 32-bit access), the others are 8-bit registers. (If chains,
 * not switches, here and below: GCC compiles a dense switch into a jump
 * table in the kernel's .rodata, which ring 3 cannot read.) */
UTEXT static uint32_t vmwp_ata_read(struct vmwp_ata *a, uint16_t port, unsigned size)
{
	unsigned reg = port - HVSIM_PORT_ATA;

	/* The alternate status (0x3F6) and the status register: a missing
	 * slave reads 0. */
	if (port == HVSIM_PORT_ATA_CTRL || reg == ATA_REG_STATUS)
		return (a->device & ATA_DEV_SLAVE) ? 0 : a->status;
	if (reg == ATA_REG_DATA) {
		if (size == VMWP_IO_SIZE_MAX)
			return vmwp_ata_data_in(a) | ((uint32_t)vmwp_ata_data_in(a) << 16);
		return vmwp_ata_data_in(a);
	}
	if (reg == ATA_REG_ERROR)
		return a->error;
	if (reg == ATA_REG_COUNT)
		return a->count;
	if (reg >= ATA_REG_LBA0 && reg <= ATA_REG_LBA2)
		return a->lba[reg - ATA_REG_LBA0];
	/* ATA_REG_DEVICE, the last one left. */
	return a->device | VMWP_ATA_DEV_OBSOLETE;
}

UTEXT static void vmwp_ata_write(struct vmwp_ata *a, uint16_t port, unsigned size, uint32_t value)
{
	unsigned reg = port - HVSIM_PORT_ATA;

	if (port == HVSIM_PORT_ATA_CTRL) {
		/* Device control: nIEN and SRST are kept, not modelled (the
		 * drive never interrupts, and commands never stay BSY). */
		a->control = (uint8_t)value;
		return;
	}
	if (reg == ATA_REG_DATA) {
		vmwp_ata_data_out(a, (uint16_t)value);
		if (size == VMWP_IO_SIZE_MAX)
			vmwp_ata_data_out(a, (uint16_t)(value >> 16));
	} else if (reg == ATA_REG_ERROR) {
		a->features = (uint8_t)value;
	} else if (reg == ATA_REG_COUNT) {
		a->count = (uint8_t)value;
	} else if (reg >= ATA_REG_LBA0 && reg <= ATA_REG_LBA2) {
		a->lba[reg - ATA_REG_LBA0] = (uint8_t)value;
	} else if (reg == ATA_REG_DEVICE) {
		a->device = (uint8_t)value & VMWP_ATA_DEV_WRITABLE;
	} else if (reg == ATA_REG_STATUS) {
		vmwp_ata_command(a, (uint8_t)value);
	}
}

/* The child gets a disk only when the loader asked for the I/O workload
 * (so the boot scenario's child is what it always was). Its sectors are
 * a fixed region of the parent's disk, which must exist and be large
 * enough. */
UTEXT static bool vmwp_ata_setup(struct vmwp_child *c)
{
	struct vmwp_ata *a = &c->ata;
	uint64_t parent;
	struct uline line;

	if (!(c->image.child_flags & HVSIM_BOOT_FLAG_IO_WORKLOAD))
		return true;
	parent = udisk_sectors();
	if (parent >= HVSIM_DISK_ERROR_DEVICE)
		return vmwp_fail(USTR("child disk"), USTR("the parent has no disk to lend a region of"));
	if (c->image.child_flags & HVSIM_BOOT_FLAG_IO_SYNTHETIC) {
		/* The synthetic path: no ATA drive, no intercepts; the parent
		 * kernel's storvsp serves the child's storage channel. */
		if (parent < HVSIM_STORVSP_DISK_BASE_LBA ||
		    parent - HVSIM_STORVSP_DISK_BASE_LBA < HVSIM_STORVSP_DISK_SECTORS)
			return vmwp_fail(USTR("child disk"),
					 USTR("the parent's disk is too small for the child's region"));
		vmwp_line_start(&line);
		uline_str(&line, USTR("child disk: "));
		uline_dec(&line, HVSIM_STORVSP_DISK_SECTORS * ATA_SECTOR_SIZE >> 10);
		uline_str(&line, USTR(" KiB synthetic (storvsc, VMBus relid 2) = parent LBA "));
		uline_dec(&line, HVSIM_STORVSP_DISK_BASE_LBA);
		uline_str(&line, USTR(".."));
		uline_dec(&line, HVSIM_STORVSP_DISK_BASE_LBA + HVSIM_STORVSP_DISK_SECTORS - 1);
		vmwp_line_end(&line);
		return true;
	}
	if (parent < HVSIM_VMWP_DISK_BASE_LBA || parent - HVSIM_VMWP_DISK_BASE_LBA < HVSIM_VMWP_DISK_SECTORS)
		return vmwp_fail(USTR("child disk"), USTR("the parent's disk is too small for the child's region"));
	a->present = true;
	a->base = HVSIM_VMWP_DISK_BASE_LBA;
	a->sectors = HVSIM_VMWP_DISK_SECTORS;
	a->status = ATA_SR_DRDY | ATA_SR_DSC;
	a->device = ATA_DEV_LBA;
	vmwp_line_start(&line);
	uline_str(&line, USTR("child disk: "));
	uline_dec(&line, a->sectors * ATA_SECTOR_SIZE >> 10);
	uline_str(&line, USTR(" KiB of emulated ATA (0x1f0-0x1f7, 0x3f6) = parent LBA "));
	uline_dec(&line, a->base);
	uline_str(&line, USTR(".."));
	uline_dec(&line, a->base + a->sectors - 1);
	vmwp_line_end(&line);
	return true;
}

/* ---- Building and starting the child -------------------------------------------- */

UTEXT static bool vmwp_install_intercepts(struct vmwp_child *c)
{
	for (uint32_t port = HVSIM_PORT_COM1; port <= HVSIM_PORT_COM1_LAST; port++) {
		int32_t st = vid_install_intercept(c->id, HV_INTERCEPT_TYPE_X64_IO_PORT,
						   HV_INTERCEPT_ACCESS_MASK_READ |
							   HV_INTERCEPT_ACCESS_MASK_WRITE,
						   port);
		if (st != HV_STATUS_SUCCESS)
			return vmwp_report(USTR("HvCallInstallIntercept (COM1)"), c->id, st);
	}
	uputs(USTR("vmwp: HvCallInstallIntercept x8: ports 0x3f8-0x3ff (COM1) read/write: SUCCESS\n"));
	if (c->ata.present) {
		/* The command block and the control block of the child's disk:
		 * from now on every access is a message to us. */
		for (uint32_t port = HVSIM_PORT_ATA; port <= HVSIM_PORT_ATA_CTRL; port++) {
			int32_t st;

			if (port > HVSIM_PORT_ATA_LAST && port != HVSIM_PORT_ATA_CTRL)
				continue;
			st = vid_install_intercept(c->id, HV_INTERCEPT_TYPE_X64_IO_PORT,
						   HV_INTERCEPT_ACCESS_MASK_READ |
							   HV_INTERCEPT_ACCESS_MASK_WRITE,
						   port);
			if (st != HV_STATUS_SUCCESS)
				return vmwp_report(USTR("HvCallInstallIntercept (ATA)"), c->id, st);
		}
		uputs(USTR("vmwp: HvCallInstallIntercept x9: ports 0x1f0-0x1f7, 0x3f6 (ATA) read/write: SUCCESS\n"));
	}
	return vmwp_report(USTR("HvCallInstallIntercept (port 0x604 write, power)"), c->id,
			   vid_install_intercept(c->id, HV_INTERCEPT_TYPE_X64_IO_PORT,
						 HV_INTERCEPT_ACCESS_MASK_WRITE, HVSIM_PORT_POWER));
}

/* A 16-byte register value from a TLFS segment or table register layout. */
UTEXT static void vmwp_regs_add_raw(struct hvsim_vid_registers *r, uint32_t name, const void *value)
{
	uint64_t v[2];

	ucopy(v, value, sizeof(v));
	vid_regs_add(r, name, v[0], v[1]);
}

UTEXT static void vmwp_regs_add_segment(struct hvsim_vid_registers *r, uint32_t name, uint16_t selector)
{
	struct hv_x64_segment_register seg;

	/* Only the selector counts: the hypervisor loads the descriptor from
	 * the GDT in the child's memory, as a far jump would. */
	uzero(&seg, sizeof(seg));
	seg.selector = selector;
	vmwp_regs_add_raw(r, name, &seg);
}

/* The state the hvsim loader gives a partition's first instruction
 * (docs/guest-abi.md): long mode, paging on the boot tables, RDI = boot
 * info, interrupts off. */
UTEXT static bool vmwp_set_initial_state(struct vmwp_child *c)
{
	struct hvsim_vid_registers r;
	struct hv_x64_table_register gdtr;

	vid_regs_init(&r, VMWP_CHILD_VP);
	vid_regs_add(&r, HV_X64_REGISTER_RIP, c->entry, 0);
	vid_regs_add(&r, HV_X64_REGISTER_RSP, HVSIM_BOOT_STACK_TOP, 0);
	vid_regs_add(&r, HV_X64_REGISTER_RDI, HVSIM_BOOT_INFO_GPA, 0);
	vid_regs_add(&r, HV_X64_REGISTER_RFLAGS, HVSIM_BOOT_RFLAGS, 0);
	vid_regs_add(&r, HV_X64_REGISTER_CR0, HVSIM_BOOT_CR0, 0);
	vid_regs_add(&r, HV_X64_REGISTER_CR3, HVSIM_BOOT_PML4_GPA, 0);
	vid_regs_add(&r, HV_X64_REGISTER_CR4, HVSIM_BOOT_CR4, 0);
	vid_regs_add(&r, HV_X64_REGISTER_EFER, HVSIM_BOOT_EFER, 0);
	uzero(&gdtr, sizeof(gdtr));
	gdtr.base = HVSIM_BOOT_GDT_GPA;
	gdtr.limit = VMWP_GDT_ENTRIES * sizeof(uint64_t) - 1;
	vmwp_regs_add_raw(&r, HV_X64_REGISTER_GDTR, &gdtr);
	vmwp_regs_add_segment(&r, HV_X64_REGISTER_CS, HVSIM_BOOT_SEL_CODE64);
	vmwp_regs_add_segment(&r, HV_X64_REGISTER_SS, HVSIM_BOOT_SEL_DATA);
	vmwp_regs_add_segment(&r, HV_X64_REGISTER_DS, HVSIM_BOOT_SEL_DATA);
	vmwp_regs_add_segment(&r, HV_X64_REGISTER_ES, HVSIM_BOOT_SEL_DATA);
	return vmwp_report(USTR("HvCallSetVpRegisters (boot state, 13 registers)"), c->id,
			   vid_set_registers(c->id, &r));
}

/* One register write that changes the VP's run state (the suspend
 * registers): 0 lets it run. */
UTEXT static int32_t vmwp_set_one(struct vmwp_child *c, uint32_t name, uint64_t value)
{
	struct hvsim_vid_registers r;

	vid_regs_init(&r, VMWP_CHILD_VP);
	vid_regs_add(&r, name, value, 0);
	return vid_set_registers(c->id, &r);
}

/* ---- VMBus plumbing: ports and connections for the child's VMBus -----------------
 * (facts §4.5, §5.1; the ids are in hvsim-platform.h). A port lives in the
 * receiver and names its SINT and VP; a connection lives in the sender and
 * is bound to one port. Six one-way paths, SINT 2 of VP 0 on both sides:
 * child -> parent messages (child connection 1, as below protocol 5.0),
 * parent -> child messages, and for each of the two channels (heartbeat,
 * storage) child -> parent signals (the connection id the offer names) and
 * parent -> child signals (flag = the channel's relid). After CreateVp: a
 * port names a VP that must exist. */
UTEXT static bool vmwp_vmbus_port(struct vmwp_child *c, uint32_t where, uint32_t port,
				  uint32_t type, uint16_t relid, const char *what)
{
	bool event = type == HV_PORT_TYPE_EVENT;

	/* An event port sets one flag: its channel's relid. */
	return vmwp_report(what, c->id, vid_create_port(c->id, where, port, type, HVSIM_VMBUS_SINT,
							HVSIM_VMBUS_VP, event ? relid : 0,
							event ? 1 : 0));
}

UTEXT static bool vmwp_vmbus(struct vmwp_child *c)
{
	uint32_t pmsg = HVSIM_VMBUS_PARENT_ID(c->id, HVSIM_VMBUS_KIND_MESSAGE);
	uint32_t pevt = HVSIM_VMBUS_PARENT_ID(c->id, HVSIM_VMBUS_KIND_EVENT);
	uint32_t pstor = HVSIM_VMBUS_PARENT_ID(c->id, HVSIM_VMBUS_KIND_STORAGE_EVENT);

	return vmwp_vmbus_port(c, HVSIM_VID_IN_PARENT, pmsg, HV_PORT_TYPE_MESSAGE, 0,
			       USTR("HvCallCreatePort (VMBus messages to the parent, SINT 2)")) &&
	       vmwp_report(USTR("HvCallConnectPort (child connection 1 -> it)"), c->id,
			   vid_connect_port(c->id, HVSIM_VID_IN_CHILD, VMBUS_MESSAGE_CONNECTION_ID,
					    pmsg, HV_PORT_TYPE_MESSAGE)) &&
	       vmwp_vmbus_port(c, HVSIM_VID_IN_CHILD, HVSIM_VMBUS_CHILD_MESSAGE_PORT,
			       HV_PORT_TYPE_MESSAGE, 0,
			       USTR("HvCallCreatePort (VMBus messages to the child, SINT 2)")) &&
	       vmwp_report(USTR("HvCallConnectPort (parent connection -> it)"), c->id,
			   vid_connect_port(c->id, HVSIM_VID_IN_PARENT, pmsg,
					    HVSIM_VMBUS_CHILD_MESSAGE_PORT, HV_PORT_TYPE_MESSAGE)) &&
	       vmwp_vmbus_port(c, HVSIM_VID_IN_PARENT, pevt, HV_PORT_TYPE_EVENT, HVSIM_VMBUS_RELID,
			       USTR("HvCallCreatePort (channel signals to the parent, SINT 2)")) &&
	       vmwp_report(USTR("HvCallConnectPort (child connection 0x2001 -> it)"), c->id,
			   vid_connect_port(c->id, HVSIM_VID_IN_CHILD,
					    HVSIM_VMBUS_CHILD_SIGNAL_CONNECTION, pevt,
					    HV_PORT_TYPE_EVENT)) &&
	       vmwp_vmbus_port(c, HVSIM_VID_IN_CHILD, HVSIM_VMBUS_CHILD_EVENT_PORT, HV_PORT_TYPE_EVENT,
			       HVSIM_VMBUS_RELID,
			       USTR("HvCallCreatePort (channel signals to the child, SINT 2)")) &&
	       vmwp_report(USTR("HvCallConnectPort (parent connection -> it)"), c->id,
			   vid_connect_port(c->id, HVSIM_VID_IN_PARENT, pevt,
					    HVSIM_VMBUS_CHILD_EVENT_PORT, HV_PORT_TYPE_EVENT)) &&
	       /* The storage channel's signals, both ways (flag = relid 2). */
	       vmwp_vmbus_port(c, HVSIM_VID_IN_PARENT, pstor, HV_PORT_TYPE_EVENT,
			       HVSIM_VMBUS_STORAGE_RELID,
			       USTR("HvCallCreatePort (storage signals to the parent, SINT 2)")) &&
	       vmwp_report(USTR("HvCallConnectPort (child connection 0x2002 -> it)"), c->id,
			   vid_connect_port(c->id, HVSIM_VID_IN_CHILD,
					    HVSIM_VMBUS_STORAGE_SIGNAL_CONNECTION, pstor,
					    HV_PORT_TYPE_EVENT)) &&
	       vmwp_vmbus_port(c, HVSIM_VID_IN_CHILD, HVSIM_VMBUS_CHILD_STORAGE_PORT, HV_PORT_TYPE_EVENT,
			       HVSIM_VMBUS_STORAGE_RELID,
			       USTR("HvCallCreatePort (storage signals to the child, SINT 2)")) &&
	       vmwp_report(USTR("HvCallConnectPort (parent connection -> it)"), c->id,
			   vid_connect_port(c->id, HVSIM_VID_IN_PARENT, pstor,
					    HVSIM_VMBUS_CHILD_STORAGE_PORT, HV_PORT_TYPE_EVENT)) &&
	       vmwp_report(USTR("VID VmbusStart (the parent's VMBus server serves the child)"), c->id,
			   vid_vmbus_start(c->id));
}

/* Everything between InitializePartition and the first instruction of the
 * child. False (after a line saying why) if any step failed. */
UTEXT static bool vmwp_build(struct vmwp_child *c)
{
	struct uline line;
	const char *why;

	if (!vmwp_report(USTR("VID GetImage (the child's OS image)"), 0, vid_get_image(&c->image)))
		return false;
	c->img = (const uint8_t *)(uintptr_t)c->image.start;
	why = vmwp_check_elf(c);
	if (why)
		return vmwp_fail(USTR("the child image is not a bootable hvsim ELF"), why);
	vmwp_line_start(&line);
	uline_str(&line, USTR("image at "));
	vmwp_hex(&line, c->image.start);
	uline_str(&line, USTR(", "));
	uline_dec(&line, c->image.size);
	uline_str(&line, USTR(" bytes: ELF-64 x86-64, "));
	uline_dec(&line, c->segments);
	uline_str(&line, USTR(" PT_LOAD segments up to "));
	vmwp_hex(&line, c->highest);
	uline_str(&line, USTR(", entry "));
	vmwp_hex(&line, c->entry);
	vmwp_line_end(&line);

	if (!vmwp_report(USTR("VID MapMemory (HvCallMapGpaPages)"), c->id,
			 vid_map_memory(c->id, c->ram_size, &c->ram)))
		return false;
	vmwp_line_start(&line);
	uline_dec(&line, c->ram_size >> 20);
	uline_str(&line, USTR(" MiB of child RAM at GPA 0, parent address "));
	vmwp_hex(&line, (uint64_t)(uintptr_t)c->ram);
	uline_str(&line, USTR("; loading the image and the boot area"));
	vmwp_line_end(&line);
	vmwp_load_segments(c);
	vmwp_build_boot_area(c, c->image.child_flags);

	if (!vmwp_ata_setup(c) || !vmwp_install_intercepts(c))
		return false;
	if (!vmwp_report(USTR("HvCallCreateVp (VP 0)"), c->id, vid_create_vp(c->id, VMWP_CHILD_VP)))
		return false;
	if (!vmwp_vmbus(c))
		return false;
	if (!vmwp_set_initial_state(c))
		return false;
	return vmwp_report(USTR("HvCallSetVpRegisters (ExplicitSuspend = 0: start)"), c->id,
			   vmwp_set_one(c, HV_REGISTER_EXPLICIT_SUSPEND, 0));
}

/* ---- Device emulation -------------------------------------------------------------- */

/* The child's console line, printed whole: "child <id> | <text>". The
 * child chooses the bytes: anything not printable becomes '.', so it
 * cannot drive our terminal. */
UTEXT static void vmwp_child_flush(struct vmwp_child *c)
{
	struct uline line;

	if (c->line_len == 0)
		return;
	line.len = 0;
	uline_str(&line, USTR("child "));
	uline_dec(&line, c->id);
	uline_str(&line, USTR(" | "));
	for (size_t i = 0; i < c->line_len; i++)
		uline_char(&line, c->line[i]);
	vmwp_line_end(&line);
	c->line_len = 0;
}

UTEXT static void vmwp_child_putc(struct vmwp_child *c, uint8_t ch)
{
	if (ch == '\n') {
		vmwp_child_flush(c);
		return;
	}
	if (ch == '\r')
		return;
	c->line[c->line_len++] = (ch >= ' ' && ch <= '~') ? (char)ch : '.';
	if (c->line_len == sizeof(c->line))
		vmwp_child_flush(c);
}

/* A 16550 that is always ready: THR writes are the console, LSR says
 * "transmitter empty", the scratch register remembers, the rest read 0 and
 * ignore writes. */
UTEXT static uint32_t vmwp_uart_read(struct vmwp_child *c, unsigned reg)
{
	if (reg == UART_REG_LSR)
		return UART_LSR_THRE | UART_LSR_TEMT;
	if (reg == UART_REG_SCR)
		return c->uart_scratch;
	return 0;
}

UTEXT static void vmwp_uart_write(struct vmwp_child *c, unsigned reg, uint32_t value)
{
	if (reg == UART_REG_THR)
		vmwp_child_putc(c, (uint8_t)value);
	else if (reg == UART_REG_SCR)
		c->uart_scratch = (uint8_t)value;
}

/* HVMSG_X64_IO_PORT_INTERCEPT: the child's VP is suspended at an IN or
 * OUT. Emulate it, then complete it: RIP past the instruction, RAX with
 * what an IN read, InterceptSuspend = 0 to let the VP run on. */
UTEXT static enum vmwp_next vmwp_io(struct vmwp_child *c, const struct hv_message *msg)
{
	struct hv_x64_io_port_intercept_message io;
	struct hvsim_vid_registers r;
	unsigned size, len;
	uint64_t mask, value;
	int32_t st;
	bool write;

	if (msg->header.payload_size < sizeof(io)) {
		vmwp_fail(USTR("I/O intercept"), USTR("message shorter than its payload"));
		return VMWP_FAIL;
	}
	ucopy(&io, msg->payload, sizeof(io));
	size = io.access_info & HV_IO_ACCESS_SIZE_MASK;
	len = io.header.instruction_length & VMWP_INSN_LENGTH_MASK;
	if ((size != 1 && size != 2 && size != VMWP_IO_SIZE_MAX) ||
	    (io.access_info & (HV_IO_ACCESS_STRING | HV_IO_ACCESS_REP)) || len == 0) {
		vmwp_fail(USTR("I/O intercept"), USTR("string, REP or odd-sized port I/O is not emulated"));
		return VMWP_FAIL;
	}
	c->intercepts++;
	mask = size == VMWP_IO_SIZE_MAX ? 0xFFFFFFFFull : (1ull << (8 * size)) - 1;
	write = io.header.intercept_access_type == HV_INTERCEPT_ACCESS_WRITE;

	vid_regs_init(&r, VMWP_CHILD_VP);
	if (write) {
		value = io.rax & mask;
		if (io.port_number == HVSIM_PORT_POWER) {
			/* Powered off: the VP stays suspended, Finalize ends it. */
			if ((value & 0xFFFF) == HVSIM_POWER_OFF) {
				c->powered_off = true;
				return VMWP_STOP;
			}
		} else if (io.port_number >= HVSIM_PORT_COM1 && io.port_number <= HVSIM_PORT_COM1_LAST) {
			vmwp_uart_write(c, io.port_number - HVSIM_PORT_COM1, (uint32_t)value);
		} else if (c->ata.present && vmwp_ata_port(io.port_number)) {
			vmwp_ata_write(&c->ata, io.port_number, size, (uint32_t)value);
		}
	} else {
		/* A port nobody emulates reads all ones, like an empty bus. */
		value = mask;
		if (io.port_number >= HVSIM_PORT_COM1 && io.port_number <= HVSIM_PORT_COM1_LAST)
			value = vmwp_uart_read(c, io.port_number - HVSIM_PORT_COM1);
		else if (c->ata.present && vmwp_ata_port(io.port_number))
			value = vmwp_ata_read(&c->ata, io.port_number, size);
		/* IN AL/AX leaves the rest of RAX alone; IN EAX zero-extends
		 * into RAX, as every 32-bit register write does. */
		if (size == VMWP_IO_SIZE_MAX)
			vid_regs_add(&r, HV_X64_REGISTER_RAX, value & mask, 0);
		else
			vid_regs_add(&r, HV_X64_REGISTER_RAX, (io.rax & ~mask) | (value & mask), 0);
	}
	vid_regs_add(&r, HV_X64_REGISTER_RIP, io.header.rip + len, 0);
	vid_regs_add(&r, HV_REGISTER_INTERCEPT_SUSPEND, 0, 0);
	st = vid_set_registers(c->id, &r);
	if (st != HV_STATUS_SUCCESS) {
		vmwp_report(USTR("HvCallSetVpRegisters (complete an I/O intercept)"), c->id, st);
		return VMWP_FAIL;
	}
	return VMWP_CONTINUE;
}

/* HVMSG_UNRECOVERABLE_EXCEPTION: the hypervisor has already stopped the
 * child. The line names no RIP: the message's header carries one only
 * where the hypervisor could see the state at the fault (natively on
 * AMD, KVM re-initialises the vCPU at a shutdown and the header's
 * registers are zero), and the hypervisor's own trace says where, when
 * it knows. */
UTEXT static void vmwp_crashed(struct vmwp_child *c, const struct hv_message *msg)
{
	struct uline line;

	(void)msg;
	c->crashed = true;
	vmwp_child_flush(c);
	vmwp_line_start(&line);
	uline_str(&line, USTR("child "));
	uline_dec(&line, c->id);
	uline_str(&line, USTR(" crashed (triple fault): terminating it"));
	vmwp_line_end(&line);
}

/* HVMSG_UNMAPPED_GPA / HVMSG_GPA_INTERCEPT: the child touched a
 * guest-physical address its map does not hold (an EPT violation). This
 * worker emulates no memory-mapped device there, so the child ends. */
UTEXT static void vmwp_bad_gpa(struct vmwp_child *c, const struct hv_message *msg)
{
	struct hv_x64_memory_intercept_message m;
	struct uline line;

	c->crashed = true;
	vmwp_child_flush(c);
	vmwp_line_start(&line);
	uline_str(&line, USTR("child "));
	uline_dec(&line, c->id);
	if (msg->header.payload_size >= sizeof(m)) {
		ucopy(&m, msg->payload, sizeof(m));
		uline_str(&line, USTR(" touched GPA "));
		vmwp_hex(&line, m.guest_physical_address);
		uline_str(&line, USTR(" at RIP "));
		vmwp_hex(&line, m.header.rip);
	} else {
		uline_str(&line, USTR(" touched a GPA"));
	}
	uline_str(&line, USTR(", outside its memory (EPT violation): terminating it"));
	vmwp_line_end(&line);
}

/* The VMM's loop: one message, one emulated event, until the child ends. */
UTEXT static bool vmwp_run(struct vmwp_child *c)
{
	struct hv_message msg;
	struct uline line;
	enum vmwp_next next = VMWP_CONTINUE;

	while (next == VMWP_CONTINUE) {
		int32_t st = vid_wait_message(c->id, &msg);

		if (st != HV_STATUS_SUCCESS) {
			vmwp_report(USTR("VID WaitMessage"), c->id, st);
			next = VMWP_FAIL;
		} else if (c->intercepts >= VMWP_INTERCEPTS_MAX) {
			vmwp_child_flush(c);
			vmwp_fail(USTR("child keeps doing I/O"),
				  USTR("over 100000 intercepts, stopping it"));
			next = VMWP_FAIL;
		} else if (msg.header.message_type == HVMSG_X64_IO_PORT_INTERCEPT) {
			next = vmwp_io(c, &msg);
		} else if (msg.header.message_type == HVMSG_UNRECOVERABLE_EXCEPTION) {
			vmwp_crashed(c, &msg);
			next = VMWP_STOP;
		} else if (msg.header.message_type == HVMSG_UNMAPPED_GPA ||
			   msg.header.message_type == HVMSG_GPA_INTERCEPT) {
			vmwp_bad_gpa(c, &msg);
			next = VMWP_STOP;
		} else {
			vmwp_line_start(&line);
			uline_str(&line, USTR("unexpected message type "));
			vmwp_hex(&line, msg.header.message_type);
			uline_str(&line, USTR(" about child "));
			uline_dec(&line, c->id);
			uline_str(&line, USTR(": stopping"));
			vmwp_line_end(&line);
			next = VMWP_FAIL;
		}
	}
	vmwp_child_flush(c);
	vmwp_line_start(&line);
	uline_str(&line, USTR("child "));
	uline_dec(&line, c->id);
	uline_str(&line, USTR(": "));
	uline_dec(&line, c->intercepts);
	uline_str(&line, USTR(" I/O intercepts handled"));
	uline_str(&line, c->powered_off ? USTR(", it powered itself off")
				       : c->crashed ? USTR(", it crashed") : USTR(""));
	vmwp_line_end(&line);
	if (c->ata.present) {
		vmwp_line_start(&line);
		uline_str(&line, USTR("child "));
		uline_dec(&line, c->id);
		uline_str(&line, USTR(" disk: "));
		uline_dec(&line, c->ata.commands);
		uline_str(&line, USTR(" ATA commands, "));
		uline_dec(&line, c->ata.sectors_written);
		uline_str(&line, USTR(" sectors written, "));
		uline_dec(&line, c->ata.sectors_read);
		uline_str(&line, USTR(" read (parent's disk)"));
		vmwp_line_end(&line);
	}
	if (next == VMWP_FAIL)
		return false;
	/* A crash is a success only if it was the demo the loader asked for
	 * (a triple fault, or a read past the child's RAM). */
	return c->powered_off ||
	       (c->image.child_flags & (HVSIM_BOOT_FLAG_TRIPLE_FAULT | HVSIM_BOOT_FLAG_TOUCH_UNMAPPED));
}

UTEXT noreturn void vmwp_main(uint64_t arg)
{
	struct vmwp_child c;
	struct uline line;
	bool ok, ran = false;

	uzero(&c, sizeof(c));
	/* arg: the parent's workload (--workload), which for an I/O child is
	 * the KiB its iotest moves; bounded by the child's disk region. */
	c.io_kib = arg ? arg : VMWP_CHILD_IO_KIB;
	if (c.io_kib > VMWP_CHILD_IO_KIB_MAX)
		c.io_kib = VMWP_CHILD_IO_KIB_MAX;
	uputs(USTR("vmwp: the worker process, ring 3: building a child partition through the VID\n"));

	ok = vmwp_report(USTR("HvCallCreatePartition"), 0, vid_create_partition(&c.id));
	if (!ok)
		uexit(1);
	vmwp_line_start(&line);
	uline_str(&line, USTR("new child partition id "));
	uline_dec(&line, c.id);
	vmwp_line_end(&line);

	ok = vmwp_report(USTR("HvCallInitializePartition"), c.id, vid_initialize_partition(c.id));
	if (ok)
		ok = vmwp_build(&c);
	if (ok) {
		uputs(c.ata.present ? USTR("vmwp: child started; emulating its COM1, power port and ATA disk\n")
				    : USTR("vmwp: child started; emulating its COM1 and power port\n"));
		ran = true;
		ok = vmwp_run(&c);
	}
	/* Finalize and delete whatever happened: Finalize may skip Initialize
	 * and stops a child that still runs, and a worker process leaves no
	 * child behind. */
	ok &= vmwp_report(USTR("HvCallFinalizePartition"), c.id, vid_finalize_partition(c.id));
	ok &= vmwp_report(USTR("HvCallDeletePartition"), c.id, vid_delete_partition(c.id));

	vmwp_line_start(&line);
	uline_str(&line, USTR("child partition "));
	uline_dec(&line, c.id);
	if (!ran)
		uline_str(&line, USTR(" could not be started; it was torn down again"));
	else if (c.powered_off)
		uline_str(&line, USTR(" booted, ran and powered off; it was torn down"));
	else if (c.crashed)
		uline_str(&line, USTR(" crashed and was torn down; the parent carries on"));
	else
		uline_str(&line, USTR(" stopped abnormally; it was torn down"));
	uline_str(&line, ok ? USTR("") : USTR(" (something failed)"));
	vmwp_line_end(&line);
	uexit(ok ? 0 : 1);
}
