/* base64.c - RFC 4648 base64 (standard alphabet); the decoding policy is in base64.h. */
#include "base64.h"

static const char k_alphabet[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t u2_b64_encoded_len(size_t n) {
    size_t groups = n / 3 + (n % 3 != 0), out;
    return u2_mul_ok(groups, 4, &out) ? out : SIZE_MAX;
}

void u2_b64_encode(const uint8_t *in, size_t n, char *out) {
    size_t i = 0;
    for (; n - i >= 3; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *out++ = k_alphabet[v >> 18];
        *out++ = k_alphabet[(v >> 12) & 63];
        *out++ = k_alphabet[(v >> 6) & 63];
        *out++ = k_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        *out++ = k_alphabet[v >> 18];
        *out++ = k_alphabet[(v >> 12) & 63];
        *out++ = '=';
        *out++ = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        *out++ = k_alphabet[v >> 18];
        *out++ = k_alphabet[(v >> 12) & 63];
        *out++ = k_alphabet[(v >> 6) & 63];
        *out++ = '=';
    }
}

/* 0..63 for alphabet characters, 64 for whitespace, 65 for '=', 255 for anything else. */
static uint8_t b64_class(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return (uint8_t)(c - 'A');
    if (c >= 'a' && c <= 'z') return (uint8_t)(c - 'a' + 26);
    if (c >= '0' && c <= '9') return (uint8_t)(c - '0' + 52);
    if (c == '+') return 62;
    if (c == '/') return 63;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return 64;
    if (c == '=') return 65;
    return 255;
}

static u2net_status bad_char(unsigned char c, size_t at) {
    if (c == '-' || c == '_')
        return u2_fail(U2NET_ERR_FORMAT,
                       "base64: character '%c' at offset %zu belongs to the base64url alphabet; send "
                       "standard base64 ('+' and '/')", c, at);
    if (c >= 0x20 && c < 0x7f)
        return u2_fail(U2NET_ERR_FORMAT, "base64: character '%c' at offset %zu is not base64", c, at);
    return u2_fail(U2NET_ERR_FORMAT, "base64: byte 0x%02x at offset %zu is not base64", c, at);
}

u2net_status u2_b64_decode_into(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len) {
    const unsigned char *s = (const unsigned char *)in;
    uint32_t acc = 0;
    size_t ndata = 0, npad = 0, o = 0;
    int have = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t k = b64_class(s[i]);
        if (k == 64) continue;
        if (k == 65) {
            npad++;
            continue;
        }
        if (k == 255) return bad_char(s[i], i);
        if (npad)
            return u2_fail(U2NET_ERR_FORMAT, "base64: data character '%c' at offset %zu after '=' padding",
                           s[i], i);
        acc = acc << 6 | k;
        ndata++;
        if (++have == 4) {
            if (cap - o < 3) return u2_fail(U2NET_ERR_LIMIT, "base64: output buffer of %zu bytes is too small", cap);
            out[o++] = (uint8_t)(acc >> 16);
            out[o++] = (uint8_t)(acc >> 8);
            out[o++] = (uint8_t)acc;
            have = 0;
            acc = 0;
        }
    }
    if (have == 1)
        return u2_fail(U2NET_ERR_TRUNCATED, "base64: %zu data characters: one is left over (length is 1 mod 4)",
                       ndata);
    if (npad && (size_t)(4 - have) % 4 != npad)
        return u2_fail(U2NET_ERR_FORMAT, "base64: %zu '=' after %zu data characters; expected %d", npad, ndata,
                       (4 - have) % 4);
    if (have) {
        size_t extra = (size_t)have - 1; /* 2 chars -> 1 byte, 3 chars -> 2 bytes */
        if (cap - o < extra) return u2_fail(U2NET_ERR_LIMIT, "base64: output buffer of %zu bytes is too small", cap);
        acc <<= 6 * (4 - have);
        out[o++] = (uint8_t)(acc >> 16);
        if (extra == 2) out[o++] = (uint8_t)(acc >> 8);
    }
    *out_len = o;
    return U2NET_OK;
}

u2net_status u2_b64_decode(const char *in, size_t n, uint8_t **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    size_t cap = u2_b64_decoded_max(n);
    uint8_t *buf = u2_malloc(cap);
    if (!buf) return u2_fail(U2NET_ERR_NOMEM, "base64: cannot allocate %zu bytes", cap);
    u2net_status s = u2_b64_decode_into(in, n, buf, cap, out_len);
    if (s != U2NET_OK) {
        u2_free(buf);
        *out_len = 0;
        return s;
    }
    *out = buf;
    return U2NET_OK;
}
