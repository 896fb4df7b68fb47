/* test-event-bus.c — the event bus: every subscriber is called once per
 * event, in the order it subscribed, however many there are (the first
 * few live in the bus's own block, the rest in an array that grows), and
 * an unsubscribed one is never called again. */
#include "sim-event.h"

#define MANY_SUBS 21u   /* more than the bus keeps in its own block, and a growth past that */

typedef struct Calls {
	GArray *order;   /* of guint: which subscriber, in call order */
	uint64_t last_seq;
} Calls;

typedef struct Sub {
	guint index;
	Calls *calls;
} Sub;

static void record(const SimEvent *ev, gpointer user_data)
{
	Sub *s = user_data;
	g_array_append_val(s->calls->order, s->index);
	s->calls->last_seq = ev->seq;
}

static void emit_one(SimEventBus *bus)
{
	SimEvent ev;
	sim_event_init(&ev, SIM_EV_HALT);
	sim_event_bus_emit(bus, &ev);
}

static void assert_order(const Calls *c, const gboolean *subscribed)
{
	guint at = 0;
	for (guint i = 0; i < MANY_SUBS; i++) {
		if (!subscribed[i])
			continue;
		g_assert_cmpuint(at, <, c->order->len);
		g_assert_cmpuint(g_array_index(c->order, guint, at), ==, i);
		at++;
	}
	g_assert_cmpuint(at, ==, c->order->len);
}

static void test_bus_order(void)
{
	SimEventBus *bus = sim_event_bus_new();
	Calls calls = { g_array_new(FALSE, FALSE, sizeof(guint)), 0 };
	Sub subs[MANY_SUBS];
	guint ids[MANY_SUBS];
	gboolean subscribed[MANY_SUBS];
	for (guint i = 0; i < MANY_SUBS; i++) {
		subs[i] = (Sub){ i, &calls };
		ids[i] = sim_event_bus_subscribe(bus, record, &subs[i]);
		g_assert_cmpuint(ids[i], !=, 0);
		for (guint j = 0; j < i; j++)
			g_assert_cmpuint(ids[j], !=, ids[i]);
		subscribed[i] = TRUE;
	}
	emit_one(bus);
	assert_order(&calls, subscribed);
	g_assert_cmpuint(calls.last_seq, ==, 1);
	g_assert_cmpuint(sim_event_bus_last_seq(bus), ==, 1);

	/* The first, one in the bus's own block, one past it, the last. */
	const guint gone[] = { 0, 5, 12, MANY_SUBS - 1 };
	for (guint k = 0; k < G_N_ELEMENTS(gone); k++) {
		sim_event_bus_unsubscribe(bus, ids[gone[k]]);
		subscribed[gone[k]] = FALSE;
	}
	sim_event_bus_unsubscribe(bus, ids[5]);   /* twice: nothing more happens */
	g_array_set_size(calls.order, 0);
	emit_one(bus);
	assert_order(&calls, subscribed);
	g_assert_cmpuint(calls.last_seq, ==, 2);

	/* A new one comes last, after those that stayed. */
	Sub late = { MANY_SUBS, &calls };
	sim_event_bus_subscribe(bus, record, &late);
	g_array_set_size(calls.order, 0);
	emit_one(bus);
	g_assert_cmpuint(calls.order->len, ==, MANY_SUBS - G_N_ELEMENTS(gone) + 1);
	g_assert_cmpuint(g_array_index(calls.order, guint, calls.order->len - 1), ==, MANY_SUBS);

	g_array_free(calls.order, TRUE);
	sim_event_bus_free(bus);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sim/event-bus/order-and-unsubscribe", test_bus_order);
	return g_test_run();
}
