/* uelf.h — the few ELF-64 definitions (System V gABI, x86-64 psABI) the
 * worker process needs to load a child's OS image.
 * Guest ring 3, freestanding: no <elf.h>, which belongs to a hosted C
 * library. */
#ifndef GUEST_USER_UELF_H
#define GUEST_USER_UELF_H

#include <stdint.h>

#define ELF_MAG0 0x7Fu
#define ELF_MAG1 'E'
#define ELF_MAG2 'L'
#define ELF_MAG3 'F'
#define ELF_EI_CLASS 4u      /* e_ident index: ELFCLASS* */
#define ELF_EI_DATA  5u      /* e_ident index: ELFDATA* */
#define ELF_CLASS64  2u
#define ELF_DATA2LSB 1u      /* little-endian */
#define ELF_ET_EXEC  2u      /* e_type: executable at fixed addresses */
#define ELF_EM_X86_64 62u    /* e_machine */
#define ELF_PT_LOAD  1u      /* p_type: a segment to load */
#define ELF_NIDENT   16u

struct elf64_ehdr {
	uint8_t  e_ident[ELF_NIDENT];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};
_Static_assert(sizeof(struct elf64_ehdr) == 64, "the ELF-64 header is 64 bytes");

struct elf64_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
};
_Static_assert(sizeof(struct elf64_phdr) == 56, "an ELF-64 program header is 56 bytes");

#endif /* GUEST_USER_UELF_H */
