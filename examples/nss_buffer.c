/* SPDX-License-Identifier: MIT */
/*
 * nss_buffer: seed 000 (IWMSBufferAllocator::AllocatePageSizeBuffer) as a
 * Windows Media Services plug-in writes its read path. It asks the server's
 * allocator for a page-aligned buffer, reads a block of a media file into it
 * without the page cache (FILE_FLAG_NO_BUFFERING on Windows, O_DIRECT here),
 * marks the used length, tags the sample with a property, and hands the
 * buffer on by reference, as a reader hands samples to a sink.
 *
 * Only the Windows headers (and POSIX for the file) are used:
 *     cc -I include/ioalloc/win nss_buffer.c -lioalloc
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* O_DIRECT */
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wmsbuffer.h>

#define READ_SIZE (64 * 1024)
#define SECTOR_ALIGNMENT 4096

/* {2c3f5a5c-7d2b-4e41-9b1d-4f4e53534255}: this plug-in's own sample extension. */
static const GUID WMS_SampleExtension_ReadOffset = {
	0x2c3f5a5c, 0x7d2b, 0x4e41, {0x9b, 0x1d, 0x4f, 0x4e, 0x53, 0x53, 0x42, 0x55}};

static int Fail(const char *What, HRESULT hr)
{
	printf("nss_buffer: %s: hr 0x%08lX\n", What, (unsigned long)(ULONG)hr);
	return 1;
}

/* A "media file" to read: READ_SIZE bytes of a known pattern beside us. */
static int MakeMediaFile(char *Path, size_t PathSize)
{
	static BYTE Block[READ_SIZE];
	int Fd;

	snprintf(Path, PathSize, "nss_buffer.media.XXXXXX");
	Fd = mkstemp(Path);
	if (Fd < 0)
		return -1;
	for (ULONG i = 0; i < READ_SIZE; i++)
		Block[i] = (BYTE)(i * 7 + 1);
	if (write(Fd, Block, READ_SIZE) != READ_SIZE || fsync(Fd)) {
		close(Fd);
		return -1;
	}
	close(Fd);
	return 0;
}

/* The "sink": looks at the sample and drops its reference. */
static HRESULT DeliverSample(INSSBuffer *Sample)
{
	INSSBuffer3 *Sample3;
	BYTE *Data;
	DWORD Length, Offset, Size = sizeof(Offset);
	HRESULT hr;

	hr = INSSBuffer_GetBufferAndLength(Sample, &Data, &Length);
	if (SUCCEEDED(hr))
		hr = INSSBuffer_QueryInterface(Sample, &IID_INSSBuffer3, (void **)&Sample3);
	if (SUCCEEDED(hr)) {
		hr = INSSBuffer3_GetProperty(Sample3, WMS_SampleExtension_ReadOffset, &Offset, &Size);
		INSSBuffer3_Release(Sample3);
	}
	if (SUCCEEDED(hr))
		printf("sink: %lu bytes from offset %lu, first byte 0x%02X\n", (unsigned long)Length,
		       (unsigned long)Offset, Data[0]);
	INSSBuffer_Release(Sample);
	return hr;
}

int main(void)
{
	IWMSBufferAllocator *Allocator;
	INSSBuffer *Buffer;
	INSSBuffer3 *Buffer3;
	char Path[64];
	BYTE *Data;
	DWORD MaxLength, Offset = 0;
	ssize_t Read;
	HRESULT hr;
	int Fd;

	hr = IoaCreateBufferAllocator(&Allocator);
	if (FAILED(hr))
		return Fail("IoaCreateBufferAllocator", hr);

	hr = IWMSBufferAllocator_AllocatePageSizeBuffer(Allocator, READ_SIZE, &Buffer);
	if (FAILED(hr))
		return Fail("AllocatePageSizeBuffer", hr);
	INSSBuffer_GetBuffer(Buffer, &Data);
	INSSBuffer_GetMaxLength(Buffer, &MaxLength);
	printf("page-size buffer: %lu bytes at %p\n", (unsigned long)MaxLength, (void *)Data);
	if ((ULONG_PTR)Data % SECTOR_ALIGNMENT != 0 || MaxLength != READ_SIZE) {
		printf("nss_buffer: the buffer is not fit for unbuffered reads\n");
		return 1;
	}

	/* An unbuffered read straight into the buffer, where the file system
	 * allows it; a buffered one elsewhere (the buffer takes both). */
	if (MakeMediaFile(Path, sizeof(Path)))
		return Fail("creating the media file", E_FAIL);
	Fd = open(Path, O_RDONLY | O_DIRECT);
	if (Fd < 0)
		Fd = open(Path, O_RDONLY);
	Read = Fd < 0 ? -1 : pread(Fd, Data, READ_SIZE, Offset);
	if (Fd >= 0)
		close(Fd);
	unlink(Path);
	if (Read != READ_SIZE)
		return Fail("reading the media file", E_FAIL);

	/* Only the used part counts: SetLength, not the maximum. */
	hr = INSSBuffer_SetLength(Buffer, (DWORD)Read);
	if (SUCCEEDED(hr) && INSSBuffer_SetLength(Buffer, MaxLength + 1) != E_INVALIDARG)
		hr = E_UNEXPECTED;
	if (FAILED(hr))
		return Fail("SetLength", hr);

	hr = INSSBuffer_QueryInterface(Buffer, &IID_INSSBuffer3, (void **)&Buffer3);
	if (SUCCEEDED(hr)) {
		hr = INSSBuffer3_SetProperty(Buffer3, WMS_SampleExtension_ReadOffset, &Offset,
					     sizeof(Offset));
		INSSBuffer3_Release(Buffer3);
	}
	if (FAILED(hr))
		return Fail("SetProperty", hr);

	/* The sink gets its own reference; ours goes after. */
	INSSBuffer_AddRef(Buffer);
	hr = DeliverSample(Buffer);
	if (FAILED(hr))
		return Fail("DeliverSample", hr);
	if (INSSBuffer_Release(Buffer) != 0) {
		printf("nss_buffer: references left over\n");
		return 1;
	}
	IWMSBufferAllocator_Release(Allocator);
	printf("nss_buffer: ok\n");
	return 0;
}
