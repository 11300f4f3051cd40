/* SPDX-License-Identifier: MIT */
/*
 * `ioalloc bench [NAME...] [--json] [--quick] [--plot DIR]`: run the benchmarks.
 *
 * Each benchmark is a program bench_NAME (bench/ in the source tree) that measures
 * ioalloc side by side with its peers in one process and prints its own report. This
 * subcommand finds them - in $IOALLOC_BENCH_DIR, else the build tree's bench/ when the
 * tool itself runs from the build tree, else libexecdir/ioalloc - and runs the named
 * ones (all when none is named) in name order, passing --json and --quick through.
 * With --plot DIR each benchmark also writes its JSON document to DIR/NAME.json, and
 * gnuplot turns it into DIR/NAME.png: p50 and p99 per case and implementation, bars
 * on a log scale.  Messages go to stderr, so stdout holds only the reports.
 */
#include "tool.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef IOA_BENCH_BUILD_DIR
#define IOA_BENCH_BUILD_DIR ""
#endif
#ifndef IOA_BUILD_ROOT
#define IOA_BUILD_ROOT ""
#endif
#ifndef IOA_BENCH_LIBEXEC_DIR
#define IOA_BENCH_LIBEXEC_DIR "/usr/local/libexec/ioalloc"
#endif

#define MAX_BENCHES 64
#define NAME_MAX_LEN 64

struct bench_cmd {
	bool json, quick;
	const char *plot_dir;
	char dir[PATH_MAX];                     /* where the programs are */
	char names[MAX_BENCHES][NAME_MAX_LEN];  /* what is there, sorted */
	size_t nnames;
};

static void bench_usage(FILE *f)
{
	fputs("Usage: ioalloc bench [NAME...] [--json] [--quick] [--plot DIR]\n"
	      "\n"
	      "Run benchmarks that measure ioalloc side by side with its peers (DPDK, ...)\n"
	      "in one run and report p50/p99 per case and the ratios peer/ioalloc.\n"
	      "With no NAME, run them all. Programs are bench_NAME in $IOALLOC_BENCH_DIR,\n"
	      "else the build tree's bench/, else the install's libexecdir/ioalloc.\n"
	      "\n"
	      "Options:\n"
	      "  --json      each benchmark prints one JSON document instead of tables\n"
	      "  --quick     fewer samples (seconds instead of a minute)\n"
	      "  --plot DIR  also write DIR/NAME.json and DIR/NAME.png (needs gnuplot)\n"
	      "  -h, --help  show this help\n", f);
}

/* ---- finding the benchmarks ----------------------------------------------------- */

static bool is_dir(const char *path)
{
	struct stat st;

	return path[0] && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* True if this executable lives under the build tree (not an installed copy). */
static bool running_from_build_tree(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t root = strlen(IOA_BUILD_ROOT);

	if (n <= 0 || root == 0)
		return false;
	exe[n] = '\0';
	return strncmp(exe, IOA_BUILD_ROOT, root) == 0 && exe[root] == '/';
}

static void pick_dir(struct bench_cmd *o)
{
	const char *env = getenv("IOALLOC_BENCH_DIR");

	if (env && env[0])
		snprintf(o->dir, sizeof(o->dir), "%s", env);
	else if (running_from_build_tree() && is_dir(IOA_BENCH_BUILD_DIR))
		snprintf(o->dir, sizeof(o->dir), "%s", IOA_BENCH_BUILD_DIR);
	else
		snprintf(o->dir, sizeof(o->dir), "%s", IOA_BENCH_LIBEXEC_DIR);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Every executable bench_NAME in o->dir, sorted; 0 or -errno (no such directory). */
static int list_benches(struct bench_cmd *o)
{
	DIR *d = opendir(o->dir);
	struct dirent *e;

	if (!d)
		return -errno;
	while ((e = readdir(d)) && o->nnames < MAX_BENCHES) {
		char path[PATH_MAX + sizeof(e->d_name) + 1];
		struct stat st;

		if (strncmp(e->d_name, "bench_", 6) != 0 || strlen(e->d_name + 6) == 0 ||
		    strlen(e->d_name + 6) >= NAME_MAX_LEN || strchr(e->d_name, '.'))
			continue;
		snprintf(path, sizeof(path), "%s/%s", o->dir, e->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode) || access(path, X_OK))
			continue;
		memcpy(o->names[o->nnames++], e->d_name + 6, strlen(e->d_name + 6) + 1);
	}
	closedir(d);
	qsort(o->names, o->nnames, sizeof(o->names[0]), cmp_name);
	return 0;
}

static bool known(const struct bench_cmd *o, const char *name)
{
	for (size_t i = 0; i < o->nnames; i++)
		if (strcmp(o->names[i], name) == 0)
			return true;
	return false;
}

static void list_known(const struct bench_cmd *o, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < o->nnames && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", o->names[i]);
}

/* ---- running ----------------------------------------------------------------------- */

/* Run argv[0] with argv and wait; its exit status, or EXIT_ERROR if it could not
 * run or died of a signal (said on stderr). */
static int run_program(char *const argv[], const char *what)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		tool_error("bench", "fork: %s", strerror(errno));
		return EXIT_ERROR;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		tool_error("bench", "cannot run %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EXIT_ERROR;
	if (WIFSIGNALED(status)) {
		tool_error("bench", "%s died of signal %d", what, WTERMSIG(status));
		return EXIT_ERROR;
	}
	return WEXITSTATUS(status);
}

static int run_bench(const struct bench_cmd *o, const char *name)
{
	char path[PATH_MAX + NAME_MAX_LEN], json[PATH_MAX + NAME_MAX_LEN];
	char *argv[8];
	int n = 0;

	snprintf(path, sizeof(path), "%s/bench_%s", o->dir, name);
	argv[n++] = path;
	if (o->json)
		argv[n++] = "--json";
	if (o->quick)
		argv[n++] = "--quick";
	if (o->plot_dir) {
		snprintf(json, sizeof(json), "%s/%s.json", o->plot_dir, name);
		argv[n++] = "--json-file";
		argv[n++] = json;
	}
	argv[n] = NULL;
	return run_program(argv, path);
}

/* ---- plotting: the JSON the harness writes -------------------------------------------- */

/* A cursor over a JSON document; only what the plot needs is decoded. */
struct jcur {
	const char *p;
};

static void jws(struct jcur *c)
{
	while (isspace((unsigned char)*c->p))
		c->p++;
}

/* A string into buf (escapes kept undecoded but skipped correctly); 0 or -1. */
static int jstring(struct jcur *c, char *buf, size_t len)
{
	size_t n = 0;

	jws(c);
	if (*c->p != '"')
		return -1;
	for (c->p++; *c->p && *c->p != '"'; c->p++) {
		if (*c->p == '\\' && c->p[1])
			c->p++;
		if (n + 1 < len)
			buf[n++] = *c->p;
	}
	if (len)
		buf[n] = '\0';
	if (*c->p != '"')
		return -1;
	c->p++;
	return 0;
}

/* Skip any value (nested containers included); 0 or -1. */
static int jskip(struct jcur *c)
{
	int depth = 0;
	char tmp[2];

	do {
		jws(c);
		if (!*c->p)
			return -1;
		if (*c->p == '"') {
			if (jstring(c, tmp, sizeof(tmp)))
				return -1;
		} else if (*c->p == '{' || *c->p == '[') {
			depth++;
			c->p++;
		} else if (*c->p == '}' || *c->p == ']') {
			if (--depth < 0)
				return -1;
			c->p++;
		} else if (depth > 0) {
			c->p++; /* a comma, colon or scalar character inside a container */
		} else {
			c->p += strcspn(c->p, ",}] \t\r\n"); /* a scalar on its own */
		}
	} while (depth > 0);
	return 0;
}

/* Expect ch (after whitespace); 0 or -1. */
static int jexpect(struct jcur *c, char ch)
{
	jws(c);
	if (*c->p != ch)
		return -1;
	c->p++;
	return 0;
}

/* True and past the separator if the container goes on; false at its end. */
static bool jmore(struct jcur *c, char end, bool first)
{
	jws(c);
	if (*c->p == end)
		return false;
	if (!first && *c->p == ',')
		c->p++;
	jws(c);
	return *c->p && *c->p != end;
}

struct point {
	char group[32], case_name[64], impl[32];
	char p50[32], p99[32]; /* as printed in the JSON: numbers or "-" */
};

struct plot {
	struct point *pts;
	size_t n, cap;
};

/* A number or null as text ("-" for null or anything else). */
static void jnumber(struct jcur *c, char *buf, size_t len)
{
	const char *s;

	jws(c);
	s = c->p;
	if (*s == '-' || isdigit((unsigned char)*s)) {
		size_t n = strspn(s, "-+.eE0123456789");

		snprintf(buf, len, "%.*s", (int)n, s);
		c->p += n;
		return;
	}
	snprintf(buf, len, "-");
	jskip(c);
}

/* One flat results entry; fields other than group, case, impl, p50_ns, p99_ns
 * skipped. */
static int parse_point(struct jcur *c, struct point *pt)
{
	char key[32];

	snprintf(pt->p50, sizeof(pt->p50), "-");
	snprintf(pt->p99, sizeof(pt->p99), "-");
	if (jexpect(c, '{'))
		return -1;
	for (bool first = true; jmore(c, '}', first); first = false) {
		if (jstring(c, key, sizeof(key)) || jexpect(c, ':'))
			return -1;
		if (strcmp(key, "group") == 0 && jstring(c, pt->group, sizeof(pt->group)))
			return -1;
		else if (strcmp(key, "case") == 0 && jstring(c, pt->case_name, sizeof(pt->case_name)))
			return -1;
		else if (strcmp(key, "impl") == 0 && jstring(c, pt->impl, sizeof(pt->impl)))
			return -1;
		else if (strcmp(key, "p50_ns") == 0)
			jnumber(c, pt->p50, sizeof(pt->p50));
		else if (strcmp(key, "p99_ns") == 0)
			jnumber(c, pt->p99, sizeof(pt->p99));
		else if (strcmp(key, "group") && strcmp(key, "case") && strcmp(key, "impl") &&
			 jskip(c))
			return -1;
	}
	return jexpect(c, '}');
}

static int parse_results(struct jcur *c, struct plot *pl)
{
	if (jexpect(c, '['))
		return -1;
	for (bool first = true; jmore(c, ']', first); first = false) {
		if (pl->n == pl->cap) {
			size_t cap = pl->cap ? pl->cap * 2 : 64;
			struct point *p = realloc(pl->pts, cap * sizeof(*p));

			if (!p)
				return -1;
			pl->pts = p;
			pl->cap = cap;
		}
		memset(&pl->pts[pl->n], 0, sizeof(pl->pts[0]));
		if (parse_point(c, &pl->pts[pl->n++]))
			return -1;
	}
	return jexpect(c, ']');
}

/* The "results" array of a benchmark's document; 0 or -1 (malformed). */
static int parse_doc(const char *text, struct plot *pl)
{
	struct jcur c = {text};
	char key[32];

	if (jexpect(&c, '{'))
		return -1;
	for (bool first = true; jmore(&c, '}', first); first = false) {
		if (jstring(&c, key, sizeof(key)) || jexpect(&c, ':'))
			return -1;
		if (strcmp(key, "results") == 0 ? parse_results(&c, pl) : jskip(&c))
			return -1;
	}
	return jexpect(&c, '}');
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			char *b = realloc(buf, cap = (cap ? cap * 2 : 65536));

			if (!b)
				break;
			buf = b;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* ---- plotting: gnuplot ------------------------------------------------------------- */

#define MAX_IMPLS 16
#define MAX_ROWS 512
#define BAR_PX 12   /* pixels per bar: room for a rotated case label under each cluster */
#define PANEL_PX 450

/* The distinct groups, or the distinct cases or implementations of group g (NULL:
 * groups), in first-seen order. */
static size_t distinct(const struct plot *pl, const char *g, int field, const char **out,
		       size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < pl->n; i++) {
		const struct point *pt = &pl->pts[i];
		const char *s = field == 0 ? pt->group : field == 1 ? pt->case_name : pt->impl;
		size_t k = 0;

		if (g && strcmp(pt->group, g) != 0)
			continue;
		while (k < n && strcmp(out[k], s) != 0)
			k++;
		if (k == n && n < max)
			out[n++] = s;
	}
	return n;
}

static const struct point *point_at(const struct plot *pl, const char *g, const char *cs,
				    const char *impl)
{
	for (size_t i = 0; i < pl->n; i++) {
		const struct point *pt = &pl->pts[i];

		if (!strcmp(pt->group, g) && !strcmp(pt->case_name, cs) && !strcmp(pt->impl, impl))
			return pt;
	}
	return NULL;
}

/* One data block per group (gnuplot's `index`): rows are cases; columns the p50 and
 * p99 of each implementation ("-" when missing). */
static void write_block(FILE *f, const struct plot *pl, const char *g)
{
	const char *impls[MAX_IMPLS], *cases[MAX_ROWS];
	size_t ni = distinct(pl, g, 2, impls, MAX_IMPLS), nc = distinct(pl, g, 1, cases, MAX_ROWS);

	fprintf(f, "# group %s\n", g);
	for (size_t i = 0; i < nc; i++) {
		fputs(cases[i], f);
		for (size_t k = 0; k < ni; k++) {
			const struct point *pt = point_at(pl, g, cases[i], impls[k]);

			fprintf(f, "\t%s\t%s", pt ? pt->p50 : "-", pt ? pt->p99 : "-");
		}
		fputc('\n', f);
	}
	fputs("\n\n", f);
}

static int write_dat(const struct plot *pl, const char *path)
{
	const char *groups[MAX_ROWS];
	size_t ng = distinct(pl, NULL, 0, groups, MAX_ROWS);
	FILE *f = fopen(path, "we");

	if (!f)
		return -1;
	for (size_t i = 0; i < ng; i++)
		write_block(f, pl, groups[i]);
	return fclose(f) ? -1 : 0;
}

/* s as a gnuplot single-quoted string (a quote inside is doubled), then after. */
static void gp_str(FILE *f, const char *s, const char *after)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fprintf(f, "'%s", after);
}

/* The plot command of panel (block) b: two bars per implementation. */
static void write_panel(FILE *f, const struct plot *pl, const char *g, size_t b, const char *dat)
{
	const char *impls[MAX_IMPLS];
	size_t ni = distinct(pl, g, 2, impls, MAX_IMPLS);
	char title[64];

	fputs("set title ", f);
	gp_str(f, g, "\nplot ");
	for (size_t k = 0; k < ni; k++) {
		gp_str(f, k ? "" : dat, "");
		fprintf(f, " index %zu using %zu%s title ", b, 2 + 2 * k, k ? "" : ":xtic(1)");
		snprintf(title, sizeof(title), "%s p50", impls[k]);
		gp_str(f, title, ", '' ");
		fprintf(f, "index %zu using %zu title ", b, 3 + 2 * k);
		snprintf(title, sizeof(title), "%s p99", impls[k]);
		gp_str(f, title, k + 1 < ni ? ", " : "\n");
	}
}

/* As wide as the panel with the most bars needs, at least 1000 pixels. */
static size_t plot_width(const struct plot *pl, const char **groups, size_t ng)
{
	size_t w = 1000;

	for (size_t i = 0; i < ng; i++) {
		const char *x[MAX_ROWS];
		size_t bars = distinct(pl, groups[i], 1, x, MAX_ROWS) *
			      (2 * distinct(pl, groups[i], 2, x, MAX_IMPLS) + 1);

		if (200 + bars * BAR_PX > w)
			w = 200 + bars * BAR_PX;
	}
	return w;
}

static int write_gp(const struct plot *pl, const char *gp, const char *dat, const char *png,
		    const char *name)
{
	const char *groups[MAX_ROWS];
	size_t ng = distinct(pl, NULL, 0, groups, MAX_ROWS), w = plot_width(pl, groups, ng);
	char title[128];
	FILE *f = fopen(gp, "we");

	if (!f)
		return -1;
	fprintf(f,
		"if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) "
		"{ set terminal pngcairo noenhanced size %zu,%zu font ',9' } "
		"else { set terminal png noenhanced size %zu,%zu }\n"
		"set datafile separator '\\t'\n"
		"set datafile missing '-'\n"
		"set style data histograms\n"
		"set style histogram clustered gap 1\n"
		"set style fill solid 0.85 border -1\n"
		"set logscale y\n"
		"set yrange [1:*]\n"
		"set ylabel 'ns per operation (log)'\n"
		"set grid ytics\n"
		"set xtics rotate by 45 right font ',8'\n"
		"set key outside right top vertical\n"
		"set output ", w, ng * PANEL_PX, w, ng * PANEL_PX);
	gp_str(f, png, "\n");
	snprintf(title, sizeof(title), "ioalloc bench %s: p50 and p99 per case", name);
	fprintf(f, "set multiplot layout %zu,1 title ", ng);
	gp_str(f, title, "\n");
	for (size_t i = 0; i < ng; i++)
		write_panel(f, pl, groups[i], i, dat);
	fputs("unset multiplot\n", f);
	return fclose(f) ? -1 : 0;
}

static int plot_bench(const struct bench_cmd *o, const char *name)
{
	char json[PATH_MAX + NAME_MAX_LEN], dat[sizeof(json)], gp[sizeof(json)], png[sizeof(json)];
	struct plot pl = {NULL, 0, 0};
	char *text, *argv[] = {"gnuplot", gp, NULL};
	int r = EXIT_ERROR;

	snprintf(json, sizeof(json), "%s/%s.json", o->plot_dir, name);
	snprintf(dat, sizeof(dat), "%s/%s.dat", o->plot_dir, name);
	snprintf(gp, sizeof(gp), "%s/%s.gp", o->plot_dir, name);
	snprintf(png, sizeof(png), "%s/%s.png", o->plot_dir, name);
	text = slurp(json);
	if (!text || parse_doc(text, &pl) || pl.n == 0)
		tool_error("bench", "%s: %s", json, text ? "no results in it" : strerror(errno));
	else if (write_dat(&pl, dat) || write_gp(&pl, gp, dat, png, name))
		tool_error("bench", "cannot write %s or %s: %s", dat, gp, strerror(errno));
	else if ((r = run_program(argv, "gnuplot")) == 0)
		fprintf(stderr, "ioalloc bench: wrote %s\n", png);
	else
		tool_error("bench", "gnuplot failed on %s", gp);
	free(text);
	free(pl.pts);
	return r ? EXIT_ERROR : EXIT_OK;
}

/* gnuplot on PATH? */
static bool have_gnuplot(void)
{
	const char *path = getenv("PATH");
	char dir[PATH_MAX], exe[PATH_MAX + 16];

	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(dir, sizeof(dir), "%.*s", (int)n, n ? p : ".");
		snprintf(exe, sizeof(exe), "%s/gnuplot", dir);
		if (access(exe, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

static int prepare_plot_dir(const char *dir)
{
	if (!have_gnuplot()) {
		tool_error("bench", "--plot needs gnuplot, which is not on PATH (install it, "
			   "e.g. apt-get install gnuplot-nox)");
		return EXIT_ERROR;
	}
	if (mkdir(dir, 0777) && errno != EEXIST) {
		tool_error("bench", "cannot create %s: %s", dir, strerror(errno));
		return EXIT_ERROR;
	}
	if (!is_dir(dir)) {
		tool_error("bench", "%s is not a directory", dir);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

/* ---- the subcommand ------------------------------------------------------------------ */

static int parse_options(int argc, char **argv, struct bench_cmd *o, bool *done)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"quick", no_argument, NULL, 'q'},
		{"plot", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'j') {
			o->json = true;
		} else if (c == 'q') {
			o->quick = true;
		} else if (c == 'p') {
			o->plot_dir = optarg;
		} else if (c == 'h') {
			bench_usage(stdout);
			*done = true;
			return EXIT_OK;
		} else {
			tool_error("bench", optopt == 'p' ? "option '%s' needs an argument"
							   : "unknown option '%s'",
				   argv[optind - 1]);
			bench_usage(stderr);
			return EXIT_USAGE;
		}
	}
	return EXIT_OK;
}

/* Every NAME must be a benchmark that exists. */
static int check_names(const struct bench_cmd *o, int argc, char **argv)
{
	char have[512];

	for (int i = 0; i < argc; i++) {
		if (known(o, argv[i]))
			continue;
		list_known(o, have, sizeof(have));
		tool_error("bench", "unknown benchmark '%s' (in %s: %s)", argv[i], o->dir,
			   o->nnames ? have : "none");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int run_all(const struct bench_cmd *o, int argc, char **argv)
{
	int status = EXIT_OK;
	size_t n = argc > 0 ? (size_t)argc : o->nnames;

	for (size_t i = 0; i < n; i++) {
		const char *name = argc > 0 ? argv[i] : o->names[i];

		if (run_bench(o, name) != 0) {
			tool_error("bench", "benchmark '%s' failed", name);
			status = EXIT_ERROR;
			continue;
		}
		if (o->plot_dir && plot_bench(o, name) != EXIT_OK)
			status = EXIT_ERROR;
	}
	return status;
}

int cmd_bench(int argc, char **argv)
{
	struct bench_cmd *o = calloc(1, sizeof(*o));
	bool done = false;
	int r;

	if (!o) {
		tool_error("bench", "out of memory");
		return EXIT_ERROR;
	}
	r = parse_options(argc, argv, o, &done);
	if (r == EXIT_OK && !done) {
		pick_dir(o);
		if (list_benches(o) || o->nnames == 0) {
			tool_error("bench", "no benchmark programs (bench_NAME) in %s; build with "
				   "-Dbench=true or set IOALLOC_BENCH_DIR", o->dir);
			r = EXIT_ERROR;
		}
		if (r == EXIT_OK)
			r = check_names(o, argc - optind, argv + optind);
		if (r == EXIT_OK && o->plot_dir)
			r = prepare_plot_dir(o->plot_dir);
		if (r == EXIT_OK)
			r = run_all(o, argc - optind, argv + optind);
	}
	free(o);
	return r;
}
