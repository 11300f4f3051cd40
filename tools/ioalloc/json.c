/* SPDX-License-Identifier: MIT */
/*
 * A tiny streaming JSON writer (RFC 8259), pretty-printed with two-space indentation.
 *
 * Every value goes through begin_value(), which writes the comma and line break its
 * position needs: nothing after a key, else "," if the container already holds a value,
 * then a newline and indentation.  Strings are escaped and checked as UTF-8, so any
 * path name yields a valid document.
 */
#include "json.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>

void json_init(struct json *j, FILE *out)
{
	*j = (struct json){ .out = out };
}

void json_finish(struct json *j)
{
	assert(j->depth == 0);
	fputc('\n', j->out);
}

static void indent(struct json *j)
{
	fputc('\n', j->out);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->out);
}

static void begin_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth == 0)
		return;
	if (j->has_items[j->depth - 1])
		fputc(',', j->out);
	j->has_items[j->depth - 1] = true;
	indent(j);
}

static void open_container(struct json *j, char c)
{
	begin_value(j);
	assert(j->depth < JSON_MAX_DEPTH);
	fputc(c, j->out);
	j->has_items[j->depth++] = false;
}

static void close_container(struct json *j, char c)
{
	assert(j->depth > 0 && !j->after_key);
	if (j->has_items[--j->depth]) {
		indent(j);
	}
	fputc(c, j->out);
}

void json_obj_begin(struct json *j) { open_container(j, '{'); }
void json_obj_end(struct json *j) { close_container(j, '}'); }
void json_arr_begin(struct json *j) { open_container(j, '['); }
void json_arr_end(struct json *j) { close_container(j, ']'); }

/* Length of the valid UTF-8 sequence at S, or 0 if it is not one (RFC 3629). */
static int utf8_len(const unsigned char *s)
{
	int n = s[0] < 0x80 ? 1 : s[0] < 0xc2 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 :
		s[0] < 0xf5 ? 4 : 0;
	uint32_t cp;

	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (n < 3)
		return n;
	cp = n == 3 ? (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 :
		      (s[0] & 0x07u) << 18 | (s[1] & 0x3fu) << 12;
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0; /* overlong, surrogate or beyond Unicode */
	return n;
}

static void put_escaped(FILE *out, unsigned char c)
{
	static const char short_esc[] = "\"\"\\\\\bb\ff\nn\rr\tt";

	for (const char *p = short_esc; *p; p += 2)
		if ((unsigned char)p[0] == c) {
			fputc('\\', out);
			fputc(p[1], out);
			return;
		}
	if (c < 0x20)
		fprintf(out, "\\u%04x", c);
	else
		fputc(c, out);
}

static void put_string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', out);
	while (*s) {
		int n = utf8_len(s);

		if (n == 0) {
			fputs("\\ufffd", out);
			s++;
		} else if (n == 1) {
			put_escaped(out, *s++);
		} else {
			fwrite(s, 1, (size_t)n, out);
			s += n;
		}
	}
	fputc('"', out);
}

void json_key(struct json *j, const char *key)
{
	assert(!j->after_key);
	begin_value(j);
	put_string(j->out, key);
	fputs(": ", j->out);
	j->after_key = true;
}

void json_str(struct json *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	begin_value(j);
	put_string(j->out, s);
}

void json_int(struct json *j, long long v)
{
	begin_value(j);
	fprintf(j->out, "%lld", v);
}

void json_uint(struct json *j, uint64_t v)
{
	begin_value(j);
	fprintf(j->out, "%" PRIu64, v);
}

void json_double(struct json *j, double v, int prec)
{
	begin_value(j);
	if (isfinite(v))
		fprintf(j->out, "%.*f", prec, v);
	else
		fputs("null", j->out); /* JSON has no NaN or infinity */
}

void json_bool(struct json *j, bool v)
{
	begin_value(j);
	fputs(v ? "true" : "false", j->out);
}

void json_null(struct json *j)
{
	begin_value(j);
	fputs("null", j->out);
}

void json_kstr(struct json *j, const char *key, const char *s) { json_key(j, key); json_str(j, s); }
void json_kint(struct json *j, const char *key, long long v) { json_key(j, key); json_int(j, v); }
void json_kuint(struct json *j, const char *key, uint64_t v) { json_key(j, key); json_uint(j, v); }
void json_kdouble(struct json *j, const char *key, double v, int prec) { json_key(j, key); json_double(j, v, prec); }
void json_kbool(struct json *j, const char *key, bool v) { json_key(j, key); json_bool(j, v); }
void json_knull(struct json *j, const char *key) { json_key(j, key); json_null(j); }
void json_kobj_begin(struct json *j, const char *key) { json_key(j, key); json_obj_begin(j); }
void json_karr_begin(struct json *j, const char *key) { json_key(j, key); json_arr_begin(j); }
