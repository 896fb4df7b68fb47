/* ring-paging.c — the page walker as the CPU runs it for privilege checks:
 * 4-level IA-32e paging, U/S, R/W with CR0.WP, NX, SMEP/SMAP, and the #PF
 * error code. Sim thread; pure model over caller-supplied guest memory. */
#include <string.h>

#include "ring-private.h"

/* Bits 63:47 all equal. In 64-bit mode the CPU checks this before paging:
 * the 16 unused upper bits are kept reserved so that future CPUs (5-level
 * paging, 57 bits) can use them without old software having squatted there. */
bool ring_canonical(uint64_t linear)
{
	uint64_t top = linear >> (RING_LINEAR_BITS - 1);

	return top == 0 || top == (UINT64_MAX >> (RING_LINEAR_BITS - 1));
}

static const char *const level_names[RING_PAGING_LEVELS + 1] = {
	[1] = "PTE", [2] = "PDE", [3] = "PDPTE", [4] = "PML4E",
};

/* Reserved bits of a paging-structure entry at a given level. A set reserved
 * bit is a #PF with RSVD = 1 even if the access would otherwise be allowed:
 * the CPU refuses to guess what the OS meant. */
static uint64_t reserved_bits(const RingCpu *cpu, int level, bool large)
{
	uint64_t rsvd = 0;

	/* Bit 63 is XD only when EFER.NXE enables it; otherwise reserved. */
	if (!(cpu->efer & RING_EFER_NXE))
		rsvd |= RING_PTE_XD;
	/* Address bits above MAXPHYADDR (none with the model's 52 bits). */
	rsvd |= RING_PTE_ADDR_BITS_ALL & ~RING_PTE_ADDR_MASK & ~(RING_PAGE_SIZE - 1);
	/* A PML4E cannot map a page: PS is reserved there. */
	if (level == 4)
		rsvd |= RING_PTE_PS;
	/* A large page's frame must be aligned to its size; the low address
	 * bits (above the PAT bit 12) are reserved. */
	if (large && level == 3)
		rsvd |= RING_LARGE_1G_RSVD;
	if (large && level == 2)
		rsvd |= RING_LARGE_2M_RSVD;
	return rsvd;
}

RingStatus ring_walk(const RingCpu *cpu, const RingMem *mem, uint64_t linear,
                     RingAccessKind kind, RingAccessor who, RingWalk *w)
{
	bool write = kind == RING_ACC_WRITE;
	bool exec = kind == RING_ACC_EXEC;
	bool user = who == RING_AS_USER;
	bool nxe = (cpu->efer & RING_EFER_NXE) != 0;
	bool smep = (cpu->cr4 & RING_CR4_SMEP) != 0;
	bool smap = (cpu->cr4 & RING_CR4_SMAP) != 0;

	w->gpa = 0;
	w->pfec = RING_PF_NONE;
	w->level = 0;
	w->problem = NULL;

	if (ring_long_mode(cpu) && !ring_canonical(linear)) {
		w->problem = "non-canonical address";
		return RING_FAULT;
	}
	if (!(cpu->cr0 & RING_CR0_PG)) {
		w->gpa = linear;  /* paging off: linear == physical */
		return RING_OK;
	}
	if (!(cpu->cr4 & RING_CR4_PAE) || !ring_long_mode(cpu) ||
	    (cpu->cr4 & RING_CR4_LA57)) {
		w->problem = "only 4-level IA-32e paging is modelled";
		return RING_UNSUPPORTED;
	}

	/* The error code describes the access, whatever goes wrong: W/R for a
	 * write, U/S for a CPL 3 access (never for the CPU's implicit
	 * supervisor accesses), I/D for a fetch when NX or SMEP make fetches
	 * distinguishable. P is added below once an entry was found present. */
	uint32_t pfec = (write ? RING_PFEC_W : 0) | (user ? RING_PFEC_U : 0) |
	                (exec && (nxe || smep) ? RING_PFEC_I : 0);

	/* Rights are the intersection over all four levels: a page is user-
	 * accessible only if every entry on the way says U/S = 1, writable only
	 * if every entry says R/W = 1, and non-executable if any says XD. */
	bool allow_user = true, allow_write = true, no_exec = false;
	uint64_t table = cpu->cr3 & RING_CR3_ADDR_MASK;

	for (int level = RING_PAGING_LEVELS; level >= 1; level--) {
		unsigned shift = RING_PAGE_SHIFT + RING_PT_INDEX_BITS * (unsigned)(level - 1);
		uint64_t index = (linear >> shift) & (RING_PT_ENTRIES - 1);
		uint8_t raw[8];

		w->level = level;
		if (!mem->read(mem->ctx, table + index * sizeof raw, raw, sizeof raw)) {
			/* Real hardware would read whatever the bus returns; the model
			 * calls it not present so the guest sees a #PF, and says why. */
			w->problem = "page-table entry outside guest RAM";
			w->pfec = pfec;
			return RING_FAULT;
		}
		uint64_t entry = ring_le64(raw);

		if (!(entry & RING_PTE_P)) {
			w->problem = "not present";
			w->pfec = pfec;
			return RING_FAULT;
		}
		bool large = (level == 2 || level == 3) && (entry & RING_PTE_PS);
		if (entry & reserved_bits(cpu, level, large)) {
			w->problem = "reserved bit set";
			w->pfec = pfec | RING_PFEC_P | RING_PFEC_RSVD;
			return RING_FAULT;
		}
		allow_user = allow_user && (entry & RING_PTE_US);
		allow_write = allow_write && (entry & RING_PTE_RW);
		no_exec = no_exec || (nxe && (entry & RING_PTE_XD));

		if (large || level == 1) {
			uint64_t page_mask = (1ull << shift) - 1;

			w->gpa = (entry & RING_PTE_ADDR_MASK & ~page_mask) | (linear & page_mask);
			break;
		}
		table = entry & RING_PTE_ADDR_MASK;
	}

	/* The translation exists; now the protection checks. A failure here is
	 * a #PF with P = 1: "present, but you may not". */
	const char *problem = NULL;

	if (user) {
		if (!allow_user)
			problem = "user access to a supervisor page";
		else if (write && !allow_write)
			problem = "user write to a read-only page";
		else if (exec && no_exec)
			problem = "fetch from an execute-disable page";
	} else if (exec) {
		if (no_exec)
			problem = "fetch from an execute-disable page";
		else if (smep && allow_user)
			/* SMEP: the kernel must never run code a user could have
			 * written; this stops ret2usr exploits. */
			problem = "SMEP: supervisor fetch from a user page";
	} else {
		if (smap && allow_user &&
		    (who == RING_AS_IMPLICIT || !(cpu->rflags & RING_RFLAGS_AC)))
			/* SMAP: the kernel touches user memory only inside an
			 * explicit STAC/CLAC window (RFLAGS.AC = 1); the CPU's own
			 * accesses never get that exemption. */
			problem = "SMAP: supervisor access to a user page";
		else if (write && !allow_write && (cpu->cr0 & RING_CR0_WP))
			/* With CR0.WP = 0 the kernel may write anywhere; copy-on-
			 * write kernels set WP so their own writes fault too. */
			problem = "supervisor write to a read-only page (CR0.WP=1)";
	}
	if (problem) {
		w->problem = problem;
		w->pfec = pfec | RING_PFEC_P;
		return RING_FAULT;
	}
	return RING_OK;
}

RingStatus ring_translate(const RingCpu *cpu, const RingMem *mem, uint64_t linear,
                          RingAccessKind kind, bool user, uint64_t *gpa,
                          uint32_t *pf_error_code)
{
	RingWalk w;
	RingStatus st = ring_walk(cpu, mem, linear, kind,
	                          user ? RING_AS_USER : RING_AS_SUPERVISOR, &w);

	*gpa = w.gpa;
	*pf_error_code = w.pfec;
	return st;
}

/* One page-sized piece at a time: consecutive linear pages may map to
 * unrelated physical frames, and each page has its own rights. */
static RingStatus access_pages(const RingCpu *cpu, const RingMem *mem, uint64_t linear,
                               bool write, uint8_t *rbuf, const uint8_t *wbuf, size_t len,
                               RingAccessor who, bool stack, uint32_t ext, RingFault *f)
{
	size_t done = 0;

	while (done < len) {
		uint64_t cur = linear + done;
		size_t room = (size_t)(RING_PAGE_SIZE - (cur & (RING_PAGE_SIZE - 1)));
		size_t chunk = len - done < room ? len - done : room;
		RingWalk w;
		RingStatus st = ring_walk(cpu, mem, cur, write ? RING_ACC_WRITE : RING_ACC_READ,
		                          who, &w);

		if (st == RING_UNSUPPORTED) {
			ring_fault_set(f, RING_VEC_GP, false, 0, "%s", w.problem);
			return st;
		}
		if (st == RING_FAULT) {
			if (w.pfec == RING_PF_NONE) {
				/* Non-canonical: not a paging fault at all. Stack
				 * references report #SS, everything else #GP. */
				ring_fault_set(f, stack ? RING_VEC_SS : RING_VEC_GP, true, ext,
				               "non-canonical address 0x%llx",
				               (unsigned long long)cur);
			} else {
				ring_fault_set(f, RING_VEC_PF, true, w.pfec, "%s at 0x%llx (%s)",
				               w.problem, (unsigned long long)cur,
				               level_names[w.level]);
				f->sets_cr2 = true;
				f->cr2 = cur;
			}
			return RING_FAULT;
		}
		bool ok = write ? mem->write(mem->ctx, w.gpa, wbuf + done, chunk)
		                : mem->read(mem->ctx, w.gpa, rbuf + done, chunk);
		if (!ok) {
			ring_fault_set(f, RING_VEC_GP, false, 0,
			               "GPA 0x%llx is not backed by guest RAM",
			               (unsigned long long)w.gpa);
			return RING_UNSUPPORTED;
		}
		done += chunk;
	}
	return RING_OK;
}

RingStatus ring_access_read(const RingCpu *cpu, const RingMem *mem, uint64_t linear,
                            void *buf, size_t len, RingAccessor who, bool stack,
                            uint32_t ext, RingFault *f)
{
	return access_pages(cpu, mem, linear, false, buf, NULL, len, who, stack, ext, f);
}

RingStatus ring_access_write(const RingCpu *cpu, const RingMem *mem, uint64_t linear,
                             const void *buf, size_t len, RingAccessor who, bool stack,
                             uint32_t ext, RingFault *f)
{
	return access_pages(cpu, mem, linear, true, NULL, buf, len, who, stack, ext, f);
}

static uint32_t pf_code_of(RingStatus st, const RingFault *f)
{
	return st == RING_FAULT && f->vector == RING_VEC_PF ? f->error_code : RING_PF_NONE;
}

RingStatus ring_read_linear(const RingCpu *cpu, const RingMem *mem, uint64_t linear,
                            void *buf, size_t len, bool user, uint32_t *pf_error_code)
{
	RingFault f;
	RingStatus st = ring_access_read(cpu, mem, linear, buf, len,
	                                 user ? RING_AS_USER : RING_AS_SUPERVISOR,
	                                 false, 0, &f);

	*pf_error_code = pf_code_of(st, &f);
	return st;
}

RingStatus ring_write_linear(const RingCpu *cpu, const RingMem *mem, uint64_t linear,
                             const void *buf, size_t len, bool user,
                             uint32_t *pf_error_code)
{
	RingFault f;
	RingStatus st = ring_access_write(cpu, mem, linear, buf, len,
	                                  user ? RING_AS_USER : RING_AS_SUPERVISOR,
	                                  false, 0, &f);

	*pf_error_code = pf_code_of(st, &f);
	return st;
}
