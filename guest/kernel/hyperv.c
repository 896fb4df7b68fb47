/* hyperv.c — finding the hypervisor, identifying ourselves to it, enabling
 * the hypercall page, and a tour of hypercalls (simple, rep, fast, failing).
 * Guest ring 0, freestanding. Everything here is an "enlightenment": code a
 * guest runs only because it knows it is virtualized. */
#include "hyperv.h"

/* The hypercall page. Page-aligned and a full page, as the HYPERCALL MSR
 * takes a page frame number. It lives in its own section outside .bss
 * (kernel.ld) so that not even the start-up clearing of .bss writes to it:
 * once enabled, the hypervisor overlays this GPA with its own page, and a
 * guest write to an overlay page raises #GP. The kernel only reads and
 * executes it. */
char hv_hypercall_page[HV_PAGE_SIZE]
	__attribute__((section(".hypercall_page"), aligned(HV_PAGE_SIZE), used));

/* Hypercall parameter blocks: the hypervisor reads input and writes output
 * by guest-physical address. A block must be 8-byte aligned and must not
 * cross a page boundary; one page-aligned page each satisfies both. Shared
 * with the VID driver (vid.c); the kernel runs one thing at a time (system
 * calls run with IF clear), so the two never use them at once. */
uint8_t hv_input_page[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
uint8_t hv_output_page[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));

/* HvCallNotifyLongSpinWait's parameter: how often we spun on a lock. */
#define HV_DEMO_SPIN_COUNT 1u
/* A call code the TLFS leaves unassigned. */
#define HV_DEMO_UNUSED_CALL_CODE 0x7FFFu
/* Offset that breaks the 8-byte alignment rule for parameter blocks. */
#define HV_DEMO_MISALIGNMENT 4u

/* ---- Detection -------------------------------------------------------------- */

struct bit_name {
	uint32_t bit;
	const char *name;
};

static const struct bit_name msr_access_names[] = {
	{ HV_MSR_ACCESS_VP_RUNTIME, "VP_RUNTIME" },
	{ HV_MSR_ACCESS_TIME_REF_COUNT, "TIME_REF_COUNT" },
	{ HV_MSR_ACCESS_SYNIC, "SynIC" },
	{ HV_MSR_ACCESS_SYNTIMER, "STIMER" },
	{ HV_MSR_ACCESS_APIC, "APIC(EOI/ICR/TPR)" },
	{ HV_MSR_ACCESS_HYPERCALL, "HYPERCALL" },
	{ HV_MSR_ACCESS_VP_INDEX, "VP_INDEX" },
};

static const struct bit_name privilege_names[] = {
	{ HV_PRIV_CREATE_PARTITIONS, "CreatePartitions" },
	{ HV_PRIV_ACCESS_PARTITION_ID, "AccessPartitionId" },
	{ HV_PRIV_ACCESS_MEMORY_POOL, "AccessMemoryPool" },
	{ HV_PRIV_POST_MESSAGES, "PostMessages" },
	{ HV_PRIV_SIGNAL_EVENTS, "SignalEvents" },
	{ HV_PRIV_CREATE_PORT, "CreatePort" },
	{ HV_PRIV_CONNECT_PORT, "ConnectPort" },
	{ HV_PRIV_ACCESS_VP_REGISTERS, "AccessVpRegisters" },
};

static void print_bit_names(const char *title, uint32_t mask, const struct bit_name *names, size_t n)
{
	kdetail("  %s:", title);
	if (!kernel_quiet) {
		for (size_t i = 0; i < n; i++)
			if (mask & names[i].bit)
				kprintf(" %s", names[i].name);
		kprintf("\n");
	}
}

/* CPUID returns the vendor string in three registers, four ASCII bytes
 * each, least significant byte first: EBX "Micr", ECX "osof", EDX "t Hv". */
static void put_reg_chars(char *dst, uint32_t reg)
{
	for (unsigned i = 0; i < 4; i++)
		dst[i] = (char)(reg >> (8 * i));
}

void hv_detect(struct hv_info *hv)
{
	struct cpuid_regs r;
	char iface[5];

	memset(hv, 0, sizeof(*hv));

	/* Step 1: CPUID leaf 1, ECX bit 31. Real CPUs return 0 there; a
	 * hypervisor that intercepts CPUID (VT-x always exits on CPUID) sets it
	 * to say "you are running in a virtual machine". */
	r = cpuid(CPUID_LEAF_FEATURES);
	hv->present = (r.ecx & HV_CPUID_FEATURES_ECX_HYPERVISOR_PRESENT) != 0;
	if (!hv->present) {
		klog("CPUID.1:ECX[31] = 0: no hypervisor, running on bare hardware\n");
		return;
	}

	/* Step 2: leaves 0x40000000 and up are reserved for the hypervisor
	 * (the CPU itself never defines them). EAX = the highest such leaf. */
	r = cpuid(HV_CPUID_VENDOR_AND_MAX_FUNCTIONS);
	hv->max_leaf = r.eax;
	put_reg_chars(&hv->vendor[0], r.ebx);
	put_reg_chars(&hv->vendor[4], r.ecx);
	put_reg_chars(&hv->vendor[8], r.edx);
	hv->vendor[12] = '\0';

	/* Step 3: the interface signature, not the vendor string, decides what
	 * we may assume. "Hv#1" promises the TLFS MSRs (GUEST_OS_ID, HYPERCALL,
	 * VP_INDEX) exist; other hypervisors can offer it too. */
	r = cpuid(HV_CPUID_INTERFACE);
	hv->interface = r.eax;
	put_reg_chars(iface, r.eax);
	iface[4] = '\0';
	for (unsigned i = 0; i < 4; i++)
		if (iface[i] < ' ' || iface[i] > '~')
			iface[i] = '?';
	hv->hyperv = hv->interface == HV_CPUID_INTERFACE_HV1 && hv->max_leaf >= HV_CPUID_FEATURES;

	kdetail("CPUID.1:ECX[31] = 1: running under a hypervisor\n");
	kdetail("CPUID 0x%08x: vendor \"%s\", max leaf 0x%08x\n",
		HV_CPUID_VENDOR_AND_MAX_FUNCTIONS, hv->vendor, hv->max_leaf);
	kdetail("CPUID 0x%08x: interface \"%s\"%s\n", HV_CPUID_INTERFACE, iface,
		hv->hyperv ? " (Hyper-V TLFS)" : ", not Hv#1: no Hyper-V interface");
	if (!hv->hyperv)
		return;

	/* Step 4: what this partition is allowed to do. The hypervisor gives
	 * the parent (root) partition more rights than a child. */
	r = cpuid(HV_CPUID_FEATURES);
	hv->msr_access = r.eax;
	hv->privileges = r.ebx;
	hv->features_ecx = r.ecx;
	hv->features_edx = r.edx;
	kdetail("CPUID 0x%08x: MSR access 0x%08x, hypercall rights 0x%08x, features 0x%08x/0x%08x\n",
		HV_CPUID_FEATURES, r.eax, r.ebx, r.ecx, r.edx);
	print_bit_names("synthetic MSRs", hv->msr_access, msr_access_names, ARRAY_SIZE(msr_access_names));
	print_bit_names("hypercall rights", hv->privileges, privilege_names, ARRAY_SIZE(privilege_names));
	kdetail("  direct-mode synthetic timers: %s\n",
		(hv->features_edx & HV_FEATURE_DIRECT_SYNTHETIC_TIMERS) ? "yes" : "no");
}

/* ---- Identification and the hypercall page ---------------------------------- */

static uint64_t guest_os_id(void)
{
	/* Open-source layout: bit 63 set, then OS type, OS id, version and
	 * build (values and their meaning in hvsim-platform.h). The hypervisor
	 * refuses to enable the hypercall page while this is 0: it wants to
	 * know who it talks to before it takes calls. */
	return HV_GUEST_OS_ID_OPEN_SOURCE |
	       (((uint64_t)HVSIM_GUEST_OS_TYPE << HV_GUEST_OS_ID_OS_TYPE_SHIFT) & HV_GUEST_OS_ID_OS_TYPE_MASK) |
	       (((uint64_t)HVSIM_GUEST_OS_ID << HV_GUEST_OS_ID_OS_ID_SHIFT) & HV_GUEST_OS_ID_OS_ID_MASK) |
	       (((uint64_t)HVSIM_GUEST_OS_VERSION << HV_GUEST_OS_ID_VERSION_SHIFT) & HV_GUEST_OS_ID_VERSION_MASK) |
	       ((uint64_t)HVSIM_GUEST_OS_BUILD & HV_GUEST_OS_ID_BUILD_MASK);
}

bool hv_enable_hypercalls(struct hv_info *hv)
{
	const volatile uint8_t *page = (const volatile uint8_t *)hv_hypercall_page;
	uint64_t gpa = hv_gpa(hv_hypercall_page);
	uint64_t id = guest_os_id();
	uint64_t msr;

	/* The synthetic MSRs exist only if CPUID grants them; touching one that
	 * is not granted raises #GP. */
	if (!(hv->msr_access & HV_MSR_ACCESS_HYPERCALL)) {
		klog("no access to the hypercall MSRs (CPUID 0x%08x EAX bit 5): no hypercalls\n",
		     HV_CPUID_FEATURES);
		return false;
	}

	wrmsr(HV_X64_MSR_GUEST_OS_ID, id);
	kdetail("GUEST_OS_ID <- 0x%016lx (open source, OS type 0x%x, version 0x%06x, build %u)\n",
		id, HVSIM_GUEST_OS_TYPE, HVSIM_GUEST_OS_VERSION, HVSIM_GUEST_OS_BUILD);

	/* HYPERCALL MSR: bit 0 enable, 63:12 the page frame number (GPA >> 12)
	 * of the page to turn into the hypercall page; bits 11:2 are "reserved,
	 * preserve", so read-modify-write. The WRMSR exits to the hypervisor,
	 * which fills the page with the call instruction for this CPU. */
	msr = rdmsr(HV_X64_MSR_HYPERCALL);
	msr = (msr & HV_HYPERCALL_MSR_RSVDP_MASK) | (gpa & ~(uint64_t)(HV_PAGE_SIZE - 1)) |
	      HV_HYPERCALL_MSR_ENABLE;
	wrmsr(HV_X64_MSR_HYPERCALL, msr);

	/* Trust, but verify: a hypervisor that refuses (e.g. because
	 * GUEST_OS_ID is 0) leaves the enable bit clear. */
	msr = rdmsr(HV_X64_MSR_HYPERCALL);
	hv->hypercalls_enabled = (msr & HV_HYPERCALL_MSR_ENABLE) &&
				 (msr >> HV_HYPERCALL_MSR_GPFN_SHIFT) == (gpa >> HV_PAGE_SHIFT);
	if (!hv->hypercalls_enabled) {
		klog("HYPERCALL MSR reads back 0x%lx: the hypercall page did not enable, no hypercalls\n", msr);
		return false;
	}
	kdetail("HYPERCALL MSR reads back 0x%lx: enabled\n", msr);
	/* Look, don't touch: the first instructions the hypervisor put there.
	 * 0f 01 c1 = VMCALL (Intel VT-x), 0f 01 d9 = VMMCALL (AMD-V), c3 = RET. */
	kdetail("hypercall page at 0x%lx: %02x %02x %02x %02x\n",
		gpa, page[0], page[1], page[2], page[3]);
	return true;
}

/* ---- Status names ------------------------------------------------------------- */

#define HV_STATUS_ENTRY(s) { s, #s }
static const struct {
	uint16_t status;
	const char *name;
} hv_status_names[] = {
	HV_STATUS_ENTRY(HV_STATUS_SUCCESS),
	HV_STATUS_ENTRY(HV_STATUS_INVALID_HYPERCALL_CODE),
	HV_STATUS_ENTRY(HV_STATUS_INVALID_HYPERCALL_INPUT),
	HV_STATUS_ENTRY(HV_STATUS_INVALID_ALIGNMENT),
	HV_STATUS_ENTRY(HV_STATUS_INVALID_PARAMETER),
	HV_STATUS_ENTRY(HV_STATUS_ACCESS_DENIED),
	HV_STATUS_ENTRY(HV_STATUS_INVALID_PARTITION_STATE),
	HV_STATUS_ENTRY(HV_STATUS_OPERATION_DENIED),
	HV_STATUS_ENTRY(HV_STATUS_UNKNOWN_PROPERTY),
	HV_STATUS_ENTRY(HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE),
	HV_STATUS_ENTRY(HV_STATUS_INSUFFICIENT_MEMORY),
	HV_STATUS_ENTRY(HV_STATUS_PARTITION_TOO_DEEP),
	HV_STATUS_ENTRY(HV_STATUS_INVALID_PARTITION_ID),
	HV_STATUS_ENTRY(HV_STATUS_INVALID_VP_INDEX),
	HV_STATUS_ENTRY(HV_STATUS_NOT_FOUND),
	HV_STATUS_ENTRY(HV_STATUS_INVALID_PORT_ID),
	HV_STATUS_ENTRY(HV_STATUS_INVALID_CONNECTION_ID),
	HV_STATUS_ENTRY(HV_STATUS_INSUFFICIENT_BUFFERS),
	HV_STATUS_ENTRY(HV_STATUS_NOT_ACKNOWLEDGED),
	HV_STATUS_ENTRY(HV_STATUS_INVALID_VP_STATE),
	HV_STATUS_ENTRY(HV_STATUS_ACKNOWLEDGED),
	HV_STATUS_ENTRY(HV_STATUS_INVALID_SAVE_RESTORE_STATE),
	HV_STATUS_ENTRY(HV_STATUS_INVALID_SYNIC_STATE),
	HV_STATUS_ENTRY(HV_STATUS_OBJECT_IN_USE),
	HV_STATUS_ENTRY(HV_STATUS_NO_DATA),
	HV_STATUS_ENTRY(HV_STATUS_INACTIVE),
	HV_STATUS_ENTRY(HV_STATUS_NO_RESOURCES),
	HV_STATUS_ENTRY(HV_STATUS_FEATURE_UNAVAILABLE),
	HV_STATUS_ENTRY(HV_STATUS_INVALID_REGISTER_VALUE),
};

const char *hv_status_name(uint16_t status)
{
	for (size_t i = 0; i < ARRAY_SIZE(hv_status_names); i++)
		if (hv_status_names[i].status == status)
			return hv_status_names[i].name;
	return "HV_STATUS_(unknown)";
}

/* One line per call: "<what>: status 0x0002 HV_STATUS_INVALID_HYPERCALL_CODE".
 * A status other than the expected one is printed even in quiet mode. */
static void report_status(const char *what, uint64_t result, uint16_t expected)
{
	uint16_t status = hv_result_status(result);

	if (status == expected)
		kdetail("%s: status 0x%04x %s (as expected)\n", what, status, hv_status_name(status));
	else
		klog("%s: status 0x%04x %s, expected %s\n", what, status, hv_status_name(status),
		     hv_status_name(expected));
}

/* ---- The tour ----------------------------------------------------------------- */

static struct hv_input_get_vp_registers *prepare_get_vp_registers(const uint32_t *names,
								   unsigned count)
{
	struct hv_input_get_vp_registers *in = (void *)hv_input_page;

	/* Reserved fields must be zero: clear the whole block first. */
	memset(hv_input_page, 0, sizeof(hv_input_page));
	in->partition_id = HV_PARTITION_ID_SELF;
	in->vp_index = HV_VP_INDEX_SELF;
	in->target_vtl = 0;
	for (unsigned i = 0; i < count; i++)
		in->names[i] = names[i];
	return in;
}

void hv_hypercall_demo(void)
{
	static const uint32_t reg_names[] = {
		HV_X64_REGISTER_RIP, HV_X64_REGISTER_RSP, HV_X64_REGISTER_CR3,
	};
	const struct hv_output_get_partition_id *pid = (const void *)hv_output_page;
	const struct hv_register_value *values = (const void *)hv_output_page;
	struct hv_input_get_vp_registers *in;
	uint64_t result;

	/* 1. A simple memory call with an output block only. */
	memset(hv_output_page, 0, sizeof(hv_output_page));
	result = hv_hypercall(hv_control(HVCALL_GET_PARTITION_ID, 0, 0, 0), 0, hv_gpa(hv_output_page));
	report_status("HvCallGetPartitionId", result, HV_STATUS_SUCCESS);
	if (hv_result_status(result) == HV_STATUS_SUCCESS)
		kdetail("  partition id %lu (0x%lx)\n", pid->partition_id, pid->partition_id);

	/* 2. A rep call: the input block is a header plus one element per rep
	 * (a register name), the output one element per rep (a 16-byte value).
	 * The result says how many reps completed. */
	in = prepare_get_vp_registers(reg_names, ARRAY_SIZE(reg_names));
	memset(hv_output_page, 0, sizeof(hv_output_page));
	result = hv_hypercall(hv_control(HVCALL_GET_VP_REGISTERS, 0, ARRAY_SIZE(reg_names), 0),
			      hv_gpa(in), hv_gpa(hv_output_page));
	report_status("HvCallGetVpRegisters(self, RIP RSP CR3)", result, HV_STATUS_SUCCESS);
	kdetail("  %u of %u reps completed: RIP 0x%lx, RSP 0x%lx, CR3 0x%lx\n",
		hv_result_reps(result), (unsigned)ARRAY_SIZE(reg_names),
		values[0].low, values[1].low, values[2].low);

	/* 3. A fast call: parameters in registers (RDX, R8), no memory blocks,
	 * so the hypervisor does not have to translate and map any GPA. */
	result = hv_hypercall(hv_control(HVCALL_NOTIFY_LONG_SPIN_WAIT, HV_HYPERCALL_FAST, 0, 0),
			      HV_DEMO_SPIN_COUNT, 0);
	report_status("HvCallNotifyLongSpinWait (fast)", result, HV_STATUS_SUCCESS);

	/* 4. Calls that must fail. The hypervisor validates everything a guest
	 * hands it; a bad call costs a VM exit and returns an error, it never
	 * harms the hypervisor. */
	result = hv_hypercall(hv_control(HV_DEMO_UNUSED_CALL_CODE, 0, 0, 0), 0, 0);
	report_status("unused call code 0x7fff", result, HV_STATUS_INVALID_HYPERCALL_CODE);

	in = prepare_get_vp_registers(reg_names, 1);
	result = hv_hypercall(hv_control(HVCALL_GET_VP_REGISTERS, 0, 1, 0),
			      hv_gpa(in) + HV_DEMO_MISALIGNMENT, hv_gpa(hv_output_page));
	report_status("HvCallGetVpRegisters, input GPA not 8-byte aligned", result,
		      HV_STATUS_INVALID_ALIGNMENT);
}

void hv_hypercall_benchmark(uint64_t loops)
{
	const uint64_t control = hv_control(HVCALL_NOTIFY_LONG_SPIN_WAIT, HV_HYPERCALL_FAST, 0, 0);
	uint64_t result = 0;

	/* The benchmark workload: nothing in the loop but the hypercall, so the
	 * time per iteration is the cost of one guest -> hypervisor -> guest
	 * round trip (VM exit, dispatch, VM entry). */
	for (uint64_t i = 0; i < loops; i++)
		result = hv_hypercall(control, HV_DEMO_SPIN_COUNT, 0);

	klog("%lu fast hypercalls (HvCallNotifyLongSpinWait) done, last status 0x%04x %s\n",
	     loops, hv_result_status(result), hv_status_name(hv_result_status(result)));
}
