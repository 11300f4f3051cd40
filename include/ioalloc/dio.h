/* SPDX-License-Identifier: MIT */
/* ioalloc: direct-I/O (O_DIRECT) alignment of a file, directory or block device. */
#ifndef IOALLOC_DIO_H
#define IOALLOC_DIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ioalloc/api.h>

IOA_BEGIN_DECLS

/* Where struct ioa_dio_align's numbers came from, most trusted first. */
#define IOA_DIO_SRC_NONE   0 /* nothing reported: the page size is assumed */
#define IOA_DIO_SRC_STATX  1 /* statx(STATX_DIOALIGN): the file system's own answer */
#define IOA_DIO_SRC_BLKDEV 2 /* ioctl(BLKSSZGET) on the block device itself */
#define IOA_DIO_SRC_SYSFS  3 /* queue/logical_block_size of the backing device */

struct ioa_dio_align {
	size_t size;           /* sizeof(struct ioa_dio_align) or 0; set to the size filled */
	uint32_t mem_align;    /* required alignment of the user buffer address, bytes */
	uint32_t offset_align; /* required alignment of file offset and length, bytes */
	int source;            /* IOA_DIO_SRC_* */
	bool supported;        /* false: the file system refuses O_DIRECT (e.g. old tmpfs) */
};

/* Direct-I/O alignment of the file FD refers to (any open mode, O_PATH too) into OUT;
 * 0 or -errno.  Any thread; may call the kernel. */
IOA_API int ioa_dio_align(int fd, struct ioa_dio_align *out);

/* As ioa_dio_align() for PATH (followed if a symlink); 0 or -errno.  Any thread; may call
 * the kernel. */
IOA_API int ioa_dio_align_path(const char *path, struct ioa_dio_align *out);

IOA_END_DECLS

#endif
