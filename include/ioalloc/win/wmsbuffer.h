/* SPDX-License-Identifier: MIT */
/*
 * wmsbuffer.h - the Windows Media buffer interfaces of ioalloc's Windows DDI
 * layer: INSSBuffer (and INSSBuffer2, 3, 4: one object answers all four) and
 * IWMSBufferAllocator, whose AllocatePageSizeBuffer gives buffers fit for
 * page-aligned (O_DIRECT) reads.
 *
 * Interfaces are C structs whose first member is lpVtbl, with a call macro
 * per method in the MinGW/Wine style (INSSBuffer_GetBufferAndLength(p, &data,
 * &len), INSSBuffer_Release(p)), as the SDK's header gives them under
 * COBJMACROS. Each interface has its own vtable type; INSSBuffer4's starts
 * with INSSBuffer3's, which starts with INSSBuffer2's, which starts with
 * INSSBuffer's, so one object serves all four.
 *
 * The types, GUIDs and IUnknown come from wdm.h (its IUnknown's
 * QueryInterface returns a LONG, which is what HRESULT is); this header adds
 * HRESULT and its codes, with the values of winerror.h and nserror.h.
 *
 * A buffer is a native refcounted buffer (ioa_buf_alloc): AddRef and Release
 * are ioa_buf_ref and ioa_buf_unref, so the INSSBuffer object and its memory
 * live exactly as long as the references. See IoaCreateBufferAllocator(3).
 */
#ifndef IOALLOC_WIN_WMSBUFFER_H
#define IOALLOC_WIN_WMSBUFFER_H

#include "wdm.h"

IOA_BEGIN_DECLS

/* ---- HRESULT --------------------------------------------------------------------- */

typedef LONG HRESULT;

#ifndef SUCCEEDED
#define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#endif
#ifndef FAILED
#define FAILED(hr) (((HRESULT)(hr)) < 0)
#endif

/* winerror.h */
#ifndef S_OK
#define S_OK ((HRESULT)0x00000000L)
#endif
#ifndef S_FALSE
#define S_FALSE ((HRESULT)0x00000001L)
#endif
#ifndef E_NOTIMPL
#define E_NOTIMPL ((HRESULT)0x80004001L)
#endif
#ifndef E_NOINTERFACE
#define E_NOINTERFACE ((HRESULT)0x80004002L)
#endif
#ifndef E_POINTER
#define E_POINTER ((HRESULT)0x80004003L)
#endif
#ifndef E_FAIL
#define E_FAIL ((HRESULT)0x80004005L)
#endif
#ifndef E_UNEXPECTED
#define E_UNEXPECTED ((HRESULT)0x8000FFFFL)
#endif
#ifndef E_OUTOFMEMORY
#define E_OUTOFMEMORY ((HRESULT)0x8007000EL)
#endif
#ifndef E_INVALIDARG
#define E_INVALIDARG ((HRESULT)0x80070057L)
#endif
/* HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER) */
#ifndef E_NOT_SUFFICIENT_BUFFER
#define E_NOT_SUFFICIENT_BUFFER ((HRESULT)0x8007007AL)
#endif
/* nserror.h */
#ifndef NS_E_INVALID_INDEX
#define NS_E_INVALID_INDEX ((HRESULT)0xC00D0011L)
#endif
#ifndef NS_E_UNSUPPORTED_PROPERTY
#define NS_E_UNSUPPORTED_PROPERTY ((HRESULT)0xC00D0BCDL)
#endif

/* ---- interface IDs, as in the SDK's wmsbuffer.h ----------------------------------- */

/* {E1CD3524-03D7-11d2-9EED-006097D2D7CF}; IWMSBuffer is its older name. */
IOA_WIN_DEFINE_IID(IID_INSSBuffer, 0xE1CD3524, 0x03D7, 0x11d2, 0x9E, 0xED, 0x00, 0x60, 0x97, 0xD2,
		   0xD7, 0xCF);
IOA_WIN_DEFINE_IID(IID_IWMSBuffer, 0xE1CD3524, 0x03D7, 0x11d2, 0x9E, 0xED, 0x00, 0x60, 0x97, 0xD2,
		   0xD7, 0xCF);
/* {4F528693-1035-43fe-B428-757561AD3A68} */
IOA_WIN_DEFINE_IID(IID_INSSBuffer2, 0x4f528693, 0x1035, 0x43fe, 0xb4, 0x28, 0x75, 0x75, 0x61, 0xad,
		   0x3a, 0x68);
/* {C87CEAAF-75BE-4bc4-84EB-AC2798507672} */
IOA_WIN_DEFINE_IID(IID_INSSBuffer3, 0xc87ceaaf, 0x75be, 0x4bc4, 0x84, 0xeb, 0xac, 0x27, 0x98, 0x50,
		   0x76, 0x72);
/* {B6B8FD5A-32E2-49d4-A910-C26CC85465ED} */
IOA_WIN_DEFINE_IID(IID_INSSBuffer4, 0xb6b8fd5a, 0x32e2, 0x49d4, 0xa9, 0x10, 0xc2, 0x6c, 0xc8, 0x54,
		   0x65, 0xed);
/* {61103CA4-2033-11d2-9EF1-006097D2D7CF} */
IOA_WIN_DEFINE_IID(IID_IWMSBufferAllocator, 0x61103CA4, 0x2033, 0x11d2, 0x9E, 0xF1, 0x00, 0x60,
		   0x97, 0xD2, 0xD7, 0xCF);

/* ---- INSSBuffer ------------------------------------------------------------------- */

typedef struct INSSBuffer INSSBuffer;
#define IWMSBuffer INSSBuffer

typedef struct INSSBufferVtbl {
	/* IUnknown */
	HRESULT (*QueryInterface)(INSSBuffer *This, REFIID riid, void **ppvObject);
	ULONG (*AddRef)(INSSBuffer *This);
	ULONG (*Release)(INSSBuffer *This);
	/* INSSBuffer */
	HRESULT (*GetLength)(INSSBuffer *This, DWORD *pdwLength);
	HRESULT (*SetLength)(INSSBuffer *This, DWORD dwLength);
	HRESULT (*GetMaxLength)(INSSBuffer *This, DWORD *pdwLength);
	HRESULT (*GetBuffer)(INSSBuffer *This, BYTE **ppdwBuffer);
	HRESULT (*GetBufferAndLength)(INSSBuffer *This, BYTE **ppdwBuffer, DWORD *pdwLength);
} INSSBufferVtbl;

struct INSSBuffer {
	const INSSBufferVtbl *lpVtbl;
};

#define INSSBuffer_QueryInterface(This, riid, ppvObject) \
	((This)->lpVtbl->QueryInterface((This), (riid), (ppvObject)))
#define INSSBuffer_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define INSSBuffer_Release(This) ((This)->lpVtbl->Release(This))
#define INSSBuffer_GetLength(This, pdwLength) ((This)->lpVtbl->GetLength((This), (pdwLength)))
#define INSSBuffer_SetLength(This, dwLength) ((This)->lpVtbl->SetLength((This), (dwLength)))
#define INSSBuffer_GetMaxLength(This, pdwLength) \
	((This)->lpVtbl->GetMaxLength((This), (pdwLength)))
#define INSSBuffer_GetBuffer(This, ppdwBuffer) ((This)->lpVtbl->GetBuffer((This), (ppdwBuffer)))
#define INSSBuffer_GetBufferAndLength(This, ppdwBuffer, pdwLength) \
	((This)->lpVtbl->GetBufferAndLength((This), (ppdwBuffer), (pdwLength)))

/* ---- INSSBuffer2 (its two methods are documented as not implemented) ---------------- */

typedef struct INSSBuffer2 INSSBuffer2;

typedef struct INSSBuffer2Vtbl {
	/* IUnknown */
	HRESULT (*QueryInterface)(INSSBuffer2 *This, REFIID riid, void **ppvObject);
	ULONG (*AddRef)(INSSBuffer2 *This);
	ULONG (*Release)(INSSBuffer2 *This);
	/* INSSBuffer */
	HRESULT (*GetLength)(INSSBuffer2 *This, DWORD *pdwLength);
	HRESULT (*SetLength)(INSSBuffer2 *This, DWORD dwLength);
	HRESULT (*GetMaxLength)(INSSBuffer2 *This, DWORD *pdwLength);
	HRESULT (*GetBuffer)(INSSBuffer2 *This, BYTE **ppdwBuffer);
	HRESULT (*GetBufferAndLength)(INSSBuffer2 *This, BYTE **ppdwBuffer, DWORD *pdwLength);
	/* INSSBuffer2 */
	HRESULT (*GetSampleProperties)(INSSBuffer2 *This, DWORD cbProperties, BYTE *pbProperties);
	HRESULT (*SetSampleProperties)(INSSBuffer2 *This, DWORD cbProperties, BYTE *pbProperties);
} INSSBuffer2Vtbl;

struct INSSBuffer2 {
	const INSSBuffer2Vtbl *lpVtbl;
};

#define INSSBuffer2_QueryInterface(This, riid, ppvObject) \
	((This)->lpVtbl->QueryInterface((This), (riid), (ppvObject)))
#define INSSBuffer2_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define INSSBuffer2_Release(This) ((This)->lpVtbl->Release(This))
#define INSSBuffer2_GetLength(This, pdwLength) ((This)->lpVtbl->GetLength((This), (pdwLength)))
#define INSSBuffer2_SetLength(This, dwLength) ((This)->lpVtbl->SetLength((This), (dwLength)))
#define INSSBuffer2_GetMaxLength(This, pdwLength) \
	((This)->lpVtbl->GetMaxLength((This), (pdwLength)))
#define INSSBuffer2_GetBuffer(This, ppdwBuffer) ((This)->lpVtbl->GetBuffer((This), (ppdwBuffer)))
#define INSSBuffer2_GetBufferAndLength(This, ppdwBuffer, pdwLength) \
	((This)->lpVtbl->GetBufferAndLength((This), (ppdwBuffer), (pdwLength)))
#define INSSBuffer2_GetSampleProperties(This, cbProperties, pbProperties) \
	((This)->lpVtbl->GetSampleProperties((This), (cbProperties), (pbProperties)))
#define INSSBuffer2_SetSampleProperties(This, cbProperties, pbProperties) \
	((This)->lpVtbl->SetSampleProperties((This), (cbProperties), (pbProperties)))

/* ---- INSSBuffer3 (properties by GUID) ------------------------------------------------ */

typedef struct INSSBuffer3 INSSBuffer3;

typedef struct INSSBuffer3Vtbl {
	/* IUnknown */
	HRESULT (*QueryInterface)(INSSBuffer3 *This, REFIID riid, void **ppvObject);
	ULONG (*AddRef)(INSSBuffer3 *This);
	ULONG (*Release)(INSSBuffer3 *This);
	/* INSSBuffer */
	HRESULT (*GetLength)(INSSBuffer3 *This, DWORD *pdwLength);
	HRESULT (*SetLength)(INSSBuffer3 *This, DWORD dwLength);
	HRESULT (*GetMaxLength)(INSSBuffer3 *This, DWORD *pdwLength);
	HRESULT (*GetBuffer)(INSSBuffer3 *This, BYTE **ppdwBuffer);
	HRESULT (*GetBufferAndLength)(INSSBuffer3 *This, BYTE **ppdwBuffer, DWORD *pdwLength);
	/* INSSBuffer2 */
	HRESULT (*GetSampleProperties)(INSSBuffer3 *This, DWORD cbProperties, BYTE *pbProperties);
	HRESULT (*SetSampleProperties)(INSSBuffer3 *This, DWORD cbProperties, BYTE *pbProperties);
	/* INSSBuffer3: the GUID is passed by value, as the SDK declares it */
	HRESULT (*SetProperty)(INSSBuffer3 *This, GUID guidBufferProperty, void *pvBufferProperty,
			       DWORD dwBufferPropertySize);
	HRESULT (*GetProperty)(INSSBuffer3 *This, GUID guidBufferProperty, void *pvBufferProperty,
			       DWORD *pdwBufferPropertySize);
} INSSBuffer3Vtbl;

struct INSSBuffer3 {
	const INSSBuffer3Vtbl *lpVtbl;
};

#define INSSBuffer3_QueryInterface(This, riid, ppvObject) \
	((This)->lpVtbl->QueryInterface((This), (riid), (ppvObject)))
#define INSSBuffer3_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define INSSBuffer3_Release(This) ((This)->lpVtbl->Release(This))
#define INSSBuffer3_GetLength(This, pdwLength) ((This)->lpVtbl->GetLength((This), (pdwLength)))
#define INSSBuffer3_SetLength(This, dwLength) ((This)->lpVtbl->SetLength((This), (dwLength)))
#define INSSBuffer3_GetMaxLength(This, pdwLength) \
	((This)->lpVtbl->GetMaxLength((This), (pdwLength)))
#define INSSBuffer3_GetBuffer(This, ppdwBuffer) ((This)->lpVtbl->GetBuffer((This), (ppdwBuffer)))
#define INSSBuffer3_GetBufferAndLength(This, ppdwBuffer, pdwLength) \
	((This)->lpVtbl->GetBufferAndLength((This), (ppdwBuffer), (pdwLength)))
#define INSSBuffer3_GetSampleProperties(This, cbProperties, pbProperties) \
	((This)->lpVtbl->GetSampleProperties((This), (cbProperties), (pbProperties)))
#define INSSBuffer3_SetSampleProperties(This, cbProperties, pbProperties) \
	((This)->lpVtbl->SetSampleProperties((This), (cbProperties), (pbProperties)))
#define INSSBuffer3_SetProperty(This, guidBufferProperty, pvBufferProperty, dwBufferPropertySize) \
	((This)->lpVtbl->SetProperty((This), (guidBufferProperty), (pvBufferProperty),          \
				     (dwBufferPropertySize)))
#define INSSBuffer3_GetProperty(This, guidBufferProperty, pvBufferProperty,          \
				pdwBufferPropertySize)                               \
	((This)->lpVtbl->GetProperty((This), (guidBufferProperty), (pvBufferProperty), \
				     (pdwBufferPropertySize)))

/* ---- INSSBuffer4 (properties by index) --------------------------------------------------- */

typedef struct INSSBuffer4 INSSBuffer4;

typedef struct INSSBuffer4Vtbl {
	/* IUnknown */
	HRESULT (*QueryInterface)(INSSBuffer4 *This, REFIID riid, void **ppvObject);
	ULONG (*AddRef)(INSSBuffer4 *This);
	ULONG (*Release)(INSSBuffer4 *This);
	/* INSSBuffer */
	HRESULT (*GetLength)(INSSBuffer4 *This, DWORD *pdwLength);
	HRESULT (*SetLength)(INSSBuffer4 *This, DWORD dwLength);
	HRESULT (*GetMaxLength)(INSSBuffer4 *This, DWORD *pdwLength);
	HRESULT (*GetBuffer)(INSSBuffer4 *This, BYTE **ppdwBuffer);
	HRESULT (*GetBufferAndLength)(INSSBuffer4 *This, BYTE **ppdwBuffer, DWORD *pdwLength);
	/* INSSBuffer2 */
	HRESULT (*GetSampleProperties)(INSSBuffer4 *This, DWORD cbProperties, BYTE *pbProperties);
	HRESULT (*SetSampleProperties)(INSSBuffer4 *This, DWORD cbProperties, BYTE *pbProperties);
	/* INSSBuffer3 */
	HRESULT (*SetProperty)(INSSBuffer4 *This, GUID guidBufferProperty, void *pvBufferProperty,
			       DWORD dwBufferPropertySize);
	HRESULT (*GetProperty)(INSSBuffer4 *This, GUID guidBufferProperty, void *pvBufferProperty,
			       DWORD *pdwBufferPropertySize);
	/* INSSBuffer4 */
	HRESULT (*GetPropertyCount)(INSSBuffer4 *This, DWORD *pcBufferProperties);
	HRESULT (*GetPropertyByIndex)(INSSBuffer4 *This, DWORD dwBufferPropertyIndex,
				      GUID *pguidBufferProperty, void *pvBufferProperty,
				      DWORD *pdwBufferPropertySize);
} INSSBuffer4Vtbl;

struct INSSBuffer4 {
	const INSSBuffer4Vtbl *lpVtbl;
};

#define INSSBuffer4_QueryInterface(This, riid, ppvObject) \
	((This)->lpVtbl->QueryInterface((This), (riid), (ppvObject)))
#define INSSBuffer4_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define INSSBuffer4_Release(This) ((This)->lpVtbl->Release(This))
#define INSSBuffer4_GetLength(This, pdwLength) ((This)->lpVtbl->GetLength((This), (pdwLength)))
#define INSSBuffer4_SetLength(This, dwLength) ((This)->lpVtbl->SetLength((This), (dwLength)))
#define INSSBuffer4_GetMaxLength(This, pdwLength) \
	((This)->lpVtbl->GetMaxLength((This), (pdwLength)))
#define INSSBuffer4_GetBuffer(This, ppdwBuffer) ((This)->lpVtbl->GetBuffer((This), (ppdwBuffer)))
#define INSSBuffer4_GetBufferAndLength(This, ppdwBuffer, pdwLength) \
	((This)->lpVtbl->GetBufferAndLength((This), (ppdwBuffer), (pdwLength)))
#define INSSBuffer4_GetSampleProperties(This, cbProperties, pbProperties) \
	((This)->lpVtbl->GetSampleProperties((This), (cbProperties), (pbProperties)))
#define INSSBuffer4_SetSampleProperties(This, cbProperties, pbProperties) \
	((This)->lpVtbl->SetSampleProperties((This), (cbProperties), (pbProperties)))
#define INSSBuffer4_SetProperty(This, guidBufferProperty, pvBufferProperty, dwBufferPropertySize) \
	((This)->lpVtbl->SetProperty((This), (guidBufferProperty), (pvBufferProperty),          \
				     (dwBufferPropertySize)))
#define INSSBuffer4_GetProperty(This, guidBufferProperty, pvBufferProperty,          \
				pdwBufferPropertySize)                               \
	((This)->lpVtbl->GetProperty((This), (guidBufferProperty), (pvBufferProperty), \
				     (pdwBufferPropertySize)))
#define INSSBuffer4_GetPropertyCount(This, pcBufferProperties) \
	((This)->lpVtbl->GetPropertyCount((This), (pcBufferProperties)))
#define INSSBuffer4_GetPropertyByIndex(This, dwBufferPropertyIndex, pguidBufferProperty,       \
				       pvBufferProperty, pdwBufferPropertySize)                \
	((This)->lpVtbl->GetPropertyByIndex((This), (dwBufferPropertyIndex),                   \
					    (pguidBufferProperty), (pvBufferProperty),         \
					    (pdwBufferPropertySize)))

/* ---- IWMSBufferAllocator ------------------------------------------------------------- */

typedef struct IWMSBufferAllocator IWMSBufferAllocator;

typedef struct IWMSBufferAllocatorVtbl {
	/* IUnknown */
	HRESULT (*QueryInterface)(IWMSBufferAllocator *This, REFIID riid, void **ppvObject);
	ULONG (*AddRef)(IWMSBufferAllocator *This);
	ULONG (*Release)(IWMSBufferAllocator *This);
	/* IWMSBufferAllocator */
	HRESULT (*AllocateBuffer)(IWMSBufferAllocator *This, DWORD dwMaxBufferSize,
				  INSSBuffer **ppBuffer);
	HRESULT (*AllocatePageSizeBuffer)(IWMSBufferAllocator *This, DWORD dwMaxBufferSize,
					  INSSBuffer **ppBuffer);
} IWMSBufferAllocatorVtbl;

struct IWMSBufferAllocator {
	const IWMSBufferAllocatorVtbl *lpVtbl;
};

#define IWMSBufferAllocator_QueryInterface(This, riid, ppvObject) \
	((This)->lpVtbl->QueryInterface((This), (riid), (ppvObject)))
#define IWMSBufferAllocator_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IWMSBufferAllocator_Release(This) ((This)->lpVtbl->Release(This))
#define IWMSBufferAllocator_AllocateBuffer(This, dwMaxBufferSize, ppBuffer) \
	((This)->lpVtbl->AllocateBuffer((This), (dwMaxBufferSize), (ppBuffer)))
#define IWMSBufferAllocator_AllocatePageSizeBuffer(This, dwMaxBufferSize, ppBuffer) \
	((This)->lpVtbl->AllocatePageSizeBuffer((This), (dwMaxBufferSize), (ppBuffer)))

/* A buffer allocator (in Windows the Windows Media Services server object
 * implements IWMSBufferAllocator; here the caller makes one): *ppAllocator
 * with a reference count of 1, its buffers in locked memory of the process.
 * May block. S_OK; E_POINTER (ppAllocator NULL); E_OUTOFMEMORY (*ppAllocator
 * NULL). See IoaCreateBufferAllocator(3). */
IOA_API HRESULT IoaCreateBufferAllocator(IWMSBufferAllocator **ppAllocator);

IOA_END_DECLS

#endif
