/* svm-defs.h — AMD-V (SVM) exit codes: the names AMD gives to the events
 * that Intel calls VM exits. Constants only; plain C; reach it through vmx.h.
 * Source: AMD64 Architecture Programmer's Manual vol. 2, appendix C
 * "SVM Intercept Exit Codes". */
#ifndef HVSIM_SVM_DEFS_H
#define HVSIM_SVM_DEFS_H

/* On AMD the hypervisor does not read exit information with VMREAD: after
 * #VMEXIT it finds EXITCODE, EXITINFO1, EXITINFO2 and EXITINTINFO in the
 * VMCB control area, in plain memory. EXITCODE plays the role of Intel's
 * basic exit reason, but the numbering is AMD's own and finer-grained:
 * a CR access has one code per register and direction, an exception one
 * code per vector. Where Intel has one reason for RDMSR and one for WRMSR,
 * AMD has a single MSR code and puts the direction in EXITINFO1. */

/* Control-register reads and writes: 0x000 + n and 0x010 + n. */
#define SVM_EXIT_CR_READ(n)   (0x000u + (unsigned)(n))
#define SVM_EXIT_CR_WRITE(n)  (0x010u + (unsigned)(n))
#define SVM_EXIT_CR0_READ     0x000u
#define SVM_EXIT_CR2_READ     0x002u
#define SVM_EXIT_CR3_READ     0x003u
#define SVM_EXIT_CR4_READ     0x004u
#define SVM_EXIT_CR8_READ     0x008u
#define SVM_EXIT_CR0_WRITE    0x010u
#define SVM_EXIT_CR2_WRITE    0x012u
#define SVM_EXIT_CR3_WRITE    0x013u
#define SVM_EXIT_CR4_WRITE    0x014u
#define SVM_EXIT_CR8_WRITE    0x018u

/* Debug-register reads and writes: 0x020 + n and 0x030 + n. */
#define SVM_EXIT_DR_READ(n)   (0x020u + (unsigned)(n))
#define SVM_EXIT_DR_WRITE(n)  (0x030u + (unsigned)(n))
#define SVM_EXIT_DR0_READ     0x020u
#define SVM_EXIT_DR7_READ     0x027u
#define SVM_EXIT_DR0_WRITE    0x030u
#define SVM_EXIT_DR7_WRITE    0x037u

/* Exceptions: 0x040 + vector, vectors 0-31. */
#define SVM_EXIT_EXCP_BASE    0x040u
#define SVM_EXIT_EXCP(v)      (SVM_EXIT_EXCP_BASE + (unsigned)(v))
#define SVM_EXIT_EXCP_LAST    0x05Fu

#define SVM_EXIT_INTR         0x060u  /* physical maskable interrupt */
#define SVM_EXIT_NMI          0x061u
#define SVM_EXIT_SMI          0x062u
#define SVM_EXIT_INIT         0x063u
#define SVM_EXIT_VINTR        0x064u  /* virtual interrupt window (Intel: reason 7) */
#define SVM_EXIT_CR0_SEL_WRITE 0x065u /* CR0 write changing bits other than TS/MP */
#define SVM_EXIT_IDTR_READ    0x066u
#define SVM_EXIT_GDTR_READ    0x067u
#define SVM_EXIT_LDTR_READ    0x068u
#define SVM_EXIT_TR_READ      0x069u
#define SVM_EXIT_IDTR_WRITE   0x06Au
#define SVM_EXIT_GDTR_WRITE   0x06Bu
#define SVM_EXIT_LDTR_WRITE   0x06Cu
#define SVM_EXIT_TR_WRITE     0x06Du
#define SVM_EXIT_RDTSC        0x06Eu
#define SVM_EXIT_RDPMC        0x06Fu
#define SVM_EXIT_PUSHF        0x070u
#define SVM_EXIT_POPF         0x071u
#define SVM_EXIT_CPUID        0x072u
#define SVM_EXIT_RSM          0x073u
#define SVM_EXIT_IRET         0x074u
#define SVM_EXIT_SWINT        0x075u  /* INT n */
#define SVM_EXIT_INVD         0x076u
#define SVM_EXIT_PAUSE        0x077u
#define SVM_EXIT_HLT          0x078u
#define SVM_EXIT_INVLPG       0x079u
#define SVM_EXIT_INVLPGA      0x07Au
#define SVM_EXIT_IOIO         0x07Bu  /* IN/OUT/INS/OUTS, per the IOPM */
#define SVM_EXIT_MSR          0x07Cu  /* RDMSR/WRMSR, per the MSRPM; EXITINFO1 0 read, 1 write */
#define SVM_EXIT_TASK_SWITCH  0x07Du
#define SVM_EXIT_FERR_FREEZE  0x07Eu
#define SVM_EXIT_SHUTDOWN     0x07Fu  /* triple fault */
#define SVM_EXIT_VMRUN        0x080u
#define SVM_EXIT_VMMCALL      0x081u  /* the hypercall instruction on AMD */
#define SVM_EXIT_VMLOAD       0x082u
#define SVM_EXIT_VMSAVE       0x083u
#define SVM_EXIT_STGI         0x084u
#define SVM_EXIT_CLGI         0x085u
#define SVM_EXIT_SKINIT       0x086u
#define SVM_EXIT_RDTSCP       0x087u
#define SVM_EXIT_ICEBP        0x088u
#define SVM_EXIT_WBINVD       0x089u
#define SVM_EXIT_MONITOR      0x08Au
#define SVM_EXIT_MWAIT        0x08Bu
#define SVM_EXIT_MWAIT_COND   0x08Cu
#define SVM_EXIT_XSETBV       0x08Du
#define SVM_EXIT_RDPRU        0x08Eu
#define SVM_EXIT_EFER_WRITE_TRAP 0x08Fu
#define SVM_EXIT_CR_WRITE_TRAP(n) (0x090u + (unsigned)(n)) /* SEV-ES: after the write */
#define SVM_EXIT_INVPCID      0x0A2u
#define SVM_EXIT_NPF          0x400u  /* nested page fault (Intel: EPT violation/misconfig) */
#define SVM_EXIT_AVIC_INCOMPLETE_IPI 0x401u
#define SVM_EXIT_AVIC_NOACCEL 0x402u
#define SVM_EXIT_VMGEXIT      0x403u
#define SVM_EXIT_INVALID      0xFFFFFFFFu /* -1: VMRUN refused the VMCB (invalid guest state) */

/* Not an AMD code: the model's answer when an Intel event has no AMD
 * counterpart (for example the VMX-preemption timer or a SIPI exit). Chosen
 * outside every range AMD defines. */
#define SVM_EXIT_NO_EQUIVALENT 0xFFFFFF00u

/* IOIO EXITINFO1 layout (APM vol. 2, "IOIO Intercepts"), for comparison with
 * the Intel I/O exit qualification. */
#define SVM_IOIO_IN           (1u << 0) /* 1 = IN, 0 = OUT (Intel: bit 3) */
#define SVM_IOIO_STRING       (1u << 2)
#define SVM_IOIO_REP          (1u << 3)
#define SVM_IOIO_SIZE8        (1u << 4) /* operand size is one-hot, not size-1 */
#define SVM_IOIO_SIZE16       (1u << 5)
#define SVM_IOIO_SIZE32       (1u << 6)
#define SVM_IOIO_PORT_SHIFT   16        /* bits 31:16, as on Intel */

#endif /* HVSIM_SVM_DEFS_H */
