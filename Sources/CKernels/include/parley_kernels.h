#ifndef PARLEY_KERNELS_H
#define PARLEY_KERNELS_H

#include <stddef.h>

/* Hand-written AVX-512 kernels (and AVX2 forms of the packed GEMM and the few-row products, for
 * CPUs without AVX-512) for the shapes BLAS handles badly, chosen at run time, and the worker
 * team that runs parallel loops.
 * Plain C types only, so that Swift imports this header without any platform module. */

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when this CPU runs the AVX-512 kernels below (AVX-512F with the OS saving zmm state). */
int parley_kernels_have_avx512(void);

/* Adam's update of `count` weights in place (theta, m, v), as Seq's Adam.update spells it:
 * g' = g + l2·θ; m = β₁m + (1−β₁)g'; v = β₂v + (1−β₂)g'g'; θ = shrink·θ − step·m/(√v·r + ε),
 * r = 1/√(1−β₂ᵗ). Returns 0, or -1 (nothing written) without AVX-512. */
int parley_adam_update(float *theta, const float *g, float *m, float *v, long count, float beta1, float beta2,
                       float epsilon, float l2, float shrink, float step_size, float inverse_root_correction2);

/* Few-row product in dot form: c[i*ldc + j] (+)= sum_p a[i*k + p] * b[j*k + p]
 * for i < m (1...8) and j < n. `a` is m×k, `b` is n×k (rows of a weight matrix [out, in]),
 * both row-major and contiguous; c is m rows of stride ldc. Call only when
 * parley_kernels_have_avx512() returned 1. */
void parley_dot_rows_avx512(const float *a, const float *b, float *c,
                            int m, int n, int k, int ldc, int accumulate);
/* The same with AVX2 and FMA, for CPUs without AVX-512; call only where parley_gemm_available()
 * returned 1. */
void parley_dot_rows_avx2(const float *a, const float *b, float *c, int m, int n, int k, int ldc, int accumulate);

/* Few-row products in the broadcast form, on a weight w [n, k] copied into 64-column k-major
 * panels (parley_kernels.c) in one of two formats: float32, or bfloat16 (each weight rounded to
 * the nearest bfloat16, two inner positions to a 32-bit word; the arithmetic stays float32, so
 * the result is the float32 product with the rounded weights, to the bit). parley_pack_panels
 * writes parley_panels_count(n, k, format) 4-byte words; parley_panel_rows computes
 * c[i*ldc + j] (+)= sum over p in k_low..<k_high of a[i*lda + p] * w[j][p] for rows i < rows
 * (1...8) and columns j in low..<high — any column and inner ranges (k_low even for bfloat16),
 * so threads can share a product out by either. Returns 0, or -1 for arguments out of range or
 * when no AVX-512 kernel is compiled in. */
enum { PARLEY_PANELS_FLOAT32 = 0, PARLEY_PANELS_BFLOAT16 = 1 };
size_t parley_panels_count(int n, int k, int format);
void parley_pack_panels(const float *w, int n, int k, int format, void *panels);
int parley_panel_rows(const float *a, int lda, const void *panels, int format, int n, int k, int low, int high,
                      int k_low, int k_high, float *c, int ldc, int rows, int accumulate);
/* The same with AVX2 and FMA, for CPUs without AVX-512, on either format (the same sums in the
 * same order for both). Call only where parley_gemm_available() returned 1. */
int parley_panel_rows_avx2(const float *a, int lda, const void *panels, int format, int n, int k, int low, int high,
                           int k_low, int k_high, float *c, int ldc, int rows, int accumulate);

/* Large products: c (+)= op(a)·op(b), row-major, op(x) = x or xᵀ by the trans flags; op(a) is
 * m×k, op(b) is k×n, leading dimensions lda, ldb, ldc (parley_gemm.c). With `bias` (n floats,
 * accumulate 0) c = op(a)·op(b) + bias in every row, the bias added as the tiles are stored.
 * Runs `parts` bands of C on the worker team, on the AVX-512 kernels when `avx512` is 1 and the
 * CPU has them, else on the AVX2 ones (the products below too; the packed copies of weights are
 * laid out the same for both). Returns 0, or -1 (c untouched) when no kernel is compiled in or
 * for a bias with accumulate set. Call only when parley_gemm_available() returned 1. */
int parley_gemm_available(void);
int parley_sgemm(int trans_a, int trans_b, int m, int n, int k,
                 const float *a, int lda, const float *b, int ldb,
                 float *c, int ldc, int accumulate, const float *bias, int parts, int avx512);

/* The same product with op(b) = wᵀ, w [n, k] row-major, read from a copy of w packed once in the
 * blocks parley_sgemm packs it into per call (parley_pack_blocks writes
 * parley_blocks_count(n, k) floats): for products of many rows that recur on one weight, such as
 * an encoder's. `bias` as above. Returns 0, or -1 when no kernel is compiled in. */
size_t parley_blocks_count(int n, int k);
void parley_pack_blocks(const float *w, int n, int k, float *blocks);
int parley_sgemm_blocks(int trans_a, int m, int n, int k, const float *a, int lda,
                        const float *w, const float *blocks, float *c, int ldc, int accumulate, const float *bias,
                        int parts, int avx512);

/* Weight matrices packed once for many products (decoding; parley_gemm.c). w is [n, k] row-major;
 * parley_pack_weights writes parley_packed_weights_count(n, k) floats.
 * parley_sgemm_packed_weights: c (+)= op(a)·wᵀ, op(a) m×k (a is k×m when trans_a), reading w
 * from `packed` (w itself only if this thread cannot get its scratch memory); `parts` bands of
 * columns on the worker team. Returns 0, or -1 when no kernel is compiled in. */
size_t parley_packed_weights_count(int n, int k);
void parley_pack_weights(const float *w, int n, int k, float *packed);
int parley_sgemm_packed_weights(int trans_a, int m, int n, int k, const float *a, int lda,
                                const float *w, const float *packed, float *c, int ldc,
                                int accumulate, int parts, int avx512);

/* The weight-reading floor of a batch-1 decoding step (parley_weight_stream.c): y_i = x·W_iᵀ for
 * each of `count` matrices W_i [outputs[i], inputs[i]], given as their 64-column panels
 * (parley_pack_panels, in formats[i]), one after another on the worker team, split by columns
 * with a barrier after each, on the AVX-512 panel kernel when avx512 is 1 and the CPU has it,
 * else on its AVX2 form. x holds `rows` (1-8: one hypothesis, or a beam's) rows of inputs[i]
 * floats, y `rows` rows of outputs[i], room for the largest. Returns 0, or -1 when neither
 * kernel can run here or rows is out of range. */
int parley_weight_stream(const void *const *panels, const int *formats, const int *outputs, const int *inputs,
                         int count, int rows, const float *x, float *y, int avx512);

/* The worker team behind Parley's parallel loops (parley_pool.c).
 * Sets how many threads a job may use, the caller included (default 2; workers start when a job
 * first needs them). */
void parley_pool_set_threads(int threads);
/* Sets a thread count for the jobs the calling thread starts, over parley_pool_set_threads's
 * (0 clears it); returns the one it replaces. */
int parley_pool_set_caller_threads(int threads);
/* The thread count the calling thread's jobs use. */
int parley_pool_threads(void);
/* Calls body(context, part) for every part in 0..<parts, spread over the team; returns when all
 * have run. Runs every part on the calling thread when another job is running (nested or
 * concurrent calls), so it never deadlocks. */
void parley_pool_run(int parts, void (*body)(void *context, int part), void *context);
/* Calls body(context, thread, threads) once on each of up to `threads` threads of the team at the
 * same time (the caller is thread 0), for work whose threads meet at parley_team_barrier: a chain
 * of small steps that would each cost a job of its own. With the team busy (nested or concurrent
 * calls) the caller runs it alone, threads = 1. */
void parley_pool_team(int threads, void (*body)(void *context, int thread, int threads), void *context);
/* Inside parley_pool_team's body: returns when all `threads` threads have called it. */
void parley_team_barrier(int threads);

#ifdef __cplusplus
}
#endif

#endif
