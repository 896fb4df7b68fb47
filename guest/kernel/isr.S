/* isr.S — the 256 interrupt/exception entry stubs and their common path.
 * Guest ring 0, freestanding. The CPU jumps here through the IDT (idt.c).
 *
 * What the CPU has done by the time a stub runs (64-bit mode):
 *  - if the interrupt came from ring 3: loaded RSP from TSS.RSP0 (or from an
 *    IST slot if the gate names one) and SS with a null selector;
 *  - aligned RSP down to 16 bytes, pushed SS, RSP, RFLAGS, CS, RIP of the
 *    interrupted code and, for some exceptions only, an error code;
 *  - cleared IF (we use interrupt gates only), loaded CS from the gate.
 * The stubs even out the difference in the error code, so one C function,
 * trap_dispatch(), sees one frame layout (struct trap_frame in kernel.h). */
#include "x86.h"

	.text

/* Stub N is at isr_stubs + N * ISR_STUB_SIZE, so idt.c computes gate
 * addresses instead of needing a table of 256 pointers. */
	.balign	ISR_STUB_SIZE
	.globl	isr_stubs
isr_stubs:
	.set	vector, 0
	.rept	X86_IDT_VECTORS
	.balign	ISR_STUB_SIZE
	.set	cpu_pushes_error_code, 0
	.if	vector < X86_EXC_COUNT
	.set	cpu_pushes_error_code, (X86_EXC_ERROR_CODE_MASK >> vector) & 1
	.endif
	.if	cpu_pushes_error_code == 0
	pushq	$0				/* fake error code */
	.endif
	pushq	$vector
	jmp	isr_common
	.set	vector, vector + 1
	.endr

isr_common:
	/* Save every general register: the interrupted code did not expect to be
	 * interrupted and must find them unchanged. The order makes RAX the
	 * lowest address, matching struct trap_frame. */
	pushq	%r15
	pushq	%r14
	pushq	%r13
	pushq	%r12
	pushq	%r11
	pushq	%r10
	pushq	%r9
	pushq	%r8
	pushq	%rbp
	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	pushq	%rcx
	pushq	%rbx
	pushq	%rax
	/* The C ABI wants DF = 0 at every call; ring 3 may have left it set. */
	cld
	/* 22 quadwords (176 bytes) on a stack the CPU aligned to 16: RSP is still
	 * 16-byte aligned here, as the ABI requires at a CALL. */
	movq	%rsp, %rdi
	call	trap_dispatch
	popq	%rax
	popq	%rbx
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	popq	%rbp
	popq	%r8
	popq	%r9
	popq	%r10
	popq	%r11
	popq	%r12
	popq	%r13
	popq	%r14
	popq	%r15
	addq	$16, %rsp			/* drop vector and error code */
	/* IRETQ pops RIP, CS, RFLAGS, RSP, SS: back to the interrupted code, in
	 * its ring, with its IF. */
	iretq

	.section .note.GNU-stack, "", @progbits
