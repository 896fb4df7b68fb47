/* idt.c — the interrupt descriptor table and the C side of every interrupt,
 * exception and INT 0x80 system call.
 * Guest ring 0, freestanding. Entered from the stubs in isr.S.
 *
 * Exceptions are the CPU telling the kernel that an instruction could not
 * complete. Whose fault it was decides what happens: the saved CS holds the
 * privilege level the CPU was in (CPL = CS & 3). A fault in ring 3 is the
 * program's problem: the kernel kills the program and carries on. A fault
 * in ring 0 is a kernel bug: panic. None of this involves the hypervisor; a
 * privileged instruction in ring 3 faults inside the partition, exactly as
 * on a machine without virtualization. */
#include "kernel.h"
#include "vmbus-synic.h"

/* An IDT gate in 64-bit mode: 16 bytes. */
struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;  /* code segment to load: kernel CS */
	uint8_t ist;        /* 0 = normal stack rules, 1..7 = always switch to TSS.ISTn */
	uint8_t type_attr;  /* P | DPL | gate type */
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gates are 16 bytes");

struct descriptor_table_register {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct idt_gate idt[X86_IDT_VECTORS] __attribute__((aligned(16)));
extern const char isr_stubs[]; /* isr.S: 256 stubs, ISR_STUB_SIZE apart */

static void idt_set_gate(unsigned vector, unsigned dpl, unsigned ist)
{
	uint64_t handler = (uint64_t)(uintptr_t)(isr_stubs + vector * ISR_STUB_SIZE);
	struct idt_gate *g = &idt[vector];

	g->offset_low = handler & 0xFFFF;
	g->selector = SEL_KERNEL_CODE;
	g->ist = ist & 7;
	/* Interrupt gates (not trap gates) everywhere: the CPU clears IF on
	 * entry, so a handler never nests inside another one. */
	g->type_attr = DESC_P | DESC_DPL(dpl) | IDT_TYPE_INTERRUPT_GATE;
	g->offset_mid = (handler >> 16) & 0xFFFF;
	g->offset_high = (uint32_t)(handler >> 32);
	g->reserved = 0;
}

void idt_init(void)
{
	struct descriptor_table_register idtr = {
		.limit = sizeof(idt) - 1,
		.base = (uint64_t)(uintptr_t)idt,
	};

	/* The gate's DPL matters only for software interrupts (INT n): the CPU
	 * allows INT n only if CPL <= DPL. DPL 0 everywhere means a program
	 * that executes, say, INT 0x40 gets #GP instead of faking a timer
	 * interrupt. The system call gate alone is DPL 3. Exceptions and
	 * hardware interrupts ignore the gate DPL. */
	for (unsigned v = 0; v < X86_IDT_VECTORS; v++)
		idt_set_gate(v, 0, 0);
	idt_set_gate(HVSIM_VECTOR_SYSCALL_INT, 3, 0);
	idt_set_gate(X86_VEC_DF, 0, TSS_IST_DOUBLE_FAULT);

	__asm__ volatile("lidt %0" : : "m"(idtr) : "memory");

	kdetail("IDT at %p: %u gates; #DF on IST%u, INT 0x%x DPL 3 (system call), timer vector 0x%x\n",
		(void *)idt, X86_IDT_VECTORS, TSS_IST_DOUBLE_FAULT,
		HVSIM_VECTOR_SYSCALL_INT, HVSIM_VECTOR_TIMER);
}

/* ---- Exceptions ------------------------------------------------------------- */

static const char *const exception_names[X86_EXC_COUNT] = {
	[X86_VEC_DE] = "DE", [X86_VEC_DB] = "DB", [X86_VEC_NMI] = "NMI",
	[X86_VEC_BP] = "BP", [X86_VEC_OF] = "OF", [X86_VEC_BR] = "BR",
	[X86_VEC_UD] = "UD", [X86_VEC_NM] = "NM", [X86_VEC_DF] = "DF",
	[X86_VEC_TS] = "TS", [X86_VEC_NP] = "NP", [X86_VEC_SS] = "SS",
	[X86_VEC_GP] = "GP", [X86_VEC_PF] = "PF", [X86_VEC_MF] = "MF",
	[X86_VEC_AC] = "AC", [X86_VEC_MC] = "MC", [X86_VEC_XM] = "XM",
	[X86_VEC_VE] = "VE", [X86_VEC_CP] = "CP", [X86_VEC_HV] = "HV",
	[X86_VEC_VC] = "VC", [X86_VEC_SX] = "SX",
};

const char *exception_mnemonic(unsigned vector)
{
	if (vector < X86_EXC_COUNT && exception_names[vector])
		return exception_names[vector];
	return "reserved";
}

static bool exception_has_error_code(unsigned vector)
{
	return vector < X86_EXC_COUNT && ((X86_EXC_ERROR_CODE_MASK >> vector) & 1);
}

/* Why did a ring 3 instruction raise #GP? Peek at its first bytes (in the
 * user region only: RIP came from the program and is not to be trusted). */
static const char *gp_reason(uint64_t rip)
{
	const uint8_t *insn = (const uint8_t *)(uintptr_t)rip;

	if (!user_range_ok(rip, 2))
		return "general protection fault";
	switch (insn[0]) {
	case 0xF4: /* HLT */
	case 0xFA: /* CLI */
	case 0xFB: /* STI */
		return "privileged instruction";
	case 0xE4: case 0xE5: case 0xE6: case 0xE7: /* IN/OUT imm8 */
	case 0xEC: case 0xED: case 0xEE: case 0xEF: /* IN/OUT DX */
		return "port I/O without I/O privilege";
	case 0xCD: /* INT n through a DPL 0 gate */
		return "software interrupt through a kernel-only gate";
	case 0x0F:
		switch (insn[1]) {
		case 0x01: /* LGDT/LIDT/... group, VMCALL, VMMCALL */
		case 0x06: /* CLTS */
		case 0x08: /* INVD */
		case 0x09: /* WBINVD */
		case 0x20: case 0x22: /* MOV from/to CR */
		case 0x21: case 0x23: /* MOV from/to DR */
		case 0x30: /* WRMSR */
		case 0x32: /* RDMSR */
			return "privileged instruction";
		default:
			break;
		}
		break;
	default:
		break;
	}
	return "general protection fault";
}

static void report_user_exception(const struct trap_frame *f)
{
	unsigned v = (unsigned)f->vector;

	kprintf("[kernel] #%s", exception_mnemonic(v));
	if (exception_has_error_code(v))
		kprintf("(%lx)", f->error_code);
	kprintf(" in ring 3 at rip 0x%lx: ", f->rip);
	if (v == X86_VEC_GP)
		kprintf("%s", gp_reason(f->rip));
	else if (v == X86_VEC_PF)
		kprintf("%s %s at 0x%lx", (f->error_code & PF_ERR_P) ? "protection violation" : "page not present",
			(f->error_code & PF_ERR_I) ? "on fetch" : (f->error_code & PF_ERR_W) ? "on write" : "on read",
			read_cr2());
	else if (v == X86_VEC_UD)
		kprintf("invalid opcode");
	else if (v == X86_VEC_DE)
		kprintf("divide error");
	else
		kprintf("exception %u", v);
	kprintf(", process \"%s\" killed\n", process_current_name());
}

static noreturn void kernel_exception(const struct trap_frame *f)
{
	unsigned v = (unsigned)f->vector;

	klog("PANIC: #%s (vector %u) in ring 0, error code 0x%lx, rip 0x%lx\n",
	     exception_mnemonic(v), v, f->error_code, f->rip);
	klog("  cs 0x%lx rflags 0x%lx rsp 0x%lx ss 0x%lx cr2 0x%lx cr3 0x%lx\n",
	     f->cs, f->rflags, f->rsp, f->ss, read_cr2(), read_cr3());
	klog("  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	klog("  rsi %016lx rdi %016lx rbp %016lx r8  %016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
	power_off();
}

/* ---- Dispatch --------------------------------------------------------------- */

void trap_dispatch(struct trap_frame *f)
{
	unsigned vector = (unsigned)f->vector;
	bool from_user = (f->cs & 3) == SEL_RPL_USER;

	if (vector == HVSIM_VECTOR_SYSCALL_INT) {
		/* INT 0x80: the older, slower system call path. It goes through
		 * the IDT and the TSS like any interrupt (stack switch via RSP0,
		 * full frame, IRETQ back), so it needs none of SYSCALL's special
		 * care. Same registers and numbers as the SYSCALL path. */
		f->rax = syscall_dispatch(f->rax, f->rdi, f->rsi, f->rdx);
		return;
	}
	if (vector == HVSIM_VECTOR_TIMER) {
		timer_interrupt();
		return;
	}
	if (vector == HVSIM_VECTOR_INTERCEPT) {
		/* SINT0: a message about a child partition (vid.c). */
		vid_interrupt();
		return;
	}
	if (vector == HVSIM_VECTOR_VMBUS) {
		/* SINT2: a VMBus message or channel signal (vmbus-synic.c). */
		vmbus_interrupt();
		return;
	}
	if (vector < X86_EXC_COUNT) {
		if (from_user && vector != X86_VEC_DF && vector != X86_VEC_MC) {
			report_user_exception(f);
			process_kill(vector);
		}
		kernel_exception(f);
	}
	/* Some other external interrupt: nobody asked for it. */
	klog("unexpected interrupt, vector 0x%x, at rip 0x%lx (ignored)\n", vector, f->rip);
}
