/* hvboot.c — the boot-time stage that starts the hypervisor under the
 * running OS (our analogue of hvboot.sys loading hvix64.exe or hvax64.exe).
 * Guest ring 0, freestanding; runs before the kernel looks for Hyper-V.
 *
 * The machine powered on with no hypervisor. Starting one is only possible
 * if the processor has hardware virtualization, so hvboot asks CPUID: the
 * vendor string picks the family (GenuineIntel or AuthenticAMD), leaf 1
 * ECX bit 5 says VT-x (VMX) on Intel, leaf 0x80000001 ECX bit 2 says AMD-V
 * (SVM) on AMD. It then asks the platform to launch the matching image.
 * When the request returns, the same kernel is still running, but as a
 * partition: the next CPUID it executes will exit to the hypervisor. */
#include "hv-tlfs.h"
#include "kernel.h"
#include "x86-arch.h"

static bool vendor_is(const struct cpuid_regs *r, const char name[12])
{
	char v[12];
	for (int i = 0; i < 4; i++) {
		v[i] = (char)(r->ebx >> (8 * i));
		v[4 + i] = (char)(r->edx >> (8 * i));
		v[8 + i] = (char)(r->ecx >> (8 * i));
	}
	for (int i = 0; i < 12; i++)
		if (v[i] != name[i])
			return false;
	return true;
}

void hvboot(void)
{
	struct cpuid_regs leaf0 = cpuid(0);
	struct cpuid_regs leaf1 = cpuid(1);

	if (leaf1.ecx & HV_CPUID_FEATURES_ECX_HYPERVISOR_PRESENT) {
		kdetail("[hvboot] a hypervisor is already running: nothing to launch\n");
		return;
	}
	bool intel = vendor_is(&leaf0, "GenuineIntel");
	bool amd = vendor_is(&leaf0, "AuthenticAMD");
	bool vmx = intel && (leaf1.ecx & X86_CPUID1_ECX_VMX);
	bool svm = amd && (cpuid(0x80000001).ecx & X86_CPUID81_ECX_SVM);

	klog("[hvboot] no hypervisor yet: this kernel runs on the bare %s CPU\n",
	     intel ? "Intel" : amd ? "AMD" : "(unknown vendor)");
	if (!vmx && !svm) {
		klog("[hvboot] CPUID reports no hardware virtualization (%s): the hypervisor cannot "
		     "start; continuing without it\n", intel ? "VT-x missing" : amd ? "AMD-V missing" : "unknown CPU");
		return;
	}
	klog("[hvboot] CPUID: %s present; loading %s\n", vmx ? "VT-x (VMX)" : "AMD-V (SVM)",
	     vmx ? "hvix64" : "hvax64");
	outl(HVSIM_PORT_HVBOOT, vmx ? HVSIM_HVBOOT_HVIX64 : HVSIM_HVBOOT_HVAX64);
	/* Still this kernel, one instruction later, but now in a partition. */
	if (cpuid(1).ecx & HV_CPUID_FEATURES_ECX_HYPERVISOR_PRESENT)
		klog("[hvboot] late launch done: this kernel continues as the parent, above the hypervisor\n");
	else
		klog("[hvboot] the platform did not launch the hypervisor; continuing without it\n");
}
