/* test-ept.c — tests for vmx-model's EPT: the GPA -> SPA walk (permissions,
 * not-present levels, large pages, misconfigurations), the table builder
 * and the qualification text. Host test program (GLib test framework). The
 * tables live in a 4 MiB fake host memory; expected qualification bits are
 * typed in from the SDM's EPT-violation table, not computed. */
#include <glib.h>
#include <string.h>

#include "vmx.h"

/* ==== fake host memory =================================================== */

#define HOST_SIZE   (4u << 20)       /* 4 MiB of host-physical memory at SPA 0 */
#define TABLE_BASE  0x1000ull        /* tables are bump-allocated from here */
#define OUTSIDE_SPA 0x10000000ull    /* 256 MiB: not backed */
#define EPTP_BITS   (VMX_EPT_MT_WB | VMX_EPTP_WALK_4)
#define RW          (VMX_EPT_READ | VMX_EPT_WRITE)
#define RX          (VMX_EPT_READ | VMX_EPT_EXEC)
#define WB_LEAF     ((uint64_t)VMX_EPT_MT_WB << VMX_EPT_MEMTYPE_SHIFT)

typedef struct {
	uint8_t *mem;
	uint64_t next;     /* bump allocator: next free 4 KiB page */
	unsigned allocs;
	bool fail_alloc;
	VmxEptMem ops;
	uint64_t eptp;
} Host;

static bool host_read(void *ctx, uint64_t spa, void *buf, size_t len)
{
	Host *h = ctx;

	if (spa >= HOST_SIZE || len > HOST_SIZE - spa)
		return false;
	memcpy(buf, h->mem + spa, len);
	return true;
}

static bool host_write(void *ctx, uint64_t spa, const void *buf, size_t len)
{
	Host *h = ctx;

	if (spa >= HOST_SIZE || len > HOST_SIZE - spa)
		return false;
	memcpy(h->mem + spa, buf, len);
	return true;
}

static uint64_t host_alloc(void *ctx)
{
	Host *h = ctx;
	uint64_t spa;

	if (h->fail_alloc || h->next + VMX_EPT_PAGE_SIZE > HOST_SIZE)
		return 0;
	spa = h->next;
	h->next += VMX_EPT_PAGE_SIZE;
	h->allocs++;
	memset(h->mem + spa, 0, VMX_EPT_PAGE_SIZE);
	return spa;
}

/* A host with an empty PML4 and a WB, 4-level EPTP pointing at it. */
static Host *host_new(void)
{
	Host *h = g_new0(Host, 1);
	uint64_t pml4;

	h->mem = g_malloc0(HOST_SIZE);
	h->next = TABLE_BASE;
	h->ops = (VmxEptMem){ .read = host_read, .write = host_write, .ctx = h };
	pml4 = host_alloc(h);
	g_assert_cmpuint(pml4, !=, 0);
	h->eptp = pml4 | EPTP_BITS;
	return h;
}

static void host_free(Host *h)
{
	g_free(h->mem);
	g_free(h);
}

static uint64_t *entry_at(Host *h, uint64_t table, unsigned index)
{
	g_assert_cmpuint(table + index * 8u, <, HOST_SIZE);
	return (uint64_t *)(h->mem + table) + index;
}

static void map_ok(Host *h, uint64_t gpa, uint64_t spa, uint64_t size, unsigned perms)
{
	g_assert_cmpint(vmx_ept_map(&h->ops, h->eptp, gpa, spa, size, perms,
	                            host_alloc, h), ==, VMX_EPT_OK);
}

static int translate(Host *h, uint64_t gpa, unsigned access, VmxEptResult *r)
{
	return vmx_ept_translate(&h->ops, h->eptp, gpa, access, r);
}

/* Hand-build a fresh table and point PML4E[i4] (or PDPTE[i3]) at it with
 * the given permissions; returns the new table's SPA. */
static uint64_t build_pdpt(Host *h, unsigned i4, uint64_t pml4e_perms)
{
	uint64_t pdpt = host_alloc(h);

	g_assert_cmpuint(pdpt, !=, 0);
	*entry_at(h, h->eptp & VMX_EPTP_ADDR_MASK, i4) = pdpt | pml4e_perms;
	return pdpt;
}

static uint64_t build_pd(Host *h, uint64_t pdpt, unsigned i3, uint64_t perms)
{
	uint64_t pd = host_alloc(h);

	g_assert_cmpuint(pd, !=, 0);
	*entry_at(h, pdpt, i3) = pd | perms;
	return pd;
}

/* ==== 4 KiB pages: every permission set against every access ============ */

#define Q_R   VMX_EPT_QUAL_READ
#define Q_W   VMX_EPT_QUAL_WRITE
#define Q_F   VMX_EPT_QUAL_FETCH
#define Q_AR  VMX_EPT_QUAL_READABLE
#define Q_AW  VMX_EPT_QUAL_WRITABLE
#define Q_AX  VMX_EPT_QUAL_EXECUTABLE

typedef struct {
	unsigned perms;
	unsigned access;
	int expect;
	uint64_t qual;     /* for violations */
} PermRow;

static const PermRow perm_rows[] = {
	/* read-only */
	{ VMX_EPT_READ, VMX_EPT_ACCESS_READ,  VMX_EPT_OK,        0 },
	{ VMX_EPT_READ, VMX_EPT_ACCESS_WRITE, VMX_EPT_VIOLATION, Q_W | Q_AR },
	{ VMX_EPT_READ, VMX_EPT_ACCESS_EXEC,  VMX_EPT_VIOLATION, Q_F | Q_AR },
	/* read-write */
	{ RW, VMX_EPT_ACCESS_READ,  VMX_EPT_OK,        0 },
	{ RW, VMX_EPT_ACCESS_WRITE, VMX_EPT_OK,        0 },
	{ RW, VMX_EPT_ACCESS_EXEC,  VMX_EPT_VIOLATION, Q_F | Q_AR | Q_AW },
	/* execute-only */
	{ VMX_EPT_EXEC, VMX_EPT_ACCESS_READ,  VMX_EPT_VIOLATION, Q_R | Q_AX },
	{ VMX_EPT_EXEC, VMX_EPT_ACCESS_WRITE, VMX_EPT_VIOLATION, Q_W | Q_AX },
	{ VMX_EPT_EXEC, VMX_EPT_ACCESS_EXEC,  VMX_EPT_OK,        0 },
	/* read-execute (code) */
	{ RX, VMX_EPT_ACCESS_READ,  VMX_EPT_OK,        0 },
	{ RX, VMX_EPT_ACCESS_WRITE, VMX_EPT_VIOLATION, Q_W | Q_AR | Q_AX },
	{ RX, VMX_EPT_ACCESS_EXEC,  VMX_EPT_OK,        0 },
	/* everything */
	{ VMX_EPT_RWX, VMX_EPT_ACCESS_READ,  VMX_EPT_OK, 0 },
	{ VMX_EPT_RWX, VMX_EPT_ACCESS_WRITE, VMX_EPT_OK, 0 },
	{ VMX_EPT_RWX, VMX_EPT_ACCESS_EXEC,  VMX_EPT_OK, 0 },
	/* read-modify-write on a read-only page: both access bits reported */
	{ VMX_EPT_READ, VMX_EPT_ACCESS_READ | VMX_EPT_ACCESS_WRITE, VMX_EPT_VIOLATION,
	  Q_R | Q_W | Q_AR },
};

static void test_perms(void)
{
	Host *h = host_new();

	for (size_t i = 0; i < G_N_ELEMENTS(perm_rows); i++) {
		const PermRow *row = &perm_rows[i];
		/* One page per row, scattered so rows share some tables. */
		uint64_t gpa = 0x40000000ull + i * 0x201000ull;
		uint64_t spa = 0x80000000ull + i * VMX_EPT_PAGE_SIZE;
		VmxEptResult r;
		int rc;

		map_ok(h, gpa, spa, VMX_EPT_PAGE_SIZE, row->perms);
		rc = translate(h, gpa + 0x123, row->access, &r);
		g_test_message("row %zu: perms %u access %u -> %d qual %#" G_GINT64_MODIFIER "x",
		               i, row->perms, row->access, rc, r.qualification);
		g_assert_cmpint(rc, ==, row->expect);
		g_assert_cmpuint(r.perms, ==, row->perms);
		g_assert_cmpint(r.level, ==, 1);
		g_assert_cmpuint(r.entry & VMX_EPT_ADDR_MASK, ==, spa);
		if (rc == VMX_EPT_OK) {
			g_assert_cmpuint(r.spa, ==, spa + 0x123);
			g_assert_cmpuint(r.page_size, ==, VMX_EPT_PAGE_SIZE);
			g_assert_cmpuint(r.qualification, ==, 0);
		} else {
			g_assert_cmpuint(r.qualification, ==, row->qual);
		}
	}
	host_free(h);
}

/* ==== not present at each level ========================================== */

static void test_not_present(void)
{
	static const struct { int level; uint64_t delta; } rows[] = {
		{ 4, 1ull << 39 },   /* next PML4 slot: no PDPT */
		{ 3, 1ull << 30 },   /* next PDPT slot: no PD */
		{ 2, 1ull << 21 },   /* next PD slot: no PT */
		{ 1, 1ull << 12 },   /* next PTE: not mapped */
	};
	static const struct { unsigned access; uint64_t qual; } acc[] = {
		{ VMX_EPT_ACCESS_READ, Q_R }, { VMX_EPT_ACCESS_WRITE, Q_W },
		{ VMX_EPT_ACCESS_EXEC, Q_F },
	};
	Host *h = host_new();
	uint64_t base = 0x8000000000ull; /* PML4 slot 1, all lower indices 0 */

	map_ok(h, base, 0x200000, VMX_EPT_PAGE_SIZE, VMX_EPT_RWX);
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		for (size_t j = 0; j < G_N_ELEMENTS(acc); j++) {
			VmxEptResult r;

			g_assert_cmpint(translate(h, base + rows[i].delta, acc[j].access, &r),
			                ==, VMX_EPT_VIOLATION);
			g_assert_cmpint(r.level, ==, rows[i].level);
			/* allowed bits are all 0: the not-present entry is in the AND */
			g_assert_cmpuint(r.qualification, ==, acc[j].qual);
			g_assert_cmpuint(r.perms, ==, 0);
			g_assert_cmpuint(r.entry, ==, 0);
		}
	}
	host_free(h);
}

/* ==== large pages written by hand ======================================== */

static void test_large_pages(void)
{
	Host *h = host_new();
	VmxEptResult r;
	/* PML4E[0] allows R and X only; PDPTE[1] is a 1 GiB RWX page; PDPTE[2]
	 * points to a PD whose PDE[3] is a 2 MiB RW page. */
	uint64_t pdpt = build_pdpt(h, 0, RX);
	uint64_t pd;

	*entry_at(h, pdpt, 1) = 0xC0000000ull | VMX_EPT_LARGE | VMX_EPT_RWX | WB_LEAF;
	pd = build_pd(h, pdpt, 2, VMX_EPT_RWX);
	*entry_at(h, pd, 3) = 0x1600000ull | VMX_EPT_LARGE | RW | WB_LEAF;

	/* 1 GiB: GPA 0x4000_0000 + offset -> 0xC000_0000 + offset */
	g_assert_cmpint(translate(h, 0x40000000ull + 0x12345678ull, VMX_EPT_ACCESS_EXEC, &r),
	                ==, VMX_EPT_OK);
	g_assert_cmpuint(r.spa, ==, 0xC0000000ull + 0x12345678ull);
	g_assert_cmpuint(r.page_size, ==, VMX_EPT_1G_SIZE);
	g_assert_cmpint(r.level, ==, 3);
	g_assert_cmpuint(r.perms, ==, RX); /* the PML4E took W away */
	/* ... so a write faults although the leaf says RWX */
	g_assert_cmpint(translate(h, 0x40000000ull, VMX_EPT_ACCESS_WRITE, &r),
	                ==, VMX_EPT_VIOLATION);
	g_assert_cmpuint(r.qualification, ==, Q_W | Q_AR | Q_AX);

	/* 2 MiB: GPA 0x8000_0000 + 3 * 2 MiB + offset */
	g_assert_cmpint(translate(h, 0x80600000ull + 0x1ABCDEull, VMX_EPT_ACCESS_READ, &r),
	                ==, VMX_EPT_OK);
	g_assert_cmpuint(r.spa, ==, 0x1600000ull + 0x1ABCDEull);
	g_assert_cmpuint(r.page_size, ==, VMX_EPT_2M_SIZE);
	g_assert_cmpint(r.level, ==, 2);
	g_assert_cmpuint(r.perms, ==, VMX_EPT_READ); /* RX & RWX & RW */
	g_assert_cmpint(translate(h, 0x80600000ull, VMX_EPT_ACCESS_EXEC, &r),
	                ==, VMX_EPT_VIOLATION);
	g_assert_cmpuint(r.qualification, ==, Q_F | Q_AR);
	host_free(h);
}

/* ==== misconfigurations ================================================== */

typedef struct {
	const char *what;
	int level;         /* where the bad entry goes */
	uint64_t bits;     /* its low bits (address filled in by the test) */
} MisRow;

static const MisRow mis_rows[] = {
	{ "PML4E write without read", 4, VMX_EPT_WRITE },
	{ "PML4E large bit",          4, VMX_EPT_RWX | VMX_EPT_LARGE },
	{ "PML4E reserved bit 3",     4, VMX_EPT_RWX | (1ull << 3) },
	{ "PDPTE table reserved bit 6", 3, VMX_EPT_RWX | VMX_EPT_IGNORE_PAT },
	{ "PDE write+exec without read", 2, VMX_EPT_WRITE | VMX_EPT_EXEC },
	{ "2 MiB page, bit 12 set",   2, VMX_EPT_RWX | VMX_EPT_LARGE | WB_LEAF | (1ull << 12) },
	{ "1 GiB page, bit 29 set",   3, VMX_EPT_RWX | VMX_EPT_LARGE | WB_LEAF | (1ull << 29) },
	{ "PTE memory type 2",        1, VMX_EPT_READ | (2ull << VMX_EPT_MEMTYPE_SHIFT) },
	{ "PTE memory type 7",        1, VMX_EPT_READ | (7ull << VMX_EPT_MEMTYPE_SHIFT) },
	{ "PTE write without read",   1, VMX_EPT_WRITE | WB_LEAF },
};

static void test_misconfig(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(mis_rows); i++) {
		const MisRow *row = &mis_rows[i];
		Host *h = host_new();
		uint64_t table = h->eptp & VMX_EPTP_ADDR_MASK;
		uint64_t bad;
		VmxEptResult r;

		g_test_message("%s", row->what);
		/* A valid 4 KiB mapping of GPA 0, then corrupt the entry at the
		 * row's level (keeping its address so only the bits change). */
		map_ok(h, 0, 0x300000, VMX_EPT_PAGE_SIZE, VMX_EPT_RWX);
		g_assert_cmpint(translate(h, 0, VMX_EPT_ACCESS_READ, &r), ==, VMX_EPT_OK);
		for (int level = VMX_EPT_LEVELS; level > row->level; level--)
			table = *entry_at(h, table, 0) & VMX_EPT_ADDR_MASK;
		bad = (*entry_at(h, table, 0) & VMX_EPT_ADDR_MASK) | row->bits;
		*entry_at(h, table, 0) = bad;

		for (unsigned a = VMX_EPT_ACCESS_READ; a <= VMX_EPT_ACCESS_EXEC; a <<= 1) {
			g_assert_cmpint(translate(h, 0, a, &r), ==, VMX_EPT_MISCONFIG);
			g_assert_cmpint(r.level, ==, row->level);
			g_assert_cmpuint(r.entry, ==, bad);
		}
		host_free(h);
	}
}

/* ==== a table pointer outside host memory ================================ */

static void test_outside(void)
{
	Host *h = host_new();
	VmxEptResult r;

	/* PML4E[0] -> a PDPT at 256 MiB, which the 4 MiB host does not have */
	*entry_at(h, h->eptp & VMX_EPTP_ADDR_MASK, 0) = OUTSIDE_SPA | VMX_EPT_RWX;
	g_assert_cmpint(translate(h, 0x1000, VMX_EPT_ACCESS_READ, &r), ==, VMX_EPT_MISCONFIG);
	g_assert_cmpint(r.level, ==, 3);
	g_assert_cmpuint(r.entry, ==, 0);

	/* the EPTP itself pointing outside */
	g_assert_cmpint(vmx_ept_translate(&h->ops, OUTSIDE_SPA | EPTP_BITS, 0x1000,
	                                  VMX_EPT_ACCESS_READ, &r), ==, VMX_EPT_MISCONFIG);
	g_assert_cmpint(r.level, ==, 4);

	/* the builder reports it as an I/O error, not a misconfiguration */
	g_assert_cmpint(vmx_ept_map(&h->ops, h->eptp, 0x1000, 0x1000, VMX_EPT_PAGE_SIZE,
	                            VMX_EPT_READ, host_alloc, h), ==, VMX_EPT_ERR_IO);
	host_free(h);
}

/* ==== map / unmap round trip ============================================= */

static void test_roundtrip(void)
{
	Host *h = host_new();
	const uint64_t gpa = 0x7FF000ull; /* 3 pages crossing a 2 MiB boundary */
	const uint64_t spa = 0x2000000ull;
	VmxEptResult r;
	unsigned allocs;

	map_ok(h, gpa, spa, 3 * VMX_EPT_PAGE_SIZE, RW);
	/* PML4 + PDPT + PD + two PTs (the range crosses into a second PT) */
	g_assert_cmpuint(h->allocs, ==, 5);
	for (unsigned i = 0; i < 3; i++) {
		g_assert_cmpint(translate(h, gpa + i * VMX_EPT_PAGE_SIZE + 8,
		                          VMX_EPT_ACCESS_WRITE, &r), ==, VMX_EPT_OK);
		g_assert_cmpuint(r.spa, ==, spa + i * VMX_EPT_PAGE_SIZE + 8);
		g_assert_cmpuint(r.entry & VMX_EPT_MEMTYPE_MASK, ==, WB_LEAF);
	}

	/* unmap the middle page only */
	g_assert_cmpint(vmx_ept_unmap(&h->ops, h->eptp, gpa + VMX_EPT_PAGE_SIZE,
	                              VMX_EPT_PAGE_SIZE), ==, VMX_EPT_OK);
	g_assert_cmpint(translate(h, gpa, VMX_EPT_ACCESS_READ, &r), ==, VMX_EPT_OK);
	g_assert_cmpint(translate(h, gpa + VMX_EPT_PAGE_SIZE, VMX_EPT_ACCESS_READ, &r),
	                ==, VMX_EPT_VIOLATION);
	g_assert_cmpint(r.level, ==, 1);
	g_assert_cmpuint(r.qualification, ==, Q_R);
	g_assert_cmpint(translate(h, gpa + 2 * VMX_EPT_PAGE_SIZE, VMX_EPT_ACCESS_READ, &r),
	                ==, VMX_EPT_OK);

	/* remap it read-only elsewhere: no new tables needed */
	allocs = h->allocs;
	map_ok(h, gpa + VMX_EPT_PAGE_SIZE, 0x5000, VMX_EPT_PAGE_SIZE, VMX_EPT_READ);
	g_assert_cmpuint(h->allocs, ==, allocs);
	g_assert_cmpint(translate(h, gpa + VMX_EPT_PAGE_SIZE, VMX_EPT_ACCESS_READ, &r),
	                ==, VMX_EPT_OK);
	g_assert_cmpuint(r.spa, ==, 0x5000);
	g_assert_cmpint(translate(h, gpa + VMX_EPT_PAGE_SIZE, VMX_EPT_ACCESS_WRITE, &r),
	                ==, VMX_EPT_VIOLATION);

	/* unmapping a range with no tables at all is fine */
	g_assert_cmpint(vmx_ept_unmap(&h->ops, h->eptp, 0x100000000ull, 0x400000),
	                ==, VMX_EPT_OK);
	/* unmap everything */
	g_assert_cmpint(vmx_ept_unmap(&h->ops, h->eptp, gpa, 3 * VMX_EPT_PAGE_SIZE),
	                ==, VMX_EPT_OK);
	for (unsigned i = 0; i < 3; i++)
		g_assert_cmpint(translate(h, gpa + i * VMX_EPT_PAGE_SIZE, VMX_EPT_ACCESS_READ, &r),
		                ==, VMX_EPT_VIOLATION);
	host_free(h);
}

/* ==== bad arguments: an error and no change ============================== */

typedef struct {
	const char *what;
	uint64_t gpa, spa, size;
	unsigned perms;
	bool bad_eptp;
	int expect_map;    /* unmap uses the same gpa/size/eptp */
	int expect_unmap;
} ArgRow;

static const ArgRow arg_rows[] = {
	{ "unaligned gpa",  0x1800, 0x1000, 0x1000, VMX_EPT_READ, false, VMX_EPT_ERR_ARG, VMX_EPT_ERR_ARG },
	{ "unaligned spa",  0x1000, 0x1800, 0x1000, VMX_EPT_READ, false, VMX_EPT_ERR_ARG, VMX_EPT_OK },
	{ "unaligned size", 0x1000, 0x1000, 0x1001, VMX_EPT_READ, false, VMX_EPT_ERR_ARG, VMX_EPT_ERR_ARG },
	{ "size 0",         0x1000, 0x1000, 0,      VMX_EPT_READ, false, VMX_EPT_ERR_ARG, VMX_EPT_ERR_ARG },
	{ "gpa wraps",      0xFFFFFFFFFFFFF000ull, 0x1000, 0x2000, VMX_EPT_READ, false,
	  VMX_EPT_ERR_ARG, VMX_EPT_ERR_ARG },
	{ "gpa past 48 bits", 0xFFFFFFFFF000ull, 0x1000, 0x2000, VMX_EPT_READ, false,
	  VMX_EPT_ERR_ARG, VMX_EPT_ERR_ARG },
	{ "spa wraps",      0x1000, 0xFFFFFFFFFFFFF000ull, 0x2000, VMX_EPT_READ, false,
	  VMX_EPT_ERR_ARG, VMX_EPT_OK },
	{ "no permissions", 0x1000, 0x1000, 0x1000, 0,             false, VMX_EPT_ERR_ARG, VMX_EPT_OK },
	{ "write only",     0x1000, 0x1000, 0x1000, VMX_EPT_WRITE, false, VMX_EPT_ERR_ARG, VMX_EPT_OK },
	{ "unknown perm",   0x1000, 0x1000, 0x1000, 8,             false, VMX_EPT_ERR_ARG, VMX_EPT_OK },
	{ "bad EPTP",       0x1000, 0x1000, 0x1000, VMX_EPT_READ,  true,  VMX_EPT_ERR_ARG, VMX_EPT_ERR_ARG },
	/* crosses the 2 MiB page the test plants at GPA 0x4000_0000 */
	{ "over a large page", 0x3FFFF000ull, 0x1000, 0x2000, VMX_EPT_READ, false,
	  VMX_EPT_ERR_CONFLICT, VMX_EPT_ERR_CONFLICT },
};

static void test_bad_args(void)
{
	Host *h = host_new();
	uint8_t *before = g_malloc(HOST_SIZE);
	uint64_t pdpt = build_pdpt(h, 0, VMX_EPT_RWX);
	uint64_t pd = build_pd(h, pdpt, 1, VMX_EPT_RWX);
	VmxEptResult r;

	*entry_at(h, pd, 0) = 0x600000ull | VMX_EPT_LARGE | VMX_EPT_RWX | WB_LEAF;
	memcpy(before, h->mem, HOST_SIZE);

	for (size_t i = 0; i < G_N_ELEMENTS(arg_rows); i++) {
		const ArgRow *row = &arg_rows[i];
		/* 4-level walk but memory type 3 (reserved) */
		uint64_t eptp = row->bad_eptp ? ((h->eptp & ~VMX_EPTP_MEMTYPE_MASK) | 3) : h->eptp;
		unsigned allocs = h->allocs;

		g_test_message("%s", row->what);
		g_assert_cmpint(vmx_ept_map(&h->ops, eptp, row->gpa, row->spa, row->size,
		                            row->perms, host_alloc, h), ==, row->expect_map);
		g_assert_cmpuint(h->allocs, ==, allocs);
		g_assert_true(memcmp(before, h->mem, HOST_SIZE) == 0);
		if (row->expect_unmap != VMX_EPT_OK) {
			g_assert_cmpint(vmx_ept_unmap(&h->ops, eptp, row->gpa, row->size),
			                ==, row->expect_unmap);
			g_assert_true(memcmp(before, h->mem, HOST_SIZE) == 0);
		}
	}

	/* translate's own argument checks */
	g_assert_cmpint(translate(h, 0x1000, 0, &r), ==, VMX_EPT_ERR_ARG);
	g_assert_cmpint(translate(h, 0x1000, 8, &r), ==, VMX_EPT_ERR_ARG);
	g_assert_cmpint(translate(h, 1ull << 48, VMX_EPT_ACCESS_READ, &r), ==, VMX_EPT_ERR_ARG);
	g_assert_cmpint(vmx_ept_translate(&h->ops, h->eptp & ~VMX_EPTP_WALK_MASK, 0x1000,
	                                  VMX_EPT_ACCESS_READ, &r), ==, VMX_EPT_ERR_ARG);

	/* allocator failure */
	h->fail_alloc = true;
	g_assert_cmpint(vmx_ept_map(&h->ops, h->eptp, 0x8000000000ull, 0x1000, 0x1000,
	                            VMX_EPT_READ, host_alloc, h), ==, VMX_EPT_ERR_NOMEM);
	g_free(before);
	host_free(h);
}

/* ==== the student-readable line ========================================== */

static void test_describe(void)
{
	static const struct { uint64_t qual; const char *text; } rows[] = {
		{ Q_W | Q_AR | Q_AX, "write to a page mapped read-only (allowed: R-X)" },
		{ Q_F | Q_AR | Q_AW, "instruction fetch from a page mapped non-executable (allowed: RW-)" },
		{ Q_R | Q_AX,        "read from a page mapped without read access (allowed: --X)" },
		{ Q_R,               "read from a guest-physical page with no EPT mapping" },
		{ Q_R | Q_W | Q_AR,  "write to a page mapped read-only (allowed: R--)" },
		{ Q_R | Q_AR | VMX_EPT_QUAL_LINEAR_VALID,
		  "read from a page whose EPT permissions allow it (not a permission fault) (allowed: R--)" },
	};
	char buf[128], small[10];

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++)
		g_assert_cmpstr(vmx_ept_qual_describe(rows[i].qual, buf, sizeof buf), ==, rows[i].text);
	/* truncated, still terminated */
	g_assert_cmpstr(vmx_ept_qual_describe(Q_R, small, sizeof small), ==, "read from");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/vmx/ept/perms", test_perms);
	g_test_add_func("/vmx/ept/not-present", test_not_present);
	g_test_add_func("/vmx/ept/large-pages", test_large_pages);
	g_test_add_func("/vmx/ept/misconfig", test_misconfig);
	g_test_add_func("/vmx/ept/outside", test_outside);
	g_test_add_func("/vmx/ept/roundtrip", test_roundtrip);
	g_test_add_func("/vmx/ept/bad-args", test_bad_args);
	g_test_add_func("/vmx/ept/describe", test_describe);
	return g_test_run();
}
