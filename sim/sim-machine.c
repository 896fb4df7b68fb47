/* sim-machine.c — the machine: partitions, their loader-built boot state,
 * and the deterministic scheduler that runs virtual processors in time
 * slices counted in guest instructions. Sim thread. */
#include <string.h>

#include "backend-kvm.h"
#include "hv-tlfs.h"
#include "hvsim-platform.h"
#include "sim-private.h"
#include "sim-snapshot.h"
#include "x86-arch.h"

const char *sim_vendor_name(SimVendor v)
{
	return v == SIM_VENDOR_AMD ? "amd" : "intel";
}

const char *sim_vendor_hypervisor(SimVendor v)
{
	return v == SIM_VENDOR_AMD ? "hvax64" : "hvix64";
}

SimMachine *sim_machine_new(const SimConfig *config, GError **error)
{
	SimMachine *m = g_new0(SimMachine, 1);
	m->config = *config;
	if (!m->config.max_insns)
		m->config.max_insns = SIM_DEFAULT_MAX_INSNS;
	if (!m->config.memory_size)
		m->config.memory_size = SIM_DEFAULT_MEMORY_SIZE;
	if (!m->config.stuck_slices)
		m->config.stuck_slices = 5;
	m->events = sim_event_bus_new();
	m->partitions = g_ptr_array_new();
	m->children = g_ptr_array_new();
	m->next_partition_id = 1;   /* 0 is HV_PARTITION_ID_INVALID */
	m->pause_total = UINT64_MAX;
	m->addr_bps = g_array_new(FALSE, FALSE, sizeof(SimAddrBreakpoint));
	m->backend = &sim_backend_unicorn;
	if (config->backend == SIM_BACKEND_KVM) {
		/* Native mode only where the capability probe passes; otherwise
		 * the emulator, and the reason is kept for the caller to show. */
		GString *reason = g_string_new(NULL);
		if (sim_kvm_probe(reason)) {
			m->backend = &sim_backend_kvm;
			/* Natively the limit counts measured nanoseconds of the
			 * guests' clock: by default 300 s of host time. */
			if (!config->max_insns)
				m->config.max_insns = SIM_NATIVE_DEFAULT_LIMIT_NS / MAX(config->native_time_scale, 1u);
		} else
			m->backend_fallback = g_strdup(reason->str);
		g_string_free(reason, TRUE);
	}
	m->measured_time = m->backend->measured_time;
	return m;
}

gboolean sim_machine_backend_native(const SimMachine *m)
{
	return m->backend == &sim_backend_kvm;
}

const char *sim_machine_backend_fallback(const SimMachine *m)
{
	return m->backend_fallback;
}

const char *sim_backend_kind_name(SimBackendKind k)
{
	return k == SIM_BACKEND_KVM ? "kvm" : "emulated";
}

void sim_vp_free(SimVp *vp)
{
	vp->partition->freed_vp_insns += vp->insns;
	if (vp->backend)
		vp->partition->machine->backend->vp_fini(vp);
	if (vp->vmcs)
		vmx_vmcs_free(vp->vmcs);
	g_free(vp);
}

static void partition_free(SimPartition *p)
{
	for (guint i = 0; i < p->vps->len; i++)
		sim_vp_free(g_ptr_array_index(p->vps, i));
	g_ptr_array_free(p->vps, TRUE);
	for (guint i = 0; i < p->devices->len; i++) {
		SimDevice *d = g_ptr_array_index(p->devices, i);
		if (d->ops->free)
			d->ops->free(d);
		g_free(d);
	}
	g_ptr_array_free(p->devices, TRUE);
	sim_ports_free(p->ports);
	sim_symtab_unref(p->symtab);
	sim_memory_fini(&p->mem);
	g_string_free(p->console, TRUE);
	g_string_free(p->console_line, TRUE);
	g_free(p->name);
	g_free(p->image_name);
	g_free(p->stop_reason);
	g_free(p->hcpage_saved);
	g_free(p);
}

void sim_machine_free(SimMachine *m)
{
	if (!m)
		return;
	/* Children first: their bookkeeping points into their partitions. */
	sim_machine_children_free(m);
	for (guint i = 0; i < m->partitions->len; i++)
		partition_free(g_ptr_array_index(m->partitions, i));
	g_ptr_array_free(m->partitions, TRUE);
	sim_event_bus_free(m->events);
	g_array_unref(m->addr_bps);
	sim_vmbus_inspect_free(m->vmbus);
	sim_symtab_unref(m->child_symtab);
	g_free(m->outcome_message);
	g_free(m->backend_fallback);
	g_free(m);
}

SimEventBus *sim_machine_events(SimMachine *m) { return m->events; }
const SimConfig *sim_machine_config(const SimMachine *m) { return &m->config; }
uint64_t sim_machine_insns(const SimMachine *m) { return m->total_insns; }
guint sim_machine_n_partitions(const SimMachine *m) { return m->partitions->len; }
SimPartition *sim_machine_find_partition(SimMachine *m, uint64_t id)
{
	for (guint i = 0; i < m->partitions->len; i++) {
		SimPartition *p = g_ptr_array_index(m->partitions, i);
		if (p->id == id && !p->deleted)
			return p;
	}
	return NULL;
}

SimPartition *sim_machine_partition(SimMachine *m, guint i)
{
	return i < m->partitions->len ? g_ptr_array_index(m->partitions, i) : NULL;
}
const char *sim_partition_name(const SimPartition *p) { return p->name; }
uint32_t sim_partition_id(const SimPartition *p) { return p->id; }
const char *sim_partition_console(const SimPartition *p) { return p->console->str; }
uint32_t sim_partition_parent(const SimPartition *p) { return p->parent_id; }

uint64_t sim_partition_insns(const SimPartition *p)
{
	uint64_t n = p->freed_vp_insns;
	for (guint i = 0; i < p->vps->len; i++)
		n += ((const SimVp *)g_ptr_array_index(p->vps, i))->insns;
	return n;
}
const char *sim_partition_stop_reason(const SimPartition *p) { return p->stop_reason; }
gboolean sim_partition_stopped_cleanly(const SimPartition *p) { return p->stopped && p->stop_clean; }

SimVp *sim_partition_vp(SimPartition *p, uint32_t index)
{
	for (guint i = 0; i < p->vps->len; i++) {
		SimVp *vp = g_ptr_array_index(p->vps, i);
		if (vp->index == index)
			return vp;
	}
	return NULL;
}
const char *sim_machine_outcome_message(const SimMachine *m)
{
	return m->outcome_message ? m->outcome_message : "";
}

uint64_t sim_machine_vtime(const SimMachine *m)
{
	uint64_t t = 0;
	for (guint i = 0; i < m->partitions->len; i++) {
		SimPartition *p = g_ptr_array_index(m->partitions, i);
		for (guint j = 0; j < p->vps->len; j++)
			t = MAX(t, sim_vp_vtime(g_ptr_array_index(p->vps, j)));
	}
	return t;
}

/* ---- Events ------------------------------------------------------------------ */

SIM_HOT void sim_vp_emit(SimVp *vp, SimEvent *ev)
{
	ev->partition = vp->partition->id;
	ev->vp = vp->index;
	ev->vtime = sim_vp_vtime(vp);
	sim_event_bus_emit(vp->partition->machine->events, ev);
}

static void partition_emit(SimPartition *p, SimEvent *ev)
{
	if (p->vps->len) {
		sim_vp_emit(g_ptr_array_index(p->vps, 0), ev);
	} else {
		ev->partition = p->id;
		sim_event_bus_emit(p->machine->events, ev);
	}
}

void sim_vp_boot_event(SimVp *vp, SimBootStage stage, const char *fmt, ...)
{
	SimEvent ev;
	va_list ap;
	sim_event_init(&ev, SIM_EV_BOOT);
	ev.u.boot.stage = (uint8_t)stage;
	ev.u.boot.hypervisor = vp->partition->hv_active;
	va_start(ap, fmt);
	g_vsnprintf(ev.text, sizeof ev.text, fmt, ap);
	va_end(ap);
	sim_vp_emit(vp, &ev);
}

void sim_vp_message(SimVp *vp, const char *fmt, ...)
{
	SimEvent ev;
	sim_event_init(&ev, SIM_EV_MESSAGE);
	va_list ap;
	va_start(ap, fmt);
	g_vsnprintf(ev.text, sizeof ev.text, fmt, ap);
	va_end(ap);
	sim_vp_emit(vp, &ev);
}

void sim_partition_console_flush(SimPartition *p, SimVp *vp)
{
	if (p->console_line->len == 0)
		return;
	SimEvent ev;
	sim_event_init(&ev, SIM_EV_CONSOLE);
	g_strlcpy(ev.text, p->console_line->str, sizeof ev.text);
	if (vp)
		sim_vp_emit(vp, &ev);
	else
		partition_emit(p, &ev);
	g_string_truncate(p->console_line, 0);
}

void sim_partition_console_putc(SimPartition *p, SimVp *vp, char c)
{
	/* Bytes a guest prints are untrusted: keep printable ASCII and tabs,
	 * show anything else as '?', so terminals and traces stay sane. */
	if (c == '\r')
		return;
	if (c != '\n' && c != '\t' && (c < 0x20 || c > 0x7E))
		c = '?';
	g_string_append_c(p->console, c);
	if (c == '\n') {
		sim_partition_console_flush(p, vp);
		return;
	}
	g_string_append_c(p->console_line, c);
	if (p->console_line->len >= SIM_EVENT_TEXT_MAX - 1)
		sim_partition_console_flush(p, vp);
}

void sim_partition_stop(SimPartition *p, bool clean, int status, const char *fmt, ...)
{
	if (p->stopped)
		return;
	va_list ap;
	va_start(ap, fmt);
	g_free(p->stop_reason);
	p->stop_reason = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	sim_partition_console_flush(p, NULL);
	p->stopped = true;
	p->running = false;
	p->stop_clean = clean;
	p->stop_status = status;
	SimEvent ev;
	sim_event_init(&ev, SIM_EV_PARTITION_STOP);
	ev.u.stop.clean = clean;
	ev.u.stop.status = status;
	g_strlcpy(ev.text, p->stop_reason, sizeof ev.text);
	partition_emit(p, &ev);
	/* The machine goes down with the partition that runs the hypervisor's
	 * parent: its children cannot outlive it. */
	SimMachine *m = p->machine;
	for (guint i = 0; i < m->partitions->len; i++) {
		SimPartition *c = g_ptr_array_index(m->partitions, i);
		if (c->parent_id == p->id && !c->stopped)
			sim_partition_stop(c, true, 0, "its parent partition %u stopped", p->id);
	}
}

/* ---- Loading a partition ------------------------------------------------------ */

/* The boot structures the loader builds below HVSIM_IMAGE_MIN_GPA: a flat
 * GDT, identity-mapping page tables and the boot info (docs/guest-abi.md). */
static void build_boot_area(SimPartition *p, const SimImageInfo *img, SimBootState *st)
{
	SimMachine *m = p->machine;
	const uint64_t gdt[3] = {
		0,
		0x00AF9A000000FFFFull, /* 0x08: 64-bit code, DPL 0, present, L=1 */
		0x00CF92000000FFFFull, /* 0x10: data, DPL 0, writable */
	};
	sim_memory_write(&p->mem, HVSIM_BOOT_GDT_GPA, gdt, sizeof gdt);

	/* PML4[0] -> PDPT[0] -> one PD of 2 MiB pages: P | RW | PS. */
	uint64_t e = HVSIM_BOOT_PDPT_GPA | 0x3;
	sim_memory_write(&p->mem, HVSIM_BOOT_PML4_GPA, &e, 8);
	e = HVSIM_BOOT_PD_GPA | 0x3;
	sim_memory_write(&p->mem, HVSIM_BOOT_PDPT_GPA, &e, 8);
	uint64_t limit = MIN(p->mem.size, HVSIM_BOOT_IDENTITY_LIMIT);
	for (uint64_t i = 0; i * (2ull << 20) < limit; i++) {
		e = (i * (2ull << 20)) | 0x83;
		sim_memory_write(&p->mem, HVSIM_BOOT_PD_GPA + 8 * i, &e, 8);
	}

	struct hvsim_boot_info bi;
	memset(&bi, 0, sizeof bi);
	bi.magic = HVSIM_BOOT_MAGIC;
	bi.version = HVSIM_BOOT_VERSION;
	bi.flags = (m->config.quiet_guest ? HVSIM_BOOT_FLAG_QUIET : 0) |
	           (p->hv_active ? 0 : HVSIM_BOOT_FLAG_LATE_LAUNCH) |
	           (m->config.bad_input ? HVSIM_BOOT_FLAG_BAD_INPUT : 0);
	bi.memory_size = p->mem.size;
	bi.image_start = img->lowest;
	bi.image_end = img->highest;
	bi.workload = m->config.workload;
	bi.hypercall_loops = m->config.hypercall_loops;
	bi.partition_id = p->id;
	bi.vp_index = 0;
	g_strlcpy(bi.cmdline, p->name, sizeof bi.cmdline);
	sim_memory_write(&p->mem, HVSIM_BOOT_INFO_GPA, &bi, sizeof bi);

	memset(st, 0, sizeof *st);
	st->rip = img->entry;
	st->rsp = HVSIM_BOOT_STACK_TOP;
	st->rdi = HVSIM_BOOT_INFO_GPA;
	st->rflags = HVSIM_BOOT_RFLAGS;
	st->cr0 = HVSIM_BOOT_CR0;
	st->cr3 = HVSIM_BOOT_PML4_GPA;
	st->cr4 = HVSIM_BOOT_CR4;
	st->efer = HVSIM_BOOT_EFER;
	st->gdt_base = HVSIM_BOOT_GDT_GPA;
	st->gdt_limit = sizeof gdt - 1;
	st->cs = HVSIM_BOOT_SEL_CODE64;
	st->ds = HVSIM_BOOT_SEL_DATA;
}

SimPartition *sim_partition_new(SimMachine *m, uint32_t id, const char *name, const char *image_name)
{
	SimPartition *p = g_new0(SimPartition, 1);
	p->machine = m;
	p->id = id;
	p->name = g_strdup(name);
	p->image_name = g_strdup(image_name);
	p->vps = g_ptr_array_new();
	p->devices = g_ptr_array_new();
	p->console = g_string_new(NULL);
	p->console_line = g_string_new(NULL);
	/* What this partition may do (CPUID 0x40000003 EAX/EBX, facts §1.3):
	 * a guest's rights; late launch makes the OS the root (hv-exit.c). */
	p->privileges = SIM_PRIV_GUEST;
	return p;
}

SimVp *sim_vp_new(SimPartition *p, uint32_t index, GError **error)
{
	SimVp *vp = g_new0(SimVp, 1);
	vp->partition = p;
	vp->index = index;
	vp->pause_at = UINT64_MAX;
	vp->pending_vector = -1;   /* and pending[] all clear: nothing requested */
	sim_synic_reset(vp);
	vp->vmcs = vmx_vmcs_new();
	if (!vp->vmcs) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "out of memory for a VMCS");
		sim_vp_free(vp);
		return NULL;
	}
	sim_hv_setup_vmcs(vp);
	if (!p->machine->backend->vp_init(vp, error)) {
		sim_vp_free(vp);
		return NULL;
	}
	return vp;
}

/* Where the loader puts the child image in a parent's RAM: the top pages,
 * above the kernel image. 0 if it does not fit. */
static uint64_t child_image_place(const SimPartition *p, const SimImageInfo *img, gsize len)
{
	uint64_t limit = MIN(p->mem.size, HVSIM_BOOT_IDENTITY_LIMIT);
	uint64_t need = ((uint64_t)len + 0xFFF) & ~0xFFFull;
	if (len == 0 || need > limit || limit - need < img->highest)
		return 0;
	return limit - need;
}

SimPartition *sim_machine_add_partition(SimMachine *m, const char *name, const guint8 *image,
                                        gsize image_len, const char *image_name, GError **error)
{
	SimImageInfo img;
	SimBootState st;
	SimPartition *p = sim_partition_new(m, (uint32_t)sim_machine_alloc_partition_id(m), name, image_name);
	p->hv_active = !m->config.late_launch;

	/* The product's limits come first: they are the lesson (sim-profile.c). */
	if (!sim_profile_check_memory(m->config.profile, m->config.memory_size, error) ||
	    !sim_profile_check_image(m->config.profile, image, image_len, image_name, error))
		goto fail;
	if (!sim_memory_init(&p->mem, m->config.memory_size, error))
		goto fail;
	if (!sim_elf_load(&p->mem, image, image_len, image_name, HVSIM_IMAGE_MIN_GPA, &img, error))
		goto fail;
	/* Its symbols, once, for the GUI's disassembly (sim-symtab.c); and the
	 * child image's, which the worker loads at the ELF's own addresses. */
	p->symtab = sim_symtab_new_from_elf(image, image_len);
	if (m->config.child_image && m->config.late_launch && !m->child_symtab)
		m->child_symtab = sim_symtab_new_from_elf(m->config.child_image, m->config.child_image_len);
	g_ptr_array_add(p->devices, sim_uart_new(p, HVSIM_PORT_COM1));
	g_ptr_array_add(p->devices, sim_power_new(p, HVSIM_PORT_POWER));
	SimDevice *ata_cmd, *ata_ctrl;
	sim_ata_new(p, SIM_DISK_SIZE, &ata_cmd, &ata_ctrl);
	g_ptr_array_add(p->devices, ata_cmd);
	g_ptr_array_add(p->devices, ata_ctrl);

	SimVp *vp = sim_vp_new(p, 0, error);
	if (!vp)
		goto fail;
	g_ptr_array_add(p->vps, vp);
	build_boot_area(p, &img, &st);
	if (m->config.child_image && m->config.late_launch) {
		/* The disk the worker process reads its child OS from: the loader
		 * puts the image in the parent's RAM (boot info child_image_*). */
		uint64_t at = child_image_place(p, &img, m->config.child_image_len);
		if (!at) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
			            "child image %s (%" G_GSIZE_FORMAT " bytes) does not fit in the parent's memory above its own image (ends at 0x%" G_GINT64_MODIFIER "x, %" G_GUINT64_FORMAT " MiB of RAM): use a larger --memory",
			            m->config.child_image_name ? m->config.child_image_name : "(child)",
			            m->config.child_image_len, img.highest, p->mem.size >> 20);
			goto fail;
		}
		struct hvsim_boot_info bi;
		sim_memory_write(&p->mem, at, m->config.child_image, m->config.child_image_len);
		sim_memory_read(&p->mem, HVSIM_BOOT_INFO_GPA, &bi, sizeof bi);
		bi.child_image_start = at;
		bi.child_image_size = m->config.child_image_len;
		bi.child_flags = m->config.child_triple_fault ? HVSIM_BOOT_FLAG_TRIPLE_FAULT : 0;
		sim_memory_write(&p->mem, HVSIM_BOOT_INFO_GPA, &bi, sizeof bi);
	}
	if (!m->backend->vp_set_boot_state(vp, &st, error))
		goto fail;
	g_ptr_array_add(m->partitions, p);
	return p;

fail:
	partition_free(p);
	return NULL;
}

/* ---- Scheduler ------------------------------------------------------------------- */

static uint64_t state_hash(SimVp *vp)
{
	const SimBackendOps *be = vp->partition->machine->backend;
	uint64_t h = 1469598103934665603ull;
	for (int r = SIM_REG_RAX; r <= SIM_REG_RFLAGS; r++) {
		h ^= be->reg_get(vp, (SimReg)r);
		h *= 1099511628211ull;
	}
	return h;
}

void sim_vp_start(SimVp *vp)
{
	SimPartition *p = vp->partition;
	if (!p->running && !p->stopped) {
		SimEvent ev;
		sim_event_init(&ev, SIM_EV_PARTITION_START);
		g_snprintf(ev.text, sizeof ev.text, "%s (%s), child of partition %u", p->name, p->image_name,
		           p->parent_id);
		sim_vp_emit(vp, &ev);
		p->running = true;
	}
	SimEvent ve;
	sim_event_init(&ve, SIM_EV_VP_START);
	g_snprintf(ve.text, sizeof ve.text, "VP %u", vp->index);
	sim_vp_emit(vp, &ve);
	vp->started = true;
}

static void partition_start(SimPartition *p)
{
	SimMachine *m = p->machine;
	SimEvent ev;
	sim_event_init(&ev, SIM_EV_PARTITION_START);
	g_snprintf(ev.text, sizeof ev.text, "%s (%s, %s flavour)", p->name, p->image_name,
	           sim_vendor_hypervisor(m->config.vendor));
	partition_emit(p, &ev);
	if (!p->hv_active && p->vps->len)
		sim_vp_boot_event(g_ptr_array_index(p->vps, 0), SIM_BOOT_POWER_ON,
		                  "power on: no hypervisor yet; the OS boots on the bare %s CPU (%s)",
		                  m->config.vendor == SIM_VENDOR_AMD ? "AMD" : "Intel",
		                  m->config.no_virtualization ? "without hardware virtualization" :
		                  m->config.vendor == SIM_VENDOR_AMD ? "with AMD-V" : "with VT-x");
	for (guint i = 0; i < p->vps->len; i++) {
		SimVp *vp = g_ptr_array_index(p->vps, i);
		SimEvent ve;
		sim_event_init(&ve, SIM_EV_VP_START);
		g_snprintf(ve.text, sizeof ve.text, "VP %u", vp->index);
		sim_vp_emit(vp, &ve);
		vp->started = true;
	}
	p->running = true;
}

static void set_outcome(SimMachine *m, SimOutcome o, const char *fmt, ...)
{
	va_list ap;
	m->outcome = o;
	g_free(m->outcome_message);
	va_start(ap, fmt);
	m->outcome_message = g_strdup_vprintf(fmt, ap);
	va_end(ap);
}

uint64_t sim_vp_timer_deadline(SimVp *vp)
{
	if (!vp->stimer0.armed)
		return UINT64_MAX;
	uint64_t expiry_ns = vp->stimer0.expiry * HV_TIME_UNIT_NS;
	if (expiry_ns <= sim_vp_vtime(vp))
		return vp->insns;
	return vp->insns + (expiry_ns - sim_vp_vtime(vp)) / SIM_COST_INSN_NS;
}

typedef enum SliceResult {
	SLICE_IDLE,     /* the VP could not run */
	SLICE_RAN,      /* it ran its slice */
	SLICE_PAUSED,   /* it stopped inside its slice (m->pause_*); run_vp continues it */
} SliceResult;

/* Where a paused step stops the VP: m->pause_now stops it at the next
 * instruction boundary, m->pause_total when the machine's count reaches it. */
static uint64_t pause_point(const SimMachine *m, const SimVp *vp)
{
	if (m->pause_now)
		return 0;
	if (m->pause_total == UINT64_MAX)
		return UINT64_MAX;
	return vp->insns + (m->pause_total - MIN(m->pause_total, m->total_insns));
}

/* Runs one VP for one slice, or the rest of the slice it paused in. */
static SliceResult run_vp(SimMachine *m, SimVp *vp)
{
	SimPartition *p = vp->partition;

	if (!vp->slice_open) {
		if (!sim_vp_runnable(vp))
			return SLICE_IDLE;
		if (vp->halted) {
			if (vp->pending_vector < 0)
				return SLICE_IDLE;
			vp->halted = false;
		}
		uint64_t until = vp->insns + SIM_SLICE_INSNS;
		until = MIN(until, MAX(sim_vp_timer_deadline(vp), vp->insns + 1));
		uint64_t budget_left = m->config.max_insns - MIN(m->total_insns, m->config.max_insns);
		until = MIN(until, vp->insns + budget_left);
		vp->slice_until = until;
		vp->slice_insns0 = vp->insns;
		vp->slice_vtime0 = sim_vp_vtime(vp);
		vp->slice_exits0 = vp->exits;
	}

	uint64_t ran_from = vp->insns;
	vp->pause_at = pause_point(m, vp);
	m->running_vp = vp;
	SimRunResult r = m->backend->vp_run(vp, vp->slice_until);
	m->running_vp = NULL;
	vp->pause_at = UINT64_MAX;
	m->total_insns += vp->insns - ran_from;
	vp->slice_open = r == SIM_RUN_PAUSED;
	if (r == SIM_RUN_PAUSED)
		return SLICE_PAUSED;
	uint64_t before = vp->slice_insns0;
	if (r == SIM_RUN_ERROR) {
		/* The simulator itself failed (the partition has been stopped with
		 * the emulator's message): not the guest's doing. */
		set_outcome(m, SIM_OUTCOME_HOST_ERROR, "partition %u (%s): %s", p->id, p->name,
		            p->stop_reason ? p->stop_reason : "CPU backend failure");
	}
	sim_vp_hv_timer_check(vp);

	if (r == SIM_RUN_YIELD && !p->stopped) {
		/* Stuck detection: the same architectural state at the end of
		 * several consecutive full slices means a loop that changes
		 * nothing (a "jmp $"). */
		uint64_t h = state_hash(vp);
		/* Natively a slice tends to end right after an exit (an exit
		 * round trip can outlast it under a nested KVM), so a loop of
		 * identical hypercalls would look stuck: there a slice that
		 * reached the hypervisor is progress. */
		bool exited = m->backend->measured_time && vp->exits != vp->slice_exits0;
		if (h == vp->last_state_hash && vp->insns - before >= SIM_SLICE_INSNS / 2 && !exited)
			vp->same_state_slices++;
		else
			vp->same_state_slices = 0;
		vp->last_state_hash = h;
		if (vp->same_state_slices >= m->config.stuck_slices) {
			uint64_t rip = m->backend->reg_get(vp, SIM_REG_RIP);
			/* A child that runs wild is ended alone and its parent told;
			 * a partition the simulator loaded ends the run. */
			if (p->parent_id)
				sim_hv_child_unrecoverable(vp, "stuck in a loop: ended by the hypervisor", false);
			sim_partition_stop(p, false, 6,
			                   "guest stuck in a loop at RIP 0x%" G_GINT64_MODIFIER "x: %" G_GUINT64_FORMAT " instructions without any change of state",
			                   rip, vp->same_state_slices * SIM_SLICE_INSNS);
			if (!p->parent_id)
				set_outcome(m, SIM_OUTCOME_STUCK, "partition %u (%s): %s", p->id, p->name, p->stop_reason);
		}
	}
	return SLICE_RAN;
}

/* All runnable VPs are idle in HLT: advance virtual time to the earliest
 * timer and fire it. False if nothing can ever wake any VP. */
static bool idle_until_next_timer(SimMachine *m)
{
	SimVp *first = NULL;
	for (guint i = 0; i < m->partitions->len; i++) {
		SimPartition *p = g_ptr_array_index(m->partitions, i);
		if (p->stopped)
			continue;
		for (guint j = 0; j < p->vps->len; j++) {
			SimVp *vp = g_ptr_array_index(p->vps, j);
			if (vp->halted && sim_vp_runnable(vp) && vp->stimer0.armed &&
			    (!first || vp->stimer0.expiry < first->stimer0.expiry))
				first = vp;
		}
	}
	if (!first)
		return false;
	uint64_t expiry_ns = first->stimer0.expiry * HV_TIME_UNIT_NS;
	if (expiry_ns > sim_vp_vtime(first))
		first->extra_ns += expiry_ns - sim_vp_vtime(first);
	sim_vp_hv_timer_check(first);
	return true;
}

/* The machine has one logical processor: while some VPs ran, time passed
 * for the VPs idle in HLT or waiting on an intercept too. Their clocks move on by what the others
 * used, and their timers fire on time (a parent waiting with a timeout for
 * a child that never answers wakes up). */
static void age_idle_vps(SimMachine *m, uint64_t elapsed)
{
	if (!elapsed)
		return;
	for (guint i = 0; i < m->partitions->len; i++) {
		SimPartition *p = g_ptr_array_index(m->partitions, i);
		if (p->stopped)
			continue;
		for (guint j = 0; j < p->vps->len; j++) {
			SimVp *vp = g_ptr_array_index(p->vps, j);
			/* Not its own slice: only what the others used. */
			uint64_t others = elapsed - MIN(vp->round_ns, elapsed);
			/* Waiting in HLT, or for its parent to complete an
			 * intercept: either way the time passes for it. */
			bool waiting = (vp->halted && sim_vp_runnable(vp)) ||
			               (vp->started && vp->intercept_suspend && !vp->explicit_suspend);
			if (!waiting || !others)
				continue;
			vp->extra_ns += others;
			sim_vp_hv_timer_check(vp);
		}
	}
}

SimOutcome sim_machine_start(SimMachine *m)
{
	g_return_val_if_fail(m != NULL, SIM_OUTCOME_HOST_ERROR);
	g_return_val_if_fail(!m->started, m->outcome);

	m->started = true;
	for (guint i = 0; i < m->partitions->len; i++)
		partition_start(g_ptr_array_index(m->partitions, i));
	set_outcome(m, SIM_OUTCOME_SHUTDOWN, "all partitions shut down cleanly");
	return m->outcome;
}

/* After the loop: the partitions the simulator loaded decide the outcome;
 * a child's end is its parent's business (the summary shows it). */
static void decide_outcome(SimMachine *m)
{
	if (m->outcome == SIM_OUTCOME_STUCK || m->outcome == SIM_OUTCOME_HOST_ERROR)
		return;
	for (guint i = 0; i < m->partitions->len; i++) {
		SimPartition *p = g_ptr_array_index(m->partitions, i);
		if (p->parent_id == 0 && !p->stop_clean) {
			set_outcome(m, SIM_OUTCOME_GUEST_ERROR, "partition %u (%s): %s", p->id, p->name,
			            p->stop_reason ? p->stop_reason : "stopped");
			return;
		}
	}
}

typedef enum RoundResult {
	ROUND_DONE,     /* the round finished; the machine goes on */
	ROUND_ENDED,    /* the machine ended (m->ended set, outcome final) */
	ROUND_PAUSED,   /* a precise step stopped inside it; run_round continues it */
} RoundResult;

static bool pause_due(const SimMachine *m)
{
	return m->pause_now || m->total_insns >= m->pause_total;
}

/* One scheduler round: every VP gets one slice, then idle VPs age and the
 * end conditions are checked. The only scheduler: sim_machine_run and
 * sim_machine_step both call it. The round's position (m->round) lives in
 * the machine, so a precise step may pause inside a round, even inside a
 * VP's slice, and the next call continues from there: the same VP goes on
 * with the rest of its slice, then the VPs after it, exactly as an
 * uninterrupted round would. */
static RoundResult run_round(SimMachine *m)
{
	if (!m->round.open) {
		m->round.open = true;
		m->round.part = m->round.vp = 0;
		m->round.any_live = m->round.progressed = false;
		m->round.elapsed = 0;   /* virtual time the VPs that ran used this round */
	}
	for (; m->round.part < m->partitions->len; m->round.part++, m->round.vp = 0) {
		SimPartition *p = g_ptr_array_index(m->partitions, m->round.part);
		for (; m->round.vp < p->vps->len && !p->stopped; m->round.vp++) {
			SimVp *vp = g_ptr_array_index(p->vps, m->round.vp);
			if (!vp->slice_open) {
				/* Between two slices: the place to stop for a pause
				 * that came due at the end of the previous one. */
				if (pause_due(m))
					return ROUND_PAUSED;
				vp->round_ns = 0;
			}
			SliceResult r = run_vp(m, vp);
			if (r == SLICE_PAUSED)
				return ROUND_PAUSED;
			if (r == SLICE_RAN) {
				m->round.progressed = true;
				vp->round_ns = sim_vp_vtime(vp) - vp->slice_vtime0;
				m->round.elapsed += vp->round_ns;
				if (m->vmbus)
					sim_vmbus_poll(vp);
			}
		}
		m->round.any_live |= !p->stopped;
	}
	m->round.open = false;
	bool any_live = m->round.any_live, progressed = m->round.progressed;
	uint64_t elapsed = m->round.elapsed;
	age_idle_vps(m, elapsed);
	if (m->outcome == SIM_OUTCOME_STUCK || m->outcome == SIM_OUTCOME_HOST_ERROR || !any_live) {
		decide_outcome(m);
		m->ended = true;
		return ROUND_ENDED;
	}
	if (m->total_insns >= m->config.max_insns) {
		for (guint i = 0; i < m->partitions->len; i++) {
			SimPartition *p = g_ptr_array_index(m->partitions, i);
			if (!p->stopped && p->vps->len) {
				uint64_t rip = m->backend->reg_get(g_ptr_array_index(p->vps, 0), SIM_REG_RIP);
				sim_partition_stop(p, false, 7,
				                   "instruction limit reached (--max-insns %" G_GUINT64_FORMAT ") with the guest at RIP 0x%" G_GINT64_MODIFIER "x",
				                   m->config.max_insns, rip);
			}
		}
		set_outcome(m, SIM_OUTCOME_LIMIT, "stopped after %" G_GUINT64_FORMAT " guest instructions (--max-insns)",
		            m->total_insns);
		m->ended = true;
		return ROUND_ENDED;
	}
	if (!progressed && !idle_until_next_timer(m)) {
		for (guint i = 0; i < m->partitions->len; i++) {
			SimPartition *p = g_ptr_array_index(m->partitions, i);
			sim_partition_stop(p, false, 8, "every VP is halted and nothing can wake it (no timer armed, no interrupt pending)");
		}
		set_outcome(m, SIM_OUTCOME_STUCK, "deadlock: every VP halted with no wake-up source");
		m->ended = true;
		return ROUND_ENDED;
	}
	return ROUND_DONE;
}

SimOutcome sim_machine_run(SimMachine *m)
{
	g_return_val_if_fail(m != NULL, SIM_OUTCOME_HOST_ERROR);

	if (!m->started)
		sim_machine_start(m);
	m->pause_total = UINT64_MAX;
	m->pause_now = false;
	while (!m->ended && run_round(m) == ROUND_DONE)
		;
	return m->outcome;
}

bool sim_step_stop_matches(SimStepStop stop_on, const SimEvent *ev)
{
	switch (stop_on) {
	case SIM_STEP_STOP_NONE:      return false;
	case SIM_STEP_STOP_VM_EXIT:   return ev->type == SIM_EV_VM_EXIT;
	case SIM_STEP_STOP_HYPERCALL: return ev->type == SIM_EV_HYPERCALL;
	case SIM_STEP_STOP_INTERCEPT: return ev->type == SIM_EV_INTERCEPT;
	case SIM_STEP_STOP_VMBUS:     return ev->type == SIM_EV_VMBUS;
	case SIM_STEP_STOP_CONSOLE:   return ev->type == SIM_EV_CONSOLE;
	case SIM_STEP_STOP_RING:      return ev->type == SIM_EV_RING;
	case SIM_STEP_STOP_INTERRUPT: return ev->type == SIM_EV_INTERRUPT;
	}
	return false;
}

/* The step's stop condition, watched from the event bus. */
typedef struct StepWatch {
	SimMachine *m;
	SimStepStop stop_on;
	SimStepMatchFunc match;
	gpointer match_data;
	bool hit;
} StepWatch;

static void step_watch_event(const SimEvent *ev, gpointer user_data)
{
	StepWatch *w = user_data;
	if (w->hit)
		return;
	w->hit = w->match ? w->match(ev, w->match_data) : sim_step_stop_matches(w->stop_on, ev);
	if (w->hit && w->m) {
		/* A precise step: stop at the next instruction boundary. */
		w->m->pause_now = true;
		if (w->m->running_vp)
			w->m->running_vp->pause_at = 0;
	}
}

bool sim_machine_step(SimMachine *m, uint64_t max_insns, SimStepStop stop_on)
{
	g_return_val_if_fail(m != NULL, false);

	if (!m->started)
		sim_machine_start(m);
	if (m->ended)
		return false;

	StepWatch watch = { .stop_on = stop_on };
	guint sub = 0;
	if (stop_on != SIM_STEP_STOP_NONE)
		sub = sim_event_bus_subscribe(m->events, step_watch_event, &watch);
	m->pause_total = UINT64_MAX;
	m->pause_now = false;
	uint64_t start = m->total_insns;
	bool live;
	do
		live = run_round(m) == ROUND_DONE;
	while (live && !watch.hit && (max_insns == 0 || m->total_insns - start < max_insns));
	if (sub)
		sim_event_bus_unsubscribe(m->events, sub);
	return live;
}

bool sim_machine_step_precise(SimMachine *m, uint64_t max_insns, SimStepMatchFunc match, gpointer user_data)
{
	g_return_val_if_fail(m != NULL, false);

	if (!m->started)
		sim_machine_start(m);
	if (m->ended)
		return false;

	StepWatch watch = { .m = m, .match = match, .match_data = user_data };
	guint sub = match ? sim_event_bus_subscribe(m->events, step_watch_event, &watch) : 0;
	m->pause_total = max_insns ? m->total_insns + max_insns : UINT64_MAX;
	m->pause_now = false;
	m->bp_hit = false;
	m->precise = true;
	RoundResult r;
	do
		r = run_round(m);
	while (r == ROUND_DONE && !pause_due(m));
	if (sub)
		sim_event_bus_unsubscribe(m->events, sub);
	m->precise = false;
	m->pause_total = UINT64_MAX;
	m->pause_now = false;
	return r != ROUND_ENDED;
}

void sim_machine_set_breakpoints(SimMachine *m, const SimAddrBreakpoint *bps, guint n)
{
	g_return_if_fail(m != NULL && (bps != NULL || n == 0));
	g_array_set_size(m->addr_bps, 0);
	g_array_append_vals(m->addr_bps, bps, n);
	m->bp_generation++;
}

bool sim_machine_breakpoint_hit(const SimMachine *m, SimAddrBreakpoint *hit)
{
	g_return_val_if_fail(m != NULL, false);
	if (m->bp_hit && hit)
		*hit = m->bp_hit_at;
	return m->bp_hit;
}

bool sim_machine_in_round(const SimMachine *m)
{
	return m->round.open;
}

bool sim_machine_ended(const SimMachine *m)
{
	return m->ended;
}

SimOutcome sim_machine_outcome(const SimMachine *m)
{
	return m->outcome;
}
