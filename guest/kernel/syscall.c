/* syscall.c — system calls: turning SYSCALL on, and the dispatcher shared
 * by the SYSCALL path (syscall.S) and the INT 0x80 path (idt.c).
 * Guest ring 0, freestanding. Arguments come from ring 3 and are hostile
 * until checked. */
#include "vid.h"

#define SYSCALL_WRITE_MAX 4096u /* longest single write() */
#define SYSCALL_FD_STDOUT 1u
#define SYSCALL_FD_STDERR 2u

extern char syscall_entry[]; /* syscall.S */

void syscall_init(void)
{
	/* SYSCALL/SYSRET raise #UD until EFER.SCE is set. */
	wrmsr(IA32_EFER_MSR, rdmsr(IA32_EFER_MSR) | X86_EFER_SCE);
	/* STAR: selector bases. SYSCALL loads CS = 0x08, SS = 0x10; SYSRETQ
	 * loads CS = 0x18 + 16 = 0x28 and SS = 0x18 + 8 = 0x20, each with RPL 3
	 * (0x2B, 0x23). See the GDT order in x86.h. */
	wrmsr(IA32_STAR_MSR, ((uint64_t)SEL_USER_CODE32 << STAR_SYSRET_CS_SHIFT) |
				     ((uint64_t)SEL_KERNEL_CODE << STAR_SYSCALL_CS_SHIFT));
	/* LSTAR: where SYSCALL from 64-bit code jumps. */
	wrmsr(IA32_LSTAR_MSR, (uint64_t)(uintptr_t)syscall_entry);
	/* CSTAR (SYSCALL from 32-bit code) is unused: there is none. */
	wrmsr(IA32_CSTAR_MSR, 0);
	/* FMASK: RFLAGS bits SYSCALL clears. IF, so the kernel is not
	 * interrupted before it has a stack; TF, so single-stepping a program
	 * does not trap in the kernel; DF, which the C ABI requires clear; AC,
	 * so alignment checking set by ring 3 does not apply to the kernel. */
	wrmsr(IA32_FMASK_MSR, X86_RFLAGS_IF | X86_RFLAGS_TF | X86_RFLAGS_DF | X86_RFLAGS_AC);

	kdetail("SYSCALL: EFER.SCE on, LSTAR %p, STAR 0x%lx, FMASK 0x%lx\n",
		(void *)syscall_entry, rdmsr(IA32_STAR_MSR), rdmsr(IA32_FMASK_MSR));
}

static uint64_t sys_write(uint64_t fd, uint64_t buf, uint64_t len)
{
	if (fd != SYSCALL_FD_STDOUT && fd != SYSCALL_FD_STDERR)
		return SYSCALL_ERROR;
	/* The buffer must lie in the user region. Without this check a program
	 * could ask the kernel to print kernel memory for it: the kernel may
	 * read every page, so it must not lend that power to ring 3. */
	if (len > SYSCALL_WRITE_MAX || !user_range_ok(buf, len))
		return SYSCALL_ERROR;
	console_write((const char *)(uintptr_t)buf, len);
	return len;
}

uint64_t syscall_dispatch(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	switch (nr) {
	case HVSIM_SYS_WRITE:
		return sys_write(a0, a1, a2);
	case HVSIM_SYS_EXIT:
		process_exit((int64_t)a0);
	case HVSIM_SYS_VID:
		return vid_syscall(a0, a1, a2);
	default:
		klog("process \"%s\": unknown system call %lu\n", process_current_name(), nr);
		return SYSCALL_ERROR;
	}
}
