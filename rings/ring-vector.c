/* ring-vector.c — facts about exception vectors (name, error code, class),
 * the double-fault table, and the small formatting helpers every transition
 * uses for its one-line detail. Sim thread; pure functions. */
#include <stdio.h>
#include <string.h>

#include "ring-private.h"

/* Architecturally defined exceptions 0-31. Reserved vectors have no
 * mnemonic. "fault" marks fault-class exceptions: the CPU reports them with
 * RIP at the offending instruction (so the handler can fix the cause and
 * retry) and sets RF in the RFLAGS image it pushes, so that an instruction
 * breakpoint on that instruction does not fire again when it is retried.
 * #DB is listed as a trap: as a fault (instruction breakpoint) it is the one
 * case where RF is *not* set. */
static const struct {
	const char *mnemonic;
	bool error_code;
	bool fault;
} vector_info[RING_VEC_FIRST_USER] = {
	[RING_VEC_DE]  = { "#DE", false, true },
	[RING_VEC_DB]  = { "#DB", false, false },
	[RING_VEC_NMI] = { "NMI", false, false },
	[RING_VEC_BP]  = { "#BP", false, false },  /* trap: RIP after the INT3 */
	[RING_VEC_OF]  = { "#OF", false, false },  /* trap: RIP after the INTO */
	[RING_VEC_BR]  = { "#BR", false, true },
	[RING_VEC_UD]  = { "#UD", false, true },
	[RING_VEC_NM]  = { "#NM", false, true },
	[RING_VEC_DF]  = { "#DF", true,  false },  /* abort; error code always 0 */
	[RING_VEC_CSO] = { "CSO", false, true },   /* 386-era FPU, never raised today */
	[RING_VEC_TS]  = { "#TS", true,  true },
	[RING_VEC_NP]  = { "#NP", true,  true },
	[RING_VEC_SS]  = { "#SS", true,  true },
	[RING_VEC_GP]  = { "#GP", true,  true },
	[RING_VEC_PF]  = { "#PF", true,  true },
	[RING_VEC_MF]  = { "#MF", false, true },
	[RING_VEC_AC]  = { "#AC", true,  true },
	[RING_VEC_MC]  = { "#MC", false, false },  /* abort */
	[RING_VEC_XM]  = { "#XM", false, true },
	[RING_VEC_VE]  = { "#VE", false, true },
	[RING_VEC_CP]  = { "#CP", true,  true },
	[RING_VEC_HV]  = { "#HV", false, false },  /* AMD, injected by a hypervisor */
	[RING_VEC_VC]  = { "#VC", true,  true },   /* AMD SEV-ES */
	[RING_VEC_SX]  = { "#SX", true,  false },  /* AMD */
};

bool ring_vector_has_error_code(uint8_t vector)
{
	return vector < RING_VEC_FIRST_USER && vector_info[vector].error_code;
}

const char *ring_vector_mnemonic(uint8_t vector)
{
	return vector < RING_VEC_FIRST_USER ? vector_info[vector].mnemonic : NULL;
}

bool ring_vector_is_fault(uint8_t vector)
{
	return vector < RING_VEC_FIRST_USER && vector_info[vector].fault;
}

/* SDM Vol. 3A, table "Interrupt and Exception Classes". Everything that is
 * not contributory or a page fault is benign, including every INT n and every
 * external interrupt: the CPU can always simply deliver the second event
 * after one of those. */
int ring_exception_class(uint8_t vector)
{
	switch (vector) {
	case RING_VEC_DE:
	case RING_VEC_TS:
	case RING_VEC_NP:
	case RING_VEC_SS:
	case RING_VEC_GP:
	case RING_VEC_CP:
		return RING_CLASS_CONTRIBUTORY;
	case RING_VEC_PF:
	case RING_VEC_VE:
		return RING_CLASS_PAGE_FAULT;
	case RING_VEC_DF:
		return RING_CLASS_DOUBLE_FAULT;
	default:
		return RING_CLASS_BENIGN;
	}
}

/* SDM Vol. 3A, table "Conditions for Generating a Double Fault", rows =
 * first exception, columns = second:
 *
 *                     benign    contributory   page fault
 *   benign            serial    serial         serial
 *   contributory      serial    #DF            serial
 *   page fault        serial    #DF            #DF
 *
 * The idea: a contributory fault while delivering a contributory fault, or
 * anything serious while delivering a #PF, means the CPU's own delivery
 * machinery (IDT, GDT, TSS, stacks) is broken, so retrying serially would
 * probably loop. A #PF while delivering #GP is still allowed: the #GP handler's
 * stack may simply be paged out.
 *
 * And the row the table leaves out, from the #DF description: a contributory
 * fault or page fault while delivering #DF itself puts the CPU in shutdown,
 * the "triple fault", which on a PC resets the machine. */
RingDfAction ring_df_action(int first_class, int second_class)
{
	bool second_serious = second_class == RING_CLASS_CONTRIBUTORY ||
	                      second_class == RING_CLASS_PAGE_FAULT ||
	                      second_class == RING_CLASS_DOUBLE_FAULT;

	switch (first_class) {
	case RING_CLASS_CONTRIBUTORY:
		return second_class == RING_CLASS_CONTRIBUTORY ||
		       second_class == RING_CLASS_DOUBLE_FAULT
		       ? RING_DF_DOUBLE_FAULT : RING_DF_SERIAL;
	case RING_CLASS_PAGE_FAULT:
		return second_serious ? RING_DF_DOUBLE_FAULT : RING_DF_SERIAL;
	case RING_CLASS_DOUBLE_FAULT:
		return second_serious ? RING_DF_SHUTDOWN : RING_DF_SERIAL;
	case RING_CLASS_BENIGN:
	default:
		return RING_DF_SERIAL;
	}
}

void ring_fault_event(const RingTransition *t, RingEvent *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->vector = t->vector;
	ev->cause = RING_CAUSE_EXCEPTION;
	ev->has_error_code = t->error_code_pushed;
	ev->error_code = t->error_code;
}

/* ---- Formatting --------------------------------------------------------- */

void ring_vformat(char *dst, size_t size, const char *fmt, va_list ap)
{
	if (size == 0)
		return;
	/* Truncation is fine: detail lines are for people, and the buffers are
	 * sized for the usual case. */
	if (vsnprintf(dst, size, fmt, ap) < 0)
		dst[0] = '\0';
}

void ring_format(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ring_vformat(dst, size, fmt, ap);
	va_end(ap);
}

void ring_fault_set(RingFault *f, uint8_t vector, bool has_error_code,
                    uint32_t error_code, const char *fmt, ...)
{
	va_list ap;

	f->vector = vector;
	f->has_error_code = has_error_code;
	f->error_code = has_error_code ? error_code : 0;
	f->sets_cr2 = false;
	f->cr2 = 0;
	va_start(ap, fmt);
	ring_vformat(f->why, sizeof f->why, fmt, ap);
	va_end(ap);
}

void ring_event_name(char *dst, size_t size, uint8_t vector, RingCause cause)
{
	const char *mn = ring_vector_mnemonic(vector);

	switch (cause) {
	case RING_CAUSE_SOFTWARE_INT:
		if (vector == RING_VEC_BP)
			ring_format(dst, size, "INT3");
		else
			ring_format(dst, size, "INT 0x%02x", vector);
		break;
	case RING_CAUSE_EXTERNAL:
		if (vector == RING_VEC_NMI)
			ring_format(dst, size, "NMI");
		else
			ring_format(dst, size, "interrupt 0x%02x", vector);
		break;
	case RING_CAUSE_EXCEPTION:
		if (mn)
			ring_format(dst, size, "%s", mn);
		else
			ring_format(dst, size, "exception 0x%02x", vector);
		break;
	case RING_CAUSE_SYSCALL:
		ring_format(dst, size, "SYSCALL");
		break;
	case RING_CAUSE_SYSRET:
		ring_format(dst, size, "SYSRET");
		break;
	case RING_CAUSE_IRET:
		ring_format(dst, size, "IRETQ");
		break;
	default:
		ring_format(dst, size, "event 0x%02x", vector);
		break;
	}
}

void ring_fault_name(char *dst, size_t size, const RingFault *f)
{
	char name[24];

	ring_event_name(name, sizeof name, f->vector, RING_CAUSE_EXCEPTION);
	if (f->has_error_code)
		ring_format(dst, size, "%s(0x%x)", name, f->error_code);
	else
		ring_format(dst, size, "%s", name);
}
