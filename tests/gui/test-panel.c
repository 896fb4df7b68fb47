/* test-panel.c — the inspector pages (gui-panel*.c) on real snapshots of
 * the boot scenario with its child running: the texts headlessly, the
 * ring gauge drawn into image surfaces, and the GTK widget itself when a
 * display is there (meson runs this under xvfb-run; without one the widget
 * tests skip). Host test code, GTK main thread. */
#include <elf.h>
#include <gtk/gtk.h>
#include <string.h>

#include "gui-panel-gauge.h"
#include "gui-panel-text.h"
#include "gui-panel.h"
#include "sim-scenario.h"
#include "sim-snapshot.h"
#include "vmx.h"
#include "../test-machine.h"

#define STEP_INSNS  UINT64_C(400000)
#define LIMIT_INSNS UINT64_C(40000000)

static SimMachine *machine;      /* the boot scenario, its child running */

/* Runs the boot scenario until the child has printed and exited once. */
static SimMachine *boot_to_child(void)
{
	SimMachine *m = test_machine_with("boot");
	while (sim_machine_insns(m) < LIMIT_INSNS && sim_machine_step(m, STEP_INSNS, SIM_STEP_STOP_NONE)) {
		g_autoptr(SimSnapshot) s = sim_snapshot_take(m);
		const SimSnapPartition *c = sim_snapshot_partition(s, 2);
		if (c && c->n_vps && c->vps[0].vmcs.exit_reason && c->console_last[0])
			return m;
	}
	g_assert_not_reached();
}

static void check_text_contains(const char *text, const char *want)
{
	if (!strstr(text, want))
		g_error("expected \"%s\" in:\n%s", want, text);
}

/* ---- Texts ---------------------------------------------------------------------- */

/* The child's listing: its instruction at RIP highlighted, with the child
 * image's symbol as a label. */
static void test_text_disasm(void)
{
	g_autoptr(SimSnapshot) s = sim_snapshot_take(machine);
	const SimSnapPartition *p = NULL;
	const SimSnapVp *vp = sim_snapshot_vp(s, 2, 0, &p);
	g_assert_nonnull(vp);
	GuiPanelText t;
	gui_panel_text_init(&t);
	gui_panel_text_disasm(&t, p, vp);
	g_assert_cmpint(t.current_line, >, 0);
	g_auto(GStrv) lines = g_strsplit(t.text->str, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), >, (guint)t.current_line);
	const char *cur = lines[t.current_line];
	g_autofree char *rip = g_strdup_printf("%06" G_GINT64_MODIFIER "x", vp->rip);
	check_text_contains(cur, "▶");
	check_text_contains(cur, rip);
	/* A label line "func:" or "func+0x..:" names RIP's function. */
	uint64_t off;
	const char *func = sim_symtab_lookup(p->symtab, vp->rip, &off);
	g_assert_nonnull(func);
	g_autofree char *label = g_strdup_printf("\n%s", func);
	check_text_contains(t.text->str, label);
	gui_panel_text_clear(&t);
}

static void test_text_vmcs(void)
{
	g_autoptr(SimSnapshot) s = sim_snapshot_take(machine);
	const SimSnapPartition *p = NULL;
	const SimSnapVp *vp = sim_snapshot_vp(s, 2, 0, &p);
	GuiPanelText t;
	gui_panel_text_init(&t);
	gui_panel_text_vmcs(&t, s, p, vp);
	check_text_contains(t.text->str, "Modelled VMCS");
	check_text_contains(t.text->str, "HLT exiting");
	check_text_contains(t.text->str, "use I/O bitmaps");
	check_text_contains(t.text->str, "enable EPT");
	check_text_contains(t.text->str, vmx_exit_reason_name(vp->vmcs.exit_reason & VMX_EXIT_REASON_BASIC_MASK));
	g_autofree char *eptp = g_strdup_printf("0x%" G_GINT64_MODIFIER "x", p->slat_eptp);
	check_text_contains(t.text->str, eptp);
	gui_panel_text_clear(&t);

	GString *bits = g_string_new(NULL);
	static const GuiPanelBit table[] = { { 1u << 1, "one" } };
	gui_panel_describe_bits((1u << 1) | (1u << 5), table, G_N_ELEMENTS(table), bits);
	g_assert_cmpstr(bits->str, ==, "one, bit 5");
	g_string_free(bits, TRUE);
}

/* The status line's instruction: at each of the boot scenario's first 60
 * VM exits, stepped to precisely, the instruction gui_exit_instruction
 * reads from the exiting VP's VMCS is the one its exit reason says. */
static bool is_vm_exit(const SimEvent *ev, gpointer user_data)
{
	if (ev->type != SIM_EV_VM_EXIT)
		return false;
	*(SimEvent *)user_data = *ev;
	return true;
}

static void test_exit_instruction(void)
{
	SimMachine *m = test_machine_with("boot");
	guint checked = 0, named = 0;
	for (guint n = 0; n < 60; n++) {
		SimEvent ex = { 0 };
		if (!sim_machine_step_precise(m, 0, is_vm_exit, &ex) || ex.type != SIM_EV_VM_EXIT)
			break;
		g_autoptr(SimSnapshot) s = sim_snapshot_take(m);
		char insn[160];
		g_assert_true(gui_exit_instruction(s, &ex, insn, sizeof insn));
		const char *want = NULL;
		switch (ex.u.exit.reason & VMX_EXIT_REASON_BASIC_MASK) {
		case VMX_EXIT_CPUID: want = "cpuid"; break;
		case VMX_EXIT_HLT: want = "hlt"; break;
		case VMX_EXIT_VMCALL: want = "vmcall"; break;
		case VMX_EXIT_RDMSR: want = "rdmsr"; break;
		case VMX_EXIT_WRMSR: want = "wrmsr"; break;
		case VMX_EXIT_IO_INSTRUCTION: {   /* in, out, ins*, outs*: the first word */
			g_autofree char *word = g_strndup(insn, strcspn(insn, " "));
			want = g_str_has_prefix(word, "in") && (!word[2] || word[2] == 's') ? "in" : "out";
			if (!g_str_equal(word, want) && !(g_str_has_prefix(word, want) && word[strlen(want)] == 's'))
				g_error("I/O exit %" G_GUINT64_FORMAT " at '%s'", ex.seq, insn);
			break;
		}
		default: break;
		}
		if (want) {
			if (!g_str_has_prefix(insn, want))
				g_error("exit %" G_GUINT64_FORMAT " (reason %u) at 0x%" G_GINT64_MODIFIER "x: '%s', not %s", ex.seq,
				        ex.u.exit.reason, ex.u.exit.rip, insn, want);
			checked++;
		}
		named += strchr(insn, '<') != NULL;
		if (n == 0)
			g_test_message("first exit: %s", insn);
		/* Another VP's exit, or none: nothing to say. */
		SimEvent other = ex;
		other.vp = 7;
		g_assert_false(gui_exit_instruction(s, &other, insn, sizeof insn));
		g_assert_cmpstr(insn, ==, "");
		other = ex;
		other.u.exit.rip++;   /* the VMCS holds another exit */
		g_assert_false(gui_exit_instruction(s, &other, insn, sizeof insn));
	}
	g_test_message("%u exits' instructions checked against their reasons, %u with a symbol", checked, named);
	g_assert_cmpuint(checked, >=, 20);
	sim_machine_free(m);
}

/* An address breakpoint as typed: hex, or a function of the partition's
 * image with an offset; anything else refused with a reason. */
static void test_parse_guest_address(void)
{
	g_autoptr(SimSnapshot) s = sim_snapshot_take(machine);
	const SimSymtab *t = sim_snapshot_partition(s, 1)->symtab;
	g_assert_nonnull(t);
	uint64_t rip = 0, rip2 = 0, off = 99;
	g_assert_true(gui_parse_guest_address("0x18d000", t, &rip, NULL));
	g_assert_cmphex(rip, ==, 0x18d000);
	g_assert_true(gui_parse_guest_address(" 18D000 ", t, &rip, NULL));
	g_assert_cmphex(rip, ==, 0x18d000);
	g_assert_true(gui_parse_guest_address("console_write", t, &rip, NULL));
	g_assert_cmpstr(sim_symtab_lookup(t, rip, &off), ==, "console_write");
	g_assert_cmpuint(off, ==, 0);
	g_assert_true(gui_parse_guest_address("console_write+0x12", t, &rip2, NULL));
	g_assert_cmphex(rip2, ==, rip + 0x12);
	g_assert_true(gui_parse_guest_address("console_write + 12", t, &rip2, NULL));
	g_assert_cmphex(rip2, ==, rip + 0x12);   /* the offset is hexadecimal too */
	/* Past the function's end: refused, naming where the address is. */
	uint64_t next = 0, next_off = 0;
	for (uint64_t a = rip + 1; a < rip + 0x10000 && !next; a++) {
		const char *in = sim_symtab_lookup(t, a, &next_off);
		if (!in || g_strcmp0(in, "console_write") != 0)
			next = a;
	}
	g_assert_cmphex(next, >, rip + 0x12);   /* console_write is longer than 0x12 */
	g_autofree char *past = g_strdup_printf("console_write+0x%" G_GINT64_MODIFIER "x", next - rip);
	g_autoptr(GError) past_error = NULL;
	g_assert_false(gui_parse_guest_address(past, t, &rip2, &past_error));
	g_assert_nonnull(strstr(past_error->message, "past the end of console_write"));
	g_test_message("\"%s\": %s", past, past_error->message);
	g_autofree char *last = g_strdup_printf("console_write+0x%" G_GINT64_MODIFIER "x", next - rip - 1);
	g_assert_true(gui_parse_guest_address(last, t, &rip2, NULL));   /* its last byte is still it */
	g_assert_cmphex(rip2, ==, next - 1);
	/* A name several symbols share (each file's static string objects
	 * "ustr_.0"): refused, listing where they are; the lowest address
	 * alone is what the name used to mean. */
	uint64_t same[8];
	guint n_same = sim_symtab_addresses(t, "ustr_.0", same, G_N_ELEMENTS(same));
	g_assert_cmpuint(n_same, >=, 2);
	for (guint i = 1; i < MIN(n_same, G_N_ELEMENTS(same)); i++)
		g_assert_cmphex(same[i], >, same[i - 1]);
	g_autoptr(GError) same_error = NULL;
	g_assert_false(gui_parse_guest_address("ustr_.0", t, &rip2, &same_error));
	g_autofree char *names = g_strdup_printf("names %u symbols", n_same);
	g_assert_nonnull(strstr(same_error->message, names));
	g_autofree char *first = g_strdup_printf("0x%" G_GINT64_MODIFIER "x", same[0]);
	g_assert_nonnull(strstr(same_error->message, first));
	g_test_message("\"ustr_.0\": %s", same_error->message);
	if (n_same > 3)
		g_assert_nonnull(strstr(same_error->message, ", ...)"));   /* three listed, then "..." */
	/* Past the end into the next function: the message names it. */
	const char *other = NULL;
	uint64_t other_at = 0, o = 0;
	for (uint64_t a = rip + 1; a < rip + 0x10000 && !other; a++) {
		const char *in = sim_symtab_lookup(t, a, &o);
		if (in && g_strcmp0(in, "console_write") != 0)
			other = in, other_at = a;
	}
	g_assert_nonnull(other);
	g_autofree char *into = g_strdup_printf("console_write+0x%" G_GINT64_MODIFIER "x", other_at - rip);
	g_autoptr(GError) into_error = NULL;
	g_assert_false(gui_parse_guest_address(into, t, &rip2, &into_error));
	char where[96];
	g_assert_true(sim_symtab_describe(t, other_at, where, sizeof where));
	g_autofree char *is_in = g_strdup_printf("is in %s (", where);
	g_assert_nonnull(strstr(into_error->message, is_in));
	g_test_message("\"%s\": %s", into, into_error->message);
	g_assert_cmpuint(sim_symtab_addresses(t, "console_write", same, 1), ==, 1);
	g_assert_cmpuint(sim_symtab_addresses(t, "no_such_function", same, 1), ==, 0);
	static const char *const bad[] = { "", "   ", "no_such_function", "console_write+zz", "console_write+",
		                           "0x18d000+4", "0x", "0x1ffffffffffffffff", "ret 1" };
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_assert_false(gui_parse_guest_address(bad[i], t, &rip, &error));
		g_assert_nonnull(error);
		g_test_message("\"%s\": %s", bad[i], error->message);
	}
	char longer[80];
	memset(longer, 'a', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	g_autoptr(GError) error = NULL;
	g_assert_false(gui_parse_guest_address(longer, t, &rip, &error));
	g_assert_nonnull(strstr(error->message, "longer than"));
	/* No image yet: names cannot be looked up, hex still works. */
	g_clear_error(&error);
	g_assert_false(gui_parse_guest_address("console_write", NULL, &rip, &error));
	g_assert_nonnull(strstr(error->message, "no image"));
	g_assert_true(gui_parse_guest_address("0x1000", NULL, &rip, NULL));
	g_assert_cmphex(rip, ==, 0x1000);
}

/* A hand-made image: a sized function `outer` (0x1000, 0x100 bytes) with
 * an assembly label `inner_label` inside it (0x1040), in a code section. */
static SimSymtab *label_inside_symtab(void)
{
	static const char strtab[32] = "\0outer\0inner_label";
	enum { STR = 64, SYM = STR + sizeof strtab, SHDRS = SYM + 3 * sizeof(Elf64_Sym), N_SH = 4 };
	guint8 image[SHDRS + N_SH * sizeof(Elf64_Shdr)];
	memset(image, 0, sizeof image);
	Elf64_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT, .e_shoff = SHDRS,
		          .e_ehsize = sizeof eh, .e_shentsize = sizeof(Elf64_Shdr), .e_shnum = N_SH, .e_shstrndx = 0 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(image, &eh, sizeof eh);
	memcpy(image + STR, strtab, sizeof strtab);
	Elf64_Sym syms[3] = {
		{ 0 },
		{ .st_name = 1, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), .st_shndx = 1, .st_value = 0x1000, .st_size = 0x100 },
		{ .st_name = 7, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE), .st_shndx = 1, .st_value = 0x1040 },
	};
	memcpy(image + SYM, syms, sizeof syms);
	Elf64_Shdr sh[N_SH] = {
		{ 0 },
		{ .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC | SHF_EXECINSTR, .sh_addr = 0x1000, .sh_size = 0x100 },
		{ .sh_type = SHT_SYMTAB, .sh_offset = SYM, .sh_size = sizeof syms, .sh_link = 3, .sh_entsize = sizeof(Elf64_Sym) },
		{ .sh_type = SHT_STRTAB, .sh_offset = STR, .sh_size = sizeof strtab },
	};
	memcpy(image + SHDRS, sh, sizeof sh);
	return sim_symtab_new_from_elf(image, sizeof image);
}

/* An offset inside a sized function is its own even past a label inside
 * it; past its size it is refused; a label reaches to the next symbol. */
static void test_parse_guest_address_label(void)
{
	SimSymtab *t = label_inside_symtab();
	g_assert_nonnull(t);
	g_assert_cmpuint(sim_symtab_count(t), ==, 2);
	uint64_t rip = 0, off = 0;
	g_assert_cmpstr(sim_symtab_lookup(t, 0x1080, &off), ==, "inner_label");   /* what made it refused */
	g_assert_true(gui_parse_guest_address("outer+0x80", t, &rip, NULL));
	g_assert_cmphex(rip, ==, 0x1080);
	g_assert_true(gui_parse_guest_address("outer+0xff", t, &rip, NULL));
	g_autoptr(GError) error = NULL;
	g_assert_false(gui_parse_guest_address("outer+0x100", t, &rip, &error));
	g_assert_nonnull(strstr(error->message, "past the end of outer"));
	g_assert_true(gui_parse_guest_address("inner_label+0x10", t, &rip, NULL));
	g_assert_cmphex(rip, ==, 0x1050);
	sim_symtab_unref(t);
}

static void test_text_memory(void)
{
	SimSnapRequest req = { .detail = SIM_SNAP_DETAIL_GPA_MAP };
	g_autoptr(SimSnapshot) s = sim_snapshot_take_detail(machine, &req);
	GuiPanelText t;
	gui_panel_text_init(&t);
	gui_panel_text_memory_map(&t, s, sim_snapshot_partition(s, 1));
	check_text_contains(t.text->str, "identity-mapped");
	gui_panel_text_clear(&t);
	gui_panel_text_init(&t);
	const SimSnapPartition *c = sim_snapshot_partition(s, 2);
	gui_panel_text_memory_map(&t, s, c);
	g_autofree char *run = g_strdup_printf("%012" G_GINT64_MODIFIER "x-", c->gpa_runs[0].spa);
	check_text_contains(t.text->str, run);
	check_text_contains(t.text->str, "RWX");
	gui_panel_text_clear(&t);
}

static void test_parse_range(void)
{
	uint64_t gpa = 0;
	uint32_t len = 0;
	g_assert_true(gui_panel_parse_range("0x100000", &gpa, &len, NULL));
	g_assert_cmphex(gpa, ==, 0x100000);
	g_assert_cmpuint(len, ==, GUI_PANEL_HEX_DEFAULT_LEN);
	g_assert_true(gui_panel_parse_range("  4096 64 ", &gpa, &len, NULL));
	g_assert_cmphex(gpa, ==, 4096);
	g_assert_cmpuint(len, ==, 64);
	static const struct { const char *in, *says; } bad[] = {
		{ "", "type a guest-physical address" },
		{ "zzz", "is not an address" },
		{ "0x10 -5", "is not a length" },
		{ "0x10 0", "1 to 4096" },
		{ "0x10 99999", "1 to 4096" },
		{ "0xffffffffffffffff 16", "wraps" },
		{ "1 2 3", "type a guest-physical address" },
		{ "0x1000000000000000000", "is not an address" },
	};
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_assert_false(gui_panel_parse_range(bad[i].in, &gpa, &len, &error));
		g_assert_nonnull(error);
		check_text_contains(error->message, bad[i].says);
	}
}

/* ---- The gauge -------------------------------------------------------------------- */

/* Pixels of the fill colour (bytes in flight) in a gauge drawn alone. */
static guint fill_pixels(uint32_t size, uint32_t write, uint32_t read)
{
	cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 200, 200);
	cairo_t *cr = cairo_create(surf);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	GuiPanelGauge g = { .data_size = size, .write_index = write, .read_index = read, .title = "ring" };
	gui_panel_gauge_draw(cr, 100, 110, 70, &g);
	cairo_destroy(cr);
	cairo_surface_flush(surf);
	const guint8 *data = cairo_image_surface_get_data(surf);
	int stride = cairo_image_surface_get_stride(surf);
	guint n = 0;
	for (int y = 0; y < 200; y++)
		for (int x = 0; x < 200; x++) {
			guint32 px = *(const guint32 *)(data + y * stride + 4 * x);
			int r = (px >> 16) & 0xFF, gr = (px >> 8) & 0xFF, b = px & 0xFF;
			n += abs(r - (int)(GUI_PANEL_GAUGE_FILL_R * 255)) < 8 && abs(gr - (int)(GUI_PANEL_GAUGE_FILL_G * 255)) < 8 &&
			     abs(b - (int)(GUI_PANEL_GAUGE_FILL_B * 255)) < 8;
		}
	cairo_surface_destroy(surf);
	return n;
}

static void test_gauge(void)
{
	const uint32_t size = 4 * 4096;
	guint empty = fill_pixels(size, 512, 512);
	guint quarter = fill_pixels(size, size / 4, 0);
	guint half = fill_pixels(size, size / 2, 0);
	g_assert_cmpuint(empty, ==, 0);
	g_assert_cmpuint(quarter, >, 500);
	/* Twice the bytes in flight, about twice the arc. */
	g_assert_cmpuint(half, >, quarter * 17 / 10);
	g_assert_cmpuint(half, <, quarter * 23 / 10);
	/* The read index moving up drains the ring. */
	g_assert_cmpuint(fill_pixels(size, size / 2, size / 4), <, half * 6 / 10);
	/* Wrapped: write below read. */
	GuiPanelGauge w = { .data_size = size, .write_index = 1024, .read_index = size - 1024 };
	g_assert_cmpuint(gui_panel_gauge_in_flight(&w), ==, 2048);
	g_assert_cmpuint(fill_pixels(size, 1024, size - 1024), >, 0);
	/* Indices the guest made up: drawn empty, flagged. */
	GuiPanelGauge bad = { .data_size = size, .write_index = size + 8, .read_index = 0 };
	g_assert_false(gui_panel_gauge_valid(&bad));
	g_assert_cmpuint(gui_panel_gauge_in_flight(&bad), ==, 0);
	g_assert_cmpuint(fill_pixels(size, size + 8, 0), ==, 0);
}

/* ---- The widget ------------------------------------------------------------------- */

static gboolean have_display;

static void skip_without_display(void)
{
	if (!have_display)
		g_test_skip("no display (run under xvfb-run)");
}

static guint requests;

/* A panel in a window, as the application has it (a notebook switching
 * pages wants a root for its focus). */
static GuiPanel *panel_in_window(GtkWidget **window)
{
	*window = gtk_window_new();
	GtkWidget *panel = gui_panel_new();
	gtk_window_set_child(GTK_WINDOW(*window), panel);
	return GUI_PANEL(panel);
}

static void on_request(GuiPanel *panel, gpointer user_data)
{
	(void)panel;
	(void)user_data;
	requests++;
}

/* By default the panel follows the last exit's VP; choosing the child
 * shows the child's registers. */
static void test_widget_select(void)
{
	skip_without_display();
	if (!have_display)
		return;
	GtkWidget *window;
	GuiPanel *panel = panel_in_window(&window);
	g_autoptr(SimSnapshot) s = sim_snapshot_take(machine);
	const SimSnapVp *root = sim_snapshot_vp(s, 1, 0, NULL);
	const SimSnapVp *child = sim_snapshot_vp(s, 2, 0, NULL);
	g_assert_cmphex(root->rip, !=, child->rip);

	gui_panel_update(panel, s, TRUE, 1, 0);
	uint32_t part = 0;
	g_assert_true(gui_panel_selected(panel, &part, NULL));
	g_assert_cmpuint(part, ==, 1);
	g_autofree char *text1 = gui_panel_page_text(panel, GUI_PANEL_PAGE_CPU);
	check_text_contains(text1, "Partition 1 (");

	gui_panel_select(panel, 2, 0);
	gui_panel_update(panel, s, TRUE, 1, 0);
	g_assert_true(gui_panel_selected(panel, &part, NULL));
	g_assert_cmpuint(part, ==, 2);
	g_autofree char *text2 = gui_panel_page_text(panel, GUI_PANEL_PAGE_CPU);
	check_text_contains(text2, "Partition 2 (");
	g_autofree char *rip = g_strdup_printf("RIP    0x%016" G_GINT64_MODIFIER "x", child->rip);
	check_text_contains(text2, rip);
	g_autofree char *rax = g_strdup_printf("RAX 0x%016" G_GINT64_MODIFIER "x", child->gpr[0]);
	check_text_contains(text2, rax);
	/* Only the tab on show is formatted: switch, then update. */
	gui_panel_show_page(panel, GUI_PANEL_PAGE_VMCS);
	gui_panel_update(panel, s, TRUE, 1, 0);
	g_autofree char *vmcs = gui_panel_page_text(panel, GUI_PANEL_PAGE_VMCS);
	check_text_contains(vmcs, "Modelled VMCS of partition 2");

	/* Back to following the exit. */
	gui_panel_select(panel, 0, 0);
	gui_panel_update(panel, s, TRUE, 1, 0);
	g_assert_true(gui_panel_selected(panel, &part, NULL));
	g_assert_cmpuint(part, ==, 1);
	g_autofree char *vmcs1 = gui_panel_page_text(panel, GUI_PANEL_PAGE_VMCS);
	check_text_contains(vmcs1, "Modelled VMCS of partition 1");
	gtk_window_destroy(GTK_WINDOW(window));
}

/* The memory page asks for the GPA map and the typed range, and shows the
 * bytes once a snapshot brings them; a bad range says why. */
static void test_widget_memory(void)
{
	skip_without_display();
	if (!have_display)
		return;
	GtkWidget *window;
	GuiPanel *panel = panel_in_window(&window);
	g_signal_connect(panel, "request-changed", G_CALLBACK(on_request), NULL);
	g_autoptr(SimSnapshot) s0 = sim_snapshot_take(machine);
	gui_panel_select(panel, 2, 0);
	gui_panel_update(panel, s0, FALSE, 0, 0);
	SimSnapRequest req;
	gui_panel_get_request(panel, &req);
	g_assert_cmpuint(req.detail, ==, 0);   /* the CPU page needs nothing heavy */

	requests = 0;
	gui_panel_show_page(panel, GUI_PANEL_PAGE_MEMORY);
	g_assert_cmpuint(requests, >, 0);
	g_assert_false(gui_panel_set_hex_range(panel, "nonsense"));
	g_autofree char *err = gui_panel_page_text(panel, GUI_PANEL_PAGE_MEMORY);
	check_text_contains(err, "is not an address");
	g_assert_true(gui_panel_set_hex_range(panel, "0x100000 32"));
	gui_panel_get_request(panel, &req);
	g_assert_true(req.detail & SIM_SNAP_DETAIL_GPA_MAP);
	g_assert_true(req.detail & SIM_SNAP_DETAIL_MEMORY);
	g_assert_cmpuint(req.mem_partition, ==, 2);
	g_assert_cmphex(req.mem_gpa, ==, 0x100000);
	g_assert_cmpuint(req.mem_len, ==, 32);

	g_autoptr(SimSnapshot) s1 = sim_snapshot_take_detail(machine, &req);
	gui_panel_update(panel, s1, FALSE, 0, 0);
	g_autofree char *text = gui_panel_page_text(panel, GUI_PANEL_PAGE_MEMORY);
	g_autofree char *first = g_strdup_printf("000000100000  %02x %02x", s1->memory.bytes[0], s1->memory.bytes[1]);
	check_text_contains(text, first);
	check_text_contains(text, "child GPA range");

	/* Consoles: asked for on their page, one view per partition. */
	gui_panel_show_page(panel, GUI_PANEL_PAGE_CONSOLES);
	gui_panel_get_request(panel, &req);
	g_assert_true(req.detail & SIM_SNAP_DETAIL_CONSOLES);
	g_autoptr(SimSnapshot) s2 = sim_snapshot_take_detail(machine, &req);
	gui_panel_update(panel, s2, FALSE, 0, 0);
	g_autofree char *cons = gui_panel_page_text(panel, GUI_PANEL_PAGE_CONSOLES);
	check_text_contains(cons, "== partition 1 ==");
	check_text_contains(cons, "== partition 2 ==");
	check_text_contains(cons, sim_snapshot_partition(s2, 2)->console_last);
	gtk_window_destroy(GTK_WINDOW(window));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	have_display = gtk_init_check();
	machine = boot_to_child();
	g_test_add_func("/gui/panel/text/disasm", test_text_disasm);
	g_test_add_func("/gui/panel/text/vmcs", test_text_vmcs);
	g_test_add_func("/gui/panel/text/exit-instruction", test_exit_instruction);
	g_test_add_func("/gui/panel/text/memory-map", test_text_memory);
	g_test_add_func("/gui/panel/text/parse-range", test_parse_range);
	g_test_add_func("/gui/panel/text/parse-guest-address", test_parse_guest_address);
	g_test_add_func("/gui/panel/text/parse-guest-address-label", test_parse_guest_address_label);
	g_test_add_func("/gui/panel/gauge/fill", test_gauge);
	g_test_add_func("/gui/panel/widget/select-child", test_widget_select);
	g_test_add_func("/gui/panel/widget/memory-and-consoles", test_widget_memory);
	int rc = g_test_run();
	sim_machine_free(machine);
	return rc;
}
