/* kvm-exit.c — the native backend's pure parts: a KVM exit (the kvm_run
 * page KVM fills when KVM_RUN returns) becomes the same vmx-model exit
 * record the emulated backend builds, so everything above the backend is
 * shared; plus the hypercall-page sequence and the probe's verdict.
 * Sim thread. No ioctls here (tests call these on any host). */
#include <string.h>

#include "hv-tlfs.h"
#include "kvm-exit.h"
#include "x86-arch.h"

/* ---- The hypercall page natively ----------------------------------------- */
size_t sim_kvm_hypercall_stub(guint8 *buf, size_t cap, const char **text)
{
	/* OUT imm8, AL (E6 ib) then RET. */
	static const guint8 stub[] = { 0xE6, SIM_KVM_HYPERCALL_PORT, X86_INSN_RET };
	if (text)
		*text = "out %al, $0xe0; ret (native: KVM keeps VMCALL/VMMCALL in the kernel, a port write reaches hvsim)";
	size_t n = MIN(cap, sizeof stub);
	memcpy(buf, stub, n);
	return n;
}

/* ---- Decoding the I/O instruction --------------------------------------------
 * KVM's run page gives direction, size, port and count, but neither the
 * instruction length nor whether the port was an immediate (qualification
 * bit 6): both come from the bytes. Legacy prefixes may precede the
 * opcode, then at most one REX (0x40-0x4F). */
static bool is_legacy_prefix(guint8 b)
{
	switch (b) {
	case 0x66: case 0x67: case 0x26: case 0x2E: case 0x36: case 0x3E: case 0x64: case 0x65:
	case 0xF0: case 0xF2: case 0xF3:
		return true;
	default:
		return false;
	}
}

bool sim_kvm_decode_io(const guint8 *code, size_t n, SimKvmIoInsn *out)
{
	size_t i = 0;
	bool rep = false;
	memset(out, 0, sizeof *out);
	while (i < n && i < 14 && is_legacy_prefix(code[i])) {
		rep |= code[i] == 0xF3 || code[i] == 0xF2;
		i++;
	}
	if (i < n && (code[i] & 0xF0) == 0x40)
		i++;  /* REX: no effect on IN/OUT */
	if (i >= n)
		return false;
	switch (code[i]) {
	case 0xE4: case 0xE5: case 0xE6: case 0xE7:   /* IN/OUT with imm8 port */
		if (i + 1 >= n)
			return false;
		out->imm = true;
		out->length = (uint32_t)i + 2;
		return true;
	case 0xEC: case 0xED: case 0xEE: case 0xEF:   /* IN/OUT with the port in DX */
		out->length = (uint32_t)i + 1;
		return true;
	case 0x6C: case 0x6D: case 0x6E: case 0x6F:   /* INS / OUTS */
		out->string = true;
		out->rep = rep;
		out->length = (uint32_t)i + 1;
		return true;
	default:
		return false;
	}
}

/* ---- Exit translation ------------------------------------------------------- */
SIM_HOT bool sim_kvm_translate_io_exit(const struct kvm_run *run, uint64_t rip, const SimKvmIoInsn *insn, uint32_t element,
                               SimExit *ex)
{
	memset(ex, 0, sizeof *ex);
	if (run->exit_reason != KVM_EXIT_IO || (run->io.size != 1 && run->io.size != 2 && run->io.size != 4))
		return false;
	VmxIoQual q = {
		.port = run->io.port,
		.size = run->io.size,
		.in = run->io.direction == KVM_EXIT_IO_IN,
		.string = insn->string,
		.rep = insn->rep,
		.imm = insn->imm,
	};
	ex->vmx.reason = VMX_EXIT_IO_INSTRUCTION;
	ex->vmx.guest_rip = rip;
	ex->vmx.instruction_length = insn->length;
	ex->vmx.qualification = vmx_io_qual_encode(&q);
	if (!q.in) {
		/* The data KVM stored: `count` elements of `size` bytes. */
		uint64_t v = 0;
		if (element >= run->io.count)
			return false;
		memcpy(&v, (const guint8 *)run + run->io.data_offset + (size_t)element * run->io.size, run->io.size);
		ex->io_data = v;
	}
	return true;
}

bool sim_kvm_translate_exit(const struct kvm_run *run, uint64_t rip, const guint8 *code, size_t ncode,
                            uint32_t element, SimExit *ex)
{
	memset(ex, 0, sizeof *ex);
	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		SimKvmIoInsn insn;
		return sim_kvm_decode_io(code, ncode, &insn) && sim_kvm_translate_io_exit(run, rip, &insn, element, ex);
	}
	case KVM_EXIT_HLT:
		/* KVM reports HLT after skipping it: the record names the HLT
		 * itself (F4, one byte), as VT-x does. */
		ex->vmx.reason = VMX_EXIT_HLT;
		ex->vmx.guest_rip = rip - 1;
		ex->vmx.instruction_length = 1;
		return true;
	case KVM_EXIT_SHUTDOWN:
		ex->vmx.reason = VMX_EXIT_TRIPLE_FAULT;
		ex->vmx.guest_rip = rip;
		return true;
	case KVM_EXIT_MMIO:
		/* A GPA no memory slot backs (or a write to a read-only slot):
		 * what EPT reports as a violation. The qualification says
		 * read or write; KVM does not say whether it was a fetch (a fetch
		 * from outside RAM never reaches user space as MMIO: KVM fails
		 * the emulation instead, an internal error). */
		ex->vmx.reason = VMX_EXIT_EPT_VIOLATION;
		ex->vmx.guest_rip = rip;
		ex->vmx.qualification = run->mmio.is_write ? VMX_EPT_QUAL_WRITE : VMX_EPT_QUAL_READ;
		ex->vmx.guest_physical_address = run->mmio.phys_addr;
		return true;
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:
		/* Only MSRs our filter denies come here (the synthetic range):
		 * RDMSR and WRMSR are two bytes (0F 32, 0F 30). */
		ex->vmx.reason = run->exit_reason == KVM_EXIT_X86_RDMSR ? VMX_EXIT_RDMSR : VMX_EXIT_WRMSR;
		ex->vmx.guest_rip = rip;
		ex->vmx.instruction_length = 2;
		return true;
	default:
		return false;
	}
}

/* ---- The probe's verdict ---------------------------------------------------- */
static const SimKvmStep probe_expected[] = {
	{ SIM_KVM_STEP_OUT, SIM_KVM_PROBE_PORT_STEP, 0x11 },
	{ SIM_KVM_STEP_OUT, SIM_KVM_PROBE_PORT_STEP, 0x22 },
	{ SIM_KVM_STEP_OUT, SIM_KVM_PROBE_PORT_STEP, 0x33 },
	{ SIM_KVM_STEP_OUT, SIM_KVM_PROBE_PORT_CS, 0x23 },
	{ SIM_KVM_STEP_OUT, SIM_KVM_PROBE_PORT_RSP, 0xD8 },
	{ SIM_KVM_STEP_HLT, 0, 0 },
};

static const char *const probe_meaning[] = {
	"a port write from ring 0 in long mode with paging",
	"a port write from ring 3 after IRETQ (IOPL 3)",
	"INT 0x80 from ring 3 delivered through the IDT to a ring 0 handler",
	"the delivery pushing the ring 3 CS (0x23)",
	"the delivery switching to the TSS ring 0 stack (RSP 0x8fd8)",
	"HLT in ring 0 reaching user space",
};

const SimKvmStep *sim_kvm_probe_expected(guint *n, const char *const **meaning)
{
	*n = G_N_ELEMENTS(probe_expected);
	if (meaning)
		*meaning = probe_meaning;
	return probe_expected;
}

static void describe_step(GString *s, const SimKvmStep *st)
{
	switch (st->kind) {
	case SIM_KVM_STEP_OUT:
		g_string_append_printf(s, "a write of 0x%" G_GINT64_MODIFIER "x to port 0x%x", st->value, st->port);
		break;
	case SIM_KVM_STEP_HLT:
		g_string_append(s, "HLT");
		break;
	case SIM_KVM_STEP_SHUTDOWN:
		g_string_append(s, "a triple fault (KVM_EXIT_SHUTDOWN)");
		break;
	case SIM_KVM_STEP_INTERNAL:
		g_string_append_printf(s, "a KVM internal error (suberror %" G_GUINT64_FORMAT ")", st->value);
		break;
	case SIM_KVM_STEP_FAIL_ENTRY:
		g_string_append_printf(s, "a failed VM entry (hardware reason 0x%" G_GINT64_MODIFIER "x)", st->value);
		break;
	case SIM_KVM_STEP_TIMEOUT:
		g_string_append(s, "no exit before the probe's time limit");
		break;
	case SIM_KVM_STEP_OTHER:
		g_string_append_printf(s, "KVM exit reason %" G_GUINT64_FORMAT, st->value);
		break;
	case SIM_KVM_STEP_ERROR:
		g_string_append_printf(s, "KVM_RUN failing (%s)", g_strerror((int)st->value));
		break;
	}
}

bool sim_kvm_probe_judge(const SimKvmStep *got, guint n, GString *reason)
{
	guint ne = G_N_ELEMENTS(probe_expected);
	for (guint i = 0; i < ne; i++) {
		const SimKvmStep *want = &probe_expected[i];
		if (i < n && got[i].kind == want->kind && got[i].port == want->port &&
		    (want->kind != SIM_KVM_STEP_OUT || got[i].value == want->value))
			continue;
		g_string_append_printf(reason, "the probe guest expected %s (", probe_meaning[i]);
		describe_step(reason, want);
		g_string_append(reason, ") but got ");
		if (i < n)
			describe_step(reason, &got[i]);
		else
			g_string_append(reason, "nothing more");
		if (i > 0)
			g_string_append_printf(reason, " after %u correct step%s (last: %s)", i, i == 1 ? "" : "s",
			                       probe_meaning[i - 1]);
		return false;
	}
	if (n > ne) {
		g_string_append(reason, "the probe guest ran on after its final HLT: got ");
		describe_step(reason, &got[ne]);
		return false;
	}
	return true;
}
