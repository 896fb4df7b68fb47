/* gui-backend.c — the window's backend choice from the capability probe's
 * verdict, and what native mode takes away from the window
 * (docs/native.md#what-differs-from-the-emulator). GLib only, any thread. */
#include "gui-backend.h"

void gui_backend_offer(gboolean probe_ok, const char *probe_reason, GuiBackendOffer *out)
{
	g_return_if_fail(out != NULL);
	out->native_selectable = probe_ok;
	if (probe_ok)
		out->native_note = g_strdup("This host runs guests natively (its /dev/kvm passed the capability probe). "
		                            GUI_BACKEND_NATIVE_LIMITS);
	else
		out->native_note = g_strdup_printf("Native backend unavailable on this host: %s",
		                                   probe_reason && *probe_reason ? probe_reason
		                                                                 : "the capability probe failed");
}

void gui_backend_offer_clear(GuiBackendOffer *offer)
{
	if (offer)
		g_clear_pointer(&offer->native_note, g_free);
}

gboolean gui_backend_can_step_back(gboolean native, const char **why)
{
	if (why)
		*why = native ? GUI_BACKEND_NO_STEP_BACK : NULL;
	return !native;
}

gboolean gui_backend_can_step_to(gboolean native, SimStepStop kind, const char **why)
{
	gboolean ok = !(native && kind == SIM_STEP_STOP_RING);
	if (why)
		*why = ok ? NULL : GUI_BACKEND_NO_RING_STEP;
	return ok;
}

const char *gui_backend_label(gboolean native)
{
	return native ? "native (KVM)" : "emulated (Unicorn)";
}

gboolean gui_backend_parse(const char *text, SimBackendKind *out, GError **error)
{
	g_return_val_if_fail(text != NULL && out != NULL, FALSE);
	if (g_ascii_strcasecmp(text, "emulated") == 0)
		*out = SIM_BACKEND_EMULATED;
	else if (g_ascii_strcasecmp(text, "kvm") == 0)
		*out = SIM_BACKEND_KVM;
	else {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "'%s' is not a backend; use emulated or kvm", text);
		return FALSE;
	}
	return TRUE;
}
