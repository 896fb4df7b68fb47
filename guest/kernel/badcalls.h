/* badcalls.h — the `badcalls` scenario's ring 0 self-test (badcalls.c):
 * partition-management, VP-register, intercept and port hypercalls with bad
 * input, each checked against the TLFS status it must get. Guest ring 0,
 * freestanding. */
#ifndef GUEST_KERNEL_BADCALLS_H
#define GUEST_KERNEL_BADCALLS_H

#include "hyperv.h"

/* Runs every check, prints one line each and a summary, powers off. */
noreturn void badcalls_run(const struct hv_info *hv);

#endif /* GUEST_KERNEL_BADCALLS_H */
