/* test-vmx.c — tests for vmx-model: exit reasons, VMCS encodings, VMREAD /
 * VMWRITE semantics, bitmaps, exit decisions, qualifications, injection and
 * the SVM mapping. Host test program (GLib test framework). The expected
 * values are typed in from the Intel SDM / AMD APM tables, not derived from
 * the library's own tables. */
#include <glib.h>
#include <string.h>

#include "vmx.h"

/* ==== helpers ============================================================ */

static VmxVmcs *new_vmcs(void)
{
	VmxVmcs *vmcs = vmx_vmcs_new();

	g_assert_nonnull(vmcs);
	return vmcs;
}

static void write_ok(VmxVmcs *vmcs, uint32_t enc, uint64_t value)
{
	g_assert_cmpint(vmx_vmcs_write(vmcs, enc, value), ==, 0);
}

static void set_proc(VmxVmcs *vmcs, uint32_t controls)
{
	write_ok(vmcs, VMCS_CPU_BASED_VM_EXEC_CONTROL, controls);
}

/* ==== exit reasons ======================================================= */

typedef struct {
	uint32_t macro;     /* the header's constant */
	uint32_t number;    /* SDM appendix C */
	const char *name;
	const char *id;
} ReasonRow;

static const ReasonRow reason_rows[] = {
	{ VMX_EXIT_EXCEPTION_NMI,            0, "exception or NMI",   "exception_nmi" },
	{ VMX_EXIT_EXTERNAL_INTERRUPT,       1, "external interrupt", "external_interrupt" },
	{ VMX_EXIT_TRIPLE_FAULT,             2, "triple fault",       "triple_fault" },
	{ VMX_EXIT_INIT,                     3, "INIT signal",        "init" },
	{ VMX_EXIT_SIPI,                     4, "start-up IPI",       "sipi" },
	{ VMX_EXIT_IO_SMI,                   5, "I/O SMI",            "io_smi" },
	{ VMX_EXIT_OTHER_SMI,                6, "other SMI",          "other_smi" },
	{ VMX_EXIT_INTERRUPT_WINDOW,         7, "interrupt window",   "interrupt_window" },
	{ VMX_EXIT_NMI_WINDOW,               8, "NMI window",         "nmi_window" },
	{ VMX_EXIT_TASK_SWITCH,              9, "task switch",        "task_switch" },
	{ VMX_EXIT_CPUID,                   10, "CPUID",              "cpuid" },
	{ VMX_EXIT_GETSEC,                  11, "GETSEC",             "getsec" },
	{ VMX_EXIT_HLT,                     12, "HLT",                "hlt" },
	{ VMX_EXIT_INVD,                    13, "INVD",               "invd" },
	{ VMX_EXIT_INVLPG,                  14, "INVLPG",             "invlpg" },
	{ VMX_EXIT_RDPMC,                   15, "RDPMC",              "rdpmc" },
	{ VMX_EXIT_RDTSC,                   16, "RDTSC",              "rdtsc" },
	{ VMX_EXIT_RSM,                     17, "RSM",                "rsm" },
	{ VMX_EXIT_VMCALL,                  18, "VMCALL",             "vmcall" },
	{ VMX_EXIT_VMCLEAR,                 19, "VMCLEAR",            "vmclear" },
	{ VMX_EXIT_VMLAUNCH,                20, "VMLAUNCH",           "vmlaunch" },
	{ VMX_EXIT_VMPTRLD,                 21, "VMPTRLD",            "vmptrld" },
	{ VMX_EXIT_VMPTRST,                 22, "VMPTRST",            "vmptrst" },
	{ VMX_EXIT_VMREAD,                  23, "VMREAD",             "vmread" },
	{ VMX_EXIT_VMRESUME,                24, "VMRESUME",           "vmresume" },
	{ VMX_EXIT_VMWRITE,                 25, "VMWRITE",            "vmwrite" },
	{ VMX_EXIT_VMXOFF,                  26, "VMXOFF",             "vmxoff" },
	{ VMX_EXIT_VMXON,                   27, "VMXON",              "vmxon" },
	{ VMX_EXIT_CR_ACCESS,               28, "control-register access", "cr_access" },
	{ VMX_EXIT_DR_ACCESS,               29, "MOV DR",             "dr_access" },
	{ VMX_EXIT_IO_INSTRUCTION,          30, "I/O instruction",    "io_instruction" },
	{ VMX_EXIT_RDMSR,                   31, "RDMSR",              "rdmsr" },
	{ VMX_EXIT_WRMSR,                   32, "WRMSR",              "wrmsr" },
	{ VMX_EXIT_ENTRY_FAIL_GUEST_STATE,  33, "VM-entry failure: invalid guest state", "entry_fail_guest_state" },
	{ VMX_EXIT_ENTRY_FAIL_MSR_LOADING,  34, "VM-entry failure: MSR loading", "entry_fail_msr_loading" },
	{ VMX_EXIT_MWAIT,                   36, "MWAIT",              "mwait" },
	{ VMX_EXIT_MONITOR_TRAP_FLAG,       37, "monitor trap flag",  "monitor_trap_flag" },
	{ VMX_EXIT_MONITOR,                 39, "MONITOR",            "monitor" },
	{ VMX_EXIT_PAUSE,                   40, "PAUSE",              "pause" },
	{ VMX_EXIT_ENTRY_FAIL_MACHINE_CHECK, 41, "VM-entry failure: machine-check event", "entry_fail_machine_check" },
	{ VMX_EXIT_TPR_BELOW_THRESHOLD,     43, "TPR below threshold", "tpr_below_threshold" },
	{ VMX_EXIT_APIC_ACCESS,             44, "APIC access",        "apic_access" },
	{ VMX_EXIT_VIRTUALIZED_EOI,         45, "virtualized EOI",    "virtualized_eoi" },
	{ VMX_EXIT_GDTR_IDTR,               46, "access to GDTR or IDTR", "gdtr_idtr" },
	{ VMX_EXIT_LDTR_TR,                 47, "access to LDTR or TR", "ldtr_tr" },
	{ VMX_EXIT_EPT_VIOLATION,           48, "EPT violation",      "ept_violation" },
	{ VMX_EXIT_EPT_MISCONFIG,           49, "EPT misconfiguration", "ept_misconfig" },
	{ VMX_EXIT_INVEPT,                  50, "INVEPT",             "invept" },
	{ VMX_EXIT_RDTSCP,                  51, "RDTSCP",             "rdtscp" },
	{ VMX_EXIT_PREEMPTION_TIMER,        52, "VMX-preemption timer expired", "preemption_timer" },
	{ VMX_EXIT_INVVPID,                 53, "INVVPID",            "invvpid" },
	{ VMX_EXIT_WBINVD,                  54, "WBINVD or WBNOINVD", "wbinvd" },
	{ VMX_EXIT_XSETBV,                  55, "XSETBV",             "xsetbv" },
	{ VMX_EXIT_APIC_WRITE,              56, "APIC write",         "apic_write" },
	{ VMX_EXIT_RDRAND,                  57, "RDRAND",             "rdrand" },
	{ VMX_EXIT_INVPCID,                 58, "INVPCID",            "invpcid" },
	{ VMX_EXIT_VMFUNC,                  59, "VMFUNC",             "vmfunc" },
	{ VMX_EXIT_ENCLS,                   60, "ENCLS",              "encls" },
	{ VMX_EXIT_RDSEED,                  61, "RDSEED",             "rdseed" },
	{ VMX_EXIT_PML_FULL,                62, "page-modification log full", "pml_full" },
	{ VMX_EXIT_XSAVES,                  63, "XSAVES",             "xsaves" },
	{ VMX_EXIT_XRSTORS,                 64, "XRSTORS",            "xrstors" },
	{ VMX_EXIT_UMWAIT,                  67, "UMWAIT",             "umwait" },
	{ VMX_EXIT_TPAUSE,                  68, "TPAUSE",             "tpause" },
	{ VMX_EXIT_BUS_LOCK,                74, "bus lock",           "bus_lock" },
	{ VMX_EXIT_INSTRUCTION_TIMEOUT,     75, "instruction timeout", "instruction_timeout" },
	{ VMX_EXIT_SEAMCALL,                76, "SEAMCALL",           "seamcall" },
	{ VMX_EXIT_TDCALL,                  77, "TDCALL",             "tdcall" },
};

static void test_exit_reasons_table(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(reason_rows); i++) {
		const ReasonRow *r = &reason_rows[i];

		g_test_message("reason %u (%s)", r->number, r->id);
		g_assert_cmpuint(r->macro, ==, r->number);
		g_assert_cmpstr(vmx_exit_reason_name(r->number), ==, r->name);
		g_assert_cmpstr(vmx_exit_reason_id(r->number), ==, r->id);
	}
}

static gboolean reason_is_listed(uint32_t n)
{
	for (gsize i = 0; i < G_N_ELEMENTS(reason_rows); i++) {
		if (reason_rows[i].number == n)
			return TRUE;
	}
	return FALSE;
}

/* Every number the SDM leaves undefined reads "unknown", in both forms. */
static void test_exit_reasons_gaps(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		if (reason_is_listed(n))
			continue;
		g_assert_cmpstr(vmx_exit_reason_name(n), ==, "unknown");
		g_assert_cmpstr(vmx_exit_reason_id(n), ==, "unknown");
	}
	g_assert_cmpstr(vmx_exit_reason_name(35), ==, "unknown");
	g_assert_cmpstr(vmx_exit_reason_id(0xFFFF), ==, "unknown");
}

/* Trace identifiers must be unique and JSON-friendly. */
static void test_exit_reasons_ids(void)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (uint32_t n = 0; n < 256; n++) {
		const char *id = vmx_exit_reason_id(n);

		if (strcmp(id, "unknown") == 0)
			continue;
		for (const char *c = id; *c; c++)
			g_assert_true(g_ascii_islower(*c) || g_ascii_isdigit(*c) || *c == '_');
		g_assert_false(g_hash_table_contains(seen, id));
		g_hash_table_add(seen, (gpointer)id);
	}
	g_assert_cmpuint(g_hash_table_size(seen), ==, G_N_ELEMENTS(reason_rows));
}

static void test_exit_reasons_full_field(void)
{
	VmxExit e = { .reason = 0x80000021u };

	g_assert_cmpuint(VMX_EXIT_REASON_ENTRY_FAILURE, ==, 0x80000000u);
	g_assert_cmpuint(vmx_exit_basic(&e), ==, 33);
	g_assert_true(vmx_exit_is_entry_failure(&e));
	g_assert_cmpstr(vmx_exit_reason_id(e.reason), ==, "entry_fail_guest_state");
	e.reason = 30;
	g_assert_false(vmx_exit_is_entry_failure(&e));
	g_assert_cmpuint(vmx_exit_basic(&e), ==, 30);
	g_assert_cmpuint(VMX_EXIT_REASON_ENCLAVE, ==, 1u << 27);
	g_assert_cmpuint(VMX_EXIT_REASON_PENDING_MTF, ==, 1u << 28);
}

static void test_exit_reasons_unconditional(void)
{
	/* SDM "Instructions That Cause VM Exits Unconditionally". */
	static const uint32_t always[] = { 10, 11, 13, 55, 50, 53, 18, 19, 20, 21, 22, 24, 26, 27 };
	guint count = 0;

	for (gsize i = 0; i < G_N_ELEMENTS(always); i++)
		g_assert_true(vmx_exit_reason_is_unconditional(always[i]));
	for (uint32_t n = 0; n < 128; n++)
		count += vmx_exit_reason_is_unconditional(n);
	g_assert_cmpuint(count, ==, G_N_ELEMENTS(always));
	/* VMREAD/VMWRITE can be satisfied by a shadow VMCS; HLT has a control. */
	g_assert_false(vmx_exit_reason_is_unconditional(23));
	g_assert_false(vmx_exit_reason_is_unconditional(25));
	g_assert_false(vmx_exit_reason_is_unconditional(12));
}

static void test_exception_mnemonics(void)
{
	static const struct { uint8_t v; const char *m; } rows[] = {
		{ 0, "#DE" }, { 1, "#DB" }, { 2, "NMI" }, { 3, "#BP" }, { 6, "#UD" },
		{ 8, "#DF" }, { 13, "#GP" }, { 14, "#PF" }, { 15, "reserved" },
		{ 17, "#AC" }, { 18, "#MC" }, { 20, "#VE" }, { 21, "#CP" },
		{ 31, "reserved" }, { 32, "interrupt" }, { 255, "interrupt" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++)
		g_assert_cmpstr(vmx_exception_mnemonic(rows[i].v), ==, rows[i].m);
}

/* ==== VMCS field encodings =============================================== */

typedef struct {
	uint32_t macro;
	uint32_t literal;   /* SDM appendix B */
	const char *name;
} FieldRow;

#define F(name, literal) { VMCS_##name, literal, #name }

/* Appendix B, one array per table: width code / type code are given once per
 * area and must match every row's encoding bits. */
static const FieldRow f16_control[] = {
	F(VIRTUAL_PROCESSOR_ID, 0x0000), F(POSTED_INTR_NOTIFICATION_VECTOR, 0x0002),
	F(EPTP_INDEX, 0x0004),
};
static const FieldRow f16_guest[] = {
	F(GUEST_ES_SELECTOR, 0x0800), F(GUEST_CS_SELECTOR, 0x0802), F(GUEST_SS_SELECTOR, 0x0804),
	F(GUEST_DS_SELECTOR, 0x0806), F(GUEST_FS_SELECTOR, 0x0808), F(GUEST_GS_SELECTOR, 0x080A),
	F(GUEST_LDTR_SELECTOR, 0x080C), F(GUEST_TR_SELECTOR, 0x080E),
	F(GUEST_INTERRUPT_STATUS, 0x0810), F(GUEST_PML_INDEX, 0x0812),
};
static const FieldRow f16_host[] = {
	F(HOST_ES_SELECTOR, 0x0C00), F(HOST_CS_SELECTOR, 0x0C02), F(HOST_SS_SELECTOR, 0x0C04),
	F(HOST_DS_SELECTOR, 0x0C06), F(HOST_FS_SELECTOR, 0x0C08), F(HOST_GS_SELECTOR, 0x0C0A),
	F(HOST_TR_SELECTOR, 0x0C0C),
};
static const FieldRow f64_control[] = {
	F(IO_BITMAP_A, 0x2000), F(IO_BITMAP_B, 0x2002), F(MSR_BITMAP, 0x2004),
	F(VM_EXIT_MSR_STORE_ADDR, 0x2006), F(VM_EXIT_MSR_LOAD_ADDR, 0x2008),
	F(VM_ENTRY_MSR_LOAD_ADDR, 0x200A), F(EXECUTIVE_VMCS_POINTER, 0x200C),
	F(PML_ADDRESS, 0x200E), F(TSC_OFFSET, 0x2010), F(VIRTUAL_APIC_PAGE_ADDR, 0x2012),
	F(APIC_ACCESS_ADDR, 0x2014), F(POSTED_INTR_DESC_ADDR, 0x2016),
	F(VM_FUNCTION_CONTROLS, 0x2018), F(EPT_POINTER, 0x201A),
	F(EOI_EXIT_BITMAP0, 0x201C), F(EOI_EXIT_BITMAP1, 0x201E), F(EOI_EXIT_BITMAP2, 0x2020),
	F(EOI_EXIT_BITMAP3, 0x2022), F(EPTP_LIST_ADDRESS, 0x2024), F(VMREAD_BITMAP, 0x2026),
	F(VMWRITE_BITMAP, 0x2028), F(VE_INFORMATION_ADDRESS, 0x202A),
	F(XSS_EXITING_BITMAP, 0x202C), F(ENCLS_EXITING_BITMAP, 0x202E),
	F(TSC_MULTIPLIER, 0x2032), F(TERTIARY_VM_EXEC_CONTROL, 0x2034),
};
static const FieldRow f64_exit[] = {
	F(GUEST_PHYSICAL_ADDRESS, 0x2400),
};
static const FieldRow f64_guest[] = {
	F(LINK_POINTER, 0x2800), F(GUEST_IA32_DEBUGCTL, 0x2802), F(GUEST_IA32_PAT, 0x2804),
	F(GUEST_IA32_EFER, 0x2806), F(GUEST_IA32_PERF_GLOBAL_CTRL, 0x2808),
	F(GUEST_PDPTE0, 0x280A), F(GUEST_PDPTE1, 0x280C), F(GUEST_PDPTE2, 0x280E),
	F(GUEST_PDPTE3, 0x2810), F(GUEST_IA32_BNDCFGS, 0x2812), F(GUEST_IA32_RTIT_CTL, 0x2814),
};
static const FieldRow f64_host[] = {
	F(HOST_IA32_PAT, 0x2C00), F(HOST_IA32_EFER, 0x2C02), F(HOST_IA32_PERF_GLOBAL_CTRL, 0x2C04),
};
static const FieldRow f32_control[] = {
	F(PIN_BASED_VM_EXEC_CONTROL, 0x4000), F(CPU_BASED_VM_EXEC_CONTROL, 0x4002),
	F(EXCEPTION_BITMAP, 0x4004), F(PAGE_FAULT_ERROR_CODE_MASK, 0x4006),
	F(PAGE_FAULT_ERROR_CODE_MATCH, 0x4008), F(CR3_TARGET_COUNT, 0x400A),
	F(VM_EXIT_CONTROLS, 0x400C), F(VM_EXIT_MSR_STORE_COUNT, 0x400E),
	F(VM_EXIT_MSR_LOAD_COUNT, 0x4010), F(VM_ENTRY_CONTROLS, 0x4012),
	F(VM_ENTRY_MSR_LOAD_COUNT, 0x4014), F(VM_ENTRY_INTR_INFO_FIELD, 0x4016),
	F(VM_ENTRY_EXCEPTION_ERROR_CODE, 0x4018), F(VM_ENTRY_INSTRUCTION_LEN, 0x401A),
	F(TPR_THRESHOLD, 0x401C), F(SECONDARY_VM_EXEC_CONTROL, 0x401E),
	F(PLE_GAP, 0x4020), F(PLE_WINDOW, 0x4022),
};
static const FieldRow f32_exit[] = {
	F(VM_INSTRUCTION_ERROR, 0x4400), F(VM_EXIT_REASON, 0x4402), F(VM_EXIT_INTR_INFO, 0x4404),
	F(VM_EXIT_INTR_ERROR_CODE, 0x4406), F(IDT_VECTORING_INFO_FIELD, 0x4408),
	F(IDT_VECTORING_ERROR_CODE, 0x440A), F(VM_EXIT_INSTRUCTION_LEN, 0x440C),
	F(VMX_INSTRUCTION_INFO, 0x440E),
};
static const FieldRow f32_guest[] = {
	F(GUEST_ES_LIMIT, 0x4800), F(GUEST_CS_LIMIT, 0x4802), F(GUEST_SS_LIMIT, 0x4804),
	F(GUEST_DS_LIMIT, 0x4806), F(GUEST_FS_LIMIT, 0x4808), F(GUEST_GS_LIMIT, 0x480A),
	F(GUEST_LDTR_LIMIT, 0x480C), F(GUEST_TR_LIMIT, 0x480E), F(GUEST_GDTR_LIMIT, 0x4810),
	F(GUEST_IDTR_LIMIT, 0x4812), F(GUEST_ES_AR_BYTES, 0x4814), F(GUEST_CS_AR_BYTES, 0x4816),
	F(GUEST_SS_AR_BYTES, 0x4818), F(GUEST_DS_AR_BYTES, 0x481A), F(GUEST_FS_AR_BYTES, 0x481C),
	F(GUEST_GS_AR_BYTES, 0x481E), F(GUEST_LDTR_AR_BYTES, 0x4820), F(GUEST_TR_AR_BYTES, 0x4822),
	F(GUEST_INTERRUPTIBILITY_INFO, 0x4824), F(GUEST_ACTIVITY_STATE, 0x4826),
	F(GUEST_SMBASE, 0x4828), F(GUEST_IA32_SYSENTER_CS, 0x482A),
	F(VMX_PREEMPTION_TIMER_VALUE, 0x482E),
};
static const FieldRow f32_host[] = {
	F(HOST_IA32_SYSENTER_CS, 0x4C00),
};
static const FieldRow fnat_control[] = {
	F(CR0_GUEST_HOST_MASK, 0x6000), F(CR4_GUEST_HOST_MASK, 0x6002),
	F(CR0_READ_SHADOW, 0x6004), F(CR4_READ_SHADOW, 0x6006),
	F(CR3_TARGET_VALUE0, 0x6008), F(CR3_TARGET_VALUE1, 0x600A),
	F(CR3_TARGET_VALUE2, 0x600C), F(CR3_TARGET_VALUE3, 0x600E),
};
static const FieldRow fnat_exit[] = {
	F(EXIT_QUALIFICATION, 0x6400), F(IO_RCX, 0x6402), F(IO_RSI, 0x6404), F(IO_RDI, 0x6406),
	F(IO_RIP, 0x6408), F(GUEST_LINEAR_ADDRESS, 0x640A),
};
static const FieldRow fnat_guest[] = {
	F(GUEST_CR0, 0x6800), F(GUEST_CR3, 0x6802), F(GUEST_CR4, 0x6804),
	F(GUEST_ES_BASE, 0x6806), F(GUEST_CS_BASE, 0x6808), F(GUEST_SS_BASE, 0x680A),
	F(GUEST_DS_BASE, 0x680C), F(GUEST_FS_BASE, 0x680E), F(GUEST_GS_BASE, 0x6810),
	F(GUEST_LDTR_BASE, 0x6812), F(GUEST_TR_BASE, 0x6814), F(GUEST_GDTR_BASE, 0x6816),
	F(GUEST_IDTR_BASE, 0x6818), F(GUEST_DR7, 0x681A), F(GUEST_RSP, 0x681C),
	F(GUEST_RIP, 0x681E), F(GUEST_RFLAGS, 0x6820), F(GUEST_PENDING_DBG_EXCEPTIONS, 0x6822),
	F(GUEST_IA32_SYSENTER_ESP, 0x6824), F(GUEST_IA32_SYSENTER_EIP, 0x6826),
};
static const FieldRow fnat_host[] = {
	F(HOST_CR0, 0x6C00), F(HOST_CR3, 0x6C02), F(HOST_CR4, 0x6C04), F(HOST_FS_BASE, 0x6C06),
	F(HOST_GS_BASE, 0x6C08), F(HOST_TR_BASE, 0x6C0A), F(HOST_GDTR_BASE, 0x6C0C),
	F(HOST_IDTR_BASE, 0x6C0E), F(HOST_IA32_SYSENTER_ESP, 0x6C10),
	F(HOST_IA32_SYSENTER_EIP, 0x6C12), F(HOST_RSP, 0x6C14), F(HOST_RIP, 0x6C16),
};

typedef struct {
	const char *area;
	unsigned width;   /* SDM code: 0 16-bit, 1 64-bit, 2 32-bit, 3 natural */
	unsigned type;    /* SDM code: 0 control, 1 exit info, 2 guest, 3 host */
	unsigned bits;    /* value width in bits, for truncation */
	const FieldRow *rows;
	gsize n_rows;
} FieldArea;

#define AREA(label, w, t, b, arr) { label, w, t, b, arr, G_N_ELEMENTS(arr) }
static const FieldArea areas[] = {
	AREA("16-bit control", 0, 0, 16, f16_control),
	AREA("16-bit guest", 0, 2, 16, f16_guest),
	AREA("16-bit host", 0, 3, 16, f16_host),
	AREA("64-bit control", 1, 0, 64, f64_control),
	AREA("64-bit exit info", 1, 1, 64, f64_exit),
	AREA("64-bit guest", 1, 2, 64, f64_guest),
	AREA("64-bit host", 1, 3, 64, f64_host),
	AREA("32-bit control", 2, 0, 32, f32_control),
	AREA("32-bit exit info", 2, 1, 32, f32_exit),
	AREA("32-bit guest", 2, 2, 32, f32_guest),
	AREA("32-bit host", 2, 3, 32, f32_host),
	AREA("natural control", 3, 0, 64, fnat_control),
	AREA("natural exit info", 3, 1, 64, fnat_exit),
	AREA("natural guest", 3, 2, 64, fnat_guest),
	AREA("natural host", 3, 3, 64, fnat_host),
};

static gsize total_fields(void)
{
	gsize n = 0;

	for (gsize a = 0; a < G_N_ELEMENTS(areas); a++)
		n += areas[a].n_rows;
	return n;
}

static const FieldArea *area_of(uint32_t enc)
{
	for (gsize a = 0; a < G_N_ELEMENTS(areas); a++) {
		for (gsize i = 0; i < areas[a].n_rows; i++) {
			if (areas[a].rows[i].literal == enc)
				return &areas[a];
		}
	}
	return NULL;
}

static void test_fields_constants(void)
{
	g_assert_cmpuint(VMX_WIDTH_16, ==, 0);
	g_assert_cmpuint(VMX_WIDTH_64, ==, 1);
	g_assert_cmpuint(VMX_WIDTH_32, ==, 2);
	g_assert_cmpuint(VMX_WIDTH_NATURAL, ==, 3);
	g_assert_cmpuint(VMX_TYPE_CONTROL, ==, 0);
	g_assert_cmpuint(VMX_TYPE_EXIT_INFO, ==, 1);
	g_assert_cmpuint(VMX_TYPE_GUEST, ==, 2);
	g_assert_cmpuint(VMX_TYPE_HOST, ==, 3);
}

/* Every listed field: the header's value equals the SDM literal, the literal's
 * bits 14:13 / 11:10 agree with the table it is listed under, bit 0 (high
 * access) and the reserved bits are clear, and the library decodes and names
 * it the same way. */
static void test_fields_encoding_bits(void)
{
	for (gsize a = 0; a < G_N_ELEMENTS(areas); a++) {
		const FieldArea *area = &areas[a];

		for (gsize i = 0; i < area->n_rows; i++) {
			const FieldRow *r = &area->rows[i];

			g_test_message("%s: %s", area->area, r->name);
			g_assert_cmphex(r->macro, ==, r->literal);
			g_assert_cmpuint((r->literal >> 13) & 3, ==, area->width);
			g_assert_cmpuint((r->literal >> 10) & 3, ==, area->type);
			g_assert_cmpuint(r->literal & 1, ==, 0);
			g_assert_cmpuint(r->literal & 0x9000, ==, 0);
			g_assert_cmpuint(vmx_field_width(r->literal), ==, area->width);
			g_assert_cmpuint(vmx_field_type(r->literal), ==, area->type);
			g_assert_cmpstr(vmx_field_name(r->literal), ==, r->name);
			g_assert_nonnull(vmx_field_description(r->literal));
			g_assert_cmpuint(strlen(vmx_field_description(r->literal)), >, 0);
		}
	}
}

/* The iterator lists exactly the fields above, in strictly ascending order. */
static void test_fields_table(void)
{
	size_t n = vmx_field_count();

	g_assert_cmpuint(n, ==, total_fields());
	for (size_t i = 0; i < n; i++) {
		uint32_t enc = vmx_field_at(i);

		g_assert_nonnull(area_of(enc));
		if (i > 0)
			g_assert_cmphex(vmx_field_at(i - 1), <, enc);
	}
	g_assert_cmphex(vmx_field_at(n), ==, 0xFFFFFFFFu);
	/* Unknown encodings: gaps, high halves, garbage. */
	g_assert_null(vmx_field_name(0x0001));
	g_assert_null(vmx_field_name(0x681F));
	g_assert_null(vmx_field_name(0x6C18));
	g_assert_null(vmx_field_name(0x1234));
	g_assert_null(vmx_field_description(0xFFFFFFFFu));
	/* The decoders work on any encoding, known or not. */
	g_assert_cmpuint(vmx_field_width(0x2001), ==, VMX_WIDTH_64);
	g_assert_cmpuint(vmx_field_type(0x6C18), ==, VMX_TYPE_HOST);
}

/* ==== the VMCS instance ================================================== */

static void test_vmcs_defaults(void)
{
	VmxVmcs *vmcs = new_vmcs();

	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < vmx_field_count(); i++) {
			uint32_t enc = vmx_field_at(i);
			uint64_t v = 1234;

			g_assert_cmpint(vmx_vmcs_read(vmcs, enc, &v), ==, 0);
			g_assert_cmphex(v, ==, enc == 0x2800 ? ~0ull : 0);
		}
		for (size_t i = 0; i < VMX_IO_BITMAP_SIZE; i++) {
			g_assert_cmpuint(vmx_vmcs_io_bitmap_a(vmcs)[i], ==, 0);
			g_assert_cmpuint(vmx_vmcs_io_bitmap_b(vmcs)[i], ==, 0);
		}
		for (size_t i = 0; i < VMX_MSR_BITMAP_SIZE; i++)
			g_assert_cmpuint(vmx_vmcs_msr_bitmap(vmcs)[i], ==, 0);

		/* Dirty everything, then reset and check again. */
		for (size_t i = 0; i < vmx_field_count(); i++)
			g_assert_cmpint(vmx_vmcs_set_exit_info(vmcs, vmx_field_at(i), 0x5A5A), ==, 0);
		vmx_io_bitmap_set_all(vmcs, true);
		vmx_msr_bitmap_set_all(vmcs, true);
		vmx_vmcs_init_defaults(vmcs);
	}
	vmx_vmcs_free(vmcs);
	vmx_vmcs_free(NULL);
}

/* Every writable field keeps what its width allows; every unknown encoding is
 * error 12 for both VMREAD and VMWRITE. */
static void test_vmcs_read_write(void)
{
	VmxVmcs *vmcs = new_vmcs();
	static const uint32_t unknown[] = { 0x0006, 0x0001, 0x0C0E, 0x2030, 0x2402, 0x4C02, 0x6C18, 0x8000, 0xFFFFFFFFu };
	uint64_t v;

	for (gsize a = 0; a < G_N_ELEMENTS(areas); a++) {
		const FieldArea *area = &areas[a];

		if (area->type == 1)
			continue;
		for (gsize i = 0; i < area->n_rows; i++) {
			uint64_t pattern = 0x0123456789ABCDEFull ^ area->rows[i].literal;
			uint64_t expect = area->bits == 64 ? pattern : pattern & ((1ull << area->bits) - 1);

			write_ok(vmcs, area->rows[i].literal, pattern);
			g_assert_cmpint(vmx_vmcs_read(vmcs, area->rows[i].literal, &v), ==, 0);
			g_assert_cmphex(v, ==, expect);
			g_assert_cmphex(vmx_vmcs_get(vmcs, area->rows[i].literal), ==, expect);
		}
	}
	for (gsize i = 0; i < G_N_ELEMENTS(unknown); i++) {
		g_assert_cmpint(vmx_vmcs_read(vmcs, unknown[i], &v), ==, VMX_ERR_UNSUPPORTED_FIELD);
		g_assert_cmpint(vmx_vmcs_write(vmcs, unknown[i], 1), ==, VMX_ERR_UNSUPPORTED_FIELD);
		g_assert_cmpint(vmx_vmcs_set_exit_info(vmcs, unknown[i], 1), ==, VMX_ERR_UNSUPPORTED_FIELD);
		g_assert_cmphex(vmx_vmcs_get(vmcs, unknown[i]), ==, 0);
	}
	g_assert_cmpint(VMX_ERR_UNSUPPORTED_FIELD, ==, 12);
	vmx_vmcs_free(vmcs);
}

static void test_vmcs_width_truncation(void)
{
	static const struct { uint32_t enc; uint64_t in, out; } rows[] = {
		{ 0x0802, 0xFFFFFFFFFFFF1234ull, 0x1234 },              /* 16-bit guest CS selector */
		{ 0x0000, 0x10001ull, 0x0001 },                         /* 16-bit VPID */
		{ 0x4002, 0x1234567887654321ull, 0x87654321ull },        /* 32-bit controls */
		{ 0x4816, 0xFFFFFFFF0000C09Bull, 0x0000C09Bull },        /* 32-bit CS AR */
		{ 0x201A, 0xFEDCBA9876543210ull, 0xFEDCBA9876543210ull },/* 64-bit EPTP */
		{ 0x681E, 0xFFFFF80000001000ull, 0xFFFFF80000001000ull },/* natural guest RIP */
	};
	VmxVmcs *vmcs = new_vmcs();

	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		write_ok(vmcs, rows[i].enc, rows[i].in);
		g_assert_cmphex(vmx_vmcs_get(vmcs, rows[i].enc), ==, rows[i].out);
	}
	vmx_vmcs_free(vmcs);
}

/* VMWRITE to an exit-information field fails with error 13 and changes
 * nothing; the processor side can still fill it. */
static void test_vmcs_read_only(void)
{
	const FieldRow *ro[] = {
		&f64_exit[0], &f32_exit[0], &f32_exit[1], &f32_exit[2], &f32_exit[3],
		&f32_exit[4], &f32_exit[5], &f32_exit[6], &f32_exit[7],
		&fnat_exit[0], &fnat_exit[1], &fnat_exit[2], &fnat_exit[3], &fnat_exit[4],
		&fnat_exit[5],
	};
	VmxVmcs *vmcs = new_vmcs();

	g_assert_cmpint(VMX_ERR_READ_ONLY_FIELD, ==, 13);
	for (gsize i = 0; i < G_N_ELEMENTS(ro); i++) {
		uint32_t enc = ro[i]->literal;

		g_assert_cmpint(vmx_vmcs_set_exit_info(vmcs, enc, 0x77), ==, 0);
		g_assert_cmpint(vmx_vmcs_write(vmcs, enc, 0x99), ==, VMX_ERR_READ_ONLY_FIELD);
		g_assert_cmphex(vmx_vmcs_get(vmcs, enc), ==, 0x77);
	}
	/* ... and the high half of the 64-bit one is read-only too. */
	g_assert_cmpint(vmx_vmcs_write(vmcs, 0x2401, 1), ==, VMX_ERR_READ_ONLY_FIELD);
	/* A control field is not read-only. */
	write_ok(vmcs, VMCS_EXCEPTION_BITMAP, 0x4000);
	vmx_vmcs_free(vmcs);
}

/* Encoding | 1 names the upper half of a 64-bit field and nothing else. */
static void test_vmcs_high_access(void)
{
	VmxVmcs *vmcs = new_vmcs();
	uint64_t v = 0;

	write_ok(vmcs, VMCS_TSC_OFFSET, 0x1111111122222222ull);
	g_assert_cmpint(vmx_vmcs_read(vmcs, 0x2011, &v), ==, 0);
	g_assert_cmphex(v, ==, 0x11111111);
	write_ok(vmcs, 0x2011, 0xAAAAAAAABBBBBBBBull);   /* only the low 32 bits of the source count */
	g_assert_cmphex(vmx_vmcs_get(vmcs, VMCS_TSC_OFFSET), ==, 0xBBBBBBBB22222222ull);
	/* High access to 16-bit, 32-bit and natural fields is unsupported. */
	g_assert_cmpint(vmx_vmcs_read(vmcs, 0x0803, &v), ==, VMX_ERR_UNSUPPORTED_FIELD);
	g_assert_cmpint(vmx_vmcs_read(vmcs, 0x4003, &v), ==, VMX_ERR_UNSUPPORTED_FIELD);
	g_assert_cmpint(vmx_vmcs_write(vmcs, 0x681F, 1), ==, VMX_ERR_UNSUPPORTED_FIELD);
	vmx_vmcs_free(vmcs);
}

/* No hidden globals: two VMCSs are independent (two VPs, two machines). */
static void test_vmcs_instances(void)
{
	VmxVmcs *a = new_vmcs(), *b = new_vmcs();

	write_ok(a, VMCS_GUEST_RIP, 0x1000);
	vmx_io_bitmap_set(a, 0x3F8, true);
	vmx_msr_bitmap_set(a, 0x10, true, true);
	g_assert_cmphex(vmx_vmcs_get(b, VMCS_GUEST_RIP), ==, 0);
	g_assert_false(vmx_io_bitmap_get(b, 0x3F8));
	g_assert_false(vmx_msr_bitmap_get(b, 0x10, false));
	g_assert_true(vmx_io_bitmap_get(a, 0x3F8));
	vmx_vmcs_free(a);
	vmx_vmcs_free(b);
}

/* ==== I/O bitmaps ======================================================== */

static void test_io_bitmap_layout(void)
{
	static const struct { uint16_t port; gboolean in_b; gsize byte; guint bit; } rows[] = {
		{ 0x0000, FALSE, 0, 0 },     { 0x0007, FALSE, 0, 7 },   { 0x0008, FALSE, 1, 0 },
		{ 0x03F8, FALSE, 0x7F, 0 },  { 0x0CFC, FALSE, 0x19F, 4 },
		{ 0x7FFF, FALSE, 4095, 7 },  { 0x8000, TRUE, 0, 0 },    { 0x8009, TRUE, 1, 1 },
		{ 0xFFFF, TRUE, 4095, 7 },
	};
	VmxVmcs *vmcs = new_vmcs();

	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		const uint8_t *page = rows[i].in_b ? vmx_vmcs_io_bitmap_b(vmcs) : vmx_vmcs_io_bitmap_a(vmcs);
		const uint8_t *other = rows[i].in_b ? vmx_vmcs_io_bitmap_a(vmcs) : vmx_vmcs_io_bitmap_b(vmcs);

		vmx_io_bitmap_set(vmcs, rows[i].port, true);
		g_assert_cmphex(page[rows[i].byte], ==, 1u << rows[i].bit);
		g_assert_cmphex(other[rows[i].byte], ==, 0);
		g_assert_true(vmx_io_bitmap_get(vmcs, rows[i].port));
		vmx_io_bitmap_set(vmcs, rows[i].port, false);
		g_assert_cmphex(page[rows[i].byte], ==, 0);
		g_assert_false(vmx_io_bitmap_get(vmcs, rows[i].port));
	}
	vmx_io_bitmap_set_all(vmcs, true);
	g_assert_true(vmx_io_bitmap_get(vmcs, 0x1234));
	g_assert_true(vmx_io_bitmap_get(vmcs, 0xABCD));
	vmx_io_bitmap_set_all(vmcs, false);
	g_assert_false(vmx_io_bitmap_get(vmcs, 0xABCD));
	vmx_vmcs_free(vmcs);
}

static void test_io_exits_bitmap(void)
{
	static const struct { uint16_t port; unsigned size; gboolean exits; } rows[] = {
		{ 0x3F8, 1, TRUE },  { 0x3F9, 1, FALSE }, { 0x3F7, 1, FALSE },
		{ 0x3F6, 2, FALSE }, { 0x3F7, 2, TRUE },  /* second byte is 0x3F8 */
		{ 0x3F5, 4, TRUE },  { 0x3F4, 4, FALSE },
		{ 0x7FFF, 2, TRUE }, /* straddles A and B, 0x8000 set */
		{ 0x7FFE, 2, FALSE },
		{ 0x80, 1, FALSE },
		{ 0x3F8, 3, TRUE },  /* malformed size: exit rather than pass through */
		{ 0x80, 0, TRUE },
	};
	VmxVmcs *vmcs = new_vmcs();

	set_proc(vmcs, VMX_PROC_USE_IO_BITMAPS);
	vmx_io_bitmap_set(vmcs, 0x3F8, true);
	vmx_io_bitmap_set(vmcs, 0x8000, true);
	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_test_message("port %#x size %u", rows[i].port, rows[i].size);
		g_assert_cmpint(vmx_io_exits(vmcs, rows[i].port, rows[i].size), ==, rows[i].exits);
	}
	vmx_vmcs_free(vmcs);
}

/* An access that wraps past 0xFFFF exits even with an empty bitmap. */
static void test_io_exits_wrap(void)
{
	VmxVmcs *vmcs = new_vmcs();

	set_proc(vmcs, VMX_PROC_USE_IO_BITMAPS);
	g_assert_false(vmx_io_exits(vmcs, 0xFFFF, 1));
	g_assert_true(vmx_io_exits(vmcs, 0xFFFF, 2));
	g_assert_false(vmx_io_exits(vmcs, 0xFFFE, 2));
	g_assert_true(vmx_io_exits(vmcs, 0xFFFD, 4));
	g_assert_true(vmx_io_exits(vmcs, 0xFFFE, 4));
	g_assert_false(vmx_io_exits(vmcs, 0xFFFC, 4));
	vmx_vmcs_free(vmcs);
}

static void test_io_exits_unconditional(void)
{
	VmxVmcs *vmcs = new_vmcs();

	/* No controls at all: I/O runs natively (the parent's passthrough). */
	vmx_io_bitmap_set_all(vmcs, true); /* ignored without "use I/O bitmaps" */
	g_assert_false(vmx_io_exits(vmcs, 0x60, 1));
	g_assert_false(vmx_io_exits(vmcs, 0xFFFF, 4));
	set_proc(vmcs, VMX_PROC_UNCONDITIONAL_IO_EXITING);
	g_assert_true(vmx_io_exits(vmcs, 0x60, 1));
	g_assert_true(vmx_io_exits(vmcs, 0x1234, 4));
	/* With bitmaps on, "unconditional I/O exiting" is ignored. */
	vmx_io_bitmap_set_all(vmcs, false);
	set_proc(vmcs, VMX_PROC_UNCONDITIONAL_IO_EXITING | VMX_PROC_USE_IO_BITMAPS);
	g_assert_false(vmx_io_exits(vmcs, 0x60, 1));
	vmx_vmcs_free(vmcs);
}

/* ==== MSR bitmap ========================================================= */

static void test_msr_bitmap_ranges(void)
{
	static const struct { uint32_t msr; gsize read_byte, write_byte; guint bit; } rows[] = {
		{ 0x00000000, 0, 2048, 0 },
		{ 0x00000010, 2, 2050, 0 },          /* IA32_TIME_STAMP_COUNTER */
		{ 0x0000001B, 3, 2051, 3 },          /* IA32_APIC_BASE */
		{ 0x00001FFF, 1023, 3071, 7 },
		{ 0xC0000080, 1024 + 16, 3072 + 16, 0 }, /* IA32_EFER */
		{ 0xC0000082, 1024 + 16, 3072 + 16, 2 }, /* IA32_LSTAR */
		{ 0xC0001FFF, 2047, 4095, 7 },
	};
	VmxVmcs *vmcs = new_vmcs();
	const uint8_t *page = vmx_vmcs_msr_bitmap(vmcs);

	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_test_message("msr %#x", rows[i].msr);
		vmx_msr_bitmap_set(vmcs, rows[i].msr, true, false);
		g_assert_cmphex(page[rows[i].read_byte], ==, 1u << rows[i].bit);
		g_assert_cmphex(page[rows[i].write_byte], ==, 0);
		g_assert_true(vmx_msr_bitmap_get(vmcs, rows[i].msr, false));
		g_assert_false(vmx_msr_bitmap_get(vmcs, rows[i].msr, true));
		vmx_msr_bitmap_set(vmcs, rows[i].msr, false, true);
		g_assert_cmphex(page[rows[i].read_byte], ==, 0);
		g_assert_cmphex(page[rows[i].write_byte], ==, 1u << rows[i].bit);
		vmx_msr_bitmap_set(vmcs, rows[i].msr, false, false);
		g_assert_cmphex(page[rows[i].write_byte], ==, 0);
	}
	/* Outside both ranges: set does nothing, get says "exits". */
	vmx_msr_bitmap_set(vmcs, 0x40000000, false, false);  /* HV_X64_MSR_GUEST_OS_ID */
	vmx_msr_bitmap_set(vmcs, 0x00002000, true, true);
	vmx_msr_bitmap_set(vmcs, 0xC0002000, true, true);
	for (gsize i = 0; i < VMX_MSR_BITMAP_SIZE; i++)
		g_assert_cmpuint(page[i], ==, 0);
	g_assert_true(vmx_msr_bitmap_get(vmcs, 0x40000000, false));
	g_assert_true(vmx_msr_bitmap_get(vmcs, 0xBFFFFFFF, true));
	vmx_vmcs_free(vmcs);
}

static void test_msr_exits(void)
{
	VmxVmcs *vmcs = new_vmcs();

	/* Without MSR bitmaps every access exits. */
	g_assert_true(vmx_msr_exits(vmcs, 0x10, false));
	g_assert_true(vmx_msr_exits(vmcs, 0xC0000080, true));
	set_proc(vmcs, VMX_PROC_USE_MSR_BITMAPS);
	g_assert_false(vmx_msr_exits(vmcs, 0x10, false));
	g_assert_false(vmx_msr_exits(vmcs, 0xC0000080, true));
	g_assert_true(vmx_msr_exits(vmcs, 0x40000001, false));  /* synthetic MSRs */
	g_assert_true(vmx_msr_exits(vmcs, 0x40000001, true));
	vmx_msr_bitmap_set(vmcs, 0xC0000080, false, true);       /* trap EFER writes only */
	g_assert_false(vmx_msr_exits(vmcs, 0xC0000080, false));
	g_assert_true(vmx_msr_exits(vmcs, 0xC0000080, true));
	vmx_msr_bitmap_set_all(vmcs, true);
	g_assert_true(vmx_msr_exits(vmcs, 0x10, false));
	g_assert_true(vmx_msr_exits(vmcs, 0x1FFF, true));
	vmx_msr_bitmap_set_all(vmcs, false);
	g_assert_false(vmx_msr_exits(vmcs, 0xC0000080, true));
	vmx_vmcs_free(vmcs);
}

/* ==== control bits ======================================================= */

typedef struct { const char *name; uint32_t value; unsigned bit; } BitRow;
#define B(macro, bit) { #macro, macro, bit }

static const BitRow control_bits[] = {
	/* pin-based */
	B(VMX_PIN_EXTERNAL_INTERRUPT_EXITING, 0), B(VMX_PIN_NMI_EXITING, 3),
	B(VMX_PIN_VIRTUAL_NMIS, 5), B(VMX_PIN_PREEMPTION_TIMER, 6), B(VMX_PIN_POSTED_INTERRUPTS, 7),
	/* primary processor-based */
	B(VMX_PROC_INTERRUPT_WINDOW_EXITING, 2), B(VMX_PROC_USE_TSC_OFFSETTING, 3),
	B(VMX_PROC_HLT_EXITING, 7), B(VMX_PROC_INVLPG_EXITING, 9), B(VMX_PROC_MWAIT_EXITING, 10),
	B(VMX_PROC_RDPMC_EXITING, 11), B(VMX_PROC_RDTSC_EXITING, 12),
	B(VMX_PROC_CR3_LOAD_EXITING, 15), B(VMX_PROC_CR3_STORE_EXITING, 16),
	B(VMX_PROC_ACTIVATE_TERTIARY, 17),
	B(VMX_PROC_CR8_LOAD_EXITING, 19), B(VMX_PROC_CR8_STORE_EXITING, 20),
	B(VMX_PROC_USE_TPR_SHADOW, 21), B(VMX_PROC_NMI_WINDOW_EXITING, 22),
	B(VMX_PROC_MOV_DR_EXITING, 23), B(VMX_PROC_UNCONDITIONAL_IO_EXITING, 24),
	B(VMX_PROC_USE_IO_BITMAPS, 25), B(VMX_PROC_MONITOR_TRAP_FLAG, 27),
	B(VMX_PROC_USE_MSR_BITMAPS, 28), B(VMX_PROC_MONITOR_EXITING, 29),
	B(VMX_PROC_PAUSE_EXITING, 30), B(VMX_PROC_ACTIVATE_SECONDARY, 31),
	/* secondary processor-based */
	B(VMX_PROC2_VIRTUALIZE_APIC, 0), B(VMX_PROC2_ENABLE_EPT, 1),
	B(VMX_PROC2_DESCRIPTOR_TABLE_EXITING, 2), B(VMX_PROC2_ENABLE_RDTSCP, 3),
	B(VMX_PROC2_VIRTUALIZE_X2APIC, 4), B(VMX_PROC2_ENABLE_VPID, 5),
	B(VMX_PROC2_WBINVD_EXITING, 6), B(VMX_PROC2_UNRESTRICTED_GUEST, 7),
	B(VMX_PROC2_APIC_REGISTER_VIRT, 8), B(VMX_PROC2_VIRTUAL_INTR_DELIVERY, 9),
	B(VMX_PROC2_PAUSE_LOOP_EXITING, 10), B(VMX_PROC2_RDRAND_EXITING, 11),
	B(VMX_PROC2_ENABLE_INVPCID, 12), B(VMX_PROC2_ENABLE_VMFUNC, 13),
	B(VMX_PROC2_VMCS_SHADOWING, 14), B(VMX_PROC2_ENCLS_EXITING, 15),
	B(VMX_PROC2_RDSEED_EXITING, 16), B(VMX_PROC2_ENABLE_PML, 17),
	B(VMX_PROC2_EPT_VIOLATION_VE, 18), B(VMX_PROC2_ENABLE_XSAVES, 20),
	B(VMX_PROC2_TSC_SCALING, 25),
	/* VM-exit controls */
	B(VMX_EXIT_CTL_SAVE_DEBUG_CONTROLS, 2), B(VMX_EXIT_CTL_HOST_ADDR_SPACE_SIZE, 9),
	B(VMX_EXIT_CTL_LOAD_PERF_GLOBAL_CTRL, 12), B(VMX_EXIT_CTL_ACK_INTERRUPT, 15),
	B(VMX_EXIT_CTL_SAVE_PAT, 18), B(VMX_EXIT_CTL_LOAD_PAT, 19),
	B(VMX_EXIT_CTL_SAVE_EFER, 20), B(VMX_EXIT_CTL_LOAD_EFER, 21),
	B(VMX_EXIT_CTL_SAVE_PREEMPTION_TIMER, 22),
	/* VM-entry controls */
	B(VMX_ENTRY_CTL_LOAD_DEBUG_CONTROLS, 2), B(VMX_ENTRY_CTL_IA32E_MODE_GUEST, 9),
	B(VMX_ENTRY_CTL_ENTRY_TO_SMM, 10), B(VMX_ENTRY_CTL_DEACTIVATE_DUAL_MONITOR, 11),
	B(VMX_ENTRY_CTL_LOAD_PERF_GLOBAL_CTRL, 13), B(VMX_ENTRY_CTL_LOAD_PAT, 14),
	B(VMX_ENTRY_CTL_LOAD_EFER, 15),
	/* guest interruptibility */
	B(VMX_INTERRUPTIBILITY_STI, 0), B(VMX_INTERRUPTIBILITY_MOV_SS, 1),
	B(VMX_INTERRUPTIBILITY_SMI, 2), B(VMX_INTERRUPTIBILITY_NMI, 3),
};

static void test_control_bits(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(control_bits); i++) {
		g_test_message("%s", control_bits[i].name);
		g_assert_cmphex(control_bits[i].value, ==, 1u << control_bits[i].bit);
	}
}

/* Each single-bit exit control governs its instruction and nothing else. */
static void test_exits_single_controls(void)
{
	typedef bool (*ExitFn)(const VmxVmcs *);
	static const struct { const char *what; ExitFn fn; uint32_t field; uint32_t bit; } rows[] = {
		{ "HLT",    vmx_hlt_exits,    VMCS_CPU_BASED_VM_EXEC_CONTROL, 1u << 7 },
		{ "INVLPG", vmx_invlpg_exits, VMCS_CPU_BASED_VM_EXEC_CONTROL, 1u << 9 },
		{ "RDPMC",  vmx_rdpmc_exits,  VMCS_CPU_BASED_VM_EXEC_CONTROL, 1u << 11 },
		{ "RDTSC",  vmx_rdtsc_exits,  VMCS_CPU_BASED_VM_EXEC_CONTROL, 1u << 12 },
		{ "MOV DR", vmx_mov_dr_exits, VMCS_CPU_BASED_VM_EXEC_CONTROL, 1u << 23 },
		{ "INTR",   vmx_external_interrupt_exits, VMCS_PIN_BASED_VM_EXEC_CONTROL, 1u << 0 },
		{ "NMI",    vmx_nmi_exits,    VMCS_PIN_BASED_VM_EXEC_CONTROL, 1u << 3 },
	};
	VmxVmcs *vmcs = new_vmcs();

	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_test_message("%s", rows[i].what);
		write_ok(vmcs, rows[i].field, 0);
		g_assert_false(rows[i].fn(vmcs));
		write_ok(vmcs, rows[i].field, rows[i].bit);
		g_assert_true(rows[i].fn(vmcs));
		write_ok(vmcs, rows[i].field, ~rows[i].bit);
		g_assert_false(rows[i].fn(vmcs));
		write_ok(vmcs, rows[i].field, 0);
	}
	vmx_vmcs_free(vmcs);
}

static void test_exits_unconditional(void)
{
	VmxVmcs *vmcs = new_vmcs();

	g_assert_true(vmx_cpuid_exits(vmcs));
	g_assert_true(vmx_vmcall_exits(vmcs));
	set_proc(vmcs, 0xFFFFFFFFu);
	write_ok(vmcs, VMCS_PIN_BASED_VM_EXEC_CONTROL, 0xFFFFFFFFu);
	g_assert_true(vmx_cpuid_exits(vmcs));
	g_assert_true(vmx_vmcall_exits(vmcs));
	vmx_vmcs_free(vmcs);
}

/* ==== exceptions ========================================================= */

static void test_exceptions_bitmap(void)
{
	VmxVmcs *vmcs = new_vmcs();

	write_ok(vmcs, VMCS_EXCEPTION_BITMAP, (1u << 6) | (1u << 18) | (1u << 2));
	g_assert_true(vmx_exception_exits(vmcs, 6, 0));
	g_assert_true(vmx_exception_exits(vmcs, 18, 0));
	g_assert_false(vmx_exception_exits(vmcs, 13, 0));
	g_assert_false(vmx_exception_exits(vmcs, 14, 0));
	/* Vector 2 is the NMI: the pin-based control decides, not bit 2. */
	g_assert_false(vmx_exception_exits(vmcs, 2, 0));
	write_ok(vmcs, VMCS_PIN_BASED_VM_EXEC_CONTROL, VMX_PIN_NMI_EXITING);
	g_assert_true(vmx_exception_exits(vmcs, 2, 0));
	/* Not exceptions at all. */
	write_ok(vmcs, VMCS_EXCEPTION_BITMAP, 0xFFFFFFFFu);
	g_assert_false(vmx_exception_exits(vmcs, 32, 0));
	g_assert_false(vmx_exception_exits(vmcs, 255, 0));
	g_assert_true(vmx_exception_exits(vmcs, 31, 0));
	vmx_vmcs_free(vmcs);
}

static void test_exceptions_pfec(void)
{
	/* SDM: (PFEC & MASK) == MATCH -> bit 14 decides; otherwise inverted. */
	static const struct { gboolean bit14; uint32_t mask, match, pfec; gboolean exits; } rows[] = {
		{ TRUE,  0, 0, 0x0, TRUE },  { TRUE,  0, 0, 0x7, TRUE },   /* all #PF exit */
		{ FALSE, 0, 0, 0x0, FALSE }, { FALSE, 0, 0, 0x7, FALSE },  /* no #PF exits */
		{ TRUE,  0x2, 0x2, 0x2, TRUE }, { TRUE, 0x2, 0x2, 0x3, TRUE },
		{ TRUE,  0x2, 0x2, 0x0, FALSE }, { TRUE, 0x2, 0x2, 0x5, FALSE },
		{ FALSE, 0x2, 0x2, 0x2, FALSE }, { FALSE, 0x2, 0x2, 0x4, TRUE },
		{ TRUE,  0x1, 0x0, 0x4, TRUE },  { TRUE, 0x1, 0x0, 0x5, FALSE }, /* not-present only */
		{ TRUE,  0x0, 0x1, 0x1, FALSE }, /* impossible match: bit inverted for every #PF */
	};
	VmxVmcs *vmcs = new_vmcs();

	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_test_message("row %" G_GSIZE_FORMAT, i);
		write_ok(vmcs, VMCS_EXCEPTION_BITMAP, rows[i].bit14 ? 1u << 14 : 0);
		write_ok(vmcs, VMCS_PAGE_FAULT_ERROR_CODE_MASK, rows[i].mask);
		write_ok(vmcs, VMCS_PAGE_FAULT_ERROR_CODE_MATCH, rows[i].match);
		g_assert_cmpint(vmx_exception_exits(vmcs, 14, rows[i].pfec), ==, rows[i].exits);
	}
	/* The mask/match filter applies to #PF only. */
	write_ok(vmcs, VMCS_EXCEPTION_BITMAP, 1u << 13);
	write_ok(vmcs, VMCS_PAGE_FAULT_ERROR_CODE_MATCH, 1);
	g_assert_true(vmx_exception_exits(vmcs, 13, 0));
	vmx_vmcs_free(vmcs);
}

/* ==== control registers ================================================== */

static void test_cr_exits_mask_shadow(void)
{
	VmxVmcs *vmcs = new_vmcs();
	const uint64_t pe = 1, ts = 1u << 3, pg = 1ull << 31, vmxe = 1u << 13, pae = 1u << 5;

	/* Nothing owned: CR0/CR4 writes never exit. */
	g_assert_false(vmx_cr_write_exits(vmcs, 0, pe | pg));
	g_assert_false(vmx_cr_write_exits(vmcs, 4, vmxe));
	/* Host owns PE and PG; shadow says both set. */
	write_ok(vmcs, VMCS_CR0_GUEST_HOST_MASK, pe | pg);
	write_ok(vmcs, VMCS_CR0_READ_SHADOW, pe | pg);
	g_assert_false(vmx_cr_write_exits(vmcs, 0, pe | pg));
	g_assert_false(vmx_cr_write_exits(vmcs, 0, pe | pg | ts));   /* guest-owned bit */
	g_assert_true(vmx_cr_write_exits(vmcs, 0, pe));             /* clears PG */
	g_assert_true(vmx_cr_write_exits(vmcs, 0, 0));
	/* CR4: host keeps VMXE, guest sees it clear. */
	write_ok(vmcs, VMCS_CR4_GUEST_HOST_MASK, vmxe);
	write_ok(vmcs, VMCS_CR4_READ_SHADOW, 0);
	g_assert_false(vmx_cr_write_exits(vmcs, 4, pae));
	g_assert_true(vmx_cr_write_exits(vmcs, 4, pae | vmxe));
	/* CR0's mask does not leak into CR4 or vice versa. */
	g_assert_false(vmx_cr_write_exits(vmcs, 4, pe));
	g_assert_false(vmx_cr_write_exits(vmcs, 0, pe | pg | vmxe));
	/* CR2 has no control. */
	g_assert_false(vmx_cr_write_exits(vmcs, 2, 0xDEAD));
	vmx_vmcs_free(vmcs);
}

static void test_cr_exits_cr3_targets(void)
{
	VmxVmcs *vmcs = new_vmcs();

	g_assert_false(vmx_cr_write_exits(vmcs, 3, 0x1000));
	set_proc(vmcs, VMX_PROC_CR3_LOAD_EXITING);
	g_assert_true(vmx_cr_write_exits(vmcs, 3, 0x1000));     /* count 0: all exit */
	write_ok(vmcs, VMCS_CR3_TARGET_VALUE0, 0x1000);
	write_ok(vmcs, VMCS_CR3_TARGET_VALUE1, 0x2000);
	write_ok(vmcs, VMCS_CR3_TARGET_VALUE2, 0x3000);
	write_ok(vmcs, VMCS_CR3_TARGET_VALUE3, 0x4000);
	g_assert_true(vmx_cr_write_exits(vmcs, 3, 0x1000));     /* still count 0 */
	write_ok(vmcs, VMCS_CR3_TARGET_COUNT, 2);
	g_assert_false(vmx_cr_write_exits(vmcs, 3, 0x1000));
	g_assert_false(vmx_cr_write_exits(vmcs, 3, 0x2000));
	g_assert_true(vmx_cr_write_exits(vmcs, 3, 0x3000));     /* beyond the count */
	g_assert_true(vmx_cr_write_exits(vmcs, 3, 0x5000));
	write_ok(vmcs, VMCS_CR3_TARGET_COUNT, 4);
	g_assert_false(vmx_cr_write_exits(vmcs, 3, 0x4000));
	write_ok(vmcs, VMCS_CR3_TARGET_COUNT, 200);            /* invalid: at most 4 considered */
	g_assert_false(vmx_cr_write_exits(vmcs, 3, 0x4000));
	g_assert_true(vmx_cr_write_exits(vmcs, 3, 0));
	vmx_vmcs_free(vmcs);
}

static void test_cr_exits_cr8_and_reads(void)
{
	VmxVmcs *vmcs = new_vmcs();

	g_assert_false(vmx_cr_write_exits(vmcs, 8, 1));
	g_assert_false(vmx_cr_read_exits(vmcs, 8));
	g_assert_false(vmx_cr_read_exits(vmcs, 3));
	set_proc(vmcs, VMX_PROC_CR8_LOAD_EXITING);
	g_assert_true(vmx_cr_write_exits(vmcs, 8, 1));
	g_assert_false(vmx_cr_read_exits(vmcs, 8));
	set_proc(vmcs, VMX_PROC_CR8_STORE_EXITING | VMX_PROC_CR3_STORE_EXITING);
	g_assert_false(vmx_cr_write_exits(vmcs, 8, 1));
	g_assert_true(vmx_cr_read_exits(vmcs, 8));
	g_assert_true(vmx_cr_read_exits(vmcs, 3));
	g_assert_false(vmx_cr_write_exits(vmcs, 3, 0x1000));
	/* CR0/CR4 reads never exit, whatever the masks say. */
	write_ok(vmcs, VMCS_CR0_GUEST_HOST_MASK, ~0ull);
	g_assert_false(vmx_cr_read_exits(vmcs, 0));
	g_assert_false(vmx_cr_read_exits(vmcs, 4));
	vmx_vmcs_free(vmcs);
}

static void test_cr_guest_view(void)
{
	VmxVmcs *vmcs = new_vmcs();

	write_ok(vmcs, VMCS_GUEST_CR0, 0x80000031);   /* PG NE ET PE */
	write_ok(vmcs, VMCS_CR0_GUEST_HOST_MASK, 0x20 | 0x8);  /* host owns NE, TS */
	write_ok(vmcs, VMCS_CR0_READ_SHADOW, 0x8);     /* guest believes NE=0, TS=1 */
	g_assert_cmphex(vmx_cr_guest_view(vmcs, 0), ==, 0x80000019);
	write_ok(vmcs, VMCS_GUEST_CR4, 0x2020);        /* VMXE PAE */
	write_ok(vmcs, VMCS_CR4_GUEST_HOST_MASK, 0x2000);
	g_assert_cmphex(vmx_cr_guest_view(vmcs, 4), ==, 0x20);
	write_ok(vmcs, VMCS_GUEST_CR3, 0x5000);
	g_assert_cmphex(vmx_cr_guest_view(vmcs, 3), ==, 0x5000);
	vmx_vmcs_free(vmcs);
}

static void test_cr_exits_clts_lmsw(void)
{
	VmxVmcs *vmcs = new_vmcs();

	/* CLTS: exits iff TS is host-owned and the shadow has TS = 1. */
	g_assert_false(vmx_clts_exits(vmcs));
	write_ok(vmcs, VMCS_CR0_GUEST_HOST_MASK, 0x8);
	g_assert_false(vmx_clts_exits(vmcs));
	write_ok(vmcs, VMCS_CR0_READ_SHADOW, 0x8);
	g_assert_true(vmx_clts_exits(vmcs));
	write_ok(vmcs, VMCS_CR0_GUEST_HOST_MASK, 0x1);
	g_assert_false(vmx_clts_exits(vmcs));

	/* LMSW and PE: setting a host-owned clear PE exits; "clearing" does not
	 * (LMSW cannot clear PE). */
	write_ok(vmcs, VMCS_CR0_GUEST_HOST_MASK, 0x1);
	write_ok(vmcs, VMCS_CR0_READ_SHADOW, 0x0);
	g_assert_true(vmx_lmsw_exits(vmcs, 0x1));
	g_assert_false(vmx_lmsw_exits(vmcs, 0x0));
	write_ok(vmcs, VMCS_CR0_READ_SHADOW, 0x1);
	g_assert_false(vmx_lmsw_exits(vmcs, 0x0));
	g_assert_false(vmx_lmsw_exits(vmcs, 0x1));
	/* MP/EM/TS: any host-owned difference exits. */
	write_ok(vmcs, VMCS_CR0_GUEST_HOST_MASK, 0x2);
	write_ok(vmcs, VMCS_CR0_READ_SHADOW, 0x2);
	g_assert_false(vmx_lmsw_exits(vmcs, 0x2));
	g_assert_true(vmx_lmsw_exits(vmcs, 0x0));
	g_assert_false(vmx_lmsw_exits(vmcs, 0xFFF2));   /* only bits 3:0 are written */
	g_assert_false(vmx_lmsw_exits(vmcs, 0x2 | 0x8 | 0x4 | 0x1)); /* guest-owned bits */
	vmx_vmcs_free(vmcs);
}

/* ==== interrupt window =================================================== */

static void test_interrupt_window(void)
{
	static const struct { uint64_t rflags; uint32_t intr; gboolean open; } rows[] = {
		{ 0x202, 0, TRUE },
		{ 0x002, 0, FALSE },       /* IF = 0 */
		{ 0x202, 0x1, FALSE },     /* STI shadow */
		{ 0x202, 0x2, FALSE },     /* MOV SS shadow */
		{ 0x202, 0x8, TRUE },      /* NMI blocking does not block interrupts */
		{ 0x202, 0x4, TRUE },      /* nor SMI blocking */
		{ 0xFFFFFFFFFFFFFDFFull, 0, FALSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++)
		g_assert_cmpint(vmx_interrupt_window_open(rows[i].rflags, rows[i].intr), ==, rows[i].open);
}

/* ==== qualifications ===================================================== */

static void test_qual_io_roundtrip(void)
{
	static const struct { VmxIoQual q; uint64_t enc; } rows[] = {
		{ { .port = 0x3F8, .size = 1 }, 0x03F80000 },                      /* OUT DX, AL */
		{ { .port = 0x60, .size = 1, .in = true, .imm = true }, 0x00600048 }, /* IN AL, 60h */
		{ { .port = 0x80, .size = 1, .imm = true }, 0x00800040 },          /* OUT 80h, AL */
		{ { .port = 0x1F0, .size = 2, .in = true }, 0x01F00009 },          /* IN AX, DX */
		{ { .port = 0xCFC, .size = 4, .in = true }, 0x0CFC000B },          /* IN EAX, DX */
		{ { .port = 0x3F8, .size = 1, .string = true, .rep = true }, 0x03F80030 }, /* REP OUTSB */
		{ { .port = 0xFFFF, .size = 4, .in = true, .string = true, .rep = true }, 0xFFFF003B },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		VmxIoQual back;

		g_assert_cmphex(vmx_io_qual_encode(&rows[i].q), ==, rows[i].enc);
		memset(&back, 0xA5, sizeof back);
		vmx_io_qual_decode(rows[i].enc, &back);
		g_assert_cmpuint(back.port, ==, rows[i].q.port);
		g_assert_cmpuint(back.size, ==, rows[i].q.size);
		g_assert_cmpint(back.in, ==, rows[i].q.in);
		g_assert_cmpint(back.string, ==, rows[i].q.string);
		g_assert_cmpint(back.rep, ==, rows[i].q.rep);
		g_assert_cmpint(back.imm, ==, rows[i].q.imm);
	}
}

static void test_qual_cr(void)
{
	static const struct { VmxCrQual q; uint64_t enc; } rows[] = {
		{ { .cr = 0, .access = VMX_CR_ACCESS_MOV_TO, .gpr = 0 }, 0x000 },      /* MOV CR0, RAX */
		{ { .cr = 3, .access = VMX_CR_ACCESS_MOV_TO, .gpr = 3 }, 0x303 },      /* MOV CR3, RBX */
		{ { .cr = 3, .access = VMX_CR_ACCESS_MOV_FROM, .gpr = 1 }, 0x113 },    /* MOV RCX, CR3 */
		{ { .cr = 4, .access = VMX_CR_ACCESS_MOV_TO, .gpr = 4 }, 0x404 },      /* MOV CR4, RSP */
		{ { .cr = 8, .access = VMX_CR_ACCESS_MOV_TO, .gpr = 15 }, 0xF08 },     /* MOV CR8, R15 */
		{ { .cr = 8, .access = VMX_CR_ACCESS_MOV_FROM, .gpr = 9 }, 0x918 },    /* MOV R9, CR8 */
		{ { .cr = 0, .access = VMX_CR_ACCESS_CLTS }, 0x20 },                   /* CLTS */
		{ { .cr = 0, .access = VMX_CR_ACCESS_LMSW, .lmsw_data = 0x0001 }, 0x10030 },
		{ { .cr = 0, .access = VMX_CR_ACCESS_LMSW, .lmsw_mem = true, .lmsw_data = 0x000F }, 0xF0070 },
	};

	g_assert_cmpuint(VMX_CR_ACCESS_MOV_TO, ==, 0);
	g_assert_cmpuint(VMX_CR_ACCESS_MOV_FROM, ==, 1);
	g_assert_cmpuint(VMX_CR_ACCESS_CLTS, ==, 2);
	g_assert_cmpuint(VMX_CR_ACCESS_LMSW, ==, 3);
	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		VmxCrQual back;

		g_assert_cmphex(vmx_cr_qual_encode(&rows[i].q), ==, rows[i].enc);
		memset(&back, 0xA5, sizeof back);
		vmx_cr_qual_decode(rows[i].enc, &back);
		g_assert_cmpuint(back.cr, ==, rows[i].q.cr);
		g_assert_cmpuint(back.access, ==, rows[i].q.access);
		g_assert_cmpuint(back.gpr, ==, rows[i].q.gpr);
		g_assert_cmpint(back.lmsw_mem, ==, rows[i].q.lmsw_mem);
		g_assert_cmphex(back.lmsw_data, ==, rows[i].q.lmsw_data);
	}
}

static void test_qual_dr(void)
{
	static const struct { VmxDrQual q; uint64_t enc; } rows[] = {
		{ { .dr = 7, .from_dr = false, .gpr = 0 }, 0x007 },   /* MOV DR7, RAX */
		{ { .dr = 6, .from_dr = true, .gpr = 2 }, 0x216 },    /* MOV RDX, DR6 */
		{ { .dr = 0, .from_dr = true, .gpr = 12 }, 0xC10 },   /* MOV R12, DR0 */
	};

	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		VmxDrQual back;

		g_assert_cmphex(vmx_dr_qual_encode(&rows[i].q), ==, rows[i].enc);
		vmx_dr_qual_decode(rows[i].enc, &back);
		g_assert_cmpuint(back.dr, ==, rows[i].q.dr);
		g_assert_cmpint(back.from_dr, ==, rows[i].q.from_dr);
		g_assert_cmpuint(back.gpr, ==, rows[i].q.gpr);
	}
}

static void test_intr_info(void)
{
	static const struct { uint8_t vector, type; gboolean err; uint32_t enc; const char *type_name; } rows[] = {
		{ 14, 3, TRUE,  0x80000B0E, "hardware exception" },  /* #PF */
		{ 13, 3, TRUE,  0x80000B0D, "hardware exception" },  /* #GP */
		{ 6,  3, FALSE, 0x80000306, "hardware exception" },  /* #UD */
		{ 2,  2, FALSE, 0x80000202, "NMI" },
		{ 0x30, 0, FALSE, 0x80000030, "external interrupt" },
		{ 3,  6, FALSE, 0x80000603, "software exception" },  /* INT3 */
		{ 0x80, 4, FALSE, 0x80000480, "software interrupt" }, /* INT 80h */
		{ 1,  5, FALSE, 0x80000501, "privileged software exception" }, /* ICEBP */
		{ 0,  7, FALSE, 0x80000700, "other event" },
	};

	g_assert_cmpuint(VMX_INTR_TYPE_EXTERNAL, ==, 0);
	g_assert_cmpuint(VMX_INTR_TYPE_NMI, ==, 2);
	g_assert_cmpuint(VMX_INTR_TYPE_HARD_EXCEPTION, ==, 3);
	g_assert_cmpuint(VMX_INTR_TYPE_SOFT_INTR, ==, 4);
	g_assert_cmpuint(VMX_INTR_TYPE_PRIV_SW_EXCEPTION, ==, 5);
	g_assert_cmpuint(VMX_INTR_TYPE_SOFT_EXCEPTION, ==, 6);
	g_assert_cmpuint(VMX_INTR_TYPE_OTHER, ==, 7);
	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		uint8_t vector = 0xEE, type = 0xEE;
		bool err = !rows[i].err;

		g_assert_cmphex(vmx_intr_info_encode(rows[i].vector, rows[i].type, rows[i].err), ==, rows[i].enc);
		g_assert_true(vmx_intr_info_decode(rows[i].enc, &vector, &type, &err));
		g_assert_cmpuint(vector, ==, rows[i].vector);
		g_assert_cmpuint(type, ==, rows[i].type);
		g_assert_cmpint(err, ==, rows[i].err);
		g_assert_cmpstr(vmx_intr_type_name(rows[i].type), ==, rows[i].type_name);
	}
	/* Valid bit clear: decoded, but reported invalid. NULL outputs allowed. */
	{
		uint8_t vector = 0;

		g_assert_false(vmx_intr_info_decode(0x00000B0E, &vector, NULL, NULL));
		g_assert_cmpuint(vector, ==, 14);
		/* Bit 12 (NMI unblocking) does not disturb the other fields. */
		g_assert_true(vmx_intr_info_decode(0x80001202, &vector, NULL, NULL));
		g_assert_cmpuint(vector, ==, 2);
	}
	g_assert_cmpstr(vmx_intr_type_name(1), ==, "reserved");
}

/* ==== exit record and injection ========================================== */

static void test_exit_record(void)
{
	VmxVmcs *vmcs = new_vmcs();
	VmxExit in = {
		.reason = VMX_EXIT_IO_INSTRUCTION,
		.qualification = 0x03F80000,
		.instruction_length = 1,
		.guest_rip = 0xFFFFF80000401234ull,
		.guest_linear_address = 0x7000,
		.guest_physical_address = 0xFEE00000,
		.intr_info = 0x80000B0E,
		.intr_error_code = 0x2,
	};
	VmxExit out;

	g_assert_cmpint(vmx_vmcs_set_exit_info(vmcs, VMCS_IDT_VECTORING_INFO_FIELD, 0x80000B0E), ==, 0);
	vmx_inject_event(vmcs, 0x30, VMX_INTR_TYPE_EXTERNAL, false, 0, 0);
	vmx_exit_record(vmcs, &in);
	g_assert_cmphex(vmx_vmcs_get(vmcs, 0x4402), ==, 30);
	g_assert_cmphex(vmx_vmcs_get(vmcs, 0x6400), ==, 0x03F80000);
	g_assert_cmphex(vmx_vmcs_get(vmcs, 0x440C), ==, 1);
	g_assert_cmphex(vmx_vmcs_get(vmcs, 0x681E), ==, 0xFFFFF80000401234ull);
	g_assert_cmphex(vmx_vmcs_get(vmcs, 0x640A), ==, 0x7000);
	g_assert_cmphex(vmx_vmcs_get(vmcs, 0x2400), ==, 0xFEE00000);
	g_assert_cmphex(vmx_vmcs_get(vmcs, 0x4404), ==, 0x80000B0E);
	g_assert_cmphex(vmx_vmcs_get(vmcs, 0x4406), ==, 0x2);
	g_assert_cmphex(vmx_vmcs_get(vmcs, 0x4408), ==, 0);   /* IDT vectoring: not valid */
	/* Recording an exit does not consume a pending injection. */
	g_assert_cmphex(vmx_vmcs_get(vmcs, 0x4016), ==, 0x80000030);

	memset(&out, 0xCC, sizeof out);
	vmx_exit_load(vmcs, &out);
	g_assert_cmpuint(out.reason, ==, in.reason);
	g_assert_cmphex(out.qualification, ==, in.qualification);
	g_assert_cmpuint(out.instruction_length, ==, in.instruction_length);
	g_assert_cmphex(out.guest_rip, ==, in.guest_rip);
	g_assert_cmphex(out.guest_linear_address, ==, in.guest_linear_address);
	g_assert_cmphex(out.guest_physical_address, ==, in.guest_physical_address);
	g_assert_cmphex(out.intr_info, ==, in.intr_info);
	g_assert_cmphex(out.intr_error_code, ==, in.intr_error_code);

	/* An entry failure keeps bit 31. */
	in.reason = VMX_EXIT_REASON_ENTRY_FAILURE | VMX_EXIT_ENTRY_FAIL_GUEST_STATE;
	vmx_exit_record(vmcs, &in);
	g_assert_cmphex(vmx_vmcs_get(vmcs, 0x4402), ==, 0x80000021u);
	vmx_vmcs_free(vmcs);
}

static void test_inject(void)
{
	VmxVmcs *vmcs = new_vmcs();
	uint8_t vector = 0, type = 0;
	bool err = false;
	uint32_t code = 0;

	g_assert_false(vmx_take_injected_event(vmcs, &vector, &type, &err, &code));

	/* #GP(0x10): hardware exception with an error code; no length. */
	vmx_inject_event(vmcs, 13, VMX_INTR_TYPE_HARD_EXCEPTION, true, 0x10, 7);
	g_assert_cmphex(vmx_vmcs_get(vmcs, 0x4016), ==, 0x80000B0D);
	g_assert_cmphex(vmx_vmcs_get(vmcs, 0x4018), ==, 0x10);
	g_assert_cmphex(vmx_vmcs_get(vmcs, 0x401A), ==, 0);
	g_assert_true(vmx_take_injected_event(vmcs, &vector, &type, &err, &code));
	g_assert_cmpuint(vector, ==, 13);
	g_assert_cmpuint(type, ==, 3);
	g_assert_true(err);
	g_assert_cmphex(code, ==, 0x10);
	/* Taken exactly once: the valid bit is gone, the rest stays readable. */
	g_assert_cmphex(vmx_vmcs_get(vmcs, 0x4016), ==, 0x00000B0D);
	g_assert_false(vmx_take_injected_event(vmcs, &vector, &type, &err, &code));

	/* External interrupt: no error code reported even if a stale one sits
	 * in the error-code field; no instruction length. */
	vmx_inject_event(vmcs, 0x50, VMX_INTR_TYPE_EXTERNAL, false, 0xBAD, 3);
	g_assert_cmphex(vmx_vmcs_get(vmcs, 0x4018), ==, 0x10);
	g_assert_cmphex(vmx_vmcs_get(vmcs, 0x401A), ==, 0);
	code = 99;
	g_assert_true(vmx_take_injected_event(vmcs, &vector, &type, &err, &code));
	g_assert_cmpuint(vector, ==, 0x50);
	g_assert_cmpuint(type, ==, 0);
	g_assert_false(err);
	g_assert_cmpuint(code, ==, 0);

	/* Software interrupt / exceptions carry the instruction length. */
	static const uint8_t soft_types[] = { 4, 5, 6 };
	for (gsize i = 0; i < G_N_ELEMENTS(soft_types); i++) {
		write_ok(vmcs, VMCS_VM_ENTRY_INSTRUCTION_LEN, 0);
		vmx_inject_event(vmcs, 3, soft_types[i], false, 0, 2 + (uint32_t)i);
		g_assert_cmphex(vmx_vmcs_get(vmcs, 0x401A), ==, 2 + i);
		g_assert_true(vmx_take_injected_event(vmcs, NULL, NULL, NULL, NULL));
	}
	/* NMI: no length either. */
	write_ok(vmcs, VMCS_VM_ENTRY_INSTRUCTION_LEN, 0);
	vmx_inject_event(vmcs, 2, VMX_INTR_TYPE_NMI, false, 0, 5);
	g_assert_cmphex(vmx_vmcs_get(vmcs, 0x401A), ==, 0);
	vmx_vmcs_free(vmcs);
}

/* ==== AMD SVM ============================================================= */

static void test_svm_codes(void)
{
	/* APM vol. 2 appendix C values, typed in. */
	static const struct { uint32_t macro, value; const char *name; } rows[] = {
		{ SVM_EXIT_CR0_READ, 0x000, "CR0_READ" },   { SVM_EXIT_CR3_READ, 0x003, "CR3_READ" },
		{ SVM_EXIT_CR8_READ, 0x008, "CR8_READ" },   { SVM_EXIT_CR0_WRITE, 0x010, "CR0_WRITE" },
		{ SVM_EXIT_CR3_WRITE, 0x013, "CR3_WRITE" }, { SVM_EXIT_CR4_WRITE, 0x014, "CR4_WRITE" },
		{ SVM_EXIT_CR8_WRITE, 0x018, "CR8_WRITE" }, { SVM_EXIT_DR0_READ, 0x020, "DR0_READ" },
		{ SVM_EXIT_DR7_READ, 0x027, "DR7_READ" },   { SVM_EXIT_DR7_WRITE, 0x037, "DR7_WRITE" },
		{ SVM_EXIT_EXCP_BASE, 0x040, "EXCP0" },     { SVM_EXIT_EXCP(14), 0x04E, "EXCP14" },
		{ SVM_EXIT_EXCP_LAST, 0x05F, "EXCP31" },
		{ SVM_EXIT_INTR, 0x060, "INTR" },   { SVM_EXIT_NMI, 0x061, "NMI" },
		{ SVM_EXIT_SMI, 0x062, "SMI" },     { SVM_EXIT_INIT, 0x063, "INIT" },
		{ SVM_EXIT_VINTR, 0x064, "VINTR" }, { SVM_EXIT_RDTSC, 0x06E, "RDTSC" },
		{ SVM_EXIT_RDPMC, 0x06F, "RDPMC" }, { SVM_EXIT_CPUID, 0x072, "CPUID" },
		{ SVM_EXIT_INVD, 0x076, "INVD" },   { SVM_EXIT_PAUSE, 0x077, "PAUSE" },
		{ SVM_EXIT_HLT, 0x078, "HLT" },     { SVM_EXIT_INVLPG, 0x079, "INVLPG" },
		{ SVM_EXIT_IOIO, 0x07B, "IOIO" },   { SVM_EXIT_MSR, 0x07C, "MSR" },
		{ SVM_EXIT_TASK_SWITCH, 0x07D, "TASK_SWITCH" }, { SVM_EXIT_SHUTDOWN, 0x07F, "SHUTDOWN" },
		{ SVM_EXIT_VMRUN, 0x080, "VMRUN" }, { SVM_EXIT_VMMCALL, 0x081, "VMMCALL" },
		{ SVM_EXIT_RDTSCP, 0x087, "RDTSCP" }, { SVM_EXIT_WBINVD, 0x089, "WBINVD" },
		{ SVM_EXIT_MONITOR, 0x08A, "MONITOR" }, { SVM_EXIT_MWAIT, 0x08B, "MWAIT" },
		{ SVM_EXIT_XSETBV, 0x08D, "XSETBV" }, { SVM_EXIT_INVPCID, 0x0A2, "INVPCID" },
		{ SVM_EXIT_NPF, 0x400, "NPF" },     { SVM_EXIT_INVALID, 0xFFFFFFFFu, "INVALID" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_assert_cmphex(rows[i].macro, ==, rows[i].value);
		g_assert_cmpstr(svm_exit_code_name(rows[i].value), ==, rows[i].name);
	}
	g_assert_cmpstr(svm_exit_code_name(SVM_EXIT_NO_EQUIVALENT), ==, "no SVM equivalent");
	g_assert_cmpstr(svm_exit_code_name(0x0A0), ==, "unknown");
	g_assert_cmpstr(svm_exit_code_name(0x300), ==, "unknown");
	g_assert_cmpstr(svm_exit_code_name(0x12345678), ==, "unknown");
}

/* hyperv-facts.md section 8.5, one row per VMX event, plus the SDM's INIT/SMI
 * exits and the events with no AMD counterpart. */
static void test_svm_map(void)
{
	static const struct { uint32_t basic; uint64_t qual; uint32_t vector; uint32_t svm; } rows[] = {
		{ 28, 0x000, 0, 0x010 },   /* MOV CR0, RAX */
		{ 28, 0x303, 0, 0x013 },   /* MOV CR3, RBX */
		{ 28, 0x113, 0, 0x003 },   /* MOV RCX, CR3 */
		{ 28, 0x404, 0, 0x014 },   /* MOV CR4, RSP */
		{ 28, 0xF08, 0, 0x018 },   /* MOV CR8, R15 */
		{ 28, 0x918, 0, 0x008 },   /* MOV R9, CR8 */
		{ 28, 0x020, 0, 0x010 },   /* CLTS writes CR0 */
		{ 28, 0x10030, 0, 0x010 }, /* LMSW writes CR0 */
		{ 29, 0x007, 0, 0x037 },   /* MOV DR7, RAX */
		{ 29, 0x216, 0, 0x026 },   /* MOV RDX, DR6 */
		{ 0, 0, 0, 0x040 },        /* #DE */
		{ 0, 0, 2, 0x061 },        /* NMI */
		{ 0, 0, 13, 0x04D },       /* #GP */
		{ 0, 0, 14, 0x04E },       /* #PF */
		{ 0, 0, 18, 0x052 },       /* #MC */
		{ 0, 0, 31, 0x05F },
		{ 0, 0, 32, SVM_EXIT_NO_EQUIVALENT },
		{ 1, 0, 0, 0x060 },        /* external interrupt */
		{ 2, 0, 0, 0x07F },        /* triple fault -> shutdown */
		{ 3, 0, 0, 0x063 },        /* INIT */
		{ 5, 0, 0, 0x062 },        /* I/O SMI */
		{ 6, 0, 0, 0x062 },        /* other SMI */
		{ 7, 0, 0, 0x064 },        /* interrupt window -> VINTR */
		{ 9, 0, 0, 0x07D },        /* task switch */
		{ 10, 0, 0, 0x072 },       /* CPUID */
		{ 12, 0, 0, 0x078 },       /* HLT */
		{ 13, 0, 0, 0x076 },       /* INVD */
		{ 14, 0, 0, 0x079 },       /* INVLPG */
		{ 15, 0, 0, 0x06F },       /* RDPMC */
		{ 16, 0, 0, 0x06E },       /* RDTSC */
		{ 18, 0, 0, 0x081 },       /* VMCALL -> VMMCALL */
		{ 30, 0x03F80000, 0, 0x07B }, /* I/O */
		{ 31, 0, 0, 0x07C },       /* RDMSR */
		{ 32, 0, 0, 0x07C },       /* WRMSR: same code */
		{ 33, 0, 0, 0xFFFFFFFFu }, /* invalid guest state -> VMEXIT_INVALID */
		{ 0x80000021u, 0, 0, 0xFFFFFFFFu }, /* full field with bit 31 */
		{ 36, 0, 0, 0x08B },       /* MWAIT */
		{ 39, 0, 0, 0x08A },       /* MONITOR */
		{ 40, 0, 0, 0x077 },       /* PAUSE */
		{ 48, 0, 0, 0x400 },       /* EPT violation -> NPF */
		{ 49, 0, 0, 0x400 },       /* EPT misconfiguration -> NPF */
		{ 51, 0, 0, 0x087 },       /* RDTSCP */
		{ 54, 0, 0, 0x089 },       /* WBINVD */
		{ 55, 0, 0, 0x08D },       /* XSETBV */
		{ 58, 0, 0, 0x0A2 },       /* INVPCID */
		{ 4, 0, 0, SVM_EXIT_NO_EQUIVALENT },   /* SIPI */
		{ 8, 0, 0, SVM_EXIT_NO_EQUIVALENT },   /* NMI window */
		{ 37, 0, 0, SVM_EXIT_NO_EQUIVALENT },  /* MTF */
		{ 52, 0, 0, SVM_EXIT_NO_EQUIVALENT },  /* preemption timer */
		{ 1000, 0, 0, SVM_EXIT_NO_EQUIVALENT },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_test_message("vmx %u qual %#" G_GINT64_MODIFIER "x vector %u",
		               rows[i].basic, (guint64)rows[i].qual, rows[i].vector);
		g_assert_cmphex(vmx_exit_to_svm(rows[i].basic, rows[i].qual, rows[i].vector), ==, rows[i].svm);
	}
	/* Every mapped code has a name. */
	for (uint32_t n = 0; n < 128; n++)
		g_assert_cmpstr(svm_exit_code_name(vmx_exit_to_svm(n, 0, 14)), !=, "unknown");
}

/* ==== main =============================================================== */

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/vmx/exit-reasons/table", test_exit_reasons_table);
	g_test_add_func("/vmx/exit-reasons/gaps", test_exit_reasons_gaps);
	g_test_add_func("/vmx/exit-reasons/ids", test_exit_reasons_ids);
	g_test_add_func("/vmx/exit-reasons/full-field", test_exit_reasons_full_field);
	g_test_add_func("/vmx/exit-reasons/unconditional", test_exit_reasons_unconditional);
	g_test_add_func("/vmx/exit-reasons/exception-mnemonics", test_exception_mnemonics);
	g_test_add_func("/vmx/fields/constants", test_fields_constants);
	g_test_add_func("/vmx/fields/encoding-bits", test_fields_encoding_bits);
	g_test_add_func("/vmx/fields/table", test_fields_table);
	g_test_add_func("/vmx/vmcs/defaults", test_vmcs_defaults);
	g_test_add_func("/vmx/vmcs/read-write", test_vmcs_read_write);
	g_test_add_func("/vmx/vmcs/width-truncation", test_vmcs_width_truncation);
	g_test_add_func("/vmx/vmcs/read-only", test_vmcs_read_only);
	g_test_add_func("/vmx/vmcs/high-access", test_vmcs_high_access);
	g_test_add_func("/vmx/vmcs/instances", test_vmcs_instances);
	g_test_add_func("/vmx/io-bitmap/layout", test_io_bitmap_layout);
	g_test_add_func("/vmx/io-bitmap/exits", test_io_exits_bitmap);
	g_test_add_func("/vmx/io-bitmap/wrap", test_io_exits_wrap);
	g_test_add_func("/vmx/io-bitmap/unconditional", test_io_exits_unconditional);
	g_test_add_func("/vmx/msr-bitmap/ranges", test_msr_bitmap_ranges);
	g_test_add_func("/vmx/msr-bitmap/exits", test_msr_exits);
	g_test_add_func("/vmx/controls/bits", test_control_bits);
	g_test_add_func("/vmx/controls/single-exits", test_exits_single_controls);
	g_test_add_func("/vmx/controls/unconditional-exits", test_exits_unconditional);
	g_test_add_func("/vmx/exceptions/bitmap", test_exceptions_bitmap);
	g_test_add_func("/vmx/exceptions/pfec", test_exceptions_pfec);
	g_test_add_func("/vmx/cr-exits/mask-shadow", test_cr_exits_mask_shadow);
	g_test_add_func("/vmx/cr-exits/cr3-targets", test_cr_exits_cr3_targets);
	g_test_add_func("/vmx/cr-exits/cr8-and-reads", test_cr_exits_cr8_and_reads);
	g_test_add_func("/vmx/cr-exits/guest-view", test_cr_guest_view);
	g_test_add_func("/vmx/cr-exits/clts-lmsw", test_cr_exits_clts_lmsw);
	g_test_add_func("/vmx/interrupt-window", test_interrupt_window);
	g_test_add_func("/vmx/qual/io-roundtrip", test_qual_io_roundtrip);
	g_test_add_func("/vmx/qual/cr", test_qual_cr);
	g_test_add_func("/vmx/qual/dr", test_qual_dr);
	g_test_add_func("/vmx/intr-info", test_intr_info);
	g_test_add_func("/vmx/exit-record", test_exit_record);
	g_test_add_func("/vmx/inject", test_inject);
	g_test_add_func("/vmx/svm/codes", test_svm_codes);
	g_test_add_func("/vmx/svm/map", test_svm_map);

	return g_test_run();
}
