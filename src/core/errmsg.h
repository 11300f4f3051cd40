/* SPDX-License-Identifier: MIT */
/* Error messages into a caller's buffer (the parsers' err/errlen convention). */
#ifndef IOA_CORE_ERRMSG_H
#define IOA_CORE_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>

/* Format into err (if err and errlen): the message a parser gives back. */
void ioa__vseterr(char *err, size_t errlen, const char *fmt, va_list ap);

/* The same, then -EINVAL: `return ioa__einval(err, errlen, "...", ...);`. */
int ioa__einval(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
