#ifndef PARLEY_DECODER_STEP_H
#define PARLEY_DECODER_STEP_H

/* One decoding step of a Transformer decoder for a few rows (parley_decoder_step.c): the whole
 * step — embedding, every layer, the output projection — in one job of the worker team, whose
 * threads share out each sub-layer's heads or hidden units and meet at a barrier after it.
 * Plain C types only, so that Swift imports this header without any platform module. */

#ifdef __cplusplus
extern "C" {
#endif

/* An affine map: its weight [out, in] as a copy in 64-column panels (parley_pack_panels) in
 * `format`, which the step's products read, and its bias [out] or NULL. */
typedef struct {
    const void *panels;
    int format;
    const float *bias;
} parley_linear;

typedef struct {
    parley_linear query, key, value, output;
} parley_attention_projections;

typedef struct {
    parley_attention_projections self_attention, cross_attention;
    const float *self_norm_gain, *self_norm_bias;
    const float *cross_norm_gain, *cross_norm_bias;
    const float *feed_forward_norm_gain, *feed_forward_norm_bias;
    parley_linear hidden;                /* [inner, d] */
    parley_linear feed_forward_output;   /* [d, inner] */
    /* The self-attention cache, [rows, heads, cache_capacity, head size]: positions 0..<step
     * hold the earlier positions' keys and values, and the step writes its own at position step. */
    float *keys, *values;
    /* Cross-attention keys and values per source, [sources, heads, source length, head size]. */
    const float *cross_keys, *cross_values;
    /* Written: attention weights, [rows, heads, step + 1] and [rows, heads, source length]. */
    float *self_weights, *cross_weights;
} parley_decoder_layer;

typedef struct {
    int rows, model_size, heads, inner_size, vocabulary, layer_count;
    int step;              /* positions already in the caches */
    int cache_capacity;    /* positions the caches have room for (more than step) */
    int source_length;
    int pre_norm;          /* 1: x + f(LN(x)) and a final norm; 0: LN(x + f(x)) */
    int gelu;              /* feed-forward activation: 1 GELU (exact), 0 ReLU */
    float norm_epsilon;
    const int *tokens;               /* [rows] */
    const float *embedding;          /* [vocabulary, d], scaled by embedding_scale */
    float embedding_scale;
    const float *position;           /* [d]: this step's position encoding */
    const int *sources;              /* [rows]: each row's source, the index into cross_keys' first axis */
    const float *source_mask;        /* [sources, source length], non-zero at padding */
    const parley_decoder_layer *layers;
    const float *final_norm_gain, *final_norm_bias;   /* pre-norm only */
    parley_linear output;            /* [vocabulary, d] */
    float *logits;                   /* written: [rows, vocabulary] */
} parley_decoder_step_t;

/* The most rows a step takes: the few-row kernel's (more rows are faster as separate products on
 * packed weights). */
enum { PARLEY_DECODER_STEP_MAX_ROWS = 8 };

/* Runs the step; 0 on success, -1 (nothing written) when the AVX-512 kernels are not available,
 * rows is outside 1...PARLEY_DECODER_STEP_MAX_ROWS, or scratch memory cannot be had. */
int parley_decoder_step(const parley_decoder_step_t *step);
/* The same with AVX2 and FMA, for CPUs without AVX-512: every weight's panels must be float32
 * (parley_panel_rows_avx2 reads no others; -1 where the CPU has no AVX2 and FMA). The sums run
 * in another order, so the logits differ from parley_decoder_step's by rounding. */
int parley_decoder_step_avx2(const parley_decoder_step_t *step);

/* Attention of one query position per row (a decoding step through tensor operations, any number
 * of rows): for row r and head h, with e = sources ? sources[r] : r,
 *   weights[r, h, p] = softmax over p < length of queries[r, h]·keys[e, h, p] / √head_size,
 *                      0 where mask[e, p] is non-zero (mask may be NULL);
 *   context[r, h]    = Σ_p weights[r, h, p] · values[e, h, p].
 * queries and context are [rows, heads · head_size]; keys and values [entries, heads, capacity,
 * head_size], of which the first `length` positions are read; weights [rows, heads, length]. A row
 * whose positions are all masked gets zero weights and context. Returns -1 (nothing written)
 * when the AVX-512 kernels are not available. */
int parley_attend_one_position(int rows, int heads, int head_size, int length, int capacity,
                               const float *queries, const float *keys, const float *values,
                               const int *sources, const float *mask, float *weights, float *context);
/* The same with AVX2 and FMA; -1 where the CPU has neither AVX-512 nor AVX2 and FMA. */
int parley_attend_one_position_avx2(int rows, int heads, int head_size, int length, int capacity,
                                    const float *queries, const float *keys, const float *values,
                                    const int *sources, const float *mask, float *weights, float *context);

#ifdef __cplusplus
}
#endif

#endif
