/* sim-snapshot.c — copies the machine state the architecture picture needs
 * into plain data (sim-snapshot.h). Runs on the sim thread; the copy it
 * returns owns all its memory and points nowhere into the machine. */
#include <capstone/capstone.h>
#include <string.h>

#include "hv-tlfs.h"
#include "hvsim-platform.h"
#include "ring.h"
#include "sim-private.h"
#include "sim-snapshot.h"
#include "x86-arch.h"

#define X86_SELECTOR_RPL_MASK 0x3u  /* CS.RPL is the current privilege level */

const char *sim_snap_role_name(SimSnapRole role)
{
	switch (role) {
	case SIM_SNAP_ROLE_ROOT: return "root";
	case SIM_SNAP_ROLE_CHILD: return "child";
	case SIM_SNAP_ROLE_GUEST: return "guest";
	}
	return "?";
}

/* The parent partition is the OS that booted on the hardware: it holds the
 * right to create partitions once launched, and before the launch it is the
 * partition the simulator loaded into a late-launch machine. */
static SimSnapRole role_of(const SimMachine *m, const SimPartition *p)
{
	if (p->parent_id != 0)
		return SIM_SNAP_ROLE_CHILD;
	if ((p->privileges & SIM_PRIV_HV_RIGHTS(HV_PRIV_CREATE_PARTITIONS)) || m->config.late_launch)
		return SIM_SNAP_ROLE_ROOT;
	return SIM_SNAP_ROLE_GUEST;
}

/* The last complete console line, or the one being assembled if nothing
 * was completed after it. */
static char *console_last(const SimPartition *p)
{
	if (p->console_line && p->console_line->len)
		return g_strdup(p->console_line->str);
	if (!p->console || !p->console->len)
		return g_strdup("");
	const char *s = p->console->str;
	gsize end = p->console->len;
	while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == '\r'))
		end--;
	gsize start = end;
	while (start > 0 && s[start - 1] != '\n')
		start--;
	return g_strndup(s + start, end - start);
}

const char *sim_snap_mode_name(SimSnapCpuMode mode)
{
	switch (mode) {
	case SIM_SNAP_MODE_REAL: return "real";
	case SIM_SNAP_MODE_PROTECTED: return "protected";
	case SIM_SNAP_MODE_LONG: return "long (64-bit)";
	}
	return "?";
}

static const char *const gpr_names[SIM_SNAP_GPRS] = {
	"RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
	"R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15",
};

const char *sim_snap_gpr_name(guint i)
{
	return i < SIM_SNAP_GPRS ? gpr_names[i] : "?";
}

/* Guest memory as the VP's own accesses would find it: through its page
 * tables (rings/ walks them over the partition's guest-physical memory,
 * which for a child is the view through its SLAT). Paging off: identity. */
static bool mem_read_cb(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	return sim_memory_read(ctx, gpa, buf, len);
}

typedef struct SnapReader {
	RingCpu cpu;
	RingMem mem;
	bool user;                   /* the VP is at CPL 3: a user-mode fetch */
} SnapReader;

static void reader_init(SnapReader *r, const SimPartition *p, const SimSnapVp *vp)
{
	memset(r, 0, sizeof *r);
	r->cpu.cr0 = vp->cr0;
	r->cpu.cr3 = vp->cr3;
	r->cpu.cr4 = vp->cr4;
	r->cpu.efer = vp->efer;
	r->cpu.cs = vp->cs;
	r->cpu.rflags = vp->rflags;
	r->mem.read = mem_read_cb;
	r->mem.ctx = (void *)&p->mem;
	r->user = vp->cpl == 3;
}

/* Through the page tables when `paged`; else at GPA = linear address. */
static bool reader_read(const SnapReader *r, bool paged, uint64_t linear, void *buf, size_t len)
{
	uint32_t pf;
	if (!paged)
		return sim_memory_read(r->mem.ctx, linear, buf, len);
	return ring_read_linear(&r->cpu, &r->mem, linear, buf, len, r->user, &pf) == RING_OK;
}

/* Up to SIM_SNAP_CODE_BYTES at linear address `addr`, fewer where the
 * mapping ends; 0 if none is readable. Through the VP's page tables first,
 * as the CPU fetches; where they do not map it, at GPA = linear address,
 * which is how the emulated backend fetches (Unicorn 2.0.1 ignores the
 * guest's page tables: unicorn-engine/unicorn#1953, tests/sim/test-bad-guests.c)
 * — *paged says which. */
static uint8_t read_code(const SnapReader *r, uint64_t addr, uint8_t *out, bool *paged)
{
	for (int pass = 0; pass < 2; pass++)
		for (uint8_t len = SIM_SNAP_CODE_BYTES; len > 0; len--)
			if (reader_read(r, pass == 0, addr, out, len)) {
				*paged = pass == 0;
				return len;
			}
	return 0;
}

/* The listing window: SIM_SNAP_WINDOW_BEFORE bytes before RIP when they
 * are mapped, then as much after it as is; page by page, so a window that
 * starts on an unmapped page still shows RIP's own page. Read the way
 * read_code read RIP's bytes (vp->code_paged). */
static void read_window(const SnapReader *r, SimSnapVp *vp)
{
	bool paged = vp->code_paged;
	uint64_t start = vp->rip >= SIM_SNAP_WINDOW_BEFORE ? vp->rip - SIM_SNAP_WINDOW_BEFORE : 0;
	uint64_t end = vp->rip + (SIM_SNAP_WINDOW_BYTES - (vp->rip - start));
	/* Pages before RIP's that do not read move the start up. */
	while (start < (vp->rip & ~0xFFFull)) {
		uint8_t probe;
		if (reader_read(r, paged, start, &probe, 1))
			break;
		start = (start | 0xFFF) + 1;
	}
	uint16_t len = 0;
	for (uint64_t a = start; a < end;) {
		uint64_t chunk = MIN(end - a, 0x1000 - (a & 0xFFF));
		if (!reader_read(r, paged, a, vp->window + len, chunk))
			break;
		len += (uint16_t)chunk;
		a += chunk;
	}
	vp->window_start = start;
	vp->window_len = vp->code_len && vp->rip >= start && vp->rip < start + len ? len : 0;
}

/* The VMCS fields hv-exit.c and sim_hv_setup_vmcs() write (vmx-defs.h
 * names them); nothing else, so the GUI never shows a field the model does
 * not keep. */
static void snap_vmcs(const SimPartition *p, const SimVp *vp, const SnapReader *r, SimSnapVmcs *out)
{
	if (!vp->vmcs || !p->hv_active)
		return;
	const VmxVmcs *v = vp->vmcs;
	out->valid = true;
	out->exit_reason = (uint32_t)vmx_vmcs_get(v, VMCS_VM_EXIT_REASON);
	out->exit_qualification = vmx_vmcs_get(v, VMCS_EXIT_QUALIFICATION);
	out->guest_rip = vmx_vmcs_get(v, VMCS_GUEST_RIP);
	out->insn_len = (uint32_t)vmx_vmcs_get(v, VMCS_VM_EXIT_INSTRUCTION_LEN);
	out->intr_info = (uint32_t)vmx_vmcs_get(v, VMCS_VM_EXIT_INTR_INFO);
	out->exit_gpa = vmx_vmcs_get(v, VMCS_GUEST_PHYSICAL_ADDRESS);
	out->exit_linear = vmx_vmcs_get(v, VMCS_GUEST_LINEAR_ADDRESS);
	out->code_len = read_code(r, out->guest_rip, out->code, &out->code_paged);
	out->g_cr0 = vmx_vmcs_get(v, VMCS_GUEST_CR0);
	out->g_cr3 = vmx_vmcs_get(v, VMCS_GUEST_CR3);
	out->g_cr4 = vmx_vmcs_get(v, VMCS_GUEST_CR4);
	out->g_efer = vmx_vmcs_get(v, VMCS_GUEST_IA32_EFER);
	out->g_rip = out->guest_rip;
	out->g_rsp = vmx_vmcs_get(v, VMCS_GUEST_RSP);
	out->g_rflags = vmx_vmcs_get(v, VMCS_GUEST_RFLAGS);
	out->g_cs = (uint16_t)vmx_vmcs_get(v, VMCS_GUEST_CS_SELECTOR);
	out->g_ss = (uint16_t)vmx_vmcs_get(v, VMCS_GUEST_SS_SELECTOR);
	out->pin_based = (uint32_t)vmx_vmcs_get(v, VMCS_PIN_BASED_VM_EXEC_CONTROL);
	out->proc_based = (uint32_t)vmx_vmcs_get(v, VMCS_CPU_BASED_VM_EXEC_CONTROL);
	out->proc_based2 = (uint32_t)vmx_vmcs_get(v, VMCS_SECONDARY_VM_EXEC_CONTROL);
	out->exit_controls = (uint32_t)vmx_vmcs_get(v, VMCS_VM_EXIT_CONTROLS);
	out->entry_controls = (uint32_t)vmx_vmcs_get(v, VMCS_VM_ENTRY_CONTROLS);
	out->exception_bitmap = (uint32_t)vmx_vmcs_get(v, VMCS_EXCEPTION_BITMAP);
	out->vpid = (uint16_t)vmx_vmcs_get(v, VMCS_VIRTUAL_PROCESSOR_ID);
	out->ept_pointer = vmx_vmcs_get(v, VMCS_EPT_POINTER);
	/* The two I/O bitmap pages, 64 bits at a time; they are almost all
	 * ones (every port exits but the root's own devices), so whole words
	 * are counted without a popcount. */
	const uint8_t *maps[2] = { vmx_vmcs_io_bitmap_a(v), vmx_vmcs_io_bitmap_b(v) };
	uint32_t n = 0;
	for (int i = 0; i < 2; i++)
		for (guint b = 0; b < VMX_IO_BITMAP_SIZE; b += sizeof(uint64_t)) {
			uint64_t word;
			memcpy(&word, maps[i] + b, sizeof word);
			n += word == UINT64_MAX ? 64u : word ? (uint32_t)__builtin_popcountll(word) : 0u;
		}
	out->io_ports_exiting = n;
	out->msr_efer_exits = vmx_msr_bitmap_get(v, IA32_EFER_MSR, true);
}

/* The SynIC MSRs as the guest wrote them, the hypervisor's queue per SINT
 * and which SIM-page slots hold a message (hv-synic.c). */
static void snap_synic(const SimVp *vp, SimSnapSynic *out)
{
	const SimSynic *sy = &vp->synic;
	out->scontrol = sy->scontrol;
	out->simp = sy->simp;
	out->siefp = sy->siefp;
	for (guint i = 0; i < SIM_SNAP_SINTS; i++) {
		out->sint[i] = sy->sint[i];
		out->queued[i] = (uint8_t)sy->queue[i].len;
		uint32_t type = 0;
		if ((sy->simp & HV_SYNIC_PAGE_ENABLE) &&
		    sim_memory_read(&vp->partition->mem, (sy->simp & ~0xFFFull) + (uint64_t)HV_MESSAGE_SIZE * i, &type,
		                    sizeof type))
			out->slot_type[i] = type;
	}
}

static void snap_vp(const SimMachine *m, SimVp *vp, SimSnapVp *out)
{
	SnapReader r;
	out->index = vp->index;
	out->insns = vp->insns;
	out->started = vp->started;
	out->halted = vp->halted;
	out->explicit_suspend = vp->explicit_suspend;
	out->intercept_suspend = vp->intercept_suspend;
	snap_synic(vp, &out->synic);
	if (vp->boot_pending) {
		/* Never ran: the state its parent set, not the engine's reset state. */
		out->rip = vp->boot.rip;
		out->rsp = out->gpr[4] = vp->boot.rsp;
		out->rflags = vp->boot.rflags;
		out->cpl = vp->boot.cs & X86_SELECTOR_RPL_MASK;
		out->cs = vp->boot.cs;
		out->cr0 = vp->boot.cr0;
		out->cr3 = vp->boot.cr3;
		out->cr4 = vp->boot.cr4;
		out->efer = vp->boot.efer;
	} else {
		/* Two batches: the backend reads at most 16 registers at once. */
		static const SimReg gprs[SIM_SNAP_GPRS] = {
			SIM_REG_RAX, SIM_REG_RCX, SIM_REG_RDX, SIM_REG_RBX, SIM_REG_RSP, SIM_REG_RBP,
			SIM_REG_RSI, SIM_REG_RDI, SIM_REG_R8, SIM_REG_R9, SIM_REG_R10, SIM_REG_R11,
			SIM_REG_R12, SIM_REG_R13, SIM_REG_R14, SIM_REG_R15,
		};
		static const SimReg state[] = {
			SIM_REG_RIP, SIM_REG_RFLAGS, SIM_REG_CS, SIM_REG_SS,
			SIM_REG_CR0, SIM_REG_CR3, SIM_REG_CR4,
		};
		m->backend->regs_get(vp, gprs, out->gpr, SIM_SNAP_GPRS);
		uint64_t rv[G_N_ELEMENTS(state)];
		m->backend->regs_get(vp, state, rv, G_N_ELEMENTS(state));
		out->rip = rv[0];
		out->rflags = rv[1];
		out->cs = (uint16_t)rv[2];
		out->ss = (uint16_t)rv[3];
		out->cr0 = rv[4];
		out->cr3 = rv[5];
		out->cr4 = rv[6];
		out->rsp = out->gpr[4];
		/* EFER is not an engine register: reg_get reads it from the VMCS's
		 * guest-state area, so a VP without a VMCS shows 0. */
		out->efer = vp->vmcs ? m->backend->reg_get(vp, SIM_REG_EFER) : 0;
		out->cpl = (uint8_t)(out->cs & X86_SELECTOR_RPL_MASK);
	}
	if (!(out->cr0 & X86_CR0_PE))
		out->mode = SIM_SNAP_MODE_REAL;
	else if (out->efer & X86_EFER_LMA)
		out->mode = SIM_SNAP_MODE_LONG;
	else
		out->mode = SIM_SNAP_MODE_PROTECTED;
	reader_init(&r, vp->partition, out);
	snap_vmcs(vp->partition, vp, &r, &out->vmcs);
	out->code_len = read_code(&r, out->rip, out->code, &out->code_paged);
	read_window(&r, out);
}

static int run_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* A child's GPA map (SimChild.mapped: child page -> parent page and EPT
 * permissions) as runs: consecutive child pages onto consecutive parent
 * pages with the same permissions. Sorted by child GPA. */
static void snap_gpa_map(const SimChild *c, SimSnapPartition *out)
{
	guint n = g_hash_table_size(c->mapped);
	if (!n)
		return;
	uint64_t *pages = g_new(uint64_t, n);
	GHashTableIter it;
	gpointer k, v;
	guint i = 0;
	g_hash_table_iter_init(&it, c->mapped);
	while (g_hash_table_iter_next(&it, &k, &v) && i < n)
		pages[i++] = *(const guint64 *)k;
	qsort(pages, i, sizeof *pages, run_cmp);
	GArray *runs = g_array_new(FALSE, FALSE, sizeof(SimSnapGpaRun));
	for (guint j = 0; j < i; j++) {
		gpointer e = g_hash_table_lookup(c->mapped, &pages[j]);
		uint64_t spa_page = SIM_SLAT_PAGE(e);
		uint8_t perms = (uint8_t)SIM_SLAT_PERMS(e);
		SimSnapGpaRun *last = runs->len ? &g_array_index(runs, SimSnapGpaRun, runs->len - 1) : NULL;
		if (last && last->perms == perms && last->gpa / 4096 + last->pages == pages[j] &&
		    last->spa / 4096 + last->pages == spa_page) {
			last->pages++;
			continue;
		}
		SimSnapGpaRun run = { .gpa = pages[j] * 4096, .spa = spa_page * 4096, .pages = 1, .perms = perms };
		g_array_append_val(runs, run);
	}
	g_free(pages);
	out->n_gpa_runs = runs->len;
	out->gpa_runs = (SimSnapGpaRun *)(void *)g_array_free(runs, FALSE);
}

static void snap_partition(const SimMachine *m, SimPartition *p, guint detail, SimSnapPartition *out)
{
	out->id = p->id;
	out->parent_id = p->parent_id;
	out->name = g_strdup(p->name ? p->name : "");
	out->role = role_of(m, p);
	out->hv_active = p->hv_active;
	out->running = p->running;
	out->stopped = p->stopped;
	out->stop_clean = p->stop_clean;
	out->deleted = p->deleted;
	out->stop_reason = g_strdup(p->stop_reason);
	out->insns = sim_partition_insns(p);
	if (p->child && p->child->mapped)
		out->memory_bytes = (uint64_t)g_hash_table_size(p->child->mapped) * 4096u;
	else
		out->memory_bytes = p->mem.size;
	out->console_last = console_last(p);
	out->n_vps = p->vps ? p->vps->len : 0;
	out->vps = g_new0(SimSnapVp, MAX(out->n_vps, 1));
	for (guint i = 0; i < out->n_vps; i++)
		snap_vp(m, g_ptr_array_index(p->vps, i), &out->vps[i]);
	out->symtab = sim_symtab_ref(p->parent_id ? m->child_symtab : p->symtab);
	out->identity_mapped = p->mem.host != NULL;
	if (p->child)
		out->slat_eptp = p->child->eptp;
	if ((detail & SIM_SNAP_DETAIL_CONSOLES) && p->console)
		out->console = g_strndup(p->console->str, p->console->len);
	if ((detail & SIM_SNAP_DETAIL_GPA_MAP) && p->child && p->child->mapped)
		snap_gpa_map(p->child, out);
}

/* The hex view's bytes: the range must lie in the partition's
 * guest-physical memory (for a child: every page mapped in its GPA map). */
static void snap_memory(SimMachine *m, const SimSnapRequest *req, SimSnapMemory *out)
{
	out->asked = true;
	out->partition = req->mem_partition;
	out->gpa = req->mem_gpa;
	SimPartition *p = sim_machine_find_partition(m, req->mem_partition);
	if (!p) {
		out->error = g_strdup_printf("there is no partition %u", req->mem_partition);
		return;
	}
	uint32_t len = MIN(req->mem_len, SIM_SNAP_MEMORY_MAX);
	if (len == 0) {
		out->error = g_strdup("the length is 0");
		return;
	}
	if (req->mem_gpa > UINT64_MAX - len || !sim_memory_range_ok(&p->mem, req->mem_gpa, len)) {
		if (p->mem.host)
			out->error = g_strdup_printf("GPA 0x%" G_GINT64_MODIFIER "x + %u bytes is outside partition %u's RAM "
			                             "(0 to 0x%" G_GINT64_MODIFIER "x)", req->mem_gpa, len, p->id, p->mem.size);
		else
			out->error = g_strdup_printf("GPA 0x%" G_GINT64_MODIFIER "x + %u bytes is not all mapped in partition %u's "
			                             "GPA map (see the map above)", req->mem_gpa, len, p->id);
		return;
	}
	out->bytes = g_malloc(len);
	if (!sim_memory_read(&p->mem, req->mem_gpa, out->bytes, len)) {
		g_clear_pointer(&out->bytes, g_free);
		out->error = g_strdup_printf("GPA 0x%" G_GINT64_MODIFIER "x: not readable", req->mem_gpa);
		return;
	}
	out->len = len;
}

/* The hardware row: the platform devices of the partitions the simulator
 * loaded (children have none of their own), the disk's two register
 * blocks as one disk, and the platform clock behind the synthetic timers. */
static void snap_devices(SimMachine *m, GArray *out)
{
	for (guint i = 0; i < m->partitions->len; i++) {
		SimPartition *p = g_ptr_array_index(m->partitions, i);
		if (p->parent_id != 0 || !p->devices)
			continue;
		for (guint j = 0; j < p->devices->len; j++) {
			SimDevice *d = g_ptr_array_index(p->devices, j);
			SimSnapDevice sd = { .partition = p->id, .port_first = d->port_first, .port_last = d->port_last };
			g_strlcpy(sd.name, d->ops->name, sizeof sd.name);
			if (strcmp(d->ops->name, "uart16550") == 0)
				sd.kind = SIM_SNAP_DEV_UART;
			else if (strcmp(d->ops->name, "ata") == 0)
				sd.kind = SIM_SNAP_DEV_DISK;
			else
				sd.kind = SIM_SNAP_DEV_POWER;
			if (sd.kind == SIM_SNAP_DEV_DISK) {
				/* The control block shares the command block's drive. */
				if (d->port_first == HVSIM_PORT_ATA_CTRL)
					continue;
				sim_ata_disk(d, &sd.size_bytes);
			}
			g_array_append_val(out, sd);
		}
	}
	SimSnapDevice clock = { .kind = SIM_SNAP_DEV_TIMER };
	g_strlcpy(clock.name, "timer", sizeof clock.name);
	g_array_append_val(out, clock);
}

SimSnapshot *sim_snapshot_take(SimMachine *m)
{
	return sim_snapshot_take_detail(m, NULL);
}

SimSnapshot *sim_snapshot_take_detail(SimMachine *m, const SimSnapRequest *req)
{
	g_return_val_if_fail(m != NULL, NULL);
	SimSnapshot *s = g_new0(SimSnapshot, 1);
	s->detail = req ? req->detail : 0;
	s->vendor = m->config.vendor;
	g_strlcpy(s->vendor_name, sim_vendor_name(m->config.vendor), sizeof s->vendor_name);
	g_strlcpy(s->hypervisor, sim_vendor_hypervisor(m->config.vendor), sizeof s->hypervisor);
	s->has_virtualization = !m->config.no_virtualization;
	s->insns = sim_machine_insns(m);
	s->vtime = sim_machine_vtime(m);
	s->event_seq = sim_event_bus_last_seq(m->events);

	s->n_partitions = m->partitions->len;
	s->partitions = g_new0(SimSnapPartition, MAX(s->n_partitions, 1));
	for (guint i = 0; i < s->n_partitions; i++) {
		snap_partition(m, g_ptr_array_index(m->partitions, i), s->detail, &s->partitions[i]);
		s->hv_launched |= s->partitions[i].hv_active;
	}

	/* VMBus channels, as the simulator's inspector knows them. */
	s->channels = g_new0(SimSnapChannel, SIM_SNAP_CHANNELS_MAX);
	s->n_channels = sim_vmbus_snapshot_channels(m, s->channels, SIM_SNAP_CHANNELS_MAX);

	GArray *devs = g_array_new(FALSE, TRUE, sizeof(SimSnapDevice));
	snap_devices(m, devs);
	s->n_devices = devs->len;
	s->devices = (SimSnapDevice *)(void *)g_array_free(devs, FALSE);
	if (s->detail & SIM_SNAP_DETAIL_MEMORY)
		snap_memory(m, req, &s->memory);
	return s;
}

void sim_snapshot_free(SimSnapshot *s)
{
	if (!s)
		return;
	for (guint i = 0; i < s->n_partitions; i++) {
		SimSnapPartition *p = &s->partitions[i];
		g_free(p->name);
		g_free(p->stop_reason);
		g_free(p->console_last);
		g_free(p->vps);
		sim_symtab_unref(p->symtab);
		g_free(p->console);
		g_free(p->gpa_runs);
	}
	g_free(s->memory.bytes);
	g_free(s->memory.error);
	g_free(s->partitions);
	g_free(s->channels);
	g_free(s->devices);
	g_free(s);
}

const SimSnapPartition *sim_snapshot_partition(const SimSnapshot *s, uint32_t id)
{
	g_return_val_if_fail(s != NULL, NULL);
	for (guint i = 0; i < s->n_partitions; i++)
		if (s->partitions[i].id == id)
			return &s->partitions[i];
	return NULL;
}

const SimSnapVp *sim_snapshot_vp(const SimSnapshot *s, uint32_t id, guint index, const SimSnapPartition **part)
{
	const SimSnapPartition *p = sim_snapshot_partition(s, id);
	if (part)
		*part = p;
	return p && index < p->n_vps ? &p->vps[index] : NULL;
}

/* RFLAGS bits x86-arch.h does not name (SDM vol. 1, 3.4.3). */
#define SNAP_RFLAGS_PF (1ull << 2)
#define SNAP_RFLAGS_AF (1ull << 4)
#define SNAP_RFLAGS_ZF (1ull << 6)
#define SNAP_RFLAGS_SF (1ull << 7)
#define SNAP_RFLAGS_OF (1ull << 11)

void sim_snap_rflags_describe(uint64_t rflags, char *buf, gsize len)
{
	static const struct { uint64_t bit; const char *name; } flags[] = {
		{ X86_RFLAGS_IF, "IF" }, { X86_RFLAGS_DF, "DF" }, { X86_RFLAGS_TF, "TF" },
		{ SNAP_RFLAGS_OF, "OF" }, { SNAP_RFLAGS_SF, "SF" }, { SNAP_RFLAGS_ZF, "ZF" },
		{ SNAP_RFLAGS_AF, "AF" }, { SNAP_RFLAGS_PF, "PF" }, { X86_RFLAGS_CF, "CF" },
		{ X86_RFLAGS_NT, "NT" }, { X86_RFLAGS_RF, "RF" }, { X86_RFLAGS_AC, "AC" },
	};
	g_return_if_fail(buf != NULL && len > 0);
	buf[0] = '\0';
	for (guint i = 0; i < G_N_ELEMENTS(flags); i++) {
		if (!(rflags & flags[i].bit))
			continue;
		if (buf[0])
			g_strlcat(buf, " ", len);
		g_strlcat(buf, flags[i].name, len);
	}
	if (!buf[0])
		g_strlcpy(buf, "-", len);
}

static cs_mode capstone_mode(SimSnapCpuMode mode)
{
	return mode == SIM_SNAP_MODE_LONG ? CS_MODE_64 : mode == SIM_SNAP_MODE_PROTECTED ? CS_MODE_32 : CS_MODE_16;
}

char *sim_snap_disasm(const uint8_t *code, gsize len, uint64_t addr, SimSnapCpuMode mode, guint max_insns)
{
	g_return_val_if_fail(code != NULL || len == 0, NULL);
	cs_mode cmode = capstone_mode(mode);
	csh cs;
	if (len == 0 || cs_open(CS_ARCH_X86, cmode, &cs) != CS_ERR_OK)
		return g_strdup("");
	cs_insn *insn = cs_malloc(cs);
	GString *out = g_string_new(NULL);
	const uint8_t *p = code;
	size_t left = len;
	uint64_t a = addr;
	for (guint n = 0; n < max_insns && cs_disasm_iter(cs, &p, &left, &a, insn); n++) {
		char bytes[3 * SIM_SNAP_CODE_BYTES + 1] = "";
		for (uint16_t i = 0; i < insn->size && i < SIM_SNAP_CODE_BYTES; i++)
			g_snprintf(bytes + 3 * i, sizeof bytes - 3 * i, "%02x ", insn->bytes[i]);
		g_string_append_printf(out, "%s0x%016" G_GINT64_MODIFIER "x  %-15s %s %s", out->len ? "\n" : "",
		                       insn->address, bytes, insn->mnemonic, insn->op_str);
	}
	cs_free(insn, 1);
	cs_close(&cs);
	return g_string_free(out, FALSE);
}

bool sim_snap_disasm_one(const uint8_t *code, gsize len, uint64_t addr, SimSnapCpuMode mode, char *buf, gsize buf_len)
{
	g_return_val_if_fail((code != NULL || len == 0) && buf != NULL && buf_len > 0, false);
	buf[0] = '\0';
	csh cs;
	if (len == 0 || cs_open(CS_ARCH_X86, capstone_mode(mode), &cs) != CS_ERR_OK)
		return false;
	cs_insn *insn = cs_malloc(cs);
	const uint8_t *p = code;
	size_t left = len;
	uint64_t a = addr;
	bool ok = cs_disasm_iter(cs, &p, &left, &a, insn);
	if (ok)
		g_snprintf(buf, buf_len, "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "", insn->op_str);
	cs_free(insn, 1);
	cs_close(&cs);
	return ok;
}
