#include "parley_decoder_step.h"
#include "parley_encoder_pass.h"
#include "parley_kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The fused decoding step on AVX2 and FMA, for CPUs without AVX-512 (Zen 3 and older): the step
 * itself is parley_decoder_step_body.h; here are its 8-lane helpers, and its products read
 * float32 or bfloat16 panels through parley_panel_rows_avx2. */

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))

#include <immintrin.h>

#include "parley_avx2.h"

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)

/* Σ a[j]·b[j] in 8 lanes (the compiler may not reorder a float sum to vectorise it itself), two
 * accumulators: a head of 64 is then two chains of four FMAs, not one of eight. The last n mod 16
 * through masked loads (zeros elsewhere). */
static inline float dot(const float *a, const float *b, int n) {
    __m256 sum = _mm256_setzero_ps(), other = _mm256_setzero_ps();
    int j = 0;
    for (; j + 16 <= n; j += 16) {
        sum = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), sum);
        other = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8), other);
    }
    if (j < n) {
        __m256i mask = first_lanes(n - j);
        sum = _mm256_fmadd_ps(_mm256_maskload_ps(a + j, mask), _mm256_maskload_ps(b + j, mask), sum);
    }
    if (j + 8 < n) {
        __m256i mask = first_lanes(n - j - 8);
        other = _mm256_fmadd_ps(_mm256_maskload_ps(a + j + 8, mask), _mm256_maskload_ps(b + j + 8, mask), other);
    }
    return sum_lanes(_mm256_add_ps(sum, other));
}

/* y += alpha·x, in 8 lanes (written out: the compiler does not vectorise it, unable to rule out
 * that y overlaps x); a last part vector through store_first (AMD's masked stores are slow). */
static inline void add_scaled(float *y, float alpha, const float *x, int n) {
    __m256 a = _mm256_set1_ps(alpha);
    int j = 0;
    for (; j + 8 <= n; j += 8)
        _mm256_storeu_ps(y + j, _mm256_fmadd_ps(a, _mm256_loadu_ps(x + j), _mm256_loadu_ps(y + j)));
    if (j < n) {
        __m256i mask = first_lanes(n - j);
        store_first(y + j, _mm256_fmadd_ps(a, _mm256_maskload_ps(x + j, mask), _mm256_maskload_ps(y + j, mask)), n - j);
    }
}

static inline float total(const float *a, int n) {
    __m256 sum = _mm256_setzero_ps(), other = _mm256_setzero_ps();
    int j = 0;
    for (; j + 16 <= n; j += 16) {
        sum = _mm256_add_ps(_mm256_loadu_ps(a + j), sum);
        other = _mm256_add_ps(_mm256_loadu_ps(a + j + 8), other);
    }
    if (j < n) sum = _mm256_add_ps(_mm256_maskload_ps(a + j, first_lanes(n - j)), sum);
    if (j + 8 < n) other = _mm256_add_ps(_mm256_maskload_ps(a + j + 8, first_lanes(n - j - 8)), other);
    return sum_lanes(_mm256_add_ps(sum, other));
}

#define FORM_AVAILABLE() parley_gemm_available()
#define FORM_READS_FORMAT(format) ((format) == PARLEY_PANELS_FLOAT32 || (format) == PARLEY_PANELS_BFLOAT16)
#define PANEL_ROWS parley_panel_rows_avx2
#define DECODER_STEP parley_decoder_step_avx2
#define ATTEND_ONE_POSITION parley_attend_one_position_avx2
#include "parley_decoder_step_body.h"
#define ENCODER_PASS parley_encoder_pass_avx2
#include "parley_encoder_pass_body.h"

#pragma clang attribute pop

#else

int parley_decoder_step_avx2(const parley_decoder_step_t *step) {
    (void)step;
    return -1;
}

int parley_attend_one_position_avx2(int rows, int heads, int head_size, int length, int capacity,
                                    const float *queries, const float *keys, const float *values,
                                    const int *sources, const float *mask, float *weights, float *context) {
    (void)rows; (void)heads; (void)head_size; (void)length; (void)capacity; (void)queries; (void)keys;
    (void)values; (void)sources; (void)mask; (void)weights; (void)context;
    return -1;
}

int parley_encoder_pass_avx2(const parley_encoder_pass_t *pass) {
    (void)pass;
    return -1;
}

#endif
