/* vmx-ept.c — extended page tables: the processor's GPA -> SPA walk with
 * its violation and misconfiguration checks, the hypervisor's table builder
 * (map/unmap in 4 KiB pages), and a readable EPT-violation qualification.
 * Sim thread, pure model; the tables live in host memory behind VmxEptMem. */
#include <stdio.h>
#include <string.h>

#include "vmx-ept.h"

/* Each level consumes 9 GPA bits above the 12-bit page offset: level 1 (PT)
 * bits 20:12, level 2 (PD) 29:21, level 3 (PDPT) 38:30, level 4 (PML4)
 * 47:39. An entry at `level` that ends the walk maps this many bytes. */
#define LEVEL_SHIFT(level) (12u + 9u * ((unsigned)(level) - 1u))
#define INDEX_MASK         (VMX_EPT_ENTRIES - 1u)
#define GPA_LIMIT          (1ull << VMX_EPT_GPA_BITS)
#define SPA_LIMIT          (VMX_EPT_ADDR_MASK + VMX_EPT_PAGE_SIZE) /* 2^52 */

/* Reserved bits of a present entry, by what the entry is (SDM "EPT
 * misconfigurations"). With MAXPHYADDR = 52 there are no reserved address
 * bits above the address field, only these:
 *   PML4E                bits 7:3 (so a "large" PML4E is a misconfig)
 *   PDPTE/PDE -> table   bits 6:3 (memory type and ignore-PAT are leaf-only)
 *   PDPTE 1 GiB page     bits 29:12 (the page must be 1 GiB aligned)
 *   PDE 2 MiB page       bits 20:12 (the page must be 2 MiB aligned)
 *   PTE                  none (bit 7 is ignored there) */
#define RSVD_PML4E     0xF8ull
#define RSVD_NONLEAF   0x78ull
#define RSVD_1G_LEAF   0x3FFFF000ull
#define RSVD_2M_LEAF   0x1FF000ull

/* 0 .. 511: which entry of the level-`level` table translates `gpa`. */
static unsigned ept_index(uint64_t gpa, int level)
{
	return (unsigned)(gpa >> LEVEL_SHIFT(level)) & INDEX_MASK;
}

/* Present means "any of R/W/X": EPT has no separate present bit. (With
 * mode-based execute control bit 10, user execute, would count too; the
 * model does not implement that control.) */
static bool ept_present(uint64_t e)
{
	return (e & VMX_EPT_RWX) != 0;
}

/* Does this present entry end the walk? Always at level 1; at levels 3 and
 * 2 when the large-page bit is set. At level 4 bit 7 is reserved, which
 * ept_misconfigured() reports before anyone asks this. */
static bool ept_is_leaf(uint64_t e, int level)
{
	return level == 1 || ((level == 2 || level == 3) && (e & VMX_EPT_LARGE));
}

/* The misconfiguration conditions the model checks, for a present entry:
 *  1. write permission without read permission (bits 1:0 = 10b). Execute-
 *     only (bits 2:0 = 100b) is legal: the model behaves like a processor
 *     that reports execute-only support in IA32_VMX_EPT_VPID_CAP.
 *  2. reserved bits set (the table above RSVD_PML4E).
 *  3. a leaf with a reserved memory type (2, 3 or 7).
 * Not modelled: reserved address bits for MAXPHYADDR < 52, and the
 * conditions that depend on mode-based execute or sub-page permissions. */
static bool ept_misconfigured(uint64_t e, int level)
{
	uint64_t rsvd;

	if ((e & (VMX_EPT_READ | VMX_EPT_WRITE)) == VMX_EPT_WRITE)
		return true;
	if (level == 4)
		rsvd = RSVD_PML4E;
	else if (level == 1)
		rsvd = 0;
	else if (!(e & VMX_EPT_LARGE))
		rsvd = RSVD_NONLEAF;
	else
		rsvd = level == 3 ? RSVD_1G_LEAF : RSVD_2M_LEAF;
	if (e & rsvd)
		return true;
	if (ept_is_leaf(e, level)) {
		unsigned mt = (unsigned)((e & VMX_EPT_MEMTYPE_MASK) >> VMX_EPT_MEMTYPE_SHIFT);

		if (mt != VMX_EPT_MT_UC && mt != VMX_EPT_MT_WC && mt != VMX_EPT_MT_WT &&
		    mt != VMX_EPT_MT_WP && mt != VMX_EPT_MT_WB)
			return true;
	}
	return false;
}

/* An EPTP that VM entry would accept (SDM "Checks on VMX controls"): UC or
 * WB to access the tables, a 4-level walk, bits 11:7 and 63:52 zero. Bit 7
 * (supervisor shadow-stack control) is not modelled, so it is refused too. */
static bool ept_eptp_valid(uint64_t eptp)
{
	uint64_t mt = eptp & VMX_EPTP_MEMTYPE_MASK;

	if (mt != VMX_EPT_MT_UC && mt != VMX_EPT_MT_WB)
		return false;
	if ((eptp & VMX_EPTP_WALK_MASK) != VMX_EPTP_WALK_4)
		return false;
	return (eptp & ~(VMX_EPTP_ADDR_MASK | VMX_EPTP_MEMTYPE_MASK |
	                 VMX_EPTP_WALK_MASK | VMX_EPTP_AD_ENABLE)) == 0;
}

static bool ept_read_entry(const VmxEptMem *mem, uint64_t table, unsigned index,
                           uint64_t *entry)
{
	return mem->read(mem->ctx, table + (uint64_t)index * sizeof *entry,
	                 entry, sizeof *entry);
}

static bool ept_write_entry(VmxEptMem *mem, uint64_t table, unsigned index,
                            uint64_t entry)
{
	return mem->write(mem->ctx, table + (uint64_t)index * sizeof entry,
	                  &entry, sizeof entry);
}

/* ==== The processor's walk ============================================== */

/* The EPT-violation qualification for `access` when the entries walked so
 * far allow `perms`: bits 2:0 what was attempted, bits 5:3 what the
 * translation allowed. Bits 5:3 are an AND over every entry used, so a
 * not-present entry (R=W=X=0) on the way makes them all 0. */
static uint64_t ept_violation_qual(unsigned access, unsigned perms)
{
	uint64_t q = 0;

	if (access & VMX_EPT_ACCESS_READ)
		q |= VMX_EPT_QUAL_READ;
	if (access & VMX_EPT_ACCESS_WRITE)
		q |= VMX_EPT_QUAL_WRITE;
	if (access & VMX_EPT_ACCESS_EXEC)
		q |= VMX_EPT_QUAL_FETCH;
	if (perms & VMX_EPT_READ)
		q |= VMX_EPT_QUAL_READABLE;
	if (perms & VMX_EPT_WRITE)
		q |= VMX_EPT_QUAL_WRITABLE;
	if (perms & VMX_EPT_EXEC)
		q |= VMX_EPT_QUAL_EXECUTABLE;
	return q;
}

/* The access bits and the permission bits share positions (R=1, W=2, X=4),
 * which is why "access & ~perms" below is the whole permission check. */
_Static_assert(VMX_EPT_ACCESS_READ == VMX_EPT_READ &&
               VMX_EPT_ACCESS_WRITE == VMX_EPT_WRITE &&
               VMX_EPT_ACCESS_EXEC == VMX_EPT_EXEC,
               "access kinds and EPT permission bits line up");

int vmx_ept_translate(const VmxEptMem *mem, uint64_t eptp, uint64_t gpa,
                      unsigned access, VmxEptResult *out)
{
	uint64_t table;
	unsigned perms = (unsigned)VMX_EPT_RWX;

	if (mem == NULL || out == NULL || !ept_eptp_valid(eptp) ||
	    access == 0 || (access & ~(unsigned)VMX_EPT_RWX) != 0 || gpa >= GPA_LIMIT)
		return VMX_EPT_ERR_ARG;
	memset(out, 0, sizeof *out);

	table = eptp & VMX_EPTP_ADDR_MASK;
	for (int level = VMX_EPT_LEVELS; level >= 1; level--) {
		uint64_t e;

		out->level = level;
		/* A table address that is not backed by host memory: on hardware
		 * the read goes to whatever the bus returns (typically all ones,
		 * which has reserved bits set). The model calls it what it is
		 * most like, a misconfiguration — the hypervisor's bug either
		 * way. out->level names the table that could not be read and
		 * out->entry is 0. */
		if (!ept_read_entry(mem, table, ept_index(gpa, level), &e)) {
			out->entry = 0;
			return VMX_EPT_MISCONFIG;
		}
		out->entry = e;

		/* Not present: the walk stops with a violation. Present but
		 * nonsensical: misconfiguration, checked before permissions (the
		 * SDM gives misconfigurations priority over violations). */
		perms &= (unsigned)(e & VMX_EPT_RWX);
		out->perms = perms;
		if (!ept_present(e)) {
			out->qualification = ept_violation_qual(access, 0);
			return VMX_EPT_VIOLATION;
		}
		if (ept_misconfigured(e, level))
			return VMX_EPT_MISCONFIG;
		if (!ept_is_leaf(e, level)) {
			table = e & VMX_EPT_ADDR_MASK;
			continue;
		}

		/* A leaf: the page frame from the entry, the offset from the GPA.
		 * Permissions are the AND over all levels, so an intermediate
		 * entry can take away rights the leaf grants. */
		out->page_size = 1ull << LEVEL_SHIFT(level);
		out->spa = (e & VMX_EPT_ADDR_MASK & ~(out->page_size - 1)) |
		           (gpa & (out->page_size - 1));
		if (access & ~perms) {
			out->qualification = ept_violation_qual(access, perms);
			return VMX_EPT_VIOLATION;
		}
		return VMX_EPT_OK;
	}
	return VMX_EPT_MISCONFIG; /* not reached: level 1 always ends the walk */
}

/* ==== The hypervisor's side: building tables ============================ */

/* Everything map and unmap check before touching memory. */
static int ept_check_range(uint64_t eptp, uint64_t gpa, uint64_t size)
{
	if (!ept_eptp_valid(eptp) || size == 0)
		return VMX_EPT_ERR_ARG;
	if ((gpa | size) & (VMX_EPT_PAGE_SIZE - 1))
		return VMX_EPT_ERR_ARG;
	if (gpa + size < gpa || gpa + size > GPA_LIMIT)
		return VMX_EPT_ERR_ARG;
	return VMX_EPT_OK;
}

/* Walk from the PML4 down to the page table that holds `gpa`'s PTE. Present
 * entries on the way must be plain table pointers: a large page or a
 * misconfigured entry is VMX_EPT_ERR_CONFLICT (the builder only deals in
 * 4 KiB pages and will not silently split or overwrite one). A missing
 * table is allocated when `alloc` is given; otherwise *pt = 0 and the
 * result is VMX_EPT_OK. Intermediate entries get R/W/X all set, so the
 * leaf alone decides the permissions. */
static int ept_find_pt(VmxEptMem *mem, uint64_t eptp, uint64_t gpa,
                       uint64_t (*alloc)(void *ctx), void *alloc_ctx, uint64_t *pt)
{
	uint64_t table = eptp & VMX_EPTP_ADDR_MASK;

	for (int level = VMX_EPT_LEVELS; level >= 2; level--) {
		unsigned idx = ept_index(gpa, level);
		uint64_t e;

		if (!ept_read_entry(mem, table, idx, &e))
			return VMX_EPT_ERR_IO;
		if (!ept_present(e)) {
			uint64_t fresh;

			if (alloc == NULL) {
				*pt = 0;
				return VMX_EPT_OK;
			}
			fresh = alloc(alloc_ctx);
			if (fresh == 0)
				return VMX_EPT_ERR_NOMEM;
			if (fresh & ~VMX_EPT_ADDR_MASK)
				return VMX_EPT_ERR_ARG; /* allocator broke its contract */
			e = fresh | VMX_EPT_RWX;
			if (!ept_write_entry(mem, table, idx, e))
				return VMX_EPT_ERR_IO;
		} else if (ept_misconfigured(e, level) || ept_is_leaf(e, level)) {
			return VMX_EPT_ERR_CONFLICT;
		}
		table = e & VMX_EPT_ADDR_MASK;
	}
	*pt = table;
	return VMX_EPT_OK;
}

/* Pass 1 of map and unmap: read-only walk of every page, so that a conflict
 * anywhere in the range is found before the first write. */
static int ept_precheck(VmxEptMem *mem, uint64_t eptp, uint64_t gpa, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += VMX_EPT_PAGE_SIZE) {
		uint64_t pt;
		int r = ept_find_pt(mem, eptp, gpa + off, NULL, NULL, &pt);

		if (r != VMX_EPT_OK)
			return r;
	}
	return VMX_EPT_OK;
}

int vmx_ept_map(VmxEptMem *mem, uint64_t eptp, uint64_t gpa, uint64_t spa,
                uint64_t size, unsigned perms,
                uint64_t (*alloc_table)(void *ctx), void *alloc_ctx)
{
	uint64_t leaf_bits;
	int r;

	if (mem == NULL || alloc_table == NULL)
		return VMX_EPT_ERR_ARG;
	/* Permissions must be a present, well-formed leaf: W needs R. */
	if (perms == 0 || (perms & ~(unsigned)VMX_EPT_RWX) != 0 ||
	    (perms & (VMX_EPT_READ | VMX_EPT_WRITE)) == VMX_EPT_WRITE)
		return VMX_EPT_ERR_ARG;
	r = ept_check_range(eptp, gpa, size);
	if (r != VMX_EPT_OK)
		return r;
	if ((spa & (VMX_EPT_PAGE_SIZE - 1)) || spa + size < spa || spa + size > SPA_LIMIT)
		return VMX_EPT_ERR_ARG;
	r = ept_precheck(mem, eptp, gpa, size);
	if (r != VMX_EPT_OK)
		return r;

	/* Write-back is what ordinary RAM wants; the guest's PAT still
	 * combines with it because ignore-PAT stays clear. */
	leaf_bits = perms | ((uint64_t)VMX_EPT_MT_WB << VMX_EPT_MEMTYPE_SHIFT);
	for (uint64_t off = 0; off < size; off += VMX_EPT_PAGE_SIZE) {
		uint64_t pt;

		r = ept_find_pt(mem, eptp, gpa + off, alloc_table, alloc_ctx, &pt);
		if (r != VMX_EPT_OK)
			return r;
		if (!ept_write_entry(mem, pt, ept_index(gpa + off, 1), (spa + off) | leaf_bits))
			return VMX_EPT_ERR_IO;
	}
	return VMX_EPT_OK;
}

int vmx_ept_unmap(VmxEptMem *mem, uint64_t eptp, uint64_t gpa, uint64_t size)
{
	int r;

	if (mem == NULL)
		return VMX_EPT_ERR_ARG;
	r = ept_check_range(eptp, gpa, size);
	if (r != VMX_EPT_OK)
		return r;
	r = ept_precheck(mem, eptp, gpa, size);
	if (r != VMX_EPT_OK)
		return r;
	for (uint64_t off = 0; off < size; off += VMX_EPT_PAGE_SIZE) {
		uint64_t pt;

		r = ept_find_pt(mem, eptp, gpa + off, NULL, NULL, &pt);
		if (r != VMX_EPT_OK)
			return r;
		if (pt != 0 && !ept_write_entry(mem, pt, ept_index(gpa + off, 1), 0))
			return VMX_EPT_ERR_IO;
	}
	return VMX_EPT_OK;
}

/* ==== Explaining a violation ============================================ */

const char *vmx_ept_qual_describe(uint64_t qual, char *buf, size_t len)
{
	const char *what, *why;
	char allowed[4];

	if (buf == NULL || len == 0)
		return buf;

	/* A read-modify-write reports read and write; the write is the part
	 * that can fail where the read did not, so it names the access. */
	if (qual & VMX_EPT_QUAL_FETCH)
		what = "instruction fetch from";
	else if (qual & VMX_EPT_QUAL_WRITE)
		what = "write to";
	else if (qual & VMX_EPT_QUAL_READ)
		what = "read from";
	else
		what = "access to";

	allowed[0] = (qual & VMX_EPT_QUAL_READABLE) ? 'R' : '-';
	allowed[1] = (qual & VMX_EPT_QUAL_WRITABLE) ? 'W' : '-';
	allowed[2] = (qual & VMX_EPT_QUAL_EXECUTABLE) ? 'X' : '-';
	allowed[3] = '\0';

	if (!(qual & (VMX_EPT_QUAL_READABLE | VMX_EPT_QUAL_WRITABLE | VMX_EPT_QUAL_EXECUTABLE))) {
		snprintf(buf, len, "%s a guest-physical page with no EPT mapping", what);
		return buf;
	}
	if ((qual & VMX_EPT_QUAL_FETCH) && !(qual & VMX_EPT_QUAL_EXECUTABLE))
		why = "a page mapped non-executable";
	else if ((qual & VMX_EPT_QUAL_WRITE) && !(qual & VMX_EPT_QUAL_WRITABLE))
		why = "a page mapped read-only";
	else if ((qual & VMX_EPT_QUAL_READ) && !(qual & VMX_EPT_QUAL_READABLE))
		why = "a page mapped without read access";
	else
		why = "a page whose EPT permissions allow it (not a permission fault)";
	snprintf(buf, len, "%s %s (allowed: %s)", what, why, allowed);
	return buf;
}
