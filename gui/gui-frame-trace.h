/* gui-frame-trace.h — where the time of a slow frame went: the phases of
 * the picture's GdkFrameClock (events, update, layout, paint) and the
 * window's own work between and inside frames (polling the runner, the
 * texts, the picture), printed one line per slow frame. Enabled by
 * HVSIM_GUI_FRAME_TRACE=1 (docs/gui.md, Performance). GTK main thread. */
#ifndef HVSIM_GUI_FRAME_TRACE_H
#define HVSIM_GUI_FRAME_TRACE_H

#include <stdio.h>

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The window's parts that are timed. The POLL_* parts run between frames
 * (the runner's mailbox is polled by a timeout), the TEXT_* parts in the
 * update phase (a tick, one text a frame), the DRAW_* parts inside the
 * paint phase (the drawing area's draw function). */
typedef enum {
	GUI_FRAME_POLL,            /* polling the runner, all of it */
	GUI_FRAME_POLL_HOOKS,      /* ... of which added pages and the state-published signal */
	GUI_FRAME_TEXT_STATUS,     /* the status line's text */
	GUI_FRAME_TEXT_LOG,        /* the event log's text */
	GUI_FRAME_TEXT_STATS,      /* the statistics text */
	GUI_FRAME_TEXT_INSPECTOR,  /* the VP page */
	GUI_FRAME_DRAW,            /* the picture's draw function, all of it */
	GUI_FRAME_DRAW_PICTURE,    /* ... of which the static picture drawn in place */
	GUI_FRAME_DRAW_HOOKS,      /* ... and the draw hooks (the animation, a lesson) */
	GUI_FRAME_N_PARTS
} GuiFramePart;

typedef struct GuiFrameTrace GuiFrameTrace;

/* When a timed part began: wall and UI-thread CPU time (us). */
typedef struct {
	gint64 wall, cpu;
} GuiFrameMark;

/* The trace of `widget`'s frame clock (followed from its realize on), or
 * NULL when HVSIM_GUI_FRAME_TRACE is not "1". Frames whose interval or work
 * exceed `threshold_ms` are printed to `out`. */
GuiFrameTrace *gui_frame_trace_new_from_env(GtkWidget *widget, double threshold_ms, FILE *out);
void gui_frame_trace_free(GuiFrameTrace *t);

/* Time one part: `begun = gui_frame_trace_begin(t)` ... `_end(t, part,
 * begun)`. Both do nothing (and cost nothing) when `t` is NULL. */
GuiFrameMark gui_frame_trace_begin(const GuiFrameTrace *t);
void gui_frame_trace_end(GuiFrameTrace *t, GuiFramePart part, GuiFrameMark begun);

/* A word about the frame (e.g. "texts", "new-machine") printed with it
 * when it is slow; a static string. */
void gui_frame_trace_note(GuiFrameTrace *t, const char *note);

/* The picture's tiles made again in this frame, of all (gui-picture-view.c). */
void gui_frame_trace_tiles(GuiFrameTrace *t, guint remade, guint tiles);

/* Slow frames seen so far (the window bench prints it). */
guint gui_frame_trace_slow_frames(const GuiFrameTrace *t);

G_END_DECLS

#endif /* HVSIM_GUI_FRAME_TRACE_H */
