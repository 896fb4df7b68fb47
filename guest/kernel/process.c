/* process.c — run a ring 3 program to completion: enter it with IRETQ,
 * come back when it exits (system call) or is killed (exception).
 * Guest ring 0, freestanding.
 *
 * The mini kernel runs one program at a time and has no scheduler: a
 * "process" is a name, an entry point in the user region and the shared
 * user stack. The kernel side of the switch is a saved set of callee-saved
 * registers (context.S); each return into the kernel through a trap uses
 * the TSS.RSP0 stack, never the stack process_run() was called on. */
#include "kernel.h"

/* Layout known to context.S. */
struct kernel_context {
	uint64_t rsp, rbx, rbp, r12, r13, r14, r15;
};

int64_t context_enter_user(struct kernel_context *save, uint64_t rip, uint64_t user_rsp,
			   uint64_t arg, uint64_t rflags);

/* RFLAGS a ring 3 program starts with: interrupts enabled (user code is
 * always interruptible), IOPL 0 (no port I/O), everything else clear. */
#define USER_INITIAL_RFLAGS (X86_RFLAGS_FIXED | X86_RFLAGS_IF)
noreturn void context_return_to_kernel(struct kernel_context *save, int64_t status);

static struct kernel_context kernel_context;
static struct process *current;

const char *process_current_name(void)
{
	return current ? current->name : "(none)";
}

void process_run(struct process *p)
{
	uint64_t entry = (uint64_t)(uintptr_t)p->entry;
	/* Computed as a number: it points just below the end of a linker
	 * symbol, which C would call out of bounds. */
	uint64_t user_rsp = (uint64_t)(uintptr_t)__user_stack_top - sizeof(uint64_t);
	int64_t status;

	if (entry < (uint64_t)(uintptr_t)__user_start || entry >= (uint64_t)(uintptr_t)__user_text_end)
		panic("program \"%s\": entry 0x%lx is not in the user text region\n", p->name, entry);

	/* The program starts like a C function that was just called: RSP points
	 * at a return address (a fake 0: returning from the entry function
	 * would fault, it must call exit) and RSP + 8 is 16-byte aligned. */
	*(volatile uint64_t *)(uintptr_t)user_rsp = 0;
	current = p;
	p->killed = false;
	kdetail("starting \"%s\" in ring 3: rip 0x%lx, rsp 0x%lx, rdi %lu\n",
		p->name, entry, user_rsp, p->arg);

	status = context_enter_user(&kernel_context, entry, user_rsp, p->arg, USER_INITIAL_RFLAGS);

	/* Back in ring 0 on the boot stack, from process_exit/process_kill. */
	current = NULL;
	p->exit_status = status;
	if (p->killed)
		klog("process \"%s\" was killed by #%s (vector %u), exit status %ld\n", p->name,
		     exception_mnemonic(p->kill_vector), p->kill_vector, status);
	else
		klog("process \"%s\" exited with status %ld\n", p->name, status);
}

noreturn void process_exit(int64_t status)
{
	if (!current)
		panic("exit() with no process running\n");
	context_return_to_kernel(&kernel_context, status);
}

noreturn void process_kill(unsigned vector)
{
	if (!current)
		panic("kill with no process running\n");
	current->killed = true;
	current->kill_vector = vector;
	/* A shell would report "killed by signal"; -1 stands for it here. */
	context_return_to_kernel(&kernel_context, -1);
}
