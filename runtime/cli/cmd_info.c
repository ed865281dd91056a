/* cmd_info.c - `u2net info --cpu`: what the CPU probe found, which kernel sets this CPU runs, which one
 * models load with ($U2NET_ISA may force one) and the default thread count. Exit 1 when $U2NET_ISA or
 * $U2NET_THREADS would make loading or running fail, with the reason. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int u2_cmd_info(int argc, char **argv) {
    if (argc != 2 || strcmp(argv[1], "--cpu") != 0) {
        fprintf(stderr, "usage: u2net info --cpu\n");
        return 2;
    }
    u2net_cpu_info ci;
    u2net_status s = u2net_get_cpu_info(&ci);
    const char *isa = getenv("U2NET_ISA"), *thr = getenv("U2NET_THREADS");
    printf("arch:         %s\n", ci.arch);
    printf("cpu:          %s\n", ci.cpu_name[0] ? ci.cpu_name : "(no name reported)");
    printf("features:     %s\n", ci.features[0] ? ci.features : "(none the kernels use)");
    printf("kernel sets:  %s   (this CPU; the build has: %s)\n", ci.kernel_sets, ci.known_sets);
    printf("chosen:       %s   (%s)\n", ci.chosen, isa && *isa ? "U2NET_ISA" : "the best this CPU runs");
    printf("threads:      %d   (%s; %d CPUs in this process's affinity mask)\n", ci.default_threads,
           thr && *thr ? "U2NET_THREADS" : "default", ci.n_cpus);
    if (s != U2NET_OK) {
        fprintf(stderr, "u2net info: %s (%s)\n", u2net_last_error(), u2net_status_str(s));
        return 1;
    }
    return 0;
}
