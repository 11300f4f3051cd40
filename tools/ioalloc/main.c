/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <ioalloc/ioalloc.h>
int main(void) { printf("ioalloc %s\n", ioa_version()); return 0; }
