/*
 * base64.h - RFC 4648 base64, standard alphabet (A-Z a-z 0-9 + /) with '=' padding.
 *
 * Encoding always pads. Decoding policy (what clients actually send us: browsers' btoa, Python's
 * b64encode, the `base64` tool that wraps lines at 76 columns):
 *   - whitespace (space, tab, CR, LF) anywhere is skipped;
 *   - padding is optional, but when present it must be exactly right ("QQ==", "QUI="), at the end only;
 *   - any other character is an error that names it and its offset (the base64url characters '-' and
 *     '_' get a hint: we do not accept that alphabet);
 *   - one lone leftover character (length = 1 mod 4) is an error;
 *   - non-zero bits in the last character's unused low bits are ignored (as Python and most decoders do).
 */
#ifndef U2_LAMBDA_BASE64_H
#define U2_LAMBDA_BASE64_H

#include "base.h"

/* Characters base64 needs for n bytes (4 * ceil(n / 3)); SIZE_MAX if that overflows. */
size_t u2_b64_encoded_len(size_t n);
/* Write u2_b64_encoded_len(n) characters to out (no NUL). */
void u2_b64_encode(const uint8_t *in, size_t n, char *out);

/* An upper bound on the decoded size of n characters. */
static inline size_t u2_b64_decoded_max(size_t n) { return n / 4 * 3 + 3; }
/* Decode in[0..n) into out (cap bytes, at least u2_b64_decoded_max(n) is always enough). */
u2net_status u2_b64_decode_into(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len);
/* Decode into a new buffer (*out from u2_malloc; free with u2_free). */
u2net_status u2_b64_decode(const char *in, size_t n, uint8_t **out, size_t *out_len);

#endif
