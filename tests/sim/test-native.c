/* test-native.c — the native (KVM) backend: what can be checked on any
 * host (exit translation, I/O decoding, the hypercall sequence, the probe's
 * verdict on recorded outcomes, the CLI falling back), and, where this
 * host's /dev/kvm passes the capability probe (a real KVM, e.g. inside the
 * nested-KVM harness), every scenario run natively. Host test code. */
#include <string.h>

#include "backend-kvm.h"
#include "cli-harness.h"
#include "kvm-exit.h"
#include "sim-machine.h"
#include "sim-scenario.h"

/* ---- I/O instruction decoding (table from the SDM's IN/OUT/INS/OUTS) ---- */
static void test_decode_io(void)
{
	static const struct {
		guint8 bytes[6];
		size_t n;
		bool ok;
		uint32_t length;
		bool imm, string, rep;
	} cases[] = {
		{ { 0xEE }, 1, true, 1, false, false, false },             /* out dx, al */
		{ { 0xEF }, 1, true, 1, false, false, false },             /* out dx, eax */
		{ { 0x66, 0xEF }, 2, true, 2, false, false, false },       /* out dx, ax */
		{ { 0xE6, 0xE0 }, 2, true, 2, true, false, false },        /* out 0xe0, al (the hypercall page) */
		{ { 0xE4, 0x60 }, 2, true, 2, true, false, false },        /* in al, 0x60 */
		{ { 0x66, 0xE5, 0x71 }, 3, true, 3, true, false, false },  /* in ax, 0x71 */
		{ { 0xEC }, 1, true, 1, false, false, false },             /* in al, dx */
		{ { 0xF3, 0x6E }, 2, true, 2, false, true, true },         /* rep outsb */
		{ { 0xF3, 0x66, 0x6D }, 3, true, 3, false, true, true },   /* rep insw */
		{ { 0x6F }, 1, true, 1, false, true, false },              /* outsd */
		{ { 0x48, 0xEE }, 2, true, 2, false, false, false },       /* REX.W out dx, al */
		{ { 0xE6 }, 1, false, 0, false, false, false },            /* truncated imm8 */
		{ { 0x0F, 0x01, 0xC1 }, 3, false, 0, false, false, false },/* vmcall: not I/O */
		{ { 0x66, 0x66 }, 2, false, 0, false, false, false },      /* prefixes only */
		{ { 0 }, 0, false, 0, false, false, false },               /* nothing */
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		SimKvmIoInsn d;
		bool ok = sim_kvm_decode_io(cases[i].bytes, cases[i].n, &d);
		g_assert_cmpint(ok, ==, cases[i].ok);
		if (!ok)
			continue;
		g_assert_cmpuint(d.length, ==, cases[i].length);
		g_assert_cmpint(d.imm, ==, cases[i].imm);
		g_assert_cmpint(d.string, ==, cases[i].string);
		g_assert_cmpint(d.rep, ==, cases[i].rep);
	}
}

/* A kvm_run page with room for I/O data after it, as KVM lays it out. */
typedef struct RunPage {
	struct kvm_run run;
	guint8 data[64];
} RunPage;

static void io_run(RunPage *p, uint8_t dir, uint8_t size, uint16_t port, uint32_t count, uint64_t value)
{
	memset(p, 0, sizeof *p);
	p->run.exit_reason = KVM_EXIT_IO;
	p->run.io.direction = dir;
	p->run.io.size = size;
	p->run.io.port = port;
	p->run.io.count = count;
	p->run.io.data_offset = offsetof(RunPage, data);
	for (uint32_t i = 0; i < count; i++)
		memcpy(p->data + i * size, &value, size);
}

/* ---- KVM exits -> vmx-model records (the SDM's exit reasons and I/O
 * qualification layout: size-1 in 2:0, direction 3, string 4, REP 5,
 * immediate 6, port 31:16) ---- */
static void test_translate_io(void)
{
	static const struct {
		uint8_t dir, size;
		uint16_t port;
		guint8 code[4];
		size_t ncode;
		uint64_t value;
		uint32_t length;
		uint64_t qual;
	} cases[] = {
		{ KVM_EXIT_IO_OUT, 1, 0x3F8, { 0xEE }, 1, 0x41, 1, 0x03F80000 },
		{ KVM_EXIT_IO_OUT, 2, 0x604, { 0x66, 0xEF }, 2, 0x2000, 2, 0x06040001 },
		{ KVM_EXIT_IO_IN, 1, 0x3FD, { 0xEC }, 1, 0, 1, 0x03FD0008 },
		{ KVM_EXIT_IO_OUT, 4, 0x610, { 0xEF }, 1, 1, 1, 0x06100003 },
		{ KVM_EXIT_IO_OUT, 1, 0xE0, { 0xE6, 0xE0 }, 2, 0x5A, 2, 0x00E00040 },
		{ KVM_EXIT_IO_IN, 2, 0x1F0, { 0xF3, 0x66, 0x6D }, 3, 0, 3, 0x01F00039 },
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		RunPage p;
		SimExit ex;
		io_run(&p, cases[i].dir, cases[i].size, cases[i].port, 1, cases[i].value);
		g_assert_true(sim_kvm_translate_exit(&p.run, 0x100123, cases[i].code, cases[i].ncode, 0, &ex));
		g_assert_cmpuint(vmx_exit_basic(&ex.vmx), ==, VMX_EXIT_IO_INSTRUCTION);
		g_assert_cmphex(ex.vmx.qualification, ==, cases[i].qual);
		g_assert_cmpuint(ex.vmx.instruction_length, ==, cases[i].length);
		g_assert_cmphex(ex.vmx.guest_rip, ==, 0x100123);
		if (cases[i].dir == KVM_EXIT_IO_OUT)
			g_assert_cmphex(ex.io_data, ==, cases[i].value);
		VmxIoQual q;
		vmx_io_qual_decode(ex.vmx.qualification, &q);
		g_assert_cmpuint(q.port, ==, cases[i].port);
		g_assert_cmpuint(q.size, ==, cases[i].size);
	}
}

static void test_translate_string_elements(void)
{
	RunPage p;
	SimExit ex;
	static const guint8 outsw[] = { 0xF3, 0x66, 0x6F };
	io_run(&p, KVM_EXIT_IO_OUT, 2, 0x1F0, 3, 0);
	const uint16_t words[3] = { 0x1111, 0x2222, 0x3333 };
	memcpy(p.data, words, sizeof words);
	for (uint32_t i = 0; i < 3; i++) {
		g_assert_true(sim_kvm_translate_exit(&p.run, 0x2000, outsw, sizeof outsw, i, &ex));
		g_assert_cmphex(ex.io_data, ==, words[i]);
	}
	/* An element past `count` is refused, not read out of bounds. */
	g_assert_false(sim_kvm_translate_exit(&p.run, 0x2000, outsw, sizeof outsw, 3, &ex));
	/* A size KVM never reports is refused. */
	io_run(&p, KVM_EXIT_IO_OUT, 3, 0x80, 1, 0);
	g_assert_false(sim_kvm_translate_exit(&p.run, 0x2000, (const guint8 *)"\xEE", 1, 0, &ex));
}

static void test_translate_others(void)
{
	RunPage p;
	SimExit ex;

	memset(&p, 0, sizeof p);
	p.run.exit_reason = KVM_EXIT_HLT;   /* KVM reports RIP past the HLT */
	g_assert_true(sim_kvm_translate_exit(&p.run, 0x100201, NULL, 0, 0, &ex));
	g_assert_cmpuint(vmx_exit_basic(&ex.vmx), ==, VMX_EXIT_HLT);
	g_assert_cmphex(ex.vmx.guest_rip, ==, 0x100200);
	g_assert_cmpuint(ex.vmx.instruction_length, ==, 1);

	p.run.exit_reason = KVM_EXIT_SHUTDOWN;
	g_assert_true(sim_kvm_translate_exit(&p.run, 0xfff0, NULL, 0, 0, &ex));
	g_assert_cmpuint(vmx_exit_basic(&ex.vmx), ==, VMX_EXIT_TRIPLE_FAULT);

	p.run.exit_reason = KVM_EXIT_MMIO;
	p.run.mmio.phys_addr = 0xFEE00000;
	p.run.mmio.is_write = 1;
	g_assert_true(sim_kvm_translate_exit(&p.run, 0x100300, NULL, 0, 0, &ex));
	g_assert_cmpuint(vmx_exit_basic(&ex.vmx), ==, VMX_EXIT_EPT_VIOLATION);
	g_assert_cmphex(ex.vmx.qualification, ==, VMX_EPT_QUAL_WRITE);
	g_assert_cmphex(ex.vmx.guest_physical_address, ==, 0xFEE00000);
	p.run.mmio.is_write = 0;
	g_assert_true(sim_kvm_translate_exit(&p.run, 0x100300, NULL, 0, 0, &ex));
	g_assert_cmphex(ex.vmx.qualification, ==, VMX_EPT_QUAL_READ);

	p.run.exit_reason = KVM_EXIT_X86_RDMSR;
	g_assert_true(sim_kvm_translate_exit(&p.run, 0x100400, NULL, 0, 0, &ex));
	g_assert_cmpuint(vmx_exit_basic(&ex.vmx), ==, VMX_EXIT_RDMSR);
	g_assert_cmpuint(ex.vmx.instruction_length, ==, 2);
	p.run.exit_reason = KVM_EXIT_X86_WRMSR;
	g_assert_true(sim_kvm_translate_exit(&p.run, 0x100400, NULL, 0, 0, &ex));
	g_assert_cmpuint(vmx_exit_basic(&ex.vmx), ==, VMX_EXIT_WRMSR);

	/* KVM's own exits have no vmx-model record. */
	static const uint32_t own[] = { KVM_EXIT_IRQ_WINDOW_OPEN, KVM_EXIT_INTR, KVM_EXIT_INTERNAL_ERROR,
	                                KVM_EXIT_FAIL_ENTRY, KVM_EXIT_UNKNOWN };
	for (guint i = 0; i < G_N_ELEMENTS(own); i++) {
		p.run.exit_reason = own[i];
		g_assert_false(sim_kvm_translate_exit(&p.run, 0, NULL, 0, 0, &ex));
	}
}

/* ---- The native hypercall page: OUT imm8 to the reserved port, RET ---- */
static void test_hypercall_stub(void)
{
	guint8 buf[8];
	const char *text = NULL;
	memset(buf, 0xCC, sizeof buf);
	size_t n = sim_kvm_hypercall_stub(buf, sizeof buf, &text);
	g_assert_cmpuint(n, ==, 3);
	g_assert_cmphex(buf[0], ==, 0xE6);                    /* OUT imm8, AL */
	g_assert_cmphex(buf[1], ==, SIM_KVM_HYPERCALL_PORT);
	g_assert_cmphex(buf[2], ==, 0xC3);                    /* RET */
	g_assert_cmphex(buf[3], ==, 0xCC);                    /* nothing written past it */
	g_assert_nonnull(strstr(text, "out %al, $0xe0; ret"));
	/* The OUT decodes as an immediate-port I/O instruction of the length
	 * the VMCALL record reports. */
	SimKvmIoInsn d;
	g_assert_true(sim_kvm_decode_io(buf, n, &d));
	g_assert_true(d.imm);
	g_assert_cmpuint(d.length, ==, SIM_KVM_HYPERCALL_OUT_LEN);
	/* A short buffer gets a prefix, no overflow. */
	memset(buf, 0, sizeof buf);
	g_assert_cmpuint(sim_kvm_hypercall_stub(buf, 1, NULL), ==, 1);
	g_assert_cmphex(buf[1], ==, 0);
}

/* ---- The probe's verdict on recorded outcomes ---- */
static void test_probe_judge(void)
{
	guint ne;
	const SimKvmStep *want = sim_kvm_probe_expected(&ne, NULL);
	g_assert_cmpuint(ne, >=, 4);
	GString *r = g_string_new(NULL);

	/* A real VT-x / AMD-V KVM: exactly the expected steps. */
	g_assert_true(sim_kvm_probe_judge(want, ne, r));
	g_assert_cmpuint(r->len, ==, 0);

	/* This build machine's PVM (measured): both port writes, then the
	 * INT 0x80 from ring 3 triple-faults. */
	SimKvmStep pvm[3];
	memcpy(pvm, want, 2 * sizeof *pvm);
	pvm[2] = (SimKvmStep){ .kind = SIM_KVM_STEP_SHUTDOWN };
	g_assert_false(sim_kvm_probe_judge(pvm, 3, r));
	g_assert_nonnull(strstr(r->str, "INT 0x80 from ring 3"));
	g_assert_nonnull(strstr(r->str, "triple fault"));
	g_assert_nonnull(strstr(r->str, "after 2 correct steps"));

	/* An internal error right away. */
	g_string_truncate(r, 0);
	SimKvmStep ie = { .kind = SIM_KVM_STEP_INTERNAL, .value = 1 };
	g_assert_false(sim_kvm_probe_judge(&ie, 1, r));
	g_assert_nonnull(strstr(r->str, "internal error (suberror 1)"));
	g_assert_null(strstr(r->str, "correct step"));

	/* A timeout after the delivery. */
	g_string_truncate(r, 0);
	SimKvmStep to[4];
	memcpy(to, want, 3 * sizeof *to);
	to[3] = (SimKvmStep){ .kind = SIM_KVM_STEP_TIMEOUT };
	g_assert_false(sim_kvm_probe_judge(to, 4, r));
	g_assert_nonnull(strstr(r->str, "time limit"));

	/* A wrong value (the delivery pushed another CS). */
	g_string_truncate(r, 0);
	SimKvmStep cs[16];
	memcpy(cs, want, ne * sizeof *cs);
	cs[3].value ^= 0x08;
	g_assert_false(sim_kvm_probe_judge(cs, ne, r));
	g_assert_nonnull(strstr(r->str, "CS"));

	/* Too few, and too many, steps. */
	g_string_truncate(r, 0);
	g_assert_false(sim_kvm_probe_judge(want, ne - 1, r));
	g_assert_nonnull(strstr(r->str, "nothing more"));
	g_string_truncate(r, 0);
	memcpy(cs, want, ne * sizeof *cs);
	cs[ne] = (SimKvmStep){ .kind = SIM_KVM_STEP_OTHER, .value = 99 };
	g_assert_false(sim_kvm_probe_judge(cs, ne + 1, r));
	g_assert_nonnull(strstr(r->str, "ran on"));
	g_string_free(r, TRUE);
}

/* ---- The probe on this host: a verdict, quickly, never a crash ---- */
static void test_probe_host(void)
{
	GString *r = g_string_new(NULL);
	gint64 t0 = g_get_monotonic_time();
	bool ok = sim_kvm_probe(r);
	g_assert_cmpint(g_get_monotonic_time() - t0, <, 30 * G_USEC_PER_SEC);
	if (ok)
		g_assert_cmpuint(r->len, ==, 0);
	else
		g_assert_cmpuint(r->len, >, 20);    /* one sentence saying why */
	g_test_message("probe: %s", ok ? "native mode available" : r->str);
	g_string_free(r, TRUE);
}

/* ---- The CLI: `run --backend kvm` falls back with the reason, or runs natively ---- */
static void test_cli_fallback(void)
{
	GString *reason = g_string_new(NULL);
	bool native = sim_kvm_probe(reason);
	CliResult r;
	const char *const args[] = { "run", "--backend", "kvm", "hello", NULL };
	cli_run(&r, args);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "hello from ring 3"));
	if (native) {
		g_assert_null(strstr(r.err, "native backend unavailable"));
		g_assert_nonnull(strstr(r.out, "native (KVM)"));
	} else {
		/* One line, with the probe's reason, and the emulated summary. */
		g_assert_nonnull(strstr(r.err, "hvsim: native backend unavailable, running on the emulator instead: "));
		g_assert_nonnull(strstr(r.err, reason->str));
		g_assert_nonnull(strstr(r.out, "instructions retired"));
	}
	cli_result_clear(&r);

	const char *const bad[] = { "run", "--backend", "vmware", "hello", NULL };
	cli_run(&r, bad);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "--backend: 'vmware' is not a backend; use emulated or kvm"));
	cli_result_clear(&r);

	const char *const probe[] = { "probe", NULL };
	cli_run(&r, probe);
	g_assert_cmpint(r.status, ==, native ? 0 : 1);
	g_assert_nonnull(strstr(r.out, native ? "native mode available" : "native mode unavailable"));
	cli_result_clear(&r);

	const char *const bench[] = { "bench", "native", "--quick", NULL };
	if (!native) {
		/* Nothing to measure: the reason, a non-zero status, no crash. */
		cli_run(&r, bench);
		g_assert_cmpint(r.status, ==, 1);
		g_assert_nonnull(strstr(r.out, "native mode unavailable"));
		cli_result_clear(&r);
	}
	g_string_free(reason, TRUE);
}

/* ---- With a real KVM: every scenario natively, against the emulator ---- */
typedef struct Run {
	SimOutcome outcome;
	bool native;
	guint partitions;
	char *stop[4];
	uint64_t hypercalls;
} Run;

static void count_hc(const SimEvent *ev, gpointer user_data)
{
	Run *r = user_data;
	r->hypercalls += ev->type == SIM_EV_HYPERCALL;
}

static void run_scenario(const char *name, SimBackendKind backend, Run *out)
{
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL, .backend = backend };
	g_autoptr(GError) error = NULL;
	memset(out, 0, sizeof *out);
	SimMachine *m = sim_machine_new(&cfg, &error);
	g_assert_no_error(error);
	sim_event_bus_subscribe(sim_machine_events(m), count_hc, out);
	g_assert_nonnull(sim_load_scenario_or_image(m, name, &error));
	out->outcome = sim_machine_run(m);
	out->native = sim_machine_backend_native(m);
	out->partitions = sim_machine_n_partitions(m);
	for (guint i = 0; i < out->partitions && i < G_N_ELEMENTS(out->stop); i++) {
		const char *s = sim_partition_stop_reason(sim_machine_partition(m, i));
		out->stop[i] = g_strdup(s ? s : "");
	}
	sim_machine_free(m);
}

static void test_scenarios_native(void)
{
	GString *reason = g_string_new(NULL);
	if (!sim_kvm_probe(reason)) {
		g_test_skip(reason->str);
		g_string_free(reason, TRUE);
		return;
	}
	g_string_free(reason, TRUE);
	for (const SimScenario *s = sim_scenarios(); s->name; s++) {
		Run emu, nat;
		g_test_message("scenario %s", s->name);
		run_scenario(s->name, SIM_BACKEND_EMULATED, &emu);
		run_scenario(s->name, SIM_BACKEND_KVM, &nat);
		g_assert_true(nat.native);
		g_assert_cmpint(nat.outcome, ==, emu.outcome);
		g_assert_cmpuint(nat.partitions, ==, emu.partitions);
		/* How each partition ended (a triple fault's RIP is not known
		 * natively: compare up to it). */
		for (guint i = 0; i < nat.partitions && i < G_N_ELEMENTS(nat.stop); i++) {
			const char *cut = strstr(emu.stop[i], " at RIP");
			size_t n = cut ? (size_t)(cut - emu.stop[i]) : strlen(emu.stop[i]);
			g_assert_cmpint(strncmp(nat.stop[i], emu.stop[i], n), ==, 0);
			g_free(nat.stop[i]);
			g_free(emu.stop[i]);
		}
		g_assert_cmpuint(nat.hypercalls, ==, emu.hypercalls);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sim/native/decode-io", test_decode_io);
	g_test_add_func("/sim/native/translate/io", test_translate_io);
	g_test_add_func("/sim/native/translate/string-elements", test_translate_string_elements);
	g_test_add_func("/sim/native/translate/others", test_translate_others);
	g_test_add_func("/sim/native/hypercall-stub", test_hypercall_stub);
	g_test_add_func("/sim/native/probe/judge", test_probe_judge);
	g_test_add_func("/sim/native/probe/host", test_probe_host);
	g_test_add_func("/sim/native/cli-fallback", test_cli_fallback);
	g_test_add_func("/sim/native/scenarios", test_scenarios_native);
	return g_test_run();
}
