/* SPDX-License-Identifier: MIT */
/*
 * Conformance with seed 000: IWMSBufferAllocator::AllocatePageSizeBuffer
 * (wmsbuffer.h), with the INSSBuffer interfaces it returns.
 *
 * Every check names the sentence it verifies: quoted from the seed document
 * (../shared/seeds/000_954b3ee23a0249cb.txt), or, where the seed is silent,
 * from the semantics reference (../shared/research/seeds.md, section 1), the
 * SDK documentation it summarizes, or issue #7, and said so. The buffers are
 * plain locked memory (no domain), so IOALLOC_DOMAIN plays no part here.
 */
#include "conformance.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ioalloc/debug.h>
#include <ioalloc/win/wmsbuffer.h>

#include "platform/platform.h"

/* Seed 000, quoted. */
#define S_DESCRIPTION \
	"The AllocatePageSizeBuffer method initializes a buffer that can be used to perform " \
	"page-aligned reads."
#define S_SIZE "DWORD containing the size of the buffer in bytes."
#define S_OUT \
	"Address of a variable that receives a pointer to the INSSBuffer interface."
#define S_RETURNS \
	"If the method succeeds, it returns S_OK. If it fails, it returns an HRESULT error code."
/* The semantics reference, the SDK pages it summarizes, and the issue. */
#define R_GETLENGTH "research/seeds.md: GetLength \"S_OK; E_POINTER if NULL. Used portion.\""
#define R_SETLENGTH \
	"research/seeds.md: SetLength \"E_INVALIDARG if dwLength > buffer size (== max length " \
	"is OK).\""
#define R_MAXLENGTH \
	"research/seeds.md: GetMaxLength \"Fixed at creation (= size given to allocator).\""
#define R_GETBUFFER "research/seeds.md: GetBuffer \"S_OK; E_POINTER. Pointer is stable.\""
#define R_BUFANDLEN \
	"research/seeds.md: GetBufferAndLength \"E_POINTER if either NULL. Returns used length, " \
	"not max.\""
#define R_WINE \
	"research/seeds.md (Wine tests): \"GetBuffer and GetBufferAndLength give the same " \
	"pointer; length <= max; SetLength(max+1) -> E_INVALIDARG; SetLength(max-1) -> S_OK, " \
	"visible in later reads.\""
#define R_NEW \
	"research/seeds.md: \"NULL ppBuffer -> E_POINTER; OOM or size overflow -> E_OUTOFMEMORY " \
	"with *ppBuffer = NULL; new buffer length 0 ..., refcount 1; size 0 succeeds.\""
#define R_PAGES \
	"research/seeds.md: AllocatePageSizeBuffer \"data aligned to sysconf(_SC_PAGESIZE), " \
	"storage rounded up to whole pages (O_DIRECT-safe); GetMaxLength reports dwMaxBufferSize\""
#define R_NOTIMPL \
	"research/seeds.md: INSSBuffer2 \"Doc: 'neither method is implemented' -> return E_NOTIMPL.\""
#define R_SETPROP \
	"research/seeds.md: SetProperty \"S_OK; E_OUTOFMEMORY. Copies value; oversize is not an " \
	"error here.\""
#define R_GETPROP \
	"research/seeds.md: GetProperty \"E_POINTER if pcb NULL; NS_E_UNSUPPORTED_PROPERTY if " \
	"unset; pv NULL -> write required size, S_OK.\""
#define R_TOOSMALL \
	"research/seeds.md: GetProperty \"Too-small buffer: undocumented\" (here " \
	"E_NOT_SUFFICIENT_BUFFER with the size needed)"
#define R_BYINDEX \
	"SDK, INSSBuffer4::GetPropertyByIndex: \"it uses an index ranging from zero to one less " \
	"than the total number of properties associated with the sample.\""
#define R_IIDS \
	"research/seeds.md: IIDs INSSBuffer e1cd3524-03d7-11d2-9eed-006097d2d7cf ... " \
	"IWMSBufferAllocator 61103ca4-2033-11d2-9ef1-006097d2d7cf. \"Each inherits the previous " \
	"one (vtable appends).\""
#define R_CODES "research/seeds.md section 0: E_POINTER 0x80004003, E_INVALIDARG 0x80070057, ..."
#define R_LLP64 "research/seeds.md: \"ULONG/DWORD/LONG = 32 bits on every target\""
#define R_REFS \
	"issue #7: \"AddRef/Release map to ioa_buf_ref/unref (the INSSBuffer object and its " \
	"native buffer live exactly as long as the references)\""
#define R_ODIRECT \
	"issue #7: \"AllocatePageSizeBuffer data is page aligned (test: O_DIRECT read into it " \
	"works on a real disk file)\""
#define R_NULL "issue #7: \"NULL out-pointers give E_POINTER\""

#define KiB 1024u
#define MiB (1024u * 1024u)
#define BLOCK 4096u /* O_DIRECT transfers: a multiple of the logical block size */

static IWMSBufferAllocator *new_allocator(void)
{
	IWMSBufferAllocator *a = NULL;

	assert_int_equal(IoaCreateBufferAllocator(&a), S_OK);
	assert_non_null(a);
	return a;
}

static INSSBuffer *page_buffer(IWMSBufferAllocator *a, DWORD size)
{
	INSSBuffer *b = NULL;

	check(IWMSBufferAllocator_AllocatePageSizeBuffer(a, size, &b) == S_OK, S_RETURNS);
	assert_non_null(b);
	return b;
}

static INSSBuffer *plain_buffer(IWMSBufferAllocator *a, DWORD size)
{
	INSSBuffer *b = NULL;

	check(IWMSBufferAllocator_AllocateBuffer(a, size, &b) == S_OK, S_RETURNS);
	assert_non_null(b);
	return b;
}

static BYTE *data_of(INSSBuffer *b)
{
	BYTE *p = NULL;

	assert_int_equal(INSSBuffer_GetBuffer(b, &p), S_OK);
	return p;
}

static DWORD length_of(INSSBuffer *b)
{
	DWORD n = 0xdeadbeef;

	assert_int_equal(INSSBuffer_GetLength(b, &n), S_OK);
	return n;
}

static void codes_have_their_windows_values(void **state)
{
	static const GUID inss = {0xe1cd3524, 0x03d7, 0x11d2,
				  {0x9e, 0xed, 0x00, 0x60, 0x97, 0xd2, 0xd7, 0xcf}};
	static const GUID inss2 = {0x4f528693, 0x1035, 0x43fe,
				   {0xb4, 0x28, 0x75, 0x75, 0x61, 0xad, 0x3a, 0x68}};
	static const GUID inss3 = {0xc87ceaaf, 0x75be, 0x4bc4,
				   {0x84, 0xeb, 0xac, 0x27, 0x98, 0x50, 0x76, 0x72}};
	static const GUID inss4 = {0xb6b8fd5a, 0x32e2, 0x49d4,
				   {0xa9, 0x10, 0xc2, 0x6c, 0xc8, 0x54, 0x65, 0xed}};
	static const GUID alloc = {0x61103ca4, 0x2033, 0x11d2,
				   {0x9e, 0xf1, 0x00, 0x60, 0x97, 0xd2, 0xd7, 0xcf}};

	(void)state;
	check(S_OK == 0 && S_FALSE == 1, R_CODES);
	check((ULONG)E_NOTIMPL == 0x80004001u && (ULONG)E_NOINTERFACE == 0x80004002u, R_CODES);
	check((ULONG)E_POINTER == 0x80004003u && (ULONG)E_FAIL == 0x80004005u, R_CODES);
	check((ULONG)E_OUTOFMEMORY == 0x8007000Eu && (ULONG)E_INVALIDARG == 0x80070057u, R_CODES);
	check((ULONG)NS_E_UNSUPPORTED_PROPERTY == 0xC00D0BCDu, R_CODES);
	check(FAILED(E_POINTER) && SUCCEEDED(S_FALSE) && FAILED(NS_E_UNSUPPORTED_PROPERTY), R_CODES);
	check(sizeof(DWORD) == 4 && sizeof(HRESULT) == 4 && sizeof(ULONG) == 4, R_LLP64);
	check(IsEqualIID(&IID_INSSBuffer, &inss) && IsEqualIID(&IID_IWMSBuffer, &inss), R_IIDS);
	check(IsEqualIID(&IID_INSSBuffer2, &inss2) && IsEqualIID(&IID_INSSBuffer3, &inss3), R_IIDS);
	check(IsEqualIID(&IID_INSSBuffer4, &inss4), R_IIDS);
	check(IsEqualIID(&IID_IWMSBufferAllocator, &alloc), R_IIDS);
	/* Each vtable appends to the one before. */
	check(offsetof(INSSBuffer2Vtbl, GetSampleProperties) == sizeof(INSSBufferVtbl), R_IIDS);
	check(offsetof(INSSBuffer3Vtbl, SetProperty) == sizeof(INSSBuffer2Vtbl), R_IIDS);
	check(offsetof(INSSBuffer4Vtbl, GetPropertyCount) == sizeof(INSSBuffer3Vtbl), R_IIDS);
}

/* Sizes on both sides of a page, of the largest size class and past it. */
static const DWORD sizes[] = {1,         100,     4095,          4096,     4097,
			      64 * KiB, 1 * MiB, 1 * MiB + 1, 3 * MiB + 5};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static void page_size_buffers_start_on_a_page(void **state)
{
	IWMSBufferAllocator *a = new_allocator();
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	(void)state;
	for (size_t i = 0; i < NSIZES; i++) {
		INSSBuffer *b = page_buffer(a, sizes[i]);
		BYTE *p = data_of(b);
		size_t whole = (sizes[i] + page - 1) / page * page;
		DWORD max = 0;

		check(p && (uintptr_t)p % page == 0, S_DESCRIPTION);
		check(INSSBuffer_GetMaxLength(b, &max) == S_OK && max == sizes[i], S_SIZE);
		check(length_of(b) == 0, R_NEW);
		/* Whole pages: the last byte of the last page is the buffer's. */
		p[whole - 1] = 3;
		check(p[whole - 1] == 3, R_PAGES);
		p[0] = 1;
		p[sizes[i] - 1] = 2;
		check(p[sizes[i] - 1] == 2, S_SIZE);
		check(INSSBuffer_Release(b) == 0, R_REFS);
	}
	check(IWMSBufferAllocator_Release(a) == 0, R_REFS);
}

/* A file of 256 KiB on the disk this test runs from (the build tree), filled
 * with a known pattern; its path into path. -1 if it cannot be made. */
static int make_file(char *path, size_t len, uint8_t **pattern)
{
	char self[PATH_MAX - 32]; /* room for the file's name after it */
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	uint8_t *pat = malloc(len);
	int fd;

	if (n <= 0 || !pat) {
		free(pat);
		return -1;
	}
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(path, PATH_MAX, "%s/nss_odirect.XXXXXX", self);
	fd = mkstemp(path);
	for (size_t i = 0; i < len; i++)
		pat[i] = (uint8_t)(i * 131 + (i >> 12));
	if (fd < 0 || write(fd, pat, len) != (ssize_t)len || fsync(fd)) {
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		free(pat);
		return -1;
	}
	close(fd);
	*pattern = pat;
	return 0;
}

static void an_o_direct_read_fills_a_page_size_buffer(void **state)
{
	static const DWORD want[] = {4096, 64 * KiB, 4097, 100000, 256 * KiB};
	IWMSBufferAllocator *a = new_allocator();
	char path[PATH_MAX];
	uint8_t *pattern = NULL;
	int fd;

	(void)state;
	assert_int_equal(make_file(path, 256 * KiB, &pattern), 0);
	fd = open(path, O_RDONLY | O_DIRECT);
	if (fd < 0 && errno == EINVAL) { /* the file system takes no O_DIRECT */
		unlink(path);
		free(pattern);
		IWMSBufferAllocator_Release(a);
		skip();
	}
	assert_true(fd >= 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		INSSBuffer *b = page_buffer(a, want[i]);
		/* O_DIRECT moves whole blocks: the buffer's whole pages. */
		size_t len = (want[i] + BLOCK - 1) / BLOCK * BLOCK;
		BYTE *p;
		DWORD got = 0;
		ssize_t n;

		n = pread(fd, data_of(b), len, 0);
		check(n == (ssize_t)len, R_ODIRECT);
		check(INSSBuffer_SetLength(b, want[i]) == S_OK, R_SETLENGTH);
		check(INSSBuffer_GetBufferAndLength(b, &p, &got) == S_OK && got == want[i],
		      R_BUFANDLEN);
		check(memcmp(p, pattern, len) == 0, S_DESCRIPTION);
		INSSBuffer_Release(b);
	}
	/* An ordinary buffer need not be aligned; a page-size one must be. */
	close(fd);
	unlink(path);
	free(pattern);
	IWMSBufferAllocator_Release(a);
}

static void set_length_is_bounded_by_the_maximum(void **state)
{
	IWMSBufferAllocator *a = new_allocator();
	INSSBuffer *bufs[2] = {plain_buffer(a, 1000), page_buffer(a, 5000)};
	const DWORD max[2] = {1000, 5000};

	(void)state;
	for (int i = 0; i < 2; i++) {
		INSSBuffer *b = bufs[i];
		BYTE *p1, *p2;
		DWORD n, m;

		check(INSSBuffer_SetLength(b, max[i]) == S_OK, R_SETLENGTH);
		check(length_of(b) == max[i], R_GETLENGTH);
		check(INSSBuffer_SetLength(b, max[i] + 1) == E_INVALIDARG, R_SETLENGTH);
		check(length_of(b) == max[i], R_SETLENGTH); /* the refused call changes nothing */
		check(INSSBuffer_SetLength(b, max[i] - 1) == S_OK, R_WINE);
		check(INSSBuffer_GetBufferAndLength(b, &p2, &n) == S_OK && n == max[i] - 1, R_WINE);
		check(INSSBuffer_GetBuffer(b, &p1) == S_OK && p1 == p2, R_WINE);
		check(INSSBuffer_GetMaxLength(b, &m) == S_OK && m == max[i] && n <= m, R_MAXLENGTH);
		check(INSSBuffer_SetLength(b, 0xFFFFFFFFu) == E_INVALIDARG, R_SETLENGTH);
		check(INSSBuffer_GetBuffer(b, &p2) == S_OK && p1 == p2, R_GETBUFFER);
		INSSBuffer_Release(b);
	}
	IWMSBufferAllocator_Release(a);
}

/* Wine's qasf reports the capacity here; the documentation says the used part. */
static void get_buffer_and_length_gives_the_used_length(void **state)
{
	IWMSBufferAllocator *a = new_allocator();
	INSSBuffer *b = page_buffer(a, 8192);
	BYTE *p;
	DWORD n = 1;

	(void)state;
	check(INSSBuffer_GetBufferAndLength(b, &p, &n) == S_OK && n == 0, R_BUFANDLEN);
	memcpy(p, "sample", 6);
	check(INSSBuffer_SetLength(b, 6) == S_OK, R_SETLENGTH);
	check(INSSBuffer_GetBufferAndLength(b, &p, &n) == S_OK && n == 6, R_BUFANDLEN);
	check(memcmp(p, "sample", 6) == 0, R_GETBUFFER);
	INSSBuffer_Release(b);
	IWMSBufferAllocator_Release(a);
}

static void a_zero_byte_buffer_is_allowed(void **state)
{
	IWMSBufferAllocator *a = new_allocator();
	INSSBuffer *b[2] = {plain_buffer(a, 0), page_buffer(a, 0)};

	(void)state;
	for (int i = 0; i < 2; i++) {
		DWORD m = 1;

		check(INSSBuffer_GetMaxLength(b[i], &m) == S_OK && m == 0, R_NEW);
		check(data_of(b[i]) != NULL, R_NEW);
		check(INSSBuffer_SetLength(b[i], 0) == S_OK, R_SETLENGTH);
		check(INSSBuffer_SetLength(b[i], 1) == E_INVALIDARG, R_SETLENGTH);
		INSSBuffer_Release(b[i]);
	}
	IWMSBufferAllocator_Release(a);
}

static void null_out_pointers_are_e_pointer(void **state)
{
	IWMSBufferAllocator *a = new_allocator();
	INSSBuffer *b = page_buffer(a, 100), *none = (INSSBuffer *)&b;
	INSSBuffer3 *b3 = (INSSBuffer3 *)b;
	INSSBuffer4 *b4 = (INSSBuffer4 *)b;
	BYTE *p = (BYTE *)&b;
	DWORD n = 7;
	GUID g;

	(void)state;
	check(IoaCreateBufferAllocator(NULL) == E_POINTER, R_NULL);
	check(IWMSBufferAllocator_AllocatePageSizeBuffer(a, 100, NULL) == E_POINTER, S_OUT);
	check(IWMSBufferAllocator_AllocateBuffer(a, 100, NULL) == E_POINTER, S_OUT);
	check(INSSBuffer_GetLength(b, NULL) == E_POINTER, R_GETLENGTH);
	check(INSSBuffer_GetMaxLength(b, NULL) == E_POINTER, R_MAXLENGTH);
	check(INSSBuffer_GetBuffer(b, NULL) == E_POINTER, R_GETBUFFER);
	check(INSSBuffer_GetBufferAndLength(b, NULL, &n) == E_POINTER && n == 7, R_BUFANDLEN);
	check(INSSBuffer_GetBufferAndLength(b, &p, NULL) == E_POINTER && p == (BYTE *)&b,
	      R_BUFANDLEN);
	check(INSSBuffer3_GetProperty(b3, IID_INSSBuffer, NULL, NULL) == E_POINTER, R_GETPROP);
	check(INSSBuffer4_GetPropertyCount(b4, NULL) == E_POINTER, R_NULL);
	check(INSSBuffer4_GetPropertyByIndex(b4, 0, &g, NULL, NULL) == E_POINTER, R_NULL);
	check(INSSBuffer_QueryInterface(b, &IID_INSSBuffer, NULL) == E_POINTER, R_NULL);
	check(IWMSBufferAllocator_QueryInterface(a, &IID_IUnknown, NULL) == E_POINTER, R_NULL);
	check(INSSBuffer_QueryInterface(b, NULL, (void **)&none) == E_INVALIDARG && !none, R_NULL);
	INSSBuffer_Release(b);
	IWMSBufferAllocator_Release(a);
}

/* The reference count is the native buffer's: while one is held the memory
 * stays the buffer's; the last Release gives object and memory back, and
 * the next buffer of that size reuses them (the pools are LIFO per thread). */
static void references_are_the_native_buffers(void **state)
{
	IWMSBufferAllocator *a = new_allocator();
	INSSBuffer *b = page_buffer(a, 10000), *c, *d;
	BYTE *p = data_of(b);

	(void)state;
	check(INSSBuffer_AddRef(b) == 2, R_REFS);
	check(INSSBuffer_AddRef(b) == 3, R_REFS);
	check(INSSBuffer_Release(b) == 2, R_REFS);
	check(INSSBuffer_Release(b) == 1, R_REFS);
	memset(p, 0x5a, 10000); /* still the buffer's (memory checkers would say otherwise) */
	c = page_buffer(a, 10000);
	check(c != b && data_of(c) != p, R_REFS);
	check(INSSBuffer_Release(c) == 0, R_REFS);
	check(INSSBuffer_Release(b) == 0, R_REFS);
	d = page_buffer(a, 10000);
	check(d == b && data_of(d) == p, R_REFS); /* both came back at the last Release */
	check(length_of(d) == 0, R_NEW);
	check(INSSBuffer_Release(d) == 0, R_REFS);
	/* One Release too many is reported (until the object is reused); memory
	 * checkers see the freed object instead. */
	if (!ioa_test_under_valgrind() && !ioa_test_under_asan()) {
		INSSBuffer_Release(d);
		check(ioa_test_misuses == 1 && strstr(ioa_test_last_misuse, "after its last reference"), R_REFS);
		ioa_test_misuses = 0;
	}
	IWMSBufferAllocator_Release(a);
}

static void query_interface_answers_the_documented_iids(void **state)
{
	static const IID *const mine[] = {&IID_IUnknown, &IID_INSSBuffer, &IID_INSSBuffer2,
					  &IID_INSSBuffer3, &IID_INSSBuffer4};
	IWMSBufferAllocator *a = new_allocator(), *a2 = NULL;
	INSSBuffer *b = plain_buffer(a, 64);
	void *p;

	(void)state;
	for (ULONG i = 0; i < sizeof(mine) / sizeof(mine[0]); i++) {
		check(INSSBuffer_QueryInterface(b, mine[i], &p) == S_OK && p == (void *)b, R_IIDS);
		check(INSSBuffer_AddRef(b) == i + 3, R_REFS); /* the QI took one */
		INSSBuffer_Release(b);
	}
	for (ULONG i = 0; i < sizeof(mine) / sizeof(mine[0]); i++)
		INSSBuffer_Release(b);
	p = &p;
	check(INSSBuffer_QueryInterface(b, &IID_IWMSBufferAllocator, &p) == E_NOINTERFACE && !p,
	      R_IIDS);
	/* Methods through INSSBuffer4 reach the same object. */
	check(INSSBuffer4_SetLength((INSSBuffer4 *)b, 64) == S_OK && length_of(b) == 64, R_IIDS);
	check(IWMSBufferAllocator_QueryInterface(a, &IID_IWMSBufferAllocator, (void **)&a2) == S_OK
	      && a2 == a, R_IIDS);
	check(IWMSBufferAllocator_QueryInterface(a, &IID_IUnknown, &p) == S_OK && p == (void *)a,
	      R_IIDS);
	check(IUnknown_Release((IUnknown *)p) == 2, R_IIDS);
	p = &p;
	check(IWMSBufferAllocator_QueryInterface(a, &IID_INSSBuffer, &p) == E_NOINTERFACE && !p,
	      R_IIDS);
	check(IWMSBufferAllocator_Release(a2) == 1, R_IIDS);
	check(INSSBuffer_Release(b) == 0, R_REFS);
	check(IWMSBufferAllocator_Release(a) == 0, R_REFS);
}

static void sample_properties_are_not_implemented(void **state)
{
	IWMSBufferAllocator *a = new_allocator();
	INSSBuffer2 *b = (INSSBuffer2 *)plain_buffer(a, 64);
	BYTE props[16] = {0};

	(void)state;
	check(INSSBuffer2_GetSampleProperties(b, sizeof(props), props) == E_NOTIMPL, R_NOTIMPL);
	check(INSSBuffer2_SetSampleProperties(b, sizeof(props), props) == E_NOTIMPL, R_NOTIMPL);
	INSSBuffer2_Release(b);
	IWMSBufferAllocator_Release(a);
}

static const GUID prop_a = {0x11111111, 0x2222, 0x3333, {1, 2, 3, 4, 5, 6, 7, 8}};
static const GUID prop_b = {0x11111111, 0x2222, 0x3333, {1, 2, 3, 4, 5, 6, 7, 9}};
static const GUID prop_c = {0xaaaaaaaa, 0xbbbb, 0xcccc, {0, 0, 0, 0, 0, 0, 0, 0}};

static void properties_are_kept_by_guid_and_index(void **state)
{
	IWMSBufferAllocator *a = new_allocator();
	INSSBuffer *b = page_buffer(a, 4096), *again;
	INSSBuffer3 *b3;
	INSSBuffer4 *b4;
	uint64_t va = 0x0123456789abcdefull, out = 0;
	BYTE vb[100], big[200];
	DWORD n, count;
	GUID g;

	(void)state;
	for (int i = 0; i < 100; i++)
		vb[i] = (BYTE)i;
	assert_int_equal(INSSBuffer_QueryInterface(b, &IID_INSSBuffer3, (void **)&b3), S_OK);
	assert_int_equal(INSSBuffer_QueryInterface(b, &IID_INSSBuffer4, (void **)&b4), S_OK);
	n = 8;
	check(INSSBuffer3_GetProperty(b3, prop_a, &out, &n) == NS_E_UNSUPPORTED_PROPERTY, R_GETPROP);
	check(INSSBuffer4_GetPropertyCount(b4, &count) == S_OK && count == 0, R_BYINDEX);
	check(INSSBuffer3_SetProperty(b3, prop_a, &va, sizeof(va)) == S_OK, R_SETPROP);
	check(INSSBuffer3_SetProperty(b3, prop_b, vb, sizeof(vb)) == S_OK, R_SETPROP);
	check(INSSBuffer3_SetProperty(b3, prop_c, NULL, 0) == S_OK, R_SETPROP);
	check(INSSBuffer3_SetProperty(b3, prop_c, NULL, 1) == E_POINTER, R_NULL);
	/* Size query, exact size, more room, too little room. */
	n = 0;
	check(INSSBuffer3_GetProperty(b3, prop_b, NULL, &n) == S_OK && n == sizeof(vb), R_GETPROP);
	check(INSSBuffer3_GetProperty(b3, prop_b, big, &n) == S_OK && !memcmp(big, vb, 100),
	      R_GETPROP);
	n = sizeof(big);
	check(INSSBuffer3_GetProperty(b3, prop_b, big, &n) == S_OK && n == sizeof(vb), R_GETPROP);
	n = 99;
	check(INSSBuffer3_GetProperty(b3, prop_b, big, &n) == E_NOT_SUFFICIENT_BUFFER && n == 100,
	      R_TOOSMALL);
	n = 8;
	check(INSSBuffer3_GetProperty(b3, prop_a, &out, &n) == S_OK && out == va, R_GETPROP);
	check(INSSBuffer3_GetProperty(b3, prop_c, NULL, &n) == S_OK && n == 0, R_GETPROP);
	/* By index, in the order set; a new value keeps its place. */
	check(INSSBuffer4_GetPropertyCount(b4, &count) == S_OK && count == 3, R_BYINDEX);
	check(INSSBuffer3_SetProperty(b3, prop_a, "xyz", 3) == S_OK, R_SETPROP);
	check(INSSBuffer4_GetPropertyCount(b4, &count) == S_OK && count == 3, R_BYINDEX);
	n = sizeof(big);
	check(INSSBuffer4_GetPropertyByIndex(b4, 0, &g, big, &n) == S_OK && n == 3 &&
	      IsEqualGUID(&g, &prop_a) && !memcmp(big, "xyz", 3), R_BYINDEX);
	n = 0;
	check(INSSBuffer4_GetPropertyByIndex(b4, 1, &g, NULL, &n) == S_OK && n == 100 &&
	      IsEqualGUID(&g, &prop_b), R_BYINDEX);
	check(INSSBuffer4_GetPropertyByIndex(b4, 2, &g, NULL, &n) == S_OK && n == 0 &&
	      IsEqualGUID(&g, &prop_c), R_BYINDEX);
	check(INSSBuffer4_GetPropertyByIndex(b4, 3, &g, NULL, &n) == E_INVALIDARG, R_BYINDEX);
	/* Many properties: the store grows. */
	for (DWORD i = 0; i < 40; i++) {
		g = prop_c;
		g.Data1 = i;
		check(INSSBuffer3_SetProperty(b3, g, &i, sizeof(i)) == S_OK, R_SETPROP);
	}
	check(INSSBuffer4_GetPropertyCount(b4, &count) == S_OK && count == 43, R_BYINDEX);
	INSSBuffer3_Release(b3);
	INSSBuffer4_Release(b4);
	check(INSSBuffer_Release(b) == 0, R_REFS);
	/* The properties went with the buffer: the reused object has none. */
	again = page_buffer(a, 4096);
	check(again == b, R_REFS);
	check(INSSBuffer4_GetPropertyCount((INSSBuffer4 *)again, &count) == S_OK && count == 0,
	      R_REFS);
	INSSBuffer_Release(again);
	IWMSBufferAllocator_Release(a);
}

/* The allocator's last Release does not end the buffers it made. */
static void buffers_outlive_the_allocator(void **state)
{
	IWMSBufferAllocator *a = new_allocator();
	INSSBuffer *b[3] = {plain_buffer(a, 100), page_buffer(a, 100000), page_buffer(a, 2 * MiB)};
	DWORD n;

	(void)state;
	check(IWMSBufferAllocator_Release(a) == 0, R_REFS);
	for (int i = 0; i < 3; i++) {
		memset(data_of(b[i]), i, 100);
		check(INSSBuffer_SetLength(b[i], 100) == S_OK, R_SETLENGTH);
		check(INSSBuffer_GetLength(b[i], &n) == S_OK && n == 100, R_GETLENGTH);
	}
	for (int i = 0; i < 3; i++)
		check(INSSBuffer_Release(b[i]) == 0, R_REFS);
}

static void out_of_memory_is_e_outofmemory(void **state)
{
	IWMSBufferAllocator *a = new_allocator(), *none = (IWMSBufferAllocator *)&a;
	INSSBuffer *b = (INSSBuffer *)&a;
	HRESULT hr;

	(void)state;
	/* Buffers over 1 MiB are mapped one by one: fail that mapping. */
	ioa_plat_fault_set(IOA_SITE_MMAP, 1, 0, 0);
	hr = IWMSBufferAllocator_AllocatePageSizeBuffer(a, 2 * MiB, &b);
	ioa_plat_fault_set(IOA_SITE_COUNT, 0, 0, 0);
	check(hr == E_OUTOFMEMORY && b == NULL, R_NEW);
	check(FAILED(hr), S_RETURNS);
	b = page_buffer(a, 2 * MiB); /* the failure left nothing behind */
	INSSBuffer_Release(b);
	ioa_plat_fault_set(IOA_SITE_MMAP, 1, 0, 0);
	hr = IoaCreateBufferAllocator(&none);
	ioa_plat_fault_set(IOA_SITE_COUNT, 0, 0, 0);
	check(hr == E_OUTOFMEMORY && none == NULL, R_NEW);
	IWMSBufferAllocator_Release(a);
}

/* More buffers at once than the allocator made objects for: it grows. */
static void thousands_of_buffers_at_once(void **state)
{
	enum { N = 3000 };
	IWMSBufferAllocator *a = new_allocator();
	INSSBuffer **b = calloc(N, sizeof(*b));

	(void)state;
	assert_non_null(b);
	for (int i = 0; i < N; i++) {
		b[i] = i % 2 ? page_buffer(a, 200) : plain_buffer(a, 200);
		*data_of(b[i]) = (BYTE)i;
	}
	for (int i = 0; i < N; i++) {
		check(*data_of(b[i]) == (BYTE)i, S_DESCRIPTION); /* all distinct */
		check(i % 2 == 0 || (uintptr_t)data_of(b[i]) % 4096 == 0, S_DESCRIPTION);
		INSSBuffer_Release(b[i]);
	}
	free(b);
	IWMSBufferAllocator_Release(a);
}

struct sharer {
	INSSBuffer *b;
	unsigned bad;
};

static void *share(void *arg)
{
	struct sharer *s = arg;

	for (int i = 0; i < 100000; i++) {
		if (INSSBuffer_AddRef(s->b) < 2)
			s->bad++;
		if (INSSBuffer_Release(s->b) < 1)
			s->bad++;
	}
	return NULL;
}

/* AddRef and Release may race: the count stays exact. */
static void references_race_across_threads(void **state)
{
	IWMSBufferAllocator *a = new_allocator();
	struct sharer s[2];
	pthread_t t[2];

	(void)state;
	s[0] = (struct sharer){.b = page_buffer(a, 4096)};
	s[1] = s[0];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, share, &s[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	check(s[0].bad + s[1].bad == 0, R_REFS);
	check(INSSBuffer_Release(s[0].b) == 0, R_REFS);
	IWMSBufferAllocator_Release(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		conf_test(codes_have_their_windows_values),
		conf_test(page_size_buffers_start_on_a_page),
		conf_test(an_o_direct_read_fills_a_page_size_buffer),
		conf_test(set_length_is_bounded_by_the_maximum),
		conf_test(get_buffer_and_length_gives_the_used_length),
		conf_test(a_zero_byte_buffer_is_allowed),
		conf_test(null_out_pointers_are_e_pointer),
		conf_test(references_are_the_native_buffers),
		conf_test(query_interface_answers_the_documented_iids),
		conf_test(sample_properties_are_not_implemented),
		conf_test(properties_are_kept_by_guid_and_index),
		conf_test(buffers_outlive_the_allocator),
		conf_test(out_of_memory_is_e_outofmemory),
		conf_test(thousands_of_buffers_at_once),
		conf_test(references_race_across_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
