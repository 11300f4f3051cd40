/* SPDX-License-Identifier: MIT */
/*
 * DMA common buffers and channels.
 *
 * Theory. A buffer is one domain allocation of kind "dma": contiguous in bus
 * space, so contiguous in the linear map too, and its virtual address is the
 * linear-map address - no mapping of its own. The constraint is the domain
 * vmem's (align, boundary, window), so every buffer honours it by
 * construction; the allocation asserts it before returning.
 *
 * A channel adds IDmaChannel's state rules: one buffer at a time (-EBUSY),
 * free on an empty channel is harmless, a maximum size fixed at creation, and
 * the device's constraint intersected with each call's. A channel is not
 * thread-safe (like IDmaChannel: callers serialize); buffers may be used from
 * any thread.
 *
 * Debug mode (the domain's IOA_DOMAIN_F_DEBUG). The linear map has no room
 * for guards between allocations, so the buffer's domain allocation (its
 * span) is made larger: a front guard, the buffer, a back guard, each whole
 * domain pages, and the guards are made PROT_NONE in the linear map (put
 * back at free), so an overrun or underrun faults at once. The span is
 * placed so the buffer inside it still honours the constraint:
 *
 *   span = [front guard F][buffer, rounded up to pages][back guard G]
 *   G = the domain page; F = max(G, align): the buffer starts aligned;
 *   boundary B: the span stays inside one B block if it fits in B, else
 *   F = max(F, B) and the buffer starts on a B line (size <= B, so it fits);
 *   window: the span's is the buffer's widened by F below and by the back
 *   padding above, so the buffer lands inside the caller's window.
 *
 * On hugetlb (2 MiB) domains the bytes between the buffer's end and its page
 * end cannot be protected: they are filled with 0xde and checked at free. 1
 * GiB domains get no guards (2 GiB of arena per buffer). A constraint or
 * quota that leaves no room for guards gives an unguarded buffer (warned
 * once), never a failure the non-debug library would not have. Freed buffers
 * are poisoned with 0xdf; handles carry a magic number and a freed one is
 * quarantined, so a double free is reported, not undefined.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ioalloc/dma.h>

#include "domain/domain_impl.h"
#include "debug/debug.h"
#include "core/bits.h"

#define DMA_MAGIC 0x31414d44u  /* "DMA1": a live buffer */
#define CHAN_MAGIC 0x314e4843u /* "CHN1": a live channel */
#define DEAD_MAGIC 0x44414544u /* "DEAD": freed (debug: quarantined) */
#define PAD_BYTE 0xde          /* unprotectable slack after a buffer (mimalloc's padding byte) */
#define FREED_BYTE 0xdf        /* a freed buffer's contents in debug mode (mimalloc's) */

struct ioa_dma_buf {
	uint32_t magic;
	ioa_domain_t *d;
	ioa_account_t *acct;
	uint8_t *va;
	uint64_t bus, alloc_size, buffer_size;
	/* Debug mode: the span around the buffer; span_size 0: no guards. */
	uint64_t span_bus, span_size, guard;
};

struct ioa_dma_channel {
	uint32_t magic;
	ioa_domain_t *d;
	ioa_account_t *acct;
	struct ioa_constraint c;
	uint64_t max_size;
	ioa_dma_buf_t *buf;
};

static const char *dom_obj(const ioa_domain_t *d, char *buf, size_t n)
{
	snprintf(buf, n, "domain '%s'", d->name);
	return buf;
}

static const char *buf_obj(const ioa_dma_buf_t *b, char *buf, size_t n)
{
	snprintf(buf, n, "DMA buffer at bus 0x%llx (%llu bytes) of domain '%s'",
		 (unsigned long long)b->bus, (unsigned long long)b->alloc_size, b->d->name);
	return buf;
}

/* A buffer handle the caller may use; else a misuse report naming call. */
static bool live_buf(const ioa_dma_buf_t *b, const char *call)
{
	char obj[128];

	if (b->magic == DMA_MAGIC)
		return true;
	if (b->magic == DEAD_MAGIC)
		ioa__misuse(call, buf_obj(b, obj, sizeof(obj)), "the buffer was already freed");
	else
		ioa__misuse(call, "DMA buffer", "%p is not a DMA buffer (magic 0x%08x)", (void *)b,
			    b->magic);
	return false;
}

/* ---- guard pages (debug mode) ------------------------------------------------ */

struct span {
	struct ioa_constraint c;  /* for the span */
	uint64_t size, front;     /* span bytes; offset of the buffer in it */
};

/* The span that holds a guarded buffer of alloc bytes under c (see the theory
 * above); false if the sizes overflow. */
static bool guard_span(const struct ioa_constraint *c, uint64_t alloc, uint64_t g, struct span *s)
{
	uint64_t body = ioa_round_up(alloc, g), tail = body - alloc + g;

	if (c)
		s->c = *c;
	else
		ioa_constraint_init(&s->c);
	s->front = s->c.align > g ? s->c.align : g;
	s->size = s->front + body + g;
	if (s->c.boundary && (s->size > s->c.boundary || s->size < body)) {
		s->front = s->front > s->c.boundary ? s->front : s->c.boundary;
		s->size = s->front + body + g;
		s->c.boundary = 0;
	}
	if (body < alloc || s->size < body || s->size - g < body)
		return false;
	s->c.align = s->front;
	s->c.min_addr = s->c.min_addr >= s->front ? s->c.min_addr - s->front : 0;
	s->c.max_addr = s->c.max_addr > UINT64_MAX - tail ? UINT64_MAX : s->c.max_addr + tail;
	return true;
}

/* Say once per process that debug mode could not guard a buffer, and why. */
static void warn_unguarded(const ioa_domain_t *d, uint64_t size, int why)
{
	static atomic_flag warned = ATOMIC_FLAG_INIT;

	if (!atomic_flag_test_and_set(&warned))
		ioa_plat_warn("domain '%s': a %llu-byte DMA buffer has no guard pages (%s); "
			      "further such buffers are not reported", d->name,
			      (unsigned long long)size,
			      why == -ENOTSUP	? "1 GiB pages, or a size near 2^64"
			      : why == -EDQUOT	? "its account has no room for them"
			      : why == -EFAULT ? "mprotect failed: vm.max_map_count?"
						: "its constraint or the arena leaves no room for them");
}

static int protect_guards(ioa_dma_buf_t *b, bool accessible)
{
	uint8_t *span = ioa_domain_virt(b->d, b->span_bus);
	uint8_t *back = b->va + ioa_round_up(b->alloc_size, b->guard);
	int r = ioa_plat_protect(span, (size_t)(b->va - span), accessible);

	if (!r)
		r = ioa_plat_protect(back, b->guard, accessible);
	return r;
}

/* Allocate b's span with guards: 0; or -errno with nothing allocated, and
 * the caller allocates without (-ENOTSUP: no guards on such a domain or
 * size, -EFAULT: mprotect refused). */
static int alloc_guarded(ioa_dma_buf_t *b, const struct ioa_constraint *c)
{
	uint64_t g = ioa_domain_page_size(b->d), slack;
	struct span s;
	int r;

	if (g > IOA_PAGE_2M || !guard_span(c, b->alloc_size, g, &s))
		return -ENOTSUP;
	r = ioa__domain_alloc(b->d, s.size, &s.c, b->acct, IOA_KIND_DMA, &b->span_bus);
	if (r)
		return r;
	b->span_size = s.size;
	b->guard = g;
	b->bus = b->span_bus + s.front;
	b->va = ioa_domain_virt(b->d, b->bus);
	if (protect_guards(b, false)) {
		protect_guards(b, true);
		ioa__domain_free(b->d, b->span_bus, b->span_size, b->acct, IOA_KIND_DMA,
				 "ioa_dma_alloc");
		b->span_size = 0;
		return -EFAULT;
	}
	slack = ioa_round_up(b->alloc_size, g) - b->alloc_size;
	memset(b->va + b->alloc_size, PAD_BYTE, slack);
	return 0;
}

/* At free: the slack after the buffer still holds its pattern, else report. */
static void check_slack(const ioa_dma_buf_t *b)
{
	uint64_t slack = ioa_round_up(b->alloc_size, b->guard) - b->alloc_size;
	char obj[128];

	for (uint64_t i = 0; i < slack; i++) {
		if (b->va[b->alloc_size + i] != PAD_BYTE) {
			ioa__misuse("ioa_dma_free", buf_obj(b, obj, sizeof(obj)),
				    "overrun: byte %llu past the allocated size was written (0x%02x, "
				    "not 0x%02x)", (unsigned long long)i, b->va[b->alloc_size + i],
				    PAD_BYTE);
			return;
		}
	}
}

/* ---- buffers ---------------------------------------------------------------------- */

/* Would the domain take this request? Else -EINVAL (and in debug mode a
 * report naming what is wrong). */
static int check_request(ioa_domain_t *d, uint64_t size, const struct ioa_constraint *c,
			 const char *call)
{
	struct ioa_constraint cc;
	uint64_t sz = ioa_round_up(size, IOA_PAGE_4K);
	char obj[64];
	int r = sz < size ? -EINVAL : ioa__domain_window(d, c, &cc);

	if (!r)
		r = ioa__vmem_validate(d->vm, sz, 0, &cc);
	if (r && ioa__domain_debug(d))
		ioa__debug_bad_request(call, dom_obj(d, obj, sizeof(obj)), size, c, d->bus_min,
				       d->bus_last);
	return r;
}

IOA_API int ioa_dma_alloc(ioa_domain_t *d, uint64_t size, const struct ioa_constraint *c,
			  ioa_account_t *acct, unsigned flags, ioa_dma_buf_t **out)
{
	ioa_dma_buf_t *b;
	int r;

	IOA_NOTE_SITE();
	if (!d || !out || !size || (flags & ~IOA_DMA_F_VALID) ||
	    check_request(d, size, c, "ioa_dma_alloc"))
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->d = d;
	b->acct = acct;
	b->alloc_size = ioa_round_up(size, IOA_PAGE_4K);
	r = ioa__domain_debug(d) ? alloc_guarded(b, c) : -ENOTSUP;
	if (r) {
		int why = r;

		r = ioa__domain_alloc(d, size, c, acct, IOA_KIND_DMA, &b->bus);
		if (r) {
			free(b);
			return r;
		}
		b->va = ioa_domain_virt(d, b->bus);
		if (ioa__domain_debug(d))
			warn_unguarded(d, b->alloc_size, why);
	}
	assert(!c || ioa_constraint_fits(c, b->bus, b->alloc_size));
	b->magic = DMA_MAGIC;
	b->buffer_size = size;
	if (flags & IOA_DMA_F_ZERO)
		memset(b->va, 0, b->alloc_size);
	*out = b;
	return 0;
}

static int free_guarded(ioa_dma_buf_t *b)
{
	check_slack(b);
	if (protect_guards(b, true))
		return -EINVAL; /* cannot happen: the span is mapped and ours */
	memset(b->va, FREED_BYTE, b->alloc_size);
	return ioa__domain_free(b->d, b->span_bus, b->span_size, b->acct, IOA_KIND_DMA,
				"ioa_dma_free");
}

IOA_API int ioa_dma_free(ioa_dma_buf_t *b)
{
	bool debug;
	int r;

	if (!b)
		return 0;
	if (!live_buf(b, "ioa_dma_free"))
		return -EINVAL;
	debug = ioa__domain_debug(b->d);
	if (b->span_size) {
		r = free_guarded(b);
	} else {
		if (debug)
			memset(b->va, FREED_BYTE, b->alloc_size);
		r = ioa__domain_free(b->d, b->bus, b->alloc_size, b->acct, IOA_KIND_DMA,
				     "ioa_dma_free");
	}
	if (r)
		return r;
	b->magic = DEAD_MAGIC;
	if (debug)
		ioa__quarantine(b);
	else
		free(b);
	return 0;
}

IOA_API void *ioa_dma_va(const ioa_dma_buf_t *b)
{
	return b ? b->va : NULL;
}

IOA_API uint64_t ioa_dma_bus(const ioa_dma_buf_t *b)
{
	return b ? b->bus : 0;
}

IOA_API uint64_t ioa_dma_allocated_size(const ioa_dma_buf_t *b)
{
	return b ? b->alloc_size : 0;
}

IOA_API uint64_t ioa_dma_buffer_size(const ioa_dma_buf_t *b)
{
	return b ? b->buffer_size : 0;
}

IOA_API int ioa_dma_set_buffer_size(ioa_dma_buf_t *b, uint64_t size)
{
	char obj[128];

	if (!b || !live_buf(b, "ioa_dma_set_buffer_size"))
		return -EINVAL;
	if (!size || size > b->alloc_size) {
		if (ioa__domain_debug(b->d))
			ioa__misuse("ioa_dma_set_buffer_size", buf_obj(b, obj, sizeof(obj)),
				    "buffer size %llu is outside 1..%llu, the allocated size",
				    (unsigned long long)size, (unsigned long long)b->alloc_size);
		return -EINVAL;
	}
	b->buffer_size = size;
	return 0;
}

/* [off, off + len) inside b; else -EINVAL, reported in debug mode (the Linux
 * DMA-API debug's "syncs DMA memory outside allocated range"). */
static int sync_range(const ioa_dma_buf_t *b, uint64_t off, uint64_t len, const char *call)
{
	char obj[128];

	if (!b || !live_buf(b, call))
		return -EINVAL;
	if (off <= b->alloc_size && len <= b->alloc_size - off)
		return 0;
	if (ioa__domain_debug(b->d))
		ioa__misuse(call, buf_obj(b, obj, sizeof(obj)), "syncs [%llu, +%llu) outside the "
			    "allocated %llu bytes", (unsigned long long)off, (unsigned long long)len,
			    (unsigned long long)b->alloc_size);
	return -EINVAL;
}

IOA_API int ioa_dma_sync_for_device(ioa_dma_buf_t *b, uint64_t off, uint64_t len)
{
	if (sync_range(b, off, len, "ioa_dma_sync_for_device"))
		return -EINVAL;
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_sfence(); /* drains non-temporal and write-combining stores too */
#else
	atomic_thread_fence(memory_order_seq_cst);
#endif
	return 0;
}

IOA_API int ioa_dma_sync_for_cpu(ioa_dma_buf_t *b, uint64_t off, uint64_t len)
{
	if (sync_range(b, off, len, "ioa_dma_sync_for_cpu"))
		return -EINVAL;
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_mfence(); /* no load passes it: device data is read after */
#else
	atomic_thread_fence(memory_order_seq_cst);
#endif
	return 0;
}

/* ---- channels ------------------------------------------------------------- */

static const char *chan_obj(const ioa_dma_channel_t *ch, char *buf, size_t n)
{
	snprintf(buf, n, "DMA channel %p of domain '%s'", (const void *)ch, ch->d->name);
	return buf;
}

/* A channel the caller may use; else a misuse report naming call. */
static bool live_chan(const ioa_dma_channel_t *ch, const char *call)
{
	char obj[128];

	if (ch->magic == CHAN_MAGIC)
		return true;
	if (ch->magic == DEAD_MAGIC)
		ioa__misuse(call, chan_obj(ch, obj, sizeof(obj)), "the channel was already destroyed");
	else
		ioa__misuse(call, "DMA channel", "%p is not a DMA channel (magic 0x%08x)",
			    (const void *)ch, ch->magic);
	return false;
}

IOA_API int ioa_dma_channel_create(ioa_domain_t *d, const struct ioa_constraint *c,
				   uint64_t max_size, ioa_account_t *acct,
				   ioa_dma_channel_t **out)
{
	ioa_dma_channel_t *ch;
	char obj[64];

	if (!d || !out)
		return -EINVAL;
	if (c && ioa_constraint_check(c)) {
		if (ioa__domain_debug(d))
			ioa__debug_bad_request("ioa_dma_channel_create", dom_obj(d, obj, sizeof(obj)),
					       4096, c, d->bus_min, d->bus_last);
		return -EINVAL;
	}
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return -ENOMEM;
	ch->magic = CHAN_MAGIC;
	ch->d = d;
	ch->acct = acct;
	ch->max_size = max_size ? max_size : UINT64_MAX;
	if (c)
		ch->c = *c;
	else
		ioa_constraint_init(&ch->c);
	*out = ch;
	return 0;
}

IOA_API int ioa_dma_channel_destroy(ioa_dma_channel_t *ch)
{
	int r;

	if (!ch)
		return 0;
	if (!live_chan(ch, "ioa_dma_channel_destroy"))
		return -EINVAL;
	r = ioa_dma_channel_free(ch);
	if (r)
		return r;
	ch->magic = DEAD_MAGIC;
	if (ioa__domain_debug(ch->d))
		ioa__quarantine(ch);
	else
		free(ch);
	return 0;
}

/* Debug mode: a refused channel allocation is reported too. Returns r. */
static int chan_refuse(const ioa_dma_channel_t *ch, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int chan_refuse(const ioa_dma_channel_t *ch, int r, const char *fmt, ...)
{
	char obj[128], msg[200];
	va_list ap;

	if (ioa__domain_debug(ch->d)) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		ioa__misuse("ioa_dma_channel_alloc", chan_obj(ch, obj, sizeof(obj)), "%s", msg);
	}
	return r;
}

IOA_API int ioa_dma_channel_alloc(ioa_dma_channel_t *ch, uint64_t size,
				  const struct ioa_constraint *extra)
{
	struct ioa_constraint c;

	IOA_NOTE_SITE();
	if (!ch || !size || !live_chan(ch, "ioa_dma_channel_alloc"))
		return -EINVAL;
	if (ch->buf) /* once per channel unless freed, whatever the size */
		return chan_refuse(ch, -EBUSY, "allocates %llu bytes while its buffer of %llu bytes "
				   "is still allocated (free it first)", (unsigned long long)size,
				   (unsigned long long)ch->buf->alloc_size);
	if (size > ch->max_size)
		return chan_refuse(ch, -EINVAL, "allocates %llu bytes, above the channel's maximum "
				   "%llu", (unsigned long long)size, (unsigned long long)ch->max_size);
	if (extra && ioa_constraint_intersect(&ch->c, extra, &c))
		return chan_refuse(ch, -EINVAL, "the call's constraint is malformed or its window "
				   "misses the channel's [0x%llx, 0x%llx]",
				   (unsigned long long)ch->c.min_addr,
				   (unsigned long long)ch->c.max_addr);
	return ioa_dma_alloc(ch->d, size, extra ? &c : &ch->c, ch->acct, 0, &ch->buf);
}

IOA_API int ioa_dma_channel_free(ioa_dma_channel_t *ch)
{
	int r;

	if (!ch || !live_chan(ch, "ioa_dma_channel_free"))
		return -EINVAL;
	r = ioa_dma_free(ch->buf);
	if (!r)
		ch->buf = NULL;
	return r;
}

IOA_API ioa_dma_buf_t *ioa_dma_channel_buffer(const ioa_dma_channel_t *ch)
{
	return ch ? ch->buf : NULL;
}

IOA_API uint64_t ioa_dma_channel_max_size(const ioa_dma_channel_t *ch)
{
	return ch ? ch->max_size : 0;
}

IOA_API int ioa_dma_channel_constraint(const ioa_dma_channel_t *ch, struct ioa_constraint *c)
{
	if (!ch || !c)
		return -EINVAL;
	*c = ch->c;
	return 0;
}
