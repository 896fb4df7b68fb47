/* rogue.c — the badly behaved ring 3 program: announces itself through the
 * INT 0x80 system call gate, then executes HLT, which only ring 0 may.
 * Guest ring 3, freestanding; lives in the user region (ulib.h markers).
 *
 * The CPU checks CPL before executing HLT and raises #GP(0). The exception
 * is delivered through the guest's own IDT to the guest kernel, which kills
 * the program. The hypervisor is not involved: privilege inside a partition
 * is enforced by the CPU, exactly as without virtualization. */
#include "ulib.h"

UTEXT noreturn void rogue_main(uint64_t arg)
{
	(void)arg;
	uputs_int80(USTR("rogue: about to execute HLT, a privileged instruction, in ring 3\n"));

	__asm__ volatile("hlt");

	/* Not reached: the kernel kills us at the HLT. */
	uputs_int80(USTR("rogue: HLT did not fault?!\n"));
	uexit_int80(1);
}
