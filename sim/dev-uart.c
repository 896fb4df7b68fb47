/* dev-uart.c — a 16550-style UART (transmit side) and the power-off port,
 * as port-I/O devices behind the SimDeviceOps table. Sim thread.
 * Modelled: THR writes become console output; LSR always reports the
 * transmitter empty; the other registers read back what was written (the
 * scratch register) or 0. No receive path and no interrupts yet. */
#include "hvsim-platform.h"
#include "sim-private.h"

typedef struct UartState {
	uint8_t regs[8]; /* last value written per register (IER, LCR, MCR, SCR) */
} UartState;

static uint32_t uart_read(SimDevice *dev, uint16_t offset, unsigned size)
{
	UartState *s = dev->state;
	switch (offset) {
	case UART_REG_LSR:
		return UART_LSR_THRE | UART_LSR_TEMT;
	case UART_REG_RBR: /* nothing is ever received */
	case UART_REG_IIR:
	case UART_REG_MSR:
		return offset == UART_REG_IIR ? 0x01 /* no interrupt pending */ : 0;
	default:
		return s->regs[offset & 7];
	}
}

static void uart_write(SimDevice *dev, uint16_t offset, unsigned size, uint32_t value)
{
	UartState *s = dev->state;
	if (offset == UART_REG_THR && !(s->regs[UART_REG_LCR] & 0x80 /* DLAB */)) {
		sim_partition_console_putc(dev->partition, NULL, (char)(value & 0xFF));
		return;
	}
	s->regs[offset & 7] = (uint8_t)value;
}

static void free_state(SimDevice *dev)
{
	g_free(dev->state);
}

static const SimDeviceOps uart_ops = {
	.name = "uart16550",
	.io_read = uart_read,
	.io_write = uart_write,
	.free = free_state,
};

SimDevice *sim_uart_new(SimPartition *p, uint16_t base)
{
	SimDevice *dev = g_new0(SimDevice, 1);
	dev->ops = &uart_ops;
	dev->partition = p;
	dev->port_first = base;
	dev->port_last = base + 7;
	dev->state = g_new0(UartState, 1);
	return dev;
}

/* Power control: a 16-bit write of HVSIM_POWER_OFF stops the partition
 * cleanly; any other value is reported and ignored. */
static uint32_t power_read(SimDevice *dev, uint16_t offset, unsigned size)
{
	return 0;
}

static void power_write(SimDevice *dev, uint16_t offset, unsigned size, uint32_t value)
{
	if (size == 2 && (value & 0xFFFF) == HVSIM_POWER_OFF) {
		sim_partition_stop(dev->partition, true, 0, "the guest powered off (port 0x%x <- 0x%x)",
		                   dev->port_first, value);
		return;
	}
	SimVp *vp = dev->partition->vps->len ? g_ptr_array_index(dev->partition->vps, 0) : NULL;
	if (vp)
		sim_vp_message(vp, "power port 0x%x: ignored write of 0x%x (size %u); power off is a 16-bit write of 0x%x",
		               dev->port_first, value, size, HVSIM_POWER_OFF);
}

static const SimDeviceOps power_ops = {
	.name = "power",
	.io_read = power_read,
	.io_write = power_write,
	.free = NULL,
};

SimDevice *sim_power_new(SimPartition *p, uint16_t port)
{
	SimDevice *dev = g_new0(SimDevice, 1);
	dev->ops = &power_ops;
	dev->partition = p;
	dev->port_first = port;
	dev->port_last = port + 1;
	return dev;
}
