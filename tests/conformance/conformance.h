/* SPDX-License-Identifier: MIT */
/* Shared by the conformance tests: every check names the sentence it verifies. */
#ifndef IOA_CONFORMANCE_H
#define IOA_CONFORMANCE_H

#include "testlib.h"

/* Fail naming the condition and the sentence it checks. */
#define check(cond, sentence)                                                         \
	do {                                                                          \
		if (!(cond))                                                          \
			fail_msg("%s\n  checks: \"%s\"", #cond, sentence);            \
	} while (0)

#endif
