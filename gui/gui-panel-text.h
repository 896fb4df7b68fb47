/* gui-panel-text.h — the text of the side panels (CPU, modelled VMCS,
 * SynIC and VMBus, memory), formatted from a SimSnapshot for the VP the
 * user selected. Plain GLib, no GTK: the panel widgets show these texts and
 * the tests read them headlessly. GTK main thread (or any thread: it reads
 * only the snapshot). */
#ifndef HVSIM_GUI_PANEL_TEXT_H
#define HVSIM_GUI_PANEL_TEXT_H

#include <glib.h>

#include "sim-snapshot.h"

G_BEGIN_DECLS

/* A panel's text and the lines the widget styles. */
typedef struct GuiPanelText {
	GString *text;
	GArray *headings;            /* of int: line numbers shown bold */
	int current_line;            /* the highlighted line (current instruction), or -1 */
} GuiPanelText;

void gui_panel_text_init(GuiPanelText *t);
void gui_panel_text_clear(GuiPanelText *t);


/* Registers and flags, CPL and mode. */
void gui_panel_text_registers(GuiPanelText *t, const SimSnapPartition *p, const SimSnapVp *vp);
/* The listing around RIP (Capstone, the image's symbols as "func+0x12"
 * labels), the instruction at RIP as current_line. */
void gui_panel_text_disasm(GuiPanelText *t, const SimSnapPartition *p, const SimSnapVp *vp);
/* The modelled VMCS: last exit decoded, guest state, controls with their
 * set bits named. */
void gui_panel_text_vmcs(GuiPanelText *t, const SimSnapshot *s, const SimSnapPartition *p, const SimSnapVp *vp);
/* The VP's SynIC MSRs and per-SINT queues. */
void gui_panel_text_synic(GuiPanelText *t, const SimSnapVp *vp);
/* The VMBus channels partition `id` is an end of (all when id is 0). */
void gui_panel_text_channels(GuiPanelText *t, const SimSnapshot *s, uint32_t id);
/* The partition's GPA -> SPA map (runs; the parent's identity map said as
 * such); needs a snapshot taken with SIM_SNAP_DETAIL_GPA_MAP for children. */
void gui_panel_text_memory_map(GuiPanelText *t, const SimSnapshot *s, const SimSnapPartition *p);
/* The hex view of the snapshot's memory range, or its error. */
void gui_panel_text_hex(GuiPanelText *t, const SimSnapMemory *mem);

/* The instruction the VM exit `ex` happened at, "mnemonic operands" and,
 * where the guest image names it, " <symbol+0x12>", decoded from the code
 * the exiting VP's VMCS in `s` kept (FALSE, out empty, when that VMCS no
 * longer holds this exit, or its code was not readable). For the status
 * line: what the guest was doing when it exited. */
gboolean gui_exit_instruction(const SimSnapshot *s, const SimEvent *ex, char *out, gsize len);

/* Whether a channel is one of partition `id`'s (an end of it). */
gboolean gui_panel_channel_of(const SimSnapshot *s, const SimSnapChannel *c, uint32_t id);

/* Parses what the user typed for the hex view: "GPA" or "GPA LENGTH"
 * (C syntax: 0x for hex; a length defaults to 256 and is at most
 * SIM_SNAP_MEMORY_MAX). FALSE with a message saying what was wrong. */
#define GUI_PANEL_HEX_DEFAULT_LEN 256u
gboolean gui_panel_parse_range(const char *text, uint64_t *gpa, uint32_t *len, GError **error);

/* Parses what the user typed for an address breakpoint: a hexadecimal
 * address (0x optional: "0x18d000", "18d000") or a symbol of the
 * partition's image with an optional offset ("isr_common",
 * "console_write+0x12"; a word that is both, such as "cafe", is the
 * symbol where the image has one). `symtab` may be NULL (no image yet).
 * At most 64 characters. FALSE with a message saying what was wrong. */
gboolean gui_parse_guest_address(const char *text, const SimSymtab *symtab, uint64_t *rip, GError **error);

/* Lists "name=bit" pairs of `value` into buf, for the bits `table` names
 * (unnamed set bits as "bit N"). Exposed for tests. */
typedef struct GuiPanelBit {
	uint32_t bit;
	const char *name;
} GuiPanelBit;
void gui_panel_describe_bits(uint32_t value, const GuiPanelBit *table, gsize n, GString *out);

G_END_DECLS

#endif /* HVSIM_GUI_PANEL_TEXT_H */
