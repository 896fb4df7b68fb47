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

/* Lays `n` components out in `ring` below its caption, one row if they
 * fit at a readable width, else two. */
static void add_components(GArray *l, int ring, const Metrics *mt, uint32_t pid, const char *prefix,
                           const char *const *names, const char *const *labels, guint n)
{
	const HvsimRenderRect r = *at(l, ring);
	double top = r.y + mt->font * 1.5;
	double avail_h = r.y + r.h - mt->pad - top;
	guint rows = 1;
	double w1 = (r.w - mt->pad * (n + 1)) / n;
	if (w1 < mt->font * 8.5 && n > 1)
		rows = 2;
	guint per_row = (n + rows - 1) / rows;
	double cw = (r.w - mt->pad * (per_row + 1)) / per_row;
	double ch = (avail_h - mt->pad * (rows - 1)) / rows;
	ch = MIN(ch, mt->font * 4.0);
	/* Centred in the space under the caption. */
	top += (avail_h - rows * ch - mt->pad * (rows - 1)) / 2;
	for (guint i = 0; i < n; i++) {
		guint row = i / per_row, col = i % per_row;
		char name[HVSIM_RENDER_NAME_MAX];
		g_snprintf(name, sizeof name, "%s.%s", prefix, names[i]);
		add(l, ring, HVSIM_RK_COMPONENT, pid, r.x + mt->pad + col * (cw + mt->pad), top + row * (ch + mt->pad), cw,
		    ch, name, labels[i]);
	}
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

static void layout_hardware(GArray *l, const Metrics *mt, const SimSnapshot *s, double x, double y, double w, double h)
{
	int hw = add(l, -1, HVSIM_RK_HARDWARE, 0, x, y, w, h, "hardware", "hardware");
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
	add_components(l, hw, mt, 0, "hw", names, labels, G_N_ELEMENTS(names));
	for (guint i = l->len - G_N_ELEMENTS(names); i < l->len; i++)
		g_array_index(l, HvsimRenderRect, i).kind = HVSIM_RK_HW_ITEM;
}

static void layout_hypervisor(GArray *l, const Metrics *mt, const SimSnapshot *s, double x, double y, double w,
                              double h)
{
	char title[96], image[96];
	g_snprintf(title, sizeof title, "hypervisor %s · VMX root (ring -1)", s->hypervisor);
	int hv = add(l, -1, HVSIM_RK_HYPERVISOR, 0, x, y, w, h, "hypervisor", title);
	g_snprintf(image, sizeof image, "%s|%s image", s->hypervisor, vendor_feature(s));
	const char *names[] = { "image", "scheduler", "synic", "hypercalls" };
	const char *labels[] = { image, "scheduler|VPs on the LP", "SynIC|messages, events", "hypercall interface|hypercall page" };
	add_components(l, hv, mt, 0, "hv", names, labels, G_N_ELEMENTS(names));
	for (guint i = l->len - G_N_ELEMENTS(names); i < l->len; i++)
		g_array_index(l, HvsimRenderRect, i).kind = HVSIM_RK_HV_ITEM;
}

/* One partition column: header, console line, ring 3 over ring 0. */
static void layout_partition(GArray *l, const Metrics *mt, const SimSnapshot *s, const SimSnapPartition *p,
                             double x, double y, double w, double h, double *ring3_y, double *ring3_h,
                             double *ring0_y, double *ring0_h)
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
	add(l, part, HVSIM_RK_PART_HEADER, p->id, x + pad, y + pad, w - 2 * pad, hdr_h, sub, label);
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

	char prefix3[HVSIM_RENDER_NAME_MAX], prefix0[HVSIM_RENDER_NAME_MAX];
	g_snprintf(prefix3, sizeof prefix3, "part.%u.ring3", p->id);
	g_snprintf(prefix0, sizeof prefix0, "part.%u.ring0", p->id);
	if (booted) {
		const char *n3[] = { "apps" }, *l3[] = { "applications|worker, init" };
		const char *n0[] = { "kernel", "hvboot" }, *l0[] = { "kernel|on the bare CPU", "hvboot|hypervisor loader" };
		add_components(l, r3, mt, p->id, prefix3, n3, l3, G_N_ELEMENTS(n3));
		add_components(l, r0, mt, p->id, prefix0, n0, l0, G_N_ELEMENTS(n0));
	} else if (p->role == SIM_SNAP_ROLE_ROOT) {
		const char *n3[] = { "worker", "vidlib" }, *l3[] = { "worker process|vmwp", "VID library|calls the VID driver" };
		const char *n0[] = { "kernel", "vid", "vmbus", "vsp" };
		const char *l0[] = { "kernel", "VID driver|hypercalls", "VMBus driver|server", "VSPs|storvsp" };
		add_components(l, r3, mt, p->id, prefix3, n3, l3, G_N_ELEMENTS(n3));
		add_components(l, r0, mt, p->id, prefix0, n0, l0, G_N_ELEMENTS(n0));
	} else if (p->role == SIM_SNAP_ROLE_CHILD) {
		const char *n3[] = { "apps" }, *l3[] = { "applications|iotest, init" };
		const char *n0[] = { "kernel", "vmbus", "vsc" }, *l0[] = { "kernel", "VMBus driver|client", "VSCs|storvsc" };
		add_components(l, r3, mt, p->id, prefix3, n3, l3, G_N_ELEMENTS(n3));
		add_components(l, r0, mt, p->id, prefix0, n0, l0, G_N_ELEMENTS(n0));
	} else {
		const char *n3[] = { "apps" }, *l3[] = { "applications" };
		const char *n0[] = { "kernel" }, *l0[] = { "kernel" };
		add_components(l, r3, mt, p->id, prefix3, n3, l3, G_N_ELEMENTS(n3));
		add_components(l, r0, mt, p->id, prefix0, n0, l0, G_N_ELEMENTS(n0));
	}
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

	/* Bottom up: hardware, ring -1, the VMBus lane, the partitions. */
	double hw_h = MAX(chh * 0.19, mt.font * 5.0);
	double hw_y = bottom - hw_h;
	layout_hardware(l, &mt, s, left, hw_y, cw, hw_h);
	double above = hw_y - m;

	guint n_shown = 0, n_children = 0;
	for (guint i = 0; i < s->n_partitions; i++) {
		n_shown += shown(s, &s->partitions[i]);
		n_children += s->hv_launched && s->partitions[i].parent_id != 0;
	}

	double hv_y = 0, hv_h = 0;
	if (s->hv_launched) {
		hv_h = MAX(chh * 0.15, mt.font * 4.6);
		hv_y = above - hv_h;
		layout_hypervisor(l, &mt, s, left, hv_y, cw, hv_h);
		above = hv_y - m;
	}

	double lane_y = 0, lane_h = 0;
	int lane = -1;
	if (s->hv_launched && n_children) {
		lane_h = MAX(mt.font * 1.5 * MAX(s->n_channels, 1), mt.font * 1.6);
		lane_h = MIN(lane_h, chh * 0.14);
		lane_y = above - lane_h;
		lane = add(l, -1, HVSIM_RK_VMBUS_LANE, 0, left, lane_y, cw, lane_h, "vmbus", "VMBus");
		above = lane_y - m * 0.5;
	}

	/* Partition columns, the parent first (snapshot order). */
	double part_top = top;
	double part_h = above - part_top;
	double col_w = n_shown ? (cw - m * (n_shown - 1)) / n_shown : cw;
	double r3y = 0, r3h = 0, r0y = 0, r0h = 0;
	double *col_center = g_new0(double, MAX(s->n_partitions, 1));
	guint col = 0;
	for (guint i = 0; i < s->n_partitions; i++) {
		const SimSnapPartition *p = &s->partitions[i];
		if (!shown(s, p))
			continue;
		double x = left + col * (col_w + m);
		layout_partition(l, &mt, s, p, x, part_top, col_w, part_h, &r3y, &r3h, &r0y, &r0h);
		col_center[i] = x + col_w / 2;
		col++;
	}

	/* Channels: each its own sub-lane, from the parent's column to the child's. */
	if (lane >= 0 && s->n_channels) {
		double sub_h = lane_h / s->n_channels;
		for (guint c = 0; c < s->n_channels; c++) {
			const SimSnapChannel *ch = &s->channels[c];
			const SimSnapPartition *cp = sim_snapshot_partition(s, ch->child_id);
			if (!cp || cp->parent_id == 0)
				continue;
			double x0 = 0, x1 = 0;
			for (guint i = 0; i < s->n_partitions; i++) {
				if (s->partitions[i].id == cp->parent_id)
					x0 = col_center[i];
				if (s->partitions[i].id == cp->id)
					x1 = col_center[i];
			}
			if (x0 == 0 || x1 == 0)
				continue;
			char name[HVSIM_RENDER_NAME_MAX], label[96];
			g_snprintf(name, sizeof name, "vmbus.%u.%u", ch->child_id, ch->relid);
			g_snprintf(label, sizeof label, "relid %u%s", ch->relid, ch->open ? "" : " (closed)");
			add(l, lane, HVSIM_RK_VMBUS_CHANNEL, ch->child_id, MIN(x0, x1), lane_y + c * sub_h, fabs(x1 - x0),
			    sub_h, name, label);
		}
	}
	g_free(col_center);

	/* Ring labels down the side, level with the bands they name. */
	double gx = m, gw = mt.gutter - m;
	if (n_shown) {
		add(l, -1, HVSIM_RK_RING_LABEL, 0, gx, r3y, gw, r3h, "label.ring3", "ring 3");
		add(l, -1, HVSIM_RK_RING_LABEL, 0, gx, r0y, gw, r0h, "label.ring0", "ring 0");
	}
	if (s->hv_launched)
		add(l, -1, HVSIM_RK_RING_LABEL, 0, gx, hv_y, gw, hv_h, "label.ring-1", "ring -1");
	add(l, -1, HVSIM_RK_RING_LABEL, 0, gx, hw_y, gw, hw_h, "label.hardware", "hw");
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

/* ---- Drawing ------------------------------------------------------------------ */

typedef struct Painter {
	cairo_t *cr;
	const Palette *pal;
	Metrics mt;
	gboolean pres;
	gboolean mono;           /* console text in the monospace face */
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

typedef enum Align { ALIGN_LEFT, ALIGN_CENTER, ALIGN_RIGHT } Align;

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
		cairo_set_font_size(cr, MAX(size * 0.8, size * w / ex.x_advance));
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

/* A component: "Title|subtitle", centred. */
static void draw_component(Painter *pt, const HvsimRenderRect *r, const Rgb *fill)
{
	box(pt, r, fill, 1.0);
	const char *bar = strchr(r->label, '|');
	g_autofree char *head = bar ? g_strndup(r->label, bar - r->label) : g_strdup(r->label);
	double f = pt->mt.font, sm = pt->mt.small, inner = r->w - 2 * pt->mt.pad;
	if (bar) {
		double total = f + sm * 1.15;
		double base = r->y + (r->h - total) / 2 + f * 0.85;
		text_fit(pt, head, r->x + pt->mt.pad, base, inner, f, TRUE, ALIGN_CENTER, &pt->pal->text);
		text_fit(pt, bar + 1, r->x + pt->mt.pad, base + sm * 1.2, inner, sm, FALSE, ALIGN_CENTER, &pt->pal->dim_text);
	} else {
		text_fit(pt, head, r->x + pt->mt.pad, r->y + r->h / 2 + f * 0.35, inner, f, TRUE, ALIGN_CENTER,
		         &pt->pal->text);
	}
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

static void draw_header(Painter *pt, const HvsimRenderRect *r)
{
	const SimSnapPartition *p = sim_snapshot_partition(pt->snap, r->partition);
	double f = pt->mt.font;
	text_fit(pt, r->label, r->x, r->y + f * 1.05, r->w, f * 1.1, TRUE, ALIGN_LEFT, &pt->pal->text);
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
	text_fit(pt, r->label, r->x + pt->mt.pad, r->y + pt->mt.small * 1.15, r->w - 2 * pt->mt.pad, pt->mt.small,
	         FALSE, ALIGN_LEFT, &pt->pal->dim_text);
	/* Where the partition's first VP is now: its CPL picks the ring. */
	const SimSnapPartition *p = sim_snapshot_partition(pt->snap, r->partition);
	if (p && p->n_vps && p->vps[0].started && !p->stopped && (p->vps[0].cpl == 3) == ring3) {
		char here[48];
		g_snprintf(here, sizeof here, "\u25B6 VP%u is here%s", p->vps[0].index, p->vps[0].halted ? " (halted)" : "");
		text_fit(pt, here, r->x + r->w / 2, r->y + pt->mt.small * 1.15, r->w / 2 - pt->mt.pad, pt->mt.small, TRUE,
		         ALIGN_RIGHT, &pt->pal->vmbus);
	}
}

/* Where the last VM exit happened: its partition outlined, the reason in
 * the middle of its ring 0 band's title row (the exit left that ring). */
static void draw_exit_mark(Painter *pt, const GArray *l, const HvsimRenderOptions *opt)
{
	if (!opt || !opt->exit_partition)
		return;
	char name[HVSIM_RENDER_NAME_MAX];
	g_snprintf(name, sizeof name, "part.%u", opt->exit_partition);
	const HvsimRenderRect *part = hvsim_render_layout_find(l, name);
	g_strlcat(name, ".ring0", sizeof name);
	const HvsimRenderRect *ring0 = hvsim_render_layout_find(l, name);
	if (!part)
		return;
	static const Rgb mark_light = RGB(0xc2410c), mark_dark = RGB(0xffb86b);
	const Rgb *mark = opt->style == HVSIM_RENDER_DARK ? &mark_dark : &mark_light;
	cairo_t *cr = pt->cr;
	double line = (pt->pres ? 4.0 : 3.0) * pt->mt.scale, inset = line / 2 + 0.5;
	rounded(cr, part->x + inset, part->y + inset, part->w - 2 * inset, part->h - 2 * inset, 5 * pt->mt.scale);
	set(cr, mark);
	cairo_set_line_width(cr, line);
	cairo_stroke(cr);
	if (ring0) {
		char label[80];
		uint32_t basic = opt->exit_reason & VMX_EXIT_REASON_BASIC_MASK;
		g_snprintf(label, sizeof label, "\u25BC VM exit: %s", vmx_exit_reason_name(basic));
		text_fit(pt, label, ring0->x + ring0->w / 4, ring0->y + pt->mt.small * 1.15, ring0->w / 2, pt->mt.small, TRUE,
		         ALIGN_CENTER, mark);
	}
}

static void draw_band_title(Painter *pt, const HvsimRenderRect *r)
{
	text_fit(pt, r->label, r->x + pt->mt.pad, r->y + pt->mt.font * 1.15, r->w - 2 * pt->mt.pad, pt->mt.font, TRUE,
	         ALIGN_LEFT, &pt->pal->text);
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
 * child's VSC, labelled with its relid. */
static void draw_channel(Painter *pt, const GArray *l, const HvsimRenderRect *r, guint nth)
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
	/* Side by side where they leave the boxes, so each stays visible. */
	double spread = (nth - (pt->snap->n_channels - 1) / 2.0) * 8 * pt->mt.scale;
	double x0 = (a ? a->x + a->w / 2 : r->x) - spread, x1 = (b ? b->x + b->w / 2 : r->x + r->w) + spread;
	cairo_move_to(cr, x0, a ? a->y + a->h : y);
	cairo_line_to(cr, x0, y);
	cairo_line_to(cr, x1, y);
	cairo_line_to(cr, x1, b ? b->y + b->h : y);
	cairo_stroke(cr);
	double lw = pt->mt.small * 7;
	double lx = (x0 + x1) / 2 - lw / 2;
	set(cr, &pt->pal->bg);
	cairo_rectangle(cr, lx, y - pt->mt.small * 0.75, lw, pt->mt.small * 1.5);
	cairo_fill(cr);
	text_fit(pt, r->label, lx, y + pt->mt.small * 0.35, lw, pt->mt.small, TRUE, ALIGN_CENTER, &pt->pal->vmbus);
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
			draw_band_title(&pt, r);
			break;
		case HVSIM_RK_HW_ITEM:
			draw_component(&pt, r, &pt.pal->hw_item);
			break;
		case HVSIM_RK_HYPERVISOR:
			box(&pt, r, &pt.pal->hypervisor, 1.5);
			draw_band_title(&pt, r);
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
			if (!snap->n_channels)
				text_fit(&pt, "VMBus: no channel open yet", r->x + pt.mt.pad, r->y + r->h / 2 + pt.mt.small * 0.35,
				         r->w - 2 * pt.mt.pad, pt.mt.small, FALSE, ALIGN_LEFT, &pt.pal->vmbus);
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
	guint nth = 0;
	for (guint i = 0; i < l->len; i++)
		if (at(l, (int)i)->kind == HVSIM_RK_VMBUS_CHANNEL)
			draw_channel(&pt, l, at(l, (int)i), nth++);
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
		double pts[6] = { cx, c->y + c->h, cx, ly, mx, ly };
		if (!into) {
			double rev[6] = { pts[4], pts[5], pts[2], pts[3], pts[0], pts[1] };
			memcpy(pts, rev, sizeof pts);
		}
		memcpy(xy, pts, sizeof pts);
		return 3;
	}
	double acx = a->x + a->w / 2, acy = a->y + a->h / 2, bcx = b->x + b->w / 2, bcy = b->y + b->h / 2;
	double x0, y0, x1, y1;
	edge_point(a, bcx, bcy, &x0, &y0);
	edge_point(b, acx, acy, &x1, &y1);
	/* Each kind in its own lane beside the straight line. */
	double len = hypot(x1 - x0, y1 - y0);
	if (len < 1e-6)
		return 0;
	double off = ((double)kind - (GUI_ANIM_N_KINDS - 1) / 2.0) * 3.5 * mt.scale;
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

/* A small label with a background, centred on (x, y) or, with `beside`,
 * to the upper right of it (kept inside the canvas). */
static void pill(Painter *pt, const char *text, double x, double y, double size, const Rgb *edge, gboolean beside,
                 double width, double height)
{
	cairo_t *cr = pt->cr;
	cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
	cairo_set_font_size(cr, size);
	cairo_text_extents_t ex;
	cairo_text_extents(cr, text, &ex);
	double pad = size * 0.35, w = ex.x_advance + 2 * pad, h = size * 1.35;
	double bx = beside ? x + size * 0.8 : x - w / 2, by = beside ? y - size * 0.8 - h : y - h / 2;
	bx = CLAMP(bx, 0, MAX(width - w, 0));
	by = CLAMP(by, 0, MAX(height - h, 0));
	rounded(cr, bx, by, w, h, h / 2.5);
	set_alpha(cr, &pt->pal->bg, 0.92);
	cairo_fill_preserve(cr);
	set(cr, edge);
	cairo_set_line_width(cr, MAX(1.0, size * 0.1));
	cairo_stroke(cr);
	set(cr, &pt->pal->text);
	cairo_move_to(cr, bx + pad, by + h / 2 + size * 0.36);
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

/* The links: faint lines in slow motion, heat at full speed (wider and
 * stronger with the rate), and each link's counter in the middle. */
static void draw_links(Painter *pt, const GArray *l, double width, double height, const HvsimRenderOptions *opt,
                       const GuiAnimFrame *f)
{
	cairo_t *cr = pt->cr;
	double sc = pt->mt.scale;
	cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
	for (guint i = 0; i < f->links->len; i++) {
		const GuiAnimLink *k = &g_array_index(f->links, GuiAnimLink, i);
		double xy[2 * HVSIM_RENDER_LINK_POINTS];
		guint n = hvsim_render_link_points(l, width, height, k->from, k->to, k->kind, opt, xy);
		if (n < 2)
			continue;
		Rgb c = kind_rgb(opt, k->kind);
		double heat = log10(1.0 + k->rate);   /* 0 idle, 1 at 9/s, 3 at 999/s, ... */
		double w = f->full_speed ? (1.5 + 2.0 * heat) * sc : 1.5 * sc;
		double alpha = f->full_speed ? MIN(0.95, 0.3 + 0.18 * heat) : 0.35;
		/* Blended with the background here, drawn opaque: cheaper for
		 * pixman than an alpha source, every frame at full speed. */
		Rgb mix = { c.r * alpha + pt->pal->bg.r * (1 - alpha), c.g * alpha + pt->pal->bg.g * (1 - alpha),
		            c.b * alpha + pt->pal->bg.b * (1 - alpha) };
		set(cr, &mix);
		cairo_set_line_width(cr, w);
		cairo_move_to(cr, xy[0], xy[1]);
		for (guint j = 1; j < n; j++)
			cairo_line_to(cr, xy[2 * j], xy[2 * j + 1]);
		cairo_stroke(cr);
	}
	/* Counters over all the lines. */
	for (guint i = 0; i < f->links->len; i++) {
		const GuiAnimLink *k = &g_array_index(f->links, GuiAnimLink, i);
		double xy[2 * HVSIM_RENDER_LINK_POINTS], mx, my;
		guint n = hvsim_render_link_points(l, width, height, k->from, k->to, k->kind, opt, xy);
		if (n < 2)
			continue;
		link_midpoint(xy, n, &mx, &my);
		char count[32], text[64];
		thousands(count, sizeof count, k->count);
		if (f->full_speed && k->rate >= 1)
			g_snprintf(text, sizeof text, "%s \u00b7 %.0f/s", count, k->rate);
		else
			g_strlcpy(text, count, sizeof text);
		Rgb c = kind_rgb(opt, k->kind);
		pill(pt, text, mx, my, pt->mt.small * 0.82, &c, FALSE, width, height);
	}
}

/* The rings of the channels, as the last animated ring event left them:
 * bytes waiting, and a gauge when the ring's size is known. */
static void draw_rings(Painter *pt, const GArray *l, const HvsimRenderOptions *opt, const GuiAnimFrame *f)
{
	cairo_t *cr = pt->cr;
	Rgb c = kind_rgb(opt, GUI_ANIM_VMBUS);
	for (guint i = 0; i < f->rings->len; i++) {
		const GuiAnimRing *g = &g_array_index(f->rings, GuiAnimRing, i);
		char name[HVSIM_RENDER_NAME_MAX];
		g_snprintf(name, sizeof name, "vmbus.%u.%u", g->child, g->relid);
		const HvsimRenderRect *r = resolve(l, name);
		if (!r)
			continue;
		double sm = pt->mt.small, cy = r->y + r->h / 2, mx = r->x + r->w / 2;
		double bw = sm * 2.6, bh = sm * 0.75, tw = sm * 6.2, gap = sm * 0.3;
		gboolean to_parent = g->ring == SIM_SNAP_RING_TO_PARENT;
		/* Beside the channel's label (7 small em wide, centred): the
		 * child->parent ring to its left, the parent->child ring to its right;
		 * each a bar that fills with the bytes waiting, and the count. */
		double bx = to_parent ? mx - sm * 4.0 - bw : mx + sm * 4.0;
		double tx = to_parent ? bx - gap - tw : bx + bw + gap;
		set(cr, &pt->pal->bg);
		cairo_rectangle(cr, MIN(bx, tx) - gap, cy - sm * 0.6, bw + tw + 3 * gap, sm * 1.2);
		cairo_fill(cr);
		rounded(cr, bx, cy - bh / 2, bw, bh, bh / 3);
		set(cr, &c);
		cairo_set_line_width(cr, 1.5 * pt->mt.scale);
		cairo_stroke(cr);
		double fill = g->size ? MIN(1.0, (double)g->bytes / g->size) : (g->bytes ? 1.0 : 0.0);
		if (fill > 0) {
			cairo_rectangle(cr, bx + 1, cy - bh / 2 + 1, MAX((bw - 2) * fill, 2), bh - 2);
			set_alpha(cr, &c, g->size ? 0.9 : 0.4);
			cairo_fill(cr);
		}
		char text[48];
		g_snprintf(text, sizeof text, "%s %u B", to_parent ? "to parent" : "to child", g->bytes);
		text_fit(pt, text, tx, cy + sm * 0.3, tw, sm * 0.85, TRUE, to_parent ? ALIGN_RIGHT : ALIGN_LEFT, &pt->pal->text);
	}
}

static void draw_status(Painter *pt, const GArray *l, const GuiAnimFrame *f)
{
	const HvsimRenderRect *r = hvsim_render_layout_find(l, "legend.status");
	if (!r)
		return;
	char text[160], n[32];
	thousands(n, sizeof n, f->animated);
	if (f->full_speed)
		g_snprintf(text, sizeof text, "full speed: heat on the links \u00b7 %s events", n);
	else if (f->speed <= GUI_ANIM_SLOW_MOTION)
		g_snprintf(text, sizeof text, "slow motion: 1 event/s \u00b7 %u queued", f->queued);
	else
		g_snprintf(text, sizeof text, "%.0f events/s \u00b7 %u queued", f->speed, f->queued);
	if (f->fast_forwarded) {
		char ff[32];
		thousands(ff, sizeof ff, f->fast_forwarded);
		g_strlcat(text, " \u00b7 ", sizeof text);
		g_strlcat(text, ff, sizeof text);
		g_strlcat(text, " fast-forwarded", sizeof text);
	}
	if (f->skipped) {
		char sk[32];
		thousands(sk, sizeof sk, f->skipped);
		g_strlcat(text, " \u00b7 ", sizeof text);
		g_strlcat(text, sk, sizeof text);
		g_strlcat(text, " not seen", sizeof text);
	}
	text_fit(pt, text, r->x, r->y + r->h / 2 + pt->mt.small * 0.35, r->w, pt->mt.small, FALSE, ALIGN_RIGHT,
	         &pt->pal->dim_text);
}

void hvsim_render_anim(cairo_t *cr, double width, double height, const GArray *l, const HvsimRenderOptions *opt,
                       const GuiAnimFrame *f)
{
	g_return_if_fail(cr != NULL && l != NULL && f != NULL);
	Painter pt = { .cr = cr, .pal = palette_of(opt), .mt = metrics(width, height, opt),
	               .pres = opt && opt->presentation };
	double sc = pt.mt.scale * (pt.pres ? 1.3 : 1.0);
	cairo_save(cr);
	draw_links(&pt, l, width, height, opt, f);
	draw_rings(&pt, l, opt, f);

	/* Trails: the whole way, fading. */
	cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	for (guint i = 0; i < f->trails->len; i++) {
		const GuiAnimToken *t = &g_array_index(f->trails, GuiAnimToken, i);
		Poly p;
		poly_of_path(l, width, height, &t->path, opt, &p);
		if (p.n < 2)
			continue;
		Rgb c = kind_rgb(opt, t->path.kind);
		double ex, ey;
		set_alpha(cr, &c, 0.6 * t->alpha);
		cairo_set_line_width(cr, 3.0 * sc);
		poly_stroke(cr, &p, 1.0, &ex, &ey);
	}
	/* Tokens: the way so far, and the token where it is now. */
	gboolean labels = f->flight >= 0.5;
	for (guint i = 0; i < f->tokens->len; i++) {
		const GuiAnimToken *t = &g_array_index(f->tokens, GuiAnimToken, i);
		Poly p;
		poly_of_path(l, width, height, &t->path, opt, &p);
		if (p.n < 2)
			continue;
		Rgb c = kind_rgb(opt, t->path.kind);
		double x, y;
		set_alpha(cr, &c, 0.9);
		cairo_set_line_width(cr, 4.0 * sc);
		poly_stroke(cr, &p, t->progress, &x, &y);
		cairo_arc(cr, x, y, 7.5 * sc, 0, 2 * G_PI);
		set(cr, &c);
		cairo_fill_preserve(cr);
		set(cr, &pt.pal->bg);
		cairo_set_line_width(cr, 2.0 * sc);
		cairo_stroke(cr);
		if (labels && t->path.label[0])
			pill(&pt, t->path.label, x, y, pt.mt.small, &c, TRUE, width, height);
	}
	draw_status(&pt, l, f);
	cairo_restore(cr);
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
