/* syscall.S — the SYSCALL entry point (IA32_LSTAR points here).
 * Guest ring 0, freestanding; entered from ring 3 by the SYSCALL instruction.
 *
 * SYSCALL is the fast way into the kernel because it does almost nothing:
 *   RCX <- RIP of the next instruction, R11 <- RFLAGS,
 *   RFLAGS &= ~IA32_FMASK (we clear IF, TF, DF, AC),
 *   CS/SS <- fixed flat selectors derived from IA32_STAR, CPL <- 0,
 *   RIP <- IA32_LSTAR.
 * It reads no IDT, no TSS, no descriptor from memory, and it does NOT touch
 * RSP: we arrive in ring 0 still pointing at the ring 3 stack, which the
 * program controls (it could point anywhere, even at kernel memory). So the
 * first thing to do is switch to a kernel stack by hand, before pushing
 * anything. IF is 0 (FMASK), so no interrupt can arrive in between.
 *
 * Register convention of the mini kernel (like Linux's): RAX = number,
 * RDI, RSI, RDX = arguments, result in RAX; RCX and R11 are lost (the CPU
 * uses them), every other register is preserved. */
#include "x86.h"

	.text
	.globl	syscall_entry
	.type	syscall_entry, @function
syscall_entry:
	/* One VP, one CPU: a global scratch slot is enough to park the user RSP.
	 * A multi-processor kernel needs a per-CPU slot (Linux reaches it with
	 * SWAPGS and a GS-relative store). */
	movq	%rsp, syscall_user_rsp(%rip)
	leaq	trap_stack_top(%rip), %rsp
	pushq	syscall_user_rsp(%rip)
	pushq	%r11				/* user RFLAGS, for SYSRET */
	pushq	%rcx				/* user RIP, for SYSRET */
	/* Preserve what the C dispatcher may clobber (caller-saved registers). */
	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	pushq	%r8
	pushq	%r9
	pushq	%r10
	subq	$8, %rsp			/* 10 quadwords: keep RSP 16-byte aligned for the CALL */

	/* syscall_dispatch(nr, a0, a1, a2): shuffle into the C argument registers. */
	movq	%rdx, %rcx
	movq	%rsi, %rdx
	movq	%rdi, %rsi
	movq	%rax, %rdi
	call	syscall_dispatch		/* result in RAX; exit() never comes back */

	addq	$8, %rsp
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdx
	popq	%rsi
	popq	%rdi
	popq	%rcx
	popq	%r11
	/* Back on the user stack while still in ring 0: fine only because IF = 0
	 * until SYSRET restores the user's RFLAGS from R11 (an NMI here would
	 * run on the user stack; kernels that take NMIs give them an IST). */
	popq	%rsp
	/* SYSRETQ: RIP <- RCX, RFLAGS <- R11, CS = STAR[63:48] + 16 | 3 = 0x2B,
	 * SS = STAR[63:48] + 8 | 3 = 0x23, CPL <- 3. RCX came from SYSCALL itself,
	 * so it is canonical (on Intel CPUs a non-canonical RCX would fault in
	 * ring 0 on the user stack: never let a program choose it). */
	sysretq
	.size	syscall_entry, . - syscall_entry

	.bss
	.balign	8
syscall_user_rsp:
	.skip	8

	.section .note.GNU-stack, "", @progbits
