/* vmx-ept.h — extended page tables (EPT, Intel's second-level address
 * translation): the entry and EPTP formats, the processor's GPA -> SPA walk,
 * and the hypervisor's side that builds the tables. Pure model, no GLib;
 * called from the sim thread. Included through vmx.h. */
#ifndef HVSIM_VMX_EPT_H
#define HVSIM_VMX_EPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmx-defs.h"   /* VMX_EPT_QUAL_* (EPT-violation exit qualification) */

/* How EPT works
 * -------------
 * With EPT enabled (VMX_PROC2_ENABLE_EPT) the guest's own page tables map
 * guest-linear to guest-physical addresses (GPA) as usual, and a second set
 * of tables, owned by the hypervisor and invisible to the guest, maps every
 * GPA to a host-physical address (SPA, "system physical" in Hyper-V terms).
 * That is what gives each partition its own physical address space. The
 * root is the EPT pointer (VMCS_EPT_POINTER). The walk has the shape of
 * 4-level IA-32e paging: GPA bits 47:39 index the PML4, 38:30 the PDPT
 * (a 1 GiB page can end the walk there), 29:21 the page directory (2 MiB
 * page) and 20:12 the page table (4 KiB page).
 *
 * Unlike ordinary paging there is no separate present bit: an entry is
 * present when any of R/W/X is set. A missing or too-weak entry causes an
 * EPT violation (exit 48, the qualification says what was tried and what
 * was allowed); an entry that makes no sense (write without read, reserved
 * bits) causes an EPT misconfiguration (exit 49), which is always the
 * hypervisor's bug, never the guest's.
 *
 * The model assumes MAXPHYADDR = 52, so bits 51:12 of every entry are
 * address bits; a real processor with a smaller MAXPHYADDR also treats
 * address bits 51:MAXPHYADDR as reserved. */

/* ==== EPT paging-structure entry (SDM Vol. 3C, "EPT translation") ======== */
#define VMX_EPT_READ          (1ull << 0)  /* reads allowed */
#define VMX_EPT_WRITE         (1ull << 1)  /* writes allowed (requires READ) */
#define VMX_EPT_EXEC          (1ull << 2)  /* instruction fetches allowed (supervisor
                                            * fetches when mode-based execute is on) */
#define VMX_EPT_RWX           (VMX_EPT_READ | VMX_EPT_WRITE | VMX_EPT_EXEC)
#define VMX_EPT_MEMTYPE_SHIFT 3            /* leaf bits 5:3: EPT memory type */
#define VMX_EPT_MEMTYPE_MASK  (7ull << VMX_EPT_MEMTYPE_SHIFT)
#define VMX_EPT_IGNORE_PAT    (1ull << 6)  /* leaf: ignore the guest's PAT type */
#define VMX_EPT_LARGE         (1ull << 7)  /* PDPTE: 1 GiB page, PDE: 2 MiB page;
                                            * reserved (must be 0) in a PML4E */
#define VMX_EPT_ACCESSED      (1ull << 8)  /* set by the walk when EPTP A/D is on */
#define VMX_EPT_DIRTY         (1ull << 9)  /* leaf: set on write when EPTP A/D is on */
#define VMX_EPT_ADDR_MASK     0x000FFFFFFFFFF000ull /* bits 51:12 */

/* Memory types (EPT leaf bits 5:3 and EPTP bits 2:0). 2, 3 and 7 are
 * reserved; a leaf with one of them is a misconfiguration. */
#define VMX_EPT_MT_UC         0u
#define VMX_EPT_MT_WC         1u
#define VMX_EPT_MT_WT         4u
#define VMX_EPT_MT_WP         5u
#define VMX_EPT_MT_WB         6u

/* ==== EPT pointer (VMCS_EPT_POINTER) ===================================== */
#define VMX_EPTP_MEMTYPE_MASK 0x7ull       /* bits 2:0: type used to read the tables */
#define VMX_EPTP_WALK_SHIFT   3            /* bits 5:3: page-walk length - 1 */
#define VMX_EPTP_WALK_MASK    (7ull << VMX_EPTP_WALK_SHIFT)
#define VMX_EPTP_WALK_4       (3ull << VMX_EPTP_WALK_SHIFT) /* 4-level walk */
#define VMX_EPTP_AD_ENABLE    (1ull << 6)  /* accessed/dirty flags enabled */
#define VMX_EPTP_ADDR_MASK    VMX_EPT_ADDR_MASK /* bits 51:12: PML4 address */

/* Geometry of the 4-level walk. */
#define VMX_EPT_LEVELS        4
#define VMX_EPT_ENTRIES       512          /* 8-byte entries per 4 KiB table */
#define VMX_EPT_PAGE_SIZE     0x1000ull    /* 4 KiB */
#define VMX_EPT_2M_SIZE       0x200000ull
#define VMX_EPT_1G_SIZE       0x40000000ull
#define VMX_EPT_GPA_BITS      48           /* what 4 levels can translate */

/* The access being translated (the first three qualification bits). */
#define VMX_EPT_ACCESS_READ   1u
#define VMX_EPT_ACCESS_WRITE  2u
#define VMX_EPT_ACCESS_EXEC   4u

/* ==== Results and errors ================================================= */
/* Outcomes of a walk (>= 0) ... */
#define VMX_EPT_OK            0   /* translated: out->spa is valid */
#define VMX_EPT_VIOLATION     1   /* exit 48; out->qualification is filled in */
#define VMX_EPT_MISCONFIG     2   /* exit 49; out->level/out->entry name the bad entry */
/* ... and caller errors (< 0); nothing has been read or written. */
#define VMX_EPT_ERR_ARG      (-1) /* bad EPTP, unaligned/empty/wrapping range,
                                   * bad permissions, GPA beyond 48 bits */
#define VMX_EPT_ERR_NOMEM    (-2) /* alloc_table returned 0 */
#define VMX_EPT_ERR_IO       (-3) /* host memory read/write callback failed */
#define VMX_EPT_ERR_CONFLICT (-4) /* range crosses a large page or a
                                   * misconfigured entry: map/unmap work in
                                   * 4 KiB pages only */

/* Host-physical memory, where the EPT tables live. read/write return false
 * when [spa, spa+len) is not backed. */
typedef struct VmxEptMem {
	bool (*read)(void *ctx, uint64_t spa, void *buf, size_t len);
	bool (*write)(void *ctx, uint64_t spa, const void *buf, size_t len);
	void *ctx;
} VmxEptMem;

typedef struct VmxEptResult {
	uint64_t spa;           /* OK: the host-physical address */
	uint64_t page_size;     /* OK: 4 KiB, 2 MiB or 1 GiB */
	uint64_t qualification; /* VIOLATION: the exit qualification (bits 5:0;
	                         * bits 7 and 8 are the caller's to set) */
	uint64_t entry;         /* the last entry read (the leaf, the not-present
	                         * one, or the misconfigured one) */
	unsigned perms;         /* AND of R/W/X over the entries walked so far */
	int level;              /* level of that entry: 4 PML4E, 3 PDPTE, 2 PDE,
	                         * 1 PTE; 0 if no entry was read */
} VmxEptResult;

/* The processor's walk of `gpa` for one access (exactly one of
 * VMX_EPT_ACCESS_*, or READ|WRITE for a read-modify-write). Returns
 * VMX_EPT_OK, VMX_EPT_VIOLATION or VMX_EPT_MISCONFIG with *out filled in,
 * or VMX_EPT_ERR_ARG (bad EPTP or access, gpa >= 2^48). The walk does not
 * set accessed/dirty flags. */
int vmx_ept_translate(const VmxEptMem *mem, uint64_t eptp, uint64_t gpa,
                      unsigned access, VmxEptResult *out);

/* The hypervisor's side: map [gpa, gpa+size) to [spa, spa+size) with 4 KiB
 * pages, permissions `perms` (VMX_EPT_READ/WRITE/EXEC, non-zero, WRITE only
 * with READ) and memory type WB. Missing tables come from alloc_table(ctx),
 * which returns the SPA of a zeroed 4 KiB page or 0. Existing 4 KiB
 * mappings in the range are replaced. Addresses and size must be 4 KiB
 * aligned, size non-zero, neither range may wrap or leave 48 bits (GPA) /
 * 52 bits (SPA). Arguments and the whole range are checked before anything
 * is written (ERR_ARG, ERR_CONFLICT leave the tables untouched); on
 * ERR_NOMEM or ERR_IO the pages before the failing one stay mapped. */
int vmx_ept_map(VmxEptMem *mem, uint64_t eptp, uint64_t gpa, uint64_t spa,
                uint64_t size, unsigned perms,
                uint64_t (*alloc_table)(void *ctx), void *alloc_ctx);

/* Clear the 4 KiB leaf entries of [gpa, gpa+size); pages with no table are
 * already unmapped and skipped. Tables are not freed. Same argument rules
 * as vmx_ept_map. After unmapping, a real hypervisor must INVEPT. */
int vmx_ept_unmap(VmxEptMem *mem, uint64_t eptp, uint64_t gpa, uint64_t size);

/* One line for students, e.g. "write to a page mapped read-only (allowed:
 * R-X)". Writes into buf (truncating to len) and returns buf. */
const char *vmx_ept_qual_describe(uint64_t qual, char *buf, size_t len);

#endif /* HVSIM_VMX_EPT_H */
