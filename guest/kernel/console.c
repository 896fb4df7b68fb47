/* console.c — the kernel console: a polled 16550-style UART at COM1 and a
 * small printf on top of it.
 * Guest ring 0, freestanding. Every byte is one OUT (and one IN to poll the
 * status), i.e. a port I/O access the hypervisor sees: in a child partition
 * each one is an intercept, which is why real guests prefer synthetic
 * (VMBus) devices for anything fast. */
#include "kernel.h"

#define KLOG_PREFIX "[kernel] "

void console_init(void)
{
	/* We poll, so the UART must not raise interrupts: clear IER. The device
	 * model needs no baud rate or line setup. */
	outb(HVSIM_PORT_COM1 + UART_REG_IER, 0);
}

static void console_putc(char c)
{
	/* Wait until the transmit holding register is empty (LSR.THRE). The
	 * hvsim UART reports it empty at once; a real 16550 at 115200 baud
	 * would make us wait about 87 us per byte. */
	while (!(inb(HVSIM_PORT_COM1 + UART_REG_LSR) & UART_LSR_THRE))
		cpu_relax();
	outb(HVSIM_PORT_COM1 + UART_REG_THR, (uint8_t)c);
}

void console_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		console_putc(s[i]);
}

/* ---- printf ----------------------------------------------------------------- */

struct fmt_spec {
	unsigned width;
	bool zero_pad;
	bool left;
};

static void put_padding(unsigned n, char c)
{
	while (n--)
		console_putc(c);
}

static void put_field(const char *s, size_t len, const struct fmt_spec *spec)
{
	unsigned pad = spec->width > len ? spec->width - (unsigned)len : 0;

	if (!spec->left)
		put_padding(pad, ' ');
	console_write(s, len);
	if (spec->left)
		put_padding(pad, ' ');
}

static void put_number(uint64_t value, unsigned base, bool negative, bool upper,
		       const char *prefix, const struct fmt_spec *spec)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24]; /* 2^64 has 20 decimal digits */
	size_t n = 0;
	size_t prefix_len = 0;
	size_t len;
	unsigned pad;

	do {
		buf[n++] = digits[value % base];
		value /= base;
	} while (value != 0);

	if (negative)
		prefix = "-";
	while (prefix && prefix[prefix_len])
		prefix_len++;
	len = prefix_len + n;
	pad = spec->width > len ? spec->width - (unsigned)len : 0;

	if (!spec->left && !spec->zero_pad)
		put_padding(pad, ' ');
	console_write(prefix ? prefix : "", prefix_len);
	if (!spec->left && spec->zero_pad)
		put_padding(pad, '0'); /* zeros go between "0x" and the digits */
	while (n)
		console_putc(buf[--n]);
	if (spec->left)
		put_padding(pad, ' ');
}

void kvprintf(const char *fmt, va_list ap)
{
	for (const char *p = fmt; *p; p++) {
		struct fmt_spec spec = { 0 };
		unsigned longs = 0;
		bool size_t_arg = false;
		uint64_t u;
		int64_t d;

		if (*p != '%') {
			console_putc(*p);
			continue;
		}
		p++;
		for (;; p++) {
			if (*p == '0')
				spec.zero_pad = true;
			else if (*p == '-')
				spec.left = true;
			else
				break;
		}
		while (*p >= '0' && *p <= '9')
			spec.width = spec.width * 10 + (unsigned)(*p++ - '0');
		for (; *p == 'l'; p++)
			longs++;
		if (*p == 'z') {
			size_t_arg = true;
			p++;
		}

		switch (*p) {
		case 'd':
		case 'i':
			if (longs || size_t_arg)
				d = va_arg(ap, int64_t);
			else
				d = va_arg(ap, int);
			/* Negate in unsigned arithmetic: -INT64_MIN does not exist. */
			put_number(d < 0 ? 0 - (uint64_t)d : (uint64_t)d, 10, d < 0, false, NULL, &spec);
			break;
		case 'u':
		case 'x':
		case 'X':
			if (longs || size_t_arg)
				u = va_arg(ap, uint64_t);
			else
				u = va_arg(ap, unsigned int);
			put_number(u, *p == 'u' ? 10 : 16, false, *p == 'X', NULL, &spec);
			break;
		case 'p':
			u = (uint64_t)(uintptr_t)va_arg(ap, void *);
			put_number(u, 16, false, false, "0x", &spec);
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);
			put_field(&c, 1, &spec);
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);
			size_t len = 0;

			if (!s)
				s = "(null)";
			while (s[len])
				len++;
			put_field(s, len, &spec);
			break;
		}
		case '%':
			console_putc('%');
			break;
		case '\0':
			return; /* a lone '%' at the end */
		default:
			/* Unknown conversion: show it rather than guess its argument. */
			console_putc('%');
			console_putc(*p);
			break;
		}
	}
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

void klog(const char *fmt, ...)
{
	va_list ap;

	console_write(KLOG_PREFIX, sizeof(KLOG_PREFIX) - 1);
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

void kdetail(const char *fmt, ...)
{
	va_list ap;

	if (kernel_quiet)
		return;
	console_write(KLOG_PREFIX, sizeof(KLOG_PREFIX) - 1);
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

noreturn void panic(const char *fmt, ...)
{
	va_list ap;

	__asm__ volatile("cli");
	console_write(KLOG_PREFIX "PANIC: ", sizeof(KLOG_PREFIX "PANIC: ") - 1);
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	power_off();
}
