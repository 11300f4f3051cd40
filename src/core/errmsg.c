/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>

#include "core/errmsg.h"

void ioa__vseterr(char *err, size_t errlen, const char *fmt, va_list ap)
{
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
}

int ioa__einval(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ioa__vseterr(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}
