/* hyperv.h — the mini kernel's Hyper-V enlightenments: hypervisor detection,
 * the hypercall page, and the hypercall calling convention of the TLFS.
 * Guest ring 0, freestanding. */
#ifndef GUEST_KERNEL_HYPERV_H
#define GUEST_KERNEL_HYPERV_H

#include "hv-tlfs.h"
#include "kernel.h"

/* What CPUID told us about the hypervisor underneath. */
struct hv_info {
	bool present;         /* CPUID.1:ECX[31], "hypervisor present" */
	bool hyperv;          /* interface "Hv#1": the TLFS applies */
	char vendor[13];      /* leaf 0x40000000 EBX, ECX, EDX as a string */
	uint32_t max_leaf;    /* leaf 0x40000000 EAX */
	uint32_t interface;   /* leaf 0x40000001 EAX */
	uint32_t msr_access;  /* leaf 0x40000003 EAX: synthetic MSRs we may use */
	uint32_t privileges;  /* leaf 0x40000003 EBX: hypercalls we may make */
	uint32_t features_ecx;
	uint32_t features_edx;
	bool hypercalls_enabled;
};

void hv_detect(struct hv_info *hv);
/* GUEST_OS_ID, then the hypercall page. False if the page did not enable. */
bool hv_enable_hypercalls(struct hv_info *hv);
void hv_hypercall_demo(void);
void hv_hypercall_benchmark(uint64_t loops);
const char *hv_status_name(uint16_t status);
/* Idle on HLT until synthetic timer 0 fires (timer.c). */
void timer_idle(const struct hv_info *hv);
/* Synthetic timer 0 in direct mode is there and ours to use. */
bool timer_available(const struct hv_info *hv);
/* Arms it (one-shot, HVSIM_VECTOR_TIMER) `delay` 100 ns units from now;
 * returns the due time on the TIME_REF_COUNT clock. Only if available. */
uint64_t timer_arm(uint64_t delay);

/* The hypercall page (hyperv.c): 4 KiB, page-aligned, in kernel memory,
 * and never written by the kernel. */
extern char hv_hypercall_page[];

/* Hypercall parameter blocks (hyperv.c): one page each, page-aligned, in
 * kernel memory. Used by the tour and by the VID driver (vid.c). */
extern uint8_t hv_input_page[HV_PAGE_SIZE];
extern uint8_t hv_output_page[HV_PAGE_SIZE];

/* ---- The hypercall calling convention (TLFS, x64) ----------------------------
 * Why a page, and not a VMCALL right here? Intel VT-x traps VMCALL, AMD-V
 * traps VMMCALL, and each CPU raises #UD for the other one's instruction.
 * The guest does not want to care which CPU it runs on, so it asks the
 * hypervisor, through HV_X64_MSR_HYPERCALL, to write the right instruction
 * sequence into a page of the guest's choosing, and then simply CALLs that
 * page. The hypervisor owns the page's contents from then on.
 *
 *   RCX  input value: call code 15:0, fast bit 16, rep count 43:32,
 *        rep start index 59:48
 *   RDX  input parameter block GPA   (fast call: parameter 1)
 *   R8   output parameter block GPA  (fast call: parameter 2)
 *   RAX  result: status 15:0, reps completed 43:32
 *
 * The hypervisor changes RAX and, for rep calls, RCX (the new rep start
 * index); the TLFS says it preserves the rest. The asm below assumes less
 * and declares RCX, RDX and R8-R11 clobbered, like an ordinary call. */
static inline uint64_t hv_hypercall(uint64_t control, uint64_t input, uint64_t output)
{
	uint64_t result;
	register uint64_t r8 __asm__("r8") = output;

	/* A near CALL: it pushes a return address on our stack, and the page
	 * ends with RET. Safe in inline asm only because the kernel is built
	 * with -mno-red-zone (nothing live below RSP). "memory": the hypervisor
	 * may have written the output block. */
	__asm__ volatile("call hv_hypercall_page"
			 : "=a"(result), "+c"(control), "+d"(input), "+r"(r8)
			 :
			 : "r9", "r10", "r11", "cc", "memory");
	return result;
}

static inline uint64_t hv_control(uint16_t code, uint64_t flags, uint32_t rep_count,
				  uint32_t rep_start)
{
	return (code & HV_HYPERCALL_CODE_MASK) | flags |
	       (((uint64_t)rep_count << HV_HYPERCALL_REP_COUNT_SHIFT) & HV_HYPERCALL_REP_COUNT_MASK) |
	       (((uint64_t)rep_start << HV_HYPERCALL_REP_START_SHIFT) & HV_HYPERCALL_REP_START_MASK);
}

static inline uint16_t hv_result_status(uint64_t result)
{
	return (uint16_t)(result & HV_HYPERCALL_RESULT_STATUS_MASK);
}

static inline uint32_t hv_result_reps(uint64_t result)
{
	return (uint32_t)((result & HV_HYPERCALL_RESULT_REPS_MASK) >> HV_HYPERCALL_RESULT_REPS_SHIFT);
}

/* Kernel buffers are identity-mapped: their address is their GPA. */
static inline uint64_t hv_gpa(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

#endif /* GUEST_KERNEL_HYPERV_H */
