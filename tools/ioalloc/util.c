/* SPDX-License-Identifier: MIT */
/* Small helpers for the ioalloc tool: error messages, sysfs/procfs reads, IEC sizes. */
#include "tool.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void tool_error(const char *subcmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ioalloc%s%s: ", subcmd ? " " : "", subcmd ? subcmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		ret = ferror(f) ? -EIO : -ENODATA;
	fclose(f);
	if (ret == 0)
		buf[strcspn(buf, "\n")] = '\0';
	return ret;
}

int read_long(const char *path, long *v)
{
	char buf[64];
	int ret = read_line(path, buf, sizeof(buf));

	if (ret != 0)
		return ret;
	return sscanf(buf, "%ld", v) == 1 ? 0 : -EINVAL;
}

const char *fmt_iec(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	int u = 0;
	uint64_t div = 1;

	while (u < 6 && bytes >= div * 1024) {
		div *= 1024;
		u++;
	}
	if (bytes % div == 0)
		snprintf(buf, len, "%" PRIu64 " %s", bytes / div, unit[u]);
	else
		snprintf(buf, len, "%.1f %s", (double)bytes / (double)div, unit[u]);
	return buf;
}
