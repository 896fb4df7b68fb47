/* test-snapshot.c — the GUI's plain-data copy of the machine (sim-snapshot.c)
 * against the machine itself, on the boot scenario with its child running:
 * the modelled VMCS, the child's GPA map, symbols, the SynIC, the hex view
 * and what a default (cheap) snapshot leaves out. Host test code. */
#include <elf.h>
#include <glib.h>
#include <string.h>

#include "sim-harness.h"
#include "sim-snapshot.h"

#define STEP_INSNS  UINT64_C(400000)
#define LIMIT_INSNS UINT64_C(40000000)

/* The child (partition 2) of the boot scenario, running with its GPA map
 * made and its VP having exited at least once. */
static SimPartition *boot_to_child_once(Harness *h)
{
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL };
	harness_init_scenario(h, &cfg, "boot");
	while (sim_machine_insns(h->m) < LIMIT_INSNS) {
		g_assert_true(sim_machine_step(h->m, STEP_INSNS, SIM_STEP_STOP_NONE));
		SimPartition *c = sim_machine_find_partition(h->m, 2);
		if (c && c->running && c->vps->len && c->child && g_hash_table_size(c->child->mapped) &&
		    vmx_vmcs_get(((SimVp *)g_ptr_array_index(c->vps, 0))->vmcs, VMCS_VM_EXIT_REASON) != 0 &&
		    c->console->len > 0)
			return c;
	}
	g_assert_not_reached();
}

/* One machine at that point for the tests that only take snapshots. */
static Harness shared;

static SimPartition *boot_to_child(Harness *h)
{
	*h = shared;
	return sim_machine_find_partition(h->m, 2);
}

static void test_vmcs(void)
{
	Harness h;
	boot_to_child(&h);
	g_autoptr(SimSnapshot) s = sim_snapshot_take(h.m);
	g_assert_cmpuint(s->n_partitions, ==, 2);
	for (guint i = 0; i < s->n_partitions; i++) {
		SimPartition *p = sim_machine_find_partition(h.m, s->partitions[i].id);
		g_assert_nonnull(p);
		SimVp *vp = g_ptr_array_index(p->vps, 0);
		const SimSnapVmcs *v = &s->partitions[i].vps[0].vmcs;
		g_assert_true(v->valid);
		/* The controls, as sim_hv_setup_vmcs() wrote them into the VP's VMCS. */
		g_assert_cmphex(v->proc_based, ==, vmx_vmcs_get(vp->vmcs, VMCS_CPU_BASED_VM_EXEC_CONTROL));
		g_assert_cmphex(v->proc_based2, ==, vmx_vmcs_get(vp->vmcs, VMCS_SECONDARY_VM_EXEC_CONTROL));
		g_assert_cmphex(v->pin_based, ==, vmx_vmcs_get(vp->vmcs, VMCS_PIN_BASED_VM_EXEC_CONTROL));
		g_assert_cmphex(v->exit_controls, ==, vmx_vmcs_get(vp->vmcs, VMCS_VM_EXIT_CONTROLS));
		g_assert_cmphex(v->entry_controls, ==, vmx_vmcs_get(vp->vmcs, VMCS_VM_ENTRY_CONTROLS));
		g_assert_true(v->proc_based & VMX_PROC_HLT_EXITING);
		g_assert_true(v->proc_based & VMX_PROC_USE_IO_BITMAPS);
		g_assert_true(v->proc_based2 & VMX_PROC2_ENABLE_EPT);
		g_assert_cmpuint(v->vpid, ==, p->id);
		/* Ports that exit, counted through the model's own accessor. */
		uint32_t exiting = 0;
		for (uint32_t port = 0; port <= 0xFFFF; port++)
			exiting += vmx_io_bitmap_get(vp->vmcs, (uint16_t)port);
		g_assert_cmpuint(v->io_ports_exiting, ==, exiting);
		g_assert_cmpuint(exiting, >, 0);
		g_assert_true(v->msr_efer_exits);
		/* Guest state: what the last exit saved, EFER as the VMCS keeps it. */
		g_assert_cmphex(v->g_rip, ==, vmx_vmcs_get(vp->vmcs, VMCS_GUEST_RIP));
		g_assert_cmphex(v->g_cr3, ==, vmx_vmcs_get(vp->vmcs, VMCS_GUEST_CR3));
		g_assert_cmphex(v->g_efer, ==, s->partitions[i].vps[0].efer);
		g_assert_true(v->g_efer & X86_EFER_LMA);
		g_assert_cmphex(v->g_cr0, ==, vmx_vmcs_get(vp->vmcs, VMCS_GUEST_CR0));
		g_assert_cmphex(v->g_rsp, ==, vmx_vmcs_get(vp->vmcs, VMCS_GUEST_RSP));
		g_assert_cmphex(v->g_cs, ==, vmx_vmcs_get(vp->vmcs, VMCS_GUEST_CS_SELECTOR));
		/* The late launch wrapped the running OS into the root's VMCS. */
		if (s->partitions[i].role == SIM_SNAP_ROLE_ROOT) {
			g_assert_true(v->g_cr0 & X86_CR0_PE);
			g_assert_cmpuint(v->g_cs & 3, ==, 0);
		}
		g_assert_cmphex(v->exit_reason, ==, vmx_vmcs_get(vp->vmcs, VMCS_VM_EXIT_REASON));
		g_assert_cmpuint(v->exit_reason, !=, 0);
		/* The exiting instruction, read through the VP's paging. */
		g_assert_cmpuint(v->code_len, >, 0);
		uint8_t direct[SIM_SNAP_CODE_BYTES];
		g_assert_true(sim_memory_read(&p->mem, v->guest_rip, direct, v->code_len));
		g_assert_cmpmem(v->code, v->code_len, direct, v->code_len);
	}
	/* The child's EPTP: the root of its SLAT map, in the hypervisor's
	 * bookkeeping and in the VMCS field. */
	const SimSnapPartition *c = sim_snapshot_partition(s, 2);
	g_assert_cmphex(c->slat_eptp, ==, sim_machine_find_partition(h.m, 2)->child->eptp);
	g_assert_cmphex(c->slat_eptp, !=, 0);
	g_assert_cmphex(c->vps[0].vmcs.ept_pointer, ==, c->slat_eptp);
	g_assert_cmphex(c->vps[0].vmcs.g_cr3, !=, 0);
	g_assert_false(c->identity_mapped);
	g_assert_true(sim_snapshot_partition(s, 1)->identity_mapped);
}

/* Guest state is saved into the VMCS at every VM exit: a child VP waiting
 * for its parent to handle an intercept has not run since its exit, so
 * its VMCS guest-state area equals its live registers. */
static void test_vmcs_guest_state(void)
{
	Harness h;
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL };
	harness_init_scenario(&h, &cfg, "boot");
	guint checked = 0;
	while (checked < 3 && sim_machine_insns(h.m) < LIMIT_INSNS) {
		g_assert_true(sim_machine_step(h.m, STEP_INSNS / 8, SIM_STEP_STOP_INTERCEPT));
		g_autoptr(SimSnapshot) s = sim_snapshot_take(h.m);
		const SimSnapPartition *c = sim_snapshot_partition(s, 2);
		if (!c || c->n_vps == 0 || !c->vps[0].intercept_suspend)
			continue;
		const SimSnapVp *cv = &c->vps[0];
		g_assert_true(cv->vmcs.valid);
		g_assert_cmphex(cv->vmcs.g_rip, ==, cv->rip);
		g_assert_cmphex(cv->vmcs.g_rsp, ==, cv->gpr[4]); /* RSP */
		g_assert_cmphex(cv->vmcs.g_rflags, ==, cv->rflags);
		g_assert_cmphex(cv->vmcs.g_cr0, ==, cv->cr0);
		g_assert_cmphex(cv->vmcs.g_cr3, ==, cv->cr3);
		g_assert_cmphex(cv->vmcs.g_cr4, ==, cv->cr4);
		g_assert_cmphex(cv->vmcs.g_cs, ==, cv->cs);
		g_assert_cmphex(cv->vmcs.g_ss, ==, cv->ss);
		g_assert_cmphex(cv->vmcs.g_cr3, !=, 0);
		checked++;
	}
	g_assert_cmpuint(checked, ==, 3);
	harness_fini(&h);
}

/* The window around RIP holds the code at RIP, read the way the VP fetches. */
static void test_code_window(void)
{
	Harness h;
	boot_to_child(&h);
	g_autoptr(SimSnapshot) s = sim_snapshot_take(h.m);
	for (guint i = 0; i < s->n_partitions; i++) {
		const SimSnapVp *vp = &s->partitions[i].vps[0];
		g_assert_cmpuint(vp->window_len, >, 0);
		g_assert_cmpuint(vp->window_start, <=, vp->rip);
		g_assert_cmpuint(vp->rip - vp->window_start, <=, SIM_SNAP_WINDOW_BEFORE);
		uint64_t at = vp->rip - vp->window_start;
		g_assert_cmpuint(at + vp->code_len, <=, vp->window_len);
		g_assert_cmpmem(vp->window + at, vp->code_len, vp->code, vp->code_len);
	}
}

/* The child's runs against SimChild.mapped page by page, and against the
 * worker's layout: child GPA [0, n) onto n consecutive parent pages
 * (guest/kernel/vid.c, vid_map_pages), with one set of permissions. */
static void test_gpa_map(void)
{
	Harness h;
	SimPartition *child = boot_to_child(&h);
	SimSnapRequest req = { .detail = SIM_SNAP_DETAIL_GPA_MAP };
	g_autoptr(SimSnapshot) s = sim_snapshot_take_detail(h.m, &req);
	const SimSnapPartition *c = sim_snapshot_partition(s, 2);
	g_assert_cmpuint(c->n_gpa_runs, >, 0);
	uint64_t pages = 0;
	for (guint i = 0; i < c->n_gpa_runs; i++) {
		const SimSnapGpaRun *r = &c->gpa_runs[i];
		g_assert_true(i == 0 || r->gpa >= c->gpa_runs[i - 1].gpa + c->gpa_runs[i - 1].pages * 4096);
		for (uint64_t k = 0; k < r->pages; k++) {
			guint64 page = r->gpa / 4096 + k;
			gpointer e = g_hash_table_lookup(child->child->mapped, &page);
			g_assert_nonnull(e);
			g_assert_cmphex(SIM_SLAT_PAGE(e), ==, r->spa / 4096 + k);
			g_assert_cmpuint(SIM_SLAT_PERMS(e), ==, r->perms);
		}
		pages += r->pages;
	}
	g_assert_cmpuint(pages, ==, g_hash_table_size(child->child->mapped));
	g_assert_cmpuint(c->n_gpa_runs, ==, 1);
	g_assert_cmphex(c->gpa_runs[0].gpa, ==, 0);
	g_assert_true(c->gpa_runs[0].perms & VMX_EPT_READ);
	g_assert_true(c->gpa_runs[0].perms & VMX_EPT_EXEC);
	/* The parent is identity-mapped: no runs, the flag says so. */
	g_assert_cmpuint(sim_snapshot_partition(s, 1)->n_gpa_runs, ==, 0);
}

/* A global function of the image, found with sim_elf_symbol (the loader's
 * own look-up, independent of the table under test). */
static void test_symbols(void)
{
	Harness h;
	boot_to_child(&h);
	g_autoptr(SimSnapshot) s = sim_snapshot_take(h.m);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) img = sim_guest_image("hello.elf", &error);
	g_assert_no_error(error);
	gsize len;
	const guint8 *data = g_bytes_get_data(img, &len);
	static const char *const known[] = { "hvboot", "hv_detect", "console_write", "ata_read" };
	for (guint i = 0; i < s->n_partitions; i++) {
		const SimSymtab *t = s->partitions[i].symtab;
		g_assert_nonnull(t);
		g_assert_cmpuint(sim_symtab_count(t), >, 10);
		for (guint k = 0; k < G_N_ELEMENTS(known); k++) {
			uint64_t addr = 0, off = 99;
			g_assert_true(sim_elf_symbol(data, len, known[k], &addr));
			g_assert_cmpstr(sim_symtab_lookup(t, addr, &off), ==, known[k]);
			g_assert_cmpuint(off, ==, 0);
			char buf[64];
			g_assert_true(sim_symtab_describe(t, addr + 0x12, buf, sizeof buf));
			g_autofree char *want = g_strdup_printf("%s+0x12", known[k]);
			g_assert_cmpstr(buf, ==, want);
		}
	}
	/* Below the image: nothing. */
	uint64_t off;
	g_assert_null(sim_symtab_lookup(s->partitions[0].symtab, 0x1000, &off));
	/* Past the image's end, a linker script's marker names nothing: the
	 * hypercall page 4 KiB past __bss_end was "__bss_end+0xff0". */
	uint64_t bss_end = 0;
	g_assert_true(sim_elf_symbol(data, len, "__bss_end", &bss_end));
	g_assert_null(sim_symtab_lookup(s->partitions[0].symtab, bss_end + 0x10, &off));
	g_assert_false(sim_symtab_address(s->partitions[0].symtab, "__bss_end", &off));
	/* A name several symbols share (each file's static "ustr_.0"): all
	 * counted, at most `max` written, lowest first; the single-address
	 * lookup gives the lowest. */
	uint64_t all[16] = { 0 }, two[3] = { 0, 0, 0xdead };
	guint n = sim_symtab_addresses(s->partitions[0].symtab, "ustr_.0", all, G_N_ELEMENTS(all));
	g_assert_cmpuint(n, >=, 3);
	g_assert_cmpuint(n, <=, G_N_ELEMENTS(all));
	for (guint i = 1; i < n; i++)
		g_assert_cmphex(all[i], >, all[i - 1]);
	g_assert_cmpuint(sim_symtab_addresses(s->partitions[0].symtab, "ustr_.0", two, 2), ==, n);
	g_assert_cmphex(two[0], ==, all[0]);
	g_assert_cmphex(two[1], ==, all[1]);
	g_assert_cmphex(two[2], ==, 0xdead);   /* past max: untouched */
	g_assert_true(sim_symtab_address(s->partitions[0].symtab, "ustr_.0", &off));
	g_assert_cmphex(off, ==, all[0]);
	g_assert_cmpuint(sim_symtab_addresses(s->partitions[0].symtab, "ustr_.0", NULL, 0), ==, n);
	g_assert_cmpuint(sim_symtab_addresses(NULL, "ustr_.0", NULL, 0), ==, 0);
	/* An assembly label in code still names it (isr_common, untyped);
	 * code run in a sized data object is named by it (the hypercall page
	 * the hypervisor writes VMCALL into). */
	uint64_t label = 0, page = 0;
	g_assert_true(sim_elf_symbol(data, len, "isr_common", &label));
	g_assert_cmpstr(sim_symtab_lookup(s->partitions[0].symtab, label + 4, &off), ==, "isr_common");
	g_assert_true(sim_elf_symbol(data, len, "hv_hypercall_page", &page));
	g_assert_cmpstr(sim_symtab_lookup(s->partitions[0].symtab, page, &off), ==, "hv_hypercall_page");
	/* Sizes: a C function's (its last byte is still it, the next is not),
	 * a label's (none), nowhere's. */
	uint64_t cw = 0;
	g_assert_true(sim_elf_symbol(data, len, "console_write", &cw));
	uint64_t cw_size = sim_symtab_size_at(s->partitions[0].symtab, cw);
	g_assert_cmpuint(cw_size, >, 0x12);
	g_assert_cmpstr(sim_symtab_lookup(s->partitions[0].symtab, cw + cw_size - 1, &off), ==, "console_write");
	g_assert_cmpstr(sim_symtab_lookup(s->partitions[0].symtab, cw + cw_size, &off), !=, "console_write");
	g_assert_cmpuint(sim_symtab_size_at(s->partitions[0].symtab, label), ==, 0);
	g_assert_cmpuint(sim_symtab_size_at(s->partitions[0].symtab, cw + 1), ==, 0);
	g_assert_cmpuint(sim_symtab_size_at(NULL, cw), ==, 0);
	/* A hostile image: garbage gives no table, not a crash. */
	guint8 junk[256];
	memset(junk, 0xA5, sizeof junk);
	memcpy(junk, ELFMAG, SELFMAG);
	g_assert_null(sim_symtab_new_from_elf(junk, sizeof junk));
	g_assert_null(sim_symtab_new_from_elf(data, 63));
}

/* One instruction alone, as the status line shows it, in each mode; bytes
 * that do not decode give nothing. */
static void test_disasm_one(void)
{
	static const uint8_t out_al[] = { 0xe6, 0xf8 }, vmcall[] = { 0x0f, 0x01, 0xc1 }, hlt[] = { 0xf4 },
	                     mov_rax[] = { 0x48, 0xc7, 0xc0, 0x2a, 0x00, 0x00, 0x00 }, bad[] = { 0x06 };   /* push es: no such instruction in 64-bit mode */
	char buf[64];
	g_assert_true(sim_snap_disasm_one(out_al, sizeof out_al, 0x100a2c, SIM_SNAP_MODE_LONG, buf, sizeof buf));
	g_assert_cmpstr(buf, ==, "out 0xf8, al");
	g_assert_true(sim_snap_disasm_one(vmcall, sizeof vmcall, 0x18d000, SIM_SNAP_MODE_LONG, buf, sizeof buf));
	g_assert_cmpstr(buf, ==, "vmcall");
	g_assert_true(sim_snap_disasm_one(hlt, sizeof hlt, 0x7c00, SIM_SNAP_MODE_REAL, buf, sizeof buf));
	g_assert_cmpstr(buf, ==, "hlt");
	g_assert_true(sim_snap_disasm_one(mov_rax, sizeof mov_rax, 0x1000, SIM_SNAP_MODE_LONG, buf, sizeof buf));
	g_assert_cmpstr(buf, ==, "mov rax, 0x2a");
	g_assert_false(sim_snap_disasm_one(bad, sizeof bad, 0x1000, SIM_SNAP_MODE_LONG, buf, sizeof buf));
	g_assert_cmpstr(buf, ==, "");
	g_assert_false(sim_snap_disasm_one(vmcall, 2, 0x1000, SIM_SNAP_MODE_LONG, buf, sizeof buf));   /* cut short */
	g_assert_false(sim_snap_disasm_one(NULL, 0, 0x1000, SIM_SNAP_MODE_LONG, buf, sizeof buf));
	char tiny[4];
	g_assert_true(sim_snap_disasm_one(out_al, sizeof out_al, 0, SIM_SNAP_MODE_LONG, tiny, sizeof tiny));
	g_assert_cmpstr(tiny, ==, "out");   /* cut to the buffer, terminated */
}

/* The parent's kernel enabled its SynIC (SCONTROL, SIMP, SIEFP, SINTs)
 * before it served the child: the snapshot shows the MSRs it wrote. */
static void test_synic(void)
{
	Harness h;
	boot_to_child(&h);
	g_autoptr(SimSnapshot) s = sim_snapshot_take(h.m);
	SimPartition *parent = sim_machine_find_partition(h.m, 1);
	SimVp *vp = g_ptr_array_index(parent->vps, 0);
	const SimSnapSynic *sy = &sim_snapshot_partition(s, 1)->vps[0].synic;
	g_assert_true(sy->scontrol & HV_SYNIC_SCONTROL_ENABLE);
	g_assert_true(sy->simp & HV_SYNIC_PAGE_ENABLE);
	g_assert_true(sy->siefp & HV_SYNIC_PAGE_ENABLE);
	g_assert_cmphex(sy->simp, ==, vp->synic.simp);
	guint unmasked = 0;
	for (guint i = 0; i < SIM_SNAP_SINTS; i++) {
		g_assert_cmphex(sy->sint[i], ==, vp->synic.sint[i]);
		g_assert_cmpuint(sy->queued[i], ==, vp->synic.queue[i].len);
		if (!(sy->sint[i] & HV_SYNIC_SINT_MASKED)) {
			unmasked++;
			g_assert_cmpuint(sy->sint[i] & HV_SYNIC_SINT_VECTOR_MASK, >=, 16);
		}
	}
	g_assert_cmpuint(unmasked, >, 0);
}

/* The hex view: bytes as the partition's memory holds them; bad ranges
 * give a message, no bytes. */
static void test_memory(void)
{
	Harness h;
	SimPartition *child = boot_to_child(&h);
	SimSnapRequest req = { .detail = SIM_SNAP_DETAIL_MEMORY, .mem_partition = 2, .mem_gpa = 0x100000, .mem_len = 256 };
	g_autoptr(SimSnapshot) s = sim_snapshot_take_detail(h.m, &req);
	g_assert_true(s->memory.asked);
	g_assert_null(s->memory.error);
	g_assert_cmpuint(s->memory.len, ==, 256);
	guint8 direct[256];
	g_assert_true(sim_memory_read(&child->mem, 0x100000, direct, sizeof direct));
	g_assert_cmpmem(s->memory.bytes, 256, direct, 256);

	static const struct { uint32_t part; uint64_t gpa; uint32_t len; const char *says; } bad[] = {
		{ 1, UINT64_C(0xFFFFFFFFFFFFFF00), 512, "outside partition 1" },
		{ 1, UINT64_C(0x40000000), 16, "outside partition 1" },
		{ 2, UINT64_C(0x7FFFFFFF000), 16, "not all mapped" },
		{ 9, 0, 16, "no partition 9" },
		{ 1, 0, 0, "length is 0" },
	};
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		SimSnapRequest b = { .detail = SIM_SNAP_DETAIL_MEMORY, .mem_partition = bad[i].part,
		                     .mem_gpa = bad[i].gpa, .mem_len = bad[i].len };
		g_autoptr(SimSnapshot) e = sim_snapshot_take_detail(h.m, &b);
		g_assert_nonnull(e->memory.error);
		g_assert_nonnull(strstr(e->memory.error, bad[i].says));
		g_assert_null(e->memory.bytes);
		g_assert_cmpuint(e->memory.len, ==, 0);
	}
	/* Longer than the limit: clamped, not refused. */
	SimSnapRequest big = { .detail = SIM_SNAP_DETAIL_MEMORY, .mem_partition = 1, .mem_gpa = 0x100000, .mem_len = 1u << 20 };
	g_autoptr(SimSnapshot) b = sim_snapshot_take_detail(h.m, &big);
	g_assert_cmpuint(b->memory.len, ==, SIM_SNAP_MEMORY_MAX);
}

/* What the runner takes every batch leaves the heavy parts out; asked
 * for, the consoles are the partitions' whole output. */
static void test_details(void)
{
	Harness h;
	boot_to_child(&h);
	g_autoptr(SimSnapshot) cheap = sim_snapshot_take(h.m);
	SimSnapRequest req = { .detail = SIM_SNAP_DETAIL_CONSOLES };
	g_autoptr(SimSnapshot) full = sim_snapshot_take_detail(h.m, &req);
	for (guint i = 0; i < cheap->n_partitions; i++) {
		g_assert_null(cheap->partitions[i].console);
		g_assert_null(cheap->partitions[i].gpa_runs);
		SimPartition *p = sim_machine_find_partition(h.m, full->partitions[i].id);
		g_assert_cmpstr(full->partitions[i].console, ==, sim_partition_console(p));
		g_assert_cmpuint(strlen(full->partitions[i].console), >, 0);
	}
	g_assert_false(cheap->memory.asked);
}

/* The storage channel of io-synthetic (beside the heartbeat channel both
 * kernels open): offered as storage, open, with
 * both rings' indices inside their data areas, packet-aligned. */
static void test_channels(void)
{
	Harness h;
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL };
	harness_init_scenario(&h, &cfg, "io-synthetic");
	const SimSnapChannel *open = NULL;
	SimSnapshot *s = NULL;
	while (!open && sim_machine_insns(h.m) < LIMIT_INSNS && sim_machine_step(h.m, STEP_INSNS, SIM_STEP_STOP_NONE)) {
		g_clear_pointer(&s, sim_snapshot_free);
		s = sim_snapshot_take(h.m);
		for (guint i = 0; i < s->n_channels; i++)
			if (s->channels[i].open && s->channels[i].write_index[SIM_SNAP_RING_TO_PARENT] > 0 &&
			    strstr(s->channels[i].type_name, "storage"))
				open = &s->channels[i];
	}
	g_assert_nonnull(open);
	g_assert_cmpstr(open->type_name, ==, "storage (SCSI)");
	gboolean heartbeat = FALSE;
	for (guint i = 0; i < s->n_channels; i++)
		heartbeat |= strcmp(s->channels[i].type_name, "heartbeat IC") == 0;
	g_assert_true(heartbeat);
	g_assert_cmpuint(open->child_id, ==, 2);
	for (int dir = 0; dir < 2; dir++) {
		g_assert_cmpuint(open->data_size[dir], >, 0);
		g_assert_cmpuint(open->write_index[dir], <, open->data_size[dir]);
		g_assert_cmpuint(open->read_index[dir], <, open->data_size[dir]);
		g_assert_cmpuint(open->write_index[dir] % 8, ==, 0);
	}
	sim_snapshot_free(s);
	harness_fini(&h);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	boot_to_child_once(&shared);
	g_test_add_func("/sim/snapshot/vmcs", test_vmcs);
	g_test_add_func("/sim/snapshot/vmcs-guest-state", test_vmcs_guest_state);
	g_test_add_func("/sim/snapshot/code-window", test_code_window);
	g_test_add_func("/sim/snapshot/gpa-map", test_gpa_map);
	g_test_add_func("/sim/snapshot/symbols", test_symbols);
	g_test_add_func("/sim/snapshot/disasm-one", test_disasm_one);
	g_test_add_func("/sim/snapshot/synic", test_synic);
	g_test_add_func("/sim/snapshot/memory", test_memory);
	g_test_add_func("/sim/snapshot/details", test_details);
	g_test_add_func("/sim/snapshot/channels", test_channels);
	int rc = g_test_run();
	harness_fini(&shared);
	return rc;
}
