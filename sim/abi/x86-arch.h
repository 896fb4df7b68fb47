/* x86-arch.h — architectural x86-64 numbers from the Intel SDM (MSRs, control
 * register and RFLAGS bits) used by both the host model and guest code.
 * Shared ABI header: plain C, no GLib. */
#ifndef HVSIM_ABI_X86_ARCH_H
#define HVSIM_ABI_X86_ARCH_H

/* MSRs (SDM vol. 4, table 2-2). */
#define IA32_APIC_BASE_MSR      0x0000001Bu
#define IA32_EFER_MSR           0xC0000080u
#define IA32_STAR_MSR           0xC0000081u
#define IA32_LSTAR_MSR          0xC0000082u
#define IA32_CSTAR_MSR          0xC0000083u
#define IA32_FMASK_MSR          0xC0000084u
#define IA32_FS_BASE_MSR        0xC0000100u
#define IA32_GS_BASE_MSR        0xC0000101u
#define IA32_KERNEL_GS_BASE_MSR 0xC0000102u

/* EFER bits. */
#define X86_EFER_SCE (1ull << 0)
#define X86_EFER_LME (1ull << 8)
#define X86_EFER_LMA (1ull << 10)
#define X86_EFER_NXE (1ull << 11)

/* RFLAGS bits. */
#define X86_RFLAGS_CF   (1ull << 0)
#define X86_RFLAGS_FIXED (1ull << 1)
#define X86_RFLAGS_TF   (1ull << 8)
#define X86_RFLAGS_IF   (1ull << 9)
#define X86_RFLAGS_DF   (1ull << 10)
#define X86_RFLAGS_IOPL (3ull << 12)
#define X86_RFLAGS_NT   (1ull << 14)
#define X86_RFLAGS_RF   (1ull << 16)
#define X86_RFLAGS_AC   (1ull << 18)

/* CR0 / CR4 bits. */
#define X86_CR0_PE (1ull << 0)
#define X86_CR0_WP (1ull << 16)
#define X86_CR0_PG (1ull << 31)
#define X86_CR4_TSD (1ull << 2)
#define X86_CR4_PAE (1ull << 5)
#define X86_CR4_SMEP (1ull << 20)
#define X86_CR4_SMAP (1ull << 21)

/* CPUID leaf 1 ECX / leaf 0x80000001 ECX feature bits. */
#define X86_CPUID1_ECX_VMX (1u << 5)
#define X86_CPUID81_ECX_SVM (1u << 2)

/* Exception vectors. */
#define X86_VEC_DE 0
#define X86_VEC_UD 6
#define X86_VEC_DF 8
#define X86_VEC_GP 13
#define X86_VEC_PF 14

/* Instruction encodings the hypercall page holds (SDM / AMD APM). */
#define X86_INSN_VMCALL_BYTES  0x0F, 0x01, 0xC1
#define X86_INSN_VMMCALL_BYTES 0x0F, 0x01, 0xD9
#define X86_INSN_RET 0xC3

#endif
