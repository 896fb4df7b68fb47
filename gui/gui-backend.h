/* gui-backend.h — which CPU backends the window offers, and what the
 * native one cannot show: decided from the capability probe's verdict,
 * apart from the widgets, so a test can give it any verdict (the build
 * machines' /dev/kvm always fails the probe). GLib only, any thread. */
#ifndef HVSIM_GUI_BACKEND_H
#define HVSIM_GUI_BACKEND_H

#include <glib.h>

#include "sim-machine.h"

G_BEGIN_DECLS

/* The backend choice in the window's machine popover. */
typedef struct GuiBackendOffer {
	gboolean native_selectable;
	/* The native choice's tooltip and the line under it: the probe's
	 * reason when it is greyed out, else what native mode cannot show. */
	char *native_note;
} GuiBackendOffer;

/* From the probe's verdict (sim_kvm_probe): `probe_reason` is its sentence
 * when it failed (may be NULL when it passed). */
void gui_backend_offer(gboolean probe_ok, const char *probe_reason, GuiBackendOffer *out);
void gui_backend_offer_clear(GuiBackendOffer *offer);

/* Whether "step back" works on the backend that runs (`native`: KVM):
 * it replays the scenario from power-on, which needs a deterministic
 * machine. When not, *why (if not NULL) gets the tooltip saying so. */
gboolean gui_backend_can_step_back(gboolean native, const char **why);

/* Whether "next" can step to an event of `kind` on the backend that runs:
 * natively the guest's ring transitions happen in the hardware and never
 * reach hvsim, so stepping to the next one would run to the end. When
 * not, *why (if not NULL) gets the tooltip saying so. */
gboolean gui_backend_can_step_to(gboolean native, SimStepStop kind, const char **why);
#define GUI_BACKEND_NO_RING_STEP \
	"Natively (KVM) the guest's ring transitions happen in the hardware, unseen by hvsim, so there is no next " \
	"one to stop at: choose another kind, or load the scenario on the emulated backend."

/* What the window cannot show when the machine runs natively; one
 * sentence, for the popover and the tooltips. */
#define GUI_BACKEND_NATIVE_LIMITS \
	"Natively (KVM) the guest runs on the hardware: ring transitions, faults and CPUID inside a guest are not " \
	"visible, a step ends after a whole time slice at the earliest, the counters hold measured nanoseconds " \
	"instead of instructions, and there is no step back (a native run cannot be replayed exactly)."
#define GUI_BACKEND_NO_STEP_BACK \
	"Step back replays the scenario from power-on to the previous event, which needs the deterministic " \
	"emulator: a native (KVM) run differs from run to run (timer interrupts arrive at other instructions), " \
	"so it cannot go back. Load the scenario on the emulated backend to step back."

/* "emulated (Unicorn)" or "native (KVM)", for the title and the status. */
const char *gui_backend_label(gboolean native);

/* `--backend` of hvsim-gui: "emulated" or "kvm" (any case); FALSE with
 * `error` saying what was wrong for anything else. */
gboolean gui_backend_parse(const char *text, SimBackendKind *out, GError **error);

G_END_DECLS

#endif /* HVSIM_GUI_BACKEND_H */
