/* SPDX-License-Identifier: MIT */
/*
 * Conformance with seed 002: IAllocatorMXF::GetBuffer (dmusicks.h), with the
 * rest of the allocator it belongs to (GetBufferSize, GetMessage, PutBuffer
 * and the IMXF methods, PutMessage above all) and DMUS_KERNEL_EVENT.
 *
 * Every check names the sentence it verifies: quoted from the seed document
 * (../shared/seeds/002_6bccb738586e35bc.txt), or, where the seed is silent,
 * from the semantics reference (../shared/research/seeds.md, section 3), the
 * WDK documentation it summarizes, or issue #7, and said so. The pools are
 * plain locked memory (no domain).
 */
#include "conformance.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <ioalloc/debug.h>
#include <ioalloc/win/dmusicks.h>

#include "platform/platform.h"

/* Seed 002, quoted. */
#define S_DESCRIPTION "The GetBuffer method allocates a buffer for long MIDI events."
#define S_SYNTAX "NTSTATUS GetBuffer( [out] PBYTE *ppbBuffer );"
#define S_RETURNS \
	"GetBuffer returns S_OK if the call was successful. Otherwise, the method returns an " \
	"appropriate error code."
#define S_LONG \
	"Specifically, the miniport driver uses this method whenever a component needs to " \
	"package more data than can be stored in the uData member of DMUS_KERNEL_EVENT."
#define S_SIZE "The size of the buffer can determined by calling IAllocatorMXF::GetBufferSize."
#define S_CONSTANT \
	"GetBufferSize needs to be called only once because the buffer size is constant for " \
	"any allocator implementation."
#define S_IRQL "req.irql : \"<=DISPATCH_LEVEL\""
/* The semantics reference, the WDK pages it summarizes, and the issue. */
#define R_ZEROED \
	"research/seeds.md: \"GetMessage (<= DISPATCH): returns a zeroed DMUS_KERNEL_EVENT from " \
	"a recycled pool.\"; \"GetBuffer and GetMessage zero the block\""
#define R_PUT \
	"research/seeds.md: \"PutMessage to the allocator recycles the event, and also its " \
	"pbData buffer when cbEvent > sizeof(PBYTE).\""
#define R_CHAIN \
	"issue #7: \"PutMessage recycles the whole event chain (pNextEvt) and the data buffers " \
	"of long events ... package events: recycle the package chain recursively\""
#define R_END \
	"WDK, IMXF::PutMessage: \"The allocator is always the last destination in any chain, so " \
	"every DMUS_KERNEL_EVENT structure will eventually be recycled.\""
#define R_PUTBUFFER \
	"WDK, IAllocatorMXF::PutBuffer: \"The PutBuffer method passes a buffer to the " \
	"allocator\""
#define R_EMPTY \
	"issue #7: \"an empty pool gives STATUS_INSUFFICIENT_RESOURCES with *out NULL\""
#define R_NULL "issue #7: \"NULL out-pointers give STATUS_INVALID_PARAMETER\""
#define R_RT "issue #7: \"GetBuffer and GetMessage are real-time safe (pool-backed)\""
#define R_LAYOUT \
	"research/seeds.md: \"DMUS_KERNEL_EVENT: BYTE bReserved; BYTE cbStruct; USHORT cbEvent; " \
	"... (40 bytes on x64). Flags: COMPLETE 0, INCOMPLETE 1, PACKAGE 2; SHORT_EVT(e) = " \
	"cbEvent <= sizeof(PBYTE).\""
#define R_VTABLE \
	"research/seeds.md: \"IID a5f0d62c-b30f-11d2-b7a3-0060083316c1; it inherits IMXF. " \
	"Vtable: SetState(KSSTATE), PutMessage, ConnectOutput, DisconnectOutput, GetMessage, " \
	"USHORT GetBufferSize(), GetBuffer, PutBuffer.\""
#define R_STATE \
	"WDK, IMXF::SetState: \"This method returns NTSTATUS which contains STATUS_SUCCESS if " \
	"the call was successful.\""
#define R_DISCONNECT \
	"WDK, IMXF::DisconnectOutput: \"Output will go to the allocator from the time that " \
	"DisconnectOutput is called\""
#define R_LEAK "issue #7 (as for the other seeds): a last Release with objects out is reported"

static PALLOCATORMXF new_allocator(USHORT size, ULONG count)
{
	PALLOCATORMXF a = NULL;

	assert_int_equal(IoaNewAllocatorMXF(size, count, &a), STATUS_SUCCESS);
	assert_non_null(a);
	return a;
}

static PDMUS_KERNEL_EVENT get_message(PALLOCATORMXF a)
{
	PDMUS_KERNEL_EVENT e = NULL;

	check(IAllocatorMXF_GetMessage(a, &e) == STATUS_SUCCESS && e, R_ZEROED);
	assert_non_null(e);
	return e;
}

static PBYTE get_buffer(PALLOCATORMXF a)
{
	PBYTE b = NULL;

	check(IAllocatorMXF_GetBuffer(a, &b) == STATUS_SUCCESS && b, S_RETURNS);
	assert_non_null(b);
	return b;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* Take everything the allocator has: count events and count buffers, and
 * nothing more; then give them all back. */
static bool holds_all(PALLOCATORMXF a, ULONG count)
{
	PDMUS_KERNEL_EVENT *ev = calloc(count, sizeof(*ev)), extra_e = NULL;
	PBYTE *buf = calloc(count, sizeof(*buf)), extra_b = NULL;
	bool ok = ev && buf;

	for (ULONG i = 0; ok && i < count; i++)
		ok = IAllocatorMXF_GetMessage(a, &ev[i]) == STATUS_SUCCESS &&
		     IAllocatorMXF_GetBuffer(a, &buf[i]) == STATUS_SUCCESS;
	ok = ok && IAllocatorMXF_GetMessage(a, &extra_e) == STATUS_INSUFFICIENT_RESOURCES &&
	     IAllocatorMXF_GetBuffer(a, &extra_b) == STATUS_INSUFFICIENT_RESOURCES;
	for (ULONG i = 0; ev && buf && i < count; i++) {
		if (ev[i])
			IAllocatorMXF_PutMessage(a, ev[i]);
		if (buf[i])
			IAllocatorMXF_PutBuffer(a, buf[i]);
	}
	free(ev);
	free(buf);
	return ok;
}

static void codes_layout_and_ids(void **state)
{
	static const GUID mxf = {0xc096df9e, 0xfb09, 0x11d1,
				 {0x81, 0xb0, 0x00, 0x60, 0x08, 0x33, 0x16, 0xc1}};
	static const GUID alloc = {0xa5f0d62c, 0xb30f, 0x11d2,
				   {0xb7, 0xa3, 0x00, 0x60, 0x08, 0x33, 0x16, 0xc1}};
	DMUS_KERNEL_EVENT e;

	(void)state;
	check(STATUS_SUCCESS == 0 && (ULONG)STATUS_INSUFFICIENT_RESOURCES == 0xC000009Au &&
	      (ULONG)STATUS_INVALID_PARAMETER == 0xC000000Du, S_RETURNS);
	check(offsetof(DMUS_KERNEL_EVENT, cbStruct) == 1 &&
	      offsetof(DMUS_KERNEL_EVENT, cbEvent) == 2 &&
	      offsetof(DMUS_KERNEL_EVENT, usChannelGroup) == 4 &&
	      offsetof(DMUS_KERNEL_EVENT, usFlags) == 6 &&
	      offsetof(DMUS_KERNEL_EVENT, ullPresTime100ns) == 8 &&
	      offsetof(DMUS_KERNEL_EVENT, ullBytePosition) == 16 &&
	      offsetof(DMUS_KERNEL_EVENT, pNextEvt) == 24 &&
	      offsetof(DMUS_KERNEL_EVENT, uData) == 24 + sizeof(PBYTE), R_LAYOUT);
	check(sizeof(DMUS_KERNEL_EVENT) == (sizeof(PBYTE) == 8 ? 40u : 32u), R_LAYOUT);
	check(sizeof(e.uData.abData) == sizeof(PBYTE) && sizeof(e.uData) == sizeof(PBYTE), R_LAYOUT);
	check(DMUS_KEF_EVENT_COMPLETE == 0 && DMUS_KEF_EVENT_INCOMPLETE == 1 &&
	      DMUS_KEF_PACKAGE_EVENT == 2, R_LAYOUT);
	memset(&e, 0, sizeof(e));
	e.cbEvent = sizeof(PBYTE);
	check(SHORT_EVT(&e) && COMPLETE_EVT(&e) && !PACKAGE_EVT(&e), R_LAYOUT);
	e.cbEvent++;
	SET_INCOMPLETE_EVT(&e);
	SET_PACKAGE_EVT(&e);
	check(!SHORT_EVT(&e) && INCOMPLETE_EVT(&e) && PACKAGE_EVT(&e) && e.usFlags == 3, R_LAYOUT);
	SET_COMPLETE_EVT(&e);
	CLEAR_PACKAGE_EVT(&e);
	check(e.usFlags == 0 && kBytePositionNone == ~0ull, R_LAYOUT);
	check(IsEqualIID(&IID_IMXF, &mxf) && IsEqualIID(&IID_IAllocatorMXF, &alloc), R_VTABLE);
	check(offsetof(IAllocatorMXFVtbl, GetMessage) == sizeof(IMXFVtbl) &&
	      offsetof(IAllocatorMXFVtbl, GetBufferSize) == sizeof(IMXFVtbl) + sizeof(void *) &&
	      offsetof(IAllocatorMXFVtbl, PutBuffer) == sizeof(IMXFVtbl) + 3 * sizeof(void *),
	      R_VTABLE);
}

static void get_buffer_gives_a_zeroed_buffer_of_buffer_size(void **state)
{
	enum { COUNT = 8, SIZE = 300 };
	PALLOCATORMXF a = new_allocator(SIZE, COUNT);
	PBYTE b[COUNT];

	(void)state;
	check(IAllocatorMXF_GetBufferSize(a) == SIZE, S_SIZE);
	for (int i = 0; i < COUNT; i++) {
		b[i] = get_buffer(a);
		check(all_zero(b[i], SIZE), R_ZEROED);
		memset(b[i], 0xa0 + i, SIZE); /* all of it is the caller's */
		check(IAllocatorMXF_GetBufferSize(a) == SIZE, S_CONSTANT);
	}
	for (int i = 0; i < COUNT; i++) /* no two overlap */
		for (int j = 0; j < SIZE; j++)
			check(b[i][j] == 0xa0 + i, S_DESCRIPTION);
	for (int i = 0; i < COUNT; i++)
		check(IAllocatorMXF_PutBuffer(a, b[i]) == STATUS_SUCCESS, R_PUTBUFFER);
	/* Recycled buffers come back zeroed. */
	for (int i = 0; i < COUNT; i++) {
		b[i] = get_buffer(a);
		check(all_zero(b[i], SIZE), R_ZEROED);
	}
	for (int i = 0; i < COUNT; i++)
		IAllocatorMXF_PutBuffer(a, b[i]);
	check(IAllocatorMXF_GetBufferSize(a) == SIZE, S_CONSTANT);
	check(IAllocatorMXF_Release(a) == 0, S_CONSTANT);
}

/* A buffer holds what uData cannot: a SysEx message longer than a pointer. */
static void a_long_event_carries_its_data_in_a_buffer(void **state)
{
	static const BYTE sysex[] = {0xF0, 0x7E, 0x7F, 0x09, 0x01, 0xF7, 0xF0, 0x43, 0x10, 0xF7};
	PALLOCATORMXF a = new_allocator(64, 4);
	PDMUS_KERNEL_EVENT e = get_message(a);

	(void)state;
	e->cbEvent = sizeof(sysex);
	check(!SHORT_EVT(e), S_LONG);
	check(IAllocatorMXF_GetBuffer(a, &e->uData.pbData) == STATUS_SUCCESS, S_SYNTAX);
	check(sizeof(sysex) <= IAllocatorMXF_GetBufferSize(a), S_LONG);
	memcpy(e->uData.pbData, sysex, sizeof(sysex));
	check(IAllocatorMXF_PutMessage(a, e) == STATUS_SUCCESS, R_PUT);
	check(holds_all(a, 4), R_PUT); /* the event and its buffer are both back */
	IAllocatorMXF_Release(a);
}

static void an_empty_allocator_says_insufficient_resources(void **state)
{
	enum { COUNT = 5 };
	PALLOCATORMXF a = new_allocator(32, COUNT);
	PDMUS_KERNEL_EVENT e[COUNT], none = (PDMUS_KERNEL_EVENT)&e;
	PBYTE b[COUNT], nob = (PBYTE)&b;
	NTSTATUS st;

	(void)state;
	for (int i = 0; i < COUNT; i++) {
		e[i] = get_message(a);
		b[i] = get_buffer(a);
	}
	st = IAllocatorMXF_GetBuffer(a, &nob);
	check(st == STATUS_INSUFFICIENT_RESOURCES && nob == NULL, R_EMPTY);
	check(!NT_SUCCESS(st), S_RETURNS);
	check(IAllocatorMXF_GetMessage(a, &none) == STATUS_INSUFFICIENT_RESOURCES && none == NULL,
	      R_EMPTY);
	IAllocatorMXF_PutBuffer(a, b[2]);
	IAllocatorMXF_PutMessage(a, e[3]);
	check(IAllocatorMXF_GetBuffer(a, &nob) == STATUS_SUCCESS && nob == b[2], R_PUTBUFFER);
	check(IAllocatorMXF_GetMessage(a, &none) == STATUS_SUCCESS && none == e[3], R_END);
	for (int i = 0; i < COUNT; i++) {
		IAllocatorMXF_PutBuffer(a, b[i]);
		IAllocatorMXF_PutMessage(a, e[i]);
	}
	check(holds_all(a, COUNT), R_END);
	IAllocatorMXF_Release(a);
}

static void get_message_zeroes_a_used_event(void **state)
{
	PALLOCATORMXF a = new_allocator(16, 1);
	PDMUS_KERNEL_EVENT e = get_message(a);

	(void)state;
	check(all_zero(e, sizeof(*e)), R_ZEROED);
	memset(e, 0xff, sizeof(*e));
	e->usFlags = 0;     /* not a package, */
	e->cbEvent = 3;     /* short, */
	e->pNextEvt = NULL; /* and alone: nothing more to recycle */
	check(IAllocatorMXF_PutMessage(a, e) == STATUS_SUCCESS, R_PUT);
	e = get_message(a);
	check(all_zero(e, sizeof(*e)), R_ZEROED);
	IAllocatorMXF_PutMessage(a, e);
	IAllocatorMXF_Release(a);
}

/* A capture chain as a miniport builds it: short events, long events with
 * buffers, a package holding a chain that holds a package. Putting the head
 * recycles every event and every buffer, and only the buffers. */
static void put_message_recycles_the_whole_chain(void **state)
{
	enum { COUNT = 16 };
	PALLOCATORMXF a = new_allocator(128, COUNT);
	PDMUS_KERNEL_EVENT e[8];

	(void)state;
	for (int i = 0; i < 8; i++)
		e[i] = get_message(a);
	/* e0 short note-on -> e1 long -> e2 package {e4 long -> e5 package {e6 long -> e7 short}}
	 *   -> e3 short of exactly sizeof(PBYTE) bytes (data that looks like a pointer) */
	e[0]->cbEvent = 3;
	memcpy(e[0]->uData.abData, "\x90\x3c\x7f", 3);
	e[0]->pNextEvt = e[1];
	e[1]->cbEvent = 100;
	e[1]->uData.pbData = get_buffer(a);
	e[1]->pNextEvt = e[2];
	SET_PACKAGE_EVT(e[2]);
	e[2]->uData.pPackageEvt = e[4];
	e[2]->pNextEvt = e[3];
	e[3]->cbEvent = sizeof(PBYTE);
	memset(e[3]->uData.abData, 0xff, sizeof(e[3]->uData.abData));
	e[4]->cbEvent = 128;
	e[4]->uData.pbData = get_buffer(a);
	e[4]->pNextEvt = e[5];
	SET_PACKAGE_EVT(e[5]);
	e[5]->uData.pPackageEvt = e[6];
	e[6]->cbEvent = sizeof(PBYTE) + 1;
	e[6]->uData.pbData = get_buffer(a);
	e[6]->pNextEvt = e[7];
	e[7]->cbEvent = 1;
	SET_INCOMPLETE_EVT(e[7]);
	check(IAllocatorMXF_PutMessage(a, e[0]) == STATUS_SUCCESS, R_CHAIN);
	check(holds_all(a, COUNT), R_CHAIN);
	check(ioa_test_misuses == 0, R_PUT); /* no short event's data was taken for a buffer */
	/* A long event without a buffer (or with its buffer already put back). */
	e[0] = get_message(a);
	e[0]->cbEvent = 500;
	check(IAllocatorMXF_PutMessage(a, e[0]) == STATUS_SUCCESS && ioa_test_misuses == 0, R_PUT);
	check(holds_all(a, COUNT), R_END);
	IAllocatorMXF_Release(a);
}

/* A chain that loops is refused whole: nothing goes back twice. */
static void a_cyclic_chain_is_refused(void **state)
{
	PALLOCATORMXF a = new_allocator(16, 4);
	PDMUS_KERNEL_EVENT e0 = get_message(a), e1 = get_message(a), p = get_message(a);

	(void)state;
	e0->pNextEvt = e1;
	e1->pNextEvt = e0;
	check(IAllocatorMXF_PutMessage(a, e0) == STATUS_INVALID_PARAMETER, R_END);
	check(ioa_test_misuses == 1 && strstr(ioa_test_last_misuse, "a cycle"), R_END);
	SET_PACKAGE_EVT(p); /* a package that contains itself */
	p->uData.pPackageEvt = p;
	check(IAllocatorMXF_PutMessage(a, p) == STATUS_INVALID_PARAMETER && ioa_test_misuses == 2, R_END);
	ioa_test_misuses = 0;
	e0->pNextEvt = NULL;
	e1->pNextEvt = NULL;
	CLEAR_PACKAGE_EVT(p);
	p->pNextEvt = NULL;
	IAllocatorMXF_PutMessage(a, e0);
	IAllocatorMXF_PutMessage(a, e1);
	IAllocatorMXF_PutMessage(a, p);
	check(holds_all(a, 4), R_END);
	IAllocatorMXF_Release(a);
}

static void null_pointers_are_invalid_parameters(void **state)
{
	PALLOCATORMXF a = (PALLOCATORMXF)&a;

	(void)state;
	check(IoaNewAllocatorMXF(64, 4, NULL) == STATUS_INVALID_PARAMETER, R_NULL);
	check(IoaNewAllocatorMXF(0, 4, &a) == STATUS_INVALID_PARAMETER && a == NULL, R_NULL);
	a = (PALLOCATORMXF)&a;
	check(IoaNewAllocatorMXF(64, 0, &a) == STATUS_INVALID_PARAMETER && a == NULL, R_NULL);
	check(IoaNewAllocatorMXF(64, 1u << 24, &a) == STATUS_INVALID_PARAMETER, R_NULL);
	a = new_allocator(64, 4);
	check(IAllocatorMXF_GetBuffer(a, NULL) == STATUS_INVALID_PARAMETER, R_NULL);
	check(IAllocatorMXF_GetMessage(a, NULL) == STATUS_INVALID_PARAMETER, R_NULL);
	check(IAllocatorMXF_PutBuffer(a, NULL) == STATUS_INVALID_PARAMETER, R_NULL);
	check(IAllocatorMXF_PutMessage(a, NULL) == STATUS_INVALID_PARAMETER, R_NULL);
	check(IAllocatorMXF_QueryInterface(a, &IID_IMXF, NULL) == STATUS_INVALID_PARAMETER, R_NULL);
	check(holds_all(a, 4), R_NULL); /* none of it took anything */
	IAllocatorMXF_Release(a);
}

static void the_object_is_a_counted_imxf(void **state)
{
	static const GUID not_mine = {0xc096df9d, 0xfb09, 0x11d1, /* IID_IMiniportDMus */
				      {0x81, 0xb0, 0x00, 0x60, 0x08, 0x33, 0x16, 0xc1}};
	PALLOCATORMXF a = new_allocator(64, 4);
	PMXF mxf = NULL;
	PUNKNOWN unk = NULL;
	PVOID other = &other;

	(void)state;
	check(IAllocatorMXF_QueryInterface(a, &IID_IMXF, (PVOID *)&mxf) == STATUS_SUCCESS &&
	      (void *)mxf == (void *)a, R_VTABLE);
	check(IAllocatorMXF_QueryInterface(a, &IID_IUnknown, (PVOID *)&unk) == STATUS_SUCCESS &&
	      (void *)unk == (void *)a, R_VTABLE);
	check(IAllocatorMXF_QueryInterface(a, &IID_IAllocatorMXF, &other) == STATUS_SUCCESS &&
	      other == (void *)a, R_VTABLE);
	check(IAllocatorMXF_AddRef(a) == 5, R_VTABLE);
	other = &other;
	check(IAllocatorMXF_QueryInterface(a, &not_mine, &other) ==
		      STATUS_INVALID_PARAMETER && other == NULL, R_VTABLE);
	/* Through IMXF, PutMessage still ends in the allocator. */
	check(IMXF_PutMessage(mxf, get_message(a)) == STATUS_SUCCESS, R_END);
	check(holds_all(a, 4), R_END);
	check(IMXF_Release(mxf) == 4 && IUnknown_Release(unk) == 3, R_VTABLE);
	check(IAllocatorMXF_Release(a) == 2 && IAllocatorMXF_Release(a) == 1, R_VTABLE);
	check(IAllocatorMXF_Release(a) == 0, R_VTABLE);
}

static void the_imxf_methods_of_the_end_of_the_chain(void **state)
{
	static const KSSTATE states[] = {KSSTATE_STOP, KSSTATE_ACQUIRE, KSSTATE_PAUSE, KSSTATE_RUN};
	PALLOCATORMXF a = new_allocator(64, 4), b = new_allocator(64, 4);

	(void)state;
	for (int i = 0; i < 4; i++) {
		check(IAllocatorMXF_SetState(a, states[i]) == STATUS_SUCCESS, R_STATE);
		/* The allocator recycles in every state. */
		check(IAllocatorMXF_PutMessage(a, get_message(a)) == STATUS_SUCCESS, R_END);
	}
	check(IAllocatorMXF_SetState(a, (KSSTATE)4) == STATUS_INVALID_PARAMETER, R_STATE);
	check(IAllocatorMXF_ConnectOutput(a, (PMXF)b) == STATUS_NOT_IMPLEMENTED, R_END);
	check(IAllocatorMXF_ConnectOutput(a, NULL) == STATUS_INVALID_PARAMETER, R_NULL);
	check(IAllocatorMXF_DisconnectOutput(a, (PMXF)b) == STATUS_SUCCESS, R_DISCONNECT);
	check(holds_all(a, 4) && holds_all(b, 4), R_END); /* nothing went to b */
	IAllocatorMXF_Release(b);
	IAllocatorMXF_Release(a);
}

/* Kept in statics: the objects stay reachable, as the pools do (memory
 * checkers would call them lost otherwise). */
static PDMUS_KERNEL_EVENT volatile kept_event;
static PBYTE volatile kept_buffers[2];

static void a_last_release_with_events_out_is_reported(void **state)
{
	PALLOCATORMXF a = new_allocator(64, 4);
	PDMUS_KERNEL_EVENT e = kept_event = get_message(a);
	PBYTE b1 = kept_buffers[0] = get_buffer(a), b2 = kept_buffers[1] = get_buffer(a);

	(void)state;
	check(IAllocatorMXF_Release(a) == 0, R_LEAK);
	check(ioa_test_misuses == 1 && strstr(ioa_test_last_misuse, "1 events and 2 buffers"), R_LEAK);
	ioa_test_misuses = 0;
	/* Their memory is kept: still writable. */
	memset(e, 1, sizeof(*e));
	memset(b1, 2, 64);
	memset(b2, 3, 64);
}

static void creation_without_memory_fails_cleanly(void **state)
{
	PALLOCATORMXF a = (PALLOCATORMXF)&a;
	NTSTATUS st;

	(void)state;
	for (unsigned nth = 1; nth <= 3; nth++) { /* each of the first mappings in turn */
		ioa_plat_fault_set(IOA_SITE_MMAP, nth, 0, 0);
		st = IoaNewAllocatorMXF(256, 64, &a);
		ioa_plat_fault_set(IOA_SITE_COUNT, 0, 0, 0);
		if (st == STATUS_SUCCESS) {
			IAllocatorMXF_Release(a);
			continue;
		}
		check(st == STATUS_INSUFFICIENT_RESOURCES && a == NULL, R_EMPTY);
	}
}

/* ---- real time ------------------------------------------------------------------- */

static long faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

/* One round of what a capture path does: a short event, a long one with a
 * buffer, a package of both, chained; all of it back with one PutMessage;
 * and a lone buffer in and out. */
static __attribute__((noinline)) unsigned round_trip(PALLOCATORMXF a)
{
	PDMUS_KERNEL_EVENT s, l, p;
	PBYTE b;
	unsigned bad = 0;

	bad += IAllocatorMXF_GetMessage(a, &s) != STATUS_SUCCESS;
	bad += IAllocatorMXF_GetMessage(a, &l) != STATUS_SUCCESS;
	bad += IAllocatorMXF_GetMessage(a, &p) != STATUS_SUCCESS;
	if (bad)
		return bad;
	s->cbEvent = 3;
	l->cbEvent = 40;
	bad += IAllocatorMXF_GetBuffer(a, &l->uData.pbData) != STATUS_SUCCESS;
	l->uData.pbData[39] = 0xF7;
	l->pNextEvt = s;
	SET_PACKAGE_EVT(p);
	p->uData.pPackageEvt = l;
	bad += IAllocatorMXF_PutMessage(a, p) != STATUS_SUCCESS;
	bad += IAllocatorMXF_GetBuffer(a, &b) != STATUS_SUCCESS;
	bad += IAllocatorMXF_PutBuffer(a, b) != STATUS_SUCCESS;
	return bad;
}

static void the_hot_path_takes_no_page_faults(void **state)
{
	enum { LOOPS = 200000 };
	PALLOCATORMXF a;
	long before, after;
	unsigned bad = 0;
	uint8_t *fresh;

	(void)state;
	if (ioa_test_under_asan() || ioa_test_under_tsan() || ioa_test_under_valgrind())
		skip(); /* their shadow memory and instrumentation fault on their own */
	a = new_allocator(4096, 256);
	for (int i = 0; i < 1000; i++) /* warm: thread index, code, stack */
		bad += round_trip(a);
	before = faults();
	for (int i = 0; i < LOOPS; i++)
		bad += round_trip(a);
	after = faults();
	print_message("%d capture rounds: %ld page faults\n", LOOPS, after - before);
	check(bad == 0 && after - before == 0, S_IRQL);
	/* The counter does see a fault when there is one. */
	fresh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(fresh != MAP_FAILED);
	before = faults();
	fresh[0] = 1;
	assert_int_equal(faults() - before, 1);
	munmap(fresh, 4096);
	check(holds_all(a, 256), R_RT);
	IAllocatorMXF_Release(a);
}

/* Capture across threads: one thread takes events (and buffers for long
 * ones) and hands them over a ring, the other puts them back. Events put on
 * one thread are got on the other; an empty pool (as the getter sees it) is
 * waited out, never an error. */
#define RING 16      /* events in flight; with the putter's magazines, < COUNT */
#define COUNT 64
#define EVENTS 200000

struct ring {
	PDMUS_KERNEL_EVENT slot[RING];
	_Atomic unsigned head, tail; /* written by the getter / the putter */
	PALLOCATORMXF a;
	unsigned get_bad, waits; /* the getter's */
	unsigned put_bad;        /* the putter's */
};

static void *getter(void *arg)
{
	struct ring *r = arg;
	PDMUS_KERNEL_EVENT e;

	for (unsigned n = 0; n < EVENTS; n++) {
		unsigned h = atomic_load_explicit(&r->head, memory_order_relaxed);
		NTSTATUS st;

		while (h - atomic_load_explicit(&r->tail, memory_order_acquire) == RING)
			sched_yield();
		while ((st = IAllocatorMXF_GetMessage(r->a, &e)) == STATUS_INSUFFICIENT_RESOURCES) {
			r->waits++;
			sched_yield();
		}
		r->get_bad += st != STATUS_SUCCESS || !all_zero(e, sizeof(*e));
		e->cbEvent = n % 4 ? 3 : 32;
		e->ullPresTime100ns = n;
		if (n % 4 == 0) {
			while (IAllocatorMXF_GetBuffer(r->a, &e->uData.pbData) ==
			       STATUS_INSUFFICIENT_RESOURCES)
				sched_yield();
			e->uData.pbData[31] = (BYTE)n;
		}
		r->slot[h % RING] = e;
		atomic_store_explicit(&r->head, h + 1, memory_order_release);
	}
	return NULL;
}

static void *putter(void *arg)
{
	struct ring *r = arg;

	for (unsigned n = 0; n < EVENTS; n++) {
		unsigned t = atomic_load_explicit(&r->tail, memory_order_relaxed);
		PDMUS_KERNEL_EVENT e;

		while (atomic_load_explicit(&r->head, memory_order_acquire) == t)
			sched_yield();
		e = r->slot[t % RING];
		r->put_bad += e->ullPresTime100ns != (REFERENCE_TIME)n ||
			      (n % 4 == 0 && e->uData.pbData[31] != (BYTE)n);
		r->put_bad += IAllocatorMXF_PutMessage(r->a, e) != STATUS_SUCCESS;
		atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	}
	return NULL;
}

static void get_and_put_on_two_threads(void **state)
{
	struct ring *r = calloc(1, sizeof(*r));
	pthread_t g, p;

	(void)state;
	assert_non_null(r);
	r->a = new_allocator(32, COUNT);
	assert_int_equal(pthread_create(&g, NULL, getter, r), 0);
	assert_int_equal(pthread_create(&p, NULL, putter, r), 0);
	assert_int_equal(pthread_join(g, NULL), 0);
	assert_int_equal(pthread_join(p, NULL), 0);
	print_message("%d events across threads, %u waits for an empty pool\n", EVENTS, r->waits);
	check(r->get_bad + r->put_bad == 0, R_RT);
	check(holds_all(r->a, COUNT), R_END); /* the threads' caches went back at their exit */
	IAllocatorMXF_Release(r->a);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		conf_test(codes_layout_and_ids),
		conf_test(get_buffer_gives_a_zeroed_buffer_of_buffer_size),
		conf_test(a_long_event_carries_its_data_in_a_buffer),
		conf_test(an_empty_allocator_says_insufficient_resources),
		conf_test(get_message_zeroes_a_used_event),
		conf_test(put_message_recycles_the_whole_chain),
		conf_test(a_cyclic_chain_is_refused),
		conf_test(null_pointers_are_invalid_parameters),
		conf_test(the_object_is_a_counted_imxf),
		conf_test(the_imxf_methods_of_the_end_of_the_chain),
		conf_test(a_last_release_with_events_out_is_reported),
		conf_test(creation_without_memory_fails_cleanly),
		conf_test(the_hot_path_takes_no_page_faults),
		conf_test(get_and_put_on_two_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
