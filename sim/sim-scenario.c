/* sim-scenario.c — built-in scenarios, image loading and the trace writer.
 * Sim thread. Guest images are built from guest/ and compiled into the
 * binary as GResources, so `hvsim run hello` works from any directory. */
#include <errno.h>
#include <gio/gio.h>

#include "hvsim-guest-resources.h"
#include "hvsim-platform.h"
#include "sim-private.h"
#include "sim-scenario.h"

static const SimScenario scenarios[] = {
	{ "boot", "hello.elf",
	  "the default: the kernel boots with no hypervisor, its hvboot stage checks CPUID for VT-x/AMD-V and launches hvix64/hvax64, it continues as the parent partition, and its worker process creates a child through the VID, loads the same kernel into it and runs it; the child prints through an emulated UART (every byte an I/O intercept the worker handles) and powers off",
	  TRUE, FALSE, "hello.elf", FALSE },
	{ "isolation", "hello.elf",
	  "as boot, but the child triple-faults on purpose: the hypervisor ends the child alone, tells the parent (an unrecoverable-exception message), and the parent deletes it and carries on",
	  TRUE, FALSE, "hello.elf", TRUE },
	{ "io-emulated", "hello.elf",
	  "as boot, but the child runs iotest: it writes a pattern to its disk, reads it back and verifies it; the disk is an ATA drive its parent's worker emulates port access by port access (512 I/O intercepts per KiB), backed by a region of the parent's own disk: the slow path of storage",
	  TRUE, FALSE, "hello.elf", FALSE, TRUE },
	{ "io-synthetic", "hello.elf",
	  "as io-emulated (same iotest, same KiB, same check), but the child's kernel moves its sectors with storvsc over a VMBus storage channel: one GPA-direct packet per request in a ring shared with the parent, whose kernel's storvsp checks it and does the I/O on its own disk; no ATA intercepts: the fast path of storage",
	  TRUE, FALSE, "hello.elf", FALSE, TRUE, TRUE },
	{ "unmapped", "hello.elf",
	  "as boot, but the child then moves bytes with string port I/O (REP OUTSB, REP INSB, OUTSW on port 0x80, where nothing is: one VM exit per element) and reads the first byte past its RAM on purpose: an EPT violation; the hypervisor suspends its VP and sends the parent an unmapped-GPA message, and the worker ends the child",
	  TRUE, FALSE, "hello.elf", FALSE, FALSE, FALSE, HVSIM_BOOT_FLAG_STRING_IO | HVSIM_BOOT_FLAG_TOUCH_UNMAPPED },
	{ "hello", "hello.elf",
	  "one partition started under the hypervisor: the mini kernel detects the hypervisor, makes hypercalls, runs two ring 3 programs (one is killed), idles in HLT and powers off",
	  FALSE, FALSE, NULL, FALSE },
	{ "badcalls", "badcalls.elf",
	  "late launch, then a ring 0 self-test: the kernel makes partition-management hypercalls with bad input (unknown ids, wrong states, reserved bits, misaligned blocks, bad pages, VP indexes, map flags), checks each TLFS status and powers off",
	  TRUE, TRUE, NULL, FALSE },
	{ NULL, NULL, NULL, FALSE, FALSE, NULL, FALSE, FALSE, FALSE, 0 },
};

const SimScenario *sim_scenarios(void)
{
	return scenarios;
}

const SimScenario *sim_scenario_find(const char *name)
{
	for (const SimScenario *s = scenarios; s->name; s++)
		if (g_str_equal(s->name, name))
			return s;
	return NULL;
}

GBytes *sim_guest_image(const char *resource_name, GError **error)
{
	g_autofree char *path = g_strdup_printf("/org/hvsim/guest/%s", resource_name);
	return g_resource_lookup_data(hvsim_guest_get_resource(), path, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
}

/* Guest images are small; anything larger is not one of ours. */
#define MAX_IMAGE_BYTES (64u << 20)

GBytes *sim_read_image_file(const char *path, const char *what, GError **error)
{
	g_autoptr(GError) e = NULL;
	g_autofree char *contents = NULL;
	gsize len = 0;
	if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY, "%s %s: is a directory, not a guest ELF image", what, path);
		return NULL;
	}
	if (!g_file_get_contents(path, &contents, &len, &e)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s %s: cannot read: %s", what, path, e->message);
		return NULL;
	}
	if (len > MAX_IMAGE_BYTES) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		            "%s %s: %" G_GSIZE_FORMAT " bytes is too large for a guest image (limit %u MiB)", what, path, len,
		            MAX_IMAGE_BYTES >> 20);
		return NULL;
	}
	return g_bytes_new_take(g_steal_pointer(&contents), len);
}

/* Adds boot flags for the child to the parent's boot info (child_flags),
 * which the loader has just built: the worker passes them on. Only where
 * the loader put a child image in (a late launch with a child). SimConfig
 * carries the triple-fault flag the same way; a scenario-only flag does
 * not need a config field. */
static void scenario_add_child_flags(SimPartition *p, uint32_t flags)
{
	struct hvsim_boot_info bi;

	/* The boot info page lies in every partition's RAM (at least 1 MiB). */
	if (!sim_memory_read(&p->mem, HVSIM_BOOT_INFO_GPA, &bi, sizeof bi) || !bi.child_image_size)
		return;
	bi.child_flags |= flags;
	if (!sim_memory_write(&p->mem, HVSIM_BOOT_INFO_GPA, &bi, sizeof bi))
		g_warning("partition %u: cannot write its boot info", p->id);
}

SimPartition *sim_load_scenario_or_image(SimMachine *m, const char *what, GError **error)
{
	const SimScenario *sc = sim_scenario_find(what);
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GBytes) child = NULL;
	const char *name = what;

	if (sc) {
		bytes = sim_guest_image(sc->image, error);
		if (!bytes)
			return NULL;
		name = sc->name;
		if (sc->late_launch)
			m->config.late_launch = TRUE;
		if (sc->bad_input)
			m->config.bad_input = TRUE;
		if (sc->child_triple_fault)
			m->config.child_triple_fault = TRUE;
		if (sc->child && !m->config.child_image) {
			child = sim_guest_image(sc->child, error);
			if (!child)
				return NULL;
			m->config.child_image = g_bytes_get_data(child, &m->config.child_image_len);
			m->config.child_image_name = sc->child;
		}
	} else {
		if (!g_file_test(what, G_FILE_TEST_EXISTS)) {
			GString *known = g_string_new(NULL);
			for (const SimScenario *s = scenarios; s->name; s++)
				g_string_append_printf(known, "%s%s", known->len ? ", " : "", s->name);
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			            "%s: no such file, and not a built-in scenario (built-in: %s)", what, known->str);
			g_string_free(known, TRUE);
			return NULL;
		}
		bytes = sim_read_image_file(what, "image", error);
		if (!bytes)
			return NULL;
	}
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(bytes, &len);
	g_autofree char *base = g_path_get_basename(name);
	SimPartition *p = sim_machine_add_partition(m, base, data, len, what, error);
	if (p && sc && sc->child_io_workload)
		scenario_add_child_flags(p, HVSIM_BOOT_FLAG_IO_WORKLOAD |
		                                    (sc->child_io_synthetic ? HVSIM_BOOT_FLAG_IO_SYNTHETIC : 0));
	if (p && sc && sc->child && (m->config.child_extra_flags | sc->child_flags))
		scenario_add_child_flags(p, m->config.child_extra_flags | sc->child_flags);
	if (child) {
		/* Copied into the parent's RAM: the config must not keep the pointer. */
		m->config.child_image = NULL;
		m->config.child_image_len = 0;
	}
	return p;
}

/* ---- Trace writer ---------------------------------------------------------- */

struct SimTraceWriter {
	FILE *out;
	const char *vendor;
	GString *line;
	gboolean failed;
	int saved_errno;
};

SimTraceWriter *sim_trace_writer_new(FILE *out, SimVendor vendor)
{
	SimTraceWriter *w = g_new0(SimTraceWriter, 1);
	w->out = out;
	w->vendor = sim_vendor_name(vendor);
	w->line = g_string_sized_new(256);
	return w;
}

void sim_trace_writer_on_event(const SimEvent *ev, gpointer user_data)
{
	SimTraceWriter *w = user_data;
	if (w->failed)
		return;
	g_string_truncate(w->line, 0);
	sim_event_to_json(ev, w->vendor, w->line);
	g_string_append_c(w->line, '\n');
	if (fwrite(w->line->str, 1, w->line->len, w->out) != w->line->len) {
		w->failed = TRUE;
		w->saved_errno = errno;
	}
}

gboolean sim_trace_writer_finish(SimTraceWriter *w)
{
	if (fflush(w->out) != 0 && !w->failed) {
		w->failed = TRUE;
		w->saved_errno = errno;
	}
	if (w->failed)
		errno = w->saved_errno;
	return !w->failed;
}

void sim_trace_writer_free(SimTraceWriter *w)
{
	if (!w)
		return;
	g_string_free(w->line, TRUE);
	g_free(w);
}
