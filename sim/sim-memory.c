/* sim-memory.c — guest-physical RAM of one partition: one page-aligned host
 * mapping that the CPU backends map into their engines (shared, not copied).
 * Sim thread. Every accessor checks bounds; lengths may come from a guest. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "sim-private.h"

bool sim_memory_init(SimMemory *mem, uint64_t size, GError **error)
{
	memset(mem, 0, sizeof *mem);
	if (size < SIM_MIN_MEMORY_SIZE || size > SIM_MAX_MEMORY_SIZE || (size & 0xFFF)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "memory size %" G_GUINT64_FORMAT " bytes is invalid: it must be a multiple of 4 KiB between 1 MiB and 1 GiB",
		            size);
		return false;
	}
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
		            "cannot allocate %" G_GUINT64_FORMAT " bytes of guest memory: %s", size,
		            g_strerror(errno));
		return false;
	}
	mem->host = p;
	mem->size = size;
	return true;
}

void sim_memory_fini(SimMemory *mem)
{
	if (mem->host)
		munmap(mem->host, mem->size);
	mem->host = NULL;
	mem->size = 0;
}

/* A view: the host address of child GPA `gpa` (its page must be mapped). */
static guint8 *view_host(const SimMemory *mem, uint64_t gpa)
{
	guint64 page = gpa >> 12;
	gpointer v;
	if (!mem->slat || !mem->backing || !g_hash_table_lookup_extended(mem->slat, &page, NULL, &v))
		return NULL;
	uint64_t spa = (SIM_SLAT_PAGE(v) << 12) | (gpa & 0xFFF);
	if (spa >= mem->backing->size)
		return NULL;
	return mem->backing->host + spa;
}

bool sim_memory_range_ok(const SimMemory *mem, uint64_t gpa, uint64_t len)
{
	/* Written so that no addition can wrap: gpa + len may overflow. */
	if (!(gpa <= mem->size && len <= mem->size - gpa))
		return false;
	if (mem->host)
		return true;
	/* A view: every page the range touches must be mapped. */
	for (uint64_t page = gpa >> 12; len && page <= (gpa + len - 1) >> 12; page++)
		if (!view_host(mem, page << 12))
			return false;
	return true;
}

bool sim_memory_guest_access_ok(const SimMemory *mem, uint64_t gpa, uint64_t len, bool write)
{
	if (!sim_memory_range_ok(mem, gpa, len))
		return false;
	if (mem->host)
		return true;
	/* A view: the GPA map's permissions apply to the guest's own accesses
	 * (the CPU's pushes during event delivery), as the EPT would. */
	unsigned need = write ? VMX_EPT_WRITE : VMX_EPT_READ;
	for (uint64_t page = gpa >> 12; len && page <= (gpa + len - 1) >> 12; page++) {
		guint64 key = page;
		gpointer v = g_hash_table_lookup(mem->slat, &key);
		if (!v || (SIM_SLAT_PERMS(v) & need) != need)
			return false;
	}
	return true;
}

/* Copies between `buf` and [gpa, gpa + len), page by page for a view. */
static void copy(const SimMemory *mem, uint64_t gpa, void *buf, uint64_t len, bool write)
{
	guint8 *b = buf;
	while (len) {
		uint64_t chunk = mem->host ? len : MIN(len, 0x1000 - (gpa & 0xFFF));
		guint8 *h = mem->host ? mem->host + gpa : view_host(mem, gpa);
		if (write)
			memcpy(h, b, chunk);
		else
			memcpy(b, h, chunk);
		gpa += chunk;
		b += chunk;
		len -= chunk;
	}
}

bool sim_memory_read(const SimMemory *mem, uint64_t gpa, void *buf, uint64_t len)
{
	if (!sim_memory_range_ok(mem, gpa, len))
		return false;
	copy(mem, gpa, buf, len, false);
	return true;
}

bool sim_memory_write(SimMemory *mem, uint64_t gpa, const void *buf, uint64_t len)
{
	if (!sim_memory_range_ok(mem, gpa, len))
		return false;
	copy(mem, gpa, (void *)buf, len, true);
	return true;
}
