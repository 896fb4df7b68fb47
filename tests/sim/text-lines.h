/* text-lines.h — splits a text (a JSON-lines trace) into its lines for the
 * sim tests. Host test code. Written with memchr rather than g_strsplit:
 * under AddressSanitizer every strstr call checks its whole haystack, which
 * makes g_strsplit quadratic on a trace of a few megabytes. */
#ifndef HVSIM_TESTS_TEXT_LINES_H
#define HVSIM_TESTS_TEXT_LINES_H

#include <glib.h>
#include <string.h>

/* The lines of text[0, len), without their '\n'; a final line without a
 * newline is kept. Free with g_strfreev. */
static inline GStrv text_lines(const char *text, gsize len)
{
	GPtrArray *lines = g_ptr_array_new();
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		g_ptr_array_add(lines, g_strndup(p, (gsize)(stop - p)));
		p = nl ? nl + 1 : end;
	}
	g_ptr_array_add(lines, NULL);
	return (GStrv)g_ptr_array_free(lines, FALSE);
}

#endif /* HVSIM_TESTS_TEXT_LINES_H */
