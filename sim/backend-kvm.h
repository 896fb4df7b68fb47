/* backend-kvm.h — the native backend's entry points beside its ops table
 * (sim_backend_kvm in sim-private.h): the capability probe and the bare
 * KVM_RUN baseline of `hvsim bench native`. Sim thread. */
#ifndef HVSIM_BACKEND_KVM_H
#define HVSIM_BACKEND_KVM_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

/* Runs the capability probe (docs/native.md): true if this host's
 * /dev/kvm runs hvsim guests; else false with one sentence in `reason`
 * saying what is missing, or what the probe guest expected and what
 * happened. Bounded in time (a few seconds at most); never crashes on a
 * host that misbehaves. */
bool sim_kvm_probe(GString *reason);

/* The benchmark's baseline: `image` (an hvsim guest ELF that loops over
 * port writes and powers off) in a bare KVM VM with the loader's boot
 * state, and a KVM_RUN loop that does nothing but count I/O exits until
 * the write to the power port. */
bool sim_kvm_bare_io_loop(const guint8 *image, gsize len, uint64_t *exits, double *seconds, GError **error);

#endif
