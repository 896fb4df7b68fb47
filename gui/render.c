/* render.c — the architecture view drawn with Cairo from a SimSnapshot:
 * a layout pass computes named rectangles, the drawing pass paints them.
 * Runs on the thread that owns the cairo_t; reads only the snapshot. */
#include <math.h>
#include <string.h>

#include "render.h"
#include "vmx.h"

/* ---- Styles ------------------------------------------------------------------ */

typedef struct Rgb { double r, g, b; } Rgb;

typedef struct Palette {
	Rgb bg, text, dim_text, border;
	Rgb hardware, hw_item, hypervisor, hv_item;
	Rgb root, child, guest, booted;
	Rgb ring3, ring0, component, console;
	Rgb vmbus, stopped;
} Palette;

#define RGB(hex) { (((hex) >> 16) & 0xff) / 255.0, (((hex) >> 8) & 0xff) / 255.0, ((hex) & 0xff) / 255.0 }

static const Palette light = {
	.bg = RGB(0xf7f7f4), .text = RGB(0x1b1b1b), .dim_text = RGB(0x55585e), .border = RGB(0x5c6470),
	.hardware = RGB(0xd5dae1), .hw_item = RGB(0xf0f2f5), .hypervisor = RGB(0xf2d3a4), .hv_item = RGB(0xfbeedb),
	.root = RGB(0xc7ddf4), .child = RGB(0xcfe9c9), .guest = RGB(0xe1d6f1), .booted = RGB(0xc7ddf4),
	.ring3 = RGB(0xeef5fc), .ring0 = RGB(0xdfe9f5), .component = RGB(0xffffff), .console = RGB(0x2a2d33),
	.vmbus = RGB(0x7a2fd0), .stopped = RGB(0x9aa0a8),
};

static const Palette dark = {
	.bg = RGB(0x1c1e23), .text = RGB(0xf0f0f0), .dim_text = RGB(0xb8bcc4), .border = RGB(0x9aa3b0),
	.hardware = RGB(0x3a3f48), .hw_item = RGB(0x4a505b), .hypervisor = RGB(0x6e4c1e), .hv_item = RGB(0x86602c),
	.root = RGB(0x24405e), .child = RGB(0x27502e), .guest = RGB(0x45325f), .booted = RGB(0x24405e),
	.ring3 = RGB(0x2d3f52), .ring0 = RGB(0x263646), .component = RGB(0x32363e), .console = RGB(0x0e0f12),
	.vmbus = RGB(0xc9a2ff), .stopped = RGB(0x6b7079),
};

static const Palette *palette_of(const HvsimRenderOptions *opt)
{
	return opt && opt->style == HVSIM_RENDER_DARK ? &dark : &light;
}

void hvsim_render_legend_name(GuiAnimKind kind, char *buf, gsize len)
{
	g_snprintf(buf, len, "legend.%d", (int)kind);
}

guint32 hvsim_render_background(const HvsimRenderOptions *opt)
{
	const Rgb *c = &palette_of(opt)->bg;
	return ((guint32)lround(c->r * 255) << 16) | ((guint32)lround(c->g * 255) << 8) | (guint32)lround(c->b * 255);
}

/* ---- Layout ------------------------------------------------------------------ */

/* Sizes scale with the canvas; the presentation mode enlarges the type. */
typedef struct Metrics {
	double scale, font, small, margin, pad, gutter;
	double route_h;    /* the strip above ring -1 the links run along */
	double hw_gap;     /* the strip between ring -1 and the hardware */
	double bypass_w;   /* beside ring -1: passed-through I/O goes round the hypervisor */
	double slack;      /* free space kept under a ring band's components (links, counters) */
} Metrics;

static Metrics metrics(double width, double height, const HvsimRenderOptions *opt)
{
	Metrics mt;
	mt.scale = MIN(width / 1280.0, height / 720.0);
	if (mt.scale <= 0)
		mt.scale = 1;
	gboolean pres = opt && opt->presentation;
	mt.font = (pres ? 17.0 : 13.0) * mt.scale;
	mt.small = mt.font * 0.86;
	mt.margin = 10.0 * mt.scale;
	mt.pad = 6.0 * mt.scale;
	mt.gutter = mt.font * 5.6; /* "ring -1" in bold, with room to spare */
	mt.route_h = mt.font * 2.0;
	mt.hw_gap = mt.font * 1.4;
	mt.bypass_w = mt.font * 1.6;
	mt.slack = mt.font * 1.5;
	return mt;
}

static int add(GArray *l, int parent, HvsimRenderKind kind, uint32_t partition, double x, double y, double w,
               double h, const char *name, const char *label)
{
	HvsimRenderRect r;
	memset(&r, 0, sizeof r);
	g_strlcpy(r.name, name, sizeof r.name);
	g_strlcpy(r.label, label ? label : "", sizeof r.label);
	r.kind = kind;
	r.parent = parent;
	r.partition = partition;
	r.x = x;
	r.y = y;
	r.w = MAX(w, 0);
	r.h = MAX(h, 0);
	g_array_append_val(l, r);
	return (int)l->len - 1;
}

static const HvsimRenderRect *at(const GArray *l, int i)
{
	return &g_array_index(l, HvsimRenderRect, i);
}

/* Lays `n` components out in `band` between `top` and `bottom`, one row
 * if they fit at a readable width, else two; centred vertically, or at
 * the top when `at_top` (the space under them stays free for links). */
static void add_components(GArray *l, int band, const Metrics *mt, uint32_t pid, const char *prefix,
                           const char *const *names, const char *const *labels, guint n, double top, double bottom,
                           gboolean at_top)
{
	const HvsimRenderRect r = *at(l, band);
	double avail_h = MAX(bottom - top, 1);
	guint rows = 1;
	double w1 = (r.w - mt->pad * (n + 1)) / n;
	/* A ring band keeps one row however narrow: every component's links
	 * leave from its bottom edge, which a second row would block. */
	if (w1 < mt->font * 7.0 && n > 1 && !at_top)
		rows = 2;
	guint per_row = (n + rows - 1) / rows;
	double cw = (r.w - mt->pad * (per_row + 1)) / per_row;
	double ch = (avail_h - mt->pad * (rows - 1)) / rows;
	ch = MIN(ch, mt->font * (at_top ? 3.4 : 4.0));
	double spare = avail_h - rows * ch - mt->pad * (rows - 1);
	top += at_top ? MIN(spare * 0.3, mt->font) : spare / 2;
	for (guint i = 0; i < n; i++) {
		guint row = i / per_row, col = i % per_row;
		char name[HVSIM_RENDER_NAME_MAX];
		g_snprintf(name, sizeof name, "%s.%s", prefix, names[i]);
		add(l, band, HVSIM_RK_COMPONENT, pid, r.x + mt->pad + col * (cw + mt->pad), top + row * (ch + mt->pad), cw,
		    ch, name, labels[i]);
	}
}

/* A channel's label holds its relid between two ring gauges of
 * CHANNEL_GAUGE small em each (child -> parent left, parent -> child right). */
#define CHANNEL_GAUGE  2.6
#define CHANNEL_GAUGES (2 * CHANNEL_GAUGE + 1.2)

/* ---- Captions: text inside a band, as wide as the text ---- */

typedef enum Align { ALIGN_LEFT, ALIGN_CENTER, ALIGN_RIGHT } Align;

/* A caption's rectangle holds its text: the size is h / CAPTION_LINE and
 * the baseline CAPTION_BASE of h below the top. */
#define CAPTION_LINE 1.25
#define CAPTION_BASE 0.76

static double text_width(cairo_t *mc, const char *text, double size, gboolean bold)
{
	cairo_select_font_face(mc, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
	                       bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(mc, size);
	cairo_text_extents_t ex;
	cairo_text_extents(mc, text, &ex);
	return ex.x_advance;
}

/* A caption of `text` at `size`, its baseline at `baseline`, in the span
 * [x, x + max_w) aligned as `align` (the text shrinks or is cut to fit). */
static int add_caption(GArray *l, cairo_t *mc, int parent, const char *name, const char *text, double size,
                       gboolean bold, double x, double baseline, double max_w, Align align)
{
	double w = MIN(text_width(mc, text, size, bold) + 2, MAX(max_w, 1));
	double rx = align == ALIGN_RIGHT ? x + max_w - w : align == ALIGN_CENTER ? x + (max_w - w) / 2 : x;
	double h = size * CAPTION_LINE;
	return add(l, parent, HVSIM_RK_CAPTION, at(l, parent)->partition, rx, baseline - h * CAPTION_BASE, w, h, name,
	           text);
}

static const char *vendor_feature(const SimSnapshot *s)
{
	if (!s->has_virtualization)
		return "no VT-x / AMD-V";
	return s->vendor == SIM_VENDOR_AMD ? "AMD-V" : "Intel VT-x";
}

static void human_bytes(char *buf, gsize len, uint64_t bytes)
{
	if (bytes >= (1ull << 20))
		g_snprintf(buf, len, "%" G_GUINT64_FORMAT " MiB", bytes >> 20);
	else
		g_snprintf(buf, len, "%" G_GUINT64_FORMAT " KiB", bytes >> 10);
}

/* 1234567 -> "1,234,567" */
static void thousands(char *buf, gsize len, uint64_t v)
{
	char digits[24];
	int n = g_snprintf(digits, sizeof digits, "%" G_GUINT64_FORMAT, v);
	gsize o = 0;
	for (int i = 0; i < n && o + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

static void layout_hardware(GArray *l, cairo_t *mc, const Metrics *mt, const SimSnapshot *s, double x, double y,
                            double w, double h)
{
	int hw = add(l, -1, HVSIM_RK_HARDWARE, 0, x, y, w, h, "hardware", "hardware");
	add_caption(l, mc, hw, "hardware.title", "hardware", mt->font, TRUE, x + mt->pad, y + mt->font * 1.15,
	            w - 2 * mt->pad, ALIGN_LEFT);
	char lp[96], mem[96], disk[96] = "", uart[96] = "", timer[96];
	uint64_t ram = 0;
	for (guint i = 0; i < s->n_partitions; i++)
		if (s->partitions[i].parent_id == 0)
			ram += s->partitions[i].memory_bytes;
	char size[32];
	g_snprintf(lp, sizeof lp, "logical processor 0|%s", vendor_feature(s));
	human_bytes(size, sizeof size, ram);
	g_snprintf(mem, sizeof mem, "memory|%s RAM", size);
	for (guint i = 0; i < s->n_devices; i++) {
		const SimSnapDevice *d = &s->devices[i];
		if (d->kind == SIM_SNAP_DEV_DISK && !disk[0]) {
			human_bytes(size, sizeof size, d->size_bytes);
			g_snprintf(disk, sizeof disk, "disk (ATA)|%s, ports 0x%x-0x%x", size, d->port_first, d->port_last);
		} else if (d->kind == SIM_SNAP_DEV_UART && !uart[0]) {
			g_snprintf(uart, sizeof uart, "UART 16550|COM1, ports 0x%x-0x%x", d->port_first, d->port_last);
		}
	}
	if (!disk[0])
		g_strlcpy(disk, "disk|none", sizeof disk);
	if (!uart[0])
		g_strlcpy(uart, "UART|none", sizeof uart);
	g_snprintf(timer, sizeof timer, "timer|platform clock, %.3f ms", s->vtime / 1e6);
	const char *names[] = { "lp0", "memory", "disk", "uart", "timer" };
	const char *labels[] = { lp, mem, disk, uart, timer };
	add_components(l, hw, mt, 0, "hw", names, labels, G_N_ELEMENTS(names), y + mt->font * 1.5, y + h - mt->pad,
	               FALSE);
	for (guint i = l->len - G_N_ELEMENTS(names); i < l->len; i++)
		g_array_index(l, HvsimRenderRect, i).kind = HVSIM_RK_HW_ITEM;
}

/* The hypervisor band: its components at the top, where the links from
 * the partitions come in, and its title under them. */
static void layout_hypervisor(GArray *l, cairo_t *mc, const Metrics *mt, const SimSnapshot *s, double x, double y,
                              double w, double h)
{
	char title[96], image[96];
	g_snprintf(title, sizeof title, "hypervisor %s · VMX root (ring -1)", s->hypervisor);
	int hv = add(l, -1, HVSIM_RK_HYPERVISOR, 0, x, y, w, h, "hypervisor", title);
	g_snprintf(image, sizeof image, "%s|%s image", s->hypervisor, vendor_feature(s));
	const char *names[] = { "image", "scheduler", "synic", "hypercalls" };
	const char *labels[] = { image, "scheduler|VPs on the LP", "SynIC|messages, events", "hypercall interface|hypercall page" };
	add_components(l, hv, mt, 0, "hv", names, labels, G_N_ELEMENTS(names), y + mt->pad, y + h - mt->font * 1.5,
	               FALSE);
	for (guint i = l->len - G_N_ELEMENTS(names); i < l->len; i++)
		g_array_index(l, HvsimRenderRect, i).kind = HVSIM_RK_HV_ITEM;
	add_caption(l, mc, hv, "hypervisor.title", title, mt->font, TRUE, x + mt->pad, y + h - mt->font * 0.45,
	            w - 2 * mt->pad, ALIGN_LEFT);
}

/* A ring band's captions: what the ring is on the left, where the
 * partition's first VP is now on the right (its CPL picks the ring). */
static void ring_captions(GArray *l, cairo_t *mc, const Metrics *mt, const SimSnapPartition *p, int band,
                          gboolean ring3)
{
	const HvsimRenderRect r = *at(l, band);
	double base = r.y + mt->small * 1.15, half = r.w / 2 - mt->pad;
	char name[HVSIM_RENDER_NAME_MAX];
	g_snprintf(name, sizeof name, "%s.caption", r.name);
	add_caption(l, mc, band, name, ring3 ? "user mode" : "kernel mode", mt->small, FALSE, r.x + mt->pad, base, half,
	            ALIGN_LEFT);
	if (p->n_vps && p->vps[0].started && !p->stopped && (p->vps[0].cpl == 3) == ring3) {
		char here[48];
		g_snprintf(here, sizeof here, "\u25B6 VP%u is here%s", p->vps[0].index, p->vps[0].halted ? " (halted)" : "");
		g_snprintf(name, sizeof name, "%s.here", r.name);
		add_caption(l, mc, band, name, here, mt->small, TRUE, r.x + r.w / 2, base, half, ALIGN_RIGHT);
	}
}

/* One partition column: header, console line, ring 3 over ring 0. */
static void layout_partition(GArray *l, cairo_t *mc, const Metrics *mt, const SimSnapshot *s,
                             const SimSnapPartition *p, const HvsimRenderOptions *opt, double x, double y, double w,
                             double h, double *ring3_y, double *ring3_h, double *ring0_y, double *ring0_h)
{
	char name[HVSIM_RENDER_NAME_MAX], label[96];
	g_snprintf(name, sizeof name, "part.%u", p->id);
	gboolean booted = !s->hv_launched;
	if (booted)
		g_snprintf(label, sizeof label, "%s: the booted OS, no hypervisor yet", p->name);
	else
		g_snprintf(label, sizeof label, "partition %u · %s%s", p->id,
		           p->role == SIM_SNAP_ROLE_ROOT ? "parent (root)" : p->role == SIM_SNAP_ROLE_CHILD ? "child" : "guest",
		           p->deleted ? " · deleted" : "");
	int part = add(l, -1, HVSIM_RK_PARTITION, p->id, x, y, w, h, name, label);

	double pad = mt->pad;
	double hdr_h = mt->font * 2.9;
	double con_h = mt->small * 1.6;
	char sub[HVSIM_RENDER_NAME_MAX];
	g_snprintf(sub, sizeof sub, "part.%u.header", p->id);
	int hdr = add(l, part, HVSIM_RK_PART_HEADER, p->id, x + pad, y + pad, w - 2 * pad, hdr_h, sub, label);
	/* The header's first line: the partition's name and, where the last
	 * VM exit left this partition, its reason at the right. */
	double hw = w - 2 * pad, base = y + pad + mt->font * 1.05;
	g_snprintf(sub, sizeof sub, "part.%u.title", p->id);
	int t = add_caption(l, mc, hdr, sub, label, mt->font * 1.1, TRUE, x + pad, base, hw, ALIGN_LEFT);
	if (opt && opt->exit_partition == p->id) {
		char mark[80];
		uint32_t basic = opt->exit_reason & VMX_EXIT_REASON_BASIC_MASK;
		g_snprintf(mark, sizeof mark, "\u25BC VM exit: %s", vmx_exit_reason_name(basic));
		double used = at(l, t)->w + mt->font;
		g_snprintf(sub, sizeof sub, "part.%u.exit", p->id);
		add_caption(l, mc, hdr, sub, mark, mt->small, TRUE, x + pad + used, base, MAX(hw - used, 1), ALIGN_RIGHT);
	}
	g_snprintf(sub, sizeof sub, "part.%u.console", p->id);
	add(l, part, HVSIM_RK_CONSOLE, p->id, x + pad, y + pad + hdr_h + pad, w - 2 * pad, con_h, sub, p->console_last);

	double rings_top = y + pad + hdr_h + pad + con_h + pad;
	double rings_h = y + h - pad - rings_top;
	double r3h = (rings_h - pad) * 0.45, r0h = rings_h - pad - r3h;
	g_snprintf(sub, sizeof sub, "part.%u.ring3", p->id);
	int r3 = add(l, part, HVSIM_RK_RING, p->id, x + pad, rings_top, w - 2 * pad, r3h, sub, "ring 3 · user mode");
	g_snprintf(sub, sizeof sub, "part.%u.ring0", p->id);
	int r0 = add(l, part, HVSIM_RK_RING, p->id, x + pad, rings_top + r3h + pad, w - 2 * pad, r0h, sub,
	             "ring 0 · kernel mode");
	*ring3_y = rings_top;
	*ring3_h = r3h;
	*ring0_y = rings_top + r3h + pad;
	*ring0_h = r0h;
	ring_captions(l, mc, mt, p, r3, TRUE);
	ring_captions(l, mc, mt, p, r0, FALSE);

	char prefix3[HVSIM_RENDER_NAME_MAX], prefix0[HVSIM_RENDER_NAME_MAX];
	g_snprintf(prefix3, sizeof prefix3, "part.%u.ring3", p->id);
	g_snprintf(prefix0, sizeof prefix0, "part.%u.ring0", p->id);
	const char *const *n3, *const *l3, *const *n0, *const *l0;
	guint c3, c0;
	static const char *const b_n3[] = { "apps" }, *const b_l3[] = { "applications|worker, init" };
	static const char *const b_n0[] = { "kernel", "hvboot" }, *const b_l0[] = { "kernel|on the bare CPU", "hvboot|hypervisor loader" };
	static const char *const r_n3[] = { "worker", "vidlib" }, *const r_l3[] = { "worker process|vmwp", "VID library|calls the VID driver" };
	static const char *const r_n0[] = { "kernel", "vid", "vmbus", "vsp" };
	static const char *const r_l0[] = { "kernel", "VID driver|hypercalls", "VMBus driver|server", "VSPs|storvsp" };
	static const char *const c_n3[] = { "apps" }, *const c_l3[] = { "applications|iotest, init" };
	static const char *const c_n0[] = { "kernel", "vmbus", "vsc" }, *const c_l0[] = { "kernel", "VMBus driver|client", "VSCs|storvsc" };
	static const char *const g_n3[] = { "apps" }, *const g_l3[] = { "applications" };
	static const char *const g_n0[] = { "kernel" }, *const g_l0[] = { "kernel" };
	if (booted) {
		n3 = b_n3, l3 = b_l3, c3 = G_N_ELEMENTS(b_n3), n0 = b_n0, l0 = b_l0, c0 = G_N_ELEMENTS(b_n0);
	} else if (p->role == SIM_SNAP_ROLE_ROOT) {
		n3 = r_n3, l3 = r_l3, c3 = G_N_ELEMENTS(r_n3), n0 = r_n0, l0 = r_l0, c0 = G_N_ELEMENTS(r_n0);
	} else if (p->role == SIM_SNAP_ROLE_CHILD) {
		n3 = c_n3, l3 = c_l3, c3 = G_N_ELEMENTS(c_n3), n0 = c_n0, l0 = c_l0, c0 = G_N_ELEMENTS(c_n0);
	} else {
		n3 = g_n3, l3 = g_l3, c3 = G_N_ELEMENTS(g_n3), n0 = g_n0, l0 = g_l0, c0 = G_N_ELEMENTS(g_n0);
	}
	/* Under the caption row, at the top: the rest of the band is where
	 * the links leave and their counters sit. */
	double cap = mt->font * 1.5, least = mt->font * 2.6;   /* two lines of a component */
	double slack3 = CLAMP(r3h - cap - least, mt->font * 0.9, mt->slack);
	double slack0 = CLAMP(r0h - cap - least, mt->font * 0.9, mt->slack);
	add_components(l, r3, mt, p->id, prefix3, n3, l3, c3, rings_top + cap, rings_top + r3h - slack3, TRUE);
	add_components(l, r0, mt, p->id, prefix0, n0, l0, c0, *ring0_y + cap, *ring0_y + r0h - slack0, TRUE);
}

/* A partition column's share of the width: how many components its
 * kernel-mode band holds (layout_partition), at least two. */
static double column_weight(const SimSnapshot *s, const SimSnapPartition *p)
{
	if (!s->hv_launched)
		return 2;   /* kernel, hvboot */
	if (p->role == SIM_SNAP_ROLE_ROOT)
		return 4;   /* kernel, VID driver, VMBus driver, VSPs */
	if (p->role == SIM_SNAP_ROLE_CHILD)
		return 3;   /* kernel, VMBus driver, VSCs */
	return 2;
}

/* The legend: one item per kind of token, a swatch and its name, and the
 * animation's status at the end; on two rows when one would squeeze the
 * names (presentation type at 1280 wide). Widths follow the names' length. */
/* The width a legend item needs: swatch, gap and name (DejaVu Sans runs
 * about 0.56 em a character). */
static double legend_item_w(const Metrics *mt, GuiAnimKind kind)
{
	return mt->small * (2.9 + 0.56 * g_utf8_strlen(gui_anim_kind_name(kind), -1));
}

static double legend_rows(const Metrics *mt, double w)
{
	double need = 0;
	for (int k = 0; k < GUI_ANIM_N_KINDS; k++)
		need += legend_item_w(mt, (GuiAnimKind)k);
	return need > w * 0.72 ? 2 : 1;
}

static void layout_legend(GArray *l, const Metrics *mt, double x, double y, double w, double h, guint rows)
{
	int legend = add(l, -1, HVSIM_RK_LEGEND, 0, x, y, w, h, "legend", "legend");
	double row_h = h / rows;
	guint per_row = rows == 1 ? GUI_ANIM_N_KINDS : (GUI_ANIM_N_KINDS + 1) / 2;
	for (guint row = 0; row < rows; row++) {
		guint first = row * per_row, last = MIN(first + per_row, (guint)GUI_ANIM_N_KINDS);
		double need = 0;
		for (guint k = first; k < last; k++)
			need += legend_item_w(mt, (GuiAnimKind)k);
		/* The status takes what the names leave, at least a quarter. */
		double names_w = MIN(need, w * 0.75);
		double cx = x;
		for (guint k = first; k < last; k++) {
			double iw = names_w * legend_item_w(mt, (GuiAnimKind)k) / need;
			char name[HVSIM_RENDER_NAME_MAX];
			hvsim_render_legend_name((GuiAnimKind)k, name, sizeof name);
			add(l, legend, HVSIM_RK_LEGEND_ITEM, 0, cx, y + row * row_h, iw, row_h, name,
			    gui_anim_kind_name((GuiAnimKind)k));
			cx += iw;
		}
		if (row == rows - 1)
			add(l, legend, HVSIM_RK_LEGEND_ITEM, 0, cx, y + row * row_h, x + w - cx, row_h, "legend.status", "");
	}
}

/* The partitions the picture shows: before the launch only the OS that
 * booted (nothing else can exist yet), afterwards all of them. */
static gboolean shown(const SimSnapshot *s, const SimSnapPartition *p)
{
	return s->hv_launched || p->role == SIM_SNAP_ROLE_ROOT;
}

GArray *hvsim_render_layout(double width, double height, const SimSnapshot *s, const HvsimRenderOptions *opt)
{
	g_return_val_if_fail(s != NULL, NULL);
	GArray *l = g_array_new(FALSE, TRUE, sizeof(HvsimRenderRect));
	Metrics mt = metrics(width, height, opt);
	double m = mt.margin;
	/* Captions are as wide as their text: measured with Cairo's own font
	 * metrics, the ones the drawing uses. */
	cairo_surface_t *ms = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
	cairo_t *mc = cairo_create(ms);

	char title[160], insns[32];
	thousands(insns, sizeof insns, s->insns);
	if (s->hv_launched)
		g_snprintf(title, sizeof title, "%s · hypervisor %s running · %s instructions · %.3f ms virtual time",
		           vendor_feature(s), s->hypervisor, insns, s->vtime / 1e6);
	else
		g_snprintf(title, sizeof title, "%s · no hypervisor yet: the OS runs on the bare CPU · %s instructions",
		           vendor_feature(s), insns);
	double title_h = mt.font * 1.7;
	add(l, -1, HVSIM_RK_TITLE, 0, m, m, width - 2 * m, title_h, "title", title);

	double top = m + title_h + m;
	guint rows = (guint)legend_rows(&mt, width - 2 * m);
	double legend_h = mt.small * 1.7 * rows;
	layout_legend(l, &mt, m, height - m - legend_h, width - 2 * m, legend_h, rows);
	double bottom = height - m - legend_h - m * 0.5;
	double left = m + mt.gutter;
	double right = width - m;
	double cw = right - left, chh = bottom - top;

	/* Bottom up: hardware, the strip above it, ring -1 (with the bypass
	 * beside it), the strip the links run along, the VMBus lane, the
	 * partitions. */
	double hw_h = MAX(chh * 0.16, mt.font * 4.6);
	double hw_y = bottom - hw_h;
	layout_hardware(l, mc, &mt, s, left, hw_y, cw, hw_h);
	double above = hw_y;

	guint n_shown = 0, n_children = 0;
	for (guint i = 0; i < s->n_partitions; i++) {
		n_shown += shown(s, &s->partitions[i]);
		n_children += s->hv_launched && s->partitions[i].parent_id != 0;
	}

	double hv_y = 0, hv_h = 0;
	if (s->hv_launched) {
		add(l, -1, HVSIM_RK_ROUTE, 0, left, above - mt.hw_gap, cw, mt.hw_gap, "route.hw", "");
		above -= mt.hw_gap;
		hv_h = MAX(chh * 0.14, mt.font * 4.4);
		hv_y = above - hv_h;
		layout_hypervisor(l, mc, &mt, s, left, hv_y, cw - mt.bypass_w, hv_h);
		add(l, -1, HVSIM_RK_ROUTE, 0, left + cw - mt.bypass_w, hv_y, mt.bypass_w, hv_h, "route.bypass", "");
		above = hv_y;
	}
	add(l, -1, HVSIM_RK_ROUTE, 0, left, above - mt.route_h, cw, mt.route_h, "route.main", "");
	above -= mt.route_h;

	double lane_y = 0, lane_h = 0;
	int lane = -1;
	if (s->hv_launched && n_children) {
		lane_h = MAX(mt.font * 1.5 * MAX(s->n_channels, 1), mt.font * 1.6);
		lane_h = MIN(lane_h, chh * 0.14);
		lane_y = above - lane_h;
		lane = add(l, -1, HVSIM_RK_VMBUS_LANE, 0, left, lane_y, cw, lane_h, "vmbus", "VMBus");
		if (!s->n_channels)
			/* At the right end: under the child's VSCs, which have no
			 * link before a channel exists. */
			add_caption(l, mc, lane, "vmbus.note", "VMBus: no channel open yet", mt.small, FALSE,
			            left + cw / 2, lane_y + lane_h / 2 + mt.small * 0.35, cw / 2 - mt.pad, ALIGN_RIGHT);
		above = lane_y - m * 0.5;
	}

	/* Partition columns, the parent first (snapshot order), each as wide
	 * as its kernel-mode components need: the parent's four (kernel, VID
	 * driver, VMBus driver, VSPs) get more room than a child's three, so
	 * "VMBus driver" stays whole with three partitions at 1280 x 720. */
	double part_top = top;
	double part_h = above - part_top;
	double weights = 0;
	for (guint i = 0; i < s->n_partitions; i++)
		if (shown(s, &s->partitions[i]))
			weights += column_weight(s, &s->partitions[i]);
	double free_w = n_shown ? cw - m * (n_shown - 1) : cw;
	double r3y = 0, r3h = 0, r0y = 0, r0h = 0;
	double x = left;
	for (guint i = 0; i < s->n_partitions; i++) {
		const SimSnapPartition *p = &s->partitions[i];
		if (!shown(s, p))
			continue;
		double col_w = free_w * column_weight(s, p) / weights;
		layout_partition(l, mc, &mt, s, p, opt, x, part_top, col_w, part_h, &r3y, &r3h, &r0y, &r0h);
		x += col_w + m;
	}

	/* Channels: each its own sub-lane, a line from the parent's VSPs to the
	 * child's VSCs (side by side where they leave the boxes, so each stays
	 * visible); its label and ring gauges in the middle. */
	if (lane >= 0 && s->n_channels) {
		double sub_h = lane_h / s->n_channels;
		/* The labels start right of where the channels leave the VSPs
		 * (the lines down from them), in the gap between the columns:
		 * the links down from the other components pass beside them. */
		double spread_max = (s->n_channels - 1) / 2.0 * 8 * mt.scale;
		for (guint c = 0; c < s->n_channels; c++) {
			const SimSnapChannel *ch = &s->channels[c];
			const SimSnapPartition *cp = sim_snapshot_partition(s, ch->child_id);
			if (!cp || cp->parent_id == 0)
				continue;
			char vsp[HVSIM_RENDER_NAME_MAX], vsc[HVSIM_RENDER_NAME_MAX];
			g_snprintf(vsp, sizeof vsp, "part.%u.ring0.vsp", cp->parent_id);
			g_snprintf(vsc, sizeof vsc, "part.%u.ring0.vsc", cp->id);
			const HvsimRenderRect *a = hvsim_render_layout_find(l, vsp), *b = hvsim_render_layout_find(l, vsc);
			if (!a || !b)
				continue;
			double spread = (c - (s->n_channels - 1) / 2.0) * 8 * mt.scale;
			double x0 = a->x + a->w / 2 - spread, x1 = b->x + b->w / 2 + spread;
			char name[HVSIM_RENDER_NAME_MAX], label[96];
			g_snprintf(name, sizeof name, "vmbus.%u.%u", ch->child_id, ch->relid);
			g_snprintf(label, sizeof label, "relid %u%s", ch->relid, ch->open ? "" : " (closed)");
			int chi = add(l, lane, HVSIM_RK_VMBUS_CHANNEL, ch->child_id, MIN(x0, x1), lane_y + c * sub_h,
			              fabs(x1 - x0), sub_h, name, label);
			/* The label: a ring gauge, the relid, the other ring's gauge. */
			const HvsimRenderRect *r = at(l, chi);
			double gw = MIN(text_width(mc, label, mt.small, TRUE) + mt.small * CHANNEL_GAUGES, r->w);
			double gh = MIN(mt.small * 1.25, r->h);
			double gx0 = MAX(a->x + a->w / 2 + spread_max + 6 * mt.scale, r->x);
			g_strlcat(name, ".label", sizeof name);
			add(l, chi, HVSIM_RK_CAPTION, ch->child_id, MIN(gx0, r->x + r->w - gw), r->y + (r->h - gh) / 2, gw, gh,
			    name, label);
		}
	}

	/* Ring labels down the side, level with the bands they name. */
	double gx = m, gw = mt.gutter - m;
	if (n_shown) {
		add(l, -1, HVSIM_RK_RING_LABEL, 0, gx, r3y, gw, r3h, "label.ring3", "ring 3");
		add(l, -1, HVSIM_RK_RING_LABEL, 0, gx, r0y, gw, r0h, "label.ring0", "ring 0");
	}
	if (s->hv_launched)
		add(l, -1, HVSIM_RK_RING_LABEL, 0, gx, hv_y, gw, hv_h, "label.ring-1", "ring -1");
	add(l, -1, HVSIM_RK_RING_LABEL, 0, gx, hw_y, gw, hw_h, "label.hardware", "hw");
	cairo_destroy(mc);
	cairo_surface_destroy(ms);
	return l;
}

const HvsimRenderRect *hvsim_render_layout_find(const GArray *layout, const char *name)
{
	g_return_val_if_fail(layout != NULL && name != NULL, NULL);
	for (guint i = 0; i < layout->len; i++)
		if (strcmp(at(layout, (int)i)->name, name) == 0)
			return at(layout, (int)i);
	return NULL;
}

const GArray *hvsim_render_layout_cached(HvsimRenderLayoutCache *c, double width, double height,
                                         const SimSnapshot *snap, const HvsimRenderOptions *opt)
{
	g_return_val_if_fail(c != NULL && snap != NULL, NULL);
	HvsimRenderOptions o = opt ? *opt : (HvsimRenderOptions){ 0 };
	if (!c->layout || c->snap != snap || c->insns != snap->insns || c->vtime != snap->vtime ||
	    c->event_seq != snap->event_seq || c->width != width || c->height != height ||
	    c->opt.style != o.style || c->opt.presentation != o.presentation ||
	    c->opt.exit_partition != o.exit_partition || c->opt.exit_reason != o.exit_reason) {
		g_clear_pointer(&c->layout, g_array_unref);
		c->layout = hvsim_render_layout(width, height, snap, &o);
		c->snap = snap;
		c->insns = snap->insns;
		c->vtime = snap->vtime;
		c->event_seq = snap->event_seq;
		c->width = width;
		c->height = height;
		c->opt = o;
	}
	return c->layout;
}

void hvsim_render_layout_cache_clear(HvsimRenderLayoutCache *c)
{
	if (c) {
		g_clear_pointer(&c->layout, g_array_unref);
		*c = (HvsimRenderLayoutCache){ 0 };
	}
}

/* ---- Drawing ------------------------------------------------------------------ */

typedef struct Painter {
	cairo_t *cr;
	const Palette *pal;
	Metrics mt;
	gboolean pres;
	gboolean mono;           /* console text in the monospace face */
	double shrink;           /* text_fit's smallest size, as a fraction (0: 0.8) */
	const SimSnapshot *snap;
} Painter;

static void set(cairo_t *cr, const Rgb *c)
{
	cairo_set_source_rgb(cr, c->r, c->g, c->b);
}

static void rounded(cairo_t *cr, double x, double y, double w, double h, double r)
{
	r = MIN(r, MIN(w, h) / 2);
	cairo_new_sub_path(cr);
	cairo_arc(cr, x + w - r, y + r, r, -G_PI / 2, 0);
	cairo_arc(cr, x + w - r, y + h - r, r, 0, G_PI / 2);
	cairo_arc(cr, x + r, y + h - r, r, G_PI / 2, G_PI);
	cairo_arc(cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
	cairo_close_path(cr);
}

static void box(Painter *pt, const HvsimRenderRect *r, const Rgb *fill, double line)
{
	cairo_t *cr = pt->cr;
	rounded(cr, r->x, r->y, r->w, r->h, 5 * pt->mt.scale);
	set(cr, fill);
	cairo_fill_preserve(cr);
	set(cr, &pt->pal->border);
	cairo_set_line_width(cr, line * pt->mt.scale * (pt->pres ? 1.6 : 1.0));
	cairo_stroke(cr);
}


/* Text in a width: shrunk down to 80% if needed, then cut with "...".
 * `y` is the baseline. */
static void text_fit(Painter *pt, const char *text, double x, double y, double w, double size, gboolean bold,
                     Align align, const Rgb *colour)
{
	cairo_t *cr = pt->cr;
	if (!text || !*text || w <= 0)
		return;
	cairo_select_font_face(cr, pt->mono ? "DejaVu Sans Mono" : "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
	                       bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_text_extents_t ex;
	cairo_set_font_size(cr, size);
	cairo_text_extents(cr, text, &ex);
	if (ex.x_advance > w) {
		cairo_set_font_size(cr, MAX(size * (pt->shrink > 0 ? pt->shrink : 0.8), size * w / ex.x_advance * 0.97));
		cairo_text_extents(cr, text, &ex);
	}
	g_autofree char *cut = NULL;
	if (ex.x_advance > w) {
		glong n = g_utf8_strlen(text, -1);
		while (n > 0) {
			g_free(cut);
			g_autofree char *head = g_utf8_substring(text, 0, --n);
			cut = g_strconcat(head, "...", NULL);
			cairo_text_extents(cr, cut, &ex);
			if (ex.x_advance <= w)
				break;
		}
		text = cut;
	}
	set(cr, colour);
	double tx = align == ALIGN_CENTER ? x + (w - ex.x_advance) / 2 : align == ALIGN_RIGHT ? x + w - ex.x_advance : x;
	cairo_move_to(cr, tx, y);
	cairo_show_text(cr, text);
}

/* How far a component's title may shrink before it is cut with "...". */
#define COMPONENT_SHRINK 0.6

/* A component: "Title|subtitle", centred. */
static void draw_component(Painter *pt, const HvsimRenderRect *r, const Rgb *fill)
{
	box(pt, r, fill, 1.0);
	const char *bar = strchr(r->label, '|');
	g_autofree char *head = bar ? g_strndup(r->label, bar - r->label) : g_strdup(r->label);
	double f = pt->mt.font, sm = pt->mt.small, inner = r->w - 2 * pt->mt.pad;
	pt->shrink = COMPONENT_SHRINK;
	if (bar) {
		double total = f + sm * 1.15;
		double base = r->y + (r->h - total) / 2 + f * 0.85;
		text_fit(pt, head, r->x + pt->mt.pad, base, inner, f, TRUE, ALIGN_CENTER, &pt->pal->text);
		text_fit(pt, bar + 1, r->x + pt->mt.pad, base + sm * 1.2, inner, sm, FALSE, ALIGN_CENTER, &pt->pal->dim_text);
	} else {
		text_fit(pt, head, r->x + pt->mt.pad, r->y + r->h / 2 + f * 0.35, inner, f, TRUE, ALIGN_CENTER,
		         &pt->pal->text);
	}
	pt->shrink = 0;
}

static const Rgb *partition_fill(Painter *pt, const SimSnapPartition *p)
{
	if (!pt->snap->hv_launched)
		return &pt->pal->booted;
	if (p->deleted || p->stopped)
		return &pt->pal->stopped;
	switch (p->role) {
	case SIM_SNAP_ROLE_ROOT: return &pt->pal->root;
	case SIM_SNAP_ROLE_CHILD: return &pt->pal->child;
	case SIM_SNAP_ROLE_GUEST: return &pt->pal->guest;
	}
	return &pt->pal->guest;
}

static void vp_line(const SimSnapPartition *p, char *buf, gsize len)
{
	if (p->deleted || p->stopped) {
		g_snprintf(buf, len, "%s: %s", p->stop_clean ? "stopped" : "failed",
		           p->stop_reason ? p->stop_reason : "deleted by its parent");
		return;
	}
	if (!p->n_vps) {
		g_strlcpy(buf, "no virtual processor yet", len);
		return;
	}
	const SimSnapVp *vp = &p->vps[0];
	const char *state = !vp->started ? "not started"
	                  : vp->intercept_suspend ? "waiting on an intercept"
	                  : vp->explicit_suspend ? "suspended"
	                  : vp->halted ? "halted" : "running";
	g_snprintf(buf, len, "VP%u · CPL %u · RIP 0x%" G_GINT64_MODIFIER "x · %s%s", vp->index, vp->cpl, vp->rip, state,
	           p->n_vps > 1 ? " · more VPs" : "");
}

/* The header's second line (its first is the captions part.N.title and
 * part.N.exit). */
static void draw_header(Painter *pt, const HvsimRenderRect *r)
{
	const SimSnapPartition *p = sim_snapshot_partition(pt->snap, r->partition);
	double f = pt->mt.font;
	if (!p)
		return;
	char line[160];
	vp_line(p, line, sizeof line);
	char name[64];
	g_snprintf(name, sizeof name, "\"%s\" · ", p->name);
	g_autofree char *second = g_strconcat(pt->snap->hv_launched ? name : "", line, NULL);
	text_fit(pt, second, r->x, r->y + f * 2.45, r->w, pt->mt.small, FALSE, ALIGN_LEFT, &pt->pal->text);
}

static void draw_console(Painter *pt, const HvsimRenderRect *r)
{
	cairo_t *cr = pt->cr;
	rounded(cr, r->x, r->y, r->w, r->h, 3 * pt->mt.scale);
	set(cr, &pt->pal->console);
	cairo_fill(cr);
	static const Rgb console_text = RGB(0xd8f5d0);
	g_autofree char *line = g_strconcat("> ", r->label[0] ? r->label : "(nothing printed yet)", NULL);
	double sm = pt->mt.small;
	pt->mono = TRUE;
	text_fit(pt, line, r->x + pt->mt.pad, r->y + r->h / 2 + sm * 0.35, r->w - 2 * pt->mt.pad, sm, FALSE,
	         ALIGN_LEFT, &console_text);
	pt->mono = FALSE;
}

static void draw_ring(Painter *pt, const HvsimRenderRect *r, gboolean ring3)
{
	cairo_t *cr = pt->cr;
	rounded(cr, r->x, r->y, r->w, r->h, 4 * pt->mt.scale);
	set(cr, ring3 ? &pt->pal->ring3 : &pt->pal->ring0);
	cairo_fill(cr);
}

static const Rgb *mark_colour(const HvsimRenderOptions *opt)
{
	static const Rgb mark_light = RGB(0xc2410c), mark_dark = RGB(0xffb86b);
	return opt && opt->style == HVSIM_RENDER_DARK ? &mark_dark : &mark_light;
}

/* Where the last VM exit happened: its partition outlined (the reason is
 * the caption part.N.exit in its header). */
static void draw_exit_mark(Painter *pt, const GArray *l, const HvsimRenderOptions *opt)
{
	if (!opt || !opt->exit_partition)
		return;
	char name[HVSIM_RENDER_NAME_MAX];
	g_snprintf(name, sizeof name, "part.%u", opt->exit_partition);
	const HvsimRenderRect *part = hvsim_render_layout_find(l, name);
	if (!part)
		return;
	cairo_t *cr = pt->cr;
	double line = (pt->pres ? 4.0 : 3.0) * pt->mt.scale, inset = line / 2 + 0.5;
	rounded(cr, part->x + inset, part->y + inset, part->w - 2 * inset, part->h - 2 * inset, 5 * pt->mt.scale);
	set(cr, mark_colour(opt));
	cairo_set_line_width(cr, line);
	cairo_stroke(cr);
}

/* A caption: its size and baseline follow from its rectangle; its name
 * says how it is drawn. A channel's label is drawn with the channel. */
static void draw_caption(Painter *pt, const GArray *l, const HvsimRenderRect *r, const HvsimRenderOptions *opt)
{
	if (r->parent >= 0 && at(l, r->parent)->kind == HVSIM_RK_VMBUS_CHANNEL)
		return;
	double size = r->h / CAPTION_LINE, base = r->y + r->h * CAPTION_BASE;
	const Rgb *c = &pt->pal->dim_text;
	gboolean bold = FALSE;
	if (g_str_has_suffix(r->name, ".here")) {
		c = &pt->pal->vmbus;
		bold = TRUE;
	} else if (g_str_has_suffix(r->name, ".exit")) {
		c = mark_colour(opt);
		bold = TRUE;
	} else if (g_str_has_suffix(r->name, ".title")) {
		c = &pt->pal->text;
		bold = TRUE;
	} else if (strcmp(r->name, "vmbus.note") == 0) {
		c = &pt->pal->vmbus;
	}
	text_fit(pt, r->label, r->x, base, r->w + 1, size, bold, ALIGN_LEFT, c);
}

static void draw_ring_label(Painter *pt, const HvsimRenderRect *r)
{
	cairo_t *cr = pt->cr;
	set(cr, &pt->pal->border);
	cairo_set_line_width(cr, (pt->pres ? 3.0 : 2.0) * pt->mt.scale);
	double x = r->x + r->w - 2 * pt->mt.scale;
	cairo_move_to(cr, x, r->y + 2 * pt->mt.scale);
	cairo_line_to(cr, x, r->y + r->h - 2 * pt->mt.scale);
	cairo_stroke(cr);
	text_fit(pt, r->label, r->x, r->y + r->h / 2 + pt->mt.font * 0.4, r->w - 6 * pt->mt.scale, pt->mt.font * 1.05,
	         TRUE, ALIGN_CENTER, &pt->pal->text);
}

/* A channel: a line from the parent's VSP down the lane and up to the
 * child's VSC (the layout gives its two ends), labelled with its relid. */
static void draw_channel(Painter *pt, const GArray *l, const HvsimRenderRect *r)
{
	cairo_t *cr = pt->cr;
	const SimSnapPartition *cp = sim_snapshot_partition(pt->snap, r->partition);
	char vsp[HVSIM_RENDER_NAME_MAX], vsc[HVSIM_RENDER_NAME_MAX];
	g_snprintf(vsp, sizeof vsp, "part.%u.ring0.vsp", cp ? cp->parent_id : 0);
	g_snprintf(vsc, sizeof vsc, "part.%u.ring0.vsc", r->partition);
	const HvsimRenderRect *a = hvsim_render_layout_find(l, vsp), *b = hvsim_render_layout_find(l, vsc);
	double y = r->y + r->h / 2;
	set(cr, &pt->pal->vmbus);
	cairo_set_line_width(cr, (pt->pres ? 4.0 : 3.0) * pt->mt.scale);
	double x0 = r->x, x1 = r->x + r->w;
	cairo_move_to(cr, x0, a ? a->y + a->h : y);
	cairo_line_to(cr, x0, y);
	cairo_line_to(cr, x1, y);
	cairo_line_to(cr, x1, b ? b->y + b->h : y);
	cairo_stroke(cr);
	char name[HVSIM_RENDER_NAME_MAX];
	g_snprintf(name, sizeof name, "%s.label", r->name);
	const HvsimRenderRect *lab = hvsim_render_layout_find(l, name);
	if (!lab)
		return;
	double sm = pt->mt.small;
	set(cr, &pt->pal->bg);
	rounded(cr, lab->x, lab->y, lab->w, lab->h, lab->h / 3);
	cairo_fill(cr);
	double g = sm * CHANNEL_GAUGE;
	text_fit(pt, r->label, lab->x + g + sm * 0.3, y + sm * 0.35, lab->w - 2 * g - sm * 0.6, sm, TRUE, ALIGN_CENTER,
	         &pt->pal->vmbus);
	/* The gauges' outlines; the animation fills them. */
	set(cr, &pt->pal->vmbus);
	cairo_set_line_width(cr, 1.2 * pt->mt.scale);
	double bh = sm * 0.75;
	rounded(cr, lab->x + sm * 0.2, y - bh / 2, g - sm * 0.4, bh, bh / 3);
	cairo_stroke(cr);
	rounded(cr, lab->x + lab->w - g + sm * 0.2, y - bh / 2, g - sm * 0.4, bh, bh / 3);
	cairo_stroke(cr);
}

/* The animation's colours: one per kind, saturated enough for a projector
 * on the light style, lighter on the dark one. */
static const guint32 kind_light[GUI_ANIM_N_KINDS] = {
	[GUI_ANIM_RING] = 0x1f5fd6, [GUI_ANIM_HYPERCALL] = 0xd46a00, [GUI_ANIM_VM_EXIT] = 0xd01f2f,
	[GUI_ANIM_INTERCEPT] = 0xc0268f, [GUI_ANIM_SYNIC] = 0x00897b, [GUI_ANIM_VMBUS] = 0x9a7b00,
	[GUI_ANIM_DEVICE_IO] = 0x2e8b12,
};
static const guint32 kind_dark[GUI_ANIM_N_KINDS] = {
	[GUI_ANIM_RING] = 0x6aa8ff, [GUI_ANIM_HYPERCALL] = 0xffa94d, [GUI_ANIM_VM_EXIT] = 0xff6b6b,
	[GUI_ANIM_INTERCEPT] = 0xf57ac8, [GUI_ANIM_SYNIC] = 0x3fd6c4, [GUI_ANIM_VMBUS] = 0xf2cc4a,
	[GUI_ANIM_DEVICE_IO] = 0x6fdc5a,
};

guint32 hvsim_render_kind_colour(const HvsimRenderOptions *opt, GuiAnimKind kind)
{
	g_return_val_if_fail(kind < GUI_ANIM_N_KINDS, 0);
	return (opt && opt->style == HVSIM_RENDER_DARK ? kind_dark : kind_light)[kind];
}

static Rgb kind_rgb(const HvsimRenderOptions *opt, GuiAnimKind kind)
{
	guint32 c = hvsim_render_kind_colour(opt, kind);
	Rgb rgb = RGB(c);
	return rgb;
}

/* A legend item: a swatch (a token on its line) and the kind's name. */
static void draw_legend_item(Painter *pt, const HvsimRenderRect *r, const HvsimRenderOptions *opt)
{
	if (!g_str_has_prefix(r->name, "legend.") || strcmp(r->name, "legend.status") == 0)
		return;
	GuiAnimKind kind = (GuiAnimKind)g_ascii_strtoull(r->name + strlen("legend."), NULL, 10);
	if (kind >= GUI_ANIM_N_KINDS)
		return;
	cairo_t *cr = pt->cr;
	Rgb c = kind_rgb(opt, kind);
	double sm = pt->mt.small, cy = r->y + r->h / 2, sw = sm * 1.8;
	set(cr, &c);
	cairo_set_line_width(cr, MAX(2.0, sm * 0.22));
	cairo_move_to(cr, r->x + sm * 0.2, cy);
	cairo_line_to(cr, r->x + sw, cy);
	cairo_stroke(cr);
	cairo_arc(cr, r->x + sw * 0.6, cy, sm * 0.38, 0, 2 * G_PI);
	cairo_fill(cr);
	text_fit(pt, r->label, r->x + sw + sm * 0.35, cy + sm * 0.35, r->w - sw - sm * 0.6, sm, FALSE, ALIGN_LEFT,
	         &pt->pal->text);
}

void hvsim_render(cairo_t *cr, double width, double height, const SimSnapshot *snap, const HvsimRenderOptions *opt)
{
	g_return_if_fail(cr != NULL && snap != NULL);
	Painter pt = { .cr = cr, .pal = palette_of(opt), .mt = metrics(width, height, opt),
	               .pres = opt && opt->presentation, .snap = snap };
	g_autoptr(GArray) l = hvsim_render_layout(width, height, snap, opt);

	cairo_save(cr);
	set(cr, &pt.pal->bg);
	cairo_rectangle(cr, 0, 0, width, height);
	cairo_fill(cr);

	for (guint i = 0; i < l->len; i++) {
		const HvsimRenderRect *r = at(l, (int)i);
		const SimSnapPartition *p = r->partition ? sim_snapshot_partition(snap, r->partition) : NULL;
		switch (r->kind) {
		case HVSIM_RK_TITLE:
			text_fit(&pt, r->label, r->x, r->y + pt.mt.font * 1.2, r->w, pt.mt.font * 1.1, TRUE, ALIGN_LEFT,
			         &pt.pal->text);
			break;
		case HVSIM_RK_RING_LABEL:
			draw_ring_label(&pt, r);
			break;
		case HVSIM_RK_HARDWARE:
			box(&pt, r, &pt.pal->hardware, 1.5);
			break;
		case HVSIM_RK_HW_ITEM:
			draw_component(&pt, r, &pt.pal->hw_item);
			break;
		case HVSIM_RK_HYPERVISOR:
			box(&pt, r, &pt.pal->hypervisor, 1.5);
			break;
		case HVSIM_RK_HV_ITEM:
			draw_component(&pt, r, &pt.pal->hv_item);
			break;
		case HVSIM_RK_PARTITION:
			box(&pt, r, p ? partition_fill(&pt, p) : &pt.pal->guest, 1.5);
			break;
		case HVSIM_RK_PART_HEADER:
			draw_header(&pt, r);
			break;
		case HVSIM_RK_CONSOLE:
			draw_console(&pt, r);
			break;
		case HVSIM_RK_RING:
			draw_ring(&pt, r, g_str_has_suffix(r->name, "ring3"));
			break;
		case HVSIM_RK_COMPONENT:
			draw_component(&pt, r, &pt.pal->component);
			break;
		case HVSIM_RK_VMBUS_LANE:
		case HVSIM_RK_ROUTE:
			break;
		case HVSIM_RK_CAPTION:
			draw_caption(&pt, l, r, opt);
			break;
		case HVSIM_RK_VMBUS_CHANNEL:
			break;   /* drawn last, over the boxes they connect */
		case HVSIM_RK_LEGEND:
			break;
		case HVSIM_RK_LEGEND_ITEM:
			draw_legend_item(&pt, r, opt);
			break;
		}
	}
	draw_exit_mark(&pt, l, opt);
	for (guint i = 0; i < l->len; i++)
		if (at(l, (int)i)->kind == HVSIM_RK_VMBUS_CHANNEL)
			draw_channel(&pt, l, at(l, (int)i));
	cairo_restore(cr);
}

/* ---- The animation ------------------------------------------------------------- */

/* A stop's element, or its nearest ancestor the layout has
 * ("part.1.ring3.worker" before the launch is "part.1.ring3"). */
static const HvsimRenderRect *resolve(const GArray *l, const char *name)
{
	char buf[HVSIM_RENDER_NAME_MAX];
	g_strlcpy(buf, name, sizeof buf);
	for (;;) {
		const HvsimRenderRect *r = hvsim_render_layout_find(l, buf);
		if (r)
			return r;
		char *dot = strrchr(buf, '.');
		if (!dot)
			return NULL;
		*dot = '\0';
	}
}

/* ---- Routing the links ----------------------------------------------------------- */

/* A link runs orthogonally through free space: down (or up) out of its
 * source, along a gutter, into its destination. It may cross only its two
 * ends and what contains them; every other box and caption is an
 * obstacle. The lane of the VMBus channels and the route strips are open
 * space (a link crosses the channel lines, never their labels). */

#define ROUTE_OBSTACLES_MAX 512

typedef struct Router {
	const GArray *l;
	int a, b;
	double margin;            /* kept between a link and an obstacle */
	guint n;
	const HvsimRenderRect *obs[ROUTE_OBSTACLES_MAX];
} Router;

static int index_of(const GArray *l, const HvsimRenderRect *r)
{
	return (int)(r - &g_array_index(l, HvsimRenderRect, 0));
}

/* Whether `anc` is `i` or contains it. */
static gboolean is_within(const GArray *l, int i, int anc)
{
	for (; i >= 0; i = at(l, i)->parent)
		if (i == anc)
			return TRUE;
	return FALSE;
}

static gboolean open_space(HvsimRenderKind kind)
{
	return kind == HVSIM_RK_LEGEND || kind == HVSIM_RK_VMBUS_LANE || kind == HVSIM_RK_VMBUS_CHANNEL ||
	       kind == HVSIM_RK_ROUTE;
}

static void router_init(Router *R, const GArray *l, int a, int b, double margin)
{
	R->l = l;
	R->a = a;
	R->b = b;
	R->margin = margin;
	R->n = 0;
	for (guint i = 0; i < l->len && R->n < ROUTE_OBSTACLES_MAX; i++) {
		const HvsimRenderRect *r = at(l, (int)i);
		if (open_space(r->kind) || is_within(l, a, (int)i) || is_within(l, b, (int)i) || is_within(l, (int)i, a) ||
		    is_within(l, (int)i, b))
			continue;
		R->obs[R->n++] = r;
	}
}

/* Whether the axis-parallel segment (x0, y0)-(x1, y1) keeps clear of every obstacle. */
static gboolean seg_clear(const Router *R, double x0, double y0, double x1, double y1)
{
	double lx = MIN(x0, x1) - R->margin, hx = MAX(x0, x1) + R->margin;
	double ly = MIN(y0, y1) - R->margin, hy = MAX(y0, y1) + R->margin;
	for (guint i = 0; i < R->n; i++) {
		const HvsimRenderRect *r = R->obs[i];
		if (hx > r->x && lx < r->x + r->w && hy > r->y && ly < r->y + r->h)
			return FALSE;
	}
	return TRUE;
}

/* Where along a box's edge a link may leave: the middle first. */
static const double route_fracs[] = { 0.5, 0.62, 0.38, 0.75, 0.25, 0.87, 0.13 };

static double frac_x(double lo, double hi, double f, double off)
{
	double inset = MIN(3.0, (hi - lo) / 4);
	return CLAMP(lo + (hi - lo) * f + off, lo + inset, hi - inset);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

typedef struct Gap { double y, size; } Gap;

static int cmp_gap(const void *a, const void *b)
{
	const Gap *x = a, *y = b;
	return x->size > y->size ? -1 : x->size < y->size;
}

/* Heights between y0 and y1 where a horizontal run may go: the middles of
 * the free intervals between obstacles' edges (in [xl, xh]), widest first,
 * each shifted by the kind's lane where it is wide enough. */
static guint free_rows(const Router *R, double y0, double y1, double xl, double xh, double off, double *out, guint max)
{
	double edges[2 * ROUTE_OBSTACLES_MAX + 2];
	guint n = 0;
	edges[n++] = y0;
	edges[n++] = y1;
	for (guint i = 0; i < R->n; i++) {
		const HvsimRenderRect *r = R->obs[i];
		if (r->x > xh || r->x + r->w < xl)
			continue;
		double e[2] = { r->y - R->margin, r->y + r->h + R->margin };
		for (int k = 0; k < 2; k++)
			if (e[k] > y0 && e[k] < y1)
				edges[n++] = e[k];
	}
	qsort(edges, n, sizeof *edges, cmp_double);
	/* The strip above ring -1 is kept for them: its rows come first. */
	const HvsimRenderRect *main = hvsim_render_layout_find(R->l, "route.main");
	Gap gaps[2 * ROUTE_OBSTACLES_MAX + 2];
	guint g = 0;
	for (guint i = 0; i + 1 < n; i++) {
		double size = edges[i + 1] - edges[i];
		if (size < 2)
			continue;
		double mid = (edges[i] + edges[i + 1]) / 2;
		gaps[g].y = fabs(off) < size / 2 - 1 ? mid + off : mid;
		gaps[g].size = size;
		if (main && mid > main->y && mid < main->y + main->h)
			gaps[g].size += 1e4;
		g++;
	}
	qsort(gaps, g, sizeof *gaps, cmp_gap);
	guint k = MIN(g, max);
	for (guint i = 0; i < k; i++)
		out[i] = gaps[i].y;
	return k;
}

/* A route from the bottom of `a` down to the top of `b` (a above b).
 * Returns its points (2, 4 or up to HVSIM_RENDER_LINK_POINTS round ring
 * -1, only when `top_level`), or 0 if none is clear. */
static guint route_down(const Router *R, const HvsimRenderRect *a, const HvsimRenderRect *b, double off, double *xy,
                        gboolean top_level)
{
	double y0 = a->y + a->h, y1 = b->y;
	/* Straight down where the two overlap. */
	double lo = MAX(a->x, b->x), hi = MIN(a->x + a->w, b->x + b->w);
	if (hi - lo > 4) {
		for (guint f = 0; f < G_N_ELEMENTS(route_fracs); f++) {
			double x = frac_x(lo, hi, route_fracs[f], off);
			if (seg_clear(R, x, y0, x, y1)) {
				double pts[4] = { x, y0, x, y1 };
				memcpy(xy, pts, sizeof pts);
				return 2;
			}
		}
	}
	/* Down, across a free row, down. */
	double rows[16];
	guint nr = free_rows(R, y0, y1, MIN(a->x, b->x), MAX(a->x + a->w, b->x + b->w), off, rows, G_N_ELEMENTS(rows));
	for (guint i = 0; i < nr; i++) {
		double y = rows[i];
		for (guint fa = 0; fa < G_N_ELEMENTS(route_fracs); fa++) {
			double xa = frac_x(a->x, a->x + a->w, route_fracs[fa], off);
			if (!seg_clear(R, xa, y0, xa, y))
				continue;
			for (guint fb = 0; fb < G_N_ELEMENTS(route_fracs); fb++) {
				double xb = frac_x(b->x, b->x + b->w, route_fracs[fb], off);
				if (seg_clear(R, xb, y, xb, y1) && seg_clear(R, xa, y, xb, y)) {
					double pts[8] = { xa, y0, xa, y, xb, y, xb, y1 };
					memcpy(xy, pts, sizeof pts);
					return 4;
				}
			}
		}
	}
	/* Round ring -1: to the top of the bypass beside it (itself a route),
	 * down it, along the strip under ring -1 (I/O the hypervisor passes
	 * through never enters it). */
	const HvsimRenderRect *main = hvsim_render_layout_find(R->l, "route.main");
	const HvsimRenderRect *by = hvsim_render_layout_find(R->l, "route.bypass");
	const HvsimRenderRect *low = hvsim_render_layout_find(R->l, "route.hw");
	if (!main || !by || !low || !top_level)
		return 0;
	HvsimRenderRect entry = *by;
	entry.y = main->y + main->h / 2 + off * 0.4;
	entry.h = by->y + by->h - entry.y;
	double yb = low->y + low->h / 2 + off * 0.4;
	if (entry.y <= y0 || yb >= y1)
		return 0;
	double head[2 * HVSIM_RENDER_LINK_POINTS];
	guint n = route_down(R, a, &entry, off, head, FALSE);
	if (!n || n + 3 > HVSIM_RENDER_LINK_POINTS)
		return 0;
	double xby = head[2 * n - 2];
	if (!seg_clear(R, xby, entry.y, xby, yb))
		return 0;
	for (guint fb = 0; fb < G_N_ELEMENTS(route_fracs); fb++) {
		double xb = frac_x(b->x, b->x + b->w, route_fracs[fb], off);
		if (seg_clear(R, xby, yb, xb, yb) && seg_clear(R, xb, yb, xb, y1)) {
			memcpy(xy, head, sizeof(double) * 2 * n);
			double tail[6] = { xby, yb, xb, yb, xb, y1 };
			memcpy(xy + 2 * n, tail, sizeof tail);
			return n + 3;
		}
	}
	return 0;
}

/* Where the line from r's centre towards (tx, ty) leaves r. */
static void edge_point(const HvsimRenderRect *r, double tx, double ty, double *x, double *y)
{
	double cx = r->x + r->w / 2, cy = r->y + r->h / 2, dx = tx - cx, dy = ty - cy;
	double sx = fabs(dx) > 1e-9 ? (r->w / 2) / fabs(dx) : G_MAXDOUBLE;
	double sy = fabs(dy) > 1e-9 ? (r->h / 2) / fabs(dy) : G_MAXDOUBLE;
	double t = MIN(1.0, MIN(sx, sy));
	*x = cx + dx * t;
	*y = cy + dy * t;
}

guint hvsim_render_link_points(const GArray *l, double width, double height, const char *from, const char *to,
                               GuiAnimKind kind, const HvsimRenderOptions *opt, double *xy)
{
	g_return_val_if_fail(l != NULL && from != NULL && to != NULL && xy != NULL, 0);
	const HvsimRenderRect *a = resolve(l, from), *b = resolve(l, to);
	if (!a || !b || a == b)
		return 0;
	Metrics mt = metrics(width, height, opt);
	/* Into or out of a channel: down from the component to the channel's
	 * line at its own end, then along it to the middle, where its ring is. */
	if (a->kind == HVSIM_RK_VMBUS_CHANNEL || b->kind == HVSIM_RK_VMBUS_CHANNEL) {
		gboolean into = b->kind == HVSIM_RK_VMBUS_CHANNEL;
		const HvsimRenderRect *ch = into ? b : a, *c = into ? a : b;
		double cx = c->x + c->w / 2, ly = ch->y + ch->h / 2, mx = ch->x + ch->w / 2;
		char lname[HVSIM_RENDER_NAME_MAX];
		g_snprintf(lname, sizeof lname, "%s.label", ch->name);
		const HvsimRenderRect *lab = hvsim_render_layout_find(l, lname);
		if (lab)
			mx = lab->x + lab->w / 2;
		double ex = fabs(cx - ch->x) < fabs(cx - (ch->x + ch->w)) ? ch->x : ch->x + ch->w;
		double pts[6] = { ex, c->y + c->h, ex, ly, mx, ly };
		if (!into) {
			double rev[6] = { pts[4], pts[5], pts[2], pts[3], pts[0], pts[1] };
			memcpy(pts, rev, sizeof pts);
		}
		memcpy(xy, pts, sizeof pts);
		return 3;
	}
	/* Each kind in its own lane, a few pixels beside the others. */
	double off = ((double)kind - (GUI_ANIM_N_KINDS - 1) / 2.0) * 3.5 * mt.scale;
	Router R;
	router_init(&R, l, index_of(l, a), index_of(l, b), 1.5 * mt.scale);
	gboolean down = a->y + a->h <= b->y + 0.5;
	guint n = 0;
	if (down)
		n = route_down(&R, a, b, off, xy, TRUE);
	else if (b->y + b->h <= a->y + 0.5) {
		/* Up: the same way as down from b to a, backwards. */
		double tmp[2 * HVSIM_RENDER_LINK_POINTS];
		n = route_down(&R, b, a, off, tmp, TRUE);
		for (guint i = 0; i < n; i++) {
			xy[2 * i] = tmp[2 * (n - 1 - i)];
			xy[2 * i + 1] = tmp[2 * (n - 1 - i) + 1];
		}
	}
	if (n)
		return n;
	/* No clear way (the layout has none): straight, edge to edge. */
	double acx = a->x + a->w / 2, acy = a->y + a->h / 2, bcx = b->x + b->w / 2, bcy = b->y + b->h / 2;
	double x0, y0, x1, y1;
	edge_point(a, bcx, bcy, &x0, &y0);
	edge_point(b, acx, acy, &x1, &y1);
	double len = hypot(x1 - x0, y1 - y0);
	if (len < 1e-6)
		return 0;
	double nx = -(y1 - y0) / len * off, ny = (x1 - x0) / len * off;
	xy[0] = x0 + nx;
	xy[1] = y0 + ny;
	xy[2] = x1 + nx;
	xy[3] = y1 + ny;
	return 2;
}

/* A whole path as one polyline (its links end to end). */
typedef struct Poly {
	double xy[2 * HVSIM_RENDER_LINK_POINTS * GUI_ANIM_STOPS_MAX];
	guint n;
	double len;
} Poly;

static void poly_of_path(const GArray *l, double width, double height, const GuiAnimPath *p,
                         const HvsimRenderOptions *opt, Poly *out)
{
	out->n = 0;
	out->len = 0;
	for (guint i = 0; i + 1 < p->n_stops; i++) {
		double xy[2 * HVSIM_RENDER_LINK_POINTS];
		guint n = hvsim_render_link_points(l, width, height, p->stops[i], p->stops[i + 1], p->kind, opt, xy);
		for (guint j = 0; j < n; j++) {
			out->xy[2 * out->n] = xy[2 * j];
			out->xy[2 * out->n + 1] = xy[2 * j + 1];
			if (out->n)
				out->len += hypot(out->xy[2 * out->n] - out->xy[2 * out->n - 2],
				                  out->xy[2 * out->n + 1] - out->xy[2 * out->n - 1]);
			out->n++;
		}
	}
}

/* Strokes the polyline from its start to fraction `upto` of its length;
 * leaves the end point in *ex, *ey. */
static void poly_stroke(cairo_t *cr, const Poly *p, double upto, double *ex, double *ey)
{
	double want = p->len * CLAMP(upto, 0, 1), done = 0;
	*ex = p->xy[0];
	*ey = p->xy[1];
	cairo_move_to(cr, p->xy[0], p->xy[1]);
	for (guint i = 1; i < p->n; i++) {
		double x0 = p->xy[2 * i - 2], y0 = p->xy[2 * i - 1], x1 = p->xy[2 * i], y1 = p->xy[2 * i + 1];
		double seg = hypot(x1 - x0, y1 - y0);
		if (done + seg >= want) {
			double t = seg > 0 ? (want - done) / seg : 0;
			*ex = x0 + (x1 - x0) * t;
			*ey = y0 + (y1 - y0) * t;
			cairo_line_to(cr, *ex, *ey);
			break;
		}
		done += seg;
		cairo_line_to(cr, x1, y1);
		*ex = x1;
		*ey = y1;
	}
	cairo_stroke(cr);
}

static void set_alpha(cairo_t *cr, const Rgb *c, double alpha)
{
	cairo_set_source_rgba(cr, c->r, c->g, c->b, alpha);
}

/* A small label with a background in the box (bx, by, w, h). */
static void pill_at(Painter *pt, const char *text, double bx, double by, double w, double h, double size,
                    const Rgb *edge)
{
	cairo_t *cr = pt->cr;
	cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
	cairo_set_font_size(cr, size);
	rounded(cr, bx, by, w, h, h / 2.5);
	set_alpha(cr, &pt->pal->bg, 0.92);
	cairo_fill_preserve(cr);
	set(cr, edge);
	cairo_set_line_width(cr, MAX(1.0, size * 0.1));
	cairo_stroke(cr);
	set(cr, &pt->pal->text);
	cairo_move_to(cr, bx + size * 0.35, by + h / 2 + size * 0.36);
	cairo_show_text(cr, text);
}

static void link_midpoint(const double *xy, guint n, double *x, double *y)
{
	double total = 0;
	for (guint i = 1; i < n; i++)
		total += hypot(xy[2 * i] - xy[2 * i - 2], xy[2 * i + 1] - xy[2 * i - 1]);
	double want = total / 2, done = 0;
	*x = xy[0];
	*y = xy[1];
	for (guint i = 1; i < n; i++) {
		double seg = hypot(xy[2 * i] - xy[2 * i - 2], xy[2 * i + 1] - xy[2 * i - 1]);
		if (done + seg >= want && seg > 0) {
			double t = (want - done) / seg;
			*x = xy[2 * i - 2] + (xy[2 * i] - xy[2 * i - 2]) * t;
			*y = xy[2 * i - 1] + (xy[2 * i + 1] - xy[2 * i - 1]) * t;
			return;
		}
		done += seg;
	}
}

/* ---- Counters ---- */

/* Whether a counter may not cover an element: anything with text. */
static gboolean has_text(HvsimRenderKind kind)
{
	switch (kind) {
	case HVSIM_RK_TITLE:
	case HVSIM_RK_RING_LABEL:
	case HVSIM_RK_HW_ITEM:
	case HVSIM_RK_HV_ITEM:
	case HVSIM_RK_COMPONENT:
	case HVSIM_RK_PART_HEADER:
	case HVSIM_RK_CONSOLE:
	case HVSIM_RK_CAPTION:
	case HVSIM_RK_LEGEND_ITEM:
		return TRUE;
	default:
		return FALSE;
	}
}

static gboolean rects_meet(double ax, double ay, double aw, double ah, double bx, double by, double bw, double bh)
{
	return ax < bx + bw && bx < ax + aw && ay < by + bh && by < ay + ah;
}

/* A free place for a counter of w x h on the polyline: the middle first,
 * then further out, on the line or beside it; it covers no text, no
 * counter placed before and stays in the canvas. FALSE if there is none
 * (it then goes in the middle). */
static gboolean place_counter(const GArray *l, const GArray *placed, const double *xy, guint n, double width,
                              double height, double gap, double w, double h, double *ox, double *oy)
{
	double total = 0;
	for (guint i = 1; i < n; i++)
		total += hypot(xy[2 * i] - xy[2 * i - 2], xy[2 * i + 1] - xy[2 * i - 1]);
	for (int step = 0; step <= 38; step++) {
		double t = 0.5 + (step % 2 ? 1 : -1) * ((step + 1) / 2) * 0.025;
		/* The point at t, and which way its segment runs. */
		double want = total * t, done = 0, px = xy[0], py = xy[1];
		gboolean vertical = TRUE;
		for (guint i = 1; i < n; i++) {
			double dx = xy[2 * i] - xy[2 * i - 2], dy = xy[2 * i + 1] - xy[2 * i - 1], seg = hypot(dx, dy);
			if (done + seg >= want && seg > 0) {
				double f = (want - done) / seg;
				px = xy[2 * i - 2] + dx * f;
				py = xy[2 * i - 1] + dy * f;
				vertical = fabs(dy) >= fabs(dx);
				break;
			}
			done += seg;
		}
		/* On the line, then beside it, then further beside it. */
		double cand[5][2];
		for (int c = 0; c < 5; c++) {
			double side = (c == 0 ? 0 : c <= 2 ? 1 : 2) * (c % 2 ? 1 : -1);
			cand[c][0] = px + (vertical ? side * (w / 2 + gap * 2) : 0);
			cand[c][1] = py + (vertical ? 0 : side * (h / 2 + gap * 2));
		}
		for (int c = 0; c < 5; c++) {
			double x = cand[c][0] - w / 2, y = cand[c][1] - h / 2;
			if (x < 0 || y < 0 || x + w > width || y + h > height)
				continue;
			gboolean clear = TRUE;
			for (guint i = 0; clear && i < l->len; i++) {
				const HvsimRenderRect *r = at(l, (int)i);
				if (has_text(r->kind) && rects_meet(x - gap, y - gap, w + 2 * gap, h + 2 * gap, r->x, r->y, r->w, r->h))
					clear = FALSE;
			}
			for (guint i = 0; clear && i < placed->len; i++) {
				const HvsimRenderCounter *o = &g_array_index(placed, HvsimRenderCounter, i);
				if (rects_meet(x - gap, y - gap, w + 2 * gap, h + 2 * gap, o->x, o->y, o->w, o->h))
					clear = FALSE;
			}
			if (clear) {
				*ox = x;
				*oy = y;
				return TRUE;
			}
		}
	}
	double mx, my;
	link_midpoint(xy, n, &mx, &my);
	*ox = CLAMP(mx - w / 2, 0, MAX(width - w, 0));
	*oy = CLAMP(my - h / 2, 0, MAX(height - h, 0));
	return FALSE;
}

/* A counter's text and size in the face pill() draws it in. */
#define COUNTER_SIZE 0.82   /* of the small type */

static void counter_text(const GuiAnimFrame *f, const GuiAnimLink *k, char *text, gsize len)
{
	char count[32];
	thousands(count, sizeof count, k->count);
	if (f->full_speed && k->rate >= 1)
		g_snprintf(text, len, "%s \u00b7 %.0f/s", count, k->rate);
	else
		g_strlcpy(text, count, len);
}

static GArray *counters(cairo_t *mc, const GArray *l, double width, double height, const HvsimRenderOptions *opt,
                        const GuiAnimFrame *f)
{
	Metrics mt = metrics(width, height, opt);
	double size = mt.small * COUNTER_SIZE, gap = 1.5 * mt.scale;
	GArray *out = g_array_new(FALSE, TRUE, sizeof(HvsimRenderCounter));
	for (guint i = 0; i < f->links->len; i++) {
		const GuiAnimLink *k = &g_array_index(f->links, GuiAnimLink, i);
		double xy[2 * HVSIM_RENDER_LINK_POINTS];
		guint n = hvsim_render_link_points(l, width, height, k->from, k->to, k->kind, opt, xy);
		if (n < 2)
			continue;
		HvsimRenderCounter c = { .link = i };
		counter_text(f, k, c.text, sizeof c.text);
		c.w = text_width(mc, c.text, size, TRUE) + 2 * size * 0.35;
		c.h = size * 1.35;
		place_counter(l, out, xy, n, width, height, gap, c.w, c.h, &c.x, &c.y);
		g_array_append_val(out, c);
	}
	return out;
}

guint hvsim_render_cut_titles(const GArray *l, double width, double height, const HvsimRenderOptions *opt,
                              GString *names)
{
	g_return_val_if_fail(l != NULL, 0);
	Metrics mt = metrics(width, height, opt);
	cairo_surface_t *ms = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
	cairo_t *mc = cairo_create(ms);
	guint cut = 0;
	for (guint i = 0; i < l->len; i++) {
		const HvsimRenderRect *r = at(l, (int)i);
		if (r->kind != HVSIM_RK_COMPONENT)
			continue;
		const char *bar = strchr(r->label, '|');
		g_autofree char *head = bar ? g_strndup(r->label, bar - r->label) : g_strdup(r->label);
		/* As draw_component() fits it: the title at its smallest size. */
		if (text_width(mc, head, mt.font * COMPONENT_SHRINK, TRUE) > r->w - 2 * mt.pad) {
			cut++;
			if (names)
				g_string_append_printf(names, "%s%s (\"%s\")", names->len ? ", " : "", r->name, head);
		}
	}
	cairo_destroy(mc);
	cairo_surface_destroy(ms);
	return cut;
}

GArray *hvsim_render_anim_counters(const GArray *l, double width, double height, const HvsimRenderOptions *opt,
                                   const GuiAnimFrame *f)
{
	g_return_val_if_fail(l != NULL && f != NULL, NULL);
	cairo_surface_t *ms = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
	cairo_t *mc = cairo_create(ms);
	GArray *out = counters(mc, l, width, height, opt, f);
	cairo_destroy(mc);
	cairo_surface_destroy(ms);
	return out;
}

/* ---- The animation as a plan of items ---- */

/* One frame of the animation is planned first (where each link, counter,
 * ring gauge, trail, token and the status text goes, in what colour and
 * width) and drawn from the plan: the window draws the picture in tiles
 * and redraws a tile only when an item over it changed (docs/gui.md,
 * Performance), so every item has bounds and a key, and a link's line is
 * an item per straight piece (a long route's bounds would cover half the
 * picture). Continuous values are rounded to steps a viewer hardly tells
 * apart (the heat to an eighth of a decade, held at a step's edge by
 * gui_anim_heat_level; a trail's fading to 1/32), so a link whose rate
 * decays or wavers by a few percent a frame is not redrawn every frame. */

#define FADE_STEPS  32.0

typedef enum ItemKind { ITEM_LINK, ITEM_COUNTER, ITEM_RING, ITEM_TRAIL, ITEM_TOKEN, ITEM_STATUS } ItemKind;

typedef struct Item {
	ItemKind kind;
	Poly poly;               /* links, trails, tokens */
	Rgb colour;
	double width;            /* line width: links, trails, tokens */
	double alpha;            /* trails, tokens' way */
	double progress;         /* tokens */
	double bx, by, bw, bh;   /* a counter's pill, a ring's gauge, a token's label, the status line */
	double fill;             /* a ring's: 0..1, < 0 unknown size but not empty */
	double ext0, ext1;       /* a link's piece: drawn on past its ends by these (the joints' corners) */
	guint link;              /* a counter's: index into the frame's links */
	char text[160];          /* a counter's, a token's label, the status line */
} Item;

struct HvsimRenderAnimPlan {
	Painter pt;              /* its cr is NULL: set while drawing */
	double width, height;
	HvsimRenderStyle style;  /* what keep_texts must find unchanged, with the size */
	gboolean presentation;
	GArray *items;           /* Item, in drawing order */
	GArray *pub;             /* HvsimRenderItem, the same order */
};

/* The key of an item: FNV-1a over the fields that decide its pixels. */
static guint64 key_bytes(guint64 h, const void *p, gsize n)
{
	const guint8 *b = p;
	for (gsize i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static guint64 key_double(guint64 h, double v)
{
	gint64 q = (gint64)llround(v * 64);   /* 1/64 px: finer than anything drawn */
	return key_bytes(h, &q, sizeof q);
}

static guint64 item_key(const Item *it)
{
	guint64 h = 0xcbf29ce484222325ull;
	guint32 kind = it->kind;
	h = key_bytes(h, &kind, sizeof kind);
	for (guint i = 0; i < 2 * it->poly.n; i++)
		h = key_double(h, it->poly.xy[i]);
	h = key_double(h, it->colour.r * 4096);
	h = key_double(h, it->colour.g * 4096);
	h = key_double(h, it->colour.b * 4096);
	h = key_double(h, it->width);
	h = key_double(h, it->alpha);
	h = key_double(h, it->progress * 4096);
	h = key_double(h, it->bx);
	h = key_double(h, it->by);
	h = key_double(h, it->bw);
	h = key_double(h, it->bh);
	h = key_double(h, it->fill * 4096);
	h = key_double(h, it->ext0);
	h = key_double(h, it->ext1);
	return key_bytes(h, it->text, strlen(it->text));
}

static void grow(double *x0, double *y0, double *x1, double *y1, double x, double y)
{
	*x0 = MIN(*x0, x);
	*y0 = MIN(*y0, y);
	*x1 = MAX(*x1, x);
	*y1 = MAX(*y1, y);
}

/* Where an item can leave ink: generous (a few pixels more never hurts;
 * fewer would leave stale pixels behind). */
static HvsimRenderItem item_bounds(const HvsimRenderAnimPlan *p, const Item *it)
{
	double x0 = G_MAXDOUBLE, y0 = G_MAXDOUBLE, x1 = -G_MAXDOUBLE, y1 = -G_MAXDOUBLE, m = 2;
	for (guint i = 0; i < it->poly.n; i++)
		grow(&x0, &y0, &x1, &y1, it->poly.xy[2 * i], it->poly.xy[2 * i + 1]);
	switch (it->kind) {
	case ITEM_LINK:
	case ITEM_TRAIL:
		m += it->width;   /* miter joins reach out up to w/2 * sqrt(2) */
		break;
	case ITEM_TOKEN: {
		double sc = p->pt.mt.scale * (p->pt.pres ? 1.3 : 1.0);
		m += MAX(it->width, 2 * (7.5 + 2.0) * sc);   /* the token's disc and its rim */
		break;
	}
	default:
		break;
	}
	x0 -= m, y0 -= m, x1 += m, y1 += m;
	if (it->bw > 0 || it->bh > 0) {
		/* A pill's, a gauge's or a line of text's box, its outline and glyphs. */
		double e = 2 + p->pt.mt.small * 0.8;
		grow(&x0, &y0, &x1, &y1, it->bx - e, it->by - e);
		grow(&x0, &y0, &x1, &y1, it->bx + it->bw + e, it->by + it->bh + e);
	}
	HvsimRenderItem r = { .x = floor(x0), .y = floor(y0), .key = item_key(it) };
	r.w = ceil(x1) - r.x;
	r.h = ceil(y1) - r.y;
	if (x1 < x0 || y1 < y0)
		r.w = r.h = 0;
	return r;
}

static void plan_add(HvsimRenderAnimPlan *p, Item *it)
{
	g_array_append_val(p->items, *it);
	HvsimRenderItem r = item_bounds(p, it);
	/* The style and sizes decide the rest (a pill's background, the text). */
	guint32 style = (p->pt.pal == &dark) | (p->pt.pres ? 2 : 0);
	r.key = key_double(key_bytes(r.key, &style, sizeof style), p->pt.mt.scale * 4096);
	g_array_append_val(p->pub, r);
}

static void poly_of_points(const double *xy, guint n, Poly *out)
{
	out->n = MIN(n, G_N_ELEMENTS(out->xy) / 2);
	out->len = 0;
	for (guint i = 0; i < out->n; i++) {
		out->xy[2 * i] = xy[2 * i];
		out->xy[2 * i + 1] = xy[2 * i + 1];
		if (i)
			out->len += hypot(xy[2 * i] - xy[2 * i - 2], xy[2 * i + 1] - xy[2 * i - 1]);
	}
}

/* The links: faint lines in slow motion, heat at full speed (wider and
 * stronger with the rate), and each link's counter where it covers no text. */
static void plan_links(HvsimRenderAnimPlan *p, cairo_t *mc, const GArray *l, const HvsimRenderOptions *opt,
                       const GuiAnimFrame *f)
{
	double sc = p->pt.mt.scale;
	for (guint i = 0; i < f->links->len; i++) {
		const GuiAnimLink *k = &g_array_index(f->links, GuiAnimLink, i);
		double xy[2 * HVSIM_RENDER_LINK_POINTS];
		guint n = hvsim_render_link_points(l, p->width, p->height, k->from, k->to, k->kind, opt, xy);
		if (n < 2)
			continue;
		Rgb c = kind_rgb(opt, k->kind);
		/* 0 idle, 1 at 9/s, 3 at 999/s, ...; in steps (gui-anim.h) */
		double heat = k->level;
		double alpha = f->full_speed ? MIN(0.95, 0.3 + 0.18 * heat) : 0.35;
		Item it = { .kind = ITEM_LINK, .width = f->full_speed ? (1.5 + 1.2 * heat) * sc : 1.5 * sc };
		/* Blended with the background here, drawn opaque: cheaper for
		 * pixman than an alpha source, every frame at full speed; and
		 * opaque, the pieces may overlap at the joints. Routes turn at
		 * right angles: a piece drawn on by half the width past a joint
		 * fills the corner a mitred polyline would. */
		it.colour = (Rgb){ c.r * alpha + p->pt.pal->bg.r * (1 - alpha), c.g * alpha + p->pt.pal->bg.g * (1 - alpha),
		                   c.b * alpha + p->pt.pal->bg.b * (1 - alpha) };
		for (guint j = 0; j + 1 < n; j++) {
			poly_of_points(xy + 2 * j, 2, &it.poly);
			it.ext0 = j > 0 ? it.width / 2 : 0;
			it.ext1 = j + 2 < n ? it.width / 2 : 0;
			plan_add(p, &it);
		}
	}
	/* Counters over all the lines. */
	g_autoptr(GArray) cs = counters(mc, l, p->width, p->height, opt, f);
	for (guint i = 0; i < cs->len; i++) {
		const HvsimRenderCounter *c = &g_array_index(cs, HvsimRenderCounter, i);
		const GuiAnimLink *k = &g_array_index(f->links, GuiAnimLink, c->link);
		Item it = { .kind = ITEM_COUNTER, .colour = kind_rgb(opt, k->kind), .bx = c->x, .by = c->y, .bw = c->w,
			    .bh = c->h, .link = c->link };
		g_strlcpy(it.text, c->text, sizeof it.text);
		plan_add(p, &it);
	}
}

/* The rings of the channels, as the last animated ring event left them:
 * the gauges in the channel's label fill with the bytes waiting (to the
 * parent on the left, to the child on the right); the size unknown, a
 * non-empty ring is drawn half-strong. */
static void plan_rings(HvsimRenderAnimPlan *p, const GArray *l, const HvsimRenderOptions *opt, const GuiAnimFrame *f)
{
	for (guint i = 0; i < f->rings->len; i++) {
		const GuiAnimRing *g = &g_array_index(f->rings, GuiAnimRing, i);
		char name[HVSIM_RENDER_NAME_MAX];
		g_snprintf(name, sizeof name, "vmbus.%u.%u.label", g->child, g->relid);
		const HvsimRenderRect *r = hvsim_render_layout_find(l, name);
		if (!r)
			continue;
		double sm = p->pt.mt.small, cy = r->y + r->h / 2, gw = sm * CHANNEL_GAUGE - sm * 0.4, bh = sm * 0.75;
		gboolean to_parent = g->ring == SIM_SNAP_RING_TO_PARENT;
		Item it = { .kind = ITEM_RING, .colour = kind_rgb(opt, GUI_ANIM_VMBUS), .bw = gw, .bh = bh };
		it.bx = to_parent ? r->x + sm * 0.2 : r->x + r->w - sm * CHANNEL_GAUGE + sm * 0.2;
		it.by = cy - bh / 2;
		it.fill = g->size ? MIN(1.0, (double)g->bytes / g->size) : (g->bytes ? -1.0 : 0.0);
		plan_add(p, &it);
	}
}

static void plan_status(HvsimRenderAnimPlan *p, const GArray *l, const GuiAnimFrame *f)
{
	const HvsimRenderRect *r = hvsim_render_layout_find(l, "legend.status");
	if (!r)
		return;
	Item it = { .kind = ITEM_STATUS, .bx = r->x, .by = r->y, .bw = r->w, .bh = r->h };
	char n[32];
	thousands(n, sizeof n, f->animated);
	if (f->full_speed)
		g_snprintf(it.text, sizeof it.text, "full speed: heat on the links \u00b7 %s events", n);
	else if (f->speed <= GUI_ANIM_SLOW_MOTION)
		g_snprintf(it.text, sizeof it.text, "slow motion: 1 event/s \u00b7 %u queued", f->queued);
	else
		g_snprintf(it.text, sizeof it.text, "%.0f events/s \u00b7 %u queued", f->speed, f->queued);
	if (f->fast_forwarded) {
		char ff[32];
		thousands(ff, sizeof ff, f->fast_forwarded);
		g_strlcat(it.text, " \u00b7 ", sizeof it.text);
		g_strlcat(it.text, ff, sizeof it.text);
		g_strlcat(it.text, " fast-forwarded", sizeof it.text);
	}
	if (f->skipped) {
		char sk[32];
		thousands(sk, sizeof sk, f->skipped);
		g_strlcat(it.text, " \u00b7 ", sizeof it.text);
		g_strlcat(it.text, sk, sizeof it.text);
		g_strlcat(it.text, " not seen", sizeof it.text);
	}
	plan_add(p, &it);
}

/* Where a polyline is at fraction `upto` of its length. */
static void poly_point(const Poly *p, double upto, double *x, double *y)
{
	double want = p->len * CLAMP(upto, 0, 1), done = 0;
	*x = p->xy[0];
	*y = p->xy[1];
	for (guint i = 1; i < p->n; i++) {
		double x0 = p->xy[2 * i - 2], y0 = p->xy[2 * i - 1], x1 = p->xy[2 * i], y1 = p->xy[2 * i + 1];
		double seg = hypot(x1 - x0, y1 - y0);
		if (done + seg >= want) {
			double t = seg > 0 ? (want - done) / seg : 0;
			*x = x0 + (x1 - x0) * t;
			*y = y0 + (y1 - y0) * t;
			return;
		}
		done += seg;
		*x = x1;
		*y = y1;
	}
}

/* A token's label in slow motion: beside the token, on the first side
 * (upper right, upper left, lower right, lower left) where it covers no
 * text; the upper right if none. */
static void place_token_label(HvsimRenderAnimPlan *p, cairo_t *mc, const GArray *l, Item *it, double x, double y)
{
	double size = p->pt.mt.small, off = size * 0.8, width = p->width, height = p->height;
	double w = text_width(mc, it->text, size, TRUE) + 2 * size * 0.35, h = size * 1.35;
	double cand[4][2] = { { x + off, y - off - h }, { x - off - w, y - off - h }, { x + off, y + off },
	                      { x - off - w, y + off } };
	int pick = 0;
	for (int c = 0; c < 4; c++) {
		double bx = CLAMP(cand[c][0], 0, MAX(width - w, 0)), by = CLAMP(cand[c][1], 0, MAX(height - h, 0));
		gboolean clear = TRUE;
		for (guint i = 0; clear && i < l->len; i++) {
			const HvsimRenderRect *r = at(l, (int)i);
			if (has_text(r->kind) && rects_meet(bx, by, w, h, r->x, r->y, r->w, r->h))
				clear = FALSE;
		}
		if (clear) {
			pick = c;
			break;
		}
	}
	it->bx = CLAMP(cand[pick][0], 0, MAX(width - w, 0));
	it->by = CLAMP(cand[pick][1], 0, MAX(height - h, 0));
	it->bw = w;
	it->bh = h;
}

/* Trails (the whole way, fading) and tokens (the way so far, and the
 * token where it is now). */
static void plan_tokens(HvsimRenderAnimPlan *p, cairo_t *mc, const GArray *l, const HvsimRenderOptions *opt,
                        const GuiAnimFrame *f)
{
	double sc = p->pt.mt.scale * (p->pt.pres ? 1.3 : 1.0);
	for (guint i = 0; i < f->trails->len; i++) {
		const GuiAnimToken *t = &g_array_index(f->trails, GuiAnimToken, i);
		Item it = { .kind = ITEM_TRAIL, .colour = kind_rgb(opt, t->path.kind), .width = 3.0 * sc };
		poly_of_path(l, p->width, p->height, &t->path, opt, &it.poly);
		if (it.poly.n < 2)
			continue;
		it.alpha = 0.6 * round(t->alpha * FADE_STEPS) / FADE_STEPS;
		plan_add(p, &it);
	}
	gboolean labels = f->flight >= 0.5;
	for (guint i = 0; i < f->tokens->len; i++) {
		const GuiAnimToken *t = &g_array_index(f->tokens, GuiAnimToken, i);
		Item it = { .kind = ITEM_TOKEN, .colour = kind_rgb(opt, t->path.kind), .width = 4.0 * sc, .alpha = 0.9,
			    .progress = CLAMP(t->progress, 0, 1) };
		poly_of_path(l, p->width, p->height, &t->path, opt, &it.poly);
		if (it.poly.n < 2)
			continue;
		if (labels && t->path.label[0]) {
			double x, y;
			poly_point(&it.poly, it.progress, &x, &y);
			g_strlcpy(it.text, t->path.label, sizeof it.text);
			place_token_label(p, mc, l, &it, x, y);
		}
		plan_add(p, &it);
	}
}

HvsimRenderAnimPlan *hvsim_render_anim_plan(double width, double height, const GArray *l,
                                            const HvsimRenderOptions *opt, const GuiAnimFrame *f)
{
	g_return_val_if_fail(l != NULL && f != NULL, NULL);
	HvsimRenderAnimPlan *p = g_new0(HvsimRenderAnimPlan, 1);
	p->pt = (Painter){ .pal = palette_of(opt), .mt = metrics(width, height, opt), .pres = opt && opt->presentation };
	p->width = width;
	p->height = height;
	p->style = opt ? opt->style : HVSIM_RENDER_LIGHT;
	p->presentation = opt && opt->presentation;
	p->items = g_array_new(FALSE, FALSE, sizeof(Item));
	p->pub = g_array_new(FALSE, FALSE, sizeof(HvsimRenderItem));
	cairo_surface_t *ms = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
	cairo_t *mc = cairo_create(ms);
	plan_links(p, mc, l, opt, f);
	plan_rings(p, l, opt, f);
	plan_tokens(p, mc, l, opt, f);
	plan_status(p, l, f);
	cairo_destroy(mc);
	cairo_surface_destroy(ms);
	return p;
}

void hvsim_render_anim_plan_keep_texts(HvsimRenderAnimPlan *p, const HvsimRenderAnimPlan *old, guint groups,
                                       guint fresh)
{
	g_return_if_fail(p != NULL && old != NULL && groups > 0);
	/* Another size, style or mode: the old texts would come back in the
	 * old colours and places (their keys find their old nodes). */
	if (p->width != old->width || p->height != old->height || p->style != old->style ||
	    p->presentation != old->presentation)
		return;
	for (guint i = 0; i < p->items->len; i++) {
		Item *it = &g_array_index(p->items, Item, i);
		if (it->kind != ITEM_COUNTER && it->kind != ITEM_STATUS)
			continue;
		if (fresh < groups && (it->kind == ITEM_COUNTER ? it->link % groups : 0) == fresh)
			continue;   /* its group's turn: the new text */
		for (guint j = 0; j < old->items->len; j++) {
			const Item *o = &g_array_index(old->items, Item, j);
			if (o->kind != it->kind || (it->kind == ITEM_COUNTER && o->link != it->link))
				continue;
			/* A counter stays where it was (its box's centre): else the
			 * links changed and index `link` is another link now. */
			if (it->kind == ITEM_COUNTER &&
			    (fabs((it->bx + it->bw / 2) - (o->bx + o->bw / 2)) > 0.5 ||
			     fabs((it->by + it->bh / 2) - (o->by + o->bh / 2)) > 0.5))
				break;
			g_strlcpy(it->text, o->text, sizeof it->text);
			it->bx = o->bx, it->by = o->by, it->bw = o->bw, it->bh = o->bh;
			g_array_index(p->pub, HvsimRenderItem, i) = g_array_index(old->pub, HvsimRenderItem, j);
			break;
		}
	}
}

void hvsim_render_anim_plan_free(HvsimRenderAnimPlan *p)
{
	if (!p)
		return;
	g_array_unref(p->items);
	g_array_unref(p->pub);
	g_free(p);
}

const GArray *hvsim_render_anim_plan_items(const HvsimRenderAnimPlan *p)
{
	g_return_val_if_fail(p != NULL, NULL);
	return p->pub;
}

static void draw_item(Painter *pt, const Item *it)
{
	cairo_t *cr = pt->cr;
	double sc = pt->mt.scale * (pt->pres ? 1.3 : 1.0);
	double ex, ey;
	switch (it->kind) {
	case ITEM_LINK: {
		double x0 = it->poly.xy[0], y0 = it->poly.xy[1], x1 = it->poly.xy[2], y1 = it->poly.xy[3];
		double len = hypot(x1 - x0, y1 - y0), ux = len > 0 ? (x1 - x0) / len : 0, uy = len > 0 ? (y1 - y0) / len : 0;
		cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
		set(cr, &it->colour);
		cairo_set_line_width(cr, it->width);
		cairo_move_to(cr, x0 - ux * it->ext0, y0 - uy * it->ext0);
		cairo_line_to(cr, x1 + ux * it->ext1, y1 + uy * it->ext1);
		cairo_stroke(cr);
		break;
	}
	case ITEM_COUNTER:
		pill_at(pt, it->text, it->bx, it->by, it->bw, it->bh, pt->mt.small * COUNTER_SIZE, &it->colour);
		break;
	case ITEM_RING:
		rounded(cr, it->bx, it->by, it->bw, it->bh, it->bh / 3);
		set(cr, &it->colour);
		cairo_set_line_width(cr, 1.5 * pt->mt.scale);
		cairo_stroke(cr);
		if (it->fill != 0) {
			double fill = it->fill < 0 ? 1.0 : it->fill;
			cairo_rectangle(cr, it->bx + 1, it->by + 1, MAX((it->bw - 2) * fill, 2), it->bh - 2);
			set_alpha(cr, &it->colour, it->fill < 0 ? 0.4 : 0.9);
			cairo_fill(cr);
		}
		break;
	case ITEM_TRAIL:
	case ITEM_TOKEN:
		/* A trail is its whole path; a token the part travelled so far,
		 * then its disc and label at the head. */
		cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
		cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
		set_alpha(cr, &it->colour, it->alpha);
		cairo_set_line_width(cr, it->width);
		poly_stroke(cr, &it->poly, it->kind == ITEM_TOKEN ? it->progress : 1.0, &ex, &ey);
		if (it->kind == ITEM_TRAIL)
			break;
		cairo_arc(cr, ex, ey, 7.5 * sc, 0, 2 * G_PI);
		set(cr, &it->colour);
		cairo_fill_preserve(cr);
		set(cr, &pt->pal->bg);
		cairo_set_line_width(cr, 2.0 * sc);
		cairo_stroke(cr);
		if (it->text[0])
			pill_at(pt, it->text, it->bx, it->by, it->bw, it->bh, pt->mt.small, &it->colour);
		break;
	case ITEM_STATUS:
		text_fit(pt, it->text, it->bx, it->by + it->bh / 2 + pt->mt.small * 0.35, it->bw, pt->mt.small, FALSE,
		         ALIGN_RIGHT, &pt->pal->dim_text);
		break;
	}
}

void hvsim_render_anim_plan_draw_item(cairo_t *cr, const HvsimRenderAnimPlan *p, guint index)
{
	g_return_if_fail(cr != NULL && p != NULL && index < p->items->len);
	Painter pt = p->pt;
	pt.cr = cr;
	cairo_save(cr);
	draw_item(&pt, &g_array_index(p->items, Item, index));
	cairo_restore(cr);
}

void hvsim_render_anim_plan_draw(cairo_t *cr, const HvsimRenderAnimPlan *p)
{
	g_return_if_fail(cr != NULL && p != NULL);
	/* Only what meets the clip: a tile of the window draws its own items. */
	double x0, y0, x1, y1;
	cairo_clip_extents(cr, &x0, &y0, &x1, &y1);
	Painter pt = p->pt;
	pt.cr = cr;
	cairo_save(cr);
	for (guint i = 0; i < p->items->len; i++) {
		const HvsimRenderItem *b = &g_array_index(p->pub, HvsimRenderItem, i);
		if (b->x >= x1 || b->y >= y1 || b->x + b->w <= x0 || b->y + b->h <= y0)
			continue;
		draw_item(&pt, &g_array_index(p->items, Item, i));
	}
	cairo_restore(cr);
}

void hvsim_render_anim(cairo_t *cr, double width, double height, const GArray *l, const HvsimRenderOptions *opt,
                       const GuiAnimFrame *f)
{
	g_return_if_fail(cr != NULL && l != NULL && f != NULL);
	HvsimRenderAnimPlan *p = hvsim_render_anim_plan(width, height, l, opt, f);
	hvsim_render_anim_plan_draw(cr, p);
	hvsim_render_anim_plan_free(p);
}

/* ---- The cached picture ---------------------------------------------------------- */

struct HvsimRenderCache {
	cairo_surface_t *surface;
	GArray *layout;
	double w, h;
	const SimSnapshot *snap;
	uint64_t insns, vtime, event_seq;
	HvsimRenderOptions opt;
	guint64 misses;
	double hold;             /* seconds a changed snapshot may wait */
	gint64 drawn_at;         /* monotonic us of the last redraw */
};

void hvsim_render_cache_set_hold(HvsimRenderCache *c, double seconds)
{
	g_return_if_fail(c != NULL);
	c->hold = MAX(seconds, 0);
}

HvsimRenderCache *hvsim_render_cache_new(void)
{
	return g_new0(HvsimRenderCache, 1);
}

void hvsim_render_cache_free(HvsimRenderCache *c)
{
	if (!c)
		return;
	g_clear_pointer(&c->surface, cairo_surface_destroy);
	g_clear_pointer(&c->layout, g_array_unref);
	g_free(c);
}

guint64 hvsim_render_cache_misses(const HvsimRenderCache *c)
{
	return c ? c->misses : 0;
}

void hvsim_render_cached(HvsimRenderCache *c, cairo_t *cr, double width, double height, const SimSnapshot *snap,
                         const HvsimRenderOptions *opt, const GuiAnimFrame *frame)
{
	g_return_if_fail(c != NULL && cr != NULL && snap != NULL);
	HvsimRenderOptions o = { 0 };
	if (opt)
		o = *opt;
	gboolean frame_same = c->surface && c->w == width && c->h == height && memcmp(&c->opt, &o, sizeof o) == 0;
	gboolean same = frame_same && c->snap == snap && c->insns == snap->insns && c->vtime == snap->vtime &&
	                c->event_seq == snap->event_seq;
	gint64 now = g_get_monotonic_time();
	if (!same && frame_same && c->hold > 0 && now - c->drawn_at < (gint64)(c->hold * G_USEC_PER_SEC))
		same = TRUE;   /* held: the newer snapshot waits for the next redraw */
	if (!same) {
		if (!c->surface || c->w != width || c->h != height) {
			/* An image surface at the target's device scale (HiDPI): a
			 * "similar" surface of GTK's target may be a recording surface,
			 * which would replay every command at each paint. */
			double sx = 1, sy = 1;
			cairo_surface_get_device_scale(cairo_get_target(cr), &sx, &sy);
			sx = MAX(sx, 1);
			sy = MAX(sy, 1);
			g_clear_pointer(&c->surface, cairo_surface_destroy);
			c->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, MAX((int)ceil(width * sx), 1),
			                                        MAX((int)ceil(height * sy), 1));
			cairo_surface_set_device_scale(c->surface, sx, sy);
		}
		cairo_t *sc = cairo_create(c->surface);
		hvsim_render(sc, width, height, snap, &o);
		cairo_destroy(sc);
		g_clear_pointer(&c->layout, g_array_unref);
		c->layout = hvsim_render_layout(width, height, snap, &o);
		c->w = width;
		c->h = height;
		c->snap = snap;
		c->insns = snap->insns;
		c->vtime = snap->vtime;
		c->event_seq = snap->event_seq;
		c->opt = o;
		c->misses++;
		c->drawn_at = now;
	}
	cairo_save(cr);
	cairo_set_source_surface(cr, c->surface, 0, 0);
	cairo_paint(cr);
	cairo_restore(cr);
	if (frame)
		hvsim_render_anim(cr, width, height, c->layout, &o, frame);
}
