/* SPDX-License-Identifier: MIT */
/*
 * Windows Media buffers: INSSBuffer (1-4) and IWMSBufferAllocator over
 * ioa_buf_*.
 *
 * Theory. An allocator owns one native buffer allocator (plain locked memory:
 * a media buffer has no device address) and a pool of INSSBuffer objects.
 * An INSSBuffer object is a pool object whose first member is the interface
 * (the lpVtbl pointer), and which holds a native buffer; its reference count
 * is the native buffer's: AddRef is ioa_buf_ref, Release is ioa_buf_unref,
 * and the unref that frees the native buffer also returns the object and its
 * properties. AllocatePageSizeBuffer is IOA_BUF_F_PAGE_ALIGNED: data on a
 * 4 KiB boundary and whole pages, so O_DIRECT reads may fill them. Once a
 * size class is warm an allocation is three pool gets (header, data,
 * object): no lock, no system call.
 *
 * The wrapper keeps what the native buffer cannot: the maximum length (a
 * 0-byte buffer is allowed here, and is a 1-byte native buffer) and the
 * INSSBuffer3/4 property store (a small array of GUID-named copies, made on
 * the first SetProperty, freed with the buffer); and a copy of the data
 * pointer, which never changes: the first GetBuffer asks the native buffer
 * (so an allocation makes the native calls a native user makes, no more),
 * later ones make no call.
 *
 * Lifetime: the allocator counts its interface references and, apart, the
 * references that keep its memory (one for the interface, one per live
 * buffer): buffers may outlive the allocator's last Release, as COM objects
 * keep their factory alive, and the memory goes with the last of them (one
 * atomic per allocation and per free, no lock).
 *
 * Locking: grow_lock serializes growing the object pool; nothing else locks.
 * A buffer's length and properties are the caller's to serialize, as with
 * any COM object that is not documented thread-safe; AddRef and Release may
 * race.
 *
 * Debug: a Release after the last one is reported to the misuse handler
 * until the object is reused (a debug pool poisons it instead); the native
 * buffer's own checks (IOA_BUF_ALLOCATOR_F_DEBUG is not set here) do the rest.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ioalloc/buf.h>
#include <ioalloc/debug.h>
#include <ioalloc/pool.h>
#include <ioalloc/win/wmsbuffer.h>


/* INSSBuffer objects made at creation: 1,000 buffers in flight need no
 * growth (48 KiB of objects); the pool doubles when it runs dry. */
#define OBJECTS_INITIAL 1024
/* Properties a store makes room for at first (ASF samples carry a few). */
#define PROPS_INITIAL 4

struct wms_allocator {
	IWMSBufferAllocator iface; /* first: the interface pointer is the object */
	_Atomic ULONG refs;        /* interface references (AddRef/Release) */
	_Atomic size_t keep;       /* 1 while refs > 0, + 1 per live buffer */
	ioa_buf_allocator_t *ba;
	ioa_pool_t *objs;          /* struct nss_buffer */
	pthread_mutex_t grow_lock;
};

struct prop {
	GUID id;
	DWORD cb;
	BYTE val[];
};

struct props {
	DWORD n, cap;
	struct prop *item[];       /* in the order first set */
};

struct nss_buffer {
	INSSBuffer4 iface;         /* first: the interface pointer is the object */
	ioa_buf_t *buf;            /* the native buffer; NULL once released */
	BYTE *data;                /* ioa_buf_data(buf) once asked (NULL before): stable */
	struct wms_allocator *owner;
	struct props *props;       /* NULL until the first SetProperty */
	DWORD max;                 /* dwMaxBufferSize */
};

static _Atomic unsigned allocator_seq;

/* ---- properties ------------------------------------------------------------------- */

static __attribute__((noinline)) void props_free(struct props *ps)
{
	if (!ps)
		return;
	for (DWORD i = 0; i < ps->n; i++)
		free(ps->item[i]);
	free(ps);
}

/* Index of id in ps; not there: the count (0 without a store). */
static DWORD props_find(const struct props *ps, const GUID *id)
{
	DWORD i = 0;

	for (; ps && i < ps->n; i++)
		if (IsEqualGUID(&ps->item[i]->id, id))
			return i;
	return i;
}

/* Room for one more property: 0, or -1 out of memory. */
static int props_reserve(struct props **pps)
{
	struct props *ps = *pps;
	DWORD cap = ps ? ps->cap * 2 : PROPS_INITIAL;

	if (ps && ps->n < ps->cap)
		return 0;
	ps = realloc(ps, sizeof(*ps) + cap * sizeof(ps->item[0]));
	if (!ps)
		return -1;
	if (!*pps)
		ps->n = 0;
	ps->cap = cap;
	*pps = ps;
	return 0;
}

/* The value into pv, sized *pcb: the size-query and size-check convention of
 * GetProperty and GetPropertyByIndex. */
static HRESULT prop_copy_out(const struct prop *p, void *pv, DWORD *pcb)
{
	DWORD room = *pcb;

	*pcb = p->cb;
	if (!pv)
		return S_OK; /* the size asked for */
	if (room < p->cb)
		return E_NOT_SUFFICIENT_BUFFER;
	if (p->cb)
		memcpy(pv, p->val, p->cb);
	return S_OK;
}

/* ---- INSSBuffer ------------------------------------------------------------------- */

static struct nss_buffer *nb_of(INSSBuffer4 *This)
{
	return (struct nss_buffer *)This;
}

static void wa_put(struct wms_allocator *a);

static ULONG nb_add_ref(INSSBuffer4 *This)
{
	ioa_buf_t *buf = nb_of(This)->buf;

	ioa_buf_ref(buf);
	return ioa_buf_refcount(buf);
}

static ULONG nb_release(INSSBuffer4 *This)
{
	struct nss_buffer *b = nb_of(This);
	struct wms_allocator *owner = b->owner;
	char obj[40];
	int left;

	if (!b->buf) {
		snprintf(obj, sizeof(obj), "INSSBuffer %p", (void *)This);
		ioa_report_misuse("INSSBuffer::Release", obj, "released after its last reference");
		return 0;
	}
	left = ioa_buf_unref(b->buf);
	if (left)
		return left > 0 ? (ULONG)left : 0; /* < 0: the native layer reported it */
	if (b->props) {
		props_free(b->props);
		b->props = NULL;
	}
	b->buf = NULL;
	ioa_pool_put(owner->objs, b);
	wa_put(owner);
	return 0;
}

static HRESULT nb_query_interface(INSSBuffer4 *This, REFIID riid, void **ppvObject)
{
	if (!ppvObject)
		return E_POINTER;
	*ppvObject = NULL;
	if (!riid)
		return E_INVALIDARG;
	if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_INSSBuffer) ||
	    IsEqualIID(riid, &IID_INSSBuffer2) || IsEqualIID(riid, &IID_INSSBuffer3) ||
	    IsEqualIID(riid, &IID_INSSBuffer4)) {
		nb_add_ref(This);
		*ppvObject = This; /* one object, one vtable: INSSBuffer4's extends the others */
		return S_OK;
	}
	return E_NOINTERFACE;
}

static HRESULT nb_get_length(INSSBuffer4 *This, DWORD *pdwLength)
{
	if (!pdwLength)
		return E_POINTER;
	*pdwLength = (DWORD)ioa_buf_length(nb_of(This)->buf);
	return S_OK;
}

static HRESULT nb_set_length(INSSBuffer4 *This, DWORD dwLength)
{
	struct nss_buffer *b = nb_of(This);

	if (dwLength > b->max) /* equal is fine */
		return E_INVALIDARG;
	ioa_buf_set_length(b->buf, dwLength); /* cannot fail: max <= the native maximum */
	return S_OK;
}

static HRESULT nb_get_max_length(INSSBuffer4 *This, DWORD *pdwLength)
{
	if (!pdwLength)
		return E_POINTER;
	*pdwLength = nb_of(This)->max;
	return S_OK;
}

/* The data pointer, asked of the native buffer once. Two threads asking at
 * once both store the same value (relaxed atomics: no torn pointer). */
static BYTE *nb_data(struct nss_buffer *b)
{
	BYTE *d = __atomic_load_n(&b->data, __ATOMIC_RELAXED);

	if (!d) {
		d = ioa_buf_data(b->buf);
		__atomic_store_n(&b->data, d, __ATOMIC_RELAXED);
	}
	return d;
}

static HRESULT nb_get_buffer(INSSBuffer4 *This, BYTE **ppdwBuffer)
{
	if (!ppdwBuffer)
		return E_POINTER;
	*ppdwBuffer = nb_data(nb_of(This));
	return S_OK;
}

/* The used length, not the maximum (Wine's qasf wrapper gets this wrong). */
static HRESULT nb_get_buffer_and_length(INSSBuffer4 *This, BYTE **ppdwBuffer, DWORD *pdwLength)
{
	struct nss_buffer *b = nb_of(This);

	if (!ppdwBuffer || !pdwLength)
		return E_POINTER;
	*ppdwBuffer = nb_data(b);
	*pdwLength = (DWORD)ioa_buf_length(b->buf);
	return S_OK;
}

/* INSSBuffer2: "neither method is implemented" (the SDK documentation). */
static HRESULT nb_get_sample_properties(INSSBuffer4 *This, DWORD cbProperties, BYTE *pbProperties)
{
	(void)This;
	(void)cbProperties;
	(void)pbProperties;
	return E_NOTIMPL;
}

static HRESULT nb_set_sample_properties(INSSBuffer4 *This, DWORD cbProperties, BYTE *pbProperties)
{
	(void)This;
	(void)cbProperties;
	(void)pbProperties;
	return E_NOTIMPL;
}

/* A copy of the value under guidBufferProperty, replacing an earlier one in
 * place (its index stays). */
static HRESULT nb_set_property(INSSBuffer4 *This, GUID guidBufferProperty, void *pvBufferProperty,
			       DWORD dwBufferPropertySize)
{
	struct nss_buffer *b = nb_of(This);
	DWORD i = props_find(b->props, &guidBufferProperty);
	struct prop *p;
	size_t bytes;

	if (!pvBufferProperty && dwBufferPropertySize)
		return E_POINTER;
	bytes = sizeof(*p) + dwBufferPropertySize;
	if (bytes < dwBufferPropertySize) /* wrapped: 32-bit targets */
		return E_OUTOFMEMORY;
	p = malloc(bytes);
	if (!p)
		return E_OUTOFMEMORY;
	p->id = guidBufferProperty;
	p->cb = dwBufferPropertySize;
	if (dwBufferPropertySize)
		memcpy(p->val, pvBufferProperty, dwBufferPropertySize);
	if (b->props && i < b->props->n) {
		free(b->props->item[i]);
		b->props->item[i] = p;
		return S_OK;
	}
	if (props_reserve(&b->props)) {
		free(p);
		return E_OUTOFMEMORY;
	}
	b->props->item[b->props->n++] = p;
	return S_OK;
}

static HRESULT nb_get_property(INSSBuffer4 *This, GUID guidBufferProperty, void *pvBufferProperty,
			       DWORD *pdwBufferPropertySize)
{
	struct props *ps = nb_of(This)->props;
	DWORD i = props_find(ps, &guidBufferProperty);

	if (!pdwBufferPropertySize)
		return E_POINTER;
	if (!ps || i == ps->n)
		return NS_E_UNSUPPORTED_PROPERTY;
	return prop_copy_out(ps->item[i], pvBufferProperty, pdwBufferPropertySize);
}

static HRESULT nb_get_property_count(INSSBuffer4 *This, DWORD *pcBufferProperties)
{
	struct props *ps = nb_of(This)->props;

	if (!pcBufferProperties)
		return E_POINTER;
	*pcBufferProperties = ps ? ps->n : 0;
	return S_OK;
}

static HRESULT nb_get_property_by_index(INSSBuffer4 *This, DWORD dwBufferPropertyIndex,
					GUID *pguidBufferProperty, void *pvBufferProperty,
					DWORD *pdwBufferPropertySize)
{
	struct props *ps = nb_of(This)->props;

	if (!pguidBufferProperty || !pdwBufferPropertySize)
		return E_POINTER;
	if (!ps || dwBufferPropertyIndex >= ps->n)
		return E_INVALIDARG;
	*pguidBufferProperty = ps->item[dwBufferPropertyIndex]->id;
	return prop_copy_out(ps->item[dwBufferPropertyIndex], pvBufferProperty,
			     pdwBufferPropertySize);
}

static const INSSBuffer4Vtbl nss_buffer_vtbl = {
	.QueryInterface = nb_query_interface,
	.AddRef = nb_add_ref,
	.Release = nb_release,
	.GetLength = nb_get_length,
	.SetLength = nb_set_length,
	.GetMaxLength = nb_get_max_length,
	.GetBuffer = nb_get_buffer,
	.GetBufferAndLength = nb_get_buffer_and_length,
	.GetSampleProperties = nb_get_sample_properties,
	.SetSampleProperties = nb_set_sample_properties,
	.SetProperty = nb_set_property,
	.GetProperty = nb_get_property,
	.GetPropertyCount = nb_get_property_count,
	.GetPropertyByIndex = nb_get_property_by_index,
};

/* ---- IWMSBufferAllocator ----------------------------------------------------------- */

static struct wms_allocator *wa_of(IWMSBufferAllocator *This)
{
	return (struct wms_allocator *)This;
}

/* The last keep reference: every buffer is back, so neither destroy can
 * find one live. */
static void wa_put(struct wms_allocator *a)
{
	if (atomic_fetch_sub_explicit(&a->keep, 1, memory_order_acq_rel) != 1)
		return;
	ioa_pool_destroy(a->objs);
	ioa_buf_allocator_destroy(a->ba);
	pthread_mutex_destroy(&a->grow_lock);
	free(a);
}

static ULONG wa_add_ref(IWMSBufferAllocator *This)
{
	return atomic_fetch_add(&wa_of(This)->refs, 1) + 1;
}

static ULONG wa_release(IWMSBufferAllocator *This)
{
	struct wms_allocator *a = wa_of(This);
	ULONG left = atomic_fetch_sub(&a->refs, 1) - 1;

	if (!left)
		wa_put(a); /* live buffers keep the memory */
	return left;
}

static HRESULT wa_query_interface(IWMSBufferAllocator *This, REFIID riid, void **ppvObject)
{
	if (!ppvObject)
		return E_POINTER;
	*ppvObject = NULL;
	if (!riid)
		return E_INVALIDARG;
	if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IWMSBufferAllocator)) {
		wa_add_ref(This);
		*ppvObject = This;
		return S_OK;
	}
	return E_NOINTERFACE;
}

/* The object pool is dry: grow it (doubling) until an object can be had;
 * NULL when it cannot grow. Out of line, off the fast path. */
static __attribute__((noinline)) struct nss_buffer *object_grow(struct wms_allocator *a)
{
	struct nss_buffer *b = NULL;
	size_t more;
	int r = 0;

	while (!b && !r) {
		pthread_mutex_lock(&a->grow_lock);
		b = ioa_pool_get(a->objs); /* another thread may have grown it */
		if (!b) {
			more = ioa_pool_count(a->objs);
			r = ioa_pool_grow(a->objs, more < IOA_POOL_MAX_COUNT ? more : IOA_POOL_MAX_COUNT);
		}
		pthread_mutex_unlock(&a->grow_lock);
		if (!b && !r)
			b = ioa_pool_get(a->objs);
	}
	return b;
}

/* An INSSBuffer object; NULL when the pool is dry and cannot grow. */
static struct nss_buffer *object_get(struct wms_allocator *a)
{
	struct nss_buffer *b = ioa_pool_get(a->objs);

	return b ? b : object_grow(a);
}

static HRESULT wa_alloc(IWMSBufferAllocator *This, DWORD dwMaxBufferSize, unsigned flags,
			INSSBuffer **ppBuffer)
{
	struct wms_allocator *a = wa_of(This);
	struct nss_buffer *b;
	ioa_buf_t *buf;

	if (!ppBuffer)
		return E_POINTER;
	*ppBuffer = NULL;
	/* The native layer has no 0-byte buffer: 1 byte, of which 0 are offered. */
	if (ioa_buf_alloc(a->ba, dwMaxBufferSize ? dwMaxBufferSize : 1, flags, &buf))
		return E_OUTOFMEMORY; /* -ENOMEM, or -EDQUOT of an account: both out of memory */
	b = object_get(a);
	if (!b) {
		ioa_buf_unref(buf);
		return E_OUTOFMEMORY;
	}
	b->iface.lpVtbl = &nss_buffer_vtbl;
	b->buf = buf;
	b->data = NULL;
	b->owner = a;
	b->props = NULL;
	b->max = dwMaxBufferSize;
	atomic_fetch_add_explicit(&a->keep, 1, memory_order_relaxed);
	*ppBuffer = (INSSBuffer *)(void *)&b->iface;
	return S_OK;
}

static HRESULT wa_allocate_buffer(IWMSBufferAllocator *This, DWORD dwMaxBufferSize,
				  INSSBuffer **ppBuffer)
{
	return wa_alloc(This, dwMaxBufferSize, 0, ppBuffer);
}

/* Page-aligned storage in whole pages: an O_DIRECT read may fill it. */
static HRESULT wa_allocate_page_size_buffer(IWMSBufferAllocator *This, DWORD dwMaxBufferSize,
					    INSSBuffer **ppBuffer)
{
	return wa_alloc(This, dwMaxBufferSize, IOA_BUF_F_PAGE_ALIGNED, ppBuffer);
}

static const IWMSBufferAllocatorVtbl wms_allocator_vtbl = {
	.QueryInterface = wa_query_interface,
	.AddRef = wa_add_ref,
	.Release = wa_release,
	.AllocateBuffer = wa_allocate_buffer,
	.AllocatePageSizeBuffer = wa_allocate_page_size_buffer,
};

static int make_objects(struct wms_allocator *a, const char *name)
{
	struct ioa_pool_config pc;
	char pname[48];

	ioa_pool_config_init(&pc);
	snprintf(pname, sizeof(pname), "%s/objects", name);
	pc.name = pname;
	pc.obj_size = sizeof(struct nss_buffer);
	pc.count = OBJECTS_INITIAL;
	pc.flags = IOA_POOL_F_GROW;
	return ioa_pool_create(&pc, &a->objs);
}

IOA_API HRESULT IoaCreateBufferAllocator(IWMSBufferAllocator **ppAllocator)
{
	struct ioa_buf_allocator_config bc;
	struct wms_allocator *a;
	char name[32];

	if (!ppAllocator)
		return E_POINTER;
	*ppAllocator = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return E_OUTOFMEMORY;
	snprintf(name, sizeof(name), "wmsbuffer.%u", atomic_fetch_add(&allocator_seq, 1) + 1);
	ioa_buf_allocator_config_init(&bc);
	bc.name = name; /* domain NULL: plain locked memory */
	if (ioa_buf_allocator_create(&bc, &a->ba)) {
		free(a);
		return E_OUTOFMEMORY;
	}
	if (make_objects(a, name)) {
		ioa_buf_allocator_destroy(a->ba);
		free(a);
		return E_OUTOFMEMORY;
	}
	pthread_mutex_init(&a->grow_lock, NULL);
	a->iface.lpVtbl = &wms_allocator_vtbl;
	atomic_init(&a->refs, 1);
	atomic_init(&a->keep, 1);
	*ppAllocator = &a->iface;
	return S_OK;
}
