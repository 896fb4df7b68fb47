/* main.c — kmain(): the mini kernel's life from the loader's hand-off to
 * power-off, one step per architectural lesson.
 * Guest ring 0, freestanding. The same kernel runs in the parent and in
 * child partitions (as Windows is the same OS in both). */
#include "vid.h"
#include "programs.h"
#include "storvsc.h"
#include "vmbus-client.h"
#include "vmbus-server.h"
#ifdef HVSIM_GUEST_BADCALLS
#include "badcalls.h"
#endif

struct hvsim_boot_info kernel_boot;
bool kernel_quiet;

noreturn void kmain(const struct hvsim_boot_info *boot);

noreturn void power_off(void)
{
	/* The platform's power-off register (ACPI PM1a control style): the
	 * write exits to the hypervisor, which stops the partition. */
	outw(HVSIM_PORT_POWER, HVSIM_POWER_OFF);
	/* Still here? Then stop the CPU instead. */
	cpu_halt_forever();
}

/* The boot info is the loader's word; check it before believing any of it,
 * then keep a copy in kernel memory. */
static void boot_info_take(const struct hvsim_boot_info *boot)
{
	uint64_t addr = (uint64_t)(uintptr_t)boot;

	if (addr == 0 || addr % 8 != 0 || addr > HVSIM_BOOT_IDENTITY_LIMIT - sizeof(*boot)) {
		klog("boot info pointer 0x%lx (RDI at entry) is not valid: was this image started "
		     "by the hvsim loader? Powering off.\n", addr);
		power_off();
	}
	if (boot->magic != HVSIM_BOOT_MAGIC) {
		klog("boot info at 0x%lx has magic 0x%016lx, expected 0x%016lx (\"HSIMBOOT\"): "
		     "was this image started by the hvsim loader? Powering off.\n",
		     addr, boot->magic, (uint64_t)HVSIM_BOOT_MAGIC);
		power_off();
	}
	if (boot->version != HVSIM_BOOT_VERSION) {
		klog("boot info version %u, this kernel understands version %u: rebuild the guest "
		     "images together with the simulator. Powering off.\n",
		     boot->version, HVSIM_BOOT_VERSION);
		power_off();
	}
	kernel_boot = *boot;
	kernel_boot.cmdline[sizeof(kernel_boot.cmdline) - 1] = '\0';
	kernel_quiet = (kernel_boot.flags & HVSIM_BOOT_FLAG_QUIET) != 0;
}

/* `vid`: the VID driver is armed (vid_init), so the worker process can
 * manage partitions through it. `child`: this kernel runs in a child
 * partition, where it runs "hello" only (every byte a child prints is an
 * intercept round trip through the parent's worker), or with
 * HVSIM_BOOT_FLAG_IO_WORKLOAD "iotest" only (every 16-bit word it moves
 * to or from its disk is one, too). */
static void run_programs(bool vid, bool child)
{
	static struct process programs[] = {
		{ .name = "hello", .entry = hello_main },
		{ .name = "rogue", .entry = rogue_main },
	};
	static struct process vmwp = { .name = "vmwp", .entry = vmwp_main };
	static struct process iotest = { .name = "iotest", .entry = iotest_main };
	size_t count = child ? 1 : ARRAY_SIZE(programs);

	if (child && (kernel_boot.flags & HVSIM_BOOT_FLAG_IO_WORKLOAD)) {
		/* iotest's workload: KiB to write, read back and verify. */
		iotest.arg = kernel_boot.workload ? kernel_boot.workload : IOTEST_DEFAULT_KIB;
		process_run(&iotest);
		return;
	}
	/* hello's workload: iterations of its compute loop. */
	programs[0].arg = kernel_boot.workload ? kernel_boot.workload : HELLO_DEFAULT_ITERATIONS;
	/* The worker passes the workload on to an I/O child (KiB of iotest). */
	vmwp.arg = kernel_boot.workload;
	for (size_t i = 0; i < count; i++)
		process_run(&programs[i]);
	/* The second level of the host side: a ring 3 worker process that
	 * builds and runs a child partition through the VID driver. */
	if (vid && !child)
		process_run(&vmwp);
}

/* The isolation lesson, seen from inside a child: the hypervisor gives a
 * child no CreatePartitions right, so the call must fail with
 * ACCESS_DENIED, even from ring 0 with the hypercall page enabled. */
static void child_check_create_denied(const struct hv_info *hv)
{
	struct hv_input_create_partition *in = (void *)hv_input_page;
	uint16_t status;
	/* hv_status_name() gives "HV_STATUS_ACCESS_DENIED"; the line shows the
	 * part after the prefix. */
	const size_t prefix = sizeof("HV_STATUS_") - 1;

	if (!hv->hypercalls_enabled) {
		klog("child partition: no hypercall page, HvCallCreatePartition not tried: FAILED\n");
		return;
	}
	memset(in, 0, sizeof(*in));
	memset(hv_output_page, 0, sizeof(struct hv_output_create_partition));
	status = hv_result_status(hv_hypercall(hv_control(HVCALL_CREATE_PARTITION, 0, 0, 0),
					       hv_gpa(in), hv_gpa(hv_output_page)));
	if (status == HV_STATUS_ACCESS_DENIED)
		klog("child partition: HvCallCreatePartition -> status 0x%04x %s, as it must be\n",
		     status, hv_status_name(status) + prefix);
	else
		klog("child partition: HvCallCreatePartition -> status 0x%04x %s, expected ACCESS_DENIED: "
		     "FAILED\n", status, hv_status_name(status) + prefix);
}

/* HVSIM_BOOT_FLAG_TRIPLE_FAULT: make every exception undeliverable and
 * raise one. UD2 -> #UD, whose gate lies beyond the IDT limit -> #GP, also
 * undeliverable -> #DF, undeliverable too -> triple fault, which on bare
 * metal resets the machine. Under a hypervisor it is a VM exit: the
 * partition ends, the parent's worker hears of it, and nothing else is
 * touched. */
static noreturn void child_triple_fault(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { .limit = 0, .base = 0 };

	klog("child partition: triple-faulting on purpose now (IDT limit 0, then UD2)\n");
	__asm__ volatile("cli; lidt %0; ud2" : : "m"(idtr) : "memory");
	cpu_halt_forever(); /* not reached */
}

/* HVSIM_BOOT_FLAG_TOUCH_UNMAPPED: read the first byte past our RAM. The
 * hypervisor's SLAT has no mapping there: an EPT violation our parent
 * hears of, never a read that returns something. Our own page tables map
 * only our RAM, so the page is mapped in them first: otherwise the CPU
 * would raise #PF in here before any second-level walk. */
static noreturn void child_touch_unmapped(void)
{
	volatile const uint8_t *past = (volatile const uint8_t *)(uintptr_t)kernel_boot.memory_size;

	if (!paging_map_past_ram(kernel_boot.memory_size))
		panic("cannot map GPA 0x%lx in our page tables\n", (unsigned long)kernel_boot.memory_size);
	klog("child partition: reading GPA 0x%lx, the first byte past our RAM, on purpose now\n",
	     (unsigned long)kernel_boot.memory_size);
	(void)*past;
	klog("child partition: the read past our RAM returned: FAILED\n");
	cpu_halt_forever();
}

/* HVSIM_BOOT_FLAG_STRING_IO: string port I/O to a port our parent put no
 * device on and asked no intercept for. Each element is a VM exit of its
 * own (the qualification says string, and REP where there is one); a
 * write vanishes, a read floats high (0xff), as on a bus with nothing on
 * it. What INS stored is checked. */
#define CHILD_STRING_IO_PORT 0x80u /* the POST-code port: no device here */
static void child_string_io(void)
{
	static const uint8_t out[4] = { 0x11, 0x22, 0x33, 0x44 };
	static const uint16_t word = 0x5566;
	uint8_t in[3] = { 0, 0, 0 };
	const void *src = out;
	void *dst = in;
	uint64_t n = sizeof out;

	__asm__ volatile("cld; rep outsb" : "+S"(src), "+c"(n) : "d"((uint16_t)CHILD_STRING_IO_PORT) : "memory");
	bool outs_ok = n == 0 && src == out + sizeof out;
	n = sizeof in;
	__asm__ volatile("cld; rep insb" : "+D"(dst), "+c"(n) : "d"((uint16_t)CHILD_STRING_IO_PORT) : "memory");
	bool ins_ok = n == 0 && dst == in + sizeof in && in[0] == 0xff && in[1] == 0xff && in[2] == 0xff;
	src = &word;
	__asm__ volatile("cld; outsw" : "+S"(src) : "d"((uint16_t)CHILD_STRING_IO_PORT) : "memory");
	bool outsw_ok = src == &word + 1;
	klog("child partition: string I/O on port 0x%x: REP OUTSB (4 bytes) %s, OUTSW %s\n", CHILD_STRING_IO_PORT,
	     outs_ok ? "ok" : "FAILED", outsw_ok ? "ok" : "FAILED");
	klog("child partition: REP INSB (3 bytes) from port 0x%x read 0x%x 0x%x 0x%x: %s\n", CHILD_STRING_IO_PORT,
	     in[0], in[1], in[2], ins_ok ? "ok" : "FAILED");
}

/* Steps 4 and 5 of a kernel in a child partition. */
static noreturn void child_finish(const struct hv_info *hv)
{
	/* VMBus first: the parent's worker wired our ports before we ran. On
	 * the synthetic storage path the disk is storvsc's. */
	if (vmbus_client_run(hv, (kernel_boot.flags & HVSIM_BOOT_FLAG_IO_SYNTHETIC) != 0) &&
	    (kernel_boot.flags & HVSIM_BOOT_FLAG_VMBUS_HOSTILE))
		vmbus_client_hostile();
	if (kernel_boot.flags & HVSIM_BOOT_FLAG_STORVSC_HOSTILE)
		storvsc_hostile();
	run_programs(false, true);
	child_check_create_denied(hv);
	/* A crash leaves VMBus as it is: the parent drops our channels when
	 * the worker finalizes us. */
	if (kernel_boot.flags & HVSIM_BOOT_FLAG_STRING_IO)
		child_string_io();
	if (kernel_boot.flags & HVSIM_BOOT_FLAG_TRIPLE_FAULT)
		child_triple_fault();
	if (kernel_boot.flags & HVSIM_BOOT_FLAG_TOUCH_UNMAPPED)
		child_touch_unmapped();
	/* A clean end takes VMBus down first (facts §5.5 tear-down): the
	 * parent forgets our pages before we go. */
	vmbus_client_unload();
	power_off();
}

noreturn void kmain(const struct hvsim_boot_info *boot)
{
	struct hv_info hv;
	bool vid = false;
	bool child, hypercalls;

	/* 1. Console first, so every later problem can be reported. */
	console_init();
	boot_info_take(boot);
	klog("hvsim mini kernel: partition %u, VP %u, %lu MiB of memory%s\n",
	     kernel_boot.partition_id, kernel_boot.vp_index, kernel_boot.memory_size >> 20,
	     kernel_quiet ? " (quiet)" : "");
	kdetail("boot info at %p: version %u, flags 0x%x, image 0x%lx-0x%lx, workload %lu, "
		"hypercall loops %lu, cmdline \"%s\"\n",
		(const void *)boot, kernel_boot.version, kernel_boot.flags, kernel_boot.image_start,
		kernel_boot.image_end, kernel_boot.workload, kernel_boot.hypercall_loops,
		kernel_boot.cmdline);

	/* Started by a worker process in a child partition: the parent
	 * launched the hypervisor long ago. */
	child = (kernel_boot.flags & HVSIM_BOOT_FLAG_CHILD) != 0;

	/* 2. Make the CPU ours: descriptor tables, page tables, system calls. */
	cpu_init();
	idt_init();
	paging_init(kernel_boot.memory_size);
	syscall_init();

	/* 3. Booted without a hypervisor? Then start one underneath us (late
	 *    launch). Who is underneath us now? If it is Hyper-V, talk to it. */
	if ((kernel_boot.flags & HVSIM_BOOT_FLAG_LATE_LAUNCH) && !child)
		hvboot();
	hv_detect(&hv);
	hypercalls = hv.hyperv && hv_enable_hypercalls(&hv);
	/* A child keeps quiet: no tour, no benchmark, no VID, no idling. */
	if (child)
		child_finish(&hv);
	if (hypercalls) {
		hv_hypercall_demo();
		if (kernel_boot.hypercall_loops > 0)
			hv_hypercall_benchmark(kernel_boot.hypercall_loops);
		/* The parent of a late launch, with the right to create
		 * partitions: arm the VID driver for the worker process. (Only
		 * after a late launch for now, so the other scenarios run
		 * exactly the programs they always did.) */
		if (kernel_boot.flags & HVSIM_BOOT_FLAG_LATE_LAUNCH)
			vid = vid_init(&hv);
		/* The VMBus server answers the children the worker starts. */
		if (vid)
			vmbus_server_init(&hv);
	} else {
		klog("no Hyper-V hypercall interface: skipping hypercalls\n");
	}

#ifdef HVSIM_GUEST_BADCALLS
	/* Scenario `badcalls` (badcalls.elf only; hello.elf is built without
	 * this): instead of the ring 3 programs, the root's ring 0 self-test
	 * of bad partition-management hypercalls. It needs the late launch
	 * (the root's rights); it powers off itself and prints FAILED if
	 * anything (including the set-up) went wrong. */
	if (kernel_boot.flags & HVSIM_BOOT_FLAG_BAD_INPUT) {
		if (!(kernel_boot.flags & HVSIM_BOOT_FLAG_LATE_LAUNCH)) {
			klog("[badcalls] the self-test needs a late launch (the root partition): FAILED\n");
			power_off();
		}
		badcalls_run(&hv);
	}
#endif

	/* 4. Ring 3. */
	run_programs(vid, false);

	/* 5. Nothing left to do: idle until the timer, then power off. */
	timer_idle(&hv);
	klog("shutting down\n");
	power_off();
}
