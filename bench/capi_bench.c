/* What XRootD does per token, through the C API: scitoken_deserialize, then
 * enforcer_generate_acls (and the frees). One source, built once, run against any
 * libSciTokens.so.0 chosen with LD_LIBRARY_PATH.
 *
 *   capi_bench ISSUER AUDIENCE TOKENS_FILE REPEAT
 *
 * TOKENS_FILE has one token a line; each is processed REPEAT times in a row (1: every token
 * new). Prints: library path, tokens processed, seconds, tokens per second, microseconds per
 * token. Exits 1 if any token fails. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <scitokens/scitokens.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s ISSUER AUDIENCE TOKENS_FILE REPEAT\n", argv[0]);
        return 2;
    }
    const char *issuers[] = {argv[1], NULL};
    const char *audiences[] = {argv[2], NULL};
    int repeat = atoi(argv[4]);
    FILE *f = fopen(argv[3], "r");
    if (!f) { perror(argv[3]); return 2; }
    size_t cap = 1024, n = 0;
    char **tokens = malloc(cap * sizeof *tokens);
    char line[65536];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!*line) continue;
        if (n == cap) tokens = realloc(tokens, (cap *= 2) * sizeof *tokens);
        tokens[n++] = strdup(line);
    }
    fclose(f);

    char *err = NULL;
    Enforcer enf = enforcer_create(argv[1], audiences, &err);
    if (!enf) { fprintf(stderr, "enforcer_create: %s\n", err ? err : ""); return 1; }

    /* Warm up: the key cache is read, keys parsed. */
    SciToken warm = NULL;
    if (scitoken_deserialize(tokens[0], &warm, issuers, &err) != 0) {
        fprintf(stderr, "deserialize: %s\n", err ? err : "");
        return 1;
    }
    scitoken_destroy(warm);

    double start = now();
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        for (int r = 0; r < repeat; r++) {
            SciToken t = NULL;
            if (scitoken_deserialize(tokens[i], &t, issuers, &err) != 0) {
                fprintf(stderr, "deserialize token %zu: %s\n", i, err ? err : "");
                return 1;
            }
            Acl *acls = NULL;
            if (enforcer_generate_acls(enf, t, &acls, &err) != 0) {
                fprintf(stderr, "generate_acls token %zu: %s\n", i, err ? err : "");
                return 1;
            }
            enforcer_acl_free(acls);
            scitoken_destroy(t);
            done++;
        }
    }
    double seconds = now() - start;
    Dl_info info;
    const char *lib = dladdr((void *)scitoken_deserialize, &info) ? info.dli_fname : "?";
    printf("%s %zu %.6f %.1f %.2f\n", lib, done, seconds, done / seconds, seconds * 1e6 / done);
    enforcer_destroy(enf);
    for (size_t i = 0; i < n; i++) free(tokens[i]);
    free(tokens);
    return 0;
}
