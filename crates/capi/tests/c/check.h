/* What the C tests share: counted checks that report and go on, the helpers for the
 * API's (rc, err_msg) convention, reading fixture files, and finding an ACL entry. */
#ifndef SCITOKENS_TEST_CHECK_H
#define SCITOKENS_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <scitokens/scitokens.h>

static int failures = 0;
static int checks = 0;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        checks++;                                                          \
        if (!(cond)) {                                                     \
            failures++;                                                    \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);           \
            fprintf(stderr, __VA_ARGS__);                                  \
            fprintf(stderr, "\n");                                         \
        }                                                                  \
    } while (0)

/* An error was reported: rc is nonzero and err is a malloc'd message (freed here). */
#define FAILED(rc, err, ...)                                               \
    do {                                                                   \
        CHECK((rc) != 0, __VA_ARGS__);                                     \
        CHECK((err) != NULL && strlen(err) > 0, "no error message: " __VA_ARGS__); \
        free(err);                                                         \
        err = NULL;                                                        \
    } while (0)

/* Success: rc is 0; a message, if any, is printed and freed. */
#define OK(rc, err, what)                                                  \
    do {                                                                   \
        CHECK((rc) == 0, "%s: %s", what, (err) ? (err) : "(no message)");  \
        free(err);                                                         \
        err = NULL;                                                        \
    } while (0)

/* The contents of DIR/NAME, in one of four static buffers (fixtures are small). */
static char *slurp(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    static char buf[4][16384];
    static int next = 0;
    char *out = buf[next++ % 4];
    size_t n = fread(out, 1, sizeof buf[0] - 1, f);
    fclose(f);
    out[n] = '\0';
    return out;
}

/* Whether the ACL list holds (authz, resource). */
static int has_acl(Acl *acls, const char *authz, const char *resource) {
    for (int i = 0; acls && (acls[i].authz || acls[i].resource); i++) {
        if (strcmp(acls[i].authz, authz) == 0 && strcmp(acls[i].resource, resource) == 0) return 1;
    }
    return 0;
}

#endif
