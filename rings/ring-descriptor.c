/* ring-descriptor.c — segment selectors and GDT descriptors: how the CPU
 * finds and decodes the 8-byte (or, for system descriptors in long mode,
 * 16-byte) entry a selector names. Sim thread; pure model.
 *
 * In 64-bit mode segmentation is mostly switched off (bases and limits of
 * CS/DS/ES/SS are ignored), but descriptors still carry the two things
 * privilege depends on: DPL, the ring a segment belongs to, and for code the
 * L bit that says "this is 64-bit code". */
#include <string.h>

#include "ring-private.h"

/* In IA-32e mode these system descriptors are 16 bytes: the second 8 bytes
 * hold base 63:32 so a TSS or LDT can live anywhere in the 64-bit space. */
static bool is_wide_system(const RingDescriptor *d)
{
	if (d->s)
		return false;
	switch (d->type) {
	case RING_SYS_LDT:
	case RING_SYS_TSS64_AVAIL:
	case RING_SYS_TSS64_BUSY:
	case RING_SYS_CALL_GATE64:
		return true;
	default:
		return false;
	}
}

static void decode(uint64_t raw, RingDescriptor *d)
{
	uint32_t limit = (uint32_t)(raw & RING_DESC_LIMIT_LO_MASK) |
	                 (uint32_t)((raw >> RING_DESC_LIMIT_HI_SHIFT) & RING_DESC_LIMIT_HI_MASK)
	                         << RING_DESC_LIMIT_HI_POS;

	memset(d, 0, sizeof *d);
	d->base = ((raw >> RING_DESC_BASE_LO_SHIFT) & RING_DESC_BASE_LO_MASK) |
	          (raw >> RING_DESC_BASE_HI_SHIFT) << RING_DESC_BASE_HI_POS;
	d->type = (uint8_t)((raw >> RING_DESC_TYPE_SHIFT) & RING_DESC_TYPE_MASK);
	d->s = (raw & RING_DESC_S) != 0;
	d->dpl = (uint8_t)((raw >> RING_DESC_DPL_SHIFT) & RING_DESC_DPL_MASK);
	d->present = (raw & RING_DESC_P) != 0;
	d->avl = (raw & RING_DESC_AVL) != 0;
	d->l = (raw & RING_DESC_L) != 0;
	d->db = (raw & RING_DESC_DB) != 0;
	d->g = (raw & RING_DESC_G) != 0;
	/* G = 1: the 20-bit limit counts 4 KiB pages, and the low 12 bits of
	 * the byte limit read as ones (a limit covers the whole last page). */
	d->limit = d->g ? (limit << RING_DESC_G_SHIFT) | ((1u << RING_DESC_G_SHIFT) - 1) : limit;
}

RingStatus ring_load_descriptor(const RingCpu *cpu, const RingMem *mem, uint16_t sel,
                                uint32_t ext, RingDescriptor *out, RingFault *f)
{
	uint32_t ec = (sel & RING_SEL_ERRCODE_MASK) | ext;
	uint32_t offset = sel & RING_SEL_INDEX_MASK;
	uint8_t raw[RING_DESC_SYSTEM_SIZE];
	RingStatus st;

	if (sel & RING_SEL_TI) {
		/* The model's LDTR is always null, and the SDM treats a
		 * reference through a null LDTR like one past the table's end. */
		ring_fault_set(f, RING_VEC_GP, true, ec,
		               "selector 0x%x names the LDT (LDTR is null)", sel);
		return RING_FAULT;
	}
	/* GDTR.limit is the offset of the last valid byte, so an 8-byte entry
	 * fits when offset + 7 <= limit. */
	if (offset + RING_DESC_SIZE - 1 > cpu->gdtr_limit) {
		ring_fault_set(f, RING_VEC_GP, true, ec,
		               "selector 0x%x past GDT limit 0x%x", sel, cpu->gdtr_limit);
		return RING_FAULT;
	}
	/* Descriptor-table reads are implicit supervisor accesses: a ring 3
	 * instruction that loads a selector still reads a supervisor-only GDT. */
	st = ring_access_read(cpu, mem, cpu->gdtr_base + offset, raw, RING_DESC_SIZE,
	                      RING_AS_IMPLICIT, false, ext, f);
	if (st != RING_OK)
		return st;
	decode(ring_le64(raw), out);

	if (is_wide_system(out)) {
		if (offset + RING_DESC_SYSTEM_SIZE - 1 > cpu->gdtr_limit) {
			ring_fault_set(f, RING_VEC_GP, true, ec,
			               "16-byte descriptor 0x%x crosses GDT limit 0x%x",
			               sel, cpu->gdtr_limit);
			return RING_FAULT;
		}
		st = ring_access_read(cpu, mem, cpu->gdtr_base + offset + RING_DESC_SIZE,
		                      raw + RING_DESC_SIZE, RING_DESC_SIZE,
		                      RING_AS_IMPLICIT, false, ext, f);
		if (st != RING_OK)
			return st;
		out->base |= (ring_le64(raw + RING_DESC_SIZE) & RING_DESC_UPPER_BASE_MASK)
		             << RING_DESC_UPPER_BASE_POS;
	}
	return RING_OK;
}

bool ring_read_descriptor(const RingCpu *cpu, const RingMem *mem, uint16_t sel,
                          RingDescriptor *out)
{
	RingFault f;

	/* Index 0 of the GDT is the null descriptor: a selector naming it is a
	 * deliberate "no segment", not a lookup. */
	if ((sel & (RING_SEL_INDEX_MASK | RING_SEL_TI)) == 0)
		return false;
	return ring_load_descriptor(cpu, mem, sel, 0, out, &f) == RING_OK;
}
