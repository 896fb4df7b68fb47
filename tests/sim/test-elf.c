/* test-elf.c — tests for the guest image loader (sim-elf.c): every way a
 * hostile or broken ELF file is rejected, with a message naming the file and
 * the problem, and what a good image leaves in guest memory. Host test
 * program (GLib test framework); no CPU backend is involved. */
#include <glib.h>
#include <string.h>

#include "elf-builder.h"
#include "hvsim-platform.h"
#include "sim-private.h"
#include "sim-scenario.h"

#define IMAGE_NAME "guest.elf"
#define MEM_SIZE   SIM_MIN_MEMORY_SIZE   /* 1 MiB of guest RAM */
#define FILL       0xAA                  /* what RAM holds before a load */

/* The good image the table below corrupts: code at 0x20000 (R-X) and data
 * at 0x30000 (RW-) with 8 file bytes and 0xF8 bytes of .bss. */
#define CODE_GPA 0x20000ull
#define DATA_GPA 0x30000ull
#define DATA_MEMSZ 0x100ull

static const guint8 good_code[16] = {
	0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, /* nop x 8 */
	0xEB, 0xFE,                                     /* jmp $ */
	0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC,             /* int3 padding */
};
static const guint8 good_data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static GByteArray *good_image(void)
{
	const ElfSeg segs[] = {
		{ PT_LOAD, PF_R | PF_X, CODE_GPA, good_code, sizeof good_code, 0 },
		{ PT_LOAD, PF_R | PF_W, DATA_GPA, good_data, sizeof good_data, DATA_MEMSZ },
	};
	return elf_build(CODE_GPA, segs, G_N_ELEMENTS(segs));
}

static void mem_setup(SimMemory *mem)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(sim_memory_init(mem, MEM_SIZE, &error));
	g_assert_no_error(error);
	memset(mem->host, FILL, mem->size);
}

/* True if no byte of guest RAM changed since mem_setup(). */
static gboolean mem_untouched(const SimMemory *mem)
{
	for (uint64_t i = 0; i < mem->size; i++)
		if (mem->host[i] != FILL)
			return FALSE;
	return TRUE;
}

/* ==== rejections (table) ================================================== */

typedef struct BadRow {
	const char *path;           /* test path under /sim/elf/reject/ */
	void (*mutate)(GByteArray *img);
	const char *expect[3];      /* substrings of the message (besides the file name) */
} BadRow;

static void m_bad_magic(GByteArray *img) { img->data[1] = 'X'; }
static void m_tiny(GByteArray *img) { g_byte_array_set_size(img, 3); }
static void m_truncated_header(GByteArray *img) { g_byte_array_set_size(img, 40); }
static void m_class32(GByteArray *img) { elf_ehdr(img)->e_ident[EI_CLASS] = ELFCLASS32; }
static void m_big_endian(GByteArray *img) { elf_ehdr(img)->e_ident[EI_DATA] = ELFDATA2MSB; }
static void m_em_386(GByteArray *img) { elf_ehdr(img)->e_machine = EM_386; }
static void m_em_aarch64(GByteArray *img) { elf_ehdr(img)->e_machine = EM_AARCH64; }
static void m_et_dyn(GByteArray *img) { elf_ehdr(img)->e_type = ET_DYN; }
static void m_et_rel(GByteArray *img) { elf_ehdr(img)->e_type = ET_REL; }
static void m_no_phdrs(GByteArray *img) { elf_ehdr(img)->e_phnum = 0; }
static void m_phentsize(GByteArray *img) { elf_ehdr(img)->e_phentsize = sizeof(Elf64_Phdr) - 8; }
static void m_too_many_phdrs(GByteArray *img) { elf_ehdr(img)->e_phnum = 65; }
static void m_phoff_past_eof(GByteArray *img) { elf_ehdr(img)->e_phoff = img->len - sizeof(Elf64_Phdr); }
static void m_phoff_huge(GByteArray *img) { elf_ehdr(img)->e_phoff = UINT64_MAX - 8; }
static void m_seg_offset_past_eof(GByteArray *img) { elf_phdr(img, 1)->p_offset = img->len + 0x1000; }
static void m_seg_filesz_past_eof(GByteArray *img)
{
	/* offset + filesz would wrap around 2^64 if added naively */
	elf_phdr(img, 1)->p_filesz = UINT64_MAX - 4;
	elf_phdr(img, 1)->p_memsz = UINT64_MAX;
}
static void m_filesz_gt_memsz(GByteArray *img) { elf_phdr(img, 1)->p_memsz = 4; }
static void m_below_min_gpa(GByteArray *img) { elf_phdr(img, 1)->p_paddr = HVSIM_BOOT_PML4_GPA; }
static void m_beyond_memory(GByteArray *img) { elf_phdr(img, 1)->p_paddr = MEM_SIZE - 0x80; }
static void m_past_all_memory(GByteArray *img) { elf_phdr(img, 1)->p_paddr = 0x40000000ull; }
static void m_wraps(GByteArray *img)
{
	/* paddr + memsz = 2^64 + 0xF00: a wrapped sum would look tiny */
	elf_phdr(img, 1)->p_paddr = 0xFFFFFFFFFFFFF000ull;
	elf_phdr(img, 1)->p_memsz = 0x1F00;
}
static void m_overlap(GByteArray *img)
{
	elf_phdr(img, 1)->p_paddr = CODE_GPA + 8; /* inside segment 0's 16 bytes */
	elf_phdr(img, 1)->p_vaddr = CODE_GPA + 8;
}
static void m_no_load(GByteArray *img)
{
	elf_phdr(img, 0)->p_type = PT_NOTE;
	elf_phdr(img, 1)->p_type = PT_GNU_STACK;
}
static void m_only_empty_loads(GByteArray *img)
{
	elf_phdr(img, 0)->p_filesz = elf_phdr(img, 0)->p_memsz = 0;
	elf_phdr(img, 1)->p_filesz = elf_phdr(img, 1)->p_memsz = 0;
}
static void m_entry_in_data(GByteArray *img) { elf_ehdr(img)->e_entry = DATA_GPA; }
static void m_entry_nowhere(GByteArray *img) { elf_ehdr(img)->e_entry = 0x50000; }
static void m_entry_one_past(GByteArray *img) { elf_ehdr(img)->e_entry = CODE_GPA + sizeof good_code; }

static const BadRow bad_rows[] = {
	{ "bad-magic",           m_bad_magic,           { "not an ELF file" } },
	{ "tiny",                m_tiny,                { "not an ELF file" } },
	{ "truncated-header",    m_truncated_header,    { "truncated ELF header", "40 bytes" } },
	{ "elfclass32",          m_class32,             { "class 1", "64-bit" } },
	{ "big-endian",          m_big_endian,          { "little-endian" } },
	{ "em-386",              m_em_386,              { "wrong machine 3:", "x86-64" } },
	{ "em-aarch64",          m_em_aarch64,          { "wrong machine 183:", "x86-64" } },
	{ "et-dyn",              m_et_dyn,              { "type 3", "not an executable" } },
	{ "et-rel",              m_et_rel,              { "type 1", "not an executable" } },
	{ "no-phdrs",            m_no_phdrs,            { "program header table", "0 entries" } },
	{ "phentsize",           m_phentsize,           { "program header table", "entry size 48" } },
	{ "too-many-phdrs",      m_too_many_phdrs,      { "program header table", "65 entries" } },
	{ "phdrs-past-eof",      m_phoff_past_eof,      { "program header table", "past the end of the file" } },
	{ "phoff-huge",          m_phoff_huge,          { "program header table", "past the end of the file" } },
	{ "segment-past-eof",    m_seg_offset_past_eof, { "segment 1", "past the end of the file" } },
	{ "segment-filesz-wrap", m_seg_filesz_past_eof, { "segment 1", "past the end of the file" } },
	{ "filesz-gt-memsz",     m_filesz_gt_memsz,     { "segment 1", "file size 0x8 exceeds memory size 0x4" } },
	{ "below-image-min",     m_below_min_gpa,       { "segment 1", "GPA 0x3000", "outside guest memory" } },
	{ "beyond-memory",       m_beyond_memory,       { "segment 1", "GPA 0xfff80", "outside guest memory" } },
	{ "past-all-memory",     m_past_all_memory,     { "segment 1", "GPA 0x40000000", "outside guest memory" } },
	{ "address-wraps",       m_wraps,               { "segment 1", "GPA 0xfffffffffffff000", "outside guest memory" } },
	{ "overlap",             m_overlap,             { "segment 1", "overlaps segment 0" } },
	{ "no-pt-load",          m_no_load,             { "no loadable (PT_LOAD) segment" } },
	{ "only-empty-loads",    m_only_empty_loads,    { "no loadable (PT_LOAD) segment" } },
	{ "entry-in-data",       m_entry_in_data,       { "entry point 0x30000", "not inside an executable segment" } },
	{ "entry-nowhere",       m_entry_nowhere,       { "entry point 0x50000", "not inside an executable segment" } },
	{ "entry-one-past-end",  m_entry_one_past,      { "entry point 0x20010", "not inside an executable segment" } },
};

static void test_reject(gconstpointer data)
{
	const BadRow *row = data;
	g_autoptr(GByteArray) img = good_image();
	g_autoptr(GError) error = NULL;
	SimMemory mem;
	SimImageInfo info;

	row->mutate(img);
	mem_setup(&mem);
	memset(&info, 0x5A, sizeof info);
	g_assert_false(sim_elf_load(&mem, img->data, img->len, IMAGE_NAME, HVSIM_IMAGE_MIN_GPA, &info, &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	g_test_message("%s", error->message);
	/* Every message starts with the file's name. */
	g_assert_true(g_str_has_prefix(error->message, IMAGE_NAME ": "));
	for (guint i = 0; i < G_N_ELEMENTS(row->expect) && row->expect[i]; i++) {
		if (!strstr(error->message, row->expect[i]))
			g_test_message("message lacks \"%s\"", row->expect[i]);
		g_assert_nonnull(strstr(error->message, row->expect[i]));
	}
	/* Every PT_LOAD is validated before any guest memory is written. */
	g_assert_true(mem_untouched(&mem));
	g_assert_cmpuint(info.n_segments, ==, 0);
	g_assert_cmpuint(info.entry, ==, 0);
	sim_memory_fini(&mem);
}

/* ==== good images ========================================================= */

static void test_good(void)
{
	g_autoptr(GByteArray) img = good_image();
	g_autoptr(GError) error = NULL;
	SimMemory mem;
	SimImageInfo info;
	guint8 buf[DATA_MEMSZ];

	mem_setup(&mem);
	g_assert_true(sim_elf_load(&mem, img->data, img->len, IMAGE_NAME, HVSIM_IMAGE_MIN_GPA, &info, &error));
	g_assert_no_error(error);

	g_assert_cmphex(info.entry, ==, CODE_GPA);
	g_assert_cmphex(info.lowest, ==, CODE_GPA);
	g_assert_cmphex(info.highest, ==, DATA_GPA + DATA_MEMSZ);
	g_assert_cmpuint(info.n_segments, ==, 2);

	g_assert_true(sim_memory_read(&mem, CODE_GPA, buf, sizeof good_code));
	g_assert_cmpmem(buf, sizeof good_code, good_code, sizeof good_code);
	/* File bytes, then .bss zeroed up to memsz — and not one byte further. */
	g_assert_true(sim_memory_read(&mem, DATA_GPA, buf, DATA_MEMSZ));
	g_assert_cmpmem(buf, sizeof good_data, good_data, sizeof good_data);
	for (guint i = sizeof good_data; i < DATA_MEMSZ; i++)
		g_assert_cmpuint(buf[i], ==, 0);
	g_assert_cmpuint(mem.host[DATA_GPA + DATA_MEMSZ], ==, FILL);
	g_assert_cmpuint(mem.host[DATA_GPA - 1], ==, FILL);
	g_assert_cmpuint(mem.host[CODE_GPA - 1], ==, FILL);
	g_assert_cmpuint(mem.host[CODE_GPA + sizeof good_code], ==, FILL);
	/* The loader never writes the boot area. */
	for (uint64_t a = 0; a < HVSIM_IMAGE_MIN_GPA; a++)
		g_assert_cmpuint(mem.host[a], ==, FILL);
	sim_memory_fini(&mem);
}

/* Segments other than PT_LOAD, and PT_LOAD with memsz 0, are skipped even
 * when their addresses would be invalid; a segment may end exactly at the
 * end of RAM and start exactly at the image minimum. */
static void test_edges(void)
{
	static const guint8 note[8] = { 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE };
	const ElfSeg segs[] = {
		{ PT_LOAD, PF_R | PF_X, HVSIM_IMAGE_MIN_GPA, good_code, sizeof good_code, 0 },
		{ PT_NOTE, PF_R, 0x0, note, sizeof note, 0 },                        /* would be in the boot area */
		{ PT_LOAD, PF_R, 0xFFFFFFFF00000000ull, NULL, 0, 0 },                /* empty: ignored */
		{ PT_LOAD, PF_R | PF_W, MEM_SIZE - 0x1000, NULL, 0, 0x1000 },        /* pure .bss at the top */
	};
	g_autoptr(GByteArray) img = elf_build(HVSIM_IMAGE_MIN_GPA + 8, segs, G_N_ELEMENTS(segs));
	g_autoptr(GError) error = NULL;
	SimMemory mem;
	SimImageInfo info;

	mem_setup(&mem);
	g_assert_true(sim_elf_load(&mem, img->data, img->len, IMAGE_NAME, HVSIM_IMAGE_MIN_GPA, &info, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(info.n_segments, ==, 2);
	g_assert_cmphex(info.entry, ==, HVSIM_IMAGE_MIN_GPA + 8);
	g_assert_cmphex(info.lowest, ==, HVSIM_IMAGE_MIN_GPA);
	g_assert_cmphex(info.highest, ==, MEM_SIZE);
	g_assert_cmpuint(mem.host[0], ==, FILL);                 /* PT_NOTE not loaded */
	g_assert_cmpuint(mem.host[MEM_SIZE - 1], ==, 0);         /* .bss zeroed to the last byte */
	g_assert_cmpuint(mem.host[MEM_SIZE - 0x1001], ==, FILL);
	sim_memory_fini(&mem);
}

/* The built-in guest loads, and its entry is its _start. */
static GBytes *hello_image(void)
{
	g_autoptr(GError) error = NULL;
	GBytes *b = sim_guest_image("hello.elf", &error);
	g_assert_no_error(error);
	g_assert_nonnull(b);
	return b;
}

static void test_hello_loads(void)
{
	g_autoptr(GBytes) b = hello_image();
	g_autoptr(GError) error = NULL;
	gsize len;
	const guint8 *data = g_bytes_get_data(b, &len);
	SimMemory mem;
	SimImageInfo info;
	uint64_t start = 0;

	g_assert_true(sim_memory_init(&mem, SIM_DEFAULT_MEMORY_SIZE, &error));
	g_assert_true(sim_elf_load(&mem, data, len, "hello.elf", HVSIM_IMAGE_MIN_GPA, &info, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(info.n_segments, >=, 2);
	g_assert_cmphex(info.lowest, >=, HVSIM_IMAGE_MIN_GPA);
	g_assert_cmphex(info.highest, <=, SIM_DEFAULT_MEMORY_SIZE);
	g_assert_true(sim_elf_symbol(data, len, "_start", &start));
	g_assert_cmphex(start, ==, info.entry);
	sim_memory_fini(&mem);
}

/* ==== symbols ============================================================= */

static void test_symbol(void)
{
	g_autoptr(GBytes) b = hello_image();
	gsize len;
	const guint8 *data = g_bytes_get_data(b, &len);
	uint64_t value = 0, start = 0;

	g_assert_true(sim_elf_symbol(data, len, "user_compute", &value));
	g_assert_true(sim_elf_symbol(data, len, "_start", &start));
	/* user_compute is ring 3 code, linked in the user region far from _start. */
	g_assert_cmphex(value, !=, 0);
	g_assert_cmphex(value, !=, start);

	value = 0x1234;
	g_assert_false(sim_elf_symbol(data, len, "no_such_symbol_anywhere", &value));
	g_assert_false(sim_elf_symbol(data, len, "user_comput", &value)); /* prefix only */
	g_assert_cmphex(value, ==, 0x1234);                               /* untouched on failure */
}

static void test_symbol_garbage(void)
{
	g_autoptr(GBytes) b = hello_image();
	gsize len;
	const guint8 *data = g_bytes_get_data(b, &len);
	uint64_t value = 0;
	guint8 noise[4096];
	GRand *rand = g_rand_new_with_seed(42);

	for (guint i = 0; i < sizeof noise; i++)
		noise[i] = (guint8)g_rand_int(rand);
	g_rand_free(rand);
	g_assert_false(sim_elf_symbol(noise, sizeof noise, "user_compute", &value));
	g_assert_false(sim_elf_symbol(noise, 0, "user_compute", &value));
	g_assert_false(sim_elf_symbol(data, 10, "user_compute", &value));

	/* Valid magic followed by noise. */
	memcpy(noise, ELFMAG, SELFMAG);
	g_assert_false(sim_elf_symbol(noise, sizeof noise, "user_compute", &value));

	/* The real image cut short: the section table is at the end. */
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)data;
	g_assert_cmpuint(eh->e_shoff, <, len);
	g_assert_false(sim_elf_symbol(data, eh->e_shoff + 64, "user_compute", &value));

	/* Section header fields pointing outside the file. */
	g_autoptr(GByteArray) copy = g_byte_array_new();
	g_byte_array_append(copy, data, (guint)len);
	elf_ehdr(copy)->e_shoff = UINT64_MAX - 32;
	g_assert_false(sim_elf_symbol(copy->data, copy->len, "user_compute", &value));
	elf_ehdr(copy)->e_shoff = eh->e_shoff;
	elf_ehdr(copy)->e_shnum = 0xFFFF;
	g_assert_false(sim_elf_symbol(copy->data, copy->len, "user_compute", &value));
	elf_ehdr(copy)->e_shnum = eh->e_shnum;
	/* Corrupt every SHT_SYMTAB's offset: the lookup must fail, not read. */
	for (guint i = 0; i < eh->e_shnum; i++) {
		Elf64_Shdr *sh = (Elf64_Shdr *)(copy->data + eh->e_shoff + i * sizeof(Elf64_Shdr));
		if (sh->sh_type == SHT_SYMTAB)
			sh->sh_offset = UINT64_MAX - 16;
	}
	g_assert_false(sim_elf_symbol(copy->data, copy->len, "user_compute", &value));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(bad_rows); i++) {
		g_autofree char *path = g_strdup_printf("/sim/elf/reject/%s", bad_rows[i].path);
		g_test_add_data_func(path, &bad_rows[i], test_reject);
	}
	g_test_add_func("/sim/elf/good", test_good);
	g_test_add_func("/sim/elf/edges", test_edges);
	g_test_add_func("/sim/elf/hello-loads", test_hello_loads);
	g_test_add_func("/sim/elf/symbol", test_symbol);
	g_test_add_func("/sim/elf/symbol-garbage", test_symbol_garbage);
	return g_test_run();
}
