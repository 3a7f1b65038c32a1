#include "parley_decoder_step.h"
#include "parley_encoder_pass.h"
#include "parley_kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The fused decoding step on AVX-512: the step itself is parley_decoder_step_body.h; here are its
 * 16-lane helpers. */

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))

#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx512f,fma,avx2"))), apply_to = function)

/* Σ a[j]·b[j] in 16 lanes (the compiler may not reorder a float sum to vectorise it itself). */
static inline float dot(const float *a, const float *b, int n) {
    __m512 sum = _mm512_setzero_ps();
    int j = 0;
    for (; j + 16 <= n; j += 16) sum = _mm512_fmadd_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j), sum);
    if (j < n) {
        __mmask16 mask = (__mmask16)((1u << (n - j)) - 1);
        sum = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + j), _mm512_maskz_loadu_ps(mask, b + j), sum);
    }
    return _mm512_reduce_add_ps(sum);
}

/* y += alpha·x, in 16 lanes (written out: the compiler does not vectorise it, unable to rule
 * out that y overlaps x). */
static inline void add_scaled(float *y, float alpha, const float *x, int n) {
    __m512 a = _mm512_set1_ps(alpha);
    int j = 0;
    for (; j + 16 <= n; j += 16)
        _mm512_storeu_ps(y + j, _mm512_fmadd_ps(a, _mm512_loadu_ps(x + j), _mm512_loadu_ps(y + j)));
    if (j < n) {
        __mmask16 mask = (__mmask16)((1u << (n - j)) - 1);
        _mm512_mask_storeu_ps(y + j, mask, _mm512_fmadd_ps(a, _mm512_maskz_loadu_ps(mask, x + j),
                                                           _mm512_maskz_loadu_ps(mask, y + j)));
    }
}

static inline float total(const float *a, int n) {
    __m512 sum = _mm512_setzero_ps();
    int j = 0;
    for (; j + 16 <= n; j += 16) sum = _mm512_add_ps(_mm512_loadu_ps(a + j), sum);
    if (j < n) sum = _mm512_add_ps(_mm512_maskz_loadu_ps((__mmask16)((1u << (n - j)) - 1), a + j), sum);
    return _mm512_reduce_add_ps(sum);
}

#define FORM_AVAILABLE() parley_kernels_have_avx512()
#define FORM_READS_FORMAT(format) ((format) == PARLEY_PANELS_FLOAT32 || (format) == PARLEY_PANELS_BFLOAT16)
#define PANEL_ROWS parley_panel_rows
#define DECODER_STEP parley_decoder_step
#define ATTEND_ONE_POSITION parley_attend_one_position
#include "parley_decoder_step_body.h"
#define ENCODER_PASS parley_encoder_pass
#include "parley_encoder_pass_body.h"

#pragma clang attribute pop

#else

int parley_decoder_step(const parley_decoder_step_t *step) {
    (void)step;
    return -1;
}

int parley_attend_one_position(int rows, int heads, int head_size, int length, int capacity,
                               const float *queries, const float *keys, const float *values,
                               const int *sources, const float *mask, float *weights, float *context) {
    (void)rows; (void)heads; (void)head_size; (void)length; (void)capacity; (void)queries; (void)keys;
    (void)values; (void)sources; (void)mask; (void)weights; (void)context;
    return -1;
}

int parley_encoder_pass(const parley_encoder_pass_t *pass) {
    (void)pass;
    return -1;
}

#endif
