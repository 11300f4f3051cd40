/* SPDX-License-Identifier: MIT */
#ifndef IOALLOC_API_H
#define IOALLOC_API_H

/* IOA_API marks a function that libioalloc exports; everything else is
 * hidden (gnu_symbol_visibility 'hidden' + the IOALLOC_0.1 version node). */
#if defined(IOA_BUILDING_LIBRARY)
#define IOA_API __attribute__((visibility("default")))
#else
#define IOA_API
#endif

#ifdef __cplusplus
#define IOA_BEGIN_DECLS extern "C" {
#define IOA_END_DECLS }
#else
#define IOA_BEGIN_DECLS
#define IOA_END_DECLS
#endif

#endif
