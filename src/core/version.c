/* SPDX-License-Identifier: MIT */
#include <ioalloc/ioalloc.h>

IOA_API const char *ioa_version(void)
{
	return IOALLOC_VERSION_STRING;
}
