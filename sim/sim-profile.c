/* sim-profile.c — the product profile table and its checks.
 *
 * Source: the seed (shared/reference/seed-hyperv-architecture.txt), part
 * "History of virtualization at Microsoft" and Table 1:
 *   - Virtual Server 2005 (September 2004): "virtual systems could use only
 *     one processor x86 and maximum 3.6 GB of memory per VM"; its VMM is the
 *     hybrid type, running beside the host OS; R2 SP1 uses Intel VT/AMD-V
 *     "but without the hypervisor".
 *   - Hyper-V (Windows Server 2008, x64 only): "supports x86 and x64 VM, and
 *     64 GB of memory and up to 4 processors per virtual machine"; a type-1
 *     hypervisor under a full Windows parent partition with its GUI.
 *   - Hyper-V Server 2008: the same hypervisor; "a free version of the
 *     operating system only with Hyper-V role enabled" (no GUI shell).
 * 3.6 GB is read as 3.6 * 2^30 bytes, rounded down to whole MiB:
 * 3.6 * 1024 = 3686.4 -> 3686 MiB. 64 GB is 64 GiB.
 * Main thread / sim thread; no state. */
#include "sim-profile.h"

#include <elf.h>
#include <string.h>

G_DEFINE_QUARK(sim-profile-error-quark, sim_profile_error)

#define MIB (UINT64_C(1) << 20)

static const SimProfile profiles[] = {
	{
		.name = "virtual-server-2005",
		.product = "Virtual Server 2005",
		.max_vps = 1,
		.max_memory = 3686 * MIB,    /* 3.6 GB, rounded down to MiB */
		.guest_archs = SIM_GUEST_ARCH_X86,
		.vmm = SIM_VMM_HYBRID,
		.parent_shell = SIM_PARENT_GUI,
		.note = "hybrid VMM beside the host OS; R2 SP1 uses VT/AMD-V but has no hypervisor",
	},
	{
		.name = "hyperv-2008",
		.product = "Hyper-V (Windows Server 2008 x64)",
		.max_vps = 4,
		.max_memory = 64 * 1024 * MIB,
		.guest_archs = SIM_GUEST_ARCH_X86 | SIM_GUEST_ARCH_X64,
		.vmm = SIM_VMM_TYPE1,
		.parent_shell = SIM_PARENT_GUI,
		.note = "type-1 hypervisor; the parent partition is full Windows Server 2008",
	},
	{
		.name = "hyperv-server-2008",
		.product = "Hyper-V Server 2008",
		.max_vps = 4,
		.max_memory = 64 * 1024 * MIB,
		.guest_archs = SIM_GUEST_ARCH_X86 | SIM_GUEST_ARCH_X64,
		.vmm = SIM_VMM_TYPE1,
		.parent_shell = SIM_PARENT_NONE,
		.note = "the same hypervisor; the parent has only the Hyper-V role, no GUI shell",
	},
	{ NULL },
};

const SimProfile *sim_profiles(void)
{
	return profiles;
}

const SimProfile *sim_profile_find(const char *name)
{
	if (!name)
		return NULL;
	for (const SimProfile *p = profiles; p->name; p++)
		if (g_str_equal(p->name, name))
			return p;
	return NULL;
}

const char *sim_profile_names(void)
{
	return "virtual-server-2005, hyperv-2008, hyperv-server-2008";
}

const char *sim_vmm_type_name(SimVmmType t)
{
	return t == SIM_VMM_TYPE1 ? "type-1 hypervisor" : "hybrid VMM, no hypervisor";
}

const char *sim_parent_shell_name(SimParentShell s)
{
	return s == SIM_PARENT_NONE ? "none" : "GUI";
}

const char *sim_guest_archs_name(guint archs)
{
	if ((archs & SIM_GUEST_ARCH_X86) && (archs & SIM_GUEST_ARCH_X64))
		return "x86, x64";
	if (archs & SIM_GUEST_ARCH_X64)
		return "x64";
	return "x86";
}

gboolean sim_profile_check_memory(const SimProfile *profile, uint64_t bytes, GError **error)
{
	if (!profile || bytes <= profile->max_memory)
		return TRUE;
	g_set_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_MEMORY,
	            "%s allows at most %" G_GUINT64_FORMAT " MB of memory per virtual machine; "
	            "this one asks for %" G_GUINT64_FORMAT " MB",
	            profile->product, profile->max_memory / MIB, (bytes + MIB - 1) / MIB);
	return FALSE;
}

gboolean sim_profile_check_vps(const SimProfile *profile, guint n, GError **error)
{
	if (!profile || n <= profile->max_vps)
		return TRUE;
	g_set_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_VPS,
	            "%s allows at most %u virtual processor%s per virtual machine; this one asks for %u",
	            profile->product, profile->max_vps, profile->max_vps == 1 ? "" : "s", n);
	return FALSE;
}

gboolean sim_profile_check_image(const SimProfile *profile, const guint8 *image, gsize len,
                                 const char *image_name, GError **error)
{
	if (!profile || len <= EI_CLASS || memcmp(image, ELFMAG, SELFMAG) != 0)
		return TRUE;
	if (image[EI_CLASS] == ELFCLASS64 && !(profile->guest_archs & SIM_GUEST_ARCH_X64)) {
		g_set_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_ARCH,
		            "%s runs 32-bit (x86) guests only; %s is an x64 image",
		            profile->product, image_name);
		return FALSE;
	}
	if (image[EI_CLASS] == ELFCLASS32 && !(profile->guest_archs & SIM_GUEST_ARCH_X86)) {
		g_set_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_ARCH,
		            "%s runs x64 guests only; %s is a 32-bit (x86) image",
		            profile->product, image_name);
		return FALSE;
	}
	return TRUE;
}

gboolean sim_profile_check_vm(const SimProfile *profile, const SimProfileVm *vm, GError **error)
{
	if (!profile)
		return TRUE;
	/* Each single check words its own limit; the refusal lists them all,
	 * so a student who breaks two limits learns both at once. */
	GError *broken[3] = { NULL, NULL, NULL };
	sim_profile_check_vps(profile, vm->vps, &broken[0]);
	sim_profile_check_memory(profile, vm->memory, &broken[1]);
	if (vm->image)
		sim_profile_check_image(profile, vm->image, vm->image_len, vm->image_name ? vm->image_name : "the guest",
		                        &broken[2]);
	GString *list = g_string_new(NULL);
	int code = 0;
	guint n = 0;
	gsize plen = strlen(profile->product);
	for (gsize i = 0; i < G_N_ELEMENTS(broken); i++) {
		if (!broken[i])
			continue;
		if (!n)
			code = broken[i]->code;
		/* "<product> allows ..." reads "it allows ..." in the list. */
		const char *m = broken[i]->message;
		gboolean named = g_str_has_prefix(m, profile->product) && m[plen] == ' ';
		g_string_append_printf(list, "%s(%u) %s%s.", n ? " " : "", n + 1, named ? "it" : "", named ? m + plen : m);
		n++;
		g_error_free(broken[i]);
	}
	if (n)
		g_set_error(error, SIM_PROFILE_ERROR, code, "%s refuses this virtual machine, for %u reason%s: %s",
		            profile->product, n, n == 1 ? "" : "s", list->str);
	g_string_free(list, TRUE);
	return n == 0;
}
