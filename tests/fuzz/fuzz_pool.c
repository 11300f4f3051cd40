/* SPDX-License-Identifier: MIT */
/*
 * Pool and buffer operation sequences with owner stamps.
 *
 * The input picks a pool shape (object size, count, magazine size, flags:
 * debug, no cache, growth) and then a sequence of gets, puts, bulk gets and
 * puts, growth and flushes, interleaved with buffer allocations, references,
 * length changes and unrefs on one buffer allocator. The model is the set of
 * objects and buffers held. Every call's result is checked:
 *  - a get returns NULL exactly when every object is held (one thread sees
 *    every free object), a bulk get is all or nothing;
 *  - an object handed out is not held already, lies in the pool, is aligned,
 *    and still carries its owner stamp (its index in the model, written in
 *    every byte at get) when it is put back;
 *  - the free count is exact after every step;
 *  - a buffer's length rules (set_length(max) fine, max + 1 -EINVAL), its
 *    alignment, its reference count along ref/unref, and its stamp.
 * At the end everything is returned and both objects destroy cleanly (0).
 */
#include <errno.h>
#include <ioalloc/buf.h>
#include <ioalloc/pool.h>

#include "fuzz.h"

#define MAX_HELD 600
#define MAX_BUFS 32
#define MAX_OPS 500

struct model {
	ioa_pool_t *p;
	size_t obj, count;
	void *held[MAX_HELD];
	size_t nheld;
	ioa_buf_allocator_t *a;
	ioa_buf_t *buf[MAX_BUFS];
	unsigned refs[MAX_BUFS];
	size_t nbuf;
};

static void stamp(void *o, size_t n, size_t i)
{
	memset(o, (int)(i * 37 + 1), n);
}

static void check_stamp(const void *o, size_t n, size_t i)
{
	const uint8_t *b = o;

	for (size_t k = 0; k < n; k++)
		CHECK(b[k] == (uint8_t)(i * 37 + 1), "object %p byte %zu: stamp of slot %zu lost",
		      o, k, i);
}

static void took(struct model *m, void *o)
{
	CHECK(o, "NULL object");
	CHECK((uintptr_t)o % 16 == 0, "object %p misaligned", o);
	for (size_t i = 0; i < m->nheld; i++)
		CHECK(m->held[i] != o, "object %p handed out twice", o);
	stamp(o, m->obj, m->nheld);
	m->held[m->nheld++] = o;
}

/* Put held object i back (the last one moves into its slot and is
 * re-stamped for it). */
static void give(struct model *m, size_t i)
{
	void *o = m->held[i];

	check_stamp(o, m->obj, i);
	m->held[i] = m->held[--m->nheld];
	if (i < m->nheld)
		stamp(m->held[i], m->obj, i);
	ioa_pool_put(m->p, o);
}

static void op_get(struct model *m)
{
	void *o = ioa_pool_get(m->p);

	if (m->nheld == m->count || m->nheld == MAX_HELD) {
		if (o) /* MAX_HELD reached with objects left: give it back */
			ioa_pool_put(m->p, o);
		CHECK(!o || m->nheld < m->count, "an object beyond the count");
		return;
	}
	CHECK(o, "NULL with %zu of %zu held", m->nheld, m->count);
	took(m, o);
}

static void op_bulk_get(struct model *m, size_t n)
{
	void *objs[80];
	int r = ioa_pool_get_bulk(m->p, objs, n);

	if (m->nheld + n > m->count) {
		CHECK(r == -ENOMEM, "bulk of %zu with %zu free: %d", n, m->count - m->nheld, r);
		return;
	}
	CHECK(r == 0, "bulk of %zu with %zu free: %d", n, m->count - m->nheld, r);
	if (m->nheld + n > MAX_HELD) {
		ioa_pool_put_bulk(m->p, objs, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		took(m, objs[i]);
}

static void op_bulk_put(struct model *m, size_t n)
{
	void *objs[80];

	n = n < m->nheld ? n : m->nheld;
	for (size_t i = 0; i < n; i++) {
		size_t k = m->nheld - 1 - i;

		check_stamp(m->held[k], m->obj, k);
		objs[i] = m->held[k];
	}
	m->nheld -= n;
	ioa_pool_put_bulk(m->p, objs, n);
}

static void setup_pool(struct model *m, struct in *in)
{
	static const size_t sizes[] = {1, 16, 24, 64, 200, 4096};
	struct ioa_pool_config cfg;
	uint8_t shape = take8(in);

	ioa_pool_config_init(&cfg);
	cfg.name = "fuzz";
	cfg.obj_size = m->obj = sizes[shape % 6];
	cfg.count = m->count = 1 + take16(in) % 700;
	cfg.cache = (shape >> 3) % 4 == 0 ? 0 : 1 + take8(in) % 80;
	cfg.flags = (shape & 0x40 ? IOA_POOL_F_DEBUG : 0) | (shape & 0x80 ? IOA_POOL_F_GROW : 0) |
		    ((shape >> 3) % 4 == 3 ? IOA_POOL_F_NO_CACHE : 0);
	if (cfg.flags & IOA_POOL_F_NO_CACHE)
		cfg.cache = 0;
	CHECK(ioa_pool_create(&cfg, &m->p) == 0, "create");
	CHECK(ioa_pool_obj_size(m->p) == m->obj, "obj_size");
}

/* ---- buffers ------------------------------------------------------------------- */

static void buf_alloc(struct model *m, struct in *in)
{
	static const size_t sizes[] = {1, 100, 2048, 4096, 5000, 65536, 1 << 20, (1 << 20) + 1};
	size_t size = sizes[take8(in) % 8];
	unsigned flags = take8(in) % 4;
	ioa_buf_t *b;

	if (m->nbuf == MAX_BUFS)
		return;
	CHECK(ioa_buf_alloc(m->a, size, flags, &b) == 0, "buf alloc %zu", size);
	CHECK(ioa_buf_length(b) == 0 && ioa_buf_max_length(b) == size, "fresh lengths");
	CHECK(ioa_buf_refcount(b) == 1, "fresh refcount");
	if (flags & IOA_BUF_F_PAGE_ALIGNED)
		CHECK((uintptr_t)ioa_buf_data(b) % 4096 == 0, "page alignment");
	if (flags & IOA_BUF_F_ZERO)
		CHECK(((uint8_t *)ioa_buf_data(b))[size - 1] == 0, "zeroed");
	CHECK(ioa_buf_set_length(b, size + 1) == -EINVAL, "max + 1");
	CHECK(ioa_buf_set_length(b, size) == 0 && ioa_buf_length(b) == size, "max");
	stamp(ioa_buf_data(b), size < 256 ? size : 256, m->nbuf + 1000);
	m->refs[m->nbuf] = 1;
	m->buf[m->nbuf++] = b;
}

static void buf_touch(struct model *m, struct in *in)
{
	size_t i, size;
	ioa_buf_t *b;

	if (!m->nbuf)
		return;
	i = take8(in) % m->nbuf;
	b = m->buf[i];
	size = ioa_buf_max_length(b);
	check_stamp(ioa_buf_data(b), size < 256 ? size : 256, i + 1000);
	if (take8(in) % 2 && m->refs[i] < 100) {
		CHECK(ioa_buf_ref(b) == b, "ref");
		m->refs[i]++;
	} else {
		int left = ioa_buf_unref(b);

		CHECK(left == (int)m->refs[i] - 1, "unref left %d, model %u", left, m->refs[i] - 1);
		if (--m->refs[i] == 0) {
			m->buf[i] = m->buf[--m->nbuf];
			m->refs[i] = m->refs[m->nbuf];
			if (i < m->nbuf) {
				size = ioa_buf_max_length(m->buf[i]);
				stamp(ioa_buf_data(m->buf[i]), size < 256 ? size : 256, i + 1000);
			}
		}
	}
	if (m->nbuf && i < m->nbuf)
		CHECK(ioa_buf_refcount(m->buf[i]) == m->refs[i], "refcount");
}

static void step(struct model *m, struct in *in)
{
	uint8_t op = take8(in);

	switch (op % 9) {
	case 0: case 1: op_get(m); break;
	case 2: case 3:
		if (m->nheld)
			give(m, take16(in) % m->nheld);
		break;
	case 4: op_bulk_get(m, 1 + take8(in) % 80); break;
	case 5: op_bulk_put(m, 1 + take8(in) % 80); break;
	case 6:
		if (take8(in) % 8 == 0) {
			size_t more = 1 + take8(in) % 64;
			int r = ioa_pool_grow(m->p, more);

			CHECK(r == 0 || r == -EINVAL || r == -ENOMEM, "grow: %d", r);
			if (r == 0)
				m->count += more;
		} else {
			ioa_pool_thread_flush();
		}
		break;
	case 7: buf_alloc(m, in); break;
	default: buf_touch(m, in); break;
	}
	CHECK(ioa_pool_free_count(m->p) == m->count - m->nheld, "free count %zu, model %zu",
	      ioa_pool_free_count(m->p), m->count - m->nheld);
	CHECK(ioa_pool_count(m->p) == m->count, "count");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model m;
	struct ioa_buf_allocator_config bc;
	struct in in = {data, size};

	memset(&m, 0, sizeof(m));
	setup_pool(&m, &in);
	ioa_buf_allocator_config_init(&bc);
	bc.name = "fuzzbufs";
	bc.class_bytes = 64 << 10;
	bc.max_buffers = 16;
	CHECK(ioa_buf_allocator_create(&bc, &m.a) == 0, "allocator");
	for (int i = 0; i < MAX_OPS && in.n; i++)
		step(&m, &in);
	while (m.nheld)
		give(&m, m.nheld - 1);
	while (m.nbuf) {
		while (m.refs[m.nbuf - 1]--)
			ioa_buf_unref(m.buf[m.nbuf - 1]);
		m.nbuf--;
	}
	CHECK(ioa_pool_free_count(m.p) == m.count, "all back");
	CHECK(ioa_pool_destroy(m.p) == 0, "destroy");
	CHECK(ioa_buf_allocator_destroy(m.a) == 0, "allocator destroy");
	return 0;
}
