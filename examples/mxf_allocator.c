/* SPDX-License-Identifier: MIT */
/*
 * mxf_allocator: seed 002 (IAllocatorMXF::GetBuffer) as a DirectMusic UART
 * miniport's capture stream uses it. Bytes arrive from the MPU-401 in its
 * interrupt service routine; the stream packs them into DMUS_KERNEL_EVENTs:
 * a note-on fits in uData, a SysEx message is longer than a pointer and goes
 * into a buffer from GetBuffer. The capture sink gets the events as one
 * chain and, done with them, puts the chain back to the allocator, which
 * recycles every event and buffer in it.
 *
 * Only the Windows headers are used:
 *     cc -I include/ioalloc/win mxf_allocator.c -lioalloc
 */
#include <stdio.h>
#include <dmusicks.h>

#define EVENT_POOL_SIZE 32

/* What the hardware delivered: a note-on, a GS Reset SysEx (11 bytes: more
 * than a pointer holds), a note-off. */
static const BYTE NoteOn[] = {0x90, 0x3C, 0x64};
static const BYTE GsReset[] = {0xF0, 0x41, 0x10, 0x42, 0x12, 0x40, 0x00, 0x7F, 0x00, 0x41, 0xF7};
static const BYTE NoteOff[] = {0x80, 0x3C, 0x00};

static int Fail(const char *What, NTSTATUS Status)
{
	printf("mxf_allocator: %s: status 0x%08lX\n", What, (unsigned long)(ULONG)Status);
	return 1;
}

/* One captured MIDI message as an event: in uData when it fits, in an
 * allocator buffer when it does not. */
static NTSTATUS PackageMessage(PAllocatorMXF AllocatorMXF, const BYTE *Message, USHORT Length,
			       REFERENCE_TIME Time, PDMUS_KERNEL_EVENT *Event)
{
	PDMUS_KERNEL_EVENT NewEvent;
	NTSTATUS Status;

	Status = IAllocatorMXF_GetMessage(AllocatorMXF, &NewEvent);
	if (!NT_SUCCESS(Status))
		return Status;
	NewEvent->cbEvent = Length;
	NewEvent->usChannelGroup = 1;
	NewEvent->ullPresTime100ns = Time;
	NewEvent->ullBytePosition = kBytePositionNone;
	if (SHORT_EVT(NewEvent)) {
		RtlCopyMemory(NewEvent->uData.abData, Message, Length);
	} else {
		if (Length > IAllocatorMXF_GetBufferSize(AllocatorMXF)) {
			IAllocatorMXF_PutMessage(AllocatorMXF, NewEvent);
			return STATUS_BUFFER_OVERFLOW;
		}
		Status = IAllocatorMXF_GetBuffer(AllocatorMXF, &NewEvent->uData.pbData);
		if (!NT_SUCCESS(Status)) {
			IAllocatorMXF_PutMessage(AllocatorMXF, NewEvent);
			return Status;
		}
		RtlCopyMemory(NewEvent->uData.pbData, Message, Length);
	}
	*Event = NewEvent;
	return STATUS_SUCCESS;
}

/* The capture sink: reads the chain, then discards it to the allocator. */
static NTSTATUS CaptureSink(PMXF Allocator, PDMUS_KERNEL_EVENT Chain)
{
	for (PDMUS_KERNEL_EVENT Event = Chain; Event; Event = Event->pNextEvt) {
		const BYTE *Data = SHORT_EVT(Event) ? Event->uData.abData : Event->uData.pbData;

		printf("sink: t=%lld %u bytes, status 0x%02X%s\n", (long long)Event->ullPresTime100ns,
		       Event->cbEvent, Data[0], SHORT_EVT(Event) ? "" : " (in a buffer)");
	}
	return IMXF_PutMessage(Allocator, Chain);
}

int main(void)
{
	PAllocatorMXF AllocatorMXF;
	PMXF Allocator;
	PDMUS_KERNEL_EVENT First, Second, Third, Check[EVENT_POOL_SIZE];
	USHORT BufferSize;
	NTSTATUS Status;
	ULONG Got;

	Status = IoaNewAllocatorMXF(PAGE_SIZE, EVENT_POOL_SIZE, &AllocatorMXF);
	if (!NT_SUCCESS(Status))
		return Fail("IoaNewAllocatorMXF", Status);
	BufferSize = IAllocatorMXF_GetBufferSize(AllocatorMXF); /* constant: once is enough */
	printf("allocator: %u-byte buffers for long events\n", BufferSize);

	Status = PackageMessage(AllocatorMXF, NoteOn, sizeof(NoteOn), 1000, &First);
	if (NT_SUCCESS(Status))
		Status = PackageMessage(AllocatorMXF, GsReset, sizeof(GsReset), 1500, &Second);
	if (NT_SUCCESS(Status))
		Status = PackageMessage(AllocatorMXF, NoteOff, sizeof(NoteOff), 2000, &Third);
	if (!NT_SUCCESS(Status))
		return Fail("PackageMessage", Status);
	First->pNextEvt = Second;
	Second->pNextEvt = Third;

	/* The sink sees the allocator as an IMXF: the end of every chain. */
	Status = IAllocatorMXF_QueryInterface(AllocatorMXF, &IID_IMXF, (PVOID *)&Allocator);
	if (!NT_SUCCESS(Status))
		return Fail("QueryInterface(IID_IMXF)", Status);
	Status = CaptureSink(Allocator, First);
	IMXF_Release(Allocator);
	if (!NT_SUCCESS(Status))
		return Fail("PutMessage", Status);

	/* Everything came back: the whole pool can be had again, zeroed. */
	for (Got = 0; Got < EVENT_POOL_SIZE; Got++) {
		Status = IAllocatorMXF_GetMessage(AllocatorMXF, &Check[Got]);
		if (!NT_SUCCESS(Status) || Check[Got]->cbEvent || Check[Got]->pNextEvt)
			return Fail("GetMessage after PutMessage", Status);
	}
	if (IAllocatorMXF_GetMessage(AllocatorMXF, &First) != STATUS_INSUFFICIENT_RESOURCES)
		return Fail("GetMessage past the pool", STATUS_UNSUCCESSFUL);
	for (ULONG i = 0; i + 1 < Got; i++)
		Check[i]->pNextEvt = Check[i + 1];
	IAllocatorMXF_PutMessage(AllocatorMXF, Check[0]);
	IAllocatorMXF_Release(AllocatorMXF);
	printf("mxf_allocator: ok\n");
	return 0;
}
