/* gui-picture.c — the static picture drawn on a worker thread. The owner's
 * thread (the GTK main thread) asks, paints and swaps; the worker thread
 * "hvsim-pict" only runs hvsim_render() into an image surface it created
 * itself, from a snapshot it holds a reference to. No surface is ever
 * drawn on by two threads: a job's surface belongs to the worker until the
 * job is handed back, then to the owner's thread alone. */
#include <math.h>
#include <string.h>

#include "gui-picture.h"
#include "gui-thread.h"

/* ---- Shared snapshots ------------------------------------------------------------- */

struct GuiSharedSnap {
	SimSnapshot *snap;
};

static void shared_snap_clear(gpointer data)
{
	GuiSharedSnap *s = data;
	sim_snapshot_free(s->snap);
}

GuiSharedSnap *gui_shared_snap_new(SimSnapshot *snap)
{
	g_return_val_if_fail(snap != NULL, NULL);
	GuiSharedSnap *s = g_atomic_rc_box_new0(GuiSharedSnap);
	s->snap = snap;
	return s;
}

GuiSharedSnap *gui_shared_snap_ref(GuiSharedSnap *s)
{
	return g_atomic_rc_box_acquire(s);
}

void gui_shared_snap_unref(GuiSharedSnap *s)
{
	if (s)
		g_atomic_rc_box_release_full(s, shared_snap_clear);
}

const SimSnapshot *gui_shared_snap_get(const GuiSharedSnap *s)
{
	return s ? s->snap : NULL;
}

/* ---- The picture ---------------------------------------------------------------------- */

/* What a picture shows: compared field by field, never by memcmp (padding). */
typedef struct Key {
	const SimSnapshot *snap;
	uint64_t insns, vtime, event_seq;
	double w, h, sx, sy;
	HvsimRenderOptions opt;
} Key;

/* One drawing, from the owner to the worker and back. */
typedef struct Job {
	GuiPicture *p;           /* a reference */
	Key key;
	GuiSharedSnap *snap;     /* released by the worker once drawn */
	cairo_surface_t *surface;/* made and drawn by the worker */
	guint64 gen;
	gboolean quit;           /* the sentinel that stops the worker */
} Job;

struct GuiPicture {
	gint ref;                /* the owner's, plus one per job in flight */
	GMainContext *context;   /* where `ready` runs */
	GuiPictureReady ready;
	gpointer user_data;
	GThread *worker;
	GAsyncQueue *jobs;
	gboolean freed;          /* the owner let go (owner's thread only, like everything below) */

	cairo_surface_t *shown;  /* the newest finished picture */
	Key shown_key;
	guint64 shown_gen;
	gint64 shown_at;         /* monotonic us its drawing was asked for */
	double hold;

	GSource *done_source;    /* the finished job's way back (set by the worker before attaching it) */
	gboolean busy;           /* a job is in flight */
	guint64 gen;             /* of the last picture asked for */
	guint64 drawn, drawn_async;
};

static gboolean opt_equal(const HvsimRenderOptions *a, const HvsimRenderOptions *b)
{
	return a->style == b->style && a->presentation == b->presentation && a->exit_partition == b->exit_partition &&
	       a->exit_reason == b->exit_reason;
}

static gboolean frame_equal(const Key *a, const Key *b)
{
	return a->w == b->w && a->h == b->h && a->sx == b->sx && a->sy == b->sy && opt_equal(&a->opt, &b->opt);
}

static gboolean key_equal(const Key *a, const Key *b)
{
	return frame_equal(a, b) && a->snap == b->snap && a->insns == b->insns && a->vtime == b->vtime &&
	       a->event_seq == b->event_seq;
}

/* A hash of each GUI_PICTURE_TILE square of a picture, kept with its
 * surface: the window keeps the tiles whose hash did not change when a
 * new picture is swapped in (most of it: counts and registers change,
 * boxes do not). Computed where the picture is drawn (the worker). */
typedef struct Tiles {
	int cols, rows;
	guint64 hash[];
} Tiles;

static const cairo_user_data_key_t tiles_key;

static void hash_tiles(cairo_surface_t *s, double sx)
{
	int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
	int stride = cairo_image_surface_get_stride(s), t = MAX((int)(GUI_PICTURE_TILE * sx), 1);
	int cols = (w + t - 1) / t, rows = (h + t - 1) / t;
	Tiles *tl = g_malloc0(sizeof(Tiles) + sizeof(guint64) * cols * rows);
	tl->cols = cols;
	tl->rows = rows;
	const guint8 *data = cairo_image_surface_get_data(s);
	for (int r = 0; r < rows; r++)
		for (int c = 0; c < cols; c++) {
			guint64 x = 0x84222325cbf29ce4ull;
			int x0 = c * t, x1 = MIN(x0 + t, w);
			for (int y = r * t; y < MIN(r * t + t, h); y++) {
				const guint32 *px = (const guint32 *)(data + (gsize)y * stride) + x0;
				for (int i = 0; i < x1 - x0; i++) {
					x = (x ^ (px[i] & 0xffffffu)) * 0x9e3779b97f4a7c15ull;
					x ^= x >> 29;
				}
			}
			tl->hash[r * cols + c] = x;
		}
	cairo_surface_set_user_data(s, &tiles_key, tl, g_free);
}

const guint64 *gui_picture_tile_hashes(cairo_surface_t *picture, int *cols, int *rows)
{
	const Tiles *tl = picture ? cairo_surface_get_user_data(picture, &tiles_key) : NULL;
	if (cols)
		*cols = tl ? tl->cols : 0;
	if (rows)
		*rows = tl ? tl->rows : 0;
	return tl ? tl->hash : NULL;
}

/* The image surface at the target's device scale (HiDPI). An image surface
 * and not one "similar" to GTK's target: that may be a recording surface,
 * which would replay every command at each paint. */
static cairo_surface_t *draw_picture(const Key *k, const SimSnapshot *snap)
{
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, MAX((int)ceil(k->w * k->sx), 1),
	                                                MAX((int)ceil(k->h * k->sy), 1));
	cairo_surface_set_device_scale(s, k->sx, k->sy);
	cairo_t *cr = cairo_create(s);
	hvsim_render(cr, k->w, k->h, snap, &k->opt);
	cairo_destroy(cr);
	cairo_surface_flush(s);
	hash_tiles(s, k->sx);
	return s;
}

static void picture_unref(GuiPicture *p)
{
	if (!g_atomic_int_dec_and_test(&p->ref))
		return;
	g_clear_pointer(&p->shown, cairo_surface_destroy);
	g_async_queue_unref(p->jobs);
	g_main_context_unref(p->context);
	g_free(p);
}

static void job_free(Job *j)
{
	g_clear_pointer(&j->surface, cairo_surface_destroy);
	gui_shared_snap_unref(j->snap);
	if (j->p)
		picture_unref(j->p);
	g_free(j);
}

/* Owner's thread: a drawing came back. Swapped in unless the owner let go
 * or painted a newer one itself in the meantime. */
static gboolean job_done(gpointer data)
{
	Job *j = data;
	GuiPicture *p = j->p;
	p->busy = FALSE;
	g_clear_pointer(&p->done_source, g_source_unref);
	if (!p->freed && j->gen > p->shown_gen) {
		g_clear_pointer(&p->shown, cairo_surface_destroy);
		p->shown = g_steal_pointer(&j->surface);
		p->shown_key = j->key;
		p->shown_gen = j->gen;
		p->drawn++;
		p->drawn_async++;
		if (p->ready)
			p->ready(p->user_data);
	}
	return G_SOURCE_REMOVE;
}

static gpointer worker_main(gpointer data)
{
	GuiPicture *p = data;
	(void)gui_thread_set_background();   /* the UI thread's frames first (else as before) */
	for (;;) {
		Job *j = g_async_queue_pop(p->jobs);
		if (j->quit) {
			g_free(j);
			break;
		}
		j->surface = draw_picture(&j->key, gui_shared_snap_get(j->snap));
		g_clear_pointer(&j->snap, gui_shared_snap_unref);
		GSource *src = g_idle_source_new();
		g_source_set_priority(src, G_PRIORITY_DEFAULT);
		g_source_set_callback(src, job_done, j, (GDestroyNotify)job_free);
		p->done_source = src;   /* the owner's now: read after job_done runs or the worker is joined */
		g_source_attach(src, p->context);
	}
	return NULL;
}

GuiPicture *gui_picture_new(GuiPictureReady ready, gpointer user_data)
{
	GuiPicture *p = g_new0(GuiPicture, 1);
	p->ref = 1;
	p->context = g_main_context_ref_thread_default();
	p->ready = ready;
	p->user_data = user_data;
	p->jobs = g_async_queue_new();
	p->worker = g_thread_new("hvsim-pict", worker_main, p);
	return p;
}

void gui_picture_free(GuiPicture *p)
{
	if (!p)
		return;
	p->freed = TRUE;
	Job *quit = g_new0(Job, 1);
	quit->quit = TRUE;
	g_async_queue_push(p->jobs, quit);
	g_thread_join(p->worker);   /* the job in flight, if any, is drawn first */
	/* Its way back, not dispatched yet: dropped (freeing the job). */
	if (p->done_source) {
		GSource *src = g_steal_pointer(&p->done_source);
		g_source_destroy(src);
		g_source_unref(src);
	}
	picture_unref(p);
}

void gui_picture_set_hold(GuiPicture *p, double seconds)
{
	g_return_if_fail(p != NULL);
	p->hold = MAX(seconds, 0);
}

gboolean gui_picture_update(GuiPicture *p, double width, double height, double sx, double sy, GuiSharedSnap *snap,
                            const HvsimRenderOptions *opt, gboolean wait)
{
	g_return_val_if_fail(p != NULL && snap != NULL, FALSE);
	const SimSnapshot *s = gui_shared_snap_get(snap);
	Key k = { .snap = s, .insns = s->insns, .vtime = s->vtime, .event_seq = s->event_seq, .w = width, .h = height,
		  .sx = MAX(sx, 1), .sy = MAX(sy, 1) };
	if (opt)
		k.opt = *opt;
	gint64 now = g_get_monotonic_time();

	gboolean current = p->shown && key_equal(&k, &p->shown_key);
	if (!current && (wait || !p->shown)) {
		/* Here and now: the first picture, or one that must be exact. */
		g_clear_pointer(&p->shown, cairo_surface_destroy);
		p->shown = draw_picture(&k, s);
		p->shown_key = k;
		p->shown_gen = ++p->gen;
		p->shown_at = now;
		p->drawn++;
		current = TRUE;
	} else if (!current) {
		gboolean held = p->hold > 0 && frame_equal(&k, &p->shown_key) &&
		                now - p->shown_at < (gint64)(p->hold * G_USEC_PER_SEC);
		if (!held && !p->busy) {
			Job *j = g_new0(Job, 1);
			j->p = p;
			g_atomic_int_inc(&p->ref);
			j->key = k;
			j->snap = gui_shared_snap_ref(snap);
			j->gen = ++p->gen;
			p->busy = TRUE;
			p->shown_at = now;
			g_async_queue_push(p->jobs, j);
		}
	}
	return current;
}

cairo_surface_t *gui_picture_shown(const GuiPicture *p, double *width, double *height, guint64 *generation)
{
	g_return_val_if_fail(p != NULL, NULL);
	if (width)
		*width = p->shown ? p->shown_key.w : 0;
	if (height)
		*height = p->shown ? p->shown_key.h : 0;
	if (generation)
		*generation = p->shown_gen;
	return p->shown;
}

gboolean gui_picture_paint(GuiPicture *p, cairo_t *cr, double width, double height, GuiSharedSnap *snap,
                           const HvsimRenderOptions *opt, gboolean wait)
{
	g_return_val_if_fail(p != NULL && cr != NULL && snap != NULL, FALSE);
	double sx, sy;
	cairo_surface_get_device_scale(cairo_get_target(cr), &sx, &sy);
	gboolean current = gui_picture_update(p, width, height, sx, sy, snap, opt, wait);
	cairo_save(cr);
	if (!current && (p->shown_key.w != width || p->shown_key.h != height))
		cairo_scale(cr, width / p->shown_key.w, height / p->shown_key.h);   /* resized: stretched meanwhile */
	cairo_set_source_surface(cr, p->shown, 0, 0);
	cairo_paint(cr);
	cairo_restore(cr);
	return current;
}

guint64 gui_picture_drawn(const GuiPicture *p)
{
	return p ? p->drawn : 0;
}

guint64 gui_picture_drawn_async(const GuiPicture *p)
{
	return p ? p->drawn_async : 0;
}

gboolean gui_picture_busy(const GuiPicture *p)
{
	return p && p->busy;
}
