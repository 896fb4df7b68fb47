/* ring-iret.c — IRETQ in 64-bit mode: the way back from an interrupt or
 * exception handler, and the checks that stop it from being a way *up*.
 * Sim thread; pure model of the CPU's privilege rules.
 *
 * IRETQ trusts nothing on the stack. The frame it pops could have been
 * written by anyone the handler let touch it, so before loading CS:RIP and
 * SS:RSP the CPU re-checks every privilege rule a far return must obey:
 * you may return to the same ring or an outer one, never an inner one, and
 * the stack you land on must belong to the ring you land in. */
#include <string.h>

#include "ring-private.h"

/* The IRETQ frame, lowest address first: what interrupt delivery pushed. */
enum { FRAME_RIP, FRAME_CS, FRAME_RFLAGS, FRAME_RSP, FRAME_SS, FRAME_QWORDS };

static RingStatus raise_fault(RingCpu *cpu, RingTransition *out, const RingFault *f)
{
	char name[32];

	if (f->sets_cr2)
		cpu->cr2 = f->cr2;  /* the CPU loads CR2 when it detects a #PF */
	out->vector = out->original_vector = f->vector;
	out->error_code_pushed = f->has_error_code;
	out->error_code = f->error_code;
	ring_fault_name(name, sizeof name, f);
	ring_format(out->detail, sizeof out->detail, "%s on IRETQ: %s", name, f->why);
	return RING_FAULT;
}

RingStatus ring_iret(RingCpu *cpu, const RingMem *mem, RingTransition *out)
{
	const uint8_t cpl = ring_cpl(cpu);
	uint8_t raw[FRAME_QWORDS * sizeof(uint64_t)];
	uint64_t frame[FRAME_QWORDS];
	RingFault f;
	RingStatus st;

	memset(out, 0, sizeof *out);
	out->from_cpl = out->to_cpl = cpl;
	out->from_rip = cpu->rip;
	out->cause = out->original_cause = RING_CAUSE_IRET;

	if (!ring_long_mode(cpu)) {
		ring_format(out->detail, sizeof out->detail,
		            "IRETQ: only 64-bit mode is modelled");
		return RING_UNSUPPORTED;
	}
	/* NT = 1 asks IRET to return to the previous task through the TSS back
	 * link. Hardware task switching does not exist in IA-32e mode. */
	if (cpu->rflags & RING_RFLAGS_NT) {
		ring_fault_set(&f, RING_VEC_GP, true, 0, "RFLAGS.NT=1 (no task return in long mode)");
		return raise_fault(cpu, out, &f);
	}

	/* Pop all five quadwords. In 64-bit mode IRETQ always pops SS:RSP,
	 * even when returning to the same ring, because delivery always pushes
	 * them. The pops are ordinary stack reads at the current CPL. */
	st = ring_access_read(cpu, mem, cpu->rsp, raw, sizeof raw,
	                      cpl == RING_CPL_USER ? RING_AS_USER : RING_AS_SUPERVISOR,
	                      true, 0, &f);
	if (st == RING_FAULT)
		return raise_fault(cpu, out, &f);
	if (st != RING_OK) {
		ring_format(out->detail, sizeof out->detail, "IRETQ: %s", f.why);
		return st;
	}
	for (int i = 0; i < FRAME_QWORDS; i++)
		frame[i] = ring_le64(raw + sizeof(uint64_t) * (size_t)i);

	uint64_t new_rip = frame[FRAME_RIP];
	uint16_t new_cs = (uint16_t)frame[FRAME_CS];
	uint64_t rflags_image = frame[FRAME_RFLAGS];
	uint64_t new_rsp = frame[FRAME_RSP];
	uint16_t new_ss = (uint16_t)frame[FRAME_SS];
	uint8_t rpl = new_cs & RING_SEL_RPL_MASK;   /* the CPL we would return to */
	uint32_t cs_ec = new_cs & RING_SEL_ERRCODE_MASK;
	uint32_t ss_ec = new_ss & RING_SEL_ERRCODE_MASK;
	bool ss_null = (new_ss & (RING_SEL_INDEX_MASK | RING_SEL_TI)) == 0;
	RingDescriptor cs, ss;

	/* The #GP(0) group the SDM checks first. */
	if ((new_cs & (RING_SEL_INDEX_MASK | RING_SEL_TI)) == 0) {
		ring_fault_set(&f, RING_VEC_GP, true, 0, "return CS is null");
		return raise_fault(cpu, out, &f);
	}
	if (!ring_canonical(new_rip)) {
		ring_fault_set(&f, RING_VEC_GP, true, 0, "return RIP 0x%llx not canonical",
		               (unsigned long long)new_rip);
		return raise_fault(cpu, out, &f);
	}
	/* A null SS is legal in 64-bit mode (delivery itself loads one on a
	 * privilege change), but never for ring 3, and its RPL must be the
	 * ring being returned to. */
	if (ss_null && rpl == RING_CPL_USER) {
		ring_fault_set(&f, RING_VEC_GP, true, 0, "null SS for a return to CPL 3");
		return raise_fault(cpu, out, &f);
	}
	if (ss_null && (new_ss & RING_SEL_RPL_MASK) != rpl) {
		ring_fault_set(&f, RING_VEC_GP, true, 0, "null SS RPL %u != new CPL %u",
		               new_ss & RING_SEL_RPL_MASK, rpl);
		return raise_fault(cpu, out, &f);
	}

	/* The return code segment. RPL < CPL would be a return *inward*: the
	 * one thing IRET must never do, or any ring 3 code could forge a frame
	 * with a ring 0 CS and "return" into the kernel. */
	if (rpl < cpl) {
		ring_fault_set(&f, RING_VEC_GP, true, cs_ec,
		               "return CS RPL %u < CPL %u (IRET cannot raise privilege)", rpl, cpl);
		return raise_fault(cpu, out, &f);
	}
	st = ring_load_descriptor(cpu, mem, new_cs, 0, &cs, &f);
	if (st == RING_FAULT)
		return raise_fault(cpu, out, &f);
	if (st != RING_OK) {
		ring_format(out->detail, sizeof out->detail, "IRETQ: %s", f.why);
		return st;
	}
	if (!ring_desc_is_code(&cs)) {
		ring_fault_set(&f, RING_VEC_GP, true, cs_ec, "return CS 0x%x is not code", new_cs);
		return raise_fault(cpu, out, &f);
	}
	/* The selector's RPL must tell the truth about the segment's ring:
	 * exactly its DPL for ordinary code, at least its DPL for conforming. */
	if ((cs.type & RING_TYPE_CODE_CONFORMING) ? cs.dpl > rpl : cs.dpl != rpl) {
		ring_fault_set(&f, RING_VEC_GP, true, cs_ec,
		               "return CS DPL %u does not match RPL %u", cs.dpl, rpl);
		return raise_fault(cpu, out, &f);
	}
	if (!cs.present) {
		ring_fault_set(&f, RING_VEC_NP, true, cs_ec, "return CS 0x%x not present", new_cs);
		return raise_fault(cpu, out, &f);
	}
	if (!cs.l) {
		ring_format(out->detail, sizeof out->detail,
		            "IRETQ to compatibility mode (CS 0x%x, L=0) is not modelled", new_cs);
		return RING_UNSUPPORTED;
	}
	if (cs.db) {
		ring_fault_set(&f, RING_VEC_GP, true, cs_ec, "return CS has L=1 and D=1");
		return raise_fault(cpu, out, &f);
	}

	/* The return stack segment: it must belong to the ring being entered
	 * (RPL and DPL equal to the new CPL) and be writable data. Checked for
	 * every 64-bit IRETQ, since SS is always reloaded. */
	if (!ss_null) {
		if ((new_ss & RING_SEL_RPL_MASK) != rpl) {
			ring_fault_set(&f, RING_VEC_GP, true, ss_ec,
			               "SS RPL %u != CS RPL %u", new_ss & RING_SEL_RPL_MASK, rpl);
			return raise_fault(cpu, out, &f);
		}
		st = ring_load_descriptor(cpu, mem, new_ss, 0, &ss, &f);
		if (st == RING_FAULT)
			return raise_fault(cpu, out, &f);
		if (st != RING_OK) {
			ring_format(out->detail, sizeof out->detail, "IRETQ: %s", f.why);
			return st;
		}
		if (!ring_desc_is_writable_data(&ss) || ss.dpl != rpl) {
			ring_fault_set(&f, RING_VEC_GP, true, ss_ec,
			               "SS 0x%x is not writable data with DPL %u", new_ss, rpl);
			return raise_fault(cpu, out, &f);
		}
		if (!ss.present) {
			ring_fault_set(&f, RING_VEC_SS, true, ss_ec, "SS 0x%x not present", new_ss);
			return raise_fault(cpu, out, &f);
		}
	}

	/* RFLAGS: the image is trusted only as far as the *current* CPL
	 * allows. Arithmetic flags, TF, DF, NT, RF, AC and ID always come back.
	 * IF only if CPL <= IOPL (else user code could disable interrupts by
	 * IRETing to itself), IOPL and VIF/VIP only at CPL 0. VM stays 0: there
	 * is no virtual-8086 mode in IA-32e mode. */
	uint64_t take = RING_RFLAGS_CF | RING_RFLAGS_PF | RING_RFLAGS_AF | RING_RFLAGS_ZF |
	                RING_RFLAGS_SF | RING_RFLAGS_TF | RING_RFLAGS_DF | RING_RFLAGS_OF |
	                RING_RFLAGS_NT | RING_RFLAGS_RF | RING_RFLAGS_AC | RING_RFLAGS_ID;
	if (cpl <= ring_iopl(cpu))
		take |= RING_RFLAGS_IF;
	if (cpl == RING_CPL_KERNEL)
		take |= RING_RFLAGS_IOPL | RING_RFLAGS_VIF | RING_RFLAGS_VIP;

	cpu->rflags = (cpu->rflags & ~take & ~RING_RFLAGS_VM) | (rflags_image & take) |
	              RING_RFLAGS_FIXED;
	cpu->rip = new_rip;
	cpu->cs = new_cs;       /* its RPL is the new CPL */
	cpu->rsp = new_rsp;
	cpu->ss = new_ss;
	/* Not modelled: on a return to an outer ring the CPU also nulls DS,
	 * ES, FS and GS if they hold segments the outer ring may not use. */

	out->to_cpl = ring_cpl(cpu);
	out->to_rip = cpu->rip;
	out->new_rsp = cpu->rsp;
	out->new_cs = cpu->cs;
	out->new_ss = cpu->ss;
	ring_format(out->detail, sizeof out->detail, "IRETQ: CPL %u -> %u, RIP 0x%llx",
	            cpl, out->to_cpl, (unsigned long long)cpu->rip);
	return RING_OK;
}
