/* test-partition.c — tests for the first partition-management hypercalls
 * (hv-hypercall.c, hv-partition.c): who may call them (the late-launched
 * root partition, not a guest that started under the hypervisor), child ids,
 * the life cycle created -> initialized -> finalized -> deleted, every bad
 * input the calls must refuse, and the `child` event stream; then the
 * child's resources: DepositMemory, CreateVp/DeleteVp (with the profiles'
 * VP limits) and Map/UnmapGpaPages read back through the child's EPT.
 * Host test program (GLib test framework). Statuses and layouts are typed
 * in from shared/reference/hyperv-facts.md §1.3 and §3.4-3.7.
 *
 * The root is made the way the real one is: a hello.elf machine powered on
 * with late launch, whose VP then takes the OUT to the hvboot port as an
 * exit (what hvboot does in the "boot" scenario), so late_launch() itself
 * grants the root's rights; no test-only hook sets privileges. One test
 * also runs the real "boot" scenario and checks the launched OS is root. */
#include <glib.h>
#include <string.h>

#include "hvsim-platform.h"
#include "sim-harness.h"

#define HCPAGE_GPA 0x200000ull
#define IN_GPA     0x201000ull
#define OUT_GPA    0x202000ull
#define MEM_END    SIM_DEFAULT_MEMORY_SIZE
#define OUT_FILL   0x5A

#define REP(n)     ((uint64_t)(n) << 32)
#define FAST       (1ull << 16)

/* Hypercall rights (CPUID 0x40000003 EBX) by bit number, facts §1.3. */
#define EBX_CREATE_PARTITIONS    (1u << 0)
#define EBX_ACCESS_PARTITION_ID  (1u << 1)
#define EBX_ACCESS_MEMORY_POOL   (1u << 2)
#define EBX_POST_MESSAGES        (1u << 4)
#define EBX_SIGNAL_EVENTS        (1u << 5)
#define EBX_CREATE_PORT          (1u << 6)
#define EBX_CONNECT_PORT         (1u << 7)
#define EBX_ACCESS_VP_REGISTERS  (1u << 17)

/* ==== machines ================================================================= */

/* Output page filled, hypercall page on, RIP where a caller's would be. */
static void prepare_calls(Harness *h)
{
	guint8 fill[HV_PAGE_SIZE];
	harness_enable_hypercall_page(h, HCPAGE_GPA);
	memset(fill, OUT_FILL, sizeof fill);
	g_assert_true(sim_memory_write(&h->p->mem, OUT_GPA, fill, sizeof fill));
	harness_set_reg(h, SIM_REG_RIP, HCPAGE_GPA);
}

static void init_root(Harness *h, SimVendor vendor)
{
	harness_init_root(h, vendor);
	prepare_calls(h);
}

static void init_guest(Harness *h)
{
	harness_init_hello(h, SIM_VENDOR_INTEL);
	prepare_calls(h);
}

/* ==== issuing calls ============================================================ */


static void write_in(Harness *h, const void *in, gsize len)
{
	g_assert_true(sim_memory_write(&h->p->mem, IN_GPA, in, len));
}

static uint64_t read_u64(Harness *h, uint64_t gpa)
{
	uint64_t v;
	g_assert_true(sim_memory_read(&h->p->mem, gpa, &v, sizeof v));
	return v;
}

static void assert_out_untouched(Harness *h)
{
	for (uint64_t i = 0; i < HV_PAGE_SIZE; i++) {
		guint8 b;
		g_assert_true(sim_memory_read(&h->p->mem, OUT_GPA + i, &b, 1));
		g_assert_cmphex(b, ==, OUT_FILL);
	}
}

/* HvCallCreatePartition with a plausible input; returns the status and the
 * new id in *id (left alone on failure). */
static uint16_t create(Harness *h, uint64_t *id)
{
	guint8 in[56];
	memset(in, 0, sizeof in);
	uint64_t flags = 0x1, proximity = 0, disabled = 0x10;
	uint32_t compat = 0x100;
	memcpy(in + 0, &flags, 8);
	memcpy(in + 8, &proximity, 8);
	memcpy(in + 16, &compat, 4);
	memcpy(in + 24, &disabled, 8);
	write_in(h, in, sizeof in);
	uint16_t st = harness_hypercall(h, HVCALL_CREATE_PARTITION, IN_GPA, OUT_GPA);
	if (st == HV_STATUS_SUCCESS) {
		*id = read_u64(h, OUT_GPA);
		/* Exactly the 8-byte NewPartitionId was written. */
		for (uint64_t i = 8; i < HV_PAGE_SIZE; i++) {
			guint8 b;
			g_assert_true(sim_memory_read(&h->p->mem, OUT_GPA + i, &b, 1));
			g_assert_cmphex(b, ==, OUT_FILL);
		}
		guint8 fill[8];
		memset(fill, OUT_FILL, sizeof fill);
		g_assert_true(sim_memory_write(&h->p->mem, OUT_GPA, fill, sizeof fill));
	}
	return st;
}

static uint64_t create_ok(Harness *h)
{
	uint64_t id = 0;
	g_assert_cmphex(create(h, &id), ==, HV_STATUS_SUCCESS);
	return id;
}

/* Initialize / Finalize / Delete: input 0:8 PartitionId. */
static uint16_t id_call(Harness *h, uint16_t code, uint64_t id)
{
	write_in(h, &id, sizeof id);
	return harness_hypercall(h, code, IN_GPA, OUT_GPA);
}

static uint16_t get_property(Harness *h, uint64_t id, uint32_t code, uint32_t rsvd)
{
	guint8 in[16];
	memcpy(in, &id, 8);
	memcpy(in + 8, &code, 4);
	memcpy(in + 12, &rsvd, 4);
	write_in(h, in, sizeof in);
	return harness_hypercall(h, HVCALL_GET_PARTITION_PROPERTY, IN_GPA, OUT_GPA);
}

static SimChild *child_object(Harness *h, uint64_t id)
{
	for (guint i = 0; i < h->m->children->len; i++) {
		SimChild *c = g_ptr_array_index(h->m->children, i);
		if (c->id == id)
			return c;
	}
	return NULL;
}

/* ==== privileges =============================================================== */

static uint32_t cpuid_ebx_features(Harness *h)
{
	uint32_t out[4];
	sim_hv_cpuid(h->vp, HV_CPUID_FEATURES, 0, out);
	return out[1];
}

static void test_privileges_root(void)
{
	Harness h;
	init_root(&h, SIM_VENDOR_INTEL);
	const uint32_t want = EBX_CREATE_PARTITIONS | EBX_ACCESS_PARTITION_ID | EBX_ACCESS_MEMORY_POOL |
	                      EBX_POST_MESSAGES | EBX_SIGNAL_EVENTS | EBX_CREATE_PORT | EBX_CONNECT_PORT |
	                      EBX_ACCESS_VP_REGISTERS;
	g_assert_cmphex(cpuid_ebx_features(&h), ==, want);
	g_assert_cmphex(h.p->privileges, ==, SIM_PRIV_ROOT);
	/* The MSR rights (EAX) are the guest's: launch adds only hypercall rights. */
	g_assert_cmphex((uint32_t)h.p->privileges, ==, (uint32_t)SIM_PRIV_GUEST);
	harness_fini(&h);
}

static void test_privileges_guest(void)
{
	Harness h;
	init_guest(&h);
	g_assert_cmphex(cpuid_ebx_features(&h), ==, EBX_ACCESS_PARTITION_ID | EBX_ACCESS_VP_REGISTERS);
	g_assert_cmphex(h.p->privileges, ==, SIM_PRIV_GUEST);
	harness_fini(&h);
}

/* The real boot scenario: the OS that runs hvboot ends up root. */
static void test_privileges_boot_scenario(void)
{
	g_autoptr(GError) error = NULL;
	SimConfig cfg = { .vendor = SIM_VENDOR_AMD };
	SimMachine *m = sim_machine_new(&cfg, &error);
	g_assert_no_error(error);
	SimPartition *p = sim_load_scenario_or_image(m, "boot", &error);
	g_assert_no_error(error);
	g_assert_cmphex(p->privileges, ==, SIM_PRIV_GUEST);     /* before launch */
	g_assert_cmpint(sim_machine_run(m), ==, SIM_OUTCOME_SHUTDOWN);
	g_assert_true(p->hv_active);
	g_assert_cmphex(p->privileges, ==, SIM_PRIV_ROOT);
	sim_machine_free(m);
}

/* A guest that started under the hypervisor may not manage partitions:
 * every call is ACCESS_DENIED, no child appears, no output is written. */
static void test_denied(void)
{
	static const uint16_t codes[] = {
		HVCALL_CREATE_PARTITION, HVCALL_INITIALIZE_PARTITION, HVCALL_FINALIZE_PARTITION,
		HVCALL_DELETE_PARTITION, HVCALL_GET_PARTITION_PROPERTY,
	};
	Harness h;
	init_guest(&h);
	guint8 zero[56] = { 0 };
	uint64_t two = 2;
	for (gsize i = 0; i < G_N_ELEMENTS(codes); i++) {
		guint first = h.events->len;
		write_in(&h, zero, sizeof zero);
		if (codes[i] != HVCALL_CREATE_PARTITION)
			write_in(&h, &two, sizeof two);
		g_assert_cmphex(harness_hypercall(&h, codes[i], IN_GPA, OUT_GPA), ==, HV_STATUS_ACCESS_DENIED);
		g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_CHILD), ==, 0);
		assert_out_untouched(&h);
	}
	g_assert_cmpuint(h.m->children->len, ==, 0);
	harness_fini(&h);
}

/* ==== life cycle =============================================================== */

static void assert_child_event(const SimEvent *ev, uint64_t child, SimChildState state, const char *text)
{
	g_assert_nonnull(ev);
	g_assert_cmpint(ev->type, ==, SIM_EV_CHILD);
	g_assert_cmpuint(ev->partition, ==, 1);       /* emitted as the parent */
	g_assert_cmpuint(ev->u.child.child, ==, child);
	g_assert_cmpuint(ev->u.child.state, ==, state);
	g_assert_cmpstr(ev->text, ==, text);
}

static void lifecycle(SimVendor vendor)
{
	Harness h;
	init_root(&h, vendor);
	guint first = h.events->len;

	uint64_t id = create_ok(&h);
	g_assert_cmpuint(id, ==, 2);                 /* partition 1 is the root */
	SimChild *c = child_object(&h, id);
	g_assert_nonnull(c);
	g_assert_cmpuint(c->parent, ==, 1);
	g_assert_cmpint(c->state, ==, SIM_CHILD_CREATED);
	g_assert_cmphex(c->create.flags, ==, 0x1);
	g_assert_cmphex(c->create.compatibility_version, ==, 0x100);
	g_assert_cmphex(c->create.disabled_processor_features[0], ==, 0x10);
	/* A partition of the machine from now on, but with nothing to run:
	 * no VP until the parent creates one. */
	g_assert_cmpuint(sim_machine_n_partitions(h.m), ==, 2);
	g_assert_true(c->part == sim_machine_find_partition(h.m, id));
	g_assert_cmpuint(c->part->vps->len, ==, 0);
	g_assert_cmpuint(sim_partition_parent(c->part), ==, 1);

	g_assert_cmphex(get_property(&h, id, 0, 0), ==, HV_STATUS_UNKNOWN_PROPERTY);
	assert_out_untouched(&h);
	g_assert_cmphex(id_call(&h, HVCALL_INITIALIZE_PARTITION, id), ==, HV_STATUS_SUCCESS);
	g_assert_cmpint(c->state, ==, SIM_CHILD_INITIALIZED);
	g_assert_cmphex(id_call(&h, HVCALL_FINALIZE_PARTITION, id), ==, HV_STATUS_SUCCESS);
	g_assert_cmpint(c->state, ==, SIM_CHILD_FINALIZED);
	g_assert_cmphex(id_call(&h, HVCALL_DELETE_PARTITION, id), ==, HV_STATUS_SUCCESS);
	g_assert_null(child_object(&h, id));
	/* Gone: the id names nothing any more. */
	g_assert_cmphex(id_call(&h, HVCALL_DELETE_PARTITION, id), ==, HV_STATUS_INVALID_PARTITION_ID);
	g_assert_cmphex(get_property(&h, id, 0, 0), ==, HV_STATUS_INVALID_PARTITION_ID);

	/* The stream: each state change is one child event, before its call's
	 * hypercall event; failed calls add none. */
	static const SimChildState states[] = {
		SIM_CHILD_CREATED, SIM_CHILD_INITIALIZED, SIM_CHILD_FINALIZED, SIM_CHILD_DELETED,
	};
	static const char *const texts[] = {
		"partition 2 created by partition 1", "partition 2 initialized by partition 1",
		"partition 2 finalized by partition 1", "partition 2 deleted by partition 1",
	};
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_CHILD), ==, G_N_ELEMENTS(states));
	guint k = 0;
	for (guint i = first; i < h.events->len; i++) {
		const SimEvent *ev = harness_event(&h, i);
		if (ev->type != SIM_EV_CHILD)
			continue;
		assert_child_event(ev, 2, states[k], texts[k]);
		const SimEvent *next = harness_event(&h, i + 1);
		g_assert_cmpint(next->type, ==, SIM_EV_HYPERCALL);
		g_assert_cmphex(next->u.hypercall.status, ==, HV_STATUS_SUCCESS);
		k++;
	}
	harness_fini(&h);
}

static void test_lifecycle_intel(void) { lifecycle(SIM_VENDOR_INTEL); }
static void test_lifecycle_amd(void) { lifecycle(SIM_VENDOR_AMD); }

/* Finalize may skip Initialize. */
static void test_finalize_uninitialized(void)
{
	Harness h;
	init_root(&h, SIM_VENDOR_INTEL);
	uint64_t id = create_ok(&h);
	g_assert_cmphex(id_call(&h, HVCALL_FINALIZE_PARTITION, id), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(id_call(&h, HVCALL_DELETE_PARTITION, id), ==, HV_STATUS_SUCCESS);
	g_assert_cmpuint(h.m->children->len, ==, 0);
	harness_fini(&h);
}

/* Ids: 1 is the root, children count up from 2, are unique, never 0 or
 * SELF, and a deleted child's id is not handed out again. */
static void test_ids(void)
{
	Harness h;
	init_root(&h, SIM_VENDOR_INTEL);
	uint64_t ids[12];
	guint n = 0;
	for (guint i = 0; i < 4; i++)
		ids[n++] = create_ok(&h);
	/* Delete the newest and the oldest. */
	for (guint k = 0; k < 2; k++) {
		uint64_t victim = k == 0 ? ids[3] : ids[0];
		g_assert_cmphex(id_call(&h, HVCALL_FINALIZE_PARTITION, victim), ==, HV_STATUS_SUCCESS);
		g_assert_cmphex(id_call(&h, HVCALL_DELETE_PARTITION, victim), ==, HV_STATUS_SUCCESS);
	}
	for (guint i = 0; i < 4; i++)
		ids[n++] = create_ok(&h);
	for (guint i = 0; i < n; i++) {
		g_assert_cmpuint(ids[i], ==, 2 + i);       /* strictly monotonic, no reuse */
		g_assert_cmpuint(ids[i], !=, HV_PARTITION_ID_INVALID);
		g_assert_cmpuint(ids[i], !=, HV_PARTITION_ID_SELF);
		g_assert_cmpuint(ids[i], !=, h.p->id);
	}
	g_assert_cmpuint(h.m->children->len, ==, 6);
	/* Every child was a partition of the machine; a deleted one stays only
	 * for the summary and can no longer be found by id. */
	g_assert_cmpuint(sim_machine_n_partitions(h.m), ==, 1 + 8);
	for (guint i = 0; i < 8; i++) {
		SimPartition *cp = sim_machine_partition(h.m, 1 + i);
		g_assert_cmpuint(sim_partition_parent(cp), ==, h.p->id);
		g_assert_true(cp->deleted == (cp->id == 2 || cp->id == 5));
		g_assert_true((sim_machine_find_partition(h.m, cp->id) == NULL) == cp->deleted);
	}
	harness_fini(&h);
}

/* The model's pool holds SIM_CHILD_MAX live children; deleting one frees
 * a slot (with a new id). */
static void test_pool_full(void)
{
	Harness h;
	init_root(&h, SIM_VENDOR_INTEL);
	uint64_t first_id = 0, id = 0;
	for (guint i = 0; i < SIM_CHILD_MAX; i++) {
		id = create_ok(&h);
		if (i == 0)
			first_id = id;
	}
	guint before = h.events->len;
	uint64_t none = 0x1234;
	g_assert_cmphex(create(&h, &none), ==, HV_STATUS_INSUFFICIENT_MEMORY);
	g_assert_cmphex(none, ==, 0x1234);
	assert_out_untouched(&h);
	g_assert_cmpuint(harness_count_from(&h, before, SIM_EV_CHILD), ==, 0);
	g_assert_cmphex(id_call(&h, HVCALL_FINALIZE_PARTITION, first_id), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(id_call(&h, HVCALL_DELETE_PARTITION, first_id), ==, HV_STATUS_SUCCESS);
	g_assert_cmpuint(create_ok(&h), ==, id + 1);
	harness_fini(&h);
}

/* ==== bad input ================================================================ */

typedef enum Target {
	T_NONE,          /* no child exists */
	T_CREATED, T_INITIALIZED, T_FINALIZED,
	T_FOREIGN,       /* a live child whose parent is another partition */
} Target;

typedef enum IdSel {
	ID_CHILD,        /* the child set up by `target` */
	ID_ZERO,         /* HV_PARTITION_ID_INVALID */
	ID_SELF,         /* HV_PARTITION_ID_SELF */
	ID_OWN,          /* the caller's own id (1) */
	ID_NEVER,        /* an id never allocated */
} IdSel;

#define NO_PATCH (-1)

typedef struct BadRow {
	const char *name;
	uint16_t code;
	uint64_t ctl_extra;      /* OR-ed into the input value (fast bit, rep count) */
	Target target;
	IdSel id;
	int patch_off;           /* byte of the input set to patch_val, or NO_PATCH */
	guint8 patch_val;
	uint64_t in_gpa, out_gpa;
	uint16_t status;
} BadRow;

#define STD IN_GPA, OUT_GPA

static const BadRow bad_rows[] = {
	/* CreatePartition: RsvdZ at 48:8, any byte. */
	{ "create/rsvd-low", HVCALL_CREATE_PARTITION, 0, T_NONE, ID_CHILD, 48, 0x01, STD, HV_STATUS_INVALID_PARAMETER },
	{ "create/rsvd-high", HVCALL_CREATE_PARTITION, 0, T_NONE, ID_CHILD, 55, 0x80, STD, HV_STATUS_INVALID_PARAMETER },
	{ "create/fast", HVCALL_CREATE_PARTITION, FAST, T_NONE, ID_CHILD, NO_PATCH, 0, 0, 0, HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "create/rep", HVCALL_CREATE_PARTITION, REP(1), T_NONE, ID_CHILD, NO_PATCH, 0, STD, HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "create/in-misaligned", HVCALL_CREATE_PARTITION, 0, T_NONE, ID_CHILD, NO_PATCH, 0, IN_GPA + 4, OUT_GPA, HV_STATUS_INVALID_ALIGNMENT },
	{ "create/in-crosses-page", HVCALL_CREATE_PARTITION, 0, T_NONE, ID_CHILD, NO_PATCH, 0, IN_GPA + 0xFE0, OUT_GPA, HV_STATUS_INVALID_ALIGNMENT },
	{ "create/out-misaligned", HVCALL_CREATE_PARTITION, 0, T_NONE, ID_CHILD, NO_PATCH, 0, IN_GPA, OUT_GPA + 1, HV_STATUS_INVALID_ALIGNMENT },
	{ "create/out-outside-ram", HVCALL_CREATE_PARTITION, 0, T_NONE, ID_CHILD, NO_PATCH, 0, IN_GPA, MEM_END, HV_STATUS_INVALID_ALIGNMENT },
	/* InitializePartition. */
	{ "initialize/unknown-id", HVCALL_INITIALIZE_PARTITION, 0, T_CREATED, ID_NEVER, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_ID },
	{ "initialize/id-0", HVCALL_INITIALIZE_PARTITION, 0, T_CREATED, ID_ZERO, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_ID },
	{ "initialize/self", HVCALL_INITIALIZE_PARTITION, 0, T_CREATED, ID_SELF, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_ID },
	{ "initialize/own-id", HVCALL_INITIALIZE_PARTITION, 0, T_CREATED, ID_OWN, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_ID },
	{ "initialize/foreign", HVCALL_INITIALIZE_PARTITION, 0, T_FOREIGN, ID_CHILD, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_ID },
	{ "initialize/twice", HVCALL_INITIALIZE_PARTITION, 0, T_INITIALIZED, ID_CHILD, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_STATE },
	{ "initialize/after-finalize", HVCALL_INITIALIZE_PARTITION, 0, T_FINALIZED, ID_CHILD, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_STATE },
	{ "initialize/fast", HVCALL_INITIALIZE_PARTITION, FAST, T_CREATED, ID_CHILD, NO_PATCH, 0, 2, 0, HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "initialize/rep", HVCALL_INITIALIZE_PARTITION, REP(1), T_CREATED, ID_CHILD, NO_PATCH, 0, STD, HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "initialize/in-misaligned", HVCALL_INITIALIZE_PARTITION, 0, T_CREATED, ID_CHILD, NO_PATCH, 0, IN_GPA + 2, OUT_GPA, HV_STATUS_INVALID_ALIGNMENT },
	{ "initialize/in-outside-ram", HVCALL_INITIALIZE_PARTITION, 0, T_CREATED, ID_CHILD, NO_PATCH, 0, MEM_END, OUT_GPA, HV_STATUS_INVALID_ALIGNMENT },
	/* FinalizePartition. */
	{ "finalize/unknown-id", HVCALL_FINALIZE_PARTITION, 0, T_CREATED, ID_NEVER, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_ID },
	{ "finalize/id-0", HVCALL_FINALIZE_PARTITION, 0, T_CREATED, ID_ZERO, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_ID },
	{ "finalize/self", HVCALL_FINALIZE_PARTITION, 0, T_CREATED, ID_SELF, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_ID },
	{ "finalize/foreign", HVCALL_FINALIZE_PARTITION, 0, T_FOREIGN, ID_CHILD, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_ID },
	{ "finalize/twice", HVCALL_FINALIZE_PARTITION, 0, T_FINALIZED, ID_CHILD, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_STATE },
	{ "finalize/fast", HVCALL_FINALIZE_PARTITION, FAST, T_CREATED, ID_CHILD, NO_PATCH, 0, 2, 0, HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "finalize/rep", HVCALL_FINALIZE_PARTITION, REP(2), T_CREATED, ID_CHILD, NO_PATCH, 0, STD, HV_STATUS_INVALID_HYPERCALL_INPUT },
	/* DeletePartition. */
	{ "delete/unknown-id", HVCALL_DELETE_PARTITION, 0, T_FINALIZED, ID_NEVER, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_ID },
	{ "delete/id-0", HVCALL_DELETE_PARTITION, 0, T_FINALIZED, ID_ZERO, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_ID },
	{ "delete/self", HVCALL_DELETE_PARTITION, 0, T_FINALIZED, ID_SELF, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_ID },
	{ "delete/own-id", HVCALL_DELETE_PARTITION, 0, T_FINALIZED, ID_OWN, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_ID },
	{ "delete/foreign", HVCALL_DELETE_PARTITION, 0, T_FOREIGN, ID_CHILD, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_ID },
	{ "delete/created", HVCALL_DELETE_PARTITION, 0, T_CREATED, ID_CHILD, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_STATE },
	{ "delete/initialized", HVCALL_DELETE_PARTITION, 0, T_INITIALIZED, ID_CHILD, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_STATE },
	{ "delete/fast", HVCALL_DELETE_PARTITION, FAST, T_FINALIZED, ID_CHILD, NO_PATCH, 0, 2, 0, HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "delete/rep", HVCALL_DELETE_PARTITION, REP(1), T_FINALIZED, ID_CHILD, NO_PATCH, 0, STD, HV_STATUS_INVALID_HYPERCALL_INPUT },
	/* GetPartitionProperty: RsvdZ at 12:4; no property code is known. */
	{ "get-property/rsvd", HVCALL_GET_PARTITION_PROPERTY, 0, T_CREATED, ID_CHILD, 15, 0x01, STD, HV_STATUS_INVALID_PARAMETER },
	{ "get-property/unknown-id", HVCALL_GET_PARTITION_PROPERTY, 0, T_CREATED, ID_NEVER, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_ID },
	{ "get-property/id-0", HVCALL_GET_PARTITION_PROPERTY, 0, T_CREATED, ID_ZERO, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_ID },
	{ "get-property/foreign", HVCALL_GET_PARTITION_PROPERTY, 0, T_FOREIGN, ID_CHILD, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_ID },
	{ "get-property/finalized", HVCALL_GET_PARTITION_PROPERTY, 0, T_FINALIZED, ID_CHILD, NO_PATCH, 0, STD, HV_STATUS_INVALID_PARTITION_STATE },
	{ "get-property/child", HVCALL_GET_PARTITION_PROPERTY, 0, T_INITIALIZED, ID_CHILD, NO_PATCH, 0, STD, HV_STATUS_UNKNOWN_PROPERTY },
	{ "get-property/self", HVCALL_GET_PARTITION_PROPERTY, 0, T_NONE, ID_SELF, NO_PATCH, 0, STD, HV_STATUS_UNKNOWN_PROPERTY },
	{ "get-property/own-id", HVCALL_GET_PARTITION_PROPERTY, 0, T_NONE, ID_OWN, NO_PATCH, 0, STD, HV_STATUS_UNKNOWN_PROPERTY },
	{ "get-property/code-ffffffff", HVCALL_GET_PARTITION_PROPERTY, 0, T_CREATED, ID_CHILD, 11, 0xFF, STD, HV_STATUS_UNKNOWN_PROPERTY },
	{ "get-property/fast", HVCALL_GET_PARTITION_PROPERTY, FAST, T_CREATED, ID_CHILD, NO_PATCH, 0, 2, 0, HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "get-property/rep", HVCALL_GET_PARTITION_PROPERTY, REP(1), T_CREATED, ID_CHILD, NO_PATCH, 0, STD, HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "get-property/out-outside-ram", HVCALL_GET_PARTITION_PROPERTY, 0, T_CREATED, ID_CHILD, NO_PATCH, 0, IN_GPA, MEM_END - 4, HV_STATUS_INVALID_ALIGNMENT },
};

/* Brings a new child to `target`; its id, or 0 for T_NONE. */
static uint64_t make_target(Harness *h, Target target)
{
	if (target == T_NONE)
		return 0;
	uint64_t id = create_ok(h);
	if (target == T_INITIALIZED)
		g_assert_cmphex(id_call(h, HVCALL_INITIALIZE_PARTITION, id), ==, HV_STATUS_SUCCESS);
	if (target == T_FINALIZED)
		g_assert_cmphex(id_call(h, HVCALL_FINALIZE_PARTITION, id), ==, HV_STATUS_SUCCESS);
	if (target == T_FOREIGN)
		child_object(h, id)->parent = 42; /* as if another root had created it */
	return id;
}

static void test_bad_input(gconstpointer data)
{
	const BadRow *r = data;
	Harness h;
	init_root(&h, SIM_VENDOR_INTEL);
	uint64_t child = make_target(&h, r->target);
	SimChild *c = child ? child_object(&h, child) : NULL;
	SimChildState state_before = c ? c->state : SIM_CHILD_CREATED;
	guint n_children = h.m->children->len;

	uint64_t id = 0;
	switch (r->id) {
	case ID_CHILD: id = child; break;
	case ID_ZERO: id = HV_PARTITION_ID_INVALID; break;
	case ID_SELF: id = HV_PARTITION_ID_SELF; break;
	case ID_OWN: id = h.p->id; break;
	case ID_NEVER: id = 77; break;
	}
	guint8 in[HV_PAGE_SIZE];
	memset(in, 0, sizeof in);
	if (r->code != HVCALL_CREATE_PARTITION)
		memcpy(in, &id, 8);
	if (r->patch_off != NO_PATCH)
		in[r->patch_off] = r->patch_val;
	/* The same bytes wherever a row points the input (misaligned rows too),
	 * up to the end of its page: the next page is the output page. */
	if (!(r->ctl_extra & FAST) && sim_memory_range_ok(&h.p->mem, r->in_gpa & ~0xFFFull, HV_PAGE_SIZE))
		g_assert_true(sim_memory_write(&h.p->mem, r->in_gpa, in,
		                               MIN(64, HV_PAGE_SIZE - (r->in_gpa & 0xFFF))));

	guint first = h.events->len;
	uint16_t st = harness_hypercall(&h, r->code | r->ctl_extra, r->in_gpa, r->out_gpa);
	if (st != r->status)
		g_test_message("%s: status 0x%04x, want 0x%04x", r->name, st, r->status);
	g_assert_cmphex(st, ==, r->status);
	/* A refused call changes nothing. */
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_CHILD), ==, 0);
	g_assert_cmpuint(h.m->children->len, ==, n_children);
	if (c)
		g_assert_cmpint(c->state, ==, state_before);
	assert_out_untouched(&h);
	harness_fini(&h);
}

/* ==== trace ==================================================================== */

static void test_json(void)
{
	SimEvent ev;
	sim_event_init(&ev, SIM_EV_CHILD);
	ev.seq = 9;
	ev.partition = 1;
	ev.u.child.child = 2;
	ev.u.child.state = SIM_CHILD_FINALIZED;
	g_strlcpy(ev.text, "partition 2 finalized by partition 1", sizeof ev.text);
	g_autoptr(GString) out = g_string_new(NULL);
	sim_event_to_json(&ev, "intel", out);
	g_assert_cmpstr(out->str, ==,
	                "{\"seq\":9,\"type\":\"child\",\"partition\":1,\"vp\":0,\"vtime\":0,"
	                "\"child\":2,\"state\":\"finalized\",\"text\":\"partition 2 finalized by partition 1\"}");
	g_assert_cmpstr(sim_child_state_name(SIM_CHILD_CREATED), ==, "created");
	g_assert_cmpstr(sim_child_state_name(SIM_CHILD_INITIALIZED), ==, "initialized");
	g_assert_cmpstr(sim_child_state_name(SIM_CHILD_DELETED), ==, "deleted");
	g_assert_cmpstr(sim_event_type_name(SIM_EV_CHILD), ==, "child");
}

/* ==== child resources: DepositMemory, CreateVp/DeleteVp, Map/UnmapGpaPages ===== */

#define PG(gpa) ((uint64_t)(gpa) >> 12)

/* A rep call: like harness_hypercall, but returns the reps completed in *reps. */
static uint16_t call_rep(Harness *h, uint16_t code, uint16_t count, uint16_t start, uint16_t *reps)
{
	guint first = h->events->len;
	harness_set_reg(h, SIM_REG_RCX, code | REP(count) | ((uint64_t)start << 48));
	harness_set_reg(h, SIM_REG_RDX, IN_GPA);
	harness_set_reg(h, SIM_REG_R8, OUT_GPA);
	g_assert_cmpint(harness_exit(h, VMX_EXIT_VMCALL, 3), ==, SIM_RESUME_NEXT);
	harness_assert_no_injection(h);
	uint64_t rax = harness_reg(h, SIM_REG_RAX);
	g_assert_cmpuint(harness_count_from(h, first, SIM_EV_HYPERCALL), ==, 1);
	g_assert_cmphex((rax >> 16) & 0xFFFF, ==, 0);
	*reps = (uint16_t)((rax >> 32) & 0xFFF);
	return (uint16_t)rax;
}

/* Header of `hdr_len` bytes, then the u64 list. */
static uint16_t rep_list(Harness *h, uint16_t code, const void *hdr, gsize hdr_len,
                         const uint64_t *list, uint16_t n, uint16_t *reps)
{
	guint8 in[HV_PAGE_SIZE];
	memset(in, 0, sizeof in);
	memcpy(in, hdr, hdr_len);
	memcpy(in + hdr_len, list, 8u * n);
	write_in(h, in, hdr_len + 8u * n);
	return call_rep(h, code, n, 0, reps);
}

static uint16_t deposit(Harness *h, uint64_t id, const uint64_t *pages, uint16_t n, uint16_t *reps)
{
	return rep_list(h, HVCALL_DEPOSIT_MEMORY, &id, 8, pages, n, reps);
}

static uint16_t map(Harness *h, uint64_t id, uint64_t base, uint64_t flags, const uint64_t *src,
                    uint16_t n, uint16_t *reps)
{
	uint64_t hdr[3] = { id, base, flags };
	return rep_list(h, HVCALL_MAP_GPA_PAGES, hdr, sizeof hdr, src, n, reps);
}

static uint16_t unmap(Harness *h, uint64_t id, uint64_t base, uint32_t flags, uint16_t n, uint16_t *reps)
{
	guint8 in[24];
	memset(in, 0, sizeof in);
	memcpy(in, &id, 8);
	memcpy(in + 8, &base, 8);
	memcpy(in + 16, &flags, 4);
	write_in(h, in, sizeof in);
	return call_rep(h, HVCALL_UNMAP_GPA_PAGES, n, 0, reps);
}

static uint16_t vp_call(Harness *h, uint16_t code, uint64_t id, uint32_t index, guint patch_off, guint8 patch_val)
{
	guint8 in[40];
	memset(in, 0, sizeof in);
	memcpy(in, &id, 8);
	memcpy(in + 8, &index, 4);
	if (patch_off)
		in[patch_off] = patch_val;
	write_in(h, in, code == HVCALL_CREATE_VP ? 40 : 16);
	return harness_hypercall(h, code, IN_GPA, OUT_GPA);
}

static uint64_t initialized_child(Harness *h)
{
	uint64_t id = create_ok(h);
	g_assert_cmphex(id_call(h, HVCALL_INITIALIZE_PARTITION, id), ==, HV_STATUS_SUCCESS);
	return id;
}

static void test_deposit(void)
{
	Harness h;
	init_root(&h, SIM_VENDOR_INTEL);
	uint64_t a = create_ok(&h);          /* deposits are allowed before Initialize */
	uint64_t b = initialized_child(&h);
	uint64_t fin = initialized_child(&h);
	g_assert_cmphex(id_call(&h, HVCALL_FINALIZE_PARTITION, fin), ==, HV_STATUS_SUCCESS);
	uint16_t reps;

	guint first = h.events->len;
	uint64_t good[] = { PG(0x300000), PG(0x301000) };
	g_assert_cmphex(deposit(&h, a, good, 2, &reps), ==, HV_STATUS_SUCCESS);
	g_assert_cmpuint(reps, ==, 2);
	g_assert_cmpuint(g_hash_table_size(child_object(&h, a)->deposited), ==, 2);
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_CHILD), ==, 2);
	const SimEvent *ev = harness_last_from(&h, first, SIM_EV_CHILD);
	g_assert_cmpuint(ev->u.child.child, ==, a);
	g_assert_cmpint(ev->u.child.state, ==, SIM_CHILD_CREATED);
	g_assert_nonnull(strstr(ev->text, "page 0x301 deposited"));

	static const struct {
		const char *name;
		int target;               /* 0 = a, 1 = b, 2 = finalized, 3 = never allocated */
		uint64_t page;
		uint16_t status;
	} bad[] = {
		{ "unknown id", 3, PG(0x310000), HV_STATUS_INVALID_PARTITION_ID },
		{ "finalized", 2, PG(0x310000), HV_STATUS_INVALID_PARTITION_STATE },
		{ "beyond RAM", 1, PG(MEM_END), HV_STATUS_INVALID_PARAMETER },
		{ "huge page number", 1, UINT64_MAX, HV_STATUS_INVALID_PARAMETER },
		{ "hypercall page", 1, PG(HCPAGE_GPA), HV_STATUS_INVALID_PARAMETER },
		{ "deposited to another child", 1, PG(0x300000), HV_STATUS_INVALID_PARAMETER },
		{ "deposited to the same child", 0, PG(0x301000), HV_STATUS_INVALID_PARAMETER },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		uint64_t ids[] = { a, b, fin, 77 };
		first = h.events->len;
		g_test_message("deposit: %s", bad[i].name);
		g_assert_cmphex(deposit(&h, ids[bad[i].target], &bad[i].page, 1, &reps), ==, bad[i].status);
		g_assert_cmpuint(reps, ==, 0);
		g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_CHILD), ==, 0);
	}
	g_assert_cmpuint(g_hash_table_size(child_object(&h, a)->deposited), ==, 2);

	/* A bad rep stops the call; the reps before it stay done. */
	uint64_t partial[] = { PG(0x310000), PG(MEM_END), PG(0x311000) };
	g_assert_cmphex(deposit(&h, b, partial, 3, &reps), ==, HV_STATUS_INVALID_PARAMETER);
	g_assert_cmpuint(reps, ==, 1);
	g_assert_cmpuint(g_hash_table_size(child_object(&h, b)->deposited), ==, 1);

	/* The pool bound: SIM_CHILD_DEPOSIT_MAX pages, then NO_RESOURCES. */
	SimChild *cb = child_object(&h, b);
	for (guint pg = 0; g_hash_table_size(cb->deposited) < SIM_CHILD_DEPOSIT_MAX; pg++)
		g_hash_table_add(cb->deposited, GUINT_TO_POINTER(0x80000000u + pg));
	uint64_t one = PG(0x320000);
	g_assert_cmphex(deposit(&h, b, &one, 1, &reps), ==, HV_STATUS_NO_RESOURCES);
	g_assert_cmpuint(reps, ==, 0);

	/* Deleting a child gives its pages back: they can be deposited again. */
	g_assert_cmphex(id_call(&h, HVCALL_FINALIZE_PARTITION, a), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(deposit(&h, a, good, 1, &reps), ==, HV_STATUS_INVALID_PARTITION_STATE);
	g_assert_cmphex(id_call(&h, HVCALL_DELETE_PARTITION, a), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(deposit(&h, a, good, 1, &reps), ==, HV_STATUS_INVALID_PARTITION_ID);
	uint64_t c2 = create_ok(&h);
	/* A continued call (start index 1) deposits only the reps from there. */
	guint8 in[24];
	memcpy(in, &c2, 8);
	memcpy(in + 8, good, 16);
	write_in(&h, in, sizeof in);
	g_assert_cmphex(call_rep(&h, HVCALL_DEPOSIT_MEMORY, 2, 1, &reps), ==, HV_STATUS_SUCCESS);
	g_assert_cmpuint(reps, ==, 2);
	g_assert_cmpuint(g_hash_table_size(child_object(&h, c2)->deposited), ==, 1);
	g_assert_true(g_hash_table_contains(child_object(&h, c2)->deposited, GUINT_TO_POINTER(0x301u)));
	g_assert_cmphex(deposit(&h, c2, good, 1, &reps), ==, HV_STATUS_SUCCESS);
	harness_fini(&h);
}

static void test_deposit_denied(void)
{
	Harness h;
	init_guest(&h);
	uint64_t page = PG(0x300000);
	uint16_t reps;
	g_assert_cmphex(deposit(&h, 2, &page, 1, &reps), ==, HV_STATUS_ACCESS_DENIED);
	uint64_t hdr[3] = { 2, 0x10, 1 };
	g_assert_cmphex(rep_list(&h, HVCALL_MAP_GPA_PAGES, hdr, sizeof hdr, &page, 1, &reps), ==,
	                HV_STATUS_ACCESS_DENIED);
	g_assert_cmphex(vp_call(&h, HVCALL_CREATE_VP, 2, 0, 0, 0), ==, HV_STATUS_ACCESS_DENIED);
	harness_fini(&h);
}

static void test_vps(void)
{
	Harness h;
	init_root(&h, SIM_VENDOR_INTEL);
	uint64_t created = create_ok(&h);
	uint64_t id = initialized_child(&h);
	SimChild *c = child_object(&h, id);

	guint first = h.events->len;
	for (uint32_t i = 0; i < 4; i++)
		g_assert_cmphex(vp_call(&h, HVCALL_CREATE_VP, id, i, 0, 0), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(c->vps, ==, 0xF);
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_CHILD), ==, 4);
	g_assert_nonnull(strstr(harness_event(&h, first + 1)->text, "VP 0 created"));

	static const struct {
		const char *name;
		uint16_t code;
		int target;              /* 0 = initialized, 1 = created only, 2 = unknown */
		uint32_t index;
		guint patch_off;
		guint8 patch_val;
		uint16_t status;
	} bad[] = {
		{ "duplicate", HVCALL_CREATE_VP, 0, 2, 0, 0, HV_STATUS_OBJECT_IN_USE },
		{ "index 4", HVCALL_CREATE_VP, 0, 4, 0, 0, HV_STATUS_INVALID_VP_INDEX },
		{ "index ANY", HVCALL_CREATE_VP, 0, 0xFFFFFFFF, 0, 0, HV_STATUS_INVALID_VP_INDEX },
		{ "rsvd 12", HVCALL_CREATE_VP, 0, 2, 12, 1, HV_STATUS_INVALID_PARAMETER },
		{ "rsvd 14", HVCALL_CREATE_VP, 0, 2, 14, 0x80, HV_STATUS_INVALID_PARAMETER },
		{ "flags", HVCALL_CREATE_VP, 0, 2, 32, 1, HV_STATUS_INVALID_PARAMETER },
		{ "flags high", HVCALL_CREATE_VP, 0, 2, 39, 0x80, HV_STATUS_INVALID_PARAMETER },
		{ "not initialized", HVCALL_CREATE_VP, 1, 0, 0, 0, HV_STATUS_INVALID_PARTITION_STATE },
		{ "unknown id", HVCALL_CREATE_VP, 2, 0, 0, 0, HV_STATUS_INVALID_PARTITION_ID },
		{ "delete rsvd", HVCALL_DELETE_VP, 0, 1, 12, 1, HV_STATUS_INVALID_PARAMETER },
		{ "delete index 4", HVCALL_DELETE_VP, 0, 4, 0, 0, HV_STATUS_INVALID_VP_INDEX },
		{ "delete not initialized", HVCALL_DELETE_VP, 1, 0, 0, 0, HV_STATUS_INVALID_PARTITION_STATE },
		{ "delete unknown id", HVCALL_DELETE_VP, 2, 0, 0, 0, HV_STATUS_INVALID_PARTITION_ID },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		uint64_t ids[] = { id, created, 77 };
		g_test_message("vp: %s", bad[i].name);
		first = h.events->len;
		g_assert_cmphex(vp_call(&h, bad[i].code, ids[bad[i].target], bad[i].index, bad[i].patch_off,
		                        bad[i].patch_val), ==, bad[i].status);
		g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_CHILD), ==, 0);
		g_assert_cmphex(c->vps, ==, 0xF);
	}
	/* SubnodeType, SubnodeId and ProximityDomainInfo are accepted. */
	g_assert_cmphex(vp_call(&h, HVCALL_DELETE_VP, id, 1, 0, 0), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(vp_call(&h, HVCALL_DELETE_VP, id, 1, 0, 0), ==, HV_STATUS_INVALID_VP_INDEX);
	g_assert_cmphex(c->vps, ==, 0xD);
	g_assert_cmphex(vp_call(&h, HVCALL_CREATE_VP, id, 1, 15, 3), ==, HV_STATUS_SUCCESS);
	/* Finalize deletes the remaining VPs. */
	g_assert_cmphex(id_call(&h, HVCALL_FINALIZE_PARTITION, id), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(c->vps, ==, 0);
	g_assert_cmphex(vp_call(&h, HVCALL_CREATE_VP, id, 0, 0, 0), ==, HV_STATUS_INVALID_PARTITION_STATE);
	harness_fini(&h);
}

static void vp_limit(const char *profile, uint32_t limit)
{
	Harness h;
	init_root(&h, SIM_VENDOR_INTEL);
	h.m->config.profile = sim_profile_find(profile);
	g_assert_nonnull(h.m->config.profile);
	uint64_t id = initialized_child(&h);
	for (uint32_t i = 0; i < limit; i++)
		g_assert_cmphex(vp_call(&h, HVCALL_CREATE_VP, id, i, 0, 0), ==, HV_STATUS_SUCCESS);
	guint first = h.events->len;
	g_assert_cmphex(vp_call(&h, HVCALL_CREATE_VP, id, limit, 0, 0), ==, HV_STATUS_INVALID_VP_INDEX);
	/* The refusal says so in the product's words. */
	const SimEvent *ev = harness_last_from(&h, first, SIM_EV_MESSAGE);
	g_assert_nonnull(ev);
	g_assert_nonnull(strstr(ev->text, h.m->config.profile->product));
	g_assert_nonnull(strstr(ev->text, "virtual processor"));
	harness_fini(&h);
}

static void test_vp_limit_vs2005(void) { vp_limit("virtual-server-2005", 1); }
static void test_vp_limit_hyperv2008(void) { vp_limit("hyperv-2008", 4); }

static void assert_translate(SimChild *c, uint64_t gpa, unsigned access, int want, uint64_t spa)
{
	VmxEptMem mem;
	VmxEptResult r;
	sim_child_ept_mem(c, &mem);
	g_assert_cmpint(vmx_ept_translate(&mem, c->eptp, gpa, access, &r), ==, want);
	if (want == VMX_EPT_OK) {
		g_assert_cmphex(r.spa, ==, spa);
		g_assert_cmphex(r.page_size, ==, 0x1000);
	}
}

static void test_map(void)
{
	Harness h;
	init_root(&h, SIM_VENDOR_INTEL);
	uint64_t created = create_ok(&h);
	uint64_t id = initialized_child(&h);
	SimChild *c = child_object(&h, id);
	uint16_t reps;
	uint64_t dep = PG(0x380000);
	g_assert_cmphex(deposit(&h, created, &dep, 1, &reps), ==, HV_STATUS_SUCCESS);

	guint first = h.events->len;
	uint64_t rw[] = { PG(0x300000), PG(0x301000), PG(0x302000) };
	g_assert_cmphex(map(&h, id, 0x10, 0x3, rw, 3, &reps), ==, HV_STATUS_SUCCESS);
	g_assert_cmpuint(reps, ==, 3);
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_CHILD), ==, 3);
	g_assert_nonnull(strstr(harness_event(&h, first + 1)->text, "GPA 0x10000 mapped to 0x300000"));
	g_assert_cmphex(c->eptp & 0x3F, ==, VMX_EPTP_WALK_4 | VMX_EPT_MT_WB);
	assert_translate(c, 0x11123, VMX_EPT_ACCESS_READ, VMX_EPT_OK, 0x301123);
	assert_translate(c, 0x12FF8, VMX_EPT_ACCESS_WRITE, VMX_EPT_OK, 0x302FF8);
	assert_translate(c, 0x10000, VMX_EPT_ACCESS_EXEC, VMX_EPT_VIOLATION, 0);
	assert_translate(c, 0x13000, VMX_EPT_ACCESS_READ, VMX_EPT_VIOLATION, 0);

	/* Read + kernel-execute; user-execute alone; the same source twice. */
	uint64_t rx = PG(0x303000);
	g_assert_cmphex(map(&h, id, 0x20, 0x5, &rx, 1, &reps), ==, HV_STATUS_SUCCESS);
	assert_translate(c, 0x20000, VMX_EPT_ACCESS_EXEC, VMX_EPT_OK, 0x303000);
	assert_translate(c, 0x20000, VMX_EPT_ACCESS_READ, VMX_EPT_OK, 0x303000);
	assert_translate(c, 0x20000, VMX_EPT_ACCESS_WRITE, VMX_EPT_VIOLATION, 0);
	g_assert_cmphex(map(&h, id, 0x21, 0x8, &rx, 1, &reps), ==, HV_STATUS_SUCCESS);
	assert_translate(c, 0x21000, VMX_EPT_ACCESS_EXEC, VMX_EPT_OK, 0x303000);
	assert_translate(c, 0x21000, VMX_EPT_ACCESS_READ, VMX_EPT_VIOLATION, 0);
	/* A high GPA needs tables of its own. */
	g_assert_cmphex(map(&h, id, PG(0x7FFFFFFFF000ull), 0x1, &rx, 1, &reps), ==, HV_STATUS_SUCCESS);
	assert_translate(c, 0x7FFFFFFFF010ull, VMX_EPT_ACCESS_READ, VMX_EPT_OK, 0x303010);
	guint mapped = g_hash_table_size(c->mapped);

	static const struct {
		const char *name;
		int target;             /* 0 = initialized, 1 = created only, 2 = unknown */
		uint64_t base, flags, src;
		uint16_t status;
	} bad[] = {
		{ "overlap", 0, 0x12, 0x3, PG(0x304000), HV_STATUS_INVALID_PARAMETER },
		{ "flags 0", 0, 0x30, 0x0, PG(0x304000), HV_STATUS_INVALID_PARAMETER },
		{ "write only", 0, 0x30, 0x2, PG(0x304000), HV_STATUS_INVALID_PARAMETER },
		{ "no-access backing", 0, 0x30, 0x10001, PG(0x304000), HV_STATUS_INVALID_PARAMETER },
		{ "not cached", 0, 0x30, 0x200001, PG(0x304000), HV_STATUS_INVALID_PARAMETER },
		{ "flag bit 4", 0, 0x30, 0x11, PG(0x304000), HV_STATUS_INVALID_PARAMETER },
		{ "GPA beyond 48 bits", 0, PG(1ull << 48), 0x1, PG(0x304000), HV_STATUS_INVALID_PARAMETER },
		{ "source beyond RAM", 0, 0x30, 0x1, PG(MEM_END), HV_STATUS_INVALID_PARAMETER },
		{ "source huge", 0, 0x30, 0x1, UINT64_MAX, HV_STATUS_INVALID_PARAMETER },
		{ "source hypercall page", 0, 0x30, 0x1, PG(HCPAGE_GPA), HV_STATUS_INVALID_PARAMETER },
		{ "source deposited", 0, 0x30, 0x1, PG(0x380000), HV_STATUS_INVALID_PARAMETER },
		{ "not initialized", 1, 0x30, 0x1, PG(0x304000), HV_STATUS_INVALID_PARTITION_STATE },
		{ "unknown id", 2, 0x30, 0x1, PG(0x304000), HV_STATUS_INVALID_PARTITION_ID },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		uint64_t ids[] = { id, created, 77 };
		g_test_message("map: %s", bad[i].name);
		first = h.events->len;
		g_assert_cmphex(map(&h, ids[bad[i].target], bad[i].base, bad[i].flags, &bad[i].src, 1, &reps), ==,
		                bad[i].status);
		g_assert_cmpuint(reps, ==, 0);
		g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_CHILD), ==, 0);
		g_assert_cmpuint(g_hash_table_size(c->mapped), ==, mapped);
	}
	/* The overlap left the old mapping alone. */
	assert_translate(c, 0x12000, VMX_EPT_ACCESS_WRITE, VMX_EPT_OK, 0x302000);
	assert_translate(c, 0x30000, VMX_EPT_ACCESS_READ, VMX_EPT_VIOLATION, 0);
	g_assert_cmpuint(g_hash_table_size(child_object(&h, created)->mapped), ==, 0);

	/* The range must fit 48 bits as a whole; a bad rep keeps the ones before. */
	uint64_t two[] = { PG(0x304000), PG(0x305000) };
	g_assert_cmphex(map(&h, id, PG(0xFFFFFFFFF000ull), 0x1, two, 2, &reps), ==, HV_STATUS_INVALID_PARAMETER);
	g_assert_cmpuint(reps, ==, 0);
	uint64_t partial[] = { PG(0x304000), PG(MEM_END) };
	g_assert_cmphex(map(&h, id, 0x30, 0x1, partial, 2, &reps), ==, HV_STATUS_INVALID_PARAMETER);
	g_assert_cmpuint(reps, ==, 1);
	assert_translate(c, 0x30000, VMX_EPT_ACCESS_READ, VMX_EPT_OK, 0x304000);
	assert_translate(c, 0x31000, VMX_EPT_ACCESS_READ, VMX_EPT_VIOLATION, 0);

	/* UnmapGpaPages. */
	first = h.events->len;
	g_assert_cmphex(unmap(&h, id, 0x10, 0, 3, &reps), ==, HV_STATUS_SUCCESS);
	g_assert_cmpuint(reps, ==, 3);
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_CHILD), ==, 3);
	assert_translate(c, 0x11000, VMX_EPT_ACCESS_READ, VMX_EPT_VIOLATION, 0);
	g_assert_cmphex(unmap(&h, id, 0x10, 0, 1, &reps), ==, HV_STATUS_INVALID_PARAMETER);
	g_assert_cmpuint(reps, ==, 0);
	g_assert_cmphex(unmap(&h, id, 0x20, 1, 1, &reps), ==, HV_STATUS_INVALID_PARAMETER);
	assert_translate(c, 0x20000, VMX_EPT_ACCESS_EXEC, VMX_EPT_OK, 0x303000);
	g_assert_cmphex(unmap(&h, id, 0x20, 0, 3, &reps), ==, HV_STATUS_INVALID_PARAMETER);
	g_assert_cmpuint(reps, ==, 2);
	g_assert_cmphex(unmap(&h, created, 0x20, 0, 1, &reps), ==, HV_STATUS_INVALID_PARTITION_STATE);
	/* Unmapped pages can be mapped again. */
	g_assert_cmphex(map(&h, id, 0x10, 0x7, rw, 1, &reps), ==, HV_STATUS_SUCCESS);
	assert_translate(c, 0x10000, VMX_EPT_ACCESS_EXEC, VMX_EPT_OK, 0x300000);

	/* Finalize drops the GPA map. */
	g_assert_cmphex(id_call(&h, HVCALL_FINALIZE_PARTITION, id), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(c->eptp, ==, 0);
	g_assert_cmpuint(g_hash_table_size(c->mapped), ==, 0);
	g_assert_cmphex(map(&h, id, 0x10, 0x1, rw, 1, &reps), ==, HV_STATUS_INVALID_PARTITION_STATE);
	harness_fini(&h);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sim/partition/privileges/root", test_privileges_root);
	g_test_add_func("/sim/partition/privileges/guest", test_privileges_guest);
	g_test_add_func("/sim/partition/privileges/boot-scenario", test_privileges_boot_scenario);
	g_test_add_func("/sim/partition/denied", test_denied);
	g_test_add_func("/sim/partition/lifecycle/intel", test_lifecycle_intel);
	g_test_add_func("/sim/partition/lifecycle/amd", test_lifecycle_amd);
	g_test_add_func("/sim/partition/lifecycle/finalize-uninitialized", test_finalize_uninitialized);
	g_test_add_func("/sim/partition/ids", test_ids);
	g_test_add_func("/sim/partition/pool-full", test_pool_full);
	for (gsize i = 0; i < G_N_ELEMENTS(bad_rows); i++) {
		g_autofree char *path = g_strdup_printf("/sim/partition/bad/%s", bad_rows[i].name);
		g_test_add_data_func(path, &bad_rows[i], test_bad_input);
	}
	g_test_add_func("/sim/partition/json", test_json);
	g_test_add_func("/sim/partition/deposit", test_deposit);
	g_test_add_func("/sim/partition/deposit-denied", test_deposit_denied);
	g_test_add_func("/sim/partition/vps", test_vps);
	g_test_add_func("/sim/partition/vp-limit/virtual-server-2005", test_vp_limit_vs2005);
	g_test_add_func("/sim/partition/vp-limit/hyperv-2008", test_vp_limit_hyperv2008);
	g_test_add_func("/sim/partition/map", test_map);
	return g_test_run();
}
