#ifndef PARLEY_ENCODER_PASS_H
#define PARLEY_ENCODER_PASS_H

#include "parley_decoder_step.h"

/* A Transformer encoder over one sentence, and the decoder's cross-attention keys and values of
 * it, as one job of the worker team (parley_encoder_pass_body.h): the batch-1 counterpart of
 * parley_decoder_step, with the same division of each sub-layer into parts by heads or hidden
 * units and a barrier after it. Plain C types only, so that Swift imports this header without
 * any platform module. */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    parley_attention_projections self_attention;
    const float *self_norm_gain, *self_norm_bias;
    const float *feed_forward_norm_gain, *feed_forward_norm_bias;
    parley_linear hidden;                /* [inner, d] */
    parley_linear feed_forward_output;   /* [d, inner] */
    float *self_weights;                 /* written: the attention weights, [heads, length, length] */
} parley_encoder_layer;

typedef struct {
    int length, model_size, heads, inner_size, layer_count;
    int pre_norm;          /* 1: x + f(LN(x)) and a final norm; 0: LN(x + f(x)) */
    int gelu;              /* feed-forward activation: 1 GELU (exact), 0 ReLU */
    float norm_epsilon;
    const int *tokens;               /* [length] */
    const float *embedding;          /* [vocabulary, d], scaled by embedding_scale */
    float embedding_scale;
    const float *positions;          /* [length, d]: the position encodings */
    const float *mask;               /* [length], non-zero at padding (hidden from every query), or NULL */
    const parley_encoder_layer *layers;
    const float *final_norm_gain, *final_norm_bias;   /* pre-norm only */
    /* The decoder layers' key and value maps of the encoder's output, and where their results go:
     * per map, [heads, length, head size], the layout parley_decoder_step reads. */
    int cross_count;
    const parley_linear *cross_key_maps, *cross_value_maps;
    float *const *cross_keys, *const *cross_values;
} parley_encoder_pass_t;

/* Runs the pass; 0 on success, -1 (nothing written) when the AVX-512 kernels are not available,
 * some weight's panels are in a format the kernel does not read, or scratch memory cannot be had. */
int parley_encoder_pass(const parley_encoder_pass_t *pass);
/* The same with AVX2 and FMA, for CPUs without AVX-512 (-1 where the CPU has no AVX2 and FMA). */
int parley_encoder_pass_avx2(const parley_encoder_pass_t *pass);

#ifdef __cplusplus
}
#endif

#endif
