/* ring-syscall.c — SYSCALL and SYSRETQ, the fast way between ring 3 and
 * ring 0 in 64-bit mode. Sim thread; pure model of the CPU's rules.
 *
 * Why a second mechanism next to INT n: an interrupt gate costs an IDT read,
 * a GDT read, descriptor checks, a TSS read and five memory writes. SYSCALL
 * does none of that. Everything it needs is in MSRs the kernel set up once
 * (IA32_STAR for selectors, IA32_LSTAR for the entry point, IA32_FMASK for
 * RFLAGS bits to clear), and the return state goes into two registers (RCX,
 * R11) instead of memory. The price: the CPU trusts the kernel's GDT to match
 * what STAR implies, and it does not switch stacks at all. */
#include <string.h>

#include "ring-private.h"

static void begin(const RingCpu *cpu, RingCause cause, RingTransition *out)
{
	memset(out, 0, sizeof *out);
	out->from_cpl = out->to_cpl = ring_cpl(cpu);
	out->from_rip = cpu->rip;
	out->cause = out->original_cause = cause;
}

static RingStatus fault(RingTransition *out, uint8_t vector, bool has_ec, uint32_t ec,
                        const char *what, const char *why)
{
	out->vector = out->original_vector = vector;
	out->error_code_pushed = has_ec;
	out->error_code = ec;
	if (has_ec)
		ring_format(out->detail, sizeof out->detail, "%s(0x%x) on %s: %s",
		            ring_vector_mnemonic(vector), ec, what, why);
	else
		ring_format(out->detail, sizeof out->detail, "%s on %s: %s",
		            ring_vector_mnemonic(vector), what, why);
	return RING_FAULT;
}

/* Both instructions exist only in 64-bit mode (on Intel; AMD also allows
 * them in legacy mode) and only once the OS opted in with EFER.SCE. Without
 * that they are simply undefined opcodes: #UD. The CS.L = 1 condition is the
 * caller's to know; the backend only calls here for 64-bit code. */
static const char *unavailable(const RingCpu *cpu)
{
	if (!(cpu->efer & RING_EFER_SCE))
		return "EFER.SCE is 0";
	if (!ring_long_mode(cpu))
		return "not in long mode";
	return NULL;
}

RingStatus ring_syscall(RingCpu *cpu, uint64_t next_rip, RingTransition *out)
{
	const char *why;
	uint16_t base = (uint16_t)((cpu->star >> RING_STAR_SYSCALL_SHIFT) & RING_STAR_SEL_MASK);

	begin(cpu, RING_CAUSE_SYSCALL, out);
	if ((why = unavailable(cpu)))
		return fault(out, RING_VEC_UD, false, 0, "SYSCALL", why);

	/* The return address goes to RCX and the flags to R11: the user's
	 * values of those two registers are lost, which is why the syscall ABI
	 * declares them clobbered. */
	cpu->rcx = next_rip;
	cpu->r11 = cpu->rflags & ~RING_RFLAGS_RF;
	/* FMASK lets the kernel choose what to clear; every OS clears at least
	 * IF (no interrupt before the kernel has a stack), TF, DF and AC. RF is
	 * always cleared. */
	cpu->rflags = (cpu->rflags & ~cpu->fmask & ~RING_RFLAGS_RF) | RING_RFLAGS_FIXED;
	/* CS and SS come from STAR, not from the GDT: the CPU loads fixed flat
	 * ring 0 descriptors (64-bit code, DPL 0; writable data) and trusts the
	 * kernel that GDT entries STAR[47:32] and STAR[47:32] + 8 say the same. */
	cpu->cs = (uint16_t)(base & RING_SEL_ERRCODE_MASK);   /* RPL 0: CPL becomes 0 */
	cpu->ss = (uint16_t)(base + RING_SYSCALL_SS_OFFSET);
	cpu->rip = cpu->lstar;
	/* Note what is missing: RSP. The kernel's entry code is running on the
	 * user's stack and must switch to its own (SWAPGS, then load RSP from
	 * per-CPU data) before it touches the stack or enables interrupts. */

	out->to_cpl = ring_cpl(cpu);
	out->to_rip = cpu->rip;
	out->new_rsp = cpu->rsp;
	out->new_cs = cpu->cs;
	out->new_ss = cpu->ss;
	ring_format(out->detail, sizeof out->detail,
	            "SYSCALL: CPL %u -> 0, RIP from LSTAR, RSP not switched", out->from_cpl);
	return RING_OK;
}

RingStatus ring_sysret(RingCpu *cpu, RingTransition *out)
{
	const char *why;
	uint16_t base = (uint16_t)((cpu->star >> RING_STAR_SYSRET_SHIFT) & RING_STAR_SEL_MASK);

	begin(cpu, RING_CAUSE_SYSRET, out);
	if ((why = unavailable(cpu)))
		return fault(out, RING_VEC_UD, false, 0, "SYSRET", why);
	if (ring_cpl(cpu) != RING_CPL_KERNEL)
		return fault(out, RING_VEC_GP, true, 0, "SYSRET", "CPL is not 0");
	/* The SYSRET hazard. If RCX is not canonical the #GP is raised
	 * *before* the switch to ring 3, so the fault is taken in ring 0, but
	 * by this point the kernel has typically already restored the user's
	 * RSP (and done SWAPGS back to user GS). A #GP handler entered from ring
	 * 0 does not switch stacks, so it would run on a stack the user chose:
	 * a privilege escalation on Intel CPUs (CVE-2012-0217). AMD raises the
	 * fault after the switch, in ring 3. Kernels defend by checking RCX
	 * themselves and returning with IRETQ instead when it is not canonical. */
	if (!ring_canonical(cpu->rcx))
		return fault(out, RING_VEC_GP, true, 0, "SYSRET",
		             "RCX not canonical: #GP in ring 0 on the user's RSP");

	cpu->rip = cpu->rcx;
	/* R11 is trusted as RFLAGS except for RF, VM and reserved bits; bit 1
	 * always reads as 1. IOPL comes back too: SYSRET needs CPL 0. */
	cpu->rflags = (cpu->r11 & RING_SYSRET_RFLAGS_KEEP) | RING_RFLAGS_FIXED;
	/* For a return to 64-bit mode, CS = STAR[63:48] + 16 and SS =
	 * STAR[63:48] + 8, both forced to RPL 3; the descriptors, again, are
	 * fixed flat ring 3 ones, not read from the GDT. */
	cpu->cs = (uint16_t)((base + RING_SYSRET_CS64_OFFSET) | RING_CPL_USER);
	cpu->ss = (uint16_t)((base + RING_SYSRET_SS_OFFSET) | RING_CPL_USER);

	out->to_cpl = ring_cpl(cpu);
	out->to_rip = cpu->rip;
	out->new_rsp = cpu->rsp;
	out->new_cs = cpu->cs;
	out->new_ss = cpu->ss;
	ring_format(out->detail, sizeof out->detail,
	            "SYSRET: CPL 0 -> 3, RIP from RCX, RFLAGS from R11");
	return RING_OK;
}
