/* kvm-selftest.c — the native harness's own proof that a /dev/kvm works.
 * Runs on the host of the KVM under test: inside the nested-KVM harness
 * (tests/native/run-nested.sh) or directly on a machine with a real KVM.
 * Independent of hvsim's KVM backend on purpose: it talks to the kernel
 * API directly, so a failure here blames the KVM, not hvsim.
 *
 * A VM with one memory slot and one vCPU runs a few real-mode instructions:
 *
 *   1000: ba f8 03      mov  $0x3f8, %dx
 *   1003: b0 4b         mov  $'K', %al
 *   1005: ee            out  %al, %dx        exit 1: OUT 0x3f8 <- 0x4b
 *   1006: ec            in   %dx, %al        exit 2: IN 0x3f8, we answer 0x5a
 *   1007: 04 01         add  $1, %al
 *   1009: ee            out  %al, %dx        exit 3: OUT 0x3f8 <- 0x5b (proves exit 2's answer arrived)
 *   100a: a2 00 00      mov  %al, 0x0000     with DS = 0x1000: GPA 0x10000, outside the slot
 *                                            exit 4: MMIO write of 1 byte 0x5b (KVM's EPT/NPT violation path)
 *   100d: f4            hlt                  exit 5: HLT, RIP 0x100e
 *
 * and each exit is checked against that list. Exits 0 when all match,
 * 77 (skip) when /dev/kvm does not exist, 1 otherwise. The results are
 * GLib test cases, so the output names them by path. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define SELFTEST_KVM_API_VERSION 12   /* the only stable version since Linux 2.6.22 */
#define SELFTEST_SLOT_BYTES 0x4000u   /* guest RAM: GPA 0 - 0x3fff */
#define SELFTEST_CODE_GPA 0x1000u
#define SELFTEST_UART_PORT 0x3f8u
#define SELFTEST_MMIO_GPA 0x10000u   /* DS 0x1000 : offset 0, outside the slot */
#define SELFTEST_IN_VALUE 0x5au
#define SELFTEST_MAX_EXITS 32         /* a runaway guest is stopped here */

static const uint8_t selftest_code[] = {
	0xba, 0xf8, 0x03,  /* mov $0x3f8, %dx */
	0xb0, 0x4b,        /* mov $'K', %al */
	0xee,              /* out %al, %dx */
	0xec,              /* in %dx, %al */
	0x04, 0x01,        /* add $1, %al */
	0xee,              /* out %al, %dx */
	0xa2, 0x00, 0x00,  /* mov %al, ds:0x0000 */
	0xf4,              /* hlt */
};

typedef struct {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *ram;
} SelftestVm;

static void selftest_vm_close(SelftestVm *v)
{
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->ram)
		munmap(v->ram, SELFTEST_SLOT_BYTES);
	if (v->vcpu >= 0)
		close(v->vcpu);
	if (v->vm >= 0)
		close(v->vm);
	if (v->kvm >= 0)
		close(v->kvm);
}

/* Opens /dev/kvm and builds the VM; asserts (fails the test) on any error. */
static void selftest_vm_open(SelftestVm *v)
{
	*v = (SelftestVm){ .kvm = -1, .vm = -1, .vcpu = -1 };
	v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm < 0)
		g_error("open /dev/kvm: %s", g_strerror(errno));
	g_assert_cmpint(ioctl(v->kvm, KVM_GET_API_VERSION, 0), ==, SELFTEST_KVM_API_VERSION);
	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		g_error("KVM_CREATE_VM: %s", g_strerror(errno));

	v->ram = mmap(NULL, SELFTEST_SLOT_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	g_assert_true(v->ram != MAP_FAILED);
	memcpy(v->ram + SELFTEST_CODE_GPA, selftest_code, sizeof selftest_code);
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = SELFTEST_SLOT_BYTES,
		.userspace_addr = (uint64_t)(uintptr_t)v->ram,
	};
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		g_error("KVM_SET_USER_MEMORY_REGION: %s", g_strerror(errno));

	v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
	if (v->vcpu < 0)
		g_error("KVM_CREATE_VCPU: %s", g_strerror(errno));
	int size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	g_assert_cmpint(size, >=, (int)sizeof(struct kvm_run));
	v->run_size = (size_t)size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
	g_assert_true(v->run != MAP_FAILED);

	/* Real mode at 0000:1000 with DS = 0x1000 (base 0x10000). */
	struct kvm_sregs sregs;
	g_assert_cmpint(ioctl(v->vcpu, KVM_GET_SREGS, &sregs), ==, 0);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.ds.base = SELFTEST_MMIO_GPA;
	sregs.ds.selector = SELFTEST_MMIO_GPA >> 4;
	g_assert_cmpint(ioctl(v->vcpu, KVM_SET_SREGS, &sregs), ==, 0);
	struct kvm_regs regs = { .rip = SELFTEST_CODE_GPA, .rflags = 0x2 };
	g_assert_cmpint(ioctl(v->vcpu, KVM_SET_REGS, &regs), ==, 0);
}

/* Runs to the next exit that is not an interruption of KVM_RUN itself. */
static uint32_t selftest_run(SelftestVm *v)
{
	for (int tries = 0; tries < SELFTEST_MAX_EXITS; tries++) {
		if (ioctl(v->vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			g_error("KVM_RUN: %s", g_strerror(errno));
		}
		if (v->run->exit_reason != KVM_EXIT_INTR)
			return v->run->exit_reason;
	}
	g_error("KVM_RUN: no exit after %d tries", SELFTEST_MAX_EXITS);
}

static uint8_t *selftest_io_data(SelftestVm *v)
{
	return (uint8_t *)v->run + v->run->io.data_offset;
}

static void selftest_expect_io(SelftestVm *v, uint8_t direction, uint8_t out_value)
{
	g_assert_cmpuint(selftest_run(v), ==, KVM_EXIT_IO);
	g_assert_cmpuint(v->run->io.direction, ==, direction);
	g_assert_cmpuint(v->run->io.port, ==, SELFTEST_UART_PORT);
	g_assert_cmpuint(v->run->io.size, ==, 1);
	g_assert_cmpuint(v->run->io.count, ==, 1);
	g_assert_cmpuint(v->run->io.data_offset, <, v->run_size);
	if (direction == KVM_EXIT_IO_OUT)
		g_assert_cmpuint(*selftest_io_data(v), ==, out_value);
	else
		*selftest_io_data(v) = SELFTEST_IN_VALUE;
}

static void test_real_mode_exits(void)
{
	if (access("/dev/kvm", F_OK) != 0) {
		g_test_skip("no /dev/kvm on this machine");
		return;
	}
	SelftestVm v;
	selftest_vm_open(&v);

	selftest_expect_io(&v, KVM_EXIT_IO_OUT, 'K');
	selftest_expect_io(&v, KVM_EXIT_IO_IN, 0);
	selftest_expect_io(&v, KVM_EXIT_IO_OUT, SELFTEST_IN_VALUE + 1);

	g_assert_cmpuint(selftest_run(&v), ==, KVM_EXIT_MMIO);
	g_assert_cmphex(v.run->mmio.phys_addr, ==, SELFTEST_MMIO_GPA);
	g_assert_cmpuint(v.run->mmio.is_write, ==, 1);
	g_assert_cmpuint(v.run->mmio.len, ==, 1);
	g_assert_cmphex(v.run->mmio.data[0], ==, SELFTEST_IN_VALUE + 1);

	g_assert_cmpuint(selftest_run(&v), ==, KVM_EXIT_HLT);
	struct kvm_regs regs;
	g_assert_cmpint(ioctl(v.vcpu, KVM_GET_REGS, &regs), ==, 0);
	g_assert_cmphex(regs.rip, ==, SELFTEST_CODE_GPA + sizeof selftest_code);
	g_assert_cmphex(regs.rax & 0xff, ==, SELFTEST_IN_VALUE + 1);
	selftest_vm_close(&v);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/native/kvm/real-mode-exits", test_real_mode_exits);
	int status = g_test_run();
	/* Tell a plain runner apart "skipped" from "passed". */
	if (status == 0 && access("/dev/kvm", F_OK) != 0)
		return 77;
	return status;
}
