/* gui-panel-text.c — the side panels' text, formatted from a SimSnapshot
 * (gui-panel-text.h). Reads only the snapshot: GTK main thread or tests. */
#include <capstone/capstone.h>
#include <errno.h>
#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

#include "gui-panel-text.h"
#include "hv-tlfs.h"
#include "vmx.h"
#include "x86-arch.h"

#define PAGE_BYTES 4096u
#define HEX_ROW    16u    /* bytes per hex-view row */

void gui_panel_text_init(GuiPanelText *t)
{
	t->text = g_string_new(NULL);
	t->headings = g_array_new(FALSE, FALSE, sizeof(int));
	t->current_line = -1;
}

void gui_panel_text_clear(GuiPanelText *t)
{
	if (t->text)
		g_string_free(t->text, TRUE);
	if (t->headings)
		g_array_unref(t->headings);
	t->text = NULL;
	t->headings = NULL;
}

static int line_count(const GString *s)
{
	int n = 0;
	for (gsize i = 0; i < s->len; i++)
		n += s->str[i] == '\n';
	return n;
}

static void heading(GuiPanelText *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void heading(GuiPanelText *t, const char *fmt, ...)
{
	va_list ap;
	if (t->text->len && t->text->str[t->text->len - 1] == '\n' && t->headings->len)
		g_string_append_c(t->text, '\n');
	int line = line_count(t->text);
	g_array_append_val(t->headings, line);
	va_start(ap, fmt);
	g_string_append_vprintf(t->text, fmt, ap);
	va_end(ap);
	g_string_append_c(t->text, '\n');
}

#define X64 "0x%016" G_GINT64_MODIFIER "x"

gboolean gui_exit_instruction(const SimSnapshot *s, const SimEvent *ex, char *out, gsize len)
{
	g_return_val_if_fail(out != NULL && len > 0, FALSE);
	out[0] = '\0';
	if (!s || !ex || ex->type != SIM_EV_VM_EXIT)
		return FALSE;
	const SimSnapPartition *p = NULL;
	const SimSnapVp *vp = sim_snapshot_vp(s, ex->partition, ex->vp, &p);
	if (!vp || !vp->vmcs.valid || vp->vmcs.guest_rip != ex->u.exit.rip || !vp->vmcs.code_len)
		return FALSE;
	char insn[96];
	if (!sim_snap_disasm_one(vp->vmcs.code, vp->vmcs.code_len, vp->vmcs.guest_rip, vp->mode, insn, sizeof insn))
		return FALSE;
	char sym[96] = "";
	if (p && sim_symtab_describe(p->symtab, vp->vmcs.guest_rip, sym, sizeof sym))
		g_snprintf(out, len, "%s <%s>", insn, sym);
	else
		g_strlcpy(out, insn, len);
	return TRUE;
}

/* ---- CPU ---------------------------------------------------------------------- */

void gui_panel_text_registers(GuiPanelText *t, const SimSnapPartition *p, const SimSnapVp *vp)
{
	heading(t, "Partition %u (%s, %s), VP %u", p->id, p->name, sim_snap_role_name(p->role), vp->index);
	const char *state = !vp->started ? ", not started" : vp->halted ? ", halted (HLT)" :
	                    vp->intercept_suspend ? ", suspended: its parent handles an intercept" :
	                    vp->explicit_suspend ? ", suspended by its parent" : "";
	g_string_append_printf(t->text, "CPL %u (%s), %s mode%s\n", vp->cpl, vp->cpl == 0 ? "kernel, ring 0" : "user, ring 3",
	                       sim_snap_mode_name(vp->mode), state);
	char flags[64];
	sim_snap_rflags_describe(vp->rflags, flags, sizeof flags);
	g_string_append_printf(t->text, "RIP    " X64 "\nRFLAGS " X64 "  %s\n", vp->rip, vp->rflags, flags);
	for (guint i = 0; i < SIM_SNAP_GPRS; i++)
		g_string_append_printf(t->text, "%-3s " X64 "%s", sim_snap_gpr_name(i), vp->gpr[i], i % 2 ? "\n" : "  ");
	g_string_append_printf(t->text, "CS  0x%04x (RPL %u)    SS  0x%04x\n", vp->cs, vp->cs & 3u, vp->ss);
	g_string_append_printf(t->text, "CR0 " X64 "  CR3 " X64 "\nCR4 " X64 "  EFER 0x%" G_GINT64_MODIFIER "x\n",
	                       vp->cr0, vp->cr3, vp->cr4, vp->efer);
	g_string_append_printf(t->text, "%" G_GUINT64_FORMAT " instructions retired\n", vp->insns);
}

#define LISTING_BEFORE 8u   /* instructions shown before RIP */
#define LISTING_AFTER  12u  /* ... and from RIP on */
#define LISTING_BYTES  4u   /* opcode bytes shown per instruction (then "…") */

/* Decodes the window from `start`. Returns how many instructions come
 * before RIP, or -1 if the decoding does not land on RIP (a start inside an
 * instruction). With `emit`, appends the listing, skipping the first
 * `skip` instructions: "func:" labels where a symbol starts (or at the
 * first line), each line "addr +off bytes mnemonic operands". */
static int decode(csh cs, cs_insn *insn, const SimSnapPartition *p, const SimSnapVp *vp, uint64_t start,
                  GuiPanelText *t, gboolean emit, int skip)
{
	const uint8_t *code = vp->window + (start - vp->window_start);
	size_t left = vp->window_len - (start - vp->window_start);
	uint64_t a = start;
	int before = 0, n = 0;
	guint after = 0;
	gboolean hit = FALSE;
	const char *last_sym = NULL;
	while (after < LISTING_AFTER && cs_disasm_iter(cs, &code, &left, &a, insn)) {
		if (insn->address == vp->rip)
			hit = TRUE;
		else if (insn->address > vp->rip && !hit)
			return -1;
		if (hit)
			after++;
		else
			before++;
		if (!emit || n++ < skip)
			continue;
		uint64_t off = 0;
		const char *sym = sim_symtab_lookup(p->symtab, insn->address, &off);
		if (sym && (off == 0 || sym != last_sym))
			g_string_append_printf(t->text, off ? "%s+0x%" G_GINT64_MODIFIER "x:\n" : "%s:\n", sym, off);
		last_sym = sym;
		char bytes[3 * LISTING_BYTES + 4] = "";
		for (uint16_t i = 0; i < insn->size && i < LISTING_BYTES; i++)
			g_snprintf(bytes + 3 * i, sizeof bytes - 3 * i, "%02x%s", insn->bytes[i],
			           i + 1 == LISTING_BYTES && insn->size > LISTING_BYTES ? "…" : " ");
		char where[24] = "";
		if (sym)
			g_snprintf(where, sizeof where, "+0x%" G_GINT64_MODIFIER "x", off);
		if (insn->address == vp->rip)
			t->current_line = line_count(t->text);
		g_string_append_printf(t->text, "%s%06" G_GINT64_MODIFIER "x %-6s %-12s %s %s\n", insn->address == vp->rip ? "▶" : " ",
		                       insn->address, where, bytes, insn->mnemonic, insn->op_str);
	}
	return hit ? before : -1;
}

/* Where to start decoding so that the listing lands on RIP: the start of
 * RIP's function when it lies in the window (a real instruction boundary);
 * else the earliest byte before RIP from which decoding lands on RIP (x86
 * decoding falls into step within a few instructions; *guessed says so);
 * else RIP itself. */
static uint64_t listing_start(csh cs, cs_insn *insn, const SimSnapPartition *p, const SimSnapVp *vp,
                              gboolean *guessed)
{
	uint64_t off = 0;
	*guessed = FALSE;
	if (sim_symtab_lookup(p->symtab, vp->rip, &off) && off <= vp->rip - vp->window_start &&
	    decode(cs, insn, p, vp, vp->rip - off, NULL, FALSE, 0) >= 0)
		return vp->rip - off;
	for (uint64_t start = vp->window_start; start < vp->rip; start++)
		if (decode(cs, insn, p, vp, start, NULL, FALSE, 0) >= 0) {
			*guessed = TRUE;
			return start;
		}
	return vp->rip;
}

void gui_panel_text_disasm(GuiPanelText *t, const SimSnapPartition *p, const SimSnapVp *vp)
{
	char here[96] = "";
	sim_symtab_describe(p->symtab, vp->rip, here, sizeof here);
	heading(t, "Code at RIP " X64 "%s%s%s", vp->rip, *here ? " (" : "", here, *here ? ")" : "");
	if (!p->symtab)
		g_string_append(t->text, "(this image has no symbol table)\n");
	if (vp->window_len == 0) {
		g_string_append(t->text, "(memory at RIP is not readable through the VP's page tables)\n");
		return;
	}
	csh cs;
	cs_mode mode = vp->mode == SIM_SNAP_MODE_LONG ? CS_MODE_64 : vp->mode == SIM_SNAP_MODE_PROTECTED ? CS_MODE_32 : CS_MODE_16;
	if (cs_open(CS_ARCH_X86, mode, &cs) != CS_ERR_OK) {
		g_string_append(t->text, "(Capstone could not be opened)\n");
		return;
	}
	cs_insn *insn = cs_malloc(cs);
	gboolean guessed;
	uint64_t start = listing_start(cs, insn, p, vp, &guessed);
	int before = decode(cs, insn, p, vp, start, NULL, FALSE, 0);
	decode(cs, insn, p, vp, start, t, TRUE, before > (int)LISTING_BEFORE ? before - (int)LISTING_BEFORE : 0);
	cs_free(insn, 1);
	cs_close(&cs);
	if (guessed)
		g_string_append(t->text, "(decoded from a guessed boundary before RIP: the lines above it may be off)\n");
	g_string_append(t->text, vp->code_paged ? "(read through the VP's page tables, as the CPU fetches it)\n"
	                                        : "(its page tables do not map RIP: read at GPA = linear address, as the\n"
	                                          " emulator fetches it; Unicorn 2.0.1 ignores guest paging)\n");
}

/* ---- The modelled VMCS ------------------------------------------------------ */

void gui_panel_describe_bits(uint32_t value, const GuiPanelBit *table, gsize n, GString *out)
{
	gsize start = out->len;
	for (guint bit = 0; bit < 32; bit++) {
		uint32_t mask = 1u << bit;
		if (!(value & mask))
			continue;
		const char *name = NULL;
		for (gsize i = 0; i < n; i++)
			if (table[i].bit == mask)
				name = table[i].name;
		if (out->len > start)
			g_string_append(out, ", ");
		if (name)
			g_string_append(out, name);
		else
			g_string_append_printf(out, "bit %u", bit);
	}
	if (out->len == start)
		g_string_append(out, "none");
}

static const GuiPanelBit pin_bits[] = {
	{ VMX_PIN_EXTERNAL_INTERRUPT_EXITING, "external-interrupt exiting" },
	{ VMX_PIN_NMI_EXITING, "NMI exiting" },
	{ VMX_PIN_VIRTUAL_NMIS, "virtual NMIs" },
	{ VMX_PIN_PREEMPTION_TIMER, "preemption timer" },
	{ VMX_PIN_POSTED_INTERRUPTS, "posted interrupts" },
};

static const GuiPanelBit proc_bits[] = {
	{ VMX_PROC_INTERRUPT_WINDOW_EXITING, "interrupt-window exiting" },
	{ VMX_PROC_USE_TSC_OFFSETTING, "TSC offsetting" },
	{ VMX_PROC_HLT_EXITING, "HLT exiting" },
	{ VMX_PROC_INVLPG_EXITING, "INVLPG exiting" },
	{ VMX_PROC_MWAIT_EXITING, "MWAIT exiting" },
	{ VMX_PROC_RDPMC_EXITING, "RDPMC exiting" },
	{ VMX_PROC_RDTSC_EXITING, "RDTSC exiting" },
	{ VMX_PROC_CR3_LOAD_EXITING, "CR3-load exiting" },
	{ VMX_PROC_CR3_STORE_EXITING, "CR3-store exiting" },
	{ VMX_PROC_ACTIVATE_TERTIARY, "tertiary controls" },
	{ VMX_PROC_CR8_LOAD_EXITING, "CR8-load exiting" },
	{ VMX_PROC_CR8_STORE_EXITING, "CR8-store exiting" },
	{ VMX_PROC_USE_TPR_SHADOW, "TPR shadow" },
	{ VMX_PROC_NMI_WINDOW_EXITING, "NMI-window exiting" },
	{ VMX_PROC_MOV_DR_EXITING, "MOV-DR exiting" },
	{ VMX_PROC_UNCONDITIONAL_IO_EXITING, "unconditional I/O exiting" },
	{ VMX_PROC_USE_IO_BITMAPS, "use I/O bitmaps" },
	{ VMX_PROC_MONITOR_TRAP_FLAG, "monitor trap flag" },
	{ VMX_PROC_USE_MSR_BITMAPS, "use MSR bitmaps" },
	{ VMX_PROC_MONITOR_EXITING, "MONITOR exiting" },
	{ VMX_PROC_PAUSE_EXITING, "PAUSE exiting" },
	{ VMX_PROC_ACTIVATE_SECONDARY, "secondary controls" },
};

static const GuiPanelBit proc2_bits[] = {
	{ VMX_PROC2_VIRTUALIZE_APIC, "virtualize APIC accesses" },
	{ VMX_PROC2_ENABLE_EPT, "enable EPT" },
	{ VMX_PROC2_DESCRIPTOR_TABLE_EXITING, "descriptor-table exiting" },
	{ VMX_PROC2_ENABLE_RDTSCP, "enable RDTSCP" },
	{ VMX_PROC2_VIRTUALIZE_X2APIC, "virtualize x2APIC" },
	{ VMX_PROC2_ENABLE_VPID, "enable VPID" },
	{ VMX_PROC2_WBINVD_EXITING, "WBINVD exiting" },
	{ VMX_PROC2_UNRESTRICTED_GUEST, "unrestricted guest" },
	{ VMX_PROC2_APIC_REGISTER_VIRT, "APIC-register virtualization" },
	{ VMX_PROC2_VIRTUAL_INTR_DELIVERY, "virtual-interrupt delivery" },
	{ VMX_PROC2_PAUSE_LOOP_EXITING, "PAUSE-loop exiting" },
	{ VMX_PROC2_RDRAND_EXITING, "RDRAND exiting" },
	{ VMX_PROC2_ENABLE_INVPCID, "enable INVPCID" },
	{ VMX_PROC2_ENABLE_VMFUNC, "enable VM functions" },
	{ VMX_PROC2_VMCS_SHADOWING, "VMCS shadowing" },
	{ VMX_PROC2_ENCLS_EXITING, "ENCLS exiting" },
	{ VMX_PROC2_RDSEED_EXITING, "RDSEED exiting" },
	{ VMX_PROC2_ENABLE_PML, "enable PML" },
	{ VMX_PROC2_EPT_VIOLATION_VE, "EPT-violation #VE" },
	{ VMX_PROC2_ENABLE_XSAVES, "enable XSAVES" },
	{ VMX_PROC2_TSC_SCALING, "TSC scaling" },
};

static const GuiPanelBit exit_bits[] = {
	{ VMX_EXIT_CTL_SAVE_DEBUG_CONTROLS, "save debug controls" },
	{ VMX_EXIT_CTL_HOST_ADDR_SPACE_SIZE, "host address-space size (64-bit host)" },
	{ VMX_EXIT_CTL_LOAD_PERF_GLOBAL_CTRL, "load PERF_GLOBAL_CTRL" },
	{ VMX_EXIT_CTL_ACK_INTERRUPT, "acknowledge interrupt on exit" },
	{ VMX_EXIT_CTL_SAVE_PAT, "save PAT" },
	{ VMX_EXIT_CTL_LOAD_PAT, "load PAT" },
	{ VMX_EXIT_CTL_SAVE_EFER, "save EFER" },
	{ VMX_EXIT_CTL_LOAD_EFER, "load EFER" },
	{ VMX_EXIT_CTL_SAVE_PREEMPTION_TIMER, "save preemption timer" },
};

static const GuiPanelBit entry_bits[] = {
	{ VMX_ENTRY_CTL_LOAD_DEBUG_CONTROLS, "load debug controls" },
	{ VMX_ENTRY_CTL_IA32E_MODE_GUEST, "IA-32e mode guest" },
	{ VMX_ENTRY_CTL_ENTRY_TO_SMM, "entry to SMM" },
	{ VMX_ENTRY_CTL_DEACTIVATE_DUAL_MONITOR, "deactivate dual monitor" },
	{ VMX_ENTRY_CTL_LOAD_PERF_GLOBAL_CTRL, "load PERF_GLOBAL_CTRL" },
	{ VMX_ENTRY_CTL_LOAD_PAT, "load PAT" },
	{ VMX_ENTRY_CTL_LOAD_EFER, "load EFER" },
};

static void control_line(GuiPanelText *t, const char *name, uint32_t value, const GuiPanelBit *table, gsize n)
{
	g_string_append_printf(t->text, "%-17s 0x%08x: ", name, value);
	gui_panel_describe_bits(value, table, n, t->text);
	g_string_append_c(t->text, '\n');
}

static const char *const gpr16[16] = {
	"RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI", "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15",
};

/* The exit qualification in the SDM's terms for the reasons the model
 * produces qualifications for; the others have none (0). */
static void qualification(GuiPanelText *t, const SimSnapVmcs *v, uint32_t basic)
{
	GString *o = t->text;
	switch (basic) {
	case VMX_EXIT_IO_INSTRUCTION: {
		VmxIoQual q;
		vmx_io_qual_decode(v->exit_qualification, &q);
		g_string_append_printf(o, "  = %s%s port 0x%04x, %u byte%s%s%s\n", q.in ? "IN" : "OUT", q.string ? "S" : "",
		                       q.port, q.size, q.size == 1 ? "" : "s", q.rep ? ", REP" : "",
		                       q.imm ? ", port as immediate" : ", port in DX");
		break;
	}
	case VMX_EXIT_CR_ACCESS: {
		VmxCrQual q;
		vmx_cr_qual_decode(v->exit_qualification, &q);
		static const char *const access[] = { "MOV to", "MOV from", "CLTS on", "LMSW on" };
		g_string_append_printf(o, "  = %s CR%u", access[q.access & 3], q.cr);
		if (q.access <= VMX_CR_ACCESS_MOV_FROM)
			g_string_append_printf(o, " (register %s)", gpr16[q.gpr & 15]);
		g_string_append_c(o, '\n');
		break;
	}
	case VMX_EXIT_EPT_VIOLATION: {
		uint64_t q = v->exit_qualification;
		g_string_append_printf(o, "  = %s at GPA 0x%" G_GINT64_MODIFIER "x; the EPT allowed %s%s%s\n",
		                       q & VMX_EPT_QUAL_FETCH ? "instruction fetch" : q & VMX_EPT_QUAL_WRITE ? "write" : "read",
		                       v->exit_gpa, q & VMX_EPT_QUAL_READABLE ? "R" : "-", q & VMX_EPT_QUAL_WRITABLE ? "W" : "-",
		                       q & VMX_EPT_QUAL_EXECUTABLE ? "X" : "-");
		break;
	}
	case VMX_EXIT_RDMSR:
	case VMX_EXIT_WRMSR:
		g_string_append(o, "  (none: the MSR number is in the guest's ECX)\n");
		break;
	case VMX_EXIT_VMCALL:
		g_string_append(o, "  (none: the hypercall input is in the guest's RCX, RDX, R8)\n");
		break;
	default:
		if (v->exit_qualification == 0)
			g_string_append(o, "  (none for this reason)\n");
		break;
	}
}

void gui_panel_text_vmcs(GuiPanelText *t, const SimSnapshot *s, const SimSnapPartition *p, const SimSnapVp *vp)
{
	const SimSnapVmcs *v = &vp->vmcs;
	heading(t, "Modelled VMCS of partition %u, VP %u", p->id, vp->index);
	if (!v->valid) {
		g_string_append(t->text, "No VMCS in use: this partition runs on the bare CPU model (before the late launch).\n");
		return;
	}
	if (s->vendor == SIM_VENDOR_AMD)
		g_string_append(t->text, "AMD flavour: the model keeps VT-x's VMCS; each exit's AMD-V code is shown beside it.\n");
	g_string_append(t->text, "The fields the model keeps, as it holds them (vmx-model/).\n");

	heading(t, "Last VM exit");
	uint32_t basic = v->exit_reason & VMX_EXIT_REASON_BASIC_MASK;
	if (v->exit_reason == 0 && v->guest_rip == 0) {
		g_string_append(t->text, "none yet\n");
	} else {
		g_string_append_printf(t->text, "exit reason      %u  %s%s\n", basic, vmx_exit_reason_name(basic),
		                       v->exit_reason & VMX_EXIT_REASON_ENTRY_FAILURE ? " (VM-entry failure)" : "");
		if (s->vendor == SIM_VENDOR_AMD) {
			uint32_t code = vmx_exit_to_svm(basic, v->exit_qualification, v->intr_info & VMX_INTR_INFO_VECTOR_MASK);
			g_string_append_printf(t->text, "AMD-V exit code  VMEXIT_%s\n", svm_exit_code_name(code));
		}
		g_string_append_printf(t->text, "qualification    0x%" G_GINT64_MODIFIER "x\n", v->exit_qualification);
		qualification(t, v, basic);
		g_string_append_printf(t->text, "guest RIP        " X64 "\ninstr. length    %u\n", v->guest_rip, v->insn_len);
		uint8_t vector, type;
		bool has_err;
		if (vmx_intr_info_decode(v->intr_info, &vector, &type, &has_err))
			g_string_append_printf(t->text, "interruption     vector %u (%s), %s%s\n", vector, vmx_exception_mnemonic(vector),
			                       vmx_intr_type_name(type), has_err ? ", error code" : "");
		else
			g_string_append(t->text, "interruption     none (valid bit clear)\n");
		if (basic == VMX_EXIT_EPT_VIOLATION)
			g_string_append_printf(t->text, "guest-physical   0x%" G_GINT64_MODIFIER "x\nguest-linear     0x%" G_GINT64_MODIFIER "x\n",
			                       v->exit_gpa, v->exit_linear);
		g_autofree char *insn = sim_snap_disasm(v->code, v->code_len, v->guest_rip, vp->mode, 1);
		char sym[96] = "";
		sim_symtab_describe(p->symtab, v->guest_rip, sym, sizeof sym);
		g_string_append_printf(t->text, "exiting instr.   %s%s%s%s\n", *insn ? strstr(insn, "  ") + 2 : "(not readable)",
		                       *sym ? "  <" : "", sym, *sym ? ">" : "");
	}

	heading(t, "Guest-state area");
	g_string_append_printf(t->text, "RIP    " X64 "  RSP " X64 "\nRFLAGS " X64 "\n", v->g_rip, v->g_rsp, v->g_rflags);
	g_string_append_printf(t->text, "CR0    " X64 "  CR3 " X64 "\nCR4    " X64 "  EFER 0x%" G_GINT64_MODIFIER "x\n",
	                       v->g_cr0, v->g_cr3, v->g_cr4, v->g_efer);
	g_string_append_printf(t->text, "CS     0x%04x  SS 0x%04x\n", v->g_cs, v->g_ss);
	g_string_append(t->text, "(Saved at this VP's last VM exit, as the processor saves them; EFER is kept here all the "
	                         "time. Between exits the guest runs on: its live registers are on the CPU page.)\n");

	heading(t, "Controls");
	control_line(t, "pin-based", v->pin_based, pin_bits, G_N_ELEMENTS(pin_bits));
	control_line(t, "primary proc.", v->proc_based, proc_bits, G_N_ELEMENTS(proc_bits));
	control_line(t, "secondary proc.", v->proc_based2, proc2_bits, G_N_ELEMENTS(proc2_bits));
	control_line(t, "VM-exit", v->exit_controls, exit_bits, G_N_ELEMENTS(exit_bits));
	control_line(t, "VM-entry", v->entry_controls, entry_bits, G_N_ELEMENTS(entry_bits));
	g_string_append_printf(t->text, "exception bitmap  0x%08x%s\n", v->exception_bitmap,
	                       v->exception_bitmap ? "" : " (exceptions stay in the guest)");
	g_string_append_printf(t->text, "I/O bitmaps       %s: %u of 65536 ports exit\n",
	                       v->proc_based & VMX_PROC_USE_IO_BITMAPS ? "in use" : "not used", v->io_ports_exiting);
	g_string_append_printf(t->text, "MSR bitmap        %s: IA32_EFER %s; synthetic MSRs lie outside it and always exit\n",
	                       v->proc_based & VMX_PROC_USE_MSR_BITMAPS ? "in use" : "not used",
	                       v->msr_efer_exits ? "exits" : "passes");
	g_string_append_printf(t->text, "VPID              %u\n", v->vpid);
	g_string_append_printf(t->text, "EPT pointer       0x%" G_GINT64_MODIFIER "x", v->ept_pointer);
	if (p->slat_eptp)
		g_string_append(t->text, v->ept_pointer == p->slat_eptp ? "; the root of the child's SLAT map"
		                                                        : "; (differs from the child's map: a model bug)");
	else if (p->identity_mapped)
		g_string_append(t->text, "; the parent's GPAs are the machine's addresses (identity)");
	g_string_append_c(t->text, '\n');
}

/* ---- SynIC and VMBus ----------------------------------------------------------- */

void gui_panel_text_synic(GuiPanelText *t, const SimSnapVp *vp)
{
	const SimSnapSynic *sy = &vp->synic;
	heading(t, "SynIC of VP %u", vp->index);
	g_string_append_printf(t->text, "SCONTROL 0x%" G_GINT64_MODIFIER "x  %s\n", sy->scontrol,
	                       sy->scontrol & HV_SYNIC_SCONTROL_ENABLE ? "enabled" : "disabled");
	g_string_append_printf(t->text, "SIMP     0x%" G_GINT64_MODIFIER "x  message page %s\n", sy->simp,
	                       sy->simp & HV_SYNIC_PAGE_ENABLE ? "enabled" : "disabled");
	g_string_append_printf(t->text, "SIEFP    0x%" G_GINT64_MODIFIER "x  event-flags page %s\n", sy->siefp,
	                       sy->siefp & HV_SYNIC_PAGE_ENABLE ? "enabled" : "disabled");
	guint shown = 0;
	for (guint i = 0; i < SIM_SNAP_SINTS; i++) {
		uint64_t v = sy->sint[i];
		if ((v & HV_SYNIC_SINT_MASKED) && !sy->queued[i] && !sy->slot_type[i])
			continue;
		g_string_append_printf(t->text, "SINT%-2u   vector %3u, %s%s; slot %s, %u queued\n", i,
		                       (unsigned)(v & HV_SYNIC_SINT_VECTOR_MASK), v & HV_SYNIC_SINT_MASKED ? "masked" : "unmasked",
		                       v & HV_SYNIC_SINT_AUTO_EOI ? ", auto-EOI" : "",
		                       sy->slot_type[i] ? "holds a message" : "free", sy->queued[i]);
		shown++;
	}
	if (shown < SIM_SNAP_SINTS)
		g_string_append_printf(t->text, "(%u other SINTs masked, empty)\n", SIM_SNAP_SINTS - shown);
}

gboolean gui_panel_channel_of(const SimSnapshot *s, const SimSnapChannel *c, uint32_t id)
{
	if (id == 0 || c->child_id == id)
		return TRUE;
	const SimSnapPartition *child = sim_snapshot_partition(s, c->child_id);
	return child && child->parent_id == id;
}

void gui_panel_text_channels(GuiPanelText *t, const SimSnapshot *s, uint32_t id)
{
	heading(t, "VMBus channels");
	guint n = 0;
	for (guint i = 0; i < s->n_channels; i++) {
		const SimSnapChannel *c = &s->channels[i];
		if (!gui_panel_channel_of(s, c, id))
			continue;
		n++;
		g_string_append_printf(t->text, "relid %u, child %u: %s, %s\n", c->relid, c->child_id, c->type_name,
		                       c->open ? "open" : "closed");
		static const char *const dir[2] = { "child→parent", "parent→child" };
		for (int d = 0; d < 2 && c->open; d++) {
			if (!c->data_size[d]) {
				g_string_append_printf(t->text, "  %s ring: not readable\n", dir[d]);
				continue;
			}
			uint32_t w = c->write_index[d], r = c->read_index[d];
			uint32_t in_flight = w >= r ? w - r : c->data_size[d] - r + w;
			if (w >= c->data_size[d] || r >= c->data_size[d])
				g_string_append_printf(t->text, "  %s: write %u, read %u: outside the %u-byte ring (the guest's values)\n",
				                       dir[d], w, r, c->data_size[d]);
			else
				g_string_append_printf(t->text, "  %s: write %u, read %u, %u/%u B in flight\n", dir[d], w, r,
				                       in_flight, c->data_size[d]);
		}
	}
	if (!n)
		g_string_append(t->text, "none (a parent offers channels to its child once both run VMBus)\n");
}

/* ---- Memory --------------------------------------------------------------------- */

static void perms(uint8_t p, char out[4])
{
	out[0] = p & VMX_EPT_READ ? 'R' : '-';
	out[1] = p & VMX_EPT_WRITE ? 'W' : '-';
	out[2] = p & VMX_EPT_EXEC ? 'X' : '-';
	out[3] = '\0';
}

void gui_panel_text_memory_map(GuiPanelText *t, const SimSnapshot *s, const SimSnapPartition *p)
{
	(void)s;
	heading(t, "GPA -> SPA of partition %u (%s)", p->id, p->name);
	if (p->identity_mapped) {
		g_string_append_printf(t->text, "identity-mapped: GPA 0x0 - 0x%" G_GINT64_MODIFIER "x is SPA 0x0 - 0x%" G_GINT64_MODIFIER "x, RWX\n"
		                       "(the OS that booted owns the machine's RAM; the hypervisor gives it no SLAT in this model)\n",
		                       p->memory_bytes, p->memory_bytes);
		return;
	}
	if (!p->gpa_runs) {
		g_string_append(t->text, p->slat_eptp ? "(the map is copied while this page is shown)\n" : "nothing mapped yet (no MapGpaPages)\n");
		return;
	}
	g_string_append_printf(t->text, "its SLAT (EPT, EPTP 0x%" G_GINT64_MODIFIER "x) maps child GPAs onto its parent's GPAs\n"
	                       "(= SPAs: the parent is identity-mapped), from the worker's HvCallMapGpaPages:\n",
	                       p->slat_eptp);
	g_string_append(t->text, "  child GPA range              -> SPA range                     pages  EPT\n");
	for (guint i = 0; i < p->n_gpa_runs; i++) {
		const SimSnapGpaRun *r = &p->gpa_runs[i];
		char pr[4];
		perms(r->perms, pr);
		uint64_t bytes = r->pages * PAGE_BYTES;
		g_string_append_printf(t->text, "  %012" G_GINT64_MODIFIER "x-%012" G_GINT64_MODIFIER "x -> %012" G_GINT64_MODIFIER "x-%012" G_GINT64_MODIFIER "x %6" G_GUINT64_FORMAT "  %s\n",
		                       r->gpa, r->gpa + bytes - 1, r->spa, r->spa + bytes - 1, r->pages, pr);
	}
}

void gui_panel_text_hex(GuiPanelText *t, const SimSnapMemory *mem)
{
	if (!mem->asked) {
		g_string_append(t->text, "Type a GPA (and a length) above to see its bytes.\n");
		return;
	}
	heading(t, "Partition %u, GPA 0x%" G_GINT64_MODIFIER "x", mem->partition, mem->gpa);
	if (mem->error) {
		g_string_append_printf(t->text, "%s\n", mem->error);
		return;
	}
	for (uint32_t off = 0; off < mem->len; off += HEX_ROW) {
		char ascii[HEX_ROW + 1];
		g_string_append_printf(t->text, "%012" G_GINT64_MODIFIER "x ", mem->gpa + off);
		uint32_t n = MIN(HEX_ROW, mem->len - off);
		for (uint32_t i = 0; i < HEX_ROW; i++) {
			if (i < n)
				g_string_append_printf(t->text, "%s%02x", i == 8 ? "  " : " ", mem->bytes[off + i]);
			else
				g_string_append(t->text, i == 8 ? "    " : "   ");
			ascii[i] = i < n ? (g_ascii_isprint(mem->bytes[off + i]) ? (char)mem->bytes[off + i] : '.') : '\0';
		}
		ascii[HEX_ROW] = '\0';
		g_string_append_printf(t->text, "  %s\n", ascii);
	}
}

static gboolean parse_u64(const char *s, uint64_t *out)
{
	char *end = NULL;
	if (!*s || *s == '-' || *s == '+')
		return FALSE;
	errno = 0;
	guint64 v = g_ascii_strtoull(s, &end, 0);
	if (errno || end == s || *end)
		return FALSE;
	*out = v;
	return TRUE;
}

/* Hexadecimal digits only, with or without 0x; FALSE for anything else. */
static gboolean parse_hex(const char *text, uint64_t *v)
{
	const char *digits = g_str_has_prefix(text, "0x") || g_str_has_prefix(text, "0X") ? text + 2 : text;
	size_t n = strlen(digits);
	if (n == 0 || n > 16 || strspn(digits, "0123456789abcdefABCDEF") != n)
		return FALSE;
	*v = g_ascii_strtoull(digits, NULL, 16);
	return TRUE;
}

#define GUEST_ADDRESS_MAX_TEXT 64
#define GUEST_ADDRESS_SAME_SHOWN 3u   /* addresses an ambiguous name's message lists */

gboolean gui_parse_guest_address(const char *text, const SimSymtab *symtab, uint64_t *rip, GError **error)
{
	g_return_val_if_fail(text != NULL && rip != NULL, FALSE);
	if (!g_utf8_validate(text, -1, NULL) || g_utf8_strlen(text, -1) > GUEST_ADDRESS_MAX_TEXT) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "longer than %u characters: not an address",
		            GUEST_ADDRESS_MAX_TEXT);
		return FALSE;
	}
	g_autofree char *t = g_strstrip(g_strdup(text));
	if (!*t) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "type an address (e.g. 0x18d000) or a function of the image (e.g. console_write)");
		return FALSE;
	}
	/* name[+offset] where the image has the name */
	char *plus = strchr(t, '+');
	g_autofree char *name = plus ? g_strndup(t, (gsize)(plus - t)) : g_strdup(t);
	g_strstrip(name);
	uint64_t base = 0, off = 0;
	gboolean is_hex = !plus && parse_hex(t, &base);
	uint64_t same[GUEST_ADDRESS_SAME_SHOWN];
	guint named = g_str_has_prefix(t, "0x") || g_str_has_prefix(t, "0X") || !symtab ? 0 :
	              sim_symtab_addresses(symtab, name, same, G_N_ELEMENTS(same));
	if (named > 1) {
		/* Static symbols of several files share a name: which one is meant
		 * cannot be guessed. */
		GString *list = g_string_new(NULL);
		for (guint i = 0; i < MIN(named, G_N_ELEMENTS(same)); i++)
			g_string_append_printf(list, "%s0x%" G_GINT64_MODIFIER "x", i ? ", " : "", same[i]);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "\"%s\" names %u symbols of the image (at %s%s): type the address of the one meant", name, named,
		            list->str, named > G_N_ELEMENTS(same) ? ", ..." : "");
		g_string_free(list, TRUE);
		return FALSE;
	}
	if (named == 1) {
		base = same[0];
		if (plus) {
			g_autofree char *o = g_strstrip(g_strdup(plus + 1));
			if (!parse_hex(o, &off) || off > UINT64_MAX - base) {
				g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				            "\"%s\" after \"%s+\" is not a hexadecimal offset (e.g. %s+0x12)", o, name, name);
				return FALSE;
			}
		}
		/* An offset stays inside its function: past its end the address is
		 * another function's (or none's), which the name would misstate.
		 * A sized one's end is its size (a label inside it is still it);
		 * a size-0 label reaches as far as the lookup names it. */
		uint64_t size = sim_symtab_size_at(symtab, base), in_off = off;
		const char *in = !off || off < size ? name : size ? NULL : sim_symtab_lookup(symtab, base + off, &in_off);
		if (!in || base + off - in_off != base) {
			char where[160];
			if (sim_symtab_describe(symtab, base + off, where, sizeof where))
				g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				            "\"%s\" is past the end of %s: 0x%" G_GINT64_MODIFIER "x is in %s (type that, or the address)",
				            t, name, base + off, where);
			else
				g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				            "\"%s\" is past the end of %s: 0x%" G_GINT64_MODIFIER "x is in no function (type the address)",
				            t, name, base + off);
			return FALSE;
		}
		*rip = base + off;
		return TRUE;
	}
	if (is_hex) {
		*rip = base;
		return TRUE;
	}
	uint64_t ignored;
	if (plus && parse_hex(name, &ignored))
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "\"%s\": an offset follows a function's name; after an address, write the sum", t);
	else if (!symtab)
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "\"%s\" is not a hexadecimal address, and the partition has no image to look names up in yet", t);
	else
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "\"%s\" is neither a hexadecimal address (e.g. 0x18d000) nor a function of the partition's image "
		            "(the VP page's listing names them)", *name ? name : t);
	return FALSE;
}

gboolean gui_panel_parse_range(const char *text, uint64_t *gpa, uint32_t *len, GError **error)
{
	g_return_val_if_fail(text != NULL, FALSE);
	g_auto(GStrv) parts = g_strsplit_set(text, " \t,", -1);
	GPtrArray *words = g_ptr_array_new();
	for (char **p = parts; *p; p++)
		if (**p)
			g_ptr_array_add(words, *p);
	gboolean ok = FALSE;
	uint64_t g = 0, l = GUI_PANEL_HEX_DEFAULT_LEN;
	if (words->len == 0 || words->len > 2)
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "type a guest-physical address and optionally a length, e.g. 0x100000 256");
	else if (!parse_u64(g_ptr_array_index(words, 0), &g))
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "\"%s\" is not an address (use 0x for hex, e.g. 0x100000)", (char *)g_ptr_array_index(words, 0));
	else if (words->len == 2 && !parse_u64(g_ptr_array_index(words, 1), &l))
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "\"%s\" is not a length in bytes",
		            (char *)g_ptr_array_index(words, 1));
	else if (l == 0 || l > SIM_SNAP_MEMORY_MAX)
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "the length must be 1 to %u bytes",
		            SIM_SNAP_MEMORY_MAX);
	else if (g > UINT64_MAX - l)
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "0x%" G_GINT64_MODIFIER "x + %" G_GUINT64_FORMAT " bytes wraps past the top of the address space", g, l);
	else
		ok = TRUE;
	g_ptr_array_unref(words);
	if (ok) {
		*gpa = g;
		*len = (uint32_t)l;
	}
	return ok;
}
