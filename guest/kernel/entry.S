/* entry.S — the mini kernel's first instructions, and its stacks.
 * Guest ring 0, freestanding; runs in the 64-bit long mode, paging and boot
 * GDT the hvsim loader set up (hvsim-platform.h, "state at entry"). */
#include "x86.h"

	.section .text.entry, "ax", @progbits
	.globl _start
	.type _start, @function
_start:
	/* What the loader promises: RDI = GPA of struct hvsim_boot_info, IF = 0,
	 * RSP = 0x8000 inside the loader's area. We take only RDI and leave the
	 * loader's stack behind: a kernel's memory is its own. CLI and CLD cost
	 * nothing and mean we rely on neither IF nor DF having any value. */
	cli
	cld
	movq	%rdi, %r12			/* boot info; rep stosb keeps R12 */
	leaq	boot_stack_top(%rip), %rsp
	xorl	%ebp, %ebp			/* end of the frame-pointer chain */

	/* C expects static storage without an initializer to read as zero. The
	 * ELF file holds no bytes for .bss, and the kernel does not trust the
	 * loader to have cleared that memory, so clear it here, before any C
	 * code runs. rep stosb stores AL to [RDI], RCX times. */
	leaq	__bss_start(%rip), %rdi
	leaq	__bss_end(%rip), %rcx
	subq	%rdi, %rcx
	xorl	%eax, %eax
	rep stosb

	/* The same for the ring 3 region's .user.bss and its stack. */
	leaq	__user_bss_start(%rip), %rdi
	leaq	__user_end(%rip), %rcx
	subq	%rdi, %rcx
	rep stosb

	movq	%r12, %rdi			/* kmain(boot_info) */
	call	kmain
	/* kmain never returns; if it did, stop here. */
1:	cli
	hlt
	jmp	1b
	.size _start, . - _start

/* ---- Stacks ------------------------------------------------------------------
 * Each stack sits on top of a guard page that paging.c leaves unmapped. A
 * stack that overflows runs into it and page-faults (#PF) instead of
 * corrupting whatever lies below. The CPU then cannot push the #PF frame
 * either (same stack), which escalates to a double fault (#DF): that is why
 * the #DF gate uses the IST mechanism to switch to a stack of its own. */
	.section .stacks, "aw", @nobits
	.balign 4096

	.globl boot_stack_guard, boot_stack_top
boot_stack_guard:
	.skip	GUARD_PAGE_SIZE
	.skip	BOOT_STACK_SIZE		/* kmain and everything it calls */
boot_stack_top:

	/* TSS.RSP0. When an interrupt or exception arrives in ring 3 the CPU
	 * must not push its frame onto the ring 3 stack (user memory the program
	 * controls), so it loads RSP from TSS.RSP0 first. The SYSCALL entry
	 * (syscall.S) switches to this same stack by hand. */
	.globl trap_stack_guard, trap_stack_top
trap_stack_guard:
	.skip	GUARD_PAGE_SIZE
	.skip	TRAP_STACK_SIZE
trap_stack_top:

	/* TSS.IST1, for #DF. */
	.globl df_stack_guard, df_stack_top
df_stack_guard:
	.skip	GUARD_PAGE_SIZE
	.skip	DF_STACK_SIZE
df_stack_top:

	.section .note.GNU-stack, "", @progbits
