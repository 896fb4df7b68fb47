/* hv-port.h — the port, connection, message and event hypercalls
 * (hv-port.c), called from the table in hv-hypercall.c, which has already
 * checked the caller's right, the form and the input block. Sim thread. */
#ifndef HVSIM_HV_PORT_H
#define HVSIM_HV_PORT_H

#include "hv-hypercall.h"

uint16_t sim_hv_call_create_port(HvCallCtx *ctx);
uint16_t sim_hv_call_connect_port(HvCallCtx *ctx);
uint16_t sim_hv_call_post_message(HvCallCtx *ctx);
uint16_t sim_hv_call_signal_event(HvCallCtx *ctx);

#endif
