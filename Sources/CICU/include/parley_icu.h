#ifndef PARLEY_ICU_H
#define PARLEY_ICU_H
/* Parley's window onto the system ICU. Only plain C types cross this header: Foundation bundles
   its own ICU, and Debian's renames symbols with macros Swift cannot import. */
#include <stdint.h>

/* The ICU version string, e.g. "72.1". */
const char *parley_icu_version(void);

#endif
