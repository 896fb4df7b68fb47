/* paging.c — the kernel's own page tables: 4-level, 4 KiB pages.
 * Guest ring 0, freestanding.
 *
 * The loader's tables map all memory with 2 MiB supervisor pages, which is
 * enough to run the kernel but cannot express what we need: ring 3 must
 * reach its own pages and nothing else. The U/S bit in a page table entry
 * does that: a ring 3 access to a page whose U bit is 0 raises #PF. So the
 * kernel maps
 *   page 0                  not at all (catches NULL pointers),
 *   stack guard pages       not at all (catch stack overflows),
 *   kernel text + rodata    read-only, supervisor,
 *   the hypercall page      read-only, supervisor (the hypervisor forbids
 *                           writes anyway),
 *   the user region         U=1: text read-only, data and stack writable,
 *   everything else         read/write, supervisor,
 * all identity-mapped (virtual == guest-physical), up to 64 MiB.
 *
 * These are guest page tables: they translate guest-virtual to
 * guest-physical addresses. Below them the hypervisor keeps its own second
 * level (EPT/NPT, "SLAT") from guest-physical to host-physical, which the
 * guest can neither see nor change. */
#include "kernel.h"

#define PAGING_MAX_MEMORY MIB(64)
#define PD_SPAN (1ull << PD_SHIFT) /* 2 MiB covered by one page table */

/* Statically allocated, in .bss (so zeroed = "not present"). One PML4, one
 * PDPT and one page directory suffice below 1 GiB; one page table per 2 MiB. */
static uint64_t pml4[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static uint64_t pdpt[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static uint64_t pd[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static uint64_t page_tables[PAGING_MAX_MEMORY / PD_SPAN][PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
/* How far paging_init() mapped: pages at or above it do not exist. */
static uint64_t paging_limit;

/* Memory lent to ring 3 after boot (paging_lend_to_user): the VID driver
 * lends the worker process a child's RAM (writable) and the child image
 * (read-only). A handful is plenty: one VM at a time plus the image. */
#define PAGING_LENT_MAX 8u
static struct {
	uint64_t start, end;
	bool writable;
} paging_lent[PAGING_LENT_MAX];
static unsigned paging_lent_count;

extern char hv_hypercall_page[]; /* hyperv.c */

static bool in_range(uint64_t addr, const void *start, const void *end)
{
	return addr >= (uint64_t)(uintptr_t)start && addr < (uint64_t)(uintptr_t)end;
}

static bool is_guard_page(uint64_t addr)
{
	return in_range(addr, boot_stack_guard, boot_stack_guard + GUARD_PAGE_SIZE) ||
	       in_range(addr, trap_stack_guard, trap_stack_guard + GUARD_PAGE_SIZE) ||
	       in_range(addr, df_stack_guard, df_stack_guard + GUARD_PAGE_SIZE);
}

/* The leaf entry flags for the 4 KiB page at `addr` (0 = not mapped). */
static uint64_t page_flags(uint64_t addr)
{
	if (addr == 0 || is_guard_page(addr))
		return 0;
	if (in_range(addr, __kernel_start, __kernel_ro_end) ||
	    in_range(addr, hv_hypercall_page, hv_hypercall_page + PAGE_SIZE))
		return PTE_P;
	if (in_range(addr, __user_start, __user_text_end))
		return PTE_P | PTE_U;
	if (in_range(addr, __user_rw_start, __user_end))
		return PTE_P | PTE_W | PTE_U;
	return PTE_P | PTE_W;
}

static uint64_t table_entry(const void *table)
{
	/* Upper levels allow everything (present, writable, user); the leaf
	 * entry decides. The CPU combines the levels: an access must be allowed
	 * by every entry on the walk. */
	return ((uint64_t)(uintptr_t)table & PTE_ADDR_MASK) | PTE_P | PTE_W | PTE_U;
}

uint64_t paging_init(uint64_t memory_size)
{
	uint64_t limit = memory_size < PAGING_MAX_MEMORY ? memory_size : PAGING_MAX_MEMORY;
	uint64_t image_end = (uint64_t)(uintptr_t)__user_end;

	limit &= ~(PAGE_SIZE - 1);
	if (limit < image_end)
		panic("memory size 0x%lx is too small: the image ends at 0x%lx\n",
		      memory_size, image_end);

	/* Identity mapping means a table's virtual address is also the physical
	 * address the CPU needs in the entry above it. */
	pml4[0] = table_entry(pdpt);
	pdpt[0] = table_entry(pd);
	for (uint64_t addr = 0; addr < limit; addr += PAGE_SIZE) {
		uint64_t pdi = addr >> PD_SHIFT;
		uint64_t pti = (addr >> PAGE_SHIFT) & PT_INDEX_MASK;
		uint64_t flags = page_flags(addr);

		if (pti == 0)
			pd[pdi] = table_entry(page_tables[pdi]);
		page_tables[pdi][pti] = flags ? (addr | flags) : 0;
	}

	/* From here on the CPU walks our tables; the loader's are dead. The
	 * kernel keeps running because every address it uses maps to itself in
	 * both. */
	write_cr3((uint64_t)(uintptr_t)pml4);
	paging_limit = limit;

	kdetail("paging: CR3 %p, 4 KiB pages identity-mapping 0x1000-0x%lx (%lu MiB of %lu)\n",
		(void *)pml4, limit, limit >> 20, memory_size >> 20);
	kdetail("paging: kernel 0x%lx-0x%lx (text/rodata read-only up to 0x%lx), user region 0x%lx-0x%lx (U=1)\n",
		(uint64_t)(uintptr_t)__kernel_start, (uint64_t)(uintptr_t)__kernel_end,
		(uint64_t)(uintptr_t)__kernel_ro_end,
		(uint64_t)(uintptr_t)__user_start, (uint64_t)(uintptr_t)__user_end);
	return limit;
}

bool paging_map_past_ram(uint64_t gpa)
{
	uint64_t page = gpa & ~(PAGE_SIZE - 1);
	uint64_t pdi = page >> PD_SHIFT;

	if (page < paging_limit || page >= PAGING_MAX_MEMORY)
		return false;
	if (!(pd[pdi] & PTE_P))
		pd[pdi] = table_entry(page_tables[pdi]);
	page_tables[pdi][(page >> PAGE_SHIFT) & PT_INDEX_MASK] = page | PTE_P;
	write_cr3((uint64_t)(uintptr_t)pml4); /* flush the TLB */
	return true;
}

/* [addr, addr + len) inside [start, end)? Written to be immune to overflow
 * in addr + len. */
static bool range_within(uint64_t addr, uint64_t len, uint64_t start, uint64_t end)
{
	return addr >= start && addr <= end && len <= end - addr;
}

static bool lent_range_ok(uint64_t addr, uint64_t len, bool need_write)
{
	for (unsigned i = 0; i < paging_lent_count; i++)
		if ((paging_lent[i].writable || !need_write) &&
		    range_within(addr, len, paging_lent[i].start, paging_lent[i].end))
			return true;
	return false;
}

bool user_range_ok(uint64_t addr, uint64_t len)
{
	return range_within(addr, len, (uint64_t)(uintptr_t)__user_start,
			    (uint64_t)(uintptr_t)__user_end) ||
	       lent_range_ok(addr, len, false);
}

bool user_range_writable(uint64_t addr, uint64_t len)
{
	/* User text and rodata are read-only for ring 0 too (CR0.WP = 1): a
	 * kernel store there would be a ring 0 #PF, i.e. a panic that ring 3
	 * chose. Only the writable part of the user region qualifies. */
	return range_within(addr, len, (uint64_t)(uintptr_t)__user_rw_start,
			    (uint64_t)(uintptr_t)__user_end) ||
	       lent_range_ok(addr, len, true);
}

bool paging_lend_to_user(uint64_t addr, uint64_t len, bool writable)
{
	uint64_t kernel_end = (uint64_t)(uintptr_t)__kernel_end;
	uint64_t user_start = (uint64_t)(uintptr_t)__user_start;
	uint64_t user_end = (uint64_t)(uintptr_t)__user_end;
	uint64_t leaf = PTE_P | PTE_U | (writable ? PTE_W : 0);

	/* Page-aligned, inside what paging_init() mapped, above the kernel
	 * (whose pages must never become reachable from ring 3) and apart
	 * from the ring 3 region (whose text must stay read-only). */
	if (len == 0 || addr % PAGE_SIZE != 0 || len % PAGE_SIZE != 0 ||
	    !range_within(addr, len, kernel_end, paging_limit) ||
	    (addr < user_end && addr + len > user_start) ||
	    paging_lent_count == PAGING_LENT_MAX)
		return false;
	for (uint64_t a = addr; a < addr + len; a += PAGE_SIZE)
		page_tables[a >> PD_SHIFT][(a >> PAGE_SHIFT) & PT_INDEX_MASK] = a | leaf;
	/* The TLB may still hold the old (supervisor-only) translations:
	 * reloading CR3 drops every non-global entry, and this kernel uses no
	 * global pages. */
	write_cr3(read_cr3());
	paging_lent[paging_lent_count].start = addr;
	paging_lent[paging_lent_count].end = addr + len;
	paging_lent[paging_lent_count].writable = writable;
	paging_lent_count++;
	kdetail("paging: 0x%lx-0x%lx lent to ring 3 (U=1, %s)\n", addr, addr + len,
		writable ? "writable" : "read-only");
	return true;
}
