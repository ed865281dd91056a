/*
 * s8_probe.h - does this CPU (and OS) run an int8 kernel set? Used by dispatch.c only.
 */
#ifndef U2NET_S8_PROBE_H
#define U2NET_S8_PROBE_H

int u2_s8_cpu_avx2(void);        /* AVX2 + FMA */
int u2_s8_cpu_avxvnni(void);     /* AVX2 + AVX-VNNI (VEX VPDPBUSD on ymm) */
int u2_s8_cpu_avx512vnni(void);  /* AVX-512 F/DQ/BW/VL + VNNI, zmm state saved by the OS */
int u2_s8_cpu_neondot(void);     /* arm64 dot product (SDOT/UDOT) */

#endif
