/* Stores a public EC key in scitokens-cpp's key cache, as an admin tool would:
 *   cpp_store_key ISSUER KID PEM_FILE
 * The cache file is $XDG_CACHE_HOME/scitokens/scitokens_cpp.sqllite. */
#include <stdio.h>
#include <stdlib.h>
#include <scitokens/scitokens.h>

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s ISSUER KID PEM_FILE\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[3], "rb");
    if (!f) { perror(argv[3]); return 2; }
    static char pem[16384];
    size_t n = fread(pem, 1, sizeof pem - 1, f);
    fclose(f);
    pem[n] = '\0';
    char *err = NULL;
    if (scitoken_store_public_ec_key(argv[1], argv[2], pem, &err) != 0) {
        fprintf(stderr, "scitoken_store_public_ec_key: %s\n", err ? err : "(no message)");
        free(err);
        return 1;
    }
    return 0;
}
