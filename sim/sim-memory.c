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

bool sim_memory_range_ok(const SimMemory *mem, uint64_t gpa, uint64_t len)
{
	/* Written so that no addition can wrap: gpa + len may overflow. */
	return gpa <= mem->size && len <= mem->size - gpa;
}

bool sim_memory_read(const SimMemory *mem, uint64_t gpa, void *buf, uint64_t len)
{
	if (!sim_memory_range_ok(mem, gpa, len))
		return false;
	memcpy(buf, mem->host + gpa, len);
	return true;
}

bool sim_memory_write(SimMemory *mem, uint64_t gpa, const void *buf, uint64_t len)
{
	if (!sim_memory_range_ok(mem, gpa, len))
		return false;
	memcpy(mem->host + gpa, buf, len);
	return true;
}
