/* SPDX-License-Identifier: MIT */
/*
 * The benchmark harness: options, pinning, per-operation timing, statistics
 * and the report (a human-readable table or one JSON document).
 *
 * A benchmark creates a run with bench_begin(), opens a table per group of
 * comparable results (bench_table), measures cells with bench_measure() - one
 * timed sample per call of an operation, every result checked by the
 * operation's own check function - adds notes, metrics and targets, and ends
 * with bench_end(), which prints everything and returns the exit status.
 *
 * Every figure printed is one the program measured in this run; ratios are
 * computed from cells of the same run (peer / baseline: > 1 means the
 * baseline is faster).
 */
#ifndef IOALLOC_BENCH_HARNESS_H
#define IOALLOC_BENCH_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

struct bench_opts {
	bool json;             /* --json: one JSON document on stdout instead of tables */
	const char *json_file; /* --json-file PATH: also write the JSON document there */
	bool quick;            /* --quick: fewer samples, the whole run in a few seconds */
	bool selftest;         /* --selftest: a few hundred checked operations per cell */
	bool detail;           /* --detail: also list p99.9, max, mean per cell */
	int cpu;               /* --cpu N: the CPU to pin to; -1 = the last allowed one */
};

/* Parse the common options; unknown ones are a usage error. Returns 0, 1 if
 * the caller should exit 0 (--help printed), or -1 (usage printed, exit 2). */
int bench_parse_args(int argc, char **argv, const char *name, struct bench_opts *o);

/* How many samples a cell takes: up to max_ops, stopping early once budget_ns
 * of wall time has passed (slow peers), but never fewer than min_ops. */
struct bench_budget {
	size_t min_ops, max_ops;
	uint64_t budget_ns;
};

/* The budget for the run's mode: 300 checked operations per cell with
 * --selftest (no time budget), else quick or full. */
struct bench_budget bench_budget_for(const struct bench_opts *o, struct bench_budget quick,
				     struct bench_budget full);

/* One operation under test. prep (optional, untimed) readies the next call,
 * run is timed, check (optional, untimed) verifies what run produced: each
 * returns 0, or non-zero with a reason written to the op's why buffer.
 *
 * An operation whose result must be checked while it is alive (a buffer that
 * the operation's own free destroys) is split in two timed parts: run (e.g.
 * allocate), then mid (optional, untimed: check the live result), then run2
 * (e.g. free). The sample is the time of run plus the time of run2, each with
 * the timer's overhead subtracted. run2 needs a batch of 1. */
struct bench_op {
	int (*prep)(void *arg);
	int (*run)(void *arg);
	int (*check)(void *arg);
	int (*mid)(void *arg);
	int (*run2)(void *arg);
	void *arg;
	char *why;             /* caller's buffer for a failure's reason */
	size_t why_len;
};

struct bench_stats {
	size_t ops;
	double p50, p99, p999, max, mean; /* ns, timer overhead subtracted */
};

struct bench;

/* Start a run: pin to the chosen CPU, read the machine's description, and
 * calibrate the timer's overhead. NULL on out-of-memory or a failed pin. */
struct bench *bench_begin(const char *name, const struct bench_opts *o);

/* Pin the calling thread again (a library such as DPDK's EAL may have moved
 * it). 0 or -errno. */
int bench_pin(struct bench *b);

/* The CPU the run is pinned to. */
int bench_cpu(const struct bench *b);

/* Start a table: results added after it belong to it. baseline (may be NULL)
 * is the implementation the ratios divide by. */
void bench_table(struct bench *b, const char *group, const char *title, const char *baseline);

/* Take samples of op into a cell (case_name, impl) after warm-up calls; a
 * failed run or check stops the cell and marks the run failed. 0 or -1. */
int bench_measure(struct bench *b, const char *case_name, const char *impl,
		  const struct bench_op *op, const struct bench_budget *bud);

/* Like bench_measure, but each timed sample covers batch calls of run and is
 * recorded as the time per call (for operations faster than the clock). */
int bench_measure_batch(struct bench *b, const char *case_name, const char *impl,
			const struct bench_op *op, size_t batch, const struct bench_budget *bud);

/* Like bench_measure, but each call of run makes per_call operations in a
 * loop of its own (its calls inlined into it, as a caller's loop would have
 * them), and each sample is recorded as the time per operation. */
int bench_measure_per(struct bench *b, const char *case_name, const char *impl,
		      const struct bench_op *op, size_t per_call, const struct bench_budget *bud);

/* ioalloc's misuse reports (bench/misuse.c): from bench_misuse_catch on, each
 * is printed on stderr under prog's name and counted instead of aborting the
 * process; bench_misuse_check fails the run if there was any. */
void bench_misuse_catch(const char *prog);
void bench_misuse_check(struct bench *b);

/* Whether capability bit (CAP_IPC_LOCK 14, CAP_SYS_ADMIN 21) is in the
 * process's effective set (CapEff, /proc/self/status); false if unreadable. */
bool bench_has_cap(unsigned bit);

/* A cell that could not be measured (e.g. "unavailable: EAL init failed"). */
void bench_skip(struct bench *b, const char *case_name, const char *impl, const char *why);

/* The same, for a peer that is not there: why is printed as "unavailable: why". */
void bench_unavailable(struct bench *b, const char *case_name, const char *impl,
		       const char *why);

/* size bytes, zeroed, aligned to a cache line (a cell's state, which the
 * timed loops write); NULL after a bench_fail saying so. Free with free(). */
void *bench_zalloc_line(struct bench *b, size_t size);

/* The statistics of a measured cell, or NULL. */
const struct bench_stats *bench_get(const struct bench *b, const char *case_name,
				    const char *impl);

/* A line printed under the tables and kept in the JSON "notes". */
void bench_note(struct bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A measured quantity that is not a latency (bytes of metadata, ...). */
void bench_metric(struct bench *b, const char *name, double value, const char *unit);

/* A target: PASS if measured <= limit, else MISS. reference = true makes it a
 * published reference to compare with (verdict REF), not a pass/fail goal. */
void bench_target(struct bench *b, const char *what, double measured_ns, double limit_ns,
		  bool reference);

/* Mark the run failed (a violation or error found outside bench_measure). */
void bench_fail(struct bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print the report (tables or JSON), free the run; the exit status: 0, or 1
 * if anything failed. */
int bench_end(struct bench *b);

/* ---- a second thread for two-thread cells ------------------------------------ */

/* Its life: the starter sets START; the thread's function sets RUN once it is
 * ready (or DONE if it could not get ready), loops while the state is RUN,
 * and sets DONE before it returns; the starter sets STOP to end it. */
enum bench_thread_state { BENCH_T_START, BENCH_T_RUN, BENCH_T_STOP, BENCH_T_DONE };

/* Start fn(arg) and wait until it runs: 0, or -1 (why written) if it could not
 * be created or gave up before running. */
int bench_thread_start(pthread_t *tid, _Atomic int *state, void *(*fn)(void *), void *arg,
		       char *why, size_t why_len);

/* Ask a running thread to stop (RUN -> STOP) and join it. */
void bench_thread_stop(pthread_t tid, _Atomic int *state);

/* Pin the calling thread to cpu: 0 or an errno value. */
int bench_pin_thread(int cpu);

/* An allowed CPU other than mine, or -1. */
int bench_other_cpu(const cpu_set_t *set, int mine);

/* CPU time of the calling thread, ns. */
uint64_t bench_thread_cpu_ns(void);

/* Monotonic nanoseconds. */
static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A small deterministic generator (xorshift64*) for fixed-seed workloads. */
static inline uint64_t bench_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

#endif
