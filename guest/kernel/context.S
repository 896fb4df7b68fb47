/* context.S — leave the kernel for a ring 3 program, and come back.
 * Guest ring 0, freestanding. Used by process.c.
 *
 * context_enter_user() works like setjmp + a jump to ring 3: it saves the
 * kernel's callee-saved registers and stack pointer, then drops to ring 3
 * with IRETQ. When the program exits or is killed, a system call or fault
 * handler (running on the trap stack) calls context_return_to_kernel(),
 * which works like longjmp: it reloads the saved registers and returns from
 * context_enter_user() a second time, with the status in RAX. */
#include "x86.h"

/* struct kernel_context in process.c */
#define CTX_RSP 0
#define CTX_RBX 8
#define CTX_RBP 16
#define CTX_R12 24
#define CTX_R13 32
#define CTX_R14 40
#define CTX_R15 48

	.text
/* int64_t context_enter_user(struct kernel_context *save, uint64_t rip,
 *                            uint64_t user_rsp, uint64_t arg, uint64_t rflags) */
	.globl	context_enter_user
	.type	context_enter_user, @function
context_enter_user:
	movq	%rsp, CTX_RSP(%rdi)		/* points at our return address */
	movq	%rbx, CTX_RBX(%rdi)
	movq	%rbp, CTX_RBP(%rdi)
	movq	%r12, CTX_R12(%rdi)
	movq	%r13, CTX_R13(%rdi)
	movq	%r14, CTX_R14(%rdi)
	movq	%r15, CTX_R15(%rdi)

	/* IRETQ is the one instruction that lowers the privilege level to any
	 * ring with a complete new state. Build the frame an interrupt from
	 * ring 3 would have pushed, and "return" to it. The CPU checks the
	 * selectors (RPL 3, DPL 3 descriptors) and switches CPL to 3. DS and ES
	 * still hold the kernel's DPL 0 selector; IRET to ring 3 nulls them,
	 * which is harmless because 64-bit mode ignores DS/ES bases and limits. */
	pushq	$SEL_USER_DATA_RPL3		/* SS  = 0x23 */
	pushq	%rdx				/* RSP = user stack */
	pushq	%r8				/* RFLAGS: IF = 1 */
	pushq	$SEL_USER_CODE_RPL3		/* CS  = 0x2B */
	pushq	%rsi				/* RIP = program entry */

	movq	%rcx, %rdi			/* the program's argument */
	/* Hand ring 3 no kernel values (addresses in registers leak layout). */
	xorl	%eax, %eax
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%esi, %esi
	xorl	%ebp, %ebp
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	xorl	%r10d, %r10d
	xorl	%r11d, %r11d
	xorl	%r12d, %r12d
	xorl	%r13d, %r13d
	xorl	%r14d, %r14d
	xorl	%r15d, %r15d
	iretq
	.size	context_enter_user, . - context_enter_user

/* noreturn void context_return_to_kernel(struct kernel_context *save,
 *                                         int64_t status) */
	.globl	context_return_to_kernel
	.type	context_return_to_kernel, @function
context_return_to_kernel:
	movq	CTX_RSP(%rdi), %rsp		/* back on the boot stack... */
	movq	CTX_RBX(%rdi), %rbx
	movq	CTX_RBP(%rdi), %rbp
	movq	CTX_R12(%rdi), %r12
	movq	CTX_R13(%rdi), %r13
	movq	CTX_R14(%rdi), %r14
	movq	CTX_R15(%rdi), %r15
	movq	%rsi, %rax
	ret					/* ...returning from context_enter_user() */
	.size	context_return_to_kernel, . - context_return_to_kernel

	.section .note.GNU-stack, "", @progbits
