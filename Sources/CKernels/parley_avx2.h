#ifndef PARLEY_AVX2_H
#define PARLEY_AVX2_H

/* Helpers of the kernels' AVX2 forms (parley_gemm.c, parley_kernels.c, parley_decoder_step_avx2.c),
 * private to CKernels: the forms for CPUs without AVX-512, which have no mask registers — a part
 * vector is read through a lane mask and written with plain stores. Include only on x86-64. */

#include <immintrin.h>
#include <stdint.h>

#define AVX2 __attribute__((target("avx2,fma")))

/* The first `count` (0...8) lanes of an AVX2 mask: ones then zeros, read at an offset. */
static const int32_t lane_ramp[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

static inline __attribute__((always_inline)) AVX2 __m256i first_lanes(int count) {
    count = count < 0 ? 0 : count > 8 ? 8 : count;
    return _mm256_loadu_si256((const __m256i *)(lane_ramp + 8 - count));
}

/* The first `count` floats of x to p, with plain stores of 8, 4, 2 and 1: AMD's masked stores are
 * slow, and packing stores part vectors all the time (the last 4 rows of 12-row panels, 6-row
 * panels). */
static inline __attribute__((always_inline)) AVX2 void store_first(float *p, __m256 x, int count) {
    if (count >= 8) {
        _mm256_storeu_ps(p, x);
        return;
    }
    __m128 part = _mm256_castps256_ps128(x);
    if (count >= 4) {
        _mm_storeu_ps(p, part);
        p += 4, count -= 4;
        part = _mm256_extractf128_ps(x, 1);
    }
    if (count >= 2) {
        _mm_storel_pi((__m64 *)p, part);
        p += 2, count -= 2;
        part = _mm_movehl_ps(part, part);
    }
    if (count >= 1) _mm_store_ss(p, part);
}

/* The sum of x's eight lanes. */
static inline __attribute__((always_inline)) AVX2 float sum_lanes(__m256 x) {
    __m128 half = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    half = _mm_add_ps(half, _mm_movehl_ps(half, half));
    return _mm_cvtss_f32(_mm_add_ss(half, _mm_movehdup_ps(half)));
}

#endif
