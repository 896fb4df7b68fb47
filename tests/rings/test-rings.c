/* test-rings.c — unit tests for rings/: paging checks, descriptors, IDT
 * delivery with stack switches and double faults, SYSCALL/SYSRET, IRETQ,
 * privileged instructions. Host test program (GLib test framework); each
 * test builds a small guest with a real GDT, TSS, IDT and page tables. */
#include <glib.h>
#include <string.h>

#include "ring.h"

/* ---- The fake guest ---------------------------------------------------------
 * 2 MiB of guest-physical RAM, identity-mapped with 4 KiB supervisor pages
 * except where a test or the layout below says otherwise. */
#define RAM_SIZE        (2u << 20)
#define PT_POOL_START   0x01000ull   /* page-table frames are bump-allocated here */
#define PT_POOL_END     0x10000ull
#define GDT_GPA         0x10000ull
#define TSS_GPA         0x11000ull
#define KSTACK_PAGE     0x12000ull   /* ring 0 stack, TSS.RSP0 = top */
#define KSTACK_TOP      0x13000ull
#define IST1_PAGE       0x14000ull   /* #DF stack, TSS.IST1 = top */
#define IST1_TOP        0x15000ull
#define IST2_PAGE       0x16000ull   /* left NOT PRESENT: a broken IST stack */
#define IST2_TOP        0x17000ull
#define IDT_GPA         0x18000ull
#define UCODE_PAGE      0x20000ull   /* user, read-only, executable */
#define USTACK_PAGE     0x21000ull   /* user, writable */
#define URO_PAGE        0x22000ull   /* user, read-only data */
#define KRO_PAGE        0x23000ull   /* supervisor, read-only */
#define NX_PAGE         0x24000ull   /* supervisor, execute-disable */
#define ABSENT_PAGE     0x25000ull   /* not present */
#define BAD_RSP0        0x26000ull   /* a kernel stack top whose page is ABSENT_PAGE */

/* GDT selectors, laid out as SYSCALL/SYSRET require. */
#define SEL_KCODE       0x08
#define SEL_KDATA       0x10
#define SEL_UDATA       0x20
#define SEL_UCODE       0x28
#define SEL_TSS         0x30          /* 16 bytes: entries 6 and 7 */
#define SEL_KCODE32     0x40          /* 32-bit code, not usable in an IDT gate */
#define SEL_KCODE_NP    0x48          /* not present */
#define SEL_TSS_HIGH    0x50          /* a TSS descriptor with a 64-bit base */
#define GDT_ENTRIES     12
#define SEL_PAST_GDT    (GDT_ENTRIES * 8)
#define USER_CS         (SEL_UCODE | 3)
#define USER_SS         (SEL_UDATA | 3)

#define HANDLER_BASE    0xFFFFFFFF81000000ull
#define HANDLER(v)      (HANDLER_BASE + (uint64_t)(v) * 0x100)
#define LSTAR_VALUE     0xFFFFFFFF81800000ull
#define TSS_HIGH_BASE   0xFFFF800000011000ull
#define NONCANONICAL    0x0000800000000000ull

#define PTE_KERNEL      (RING_PTE_P | RING_PTE_RW)
#define PTE_USER        (RING_PTE_P | RING_PTE_RW | RING_PTE_US)

typedef struct Fixture {
	uint8_t *ram;
	uint64_t next_table;
	uint64_t pml4;
	RingMem mem;
} Fixture;

static bool ram_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	Fixture *fx = ctx;

	if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
		return false;
	memcpy(buf, fx->ram + gpa, len);
	return true;
}

static bool ram_write(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
	Fixture *fx = ctx;

	if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
		return false;
	memcpy(fx->ram + gpa, buf, len);
	return true;
}

static uint64_t get64(const Fixture *fx, uint64_t gpa)
{
	uint64_t v;

	g_assert_cmpuint(gpa + 8, <=, RAM_SIZE);
	memcpy(&v, fx->ram + gpa, 8);
	return GUINT64_FROM_LE(v);
}

static void put64(Fixture *fx, uint64_t gpa, uint64_t v)
{
	g_assert_cmpuint(gpa + 8, <=, RAM_SIZE);
	v = GUINT64_TO_LE(v);
	memcpy(fx->ram + gpa, &v, 8);
}

/* ---- Page tables ----------------------------------------------------------- */
static uint64_t alloc_table(Fixture *fx)
{
	uint64_t gpa = fx->next_table;

	fx->next_table += RING_PAGE_SIZE;
	g_assert_cmpuint(fx->next_table, <=, PT_POOL_END);
	memset(fx->ram + gpa, 0, RING_PAGE_SIZE);
	return gpa;
}

static unsigned pt_index(uint64_t la, int level)
{
	return (unsigned)(la >> (RING_PAGE_SHIFT + RING_PT_INDEX_BITS * (level - 1))) &
	       (RING_PT_ENTRIES - 1);
}

/* GPA of the entry for la at `level`, creating the tables above it. Upper
 * levels get P|RW|US so the leaf alone decides the rights. */
static uint64_t entry_slot(Fixture *fx, uint64_t la, int level)
{
	uint64_t table = fx->pml4;

	for (int l = RING_PAGING_LEVELS; l > level; l--) {
		uint64_t slot = table + pt_index(la, l) * 8;
		uint64_t e = get64(fx, slot);

		if (!(e & RING_PTE_P)) {
			e = alloc_table(fx) | PTE_USER;
			put64(fx, slot, e);
		}
		g_assert_false(e & RING_PTE_PS);
		table = e & RING_PTE_ADDR_MASK;
	}
	return table + pt_index(la, level) * 8;
}

static void map_4k(Fixture *fx, uint64_t la, uint64_t gpa, uint64_t flags)
{
	put64(fx, entry_slot(fx, la, 1), gpa | flags);
}

static void map_large(Fixture *fx, uint64_t la, uint64_t gpa, int level, uint64_t flags)
{
	put64(fx, entry_slot(fx, la, level), gpa | flags | RING_PTE_PS);
}

/* ---- Descriptors ------------------------------------------------------------ */
static uint64_t seg_desc(uint8_t type, uint8_t dpl, bool present, bool l, bool db)
{
	/* Flat: base 0, limit 0xFFFFF pages. */
	return RING_DESC_LIMIT_LO_MASK | (RING_DESC_LIMIT_HI_MASK << RING_DESC_LIMIT_HI_SHIFT) |
	       ((uint64_t)type << RING_DESC_TYPE_SHIFT) | RING_DESC_S |
	       ((uint64_t)dpl << RING_DESC_DPL_SHIFT) | (present ? RING_DESC_P : 0) |
	       (l ? RING_DESC_L : 0) | (db ? RING_DESC_DB : 0) | RING_DESC_G;
}

static void put_tss_desc(Fixture *fx, uint16_t sel, uint64_t base, uint32_t limit)
{
	uint64_t lo = (limit & RING_DESC_LIMIT_LO_MASK) |
	              ((base & RING_DESC_BASE_LO_MASK) << RING_DESC_BASE_LO_SHIFT) |
	              ((uint64_t)RING_SYS_TSS64_AVAIL << RING_DESC_TYPE_SHIFT) | RING_DESC_P |
	              (((base >> 24) & 0xFF) << RING_DESC_BASE_HI_SHIFT);

	put64(fx, GDT_GPA + sel, lo);
	put64(fx, GDT_GPA + sel + 8, base >> 32);
}

static void set_gate(Fixture *fx, uint8_t vector, uint8_t type, uint8_t dpl, uint16_t sel,
                     uint8_t ist, bool present)
{
	uint64_t off = HANDLER(vector);
	uint64_t lo = (off & 0xFFFF) | ((uint64_t)sel << RING_GATE_SEL_SHIFT) |
	              ((uint64_t)ist << RING_GATE_IST_SHIFT) |
	              ((uint64_t)type << RING_DESC_TYPE_SHIFT) |
	              ((uint64_t)dpl << RING_DESC_DPL_SHIFT) | (present ? RING_DESC_P : 0) |
	              (((off >> 16) & 0xFFFF) << RING_GATE_OFF_MID_SHIFT);

	put64(fx, IDT_GPA + vector * 16u, lo);
	put64(fx, IDT_GPA + vector * 16u + 8, off >> 32);
}

/* ---- The whole machine ------------------------------------------------------- */
static Fixture *fixture_new(void)
{
	Fixture *fx = g_new0(Fixture, 1);

	fx->ram = g_malloc0(RAM_SIZE);
	fx->next_table = PT_POOL_START;
	fx->mem = (RingMem){ .read = ram_read, .write = ram_write, .ctx = fx };
	fx->pml4 = alloc_table(fx);

	for (uint64_t la = 0; la < RAM_SIZE; la += RING_PAGE_SIZE)
		map_4k(fx, la, la, PTE_KERNEL);
	map_4k(fx, UCODE_PAGE, UCODE_PAGE, RING_PTE_P | RING_PTE_US);
	map_4k(fx, USTACK_PAGE, USTACK_PAGE, PTE_USER);
	map_4k(fx, URO_PAGE, URO_PAGE, RING_PTE_P | RING_PTE_US);
	map_4k(fx, KRO_PAGE, KRO_PAGE, RING_PTE_P);
	map_4k(fx, NX_PAGE, NX_PAGE, PTE_KERNEL | RING_PTE_XD);
	map_4k(fx, ABSENT_PAGE, ABSENT_PAGE, 0);
	map_4k(fx, IST2_PAGE, IST2_PAGE, 0);

	/* GDT: null, kernel code/data, (unused), user data/code, TSS, extras. */
	put64(fx, GDT_GPA + SEL_KCODE, seg_desc(RING_TYPE_CODE | RING_TYPE_CODE_READ, 0, true, true, false));
	put64(fx, GDT_GPA + SEL_KDATA, seg_desc(RING_TYPE_DATA_WRITE, 0, true, false, true));
	put64(fx, GDT_GPA + SEL_UDATA, seg_desc(RING_TYPE_DATA_WRITE, 3, true, false, true));
	put64(fx, GDT_GPA + SEL_UCODE, seg_desc(RING_TYPE_CODE | RING_TYPE_CODE_READ, 3, true, true, false));
	put_tss_desc(fx, SEL_TSS, TSS_GPA, RING_TSS64_MIN_LIMIT);
	put64(fx, GDT_GPA + SEL_KCODE32, seg_desc(RING_TYPE_CODE | RING_TYPE_CODE_READ, 0, true, false, true));
	put64(fx, GDT_GPA + SEL_KCODE_NP, seg_desc(RING_TYPE_CODE | RING_TYPE_CODE_READ, 0, false, true, false));
	put_tss_desc(fx, SEL_TSS_HIGH, TSS_HIGH_BASE, RING_TSS64_MIN_LIMIT);

	/* TSS: the kernel stack for ring 0 and two IST stacks. */
	put64(fx, TSS_GPA + RING_TSS_RSP0, KSTACK_TOP);
	put64(fx, TSS_GPA + RING_TSS_IST1, IST1_TOP);
	put64(fx, TSS_GPA + RING_TSS_IST1 + 8, IST2_TOP);

	/* IDT: every vector an interrupt gate to ring 0 at DPL 0, except the
	 * ones user code may raise: INT3 (trap gate) and INT 0x80. #DF runs on
	 * IST1. */
	for (unsigned v = 0; v < 256; v++)
		set_gate(fx, (uint8_t)v, RING_SYS_INT_GATE64, 0, SEL_KCODE, 0, true);
	set_gate(fx, RING_VEC_BP, RING_SYS_TRAP_GATE64, 3, SEL_KCODE, 0, true);
	set_gate(fx, 0x80, RING_SYS_INT_GATE64, 3, SEL_KCODE, 0, true);
	set_gate(fx, RING_VEC_DF, RING_SYS_INT_GATE64, 0, SEL_KCODE, 1, true);
	return fx;
}

static void fixture_free(Fixture *fx)
{
	g_free(fx->ram);
	g_free(fx);
}

static RingCpu cpu_common(const Fixture *fx)
{
	return (RingCpu){
		.rflags = RING_RFLAGS_FIXED | RING_RFLAGS_IF,
		.cr0 = RING_CR0_PE | RING_CR0_WP | RING_CR0_PG,
		.cr3 = fx->pml4,
		.cr4 = RING_CR4_PAE,
		.efer = RING_EFER_SCE | RING_EFER_LME | RING_EFER_LMA | RING_EFER_NXE,
		.gdtr_base = GDT_GPA, .gdtr_limit = GDT_ENTRIES * 8 - 1,
		.idtr_base = IDT_GPA, .idtr_limit = 256 * 16 - 1,
		.tr = SEL_TSS, .tr_base = TSS_GPA, .tr_limit = RING_TSS64_MIN_LIMIT,
		/* SYSRET base 0x18: CS = 0x28|3, SS = 0x20|3. SYSCALL: CS 0x08, SS 0x10. */
		.star = (0x18ull << RING_STAR_SYSRET_SHIFT) | ((uint64_t)SEL_KCODE << RING_STAR_SYSCALL_SHIFT),
		.lstar = LSTAR_VALUE,
		.fmask = RING_RFLAGS_IF | RING_RFLAGS_TF | RING_RFLAGS_DF | RING_RFLAGS_AC,
	};
}

static RingCpu cpu_ring3(const Fixture *fx)
{
	RingCpu c = cpu_common(fx);

	c.cs = USER_CS;
	c.ss = USER_SS;
	c.rip = UCODE_PAGE + 0x12;
	c.rsp = USTACK_PAGE + 0xF08;
	return c;
}

static RingCpu cpu_ring0(const Fixture *fx)
{
	RingCpu c = cpu_common(fx);

	c.cs = SEL_KCODE;
	c.ss = SEL_KDATA;
	c.rip = HANDLER_BASE + 0x9000;
	c.rsp = KSTACK_PAGE + 0xF08;   /* deliberately not 16-byte aligned */
	return c;
}

static RingEvent exception(uint8_t vector, uint32_t error_code)
{
	return (RingEvent){ .vector = vector, .cause = RING_CAUSE_EXCEPTION,
	                    .has_error_code = ring_vector_has_error_code(vector),
	                    .error_code = error_code };
}

static RingEvent soft_int(uint8_t vector)
{
	return (RingEvent){ .vector = vector, .cause = RING_CAUSE_SOFTWARE_INT };
}

static RingEvent external(uint8_t vector)
{
	return (RingEvent){ .vector = vector, .cause = RING_CAUSE_EXTERNAL };
}

/* The five quadwords every IA-32e frame holds, starting at frame_base. */
static void assert_frame(const Fixture *fx, uint64_t frame_base, uint64_t rip, uint64_t cs,
                         uint64_t rflags, uint64_t rsp, uint64_t ss)
{
	g_assert_cmphex(get64(fx, frame_base + 0), ==, rip);
	g_assert_cmphex(get64(fx, frame_base + 8), ==, cs);
	g_assert_cmphex(get64(fx, frame_base + 16), ==, rflags);
	g_assert_cmphex(get64(fx, frame_base + 24), ==, rsp);
	g_assert_cmphex(get64(fx, frame_base + 32), ==, ss);
}

/* ---- Paging ------------------------------------------------------------------ */
typedef struct TranslateCase {
	const char *what;
	uint64_t la;
	RingAccessKind kind;
	bool user;
	RingStatus status;
	uint32_t pfec;     /* when status == RING_FAULT */
} TranslateCase;

static void run_translate_cases(const Fixture *fx, const RingCpu *cpu,
                                const TranslateCase *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t gpa = 0;
		uint32_t pfec = 0;
		RingStatus st = ring_translate(cpu, &fx->mem, cases[i].la, cases[i].kind,
		                               cases[i].user, &gpa, &pfec);

		g_test_message("%s", cases[i].what);
		g_assert_cmpint(st, ==, cases[i].status);
		if (st == RING_FAULT)
			g_assert_cmphex(pfec, ==, cases[i].pfec);
		else if (st == RING_OK)
			g_assert_cmphex(gpa, ==, cases[i].la);  /* identity-mapped fixture */
	}
}

static void test_paging_4k_user(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring3(fx);
	const TranslateCase cases[] = {
		{ "user read of user stack", USTACK_PAGE + 0x10, RING_ACC_READ, true, RING_OK, 0 },
		{ "user write of user stack", USTACK_PAGE + 0x10, RING_ACC_WRITE, true, RING_OK, 0 },
		{ "user fetch of user code", UCODE_PAGE, RING_ACC_EXEC, true, RING_OK, 0 },
		{ "user write of read-only user code", UCODE_PAGE + 8, RING_ACC_WRITE, true, RING_FAULT,
		  RING_PFEC_P | RING_PFEC_W | RING_PFEC_U },
		{ "user read of a not-present page", ABSENT_PAGE, RING_ACC_READ, true, RING_FAULT,
		  RING_PFEC_U },
		{ "user write of a not-present page", ABSENT_PAGE, RING_ACC_WRITE, true, RING_FAULT,
		  RING_PFEC_W | RING_PFEC_U },
	};

	run_translate_cases(fx, &cpu, cases, G_N_ELEMENTS(cases));

	/* A non-identity mapping: the offset within the page is kept. */
	uint64_t gpa;
	uint32_t pfec;
	map_4k(fx, 0x30000, 0x50000, PTE_USER);
	g_assert_cmpint(ring_translate(&cpu, &fx->mem, 0x30123, RING_ACC_READ, true, &gpa, &pfec),
	                ==, RING_OK);
	g_assert_cmphex(gpa, ==, 0x50123);
	fixture_free(fx);
}

static void test_paging_supervisor_from_user(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring3(fx);
	const TranslateCase cases[] = {
		{ "user read of kernel stack", KSTACK_PAGE, RING_ACC_READ, true, RING_FAULT,
		  RING_PFEC_P | RING_PFEC_U },
		{ "user write of kernel stack", KSTACK_PAGE, RING_ACC_WRITE, true, RING_FAULT,
		  RING_PFEC_P | RING_PFEC_W | RING_PFEC_U },
		{ "user fetch of kernel page (NXE on: I/D set)", KSTACK_PAGE, RING_ACC_EXEC, true,
		  RING_FAULT, RING_PFEC_P | RING_PFEC_U | RING_PFEC_I },
		{ "supervisor read of kernel stack", KSTACK_PAGE, RING_ACC_READ, false, RING_OK, 0 },
		{ "supervisor write of kernel stack", KSTACK_PAGE, RING_ACC_WRITE, false, RING_OK, 0 },
		{ "user read of the IDT", IDT_GPA, RING_ACC_READ, true, RING_FAULT,
		  RING_PFEC_P | RING_PFEC_U },
	};

	run_translate_cases(fx, &cpu, cases, G_N_ELEMENTS(cases));
	fixture_free(fx);
}

static void test_paging_upper_level_rights(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring3(fx);
	uint64_t gpa;
	uint32_t pfec;
	const uint64_t la = 0x40000000ull + 0x3000;   /* a fresh PD under PDPT index 1 */

	/* Leaf says user + writable, but the PDE above says supervisor,
	 * read-only: rights are the intersection over all levels. */
	map_4k(fx, la, USTACK_PAGE, PTE_USER);
	uint64_t pde = entry_slot(fx, la, 2);
	put64(fx, pde, get64(fx, pde) & ~(RING_PTE_US | RING_PTE_RW));

	g_assert_cmpint(ring_translate(&cpu, &fx->mem, la, RING_ACC_READ, true, &gpa, &pfec), ==, RING_FAULT);
	g_assert_cmphex(pfec, ==, RING_PFEC_P | RING_PFEC_U);
	g_assert_cmpint(ring_translate(&cpu, &fx->mem, la, RING_ACC_WRITE, false, &gpa, &pfec), ==, RING_FAULT);
	g_assert_cmphex(pfec, ==, RING_PFEC_P | RING_PFEC_W);
	g_assert_cmpint(ring_translate(&cpu, &fx->mem, la, RING_ACC_READ, false, &gpa, &pfec), ==, RING_OK);
	g_assert_cmphex(gpa, ==, USTACK_PAGE);
	fixture_free(fx);
}

static void test_paging_wp(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring0(fx);
	const TranslateCase wp_on[] = {
		{ "supervisor write to read-only kernel page, WP=1", KRO_PAGE, RING_ACC_WRITE, false,
		  RING_FAULT, RING_PFEC_P | RING_PFEC_W },
		{ "supervisor write to read-only user page, WP=1", URO_PAGE, RING_ACC_WRITE, false,
		  RING_FAULT, RING_PFEC_P | RING_PFEC_W },
		{ "supervisor read of read-only kernel page", KRO_PAGE, RING_ACC_READ, false, RING_OK, 0 },
		{ "user write to read-only user page", URO_PAGE, RING_ACC_WRITE, true, RING_FAULT,
		  RING_PFEC_P | RING_PFEC_W | RING_PFEC_U },
	};
	const TranslateCase wp_off[] = {
		{ "supervisor write to read-only kernel page, WP=0", KRO_PAGE, RING_ACC_WRITE, false,
		  RING_OK, 0 },
		{ "supervisor write to read-only user page, WP=0", URO_PAGE, RING_ACC_WRITE, false,
		  RING_OK, 0 },
		{ "user write to read-only user page ignores WP", URO_PAGE, RING_ACC_WRITE, true,
		  RING_FAULT, RING_PFEC_P | RING_PFEC_W | RING_PFEC_U },
	};

	run_translate_cases(fx, &cpu, wp_on, G_N_ELEMENTS(wp_on));
	cpu.cr0 &= ~RING_CR0_WP;
	run_translate_cases(fx, &cpu, wp_off, G_N_ELEMENTS(wp_off));
	fixture_free(fx);
}

static void test_paging_nx(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring0(fx);
	const TranslateCase nxe_on[] = {
		{ "supervisor fetch from XD page", NX_PAGE, RING_ACC_EXEC, false, RING_FAULT,
		  RING_PFEC_P | RING_PFEC_I },
		{ "supervisor read of XD page", NX_PAGE, RING_ACC_READ, false, RING_OK, 0 },
		{ "fetch from absent page reports I/D", ABSENT_PAGE, RING_ACC_EXEC, false, RING_FAULT,
		  RING_PFEC_I },
	};
	const TranslateCase nxe_off[] = {
		{ "XD bit with NXE=0 is reserved (read)", NX_PAGE, RING_ACC_READ, false, RING_FAULT,
		  RING_PFEC_P | RING_PFEC_RSVD },
		{ "XD bit with NXE=0 is reserved (fetch, no I/D without NXE/SMEP)", NX_PAGE,
		  RING_ACC_EXEC, false, RING_FAULT, RING_PFEC_P | RING_PFEC_RSVD },
		{ "fetch from absent page, no I/D without NXE/SMEP", ABSENT_PAGE, RING_ACC_EXEC, false,
		  RING_FAULT, 0 },
	};

	run_translate_cases(fx, &cpu, nxe_on, G_N_ELEMENTS(nxe_on));
	cpu.efer &= ~RING_EFER_NXE;
	run_translate_cases(fx, &cpu, nxe_off, G_N_ELEMENTS(nxe_off));
	fixture_free(fx);
}

static void test_paging_smep_smap(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring0(fx);
	const TranslateCase smep_smap[] = {
		{ "SMEP: supervisor fetch of user code", UCODE_PAGE, RING_ACC_EXEC, false, RING_FAULT,
		  RING_PFEC_P | RING_PFEC_I },
		{ "SMAP: supervisor read of user data, AC=0", USTACK_PAGE, RING_ACC_READ, false,
		  RING_FAULT, RING_PFEC_P },
		{ "user read of user data is unaffected", USTACK_PAGE, RING_ACC_READ, true, RING_OK, 0 },
	};
	const TranslateCase smap_ac[] = {
		{ "SMAP: supervisor read of user data, AC=1", USTACK_PAGE, RING_ACC_READ, false,
		  RING_OK, 0 },
	};

	cpu.cr4 |= RING_CR4_SMEP | RING_CR4_SMAP;
	run_translate_cases(fx, &cpu, smep_smap, G_N_ELEMENTS(smep_smap));
	cpu.rflags |= RING_RFLAGS_AC;
	run_translate_cases(fx, &cpu, smap_ac, G_N_ELEMENTS(smap_ac));
	fixture_free(fx);
}

static void test_paging_large_pages(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring0(fx);
	uint64_t gpa;
	uint32_t pfec;

	/* 2 MiB page at 1 GiB -> GPA 0x200000; 1 GiB page at 512 GiB -> GPA 0x40000000. */
	map_large(fx, 0x40000000ull, 0x200000ull, 2, PTE_KERNEL);
	map_large(fx, 0x8000000000ull, 0x40000000ull, 3, PTE_KERNEL);

	g_assert_cmpint(ring_translate(&cpu, &fx->mem, 0x40000000ull + 0x1ABCDE, RING_ACC_READ,
	                               false, &gpa, &pfec), ==, RING_OK);
	g_assert_cmphex(gpa, ==, 0x200000ull + 0x1ABCDE);
	g_assert_cmpint(ring_translate(&cpu, &fx->mem, 0x8000000000ull + 0x3456789A, RING_ACC_WRITE,
	                               false, &gpa, &pfec), ==, RING_OK);
	g_assert_cmphex(gpa, ==, 0x40000000ull + 0x3456789A);

	/* A 2 MiB frame that is not 2 MiB aligned sets reserved bits 20:13. */
	map_large(fx, 0x40200000ull, 0x202000ull, 2, PTE_KERNEL);
	g_assert_cmpint(ring_translate(&cpu, &fx->mem, 0x40200000ull, RING_ACC_READ, false, &gpa,
	                               &pfec), ==, RING_FAULT);
	g_assert_cmphex(pfec, ==, RING_PFEC_P | RING_PFEC_RSVD);
	fixture_free(fx);
}

static void test_paging_noncanonical(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring0(fx);
	uint64_t gpa;
	uint32_t pfec = 0;
	uint8_t buf[8];

	g_assert_true(ring_canonical(0x00007FFFFFFFFFFFull));
	g_assert_true(ring_canonical(0xFFFF800000000000ull));
	g_assert_false(ring_canonical(NONCANONICAL));
	g_assert_false(ring_canonical(0xFFFF7FFFFFFFFFFFull));

	g_assert_cmpint(ring_translate(&cpu, &fx->mem, NONCANONICAL, RING_ACC_READ, false, &gpa,
	                               &pfec), ==, RING_FAULT);
	g_assert_cmphex(pfec, ==, RING_PF_NONE);
	g_assert_cmpint(ring_read_linear(&cpu, &fx->mem, NONCANONICAL, buf, sizeof buf, false, &pfec),
	                ==, RING_FAULT);
	g_assert_cmphex(pfec, ==, RING_PF_NONE);
	fixture_free(fx);
}

static void test_paging_off(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring0(fx);
	uint64_t gpa = 0;
	uint32_t pfec;

	cpu.cr0 &= ~RING_CR0_PG;
	cpu.efer &= ~RING_EFER_LMA;
	g_assert_cmpint(ring_translate(&cpu, &fx->mem, ABSENT_PAGE + 4, RING_ACC_WRITE, true, &gpa,
	                               &pfec), ==, RING_OK);
	g_assert_cmphex(gpa, ==, ABSENT_PAGE + 4);

	/* 32-bit PAE paging (no LMA) is outside the model. */
	cpu.cr0 |= RING_CR0_PG;
	g_assert_cmpint(ring_translate(&cpu, &fx->mem, 0x1000, RING_ACC_READ, false, &gpa, &pfec),
	                ==, RING_UNSUPPORTED);
	fixture_free(fx);
}

static void test_paging_table_outside_ram(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring0(fx);
	uint64_t gpa;
	uint32_t pfec;

	cpu.cr3 = 0x10000000ull;   /* 256 MiB: no RAM there */
	g_assert_cmpint(ring_translate(&cpu, &fx->mem, 0x1000, RING_ACC_WRITE, false, &gpa, &pfec),
	                ==, RING_FAULT);
	g_assert_cmphex(pfec, ==, RING_PFEC_W);
	fixture_free(fx);
}

static void test_paging_cross_page(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring0(fx);
	const uint8_t data[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	uint8_t back[16] = { 0 };
	uint32_t pfec;

	/* Two adjacent linear pages backed by frames in reverse order. */
	map_4k(fx, 0x30000, 0x50000, PTE_KERNEL);
	map_4k(fx, 0x31000, 0x40000, PTE_KERNEL);
	map_4k(fx, 0x32000, 0, 0);

	g_assert_cmpint(ring_write_linear(&cpu, &fx->mem, 0x30FF8, data, sizeof data, false, &pfec),
	                ==, RING_OK);
	g_assert_cmpmem(fx->ram + 0x50FF8, 8, data, 8);
	g_assert_cmpmem(fx->ram + 0x40000, 8, data + 8, 8);
	g_assert_cmpint(ring_read_linear(&cpu, &fx->mem, 0x30FF8, back, sizeof back, false, &pfec),
	                ==, RING_OK);
	g_assert_cmpmem(back, sizeof back, data, sizeof data);

	/* The second page is absent: the first part is written, then #PF. */
	memset(fx->ram + 0x40FFC, 0, 4);
	g_assert_cmpint(ring_write_linear(&cpu, &fx->mem, 0x31FFC, data, 8, false, &pfec),
	                ==, RING_FAULT);
	g_assert_cmphex(pfec, ==, RING_PFEC_W);
	g_assert_cmpmem(fx->ram + 0x40FFC, 4, data, 4);

	/* A read from a user page as a user. */
	g_assert_cmpint(ring_read_linear(&cpu, &fx->mem, KSTACK_PAGE, back, 4, true, &pfec),
	                ==, RING_FAULT);
	g_assert_cmphex(pfec, ==, RING_PFEC_P | RING_PFEC_U);
	fixture_free(fx);
}

/* ---- Descriptors ---------------------------------------------------------------- */
static void test_desc_gdt(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring3(fx);
	RingDescriptor d;

	g_assert_true(ring_read_descriptor(&cpu, &fx->mem, SEL_KCODE, &d));
	g_assert_true(ring_desc_is_code64(&d));
	g_assert_cmpuint(d.dpl, ==, 0);
	g_assert_true(d.present && d.s && d.g);
	g_assert_cmphex(d.limit, ==, 0xFFFFFFFF);
	g_assert_cmphex(d.base, ==, 0);

	/* RPL bits do not matter for the lookup. */
	g_assert_true(ring_read_descriptor(&cpu, &fx->mem, USER_CS, &d));
	g_assert_true(ring_desc_is_code64(&d));
	g_assert_cmpuint(d.dpl, ==, 3);
	g_assert_true(ring_read_descriptor(&cpu, &fx->mem, USER_SS, &d));
	g_assert_true(ring_desc_is_writable_data(&d));
	g_assert_cmpuint(d.dpl, ==, 3);
	g_assert_true(ring_read_descriptor(&cpu, &fx->mem, SEL_KCODE32, &d));
	g_assert_true(ring_desc_is_code(&d));
	g_assert_false(ring_desc_is_code64(&d));

	/* System descriptors are 16 bytes in long mode. */
	g_assert_true(ring_read_descriptor(&cpu, &fx->mem, SEL_TSS, &d));
	g_assert_false(d.s);
	g_assert_cmpuint(d.type, ==, RING_SYS_TSS64_AVAIL);
	g_assert_cmphex(d.base, ==, TSS_GPA);
	g_assert_cmphex(d.limit, ==, RING_TSS64_MIN_LIMIT);
	g_assert_true(ring_read_descriptor(&cpu, &fx->mem, SEL_TSS_HIGH, &d));
	g_assert_cmphex(d.base, ==, TSS_HIGH_BASE);

	g_assert_false(ring_read_descriptor(&cpu, &fx->mem, 0, &d));               /* null */
	g_assert_false(ring_read_descriptor(&cpu, &fx->mem, 3, &d));               /* null, RPL 3 */
	g_assert_false(ring_read_descriptor(&cpu, &fx->mem, SEL_KCODE | RING_SEL_TI, &d)); /* LDT */
	g_assert_false(ring_read_descriptor(&cpu, &fx->mem, SEL_PAST_GDT, &d));
	cpu.gdtr_limit = SEL_TSS + 7;   /* the TSS's upper half falls outside */
	g_assert_false(ring_read_descriptor(&cpu, &fx->mem, SEL_TSS, &d));
	fixture_free(fx);
}

/* ---- Delivery ------------------------------------------------------------------- */
static void test_deliver_int80_ring3_to_ring0(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring3(fx);
	const RingCpu before = cpu;
	RingEvent ev = soft_int(0x80);
	RingTransition t;

	cpu.rflags |= RING_RFLAGS_CF;
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);

	/* Handler state: ring 0, RSP from TSS.RSP0 minus a 5-quadword frame,
	 * SS a null selector with RPL 0, IF cleared by the interrupt gate. */
	g_assert_cmpuint(ring_cpl(&cpu), ==, 0);
	g_assert_cmphex(cpu.cs, ==, SEL_KCODE);
	g_assert_cmphex(cpu.ss, ==, 0);
	g_assert_cmphex(cpu.rip, ==, HANDLER(0x80));
	g_assert_cmphex(cpu.rsp, ==, KSTACK_TOP - 40);
	g_assert_cmphex(cpu.rflags, ==, RING_RFLAGS_FIXED | RING_RFLAGS_CF);

	/* The frame in memory, lowest address first: RIP, CS, RFLAGS, RSP, SS.
	 * RIP is the one after the INT; RF is 0 for INT n. */
	assert_frame(fx, KSTACK_TOP - 40, before.rip, USER_CS,
	             RING_RFLAGS_FIXED | RING_RFLAGS_IF | RING_RFLAGS_CF, before.rsp, USER_SS);

	g_assert_cmpuint(t.from_cpl, ==, 3);
	g_assert_cmpuint(t.to_cpl, ==, 0);
	g_assert_cmpint(t.cause, ==, RING_CAUSE_SOFTWARE_INT);
	g_assert_cmpuint(t.vector, ==, 0x80);
	g_assert_cmpuint(t.original_vector, ==, 0x80);
	g_assert_false(t.error_code_pushed);
	g_assert_true(t.stack_switched);
	g_assert_cmpuint(t.ist, ==, 0);
	g_assert_cmpuint(t.escalations, ==, 0);
	g_assert_cmphex(t.from_rip, ==, before.rip);
	g_assert_cmphex(t.to_rip, ==, HANDLER(0x80));
	g_assert_cmphex(t.new_rsp, ==, KSTACK_TOP - 40);
	g_assert_nonnull(strstr(t.detail, "INT 0x80"));
	g_assert_nonnull(strstr(t.detail, "TSS.RSP0"));
	fixture_free(fx);
}

static void test_deliver_gp_error_code(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring3(fx);
	const RingCpu before = cpu;
	RingEvent ev = exception(RING_VEC_GP, SEL_UCODE);
	RingTransition t;

	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);
	g_assert_cmphex(cpu.rsp, ==, KSTACK_TOP - 48);
	g_assert_cmphex(get64(fx, cpu.rsp), ==, SEL_UCODE);   /* error code on top */
	/* A fault: RF is set in the pushed RFLAGS image. */
	assert_frame(fx, cpu.rsp + 8, before.rip, USER_CS, before.rflags | RING_RFLAGS_RF,
	             before.rsp, USER_SS);
	g_assert_true(t.error_code_pushed);
	g_assert_cmphex(t.error_code, ==, SEL_UCODE);
	g_assert_cmpuint(t.vector, ==, RING_VEC_GP);
	g_assert_cmphex(cpu.rip, ==, HANDLER(RING_VEC_GP));
	g_assert_false(cpu.rflags & RING_RFLAGS_IF);

	/* INT 13 from software never pushes an error code, even if asked to. */
	cpu = cpu_ring0(fx);
	ev = soft_int(RING_VEC_GP);
	ev.has_error_code = true;
	ev.error_code = 0x1234;
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);
	g_assert_false(t.error_code_pushed);
	g_assert_cmphex(cpu.rsp, ==, KSTACK_PAGE + 0xF00 - 40);
	fixture_free(fx);
}

static void test_deliver_trap_gate_keeps_if(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring3(fx);
	RingEvent ev = soft_int(RING_VEC_BP);
	RingTransition t;

	cpu.rflags |= RING_RFLAGS_TF | RING_RFLAGS_AC;
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);
	g_assert_true(cpu.rflags & RING_RFLAGS_IF);      /* trap gate: IF kept */
	g_assert_false(cpu.rflags & RING_RFLAGS_TF);     /* TF always cleared */
	g_assert_true(cpu.rflags & RING_RFLAGS_AC);      /* AC not cleared in IA-32e */
	g_assert_nonnull(strstr(t.detail, "trap gate"));
	fixture_free(fx);
}

static void test_deliver_exception_no_switch_in_ring0(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring0(fx);
	const RingCpu before = cpu;
	RingEvent ev = exception(RING_VEC_PF, RING_PFEC_W);
	RingTransition t;

	cpu.cr2 = 0xDEAD000;
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);
	/* Same ring: no stack switch, SS kept, but RSP still aligned to 16 and
	 * SS:RSP still pushed. */
	g_assert_false(t.stack_switched);
	g_assert_cmphex(cpu.ss, ==, SEL_KDATA);
	g_assert_cmphex(cpu.rsp, ==, KSTACK_PAGE + 0xF00 - 48);
	g_assert_cmphex(get64(fx, cpu.rsp), ==, RING_PFEC_W);
	assert_frame(fx, cpu.rsp + 8, before.rip, SEL_KCODE, before.rflags | RING_RFLAGS_RF,
	             before.rsp, SEL_KDATA);
	g_assert_cmphex(cpu.cr2, ==, 0xDEAD000);
	g_assert_cmpuint(t.from_cpl, ==, 0);
	g_assert_cmpuint(t.to_cpl, ==, 0);
	g_assert_nonnull(strstr(t.detail, "same stack"));
	fixture_free(fx);
}

static void test_deliver_ist(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring0(fx);
	const RingCpu before = cpu;
	RingEvent ev = exception(RING_VEC_DF, 0);
	RingTransition t;

	/* IST switches even without a privilege change, and leaves SS alone. */
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);
	g_assert_true(t.stack_switched);
	g_assert_cmpuint(t.ist, ==, 1);
	g_assert_cmphex(cpu.rsp, ==, IST1_TOP - 48);
	g_assert_cmphex(cpu.ss, ==, SEL_KDATA);
	g_assert_cmphex(get64(fx, cpu.rsp), ==, 0);
	assert_frame(fx, cpu.rsp + 8, before.rip, SEL_KCODE, before.rflags, before.rsp, SEL_KDATA);
	g_assert_nonnull(strstr(t.detail, "TSS.IST1"));

	/* NMI from ring 3 on IST1: privilege changes too, so SS becomes null. */
	set_gate(fx, RING_VEC_NMI, RING_SYS_INT_GATE64, 0, SEL_KCODE, 1, true);
	cpu = cpu_ring3(fx);
	ev = external(RING_VEC_NMI);
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);
	g_assert_cmphex(cpu.rsp, ==, IST1_TOP - 40);
	g_assert_cmphex(cpu.ss, ==, 0);
	g_assert_cmpuint(t.ist, ==, 1);
	fixture_free(fx);
}

static void test_deliver_dpl_check_int_from_ring3(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring3(fx);
	const RingCpu before = cpu;
	RingEvent ev = soft_int(0x80);
	RingTransition t;

	set_gate(fx, 0x80, RING_SYS_INT_GATE64, 0, SEL_KCODE, 0, true);
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);

	/* #GP(0x80 * 8 + 2): IDT bit set, EXT clear (INT n is the program's doing). */
	g_assert_cmpuint(t.vector, ==, RING_VEC_GP);
	g_assert_cmpint(t.cause, ==, RING_CAUSE_EXCEPTION);
	g_assert_cmpint(t.original_cause, ==, RING_CAUSE_SOFTWARE_INT);
	g_assert_true(t.error_code_pushed);
	g_assert_cmphex(t.error_code, ==, 0x402);
	g_assert_cmpuint(t.escalations, ==, 0);
	g_assert_cmpuint(t.original_vector, ==, 0x80);
	g_assert_cmpuint(t.faults_during_delivery, ==, 1);
	g_assert_cmpstr(t.detail, ==, "#GP(0x402) during delivery of INT 0x80: gate DPL 0 < CPL 3");
	g_assert_cmphex(cpu.rip, ==, HANDLER(RING_VEC_GP));
	/* The fault belongs to the INT instruction: pushed RIP points at it. */
	g_assert_cmphex(get64(fx, cpu.rsp), ==, 0x402);
	g_assert_cmphex(get64(fx, cpu.rsp + 8), ==, before.rip - 2);

	/* INT3 (one byte) from ring 3 through a DPL 0 gate. */
	set_gate(fx, RING_VEC_BP, RING_SYS_TRAP_GATE64, 0, SEL_KCODE, 0, true);
	cpu = before;
	ev = soft_int(RING_VEC_BP);
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);
	g_assert_cmphex(t.error_code, ==, RING_VEC_BP * 8 + 2);
	g_assert_cmphex(get64(fx, cpu.rsp + 8), ==, before.rip - 1);

	/* Exceptions ignore gate DPL: #PF from ring 3 through a DPL 0 gate. */
	cpu = before;
	ev = exception(RING_VEC_PF, RING_PFEC_U);
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);
	g_assert_cmpuint(t.vector, ==, RING_VEC_PF);
	g_assert_cmpuint(t.faults_during_delivery, ==, 0);
	fixture_free(fx);
}

static void test_deliver_not_present(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring0(fx);
	RingEvent ev = external(0x81);
	RingTransition t;

	set_gate(fx, 0x81, RING_SYS_INT_GATE64, 3, SEL_KCODE, 0, false);
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);
	/* #NP(0x81 * 8 + IDT + EXT): the interrupt came from outside. */
	g_assert_cmpuint(t.vector, ==, RING_VEC_NP);
	g_assert_cmphex(t.error_code, ==, 0x40B);
	g_assert_cmphex(cpu.rip, ==, HANDLER(RING_VEC_NP));

	cpu = cpu_ring3(fx);
	ev = soft_int(0x81);
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);
	g_assert_cmpuint(t.vector, ==, RING_VEC_NP);
	g_assert_cmphex(t.error_code, ==, 0x40A);
	fixture_free(fx);
}

static void test_deliver_idt_limit(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring3(fx);
	const RingCpu before = cpu;
	RingEvent ev = soft_int(0x80);
	RingTransition t;

	cpu.idtr_limit = 0x80 * 16 - 1;  /* vectors 0..0x7F only */
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);
	g_assert_cmpuint(t.vector, ==, RING_VEC_GP);
	g_assert_cmphex(t.error_code, ==, 0x402);
	g_assert_nonnull(strstr(t.detail, "IDT limit"));

	cpu = before;
	cpu.idtr_limit = 0x80 * 16 - 1;
	ev = external(0x80);
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);
	g_assert_cmphex(t.error_code, ==, 0x403);

	/* The last vector that fits: 0x7F * 16 + 15 == limit. */
	cpu = cpu_ring0(fx);
	cpu.idtr_limit = 0x80 * 16 - 1;
	ev = external(0x7F);
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);
	g_assert_cmpuint(t.vector, ==, 0x7F);
	fixture_free(fx);
}

static void test_deliver_handler_cs_checks(void)
{
	static const struct {
		const char *what;
		uint16_t sel;
		uint8_t vector;
		uint32_t error_code;
	} cases[] = {
		{ "data segment",            SEL_KDATA,    RING_VEC_GP, SEL_KDATA | RING_EC_EXT },
		{ "32-bit code segment",     SEL_KCODE32,  RING_VEC_GP, SEL_KCODE32 | RING_EC_EXT },
		{ "code segment not present", SEL_KCODE_NP, RING_VEC_NP, SEL_KCODE_NP | RING_EC_EXT },
		{ "DPL 3 code from ring 0",  SEL_UCODE,    RING_VEC_GP, SEL_UCODE | RING_EC_EXT },
		{ "null selector",           0,            RING_VEC_GP, RING_EC_EXT },
		{ "past the GDT limit",      SEL_PAST_GDT, RING_VEC_GP, SEL_PAST_GDT | RING_EC_EXT },
		{ "LDT selector",            SEL_KCODE | RING_SEL_TI, RING_VEC_GP,
		  SEL_KCODE | RING_SEL_TI | RING_EC_EXT },
	};
	Fixture *fx = fixture_new();

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		RingCpu cpu = cpu_ring0(fx);
		RingEvent ev = external(0x81);
		RingTransition t;

		g_test_message("%s", cases[i].what);
		set_gate(fx, 0x81, RING_SYS_INT_GATE64, 0, cases[i].sel, 0, true);
		g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);
		g_assert_cmpuint(t.vector, ==, cases[i].vector);
		g_assert_cmphex(t.error_code, ==, cases[i].error_code);
		g_assert_cmpuint(t.escalations, ==, 0);
	}
	fixture_free(fx);
}

static void test_deliver_tss_limit(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring3(fx);
	RingEvent ev = soft_int(0x82);
	RingTransition t;

	/* Gate 0x82 wants IST3 (TSS + 0x34), but the TSS ends after IST1. */
	set_gate(fx, 0x82, RING_SYS_INT_GATE64, 3, SEL_KCODE, 3, true);
	cpu.tr_limit = RING_TSS_IST1 + 7;
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);
	g_assert_cmpuint(t.vector, ==, RING_VEC_TS);
	g_assert_cmphex(t.error_code, ==, SEL_TSS);   /* TSS selector, EXT clear for INT n */
	g_assert_cmphex(cpu.rsp, ==, KSTACK_TOP - 48); /* #TS itself used RSP0, which fits */
	fixture_free(fx);
}

static void test_deliver_pf_during_push_escalates_to_df(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring3(fx);
	const RingCpu before = cpu;
	RingEvent ev = exception(RING_VEC_PF, RING_PFEC_U);
	RingTransition t;

	/* The kernel stack is not mapped: the first push of the #PF frame
	 * faults. #PF during #PF -> #DF, which runs on its IST1 stack. */
	put64(fx, TSS_GPA + RING_TSS_RSP0, BAD_RSP0);
	cpu.cr2 = 0x1234;
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);
	g_assert_cmpuint(t.vector, ==, RING_VEC_DF);
	g_assert_cmpuint(t.original_vector, ==, RING_VEC_PF);
	g_assert_cmpuint(t.escalations, ==, 1);
	g_assert_true(t.error_code_pushed);
	g_assert_cmphex(t.error_code, ==, 0);
	g_assert_cmphex(cpu.cr2, ==, BAD_RSP0 - 8);   /* the failed push, not 0x1234 */
	g_assert_cmphex(cpu.rip, ==, HANDLER(RING_VEC_DF));
	g_assert_cmphex(cpu.rsp, ==, IST1_TOP - 48);
	g_assert_cmphex(cpu.ss, ==, 0);
	assert_frame(fx, cpu.rsp + 8, before.rip, USER_CS, before.rflags, before.rsp, USER_SS);
	g_assert_true(g_str_has_prefix(t.detail, "#DF: #PF(0x2) during delivery of #PF"));
	fixture_free(fx);
}

static void test_deliver_gp_then_pf_is_serial(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring0(fx);
	RingEvent ev = exception(RING_VEC_GP, 0);
	RingTransition t;

	/* #GP's gate uses IST2, whose page is absent: a #PF while delivering a
	 * contributory fault is delivered serially, not as #DF. */
	set_gate(fx, RING_VEC_GP, RING_SYS_INT_GATE64, 0, SEL_KCODE, 2, true);
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);
	g_assert_cmpuint(t.vector, ==, RING_VEC_PF);
	g_assert_cmphex(t.error_code, ==, RING_PFEC_W);
	g_assert_cmpuint(t.escalations, ==, 0);
	g_assert_cmphex(cpu.cr2, ==, IST2_TOP - 8);
	g_assert_cmphex(cpu.rip, ==, HANDLER(RING_VEC_PF));
	fixture_free(fx);
}

static void test_deliver_contributory_pair_is_df(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring3(fx);
	const RingCpu before = cpu;
	RingEvent ev = soft_int(0x80);
	RingTransition t;

	/* INT 0x80 hits a DPL 0 gate -> #GP(0x402) (serial: INT n is benign);
	 * #GP's gate is not present -> #NP while delivering #GP: contributory
	 * after contributory = #DF. */
	set_gate(fx, 0x80, RING_SYS_INT_GATE64, 0, SEL_KCODE, 0, true);
	set_gate(fx, RING_VEC_GP, RING_SYS_INT_GATE64, 0, SEL_KCODE, 0, false);
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);
	g_assert_cmpuint(t.vector, ==, RING_VEC_DF);
	g_assert_cmpuint(t.escalations, ==, 1);
	g_assert_cmpuint(t.original_vector, ==, 0x80);
	g_assert_cmpuint(t.faults_during_delivery, ==, 2);
	g_assert_true(g_str_has_prefix(t.detail, "#DF: #NP(0x6b) during delivery of #GP"));
	/* #DF reports the INT instruction, as the #GP would have. */
	g_assert_cmphex(get64(fx, cpu.rsp + 8), ==, before.rip - 2);
	fixture_free(fx);
}

static void test_deliver_fault_during_df_is_triple(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring0(fx);
	RingCpu before;
	RingEvent ev = exception(RING_VEC_GP, 0);
	RingTransition t;

	/* #GP not present -> #NP -> #DF; #DF not present either -> shutdown. */
	set_gate(fx, RING_VEC_GP, RING_SYS_INT_GATE64, 0, SEL_KCODE, 0, false);
	set_gate(fx, RING_VEC_DF, RING_SYS_INT_GATE64, 0, SEL_KCODE, 1, false);
	before = cpu;
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_TRIPLE_FAULT);
	g_assert_cmpuint(t.escalations, ==, 2);
	g_assert_cmpuint(t.original_vector, ==, RING_VEC_GP);
	g_assert_true(g_str_has_prefix(t.detail, "triple fault: #NP(0x43) during delivery of #DF"));
	g_assert_cmpmem(&cpu, sizeof cpu, &before, sizeof before);

	/* A #PF while pushing the #DF frame is a triple fault too. */
	set_gate(fx, RING_VEC_DF, RING_SYS_INT_GATE64, 0, SEL_KCODE, 2, true);  /* IST2: absent */
	cpu = before;
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_TRIPLE_FAULT);
	g_assert_cmphex(cpu.cr2, ==, IST2_TOP - 8);
	fixture_free(fx);
}

static void test_deliver_unsupported(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring0(fx);
	RingCpu before;
	RingEvent ev = external(0x30);
	RingTransition t;

	cpu.efer &= ~RING_EFER_LMA;
	before = cpu;
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_UNSUPPORTED);
	g_assert_cmpmem(&cpu, sizeof cpu, &before, sizeof before);
	g_assert_cmpuint(strlen(t.detail), >, 0);

	/* A stack outside guest RAM cannot be modelled either. */
	cpu = cpu_ring0(fx);
	cpu.cr0 &= ~RING_CR0_PG;   /* Unicorn's boot state: long mode, no paging */
	cpu.rsp = 0x40000000ull;
	before = cpu;
	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_UNSUPPORTED);
	g_assert_nonnull(strstr(t.detail, "not backed"));
	g_assert_cmpmem(&cpu, sizeof cpu, &before, sizeof before);
	fixture_free(fx);
}

/* ---- SYSCALL / SYSRET ---------------------------------------------------------- */
static void test_syscall_basic(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring3(fx);
	RingTransition t;
	const uint64_t user_flags = RING_RFLAGS_FIXED | RING_RFLAGS_IF | RING_RFLAGS_TF |
	                            RING_RFLAGS_CF | RING_RFLAGS_RF;
	const uint64_t next = cpu.rip + 2;
	const uint64_t rsp = cpu.rsp;

	cpu.rflags = user_flags;
	g_assert_cmpint(ring_syscall(&cpu, next, &t), ==, RING_OK);
	g_assert_cmphex(cpu.rcx, ==, next);
	g_assert_cmphex(cpu.r11, ==, user_flags & ~RING_RFLAGS_RF);
	g_assert_cmphex(cpu.rflags, ==, RING_RFLAGS_FIXED | RING_RFLAGS_CF); /* IF, TF masked */
	g_assert_cmphex(cpu.cs, ==, SEL_KCODE);
	g_assert_cmphex(cpu.ss, ==, SEL_KDATA);
	g_assert_cmphex(cpu.rip, ==, LSTAR_VALUE);
	g_assert_cmphex(cpu.rsp, ==, rsp);   /* SYSCALL does not touch RSP */
	g_assert_cmpuint(ring_cpl(&cpu), ==, 0);
	g_assert_cmpint(t.cause, ==, RING_CAUSE_SYSCALL);
	g_assert_cmpuint(t.from_cpl, ==, 3);
	g_assert_cmpuint(t.to_cpl, ==, 0);

	/* And straight back: SYSRET restores RIP and RFLAGS from RCX and R11. */
	g_assert_cmpint(ring_sysret(&cpu, &t), ==, RING_OK);
	g_assert_cmphex(cpu.rip, ==, next);
	g_assert_cmphex(cpu.cs, ==, USER_CS);
	g_assert_cmphex(cpu.ss, ==, USER_SS);
	g_assert_cmphex(cpu.rflags, ==, user_flags & ~RING_RFLAGS_RF);
	g_assert_cmpint(t.cause, ==, RING_CAUSE_SYSRET);
	g_assert_cmpuint(t.to_cpl, ==, 3);
	fixture_free(fx);
}

static void test_syscall_sce_clear_ud(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring3(fx);
	RingCpu before;
	RingTransition t;

	cpu.efer &= ~RING_EFER_SCE;
	before = cpu;
	g_assert_cmpint(ring_syscall(&cpu, cpu.rip + 2, &t), ==, RING_FAULT);
	g_assert_cmpuint(t.vector, ==, RING_VEC_UD);
	g_assert_false(t.error_code_pushed);
	g_assert_cmpmem(&cpu, sizeof cpu, &before, sizeof before);

	/* SYSRET is #UD too without SCE, before any CPL check. */
	cpu = cpu_ring0(fx);
	cpu.efer &= ~RING_EFER_SCE;
	g_assert_cmpint(ring_sysret(&cpu, &t), ==, RING_FAULT);
	g_assert_cmpuint(t.vector, ==, RING_VEC_UD);

	/* ring_fault_event() turns it into something to deliver. */
	RingEvent ev;
	ring_fault_event(&t, &ev);
	g_assert_cmpuint(ev.vector, ==, RING_VEC_UD);
	g_assert_cmpint(ev.cause, ==, RING_CAUSE_EXCEPTION);
	g_assert_false(ev.has_error_code);
	fixture_free(fx);
}

static void test_sysret_noncanonical_gp(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring0(fx);
	RingCpu before;
	RingTransition t;

	cpu.rcx = NONCANONICAL;
	cpu.rsp = USTACK_PAGE + 0xF00;   /* the kernel already restored the user's RSP */
	before = cpu;
	g_assert_cmpint(ring_sysret(&cpu, &t), ==, RING_FAULT);
	g_assert_cmpuint(t.vector, ==, RING_VEC_GP);
	g_assert_true(t.error_code_pushed);
	g_assert_cmphex(t.error_code, ==, 0);
	/* Still ring 0, still on the user's stack: the hazard. */
	g_assert_cmpmem(&cpu, sizeof cpu, &before, sizeof before);
	g_assert_cmpuint(ring_cpl(&cpu), ==, 0);

	/* SYSRET from ring 3 is #GP(0) as well. */
	cpu = cpu_ring3(fx);
	cpu.rcx = UCODE_PAGE;
	g_assert_cmpint(ring_sysret(&cpu, &t), ==, RING_FAULT);
	g_assert_cmpuint(t.vector, ==, RING_VEC_GP);
	fixture_free(fx);
}

/* ---- IRETQ ------------------------------------------------------------------------ */
static void write_frame(Fixture *fx, uint64_t at, uint64_t rip, uint64_t cs, uint64_t rflags,
                        uint64_t rsp, uint64_t ss)
{
	put64(fx, at + 0, rip);
	put64(fx, at + 8, cs);
	put64(fx, at + 16, rflags);
	put64(fx, at + 24, rsp);
	put64(fx, at + 32, ss);
}

static void test_iret_to_ring3(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring3(fx);
	const RingCpu user = cpu;
	RingEvent ev = soft_int(0x80);
	RingTransition t;

	g_assert_cmpint(ring_deliver(&cpu, &fx->mem, &ev, &t), ==, RING_OK);
	g_assert_cmpint(ring_iret(&cpu, &fx->mem, &t), ==, RING_OK);
	/* The round trip restores everything the frame holds. */
	g_assert_cmphex(cpu.rip, ==, user.rip);
	g_assert_cmphex(cpu.cs, ==, user.cs);
	g_assert_cmphex(cpu.rflags, ==, user.rflags);
	g_assert_cmphex(cpu.rsp, ==, user.rsp);
	g_assert_cmphex(cpu.ss, ==, user.ss);
	g_assert_cmpint(t.cause, ==, RING_CAUSE_IRET);
	g_assert_cmpuint(t.from_cpl, ==, 0);
	g_assert_cmpuint(t.to_cpl, ==, 3);

	/* Ring 0 -> ring 0 with the null SS that delivery itself loads. */
	cpu = cpu_ring0(fx);
	cpu.ss = 0;
	cpu.rsp = KSTACK_PAGE + 0x800;
	write_frame(fx, cpu.rsp, HANDLER_BASE, SEL_KCODE, RING_RFLAGS_FIXED, KSTACK_PAGE + 0xF00, 0);
	g_assert_cmpint(ring_iret(&cpu, &fx->mem, &t), ==, RING_OK);
	g_assert_cmphex(cpu.ss, ==, 0);
	g_assert_cmphex(cpu.rsp, ==, KSTACK_PAGE + 0xF00);
	fixture_free(fx);
}

typedef struct IretCase {
	const char *what;
	uint8_t from_cpl;
	uint64_t cs, ss, rip;
	RingStatus status;
	uint8_t vector;
	uint32_t error_code;
} IretCase;

static void test_iret_rpl_check(void)
{
	static const IretCase cases[] = {
		{ "ring 3 forging a ring 0 CS", 3, SEL_KCODE, SEL_KDATA, HANDLER_BASE,
		  RING_FAULT, RING_VEC_GP, SEL_KCODE },
		{ "RPL 0 on a DPL 3 code segment", 0, SEL_UCODE, USER_SS, UCODE_PAGE,
		  RING_FAULT, RING_VEC_GP, SEL_UCODE },
		{ "CS is a data segment", 0, SEL_KDATA | 3, USER_SS, UCODE_PAGE,
		  RING_FAULT, RING_VEC_GP, SEL_KDATA },
		{ "CS not present", 0, SEL_KCODE_NP, 0, HANDLER_BASE,
		  RING_FAULT, RING_VEC_NP, SEL_KCODE_NP },
		{ "null CS", 0, 0, USER_SS, UCODE_PAGE, RING_FAULT, RING_VEC_GP, 0 },
		{ "non-canonical RIP", 0, USER_CS, USER_SS, NONCANONICAL, RING_FAULT, RING_VEC_GP, 0 },
		{ "SS RPL differs from CS RPL", 0, USER_CS, SEL_UDATA | 1, UCODE_PAGE,
		  RING_FAULT, RING_VEC_GP, SEL_UDATA },
		{ "SS is ring 0 data", 0, USER_CS, SEL_KDATA | 3, UCODE_PAGE,
		  RING_FAULT, RING_VEC_GP, SEL_KDATA },
		{ "SS is code", 0, USER_CS, USER_CS, UCODE_PAGE, RING_FAULT, RING_VEC_GP, SEL_UCODE },
		{ "null SS to ring 3", 0, USER_CS, 3, UCODE_PAGE, RING_FAULT, RING_VEC_GP, 0 },
		{ "null SS with RPL != new CPL", 0, SEL_KCODE, 3, HANDLER_BASE,
		  RING_FAULT, RING_VEC_GP, 0 },
		{ "ring 0 to ring 3, all good", 0, USER_CS, USER_SS, UCODE_PAGE, RING_OK, 0, 0 },
		{ "ring 3 to ring 3, all good", 3, USER_CS, USER_SS, UCODE_PAGE, RING_OK, 0, 0 },
		{ "to 32-bit code (compatibility mode)", 0, SEL_KCODE32, SEL_KDATA, 0x1000,
		  RING_UNSUPPORTED, 0, 0 },
	};
	Fixture *fx = fixture_new();

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const IretCase *c = &cases[i];
		RingCpu cpu = c->from_cpl == 3 ? cpu_ring3(fx) : cpu_ring0(fx);
		RingCpu before;
		RingTransition t;
		uint64_t frame = c->from_cpl == 3 ? USTACK_PAGE + 0x800 : KSTACK_PAGE + 0x800;

		g_test_message("%s", c->what);
		cpu.rsp = frame;
		write_frame(fx, frame, c->rip, c->cs, RING_RFLAGS_FIXED, USTACK_PAGE + 0xF00, c->ss);
		before = cpu;
		g_assert_cmpint(ring_iret(&cpu, &fx->mem, &t), ==, c->status);
		if (c->status == RING_FAULT) {
			g_assert_cmpuint(t.vector, ==, c->vector);
			g_assert_cmphex(t.error_code, ==, c->error_code);
			g_assert_cmpmem(&cpu, sizeof cpu, &before, sizeof before);
		} else if (c->status == RING_OK) {
			g_assert_cmphex(cpu.cs, ==, c->cs);
			g_assert_cmpuint(t.to_cpl, ==, c->cs & 3);
		}
	}
	fixture_free(fx);
}

static void test_iret_flags(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring3(fx);
	RingTransition t;
	const uint64_t image = RING_RFLAGS_FIXED | RING_RFLAGS_IOPL | RING_RFLAGS_ZF | RING_RFLAGS_AC;

	/* Ring 3 cannot raise its IOPL or clear IF through IRETQ; the other
	 * flags come back. */
	cpu.rsp = USTACK_PAGE + 0x800;
	write_frame(fx, cpu.rsp, UCODE_PAGE, USER_CS, image, USTACK_PAGE + 0xF00, USER_SS);
	g_assert_cmpint(ring_iret(&cpu, &fx->mem, &t), ==, RING_OK);
	g_assert_cmpuint(ring_iopl(&cpu), ==, 0);
	g_assert_true(cpu.rflags & RING_RFLAGS_IF);
	g_assert_true(cpu.rflags & RING_RFLAGS_ZF);
	g_assert_true(cpu.rflags & RING_RFLAGS_AC);

	/* Ring 0 can do both. */
	cpu = cpu_ring0(fx);
	cpu.rsp = KSTACK_PAGE + 0x800;
	write_frame(fx, cpu.rsp, UCODE_PAGE, USER_CS, image, USTACK_PAGE + 0xF00, USER_SS);
	g_assert_cmpint(ring_iret(&cpu, &fx->mem, &t), ==, RING_OK);
	g_assert_cmpuint(ring_iopl(&cpu), ==, 3);
	g_assert_false(cpu.rflags & RING_RFLAGS_IF);

	/* NT set: no task return in long mode. */
	cpu = cpu_ring0(fx);
	cpu.rflags |= RING_RFLAGS_NT;
	g_assert_cmpint(ring_iret(&cpu, &fx->mem, &t), ==, RING_FAULT);
	g_assert_cmpuint(t.vector, ==, RING_VEC_GP);
	fixture_free(fx);
}

static void test_iret_frame_faults(void)
{
	Fixture *fx = fixture_new();
	RingCpu cpu = cpu_ring0(fx);
	RingTransition t;

	/* The frame is on an absent page: #PF, CR2 loaded, nothing else. */
	cpu.rsp = ABSENT_PAGE + 0x100;
	g_assert_cmpint(ring_iret(&cpu, &fx->mem, &t), ==, RING_FAULT);
	g_assert_cmpuint(t.vector, ==, RING_VEC_PF);
	g_assert_cmphex(t.error_code, ==, 0);
	g_assert_cmphex(cpu.cr2, ==, ABSENT_PAGE + 0x100);
	g_assert_cmphex(cpu.rsp, ==, ABSENT_PAGE + 0x100);

	/* Ring 3 reading a frame on the kernel stack: a user-mode #PF. */
	cpu = cpu_ring3(fx);
	cpu.rsp = KSTACK_PAGE;
	g_assert_cmpint(ring_iret(&cpu, &fx->mem, &t), ==, RING_FAULT);
	g_assert_cmphex(t.error_code, ==, RING_PFEC_P | RING_PFEC_U);

	/* A non-canonical RSP is a stack fault. */
	cpu = cpu_ring0(fx);
	cpu.rsp = NONCANONICAL;
	g_assert_cmpint(ring_iret(&cpu, &fx->mem, &t), ==, RING_FAULT);
	g_assert_cmpuint(t.vector, ==, RING_VEC_SS);
	fixture_free(fx);
}

/* ---- Privileged instructions ----------------------------------------------------- */
static void test_priv_table(void)
{
	static const struct {
		const char *mnemonic;
		uint8_t cpl, iopl;
		uint64_t cr4;
		bool privileged, allowed;
	} cases[] = {
		{ "hlt", 3, 0, 0, true, false },
		{ "hlt", 0, 0, 0, true, true },
		{ "cli", 3, 0, 0, true, false },
		{ "cli", 3, 3, 0, true, true },      /* IOPL-sensitive, not CPL 0 only */
		{ "sti", 0, 0, 0, true, true },
		{ "in", 3, 0, 0, true, false },
		{ "out", 3, 3, 0, true, true },
		{ "rep outsb", 3, 0, 0, true, false },
		{ "insd", 0, 0, 0, true, true },
		{ "lgdt", 3, 3, 0, true, false },    /* IOPL does not help CPL 0 rules */
		{ "lidt", 0, 0, 0, true, true },
		{ "ltr", 3, 0, 0, true, false },
		{ "mov cr3", 3, 0, 0, true, false },
		{ "MOV DR7", 3, 0, 0, true, false },
		{ "mov cr", 0, 0, 0, true, true },
		{ "wrmsr", 3, 0, 0, true, false },
		{ "rdmsr", 0, 0, 0, true, true },
		{ "invlpg", 3, 0, 0, true, false },
		{ "swapgs", 3, 0, 0, true, false },
		{ "sysretq", 3, 0, 0, true, false },
		{ "rdtsc", 3, 0, 0, true, true },
		{ "rdtsc", 3, 0, RING_CR4_TSD, true, false },
		{ "rdtsc", 0, 0, RING_CR4_TSD, true, true },
		{ "rdpmc", 3, 0, 0, true, false },
		{ "rdpmc", 3, 0, RING_CR4_PCE, true, true },
		{ "sgdt", 3, 0, 0, true, true },
		{ "sidt", 3, 0, RING_CR4_UMIP, true, false },
		{ "add", 3, 0, 0, false, true },
		{ "syscall", 3, 0, 0, false, true },
		{ "iretq", 3, 0, 0, false, true },
		{ "mov", 3, 0, 0, false, true },
		{ "lock add", 3, 0, 0, false, true },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		RingCpu cpu = { .cs = (uint16_t)(SEL_KCODE | cases[i].cpl),
		                .rflags = RING_RFLAGS_FIXED |
		                          ((uint64_t)cases[i].iopl << RING_RFLAGS_IOPL_SHIFT),
		                .cr4 = cases[i].cr4 };
		const RingPrivRule *rule = ring_priv_lookup(cases[i].mnemonic);

		g_test_message("%s at CPL %u", cases[i].mnemonic, cases[i].cpl);
		g_assert_cmpint(rule != NULL, ==, cases[i].privileged);
		g_assert_cmpint(ring_priv_allowed(rule, &cpu), ==, cases[i].allowed);
	}

	/* Every table entry finds itself and explains itself. */
	size_t n;
	const RingPrivRule *table = ring_priv_table(&n);
	g_assert_cmpuint(n, >=, 20);
	for (size_t i = 0; i < n; i++) {
		g_assert_true(ring_priv_lookup(table[i].mnemonic) == &table[i]);
		g_assert_nonnull(table[i].why);
		g_assert_cmpuint(strlen(table[i].why), >, 20);
	}
	g_assert_null(ring_priv_lookup(NULL));
}

/* ---- Vectors and the double-fault table -------------------------------------------- */
static void test_df_table(void)
{
	/* SDM Vol. 3A, "Conditions for Generating a Double Fault", plus the
	 * #DF row from the description of interrupt 8. */
	static const struct {
		int first, second;
		RingDfAction action;
	} table[] = {
		{ RING_CLASS_BENIGN,       RING_CLASS_BENIGN,       RING_DF_SERIAL },
		{ RING_CLASS_BENIGN,       RING_CLASS_CONTRIBUTORY, RING_DF_SERIAL },
		{ RING_CLASS_BENIGN,       RING_CLASS_PAGE_FAULT,   RING_DF_SERIAL },
		{ RING_CLASS_CONTRIBUTORY, RING_CLASS_BENIGN,       RING_DF_SERIAL },
		{ RING_CLASS_CONTRIBUTORY, RING_CLASS_CONTRIBUTORY, RING_DF_DOUBLE_FAULT },
		{ RING_CLASS_CONTRIBUTORY, RING_CLASS_PAGE_FAULT,   RING_DF_SERIAL },
		{ RING_CLASS_PAGE_FAULT,   RING_CLASS_BENIGN,       RING_DF_SERIAL },
		{ RING_CLASS_PAGE_FAULT,   RING_CLASS_CONTRIBUTORY, RING_DF_DOUBLE_FAULT },
		{ RING_CLASS_PAGE_FAULT,   RING_CLASS_PAGE_FAULT,   RING_DF_DOUBLE_FAULT },
		{ RING_CLASS_DOUBLE_FAULT, RING_CLASS_CONTRIBUTORY, RING_DF_SHUTDOWN },
		{ RING_CLASS_DOUBLE_FAULT, RING_CLASS_PAGE_FAULT,   RING_DF_SHUTDOWN },
	};
	/* SDM Vol. 3A, "Interrupt and Exception Classes". */
	static const struct {
		uint8_t vector;
		int cls;
	} classes[] = {
		{ 0, RING_CLASS_CONTRIBUTORY }, { 1, RING_CLASS_BENIGN },  { 2, RING_CLASS_BENIGN },
		{ 3, RING_CLASS_BENIGN },       { 4, RING_CLASS_BENIGN },  { 5, RING_CLASS_BENIGN },
		{ 6, RING_CLASS_BENIGN },       { 7, RING_CLASS_BENIGN },  { 8, RING_CLASS_DOUBLE_FAULT },
		{ 9, RING_CLASS_BENIGN },       { 10, RING_CLASS_CONTRIBUTORY },
		{ 11, RING_CLASS_CONTRIBUTORY }, { 12, RING_CLASS_CONTRIBUTORY },
		{ 13, RING_CLASS_CONTRIBUTORY }, { 14, RING_CLASS_PAGE_FAULT },
		{ 16, RING_CLASS_BENIGN },      { 17, RING_CLASS_BENIGN }, { 18, RING_CLASS_BENIGN },
		{ 19, RING_CLASS_BENIGN },      { 20, RING_CLASS_PAGE_FAULT },
		{ 0x20, RING_CLASS_BENIGN },    { 0x80, RING_CLASS_BENIGN }, { 0xFF, RING_CLASS_BENIGN },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(table); i++)
		g_assert_cmpint(ring_df_action(table[i].first, table[i].second), ==, table[i].action);
	for (size_t i = 0; i < G_N_ELEMENTS(classes); i++) {
		g_test_message("vector %u", classes[i].vector);
		g_assert_cmpint(ring_exception_class(classes[i].vector), ==, classes[i].cls);
	}
}

static void test_vectors(void)
{
	static const uint8_t with_error_code[] = { 8, 10, 11, 12, 13, 14, 17, 21, 29, 30 };

	for (unsigned v = 0; v < 256; v++) {
		bool expect = memchr(with_error_code, (int)v, sizeof with_error_code) != NULL;
		g_assert_cmpint(ring_vector_has_error_code((uint8_t)v), ==, expect);
	}
	g_assert_cmpstr(ring_vector_mnemonic(0), ==, "#DE");
	g_assert_cmpstr(ring_vector_mnemonic(2), ==, "NMI");
	g_assert_cmpstr(ring_vector_mnemonic(8), ==, "#DF");
	g_assert_cmpstr(ring_vector_mnemonic(13), ==, "#GP");
	g_assert_cmpstr(ring_vector_mnemonic(14), ==, "#PF");
	g_assert_null(ring_vector_mnemonic(15));
	g_assert_null(ring_vector_mnemonic(0x80));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/rings/paging/4k-user", test_paging_4k_user);
	g_test_add_func("/rings/paging/supervisor-from-user", test_paging_supervisor_from_user);
	g_test_add_func("/rings/paging/upper-level-rights", test_paging_upper_level_rights);
	g_test_add_func("/rings/paging/wp", test_paging_wp);
	g_test_add_func("/rings/paging/nx", test_paging_nx);
	g_test_add_func("/rings/paging/smep-smap", test_paging_smep_smap);
	g_test_add_func("/rings/paging/large-pages", test_paging_large_pages);
	g_test_add_func("/rings/paging/noncanonical", test_paging_noncanonical);
	g_test_add_func("/rings/paging/off", test_paging_off);
	g_test_add_func("/rings/paging/table-outside-ram", test_paging_table_outside_ram);
	g_test_add_func("/rings/paging/cross-page", test_paging_cross_page);
	g_test_add_func("/rings/desc/gdt", test_desc_gdt);
	g_test_add_func("/rings/deliver/int80-ring3-to-ring0", test_deliver_int80_ring3_to_ring0);
	g_test_add_func("/rings/deliver/gp-error-code", test_deliver_gp_error_code);
	g_test_add_func("/rings/deliver/trap-gate-keeps-if", test_deliver_trap_gate_keeps_if);
	g_test_add_func("/rings/deliver/exception-no-switch-in-ring0",
	                test_deliver_exception_no_switch_in_ring0);
	g_test_add_func("/rings/deliver/ist", test_deliver_ist);
	g_test_add_func("/rings/deliver/dpl-check-int-from-ring3",
	                test_deliver_dpl_check_int_from_ring3);
	g_test_add_func("/rings/deliver/not-present", test_deliver_not_present);
	g_test_add_func("/rings/deliver/idt-limit", test_deliver_idt_limit);
	g_test_add_func("/rings/deliver/handler-cs-checks", test_deliver_handler_cs_checks);
	g_test_add_func("/rings/deliver/tss-limit", test_deliver_tss_limit);
	g_test_add_func("/rings/deliver/pf-during-push-escalates-to-df",
	                test_deliver_pf_during_push_escalates_to_df);
	g_test_add_func("/rings/deliver/gp-then-pf-is-serial", test_deliver_gp_then_pf_is_serial);
	g_test_add_func("/rings/deliver/contributory-pair-is-df", test_deliver_contributory_pair_is_df);
	g_test_add_func("/rings/deliver/fault-during-df-is-triple",
	                test_deliver_fault_during_df_is_triple);
	g_test_add_func("/rings/deliver/unsupported", test_deliver_unsupported);
	g_test_add_func("/rings/syscall/basic", test_syscall_basic);
	g_test_add_func("/rings/syscall/sce-clear-ud", test_syscall_sce_clear_ud);
	g_test_add_func("/rings/sysret/noncanonical-gp", test_sysret_noncanonical_gp);
	g_test_add_func("/rings/iret/to-ring3", test_iret_to_ring3);
	g_test_add_func("/rings/iret/rpl-check", test_iret_rpl_check);
	g_test_add_func("/rings/iret/flags", test_iret_flags);
	g_test_add_func("/rings/iret/frame-faults", test_iret_frame_faults);
	g_test_add_func("/rings/priv/table", test_priv_table);
	g_test_add_func("/rings/df-table", test_df_table);
	g_test_add_func("/rings/vectors", test_vectors);

	return g_test_run();
}
