/* hv-port.c — ports, connections, HvCallPostMessage and HvCallSignalEvent
 * (facts §3.6, §4.2-4.5). Sim thread, ring -1. (Being written.) */
#include "sim-private.h"

struct SimPorts {
	int unused;
};

void sim_ports_free(SimPorts *ports)
{
	g_free(ports);
}

#include "hv-port.h"

uint16_t sim_hv_call_create_port(HvCallCtx *ctx) { (void)ctx; return HV_STATUS_INVALID_HYPERCALL_CODE; }
uint16_t sim_hv_call_connect_port(HvCallCtx *ctx) { (void)ctx; return HV_STATUS_INVALID_HYPERCALL_CODE; }
uint16_t sim_hv_call_post_message(HvCallCtx *ctx) { (void)ctx; return HV_STATUS_INVALID_HYPERCALL_CODE; }
uint16_t sim_hv_call_signal_event(HvCallCtx *ctx) { (void)ctx; return HV_STATUS_INVALID_HYPERCALL_CODE; }
