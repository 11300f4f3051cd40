/* SPDX-License-Identifier: MIT */
/*
 * ioalloc: the command-line tool.  `ioalloc <subcommand> [options]`.
 *
 * Subcommands live in one table below, one file each (info.c, ...); each parses its own
 * options with getopt_long and returns an exit status: 0 success, 1 error, 2 usage.
 */
#include "tool.h"

#include <stdio.h>
#include <string.h>

#include <ioalloc/ioalloc.h>

struct subcommand {
	const char *name;
	const char *help; /* one line for `ioalloc --help` */
	int (*run)(int argc, char **argv);
};

static const struct subcommand subcommands[] = {
	{ "info", "what this system offers for I/O and DMA buffers", cmd_info },
	{ "bench", "run the benchmarks: ioalloc side by side with its peers", cmd_bench },
	{ "copy", "copy a file with O_DIRECT through io_uring and registered buffers", cmd_copy },
};

#define N_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *f)
{
	fputs("Usage: ioalloc <subcommand> [options]\n"
	      "       ioalloc --help | --version\n"
	      "\n"
	      "Subcommands:\n", f);
	for (size_t i = 0; i < N_SUBCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", subcommands[i].name, subcommands[i].help);
	fputs("\n"
	      "Run 'ioalloc <subcommand> --help' for its options; see ioalloc(1).\n", f);
}

static const struct subcommand *find_subcommand(const char *name)
{
	for (size_t i = 0; i < N_SUBCOMMANDS; i++)
		if (strcmp(subcommands[i].name, name) == 0)
			return &subcommands[i];
	return NULL;
}

/* Global options come before the subcommand; only --help and --version exist. */
static int global_option(const char *arg)
{
	if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0) {
		printf("ioalloc %s\n", ioa_version());
		return EXIT_OK;
	}
	tool_error(NULL, "unknown option '%s'", arg);
	usage(stderr);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	const struct subcommand *sc;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (argv[1][0] == '-')
		return global_option(argv[1]);
	sc = find_subcommand(argv[1]);
	if (!sc) {
		tool_error(NULL, "unknown subcommand '%s'", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	return sc->run(argc - 1, argv + 1);
}
