/* kvm-exit.h — the native backend's pure parts: KVM exits (the kvm_run
 * page) translated into vmx-model exit records, the hypercall-page sequence
 * that reaches user space, and the capability probe's verdict. Sim thread.
 * Nothing here touches /dev/kvm, so tests run it on any host. */
#ifndef HVSIM_KVM_EXIT_H
#define HVSIM_KVM_EXIT_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "sim-private.h"

/* The port the native hypercall page writes to. KVM handles VMCALL and
 * VMMCALL in the kernel (they never reach user space), so natively the page
 * holds `out %al, $port; ret`: an I/O exit every KVM delivers to user space,
 * with no register clobbered (OUT only reads AL). An OUT to this port from
 * the hypercall page is the hypercall; from anywhere else, an ordinary
 * port write. */
#define SIM_KVM_HYPERCALL_PORT 0xE0u
#define SIM_KVM_HYPERCALL_OUT_LEN 2u   /* E6 ib: the length the exit record reports */

/* Writes the native hypercall sequence into buf (at most cap bytes);
 * returns its length; *text (if not NULL) is its disassembly. */
size_t sim_kvm_hypercall_stub(guint8 *buf, size_t cap, const char **text);

/* What an I/O instruction's bytes say beyond what KVM reports: its length
 * and whether the port is an immediate. False if the bytes are not IN,
 * OUT, INS or OUTS (with prefixes). */
typedef struct SimKvmIoInsn {
	uint32_t length;
	bool imm;
	bool string;
	bool rep;
} SimKvmIoInsn;
bool sim_kvm_decode_io(const guint8 *code, size_t n, SimKvmIoInsn *out);

/* Translates one KVM exit into the exit record the hypervisor's dispatcher
 * takes. `rip` is the guest RIP KVM reports at the exit (for KVM_EXIT_HLT
 * already past the HLT), `code` the bytes at RIP (for I/O), `element` the
 * element of a string I/O (0 for others). Fills ex->vmx and, for OUT,
 * io_data. Returns false for an exit that has no vmx-model record (KVM's
 * own: interrupt window, EINTR, internal errors...). */
bool sim_kvm_translate_exit(const struct kvm_run *run, uint64_t rip, const guint8 *code, size_t ncode,
                            uint32_t element, SimExit *ex);
/* The same for KVM_EXIT_IO with the instruction already decoded (the
 * backend keeps decodes in a cache: no bytes to look at again). */
bool sim_kvm_translate_io_exit(const struct kvm_run *run, uint64_t rip, const SimKvmIoInsn *insn, uint32_t element,
                               SimExit *ex);

/* ---- The capability probe's verdict -----------------------------------------
 * The probe guest (backend-kvm.c) reports each exit it causes as a step;
 * the judge compares them with what a real VT-x / AMD-V KVM produces and,
 * on a mismatch, writes one sentence saying what was expected and what
 * happened. Kept apart from the ioctls so the decision is testable with
 * recorded outcomes. */
typedef enum SimKvmStepKind {
	SIM_KVM_STEP_OUT,        /* port write: port, value */
	SIM_KVM_STEP_HLT,
	SIM_KVM_STEP_SHUTDOWN,   /* triple fault */
	SIM_KVM_STEP_INTERNAL,   /* KVM_EXIT_INTERNAL_ERROR: value = suberror */
	SIM_KVM_STEP_FAIL_ENTRY, /* KVM_EXIT_FAIL_ENTRY: value = hardware reason */
	SIM_KVM_STEP_TIMEOUT,    /* the probe's time bound ran out */
	SIM_KVM_STEP_OTHER,      /* another exit: value = KVM exit reason */
	SIM_KVM_STEP_ERROR,      /* KVM_RUN failed: value = errno */
} SimKvmStepKind;

typedef struct SimKvmStep {
	SimKvmStepKind kind;
	uint16_t port;
	uint64_t value;
} SimKvmStep;

#define SIM_KVM_PROBE_PORT_STEP 0xE1u  /* the probe's progress port: value = stage */
#define SIM_KVM_PROBE_PORT_CS   0xE2u  /* the CS the IDT delivery pushed */
#define SIM_KVM_PROBE_PORT_RSP  0xE3u  /* low byte of RSP in the handler (TSS.RSP0 stack) */

/* The expected steps, in order, and what each proves. */
const SimKvmStep *sim_kvm_probe_expected(guint *n, const char *const **meaning);

/* True if `got` is the expected sequence; else false with `reason` set. */
bool sim_kvm_probe_judge(const SimKvmStep *got, guint n, GString *reason);

#endif
