/* replay_main.c - runs a libFuzzer harness as a plain program over files and folders (its corpus and
 * crash regressions), so `make test` and `make asan` replay every input without clang's libFuzzer.
 * With no arguments it replays fuzz/corpus/<harness>/ and fuzz/regressions/<harness>/. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#ifndef FUZZ_NAME
#define FUZZ_NAME ""
#endif

static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf || (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)) {
        fclose(f);
        free(buf);
        return 0;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    free(buf);
    return 1;
}

static int replay_path(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return 0;
    if (!S_ISDIR(st.st_mode)) return replay_file(path);
    DIR *d = opendir(path);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        n += replay_path(sub);
    }
    closedir(d);
    return n;
}

int main(int argc, char **argv) {
    const char *name = strrchr(argv[0], '/');
    name = name ? name + 1 : argv[0];
    if (strncmp(name, "replay_fuzz_", 12) == 0) name += 12;
    int n = 0;
    if (argc > 1) {
        for (int i = 1; i < argc; i++) n += replay_path(argv[i]);
    } else {
        const char *root = getenv("U2NET_ROOT");
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/fuzz/corpus/%s", root ? root : ".", name);
        n += replay_path(dir);
        snprintf(dir, sizeof dir, "%s/fuzz/regressions/%s", root ? root : ".", name);
        n += replay_path(dir);
    }
    /* Reaching here means no input crashed, hung or tripped a sanitizer. */
    if (n == 0) printf("skip replay_%s: no corpus files found\n", name);
    else printf("ok replay_%s (%d inputs)\n", name, n);
    return 0;
}
