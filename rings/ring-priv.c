/* ring-priv.c — which instructions are privileged, and under what rule.
 * Sim thread; a constant table and two lookups.
 *
 * A privileged instruction executed where it is not allowed does not reach
 * any hypervisor: the CPU raises #GP(0) inside the guest and the guest
 * kernel's own handler decides what to do (usually kill the process). Every
 * rule in this table faults with #GP(0).
 *
 * Not in the table, though IOPL-sensitive: POPF and IRET silently *ignore*
 * an attempt to change IF (or IOPL) when not allowed instead of faulting;
 * see ring-iret.c for the IRETQ half. */
#include <string.h>

#include "ring-private.h"

static const RingPrivRule priv_rules[] = {
	{ "clts",    RING_PRIV_CPL0, "CLTS clears CR0.TS, which the kernel uses to switch FPU state lazily." },
	{ "cli",     RING_PRIV_IOPL, "CLI masks interrupts; above IOPL it would let code stop the kernel from ever running again." },
	{ "hlt",     RING_PRIV_CPL0, "HLT stops the CPU until an interrupt; only the kernel decides when a CPU idles." },
	{ "in",      RING_PRIV_IOPL, "Port input talks to devices directly; above IOPL it needs the TSS I/O bitmap (not modelled)." },
	{ "ins",     RING_PRIV_IOPL, "String port input talks to devices directly; above IOPL it needs the TSS I/O bitmap (not modelled)." },
	{ "invd",    RING_PRIV_CPL0, "INVD throws away cache contents without writing them back, corrupting memory." },
	{ "invlpg",  RING_PRIV_CPL0, "INVLPG flushes a TLB entry; only the owner of the page tables may do that." },
	{ "invpcid", RING_PRIV_CPL0, "INVPCID flushes TLB entries of any address space." },
	{ "lgdt",    RING_PRIV_CPL0, "LGDT installs a new GDT, and the GDT defines what each ring may do." },
	{ "lidt",    RING_PRIV_CPL0, "LIDT installs a new IDT: whoever owns it owns every interrupt and exception." },
	{ "lldt",    RING_PRIV_CPL0, "LLDT installs a local descriptor table, another source of segments." },
	{ "lmsw",    RING_PRIV_CPL0, "LMSW writes the low bits of CR0 (PE, MP, EM, TS)." },
	{ "ltr",     RING_PRIV_CPL0, "LTR selects the TSS, which holds the kernel stack pointers." },
	{ "mov cr",  RING_PRIV_CPL0, "Control registers switch paging, protection and address spaces." },
	{ "mov dr",  RING_PRIV_CPL0, "Debug registers can watch any address, including the kernel's." },
	{ "out",     RING_PRIV_IOPL, "Port output talks to devices directly; above IOPL it needs the TSS I/O bitmap (not modelled)." },
	{ "outs",    RING_PRIV_IOPL, "String port output talks to devices directly; above IOPL it needs the TSS I/O bitmap (not modelled)." },
	{ "rdmsr",   RING_PRIV_CPL0, "MSRs hold system configuration such as the SYSCALL entry point." },
	{ "rdpmc",   RING_PRIV_CR4_PCE, "Performance counters leak timing information; CR4.PCE opens them to user code." },
	{ "rdtsc",   RING_PRIV_CR4_TSD, "The time-stamp counter is a fine timer; CR4.TSD restricts it to the kernel." },
	{ "rdtscp",  RING_PRIV_CR4_TSD, "The time-stamp counter is a fine timer; CR4.TSD restricts it to the kernel." },
	{ "sgdt",    RING_PRIV_CR4_UMIP, "SGDT reveals where the GDT is, which helps attacks; CR4.UMIP hides it." },
	{ "sidt",    RING_PRIV_CR4_UMIP, "SIDT reveals where the IDT is, which helps attacks; CR4.UMIP hides it." },
	{ "sldt",    RING_PRIV_CR4_UMIP, "SLDT reveals kernel state; CR4.UMIP hides it." },
	{ "smsw",    RING_PRIV_CR4_UMIP, "SMSW reveals CR0 bits; CR4.UMIP hides them." },
	{ "sti",     RING_PRIV_IOPL, "STI unmasks interrupts; only code trusted with IF may change it." },
	{ "str",     RING_PRIV_CR4_UMIP, "STR reveals the TSS selector; CR4.UMIP hides it." },
	{ "swapgs",  RING_PRIV_CPL0, "SWAPGS exchanges GS.base with the kernel's per-CPU pointer." },
	{ "sysexit", RING_PRIV_CPL0, "SYSEXIT is the kernel's fast return to ring 3." },
	{ "sysret",  RING_PRIV_CPL0, "SYSRET is the kernel's fast return to ring 3." },
	{ "wbinvd",  RING_PRIV_CPL0, "WBINVD flushes every cache in the machine, stalling all CPUs." },
	{ "wbnoinvd", RING_PRIV_CPL0, "WBNOINVD writes back every cache in the machine." },
	{ "wrmsr",   RING_PRIV_CPL0, "MSRs hold system configuration such as the SYSCALL entry point." },
	{ "xsetbv",  RING_PRIV_CPL0, "XSETBV chooses which register state XSAVE manages for everyone." },
};

#define RING_MNEMONIC_MAX 24

static const char *const ignored_prefixes[] = { "rep ", "repe ", "repz ", "repne ", "repnz ", "lock " };

/* Spellings that name the same table entry. prefix: match the start only
 * ("mov cr0", "mov cr3", ... are all "mov cr"). */
static const struct {
	const char *from, *to;
	bool prefix;
} folds[] = {
	{ "insb", "ins", false },   { "insw", "ins", false },   { "insd", "ins", false },
	{ "outsb", "outs", false }, { "outsw", "outs", false }, { "outsd", "outs", false },
	{ "sysretq", "sysret", false }, { "sysexitq", "sysexit", false },
	{ "mov cr", "mov cr", true }, { "mov dr", "mov dr", true },
};

/* Bring a disassembler mnemonic to the table's spelling: lowercase, no rep
 * or lock prefix, folded as above. false if it cannot be a table entry. */
static bool normalise(const char *in, char out[RING_MNEMONIC_MAX])
{
	size_t n = 0;

	for (bool again = true; again;) {
		again = false;
		for (size_t i = 0; i < sizeof ignored_prefixes / sizeof ignored_prefixes[0]; i++) {
			size_t len = strlen(ignored_prefixes[i]);
			if (strncmp(in, ignored_prefixes[i], len) == 0) {
				in += len;
				again = true;
			}
		}
	}
	for (; in[n]; n++) {
		if (n + 1 >= RING_MNEMONIC_MAX)
			return false;
		char c = in[n];
		out[n] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = '\0';

	for (size_t i = 0; i < sizeof folds / sizeof folds[0]; i++) {
		bool match = folds[i].prefix
		             ? strncmp(out, folds[i].from, strlen(folds[i].from)) == 0
		             : strcmp(out, folds[i].from) == 0;
		if (match) {
			strcpy(out, folds[i].to);  /* never longer than the match */
			break;
		}
	}
	return true;
}

const RingPrivRule *ring_priv_lookup(const char *mnemonic)
{
	char name[RING_MNEMONIC_MAX];

	if (!mnemonic || !normalise(mnemonic, name))
		return NULL;
	for (size_t i = 0; i < sizeof priv_rules / sizeof priv_rules[0]; i++)
		if (strcmp(priv_rules[i].mnemonic, name) == 0)
			return &priv_rules[i];
	return NULL;
}

bool ring_priv_allowed(const RingPrivRule *rule, const RingCpu *cpu)
{
	uint8_t cpl = ring_cpl(cpu);

	if (!rule)
		return true;  /* not privileged */
	switch (rule->rule) {
	case RING_PRIV_CPL0:
		return cpl == RING_CPL_KERNEL;
	case RING_PRIV_IOPL:
		/* IOPL is the ring number up to which port I/O and CLI/STI are
		 * allowed; kernels keep it at 0. For IN/OUT the real CPU then
		 * consults the I/O permission bitmap in the TSS, which can allow
		 * individual ports; this model ignores the bitmap, so CPL > IOPL
		 * means "faults" here. */
		return cpl <= ring_iopl(cpu);
	case RING_PRIV_CR4_TSD:
		return cpl == RING_CPL_KERNEL || !(cpu->cr4 & RING_CR4_TSD);
	case RING_PRIV_CR4_PCE:
		return cpl == RING_CPL_KERNEL || (cpu->cr4 & RING_CR4_PCE);
	case RING_PRIV_CR4_UMIP:
		return cpl == RING_CPL_KERNEL || !(cpu->cr4 & RING_CR4_UMIP);
	default:
		return false;
	}
}

const RingPrivRule *ring_priv_table(size_t *count)
{
	*count = sizeof priv_rules / sizeof priv_rules[0];
	return priv_rules;
}
