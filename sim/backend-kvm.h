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

/* `hvsim bench native`'s baseline: runs `image` (a guest that writes a
 * port in a loop, then powers off through port 0x604) in a bare KVM VM
 * with the loader's boot state, doing nothing per exit but count it and
 * read the clock (as the bench's event callback does on hvsim's side).
 * The first `warmup` port writes are not timed; *exits: the timed ones
 * after the first; *seconds: from the first timed one to the last (VM
 * set-up and the power-off are not in it). */
bool sim_kvm_bare_io_loop(const guint8 *image, gsize len, uint64_t warmup, uint64_t *exits, double *seconds,
                          GError **error);

/* The same bare loop, resumable: a VM with `image` loaded, then runs of
 * `n` port writes each (*done of them, fewer only if the guest powered
 * off; *first_ns and *last_ns: the host times of the first and the last),
 * so that its batches can alternate with hvsim's within one run. */
typedef struct SimKvmBare SimKvmBare;
SimKvmBare *sim_kvm_bare_new(const guint8 *image, gsize len, GError **error);
bool sim_kvm_bare_run(SimKvmBare *b, uint64_t n, uint64_t *done, uint64_t *first_ns, uint64_t *last_ns, GError **error);
void sim_kvm_bare_free(SimKvmBare *b);

#endif
