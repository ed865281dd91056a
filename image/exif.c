/* exif.c - the one EXIF tag we need: Orientation (0x0112) in IFD0. Shared by the JPEG (APP1) and PNG
 * (eXIf) readers. Defensive: every offset is checked against the block, and anything odd means "1". */
#include "image.h"

int u2_exif_orientation(const uint8_t *t, size_t len) {
    if (!t || len < 8) return 1;
    int le;
    if (t[0] == 'I' && t[1] == 'I') le = 1;
    else if (t[0] == 'M' && t[1] == 'M') le = 0;
    else return 1;
#define RD16(p) (le ? u2_rd16le(p) : u2_rd16be(p))
#define RD32(p) (le ? u2_rd32le(p) : u2_rd32be(p))
    if (RD16(t + 2) != 42) return 1;
    uint32_t ifd = RD32(t + 4);
    if (ifd < 8 || ifd > len - 2) return 1;
    uint32_t count = RD16(t + ifd);
    if ((size_t)count * 12 > len - ifd - 2) return 1;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = t + ifd + 2 + 12 * (size_t)i;
        if (RD16(e) != 0x0112) continue;
        uint16_t type = RD16(e + 2);
        uint32_t v;
        if (type == 3) v = RD16(e + 8);        /* SHORT, value in place */
        else if (type == 4) v = RD32(e + 8);   /* LONG (seen in the wild) */
        else return 1;
        return (v >= 1 && v <= 8) ? (int)v : 1;
    }
    return 1;
#undef RD16
#undef RD32
}
