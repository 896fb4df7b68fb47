/* programs.h — the ring 3 programs linked into the kernel image, as the
 * kernel (ring 0, process.c/main.c) sees them: entry points it IRETQs to.
 * The code itself runs in guest ring 3 (guest/user/hello.c, rogue.c,
 * vmwp.c, iotest.c). */
#ifndef GUEST_USER_PROGRAMS_H
#define GUEST_USER_PROGRAMS_H

#include <stdint.h>
#include <stdnoreturn.h>

/* hello's compute loop length when the boot info's workload is 0. */
#define HELLO_DEFAULT_ITERATIONS 100000u
/* iotest's amount of data when the boot info's workload is 0. */
#define IOTEST_DEFAULT_KIB 16u

/* Entry points: called with the argument in RDI on the user stack; they
 * never return (they end with the exit system call). */
noreturn void hello_main(uint64_t iterations);
noreturn void rogue_main(uint64_t arg);
noreturn void vmwp_main(uint64_t arg);
noreturn void iotest_main(uint64_t kib);

/* hello's compute kernel, also called directly by the simulator's speed
 * benchmark (no system calls inside). */
uint64_t user_compute(uint64_t iterations);

#endif /* GUEST_USER_PROGRAMS_H */
