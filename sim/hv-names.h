/* hv-names.h — names for TLFS numbers (call codes, statuses, synthetic MSRs),
 * for traces, summaries and inspectors. Pure lookup tables, any thread. */
#ifndef HVSIM_HV_NAMES_H
#define HVSIM_HV_NAMES_H

#include <stdint.h>

const char *hv_call_name(uint16_t code);     /* "HvCallPostMessage" or NULL */
const char *hv_status_name(uint16_t status); /* "HV_STATUS_SUCCESS" or "HV_STATUS_UNKNOWN" */
const char *hv_msr_name(uint32_t msr);       /* "HV_X64_MSR_HYPERCALL", "IA32_EFER" or NULL */

#endif
