/* sim-profile.h — product profiles: the per-VM limits of Microsoft's
 * virtualization products as the seed's "History" part and Table 1 give
 * them (Virtual Server 2005, Hyper-V in Windows Server 2008, Hyper-V
 * Server 2008). Plain data plus lookup and checks; no machine state.
 * A SimConfig with profile == NULL has no product limits. */
#ifndef HVSIM_SIM_PROFILE_H
#define HVSIM_SIM_PROFILE_H

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef enum SimGuestArch {
	SIM_GUEST_ARCH_X86 = 1 << 0,   /* 32-bit x86 guests (ELFCLASS32) */
	SIM_GUEST_ARCH_X64 = 1 << 1,   /* x64 guests (ELFCLASS64) */
} SimGuestArch;

typedef enum SimVmmType {
	SIM_VMM_HYBRID,        /* runs beside the host OS; no hypervisor (Virtual Server 2005) */
	SIM_VMM_TYPE1,         /* type-1 hypervisor under a parent partition (Hyper-V) */
} SimVmmType;

typedef enum SimParentShell {
	SIM_PARENT_GUI,        /* full Windows with its GUI shell */
	SIM_PARENT_NONE,       /* only the Hyper-V role, no GUI shell */
} SimParentShell;

typedef struct SimProfile {
	const char *name;          /* CLI value: "virtual-server-2005", ... */
	const char *product;       /* "Virtual Server 2005", ... */
	guint max_vps;             /* virtual processors per VM */
	uint64_t max_memory;       /* bytes of memory per VM */
	guint guest_archs;         /* SimGuestArch bits */
	SimVmmType vmm;
	SimParentShell parent_shell;
	const char *note;
} SimProfile;

#define SIM_PROFILE_ERROR (sim_profile_error_quark())
typedef enum SimProfileError {
	SIM_PROFILE_ERROR_MEMORY,  /* memory per VM above the product's limit */
	SIM_PROFILE_ERROR_ARCH,    /* guest architecture the product does not run */
	SIM_PROFILE_ERROR_VPS,     /* more VPs per VM than the product allows */
} SimProfileError;
GQuark sim_profile_error_quark(void);

/* All profiles, ending with an entry whose name is NULL. */
const SimProfile *sim_profiles(void);
/* NULL if `name` is not a profile. */
const SimProfile *sim_profile_find(const char *name);
/* "virtual-server-2005, hyperv-2008, hyperv-server-2008" (static string). */
const char *sim_profile_names(void);
const char *sim_vmm_type_name(SimVmmType t);          /* "hybrid VMM, no hypervisor" / ... */
const char *sim_parent_shell_name(SimParentShell s);  /* "GUI" / "none" */
const char *sim_guest_archs_name(guint archs);        /* "x86" / "x86, x64" */

/* Each check passes when profile is NULL (no product limits). */
gboolean sim_profile_check_memory(const SimProfile *profile, uint64_t bytes, GError **error);
gboolean sim_profile_check_vps(const SimProfile *profile, guint n, GError **error);
/* `image` is the ELF file; its EI_CLASS decides x86 or x64. Images that are
 * not ELF pass here and are left to the loader's own checks. */
gboolean sim_profile_check_image(const SimProfile *profile, const guint8 *image, gsize len,
                                 const char *image_name, GError **error);

/* A virtual machine as someone asks the product for it, before anything is
 * built: its VPs, its memory and its guest image. */
typedef struct SimProfileVm {
	guint vps;
	uint64_t memory;           /* bytes */
	const guint8 *image;       /* the ELF file (NULL: architecture not checked) */
	gsize image_len;
	const char *image_name;
} SimProfileVm;
/* The product's admission check: passes, or refuses with every limit the
 * VM breaks in one message ("Virtual Server 2005 refuses this virtual
 * machine: it allows at most 1 virtual processor ... (asked: 2); it runs
 * 32-bit (x86) guests only (boot is an x64 image)"). The error code is
 * the first limit broken, in the order VPs, memory, architecture. */
gboolean sim_profile_check_vm(const SimProfile *profile, const SimProfileVm *vm, GError **error);

G_END_DECLS

#endif
