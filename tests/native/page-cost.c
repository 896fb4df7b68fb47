/* page-cost.c — what one page of memory costs a KVM round trip, on the
 * host of the KVM under test (inside the nested-KVM harness:
 * `tests/native/run-nested.sh --bin build/tests/native/page-cost BUILD -- page-cost`).
 * Independent of hvsim: it talks to /dev/kvm directly.
 *
 * A real-mode guest loops on `out %al, (%dx)`; between two KVM_RUNs the
 * program reads one byte on each of K distinct pages of a buffer, for K in
 * 0, 8, 32, 128 and 512 (or the counts given as arguments, 0 to 1024, the
 * first of them the baseline), in interleaved batches (every K runs in
 * every round, so a change in the machine's speed falls on all of them).
 * It prints the time per exit for each K and the cost per page against
 * the first K.
 *
 * Why: under QEMU's TCG (the harness's emulated CPU) every world switch of
 * the nested KVM flushes the emulated TLB, so each page the user-space side
 * of a round trip touches (code or data) is a page walk again, every exit.
 * That is what makes the number of pages hvsim's exit path touches, not
 * its instruction count, the cost to cut (docs/native.md, "Where an
 * exit's time goes"). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#define GUEST_MEM 0x10000u
#define GUEST_CODE 0x1000u
#define PAGE 4096u
#define BUFFER_PAGES 3072u          /* the pages read are 3 apart: no two neighbours */
#define BATCH 200u                  /* exits per batch */
#define ROUNDS 60u                  /* batches per K */
#define WARMUP 5u                   /* exits before each batch, not timed */

#define MAX_PAGES 1024u             /* at most BUFFER_PAGES / 3 + 1: the pages read are 3 apart */
#define MAX_COUNTS 8u
static const unsigned default_counts[] = { 0, 8, 32, 128, 512 };

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int fail(const char *what)
{
	fprintf(stderr, "page-cost: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	unsigned page_counts[MAX_COUNTS];
	unsigned n_counts = 0;
	if (argc > 1 + (int)MAX_COUNTS) {
		fprintf(stderr, "page-cost: at most %u page counts\n", MAX_COUNTS);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		char *end;
		errno = 0;
		unsigned long k = strtoul(argv[i], &end, 10);
		if (errno || end == argv[i] || *end || argv[i][0] == '-' || k > MAX_PAGES) {
			fprintf(stderr, "page-cost: '%s' is not a page count from 0 to %u\n", argv[i], MAX_PAGES);
			return 2;
		}
		page_counts[n_counts++] = (unsigned)k;
	}
	if (!n_counts) {
		memcpy(page_counts, default_counts, sizeof default_counts);
		n_counts = sizeof default_counts / sizeof default_counts[0];
	}

	/*   mov $0x3ff, %dx ; 1: out %al, (%dx) ; jmp 1b   (real mode, CS base 0) */
	static const uint8_t code[] = { 0xBA, 0xFF, 0x03, 0xEE, 0xEB, 0xFD };
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "page-cost: no /dev/kvm: %s\n", strerror(errno));
		return 77;
	}
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	uint8_t *mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("guest memory");
	memcpy(mem + GUEST_CODE, code, sizeof code);
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = GUEST_MEM, .userspace_addr = (uint64_t)(uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) != 0)
		return fail("KVM_SET_USER_MEMORY_REGION");
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || run_size <= 0)
		return fail("KVM_CREATE_VCPU");
	struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("the run page");
	struct kvm_sregs sregs;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) != 0)
		return fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	struct kvm_regs regs = { .rip = GUEST_CODE, .rflags = 2 };
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) != 0 || ioctl(vcpu, KVM_SET_REGS, &regs) != 0)
		return fail("the boot state");

	volatile uint8_t *buf = malloc((size_t)BUFFER_PAGES * PAGE);
	if (!buf)
		return fail("the buffer");
	memset((void *)buf, 1, (size_t)BUFFER_PAGES * PAGE);
	uint64_t total_ns[MAX_COUNTS] = { 0 };
	unsigned sum = 0;
	for (unsigned round = 0; round < ROUNDS; round++) {
		for (unsigned i = 0; i < n_counts; i++) {
			unsigned k = (i + round) % n_counts;   /* a different order each round */
			for (unsigned w = 0; w < WARMUP; w++)
				if (ioctl(vcpu, KVM_RUN, 0) != 0)
					return fail("KVM_RUN");
			uint64_t t0 = now_ns();
			for (unsigned e = 0; e < BATCH; e++) {
				if (ioctl(vcpu, KVM_RUN, 0) != 0)
					return fail("KVM_RUN");
				if (run->exit_reason != KVM_EXIT_IO) {
					fprintf(stderr, "page-cost: unexpected exit reason %u\n", run->exit_reason);
					return 1;
				}
				for (unsigned p = 0; p < page_counts[k]; p++)
					sum += buf[(size_t)p * 3 * PAGE + (p % 64) * 64];
			}
			total_ns[k] += now_ns() - t0;
		}
	}
	double base = (double)total_ns[0] / (BATCH * ROUNDS);
	printf("page-cost: %u exits per K, in %u interleaved batches of %u (checksum %u)\n", BATCH * ROUNDS, ROUNDS, BATCH,
	       sum & 1);
	for (unsigned k = 0; k < n_counts; k++) {
		double per_exit = (double)total_ns[k] / (BATCH * ROUNDS);
		printf("pages %3u: %8.0f ns per exit", page_counts[k], per_exit);
		if (k && page_counts[k] != page_counts[0])
			printf(", %6.0f ns per page over %u pages", (per_exit - base) / ((double)page_counts[k] - page_counts[0]),
			       page_counts[0]);
		printf("\n");
	}
	return 0;
}
