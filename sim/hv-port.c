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
