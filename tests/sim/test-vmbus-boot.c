/* test-vmbus-boot.c — VMBus between the parent and its child in the `boot`
 * scenario: the worker wires six ports and six connections through the
 * VID driver, the child's VMBus client (guest/kernel/vmbus-client.c) and
 * the parent's server (guest/kernel/vmbus-server.c) run the control
 * handshake over real SynIC messages (facts §5.5) with two offers (storage,
 * heartbeat), open the heartbeat channel over a
 * GPADL of the child's pages, and make one round trip over its rings with
 * SignalEvent in both directions; before it powers off, the child takes
 * VMBus down (CLOSECHANNEL, GPADL_TEARDOWN -> GPADL_TORNDOWN, UNLOAD ->
 * UNLOAD_RESPONSE). Checks the order in the event stream, the console
 * lines of both sides, and that the run ends cleanly; a child that crashes
 * instead (isolation) has its channel dropped by the server.
 * Host test program (GLib test framework). */
#include <glib.h>
#include <string.h>

#include "elf-builder.h"
#include "hv-tlfs.h"
#include "hvsim-platform.h"
#include "sim-harness.h"

#define PARENT 1u
#define CHILD  2u

/* ==== running ================================================================== */

/* Loads the named scenario and runs it to the end; events recorded. */
static SimOutcome run_named(Harness *h, const SimConfig *cfg, const char *scenario)
{
	harness_init_scenario(h, cfg, scenario);
	SimOutcome o = harness_run(h);
	g_test_message("outcome %d: %s", o, sim_machine_outcome_message(h->m));
	return o;
}

static gint console_find_from(Harness *h, guint from, const char *text)
{
	for (guint i = from; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type == SIM_EV_CONSOLE && strstr(e->text, text))
			return (gint)i;
	}
	return -1;
}

/* The partitions of the successful hypercalls with `code`, in order;
 * *failed counts the others. */
static GArray *hypercall_partitions(Harness *h, uint16_t code, gboolean fast_only, guint *failed)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(guint8));
	*failed = 0;
	for (guint i = 0; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type != SIM_EV_HYPERCALL || e->u.hypercall.code != code)
			continue;
		if (e->u.hypercall.status != HV_STATUS_SUCCESS) {
			(*failed)++;
			continue;
		}
		if (fast_only)
			g_assert_true(e->u.hypercall.fast);
		guint8 p = (guint8)e->partition;
		g_array_append_val(a, p);
	}
	return a;
}

/* The partitions that received a guest-posted (VMBus, type 1) message in
 * their SIM slot 2, in order (a message queued behind a full slot has a
 * second event, delivered = 0, when it is queued: not counted). */
static GArray *vmbus_message_targets(Harness *h)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(guint8));
	for (guint i = 0; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type != SIM_EV_SYNIC_MESSAGE || e->u.synic.message_type != 1u ||
		    !e->u.synic.delivered)
			continue;
		g_assert_cmpuint(e->u.synic.sint, ==, HVSIM_VMBUS_SINT);
		guint8 p = (guint8)e->partition;
		g_array_append_val(a, p);
	}
	return a;
}

/* ==== the handshake and the round trip ========================================== */

static void test_boot(gconstpointer data)
{
	Harness h;
	guint failed;
	SimConfig cfg = { .vendor = (SimVendor)GPOINTER_TO_INT(data) };
	g_assert_cmpint(run_named(&h, &cfg, "boot"), ==, SIM_OUTCOME_SHUTDOWN);

	/* 1. Plumbing: six ports and six connections (messages both ways, the
	 * heartbeat channel's signals both ways, the storage channel's
	 * signals both ways), all made by the parent (the worker through the
	 * VID driver), before the child ran. */
	g_autoptr(GArray) creates = hypercall_partitions(&h, HVCALL_CREATE_PORT, FALSE, &failed);
	g_assert_cmpuint(failed, ==, 0);
	g_autoptr(GArray) connects = hypercall_partitions(&h, HVCALL_CONNECT_PORT, FALSE, &failed);
	g_assert_cmpuint(failed, ==, 0);
	g_assert_cmpuint(creates->len, ==, 6);
	g_assert_cmpuint(connects->len, ==, 6);
	for (guint i = 0; i < 6; i++) {
		g_assert_cmpuint(g_array_index(creates, guint8, i), ==, PARENT);
		g_assert_cmpuint(g_array_index(connects, guint8, i), ==, PARENT);
	}
	gint started = console_find_from(&h, 0, "VID VmbusStart");
	gint child_runs = console_find_from(&h, 0, "vmwp: child started");
	g_assert_cmpint(started, >, 0);
	g_assert_cmpint(child_runs, >, started);

	/* 2. The control handshake, posted in the protocol's order (facts
	 * §5.5): INITIATE_CONTACT (child), VERSION_RESPONSE (parent),
	 * REQUESTOFFERS (child), two OFFERCHANNELs (storage, heartbeat) +
	 * ALLOFFERS_DELIVERED (parent), GPADL_HEADER (child), GPADL_CREATED
	 * (parent), OPENCHANNEL (child), OPENCHANNEL_RESULT (parent): the boot
	 * child opens the heartbeat channel only (no synthetic disk wanted).
	 * Then the tear-down: CLOSECHANNEL, GPADL_TEARDOWN (child),
	 * GPADL_TORNDOWN (parent), UNLOAD (child), UNLOAD_RESPONSE (parent).
	 * Each post lands in the other side's SIM slot 2. */
	static const guint8 posters[] = { CHILD, PARENT, CHILD, PARENT, PARENT, PARENT, CHILD, PARENT, CHILD, PARENT,
	                                  CHILD, CHILD, PARENT, CHILD, PARENT };
	static const guint8 targets[] = { PARENT, CHILD, PARENT, CHILD, CHILD, CHILD, PARENT, CHILD, PARENT, CHILD,
	                                  PARENT, PARENT, CHILD, PARENT, CHILD };
	g_autoptr(GArray) posts = hypercall_partitions(&h, HVCALL_POST_MESSAGE, FALSE, &failed);
	g_assert_cmpuint(failed, ==, 0);
	g_autoptr(GArray) msgs = vmbus_message_targets(&h);
	g_assert_cmpmem(posts->data, posts->len, posters, sizeof posters);
	g_assert_cmpmem(msgs->data, msgs->len, targets, sizeof targets);

	/* The server's account of the same steps, in order. */
	static const char *const steps[] = {
		"server <- child 2: INITIATE_CONTACT",
		"child 2 asks for protocol 4.0: accepted",
		"server -> child 2: VERSION_RESPONSE",
		"server <- child 2: REQUESTOFFERS",
		"server -> child 2: OFFERCHANNEL",
		"server -> child 2: OFFERCHANNEL",
		"server -> child 2: ALLOFFERS_DELIVERED",
		"server <- child 2: GPADL_HEADER",
		"all in its RAM",
		"server -> child 2: GPADL_CREATED",
		"server <- child 2: OPENCHANNEL",
		"channel 1 open",
		"server -> child 2: OPENCHANNEL_RESULT",
		/* 3. The round trip. */
		"packet from child 2 read in place from its ring: type 6, transaction 1, \"ping\"",
		"completion for transaction 1 written; signalling the child",
		"child 2 | [kernel] vmbus: channel 1 open (protocol 4.0); sent \"ping\", completion \"pong\"",
		/* 4. The tear-down, before the child powers off. */
		"server <- child 2: CLOSECHANNEL",
		"server: channel 1 closed by child 2 (1 packets); its rings are no longer read",
		"server <- child 2: GPADL_TEARDOWN",
		"server: GPADL 0xe1e10 torn down: child pages",
		"server -> child 2: GPADL_TORNDOWN",
		"server <- child 2: UNLOAD",
		"server: child 2 unloads, every channel closed and GPADL torn down; no page of it is mapped any more",
		"server -> child 2: UNLOAD_RESPONSE",
		"child 2 | [kernel] vmbus: unloaded: 1 channel closed and its GPADL torn down, UNLOAD_RESPONSE",
		"server: partition 2 gone (1 heartbeat packets",
	};
	gint pos = child_runs;
	for (guint s = 0; s < G_N_ELEMENTS(steps); s++) {
		gint at = console_find_from(&h, (guint)pos, steps[s]);
		if (at < 0)
			g_error("console line \"%s\" missing after event %d", steps[s], pos);
		pos = at;
	}

	/* Signals: the child's (it made its ring non-empty), then the
	 * parent's (the completion), both fast hypercalls. */
	static const guint8 signallers[] = { CHILD, PARENT };
	g_autoptr(GArray) signals = hypercall_partitions(&h, HVCALL_SIGNAL_EVENT, TRUE, &failed);
	g_assert_cmpuint(failed, ==, 0);
	g_assert_cmpmem(signals->data, signals->len, signallers, sizeof signallers);

	/* No VMBus complaint anywhere, and a clean end for both. */
	g_assert_cmpint(console_find_from(&h, 0, "vmbus: stopped"), <, 0);
	g_assert_cmpint(console_find_from(&h, 0, "rejected"), <, 0);
	g_assert_cmpint(console_find_from(&h, 0, "of child 2 refused"), <, 0);
	g_assert_cmpint(console_find_from(&h, 0, "without UNLOAD"), <, 0);
	g_assert_cmpint(console_find_from(&h, 0, "not served"), <, 0);
	g_assert_cmpint(console_find_from(&h, 0, "powered off; it was torn down"), >, pos);
	SimPartition *child = sim_machine_partition(h.m, 1); /* by index: the second one */
	g_assert_nonnull(child);
	g_assert_cmpuint(child->id, ==, CHILD);
	g_assert_true(child->deleted);
	g_assert_true(sim_partition_stopped_cleanly(h.p));
	harness_fini(&h);
}

/* ==== a child that never unloads =============================================== */

/* The isolation scenario's child opens its heartbeat channel and then
 * triple-faults: no tear-down. When the worker finalizes it, the server
 * drops its open channel and its GPADL (no message: the child runs no
 * more) and nothing of it is used again. */
static void test_crash_without_unload(void)
{
	Harness h;
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL };
	g_assert_cmpint(run_named(&h, &cfg, "isolation"), ==, SIM_OUTCOME_SHUTDOWN);
	gint open = console_find_from(&h, 0, "child 2 | [kernel] vmbus: channel 1 open");
	g_assert_cmpint(open, >, 0);
	gint crash = console_find_from(&h, (guint)open, "vmwp: child 2 crashed (triple fault");
	g_assert_cmpint(crash, >, open);
	gint dropped = console_find_from(&h, (guint)crash,
	                                 "[vmbus] server: partition 2 gone without UNLOAD: 1 open channel dropped, "
	                                 "1 GPADL forgotten; its pages are no longer touched");
	g_assert_cmpint(dropped, >, crash);
	g_assert_cmpint(console_find_from(&h, 0, "server <- child 2: UNLOAD"), <, 0);
	g_assert_cmpint(console_find_from(&h, 0, "server <- child 2: CLOSECHANNEL"), <, 0);
	/* Nothing read from the child's rings after it was dropped. */
	g_assert_cmpint(console_find_from(&h, (guint)dropped, "read in place"), <, 0);
	g_assert_cmpint(console_find_from(&h, (guint)dropped, "signal from child"), <, 0);
	g_assert_true(sim_partition_stopped_cleanly(h.p));
	harness_fini(&h);
}

/* ==== a hostile child ========================================================== */

/* A child (not our kernel) that talks VMBus wrongly: it never enables its
 * SynIC and posts three messages the server must refuse, each with a line,
 * then powers off. Hand-assembled (GNU as, x86-64), loaded at 0x10000. */
static const guint8 hostile_vmbus_child[] = {
	/* GUEST_OS_ID <- 1, then the hypercall page at 0x11000 */
	0xb9, 0x00, 0x00, 0x00, 0x40,                          /* mov $0x40000000,%ecx */
	0xb8, 0x01, 0x00, 0x00, 0x00,                          /* mov $0x1,%eax */
	0x31, 0xd2,                                            /* xor %edx,%edx */
	0x0f, 0x30,                                            /* wrmsr */
	0xb9, 0x01, 0x00, 0x00, 0x40,                          /* mov $0x40000001,%ecx */
	0xb8, 0x01, 0x10, 0x01, 0x00,                          /* mov $0x11001,%eax */
	0x31, 0xd2,                                            /* xor %edx,%edx */
	0x0f, 0x30,                                            /* wrmsr */
	/* 1. a message of unknown type 99 (8 bytes), through connection 1;
	 * the PostMessage input block is at 0x12000 */
	0xbf, 0x00, 0x20, 0x01, 0x00,                          /* mov $0x12000,%edi */
	0xc7, 0x07, 0x01, 0x00, 0x00, 0x00,                    /* movl $0x1,(%rdi) */
	0xc7, 0x47, 0x04, 0x00, 0x00, 0x00, 0x00,              /* movl $0x0,0x4(%rdi) */
	0xc7, 0x47, 0x08, 0x01, 0x00, 0x00, 0x00,              /* movl $0x1,0x8(%rdi) */
	0xc7, 0x47, 0x0c, 0x08, 0x00, 0x00, 0x00,              /* movl $0x8,0xc(%rdi) */
	0xc7, 0x47, 0x10, 0x63, 0x00, 0x00, 0x00,              /* movl $0x63,0x10(%rdi) */
	0xe8, 0x7c, 0x00, 0x00, 0x00,                          /* call c4 <post> */
	/* 2. GPADL_HEADER before any contact (relid 1, id 5, one page at PFN
	 * 0x100000, far outside the child's RAM) */
	0xc7, 0x47, 0x0c, 0x24, 0x00, 0x00, 0x00,              /* movl $0x24,0xc(%rdi) */
	0xc7, 0x47, 0x10, 0x08, 0x00, 0x00, 0x00,              /* movl $0x8,0x10(%rdi) */
	0xc7, 0x47, 0x18, 0x01, 0x00, 0x00, 0x00,              /* movl $0x1,0x18(%rdi) */
	0xc7, 0x47, 0x1c, 0x05, 0x00, 0x00, 0x00,              /* movl $0x5,0x1c(%rdi) */
	0xc7, 0x47, 0x20, 0x10, 0x00, 0x01, 0x00,              /* movl $0x10010,0x20(%rdi) */
	0xc7, 0x47, 0x24, 0x00, 0x10, 0x00, 0x00,              /* movl $0x1000,0x24(%rdi) */
	0xc7, 0x47, 0x2c, 0x00, 0x00, 0x10, 0x00,              /* movl $0x100000,0x2c(%rdi) */
	0xe8, 0x46, 0x00, 0x00, 0x00,                          /* call c4 <post> */
	/* 3. INITIATE_CONTACT asking for protocol 5.0 (this server speaks 4.0) */
	0xc7, 0x47, 0x0c, 0x28, 0x00, 0x00, 0x00,              /* movl $0x28,0xc(%rdi) */
	0xc7, 0x47, 0x10, 0x0e, 0x00, 0x00, 0x00,              /* movl $0xe,0x10(%rdi) */
	0xc7, 0x47, 0x18, 0x00, 0x00, 0x05, 0x00,              /* movl $0x50000,0x18(%rdi) */
	0xc7, 0x47, 0x1c, 0x00, 0x00, 0x00, 0x00,              /* movl $0x0,0x1c(%rdi) */
	0x48, 0xc7, 0x47, 0x20, 0x00, 0x00, 0x00, 0x00,        /* movq $0x0,0x20(%rdi) */
	0x48, 0xc7, 0x47, 0x28, 0x00, 0x00, 0x00, 0x00,        /* movq $0x0,0x28(%rdi) */
	0x48, 0xc7, 0x47, 0x30, 0x00, 0x00, 0x00, 0x00,        /* movq $0x0,0x30(%rdi) */
	0xe8, 0x0d, 0x00, 0x00, 0x00,                          /* call c4 <post> */
	0x66, 0xb8, 0x00, 0x20,                                /* mov $0x2000,%ax */
	/* power off */
	0x66, 0xba, 0x04, 0x06,                                /* mov $0x604,%dx */
	0x66, 0xef,                                            /* out %ax,(%dx) */
	0xf4,                                                  /* hlt */
	0xeb, 0xfd,                                            /* jmp c1 <_start+0xc1> */
	0xb9, 0x5c, 0x00, 0x00, 0x00,                          /* mov $0x5c,%ecx */
	/* post: HvCallPostMessage (0x5c), memory form, input at RDI */
	0x48, 0x89, 0xfa,                                      /* mov %rdi,%rdx */
	0x45, 0x31, 0xc0,                                      /* xor %r8d,%r8d */
	0xb8, 0x00, 0x10, 0x01, 0x00,                          /* mov $0x11000,%eax */
	0xff, 0xd0,                                            /* call *%rax */
	0xc3,                                                  /* ret */
};

static void test_hostile_child(void)
{
	Harness h;
	g_autoptr(GByteArray) img = elf_build_code(HVSIM_IMAGE_MIN_GPA, hostile_vmbus_child,
	                                           sizeof hostile_vmbus_child);
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL, .child_image = img->data, .child_image_len = img->len,
	                  .child_image_name = "hostile-vmbus.elf" };
	g_assert_cmpint(run_named(&h, &cfg, "boot"), ==, SIM_OUTCOME_SHUTDOWN);

	/* The child's three posts succeeded; the parent's one answer failed. */
	guint failed;
	g_autoptr(GArray) posts = hypercall_partitions(&h, HVCALL_POST_MESSAGE, FALSE, &failed);
	static const guint8 posters[] = { CHILD, CHILD, CHILD };
	g_assert_cmpmem(posts->data, posts->len, posters, sizeof posters);
	g_assert_cmpuint(failed, ==, 1);
	/* 1. Unknown type: vmbus_msg_validate. */
	gint at = console_find_from(&h, 0, "child 2: UNKNOWN (8 bytes) rejected: unknown or unmodelled message type");
	g_assert_cmpint(at, >, 0);
	/* 2. A channel message before contact: the state machines. The PFN
	 * outside the child's RAM is never looked at. */
	at = console_find_from(&h, (guint)at, "child 2: GPADL_HEADER (36 bytes) rejected");
	g_assert_cmpint(at, >, 0);
	g_assert_cmpint(console_find_from(&h, 0, "GPADL 0x5"), <, 0);
	/* 3. Version 5.0: refused with a VERSION_RESPONSE, which cannot reach a
	 * child whose SynIC is off: said, and the server carries on. */
	at = console_find_from(&h, (guint)at, "child 2 asks for protocol 5.0: refused");
	g_assert_cmpint(at, >, 0);
	at = console_find_from(&h, (guint)at, "VERSION_RESPONSE: HvCallPostMessage status 0x0018");
	g_assert_cmpint(at, >, 0);
	/* The parent went on: the child powered off and was torn down. */
	g_assert_cmpint(console_find_from(&h, (guint)at, "powered off; it was torn down"), >, at);
	g_assert_true(sim_partition_stopped_cleanly(h.p));
	harness_fini(&h);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_data_func("/sim/vmbus-boot/handshake/intel", GINT_TO_POINTER(SIM_VENDOR_INTEL), test_boot);
	g_test_add_data_func("/sim/vmbus-boot/handshake/amd", GINT_TO_POINTER(SIM_VENDOR_AMD), test_boot);
	g_test_add_func("/sim/vmbus-boot/hostile-child", test_hostile_child);
	g_test_add_func("/sim/vmbus-boot/crash-without-unload", test_crash_without_unload);
	return g_test_run();
}
