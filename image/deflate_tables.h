/*
 * deflate_tables.h - the fixed tables of RFC 1951 (3.2.5 length and distance codes, 3.2.7 the order of
 * the code-length code lengths), one copy shared by the encoder (deflate_block.c) and the decoder
 * (inflate.c).
 */
#ifndef U2NET_DEFLATE_TABLES_H
#define U2NET_DEFLATE_TABLES_H

#include <stdint.h>

extern const uint16_t u2_df_len_base[29];  /* length of codes 257..285 with zero extra bits */
extern const uint8_t u2_df_len_extra[29];  /* extra bits after codes 257..285 */
extern const uint16_t u2_df_dist_base[30]; /* distance of codes 0..29 with zero extra bits */
extern const uint8_t u2_df_dist_extra[30]; /* extra bits after distance codes 0..29 */
extern const uint8_t u2_df_precode_order[19];

#endif
