/* xxhash.c - XXH64, the model file checksum: fast enough (~10 GB/s) to verify a 176 MB model at load. */
#include "base.h"

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static inline uint64_t round1(uint64_t acc, uint64_t in) { return rotl(acc + in * P2, 31) * P1; }
static inline uint64_t merge(uint64_t acc, uint64_t v) { return (acc ^ round1(0, v)) * P1 + P4; }

void u2_xxh64_init(u2_xxh64_state *s) {
    s->v[0] = P1 + P2;
    s->v[1] = P2;
    s->v[2] = 0;
    s->v[3] = (uint64_t)0 - P1;
    s->total = 0;
    s->buf_len = 0;
}

static void stripe(uint64_t v[4], const uint8_t *p) {
    v[0] = round1(v[0], u2_rd64le(p));
    v[1] = round1(v[1], u2_rd64le(p + 8));
    v[2] = round1(v[2], u2_rd64le(p + 16));
    v[3] = round1(v[3], u2_rd64le(p + 24));
}

void u2_xxh64_update(u2_xxh64_state *s, const void *data, size_t n) {
    const uint8_t *p = data;
    s->total += n;
    if (s->buf_len) {
        size_t take = 32 - s->buf_len < n ? 32 - s->buf_len : n;
        memcpy(s->buf + s->buf_len, p, take);
        s->buf_len += take;
        p += take;
        n -= take;
        if (s->buf_len < 32) return;
        stripe(s->v, s->buf);
        s->buf_len = 0;
    }
    uint64_t v[4] = {s->v[0], s->v[1], s->v[2], s->v[3]};
    while (n >= 32) {
        stripe(v, p);
        p += 32;
        n -= 32;
    }
    memcpy(s->v, v, sizeof v);
    memcpy(s->buf, p, n);
    s->buf_len = n;
}

uint64_t u2_xxh64_final(const u2_xxh64_state *s) {
    uint64_t h;
    if (s->total >= 32) {
        h = rotl(s->v[0], 1) + rotl(s->v[1], 7) + rotl(s->v[2], 12) + rotl(s->v[3], 18);
        for (int i = 0; i < 4; i++) h = merge(h, s->v[i]);
    } else {
        h = s->v[2] + P5; /* v[2] holds the seed (0) */
    }
    h += s->total;
    const uint8_t *p = s->buf;
    size_t n = s->buf_len;
    while (n >= 8) {
        h = rotl(h ^ round1(0, u2_rd64le(p)), 27) * P1 + P4;
        p += 8;
        n -= 8;
    }
    if (n >= 4) {
        h = rotl(h ^ (uint64_t)u2_rd32le(p) * P1, 23) * P2 + P3;
        p += 4;
        n -= 4;
    }
    while (n--) h = rotl(h ^ (*p++) * P5, 11) * P1;
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}

uint64_t u2_xxh64(const void *data, size_t n) {
    u2_xxh64_state s;
    u2_xxh64_init(&s);
    u2_xxh64_update(&s, data, n);
    return u2_xxh64_final(&s);
}
