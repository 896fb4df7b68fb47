/* test-bad-guests.c — tiny hand-assembled guests that misbehave (or do one
 * thing right), run end to end: how the machine stops them and what it
 * says. Each guest is one ELF segment at HVSIM_IMAGE_MIN_GPA entered as the
 * boot contract says (hvsim-platform.h): 64-bit long mode, CPL 0, paging
 * on with the loader's identity map, RFLAGS.IF = 0, no IDT of its own.
 * Host test program (GLib test framework). */
#include <glib.h>
#include <string.h>

#include "elf-builder.h"
#include "hvsim-platform.h"
#include "sim-harness.h"

#define ENTRY HVSIM_IMAGE_MIN_GPA   /* 0x10000: where every test guest starts */

/* Loads `code` at ENTRY into a new machine and runs it to the end. */
static SimOutcome run_code(Harness *h, const SimConfig *cfg, const guint8 *code, gsize len)
{
	g_autoptr(GByteArray) img = elf_build_code(ENTRY, code, len);
	harness_init_image(h, cfg, img->data, img->len);
	SimOutcome o = harness_run(h);
	g_test_message("outcome %d: %s; partition: %s", o, sim_machine_outcome_message(h->m),
	               h->p->stop_reason ? h->p->stop_reason : "(running)");
	return o;
}

static void assert_stop_reason(Harness *h, const char *text)
{
	g_assert_nonnull(h->p->stop_reason);
	if (!strstr(h->p->stop_reason, text))
		g_test_message("stop reason lacks \"%s\"", text);
	g_assert_nonnull(strstr(h->p->stop_reason, text));
	const SimEvent *stop = harness_first(h, SIM_EV_PARTITION_STOP);
	g_assert_nonnull(stop);
	g_assert_false(stop->u.stop.clean);
	g_assert_cmpuint(harness_count_from(h, 0, SIM_EV_PARTITION_STOP), ==, 1);
}

/* The run's one-line outcome quotes the partition's stop reason. */
static void assert_outcome_quotes(Harness *h, const char *text)
{
	g_assert_nonnull(strstr(sim_machine_outcome_message(h->m), text));
	g_assert_nonnull(strstr(sim_machine_outcome_message(h->m), "partition 1 (test)"));
}

static guint count_exits(Harness *h, uint32_t reason)
{
	guint n = 0;
	for (guint i = 0; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		n += e->type == SIM_EV_VM_EXIT && e->u.exit.reason == reason;
	}
	return n;
}

/* Power off: the tail several guests end with. */
#define POWER_OFF                 \
	0x66, 0xBA, 0x04, 0x06,   /* mov dx, 0x604          */ \
	0x66, 0xB8, 0x00, 0x20,   /* mov ax, 0x2000         */ \
	0x66, 0xEF,               /* out dx, ax             */ \
	0xEB, 0xFE                /* jmp $ (never reached)  */

#define BUG_FAULT_RIP \
	"BUG: after a memory fault that ends uc_emu_start (GPA outside RAM -> EPT violation; store to " \
	"the hypercall overlay -> #GP) the RIP used is the start of the translated block, not the " \
	"faulting instruction (backend-unicorn.c ucb_vp_run reads RIP after uc_emu_start failed)"

/* ==== (a) a loop that changes nothing ======================================= */

static void test_stuck(void)
{
	static const guint8 code[] = {
		0xEB, 0xFE,               /* 0x10000: jmp $ */
	};
	Harness h;
	SimConfig cfg = { 0 };
	g_assert_cmpint(run_code(&h, &cfg, code, sizeof code), ==, SIM_OUTCOME_STUCK);
	assert_stop_reason(&h, "stuck");
	assert_stop_reason(&h, "RIP 0x10000");
	assert_outcome_quotes(&h, "stuck");
	/* Detected after a few slices, long before the instruction limit. */
	g_assert_cmpuint(sim_machine_insns(h.m), <, 20 * SIM_SLICE_INSNS);
	harness_fini(&h);
}

/* ==== (b) HLT with interrupts off: nothing can ever wake it ================== */

static void test_cli_hlt(void)
{
	static const guint8 code[] = {
		0xFA,                     /* 0x10000: cli */
		0xF4,                     /* 0x10001: hlt */
	};
	Harness h;
	SimConfig cfg = { 0 };
	g_assert_cmpint(run_code(&h, &cfg, code, sizeof code), ==, SIM_OUTCOME_GUEST_ERROR);
	assert_stop_reason(&h, "interrupts disabled");
	assert_stop_reason(&h, "RIP 0x10001");
	assert_outcome_quotes(&h, "interrupts disabled");
	g_assert_cmpuint(count_exits(&h, VMX_EXIT_HLT), ==, 1);
	harness_fini(&h);
}

/* HLT with interrupts on but no timer armed: every VP idle for good. */
static void test_sti_hlt(void)
{
	static const guint8 code[] = {
		0xFB,                     /* 0x10000: sti */
		0xF4,                     /* 0x10001: hlt */
		0xEB, 0xFE,               /* 0x10002: jmp $ */
	};
	Harness h;
	SimConfig cfg = { 0 };
	g_assert_cmpint(run_code(&h, &cfg, code, sizeof code), ==, SIM_OUTCOME_STUCK);
	assert_stop_reason(&h, "nothing can wake it");
	g_assert_nonnull(strstr(sim_machine_outcome_message(h.m), "deadlock"));
	g_assert_cmpuint(count_exits(&h, VMX_EXIT_HLT), ==, 1);
	harness_fini(&h);
}

/* ==== (c) a busy loop that does change state: the instruction limit ========= */

static void test_limit(void)
{
	static const guint8 code[] = {
		0x48, 0xFF, 0xC0,         /* 0x10000: inc rax */
		0xEB, 0xFB,               /* 0x10003: jmp 0x10000 */
	};
	const uint64_t max = 1000000;
	Harness h;
	SimConfig cfg = { .max_insns = max };
	g_assert_cmpint(run_code(&h, &cfg, code, sizeof code), ==, SIM_OUTCOME_LIMIT);
	/* The budget is enforced at block granularity (two instructions here). */
	g_assert_cmpuint(sim_machine_insns(h.m), >=, max);
	g_assert_cmpuint(sim_machine_insns(h.m), <=, max + 64);
	assert_stop_reason(&h, "--max-insns 1000000");
	g_assert_nonnull(strstr(sim_machine_outcome_message(h.m), "stopped after"));
	/* Half the instructions were INC: RAX counts the loop. */
	uint64_t rax = harness_reg(&h, SIM_REG_RAX);
	g_assert_cmpuint(rax, >=, max / 2 - 1);
	g_assert_cmpuint(rax, <=, max / 2 + 32);
	harness_fini(&h);
}

/* ==== (d) an exception with no usable IDT: triple fault ====================== */

/* lidt [rip + 9] loads the descriptor at 0x10010: limit 0, base 0. */
#define LIDT_EMPTY_PREFIX                                              \
	0x0F, 0x01, 0x1D, 0x09, 0x00, 0x00, 0x00  /* 0x10000: lidt [rip+9] -> [0x10010] */

static void run_triple_fault(const guint8 *code, gsize len, SimVendor vendor, Harness *h)
{
	SimConfig cfg = { .vendor = vendor };
	g_assert_cmpint(run_code(h, &cfg, code, len), ==, SIM_OUTCOME_GUEST_ERROR);
	assert_stop_reason(h, "triple fault");
	assert_outcome_quotes(h, "triple fault");
	g_assert_cmpuint(count_exits(h, VMX_EXIT_TRIPLE_FAULT), ==, 1);
}

static void test_triple_fault(void)
{
	static const guint8 code[] = {
		LIDT_EMPTY_PREFIX,
		0x0F, 0x0B,                         /* 0x10007: ud2 */
		0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC,
		0x00, 0x00,                         /* 0x10010: IDT limit 0 */
		0, 0, 0, 0, 0, 0, 0, 0,             /*          IDT base 0 */
	};
	Harness h;
	run_triple_fault(code, sizeof code, SIM_VENDOR_INTEL, &h);
	assert_stop_reason(&h, "RIP 0x10007");
	harness_fini(&h);
}

/* ==== (e) memory outside the partition: EPT violations ====================== */


typedef struct EptRow {
	const char *path;
	uint64_t memory;
	const guint8 *code;
	gsize len;
	const char *access;     /* "read", "write" or "instruction fetch" */
	uint64_t rip;           /* where the access faulted */
} EptRow;

/* With 3 MiB of RAM the loader's 2 MiB pages map [0, 4 MiB): the guest's
 * page tables translate 0x300000, but that GPA is not RAM. */
static const guint8 ept_write[] = {
	0x48, 0xC7, 0xC0, 0x00, 0x00, 0x30, 0x00, /* 0x10000: mov rax, 0x300000 */
	0x48, 0x89, 0x00,                         /* 0x10007: mov [rax], rax */
	POWER_OFF,
};
static const guint8 ept_read[] = {
	0x48, 0xC7, 0xC0, 0x00, 0x00, 0x30, 0x00, /* 0x10000: mov rax, 0x300000 */
	0x48, 0x8B, 0x18,                         /* 0x10007: mov rbx, [rax] */
	POWER_OFF,
};
static const guint8 ept_fetch[] = {
	0x48, 0xC7, 0xC0, 0x00, 0x00, 0x30, 0x00, /* 0x10000: mov rax, 0x300000 */
	0xFF, 0xE0,                               /* 0x10007: jmp rax */
	POWER_OFF,
};
static const EptRow ept_rows[] = {
	{ "write", 3ull << 20, ept_write, sizeof ept_write, "write", 0x10007 },
	{ "read",  3ull << 20, ept_read, sizeof ept_read, "read", 0x10007 },
	{ "fetch", 3ull << 20, ept_fetch, sizeof ept_fetch, "instruction fetch", 0x300000 },
};

static void test_ept(gconstpointer data)
{
	const EptRow *row = data;
	Harness h;
	SimConfig cfg = { .memory_size = row->memory };
	g_assert_cmpint(run_code(&h, &cfg, row->code, row->len), ==, SIM_OUTCOME_GUEST_ERROR);
	assert_stop_reason(&h, "EPT violation");
	g_autofree char *what = g_strdup_printf(": %s of a guest-physical address outside", row->access);
	assert_stop_reason(&h, what);
	g_autofree char *mib = g_strdup_printf("(%" G_GUINT64_FORMAT " MiB)", row->memory >> 20);
	assert_stop_reason(&h, mib);
	assert_outcome_quotes(&h, "EPT violation");
	g_assert_cmpuint(count_exits(&h, VMX_EXIT_EPT_VIOLATION), ==, 1);
	g_autofree char *rip = g_strdup_printf("at RIP 0x%" G_GINT64_MODIFIER "x:", row->rip);
	if (!strstr(h.p->stop_reason, rip))
		g_test_incomplete(BUG_FAULT_RIP);
	harness_fini(&h);
}

/* The same store with 2 MiB of RAM: now the guest's own page tables do not
 * map 0x300000, so it is a #PF inside the guest (no IDT: triple fault),
 * not an EPT violation. */
#define BUG_GUEST_PAGING \
	"BUG (emulator): Unicorn 2.0.1 ignores the guest's page tables (linear address = GPA, " \
	"unicorn-engine/unicorn#1953), so a guest #PF becomes an EPT violation and guest mappings " \
	"to other GPAs are not honoured; backend-unicorn.c does not compensate"

static void test_guest_page_fault(void)
{
	Harness h;
	SimConfig cfg = { .memory_size = 2ull << 20 };
	g_assert_cmpint(run_code(&h, &cfg, ept_write, sizeof ept_write), ==, SIM_OUTCOME_GUEST_ERROR);
	if (count_exits(&h, VMX_EXIT_EPT_VIOLATION) != 0) {
		g_test_incomplete(BUG_GUEST_PAGING);
		harness_fini(&h);
		return;
	}
	assert_stop_reason(&h, "triple fault");
	const SimEvent *f = harness_first(&h, SIM_EV_FAULT);
	g_assert_nonnull(f);
	g_assert_cmpuint(f->u.fault.vector, ==, X86_VEC_PF);
	g_assert_cmphex(f->u.fault.cr2, ==, 0x300000);
	harness_fini(&h);
}

/* The guest maps linear 0x200000 to GPA 0 (2 MiB page in the boot PD) and
 * stores through it: the store must land at GPA 0x100, not 0x200100. */
static void test_guest_mapping(void)
{
	static const guint8 code[] = {
		0x48, 0xC7, 0xC0, 0x83, 0x00, 0x00, 0x00,       /* 0x10000: mov rax, 0x83  (P|RW|PS, GPA 0) */
		0x48, 0x89, 0x04, 0x25, 0x08, 0x50, 0x00, 0x00, /* 0x10007: mov [0x5008], rax  (boot PD[1]) */
		0x48, 0xC7, 0xC3, 0x00, 0x01, 0x20, 0x00,       /* 0x1000f: mov rbx, 0x200100 */
		0x48, 0xC7, 0x03, 0x78, 0x56, 0x34, 0x12,       /* 0x10016: mov qword [rbx], 0x12345678 */
		POWER_OFF,                                      /* 0x1001d */
	};
	Harness h;
	SimConfig cfg = { 0 };
	uint32_t at_gpa_100 = 0, at_gpa_200100 = 0;
	g_assert_cmpint(run_code(&h, &cfg, code, sizeof code), ==, SIM_OUTCOME_SHUTDOWN);
	g_assert_true(sim_memory_read(&h.p->mem, 0x100, &at_gpa_100, 4));
	g_assert_true(sim_memory_read(&h.p->mem, 0x200100, &at_gpa_200100, 4));
	if (at_gpa_100 != 0x12345678 && at_gpa_200100 == 0x12345678) {
		g_test_incomplete(BUG_GUEST_PAGING);
		harness_fini(&h);
		return;
	}
	g_assert_cmphex(at_gpa_100, ==, 0x12345678);
	g_assert_cmphex(at_gpa_200100, ==, 0);
	harness_fini(&h);
}

/* ==== (f) power off ============================================================= */

#define BUG_COUNT_AFTER_STOP \
	"BUG (minor): when an OUT (or IN/CPUID) exit stops the partition inside the instruction hook, " \
	"the rest of the translated block stays counted as retired (backend-unicorn.c " \
	"stop_if_partition_stopped does not rewind_count)"

static void test_power_off(void)
{
	static const guint8 code[] = { POWER_OFF };
	Harness h;
	SimConfig cfg = { 0 };
	g_assert_cmpint(run_code(&h, &cfg, code, sizeof code), ==, SIM_OUTCOME_SHUTDOWN);
	const SimEvent *stop = harness_first(&h, SIM_EV_PARTITION_STOP);
	g_assert_nonnull(stop);
	g_assert_true(stop->u.stop.clean);
	g_assert_nonnull(strstr(h.p->stop_reason, "powered off"));
	/* Three instructions retire, the last one exits; the jmp after it
	 * (same translated block) never runs. */
	g_assert_cmpuint(sim_machine_insns(h.m), >=, 3);
	if (sim_machine_insns(h.m) != 3)
		g_test_incomplete(BUG_COUNT_AFTER_STOP);
	g_assert_cmpuint(count_exits(&h, VMX_EXIT_IO_INSTRUCTION), ==, 1);
	harness_fini(&h);
}

/* Other values, or an 8-bit write, are reported and ignored. */
static void test_power_wrong_value(void)
{
	static const guint8 code[] = {
		0x66, 0xBA, 0x04, 0x06,   /* 0x10000: mov dx, 0x604 */
		0x66, 0xB8, 0x34, 0x12,   /* 0x10004: mov ax, 0x1234 */
		0x66, 0xEF,               /* 0x10008: out dx, ax      (ignored) */
		0xB0, 0x20,               /* 0x1000a: mov al, 0x20 */
		0xEE,                     /* 0x1000c: out dx, al      (ignored: 8 bits) */
		POWER_OFF,                /* 0x1000d */
	};
	Harness h;
	SimConfig cfg = { 0 };
	g_assert_cmpint(run_code(&h, &cfg, code, sizeof code), ==, SIM_OUTCOME_SHUTDOWN);
	guint ignored = 0;
	for (guint i = 0; i < h.events->len; i++) {
		const SimEvent *e = harness_event(&h, i);
		if (e->type == SIM_EV_MESSAGE && strstr(e->text, "ignored write"))
			ignored++;
	}
	g_assert_cmpuint(ignored, ==, 2);
	g_assert_cmpuint(count_exits(&h, VMX_EXIT_IO_INSTRUCTION), ==, 3);
	harness_fini(&h);
}

/* ==== (g) the UART ============================================================== */

static void test_uart(void)
{
	static const guint8 code[] = {
		0x66, 0xBA, 0xF8, 0x03,   /* 0x10000: mov dx, 0x3f8   (COM1 THR) */
		0xB0, 0x48,               /*          mov al, 'H' */
		0xEE,                     /*          out dx, al */
		0xB0, 0x69,               /*          mov al, 'i' */
		0xEE,                     /*          out dx, al */
		0xB0, 0x07,               /*          mov al, 7   (BEL: shown as '?') */
		0xEE,                     /*          out dx, al */
		0x66, 0xBA, 0xFD, 0x03,   /*          mov dx, 0x3fd   (LSR) */
		0xEC,                     /*          in al, dx   -> THRE|TEMT = 0x60 '`' */
		0x66, 0xBA, 0xF8, 0x03,   /*          mov dx, 0x3f8 */
		0xEE,                     /*          out dx, al */
		0xB0, 0x0A,               /*          mov al, '\n' */
		0xEE,                     /*          out dx, al */
		POWER_OFF,
	};
	Harness h;
	SimConfig cfg = { 0 };
	g_assert_cmpint(run_code(&h, &cfg, code, sizeof code), ==, SIM_OUTCOME_SHUTDOWN);
	g_assert_cmpstr(sim_partition_console(h.p), ==, "Hi?`\n");
	const SimEvent *line = harness_first(&h, SIM_EV_CONSOLE);
	g_assert_nonnull(line);
	g_assert_cmpstr(line->text, ==, "Hi?`");
	g_assert_cmpuint(harness_count_from(&h, 0, SIM_EV_CONSOLE), ==, 1);
	/* The IN was answered by the device: a port_io event with the value. */
	gboolean saw_lsr = FALSE;
	for (guint i = 0; i < h.events->len; i++) {
		const SimEvent *e = harness_event(&h, i);
		if (e->type == SIM_EV_PORT_IO && e->u.io.in && e->u.io.port == 0x3FD && e->u.io.value == 0x60)
			saw_lsr = TRUE;
	}
	g_assert_true(saw_lsr);
	harness_fini(&h);
}

/* A partial line is flushed when the partition stops. */
static void test_uart_unterminated(void)
{
	static const guint8 code[] = {
		0x66, 0xBA, 0xF8, 0x03,   /* mov dx, 0x3f8 */
		0xB0, 0x21,               /* mov al, '!' */
		0xEE,                     /* out dx, al */
		POWER_OFF,
	};
	Harness h;
	SimConfig cfg = { 0 };
	g_assert_cmpint(run_code(&h, &cfg, code, sizeof code), ==, SIM_OUTCOME_SHUTDOWN);
	const SimEvent *line = harness_first(&h, SIM_EV_CONSOLE);
	g_assert_nonnull(line);
	g_assert_cmpstr(line->text, ==, "!");
	harness_fini(&h);
}

/* ==== (h) the other vendor's hypercall instruction ============================ */

/* VMMCALL on an Intel CPU is undefined: #UD in the guest, no VM exit. */
static void test_wrong_vendor_insn(gconstpointer data)
{
	const gboolean amd = GPOINTER_TO_INT(data);
	guint8 code[] = {
		LIDT_EMPTY_PREFIX,
		0x0F, 0x01, 0xD9,                   /* 0x10007: vmmcall (patched to vmcall on AMD) */
		0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC,
		0x00, 0x00,                         /* 0x10010: IDT limit 0 */
		0, 0, 0, 0, 0, 0, 0, 0,             /*          IDT base 0 */
	};
	if (amd)
		code[9] = 0xC1;                     /* 0x10007: vmcall */
	Harness h;
	run_triple_fault(code, sizeof code, amd ? SIM_VENDOR_AMD : SIM_VENDOR_INTEL, &h);
	g_assert_cmpuint(count_exits(&h, VMX_EXIT_VMCALL), ==, 0);
	g_assert_cmpuint(harness_count_from(&h, 0, SIM_EV_HYPERCALL), ==, 0);
	assert_stop_reason(&h, "RIP 0x10007");     /* the instruction itself */
	harness_fini(&h);
}

/* The vendor's own instruction before the page is enabled does exit, and
 * the hypervisor answers with #UD (which then triple-faults here). */
static void test_own_insn_without_page(void)
{
	static const guint8 code[] = {
		LIDT_EMPTY_PREFIX,
		0x0F, 0x01, 0xC1,                   /* 0x10007: vmcall */
		0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC,
		0x00, 0x00,                         /* 0x10010: IDT limit 0 */
		0, 0, 0, 0, 0, 0, 0, 0,             /*          IDT base 0 */
	};
	Harness h;
	run_triple_fault(code, sizeof code, SIM_VENDOR_INTEL, &h);
	g_assert_cmpuint(count_exits(&h, VMX_EXIT_VMCALL), ==, 1);
	g_assert_cmpuint(harness_count_from(&h, 0, SIM_EV_HYPERCALL), ==, 0);
	assert_stop_reason(&h, "RIP 0x10007");
	const SimEvent *msg = harness_first(&h, SIM_EV_MESSAGE);
	g_assert_nonnull(msg);
	g_assert_nonnull(strstr(msg->text, "#UD"));
	harness_fini(&h);
}

/* ==== a guest that does it right: its own hypercall ========================== */

#define HC_PAGE 0x20000ull
#define HC_OUT  0x21000ull

static void test_hypercall_guest(gconstpointer data)
{
	const SimVendor vendor = GPOINTER_TO_INT(data);
	static const guint8 code[] = {
		0xB9, 0x00, 0x00, 0x00, 0x40,       /* 0x10000: mov ecx, 0x40000000  (GUEST_OS_ID) */
		0xB8, 0x01, 0x00, 0x00, 0x00,       /* 0x10005: mov eax, 1 */
		0xBA, 0x00, 0x00, 0x00, 0x81,       /* 0x1000a: mov edx, 0x81000000 */
		0x0F, 0x30,                         /* 0x1000f: wrmsr */
		0xB9, 0x01, 0x00, 0x00, 0x40,       /* 0x10011: mov ecx, 0x40000001  (HYPERCALL) */
		0xB8, 0x01, 0x00, 0x02, 0x00,       /* 0x10016: mov eax, 0x20001     (page 0x20000 | enable) */
		0x31, 0xD2,                         /* 0x1001b: xor edx, edx */
		0x0F, 0x30,                         /* 0x1001d: wrmsr */
		0xB9, 0x46, 0x00, 0x00, 0x00,       /* 0x1001f: mov ecx, 0x46        (HvCallGetPartitionId) */
		0x31, 0xD2,                         /* 0x10024: xor edx, edx         (no input) */
		0x41, 0xB8, 0x00, 0x10, 0x02, 0x00, /* 0x10026: mov r8d, 0x21000     (output GPA) */
		0xE8, 0xCF, 0xFF, 0x00, 0x00,       /* 0x1002c: call 0x20000         (0x10031 + 0xffcf) */
		0x48, 0x89, 0xC3,                   /* 0x10031: mov rbx, rax         (the result value) */
		POWER_OFF,                          /* 0x10034 */
	};
	Harness h;
	SimConfig cfg = { .vendor = vendor };
	g_assert_cmpint(run_code(&h, &cfg, code, sizeof code), ==, SIM_OUTCOME_SHUTDOWN);

	const SimEvent *hc = harness_first(&h, SIM_EV_HYPERCALL);
	g_assert_nonnull(hc);
	g_assert_cmphex(hc->u.hypercall.code, ==, 0x46);
	g_assert_cmphex(hc->u.hypercall.status, ==, 0);
	g_assert_cmphex(hc->u.hypercall.output, ==, HC_OUT);
	uint64_t id = 0;
	g_assert_true(sim_memory_read(&h.p->mem, HC_OUT, &id, sizeof id));
	g_assert_cmphex(id, ==, 1);
	/* The guest saw HV_STATUS_SUCCESS in RAX, and returned from the page. */
	g_assert_cmphex(harness_reg(&h, SIM_REG_RBX), ==, 0);
	g_assert_cmphex(harness_reg(&h, SIM_REG_RAX) & 0xFFFF, ==, 0x2000);  /* the power-off value */
	const SimEvent *ex = NULL;
	for (guint i = 0; i < h.events->len && !ex; i++)
		if (harness_event(&h, i)->type == SIM_EV_VM_EXIT && harness_event(&h, i)->u.exit.reason == VMX_EXIT_VMCALL)
			ex = harness_event(&h, i);
	g_assert_nonnull(ex);
	g_assert_cmphex(ex->u.exit.rip, ==, HC_PAGE);
	harness_fini(&h);
}

/* The hypercall page is an overlay the guest may execute but not write:
 * a store to it is a #GP (here with an empty IDT: a triple fault), and the
 * stub survives. */
static void test_write_hypercall_page(void)
{
	static const guint8 code[] = {
		0x0F, 0x01, 0x1D, 0x35, 0x00, 0x00, 0x00, /* 0x10000: lidt [rip+0x35] -> [0x1003c] */
		0xB9, 0x00, 0x00, 0x00, 0x40,       /* 0x10007: mov ecx, 0x40000000  (GUEST_OS_ID) */
		0xB8, 0x01, 0x00, 0x00, 0x00,       /* 0x1000c: mov eax, 1 */
		0xBA, 0x00, 0x00, 0x00, 0x81,       /* 0x10011: mov edx, 0x81000000 */
		0x0F, 0x30,                         /* 0x10016: wrmsr */
		0xB9, 0x01, 0x00, 0x00, 0x40,       /* 0x10018: mov ecx, 0x40000001  (HYPERCALL) */
		0xB8, 0x01, 0x00, 0x02, 0x00,       /* 0x1001d: mov eax, 0x20001     (page 0x20000 | enable) */
		0x31, 0xD2,                         /* 0x10022: xor edx, edx */
		0x0F, 0x30,                         /* 0x10024: wrmsr */
		0x48, 0xC7, 0xC0, 0x00, 0x00, 0x02, 0x00, /* 0x10026: mov rax, 0x20000 */
		0x48, 0x89, 0x00,                   /* 0x1002d: mov [rax], rax */
		POWER_OFF,                          /* 0x10030 */
		0x00, 0x00,                         /* 0x1003c: IDT limit 0 */
		0, 0, 0, 0, 0, 0, 0, 0,             /*          IDT base 0 */
	};
	static const guint8 vmcall_ret[4] = { 0x0F, 0x01, 0xC1, 0xC3 };
	guint8 page[4];
	Harness h;
	SimConfig cfg = { 0 };
	g_assert_cmpint(run_code(&h, &cfg, code, sizeof code), ==, SIM_OUTCOME_GUEST_ERROR);
	assert_stop_reason(&h, "triple fault");
	if (!strstr(h.p->stop_reason, "RIP 0x1002d:"))
		g_test_incomplete(BUG_FAULT_RIP);
	g_assert_true(h.p->hcpage_active);
	g_assert_true(sim_memory_read(&h.p->mem, HC_PAGE, page, sizeof page));
	g_assert_cmpmem(page, sizeof page, vmcall_ret, sizeof vmcall_ret);
	harness_fini(&h);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sim/bad/stuck", test_stuck);
	g_test_add_func("/sim/bad/cli-hlt", test_cli_hlt);
	g_test_add_func("/sim/bad/sti-hlt-no-timer", test_sti_hlt);
	g_test_add_func("/sim/bad/max-insns", test_limit);
	g_test_add_func("/sim/bad/triple-fault", test_triple_fault);
	for (gsize i = 0; i < G_N_ELEMENTS(ept_rows); i++) {
		g_autofree char *path = g_strdup_printf("/sim/bad/ept-violation/%s", ept_rows[i].path);
		g_test_add_data_func(path, &ept_rows[i], test_ept);
	}
	g_test_add_func("/sim/bad/guest-page-fault", test_guest_page_fault);
	g_test_add_func("/sim/bad/guest-mapping", test_guest_mapping);
	g_test_add_func("/sim/bad/power-off", test_power_off);
	g_test_add_func("/sim/bad/power-wrong-value", test_power_wrong_value);
	g_test_add_func("/sim/bad/uart", test_uart);
	g_test_add_func("/sim/bad/uart-unterminated", test_uart_unterminated);
	g_test_add_data_func("/sim/bad/wrong-vendor-insn/vmmcall-on-intel", GINT_TO_POINTER(FALSE), test_wrong_vendor_insn);
	g_test_add_data_func("/sim/bad/wrong-vendor-insn/vmcall-on-amd", GINT_TO_POINTER(TRUE), test_wrong_vendor_insn);
	g_test_add_func("/sim/bad/vmcall-without-page", test_own_insn_without_page);
	g_test_add_func("/sim/bad/write-hypercall-page", test_write_hypercall_page);
	g_test_add_data_func("/sim/bad/hypercall-guest/intel", GINT_TO_POINTER(SIM_VENDOR_INTEL), test_hypercall_guest);
	g_test_add_data_func("/sim/bad/hypercall-guest/amd", GINT_TO_POINTER(SIM_VENDOR_AMD), test_hypercall_guest);
	return g_test_run();
}
