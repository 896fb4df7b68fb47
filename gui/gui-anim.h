/* gui-anim.h — the animation of event paths, as pure data (GLib only: no
 * GTK, no Cairo, no machine). Fed the machine's events and a clock, it says
 * what to draw at time t: tokens moving along paths through the picture's
 * named elements (render.h), fading trails of recent paths, a counter and a
 * heat (events per second) on every link, the fill of each VMBus ring.
 * Runs on the GTK main thread in the window; tests drive it with their own
 * clock, so every frame is deterministic. */
#ifndef HVSIM_GUI_ANIM_H
#define HVSIM_GUI_ANIM_H

#include <glib.h>

#include "sim-event.h"
#include "sim-snapshot.h"

G_BEGIN_DECLS

/* What a token is: one colour each in the picture and the legend. */
typedef enum GuiAnimKind {
	GUI_ANIM_RING,        /* system call, interrupt or exception: ring 3 <-> ring 0 inside a partition */
	GUI_ANIM_HYPERCALL,   /* ring 0 -> the hypercall interface in ring -1 (labelled with the call) */
	GUI_ANIM_VM_EXIT,     /* guest -> the hypervisor in ring -1 (labelled with the exit reason) */
	GUI_ANIM_INTERCEPT,   /* ring -1 -> the parent's VID driver and worker: a child's intercept */
	GUI_ANIM_SYNIC,       /* a SynIC message or interrupt the hypervisor delivers to a partition */
	GUI_ANIM_VMBUS,       /* VMBus packets written into or read out of a channel's ring */
	GUI_ANIM_DEVICE_IO,   /* port I/O passed through to the hardware */
	GUI_ANIM_N_KINDS
} GuiAnimKind;

const char *gui_anim_kind_name(GuiAnimKind kind);   /* the legend's words: "system call", ... */

#define GUI_ANIM_STOPS_MAX 4
#define GUI_ANIM_NAME_MAX  48   /* = HVSIM_RENDER_NAME_MAX */
#define GUI_ANIM_LABEL_MAX 72

/* The way an event took, as names of layout elements (render.h), source
 * first. A name the layout lacks stands for its nearest ancestor that it
 * has ("part.1.ring3.apps" -> "part.1.ring3"). */
typedef struct GuiAnimPath {
	GuiAnimKind kind;
	guint n_stops;
	char stops[GUI_ANIM_STOPS_MAX][GUI_ANIM_NAME_MAX];
	char label[GUI_ANIM_LABEL_MAX];  /* "VM exit: I/O instruction", "HvCallPostMessage", ... */
} GuiAnimPath;

/* The path of one event, or FALSE if the event does not travel (CPUID,
 * MSR, console, ...: their VM exit is the token) or would duplicate
 * another event's token. `snap` (the newest, may be NULL) says which
 * partition is whose parent and which device owns a port. Any thread. */
gboolean gui_anim_path_of(const SimEvent *ev, const SimSnapshot *snap, GuiAnimPath *out);

/* Speeds, in events animated per second. Slow motion is one event at a
 * time, about a second each; anything at or above GUI_ANIM_FULL_SPEED
 * means full speed: no tokens, every event counted at once, heat only. */
#define GUI_ANIM_SLOW_MOTION  1.0
#define GUI_ANIM_FULL_SPEED   1000.0
#define GUI_ANIM_SLOW_SECONDS 1.0    /* a token's flight in slow motion */
#define GUI_ANIM_FAST_SECONDS 0.25   /* the shortest flight (still visible) */
#define GUI_ANIM_TRAIL_SECONDS 1.5   /* how long a finished path stays, fading */
#define GUI_ANIM_HEAT_SECONDS 0.5    /* the time constant of the heat's moving rate */
#define GUI_ANIM_HEAT_STEPS   8.0    /* the heat drawn: steps per decade of events per second (a step: x1.33) */
#define GUI_ANIM_HEAT_HOLD    0.25   /* of a step: how far past the middle between two steps the rate must
                                      * go before the heat drawn takes the next step (no flicker) */
#define GUI_ANIM_QUEUE_MAX    20000u /* events waiting their turn; more are skipped (counted) */
#define GUI_ANIM_BACKLOG_MAX  10.0   /* seconds of animation kept queued: older events are counted
                                      * at once (fast-forwarded), so a step that emitted thousands
                                      * animates its last events, the ones that led to where it stopped */
#define GUI_ANIM_TRAILS_MAX   48u    /* fading paths kept */

/* The slider's position (0 slow motion .. 1 full speed) as a speed:
 * logarithmic from 1 to 200 events per second, full speed at the top. */
double gui_anim_speed_from_slider(double position);
double gui_anim_slider_from_speed(double events_per_second);   /* the inverse */

typedef struct GuiAnimToken {
	GuiAnimPath path;
	guint64 seq;          /* the event's */
	double start;         /* when it left its source (the clock's seconds) */
	double progress;      /* 0 at the source .. 1 at the destination */
	double alpha;         /* 1 in flight; a trail fades to 0 */
} GuiAnimToken;

/* A link: two consecutive stops of some path (as named in the path). */
typedef struct GuiAnimLink {
	char from[GUI_ANIM_NAME_MAX], to[GUI_ANIM_NAME_MAX];
	GuiAnimKind kind;
	guint64 count;        /* events that went along it since the last reset */
	double rate;          /* heat: events per second, smoothed over GUI_ANIM_HEAT_SECONDS */
	double level;         /* the heat drawn: log10(1 + rate) in steps of 1/GUI_ANIM_HEAT_STEPS, kept
	                       * until the rate leaves its step by GUI_ANIM_HEAT_HOLD more (gui_anim_heat_level) */
} GuiAnimLink;

/* A VMBus ring as the last animated ring event left it. */
typedef struct GuiAnimRing {
	uint32_t child, relid;
	guint ring;           /* SIM_SNAP_RING_TO_PARENT / _TO_CHILD */
	uint32_t bytes;       /* bytes between read and write index */
	uint32_t size;        /* the ring's data size (0: unknown) */
} GuiAnimRing;

/* What to draw at one moment. Owned by the GuiAnim, valid until its next call. */
typedef struct GuiAnimFrame {
	double now;
	gboolean full_speed;  /* aggregated: heat on the links, no tokens */
	double speed;         /* events per second (GUI_ANIM_FULL_SPEED at full speed) */
	double flight;        /* a token's flight in seconds at this speed (labels are shown when long) */
	GArray *tokens;       /* GuiAnimToken in flight, oldest first */
	GArray *trails;       /* GuiAnimToken arrived, alpha fading */
	GArray *links;        /* GuiAnimLink, in order of first use */
	GArray *rings;        /* GuiAnimRing */
	guint queued;         /* events waiting their turn */
	guint64 animated;     /* events that became tokens or heat */
	guint64 skipped;      /* events never animated: dropped before they reached the GUI, or queue full */
	guint64 fast_forwarded; /* counted on their links without a token (the backlog was full) */
} GuiAnimFrame;

typedef struct GuiAnim GuiAnim;

GuiAnim *gui_anim_new(void);
void gui_anim_free(GuiAnim *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GuiAnim, gui_anim_free)

/* Forgets everything (a reset machine starts its sequence numbers again). */
void gui_anim_reset(GuiAnim *a);

void gui_anim_set_speed(GuiAnim *a, double events_per_second);
double gui_anim_get_speed(const GuiAnim *a);

/* Feeds the events of a published state (oldest first) at clock time
 * `now` (seconds). Only events newer than the last fed are taken; a gap in
 * the sequence numbers is counted as skipped; a sequence number going
 * back means a new machine (the animation resets). */
void gui_anim_feed(GuiAnim *a, const SimEvent *events, guint n, const SimSnapshot *snap, double now);

/* The heat drawn for `rate` when `level` was drawn before: log10(1 + rate)
 * rounded to a step, but `level` again while the rate stays within
 * GUI_ANIM_HEAT_HOLD of a step past the middle between two steps (a rate
 * wavering at a step's edge would change the line every frame). */
double gui_anim_heat_level(double level, double rate);

/* Moves the clock to `now` (never backwards) and returns what to draw. */
const GuiAnimFrame *gui_anim_frame(GuiAnim *a, double now);

/* Seconds of animation still queued at the current speed (0 at full
 * speed). The window pauses the machine while this is long. */
double gui_anim_backlog(const GuiAnim *a);

/* Flow control with hysteresis: TRUE once the backlog passed
 * GUI_ANIM_BACKLOG_HIGH, FALSE again once it fell under _LOW. */
#define GUI_ANIM_BACKLOG_HIGH 3.0
#define GUI_ANIM_BACKLOG_LOW  1.0
gboolean gui_anim_hold(GuiAnim *a);

/* Whether any token or trail is still moving or fading (the window keeps
 * redrawing while so). */
gboolean gui_anim_busy(const GuiAnim *a);
/* Whether some link still showed heat at the last frame (its level above
 * 0): the heat cools for a few seconds after the events stop, and each
 * frame until it is gone draws it cooler. */
gboolean gui_anim_warm(const GuiAnim *a);

G_END_DECLS

#endif /* HVSIM_GUI_ANIM_H */
