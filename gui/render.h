/* render.h — the Cairo renderer of the architecture view: hardware, the
 * hypervisor band, the partitions with their rings, the VMBus channels.
 * Draws a SimSnapshot into any cairo_t (window, PNG, SVG, PDF, tests).
 * Runs on whatever thread owns the cairo_t (the GTK main thread in the
 * application); reads only the snapshot, never the machine. */
#ifndef HVSIM_GUI_RENDER_H
#define HVSIM_GUI_RENDER_H

#include <cairo.h>
#include <glib.h>

#include "gui-anim.h"
#include "sim-snapshot.h"

G_BEGIN_DECLS

typedef enum HvsimRenderStyle {
	HVSIM_RENDER_LIGHT,
	HVSIM_RENDER_DARK,
} HvsimRenderStyle;

typedef struct HvsimRenderOptions {
	HvsimRenderStyle style;
	gboolean presentation;   /* larger fonts, thicker lines, higher contrast (projectors) */
	uint32_t exit_partition; /* the partition of the last VM exit, outlined; 0 for none */
	uint32_t exit_reason;    /* its exit reason (labelled in that partition's ring 0) */
} HvsimRenderOptions;

/* What a layout element is (the renderer draws each kind its own way). */
typedef enum HvsimRenderKind {
	HVSIM_RK_TITLE,          /* the status line at the top */
	HVSIM_RK_RING_LABEL,     /* "ring 3" / "ring 0" / "ring -1" / "hardware" down the side */
	HVSIM_RK_HARDWARE,       /* the hardware band */
	HVSIM_RK_HW_ITEM,        /* a logical processor or device in it */
	HVSIM_RK_HYPERVISOR,     /* the ring -1 band (only once launched) */
	HVSIM_RK_HV_ITEM,        /* image, scheduler, SynIC, hypercall interface */
	HVSIM_RK_PARTITION,      /* a partition (or, before launch, the booted OS) */
	HVSIM_RK_PART_HEADER,    /* its name, role and VP state */
	HVSIM_RK_RING,           /* its ring 3 or ring 0 half */
	HVSIM_RK_COMPONENT,      /* kernel, VID driver, worker process, ... */
	HVSIM_RK_CONSOLE,        /* its last console line */
	HVSIM_RK_VMBUS_LANE,     /* the strip the VMBus channels run in */
	HVSIM_RK_VMBUS_CHANNEL,  /* one channel, from the parent's column to the child's */
	HVSIM_RK_LEGEND,         /* the row at the bottom: the animation's colours */
	HVSIM_RK_LEGEND_ITEM,    /* one kind of token ("legend.N", N its GuiAnimKind), or "legend.status" */
	HVSIM_RK_CAPTION,        /* a line of text inside a band, as wide as its text: "kernel mode",
	                          * "▶ VP0 is here", a band's title, a channel's label and ring gauges */
	HVSIM_RK_ROUTE,          /* empty space kept for the animation's links (nothing drawn):
	                          * "route.main" above ring -1, "route.hw" above the hardware,
	                          * "route.bypass" beside ring -1 (passed-through I/O goes round it) */
} HvsimRenderKind;

#define HVSIM_RENDER_NAME_MAX 48

/* One named rectangle of the layout. `parent` is the index of the element
 * it sits in (-1 for top-level ones); siblings (same parent) never overlap. */
typedef struct HvsimRenderRect {
	char name[HVSIM_RENDER_NAME_MAX]; /* "hardware", "hypervisor", "part.1.ring0.vid", ... */
	char label[96];
	HvsimRenderKind kind;
	int parent;
	uint32_t partition;      /* for partition elements and channels (the child); else 0 */
	double x, y, w, h;
} HvsimRenderRect;

/* The layout the renderer draws for this canvas and snapshot, as a GArray
 * of HvsimRenderRect (free with g_array_unref). `opt` may be NULL. */
GArray *hvsim_render_layout(double width, double height, const SimSnapshot *snap,
                            const HvsimRenderOptions *opt);

/* How many components' titles ("VMBus driver", ...) in a layout would be
 * cut with "..." even at their smallest size; their names are appended
 * to `names` (may be NULL). */
guint hvsim_render_cut_titles(const GArray *layout, double width, double height, const HvsimRenderOptions *opt,
                              GString *names);

/* The element named `name` in a layout, or NULL. */
const HvsimRenderRect *hvsim_render_layout_find(const GArray *layout, const char *name);

/* A layout kept between frames: made again only when the size, the
 * options or the snapshot (its address, instruction count, virtual time
 * and last event: a new snapshot at a freed one's address differs in one
 * of them) changed. Zero-initialise; clear to free. */
typedef struct HvsimRenderLayoutCache {
	GArray *layout;
	const SimSnapshot *snap;
	uint64_t insns, vtime, event_seq;
	double width, height;
	HvsimRenderOptions opt;
} HvsimRenderLayoutCache;
/* The layout for these (owned by the cache, valid until its next call). */
const GArray *hvsim_render_layout_cached(HvsimRenderLayoutCache *cache, double width, double height,
                                         const SimSnapshot *snap, const HvsimRenderOptions *opt);
void hvsim_render_layout_cache_clear(HvsimRenderLayoutCache *cache);

/* Draws the architecture view into [0, width) x [0, height). `opt` may be NULL. */
void hvsim_render(cairo_t *cr, double width, double height, const SimSnapshot *snap,
                  const HvsimRenderOptions *opt);

/* The background colour of a style, as 0xRRGGBB (tests count other pixels). */
guint32 hvsim_render_background(const HvsimRenderOptions *opt);

/* ---- The animation (gui-anim.h) over the picture ---- */

/* The colour of a kind of token in a style, as 0xRRGGBB (legend, tokens, links). */
guint32 hvsim_render_kind_colour(const HvsimRenderOptions *opt, GuiAnimKind kind);

/* The legend item of a kind: "legend.<n>" with n the GuiAnimKind. */
void hvsim_render_legend_name(GuiAnimKind kind, char *buf, gsize len);

#define HVSIM_RENDER_LINK_POINTS 8

/* Where the link from stop `from` to stop `to` of a path of `kind` is drawn:
 * a polyline of up to HVSIM_RENDER_LINK_POINTS points (x, y pairs into
 * `xy`); returns how many (0 if the layout lacks both ends). Links run
 * orthogonally through the free space between boxes (gutters, the empty
 * part of a band, the route strips) and never across a box or caption
 * other than their two ends and what contains them; each kind keeps its
 * own lane, a few pixels beside the others. */
guint hvsim_render_link_points(const GArray *layout, double width, double height, const char *from,
                               const char *to, GuiAnimKind kind, const HvsimRenderOptions *opt, double *xy);

/* A link's counter: the small label with its count (and rate), placed on
 * its route where it covers no text and no other counter. */
typedef struct HvsimRenderCounter {
	guint link;              /* index into the frame's links */
	double x, y, w, h;
	char text[48];
} HvsimRenderCounter;

/* The counters hvsim_render_anim draws for `frame`, as a GArray of
 * HvsimRenderCounter (free with g_array_unref). */
GArray *hvsim_render_anim_counters(const GArray *layout, double width, double height,
                                   const HvsimRenderOptions *opt, const GuiAnimFrame *frame);

/* Draws one frame of the animation over the picture hvsim_render drew with
 * the same layout and options: heat and counters on the links, fading
 * trails, tokens in flight (labelled in slow motion), the fill of the
 * VMBus rings and the speed in the legend row. */
void hvsim_render_anim(cairo_t *cr, double width, double height, const GArray *layout,
                       const HvsimRenderOptions *opt, const GuiAnimFrame *frame);

/* The same frame planned first and drawn from the plan, in parts: each
 * item (a link's line, a counter, a ring gauge, a trail, a token, the
 * status text) has the bounds it may draw in and a key that changes
 * whenever its pixels would. The window draws the view in tiles and
 * redraws only the tiles whose items changed (docs/gui.md, Performance).
 * The plan copies what it needs: the frame may change after it is made. */
typedef struct HvsimRenderItem {
	double x, y, w, h;       /* whole pixels */
	guint64 key;
} HvsimRenderItem;

typedef struct HvsimRenderAnimPlan HvsimRenderAnimPlan;
HvsimRenderAnimPlan *hvsim_render_anim_plan(double width, double height, const GArray *layout,
                                            const HvsimRenderOptions *opt, const GuiAnimFrame *frame);
void hvsim_render_anim_plan_free(HvsimRenderAnimPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HvsimRenderAnimPlan, hvsim_render_anim_plan_free)
/* The counters' and the status line's texts (and places) of `old`, an
 * earlier plan at the same size, for the same links, except those of group
 * `fresh`: a counter's group is its link's index modulo `groups`, the
 * status line's 0 (fresh >= groups: every text kept). The window refreshes
 * the texts a few times a second at full speed, not every frame, and one
 * group at a time, so that one frame repaints a part of them, not all. */
void hvsim_render_anim_plan_keep_texts(HvsimRenderAnimPlan *plan, const HvsimRenderAnimPlan *old, guint groups,
                                       guint fresh);
/* Its items as HvsimRenderItem, in drawing order (owned by the plan). */
const GArray *hvsim_render_anim_plan_items(const HvsimRenderAnimPlan *plan);
/* Draws the items that meet the clip of `cr`, in order. */
void hvsim_render_anim_plan_draw(cairo_t *cr, const HvsimRenderAnimPlan *plan);
/* Draws item `index` alone. */
void hvsim_render_anim_plan_draw_item(cairo_t *cr, const HvsimRenderAnimPlan *plan, guint index);

/* The static picture kept in a surface: redrawn only when the snapshot,
 * the size or the options change, so a frame costs one paint plus the
 * animation. For the window's draw function (one cache per view). */
typedef struct HvsimRenderCache HvsimRenderCache;
HvsimRenderCache *hvsim_render_cache_new(void);
void hvsim_render_cache_free(HvsimRenderCache *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HvsimRenderCache, hvsim_render_cache_free)
/* Paints the picture of `snap` (from the cache when unchanged) and, if
 * `frame` is not NULL, the animation over it. */
void hvsim_render_cached(HvsimRenderCache *c, cairo_t *cr, double width, double height, const SimSnapshot *snap,
                         const HvsimRenderOptions *opt, const GuiAnimFrame *frame);
/* While `seconds` > 0, a new snapshot (same size and options) redraws the
 * picture at most once per `seconds`; the picture shown may be that old.
 * The window sets it while the machine runs, 0 when it stops. */
void hvsim_render_cache_set_hold(HvsimRenderCache *c, double seconds);
/* How many times the cache had to redraw the picture (benchmarks print it). */
guint64 hvsim_render_cache_misses(const HvsimRenderCache *c);

G_END_DECLS

#endif /* HVSIM_GUI_RENDER_H */
