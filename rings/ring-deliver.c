/* ring-deliver.c — interrupt and exception delivery through the IDT, as an
 * IA-32e CPU performs it: gate checks, stack switch, frame, RFLAGS, and what
 * happens when delivery itself faults (#DF, triple fault). Sim thread; pure
 * model of the CPU's privilege rules over a RingCpu and guest memory.
 *
 * The big picture. An interrupt or exception is a forced far call: the CPU
 * looks up a 16-byte gate in the IDT, the gate names a code segment (whose
 * DPL becomes the new CPL) and an entry point. If that moves inward (ring 3
 * to ring 0) the CPU must not keep using the user's stack: user code chose
 * RSP, could have pointed it at kernel data, or simply left it invalid. So
 * the CPU takes a fresh stack pointer the kernel stored in the TSS (RSP0 for
 * ring 0), and only then pushes the return frame. The frame holds everything
 * IRETQ needs to come back: SS:RSP, RFLAGS, CS:RIP (and an error code for
 * some exceptions). */
#include <string.h>

#include "ring-private.h"

/* The longest chain the double-fault table allows: benign event, then a
 * contributory fault (serial), then a #PF (serial), then #DF, then
 * shutdown. Anything longer would be a bug in the table. */
#define RING_MAX_CHAIN 8

/* The event currently being delivered. */
typedef struct Pending {
	uint8_t   vector;
	RingCause cause;
	bool      has_error_code;
	uint32_t  error_code;
	uint64_t  rip;            /* RIP to push */
} Pending;

/* What a successful attempt did, for the transition record. */
typedef struct Outcome {
	bool    stack_switched;
	uint8_t ist;
	bool    trap_gate;
	uint8_t rsp_slot;         /* n of TSS.RSPn when switched without IST */
} Outcome;

static int class_of(const Pending *p)
{
	/* INT n and external interrupts are benign whatever their vector: an
	 * "INT 14" from software is not a page fault. */
	return p->cause == RING_CAUSE_EXCEPTION ? ring_exception_class(p->vector)
	                                        : RING_CLASS_BENIGN;
}

static RingStatus push64(const RingCpu *cpu, const RingMem *mem, uint64_t *rsp,
                         uint64_t value, RingAccessor who, uint32_t ext, RingFault *f)
{
	uint8_t raw[sizeof value];

	ring_put_le64(raw, value);
	*rsp -= sizeof value;
	/* Stack references: a non-canonical RSP is #SS, not #GP. */
	return ring_access_write(cpu, mem, *rsp, raw, sizeof raw, who, true, ext, f);
}

/* One attempt to deliver ev. On RING_OK *cpu is the handler's state. On
 * RING_FAULT *f is the fault that stopped it and *cpu may be half-updated
 * (the caller throws it away). The order of the checks follows the SDM's
 * INT n pseudocode for IA-32e mode, because the order decides which fault a
 * broken setup reports. */
static RingStatus deliver_once(RingCpu *cpu, const RingMem *mem, const Pending *ev,
                               Outcome *o, RingFault *f)
{
	const uint8_t cpl = ring_cpl(cpu);
	/* EXT (bit 0 of the error code): "this fault is not the program's
	 * doing". It is set while delivering an exception or an external
	 * interrupt, and clear for INT n, INT3 and INTO, whose faults are
	 * charged to the instruction that asked for the interrupt. */
	const uint32_t ext = ev->cause == RING_CAUSE_SOFTWARE_INT ? 0 : RING_EC_EXT;
	/* An error code that names an IDT entry: index = vector, IDT bit. */
	const uint32_t idt_ec = ((uint32_t)ev->vector << RING_EC_INDEX_SHIFT) | RING_EC_IDT | ext;
	const uint32_t gate_off = (uint32_t)ev->vector * RING_GATE_SIZE;
	uint8_t raw[RING_GATE_SIZE];
	RingStatus st;

	memset(o, 0, sizeof *o);

	/* 1. The gate must lie inside the IDT. In long mode every gate is 16
	 *    bytes, so vector v occupies bytes 16v .. 16v+15. */
	if (gate_off + RING_GATE_SIZE - 1 > cpu->idtr_limit) {
		ring_fault_set(f, RING_VEC_GP, true, idt_ec,
		               "vector 0x%02x past IDT limit 0x%x", ev->vector, cpu->idtr_limit);
		return RING_FAULT;
	}
	/* The IDT is read with implicit supervisor rights, even from ring 3:
	 * user code cannot read the IDT, but its interrupts can. */
	st = ring_access_read(cpu, mem, cpu->idtr_base + gate_off, raw, sizeof raw,
	                      RING_AS_IMPLICIT, false, ext, f);
	if (st != RING_OK)
		return st;

	uint64_t lo = ring_le64(raw), hi = ring_le64(raw + RING_DESC_SIZE);
	uint8_t type = (uint8_t)((lo >> RING_DESC_TYPE_SHIFT) & RING_DESC_TYPE_MASK);
	uint8_t gate_dpl = (uint8_t)((lo >> RING_DESC_DPL_SHIFT) & RING_DESC_DPL_MASK);
	uint16_t sel = (uint16_t)(lo >> RING_GATE_SEL_SHIFT);
	uint8_t ist = (uint8_t)((lo >> RING_GATE_IST_SHIFT) & RING_GATE_IST_MASK);
	uint64_t target = (lo & RING_GATE_OFF_LO_MASK) |
	                  ((lo >> RING_GATE_OFF_MID_SHIFT) << RING_GATE_OFF_MID_POS) |
	                  ((hi & RING_GATE_OFF_HI_MASK) << RING_GATE_OFF_HI_POS);

	/* 2. Long mode knows only 64-bit interrupt and trap gates (no task
	 *    gates: hardware task switching is gone, and no 16/32-bit gates). */
	if ((lo & RING_DESC_S) ||
	    (type != RING_SYS_INT_GATE64 && type != RING_SYS_TRAP_GATE64)) {
		ring_fault_set(f, RING_VEC_GP, true, idt_ec,
		               "IDT entry 0x%02x is not an interrupt/trap gate (type 0x%x)",
		               ev->vector, type);
		return RING_FAULT;
	}
	/* 3. Only software interrupts check the gate's DPL. This is how a
	 *    kernel decides which vectors user code may invoke with INT n (a
	 *    system-call gate has DPL 3; the #PF gate has DPL 0 so user code
	 *    cannot fake a page fault). Exceptions and hardware interrupts
	 *    ignore gate DPL: they must reach their handler from any ring. */
	if (ev->cause == RING_CAUSE_SOFTWARE_INT && cpl > gate_dpl) {
		ring_fault_set(f, RING_VEC_GP, true, idt_ec,
		               "gate DPL %u < CPL %u", gate_dpl, cpl);
		return RING_FAULT;
	}
	/* 4. A gate marked not present raises #NP, as any absent descriptor does. */
	if (!(lo & RING_DESC_P)) {
		ring_fault_set(f, RING_VEC_NP, true, idt_ec, "gate 0x%02x not present", ev->vector);
		return RING_FAULT;
	}

	/* 5. The handler's code segment. Its DPL is the ring the handler runs
	 *    in, and an interrupt may only move inward or stay (DPL <= CPL):
	 *    the CPU never hands an event from the kernel to less privileged
	 *    code. In IA-32e mode it must be a 64-bit code segment. */
	uint32_t sel_ec = (sel & RING_SEL_ERRCODE_MASK) | ext;
	RingDescriptor cs;

	if ((sel & (RING_SEL_INDEX_MASK | RING_SEL_TI)) == 0) {
		ring_fault_set(f, RING_VEC_GP, true, ext, "gate 0x%02x has a null selector",
		               ev->vector);
		return RING_FAULT;
	}
	st = ring_load_descriptor(cpu, mem, sel, ext, &cs, f);
	if (st != RING_OK)
		return st;
	if (!ring_desc_is_code(&cs)) {
		ring_fault_set(f, RING_VEC_GP, true, sel_ec,
		               "gate selector 0x%x is not a code segment", sel);
		return RING_FAULT;
	}
	if (cs.dpl > cpl) {
		ring_fault_set(f, RING_VEC_GP, true, sel_ec,
		               "handler CS DPL %u > CPL %u", cs.dpl, cpl);
		return RING_FAULT;
	}
	if (!cs.present) {
		ring_fault_set(f, RING_VEC_NP, true, sel_ec, "handler CS 0x%x not present", sel);
		return RING_FAULT;
	}
	if (!ring_desc_is_code64(&cs)) {
		ring_fault_set(f, RING_VEC_GP, true, sel_ec,
		               "handler CS 0x%x is not 64-bit code (L=%d D=%d)",
		               sel, cs.l, cs.db);
		return RING_FAULT;
	}
	/* A conforming segment runs at the caller's CPL; a non-conforming one
	 * at its own DPL. Only the latter changes privilege. */
	bool conforming = (cs.type & RING_TYPE_CODE_CONFORMING) != 0;
	uint8_t new_cpl = (!conforming && cs.dpl < cpl) ? cs.dpl : cpl;
	bool priv_change = new_cpl != cpl;

	/* 6. The stack. Two reasons to load a new RSP from the TSS:
	 *    - the privilege changes: TSS.RSPn for the new ring n (the user's
	 *      RSP cannot be trusted by the kernel);
	 *    - the gate names an IST slot (1-7): TSS.ISTn, *always*, even
	 *      without a privilege change. The IST exists for events that can
	 *      arrive when the current stack is unusable (#DF after a kernel
	 *      stack overflow, NMI, #MC): they get a known-good stack.
	 *    The TSS is found through TR, read with supervisor rights. */
	uint64_t rsp = cpu->rsp;
	uint16_t new_ss = cpu->ss;

	if (priv_change || ist != 0) {
		uint32_t slot = ist ? RING_TSS_IST1 + RING_TSS_SLOT_SIZE * (ist - 1u)
		                    : RING_TSS_RSP0 + RING_TSS_SLOT_SIZE * new_cpl;
		uint8_t buf[RING_TSS_SLOT_SIZE];

		if (slot + sizeof buf - 1 > cpu->tr_limit) {
			ring_fault_set(f, RING_VEC_TS, true,
			               (cpu->tr & RING_SEL_ERRCODE_MASK) | ext,
			               "TSS limit 0x%x too small for %s%u", cpu->tr_limit,
			               ist ? "IST" : "RSP", ist ? ist : new_cpl);
			return RING_FAULT;
		}
		st = ring_access_read(cpu, mem, cpu->tr_base + slot, buf, sizeof buf,
		                      RING_AS_IMPLICIT, false, ext, f);
		if (st != RING_OK)
			return st;
		rsp = ring_le64(buf);
		if (!ring_canonical(rsp)) {
			ring_fault_set(f, RING_VEC_SS, true, ext,
			               "TSS.%s%u = 0x%llx is not canonical", ist ? "IST" : "RSP",
			               ist ? ist : new_cpl, (unsigned long long)rsp);
			return RING_FAULT;
		}
		o->stack_switched = true;
		o->ist = ist;
		o->rsp_slot = new_cpl;
	}
	/* In 64-bit mode SS carries no base or limit that matters, so on a
	 * privilege change the CPU does not fetch an SS from the TSS as legacy
	 * mode did: it loads a NULL selector whose RPL is the new CPL. (With an
	 * IST but no privilege change SS is left alone.) */
	if (priv_change)
		new_ss = new_cpl;

	/* The handler's RIP must be canonical, like every 64-bit RIP. */
	if (!ring_canonical(target)) {
		ring_fault_set(f, RING_VEC_GP, true, ext,
		               "handler RIP 0x%llx is not canonical", (unsigned long long)target);
		return RING_FAULT;
	}

	/* 7. The frame. IA-32e mode aligns RSP down to 16 bytes first (so the
	 *    handler can use aligned SSE saves) and then always pushes five
	 *    quadwords, SS and RSP included even without a stack switch, so
	 *    that IRETQ has one frame format. Pushes happen at the new CPL. */
	RingAccessor who = new_cpl == 3 ? RING_AS_USER : RING_AS_SUPERVISOR;
	uint64_t rflags_image = cpu->rflags;

	/* RF in the pushed image: 1 for fault-class exceptions (so that when
	 * the handler returns and the instruction is retried, an instruction
	 * breakpoint on it does not fire a second time), 0 for INT n, as is
	 * for everything else. */
	if (ev->cause == RING_CAUSE_EXCEPTION && ring_vector_is_fault(ev->vector))
		rflags_image |= RING_RFLAGS_RF;
	else if (ev->cause == RING_CAUSE_SOFTWARE_INT)
		rflags_image &= ~RING_RFLAGS_RF;

	rsp &= ~(uint64_t)(RING_STACK_ALIGN - 1);
	const uint64_t frame[] = { cpu->ss, cpu->rsp, rflags_image, cpu->cs, ev->rip };
	for (size_t i = 0; i < sizeof frame / sizeof frame[0]; i++) {
		st = push64(cpu, mem, &rsp, frame[i], who, ext, f);
		if (st != RING_OK)
			return st;
	}
	if (ev->has_error_code) {
		st = push64(cpu, mem, &rsp, ev->error_code, who, ext, f);
		if (st != RING_OK)
			return st;
	}

	/* 8. Enter the handler. TF is cleared so the handler is not single-
	 *    stepped, NT and VM so it runs as ordinary protected-mode code, RF
	 *    so its first instruction's breakpoints work. An interrupt gate
	 *    also clears IF: the handler starts with maskable interrupts off,
	 *    so a second interrupt cannot arrive before it has saved state (a
	 *    trap gate leaves IF alone). AC is *not* cleared in IA-32e mode,
	 *    which is why kernels using SMAP execute CLAC on entry. */
	cpu->rflags &= ~(RING_RFLAGS_TF | RING_RFLAGS_NT | RING_RFLAGS_RF | RING_RFLAGS_VM);
	if (type == RING_SYS_INT_GATE64)
		cpu->rflags &= ~RING_RFLAGS_IF;
	cpu->cs = (uint16_t)((sel & ~RING_SEL_RPL_MASK) | new_cpl);  /* CS.RPL := CPL */
	cpu->rip = target;
	cpu->ss = new_ss;
	cpu->rsp = rsp;
	o->trap_gate = type == RING_SYS_TRAP_GATE64;
	return RING_OK;
}

static uint8_t soft_int_length(const RingEvent *ev)
{
	if (ev->insn_length)
		return ev->insn_length;
	return ev->vector == RING_VEC_BP ? RING_INSN_LEN_INT3 : RING_INSN_LEN_INT_N;
}

static void describe_success(RingTransition *out, const Pending *p, const Outcome *o)
{
	char what[32], stack[24];

	ring_event_name(what, sizeof what, p->vector, p->cause);
	if (p->has_error_code) {
		size_t n = strlen(what);
		ring_format(what + n, sizeof what - n, "(0x%x)", p->error_code);
	}
	if (o->ist)
		ring_format(stack, sizeof stack, "TSS.IST%u", o->ist);
	else if (o->stack_switched)
		ring_format(stack, sizeof stack, "TSS.RSP%u", o->rsp_slot);
	else
		ring_format(stack, sizeof stack, "same stack");
	ring_format(out->detail, sizeof out->detail, "%s: CPL %u -> %u via %s gate, %s",
	            what, out->from_cpl, out->to_cpl,
	            o->trap_gate ? "trap" : "interrupt", stack);
}

RingStatus ring_deliver(RingCpu *cpu, const RingMem *mem, const RingEvent *ev,
                        RingTransition *out)
{
	char what[32], fault_name[32];

	memset(out, 0, sizeof *out);
	out->from_cpl = ring_cpl(cpu);
	out->to_cpl = out->from_cpl;
	out->from_rip = cpu->rip;
	out->vector = out->original_vector = ev->vector;
	out->cause = out->original_cause = ev->cause;

	ring_event_name(what, sizeof what, ev->vector, ev->cause);
	if (!ring_long_mode(cpu)) {
		ring_format(out->detail, sizeof out->detail,
		            "%s: only IA-32e (long mode) delivery is modelled", what);
		return RING_UNSUPPORTED;
	}
	if (ev->cause != RING_CAUSE_EXCEPTION && ev->cause != RING_CAUSE_SOFTWARE_INT &&
	    ev->cause != RING_CAUSE_EXTERNAL) {
		ring_format(out->detail, sizeof out->detail,
		            "%s is not an interrupt or exception", what);
		return RING_UNSUPPORTED;
	}

	/* Only exceptions push error codes. "INT 13" from software reaches the
	 * #GP handler *without* one, which is why an OS keeps such vectors at
	 * DPL 0: a handler that pops an error code would be misled. */
	Pending cur = {
		.vector = ev->vector,
		.cause = ev->cause,
		.has_error_code = ev->cause == RING_CAUSE_EXCEPTION && ev->has_error_code,
		.error_code = ev->error_code,
		.rip = cpu->rip,
	};
	uint64_t cr2 = cpu->cr2;

	for (unsigned attempt = 0; attempt < RING_MAX_CHAIN; attempt++) {
		RingCpu work = *cpu;
		RingFault f;
		Outcome o;

		work.cr2 = cr2;
		RingStatus st = deliver_once(&work, mem, &cur, &o, &f);

		if (st == RING_OK) {
			*cpu = work;
			out->to_cpl = ring_cpl(cpu);
			out->vector = cur.vector;
			out->cause = cur.cause;
			out->error_code_pushed = cur.has_error_code;
			out->error_code = cur.error_code;
			out->stack_switched = o.stack_switched;
			out->ist = o.ist;
			out->to_rip = cpu->rip;
			out->new_rsp = cpu->rsp;
			out->new_cs = cpu->cs;
			out->new_ss = cpu->ss;
			if (out->faults_during_delivery == 0)
				describe_success(out, &cur, &o);
			return RING_OK;
		}
		if (st != RING_FAULT) {
			ring_event_name(what, sizeof what, cur.vector, cur.cause);
			ring_format(out->detail, sizeof out->detail, "%s: %s", what, f.why);
			return st;
		}

		/* A fault while delivering. The CPU abandons this delivery (CS,
		 * RIP, RSP, RFLAGS are as before it started; stack bytes already
		 * written stay written), and the double-fault table decides what
		 * to deliver instead. A #PF loads CR2 as soon as it is detected,
		 * even if it then turns into #DF. */
		if (f.sets_cr2)
			cr2 = f.cr2;
		out->faults_during_delivery++;
		ring_fault_name(fault_name, sizeof fault_name, &f);
		ring_event_name(what, sizeof what, cur.vector, cur.cause);

		RingDfAction act = ring_df_action(class_of(&cur), ring_exception_class(f.vector));
		if (act == RING_DF_SHUTDOWN) {
			/* Shutdown: the CPU stops; a PC chipset turns that into a
			 * reset. The model leaves *cpu as it was, apart from CR2. */
			cpu->cr2 = cr2;
			out->escalations = 2;
			out->vector = cur.vector;
			ring_format(out->detail, sizeof out->detail,
			            "triple fault: %s during delivery of %s: %s",
			            fault_name, what, f.why);
			return RING_TRIPLE_FAULT;
		}
		ring_format(out->detail, sizeof out->detail, "%s%s during delivery of %s: %s",
		            act == RING_DF_DOUBLE_FAULT ? "#DF: " : "", fault_name, what, f.why);

		Pending next = { .cause = RING_CAUSE_EXCEPTION, .rip = cur.rip };
		/* A fault while delivering INT n is a fault *of the INT
		 * instruction*, which did not complete: the handler must see RIP
		 * at the INT, not after it. */
		if (cur.cause == RING_CAUSE_SOFTWARE_INT)
			next.rip -= soft_int_length(ev);
		if (act == RING_DF_DOUBLE_FAULT) {
			/* #DF always pushes an error code, always 0, and is an abort:
			 * the saved RIP is not guaranteed to allow a restart. */
			next.vector = RING_VEC_DF;
			next.has_error_code = true;
			next.error_code = 0;
			out->escalations = 1;
		} else {
			next.vector = f.vector;
			next.has_error_code = f.has_error_code;
			next.error_code = f.error_code;
		}
		cur = next;
	}
	ring_format(out->detail, sizeof out->detail, "%s: delivery did not settle", what);
	return RING_UNSUPPORTED;
}
