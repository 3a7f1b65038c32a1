#ifndef PARLEY_CBLAS_SHIM_H
#define PARLEY_CBLAS_SHIM_H
#include <cblas.h>
/* OpenBLAS extension: lets Parley run small products single-threaded. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
#endif
