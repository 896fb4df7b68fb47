/* vmwp.c — the worker process: the ring 3 half of the host side of a
 * virtual machine (Hyper-V's vmwp.exe). It builds a child partition through
 * the VID library and driver, and takes it down again.
 * Guest ring 3, freestanding; lives in the user region (ulib.h markers).
 * Runs only in the parent of a late launch that may create partitions. */
#include "hv-tlfs.h"
#include "vidlib.h"

/* "vmwp: <what>(<id>): status 0x0000\n"; `id` is printed unless 0. Returns
 * whether the status was HV_STATUS_SUCCESS. */
UTEXT static bool vmwp_report(const char *what, uint64_t id, int32_t status)
{
	struct uline line; /* not zeroed: see hello.c */

	line.len = 0;
	uline_str(&line, USTR("vmwp: "));
	uline_str(&line, what);
	if (id) {
		uline_char(&line, '(');
		uline_dec(&line, id);
		uline_char(&line, ')');
	}
	if (status == VID_REFUSED) {
		uline_str(&line, USTR(": refused by the VID driver"));
	} else {
		uline_str(&line, USTR(": status 0x"));
		for (int shift = 12; shift >= 0; shift -= 4) {
			unsigned d = ((unsigned)status >> shift) & 0xF;
			uline_char(&line, (char)(d < 10 ? '0' + d : 'a' + d - 10));
		}
		uline_str(&line, status == HV_STATUS_SUCCESS ? USTR(" SUCCESS") : USTR(" (failed)"));
	}
	uline_char(&line, '\n');
	uwrite(line.buf, line.len);
	return status == HV_STATUS_SUCCESS;
}

UTEXT noreturn void vmwp_main(uint64_t arg)
{
	struct uline line;
	uint64_t id = 0;
	bool ok;

	(void)arg;
	uputs(USTR("vmwp: the worker process, ring 3: building a child partition through the VID\n"));

	ok = vmwp_report(USTR("HvCallCreatePartition"), 0, vid_create_partition(&id));
	if (!ok)
		uexit(1);
	line.len = 0;
	uline_str(&line, USTR("vmwp: new child partition id "));
	uline_dec(&line, id);
	uline_char(&line, '\n');
	uwrite(line.buf, line.len);

	ok &= vmwp_report(USTR("HvCallInitializePartition"), id, vid_initialize_partition(id));
	uputs(USTR("vmwp: the child cannot run yet: the child's memory and VPs come with the next step\n"));
	/* Finalize and delete even if initialize failed: Finalize may skip
	 * Initialize, and a worker process leaves no child behind. */
	ok &= vmwp_report(USTR("HvCallFinalizePartition"), id, vid_finalize_partition(id));
	ok &= vmwp_report(USTR("HvCallDeletePartition"), id, vid_delete_partition(id));

	uputs(ok ? USTR("vmwp: child partition created, initialized, finalized and deleted\n")
		 : USTR("vmwp: a partition-management call failed\n"));
	uexit(ok ? 0 : 1);
}
