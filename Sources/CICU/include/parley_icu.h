#ifndef PARLEY_ICU_H
#define PARLEY_ICU_H
/* Parley's window onto the system ICU. Only plain C types cross this header: Foundation bundles
   its own ICU, and Debian's renames symbols with macros Swift cannot import. All text is UTF-16. */
#include <stdint.h>

/* The ICU version string, e.g. "72.1". */
const char *parley_icu_version(void);

/* Normalisation forms for parley_normalize. */
enum { PARLEY_NFC = 0, PARLEY_NFKC = 1 };

/* Option bits for parley_normalize. */
enum {
    PARLEY_REMOVE_INVISIBLE = 1, /* drop controls and zero-width/format characters (ZWJ kept inside emoji) */
    PARLEY_FOLD_WHITESPACE = 2,  /* fold White_Space runs to one U+0020 and trim both ends */
    PARLEY_LOWERCASE = 4         /* locale-aware lowercasing (tr, az, lt rules via `locale`) */
};

/* Normalises `length` UTF-16 units of `text`: invisible characters removed, then NFC or NFKC,
   then lowercasing (followed by a second normalisation pass), then whitespace folding, as
   selected by `options`. On success returns the result length and stores a malloc'ed buffer in
   `*result` (release it with parley_free); on failure returns -1 and sets `*error` to the ICU
   error code. `locale` may be NULL or "" for the root locale. */
int32_t parley_normalize(const uint16_t *text, int32_t length, int32_t form, int32_t options,
                         const char *locale, uint16_t **result, int32_t *error);

/* parley_normalize for UTF-8 input (invalid sequences become U+FFFD); the result is UTF-16. */
int32_t parley_normalize_utf8(const char *text, int32_t length, int32_t form, int32_t options,
                              const char *locale, uint16_t **result, int32_t *error);

/* Releases a buffer returned by parley_normalize. */
void parley_free(void *buffer);

/* Word-break rule status classes reported by parley_word_segments. */
enum { PARLEY_SEGMENT_OTHER = 0, PARLEY_SEGMENT_NUMBER = 1, PARLEY_SEGMENT_LETTER = 2,
       PARLEY_SEGMENT_KANA = 3, PARLEY_SEGMENT_IDEOGRAPH = 4 };

/* Splits `text` at ICU word boundaries (UAX #29 plus ICU's CJK and Thai dictionaries) for
   `locale`. Writes the end offset of each segment to `ends` and its class to `kinds` (both with
   room for `length` entries) and returns the number of segments, or -1 with `*error` set.
   A break iterator per locale is cached per thread. */
int32_t parley_word_segments(const uint16_t *text, int32_t length, const char *locale,
                             int32_t *ends, int32_t *kinds, int32_t *error);

#endif
