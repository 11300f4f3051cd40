/* SPDX-License-Identifier: MIT */
/* Internal misuse reporting (see include/ioalloc/debug.h). */
#ifndef IOA_DEBUG_INTERNAL_H
#define IOA_DEBUG_INTERNAL_H

#include <ioalloc/debug.h>

/* Report a misuse through the installed handler (the default aborts). */
void ioa__misuse(const char *call, const char *object, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
