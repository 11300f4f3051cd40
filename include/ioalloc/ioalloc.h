/* SPDX-License-Identifier: MIT */
/* ioalloc: I/O and DMA buffer services for Linux user space (umbrella header). */
#ifndef IOALLOC_IOALLOC_H
#define IOALLOC_IOALLOC_H

#include <ioalloc/api.h>
#include <ioalloc/account.h>
#include <ioalloc/buf.h>
#include <ioalloc/constraint.h>
#include <ioalloc/debug.h>
#include <ioalloc/dio.h>
#include <ioalloc/dma.h>
#include <ioalloc/domain.h>
#include <ioalloc/pages.h>
#include <ioalloc/pool.h>
#include <ioalloc/vmem.h>

#define IOALLOC_VERSION_MAJOR 0
#define IOALLOC_VERSION_MINOR 1
#define IOALLOC_VERSION_PATCH 0
#define IOALLOC_VERSION_STRING "0.1.0"

IOA_BEGIN_DECLS

/* The library's version string ("0.1.0"); any thread. */
IOA_API const char *ioa_version(void);

IOA_END_DECLS

#endif
