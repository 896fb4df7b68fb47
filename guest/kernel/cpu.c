/* cpu.c — the kernel's own GDT and TSS.
 * Guest ring 0, freestanding. Replaces the loader's boot GDT, whose memory
 * (the first 64 KiB) belongs to the loader, with one that also describes
 * ring 3 and the task state segment.
 *
 * In 64-bit mode segmentation is almost gone: bases and limits of CS, DS,
 * ES and SS are ignored. What is left is privilege: CS.DPL *is* the current
 * privilege level (CPL), a code descriptor's L bit selects 64-bit mode, and
 * the TSS tells the CPU which stack to use when an interrupt raises the
 * privilege level. */
#include "kernel.h"

/* The 64-bit TSS: no longer used for task switching, only as a table of
 * stack pointers the CPU loads on interrupt entry. */
struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];   /* RSP0..RSP2: stack for an interrupt that raises CPL to 0..2 */
	uint64_t reserved1;
	uint64_t ist[7];   /* IST1..IST7: stacks an IDT gate can demand unconditionally */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base; /* offset of the I/O permission bitmap */
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "the 64-bit TSS is 104 bytes");

struct descriptor_table_register {
	uint16_t limit; /* size - 1 */
	uint64_t base;
} __attribute__((packed));

static uint64_t gdt[GDT_SLOTS] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));

/* A code or data descriptor. Base and limit are ignored in 64-bit mode for
 * everything but FS/GS bases; we still write the flat 4 GiB values a
 * compatibility-mode (32-bit) segment would need. */
static uint64_t segment_descriptor(uint8_t access, uint8_t flags)
{
	const uint64_t limit = 0xFFFFF; /* with G=1: 4 GiB */

	return (limit & 0xFFFF)
	     | ((uint64_t)access << 40)
	     | (((limit >> 16) & 0xF) << 48)
	     | ((uint64_t)(flags & 0xF) << 52);
}

/* A 64-bit TSS descriptor is a system descriptor of 16 bytes: it needs the
 * full 64-bit base, so it takes two GDT slots. */
static void tss_descriptor(uint64_t slots[2], uint64_t base, uint32_t limit)
{
	slots[0] = (limit & 0xFFFF)
		 | ((base & 0xFFFFFF) << 16)
		 | ((uint64_t)(DESC_P | DESC_DPL(0) | DESC_TYPE_TSS64_AVAILABLE) << 40)
		 | ((uint64_t)((limit >> 16) & 0xF) << 48)
		 | (((base >> 24) & 0xFF) << 56);
	slots[1] = base >> 32;
}

static void load_gdt_and_segments(void)
{
	struct descriptor_table_register gdtr = {
		.limit = sizeof(gdt) - 1,
		.base = (uint64_t)(uintptr_t)gdt,
	};

	/* LGDT only tells the CPU where the table is; the segment registers keep
	 * their hidden (cached) descriptors until they are reloaded. Data and
	 * stack selectors are reloaded with MOV. CS cannot be the target of a
	 * MOV: it changes only with a far transfer, so push the new CS and the
	 * address of the next instruction and execute a far return (LRETQ). */
	__asm__ volatile(
		"lgdt %[gdtr]\n\t"
		"movw %w[data], %%ax\n\t"
		"movw %%ax, %%ds\n\t"
		"movw %%ax, %%es\n\t"
		"movw %%ax, %%ss\n\t"
		"xorl %%eax, %%eax\n\t"
		"movw %%ax, %%fs\n\t" /* FS/GS: null, we use no thread/CPU pointers */
		"movw %%ax, %%gs\n\t"
		"pushq %[code]\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:"
		:
		: [gdtr] "m"(gdtr), [data] "r"((uint32_t)SEL_KERNEL_DATA),
		  [code] "i"(SEL_KERNEL_CODE)
		: "rax", "memory");
}

void cpu_init(void)
{
	const uint8_t code = DESC_P | DESC_S | DESC_CODE | DESC_RW | DESC_ACCESSED;
	const uint8_t data = DESC_P | DESC_S | DESC_RW | DESC_ACCESSED;

	gdt[SEL_NULL >> 3] = 0; /* selector 0 can never be used for an access */
	gdt[SEL_KERNEL_CODE >> 3] = segment_descriptor(code | DESC_DPL(0), DESC_FLAG_G | DESC_FLAG_L);
	gdt[SEL_KERNEL_DATA >> 3] = segment_descriptor(data | DESC_DPL(0), DESC_FLAG_G | DESC_FLAG_DB);
	/* 32-bit user code: never used (no compatibility-mode programs), but
	 * SYSRET's selector arithmetic needs the slot to exist at STAR[63:48]. */
	gdt[SEL_USER_CODE32 >> 3] = segment_descriptor(code | DESC_DPL(3), DESC_FLAG_G | DESC_FLAG_DB);
	gdt[SEL_USER_DATA >> 3] = segment_descriptor(data | DESC_DPL(3), DESC_FLAG_G | DESC_FLAG_DB);
	gdt[SEL_USER_CODE >> 3] = segment_descriptor(code | DESC_DPL(3), DESC_FLAG_G | DESC_FLAG_L);

	/* RSP0: where the CPU switches the stack when an interrupt or exception
	 * takes it from ring 3 to ring 0. Without it the handler would run on
	 * the program's own stack, which the program could have pointed at
	 * kernel memory or left unmapped. IST1: a stack the #DF gate always
	 * switches to, even from ring 0, because a double fault usually means
	 * the current kernel stack is unusable. */
	tss.rsp[0] = (uint64_t)(uintptr_t)trap_stack_top;
	tss.ist[TSS_IST_DOUBLE_FAULT - 1] = (uint64_t)(uintptr_t)df_stack_top;
	/* An I/O bitmap offset at or past the TSS limit means "no bitmap": with
	 * IOPL 0, every IN/OUT from ring 3 raises #GP. */
	tss.iomap_base = sizeof(tss);
	tss_descriptor(&gdt[SEL_TSS >> 3], (uint64_t)(uintptr_t)&tss, sizeof(tss) - 1);

	load_gdt_and_segments();

	/* LTR loads the task register from the GDT and marks the TSS busy. */
	__asm__ volatile("ltr %w0" : : "r"((uint16_t)SEL_TSS) : "memory");

	kdetail("GDT at %p: kernel CS 0x%x SS 0x%x, user CS 0x%x SS 0x%x, TSS 0x%x\n",
		(void *)gdt, SEL_KERNEL_CODE, SEL_KERNEL_DATA, SEL_USER_CODE_RPL3,
		SEL_USER_DATA_RPL3, SEL_TSS);
	kdetail("TSS at %p: RSP0 %p (ring 3 -> 0 entries), IST1 %p (#DF)\n",
		(void *)&tss, (void *)trap_stack_top, (void *)df_stack_top);
}
