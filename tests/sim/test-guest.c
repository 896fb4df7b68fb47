/* test-guest.c — tiny hand-assembled guests, run end to end, that check the
 * CPU-facing rules of the model: the exact RIP, length and qualification of
 * I/O exits, the IOPL check for port I/O in ring 3, RDTSC/RDTSCP exits that
 * return virtual time, RDRAND/RDSEED #UD, NX not offered (CPUID, EFER), a
 * synthetic timer armed in the middle of a slice firing on time, the count
 * of a REP string instruction, and long console lines. Host test program (GLib test framework).
 *
 * Every guest is one code segment at HVSIM_IMAGE_MIN_GPA, entered as the
 * boot contract says (64-bit long mode, CPL 0, the loader's identity map,
 * RFLAGS.IF = 0), plus where needed a data segment at DATA_GPA that the
 * test fills with parameters or tables and reads results back from. The
 * guests that take exceptions or run in ring 3 get their GDT, IDT and TSS
 * that way (built in C, see run_sys_guest). The bytes were assembled with
 * GNU as (Intel syntax) and checked with `objdump -d -M intel`; the
 * assembly is in the comments. Each run takes a few milliseconds. */
#include <glib.h>
#include <string.h>

#include "elf-builder.h"
#include "hvsim-platform.h"
#include "sim-harness.h"

#define ENTRY    HVSIM_IMAGE_MIN_GPA   /* 0x10000: every guest's code */
#define DATA_GPA 0x11000ull            /* parameters, tables and results */

/* Power off: the tail every guest ends with (12 bytes). */
#define POWER_OFF                 \
	0x66, 0xBA, 0x04, 0x06,   /* mov dx, 0x604          */ \
	0x66, 0xB8, 0x00, 0x20,   /* mov ax, 0x2000         */ \
	0x66, 0xEF,               /* out dx, ax             */ \
	0xEB, 0xFE                /* jmp $ (never reached)  */

/* ==== running a guest ======================================================= */

static SimOutcome run_image(Harness *h, const SimConfig *cfg, GByteArray *img)
{
	harness_init_image(h, cfg, img->data, img->len);
	SimOutcome o = harness_run(h);
	if (o != SIM_OUTCOME_SHUTDOWN)
		g_test_message("outcome %d: %s", o, sim_machine_outcome_message(h->m));
	return o;
}

/* Code at ENTRY and, if data is not NULL, dlen bytes of data at DATA_GPA. */
static SimOutcome run_guest(Harness *h, const guint8 *code, gsize len, const void *data, gsize dlen)
{
	ElfSeg segs[2] = {
		{ .type = PT_LOAD, .flags = PF_R | PF_X, .addr = ENTRY, .data = code, .filesz = len },
		{ .type = PT_LOAD, .flags = PF_R | PF_W, .addr = DATA_GPA, .data = data, .filesz = dlen },
	};
	g_autoptr(GByteArray) img = elf_build(ENTRY, segs, data ? 2 : 1);
	SimConfig cfg = { 0 };
	return run_image(h, &cfg, img);
}

/* The n-th (from 0) VM exit with this basic reason, or NULL. */
static const SimEvent *nth_exit(Harness *h, uint32_t reason, guint n)
{
	for (guint i = 0; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type == SIM_EV_VM_EXIT && e->u.exit.reason == reason && n-- == 0)
			return e;
	}
	return NULL;
}

static guint count_exits(Harness *h, uint32_t reason)
{
	guint n = 0;
	while (nth_exit(h, reason, n))
		n++;
	return n;
}

/* The index of an event in the recorded stream. */
static guint event_index(Harness *h, const SimEvent *e)
{
	return (guint)(e - harness_event(h, 0));
}

static uint64_t read_u64(Harness *h, uint64_t gpa)
{
	uint64_t v = 0;
	g_assert_true(sim_memory_read(&h->p->mem, gpa, &v, sizeof v));
	return v;
}

static void assert_clean_stop(Harness *h)
{
	g_assert_true(h->p->stopped);
	g_assert_true(h->p->stop_clean);
	g_assert_nonnull(strstr(h->p->stop_reason, "powered off"));
}

/* ==== 1. I/O exits: exact RIP, length and qualification ======================= */

/* Port I/O in every form, most of it in the middle of a translated block. */
static const guint8 io_code[] = {
	0xB8, 0x01, 0x00, 0x00, 0x00,   /* 0x10000: mov eax, 1 */
	0xFF, 0xC0,                     /* 0x10005: inc eax */
	0x66, 0xBA, 0xF8, 0x03,         /* 0x10007: mov dx, 0x3f8 */
	0xB0, 0x41,                     /* 0x1000b: mov al, 0x41 */
	0xEE,                           /* 0x1000d: out dx, al        (1 byte) */
	0x90,                           /* 0x1000e: nop */
	0xE4, 0x61,                     /* 0x1000f: in al, 0x61       (imm8: 2 bytes) */
	0x66, 0xBA, 0x80, 0x00,         /* 0x10011: mov dx, 0x80 */
	0x66, 0xB8, 0x34, 0x12,         /* 0x10015: mov ax, 0x1234 */
	0x66, 0xEF,                     /* 0x10019: out dx, ax        (66 prefix: 2 bytes) */
	0xE6, 0x80,                     /* 0x1001b: out 0x80, al */
	0xED,                           /* 0x1001d: in eax, dx */
	0xE7, 0x80,                     /* 0x1001e: out 0x80, eax */
	0x66, 0xE5, 0x60,               /* 0x10020: in ax, 0x60       (prefix + imm8: 3 bytes) */
	POWER_OFF,                      /* 0x10023: ... 0x1002b: out dx, ax */
};

typedef struct IoExit {
	uint64_t rip;
	uint32_t len;
	uint16_t port;
	uint8_t size;
	gboolean in, imm;
	uint32_t value;       /* written, or what the (absent) device returned */
	uint64_t before;      /* instructions retired before this one */
} IoExit;

static const IoExit io_exits[] = {
	{ 0x1000d, 1, 0x3F8, 1, FALSE, FALSE, 0x41, 4 },
	{ 0x1000f, 2, 0x061, 1, TRUE,  TRUE,  0xFF, 6 },        /* no device: floats high */
	{ 0x10019, 2, 0x080, 2, FALSE, FALSE, 0x1234, 9 },
	{ 0x1001b, 2, 0x080, 1, FALSE, TRUE,  0x34, 10 },
	{ 0x1001d, 1, 0x080, 4, TRUE,  FALSE, 0xFFFFFFFFu, 11 },
	{ 0x1001e, 2, 0x080, 4, FALSE, TRUE,  0xFFFFFFFFu, 12 },
	{ 0x10020, 3, 0x060, 2, TRUE,  TRUE,  0xFFFF, 13 },
	{ 0x1002b, 2, 0x604, 2, FALSE, FALSE, 0x2000, 16 },     /* power off */
};

static void test_io_exits(void)
{
	Harness h;
	g_assert_cmpint(run_guest(&h, io_code, sizeof io_code, NULL, 0), ==, SIM_OUTCOME_SHUTDOWN);
	assert_clean_stop(&h);
	g_assert_cmpuint(count_exits(&h, VMX_EXIT_IO_INSTRUCTION), ==, G_N_ELEMENTS(io_exits));

	for (guint k = 0; k < G_N_ELEMENTS(io_exits); k++) {
		const IoExit *x = &io_exits[k];
		const SimEvent *e = nth_exit(&h, VMX_EXIT_IO_INSTRUCTION, k);
		g_test_message("exit %u: rip 0x%" G_GINT64_MODIFIER "x length %u qualification 0x%" G_GINT64_MODIFIER "x",
		               k, e->u.exit.rip, e->u.exit.length, e->u.exit.qualification);
		g_assert_cmphex(e->u.exit.rip, ==, x->rip);
		g_assert_cmpuint(e->u.exit.length, ==, x->len);

		VmxIoQual q;
		memset(&q, 0xA5, sizeof q);
		vmx_io_qual_decode(e->u.exit.qualification, &q);
		g_assert_cmphex(q.port, ==, x->port);
		g_assert_cmpuint(q.size, ==, x->size);
		g_assert_cmpint(q.in, ==, x->in);
		g_assert_cmpint(q.imm, ==, x->imm);
		g_assert_false(q.string);
		g_assert_false(q.rep);

		/* The device model's side: one port_io event right after the exit. */
		guint i = event_index(&h, e);
		const SimEvent *io = harness_event(&h, i + 1);
		g_assert_cmpint(io->type, ==, SIM_EV_PORT_IO);
		g_assert_cmphex(io->u.io.port, ==, x->port);
		g_assert_cmpuint(io->u.io.size, ==, x->size);
		g_assert_cmpint(io->u.io.in, ==, x->in);
		g_assert_cmphex(io->u.io.value, ==, x->value);
		if (k + 1 < G_N_ELEMENTS(io_exits))
			g_assert_cmpint(harness_event(&h, i + 2)->type, ==, SIM_EV_VM_ENTRY);

		/* The clock at the exit is exact to the instruction: what retired
		 * before it (the I/O instruction retires when the exit completes:
		 * docs/trace-format.md, "The clock during a VM exit"), and one
		 * world switch per exit so far, this one included. */
		uint64_t expect = x->before * SIM_COST_INSN_NS + (k + 1) * (uint64_t)SIM_COST_WORLD_SWITCH_NS;
		g_assert_cmpuint(e->vtime, ==, expect);
	}
	/* Every instruction up to the power-off OUT retired, nothing after it. */
	g_assert_cmpuint(sim_machine_insns(h.m), ==, 17);
	harness_fini(&h);
}

/* INS and OUTS: the qualification says "string" (bit 4), and "REP" (bit 5)
 * for a REP prefix; a REP OUTS exits once per iteration. */
static const guint8 io_string_code[] = {
	0xBE, 0x40, 0x00, 0x01, 0x00,   /* 0x10000: mov esi, 0x10040 */
	0x66, 0xBA, 0x80, 0x00,         /* 0x10005: mov dx, 0x80 */
	0x6E,                           /* 0x10009: outs dx, byte [rsi] */
	0xB9, 0x03, 0x00, 0x00, 0x00,   /* 0x1000a: mov ecx, 3 */
	0xF3, 0x6E,                     /* 0x1000f: rep outs dx, byte [rsi] */
	0xBF, 0x00, 0x10, 0x01, 0x00,   /* 0x10011: mov edi, 0x11000 */
	0x6C,                           /* 0x10016: ins byte es:[rdi], dx */
	POWER_OFF,                      /* 0x10017 */
	0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC,
	0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC,
	                                /* 0x10023 ... 0x1003f: int3 padding */
	0x11, 0x22, 0x33, 0x44,         /* 0x10040: the bytes OUTS sends */
};

#define TODO_IO_STRING \
	"NOT MODELLED (documented in docs/trace-format.md, vm_exit.qualification): INS/OUTS exits report " \
	"the string bit (4) and the REP bit (5) as 0, unlike VT-x (backend-unicorn.c in_hook/out_hook " \
	"fill only port, size, direction and imm of VmxIoQual)"

static void test_io_string(void)
{
	static const struct { uint64_t rip; uint32_t len; gboolean in, rep; uint32_t value; } want[] = {
		{ 0x10009, 1, FALSE, FALSE, 0x11 },
		{ 0x1000f, 2, FALSE, TRUE, 0x22 },
		{ 0x1000f, 2, FALSE, TRUE, 0x33 },
		{ 0x1000f, 2, FALSE, TRUE, 0x44 },
		{ 0x10016, 1, TRUE, FALSE, 0xFF },
	};
	guint8 data[16] = { 0 };
	Harness h;
	g_assert_cmpuint(sizeof io_string_code, ==, 0x44);
	g_assert_cmpint(run_guest(&h, io_string_code, sizeof io_string_code, data, sizeof data), ==, SIM_OUTCOME_SHUTDOWN);
	g_assert_cmpuint(count_exits(&h, VMX_EXIT_IO_INSTRUCTION), ==, G_N_ELEMENTS(want) + 1);
	gboolean bits_missing = FALSE;
	for (guint k = 0; k < G_N_ELEMENTS(want); k++) {
		const SimEvent *e = nth_exit(&h, VMX_EXIT_IO_INSTRUCTION, k);
		g_assert_cmphex(e->u.exit.rip, ==, want[k].rip);
		g_assert_cmpuint(e->u.exit.length, ==, want[k].len);
		VmxIoQual q;
		vmx_io_qual_decode(e->u.exit.qualification, &q);
		g_assert_cmphex(q.port, ==, 0x80);
		g_assert_cmpuint(q.size, ==, 1);
		g_assert_cmpint(q.in, ==, want[k].in);
		g_assert_false(q.imm);
		const SimEvent *io = harness_event(&h, event_index(&h, e) + 1);
		g_assert_cmpint(io->type, ==, SIM_EV_PORT_IO);
		g_assert_cmphex(io->u.io.value, ==, want[k].value);
		if (!q.string || q.rep != want[k].rep)
			bits_missing = TRUE;
	}
	/* INSB stored what the port returned. */
	guint8 stored = 0;
	g_assert_true(sim_memory_read(&h.p->mem, DATA_GPA, &stored, 1));
	g_assert_cmphex(stored, ==, 0xFF);
	if (bits_missing)
		g_test_incomplete(TODO_IO_STRING);
	harness_fini(&h);
}

/* ==== system tables for guests that take faults or enter ring 3 ============== */

/* The guest loads its own GDT (with ring 3 segments and a TSS), an IDT
 * whose exception gates all lead to a handler that powers off, sets U=1 in
 * the loader's PML4[0], PDPT[0] and PD[0] (all of [0, 2 MiB) becomes user-
 * accessible), ORs extra bits into CR4, and IRETQs to the body at SYS_BODY
 * through the frame at SYS_FRAME, in ring 0 or ring 3 as the test chose. */
#define SYS_GDT      0x11000ull
#define SYS_GDTR     0x11040ull  /* limit (2 bytes), base (8) */
#define SYS_IDTR     0x11050ull
#define SYS_FRAME    0x11060ull  /* the IRETQ image: RIP, CS, RFLAGS, RSP, SS */
#define SYS_CR4_OR   0x11088ull
#define SYS_TSS      0x11100ull
#define SYS_IDT      0x12000ull
#define SYS_DATA_END 0x13000ull
#define SYS_HANDLER  0x10080ull
#define SYS_BODY     0x10100ull
#define SYS_RSP0     0x7000ull   /* ring 0 stack for events from ring 3 (TSS.RSP0) */
#define USER_RSP     0x9000ull
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x18
#define SEL_UCODE 0x20
#define SEL_TSS   0x28

static const guint8 sys_prologue[] = {
	0x0F, 0x01, 0x14, 0x25, 0x40, 0x10, 0x01, 0x00,       /* 0x10000: lgdt [0x11040] */
	0x0F, 0x01, 0x1C, 0x25, 0x50, 0x10, 0x01, 0x00,       /* 0x10008: lidt [0x11050] */
	0x66, 0xB8, 0x28, 0x00,                               /* 0x10010: mov ax, 0x28 */
	0x0F, 0x00, 0xD8,                                     /* 0x10014: ltr ax */
	0x48, 0x83, 0x0C, 0x25, 0x00, 0x30, 0x00, 0x00, 0x04, /* 0x10017: or qword [0x3000], 4  (PML4[0].U) */
	0x48, 0x83, 0x0C, 0x25, 0x00, 0x40, 0x00, 0x00, 0x04, /* 0x10020: or qword [0x4000], 4  (PDPT[0].U) */
	0x48, 0x83, 0x0C, 0x25, 0x00, 0x50, 0x00, 0x00, 0x04, /* 0x10029: or qword [0x5000], 4  (PD[0].U) */
	0x0F, 0x20, 0xE0,                                     /* 0x10032: mov rax, cr4 */
	0x48, 0x0B, 0x04, 0x25, 0x88, 0x10, 0x01, 0x00,       /* 0x10035: or rax, qword [0x11088] */
	0x0F, 0x22, 0xE0,                                     /* 0x1003d: mov cr4, rax */
	0x0F, 0x20, 0xD8,                                     /* 0x10040: mov rax, cr3 */
	0x0F, 0x22, 0xD8,                                     /* 0x10043: mov cr3, rax   (flush the TLB) */
	0xBC, 0x60, 0x10, 0x01, 0x00,                         /* 0x10046: mov esp, 0x11060 */
	0x48, 0xCF,                                           /* 0x1004b: iretq */
};

static const guint8 sys_handler[] = {
	POWER_OFF,                                            /* 0x10080 */
};

static void put64(guint8 *data, uint64_t gpa, uint64_t v)
{
	memcpy(data + (gpa - DATA_GPA), &v, sizeof v);
}

static void put_pseudo_descriptor(guint8 *data, uint64_t gpa, uint16_t limit, uint64_t base)
{
	memcpy(data + (gpa - DATA_GPA), &limit, 2);
	memcpy(data + (gpa - DATA_GPA) + 2, &base, 8);
}

/* A 64-bit interrupt gate to SYS_HANDLER in the kernel code segment. */
static void put_gate(guint8 *data, unsigned vector, unsigned dpl)
{
	uint64_t off = SYS_HANDLER;
	uint64_t lo = (off & 0xFFFF) | ((uint64_t)SEL_KCODE << 16) | (0xEull << 40) | ((uint64_t)dpl << 45) |
	              (1ull << 47) | (((off >> 16) & 0xFFFF) << 48);
	put64(data, SYS_IDT + 16 * vector, lo);
	put64(data, SYS_IDT + 16 * vector + 8, off >> 32);
}

typedef struct SysGuest {
	int ring;             /* 0 or 3: where the body runs */
	unsigned iopl;        /* RFLAGS.IOPL in the IRETQ image */
	uint64_t cr4_or;      /* extra CR4 bits (CR4.TSD) */
	const guint8 *body;
	gsize len;
} SysGuest;

static SimOutcome run_sys_guest(Harness *h, const SysGuest *g)
{
	guint8 code[0x200];
	g_assert_cmpuint(g->len, <=, sizeof code - 0x100);
	memset(code, 0xCC, sizeof code);
	memcpy(code, sys_prologue, sizeof sys_prologue);
	memcpy(code + (SYS_HANDLER - ENTRY), sys_handler, sizeof sys_handler);
	memcpy(code + (SYS_BODY - ENTRY), g->body, g->len);

	g_autofree guint8 *data = g_malloc0(SYS_DATA_END - DATA_GPA);
	const uint64_t tss_limit = 0x67;
	put64(data, SYS_GDT + 0x00, 0);
	put64(data, SYS_GDT + SEL_KCODE, 0x00AF9A000000FFFFull);  /* 64-bit code, DPL 0 */
	put64(data, SYS_GDT + SEL_KDATA, 0x00CF92000000FFFFull);  /* data, DPL 0 */
	put64(data, SYS_GDT + SEL_UDATA, 0x00CFF2000000FFFFull);  /* data, DPL 3 */
	put64(data, SYS_GDT + SEL_UCODE, 0x00AFFA000000FFFFull);  /* 64-bit code, DPL 3 */
	put64(data, SYS_GDT + SEL_TSS, tss_limit | (SYS_TSS & 0xFFFFFF) << 16 | 0x89ull << 40 |
	                               ((SYS_TSS >> 24) & 0xFF) << 56);       /* available 64-bit TSS */
	put64(data, SYS_GDT + SEL_TSS + 8, SYS_TSS >> 32);
	put_pseudo_descriptor(data, SYS_GDTR, SEL_TSS + 16 - 1, SYS_GDT);
	put_pseudo_descriptor(data, SYS_IDTR, 0xFFF, SYS_IDT);
	for (unsigned v = 0; v < 32; v++)
		put_gate(data, v, 0);
	put64(data, SYS_TSS + 4, SYS_RSP0);                      /* RSP0 */
	uint16_t iomap = 104;                                     /* no I/O permission bitmap */
	memcpy(data + (SYS_TSS - DATA_GPA) + 102, &iomap, 2);

	const uint64_t frame[5] = {
		SYS_BODY,
		g->ring == 3 ? SEL_UCODE | 3 : SEL_KCODE,
		X86_RFLAGS_FIXED | ((uint64_t)g->iopl << 12),
		g->ring == 3 ? USER_RSP : HVSIM_BOOT_STACK_TOP,
		g->ring == 3 ? SEL_UDATA | 3 : SEL_KDATA,
	};
	for (guint i = 0; i < 5; i++)
		put64(data, SYS_FRAME + 8 * i, frame[i]);
	put64(data, SYS_CR4_OR, g->cr4_or);

	ElfSeg segs[2] = {
		{ .type = PT_LOAD, .flags = PF_R | PF_X, .addr = ENTRY, .data = code, .filesz = sizeof code },
		{ .type = PT_LOAD, .flags = PF_R | PF_W, .addr = DATA_GPA, .data = data, .filesz = SYS_DATA_END - DATA_GPA },
	};
	g_autoptr(GByteArray) img = elf_build(ENTRY, segs, 2);
	SimConfig cfg = { 0 };
	SimOutcome o = run_image(h, &cfg, img);
	/* The IRETQ to the body was seen, into the ring asked for. */
	const SimEvent *iret = harness_first(h, SIM_EV_RING);
	g_assert_nonnull(iret);
	g_assert_cmpint(iret->u.ring.cause, ==, SIM_RING_IRET);
	g_assert_cmpuint(iret->u.ring.to, ==, g->ring);
	g_assert_cmphex(iret->u.ring.to_rip, ==, SYS_BODY);
	return o;
}

/* ==== 2. IOPL: port I/O from ring 3 ========================================== */

static const guint8 iopl_out_body[] = {
	0x66, 0xBA, 0xF8, 0x03,         /* 0x10100: mov dx, 0x3f8 */
	0xB0, 0x55,                     /* 0x10104: mov al, 0x55 ('U') */
	0xEE,                           /* 0x10106: out dx, al */
	POWER_OFF,                      /* 0x10107: (ring 3 may, with IOPL 3) */
};
static const guint8 iopl_in_body[] = {
	0x66, 0xBA, 0xFD, 0x03,         /* 0x10100: mov dx, 0x3fd  (LSR) */
	0x90, 0x90,                     /* 0x10104: nop; nop */
	0xEC,                           /* 0x10106: in al, dx */
	POWER_OFF,                      /* 0x10107 */
};

typedef struct IoplRow {
	const char *path;
	const guint8 *body;
	gsize len;
	uint16_t port;
	unsigned iopl;
} IoplRow;

#define IOPL_ROW(name, b, port, iopl) { name, b, sizeof b, port, iopl }
static const IoplRow iopl_rows[] = {
	IOPL_ROW("out/iopl0", iopl_out_body, 0x3F8, 0),
	IOPL_ROW("out/iopl1", iopl_out_body, 0x3F8, 1),
	IOPL_ROW("out/iopl2", iopl_out_body, 0x3F8, 2),
	IOPL_ROW("out/iopl3", iopl_out_body, 0x3F8, 3),
	IOPL_ROW("in/iopl0", iopl_in_body, 0x3FD, 0),
	IOPL_ROW("in/iopl3", iopl_in_body, 0x3FD, 3),
};

static guint count_port(Harness *h, uint16_t port)
{
	guint n = 0;
	for (guint i = 0; i < h->events->len; i++)
		n += harness_event(h, i)->type == SIM_EV_PORT_IO && harness_event(h, i)->u.io.port == port;
	return n;
}

static void test_iopl(gconstpointer data)
{
	const IoplRow *row = data;
	const uint64_t io_rip = 0x10106;
	const gboolean allowed = row->iopl == 3;   /* CPL 3 <= IOPL */
	SysGuest g = { .ring = 3, .iopl = row->iopl, .body = row->body, .len = row->len };
	Harness h;

	g_assert_cmpint(run_sys_guest(&h, &g), ==, SIM_OUTCOME_SHUTDOWN);
	assert_clean_stop(&h);
	const SimEvent *f = harness_first(&h, SIM_EV_FAULT);
	if (allowed) {
		/* The access happens, as an exit from ring 3, and ring 3 powers off. */
		g_assert_null(f);
		g_assert_cmpuint(count_port(&h, row->port), ==, 1);
		const SimEvent *e = nth_exit(&h, VMX_EXIT_IO_INSTRUCTION, 0);
		g_assert_nonnull(e);
		g_assert_cmphex(e->u.exit.rip, ==, io_rip);
		g_assert_cmpuint(e->u.exit.length, ==, 1);
		if (row->port == 0x3F8)
			g_assert_cmpstr(sim_partition_console(h.p), ==, "U");
		else
			g_assert_cmphex(harness_event(&h, event_index(&h, e) + 1)->u.io.value, ==, 0x60);
		g_assert_cmpuint(harness_count_from(&h, 0, SIM_EV_RING), ==, 1);  /* the IRETQ only */
		harness_fini(&h);
		return;
	}
	/* #GP(0) at the I/O instruction, in ring 3; no exit, no device access. */
	g_assert_nonnull(f);
	g_assert_cmpuint(f->u.fault.vector, ==, X86_VEC_GP);
	g_assert_cmpuint(f->u.fault.cpl, ==, 3);
	g_assert_cmphex(f->u.fault.rip, ==, io_rip);
	g_assert_true(f->u.fault.has_error);
	g_assert_cmphex(f->u.fault.error_code, ==, 0);
	g_assert_cmpuint(harness_count_from(&h, 0, SIM_EV_FAULT), ==, 1);
	g_assert_cmpuint(count_port(&h, row->port), ==, 0);
	g_assert_cmpstr(sim_partition_console(h.p), ==, "");
	/* The only I/O exit is the handler's power off, from ring 0. */
	g_assert_cmpuint(count_exits(&h, VMX_EXIT_IO_INSTRUCTION), ==, 1);
	g_assert_cmphex(nth_exit(&h, VMX_EXIT_IO_INSTRUCTION, 0)->u.exit.rip, ==, SYS_HANDLER + 8);

	/* Delivered 3 -> 0 through the IDT on the TSS.RSP0 stack: the frame
	 * holds error code, RIP, CS, RFLAGS (RF set for a fault), RSP, SS. */
	const SimEvent *r = harness_last_from(&h, 0, SIM_EV_RING);
	g_assert_cmpuint(r->u.ring.from, ==, 3);
	g_assert_cmpuint(r->u.ring.to, ==, 0);
	g_assert_cmpint(r->u.ring.cause, ==, SIM_RING_EXCEPTION);
	g_assert_cmpuint(r->u.ring.vector, ==, X86_VEC_GP);
	g_assert_cmphex(r->u.ring.from_rip, ==, io_rip);
	g_assert_cmphex(r->u.ring.to_rip, ==, SYS_HANDLER);
	const uint64_t want[6] = { 0, io_rip, SEL_UCODE | 3, X86_RFLAGS_RF | X86_RFLAGS_FIXED | ((uint64_t)row->iopl << 12),
	                           USER_RSP, SEL_UDATA | 3 };
	for (guint i = 0; i < 6; i++)
		g_assert_cmphex(read_u64(&h, SYS_RSP0 - 48 + 8 * i), ==, want[i]);
	harness_fini(&h);
}

/* ==== 3. RDTSC and RDTSCP: virtual time, deterministic ======================= */

static const guint8 tsc_code[] = {
	0x0F, 0x31,                                 /* 0x10000: rdtsc */
	0x89, 0x04, 0x25, 0x00, 0x10, 0x01, 0x00,   /* 0x10002: mov dword [0x11000], eax */
	0x89, 0x14, 0x25, 0x04, 0x10, 0x01, 0x00,   /* 0x10009: mov dword [0x11004], edx */
	0xB9, 0xE8, 0x03, 0x00, 0x00,               /* 0x10010: mov ecx, 1000 */
	0xFF, 0xC9,                                 /* 0x10015: dec ecx */
	0x75, 0xFC,                                 /* 0x10017: jne 0x10015 */
	0x0F, 0x31,                                 /* 0x10019: rdtsc */
	0x89, 0x04, 0x25, 0x08, 0x10, 0x01, 0x00,   /* 0x1001b: mov dword [0x11008], eax */
	0x89, 0x14, 0x25, 0x0C, 0x10, 0x01, 0x00,   /* 0x10022: mov dword [0x1100c], edx */
	0xB9, 0xAD, 0xDE, 0x00, 0x00,               /* 0x10029: mov ecx, 0xdead */
	0x0F, 0x01, 0xF9,                           /* 0x1002e: rdtscp */
	0x89, 0x04, 0x25, 0x10, 0x10, 0x01, 0x00,   /* 0x10031: mov dword [0x11010], eax */
	0x89, 0x14, 0x25, 0x14, 0x10, 0x01, 0x00,   /* 0x10038: mov dword [0x11014], edx */
	0x89, 0x0C, 0x25, 0x18, 0x10, 0x01, 0x00,   /* 0x1003f: mov dword [0x11018], ecx */
	POWER_OFF,                                  /* 0x10046 */
};

typedef struct TscRun {
	uint64_t tsc[3];          /* RDTSC, RDTSC, RDTSCP */
	uint64_t aux;             /* ECX after RDTSCP */
	uint64_t exit_vtime[3];
} TscRun;

static void tsc_run(TscRun *r)
{
	static const struct { uint32_t reason; uint64_t rip; uint32_t len; } want[3] = {
		{ VMX_EXIT_RDTSC, 0x10000, 2 }, { VMX_EXIT_RDTSC, 0x10019, 2 }, { VMX_EXIT_RDTSCP, 0x1002e, 3 },
	};
	guint8 data[0x20];
	memset(data, 0xEE, sizeof data);
	Harness h;
	g_assert_cmpint(run_guest(&h, tsc_code, sizeof tsc_code, data, sizeof data), ==, SIM_OUTCOME_SHUTDOWN);
	assert_clean_stop(&h);
	g_assert_cmpuint(count_exits(&h, VMX_EXIT_RDTSC), ==, 2);
	g_assert_cmpuint(count_exits(&h, VMX_EXIT_RDTSCP), ==, 1);
	for (guint k = 0; k < 3; k++) {
		const SimEvent *e = nth_exit(&h, want[k].reason, want[k].reason == VMX_EXIT_RDTSC ? k : 0);
		g_assert_cmphex(e->u.exit.rip, ==, want[k].rip);
		g_assert_cmpuint(e->u.exit.length, ==, want[k].len);
		/* The guest resumed after it: a VM entry with nothing injected. */
		const SimEvent *en = harness_event(&h, event_index(&h, e) + 1);
		g_assert_cmpint(en->type, ==, SIM_EV_VM_ENTRY);
		g_assert_false(en->u.entry.injected);
		r->exit_vtime[k] = e->vtime;
		r->tsc[k] = read_u64(&h, DATA_GPA + 8 * k);
	}
	r->aux = read_u64(&h, DATA_GPA + 0x18) & 0xFFFFFFFFu;
	harness_fini(&h);
}

static void test_rdtsc(void)
{
	TscRun a, b;
	tsc_run(&a);
	tsc_run(&b);
	for (guint k = 0; k < 3; k++) {
		g_test_message("TSC %u: 0x%" G_GINT64_MODIFIER "x (exit at vtime %" G_GUINT64_FORMAT ")", k, a.tsc[k],
		               a.exit_vtime[k]);
		/* The TSC is the VP's virtual time at the exit (1 GHz)... */
		g_assert_cmpuint(a.tsc[k], ==, a.exit_vtime[k]);
		/* ...so two runs read the same values. */
		g_assert_cmpuint(a.tsc[k], ==, b.tsc[k]);
	}
	/* Nothing retired before the first RDTSC; its own exit costs 800 ns. */
	g_assert_cmpuint(a.tsc[0], ==, SIM_COST_WORLD_SWITCH_NS);
	/* Between the first two: RDTSC, three MOVs and 1000 x (DEC, JNZ)
	 * retired, then the second exit. */
	g_assert_cmpuint(a.tsc[1] - a.tsc[0], ==, (1 + 3 + 2000) * SIM_COST_INSN_NS + SIM_COST_WORLD_SWITCH_NS);
	g_assert_cmpuint(a.tsc[2] - a.tsc[1], ==, (1 + 3) * SIM_COST_INSN_NS + SIM_COST_WORLD_SWITCH_NS);
	/* RDTSCP: IA32_TSC_AUX is 0. */
	g_assert_cmphex(a.aux, ==, 0);
}

/* RDTSC and RDTSCP with a (meaningless) REX.W prefix are still RDTSC (3
 * bytes) and RDTSCP (4 bytes): the exit reason follows the instruction,
 * not its length, and only RDTSCP writes ECX (IA32_TSC_AUX = 0). */
static const guint8 tsc_rex_code[] = {
	0xB9, 0xAD, 0xDE, 0x00, 0x00,               /* 0x10000: mov ecx, 0xdead */
	0x48, 0x0F, 0x31,                           /* 0x10005: rex.W rdtsc */
	0x89, 0x0C, 0x25, 0x00, 0x10, 0x01, 0x00,   /* 0x10008: mov dword [0x11000], ecx */
	0xB9, 0xEF, 0xBE, 0x00, 0x00,               /* 0x1000f: mov ecx, 0xbeef */
	0x48, 0x0F, 0x01, 0xF9,                     /* 0x10014: rex.W rdtscp */
	0x89, 0x0C, 0x25, 0x04, 0x10, 0x01, 0x00,   /* 0x10018: mov dword [0x11004], ecx */
	POWER_OFF,                                  /* 0x1001f */
};

#define BUG_RDTSC_BY_SIZE \
	"BUG: RDTSC and RDTSCP are told apart by instruction length (backend-unicorn.c:723 code_hook: " \
	"size == 3 ? VMX_EXIT_RDTSCP : VMX_EXIT_RDTSC), so a prefixed RDTSC (48 0F 31) exits as RDTSCP and " \
	"has ECX zeroed, and a prefixed RDTSCP (48 0F 01 F9) exits as RDTSC and keeps the old ECX"

static void test_rdtsc_prefixed(void)
{
	guint8 data[8];
	memset(data, 0xEE, sizeof data);
	Harness h;
	g_assert_cmpint(run_guest(&h, tsc_rex_code, sizeof tsc_rex_code, data, sizeof data), ==, SIM_OUTCOME_SHUTDOWN);
	assert_clean_stop(&h);
	/* Two exits, at the two instructions, with their full lengths. */
	const SimEvent *e[2] = { NULL, NULL };
	guint n = 0;
	for (guint i = 0; i < h.events->len && n < 3; i++) {
		const SimEvent *x = harness_event(&h, i);
		if (x->type == SIM_EV_VM_EXIT && x->u.exit.reason != VMX_EXIT_IO_INSTRUCTION) {
			g_assert_cmpuint(n, <, 2);
			e[n++] = x;
		}
	}
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmphex(e[0]->u.exit.rip, ==, 0x10005);
	g_assert_cmpuint(e[0]->u.exit.length, ==, 3);
	g_assert_cmphex(e[1]->u.exit.rip, ==, 0x10014);
	g_assert_cmpuint(e[1]->u.exit.length, ==, 4);
	uint32_t ecx_after_rdtsc = (uint32_t)read_u64(&h, DATA_GPA);
	uint32_t ecx_after_rdtscp = (uint32_t)(read_u64(&h, DATA_GPA) >> 32);
	g_test_message("reasons %u, %u; ECX after: 0x%x, 0x%x", e[0]->u.exit.reason, e[1]->u.exit.reason,
	               ecx_after_rdtsc, ecx_after_rdtscp);
	if (e[0]->u.exit.reason == VMX_EXIT_RDTSCP && e[1]->u.exit.reason == VMX_EXIT_RDTSC) {
		g_test_incomplete(BUG_RDTSC_BY_SIZE);
		harness_fini(&h);
		return;
	}
	g_assert_cmpuint(e[0]->u.exit.reason, ==, VMX_EXIT_RDTSC);
	g_assert_cmpuint(e[1]->u.exit.reason, ==, VMX_EXIT_RDTSCP);
	g_assert_cmphex(ecx_after_rdtsc, ==, 0xDEAD);
	g_assert_cmphex(ecx_after_rdtscp, ==, 0);
	harness_fini(&h);
}

/* ==== faults raised by the model: #UD for RDRAND/RDSEED, #GP for EFER, TSD == */

static const guint8 body_rdrand[] = { 0x0F, 0xC7, 0xF0, POWER_OFF };            /* rdrand eax */
static const guint8 body_rdseed[] = { 0x0F, 0xC7, 0xF8, POWER_OFF };            /* rdseed eax */
static const guint8 body_rdrand64[] = { 0x48, 0x0F, 0xC7, 0xF0, POWER_OFF };    /* rdrand rax */
static const guint8 body_rdtsc[] = { 0x0F, 0x31, POWER_OFF };                   /* rdtsc */
static const guint8 body_rdtscp[] = { 0x0F, 0x01, 0xF9, POWER_OFF };            /* rdtscp */
static const guint8 body_efer_nxe[] = {
	0xB9, 0x80, 0x00, 0x00, 0xC0,   /* 0x10100: mov ecx, 0xc0000080  (IA32_EFER) */
	0xB8, 0x00, 0x0D, 0x00, 0x00,   /* 0x10105: mov eax, 0xd00       (LMA | LME | NXE) */
	0x31, 0xD2,                     /* 0x1010a: xor edx, edx */
	0x0F, 0x30,                     /* 0x1010c: wrmsr */
	POWER_OFF,
};
static const guint8 body_efer_clear_lme[] = {
	0xB9, 0x80, 0x00, 0x00, 0xC0,   /* 0x10100: mov ecx, 0xc0000080 */
	0xB8, 0x00, 0x04, 0x00, 0x00,   /* 0x10105: mov eax, 0x400       (LMA only: leave long mode) */
	0x31, 0xD2,                     /* 0x1010a: xor edx, edx */
	0x0F, 0x30,                     /* 0x1010c: wrmsr */
	POWER_OFF,
};
static const guint8 body_efer_sce[] = {
	0xB9, 0x80, 0x00, 0x00, 0xC0,   /* 0x10100: mov ecx, 0xc0000080 */
	0xB8, 0x01, 0x05, 0x00, 0x00,   /* 0x10105: mov eax, 0x501       (LMA | LME | SCE: fine) */
	0x31, 0xD2,                     /* 0x1010a: xor edx, edx */
	0x0F, 0x30,                     /* 0x1010c: wrmsr */
	POWER_OFF,
};

typedef struct FaultRow {
	const char *path;
	int ring;
	unsigned iopl;            /* 3 in ring 3 rows, so the body can power off */
	uint64_t cr4_or;
	const guint8 *body;
	gsize len;
	uint32_t offset;          /* of the instruction under test in the body */
	int vector;               /* the fault it raises, or -1 */
	uint32_t exit_reason;     /* the VM exit it causes first, or 0 */
} FaultRow;

#define FAULT_ROW(name, ring, cr4, b, off, vec, reason) \
	{ name, ring, (ring) == 3 ? 3 : 0, cr4, b, sizeof b, off, vec, reason }
static const FaultRow fault_rows[] = {
	FAULT_ROW("rdrand/ring0", 0, 0, body_rdrand, 0, X86_VEC_UD, 0),
	FAULT_ROW("rdrand/ring3", 3, 0, body_rdrand, 0, X86_VEC_UD, 0),
	FAULT_ROW("rdrand/rex-w", 0, 0, body_rdrand64, 0, X86_VEC_UD, 0),
	FAULT_ROW("rdseed/ring0", 0, 0, body_rdseed, 0, X86_VEC_UD, 0),
	/* RDTSC exiting applies at every CPL; CR4.TSD only restricts CPL > 0,
	 * and that #GP comes before the exit. */
	FAULT_ROW("rdtsc/ring3", 3, 0, body_rdtsc, 0, -1, VMX_EXIT_RDTSC),
	FAULT_ROW("rdtsc/ring0-tsd", 0, X86_CR4_TSD, body_rdtsc, 0, -1, VMX_EXIT_RDTSC),
	FAULT_ROW("rdtsc/ring3-tsd", 3, X86_CR4_TSD, body_rdtsc, 0, X86_VEC_GP, 0),
	FAULT_ROW("rdtscp/ring3-tsd", 3, X86_CR4_TSD, body_rdtscp, 0, X86_VEC_GP, 0),
	/* NX is not offered, and long mode cannot be left by clearing LME. */
	FAULT_ROW("efer/nxe", 0, 0, body_efer_nxe, 0xC, X86_VEC_GP, VMX_EXIT_WRMSR),
	FAULT_ROW("efer/clear-lme", 0, 0, body_efer_clear_lme, 0xC, X86_VEC_GP, VMX_EXIT_WRMSR),
	FAULT_ROW("efer/sce", 0, 0, body_efer_sce, 0xC, -1, VMX_EXIT_WRMSR),
};

static void test_fault(gconstpointer data)
{
	const FaultRow *row = data;
	const uint64_t rip = SYS_BODY + row->offset;
	SysGuest g = { .ring = row->ring, .iopl = row->iopl, .cr4_or = row->cr4_or, .body = row->body, .len = row->len };
	Harness h;

	g_assert_cmpint(run_sys_guest(&h, &g), ==, SIM_OUTCOME_SHUTDOWN);
	assert_clean_stop(&h);
	/* Either way the run ends with the one power-off exit: from the body
	 * (no fault) or from the handler. */
	const SimEvent *off = nth_exit(&h, VMX_EXIT_IO_INSTRUCTION, 0);
	g_assert_nonnull(off);
	g_assert_cmpuint(count_exits(&h, VMX_EXIT_IO_INSTRUCTION), ==, 1);

	if (row->exit_reason) {
		const SimEvent *e = nth_exit(&h, row->exit_reason, 0);
		g_assert_nonnull(e);
		g_assert_cmphex(e->u.exit.rip, ==, rip);
	} else {
		g_assert_cmpuint(count_exits(&h, VMX_EXIT_RDTSC) + count_exits(&h, VMX_EXIT_RDTSCP), ==, 0);
	}

	const SimEvent *f = harness_first(&h, SIM_EV_FAULT);
	if (row->vector < 0) {
		g_assert_null(f);
		g_assert_cmphex(off->u.exit.rip, ==, SYS_BODY + row->len - 4);   /* the body's own OUT */
		harness_fini(&h);
		return;
	}
	g_assert_nonnull(f);
	g_assert_cmpuint(harness_count_from(&h, 0, SIM_EV_FAULT), ==, 1);
	g_assert_cmpuint(f->u.fault.vector, ==, row->vector);
	g_assert_cmpuint(f->u.fault.cpl, ==, row->ring);
	g_assert_cmphex(f->u.fault.rip, ==, rip);
	g_assert_cmpint(f->u.fault.has_error, ==, row->vector == X86_VEC_GP);
	if (f->u.fault.has_error)
		g_assert_cmphex(f->u.fault.error_code, ==, 0);
	g_assert_cmphex(off->u.exit.rip, ==, SYS_HANDLER + 8);
	/* An exception injected by the hypervisor shows at the VM entry. */
	if (row->exit_reason) {
		const SimEvent *e = nth_exit(&h, row->exit_reason, 0);
		const SimEvent *en = harness_event(&h, event_index(&h, e) + 2);   /* after the msr event */
		g_assert_cmpint(en->type, ==, SIM_EV_VM_ENTRY);
		g_assert_true(en->u.entry.injected);
		g_assert_cmpuint(en->u.entry.injected_vector, ==, row->vector);
		g_assert_cmphex(harness_reg(&h, SIM_REG_EFER), ==, HVSIM_BOOT_EFER);
	}
	harness_fini(&h);
}

/* ==== 4. NX is not offered: CPUID 0x80000001 ================================= */

static void test_cpuid_no_nx(gconstpointer data)
{
	const SimVendor vendor = GPOINTER_TO_INT(data);
	Harness h;
	uint32_t r[4];
	harness_init_hello(&h, vendor);

	sim_hv_cpuid(h.vp, 0x80000001u, 0, r);
	g_assert_cmphex(r[3] & (1u << 20), ==, 0);          /* NX */
	g_assert_cmphex(r[3] & (1u << 11), ==, 1u << 11);   /* SYSCALL */
	g_assert_cmphex(r[3] & (1u << 29), ==, 1u << 29);   /* long mode */

	/* The same through a CPUID exit, as the guest sees it. */
	guint first = h.events->len;
	harness_set_reg(&h, SIM_REG_RAX, 0x80000001u);
	harness_set_reg(&h, SIM_REG_RCX, 0);
	harness_set_reg(&h, SIM_REG_RDX, 0xFFFFFFFFu);
	g_assert_cmpint(harness_exit(&h, VMX_EXIT_CPUID, 2), ==, SIM_RESUME_NEXT);
	g_assert_cmphex(harness_reg(&h, SIM_REG_RDX), ==, r[3]);
	const SimEvent *c = harness_last_from(&h, first, SIM_EV_CPUID);
	g_assert_nonnull(c);
	g_assert_cmphex(c->u.cpuid.leaf, ==, 0x80000001u);
	g_assert_cmphex(c->u.cpuid.edx, ==, r[3]);
	harness_fini(&h);
}

/* The clock at a VM exit, for exits handled inside the engine's
 * instruction hooks (CPUID, OUT: the exiting instruction is counted) and
 * before the instruction (RDMSR: it is not), all in one block, as
 * docs/trace-format.md ("The clock during a VM exit") documents. The guest
 * also keeps what CPUID 0x80000001 told it: no NX. */
static const guint8 exit_clock_code[] = {
	0xB8, 0x01, 0x00, 0x00, 0x00,               /* 0x10000: mov eax, 1 */
	0xFF, 0xC0,                                 /* 0x10005: inc eax */
	0xB9, 0x00, 0x00, 0x00, 0x00,               /* 0x10007: mov ecx, 0 */
	0x31, 0xC0,                                 /* 0x1000c: xor eax, eax */
	0x0F, 0xA2,                                 /* 0x1000e: cpuid */
	0x90,                                       /* 0x10010: nop */
	0xB8, 0x01, 0x00, 0x00, 0x80,               /* 0x10011: mov eax, 0x80000001 */
	0x0F, 0xA2,                                 /* 0x10016: cpuid */
	0x89, 0x14, 0x25, 0x00, 0x10, 0x01, 0x00,   /* 0x10018: mov dword [0x11000], edx */
	0xB9, 0x20, 0x00, 0x00, 0x40,               /* 0x1001f: mov ecx, 0x40000020  (TIME_REF_COUNT) */
	0x0F, 0x32,                                 /* 0x10024: rdmsr */
	POWER_OFF,                                  /* 0x10026: ... 0x1002e: out dx, ax */
};

static void test_exit_clock(void)
{
	/* counted: instructions counted at the exit (those before it, and the
	 * exiting one for CPUID and OUT). */
	static const struct { uint32_t reason; uint64_t rip; uint64_t counted; } want[] = {
		{ VMX_EXIT_CPUID, 0x1000e, 4 },
		{ VMX_EXIT_CPUID, 0x10016, 7 },
		{ VMX_EXIT_RDMSR, 0x10024, 10 },
		{ VMX_EXIT_IO_INSTRUCTION, 0x1002e, 13 },
	};
	guint8 data[8] = { 0 };
	Harness h;
	g_assert_cmpint(run_guest(&h, exit_clock_code, sizeof exit_clock_code, data, sizeof data), ==, SIM_OUTCOME_SHUTDOWN);
	assert_clean_stop(&h);
	guint k = 0;
	for (guint i = 0; i < h.events->len; i++) {
		const SimEvent *e = harness_event(&h, i);
		if (e->type != SIM_EV_VM_EXIT)
			continue;
		g_assert_cmpuint(k, <, G_N_ELEMENTS(want));
		g_assert_cmpuint(e->u.exit.reason, ==, want[k].reason);
		g_assert_cmphex(e->u.exit.rip, ==, want[k].rip);
		g_assert_cmpuint(e->u.exit.length, ==, 2);
		uint64_t expect = want[k].counted * SIM_COST_INSN_NS + (k + 1) * (uint64_t)SIM_COST_WORLD_SWITCH_NS;
		g_assert_cmpuint(e->vtime, ==, expect);
		k++;
	}
	g_assert_cmpuint(k, ==, G_N_ELEMENTS(want));
	/* TIME_REF_COUNT read in the RDMSR exit agrees with that exit's clock. */
	const SimEvent *msr = harness_first(&h, SIM_EV_MSR);
	g_assert_cmpuint(msr->u.msr.value, ==, nth_exit(&h, VMX_EXIT_RDMSR, 0)->vtime / HV_TIME_UNIT_NS);
	/* What the guest saw in EDX. */
	uint32_t edx = 0;
	g_assert_true(sim_memory_read(&h.p->mem, DATA_GPA, &edx, sizeof edx));
	g_assert_cmphex(edx & (1u << 20), ==, 0);
	g_assert_cmphex(edx & (1u << 29), ==, 1u << 29);
	harness_fini(&h);
}

/* ==== 7. a timer armed mid-slice fires at its deadline ========================= */

/* Reads TIME_REF_COUNT, arms STIMER0 (direct mode, vector 0x40; IF stays 0
 * so the interrupt is never delivered) with COUNT = (now & mask) + add,
 * spins 500,000 x (DEC, JNZ), reads COUNT back and powers off. */
static const guint8 timer_code[] = {
	0xB9, 0x20, 0x00, 0x00, 0x40,                     /* 0x10000: mov ecx, 0x40000020  (TIME_REF_COUNT) */
	0x0F, 0x32,                                       /* 0x10005: rdmsr */
	0x48, 0xC1, 0xE2, 0x20,                           /* 0x10007: shl rdx, 32 */
	0x48, 0x09, 0xD0,                                 /* 0x1000b: or rax, rdx */
	0x48, 0x23, 0x04, 0x25, 0x08, 0x11, 0x01, 0x00,   /* 0x1000e: and rax, qword [0x11108]  (mask) */
	0x48, 0x03, 0x04, 0x25, 0x10, 0x11, 0x01, 0x00,   /* 0x10016: add rax, qword [0x11110]  (add) */
	0x48, 0x89, 0xC3,                                 /* 0x1001e: mov rbx, rax */
	0x48, 0x89, 0x04, 0x25, 0x00, 0x10, 0x01, 0x00,   /* 0x10021: mov qword [0x11000], rax */
	0xB9, 0xB0, 0x00, 0x00, 0x40,                     /* 0x10029: mov ecx, 0x400000b0  (STIMER0_CONFIG) */
	0x8B, 0x04, 0x25, 0x00, 0x11, 0x01, 0x00,         /* 0x1002e: mov eax, dword [0x11100]  (config) */
	0x31, 0xD2,                                       /* 0x10035: xor edx, edx */
	0x0F, 0x30,                                       /* 0x10037: wrmsr */
	0xB9, 0xB1, 0x00, 0x00, 0x40,                     /* 0x10039: mov ecx, 0x400000b1  (STIMER0_COUNT) */
	0x48, 0x89, 0xD8,                                 /* 0x1003e: mov rax, rbx */
	0x48, 0x89, 0xDA,                                 /* 0x10041: mov rdx, rbx */
	0x48, 0xC1, 0xEA, 0x20,                           /* 0x10044: shr rdx, 32 */
	0x0F, 0x30,                                       /* 0x10048: wrmsr */
	0xB9, 0x20, 0xA1, 0x07, 0x00,                     /* 0x1004a: mov ecx, 500000 */
	0xFF, 0xC9,                                       /* 0x1004f: dec ecx */
	0x75, 0xFC,                                       /* 0x10051: jne 0x1004f */
	0xB9, 0xB1, 0x00, 0x00, 0x40,                     /* 0x10053: mov ecx, 0x400000b1 */
	0x0F, 0x32,                                       /* 0x10058: rdmsr */
	0x89, 0x04, 0x25, 0x08, 0x10, 0x01, 0x00,         /* 0x1005a: mov dword [0x11008], eax */
	0x89, 0x14, 0x25, 0x0C, 0x10, 0x01, 0x00,         /* 0x10061: mov dword [0x1100c], edx */
	POWER_OFF,                                        /* 0x10068 */
};

#define TIMER_CONFIG_GPA 0x11100ull
#define TIMER_MASK_GPA   0x11108ull
#define TIMER_ADD_GPA    0x11110ull
#define TIMER_COUNT_GPA  0x11000ull   /* COUNT as written */
#define TIMER_READ_GPA   0x11008ull   /* COUNT read back at the end */
#define TIMER_UNITS      1000u        /* 100 us */
/* How late (virtual ns) a timer event may come: a few blocks. */
#define TIMER_SLACK_NS   100u

typedef struct TimerRow {
	const char *path;
	gboolean periodic;
} TimerRow;

static const TimerRow timer_rows[] = {
	{ "one-shot", FALSE },
	{ "periodic", TRUE },
};

static void test_timer_mid_slice(gconstpointer data)
{
	const TimerRow *row = data;
	guint8 params[0x118] = { 0 };
	uint64_t config = HV_STIMER_CONFIG_DIRECT_MODE | (0x40ull << HV_STIMER_CONFIG_VECTOR_SHIFT) |
	                  HV_STIMER_CONFIG_ENABLE | (row->periodic ? HV_STIMER_CONFIG_PERIODIC : 0);
	/* One-shot: COUNT is absolute (now + 1000); periodic: the period. */
	uint64_t mask = row->periodic ? 0 : ~0ull, add = TIMER_UNITS;
	memcpy(params + (TIMER_CONFIG_GPA - DATA_GPA), &config, 8);
	memcpy(params + (TIMER_MASK_GPA - DATA_GPA), &mask, 8);
	memcpy(params + (TIMER_ADD_GPA - DATA_GPA), &add, 8);

	Harness h;
	g_assert_cmpint(run_guest(&h, timer_code, sizeof timer_code, params, sizeof params), ==, SIM_OUTCOME_SHUTDOWN);
	assert_clean_stop(&h);
	uint64_t count = read_u64(&h, TIMER_COUNT_GPA);
	/* The guest retired about a million instructions: ~1 ms. */
	g_assert_cmpuint(sim_machine_insns(h.m), >, 1000000);
	g_assert_cmpuint(sim_machine_insns(h.m), <, 1000100);

	/* When the timer was armed: the COUNT wrmsr's exit. */
	const SimEvent *arm = nth_exit(&h, VMX_EXIT_WRMSR, 1);
	g_assert_nonnull(arm);
	g_assert_cmphex(arm->u.exit.rip, ==, 0x10048);
	uint64_t first = row->periodic ? arm->vtime / HV_TIME_UNIT_NS + TIMER_UNITS : count;
	if (!row->periodic)
		g_assert_cmpuint(count, ==, TIMER_UNITS + 8);   /* read after one exit: 800 ns = 8 units */

	guint fired = 0;
	for (guint i = 0; i < h.events->len; i++) {
		const SimEvent *e = harness_event(&h, i);
		if (e->type != SIM_EV_TIMER)
			continue;
		uint64_t expiry = first + (uint64_t)fired * TIMER_UNITS;
		g_test_message("timer %u: expiry %" G_GUINT64_FORMAT " (x100 ns), event at vtime %" G_GUINT64_FORMAT,
		               fired, e->u.timer.expiry, e->vtime);
		g_assert_cmpuint(e->u.timer.timer, ==, 0);
		g_assert_cmpuint(e->u.timer.expiry, ==, expiry);
		/* On time: not before the deadline, and not a slice (200,000
		 * instructions) after it. */
		g_assert_cmpuint(e->vtime, >=, expiry * HV_TIME_UNIT_NS);
		g_assert_cmpuint(e->vtime, <=, expiry * HV_TIME_UNIT_NS + TIMER_SLACK_NS);
		fired++;
	}
	if (row->periodic) {
		/* Every 100 us of the ~1 ms run, and COUNT still reads the period. */
		uint64_t end = sim_machine_vtime(h.m) / HV_TIME_UNIT_NS;
		g_assert_cmpuint(fired, ==, (end - first) / TIMER_UNITS + 1);
		g_assert_cmpuint(fired, >=, 9);
		g_assert_cmpuint(read_u64(&h, TIMER_READ_GPA), ==, TIMER_UNITS);
		g_assert_true(h.vp->stimer0.armed);
	} else {
		g_assert_cmpuint(fired, ==, 1);
		g_assert_cmpuint(read_u64(&h, TIMER_READ_GPA), ==, count);
		g_assert_false(h.vp->stimer0.armed);
	}
	/* IF = 0 all along: the vector stays pending, nothing is delivered. */
	g_assert_cmpuint(harness_count_from(&h, 0, SIM_EV_INTERRUPT), ==, 0);
	g_assert_cmpint(h.vp->pending_vector, ==, 0x40);
	harness_fini(&h);
}

/* ==== the instruction count of a REP string instruction ======================= */

/* RDI = DATA_GPA, ECX = n (patched at 0x10006), REP STOSB, power off. */
static const guint8 rep_code[] = {
	0xBF, 0x00, 0x10, 0x01, 0x00,   /* 0x10000: mov edi, 0x11000 */
	0xB9, 0x03, 0x00, 0x00, 0x00,   /* 0x10005: mov ecx, 3 */
	0xF3, 0xAA,                     /* 0x1000a: rep stos byte es:[rdi], al */
	POWER_OFF,                      /* 0x1000c */
};

#define BUG_REP_COUNT \
	"BUG (minor): a REP string instruction with ECX = n >= 1 counts n + 1 retired instructions, not n " \
	"(docs/trace-format.md: each iteration counts as one); apparently the engine enters the REP block " \
	"once more to find ECX = 0 and backend-unicorn.c block_hook counts that entry as an instruction"

static const guint rep_rows[] = { 0, 1, 3, 100 };

static void test_rep_count(gconstpointer data)
{
	const guint n = GPOINTER_TO_UINT(data);
	guint8 code[sizeof rep_code];
	memcpy(code, rep_code, sizeof code);
	memcpy(code + 6, &n, 4);
	guint8 mem[128];
	memset(mem, 0x5A, sizeof mem);
	Harness h;
	g_assert_cmpint(run_guest(&h, code, sizeof code, mem, sizeof mem), ==, SIM_OUTCOME_SHUTDOWN);
	/* The stores happened: n bytes of AL (0) and nothing past them. */
	g_assert_true(sim_memory_read(&h.p->mem, DATA_GPA, mem, sizeof mem));
	for (guint i = 0; i < sizeof mem; i++)
		g_assert_cmphex(mem[i], ==, i < n ? 0x00 : 0x5A);
	/* MOV, MOV, the REP (one per iteration; once if ECX = 0), MOV, MOV, OUT. */
	uint64_t want = 5 + MAX(n, 1u);
	uint64_t got = sim_machine_insns(h.m);
	g_test_message("ECX = %u: %" G_GUINT64_FORMAT " instructions retired, %" G_GUINT64_FORMAT " expected", n, got, want);
	if (got == want + 1 && n >= 1)
		g_test_incomplete(BUG_REP_COUNT);
	else
		g_assert_cmpuint(got, ==, want);
	harness_fini(&h);
}

/* ==== 9. console lines ======================================================== */

/* Prints N letters a..z, a..z, ... then '\n' (N patched at 0x10005). */
static const guint8 console_code[] = {
	0x66, 0xBA, 0xF8, 0x03,         /* 0x10000: mov dx, 0x3f8 */
	0xB9, 0x96, 0x00, 0x00, 0x00,   /* 0x10004: mov ecx, 150 */
	0xB0, 0x61,                     /* 0x10009: mov al, 'a' */
	0xEE,                           /* 0x1000b: out dx, al */
	0xFE, 0xC0,                     /* 0x1000c: inc al */
	0x3C, 0x7B,                     /* 0x1000e: cmp al, 'z' + 1 */
	0x75, 0x02,                     /* 0x10010: jne 0x10014 */
	0xB0, 0x61,                     /* 0x10012: mov al, 'a' */
	0xFF, 0xC9,                     /* 0x10014: dec ecx */
	0x75, 0xF3,                     /* 0x10016: jne 0x1000b */
	0xB0, 0x0A,                     /* 0x10018: mov al, '\n' */
	0xEE,                           /* 0x1001a: out dx, al */
	POWER_OFF,                      /* 0x1001b */
};

/* Line length -> console events. A line longer than an event's text
 * (SIM_EVENT_TEXT_MAX - 1 characters) is split; 150 fits in one. */
typedef struct ConsoleRow {
	guint n;
	guint events;
} ConsoleRow;

static const ConsoleRow console_rows[] = {
	{ 150, 1 },
	{ SIM_EVENT_TEXT_MAX - 2, 1 },
	{ SIM_EVENT_TEXT_MAX - 1, 1 },
	{ SIM_EVENT_TEXT_MAX, 2 },
	{ 2 * (SIM_EVENT_TEXT_MAX - 1) + 1, 3 },
};

static void test_console_line(gconstpointer data)
{
	const ConsoleRow *row = data;
	const guint n = row->n;
	guint8 code[sizeof console_code];
	memcpy(code, console_code, sizeof code);
	memcpy(code + 5, &n, 4);
	Harness h;
	g_assert_cmpint(run_guest(&h, code, sizeof code, NULL, 0), ==, SIM_OUTCOME_SHUTDOWN);

	g_autofree char *line = g_malloc(n + 1);
	for (guint i = 0; i < n; i++)
		line[i] = (char)('a' + i % 26);
	line[n] = '\0';
	g_autofree char *with_nl = g_strconcat(line, "\n", NULL);
	g_assert_cmpstr(sim_partition_console(h.p), ==, with_nl);

	const guint per_event = SIM_EVENT_TEXT_MAX - 1;
	g_assert_cmpuint(harness_count_from(&h, 0, SIM_EV_CONSOLE), ==, row->events);
	GString *joined = g_string_new(NULL);
	for (guint i = 0; i < h.events->len; i++) {
		const SimEvent *e = harness_event(&h, i);
		if (e->type != SIM_EV_CONSOLE)
			continue;
		g_assert_cmpuint(strlen(e->text), <=, per_event);
		g_string_append(joined, e->text);
	}
	g_assert_cmpstr(joined->str, ==, line);
	if (n <= per_event)
		g_assert_cmpstr(harness_first(&h, SIM_EV_CONSOLE)->text, ==, line);
	g_string_free(joined, TRUE);
	harness_fini(&h);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sim/guest/io-exit/forms", test_io_exits);
	g_test_add_func("/sim/guest/io-exit/string", test_io_string);
	for (gsize i = 0; i < G_N_ELEMENTS(iopl_rows); i++) {
		g_autofree char *path = g_strdup_printf("/sim/guest/iopl/%s", iopl_rows[i].path);
		g_test_add_data_func(path, &iopl_rows[i], test_iopl);
	}
	g_test_add_func("/sim/guest/rdtsc/virtual-time", test_rdtsc);
	g_test_add_func("/sim/guest/rdtsc/rex-w", test_rdtsc_prefixed);
	for (gsize i = 0; i < G_N_ELEMENTS(fault_rows); i++) {
		g_autofree char *path = g_strdup_printf("/sim/guest/insn/%s", fault_rows[i].path);
		g_test_add_data_func(path, &fault_rows[i], test_fault);
	}
	g_test_add_func("/sim/guest/exit-clock", test_exit_clock);
	g_test_add_data_func("/sim/guest/cpuid-no-nx/intel", GINT_TO_POINTER(SIM_VENDOR_INTEL), test_cpuid_no_nx);
	g_test_add_data_func("/sim/guest/cpuid-no-nx/amd", GINT_TO_POINTER(SIM_VENDOR_AMD), test_cpuid_no_nx);
	for (gsize i = 0; i < G_N_ELEMENTS(timer_rows); i++) {
		g_autofree char *path = g_strdup_printf("/sim/guest/timer-mid-slice/%s", timer_rows[i].path);
		g_test_add_data_func(path, &timer_rows[i], test_timer_mid_slice);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(rep_rows); i++) {
		g_autofree char *path = g_strdup_printf("/sim/guest/rep-count/%u", rep_rows[i]);
		g_test_add_data_func(path, GUINT_TO_POINTER(rep_rows[i]), test_rep_count);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(console_rows); i++) {
		g_autofree char *path = g_strdup_printf("/sim/guest/console/line-%u", console_rows[i].n);
		g_test_add_data_func(path, &console_rows[i], test_console_line);
	}
	return g_test_run();
}
