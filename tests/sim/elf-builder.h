/* elf-builder.h — builds small ELF64 x86-64 executables in memory for the
 * sim tests: the loader tests corrupt them field by field, the bad-guest
 * tests fill them with hand-assembled code. Host test code (GLib).
 *
 * Layout of a built image: the ELF header at offset 0, the program header
 * table right after it (offset 64), then each segment's file bytes at a
 * 16-byte aligned offset, in the order given. */
#ifndef HVSIM_TESTS_ELF_BUILDER_H
#define HVSIM_TESTS_ELF_BUILDER_H

#include <elf.h>
#include <glib.h>
#include <string.h>

typedef struct ElfSeg {
	uint32_t type;        /* PT_LOAD unless a test says otherwise */
	uint32_t flags;       /* PF_R | PF_W | PF_X */
	uint64_t addr;        /* p_paddr and p_vaddr (identity-mapped guests) */
	const void *data;     /* file bytes (may be NULL when filesz is 0) */
	uint64_t filesz;
	uint64_t memsz;       /* 0 means "same as filesz" */
} ElfSeg;

#define ELF_PHDR_OFFSET ((uint64_t)sizeof(Elf64_Ehdr))

/* A valid ET_EXEC image with one program header per segment. */
static inline GByteArray *elf_build(uint64_t entry, const ElfSeg *segs, guint n)
{
	GByteArray *img = g_byte_array_new();
	Elf64_Ehdr eh;
	memset(&eh, 0, sizeof eh);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = entry;
	eh.e_phoff = ELF_PHDR_OFFSET;
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (Elf64_Half)n;
	g_byte_array_append(img, (const guint8 *)&eh, sizeof eh);

	uint64_t off = ELF_PHDR_OFFSET + (uint64_t)n * sizeof(Elf64_Phdr);
	for (guint i = 0; i < n; i++) {
		Elf64_Phdr ph;
		off = (off + 15) & ~15ull;
		memset(&ph, 0, sizeof ph);
		ph.p_type = segs[i].type;
		ph.p_flags = segs[i].flags;
		ph.p_offset = off;
		ph.p_vaddr = segs[i].addr;
		ph.p_paddr = segs[i].addr;
		ph.p_filesz = segs[i].filesz;
		ph.p_memsz = segs[i].memsz ? segs[i].memsz : segs[i].filesz;
		ph.p_align = 16;
		g_byte_array_append(img, (const guint8 *)&ph, sizeof ph);
		off += segs[i].filesz;
	}
	for (guint i = 0; i < n; i++) {
		static const guint8 zeros[16];
		g_byte_array_append(img, zeros, (guint)(((img->len + 15u) & ~15u) - img->len));
		if (segs[i].filesz)
			g_byte_array_append(img, segs[i].data, (guint)segs[i].filesz);
	}
	return img;
}

/* One read-execute-write PT_LOAD segment holding `code`, entered at its
 * first byte: the shape of every hand-assembled test guest. */
static inline GByteArray *elf_build_code(uint64_t addr, const void *code, gsize len)
{
	ElfSeg s = { .type = PT_LOAD, .flags = PF_R | PF_W | PF_X, .addr = addr, .data = code, .filesz = len };
	return elf_build(addr, &s, 1);
}

/* Typed access to the headers of a built image, for corrupting them. */
static inline Elf64_Ehdr *elf_ehdr(GByteArray *img)
{
	return (Elf64_Ehdr *)img->data;
}

static inline Elf64_Phdr *elf_phdr(GByteArray *img, guint i)
{
	return (Elf64_Phdr *)(img->data + ELF_PHDR_OFFSET + i * sizeof(Elf64_Phdr));
}

#endif /* HVSIM_TESTS_ELF_BUILDER_H */
