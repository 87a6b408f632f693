/* What XRootD does per token, through the C API: scitoken_deserialize, then
 * enforcer_generate_acls (and the frees). One source, built once, run against any
 * libSciTokens.so.0 chosen with LD_LIBRARY_PATH.
 *
 *   capi_bench ISSUER AUDIENCE TOKENS_FILE REPEAT [THREADS]
 *
 * TOKENS_FILE has one token a line; each is processed REPEAT times in a row (1: every token
 * new). With THREADS > 1, thread t takes tokens t, t+THREADS, ... with an enforcer of its own
 * (scitokens-cpp's enforcer is not thread-safe), so what is shared is the library's own state.
 * Prints: library path, tokens processed, seconds (wall), tokens per second, microseconds per
 * token (wall time over all threads). Exits 1 if any token fails. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
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

struct work {
    const char *issuer;
    const char **issuers;
    const char **audiences;
    char **tokens;
    size_t n, first, step;
    int repeat;
    size_t done;
    int failed;
};

/* Deserialize + generate ACLs for this thread's share of the tokens. */
static void *run(void *arg) {
    struct work *w = arg;
    char *err = NULL;
    Enforcer enf = enforcer_create(w->issuer, w->audiences, &err);
    if (!enf) { fprintf(stderr, "enforcer_create: %s\n", err ? err : ""); w->failed = 1; return NULL; }
    for (size_t i = w->first; i < w->n; i += w->step) {
        for (int r = 0; r < w->repeat; r++) {
            SciToken t = NULL;
            if (scitoken_deserialize(w->tokens[i], &t, w->issuers, &err) != 0) {
                fprintf(stderr, "deserialize token %zu: %s\n", i, err ? err : "");
                w->failed = 1;
                return NULL;
            }
            Acl *acls = NULL;
            if (enforcer_generate_acls(enf, t, &acls, &err) != 0) {
                fprintf(stderr, "generate_acls token %zu: %s\n", i, err ? err : "");
                w->failed = 1;
                return NULL;
            }
            enforcer_acl_free(acls);
            scitoken_destroy(t);
            w->done++;
        }
    }
    enforcer_destroy(enf);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s ISSUER AUDIENCE TOKENS_FILE REPEAT [THREADS]\n", argv[0]);
        return 2;
    }
    const char *issuers[] = {argv[1], NULL};
    const char *audiences[] = {argv[2], NULL};
    int repeat = atoi(argv[4]);
    int threads = argc == 6 ? atoi(argv[5]) : 1;
    if (threads < 1 || threads > 64) { fprintf(stderr, "THREADS must be 1 to 64\n"); return 2; }
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
    /* Warm up: the key cache is read, keys parsed. */
    SciToken warm = NULL;
    if (scitoken_deserialize(tokens[0], &warm, issuers, &err) != 0) {
        fprintf(stderr, "deserialize: %s\n", err ? err : "");
        return 1;
    }
    scitoken_destroy(warm);

    struct work w[64];
    pthread_t ids[64];
    double start = now();
    for (int t = 0; t < threads; t++) {
        w[t] = (struct work){argv[1], issuers, audiences, tokens, n, (size_t)t, (size_t)threads, repeat, 0, 0};
        if (threads == 1) run(&w[0]);
        else pthread_create(&ids[t], NULL, run, &w[t]);
    }
    size_t done = 0;
    for (int t = 0; t < threads; t++) {
        if (threads > 1) pthread_join(ids[t], NULL);
        if (w[t].failed) return 1;
        done += w[t].done;
    }
    double seconds = now() - start;
    Dl_info info;
    const char *lib = dladdr((void *)scitoken_deserialize, &info) ? info.dli_fname : "?";
    printf("%s %zu %.6f %.1f %.2f\n", lib, done, seconds, done / seconds, seconds * 1e6 / done);
    for (size_t i = 0; i < n; i++) free(tokens[i]);
    free(tokens);
    return 0;
}
