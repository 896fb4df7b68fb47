/* ring-private.h — helpers shared by the rings/ sources: the page walker with
 * its diagnosis, faults with a reason attached, descriptor loads.
 * Sim thread; not installed, not included outside rings/. */
#ifndef HVSIM_RINGS_RING_PRIVATE_H
#define HVSIM_RINGS_RING_PRIVATE_H

#include <stdarg.h>

#include "ring.h"

#define RING_WHY_LEN 80

/* Who is making a memory access, as far as paging is concerned. */
typedef enum RingAccessor {
	RING_AS_SUPERVISOR,  /* explicit access at CPL 0-2 (SMAP honours RFLAGS.AC) */
	RING_AS_USER,        /* any access at CPL 3 */
	RING_AS_IMPLICIT,    /* the CPU's own accesses to the GDT, IDT and TSS:
	                      * always supervisor, whatever the CPL (SDM 4.6) */
} RingAccessor;

/* Result of one page walk, with the reason when it fails. */
typedef struct RingWalk {
	uint64_t gpa;
	uint32_t pfec;        /* #PF error code, RING_PF_NONE if not a #PF */
	int level;            /* level of the entry that decided (4 = PML4E, 1 = PTE) */
	const char *problem;  /* NULL on success, else a short phrase */
} RingWalk;

/* A fault the model has decided to raise, and why. */
typedef struct RingFault {
	uint8_t  vector;
	bool     has_error_code;
	uint32_t error_code;
	bool     sets_cr2;    /* #PF: load CR2 with cr2 when it is recognized */
	uint64_t cr2;
	char     why[RING_WHY_LEN];
} RingFault;

RingStatus ring_walk(const RingCpu *cpu, const RingMem *mem, uint64_t linear,
                     RingAccessKind kind, RingAccessor who, RingWalk *w);

/* Copy between buf and linear memory page by page. stack selects #SS instead
 * of #GP for a non-canonical address; ext is ORed into that error code.
 * A #PF comes back with f->sets_cr2 and f->cr2. RING_UNSUPPORTED (with
 * f->why) when a GPA is not backed by RAM. */
RingStatus ring_access_read(const RingCpu *cpu, const RingMem *mem, uint64_t linear,
                            void *buf, size_t len, RingAccessor who, bool stack,
                            uint32_t ext, RingFault *f);
RingStatus ring_access_write(const RingCpu *cpu, const RingMem *mem, uint64_t linear,
                             const void *buf, size_t len, RingAccessor who, bool stack,
                             uint32_t ext, RingFault *f);

/* Guest memory is little-endian whatever the host is. */
static inline uint64_t ring_le64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | b[i];
	return v;
}

static inline void ring_put_le64(uint8_t *b, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* Fault-class exceptions push RIP of the faulting instruction and RF = 1. */
bool ring_vector_is_fault(uint8_t vector);

/* Load the GDT descriptor for sel (must not be null). Index past the GDT
 * limit, or TI = 1 (the model's LDTR is always null): #GP(sel | ext).
 * A #PF while reading the GDT is returned as such. */
RingStatus ring_load_descriptor(const RingCpu *cpu, const RingMem *mem, uint16_t sel,
                                uint32_t ext, RingDescriptor *out, RingFault *f);

void ring_fault_set(RingFault *f, uint8_t vector, bool has_error_code,
                    uint32_t error_code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Bounded formatting that truncates quietly (for detail lines). */
void ring_format(char *dst, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ring_vformat(char *dst, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* "#GP" for exceptions, "INT 0x80", "IRQ vector 0x30": names an event in a
 * detail line. */
void ring_event_name(char *dst, size_t size, uint8_t vector, RingCause cause);

/* "#GP(0x402)" or "#UD": names a fault. */
void ring_fault_name(char *dst, size_t size, const RingFault *f);

#endif /* HVSIM_RINGS_RING_PRIVATE_H */
