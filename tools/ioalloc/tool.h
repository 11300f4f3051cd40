/* SPDX-License-Identifier: MIT */
/* Shared by the ioalloc tool's files: exit codes, subcommands, small helpers. */
#ifndef IOALLOC_TOOL_H
#define IOALLOC_TOOL_H

#include <stddef.h>
#include <stdint.h>

/* Exit status, documented in ioalloc(1). */
#define EXIT_OK    0
#define EXIT_ERROR 1 /* the request failed */
#define EXIT_USAGE 2 /* unknown subcommand, option or argument */

/* Subcommands: ARGV[0] is the subcommand's name; they return an exit status. */
int cmd_info(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_copy(int argc, char **argv);

/* "ioalloc SUBCMD: message" on stderr. */
void tool_error(const char *subcmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Read the first line of a small text file (no newline) into BUF; 0 or -errno. */
int read_line(const char *path, char *buf, size_t len);

/* Read one integer from a text file; 0 or -errno (-EINVAL if it holds none). */
int read_long(const char *path, long *v);

/* BYTES in IEC units, exact when possible: "4 KiB", "2 MiB", "1.5 GiB", "512 B". */
const char *fmt_iec(uint64_t bytes, char *buf, size_t len);

#endif
