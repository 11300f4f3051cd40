/* SPDX-License-Identifier: MIT */
/* A tiny streaming JSON writer: objects, arrays, strings, integers, booleans, null.
 * It tracks commas and indentation; the caller supplies keys inside objects. */
#ifndef IOALLOC_TOOL_JSON_H
#define IOALLOC_TOOL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Deeper nesting is a programming error (asserted); info needs 4. */
#define JSON_MAX_DEPTH 16

struct json {
	FILE *out;
	int depth;                        /* open containers */
	bool has_items[JSON_MAX_DEPTH];   /* per container: a value was written, so a comma */
	bool after_key;                   /* the next value follows "key": on the same line */
};

void json_init(struct json *j, FILE *out);
/* Ends the document with a newline; all containers must be closed. */
void json_finish(struct json *j);

void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);

/* The key of the next value in the current object. */
void json_key(struct json *j, const char *key);

/* Values; json_str(NULL) writes null.  Invalid UTF-8 becomes U+FFFD. */
void json_str(struct json *j, const char *s);
void json_int(struct json *j, long long v);
void json_uint(struct json *j, uint64_t v);
void json_double(struct json *j, double v, int prec); /* prec digits after the point */
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* "key": value in one call. */
void json_kstr(struct json *j, const char *key, const char *s);
void json_kint(struct json *j, const char *key, long long v);
void json_kuint(struct json *j, const char *key, uint64_t v);
void json_kdouble(struct json *j, const char *key, double v, int prec);
void json_kbool(struct json *j, const char *key, bool v);
void json_knull(struct json *j, const char *key);
void json_kobj_begin(struct json *j, const char *key);
void json_karr_begin(struct json *j, const char *key);

#endif
