/* SPDX-License-Identifier: MIT */
/*
 * The benchmark harness (see harness.h).
 *
 * Timing. Each sample is one clock_gettime(CLOCK_MONOTONIC) pair around one
 * operation (or a batch of very fast ones). rdtscp would not do better: on
 * the 2-vCPU KVM guest this was written on, clock_gettime is the vDSO's tsc
 * read (22 ns per call against 19 ns per rdtscp), and the guest's TSC itself
 * advances in steps of 26 cycles at 2.6 GHz, so both clocks see 10 ns steps.
 * clock_gettime needs no calibration and is portable beyond x86. The harness
 * measures what it costs at the start - the median of timing an empty
 * operation through the very same loop and indirect call - subtracts that
 * from every sample, and prints it with the clock's apparent step, so a
 * reader can judge figures close to them. A pair of about 50 ns is thus
 * read to within one step; means (in the JSON and --detail) average the
 * steps out.
 *
 * Statistics: samples are sorted; percentiles are nearest-rank (p99 of n
 * samples is the ceil(0.99 n)-th smallest). Warm-up calls run before the
 * samples (caches, branch predictors, the allocator's own free lists) and are
 * not recorded.
 *
 * Pinning: the run pins itself to one CPU (sched_setaffinity), by default
 * the last one it may use, so samples do not include migrations.
 */
#include "harness.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* 20,000 empty samples take about half a millisecond and give a stable median. */
#define CALIBRATION_SAMPLES 20000
/* Warm-up: a tenth of a cell's samples, at most 1,000 calls or a tenth of its time. */
#define WARM_MAX 1000
#define TEXT_MAX 256

enum cell_state { CELL_OK, CELL_SKIPPED, CELL_FAILED };

struct cell {
	int table;
	char case_name[64], impl[32];
	enum cell_state state;
	char why[TEXT_MAX];
	struct bench_stats st;
};

struct table {
	char group[32], title[TEXT_MAX], baseline[32];
};

struct metric {
	char name[64], unit[16];
	double value;
};

struct target {
	char what[TEXT_MAX];
	double measured, limit;
	bool reference;
};

struct bench {
	char name[32];
	struct bench_opts o;
	int cpu;
	double overhead_ns;       /* median time of an empty sample: subtracted */
	double empty_p99_ns;      /* p99 of an empty sample */
	double step_ns;           /* the clock's apparent step */
	/* machine */
	long nproc;
	char cpu_model[128], kernel[160], clocksource[32];
	double load[3];          /* load averages at the start */
	/* the report */
	struct cell *cells;
	size_t ncells, cells_cap;
	struct table *tables;
	size_t ntables, tables_cap;
	char (*notes)[TEXT_MAX];
	size_t nnotes, notes_cap;
	struct metric *metrics;
	size_t nmetrics, metrics_cap;
	struct target *targets;
	size_t ntargets, targets_cap;
	/* sample buffer, reused by every cell */
	double *samples;
	size_t samples_cap;
	bool failed;
};

/* Grow an array of elem-sized items to hold one more; NULL on out-of-memory. */
static void *grow(void *arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(arr, ncap * elem);
	if (!p) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	*cap = ncap;
	return p;
}

/* ---- options ----------------------------------------------------------------- */

static void usage(FILE *f, const char *name)
{
	fprintf(f,
		"Usage: bench_%s [--json] [--json-file PATH] [--quick] [--selftest] [--detail]\n"
		"       [--cpu N]\n"
		"\n"
		"  --json            one JSON document on stdout instead of tables\n"
		"  --json-file PATH  also write the JSON document to PATH\n"
		"  --quick           fewer samples per cell (a few seconds in all)\n"
		"  --selftest        a few hundred checked operations per cell; exit 1 on any\n"
		"                    violation (no timing is asserted)\n"
		"  --detail          also list p99.9, max and mean for every cell\n"
		"  --cpu N           pin to CPU N (default: the last allowed CPU)\n",
		name);
}

int bench_parse_args(int argc, char **argv, const char *name, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},     {"json-file", required_argument, NULL, 'f'},
		{"quick", no_argument, NULL, 'q'},    {"selftest", no_argument, NULL, 's'},
		{"detail", no_argument, NULL, 'd'},   {"cpu", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct bench_opts){.cpu = -1};
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': o->json = true; break;
		case 'f': o->json_file = optarg; break;
		case 'q': o->quick = true; break;
		case 's': o->selftest = true; break;
		case 'd': o->detail = true; break;
		case 'c': o->cpu = atoi(optarg); break;
		case 'h': usage(stdout, name); return 1;
		default:
			fprintf(stderr, "bench_%s: unknown option '%s'\n", name, argv[optind - 1]);
			usage(stderr, name);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bench_%s: unexpected argument '%s'\n", name, argv[optind]);
		usage(stderr, name);
		return -1;
	}
	return 0;
}

/* ---- machine description and pinning -------------------------------------------- */

static void read_first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static void read_cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[512];

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) != 0 || !colon)
			continue;
		colon += 1 + strspn(colon + 1, " \t");
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(buf, len, "%s", colon);
		break;
	}
	fclose(f);
}

static void read_machine(struct bench *b)
{
	struct utsname u;
	char load[128];

	b->nproc = sysconf(_SC_NPROCESSORS_ONLN);
	read_cpu_model(b->cpu_model, sizeof(b->cpu_model));
	if (uname(&u) == 0)
		snprintf(b->kernel, sizeof(b->kernel), "%s %s", u.sysname, u.release);
	read_first_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
			b->clocksource, sizeof(b->clocksource));
	read_first_line("/proc/loadavg", load, sizeof(load));
	if (sscanf(load, "%lf %lf %lf", &b->load[0], &b->load[1], &b->load[2]) != 3)
		b->load[0] = b->load[1] = b->load[2] = -1;
}

static int last_allowed_cpu(void)
{
	cpu_set_t set;
	int last = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			last = i;
	return last;
}

int bench_pin(struct bench *b)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(b->cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

int bench_cpu(const struct bench *b)
{
	return b->cpu;
}

/* ---- timing -------------------------------------------------------------------- */

static int noop_run(void *arg)
{
	(void)arg;
	return 0;
}

static double *sample_buffer(struct bench *b, size_t n)
{
	if (n > b->samples_cap) {
		free(b->samples);
		b->samples = malloc(n * sizeof(double));
		if (!b->samples) {
			fprintf(stderr, "bench: out of memory\n");
			exit(1);
		}
		b->samples_cap = n;
	}
	return b->samples;
}

/* One sample: prep, time batch runs, check. 0, or -1 with the reason in op->why.
 * A split operation (op->run2) times run, calls mid untimed, then times run2:
 * *ns is the sum of the two parts. */
static int one_sample(const struct bench_op *op, size_t batch, uint64_t *ns)
{
	uint64_t t0, t1, t2 = 0, t3 = 0;
	int r = 0;

	if (op->prep && op->prep(op->arg))
		return -1;
	t0 = bench_now_ns();
	for (size_t k = 0; k < batch; k++)
		r |= op->run(op->arg);
	t1 = bench_now_ns();
	if (r)
		return -1;
	if (op->run2) {
		if (op->mid && op->mid(op->arg))
			return -1;
		t2 = bench_now_ns();
		r = op->run2(op->arg);
		t3 = bench_now_ns();
		if (r)
			return -1;
	}
	if (op->check && op->check(op->arg))
		return -1;
	*ns = (t1 - t0) + (t3 - t2);
	return 0;
}

/* Warm up, then fill samples (ns per call, overhead subtracted). 0 or -1. */
static int sample_loop(struct bench *b, const struct bench_op *op, size_t batch, size_t per,
		       const struct bench_budget *bud, double *out, size_t *n)
{
	size_t warm = bud->max_ops / 10 < WARM_MAX ? bud->max_ops / 10 : WARM_MAX;
	uint64_t start = bench_now_ns(), ns;

	for (size_t i = 0; i < warm && bench_now_ns() - start < bud->budget_ns / 10; i++)
		if (one_sample(op, batch, &ns))
			return -1;
	start = bench_now_ns();
	for (*n = 0; *n < bud->max_ops;) {
		double v;

		if (one_sample(op, batch, &ns))
			return -1;
		v = ((double)ns - b->overhead_ns * (op->run2 ? 2 : 1)) / (double)(batch * per);
		out[(*n)++] = v > 0 ? v : 0;
		if (*n >= bud->min_ops && bench_now_ns() - start >= bud->budget_ns)
			break;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest rank: the ceil(q n)-th smallest of n sorted samples. */
static double rank(const double *s, size_t n, double q)
{
	size_t k = (size_t)ceil(q * (double)n);

	return s[k ? k - 1 : 0];
}

static void compute_stats(double *s, size_t n, struct bench_stats *st)
{
	double sum = 0;

	qsort(s, n, sizeof(*s), cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += s[i];
	st->ops = n;
	st->p50 = rank(s, n, 0.50);
	st->p99 = rank(s, n, 0.99);
	st->p999 = rank(s, n, 0.999);
	st->max = s[n - 1];
	st->mean = sum / (double)n;
}

/* The two most frequent values of sorted s, apart: the clock's step as the
 * samples see it (20 and 30 ns readings mean 10 ns steps). */
static double step_of(const double *s, size_t n)
{
	double best[2] = {0, 0};
	size_t cnt[2] = {0, 0};

	for (size_t i = 0, j; i < n; i = j) {
		for (j = i; j < n && s[j] == s[i]; j++)
			;
		if (j - i > cnt[0]) {
			best[1] = best[0], cnt[1] = cnt[0];
			best[0] = s[i], cnt[0] = j - i;
		} else if (j - i > cnt[1]) {
			best[1] = s[i], cnt[1] = j - i;
		}
	}
	return cnt[1] ? fabs(best[0] - best[1]) : 0;
}

static void calibrate(struct bench *b)
{
	struct bench_op op = {.run = noop_run};
	double *s = sample_buffer(b, CALIBRATION_SAMPLES);
	uint64_t ns;

	for (size_t i = 0; i < CALIBRATION_SAMPLES; i++) {
		one_sample(&op, 1, &ns);
		s[i] = (double)ns;
	}
	qsort(s, CALIBRATION_SAMPLES, sizeof(*s), cmp_double);
	b->overhead_ns = rank(s, CALIBRATION_SAMPLES, 0.5);
	b->empty_p99_ns = rank(s, CALIBRATION_SAMPLES, 0.99);
	b->step_ns = step_of(s, CALIBRATION_SAMPLES);
}

/* ---- cells ---------------------------------------------------------------------- */

static struct cell *new_cell(struct bench *b, const char *case_name, const char *impl)
{
	struct cell *c;

	b->cells = grow(b->cells, &b->cells_cap, b->ncells, sizeof(*b->cells));
	c = &b->cells[b->ncells++];
	memset(c, 0, sizeof(*c));
	c->table = (int)b->ntables - 1;
	snprintf(c->case_name, sizeof(c->case_name), "%s", case_name);
	snprintf(c->impl, sizeof(c->impl), "%s", impl);
	return c;
}

static int measure(struct bench *b, const char *case_name, const char *impl,
		   const struct bench_op *op, size_t batch, size_t per, const struct bench_budget *bud)
{
	struct cell *c = new_cell(b, case_name, impl);
	double *s = sample_buffer(b, bud->max_ops ? bud->max_ops : 1);
	size_t n = 0;

	if (op->why && op->why_len)
		op->why[0] = '\0';
	if (op->run2 && batch > 1) {
		c->state = CELL_FAILED;
		snprintf(c->why, sizeof(c->why), "a split operation (run2) cannot be batched");
		bench_fail(b, "%s / %s: %s", case_name, impl, c->why);
		return -1;
	}
	if (sample_loop(b, op, batch ? batch : 1, per ? per : 1, bud, s, &n) || n == 0) {
		c->state = CELL_FAILED;
		snprintf(c->why, sizeof(c->why), "%s", op->why && op->why[0] ? op->why : "failed");
		bench_fail(b, "%s / %s: %s", case_name, impl, c->why);
		return -1;
	}
	compute_stats(s, n, &c->st);
	return 0;
}

int bench_measure_batch(struct bench *b, const char *case_name, const char *impl,
			const struct bench_op *op, size_t batch, const struct bench_budget *bud)
{
	return measure(b, case_name, impl, op, batch, 1, bud);
}

int bench_measure_per(struct bench *b, const char *case_name, const char *impl,
		      const struct bench_op *op, size_t per_call, const struct bench_budget *bud)
{
	if (op->run2) {
		bench_fail(b, "%s / %s: a split operation (run2) cannot loop", case_name, impl);
		return -1;
	}
	return measure(b, case_name, impl, op, 1, per_call, bud);
}

int bench_measure(struct bench *b, const char *case_name, const char *impl,
		  const struct bench_op *op, const struct bench_budget *bud)
{
	return bench_measure_batch(b, case_name, impl, op, 1, bud);
}

void bench_skip(struct bench *b, const char *case_name, const char *impl, const char *why)
{
	struct cell *c = new_cell(b, case_name, impl);

	c->state = CELL_SKIPPED;
	snprintf(c->why, sizeof(c->why), "%s", why);
}

struct bench_budget bench_budget_for(const struct bench_opts *o, struct bench_budget quick,
				     struct bench_budget full)
{
	if (o->selftest)
		return (struct bench_budget){300, 300, 0};
	return o->quick ? quick : full;
}

void bench_unavailable(struct bench *b, const char *case_name, const char *impl,
		       const char *why)
{
	char msg[TEXT_MAX];

	snprintf(msg, sizeof(msg), "unavailable: %s", why);
	bench_skip(b, case_name, impl, msg);
}

void *bench_zalloc_line(struct bench *b, size_t size)
{
	void *p = aligned_alloc(64, (size + 63) & ~(size_t)63);

	if (!p) {
		bench_fail(b, "out of memory");
		return NULL;
	}
	memset(p, 0, size);
	return p;
}

static const struct cell *find_cell(const struct bench *b, int table, const char *case_name,
				    const char *impl)
{
	for (size_t i = 0; i < b->ncells; i++) {
		const struct cell *c = &b->cells[i];

		if ((table < 0 || c->table == table) && strcmp(c->case_name, case_name) == 0 &&
		    strcmp(c->impl, impl) == 0)
			return c;
	}
	return NULL;
}

const struct bench_stats *bench_get(const struct bench *b, const char *case_name,
				    const char *impl)
{
	const struct cell *c = find_cell(b, -1, case_name, impl);

	return c && c->state == CELL_OK ? &c->st : NULL;
}

/* ---- notes, metrics, targets, tables ------------------------------------------------ */

void bench_table(struct bench *b, const char *group, const char *title, const char *baseline)
{
	struct table *t;

	b->tables = grow(b->tables, &b->tables_cap, b->ntables, sizeof(*b->tables));
	t = &b->tables[b->ntables++];
	snprintf(t->group, sizeof(t->group), "%s", group);
	snprintf(t->title, sizeof(t->title), "%s", title);
	snprintf(t->baseline, sizeof(t->baseline), "%s", baseline ? baseline : "");
}

static void add_note(struct bench *b, const char *fmt, va_list ap)
{
	b->notes = grow(b->notes, &b->notes_cap, b->nnotes, sizeof(*b->notes));
	vsnprintf(b->notes[b->nnotes++], TEXT_MAX, fmt, ap);
}

void bench_note(struct bench *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_note(b, fmt, ap);
	va_end(ap);
}

void bench_fail(struct bench *b, const char *fmt, ...)
{
	char msg[TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "bench_%s: FAILED: %s\n", b->name, msg);
	bench_note(b, "FAILED: %s", msg);
	b->failed = true;
}

void bench_metric(struct bench *b, const char *name, double value, const char *unit)
{
	struct metric *m;

	b->metrics = grow(b->metrics, &b->metrics_cap, b->nmetrics, sizeof(*b->metrics));
	m = &b->metrics[b->nmetrics++];
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->unit, sizeof(m->unit), "%s", unit);
	m->value = value;
}

void bench_target(struct bench *b, const char *what, double measured_ns, double limit_ns,
		  bool reference)
{
	struct target *t;

	b->targets = grow(b->targets, &b->targets_cap, b->ntargets, sizeof(*b->targets));
	t = &b->targets[b->ntargets++];
	snprintf(t->what, sizeof(t->what), "%s", what);
	t->measured = measured_ns;
	t->limit = limit_ns;
	t->reference = reference;
}

static const char *verdict(const struct target *t)
{
	if (t->reference)
		return "REF";
	return t->measured <= t->limit ? "PASS" : "MISS";
}

/* ---- begin / end ---------------------------------------------------------------- */

struct bench *bench_begin(const char *name, const struct bench_opts *o)
{
	struct bench *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return NULL;
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->o = *o;
	b->cpu = o->cpu >= 0 ? o->cpu : last_allowed_cpu();
	r = bench_pin(b);
	if (r) {
		fprintf(stderr, "bench_%s: cannot pin to CPU %d: %s\n", name, b->cpu, strerror(-r));
		free(b);
		return NULL;
	}
	read_machine(b);
	calibrate(b);
	return b;
}

/* ---- the report: tables ------------------------------------------------------------ */

#define CASE_W 30
#define COL_W 8

/* The distinct implementations (want_impl) or cases of table t, in
 * first-seen order; returns how many. */
static size_t table_keys(const struct bench *b, int t, bool want_impl, const char **keys,
			 size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < b->ncells; i++) {
		const char *key = want_impl ? b->cells[i].impl : b->cells[i].case_name;
		size_t k = 0;

		if (b->cells[i].table != t)
			continue;
		while (k < n && strcmp(keys[k], key) != 0)
			k++;
		if (k == n && n < max)
			keys[n++] = key;
	}
	return n;
}

static size_t table_impls(const struct bench *b, int t, const char **impls, size_t max)
{
	return table_keys(b, t, true, impls, max);
}

static size_t table_cases(const struct bench *b, int t, const char **cases, size_t max)
{
	return table_keys(b, t, false, cases, max);
}

static const char *fmt_ns(double v, char *buf, size_t len)
{
	snprintf(buf, len, v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v);
	return buf;
}

static void print_pair(const struct cell *c)
{
	char x[32], y[32];

	if (!c)
		printf("  %*s %*s", COL_W, "-", COL_W, "-");
	else if (c->state == CELL_OK)
		printf("  %*s %*s", COL_W, fmt_ns(c->st.p50, x, sizeof(x)), COL_W,
		       fmt_ns(c->st.p99, y, sizeof(y)));
	else
		printf("  %*s", 2 * COL_W + 1, c->state == CELL_SKIPPED ? "unavailable" : "FAILED");
}

/* peer / base for p50 and p99, if both cells were measured. */
static bool ratio_of(const struct cell *peer, const struct cell *base, double *r50, double *r99)
{
	if (!peer || !base || peer->state != CELL_OK || base->state != CELL_OK ||
	    base->st.p50 <= 0 || base->st.p99 <= 0)
		return false;
	*r50 = peer->st.p50 / base->st.p50;
	*r99 = peer->st.p99 / base->st.p99;
	return true;
}

static const char *fmt_ratio(double r, char *buf, size_t len)
{
	snprintf(buf, len, r < 100 ? "%.2fx" : "%.0fx", r);
	return buf;
}

static void print_ratio(const struct cell *peer, const struct cell *base)
{
	char x[32], y[32];
	double r50, r99;

	if (!ratio_of(peer, base, &r50, &r99))
		printf("  %*s %*s", COL_W, "-", COL_W, "-");
	else
		printf("  %*s %*s", COL_W, fmt_ratio(r50, x, sizeof(x)), COL_W,
		       fmt_ratio(r99, y, sizeof(y)));
}

static void print_header(const struct table *tb, const char **impls, size_t ni)
{
	printf("%-*s", CASE_W, "");
	for (size_t k = 0; k < ni; k++)
		printf("  %-*s", 2 * COL_W + 1, impls[k]);
	for (size_t k = 0; k < ni; k++)
		if (strcmp(impls[k], tb->baseline) != 0 && tb->baseline[0])
			printf("  %-*.*s", 2 * COL_W + 1, 2 * COL_W + 1, impls[k]);
	printf("\n%-*s", CASE_W, "case (ns per operation)");
	for (size_t k = 0; k < ni; k++)
		printf("  %*s %*s", COL_W, "p50", COL_W, "p99");
	for (size_t k = 0; k < ni; k++)
		if (strcmp(impls[k], tb->baseline) != 0 && tb->baseline[0])
			printf("  %*s %*s", COL_W, "p50 x", COL_W, "p99 x");
	putchar('\n');
}

static void print_table(const struct bench *b, int t)
{
	const struct table *tb = &b->tables[t];
	const char *impls[16], *cases[256];
	size_t ni = table_impls(b, t, impls, 16), nc = table_cases(b, t, cases, 256);

	printf("\n%s\n", tb->title);
	if (tb->baseline[0])
		printf("(ratio columns: implementation / %s, same run; > 1 means %s is faster)\n",
		       tb->baseline, tb->baseline);
	print_header(tb, impls, ni);
	for (size_t i = 0; i < nc; i++) {
		const struct cell *base = find_cell(b, t, cases[i], tb->baseline);

		printf("%-*s", CASE_W, cases[i]);
		for (size_t k = 0; k < ni; k++)
			print_pair(find_cell(b, t, cases[i], impls[k]));
		for (size_t k = 0; k < ni; k++)
			if (strcmp(impls[k], tb->baseline) != 0 && tb->baseline[0])
				print_ratio(find_cell(b, t, cases[i], impls[k]), base);
		putchar('\n');
	}
}

static void print_detail(const struct bench *b, int t)
{
	char v[5][32];

	printf("\n%s: every cell (ns)\n", b->tables[t].title);
	printf("%-*s  %-16s %8s %9s %9s %9s %9s %9s\n", CASE_W, "case", "impl", "ops", "p50",
	       "p99", "p99.9", "max", "mean");
	for (size_t i = 0; i < b->ncells; i++) {
		const struct cell *c = &b->cells[i];

		if (c->table != t || c->state != CELL_OK)
			continue;
		printf("%-*s  %-16s %8zu %9s %9s %9s %9s %9s\n", CASE_W, c->case_name, c->impl,
		       c->st.ops, fmt_ns(c->st.p50, v[0], 32), fmt_ns(c->st.p99, v[1], 32),
		       fmt_ns(c->st.p999, v[2], 32), fmt_ns(c->st.max, v[3], 32),
		       fmt_ns(c->st.mean, v[4], 32));
	}
}

static void print_targets(const struct bench *b)
{
	char x[32], y[32];

	if (b->ntargets)
		printf("\nTargets:\n");
	for (size_t i = 0; i < b->ntargets; i++) {
		const struct target *t = &b->targets[i];

		printf("  [%-4s] %s: %s ns %s %s ns\n", verdict(t), t->what,
		       fmt_ns(t->measured, x, sizeof(x)),
		       t->reference ? "measured; published reference" : "measured; target <=",
		       fmt_ns(t->limit, y, sizeof(y)));
	}
}

/* The human report goes to stdout. */
static void write_text(const struct bench *b)
{
	printf("bench %s (%s)\n", b->name,
	       b->o.selftest ? "selftest" : b->o.quick ? "quick" : "full");
	printf("machine: %ld CPUs, %s, %s, clocksource %s, load %.2f %.2f %.2f; pinned to CPU %d\n",
	       b->nproc, b->cpu_model, b->kernel, b->clocksource, b->load[0], b->load[1],
	       b->load[2], b->cpu);
	printf("timer: clock_gettime(CLOCK_MONOTONIC) per sample; an empty sample takes %.1f ns "
	       "(p50, subtracted from every sample; p99 %.1f ns); readings step by ~%.0f ns\n",
	       b->overhead_ns, b->empty_p99_ns, b->step_ns);
	for (size_t t = 0; t < b->ntables; t++) {
		print_table(b, (int)t);
		if (b->o.detail)
			print_detail(b, (int)t);
	}
	if (b->nmetrics)
		printf("\nMetrics:\n");
	for (size_t i = 0; i < b->nmetrics; i++)
		printf("  %-40s %14.1f %s\n", b->metrics[i].name, b->metrics[i].value,
		       b->metrics[i].unit);
	print_targets(b);
	if (b->nnotes)
		printf("\nNotes:\n");
	for (size_t i = 0; i < b->nnotes; i++)
		printf("  - %s\n", b->notes[i]);
	printf("\nresult: %s\n", b->failed ? "FAILED" : "ok");
}

/* ---- the report: JSON ------------------------------------------------------------ */

static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void jnum(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.2f", v);
	else
		fputs("null", f);
}

static void json_machine(const struct bench *b, FILE *f)
{
	fprintf(f, "  \"machine\": {\"nproc\": %ld, \"cpu_model\": ", b->nproc);
	jstr(f, b->cpu_model);
	fputs(", \"kernel\": ", f);
	jstr(f, b->kernel);
	fputs(", \"clocksource\": ", f);
	jstr(f, b->clocksource);
	fprintf(f, ", \"loadavg\": [%.2f, %.2f, %.2f], \"pinned_cpu\": %d},\n", b->load[0],
		b->load[1], b->load[2], b->cpu);
	fputs("  \"timer\": {\"clock\": \"CLOCK_MONOTONIC\", \"overhead_ns\": ", f);
	jnum(f, b->overhead_ns);
	fputs(", \"empty_p99_ns\": ", f);
	jnum(f, b->empty_p99_ns);
	fputs(", \"step_ns\": ", f);
	jnum(f, b->step_ns);
	fputs(", \"subtracted\": true},\n", f);
}

static void json_cell(const struct bench *b, const struct cell *c, FILE *f)
{
	const struct bench_stats *s = &c->st;

	fputs("    {\"group\": ", f);
	jstr(f, b->tables[c->table].group);
	fputs(", \"case\": ", f);
	jstr(f, c->case_name);
	fputs(", \"impl\": ", f);
	jstr(f, c->impl);
	if (c->state != CELL_OK) {
		fputs(c->state == CELL_SKIPPED ? ", \"ops\": 0, \"unavailable\": "
					       : ", \"ops\": 0, \"failed\": ", f);
		jstr(f, c->why);
		fputc('}', f);
		return;
	}
	fprintf(f, ", \"ops\": %zu, \"p50_ns\": ", s->ops);
	jnum(f, s->p50);
	fputs(", \"p99_ns\": ", f);
	jnum(f, s->p99);
	fputs(", \"p999_ns\": ", f);
	jnum(f, s->p999);
	fputs(", \"max_ns\": ", f);
	jnum(f, s->max);
	fputs(", \"mean_ns\": ", f);
	jnum(f, s->mean);
	fputc('}', f);
}

static void json_ratios(const struct bench *b, FILE *f)
{
	bool first = true;

	fputs("  \"ratios\": [", f);
	for (size_t i = 0; i < b->ncells; i++) {
		const struct cell *c = &b->cells[i];
		const struct table *tb = &b->tables[c->table];
		double r50, r99;

		if (!tb->baseline[0] || strcmp(c->impl, tb->baseline) == 0 ||
		    !ratio_of(c, find_cell(b, c->table, c->case_name, tb->baseline), &r50, &r99))
			continue;
		fputs(first ? "\n    {\"group\": " : ",\n    {\"group\": ", f);
		first = false;
		jstr(f, tb->group);
		fputs(", \"case\": ", f);
		jstr(f, c->case_name);
		fputs(", \"impl\": ", f);
		jstr(f, c->impl);
		fputs(", \"baseline\": ", f);
		jstr(f, tb->baseline);
		fprintf(f, ", \"p50\": %.3f, \"p99\": %.3f}", r50, r99);
	}
	fputs(first ? "],\n" : "\n  ],\n", f);
}

static void json_tables(const struct bench *b, FILE *f)
{
	fputs("  \"tables\": [", f);
	for (size_t i = 0; i < b->ntables; i++) {
		fputs(i ? ",\n    {\"group\": " : "\n    {\"group\": ", f);
		jstr(f, b->tables[i].group);
		fputs(", \"title\": ", f);
		jstr(f, b->tables[i].title);
		fputs(", \"baseline\": ", f);
		if (b->tables[i].baseline[0])
			jstr(f, b->tables[i].baseline);
		else
			fputs("null", f);
		fputc('}', f);
	}
	fputs(b->ntables ? "\n  ],\n" : "],\n", f);
}

static void json_metrics_targets(const struct bench *b, FILE *f)
{
	fputs("  \"metrics\": [", f);
	for (size_t i = 0; i < b->nmetrics; i++) {
		fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", f);
		jstr(f, b->metrics[i].name);
		fputs(", \"value\": ", f);
		jnum(f, b->metrics[i].value);
		fputs(", \"unit\": ", f);
		jstr(f, b->metrics[i].unit);
		fputc('}', f);
	}
	fputs(b->nmetrics ? "\n  ],\n  \"targets\": [" : "],\n  \"targets\": [", f);
	for (size_t i = 0; i < b->ntargets; i++) {
		fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", f);
		jstr(f, b->targets[i].what);
		fputs(", \"measured_ns\": ", f);
		jnum(f, b->targets[i].measured);
		fputs(b->targets[i].reference ? ", \"reference_ns\": " : ", \"target_ns\": ", f);
		jnum(f, b->targets[i].limit);
		fputs(", \"verdict\": ", f);
		jstr(f, verdict(&b->targets[i]));
		fputc('}', f);
	}
	fputs(b->ntargets ? "\n  ],\n" : "],\n", f);
}

static void write_json(const struct bench *b, FILE *f)
{
	fputs("{\n  \"bench\": ", f);
	jstr(f, b->name);
	fprintf(f, ",\n  \"mode\": \"%s\",\n",
		b->o.selftest ? "selftest" : b->o.quick ? "quick" : "full");
	json_machine(b, f);
	json_tables(b, f);
	fputs("  \"results\": [", f);
	for (size_t i = 0; i < b->ncells; i++) {
		fputs(i ? ",\n" : "\n", f);
		json_cell(b, &b->cells[i], f);
	}
	fputs(b->ncells ? "\n  ],\n" : "],\n", f);
	json_ratios(b, f);
	json_metrics_targets(b, f);
	fputs("  \"notes\": [", f);
	for (size_t i = 0; i < b->nnotes; i++) {
		fputs(i ? ",\n    " : "\n    ", f);
		jstr(f, b->notes[i]);
	}
	fprintf(f, "%s  \"ok\": %s\n}\n", b->nnotes ? "\n  ],\n" : "],\n",
		b->failed ? "false" : "true");
}

int bench_end(struct bench *b)
{
	int status = b->failed ? 1 : 0;

	if (b->o.json)
		write_json(b, stdout);
	else
		write_text(b);
	if (b->o.json_file) {
		FILE *f = fopen(b->o.json_file, "we");

		if (!f || (write_json(b, f), fclose(f) != 0)) {
			fprintf(stderr, "bench_%s: cannot write %s: %s\n", b->name, b->o.json_file,
				strerror(errno));
			status = 1;
		}
	}
	fflush(stdout);
	free(b->cells);
	free(b->tables);
	free(b->notes);
	free(b->metrics);
	free(b->targets);
	free(b->samples);
	free(b);
	return status;
}

/* ---- a second thread for two-thread cells ---------------------------------------- */

int bench_thread_start(pthread_t *tid, _Atomic int *state, void *(*fn)(void *), void *arg,
		       char *why, size_t why_len)
{
	int r;

	atomic_store(state, BENCH_T_START);
	r = pthread_create(tid, NULL, fn, arg);
	if (r) {
		snprintf(why, why_len, "pthread_create: %s", strerror(r));
		return -1;
	}
	while (atomic_load_explicit(state, memory_order_acquire) == BENCH_T_START)
		usleep(100);
	if (atomic_load(state) == BENCH_T_DONE) {
		pthread_join(*tid, NULL);
		return -1;
	}
	return 0;
}

void bench_thread_stop(pthread_t tid, _Atomic int *state)
{
	int expect = BENCH_T_RUN;

	atomic_compare_exchange_strong(state, &expect, BENCH_T_STOP);
	pthread_join(tid, NULL);
}

int bench_pin_thread(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int bench_other_cpu(const cpu_set_t *set, int mine)
{
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, set) && i != mine)
			return i;
	return -1;
}

uint64_t bench_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool bench_has_cap(unsigned bit)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned long long eff = 0;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff >> bit) & 1;
}
