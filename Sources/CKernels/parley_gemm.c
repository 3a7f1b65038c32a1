#include "parley_kernels.h"

/* Packed single-precision GEMM with AVX-512 and AVX2 micro-kernels, for the large products of
 * training (and of batched decoding): C (+)= op(A)·op(B), row-major.
 *
 * Why not BLAS: OpenBLAS picks its kernels by CPU model, and on CPUs it does not know (or when
 * OPENBLAS_CORETYPE says so) it runs its AVX2 kernels at half the FMA width the core has. This
 * file is the textbook layered GEMM (Goto & van de Geijn 2008, "Anatomy of high-performance
 * matrix multiplication"; the loop structure of BLIS):
 *
 *   for each NC-wide block of columns of C:
 *     for each KC-deep slice of the inner dimension:      pack op(B)[slice, block] into NR-wide panels
 *       for each MC-tall block of rows:                   pack op(A)[rows, slice] into MR-tall panels
 *         for each NR-wide panel, for each MR-tall panel: micro-kernel, an MR×NR tile of C in registers
 *
 * The micro-kernel keeps a 12×32 tile of C in 24 zmm registers; each step of the inner dimension
 * loads two vectors of the B panel, broadcasts twelve elements of the A panel and does 24 FMAs.
 * Packing turns every transpose case into the same contiguous layout and pads ragged edges with
 * zeros, so the kernel never branches on shape; only the store is masked at the edges. A B panel
 * (KC×NR, 32 KiB) stays in L1 while the A block (MC×KC, 192 KiB) streams from L2.
 *
 * On a CPU without AVX-512 (AMD's before Zen 4) the same panels, in the same layout, feed an AVX2
 * micro-kernel: 16 ymm registers hold a 6×16 part of the tile (12 accumulators, two B vectors and
 * a broadcast), so a 12×32 tile is four such parts, and the packing transposes 8×8 blocks. Kept
 * copies of weights are laid out the same for both, so either kernel reads them. */

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parley_avx2.h"

#define AVX512 __attribute__((target("avx512f,fma,avx2")))

/* Each product runs on the AVX-512 kernels or the AVX2 ones as its caller says (`avx512`), never
 * a mix; AVX-512 only where the CPU has it. The packings are the same, so kept copies serve both.
 * (A process-wide switch let one caller's choice change another's kernels mid-run.) */
static int runs_avx512(int asked) { return asked && parley_kernels_have_avx512(); }

int parley_gemm_available(void) {
    __builtin_cpu_init();
    return parley_kernels_have_avx512() || (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 1 : 0;
}

/* Eight rows of 8 floats transposed in registers: r[j] becomes what was column j. Pairs of
 * floats, then pairs of pairs within 128-bit lanes, then the lanes swapped. */
static inline __attribute__((always_inline)) AVX2 void transpose8(__m256 r[8]) {
    __m256 t[8], s[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);       /* r[i][0] r[i+1][0] r[i][1] r[i+1][1] | …[4] …[5] */
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);   /* the same for columns 2, 3 | 6, 7 */
    }
    for (int i = 0; i < 8; i += 4) {                     /* rows i..i+3 of columns c | c + 4 */
        s[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        s[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        s[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        s[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int c = 0; c < 4; c++) {
        r[c] = _mm256_permute2f128_ps(s[c], s[4 + c], 0x20);
        r[4 + c] = _mm256_permute2f128_ps(s[c], s[4 + c], 0x31);
    }
}

/* pack_transposed with AVX2: eight rows of the source at a time, 8 × 8 blocks. */
static AVX2 void pack_transposed_avx2(const float *source, long ld, int count, int width, int depth, float *target,
                                      int stride) {
    for (int i0 = 0; i0 < width; i0 += 8) {
        int columns = width - i0 < 8 ? width - i0 : 8;
        for (int p0 = 0; p0 < depth; p0 += 8) {
            int span = depth - p0 < 8 ? depth - p0 : 8;
            __m256i inner = first_lanes(span);
            __m256 r[8];
#pragma clang loop unroll(full)
            for (int i = 0; i < 8; i++) {
                const float *row = source + (long)(i0 + i) * ld + p0;
                r[i] = i0 + i >= count ? _mm256_setzero_ps() : span == 8 ? _mm256_loadu_ps(row) : _mm256_maskload_ps(row, inner);
            }
            transpose8(r);
#pragma clang loop unroll(full)
            for (int j = 0; j < 8; j++) {
                if (j < span) store_first(target + (long)(p0 + j) * stride + i0, r[j], columns);
            }
        }
    }
}

/* pack_rows with AVX2. */
static AVX2 void pack_rows_avx2(const float *source, long ld, int count, int width, int depth, float *target) {
    for (int p = 0; p < depth; p++, source += ld, target += width)
        for (int j = 0; j < width; j += 8) {
            __m256 x = count - j >= 8 ? _mm256_loadu_ps(source + j) : _mm256_maskload_ps(source + j, first_lanes(count - j));
            store_first(target + j, x, width - j);
        }
}

enum { MR = 12, NR = 32, KC = 256, MC = 192, NC = 4096 };
/* Products whose C is at least this large are stored with non-temporal stores (parley_sgemm). */
#define STREAMING_BYTES (16L << 20)

/* Sixteen rows of 16 floats transposed in registers: r[j] becomes what was column j. Four rounds
 * of shuffles (pairs of floats, pairs of pairs, then 128-bit lanes twice), 64 in all for 256
 * elements. */
static inline __attribute__((always_inline)) AVX512 void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {   /* per 128-bit lane: r[i][0] r[i+1][0] r[i][1] r[i+1][1] and the upper pair */
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {   /* r[i + c], lane L: column 4L + c of rows i..i+3 */
        __m512d a = _mm512_castps_pd(t[i]), b = _mm512_castps_pd(t[i + 1]);
        __m512d c = _mm512_castps_pd(t[i + 2]), d = _mm512_castps_pd(t[i + 3]);
        r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    __m512 u[16];
    for (int c = 0; c < 4; c++) {       /* the 4 × 4 lanes of r[c], r[4 + c], r[8 + c], r[12 + c] */
        __m512 v0 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x44), v1 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xEE);
        __m512 v2 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x44), v3 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xEE);
        u[c] = _mm512_shuffle_f32x4(v0, v2, 0x88);
        u[4 + c] = _mm512_shuffle_f32x4(v0, v2, 0xDD);
        u[8 + c] = _mm512_shuffle_f32x4(v1, v3, 0x88);
        u[12 + c] = _mm512_shuffle_f32x4(v1, v3, 0xDD);
    }
    for (int i = 0; i < 16; i++) r[i] = u[i];
}

/* target[p*stride + i] = source[i*ld + p] for i < width (≤ 16; zero from `count` on) and
 * p < depth: rows of a matrix laid down as columns of a panel, 16 × 16 blocks at a time through
 * registers (element by element, the strided stores made packing 12 % of a Transformer training
 * step on two Zen 4 cores). */
static AVX512 void pack_transposed(const float *source, long ld, int count, int width, int depth, float *target,
                                   int stride) {
    __mmask16 columns = (__mmask16)((1u << width) - 1);
    for (int p0 = 0; p0 < depth; p0 += 16) {
        int span = depth - p0 < 16 ? depth - p0 : 16;
        __mmask16 inner = (__mmask16)((1u << span) - 1);
        __m512 r[16];
#pragma clang loop unroll(full)
        for (int i = 0; i < 16; i++)
            r[i] = i < count ? _mm512_maskz_loadu_ps(inner, source + i * ld + p0) : _mm512_setzero_ps();
        transpose16(r);
        /* Constant indices only (unrolled), or clang keeps r on the stack (as in micro_kernel). */
#pragma clang loop unroll(full)
        for (int j = 0; j < 16; j++)
            if (j < span) _mm512_mask_storeu_ps(target + (long)(p0 + j) * stride, columns, r[j]);
    }
}

/* target[p*width + j] = source[p*ld + j] for j < width (a multiple of 4 up to 48; zero from
 * `count` on) and p < depth: rows already in panel order, copied 16 floats at a time. */
static AVX512 void pack_rows(const float *source, long ld, int count, int width, int depth, float *target) {
    for (int p = 0; p < depth; p++, source += ld, target += width)
        for (int j = 0; j < width; j += 16) {
            int available = count - j < 0 ? 0 : count - j < 16 ? count - j : 16;
            int room = width - j < 16 ? width - j : 16;
            __m512 x = _mm512_maskz_loadu_ps((__mmask16)((1u << available) - 1), source + j);
            _mm512_mask_storeu_ps(target + j, (__mmask16)((1u << room) - 1), x);
        }
}

/* op(A) rows [0, rows) × inner [0, depth) into panels `tall` rows high: panel[p*tall + i].
 * `avx512`: with the AVX-512 instructions (else AVX2), the same layout either way. */
static void pack_a(const float *a, int lda, int trans, int rows, int depth, float *packed, int tall, int avx512) {
    for (int i0 = 0; i0 < rows; i0 += tall) {
        int height = rows - i0 < tall ? rows - i0 : tall;
        float *panel = packed + (long)i0 * depth;
        if (!trans) {
            if (avx512) pack_transposed(a + (long)i0 * lda, lda, height, tall, depth, panel, tall);
            else pack_transposed_avx2(a + (long)i0 * lda, lda, height, tall, depth, panel, tall);
        } else {   /* op(A)[i][p] = a[p*lda + i]: rows of `a` are already panel-contiguous */
            if (avx512) pack_rows(a + i0, lda, height, tall, depth, panel);
            else pack_rows_avx2(a + i0, lda, height, tall, depth, panel);
        }
    }
}

/* op(B) inner [0, depth) × columns [0, cols) into panels `panel_width` columns across:
 * panel[p*panel_width + j]. */
static void pack_b(const float *b, int ldb, int trans, int depth, int cols, float *packed, int panel_width, int avx512) {
    for (int j0 = 0; j0 < cols; j0 += panel_width) {
        int width = cols - j0 < panel_width ? cols - j0 : panel_width;
        float *panel = packed + (long)j0 * depth;
        if (!trans) {
            if (avx512) pack_rows(b + j0, ldb, width, panel_width, depth, panel);
            else pack_rows_avx2(b + j0, ldb, width, panel_width, depth, panel);
        } else {   /* op(B)[p][j] = b[j*ldb + p]: a weight matrix [out, in] read down its rows, 16 at a time */
            for (int g = 0; g < panel_width; g += 16) {
                int count = width - g < 0 ? 0 : width - g < 16 ? width - g : 16;
                if (avx512) pack_transposed(b + (long)(j0 + g) * ldb, ldb, count, 16, depth, panel + g, panel_width);
                else pack_transposed_avx2(b + (long)(j0 + g) * ldb, ldb, count, 16, depth, panel + g, panel_width);
            }
        }
    }
}

/* C[0..rows) × [0..cols) (+)= Apanel · Bpanel over `depth`, a `tall` × 16·`vectors` tile of C
 * held in registers (rows ≤ tall, cols ≤ 16·vectors). Per step of the inner dimension: `vectors`
 * loads of the B panel, `tall` broadcasts from the A panel, tall·vectors FMAs. `tall`, `vectors`
 * and `prefetch` (steps of the B panel to fetch ahead, 0 for none) are literals at every call;
 * with the inner loops unrolled in full the tile stays in registers (left to its own choice,
 * clang kept the 12×32 tile in memory and ran at half the speed). B is loaded unaligned: the
 * weights packed for decoding live in the engine's buffer pool (16-byte aligned). With `streams`
 * set, a tile that is written rather than added to goes to memory with non-temporal stores
 * (whole, 64-byte aligned vectors; the rest as usual). */
static inline __attribute__((always_inline)) AVX512
void micro_kernel(const float *ap, const float *bp, int depth, float *c, int ldc, int rows, int cols,
                  int accumulate, const float *bias, int streams, const int tall, const int vectors,
                  const int prefetch) {
    __m512 acc[12][3];
#pragma clang loop unroll(full)
    for (int i = 0; i < tall; i++)
#pragma clang loop unroll(full)
        for (int v = 0; v < vectors; v++) acc[i][v] = _mm512_setzero_ps();
    const int wide = 16 * vectors;
    for (int p = 0; p < depth; p++) {
        __m512 bv[3];
        for (int v = 0; v < vectors; v++) bv[v] = _mm512_loadu_ps(bp + p * wide + 16 * v);
        if (prefetch)
            for (int v = 0; v < vectors; v++) _mm_prefetch((const char *)(bp + (p + prefetch) * wide + 16 * v), _MM_HINT_T0);
        const float *column = ap + p * tall;
#pragma clang loop unroll(full)
        for (int i = 0; i < tall; i++) {
            __m512 av = _mm512_set1_ps(column[i]);
#pragma clang loop unroll(full)
            for (int v = 0; v < vectors; v++) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
        }
    }
    __mmask16 masks[3];
    for (int v = 0; v < vectors; v++) {
        int left = cols - 16 * v;
        masks[v] = left >= 16 ? 0xFFFF : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
    }
    /* Every index of the tile a constant: a store loop bounded by `rows` indexed it at run time,
     * and clang then kept the whole tile on the stack, stored and reloaded around every call
     * (≈ 10 % of a product's time at k = 256, one thread). */
#pragma clang loop unroll(full)
    for (int i = 0; i < tall; i++) {
        if (i >= rows) continue;
        float *row = c + (long)i * ldc;
#pragma clang loop unroll(full)
        for (int v = 0; v < vectors; v++) {
            __m512 x = acc[i][v];
            if (bias) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(masks[v], bias + 16 * v));
            else if (accumulate) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(masks[v], row + 16 * v));
            if (streams && !accumulate && masks[v] == 0xFFFF && ((uintptr_t)(row + 16 * v) & 63) == 0)
                _mm512_stream_ps(row + 16 * v, x);
            else
                _mm512_mask_storeu_ps(row + 16 * v, masks[v], x);
        }
    }
}

/* Steps of a prepacked B panel to fetch ahead (32 steps: 4 KiB, 64 lines). */
enum { BLOCKS_PREFETCH_STEPS = 32 };

/* The 12×32 tile, plainly and fetching its B panel ahead. Two call sites of micro_kernel inlined
 * into one loop made clang store the whole tile to the stack at every step (half the speed), so
 * each variant is a function of its own. */
static __attribute__((noinline)) AVX512
void tile(const float *ap, const float *bp, int depth, float *c, int ldc, int rows, int cols, int accumulate,
          const float *bias, int streams) {
    micro_kernel(ap, bp, depth, c, ldc, rows, cols, accumulate, bias, streams, MR, NR / 16, 0);
}

static __attribute__((noinline)) AVX512
void tile_fetching_b(const float *ap, const float *bp, int depth, float *c, int ldc, int rows, int cols, int accumulate,
                     const float *bias, int streams) {
    micro_kernel(ap, bp, depth, c, ldc, rows, cols, accumulate, bias, streams, MR, NR / 16, BLOCKS_PREFETCH_STEPS);
}

/* micro_kernel on 8-float vectors: a `tall` × 8·`vectors` part of a tile, at the corner `ap`,
 * `bp` of panels `height` rows high (A) and `across` columns wide (B). With 16 ymm registers the
 * parts are 6×16 (12 accumulators, 2 loads of B and a broadcast per step) or, for the decoding
 * tiles, 4×16. Arguments as micro_kernel's; `height`, `across`, `tall`, `vectors` and `prefetch`
 * are literals at every call. */
static inline __attribute__((always_inline)) AVX2
void micro_kernel_avx2(const float *ap, const float *bp, int depth, float *c, int ldc, int rows, int cols,
                       int accumulate, const float *bias, int streams, const int height, const int across,
                       const int tall, const int vectors, const int prefetch) {
    __m256 acc[6][3];
#pragma clang loop unroll(full)
    for (int i = 0; i < tall; i++)
#pragma clang loop unroll(full)
        for (int v = 0; v < vectors; v++) acc[i][v] = _mm256_setzero_ps();
    for (int p = 0; p < depth; p++) {
        __m256 bv[3];
#pragma clang loop unroll(full)
        for (int v = 0; v < vectors; v++) bv[v] = _mm256_loadu_ps(bp + p * across + 8 * v);
        if (prefetch)   /* one fetch per 64-byte line of the part's B row */
#pragma clang loop unroll(full)
            for (int v = 0; v < vectors; v += 2) _mm_prefetch((const char *)(bp + (p + prefetch) * across + 8 * v), _MM_HINT_T0);
        const float *column = ap + p * height;
#pragma clang loop unroll(full)
        for (int i = 0; i < tall; i++) {
            __m256 av = _mm256_broadcast_ss(column + i);
#pragma clang loop unroll(full)
            for (int v = 0; v < vectors; v++) acc[i][v] = _mm256_fmadd_ps(av, bv[v], acc[i][v]);
        }
    }
    __m256i masks[3];
#pragma clang loop unroll(full)
    for (int v = 0; v < vectors; v++) masks[v] = first_lanes(cols - 8 * v);
#pragma clang loop unroll(full)
    for (int i = 0; i < tall; i++) {
        if (i >= rows) continue;
        float *row = c + (long)i * ldc;
#pragma clang loop unroll(full)
        for (int v = 0; v < vectors; v++) {
            int whole = cols - 8 * v >= 8;
            if (cols - 8 * v <= 0) continue;
            __m256 x = acc[i][v];
            if (bias) x = _mm256_add_ps(x, whole ? _mm256_loadu_ps(bias + 8 * v) : _mm256_maskload_ps(bias + 8 * v, masks[v]));
            else if (accumulate)
                x = _mm256_add_ps(x, whole ? _mm256_loadu_ps(row + 8 * v) : _mm256_maskload_ps(row + 8 * v, masks[v]));
            if (streams && !accumulate && whole && ((uintptr_t)(row + 8 * v) & 31) == 0) _mm256_stream_ps(row + 8 * v, x);
            else if (whole) _mm256_storeu_ps(row + 8 * v, x);
            else _mm256_maskstore_ps(row + 8 * v, masks[v], x);
        }
    }
}

/* 6×16 parts of the MR×NR tile, plainly and fetching B ahead; each its own function, as `tile`. */
static __attribute__((noinline)) AVX2
void part_avx2(const float *ap, const float *bp, int depth, float *c, int ldc, int rows, int cols, int accumulate,
               const float *bias, int streams) {
    micro_kernel_avx2(ap, bp, depth, c, ldc, rows, cols, accumulate, bias, streams, MR, NR, 6, 2, 0);
}

static __attribute__((noinline)) AVX2
void part_fetching_b_avx2(const float *ap, const float *bp, int depth, float *c, int ldc, int rows, int cols,
                          int accumulate, const float *bias, int streams) {
    micro_kernel_avx2(ap, bp, depth, c, ldc, rows, cols, accumulate, bias, streams, MR, NR, 6, 2, BLOCKS_PREFETCH_STEPS);
}

/* One 16-column half of the MR×NR tile as two AVX2 parts, the first fetching B ahead when
 * `fetching`. gemm_serial runs every row panel against one half of a B panel, then the other:
 * a half (16 KiB at KC = 256) stays in L1 beside the A panel, where the whole panel with the A
 * panel (44 KiB) would not fit a 32 KiB L1. */
static void tile_half_avx2(const float *ap, const float *bp, int depth, float *c, int ldc, int rows, int cols,
                           int accumulate, const float *bias, int streams, int fetching) {
    for (int i0 = 0; i0 < rows; i0 += 6) {
        int height = rows - i0 < 6 ? rows - i0 : 6;
        if (fetching && i0 == 0)
            part_fetching_b_avx2(ap, bp, depth, c, ldc, height, cols, accumulate, bias, streams);
        else
            part_avx2(ap + i0, bp, depth, c + (long)i0 * ldc, ldc, height, cols, accumulate, bias, streams);
    }
}

/* A weight's blocks, packed once: the panels pack_b makes of op(B) = wᵀ, for every KC-deep slice
 * and all n columns (padded to whole panels), slice after slice. Where a block of them starts. */
typedef struct {
    const float *blocks;
    long wide;    /* n rounded up to whole NR-wide panels */
    int column;   /* the first column of C this thread's band covers */
} prepacked_b;

static const float *prepacked_block(prepacked_b b, int pc, int depth, int jc) {
    return b.blocks + (long)pc * b.wide + (long)(b.column + jc) * depth;
}

/* One thread's product over rows [0, m) and columns [0, n) of C; with `prepacked`, op(B) comes
 * from the weight's blocks and `packed_b` is not used. */
static void gemm_serial(int trans_a, int trans_b, int m, int n, int k,
                        const float *a, int lda, const float *b, int ldb,
                        float *c, int ldc, int accumulate, const float *bias, int streams, float *packed_a, float *packed_b,
                        const prepacked_b *prepacked, int avx512) {
    for (int jc = 0; jc < n; jc += NC) {
        int cols = n - jc < NC ? n - jc : NC;
        for (int pc = 0; pc < k; pc += KC) {
            int depth = k - pc < KC ? k - pc : KC;
            /* op(B)[pc.., jc..]: b[(pc)*ldb + jc] plainly, b[jc*ldb + pc] transposed. */
            if (prepacked)
                packed_b = (float *)prepacked_block(*prepacked, pc, depth, jc);
            else
                pack_b(trans_b ? b + (long)jc * ldb + pc : b + (long)pc * ldb + jc, ldb, trans_b, depth, cols, packed_b, NR, avx512);
            int add = accumulate || pc > 0;
            for (int ic = 0; ic < m; ic += MC) {
                int rows = m - ic < MC ? m - ic : MC;
                pack_a(trans_a ? a + (long)pc * lda + ic : a + (long)ic * lda + pc, lda, trans_a, rows, depth, packed_a, MR, avx512);
                for (int jr = 0; jr < cols; jr += NR) {
                    const float *bp = packed_b + (long)jr * depth;
                    /* The bias of the panel's columns, added once, by the first slice. */
                    const float *panel_bias = pc == 0 && bias ? bias + jc + jr : NULL;
                    if (!avx512) {
                        int width = cols - jr < NR ? cols - jr : NR;
                        for (int j0 = 0; j0 < width; j0 += 16)
                            for (int ir = 0; ir < rows; ir += MR)
                                tile_half_avx2(packed_a + (long)ir * depth, bp + j0, depth,
                                               c + (long)(ic + ir) * ldc + jc + jr + j0, ldc, rows - ir < MR ? rows - ir : MR,
                                               width - j0 < 16 ? width - j0 : 16, add, panel_bias ? panel_bias + j0 : NULL,
                                               streams, prepacked && ir == 0);
                        continue;
                    }
                    for (int ir = 0; ir < rows; ir += MR) {
                        float *tile_c = c + (long)(ic + ir) * ldc + jc + jr;
                        int height = rows - ir < MR ? rows - ir : MR, width = cols - jr < NR ? cols - jr : NR;
                        /* Blocks packed once come from L3 or memory, not from this thread's
                         * just-written buffer: the first tile of a panel fetches it ahead. */
                        if (prepacked && ir == 0)
                            tile_fetching_b(packed_a, bp, depth, tile_c, ldc, height, width, add, panel_bias, streams);
                        else
                            tile(packed_a + (long)ir * depth, bp, depth, tile_c, ldc, height, width, add, panel_bias, streams);
                    }
                }
            }
        }
    }
}

/* Plain loops, for a thread that could not get its packing buffers (out of memory): slow, right. */
static void gemm_unpacked(int trans_a, int trans_b, int m, int n, int k,
                          const float *a, int lda, const float *b, int ldb,
                          float *c, int ldc, int accumulate, const float *bias) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            float sum = bias ? bias[j] : accumulate ? c[(long)i * ldc + j] : 0;
            for (int p = 0; p < k; p++)
                sum += (trans_a ? a[(long)p * lda + i] : a[(long)i * lda + p]) *
                       (trans_b ? b[(long)j * ldb + p] : b[(long)p * ldb + j]);
            c[(long)i * ldc + j] = sum;
        }
}

typedef struct {
    int trans_a, trans_b, m, n, k, lda, ldb, ldc, accumulate, parts, split_rows, streams, avx512;
    const float *a, *b;
    float *c;
    const float *blocks;   /* op(B) packed once (parley_pack_blocks), or NULL */
    const float *bias;     /* n floats added to every row of C (with accumulate 0), or NULL */
} gemm_job;

/* Packing buffers, one pair per thread (the callers and the team's workers live long), grown on
 * demand and freed when their thread ends: allocating them per call cost page faults on every
 * product. */
typedef struct {
    float *a, *b;
    size_t a_count, b_count;
} scratch_pair;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void free_scratch(void *value) {
    scratch_pair *pair = value;
    free(pair->a);
    free(pair->b);
    free(pair);
}

static void make_scratch_key(void) { pthread_key_create(&scratch_key, free_scratch); }

/* This thread's buffers, or NULL when out of memory. */
static scratch_pair *thread_scratch(void) {
    pthread_once(&scratch_once, make_scratch_key);
    scratch_pair *pair = pthread_getspecific(scratch_key);
    if (!pair) {
        pair = calloc(1, sizeof *pair);
        if (pair && pthread_setspecific(scratch_key, pair) != 0) {
            free(pair);
            pair = NULL;
        }
    }
    return pair;
}

static float *scratch(float **buffer, size_t *count, size_t needed) {
    if (*count < needed) {
        free(*buffer);
        size_t bytes = (needed * sizeof(float) + 63) / 64 * 64;
        *buffer = aligned_alloc(64, bytes);
        *count = *buffer ? needed : 0;
    }
    return *buffer;
}

static int round_up(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

/* Part `part` of the product: a band of rows (or of columns) of C. */
static void gemm_part(void *context, int part) {
    gemm_job *job = context;
    int units = job->split_rows ? (job->m + MR - 1) / MR : (job->n + NR - 1) / NR;
    int first = units * part / job->parts, last = units * (part + 1) / job->parts;
    int step = job->split_rows ? MR : NR, extent = job->split_rows ? job->m : job->n;
    int start = first * step, end = last * step < extent ? last * step : extent;
    if (start >= end) return;
    int rows = job->split_rows ? end - start : job->m, cols = job->split_rows ? job->n : end - start;
    int depth = job->k < KC ? job->k : KC;
    scratch_pair *pair = thread_scratch();
    float *packed_a = pair ? scratch(&pair->a, &pair->a_count, (size_t)round_up(rows < MC ? rows : MC, MR) * depth) : NULL;
    float *packed_b = pair && !job->blocks ? scratch(&pair->b, &pair->b_count, (size_t)round_up(cols < NC ? cols : NC, NR) * depth)
                                           : NULL;
    prepacked_b blocks = {job->blocks, round_up(job->n, NR), job->split_rows ? 0 : start};
    /* The band's corner: rows of op(A) and C, or columns of op(B) and C. */
    const float *a = job->a, *b = job->b, *bias = job->bias;
    float *c = job->c;
    if (job->split_rows) {
        a += job->trans_a ? start : (long)start * job->lda;
        c += (long)start * job->ldc;
    } else {
        b += job->trans_b ? (long)start * job->ldb : start;
        c += start;
        if (bias) bias += start;
    }
    if (!packed_a || (!packed_b && !job->blocks))
        gemm_unpacked(job->trans_a, job->trans_b, rows, cols, job->k, a, job->lda, b, job->ldb, c, job->ldc, job->accumulate,
                      bias);
    else
        gemm_serial(job->trans_a, job->trans_b, rows, cols, job->k, a, job->lda, b, job->ldb, c, job->ldc, job->accumulate,
                    bias, job->streams, packed_a, packed_b, job->blocks ? &blocks : NULL, job->avx512);
    if (job->streams) _mm_sfence();   /* the non-temporal stores are visible before the part is reported done */
}

/* The product of either entry point; `blocks` is op(B) = bᵀ packed once, or NULL. */
static int sgemm(int trans_a, int trans_b, int m, int n, int k,
                 const float *a, int lda, const float *b, int ldb, const float *blocks,
                 float *c, int ldc, int accumulate, const float *bias, int parts, int avx512) {
    if (m <= 0 || n <= 0) return 0;
    if (bias && accumulate) return -1;
    if (k <= 0) {
        if (!accumulate)
            for (int i = 0; i < m; i++) {
                if (bias) memcpy(c + (long)i * ldc, bias, sizeof(float) * n);
                else memset(c + (long)i * ldc, 0, sizeof(float) * n);
            }
        return 0;
    }
    gemm_job job = {trans_a, trans_b, m, n, k, lda, ldb, ldc, accumulate, parts < 1 ? 1 : parts, 0, 0, runs_avx512(avx512), a, b, c, blocks, bias};
    /* A product too large to stay in cache (the logits of a training batch: 1280 × 8000 floats,
     * 41 MB) is written past the caches: a plain store first reads each line of C from memory,
     * which measured 1.25× slower for 1280 × 8000 × 256 on two Ice Lake cores. Smaller products
     * keep plain stores, so that what reads C next finds it in cache; so do products of more than
     * one KC-deep slice, whose later slices read C back (streamed, from memory: Bahdanau's
     * logits, k = 1024, and its output layer's weight gradient made its step ≈ 4 % slower). */
    job.streams = k <= KC && (long)m * n * (long)sizeof(float) >= STREAMING_BYTES;
    /* Split the longer side, so each thread's band still fills whole tiles. */
    job.split_rows = (m + MR - 1) / MR >= (n + NR - 1) / NR;
    parley_pool_run(job.parts, gemm_part, &job);
    return 0;
}

int parley_sgemm(int trans_a, int trans_b, int m, int n, int k,
                        const float *a, int lda, const float *b, int ldb,
                        float *c, int ldc, int accumulate, const float *bias, int parts, int avx512) {
    return sgemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, NULL, c, ldc, accumulate, bias, parts, avx512);
}

/* A weight packed once in the blocks the product above packs op(B) = wᵀ into, for products with
 * too many rows for the decoding kernel below (an encoder's, a few hundred rows of a batch): the
 * threads of a product split by rows would each pack all of w again at every call. */
size_t parley_blocks_count(int n, int k) { return (size_t)round_up(n, NR) * (size_t)k; }

/* w [n, k] as op(B) = wᵀ in `slice`-deep slices of `panel`-wide panels over all n columns, slice
 * after slice: the layout of both kept copies (the blocks here, the tiles below). */
static void pack_weight_slices(const float *w, int n, int k, int slice, int panel, float *packed) {
    long wide = round_up(n, panel);
    int avx512 = parley_kernels_have_avx512();   /* the faster packing where there is one: same layout */
    for (int pc = 0; pc < k; pc += slice)
        pack_b(w + pc, k, 1, k - pc < slice ? k - pc : slice, n, packed + pc * wide, panel, avx512);
}

void parley_pack_blocks(const float *w, int n, int k, float *blocks) { pack_weight_slices(w, n, k, KC, NR, blocks); }

int parley_sgemm_blocks(int trans_a, int m, int n, int k, const float *a, int lda,
                        const float *w, const float *blocks, float *c, int ldc, int accumulate, const float *bias,
                        int parts, int avx512) {
    return sgemm(trans_a, 1, m, n, k, a, lda, w, k, blocks, c, ldc, accumulate, bias, parts, avx512);
}

/* Weights packed once, for the many products of decoding.
 *
 * A decoder multiplies the same weight matrices W [n, k] by a few dozen rows at every step. The
 * few-row kernel reads W in place at ~60 % of the FMA peak (dot products: loads of both operands
 * and a horizontal sum per output); the packed kernel runs at ~85 %, but packing W costs as much
 * as multiplying it by 32 rows. Packed once (Seq keeps the copy until a parameter is written),
 * W feeds the micro-kernel as an 8×48 tile (8 rows of A: a share of 16 sentences is two panels,
 * with no padding), 3 loads and 8 broadcasts per 24 FMAs. Layout: slices of WKC along k; in each,
 * 48-wide panels of Wᵀ covering all n columns (zero-padded), as pack_b lays them.
 *
 * The weights stream from L3 (a decoder's are ~20 MB): the kernel fetches 64 steps of the inner
 * dimension (12 KiB) ahead, running on into the next panel. In a decoder step's sequence of
 * products at 16 rows on one thread: 1,250 µs without, 1,170 at 8 steps ahead, 830 at 64. */
enum { WMR = 8, WNR = 48, WKC = 128, PREFETCH_STEPS = 64 };

size_t parley_packed_weights_count(int n, int k) { return (size_t)round_up(n, WNR) * (size_t)k; }

void parley_pack_weights(const float *w, int n, int k, float *packed) { pack_weight_slices(w, n, k, WKC, WNR, packed); }

typedef struct {
    int trans_a, m, n, k, lda, ldc, accumulate, parts, avx512;
    const float *a, *w, *packed;
    float *c;
} packed_weights_job;

/* One tile of decoding: with AVX-512 a whole WMR×WNR tile; with AVX2 a 6×WNR tile (A packed in
 * 6-row panels) as three 6×16 parts, one per 16-column third of the panel (a cache line of
 * each of its rows). The AVX2 kernel had 4×16 parts of 8-row panels first: 8 accumulators are
 * just enough to cover the FMA latency, and the step ran at under half the FMA peak. */
enum { WMR_AVX2 = 6 };

static __attribute__((noinline)) AVX512
void weights_tile(const float *ap, const float *bp, int depth, float *c, int ldc, int rows, int cols, int accumulate) {
    micro_kernel(ap, bp, depth, c, ldc, rows, cols, accumulate, NULL, 0, WMR, WNR / 16, PREFETCH_STEPS);
}

static __attribute__((noinline)) AVX2
void weights_part_avx2(const float *ap, const float *bp, int depth, float *c, int ldc, int rows, int cols, int accumulate) {
    micro_kernel_avx2(ap, bp, depth, c, ldc, rows, cols, accumulate, NULL, 0, WMR_AVX2, WNR, 6, 2, PREFETCH_STEPS);
}

static void weights_tile_avx2(const float *ap, const float *bp, int depth, float *c, int ldc, int rows, int cols,
                              int accumulate) {
    for (int j0 = 0; j0 < cols; j0 += 16)
        weights_part_avx2(ap, bp + j0, depth, c + j0, ldc, rows, cols - j0 < 16 ? cols - j0 : 16, accumulate);
}

/* Part `part`: a band of 48-wide panels of columns, against every row of op(A). */
static void packed_weights_part(void *context, int part) {
    packed_weights_job *job = context;
    int panels = (job->n + WNR - 1) / WNR;
    int start = panels * part / job->parts * WNR, end = panels * (part + 1) / job->parts * WNR;
    if (end > job->n) end = job->n;
    if (start >= end) return;
    int m = job->m, k = job->k;
    scratch_pair *pair = thread_scratch();
    int tall = job->avx512 ? WMR : WMR_AVX2;
    float *packed_a = pair ? scratch(&pair->a, &pair->a_count, (size_t)round_up(m, tall) * WKC) : NULL;
    if (!packed_a) {
        gemm_unpacked(job->trans_a, 1, m, end - start, k, job->a, job->lda, job->w + (long)start * k, k,
                      job->c + start, job->ldc, job->accumulate, NULL);
        return;
    }
    long wide = round_up(job->n, WNR);
    for (int pc = 0; pc < k; pc += WKC) {
        int depth = k - pc < WKC ? k - pc : WKC;
        pack_a(job->trans_a ? job->a + (long)pc * job->lda : job->a + pc, job->lda, job->trans_a, m, depth, packed_a, tall,
               job->avx512);
        const float *slice = job->packed + pc * wide;
        for (int jr = start; jr < end; jr += WNR)
            for (int ir = 0; ir < m; ir += tall) {
                const float *ap = packed_a + (long)ir * depth, *bp = slice + (long)jr * depth;
                float *tile_c = job->c + (long)ir * job->ldc + jr;
                int rows = m - ir < tall ? m - ir : tall, cols = end - jr < WNR ? end - jr : WNR, add = job->accumulate || pc > 0;
                if (job->avx512) weights_tile(ap, bp, depth, tile_c, job->ldc, rows, cols, add);
                else weights_tile_avx2(ap, bp, depth, tile_c, job->ldc, rows, cols, add);
            }
    }
}

int parley_sgemm_packed_weights(int trans_a, int m, int n, int k, const float *a, int lda,
                                const float *w, const float *packed, float *c, int ldc,
                                int accumulate, int parts, int avx512) {
    if (m <= 0 || n <= 0) return 0;
    if (k <= 0) return parley_sgemm(trans_a, 1, m, n, k, a, lda, w, k, c, ldc, accumulate, NULL, parts, avx512);
    packed_weights_job job = {trans_a, m, n, k, lda, ldc, accumulate, parts < 1 ? 1 : parts, runs_avx512(avx512), a, w, packed, c};
    parley_pool_run(job.parts, packed_weights_part, &job);
    return 0;
}

#else

int parley_gemm_available(void) { return 0; }

int parley_sgemm(int trans_a, int trans_b, int m, int n, int k,
                        const float *a, int lda, const float *b, int ldb,
                        float *c, int ldc, int accumulate, const float *bias, int parts, int avx512) {
    (void)trans_a; (void)trans_b; (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb;
    (void)c; (void)ldc; (void)accumulate; (void)bias; (void)parts; (void)avx512;
    return -1;
}


size_t parley_blocks_count(int n, int k) { (void)n; (void)k; return 0; }
void parley_pack_blocks(const float *w, int n, int k, float *blocks) { (void)w; (void)n; (void)k; (void)blocks; }
int parley_sgemm_blocks(int trans_a, int m, int n, int k, const float *a, int lda,
                        const float *w, const float *blocks, float *c, int ldc, int accumulate, const float *bias,
                        int parts, int avx512) {
    (void)trans_a; (void)m; (void)n; (void)k; (void)a; (void)lda; (void)w; (void)blocks; (void)c; (void)ldc;
    (void)accumulate; (void)bias; (void)parts; (void)avx512;
    return -1;
}
size_t parley_packed_weights_count(int n, int k) { (void)n; (void)k; return 0; }
void parley_pack_weights(const float *w, int n, int k, float *packed) { (void)w; (void)n; (void)k; (void)packed; }
int parley_sgemm_packed_weights(int trans_a, int m, int n, int k, const float *a, int lda,
                                const float *w, const float *packed, float *c, int ldc,
                                int accumulate, int parts, int avx512) {
    (void)trans_a; (void)m; (void)n; (void)k; (void)a; (void)lda; (void)w; (void)packed; (void)c; (void)ldc;
    (void)accumulate; (void)parts; (void)avx512;
    return -1;
}

#endif
