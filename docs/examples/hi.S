/* hi.S - the smallest useful hvsim guest: print "hi" on COM1, power off.
 *
 * Build (from this directory):
 *   gcc -c -o hi.o hi.S
 *   ld -T hi.ld -o hi.elf hi.o
 * Run:
 *   hvsim run ./hi.elf
 *
 * The loader starts us in 64-bit long mode, ring 0, paging on (identity
 * map), interrupts off, RSP = 0x8000, RDI = address of the boot info.
 * See docs/guest-abi.md.
 *
 * sim/abi/hvsim-platform.h has these values too (HVSIM_PORT_COM1,
 * HVSIM_PORT_POWER, HVSIM_POWER_OFF) and may be included from a .S file,
 * but its constants carry C suffixes (0x3F8u) that not every assembler
 * accepts, so this example defines its own. */

#define COM1_THR    0x3F8   /* UART transmit holding register (write) */
#define POWER_PORT  0x604   /* hvsim power control port */
#define POWER_OFF   0x2000  /* 16-bit value that powers the partition off */

	.code64
	.section .text, "ax", @progbits
	.globl	_start
_start:
	leaq	msg(%rip), %rsi
	movw	$COM1_THR, %dx
1:	lodsb				/* AL = next byte of the message */
	testb	%al, %al
	jz	2f
	outb	%al, %dx		/* one VM exit per byte */
	jmp	1b

2:	movw	$POWER_PORT, %dx
	movw	$POWER_OFF, %ax
	outw	%ax, %dx		/* must be a 16-bit write */

	/* Not reached. If it were, HLT with IF = 0 makes hvsim stop the
	 * partition with an error instead of waiting forever. */
3:	hlt
	jmp	3b

	.section .rodata, "a", @progbits
msg:	.asciz	"hi\n"
