/* sim-elf.c — the loader: validates an ELF64 x86-64 executable and copies
 * its PT_LOAD segments into a partition's guest-physical memory (p_paddr).
 * Sim thread. The file is hostile input: every offset, size and address is
 * checked before use, and every error names the file and the problem. */
#include <elf.h>
#include <string.h>

#include "sim-private.h"

#define ELF_ERR(...) g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, __VA_ARGS__)

/* [a, a+alen) and [b, b+blen) intersect (lengths > 0, no wrap: checked before). */
static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

bool sim_elf_load(SimMemory *mem, const guint8 *image, gsize len, const char *name,
                  uint64_t min_gpa, SimImageInfo *info, GError **error)
{
	Elf64_Ehdr eh;

	memset(info, 0, sizeof *info);
	if (len < EI_NIDENT || memcmp(image, ELFMAG, SELFMAG) != 0) {
		ELF_ERR("%s: not an ELF file (no \\x7fELF magic at offset 0)", name);
		return false;
	}
	if (len < sizeof eh) {
		ELF_ERR("%s: truncated ELF header (%" G_GSIZE_FORMAT " bytes, need %zu)", name, len, sizeof eh);
		return false;
	}
	memcpy(&eh, image, sizeof eh);
	if (eh.e_ident[EI_CLASS] != ELFCLASS64) {
		ELF_ERR("%s: wrong ELF class %u: hvsim guests are 64-bit (ELFCLASS64)", name, eh.e_ident[EI_CLASS]);
		return false;
	}
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		ELF_ERR("%s: not little-endian (EI_DATA %u)", name, eh.e_ident[EI_DATA]);
		return false;
	}
	if (eh.e_machine != EM_X86_64) {
		ELF_ERR("%s: wrong machine %u: hvsim runs x86-64 (EM_X86_64 = %u) guests", name, eh.e_machine, EM_X86_64);
		return false;
	}
	if (eh.e_type != ET_EXEC) {
		ELF_ERR("%s: ELF type %u is not an executable (ET_EXEC); link the guest statically at fixed addresses",
		        name, eh.e_type);
		return false;
	}
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 64) {
		ELF_ERR("%s: bad program header table (entry size %u, %u entries)", name, eh.e_phentsize, eh.e_phnum);
		return false;
	}
	if (eh.e_phoff > len || (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff) {
		ELF_ERR("%s: program header table at offset 0x%" G_GINT64_MODIFIER "x runs past the end of the file (%" G_GSIZE_FORMAT " bytes)",
		        name, (uint64_t)eh.e_phoff, len);
		return false;
	}

	Elf64_Phdr ph[64];
	memcpy(ph, image + eh.e_phoff, eh.e_phnum * sizeof(Elf64_Phdr));

	/* Pass 1: validate every PT_LOAD before touching guest memory. */
	uint64_t lowest = UINT64_MAX, highest = 0;
	guint n = 0;
	bool entry_ok = false;
	for (guint i = 0; i < eh.e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		if (p->p_filesz > p->p_memsz) {
			ELF_ERR("%s: segment %u: file size 0x%" G_GINT64_MODIFIER "x exceeds memory size 0x%" G_GINT64_MODIFIER "x",
			        name, i, (uint64_t)p->p_filesz, (uint64_t)p->p_memsz);
			return false;
		}
		if (p->p_offset > len || p->p_filesz > len - p->p_offset) {
			ELF_ERR("%s: segment %u: file bytes [0x%" G_GINT64_MODIFIER "x, +0x%" G_GINT64_MODIFIER "x) run past the end of the file",
			        name, i, (uint64_t)p->p_offset, (uint64_t)p->p_filesz);
			return false;
		}
		if (p->p_paddr < min_gpa || !sim_memory_range_ok(mem, p->p_paddr, p->p_memsz)) {
			ELF_ERR("%s: segment %u at GPA 0x%" G_GINT64_MODIFIER "x (0x%" G_GINT64_MODIFIER "x bytes) lies outside guest memory [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x)",
			        name, i, (uint64_t)p->p_paddr, (uint64_t)p->p_memsz, min_gpa, mem->size);
			return false;
		}
		for (guint j = 0; j < i; j++) {
			const Elf64_Phdr *q = &ph[j];
			if (q->p_type == PT_LOAD && q->p_memsz &&
			    ranges_overlap(p->p_paddr, p->p_memsz, q->p_paddr, q->p_memsz)) {
				ELF_ERR("%s: segment %u at GPA 0x%" G_GINT64_MODIFIER "x overlaps segment %u at GPA 0x%" G_GINT64_MODIFIER "x",
				        name, i, (uint64_t)p->p_paddr, j, (uint64_t)q->p_paddr);
				return false;
			}
		}
		/* The entry point is a virtual address; hvsim images are identity
		 * mapped at entry, so it must fall inside an executable segment. */
		if ((p->p_flags & PF_X) && eh.e_entry >= p->p_vaddr && eh.e_entry - p->p_vaddr < p->p_memsz)
			entry_ok = true;
		lowest = MIN(lowest, p->p_paddr);
		highest = MAX(highest, p->p_paddr + p->p_memsz);
		n++;
	}
	if (n == 0) {
		ELF_ERR("%s: no loadable (PT_LOAD) segment", name);
		return false;
	}
	if (!entry_ok) {
		ELF_ERR("%s: entry point 0x%" G_GINT64_MODIFIER "x is not inside an executable segment", name,
		        (uint64_t)eh.e_entry);
		return false;
	}

	/* Pass 2: copy file bytes and zero the rest (.bss). */
	for (guint i = 0; i < eh.e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		memcpy(mem->host + p->p_paddr, image + p->p_offset, p->p_filesz);
		memset(mem->host + p->p_paddr + p->p_filesz, 0, p->p_memsz - p->p_filesz);
	}
	info->entry = eh.e_entry;
	info->lowest = lowest;
	info->highest = highest;
	info->n_segments = n;
	return true;
}

/* Looks up a symbol's value in the image's .symtab (benchmarks use it to
 * call a guest function on a bare engine). Bounds-checked like the loader. */
bool sim_elf_symbol(const guint8 *image, gsize len, const char *name, uint64_t *value)
{
	Elf64_Ehdr eh;
	if (!name || !*name || len < sizeof eh || memcmp(image, ELFMAG, SELFMAG) != 0)
		return false;
	memcpy(&eh, image, sizeof eh);
	if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > len ||
	    (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr) > len - eh.e_shoff)
		return false;
	for (guint i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh, strsh;
		memcpy(&sh, image + eh.e_shoff + i * sizeof sh, sizeof sh);
		if (sh.sh_type != SHT_SYMTAB || sh.sh_link >= eh.e_shnum || sh.sh_entsize != sizeof(Elf64_Sym))
			continue;
		memcpy(&strsh, image + eh.e_shoff + sh.sh_link * sizeof strsh, sizeof strsh);
		if (sh.sh_offset > len || sh.sh_size > len - sh.sh_offset ||
		    strsh.sh_offset > len || strsh.sh_size > len - strsh.sh_offset)
			return false;
		for (uint64_t off = 0; off + sizeof(Elf64_Sym) <= sh.sh_size; off += sizeof(Elf64_Sym)) {
			Elf64_Sym sym;
			memcpy(&sym, image + sh.sh_offset + off, sizeof sym);
			if (sym.st_name >= strsh.sh_size)
				continue;
			const char *s = (const char *)image + strsh.sh_offset + sym.st_name;
			size_t maxlen = strsh.sh_size - sym.st_name;
			if (strnlen(s, maxlen) < maxlen && strcmp(s, name) == 0) {
				*value = sym.st_value;
				return true;
			}
		}
	}
	return false;
}
