/* Loads the library as HTCondor does, with dlopen/dlsym, resolves every symbol named on the
 * command line, and calls a few through the pointers.
 *
 *   dlopen_test LIBRARY SYMBOL...                                                        */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s LIBRARY SYMBOL...\n", argv[0]);
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    int missing = 0;
    for (int i = 2; i < argc; i++) {
        if (!dlsym(lib, argv[i])) {
            fprintf(stderr, "dlsym %s: %s\n", argv[i], dlerror());
            missing++;
        }
    }
    if (dlsym(lib, "rust_begin_unwind") || dlsym(lib, "rust_panic")) {
        fprintf(stderr, "internal Rust symbols are exported\n");
        return 1;
    }
    int (*get_int)(const char *, char **) = (int (*)(const char *, char **))dlsym(lib, "scitoken_config_get_int");
    void *(*create)(void *) = (void *(*)(void *))dlsym(lib, "scitoken_create");
    void (*destroy)(void *) = (void (*)(void *))dlsym(lib, "scitoken_destroy");
    int (*set)(void *, const char *, const char *, char **) =
        (int (*)(void *, const char *, const char *, char **))dlsym(lib, "scitoken_set_claim_string");
    if (!get_int || !create || !destroy || !set) return 1;
    char *err = NULL;
    const char *expected = getenv("EXPECT_UPDATE_INTERVAL");
    if (get_int("keycache.update_interval_s", &err) != (expected ? atoi(expected) : 600)) {
        fprintf(stderr, "scitoken_config_get_int through dlsym\n");
        return 1;
    }
    void *token = create(NULL);
    if (!token || set(token, "iss", "https://issuer.example", &err) != 0) {
        fprintf(stderr, "token through dlsym: %s\n", err ? err : "");
        return 1;
    }
    destroy(token);
    if (dlclose(lib) != 0) {
        fprintf(stderr, "dlclose: %s\n", dlerror());
        return 1;
    }
    printf("%d symbols resolved\n", argc - 2 - missing);
    return missing == 0 ? 0 : 1;
}
