/* backend-kvm.c — the native CPU backend: guest code runs on the host's
 * VT-x / AMD-V through Linux KVM. One KVM VM per partition, one vCPU per
 * virtual processor. Sim thread (KVM_RUN blocks the thread that calls it).
 *
 * How the model's machine maps onto KVM (docs/native.md says what differs):
 *  - Memory: a partition's RAM is its existing host mapping, given to KVM
 *    as a memory slot (no copy). A child partition's GPA space is its SLAT
 *    map over its parent's RAM: one slot per run of consecutive child pages
 *    backed by consecutive parent pages, pointing into the parent's host
 *    mapping (read-only runs with KVM_MEM_READONLY). The hypercall page is
 *    a read-only slot of its own. An access nothing backs comes back as
 *    KVM_EXIT_MMIO: an EPT violation for the model.
 *  - Exits: KVM's user-space exits are translated into the vmx-model exit
 *    records (kvm-exit.c) and handed to the same dispatcher the emulator
 *    calls. What KVM handles in the kernel (CPUID, exceptions, ring
 *    transitions, RDTSC, architectural MSRs) never reaches the model.
 *  - CPUID is set once per vCPU with KVM_SET_CPUID2 (Linux >= 5.16 refuses
 *    a different table after the first KVM_RUN). The late launch changes
 *    what CPUID says, so at that moment the VP moves to a fresh vCPU with
 *    the hypervisor's table and a copy of the running state — the native
 *    counterpart of "wrap the running OS into a VMCS".
 *  - Synthetic MSRs: a user-space MSR filter denies 0x40000000-0x400000FF,
 *    so RDMSR/WRMSR of them exit to us (KVM_CAP_X86_USER_SPACE_MSR).
 *  - Hypercalls: KVM keeps VMCALL/VMMCALL in the kernel, so the hypercall
 *    page holds `out %al, $0xe0; ret` and that OUT becomes the VMCALL record.
 *  - Time: KVM cannot count guest instructions. vp->insns holds measured
 *    nanoseconds spent running the VP (KVM_RUN plus exit handling), and a
 *    POSIX timer signalling this thread bounds each slice: its handler
 *    sets the run page's immediate_exit, so a kick can never be lost
 *    between checks.
 *    With --time-scale N the guest's clock runs at host time / N: a
 *    nested KVM on an emulated CPU runs guests 50-100 times slower than
 *    hardware, and the guests' own timeouts (in reference time) assume
 *    hardware speed. Host nanoseconds are divided by N as they are
 *    charged, the remainder carried so nothing is lost.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "backend-kvm.h"
#include "hv-tlfs.h"
#include "hvsim-platform.h"
#include "kvm-exit.h"
#include "x86-arch.h"

#define KVM_DEV "/dev/kvm"
#define KVM_KICK_SIGNAL (SIGRTMIN + 3)    /* the slice timer's signal */
/* The shortest slice: long enough that a guest always gets in. Under a
 * nested KVM on an emulated CPU one entry alone takes tens of us to ms. */
#define KVM_MIN_SLICE_NS 2000000ull       /* 2 ms */
#define KVM_MAX_SLOTS 256u                /* memory slots per VM this backend uses at most */
#define KVM_MSR_RANGE_FIRST 0x40000000u   /* synthetic MSRs: filtered to user space */
#define KVM_MSR_RANGE_COUNT 0x100u
#define KVM_CPUID_MAX_ENTRIES 40u
#define KVM_PROBE_MEM (2ull << 20)
#define KVM_PROBE_TIMEOUT_NS 5000000000ull /* 5 s: nested KVM on TCG is slow */
#define KVM_PROBE_MAX_STEPS 16u
#define IO_DECODE_CACHE 64u               /* direct-mapped; power of two */

/* ---- Per-partition (VM) and per-VP (vCPU) state --------------------------- */
typedef struct KvmSlot {
	uint64_t gpa, size;
	void *host;
	bool readonly;
} KvmSlot;

typedef struct KvmVm {
	int kvm_fd, vm_fd;
	unsigned refs;              /* VPs using it */
	unsigned next_vcpu_id;
	size_t run_size;
	bool sync_regs;             /* KVM_CAP_SYNC_REGS: registers come in the run page */
	/* Read before every entry, so before the slots (not a page away). */
	bool laid_out;              /* slots reflect the state below */
	uint64_t map_generation;    /* a child's SLAT map as laid out */
	bool hc_active;
	uint64_t hc_gpa;
	unsigned nslots;
	KvmSlot slots[KVM_MAX_SLOTS];
} KvmVm;

typedef struct IoDecode {
	uint64_t rip;               /* 0: empty */
	uint64_t gpa;               /* where the bytes were, through the guest's page tables then */
	guint8 bytes[15];
	uint8_t n;
	SimKvmIoInsn insn;
} IoDecode;

typedef struct KvmVp {
	SimVp *vp;
	KvmVm *vm;
	int fd;
	struct kvm_run *run;
	bool cpuid_hv;              /* the CPUID table this vCPU was given: with the hypervisor leaves */
	struct kvm_sregs sregs;
	bool sregs_valid, sregs_dirty;
	bool io_pending;            /* KVM will complete an IN/OUT/MMIO/MSR exit at the next KVM_RUN */
	timer_t timer;
	bool timer_ok;
	pid_t timer_tid;
	uint64_t time_scale;        /* guest ns = host ns / this (>= 1; --time-scale) */
	uint64_t host_ns_carry;     /* host ns charged but not yet a whole guest ns */
	bool scale_told;            /* the trace has been told of the time scale */
	IoDecode decode[IO_DECODE_CACHE];
} KvmVp;

static KvmVp *kv_of(SimVp *vp)
{
	return vp->backend;
}

SIM_HOT static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Charges `host_ns` of measured time to the VP's clock, at host time /
 * the time scale. */
SIM_HOT static void charge_host_ns(KvmVp *kv, uint64_t host_ns)
{
	uint64_t t = kv->host_ns_carry + host_ns;
	kv->vp->insns += t / kv->time_scale;
	kv->host_ns_carry = t % kv->time_scale;
}

/* A slice of `guest_ns` of the VP's clock in host nanoseconds, at least
 * the shortest slice and at most an hour (a timer, not a limit). */
static uint64_t slice_host_ns(const KvmVp *kv, uint64_t guest_ns)
{
	const uint64_t longest = 3600ull * 1000000000ull;
	uint64_t host = guest_ns > longest / kv->time_scale ? longest : guest_ns * kv->time_scale;
	return MAX(host, KVM_MIN_SLICE_NS);
}

/* ---- The slice timer's signal -----------------------------------------------
 * The timer signals the thread that runs the vCPU, and the signal stays
 * unblocked there. Its handler sets immediate_exit in the run page of the
 * vCPU this thread is running (a thread-local pointer: a signal handler
 * has no other way to find it). Either the signal lands inside KVM_RUN,
 * which then returns EINTR, or it lands in user space between two runs
 * and the next KVM_RUN returns EINTR at once: a kick is never lost. This
 * is cheaper than a signal mask for KVM_RUN (KVM_SET_SIGNAL_MASK), which
 * costs the kernel two mask swaps on every entry. */
static __thread struct kvm_run *volatile kick_run;   /* the vCPU this thread runs, or NULL */
static __thread bool kick_unblocked;                 /* this thread has unblocked the signal */

static void kick_handler(int sig)
{
	(void)sig;
	struct kvm_run *run = kick_run;
	if (run)
		run->immediate_exit = 1;
}

static gpointer install_kick(gpointer data)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = kick_handler;
	sa.sa_flags = SA_RESTART;   /* a kick during a device's file I/O restarts it */
	sigemptyset(&sa.sa_mask);
	sigaction(KVM_KICK_SIGNAL, &sa, NULL);
	return NULL;
}

/* From now on a kick on this thread ends `run`'s KVM_RUN (NULL: nothing
 * runs; a late kick is then ignored). */
static void kick_target(struct kvm_run *run)
{
	static GOnce once = G_ONCE_INIT;   /* process-wide signal disposition, not machine state */
	g_once(&once, install_kick, NULL);
	if (!kick_unblocked) {
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, KVM_KICK_SIGNAL);
		pthread_sigmask(SIG_UNBLOCK, &s, NULL);
		kick_unblocked = true;
	}
	kick_run = run;
}

/* Every KVM ioctl but KVM_RUN. The kick signal is not blocked outside
 * KVM_RUN, and some calls that exit handling makes (KVM_CREATE_VM for a
 * child partition registers an MMU notifier, which gives up when a signal
 * is pending) fail with EINTR when the slice timer fires during them:
 * they are simply made again (the timer fires once a slice). */
static int kvm_ioctl_retry(int fd, unsigned long request, unsigned long arg)
{
	int r;
	do
		r = ioctl(fd, request, arg);
	while (r < 0 && errno == EINTR);
	return r;
}
#define kvm_ioctl(fd, request, arg) kvm_ioctl_retry((fd), (request), (unsigned long)(arg))

/* Arms the slice timer for `ns` on the calling thread (0 disarms). */
static bool arm_timer(timer_t *timer, bool *ok, pid_t *tid, uint64_t ns)
{
	pid_t me = (pid_t)syscall(SYS_gettid);
	if (*ok && *tid != me) {
		timer_delete(*timer);
		*ok = false;
	}
	if (!*ok) {
		struct sigevent sev;
		memset(&sev, 0, sizeof sev);
		sev.sigev_notify = SIGEV_THREAD_ID;
		sev.sigev_signo = KVM_KICK_SIGNAL;
		sev._sigev_un._tid = me;
		if (timer_create(CLOCK_MONOTONIC, &sev, timer) != 0)
			return false;
		*ok = true;
		*tid = me;
	}
	struct itimerspec its;
	memset(&its, 0, sizeof its);
	its.it_value.tv_sec = (time_t)(ns / 1000000000ull);
	its.it_value.tv_nsec = (long)(ns % 1000000000ull);
	return timer_settime(*timer, 0, &its, NULL) == 0;
}

/* ---- Registers ---------------------------------------------------------------
 * General registers live in the run page (KVM_CAP_SYNC_REGS: KVM stores
 * them there at every exit and loads them when marked dirty); without the
 * capability the same storage is filled and flushed with KVM_GET/SET_REGS.
 * Segment and control registers are read with KVM_GET_SREGS only when a
 * handler asks (most exits need none). */
static struct kvm_regs *regs(KvmVp *kv)
{
	return &kv->run->s.regs.regs;
}

static void regs_dirty(KvmVp *kv)
{
	kv->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

static struct kvm_sregs *sregs(KvmVp *kv)
{
	if (!kv->sregs_valid) {
		if (kvm_ioctl(kv->fd, KVM_GET_SREGS, &kv->sregs) != 0)
			memset(&kv->sregs, 0, sizeof kv->sregs);
		kv->sregs_valid = true;
	}
	return &kv->sregs;
}

static uint64_t *gpr(KvmVp *kv, SimReg r)
{
	struct kvm_regs *g = regs(kv);
	switch (r) {
	case SIM_REG_RAX: return (uint64_t *)&g->rax;
	case SIM_REG_RCX: return (uint64_t *)&g->rcx;
	case SIM_REG_RDX: return (uint64_t *)&g->rdx;
	case SIM_REG_RBX: return (uint64_t *)&g->rbx;
	case SIM_REG_RSP: return (uint64_t *)&g->rsp;
	case SIM_REG_RBP: return (uint64_t *)&g->rbp;
	case SIM_REG_RSI: return (uint64_t *)&g->rsi;
	case SIM_REG_RDI: return (uint64_t *)&g->rdi;
	case SIM_REG_R8: return (uint64_t *)&g->r8;
	case SIM_REG_R9: return (uint64_t *)&g->r9;
	case SIM_REG_R10: return (uint64_t *)&g->r10;
	case SIM_REG_R11: return (uint64_t *)&g->r11;
	case SIM_REG_R12: return (uint64_t *)&g->r12;
	case SIM_REG_R13: return (uint64_t *)&g->r13;
	case SIM_REG_R14: return (uint64_t *)&g->r14;
	case SIM_REG_R15: return (uint64_t *)&g->r15;
	case SIM_REG_RIP: return (uint64_t *)&g->rip;
	case SIM_REG_RFLAGS: return (uint64_t *)&g->rflags;
	default: return NULL;
	}
}

static uint64_t kvm_reg_get(SimVp *vp, SimReg reg)
{
	KvmVp *kv = kv_of(vp);
	uint64_t *g = gpr(kv, reg);
	if (g)
		return *g;
	struct kvm_sregs *s = sregs(kv);
	switch (reg) {
	case SIM_REG_CR0: return s->cr0;
	case SIM_REG_CR2: return s->cr2;
	case SIM_REG_CR3: return s->cr3;
	case SIM_REG_CR4: return s->cr4;
	case SIM_REG_EFER: return s->efer;
	case SIM_REG_CS: return s->cs.selector;
	case SIM_REG_SS: return s->ss.selector;
	default: return 0;
	}
}

static void kvm_regs_get(SimVp *vp, const SimReg *r, uint64_t *values, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		values[i] = kvm_reg_get(vp, r[i]);
}

static void kvm_reg_set(SimVp *vp, SimReg reg, uint64_t value)
{
	KvmVp *kv = kv_of(vp);
	uint64_t *g = gpr(kv, reg);
	if (g) {
		*g = value;
		regs_dirty(kv);
		return;
	}
	struct kvm_sregs *s = sregs(kv);
	switch (reg) {
	case SIM_REG_CR0: s->cr0 = value; break;
	case SIM_REG_CR2: s->cr2 = value; break;
	case SIM_REG_CR3: s->cr3 = value; break;
	case SIM_REG_CR4: s->cr4 = value; break;
	case SIM_REG_EFER: s->efer = value; vmx_vmcs_write(vp->vmcs, VMCS_GUEST_IA32_EFER, value); break;
	case SIM_REG_CS: s->cs.selector = (uint16_t)value; break;
	case SIM_REG_SS: s->ss.selector = (uint16_t)value; break;
	default: return;
	}
	kv->sregs_dirty = true;
}

/* Before KVM_RUN: what handlers changed goes back to KVM. */
SIM_HOT static bool flush_regs(KvmVp *kv)
{
	if (kv->sregs_dirty) {
		if (kvm_ioctl(kv->fd, KVM_SET_SREGS, &kv->sregs) != 0)
			return false;
		kv->sregs_dirty = false;
	}
	if (!kv->vm->sync_regs && (kv->run->kvm_dirty_regs & KVM_SYNC_X86_REGS)) {
		if (kvm_ioctl(kv->fd, KVM_SET_REGS, regs(kv)) != 0)
			return false;
		kv->run->kvm_dirty_regs = 0;
	}
	return true;
}

/* After KVM_RUN: the register view is the vCPU's again. */
SIM_HOT static void after_run(KvmVp *kv)
{
	kv->sregs_valid = false;
	if (!kv->vm->sync_regs)
		kvm_ioctl(kv->fd, KVM_GET_REGS, regs(kv));
}

/* ---- Long-mode state (shared by the boot state and the probe) ---------------- */
static void flat_segment(struct kvm_segment *s, uint16_t sel, bool code)
{
	memset(s, 0, sizeof *s);
	s->selector = sel;
	s->base = 0;
	s->limit = 0xFFFFFFFFu;
	s->present = 1;
	s->s = 1;
	s->dpl = sel & 3;
	s->g = 1;
	if (code) {
		s->type = 0xB;   /* execute/read, accessed */
		s->l = 1;        /* 64-bit code segment */
	} else {
		s->type = 0x3;   /* read/write, accessed */
		s->db = 1;
	}
}

/* Long mode with paging, as a boot loader leaves it (docs/guest-abi.md
 * "state at entry"): the given control registers, GDTR, flat CS/SS/DS/ES,
 * a busy 64-bit TSS (VM entry needs a usable TR) and no LDT. */
static void long_mode_sregs(struct kvm_sregs *s, uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer,
                            uint64_t gdt_base, uint16_t gdt_limit, uint16_t cs, uint16_t ds)
{
	s->cr0 = cr0;
	s->cr3 = cr3;
	s->cr4 = cr4;
	s->efer = efer | X86_EFER_LMA;   /* CR0.PG with EFER.LME: long mode active */
	s->gdt.base = gdt_base;
	s->gdt.limit = gdt_limit;
	s->idt.base = 0;
	s->idt.limit = 0;
	flat_segment(&s->cs, cs, true);
	flat_segment(&s->ss, ds, false);
	flat_segment(&s->ds, ds, false);
	flat_segment(&s->es, ds, false);
	flat_segment(&s->fs, 0, false);
	flat_segment(&s->gs, 0, false);
	s->fs.unusable = s->gs.unusable = 1;
	s->fs.present = s->gs.present = 0;
	memset(&s->tr, 0, sizeof s->tr);
	s->tr.limit = 0x67;
	s->tr.type = 0xB;    /* 64-bit TSS, busy */
	s->tr.present = 1;
	memset(&s->ldt, 0, sizeof s->ldt);
	s->ldt.type = 0x2;
	s->ldt.unusable = 1;
}

/* ---- CPUID: the model's answers as KVM's table --------------------------------- */
static bool set_cpuid(SimVp *vp, int fd)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[KVM_CPUID_MAX_ENTRIES];
	} t;
	static const uint32_t ranges[][2] = {
		{ 0x0, 0xD },
		{ HV_CPUID_VENDOR_AND_MAX_FUNCTIONS, HV_CPUID_MAX_LEAF },
		{ 0x80000000u, 0x80000008u },
	};
	memset(&t, 0, sizeof t);
	for (guint r = 0; r < G_N_ELEMENTS(ranges); r++) {
		for (uint32_t leaf = ranges[r][0]; leaf <= ranges[r][1] && t.c.nent < KVM_CPUID_MAX_ENTRIES; leaf++) {
			uint32_t out[4];
			struct kvm_cpuid_entry2 *e = &t.e[t.c.nent++];
			sim_hv_cpuid(vp, leaf, 0, out);
			e->function = leaf;
			e->eax = out[0];
			e->ebx = out[1];
			e->ecx = out[2];
			e->edx = out[3];
		}
	}
	return kvm_ioctl(fd, KVM_SET_CPUID2, &t) == 0;
}

/* ---- Memory slots ---------------------------------------------------------------- */
static bool set_slot(KvmVm *vm, unsigned slot, const KvmSlot *s)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = s && s->readonly ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = s ? s->gpa : 0,
		.memory_size = s ? s->size : 0,     /* 0 deletes the slot */
		.userspace_addr = s ? (uint64_t)(uintptr_t)s->host : 0,
	};
	return kvm_ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) == 0;
}

/* Adds [gpa, gpa+size) -> host, splitting out the hypercall page (read-only). */
static bool add_range(KvmSlot *out, unsigned *n, uint64_t gpa, uint64_t size, guint8 *host, bool ro,
                      bool hc, uint64_t hc_gpa)
{
	if (hc && hc_gpa >= gpa && hc_gpa < gpa + size) {
		uint64_t off = hc_gpa - gpa;
		return (off == 0 || add_range(out, n, gpa, off, host, ro, false, 0)) &&
		       add_range(out, n, hc_gpa, HV_PAGE_SIZE, host + off, true, false, 0) &&
		       (off + HV_PAGE_SIZE >= size ||
		        add_range(out, n, hc_gpa + HV_PAGE_SIZE, size - off - HV_PAGE_SIZE, host + off + HV_PAGE_SIZE, ro,
		                  false, 0));
	}
	if (*n >= KVM_MAX_SLOTS)
		return false;
	out[(*n)++] = (KvmSlot){ .gpa = gpa, .size = size, .host = host, .readonly = ro };
	return true;
}

static gint page_cmp(gconstpointer a, gconstpointer b)
{
	uint64_t x = *(const guint64 *)a, y = *(const guint64 *)b;
	return x < y ? -1 : x > y;
}

/* The slots the partition's memory needs now. */
static bool compute_slots(SimPartition *p, KvmSlot *out, unsigned *n)
{
	const SimMemory *mem = &p->mem;
	*n = 0;
	if (mem->host)
		return add_range(out, n, 0, mem->size, mem->host, false, p->hcpage_active, p->hcpage_gpa);
	if (!mem->slat || !mem->backing)
		return true;
	GArray *keys = g_array_sized_new(FALSE, FALSE, sizeof(guint64), g_hash_table_size(mem->slat));
	GHashTableIter it;
	gpointer k;
	bool ok = true;
	g_hash_table_iter_init(&it, mem->slat);
	while (g_hash_table_iter_next(&it, &k, NULL))
		g_array_append_val(keys, *(guint64 *)k);
	g_array_sort(keys, page_cmp);
	for (guint i = 0; i < keys->len && ok;) {
		guint64 first = g_array_index(keys, guint64, i);
		gpointer v = g_hash_table_lookup(mem->slat, &first);
		uint64_t spa = SIM_SLAT_PAGE(v);
		unsigned perms = SIM_SLAT_PERMS(v);
		guint j = i + 1;
		while (j < keys->len) {
			guint64 next = g_array_index(keys, guint64, j);
			gpointer w = g_hash_table_lookup(mem->slat, &next);
			if (next != first + (j - i) || SIM_SLAT_PAGE(w) != spa + (j - i) || SIM_SLAT_PERMS(w) != perms)
				break;
			j++;
		}
		uint64_t len = (uint64_t)(j - i) << HV_PAGE_SHIFT;
		/* KVM has read-only and read/write slots only: a page without
		 * read permission stays unmapped (every access exits), one
		 * without write becomes read-only; execute is not separate. */
		if ((perms & VMX_EPT_READ) && (spa << HV_PAGE_SHIFT) + len <= mem->backing->size)
			ok = add_range(out, n, first << HV_PAGE_SHIFT, len, mem->backing->host + (spa << HV_PAGE_SHIFT),
			               !(perms & VMX_EPT_WRITE), p->hcpage_active, p->hcpage_gpa);
		i = j;
	}
	g_array_free(keys, TRUE);
	return ok;
}

SIM_HOT static inline bool layout_current(SimPartition *p, KvmVm *vm)
{
	return vm->laid_out && vm->hc_active == p->hcpage_active && (!p->hcpage_active || vm->hc_gpa == p->hcpage_gpa) &&
	       (!p->child || vm->map_generation == p->child->map_generation);
}

/* Re-does the VM's slots when the partition's memory changed (a child's
 * map, the hypercall page). Slots are replaced one by one: deleted, then
 * added; nothing runs meanwhile (this thread is the only one in KVM_RUN). */
static bool relayout_memory(SimPartition *p, KvmVm *vm)
{
	KvmSlot next[KVM_MAX_SLOTS];
	unsigned n = 0;
	if (!compute_slots(p, next, &n)) {
		sim_partition_stop(p, false, 1, "native backend: the partition's memory needs more than %u KVM memory slots",
		                   KVM_MAX_SLOTS);
		return false;
	}
	for (unsigned i = 0; i < vm->nslots; i++)
		set_slot(vm, i, NULL);
	vm->nslots = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!set_slot(vm, i, &next[i])) {
			sim_partition_stop(p, false, 1, "native backend: KVM refused memory slot %u (GPA 0x%" G_GINT64_MODIFIER "x, %" G_GUINT64_FORMAT " bytes): %s",
			                   i, next[i].gpa, next[i].size, g_strerror(errno));
			return false;
		}
		vm->slots[i] = next[i];
		vm->nslots = i + 1;
	}
	vm->laid_out = true;
	vm->hc_active = p->hcpage_active;
	vm->hc_gpa = p->hcpage_gpa;
	vm->map_generation = p->child ? p->child->map_generation : 0;
	return true;
}

/* Before every entry: almost always nothing changed (checked inline). */
SIM_HOT static inline bool layout_memory(SimPartition *p, KvmVm *vm)
{
	return layout_current(p, vm) || relayout_memory(p, vm);
}

/* ---- VM and vCPU creation ------------------------------------------------------------ */
static void vm_unref(SimPartition *p)
{
	KvmVm *vm = p->backend;
	if (!vm || --vm->refs)
		return;
	close(vm->vm_fd);
	close(vm->kvm_fd);
	g_free(vm);
	p->backend = NULL;
}

/* The synthetic MSR range exits to user space; everything else stays in KVM. */
static int set_msr_filter(int vm_fd)
{
	static guint8 deny[KVM_MSR_RANGE_COUNT / 8];   /* all bits clear: deny, i.e. exit */
	struct kvm_msr_filter f;
	memset(&f, 0, sizeof f);
	f.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
	f.ranges[0].flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE;
	f.ranges[0].base = KVM_MSR_RANGE_FIRST;
	f.ranges[0].nmsrs = KVM_MSR_RANGE_COUNT;
	f.ranges[0].bitmap = deny;
	return kvm_ioctl(vm_fd, KVM_X86_SET_MSR_FILTER, &f);
}

static KvmVm *vm_new(GError **error)
{
	KvmVm *vm = g_new0(KvmVm, 1);
	vm->kvm_fd = open(KVM_DEV, O_RDWR | O_CLOEXEC);
	vm->vm_fd = -1;
	if (vm->kvm_fd < 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot open %s: %s", KVM_DEV, g_strerror(errno));
		goto fail;
	}
	int mmap_size = kvm_ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm->vm_fd = kvm_ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0 || mmap_size <= 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "KVM_CREATE_VM failed: %s", g_strerror(errno));
		goto fail;
	}
	vm->run_size = (size_t)mmap_size;
	vm->sync_regs = (kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) & KVM_SYNC_X86_REGS) != 0;
	/* Intel needs a TSS area for real-mode emulation; unused in long mode. */
	kvm_ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xFFFBD000ul);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_USER_SPACE_MSR, .args = { KVM_MSR_EXIT_REASON_FILTER } };
	if (kvm_ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) != 0 || set_msr_filter(vm->vm_fd) != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "KVM refused the user-space MSR filter: %s",
		            g_strerror(errno));
		goto fail;
	}
	return vm;
fail:
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	g_free(vm);
	return NULL;
}

/* A vCPU with the CPUID table the model answers now. */
static bool vcpu_open(KvmVp *kv, int *fd_out, struct kvm_run **run_out, GError **error)
{
	SimVp *vp = kv->vp;
	int fd = kvm_ioctl(kv->vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)kv->vm->next_vcpu_id++);
	if (fd < 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "KVM_CREATE_VCPU failed: %s", g_strerror(errno));
		return false;
	}
	struct kvm_run *run = mmap(NULL, kv->vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (run == MAP_FAILED) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot map the vCPU's run page: %s", g_strerror(errno));
		close(fd);
		return false;
	}
	if (!set_cpuid(vp, fd)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "KVM refused the vCPU's CPUID table: %s",
		            g_strerror(errno));
		munmap(run, kv->vm->run_size);
		close(fd);
		return false;
	}
	if (kv->vm->sync_regs)
		run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	*fd_out = fd;
	*run_out = run;
	return true;
}

static void kvm_vp_fini(SimVp *vp)
{
	KvmVp *kv = kv_of(vp);
	if (!kv)
		return;
	if (kv->timer_ok)
		timer_delete(kv->timer);
	if (kv->run)
		munmap(kv->run, kv->vm->run_size);
	if (kv->fd >= 0)
		close(kv->fd);
	vm_unref(vp->partition);
	g_free(kv);
	vp->backend = NULL;
}

static bool kvm_vp_init(SimVp *vp, GError **error)
{
	SimPartition *p = vp->partition;
	KvmVp *kv = g_new0(KvmVp, 1);
	kv->vp = vp;
	kv->fd = -1;
	if (!p->backend) {
		p->backend = vm_new(error);
		if (!p->backend) {
			g_free(kv);
			return false;
		}
	}
	kv->vm = p->backend;
	kv->vm->refs++;
	vp->backend = kv;
	kv->cpuid_hv = p->hv_active;
	kv->time_scale = MAX(p->machine->config.native_time_scale, 1u);

	if (!vcpu_open(kv, &kv->fd, &kv->run, error)) {
		kvm_vp_fini(vp);
		return false;
	}
	kvm_ioctl(kv->fd, KVM_GET_REGS, regs(kv));
	return true;
}

/* The late launch changed what CPUID answers: move the VP's state to a
 * fresh vCPU whose table has the hypervisor leaves (see the file banner). */
static const uint32_t carried_msrs[] = {
	IA32_EFER_MSR, 0xC0000081u /* STAR */, 0xC0000082u /* LSTAR */, 0xC0000083u /* CSTAR */,
	0xC0000084u /* SFMASK */, 0xC0000102u /* KERNEL_GS_BASE */, 0xC0000100u /* FS_BASE */,
	0xC0000101u /* GS_BASE */, 0x174u /* SYSENTER_CS */, 0x175u, 0x176u, 0x277u /* PAT */, 0x10u /* TSC */,
};

static bool vcpu_respawn(KvmVp *kv)
{
	SimVp *vp = kv->vp;
	g_autoptr(GError) error = NULL;
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_fpu fpu;
	struct kvm_vcpu_events ev;
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[G_N_ELEMENTS(carried_msrs)];
	} msrs;
	int fd;
	struct kvm_run *run;

	memset(&msrs, 0, sizeof msrs);
	msrs.h.nmsrs = G_N_ELEMENTS(carried_msrs);
	for (guint i = 0; i < G_N_ELEMENTS(carried_msrs); i++)
		msrs.e[i].index = carried_msrs[i];
	bool dirty = kv->run->kvm_dirty_regs & KVM_SYNC_X86_REGS;
	if (dirty)
		r = *regs(kv);   /* what handlers set and KVM has not loaded yet */
	if (!flush_regs(kv) || (!dirty && kvm_ioctl(kv->fd, KVM_GET_REGS, &r) != 0) || kvm_ioctl(kv->fd, KVM_GET_SREGS, &s) != 0 ||
	    kvm_ioctl(kv->fd, KVM_GET_FPU, &fpu) != 0 || kvm_ioctl(kv->fd, KVM_GET_VCPU_EVENTS, &ev) != 0 ||
	    kvm_ioctl(kv->fd, KVM_GET_MSRS, &msrs) != (int)msrs.h.nmsrs) {
		sim_partition_stop(vp->partition, false, 1, "native backend: cannot read the vCPU state at the late launch: %s",
		                   g_strerror(errno));
		return false;
	}
	if (!vcpu_open(kv, &fd, &run, &error)) {
		sim_partition_stop(vp->partition, false, 1, "native backend: late launch: %s", error->message);
		return false;
	}
	if (kvm_ioctl(fd, KVM_SET_SREGS, &s) != 0 || kvm_ioctl(fd, KVM_SET_REGS, &r) != 0 || kvm_ioctl(fd, KVM_SET_FPU, &fpu) != 0 ||
	    kvm_ioctl(fd, KVM_SET_MSRS, &msrs) != (int)msrs.h.nmsrs || kvm_ioctl(fd, KVM_SET_VCPU_EVENTS, &ev) != 0) {
		sim_partition_stop(vp->partition, false, 1, "native backend: cannot load the vCPU state at the late launch: %s",
		                   g_strerror(errno));
		munmap(run, kv->vm->run_size);
		close(fd);
		return false;
	}
	munmap(kv->run, kv->vm->run_size);
	close(kv->fd);
	kv->fd = fd;
	kv->run = run;
	memcpy(regs(kv), &r, sizeof r);
	kv->sregs_valid = false;
	kv->cpuid_hv = vp->partition->hv_active;
	return true;
}

/* ---- Boot state ----------------------------------------------------------------------- */
static bool kvm_set_boot_state(SimVp *vp, const SimBootState *st, GError **error)
{
	KvmVp *kv = kv_of(vp);
	struct kvm_sregs s;
	if (kvm_ioctl(kv->fd, KVM_GET_SREGS, &s) != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "KVM_GET_SREGS failed: %s", g_strerror(errno));
		return false;
	}
	long_mode_sregs(&s, st->cr0, st->cr3, st->cr4, st->efer, st->gdt_base, st->gdt_limit, st->cs, st->ds);
	struct kvm_regs *r = regs(kv);
	memset(r, 0, sizeof *r);
	r->rip = st->rip;
	r->rsp = st->rsp;
	r->rdi = st->rdi;
	r->rflags = st->rflags | X86_RFLAGS_FIXED;
	if (kvm_ioctl(kv->fd, KVM_SET_SREGS, &s) != 0 || kvm_ioctl(kv->fd, KVM_SET_REGS, r) != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "KVM refused the boot state: %s", g_strerror(errno));
		return false;
	}
	kv->run->kvm_dirty_regs = 0;
	kv->sregs_valid = false;
	kv->sregs_dirty = false;
	vmx_vmcs_write(vp->vmcs, VMCS_GUEST_IA32_EFER, st->efer);
	return true;
}

/* ---- Guest memory reads for decoding ------------------------------------------------------ */
/* The bytes at a guest linear address: KVM_TRANSLATE walks the guest's
 * page tables, then the partition's memory (flat or SLAT view) is read. */
static size_t read_code(KvmVp *kv, uint64_t la, guint8 *buf, size_t n, uint64_t *gpa)
{
	struct kvm_translation t = { .linear_address = la };
	if (kvm_ioctl(kv->fd, KVM_TRANSLATE, &t) != 0 || !t.valid)
		return 0;
	/* Stay within the page (an I/O instruction crossing one is rare). */
	size_t in_page = HV_PAGE_SIZE - (t.physical_address & (HV_PAGE_SIZE - 1));
	n = MIN(n, in_page);
	*gpa = t.physical_address;
	return sim_memory_read(&kv->vp->partition->mem, t.physical_address, buf, n) ? n : 0;
}

/* Whether the instruction a cached decode came from is still there: its
 * bytes (only those: what follows it does not change the decode) at the
 * guest-physical address they were found at. Flat memory is compared in
 * place; this runs on every port exit. */
SIM_HOT static bool decode_still_valid(const SimMemory *mem, const IoDecode *d)
{
	uint32_t len = d->insn.length;
	if (mem->host && d->gpa <= mem->size && len <= mem->size - d->gpa) {
		/* A loop, not memcmp: at most 15 bytes, and no library page to
		 * touch on every exit. */
		const guint8 *at = mem->host + d->gpa;
		for (uint32_t i = 0; i < len; i++)
			if (at[i] != d->bytes[i])
				return false;
		return true;
	}
	guint8 now[sizeof d->bytes];
	return sim_memory_read(mem, d->gpa, now, len) && memcmp(now, d->bytes, len) == 0;
}

/* I/O decode through a small cache by RIP. A hit costs no ioctl: the
 * instruction's bytes are compared at the guest-physical address they were
 * found at (self-modifying code is re-decoded; a guest that remaps the page
 * under the same RIP to other code of the same bytes cannot tell the
 * difference). */
SIM_HOT static const IoDecode *io_decode(KvmVp *kv, uint64_t rip)
{
	IoDecode *d = &kv->decode[(rip ^ (rip >> 6)) & (IO_DECODE_CACHE - 1)];
	if (d->rip == rip && d->n && decode_still_valid(&kv->vp->partition->mem, d))
		return d;
	d->rip = rip;
	d->n = (uint8_t)read_code(kv, rip, d->bytes, sizeof d->bytes, &d->gpa);
	if (!d->n || !sim_kvm_decode_io(d->bytes, d->n, &d->insn)) {
		d->n = 0;
		return NULL;
	}
	return d;
}

/* KVM runs a string OUT without REP (OUTSB/W/D) through its instruction
 * emulator, which retires it before the exit reaches user space (Linux
 * arch/x86/kvm/x86.c: an emulated port write needs nothing back, so the
 * new RIP is written back first): RIP is then past the instruction. With
 * REP, and for every IN, RIP stays on it. So when RIP is not on an I/O
 * instruction, the OUTS that ends there is decoded: the opcode (6E, 6F)
 * and, for a 2-byte OUTSW, its 0x66 prefix (other prefixes are not
 * looked for behind it). */
static const IoDecode *io_decode_retired_outs(KvmVp *kv, uint64_t rip, uint32_t size)
{
	guint8 b[2];
	uint64_t gpa;
	if (rip < sizeof b || read_code(kv, rip - sizeof b, b, sizeof b, &gpa) != sizeof b)
		return NULL;
	uint64_t len;
	if (b[1] == 0x6E && size == 1)
		len = 1;
	else if (b[1] == 0x6F && size == 2 && b[0] == 0x66)
		len = 2;
	else if (b[1] == 0x6F && size == 4)
		len = 1;
	else
		return NULL;
	const IoDecode *d = io_decode(kv, rip - len);
	return d && d->insn.string && !d->insn.rep && d->insn.length == len ? d : NULL;
}

/* ---- VM entry ---------------------------------------------------------------------------------
 * The hypervisor's injected event (VM-entry interruption information)
 * first; else the highest pending interrupt if the vCPU can take it now
 * (KVM says so in the run page: IF = 1 and no interrupt shadow), else ask
 * KVM to exit when it can (an interrupt window). */
SIM_HOT static bool vm_entry(KvmVp *kv)
{
	SimVp *vp = kv->vp;
	uint8_t vector, type;
	bool has_err;
	uint32_t err;
	bool injected = vmx_take_injected_event(vp->vmcs, &vector, &type, &has_err, &err);

	kv->run->request_interrupt_window = 0;
	if (!injected) {
		if (vp->pending_vector < 0 || !kv->run->ready_for_interrupt_injection || !kv->run->if_flag) {
			kv->run->request_interrupt_window = vp->pending_vector >= 0;
			if (vp->entry_due)
				sim_hv_emit_entry(vp, -1);
			return true;
		}
		vector = (uint8_t)sim_vp_take_vector(vp);
		type = VMX_INTR_TYPE_EXTERNAL;
		vp->halted = false;
	}
	if (vp->entry_due)
		sim_hv_emit_entry(vp, vector);
	SimEvent ev;
	sim_event_init(&ev, SIM_EV_INTERRUPT);
	ev.u.interrupt.vector = vector;
	ev.u.interrupt.type = type;
	sim_vp_emit(vp, &ev);
	if (type == VMX_INTR_TYPE_EXTERNAL) {
		struct kvm_interrupt irq = { .irq = vector };
		if (kvm_ioctl(kv->fd, KVM_INTERRUPT, &irq) == 0)
			return true;
	} else {
		struct kvm_vcpu_events e;
		if (kvm_ioctl(kv->fd, KVM_GET_VCPU_EVENTS, &e) == 0) {
			e.exception.injected = 1;
			e.exception.nr = vector;
			e.exception.has_error_code = has_err;
			e.exception.error_code = err;
			e.flags = 0;
			if (kvm_ioctl(kv->fd, KVM_SET_VCPU_EVENTS, &e) == 0)
				return true;
		}
	}
	sim_partition_stop(vp->partition, false, 1, "native backend: KVM refused to inject vector %u: %s", vector,
	                   g_strerror(errno));
	return false;
}

/* An exit KVM would complete at the next KVM_RUN (an IN's value into RAX,
 * RIP past an OUT or MMIO access), when the hypervisor decided otherwise
 * (an exception instead, a suspended VP): let KVM finish it with an
 * immediate exit, then put back the registers as the handler left them. */
G_GNUC_NO_INLINE static bool cancel_completion(KvmVp *kv)
{
	struct kvm_regs keep = *regs(kv);
	kv->run->kvm_dirty_regs = 0;
	kv->run->immediate_exit = 1;
	int r = ioctl(kv->fd, KVM_RUN, 0);
	int e = errno;
	kv->run->immediate_exit = 0;
	kv->io_pending = false;
	if (r == 0 || e != EINTR)
		return false;
	kv->sregs_valid = false;
	*regs(kv) = keep;
	return kvm_ioctl(kv->fd, KVM_SET_REGS, &keep) == 0;
}

/* ---- Exits --------------------------------------------------------------------------------------- */
/* What the dispatcher decided, applied to the vCPU. */
SIM_HOT static SimRunResult apply_action(KvmVp *kv, SimExit *ex, SimExitAction a)
{
	SimPartition *p = kv->vp->partition;
	if (ex->set_rax) {
		regs(kv)->rax = ex->rax;
		regs_dirty(kv);
	}
	if (a == SIM_RESUME_NEXT)
		return SIM_RUN_YIELD;     /* KVM completes the instruction at the next KVM_RUN */
	switch (a) {
	case SIM_RESUME_NEXT:
		return SIM_RUN_YIELD;     /* (taken above, before the switch's table: the common case) */
	case SIM_RESUME_SAME:
	case SIM_SUSPEND_VP:
		if (kv->io_pending && !cancel_completion(kv)) {
			sim_partition_stop(p, false, 1, "native backend: cannot hold the vCPU at RIP 0x%" G_GINT64_MODIFIER "x",
			                   ex->vmx.guest_rip);
			return SIM_RUN_ERROR;
		}
		if (!kv->io_pending && vmx_exit_basic(&ex->vmx) == VMX_EXIT_HLT) {
			regs(kv)->rip = ex->vmx.guest_rip;   /* back onto the HLT */
			regs_dirty(kv);
		}
		return SIM_RUN_YIELD;
	case SIM_STOP_VP:
		return SIM_RUN_HALTED;
	case SIM_STOP_PARTITION:
		return SIM_RUN_STOPPED;
	}
	return SIM_RUN_ERROR;
}

/* A port access: the hypercall page's OUT is the VMCALL; a port whose I/O
 * bitmap bit is clear goes straight to the device (no VM exit, as with
 * VT-x); everything else is an I/O-instruction exit, one per element of a
 * string instruction. */
SIM_HOT static SimRunResult exit_io(KvmVp *kv)
{
	SimVp *vp = kv->vp;
	SimPartition *p = vp->partition;
	struct kvm_run *run = kv->run;
	uint64_t rip = regs(kv)->rip;
	const IoDecode *d = io_decode(kv, rip);
	bool retired = false;   /* KVM already ran it: a string OUT without REP */
	SimExit ex;

	if (!d && run->io.direction == KVM_EXIT_IO_OUT && run->io.count == 1) {
		d = io_decode_retired_outs(kv, rip, run->io.size);
		retired = d != NULL;
		if (retired)
			rip = d->rip;
	}
	kv->io_pending = !retired;  /* a retired OUTS has nothing left to complete */
	if (!d) {
		sim_partition_stop(p, false, 1, "native backend: cannot decode the I/O instruction at RIP 0x%" G_GINT64_MODIFIER "x",
		                   rip);
		return SIM_RUN_ERROR;
	}
	bool in = run->io.direction == KVM_EXIT_IO_IN;
	if (!in && run->io.port == SIM_KVM_HYPERCALL_PORT && run->io.size == 1 && d->insn.imm && p->hcpage_active) {
		struct kvm_translation t = { .linear_address = rip };
		if (kvm_ioctl(kv->fd, KVM_TRANSLATE, &t) == 0 && t.valid &&
		    (t.physical_address & ~(uint64_t)(HV_PAGE_SIZE - 1)) == p->hcpage_gpa) {
			memset(&ex, 0, sizeof ex);
			ex.vmx.reason = VMX_EXIT_VMCALL;
			ex.vmx.guest_rip = rip;
			ex.vmx.instruction_length = SIM_KVM_HYPERCALL_OUT_LEN;
			return apply_action(kv, &ex, sim_hv_handle_exit(vp, &ex));
		}
	}
	for (uint32_t i = 0; i < run->io.count; i++) {
		if (!sim_kvm_translate_io_exit(run, rip, &d->insn, i, &ex))
			return SIM_RUN_ERROR;
		guint8 *data = (guint8 *)run + run->io.data_offset + (size_t)i * run->io.size;
		SimExitAction a;
		if (!vmx_io_exits(vp->vmcs, run->io.port, run->io.size)) {
			uint32_t v = sim_platform_port_io(vp, run->io.port, run->io.size, in, (uint32_t)ex.io_data);
			if (in)
				memcpy(data, &v, run->io.size);
			a = p->stopped ? SIM_STOP_PARTITION : SIM_RESUME_NEXT;
		} else {
			a = sim_hv_handle_exit(vp, &ex);
			if (in && a == SIM_RESUME_NEXT)
				memcpy(data, &ex.io_data, run->io.size);
		}
		if (retired && (a == SIM_RESUME_SAME || a == SIM_SUSPEND_VP)) {
			/* The model says the OUTS has not happened (yet): back onto
			 * it, with RSI where it was (RFLAGS.DF says which way it moved). */
			regs(kv)->rip = rip;
			regs(kv)->rsi += (regs(kv)->rflags & X86_RFLAGS_DF) ? run->io.size : -(uint64_t)run->io.size;
			regs_dirty(kv);
		}
		if (a != SIM_RESUME_NEXT || i + 1 == run->io.count)
			return apply_action(kv, &ex, a);
	}
	return SIM_RUN_YIELD;
}

G_GNUC_NO_INLINE static SimRunResult exit_msr(KvmVp *kv)
{
	SimVp *vp = kv->vp;
	SimExit ex;
	sim_kvm_translate_exit(kv->run, regs(kv)->rip, NULL, 0, 0, &ex);
	kv->io_pending = true;
	SimExitAction a = sim_hv_handle_exit(vp, &ex);
	uint8_t vector, type;
	bool has_err;
	uint32_t err;
	if (a == SIM_RESUME_SAME && vmx_take_injected_event(vp->vmcs, &vector, &type, &has_err, &err) &&
	    vector == X86_VEC_GP) {
		/* The model refused the access with #GP: KVM raises it itself
		 * when the exit completes with an error. */
		SimEvent ev;
		sim_event_init(&ev, SIM_EV_INTERRUPT);
		ev.u.interrupt.vector = vector;
		ev.u.interrupt.type = type;
		sim_vp_emit(vp, &ev);
		kv->run->msr.error = 1;
		return SIM_RUN_YIELD;
	}
	kv->run->msr.error = 0;
	if (ex.vmx.reason == VMX_EXIT_RDMSR)
		kv->run->msr.data = (regs(kv)->rdx << 32) | (regs(kv)->rax & 0xFFFFFFFFu);
	return apply_action(kv, &ex, a);
}

G_GNUC_NO_INLINE static SimRunResult exit_mmio(KvmVp *kv)
{
	SimVp *vp = kv->vp;
	SimPartition *p = vp->partition;
	SimExit ex;
	sim_kvm_translate_exit(kv->run, regs(kv)->rip, NULL, 0, 0, &ex);
	kv->io_pending = true;
	if (kv->run->mmio.is_write && p->hcpage_active && (ex.vmx.guest_physical_address & ~(uint64_t)(HV_PAGE_SIZE - 1)) == p->hcpage_gpa) {
		/* A store to the hypercall page: #GP, as the emulator does. */
		vmx_inject_event(vp->vmcs, X86_VEC_GP, VMX_INTR_TYPE_HARD_EXCEPTION, true, 0, 0);
		return apply_action(kv, &ex, SIM_RESUME_SAME);
	}
	if (!kv->run->mmio.is_write)
		memset(kv->run->mmio.data, 0xFF, sizeof kv->run->mmio.data); /* floating bus, if KVM completes it */
	return apply_action(kv, &ex, sim_hv_handle_exit(vp, &ex));
}

G_GNUC_NO_INLINE static SimRunResult exit_simple(KvmVp *kv)
{
	SimExit ex;
	sim_kvm_translate_exit(kv->run, regs(kv)->rip, NULL, 0, 0, &ex);
	return apply_action(kv, &ex, sim_hv_handle_exit(kv->vp, &ex));
}

/* A shutdown (triple fault). KVM on AMD re-initialises the vCPU in its
 * SHUTDOWN intercept before user space sees the exit (Linux
 * arch/x86/kvm/svm/svm.c shutdown_interception: the VMCB is undefined
 * after a shutdown, so it INITs the vCPU); KVM on Intel
 * (vmx.c handle_triple_fault) keeps the state the VM exit saved. So the
 * state is judged by what is there: a vCPU in the INIT state (CS 0xF000
 * based at 0xFFFF0000, RIP 0xFFF0) no longer holds the guest's state at
 * the fault, and the exit record says so instead of naming a RIP. */
#define KVM_INIT_RIP 0xFFF0u
#define KVM_INIT_CS_SELECTOR 0xF000u
#define KVM_INIT_CS_BASE 0xFFFF0000ull

G_GNUC_NO_INLINE static SimRunResult exit_shutdown(KvmVp *kv)
{
	SimExit ex;
	sim_kvm_translate_exit(kv->run, regs(kv)->rip, NULL, 0, 0, &ex);
	const struct kvm_sregs *s = sregs(kv);
	ex.state_lost = regs(kv)->rip == KVM_INIT_RIP && s->cs.selector == KVM_INIT_CS_SELECTOR &&
	                s->cs.base == KVM_INIT_CS_BASE;
	if (ex.state_lost)
		ex.vmx.guest_rip = 0;
	return apply_action(kv, &ex, sim_hv_handle_exit(kv->vp, &ex));
}

SIM_HOT static SimRunResult handle_exit(KvmVp *kv)
{
	SimPartition *p = kv->vp->partition;
	struct kvm_run *run = kv->run;
	/* Port I/O first, outside the switch's jump table (one page less per
	 * exit: docs/native.md, "Where an exit's time goes"). */
	if (run->exit_reason == KVM_EXIT_IO)
		return exit_io(kv);
	switch (run->exit_reason) {
	case KVM_EXIT_HLT:             return exit_simple(kv);
	case KVM_EXIT_SHUTDOWN:        return exit_shutdown(kv);
	case KVM_EXIT_MMIO:            return exit_mmio(kv);
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:       return exit_msr(kv);
	case KVM_EXIT_IRQ_WINDOW_OPEN: return SIM_RUN_YIELD;   /* the next entry injects */
	case KVM_EXIT_INTR:            return SIM_RUN_YIELD;
	case KVM_EXIT_FAIL_ENTRY:
		sim_partition_stop(p, false, 1, "native backend: VM entry failed (hardware reason 0x%" G_GINT64_MODIFIER "x) at RIP 0x%" G_GINT64_MODIFIER "x",
		                   (uint64_t)run->fail_entry.hardware_entry_failure_reason, (uint64_t)regs(kv)->rip);
		return SIM_RUN_ERROR;
	case KVM_EXIT_INTERNAL_ERROR:
		sim_partition_stop(p, false, 1, "native backend: KVM internal error (suberror %u) at RIP 0x%" G_GINT64_MODIFIER "x",
		                   run->internal.suberror, (uint64_t)regs(kv)->rip);
		return SIM_RUN_ERROR;
	default:
		sim_partition_stop(p, false, 1, "native backend: unexpected KVM exit reason %u at RIP 0x%" G_GINT64_MODIFIER "x",
		                   run->exit_reason, (uint64_t)regs(kv)->rip);
		return SIM_RUN_ERROR;
	}
}

/* The late launch happened in the exit just handled: let KVM finish that
 * OUT on the old vCPU, then move to the new one (with the hypervisor's
 * CPUID leaves). Once per VP, so out of the exit loop's way. */
G_GNUC_NO_INLINE static bool after_late_launch(KvmVp *kv)
{
	if (kv->io_pending) {
		struct kvm_regs keep;
		kv->run->immediate_exit = 1;
		flush_regs(kv);
		ioctl(kv->fd, KVM_RUN, 0);
		kv->run->immediate_exit = 0;
		kv->io_pending = false;
		if (kvm_ioctl(kv->fd, KVM_GET_REGS, &keep) == 0)
			*regs(kv) = keep;
		kv->run->kvm_dirty_regs = 0;
	}
	kick_target(NULL);   /* the run page is about to be unmapped */
	bool respawned = vcpu_respawn(kv);
	kick_target(kv->run);
	return respawned;
}

/* ---- Running a VP for one slice ------------------------------------------------------------------
 * vp->pause_at (precise stepping) is not honoured: KVM cannot stop at a
 * chosen instruction boundary, so natively a step ends with the slice
 * (never SIM_RUN_PAUSED). */
SIM_HOT static SimRunResult kvm_vp_run(SimVp *vp, uint64_t until)
{
	KvmVp *kv = kv_of(vp);
	SimPartition *p = vp->partition;
	SimRunResult res = SIM_RUN_YIELD;

	if (!kv->scale_told && kv->time_scale > 1 && vp->index == 0)
		sim_vp_message(vp, "native: this partition's clock (reference time, synthetic timers) runs at host time / %" G_GUINT64_FORMAT
		               " (--time-scale %" G_GUINT64_FORMAT "): the nested CPU is emulated, so its guests' clock is slowed to match",
		               kv->time_scale, kv->time_scale);
	kv->scale_told = true;
	/* The budget is in the VP's clock (guest ns), the timer in host ns. */
	uint64_t host_budget = slice_host_ns(kv, until > vp->insns ? until - vp->insns : 1);
	uint64_t end = vp->insns + MAX(host_budget / kv->time_scale, 1);
	bool entered = false;
	if (!arm_timer(&kv->timer, &kv->timer_ok, &kv->timer_tid, host_budget)) {
		sim_partition_stop(p, false, 1, "native backend: cannot arm the slice timer: %s", g_strerror(errno));
		return SIM_RUN_ERROR;
	}
	kv->run->immediate_exit = 0;
	kick_target(kv->run);
	uint64_t last = now_ns();
	for (;;) {
		if (p->stopped) {
			res = SIM_RUN_STOPPED;
			break;
		}
		if (kv->cpuid_hv != p->hv_active && !after_late_launch(kv)) {
			res = SIM_RUN_ERROR;
			break;
		}
		if (!layout_memory(p, kv->vm)) {
			res = SIM_RUN_ERROR;
			break;
		}
		if (!vm_entry(kv)) {
			res = p->stopped ? SIM_RUN_STOPPED : SIM_RUN_ERROR;
			break;
		}
		uint64_t t = now_ns();
		charge_host_ns(kv, t - last);
		last = t;
		if (entered && vp->insns >= end)
			break;   /* the slice is used up (it always runs the guest once) */
		if (!flush_regs(kv)) {
			sim_partition_stop(p, false, 1, "native backend: KVM refused the registers: %s", g_strerror(errno));
			res = SIM_RUN_ERROR;
			break;
		}
		int r = ioctl(kv->fd, KVM_RUN, 0);
		int e = r != 0 ? errno : 0;   /* (errno is a library call: only when needed) */
		entered = true;
		kv->io_pending = false;
		after_run(kv);
		if (r != 0) {
			if (e == EINTR && kv->run->immediate_exit)
				break;      /* the slice timer's kick: the slice is over */
			if (e == EINTR || e == EAGAIN)
				continue;   /* another signal */
			sim_partition_stop(p, false, 1, "native backend: KVM_RUN failed: %s", g_strerror(e));
			res = SIM_RUN_ERROR;
			break;
		}
		res = handle_exit(kv);
		if (res != SIM_RUN_YIELD || !sim_vp_runnable(vp))
			break;   /* stopped, halted, or suspended for its parent */
	}
	charge_host_ns(kv, now_ns() - last);
	arm_timer(&kv->timer, &kv->timer_ok, &kv->timer_tid, 0);
	kick_target(NULL);
	kv->run->immediate_exit = 0;
	return res;
}

static bool kvm_deliver_interrupt(SimVp *vp, uint8_t vector)
{
	sim_vp_raise_vector(vp, vector);
	return true;
}

static size_t kvm_hypercall_stub(SimVp *vp, guint8 *buf, size_t cap, const char **text)
{
	return sim_kvm_hypercall_stub(buf, cap, text);
}

/* The page now holds the native sequence (hv-exit.c wrote it through
 * kvm_hypercall_stub); its slot becomes read-only at the next entry. */
static void kvm_hypercall_page_changed(SimVp *vp, uint64_t gpa, bool enabled)
{
	KvmVp *kv = kv_of(vp);
	memset(kv->decode, 0, sizeof kv->decode);
}

const SimBackendOps sim_backend_kvm = {
	.name = "native (KVM)",
	.vp_init = kvm_vp_init,
	.vp_fini = kvm_vp_fini,
	.vp_set_boot_state = kvm_set_boot_state,
	.reg_get = kvm_reg_get,
	.reg_set = kvm_reg_set,
	.regs_get = kvm_regs_get,
	.vp_run = kvm_vp_run,
	.vp_deliver_interrupt = kvm_deliver_interrupt,
	.hypercall_page_changed = kvm_hypercall_page_changed,
	.hypercall_stub = kvm_hypercall_stub,
	.measured_time = true,
};

/* ==== The capability probe ====================================================
 * A tiny long-mode guest that exercises what hvsim's guests need and a
 * paravirtual KVM may lack: ring 0 port I/O, IRETQ to ring 3, port I/O in
 * ring 3 (IOPL 3), INT 0x80 through the IDT with a stack switch from the
 * TSS, and HLT. Every step writes a port; kvm-exit.c judges the sequence.
 * Layout (GPA = linear, one 2 MiB user-accessible page):
 *   0x1000 GDT  0x2000 TSS (RSP0 0x9000)  0x3000 IDT  0x4000 PML4
 *   0x5000 PDPT  0x6000 PD  0x8000 ring 0 code  0x8100 ring 3 code
 *   0x8200 the INT 0x80 handler  0x7000 ring 3 stack  0xA000 ring 0 stack */
#define PROBE_GDT 0x1000u
#define PROBE_TSS 0x2000u
#define PROBE_IDT 0x3000u
#define PROBE_PML4 0x4000u
#define PROBE_CODE0 0x8000u
#define PROBE_CODE3 0x8100u
#define PROBE_HANDLER 0x8200u

static const guint8 probe_ring0[] = {
	0xB0, 0x11,                   /* mov al, 0x11 */
	0xE6, SIM_KVM_PROBE_PORT_STEP, /* out 0xE1, al: ring 0, long mode */
	0x6A, 0x1B,                   /* push 0x1B: SS, user data, RPL 3 */
	0x68, 0x00, 0x70, 0x00, 0x00, /* push 0x7000: RSP */
	0x68, 0x02, 0x30, 0x00, 0x00, /* push 0x3002: RFLAGS, IOPL 3 */
	0x6A, 0x23,                   /* push 0x23: CS, user code, RPL 3 */
	0x68, 0x00, 0x81, 0x00, 0x00, /* push 0x8100: RIP */
	0x48, 0xCF,                   /* iretq */
};
static const guint8 probe_ring3[] = {
	0xB0, 0x22,                   /* mov al, 0x22 */
	0xE6, SIM_KVM_PROBE_PORT_STEP, /* out 0xE1, al: ring 3 */
	0xCD, 0x80,                   /* int 0x80 */
	0xF4,                         /* hlt: #GP in ring 3 (not reached) */
};
static const guint8 probe_handler[] = {
	0xB0, 0x33,                   /* mov al, 0x33 */
	0xE6, SIM_KVM_PROBE_PORT_STEP, /* out 0xE1, al: in the handler */
	0x48, 0x8B, 0x44, 0x24, 0x08, /* mov rax, [rsp+8]: the pushed CS */
	0xE6, SIM_KVM_PROBE_PORT_CS,  /* out 0xE2, al */
	0x48, 0x89, 0xE0,             /* mov rax, rsp */
	0xE6, SIM_KVM_PROBE_PORT_RSP, /* out 0xE3, al */
	0xF4,                         /* hlt */
};

static void probe_build(guint8 *m)
{
	uint64_t gdt[7] = {
		0,
		0x00AF9A000000FFFFull,   /* 0x08 code, 64-bit, DPL 0 */
		0x00CF92000000FFFFull,   /* 0x10 data, DPL 0 */
		0x00CFF2000000FFFFull,   /* 0x18 data, DPL 3 */
		0x00AFFA000000FFFFull,   /* 0x20 code, 64-bit, DPL 3 */
		/* 0x28 64-bit TSS (busy) at PROBE_TSS, limit 0x67; high half 0 */
		0x67ull | ((uint64_t)PROBE_TSS << 16) | (0xBull << 40) | (1ull << 47),
		0,
	};
	memcpy(m + PROBE_GDT, gdt, sizeof gdt);
	uint64_t rsp0 = 0x9000;
	memcpy(m + PROBE_TSS + 4, &rsp0, sizeof rsp0);
	/* IDT entry 0x80: interrupt gate, DPL 3, CS 0x08, handler PROBE_HANDLER. */
	guint8 *g = m + PROBE_IDT + 0x80 * 16;
	g[0] = PROBE_HANDLER & 0xFF;
	g[1] = (PROBE_HANDLER >> 8) & 0xFF;
	g[2] = 0x08;
	g[5] = 0xEE;
	uint64_t pml4 = (PROBE_PML4 + 0x1000) | 7, pdpt = (PROBE_PML4 + 0x2000) | 7, pd = 0x87;
	memcpy(m + PROBE_PML4, &pml4, 8);
	memcpy(m + PROBE_PML4 + 0x1000, &pdpt, 8);
	memcpy(m + PROBE_PML4 + 0x2000, &pd, 8);
	memcpy(m + PROBE_CODE0, probe_ring0, sizeof probe_ring0);
	memcpy(m + PROBE_CODE3, probe_ring3, sizeof probe_ring3);
	memcpy(m + PROBE_HANDLER, probe_handler, sizeof probe_handler);
}

/* Is this a PVM host? Only for the message: the verdict is behavioural. */
static const char *pvm_hint(void)
{
	return g_file_test("/sys/module/kvm_pvm", G_FILE_TEST_EXISTS) ?
	       " (this host's /dev/kvm is PVM, a paravirtual KVM that cannot run unmodified guests: /sys/module/kvm_pvm exists)" : "";
}

static const struct { long cap; const char *name; } required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID (KVM_SET_CPUID2)" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	{ KVM_CAP_X86_USER_SPACE_MSR, "KVM_CAP_X86_USER_SPACE_MSR" },
	{ KVM_CAP_X86_MSR_FILTER, "KVM_CAP_X86_MSR_FILTER" },
	{ KVM_CAP_READONLY_MEM, "KVM_CAP_READONLY_MEM" },
};

/* Runs the probe guest in a VM of its own; steps recorded into `got`. */
static bool probe_run(int kvm_fd, SimKvmStep *got, guint *n, GString *why)
{
	bool ok = false;
	int vm = -1, fd = -1;
	struct kvm_run *run = MAP_FAILED;
	size_t run_size = 0;
	guint8 *mem = mmap(NULL, KVM_PROBE_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	timer_t timer;
	bool timer_ok = false;
	pid_t tid = 0;

	*n = 0;
	if (mem == MAP_FAILED) {
		g_string_append_printf(why, "cannot allocate the probe guest's memory: %s", g_strerror(errno));
		return false;
	}
	probe_build(mem);
	int sz = kvm_ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm = kvm_ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm < 0 || sz <= 0) {
		g_string_append_printf(why, "KVM_CREATE_VM failed: %s", g_strerror(errno));
		goto out;
	}
	run_size = (size_t)sz;
	kvm_ioctl(vm, KVM_SET_TSS_ADDR, 0xFFFBD000ul);
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = KVM_PROBE_MEM, .userspace_addr = (uint64_t)(uintptr_t)mem,
	};
	fd = kvm_ioctl(vm, KVM_CREATE_VCPU, 0ul);
	if (kvm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) != 0 || fd < 0) {
		g_string_append_printf(why, "KVM refused the probe VM's memory or vCPU: %s", g_strerror(errno));
		goto out;
	}
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	struct kvm_sregs s;
	struct kvm_regs r = { .rip = PROBE_CODE0, .rsp = 0xA000, .rflags = X86_RFLAGS_FIXED };
	if (run == MAP_FAILED || kvm_ioctl(fd, KVM_GET_SREGS, &s) != 0) {
		g_string_append_printf(why, "cannot set up the probe vCPU: %s", g_strerror(errno));
		goto out;
	}
	long_mode_sregs(&s, 0x80010033ull, PROBE_PML4, X86_CR4_PAE, X86_EFER_LME, PROBE_GDT, 7 * 8 - 1, 0x08, 0x10);
	s.tr.selector = 0x28;
	s.tr.base = PROBE_TSS;
	s.idt.base = PROBE_IDT;
	s.idt.limit = 256 * 16 - 1;
	if (kvm_ioctl(fd, KVM_SET_SREGS, &s) != 0 || kvm_ioctl(fd, KVM_SET_REGS, &r) != 0) {
		g_string_append_printf(why, "KVM refused the probe's long-mode state: %s", g_strerror(errno));
		goto out;
	}
	uint64_t deadline = now_ns() + KVM_PROBE_TIMEOUT_NS;
	kick_target(run);
	if (!arm_timer(&timer, &timer_ok, &tid, KVM_PROBE_TIMEOUT_NS)) {
		g_string_append_printf(why, "cannot arm the probe's timer: %s", g_strerror(errno));
		goto out;
	}
	ok = true;
	while (*n < KVM_PROBE_MAX_STEPS) {
		SimKvmStep *st = &got[*n];
		memset(st, 0, sizeof *st);
		if (now_ns() >= deadline) {
			st->kind = SIM_KVM_STEP_TIMEOUT;
			(*n)++;
			break;
		}
		if (ioctl(fd, KVM_RUN, 0) != 0) {
			if (errno == EINTR || errno == EAGAIN) {
				run->immediate_exit = 0;   /* the deadline is checked above */
				continue;
			}
			st->kind = SIM_KVM_STEP_ERROR;
			st->value = (uint64_t)errno;
			(*n)++;
			break;
		}
		bool last = true;
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 1) {
				st->kind = SIM_KVM_STEP_OUT;
				st->port = run->io.port;
				st->value = *((guint8 *)run + run->io.data_offset);
				last = false;
			} else {
				st->kind = SIM_KVM_STEP_OTHER;
				st->value = KVM_EXIT_IO;
			}
			break;
		case KVM_EXIT_HLT:            st->kind = SIM_KVM_STEP_HLT; break;
		case KVM_EXIT_SHUTDOWN:       st->kind = SIM_KVM_STEP_SHUTDOWN; break;
		case KVM_EXIT_INTERNAL_ERROR: st->kind = SIM_KVM_STEP_INTERNAL; st->value = run->internal.suberror; break;
		case KVM_EXIT_FAIL_ENTRY:
			st->kind = SIM_KVM_STEP_FAIL_ENTRY;
			st->value = run->fail_entry.hardware_entry_failure_reason;
			break;
		case KVM_EXIT_INTR:
			continue;
		default:
			st->kind = SIM_KVM_STEP_OTHER;
			st->value = run->exit_reason;
			break;
		}
		(*n)++;
		if (last)
			break;
	}
out:
	if (timer_ok)
		timer_delete(timer);
	kick_target(NULL);
	if (run != MAP_FAILED)
		munmap(run, run_size);
	if (fd >= 0)
		close(fd);
	if (vm >= 0)
		close(vm);
	munmap(mem, KVM_PROBE_MEM);
	return ok;
}

bool sim_kvm_probe(GString *reason)
{
	int kvm_fd = open(KVM_DEV, O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		int e = errno;
		if (e == ENOENT)
			g_string_append(reason, "there is no " KVM_DEV " on this host (no KVM: load kvm-intel or kvm-amd, or enable virtualization)");
		else if (e == EACCES || e == EPERM)
			g_string_append_printf(reason, "no permission to open " KVM_DEV " (%s): run as a member of its group (usually kvm)",
			                       g_strerror(e));
		else
			g_string_append_printf(reason, "cannot open " KVM_DEV ": %s", g_strerror(e));
		return false;
	}
	bool ok = false;
	int api = kvm_ioctl(kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		g_string_append_printf(reason, KVM_DEV " speaks KVM API version %d, hvsim needs %d", api, KVM_API_VERSION);
		goto out;
	}
	for (guint i = 0; i < G_N_ELEMENTS(required_caps); i++) {
		if (kvm_ioctl(kvm_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			g_string_append_printf(reason, "KVM on this host lacks %s, which the native backend needs%s",
			                       required_caps[i].name, pvm_hint());
			goto out;
		}
	}
	SimKvmStep got[KVM_PROBE_MAX_STEPS];
	guint n = 0;
	GString *why = g_string_new(NULL);
	if (!probe_run(kvm_fd, got, &n, why)) {
		g_string_append_printf(reason, "the probe guest could not be set up: %s%s", why->str, pvm_hint());
	} else if (!sim_kvm_probe_judge(got, n, why)) {
		g_string_append_printf(reason, "%s%s", why->str, pvm_hint());
	} else {
		ok = true;
	}
	g_string_free(why, TRUE);
out:
	close(kvm_fd);
	return ok;
}

/* ==== A bare KVM_RUN loop, the benchmark's baseline ===========================
 * The same guest code hvsim runs, in flat memory with the same boot state,
 * and a loop that only counts port writes (until the power-off write). */
struct SimKvmBare {
	SimMemory mem;
	int kvm_fd, vm, fd;
	struct kvm_run *run;
	size_t run_size;
	bool powered_off;
};

void sim_kvm_bare_free(SimKvmBare *b)
{
	if (!b)
		return;
	if (b->run != MAP_FAILED)
		munmap(b->run, b->run_size);
	if (b->fd >= 0)
		close(b->fd);
	if (b->vm >= 0)
		close(b->vm);
	if (b->kvm_fd >= 0)
		close(b->kvm_fd);
	sim_memory_fini(&b->mem);
	g_free(b);
}

SimKvmBare *sim_kvm_bare_new(const guint8 *image, gsize len, GError **error)
{
	SimImageInfo img;
	SimKvmBare *b = g_new0(SimKvmBare, 1);
	b->kvm_fd = b->vm = b->fd = -1;
	b->run = MAP_FAILED;
	if (!sim_memory_init(&b->mem, 4ull << 20, error)) {
		g_free(b);
		return NULL;
	}
	if (!sim_elf_load(&b->mem, image, len, "bench", HVSIM_IMAGE_MIN_GPA, &img, error))
		goto fail;
	/* The loader's boot page tables and GDT (docs/guest-abi.md). */
	uint64_t gdt[3] = { 0, 0x00AF9A000000FFFFull, 0x00CF92000000FFFFull };
	uint64_t pml4 = 0x4003, pdpt = 0x5003, pd0 = 0x83, pd1 = 0x200083;
	sim_memory_write(&b->mem, 0x2000, gdt, sizeof gdt);
	sim_memory_write(&b->mem, 0x3000, &pml4, 8);
	sim_memory_write(&b->mem, 0x4000, &pdpt, 8);
	sim_memory_write(&b->mem, 0x5000, &pd0, 8);
	sim_memory_write(&b->mem, 0x5008, &pd1, 8);
	b->kvm_fd = open(KVM_DEV, O_RDWR | O_CLOEXEC);
	b->vm = b->kvm_fd >= 0 ? kvm_ioctl(b->kvm_fd, KVM_CREATE_VM, 0) : -1;
	if (b->vm < 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "bare KVM: cannot create a VM: %s", g_strerror(errno));
		goto fail;
	}
	b->run_size = (size_t)kvm_ioctl(b->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	kvm_ioctl(b->vm, KVM_SET_TSS_ADDR, 0xFFFBD000ul);
	struct kvm_userspace_memory_region region = {
		.slot = 0, .memory_size = b->mem.size, .userspace_addr = (uint64_t)(uintptr_t)b->mem.host,
	};
	b->fd = kvm_ioctl(b->vm, KVM_CREATE_VCPU, 0ul);
	if (kvm_ioctl(b->vm, KVM_SET_USER_MEMORY_REGION, &region) != 0 || b->fd < 0 ||
	    (b->run = mmap(NULL, b->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0)) == MAP_FAILED) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "bare KVM: cannot set up the vCPU: %s", g_strerror(errno));
		goto fail;
	}
	struct kvm_sregs s;
	struct kvm_regs r = { .rip = img.entry, .rsp = 0x8000, .rdi = 0x1000, .rflags = X86_RFLAGS_FIXED };
	kvm_ioctl(b->fd, KVM_GET_SREGS, &s);
	long_mode_sregs(&s, 0x80010033ull, 0x3000, X86_CR4_PAE, X86_EFER_LME, 0x2000, 0x17, 0x08, 0x10);
	if (kvm_ioctl(b->fd, KVM_SET_SREGS, &s) != 0 || kvm_ioctl(b->fd, KVM_SET_REGS, &r) != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "bare KVM: boot state refused: %s", g_strerror(errno));
		goto fail;
	}
	return b;
fail:
	sim_kvm_bare_free(b);
	return NULL;
}

bool sim_kvm_bare_run(SimKvmBare *b, uint64_t n, uint64_t *done, uint64_t *first_ns, uint64_t *last_ns, GError **error)
{
	*done = *first_ns = *last_ns = 0;
	while (*done < n && !b->powered_off) {
		if (ioctl(b->fd, KVM_RUN, 0) != 0) {
			if (errno == EINTR)
				continue;
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "bare KVM: KVM_RUN failed: %s", g_strerror(errno));
			return false;
		}
		if (b->run->exit_reason != KVM_EXIT_IO) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "bare KVM: unexpected exit %u", b->run->exit_reason);
			return false;
		}
		if (b->run->io.port == HVSIM_PORT_POWER) {
			b->powered_off = true;
			break;
		}
		*last_ns = now_ns();
		if (!(*done)++)
			*first_ns = *last_ns;
	}
	return true;
}

bool sim_kvm_bare_io_loop(const guint8 *image, gsize len, uint64_t warmup, uint64_t *exits, double *seconds,
                          GError **error)
{
	SimKvmBare *b = sim_kvm_bare_new(image, len, error);
	if (!b)
		return false;
	uint64_t n = 0, first = 0, last = 0;
	bool ok = (!warmup || sim_kvm_bare_run(b, warmup, &n, &first, &last, error)) &&
	          sim_kvm_bare_run(b, UINT64_MAX, &n, &first, &last, error);
	sim_kvm_bare_free(b);
	if (ok && n < 2) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "bare KVM: the guest made %" G_GUINT64_FORMAT " port writes", n);
		ok = false;
	}
	if (ok) {
		*exits = n - 1;
		*seconds = (double)(last - first) / 1e9;
	}
	return ok;
}
