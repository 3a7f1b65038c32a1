#include "parley_kernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

int parley_kernels_have_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

#define AVX512 __attribute__((target("avx512f,fma,avx2")))

/* One block of the product: MR rows of a against NR rows of b, all k elements, each of the
 * MR×NR dot products in its own zmm accumulator. Every b element loaded is used MR times and
 * every a element NR times, so for MR·NR ≥ MR + NR the loop is bound by FMAs, not loads
 * (the dot-per-output form does one load per FMA). MR and NR are literals at every call, so the
 * compiler unrolls both loops and keeps the accumulators in registers. */
static inline __attribute__((always_inline)) AVX512
void dot_block(const float *a, long lda, const float *b, long ldb, float *c, int k, int ldc, int accumulate,
               const int MR, const int NR) {
    __m512 acc[8][4];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) acc[i][j] = _mm512_setzero_ps();
    int p = 0;
    for (; p + 16 <= k; p += 16) {
        __m512 bv[4];
        for (int j = 0; j < NR; j++) {
            bv[j] = _mm512_loadu_ps(b + j * ldb + p);
            /* Decoding reads weight matrices too large for the caches it shares with the rest of
             * the model: fetch the rows two blocks ahead (prefetches never fault, so running
             * past the last row is harmless). Measured on an evicted 8000×256 matrix at 5 rows:
             * 0.77 → 0.39 ms. */
            _mm_prefetch((const char *)(b + (j + 2 * NR) * ldb + p), _MM_HINT_T0);
        }
        for (int i = 0; i < MR; i++) {
            __m512 av = _mm512_loadu_ps(a + i * lda + p);
            for (int j = 0; j < NR; j++) acc[i][j] = _mm512_fmadd_ps(av, bv[j], acc[i][j]);
        }
    }
    if (p < k) {   /* the last k mod 16 elements, through masked loads (zeros elsewhere) */
        __mmask16 mask = (__mmask16)((1u << (k - p)) - 1);
        __m512 bv[4];
        for (int j = 0; j < NR; j++) bv[j] = _mm512_maskz_loadu_ps(mask, b + j * ldb + p);
        for (int i = 0; i < MR; i++) {
            __m512 av = _mm512_maskz_loadu_ps(mask, a + i * lda + p);
            for (int j = 0; j < NR; j++) acc[i][j] = _mm512_fmadd_ps(av, bv[j], acc[i][j]);
        }
    }
    for (int i = 0; i < MR; i++) {
        float *out = c + (long)i * ldc;
        if (NR >= 3) {
            /* Three or four sums at once: halve each accumulator to 256 bits, then two rounds of
             * horizontal adds leave [s0 s1 s2 s3] in each 128-bit half (13 operations instead
             * of four separate reductions of 9; with three, the fourth is a zero: 5- to 32-row
             * products 2–5 % faster on one thread than with three separate reductions). */
            __m256 h[4];
            for (int j = 0; j < 4; j++)
                h[j] = j < NR ? _mm256_add_ps(_mm512_castps512_ps256(acc[i][j]),
                                              _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc[i][j]), 1)))
                              : _mm256_setzero_ps();
            __m256 pairs = _mm256_hadd_ps(_mm256_hadd_ps(h[0], h[1]), _mm256_hadd_ps(h[2], h[3]));
            __m128 sums = _mm_add_ps(_mm256_castps256_ps128(pairs), _mm256_extractf128_ps(pairs, 1));
            if (NR == 4) {
                if (accumulate) sums = _mm_add_ps(sums, _mm_loadu_ps(out));
                _mm_storeu_ps(out, sums);
            } else {
                float lanes[4];
                _mm_storeu_ps(lanes, sums);
                for (int j = 0; j < NR; j++) out[j] = accumulate ? out[j] + lanes[j] : lanes[j];
            }
        } else {
            for (int j = 0; j < NR; j++) {
                float value = _mm512_reduce_add_ps(acc[i][j]);
                out[j] = accumulate ? out[j] + value : value;
            }
        }
    }
}

/* All n columns for MR rows: blocks of NR columns, then single columns. */
static inline __attribute__((always_inline)) AVX512
void dot_rows_fixed(const float *a, long lda, const float *b, long ldb, float *c, int n, int k, int ldc, int accumulate,
                    const int MR, const int NR) {
    int j = 0;
    for (; j + NR <= n; j += NR)
        dot_block(a, lda, b + j * ldb, ldb, c + j, k, ldc, accumulate, MR, NR);
    for (; j < n; j++)
        dot_block(a, lda, b + j * ldb, ldb, c + j, k, ldc, accumulate, MR, 1);
}

AVX512
void parley_dot_rows_strided_avx512(const float *a, int lda, const float *b, int ldb, float *c, int ldc,
                                    int m, int n, int k, int accumulate) {
    /* Up to 24 accumulators plus the NR loaded b vectors and one a vector fit the 32 zmm registers. */
    switch (m) {
    case 1: dot_rows_fixed(a, lda, b, ldb, c, n, k, ldc, accumulate, 1, 4); break;
    case 2: dot_rows_fixed(a, lda, b, ldb, c, n, k, ldc, accumulate, 2, 4); break;
    case 3: dot_rows_fixed(a, lda, b, ldb, c, n, k, ldc, accumulate, 3, 4); break;
    case 4: dot_rows_fixed(a, lda, b, ldb, c, n, k, ldc, accumulate, 4, 4); break;
    case 5: dot_rows_fixed(a, lda, b, ldb, c, n, k, ldc, accumulate, 5, 3); break;   /* 3 beats 4 here */
    case 6: dot_rows_fixed(a, lda, b, ldb, c, n, k, ldc, accumulate, 6, 3); break;
    case 7: dot_rows_fixed(a, lda, b, ldb, c, n, k, ldc, accumulate, 7, 3); break;
    case 8: dot_rows_fixed(a, lda, b, ldb, c, n, k, ldc, accumulate, 8, 3); break;
    default:
        /* More rows: a panel of columns (rows of b, ~64 KiB at k = 256: it stays in L2) against
         * every block of 8 rows of a before the next panel, so b is read from memory once. */
        for (int j = 0; j < n; j += 64) {
            int columns = n - j < 64 ? n - j : 64;
            for (int i = 0; i < m; i += 8) {
                int rows = m - i < 8 ? m - i : 8;
                parley_dot_rows_strided_avx512(a + (long)i * lda, lda, b + (long)j * ldb, ldb,
                                               c + (long)i * ldc + j, ldc, rows, columns, k, accumulate);
            }
        }
    }
}

void parley_dot_rows_avx512(const float *a, const float *b, float *c,
                            int m, int n, int k, int ldc, int accumulate) {
    parley_dot_rows_strided_avx512(a, k, b, k, c, ldc, m, n, k, accumulate);
}

#else

int parley_kernels_have_avx512(void) { return 0; }

void parley_dot_rows_avx512(const float *a, const float *b, float *c,
                            int m, int n, int k, int ldc, int accumulate) {
    (void)a; (void)b; (void)c; (void)m; (void)n; (void)k; (void)ldc; (void)accumulate;
}

void parley_dot_rows_strided_avx512(const float *a, int lda, const float *b, int ldb, float *c, int ldc,
                                    int m, int n, int k, int accumulate) {
    (void)a; (void)lda; (void)b; (void)ldb; (void)c; (void)ldc; (void)m; (void)n; (void)k; (void)accumulate;
}

#endif
