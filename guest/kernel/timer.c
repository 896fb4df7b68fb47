/* timer.c — idling with HLT until a Hyper-V synthetic timer interrupts.
 * Guest ring 0, freestanding.
 *
 * An idle kernel should not spin: HLT stops the virtual processor until the
 * next interrupt. For a virtual machine that matters twice over, since a
 * spinning VP burns a physical CPU the hypervisor could give to another
 * partition; a HLT exits to the hypervisor, which deschedules the VP. Here
 * the wake-up comes from synthetic timer 0 in "direct mode": on expiry the
 * hypervisor injects an ordinary interrupt with the vector we chose
 * (instead of posting a message to the SynIC). */
#include "hyperv.h"

#define TIMER_IDLE_DELAY 10000u /* 1 ms in 100 ns units */

static volatile bool timer_fired;
static volatile uint64_t timer_fired_at;

/* Called from trap_dispatch() for HVSIM_VECTOR_TIMER, with IF = 0. */
void timer_interrupt(void)
{
	timer_fired_at = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
	timer_fired = true;
	/* End of interrupt: tell the (virtual) local APIC the handler is done,
	 * otherwise it keeps this vector "in service" and blocks interrupts of
	 * the same or lower priority. The synthetic EOI MSR does it with one
	 * WRMSR instead of an access to the APIC page. */
	wrmsr(HV_X64_MSR_EOI, 0);
}

/* The MSRs a direct-mode timer needs: the clock, the timer, the EOI. */
#define TIMER_NEEDED_MSRS (HV_MSR_ACCESS_TIME_REF_COUNT | HV_MSR_ACCESS_SYNTIMER | HV_MSR_ACCESS_APIC)

bool timer_available(const struct hv_info *hv)
{
	return hv->hyperv && (hv->features_edx & HV_FEATURE_DIRECT_SYNTHETIC_TIMERS) &&
	       (hv->msr_access & TIMER_NEEDED_MSRS) == TIMER_NEEDED_MSRS;
}

uint64_t timer_arm(uint64_t delay)
{
	uint64_t config, due;

	/* One-shot, direct mode, our vector. COUNT is an absolute time on the
	 * partition's reference clock (TIME_REF_COUNT, 100 ns since the
	 * partition was created); the timer runs while Enable is set and COUNT
	 * is not 0. */
	config = HV_STIMER_CONFIG_ENABLE | HV_STIMER_CONFIG_DIRECT_MODE |
		 (((uint64_t)HVSIM_VECTOR_TIMER << HV_STIMER_CONFIG_VECTOR_SHIFT) &
		  HV_STIMER_CONFIG_VECTOR_MASK);
	timer_fired = false;
	/* COUNT first: enabling the timer while COUNT still holds the last,
	 * already-past expiry would fire it at once. */
	due = rdmsr(HV_X64_MSR_TIME_REF_COUNT) + delay;
	wrmsr(HV_X64_MSR_STIMER0_COUNT, due);
	wrmsr(HV_X64_MSR_STIMER0_CONFIG, config);
	return due;
}

void timer_idle(const struct hv_info *hv)
{
	uint64_t now, due;

	if (!hv->hyperv || !(hv->features_edx & HV_FEATURE_DIRECT_SYNTHETIC_TIMERS)) {
		klog("idle: no direct-mode synthetic timer (CPUID 0x%08x EDX bit 19): idling skipped\n",
		     HV_CPUID_FEATURES);
		return;
	}
	if (!timer_available(hv)) {
		klog("idle: no access to TIME_REF_COUNT, STIMER and EOI MSRs (CPUID 0x%08x EAX 0x%x): "
		     "idling skipped\n", HV_CPUID_FEATURES, hv->msr_access);
		return;
	}

	due = timer_arm(TIMER_IDLE_DELAY);
	now = due - TIMER_IDLE_DELAY;

	/* STI enables interrupts only after the next instruction: "sti; hlt"
	 * cannot lose a wake-up, because an interrupt pending at the STI is
	 * taken after the HLT has started waiting, and wakes it. (With the
	 * check and the HLT separated by an open window, the interrupt could
	 * arrive in between and the HLT would sleep forever.) Loop, because
	 * another interrupt could wake us first. */
	while (!timer_fired)
		__asm__ volatile("sti; hlt; cli" : : : "memory");

	klog("idle: HLT until the timer fired at %lu (armed at %lu for %lu, +%lu x 100 ns)\n",
	     timer_fired_at, now, due, timer_fired_at - now);
}
