#include "parley_kernels.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#include "parley_avx2.h"

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
void dot_block(const float *a, const float *b, float *c, int k, int ldc, int accumulate,
               const int MR, const int NR) {
    __m512 acc[8][4];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) acc[i][j] = _mm512_setzero_ps();
    int p = 0;
    for (; p + 16 <= k; p += 16) {
        __m512 bv[4];
        for (int j = 0; j < NR; j++) {
            bv[j] = _mm512_loadu_ps(b + (long)j * k + p);
            /* Decoding reads weight matrices too large for the caches it shares with the rest of
             * the model: fetch the rows two blocks ahead (prefetches never fault, so running
             * past the last row is harmless). Measured on an evicted 8000×256 matrix at 5 rows:
             * 0.77 → 0.39 ms. */
            _mm_prefetch((const char *)(b + (long)(j + 2 * NR) * k + p), _MM_HINT_T0);
        }
        for (int i = 0; i < MR; i++) {
            __m512 av = _mm512_loadu_ps(a + (long)i * k + p);
            for (int j = 0; j < NR; j++) acc[i][j] = _mm512_fmadd_ps(av, bv[j], acc[i][j]);
        }
    }
    if (p < k) {   /* the last k mod 16 elements, through masked loads (zeros elsewhere) */
        __mmask16 mask = (__mmask16)((1u << (k - p)) - 1);
        __m512 bv[4];
        for (int j = 0; j < NR; j++) bv[j] = _mm512_maskz_loadu_ps(mask, b + (long)j * k + p);
        for (int i = 0; i < MR; i++) {
            __m512 av = _mm512_maskz_loadu_ps(mask, a + (long)i * k + p);
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
void dot_rows_fixed(const float *a, const float *b, float *c, int n, int k, int ldc, int accumulate,
                    const int MR, const int NR) {
    int j = 0;
    for (; j + NR <= n; j += NR)
        dot_block(a, b + (long)j * k, c + j, k, ldc, accumulate, MR, NR);
    for (; j < n; j++)
        dot_block(a, b + (long)j * k, c + j, k, ldc, accumulate, MR, 1);
}

AVX512
void parley_dot_rows_avx512(const float *a, const float *b, float *c,
                            int m, int n, int k, int ldc, int accumulate) {
    /* Up to 24 accumulators plus the NR loaded b vectors and one a vector fit the 32 zmm registers. */
    switch (m) {
    case 1: dot_rows_fixed(a, b, c, n, k, ldc, accumulate, 1, 4); break;
    case 2: dot_rows_fixed(a, b, c, n, k, ldc, accumulate, 2, 4); break;
    case 3: dot_rows_fixed(a, b, c, n, k, ldc, accumulate, 3, 4); break;
    case 4: dot_rows_fixed(a, b, c, n, k, ldc, accumulate, 4, 4); break;
    case 5: dot_rows_fixed(a, b, c, n, k, ldc, accumulate, 5, 3); break;   /* 3 beats 4 here */
    case 6: dot_rows_fixed(a, b, c, n, k, ldc, accumulate, 6, 3); break;
    case 7: dot_rows_fixed(a, b, c, n, k, ldc, accumulate, 7, 3); break;
    case 8: dot_rows_fixed(a, b, c, n, k, ldc, accumulate, 8, 3); break;
    default:
        /* More rows: a panel of columns (rows of b, ~64 KiB at k = 256: it stays in L2) against
         * every block of 8 rows of a before the next panel, so b is read from memory once. */
        for (int j = 0; j < n; j += 64) {
            int columns = n - j < 64 ? n - j : 64;
            for (int i = 0; i < m; i += 8) {
                int rows = m - i < 8 ? m - i : 8;
                parley_dot_rows_avx512(a + (long)i * k, b + (long)j * k, c + (long)i * ldc + j,
                                       rows, columns, k, ldc, accumulate);
            }
        }
    }
}

/* The AVX2 form of dot_block (8-float vectors, 16 registers): MR·NR accumulators, NR vectors of
 * b and one of a live at once, so MR·NR + NR + 1 ≤ 16. */
static inline __attribute__((always_inline)) AVX2
void dot_block_avx2(const float *a, const float *b, float *c, int k, int ldc, int accumulate, const int MR, const int NR) {
    __m256 acc[8][6];
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++)
#pragma clang loop unroll(full)
        for (int j = 0; j < NR; j++) acc[i][j] = _mm256_setzero_ps();
    int p = 0;
    for (; p + 8 <= k; p += 8) {
        __m256 bv[6];
#pragma clang loop unroll(full)
        for (int j = 0; j < NR; j++) {
            bv[j] = _mm256_loadu_ps(b + (long)j * k + p);
            if ((p & 15) == 0) _mm_prefetch((const char *)(b + (long)(j + 2 * NR) * k + p), _MM_HINT_T0);   /* as dot_block */
        }
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) {
            __m256 av = _mm256_loadu_ps(a + (long)i * k + p);
#pragma clang loop unroll(full)
            for (int j = 0; j < NR; j++) acc[i][j] = _mm256_fmadd_ps(av, bv[j], acc[i][j]);
        }
    }
    if (p < k) {   /* the last k mod 8 elements, through masked loads (zeros elsewhere) */
        __m256i mask = first_lanes(k - p);
        __m256 bv[6];
#pragma clang loop unroll(full)
        for (int j = 0; j < NR; j++) bv[j] = _mm256_maskload_ps(b + (long)j * k + p, mask);
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) {
            __m256 av = _mm256_maskload_ps(a + (long)i * k + p, mask);
#pragma clang loop unroll(full)
            for (int j = 0; j < NR; j++) acc[i][j] = _mm256_fmadd_ps(av, bv[j], acc[i][j]);
        }
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++)
#pragma clang loop unroll(full)
        for (int j = 0; j < NR; j++) {
            float value = sum_lanes(acc[i][j]);
            c[(long)i * ldc + j] = accumulate ? c[(long)i * ldc + j] + value : value;
        }
}

static inline __attribute__((always_inline)) AVX2
void dot_rows_fixed_avx2(const float *a, const float *b, float *c, int n, int k, int ldc, int accumulate,
                         const int MR, const int NR) {
    int j = 0;
    for (; j + NR <= n; j += NR) dot_block_avx2(a, b + (long)j * k, c + j, k, ldc, accumulate, MR, NR);
    for (; j < n; j++) dot_block_avx2(a, b + (long)j * k, c + j, k, ldc, accumulate, MR, 1);
}

AVX2
void parley_dot_rows_avx2(const float *a, const float *b, float *c, int m, int n, int k, int ldc, int accumulate) {
    /* At least six accumulators in flight cover the FMA latency (4 cycles, 2 units) for one row. */
    switch (m) {
    case 1: dot_rows_fixed_avx2(a, b, c, n, k, ldc, accumulate, 1, 6); break;
    case 2: dot_rows_fixed_avx2(a, b, c, n, k, ldc, accumulate, 2, 4); break;
    case 3: dot_rows_fixed_avx2(a, b, c, n, k, ldc, accumulate, 3, 3); break;
    case 4: dot_rows_fixed_avx2(a, b, c, n, k, ldc, accumulate, 4, 2); break;
    case 5: dot_rows_fixed_avx2(a, b, c, n, k, ldc, accumulate, 5, 2); break;
    case 6: dot_rows_fixed_avx2(a, b, c, n, k, ldc, accumulate, 6, 2); break;
    case 7: dot_rows_fixed_avx2(a, b, c, n, k, ldc, accumulate, 7, 1); break;
    case 8: dot_rows_fixed_avx2(a, b, c, n, k, ldc, accumulate, 8, 1); break;
    default:   /* as parley_dot_rows_avx512: a 64-column panel of b against every 8 rows of a */
        for (int j = 0; j < n; j += 64) {
            int columns = n - j < 64 ? n - j : 64;
            for (int i = 0; i < m; i += 8)
                parley_dot_rows_avx2(a + (long)i * k, b + (long)j * k, c + (long)i * ldc + j, m - i < 8 ? m - i : 8,
                                     columns, k, ldc, accumulate);
        }
    }
}

/* Weights in panels for the broadcast form: panel q holds columns 64q..<64q + 64 (rows of the
 * weight [n, k]) transposed, k-major, zero past n, so a product's columns come from one
 * contiguous run per 64 of them and any range of the inner dimension is a contiguous part of
 * that run. In float32, panels[(q·k + p)·64 + j] = w[64q + j][p]. In bfloat16, one 32-bit word
 * holds two inner positions of a column, p = 2r in its upper half and 2r + 1 in its lower:
 * words[(q·⌈k/2⌉ + r)·64 + j]. The upper half is then a float32 with the lower bits cleared
 * (one AND), the lower half one shift away — two operations for two weights, where widening
 * 16-bit values one by one takes two each. */
static long panel_words(int k, int format) { return format == PARLEY_PANELS_BFLOAT16 ? (k + 1) / 2 : k; }

size_t parley_panels_count(int n, int k, int format) {
    return (size_t)((n + 63) / 64) * 64 * (size_t)panel_words(k, format);
}

/* The bfloat16 nearest x (ties to even), as the upper 16 bits of its float32; NaN stays NaN. */
static uint32_t bfloat16_bits(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (u >> 16) | 0x40u;
    return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}

void parley_pack_panels(const float *w, int n, int k, int format, void *panels) {
    long words = panel_words(k, format);
    for (int q = 0; q < (n + 63) / 64; q++)
        for (int j = 0; j < 64; j++) {
            int column = 64 * q + j;
            const float *row = column < n ? w + (long)column * k : NULL;
            if (format == PARLEY_PANELS_BFLOAT16) {
                uint32_t *target = (uint32_t *)panels + q * words * 64 + j;
                for (long r = 0; r < words; r++) {
                    uint32_t even = row ? bfloat16_bits(row[2 * r]) : 0;
                    uint32_t odd = row && 2 * r + 1 < k ? bfloat16_bits(row[2 * r + 1]) : 0;
                    target[r * 64] = even << 16 | odd;
                }
            } else {
                float *target = (float *)panels + q * words * 64 + j;
                for (long p = 0; p < k; p++) target[p * 64] = row ? row[p] : 0;
            }
        }
}

/* Stores MR rows of 64 accumulated columns from `column`, the lanes in low..<high only. */
static inline __attribute__((always_inline)) AVX512
void store_panel_columns(__m512 acc[6][4], int column, int low, int high, float *c, int ldc, int accumulate,
                         const int MR) {
    for (int v = 0; v < 4; v++) {
        int first = column + 16 * v, from = low - first, to = high - first;   /* lanes in low..<high */
        if (from < 0) from = 0;
        if (to > 16) to = 16;
        if (to <= from) continue;
        __mmask16 mask = (__mmask16)(((1u << to) - 1) & ~((1u << from) - 1));
        for (int i = 0; i < MR; i++) {
            float *out = c + (long)i * ldc + first;
            __m512 value = acc[i][v];
            if (accumulate) value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(mask, out));
            _mm512_mask_storeu_ps(out, mask, value);
        }
    }
}

/* MR rows of a against the float32 panel at `panel` (64 columns from `column`), inner positions
 * k_low..<k_high; stores the columns in low..<high. Each weight vector loaded serves all MR rows
 * from a register, and nothing is left to reduce across lanes. */
static inline __attribute__((always_inline)) AVX512
void panel_tile(const float *a, int lda, const float *panel, int column, int low, int high, int k_low, int k_high,
                float *c, int ldc, int accumulate, const int MR) {
    __m512 acc[6][4];
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < 4; v++) acc[i][v] = _mm512_setzero_ps();
    const float *w = panel + (long)k_low * 64;
    for (int p = k_low; p < k_high; p++, w += 64) {
        __m512 b[4];
        for (int v = 0; v < 4; v++) {
            b[v] = _mm512_loadu_ps(w + 16 * v);
            _mm_prefetch((const char *)(w + 8 * 64 + 16 * v), _MM_HINT_T0);   /* 2 KiB ahead */
        }
        for (int i = 0; i < MR; i++) {
            __m512 av = _mm512_set1_ps(a[(long)i * lda + p]);
            for (int v = 0; v < 4; v++) acc[i][v] = _mm512_fmadd_ps(av, b[v], acc[i][v]);
        }
    }
    store_panel_columns(acc, column, low, high, c, ldc, accumulate, MR);
}

/* The same on a bfloat16 panel (k_low even): each 64-byte load holds two inner positions of 16
 * columns. The sums run in the same order as panel_tile's, so the result is panel_tile's on the
 * rounded weights. */
static inline __attribute__((always_inline)) AVX512
void panel_tile_bf16(const float *a, int lda, const uint32_t *panel, int column, int low, int high, int k_low,
                     int k_high, float *c, int ldc, int accumulate, const int MR) {
    __m512 acc[6][4];
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < 4; v++) acc[i][v] = _mm512_setzero_ps();
    const __m512i upper = _mm512_set1_epi32((int)0xffff0000u);
    const uint32_t *w = panel + (long)(k_low / 2) * 64;
    int p = k_low;
    for (; p < k_high; p += 2, w += 64) {
        __m512 even[4], odd[4];
        for (int v = 0; v < 4; v++) {
            __m512i pair = _mm512_loadu_si512((const void *)(w + 16 * v));
            _mm_prefetch((const char *)(w + 8 * 64 + 16 * v), _MM_HINT_T0);   /* 2 KiB ahead */
            even[v] = _mm512_castsi512_ps(_mm512_and_si512(pair, upper));
            odd[v] = _mm512_castsi512_ps(_mm512_slli_epi32(pair, 16));
        }
        int both = p + 1 < k_high;
        for (int i = 0; i < MR; i++) {
            __m512 av = _mm512_set1_ps(a[(long)i * lda + p]);
            for (int v = 0; v < 4; v++) acc[i][v] = _mm512_fmadd_ps(av, even[v], acc[i][v]);
            if (both) {
                av = _mm512_set1_ps(a[(long)i * lda + p + 1]);
                for (int v = 0; v < 4; v++) acc[i][v] = _mm512_fmadd_ps(av, odd[v], acc[i][v]);
            }
        }
    }
    store_panel_columns(acc, column, low, high, c, ldc, accumulate, MR);
}

/* Up to six rows in one pass over a panel (24 accumulators, four weight vectors, one broadcast). */
static AVX512 void panel_rows_upto6(const float *a, int lda, const void *panel, int format, int column, int low,
                                    int high, int k_low, int k_high, float *c, int ldc, int accumulate, int rows) {
#define PANEL_TILE(MR)                                                                                           \
    (format == PARLEY_PANELS_BFLOAT16                                                                            \
         ? panel_tile_bf16(a, lda, panel, column, low, high, k_low, k_high, c, ldc, accumulate, MR)              \
         : panel_tile(a, lda, panel, column, low, high, k_low, k_high, c, ldc, accumulate, MR))
    switch (rows) {
    case 1: PANEL_TILE(1); break;
    case 2: PANEL_TILE(2); break;
    case 3: PANEL_TILE(3); break;
    case 4: PANEL_TILE(4); break;
    case 5: PANEL_TILE(5); break;
    default: PANEL_TILE(6); break;
    }
#undef PANEL_TILE
}

/* Stores MR rows of the V vectors of 8 accumulated columns from `column`, the lanes in
 * low..<high only: whole vectors plainly, part ones through store_first (AMD's masked stores are
 * slow), their first lane in range moved to lane 0. */
static inline __attribute__((always_inline)) AVX2
void store_panel_columns_avx2(__m256 acc[6][8], int column, int low, int high, float *c, int ldc, int accumulate,
                              const int MR, const int V) {
#pragma clang loop unroll(full)
    for (int v = 0; v < V; v++) {
        int first = column + 8 * v, from = low - first, to = high - first;   /* lanes in low..<high */
        if (from < 0) from = 0;
        if (to > 8) to = 8;
        if (to <= from) continue;
        if (from == 0 && to == 8) {
#pragma clang loop unroll(full)
            for (int i = 0; i < MR; i++) {
                float *out = c + (long)i * ldc + first;
                __m256 value = acc[i][v];
                if (accumulate) value = _mm256_add_ps(value, _mm256_loadu_ps(out));
                _mm256_storeu_ps(out, value);
            }
            continue;
        }
        __m256i lanes = _mm256_andnot_si256(first_lanes(from), first_lanes(to));
        __m256i shift = _mm256_add_epi32(_mm256_set1_epi32(from), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) {
            float *out = c + (long)i * ldc + first;
            __m256 value = acc[i][v];
            if (accumulate) value = _mm256_add_ps(value, _mm256_maskload_ps(out, lanes));
            store_first(out + from, _mm256_permutevar8x32_ps(value, shift), to - from);
        }
    }
}

/* Inner positions per chunk of the AVX2 panel kernel: 32 rows of a panel, 8 KiB. */
enum { PANEL_CHUNK_AVX2 = 32 };

/* One pass's FMAs over the inner positions k0..<k1 of a float32 panel from w (the pass's first
 * column at position k0), into MR rows × V vectors of accumulators, fetching `ahead` panel rows
 * ahead. */
static inline __attribute__((always_inline)) AVX2
void chunk_float32_avx2(__m256 acc[6][8], const float *a, int lda, const float *w, int k0, int k1, int ahead,
                        const int MR, const int V) {
    for (int p = k0; p < k1; p++, w += 64) {
#pragma clang loop unroll(full)
        for (int v = 0; v < V; v += 2) _mm_prefetch((const char *)(w + ahead * 64 + 8 * v), _MM_HINT_T0);
        if (MR * (V + 1) + 1 <= 16) {
            /* The rows' broadcasts held, a weight vector at a time (one row: straight from
             * memory into the FMAs). Loading all V first left clang shuffling the 8
             * accumulators of one row between registers and spilling one. */
            __m256 av[6];
#pragma clang loop unroll(full)
            for (int i = 0; i < MR; i++) av[i] = _mm256_broadcast_ss(a + (long)i * lda + p);
#pragma clang loop unroll(full)
            for (int v = 0; v < V; v++) {
                __m256 b = _mm256_loadu_ps(w + 8 * v);
#pragma clang loop unroll(full)
                for (int i = 0; i < MR; i++) acc[i][v] = _mm256_fmadd_ps(av[i], b, acc[i][v]);
            }
        } else {   /* five or six rows: the weight vectors held, a row's broadcast at a time */
            __m256 b[8];
#pragma clang loop unroll(full)
            for (int v = 0; v < V; v++) b[v] = _mm256_loadu_ps(w + 8 * v);
#pragma clang loop unroll(full)
            for (int i = 0; i < MR; i++) {
                __m256 av = _mm256_broadcast_ss(a + (long)i * lda + p);
#pragma clang loop unroll(full)
                for (int v = 0; v < V; v++) acc[i][v] = _mm256_fmadd_ps(av, b[v], acc[i][v]);
            }
        }
    }
}

/* The same on a bfloat16 panel (k0 even), w at the pass's first column of pair k0 / 2: a 32-byte
 * load holds two inner positions of 8 columns, widened by an AND and a shift as in
 * panel_tile_bf16, and each accumulator takes position p, then p + 1, as the float32 chunk
 * does. A pass holds 2·V widened weight vectors or 2·MR broadcasts, so it covers fewer columns
 * than the float32 one at three and six rows (panel_rows_upto6_avx2). `ahead` counts pairs. */
static inline __attribute__((always_inline)) AVX2
void chunk_bfloat16_avx2(__m256 acc[6][8], const float *a, int lda, const uint32_t *w, int k0, int k1, int ahead,
                         const int MR, const int V) {
    const __m256i upper = _mm256_set1_epi32((int)0xffff0000u);
    for (int p = k0; p < k1; p += 2, w += 64) {
#pragma clang loop unroll(full)
        for (int v = 0; v < V; v += 2) _mm_prefetch((const char *)(w + ahead * 64 + 8 * v), _MM_HINT_T0);
        int both = p + 1 < k1;   /* the last pair of an odd k holds one position */
        if (MR <= 2) {
            /* The rows' broadcasts held, a word vector widened at a time. */
            __m256 even_a[6], odd_a[6];
#pragma clang loop unroll(full)
            for (int i = 0; i < MR; i++) {
                even_a[i] = _mm256_broadcast_ss(a + (long)i * lda + p);
                odd_a[i] = both ? _mm256_broadcast_ss(a + (long)i * lda + p + 1) : _mm256_setzero_ps();
            }
#pragma clang loop unroll(full)
            for (int v = 0; v < V; v++) {
                __m256i pair = _mm256_loadu_si256((const __m256i *)(w + 8 * v));
                __m256 even = _mm256_castsi256_ps(_mm256_and_si256(pair, upper));
#pragma clang loop unroll(full)
                for (int i = 0; i < MR; i++) acc[i][v] = _mm256_fmadd_ps(even_a[i], even, acc[i][v]);
                if (both) {
                    __m256 odd = _mm256_castsi256_ps(_mm256_slli_epi32(pair, 16));
#pragma clang loop unroll(full)
                    for (int i = 0; i < MR; i++) acc[i][v] = _mm256_fmadd_ps(odd_a[i], odd, acc[i][v]);
                }
            }
        } else {   /* three to six rows: the widened weight vectors held, a row's broadcast at a time */
            __m256 even[8], odd[8];
#pragma clang loop unroll(full)
            for (int v = 0; v < V; v++) {
                __m256i pair = _mm256_loadu_si256((const __m256i *)(w + 8 * v));
                even[v] = _mm256_castsi256_ps(_mm256_and_si256(pair, upper));
                odd[v] = _mm256_castsi256_ps(_mm256_slli_epi32(pair, 16));
            }
#pragma clang loop unroll(full)
            for (int i = 0; i < MR; i++) {
                __m256 av = _mm256_broadcast_ss(a + (long)i * lda + p);
#pragma clang loop unroll(full)
                for (int v = 0; v < V; v++) acc[i][v] = _mm256_fmadd_ps(av, even[v], acc[i][v]);
                if (both) {
                    av = _mm256_broadcast_ss(a + (long)i * lda + p + 1);
#pragma clang loop unroll(full)
                    for (int v = 0; v < V; v++) acc[i][v] = _mm256_fmadd_ps(av, odd[v], acc[i][v]);
                }
            }
        }
    }
}

/* The AVX2 form of panel_tile, on a float32 panel or (bf16 set, k_low even) a bfloat16 one. The
 * 16 ymm registers hold MR·V accumulators with V weight vectors and a broadcast, or with the MR
 * rows' broadcasts and one weight vector, so a pass covers 8·V of the panel's 64 columns: one
 * row takes the whole panel in a pass (its 8 accumulators cover the FMAs' latency; each weight
 * vector serves one FMA, straight from memory), two or three rows half of it, four to six a
 * quarter. Each pass reads its own cache lines of the panel's rows (a row of 64 floats is four
 * lines), so the weights are still read once; but a pass over the whole inner range reads one
 * line in four, 256 bytes apart, and ran 1.5-1.8× slower than the dot kernel on 3-8 rows
 * (weights in L3, one Zen 3 core). So the passes go chunk by chunk of the inner range
 * (PANEL_CHUNK_AVX2 positions), each fetching its lines of the next chunk ahead, and add their
 * sums of later chunks to c. Passes wholly outside low..<high are skipped (a last panel past n).
 * Both formats take the same chunks and each column's FMAs in the same order, so a bfloat16
 * panel gives the float32 panel's result on the rounded weights, to the bit. */
static inline __attribute__((always_inline)) AVX2
void panel_tile_avx2(const float *a, int lda, const void *panel, const int bf16, int column, int low, int high,
                     int k_low, int k_high, float *c, int ldc, int accumulate, const int MR, const int V) {
    /* Panel rows (pairs, in bfloat16) ahead to fetch: the next chunk's, or for one pass over the
     * panel 8 KiB ahead in its one stream (2 KiB, as panel_tile, measured slower on a
     * 512 × 2048 weight). */
    const int ahead = V == 8 ? 32 : bf16 ? PANEL_CHUNK_AVX2 / 2 : PANEL_CHUNK_AVX2;
    for (int k0 = k_low; k0 < k_high; k0 += PANEL_CHUNK_AVX2) {
        int k1 = k0 + PANEL_CHUNK_AVX2 < k_high ? k0 + PANEL_CHUNK_AVX2 : k_high;
        for (int pass = 0; pass < 64; pass += 8 * V) {
            if (column + pass >= high || column + pass + 8 * V <= low) continue;
            __m256 acc[6][8];
#pragma clang loop unroll(full)
            for (int i = 0; i < MR; i++)
#pragma clang loop unroll(full)
                for (int v = 0; v < V; v++) acc[i][v] = _mm256_setzero_ps();
            if (bf16)
                chunk_bfloat16_avx2(acc, a, lda, (const uint32_t *)panel + (long)(k0 / 2) * 64 + pass, k0, k1, ahead,
                                    MR, V);
            else
                chunk_float32_avx2(acc, a, lda, (const float *)panel + (long)k0 * 64 + pass, k0, k1, ahead, MR, V);
            store_panel_columns_avx2(acc, column + pass, low, high, c, ldc, accumulate || k0 > k_low, MR, V);
        }
    }
}

/* Up to six rows in one pass over a float32 or bfloat16 panel. */
static AVX2 void panel_rows_upto6_avx2(const float *a, int lda, const void *panel, int format, int column, int low,
                                       int high, int k_low, int k_high, float *c, int ldc, int accumulate, int rows) {
#define PANEL_TILE_AVX2(MR, V, V_BF16)                                                                               \
    (format == PARLEY_PANELS_BFLOAT16                                                                                \
         ? panel_tile_avx2(a, lda, panel, 1, column, low, high, k_low, k_high, c, ldc, accumulate, MR, V_BF16)       \
         : panel_tile_avx2(a, lda, panel, 0, column, low, high, k_low, k_high, c, ldc, accumulate, MR, V))
    switch (rows) {
    case 1: PANEL_TILE_AVX2(1, 8, 8); break;
    case 2: PANEL_TILE_AVX2(2, 4, 4); break;
    case 3: PANEL_TILE_AVX2(3, 4, 2); break;
    case 4: PANEL_TILE_AVX2(4, 2, 2); break;
    case 5: PANEL_TILE_AVX2(5, 2, 2); break;
    default: PANEL_TILE_AVX2(6, 2, 1); break;
    }
#undef PANEL_TILE_AVX2
}

/* parley_panel_rows on `upto6`, the AVX-512 or the AVX2 form of the tiles: checks the arguments,
 * then goes panel by panel. */
typedef void panel_rows_form(const float *a, int lda, const void *panel, int format, int column, int low, int high,
                             int k_low, int k_high, float *c, int ldc, int accumulate, int rows);

static int panel_rows(panel_rows_form *upto6, const float *a, int lda, const void *panels, int format, int n, int k,
                      int low, int high, int k_low, int k_high, float *c, int ldc, int rows, int accumulate) {
    if (rows < 1 || rows > 8 || low < 0 || high > n || k_low < 0 || k_high > k) return -1;
    if (format != PARLEY_PANELS_FLOAT32 && (format != PARLEY_PANELS_BFLOAT16 || k_low % 2 != 0)) return -1;
    if (high <= low) return 0;
    long stride = 64 * panel_words(k, format) * 4;   /* bytes per panel */
    for (int q = low / 64; q * 64 < high; q++) {
        const char *panel = (const char *)panels + q * stride;
        if (rows <= 6) {
            upto6(a, lda, panel, format, 64 * q, low, high, k_low, k_high, c, ldc, accumulate, rows);
        } else {   /* seven or eight rows: four, then the rest, the panel's run still in L2 */
            upto6(a, lda, panel, format, 64 * q, low, high, k_low, k_high, c, ldc, accumulate, 4);
            upto6(a + 4L * lda, lda, panel, format, 64 * q, low, high, k_low, k_high, c + 4L * ldc, ldc, accumulate,
                  rows - 4);
        }
    }
    return 0;
}

int parley_panel_rows(const float *a, int lda, const void *panels, int format, int n, int k, int low, int high,
                      int k_low, int k_high, float *c, int ldc, int rows, int accumulate) {
    return panel_rows(panel_rows_upto6, a, lda, panels, format, n, k, low, high, k_low, k_high, c, ldc, rows,
                      accumulate);
}

int parley_panel_rows_avx2(const float *a, int lda, const void *panels, int format, int n, int k, int low, int high,
                           int k_low, int k_high, float *c, int ldc, int rows, int accumulate) {
    return panel_rows(panel_rows_upto6_avx2, a, lda, panels, format, n, k, low, high, k_low, k_high, c, ldc, rows,
                      accumulate);
}

/* Adam's update over 16 lanes at a time (Optimizers/Adam.swift gives the rule). In Swift the
 * lanes' square roots compiled to one scalar instruction each (SIMD16's squareRoot goes lane by
 * lane): the update was 2 % of a training step's samples. Each lane does the same operations in
 * the same order as the Swift loop, unfused, so the results are the same bits. */
static AVX512 void adam_lanes(float *theta, const float *g, float *m, float *v, long count, float beta1, float beta2,
                              float epsilon, float l2, float shrink, float step_size, float inverse_root_correction2) {
#ifdef __clang__
#pragma clang fp contract(off)
#endif
    const __m512 b1 = _mm512_set1_ps(beta1), b2 = _mm512_set1_ps(beta2), c1 = _mm512_set1_ps(1 - beta1);
    const __m512 c2 = _mm512_set1_ps(1 - beta2), eps = _mm512_set1_ps(epsilon), decay = _mm512_set1_ps(l2);
    const __m512 keep = _mm512_set1_ps(shrink), step = _mm512_set1_ps(step_size);
    const __m512 root = _mm512_set1_ps(inverse_root_correction2);
    for (long i = 0; i < count; i += 16) {
        __mmask16 lanes = count - i >= 16 ? 0xFFFF : (__mmask16)((1u << (count - i)) - 1);
        __m512 weights = _mm512_maskz_loadu_ps(lanes, theta + i);
        __m512 gradient = _mm512_add_ps(_mm512_maskz_loadu_ps(lanes, g + i), _mm512_mul_ps(decay, weights));
        __m512 mean = _mm512_add_ps(_mm512_mul_ps(b1, _mm512_maskz_loadu_ps(lanes, m + i)), _mm512_mul_ps(c1, gradient));
        __m512 variance = _mm512_add_ps(_mm512_mul_ps(b2, _mm512_maskz_loadu_ps(lanes, v + i)),
                                        _mm512_mul_ps(_mm512_mul_ps(c2, gradient), gradient));
        __m512 denominator = _mm512_add_ps(_mm512_mul_ps(_mm512_sqrt_ps(variance), root), eps);
        __m512 updated = _mm512_sub_ps(_mm512_mul_ps(keep, weights), _mm512_div_ps(_mm512_mul_ps(step, mean), denominator));
        _mm512_mask_storeu_ps(m + i, lanes, mean);
        _mm512_mask_storeu_ps(v + i, lanes, variance);
        _mm512_mask_storeu_ps(theta + i, lanes, updated);
    }
}

int parley_adam_update(float *theta, const float *g, float *m, float *v, long count, float beta1, float beta2,
                       float epsilon, float l2, float shrink, float step_size, float inverse_root_correction2) {
    if (!parley_kernels_have_avx512()) return -1;
    adam_lanes(theta, g, m, v, count, beta1, beta2, epsilon, l2, shrink, step_size, inverse_root_correction2);
    return 0;
}

#else

int parley_kernels_have_avx512(void) { return 0; }

int parley_adam_update(float *theta, const float *g, float *m, float *v, long count, float beta1, float beta2,
                       float epsilon, float l2, float shrink, float step_size, float inverse_root_correction2) {
    (void)theta; (void)g; (void)m; (void)v; (void)count; (void)beta1; (void)beta2; (void)epsilon; (void)l2;
    (void)shrink; (void)step_size; (void)inverse_root_correction2;
    return -1;
}

void parley_dot_rows_avx512(const float *a, const float *b, float *c,
                            int m, int n, int k, int ldc, int accumulate) {
    (void)a; (void)b; (void)c; (void)m; (void)n; (void)k; (void)ldc; (void)accumulate;
}

void parley_dot_rows_avx2(const float *a, const float *b, float *c, int m, int n, int k, int ldc, int accumulate) {
    (void)a; (void)b; (void)c; (void)m; (void)n; (void)k; (void)ldc; (void)accumulate;
}

size_t parley_panels_count(int n, int k, int format) { (void)n; (void)k; (void)format; return 0; }

void parley_pack_panels(const float *w, int n, int k, int format, void *panels) {
    (void)w; (void)n; (void)k; (void)format; (void)panels;
}

int parley_panel_rows(const float *a, int lda, const void *panels, int format, int n, int k, int low, int high,
                      int k_low, int k_high, float *c, int ldc, int rows, int accumulate) {
    (void)a; (void)lda; (void)panels; (void)format; (void)n; (void)k; (void)low; (void)high; (void)k_low;
    (void)k_high; (void)c; (void)ldc; (void)rows; (void)accumulate;
    return -1;
}

int parley_panel_rows_avx2(const float *a, int lda, const void *panels, int format, int n, int k, int low, int high,
                           int k_low, int k_high, float *c, int ldc, int rows, int accumulate) {
    return parley_panel_rows(a, lda, panels, format, n, k, low, high, k_low, k_high, c, ldc, rows, accumulate);
}

#endif
