/* The batch-1 encoder pass's logic (parley_encoder_pass.h), included by each instruction-set form
 * right after parley_decoder_step_body.h, whose helpers it shares (products on panels, layer
 * norm, attention of one head, the parts' sums); the form defines ENCODER_PASS, its entry point.
 *
 * Through tensor operations a sentence's encoder is 18 products of twenty rows (three layers) and
 * six more for the decoder's cross-attention keys and values, each a job of its own split by
 * columns, with the attention, the head permutes and the layer norms between them on one thread:
 * on two Zen 3 cores the products ran at 1.3× one core's speed, and the encoder took a quarter
 * of a greedy sentence. Here it is one job, cut as the decoding step is: each sub-layer into
 * PARTS parts by heads (their query, key and value columns, their attention over the sentence,
 * their partial output projection) or by hidden units, the threads meeting once per sub-layer;
 * the cross-attention maps by heads, with no meeting at all. The panel kernel takes at most
 * eight rows, so every product goes through it in blocks of rows (panel_rows_tall). */

/* Rows per block of a product: as equal as blocks of at most six can be (twenty rows: four of
 * five), six being the most the AVX2 tile holds in registers. */
static int row_block(int rows_left) {
    int blocks = (rows_left + 5) / 6;
    return (rows_left + blocks - 1) / blocks;
}

/* Inner positions a block of rows takes from a panel at a time: 32 rows of a float32 panel, 8 KiB,
 * the AVX2 kernel's own chunk (PANEL_CHUNK_AVX2), which fetches the next one ahead. */
enum { ENCODER_CHUNK = 32 };

/* c[:, low..<high] (+)= a·wᵀ over inner positions k_low..<k_high for any number of rows: a
 * 64-column panel at a time, and in it a chunk of inner positions at a time, which every block of
 * rows takes while it is in L1. So each panel is read from L3 or memory once, and the kernel's
 * fetch of the next chunk has all the blocks' work to arrive in. (At the start of a sentence the
 * encoder's weights come from memory, the decoder's steps having pushed them out of L3: the pass
 * takes about twice as long as when it runs again at once. This order measured level with or a
 * little faster than block by block over whole panels; the gap is not closed.) */
static void panel_rows_tall(const float *a, int rows, int k, parley_linear map, int n, float *c, int low, int high,
                            int k_low, int k_high) {
    for (int first = low; first < high; first = (first / 64 + 1) * 64) {
        int last = (first / 64 + 1) * 64 < high ? (first / 64 + 1) * 64 : high;
        for (int k0 = k_low; k0 < k_high; k0 += ENCODER_CHUNK) {
            int k1 = k0 + ENCODER_CHUNK < k_high ? k0 + ENCODER_CHUNK : k_high;
            for (int r = 0, take; r < rows; r += take) {
                take = row_block(rows - r);
                PANEL_ROWS(a + (long)r * k, k, map.panels, map.format, n, k, first, last, k0, k1, c + (long)r * n, n,
                           take, k0 > k_low);
            }
        }
    }
}

/* product_columns over any number of rows. */
static void product_columns_tall(const float *a, int rows, int k, parley_linear map, int n, float *c, int low,
                                 int high, int relu, int gelu) {
    if (high <= low) return;
    panel_rows_tall(a, rows, k, map, n, c, low, high, 0, k);
    for (int r = 0; r < rows; r++) {
        float *out = c + (long)r * n;
        if (map.bias)
            for (int j = low; j < high; j++) out[j] += map.bias[j];
        if (relu)
            for (int j = low; j < high; j++) out[j] = out[j] > 0 ? out[j] : 0;
        if (gelu)
            for (int j = low; j < high; j++) out[j] = 0.5f * out[j] * (1 + erff(out[j] * 0.70710678118654752f));
    }
}

/* partial_product over any number of rows (inner positions low..<high). */
static void partial_product_tall(const float *a, int rows, int k, parley_linear map, int n, float *partial, int low,
                                 int high) {
    if (high <= low) {
        memset(partial, 0, sizeof(float) * rows * n);
        return;
    }
    panel_rows_tall(a, rows, k, map, n, partial, 0, n, low, high);
}

/* Head h's columns of x [rows, d] as a block [rows, dk] of its own, as attend_head reads keys and
 * values. */
static void gather_head(const float *x, int rows, int d, int h, int dk, float *block) {
    for (int p = 0; p < rows; p++) memcpy(block + (long)p * dk, x + (long)p * d + (long)h * dk, sizeof(float) * dk);
}

typedef struct {
    const parley_encoder_pass_t *pass;
    int head_size;
    float *partials[2];         /* shared: per part, [length, d] partial sub-layer outputs */
    float *private_buffers;     /* per thread: see run_encoder */
    size_t private_count;
} encoder_job;

/* The self-attention of heads first..<end over the whole sentence, from q, k and v [length, d]
 * into these heads' columns of context. */
static void encoder_attention(const parley_encoder_pass_t *s, const parley_encoder_layer *layer, int dk,
                              const float *q, const float *k, const float *v, float *context, float *head_keys,
                              float *head_values, float *scores, int first, int end) {
    int rows = s->length, d = s->model_size;
    for (int h = first; h < end; h++) {
        gather_head(k, rows, d, h, dk, head_keys);
        gather_head(v, rows, d, h, dk, head_values);
        for (int i = 0; i < rows; i++) {
            float *weights = layer->self_weights ? layer->self_weights + ((long)h * rows + i) * rows : scores;
            long column = (long)i * d + (long)h * dk;
            attend_head(q + column, head_keys, head_values, rows, dk, s->mask, weights, context + column);
        }
    }
}

/* Ends an encoder sub-layer: waits for every part, adds them to x, moves to the other buffer. */
static void finish_encoder_sublayer(const encoder_job *job, float *x, int *phase, int threads,
                                    const float *output_bias, const float *gain, const float *bias) {
    const parley_encoder_pass_t *s = job->pass;
    parley_team_barrier(threads);
    add_parts(x, s->length, s->model_size, job->partials[*phase], output_bias, s->pre_norm, gain, bias,
              s->norm_epsilon);
    *phase ^= 1;
}

static void run_encoder(void *context, int thread, int threads) {
    const encoder_job *job = context;
    const parley_encoder_pass_t *s = job->pass;
    int rows = s->length, d = s->model_size, inner = s->inner_size, dk = job->head_size;
    /* Each thread keeps its own copy of the hidden state, updated alike after each barrier. */
    float *x = job->private_buffers + (size_t)thread * job->private_count;
    float *input = x + (long)rows * d;   /* a sub-layer's input, pre-norm */
    float *q = input + (long)rows * d, *k = q + (long)rows * d, *v = k + (long)rows * d;
    float *attended = v + (long)rows * d, *hidden = attended + (long)rows * d;
    float *head_keys = hidden + (long)rows * inner, *head_values = head_keys + (long)rows * dk;
    float *scores = head_values + (long)rows * dk;
    int phase = 0, low, high;
    for (int r = 0; r < rows; r++) {
        const float *embedding = s->embedding + (long)s->tokens[r] * d, *position = s->positions + (long)r * d;
        for (int j = 0; j < d; j++) x[(long)r * d + j] = embedding[j] * s->embedding_scale + position[j];
    }
    for (int l = 0; l < s->layer_count; l++) {
        const parley_encoder_layer *layer = &s->layers[l];
        const parley_attention_projections *sa = &layer->self_attention;
        const float *in = x;
        if (s->pre_norm) {
            layer_norm(x, input, rows, d, layer->self_norm_gain, layer->self_norm_bias, s->norm_epsilon);
            in = input;
        }
        for (int part = thread; part < PARTS; part += threads) {
            share(d, dk, part, PARTS, &low, &high);   /* the part's heads' columns */
            product_columns_tall(in, rows, d, sa->query, d, q, low, high, 0, 0);
            product_columns_tall(in, rows, d, sa->key, d, k, low, high, 0, 0);
            product_columns_tall(in, rows, d, sa->value, d, v, low, high, 0, 0);
            encoder_attention(s, layer, dk, q, k, v, attended, head_keys, head_values, scores, low / dk, high / dk);
            partial_product_tall(attended, rows, d, sa->output, d, job->partials[phase] + (long)part * rows * d, low,
                                 high);
        }
        finish_encoder_sublayer(job, x, &phase, threads, sa->output.bias, layer->self_norm_gain, layer->self_norm_bias);

        in = x;
        if (s->pre_norm) {
            layer_norm(x, input, rows, d, layer->feed_forward_norm_gain, layer->feed_forward_norm_bias, s->norm_epsilon);
            in = input;
        }
        for (int part = thread; part < PARTS; part += threads) {
            share(inner, 16, part, PARTS, &low, &high);   /* the part's hidden units */
            product_columns_tall(in, rows, d, layer->hidden, inner, hidden, low, high, !s->gelu, s->gelu);
            partial_product_tall(hidden, rows, inner, layer->feed_forward_output, d,
                                 job->partials[phase] + (long)part * rows * d, low, high);
        }
        finish_encoder_sublayer(job, x, &phase, threads, layer->feed_forward_output.bias,
                                layer->feed_forward_norm_gain, layer->feed_forward_norm_bias);
    }
    if (s->pre_norm) layer_norm(x, x, rows, d, s->final_norm_gain, s->final_norm_bias, s->norm_epsilon);
    /* The decoder's keys and values of the sentence: each part its heads, straight into place. */
    for (int part = thread; part < PARTS; part += threads) {
        share(d, dk, part, PARTS, &low, &high);
        for (int m = 0; m < s->cross_count; m++) {
            product_columns_tall(x, rows, d, s->cross_key_maps[m], d, k, low, high, 0, 0);
            product_columns_tall(x, rows, d, s->cross_value_maps[m], d, v, low, high, 0, 0);
            for (int h = low / dk; h < high / dk; h++) {
                gather_head(k, rows, d, h, dk, s->cross_keys[m] + (long)h * rows * dk);
                gather_head(v, rows, d, h, dk, s->cross_values[m] + (long)h * rows * dk);
            }
        }
    }
}

/* Whether PANEL_ROWS reads every weight's panels (one it turned away would leave its output
 * unwritten in the middle of the pass). */
static int encoder_reads_every_format(const parley_encoder_pass_t *s) {
    for (int l = 0; l < s->layer_count; l++) {
        const parley_encoder_layer *layer = &s->layers[l];
        const parley_linear maps[] = {
            layer->self_attention.query, layer->self_attention.key, layer->self_attention.value,
            layer->self_attention.output, layer->hidden, layer->feed_forward_output};
        for (int i = 0; i < (int)(sizeof maps / sizeof maps[0]); i++)
            if (!FORM_READS_FORMAT(maps[i].format)) return 0;
    }
    for (int m = 0; m < s->cross_count; m++)
        if (!FORM_READS_FORMAT(s->cross_key_maps[m].format) || !FORM_READS_FORMAT(s->cross_value_maps[m].format))
            return 0;
    return 1;
}

int ENCODER_PASS(const parley_encoder_pass_t *s) {
    if (!FORM_AVAILABLE() || s->length < 1 || s->heads < 1 || s->model_size % s->heads != 0
        || !encoder_reads_every_format(s))
        return -1;
    encoder_job job = {.pass = s, .head_size = s->model_size / s->heads};
    size_t rows = (size_t)s->length, d = (size_t)s->model_size;
    job.private_count = 6 * rows * d + rows * (size_t)s->inner_size + 2 * rows * (size_t)job.head_size + rows + 16;
    int threads = parley_pool_threads();
    float *memory = team_scratch((size_t)PARTS * rows * d, job.private_count, threads, job.partials, &job.private_buffers);
    if (!memory) return -1;
    parley_pool_team(threads, run_encoder, &job);
    free(memory);
    return 0;
}
