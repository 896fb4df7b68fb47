/* sim-symtab.c — address -> "symbol+offset" for a guest image: the
 * function and label symbols of its ELF .symtab, copied once when the
 * machine loads the image, sorted by address. Built on the sim thread;
 * immutable afterwards and refcounted, so snapshots share it and the GUI
 * thread looks addresses up without touching the machine. The image is
 * hostile input: every section offset, size and string index is checked. */
#include <elf.h>
#include <string.h>

#include "sim-snapshot.h"

#define SYMTAB_MAX 65536u   /* symbols kept per image: far above ours, a bound for a hostile one */

typedef struct SymEntry {
	uint64_t addr;
	uint64_t size;               /* 0 for assembly labels */
	const char *name;            /* into names */
} SymEntry;

struct SimSymtab {
	SymEntry *e;
	guint n;
	char *names;                 /* one block: every kept name, NUL-terminated */
};

static int entry_cmp(const void *a, const void *b)
{
	const SymEntry *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* At one address, the sized symbol (a C function) before labels. */
	return (x->size < y->size) - (x->size > y->size);
}

/* Symbols worth naming code with: functions; untyped global or local
 * labels from assembly in a section of code (not markers like a linker
 * script's __bss_end: the hypercall page 4 KiB past the end of the BSS is
 * not "__bss_end+0xff0"); and sized data objects, for code run inside one
 * (the hypercall page the hypervisor fills, hv_hypercall_page). Not
 * sections, files or undefined symbols. */
static bool symbol_wanted(const Elf64_Sym *s, const guint8 *image, const Elf64_Ehdr *eh)
{
	unsigned type = ELF64_ST_TYPE(s->st_info);
	if (s->st_shndx == SHN_UNDEF || s->st_shndx >= SHN_LORESERVE || s->st_value == 0)
		return false;
	if (type == STT_FUNC || (type == STT_OBJECT && s->st_size > 0))
		return true;
	if (type != STT_NOTYPE || s->st_shndx >= eh->e_shnum)
		return false;
	Elf64_Shdr sec;   /* in bounds: the caller checked the whole section table */
	memcpy(&sec, image + eh->e_shoff + (gsize)s->st_shndx * sizeof sec, sizeof sec);
	return (sec.sh_flags & SHF_EXECINSTR) != 0;
}

static void symtab_free(gpointer data)
{
	SimSymtab *t = data;
	g_free(t->e);
	g_free(t->names);
}

SimSymtab *sim_symtab_new_from_elf(const guint8 *image, gsize len)
{
	Elf64_Ehdr eh;
	if (!image || len < sizeof eh || memcmp(image, ELFMAG, SELFMAG) != 0)
		return NULL;
	memcpy(&eh, image, sizeof eh);
	if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > len ||
	    (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr) > len - eh.e_shoff)
		return NULL;
	GArray *entries = g_array_new(FALSE, FALSE, sizeof(SymEntry));
	GString *names = g_string_new(NULL);
	GArray *name_at = g_array_new(FALSE, FALSE, sizeof(gsize)); /* offsets into names, per entry */
	for (guint i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh, strsh;
		memcpy(&sh, image + eh.e_shoff + i * sizeof sh, sizeof sh);
		if (sh.sh_type != SHT_SYMTAB || sh.sh_link >= eh.e_shnum || sh.sh_entsize != sizeof(Elf64_Sym))
			continue;
		memcpy(&strsh, image + eh.e_shoff + sh.sh_link * sizeof strsh, sizeof strsh);
		if (sh.sh_offset > len || sh.sh_size > len - sh.sh_offset || strsh.sh_offset > len ||
		    strsh.sh_size > len - strsh.sh_offset)
			continue;
		for (uint64_t off = 0; off + sizeof(Elf64_Sym) <= sh.sh_size && entries->len < SYMTAB_MAX;
		     off += sizeof(Elf64_Sym)) {
			Elf64_Sym sym;
			memcpy(&sym, image + sh.sh_offset + off, sizeof sym);
			if (!symbol_wanted(&sym, image, &eh) || sym.st_name == 0 || sym.st_name >= strsh.sh_size)
				continue;
			const char *s = (const char *)image + strsh.sh_offset + sym.st_name;
			size_t maxlen = strsh.sh_size - sym.st_name;
			size_t n = strnlen(s, maxlen);
			if (n == 0 || n == maxlen || s[0] == '.')
				continue;   /* unterminated, or a local assembler label (.L...) */
			SymEntry e = { .addr = sym.st_value, .size = sym.st_size };
			gsize at = names->len;
			g_string_append_len(names, s, (gssize)n);
			g_string_append_c(names, '\0');
			g_array_append_val(entries, e);
			g_array_append_val(name_at, at);
		}
	}
	if (entries->len == 0) {
		g_array_free(entries, TRUE);
		g_array_free(name_at, TRUE);
		g_string_free(names, TRUE);
		return NULL;
	}
	SimSymtab *t = g_atomic_rc_box_new0(SimSymtab);
	t->n = entries->len;
	t->names = g_string_free(names, FALSE);
	t->e = (SymEntry *)(void *)g_array_free(entries, FALSE);
	for (guint i = 0; i < t->n; i++)
		t->e[i].name = t->names + g_array_index(name_at, gsize, i);
	g_array_free(name_at, TRUE);
	qsort(t->e, t->n, sizeof *t->e, entry_cmp);
	return t;
}

SimSymtab *sim_symtab_ref(SimSymtab *t)
{
	return t ? g_atomic_rc_box_acquire(t) : NULL;
}

void sim_symtab_unref(SimSymtab *t)
{
	if (t)
		g_atomic_rc_box_release_full(t, symtab_free);
}

guint sim_symtab_count(const SimSymtab *t)
{
	return t ? t->n : 0;
}

const char *sim_symtab_lookup(const SimSymtab *t, uint64_t addr, uint64_t *offset)
{
	if (!t || !t->n || addr < t->e[0].addr)
		return NULL;
	/* The last entry at or below addr. */
	guint lo = 0, hi = t->n;
	while (hi - lo > 1) {
		guint mid = lo + (hi - lo) / 2;
		if (t->e[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	/* Among the entries at that address, the first (sized before labels). */
	while (lo > 0 && t->e[lo - 1].addr == t->e[lo].addr)
		lo--;
	const SymEntry *e = &t->e[lo];
	uint64_t off = addr - e->addr;
	if (e->size ? off >= e->size : off >= SIM_SYMTAB_LABEL_REACH)
		return NULL;
	if (offset)
		*offset = off;
	return e->name;
}

bool sim_symtab_address(const SimSymtab *t, const char *name, uint64_t *addr)
{
	return sim_symtab_addresses(t, name, addr, 1) > 0;
}

guint sim_symtab_addresses(const SimSymtab *t, const char *name, uint64_t *addrs, guint max)
{
	g_return_val_if_fail(addrs != NULL || max == 0, 0);
	if (!t || !name)
		return 0;
	guint n = 0;
	uint64_t last = 0;
	for (guint i = 0; i < t->n; i++)   /* sorted by address */
		if (strcmp(t->e[i].name, name) == 0 && (n == 0 || t->e[i].addr != last)) {
			if (n < max)
				addrs[n] = t->e[i].addr;
			last = t->e[i].addr;
			n++;
		}
	return n;
}

uint64_t sim_symtab_size_at(const SimSymtab *t, uint64_t addr)
{
	if (!t || !t->n)
		return 0;
	/* The first entry at addr: at one address the largest comes first. */
	guint lo = 0, hi = t->n;
	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;
		if (t->e[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->n && t->e[lo].addr == addr ? t->e[lo].size : 0;
}

bool sim_symtab_describe(const SimSymtab *t, uint64_t addr, char *buf, gsize len)
{
	g_return_val_if_fail(buf != NULL && len > 0, false);
	uint64_t off = 0;
	const char *name = sim_symtab_lookup(t, addr, &off);
	if (!name) {
		buf[0] = '\0';
		return false;
	}
	if (off)
		g_snprintf(buf, len, "%s+0x%" G_GINT64_MODIFIER "x", name, off);
	else
		g_strlcpy(buf, name, len);
	return true;
}
