/* scitokens-cpp 1.4.1 behaviours a drop-in must keep, and bounds it must hold, from C:
 *
 *   fidelity_test KEYDIR
 *
 * Prints one line "NOKID <token>" (a token serialized with key id "none", whose header the
 * Rust harness decodes) and, last, "N checks, M failures". Exit status 0 iff no failure. */
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "check.h"

/* Fails, and the message contains `phrase`. */
#define FAILS_WITH(rc, err, phrase, what)                                  \
    do {                                                                   \
        CHECK((rc) != 0, "%s: succeeded", what);                           \
        CHECK((err) && strstr((err), (phrase)), "%s: message %s lacks \"%s\"", what, \
              (err) ? (err) : "(none)", phrase);                           \
        free(err);                                                         \
        err = NULL;                                                        \
    } while (0)

static const char *ISSUER = "https://issuer.fidelity.example";
static const char *AUD = "https://storage.fidelity.example";

/* A token from `key`: iss, sub, scope, optionally aud and a groups list, in `profile`
 * (-1: the token's default profile). Returns the serialization (malloc'd). */
static char *mint(SciTokenKey key, const char *iss, const char *aud, const char *scope,
                  int with_groups, int profile) {
    char *err = NULL, *value = NULL;
    SciToken t = scitoken_create(key);
    OK(scitoken_set_claim_string(t, "iss", iss, &err), err, "set iss");
    OK(scitoken_set_claim_string(t, "sub", "alice", &err), err, "set sub");
    OK(scitoken_set_claim_string(t, "scope", scope, &err), err, "set scope");
    if (aud) OK(scitoken_set_claim_string(t, "aud", aud, &err), err, "set aud");
    if (with_groups) {
        const char *groups[] = {"/cms", NULL};
        OK(scitoken_set_claim_string_list(t, "groups", groups, &err), err, "set groups");
    }
    if (profile >= 0) scitoken_set_serialize_profile(t, (SciTokenProfile)profile);
    OK(scitoken_serialize(t, &value, &err), err, "serialize");
    scitoken_destroy(t);
    return value;
}

/* Deserializes `token` (issuer allow-list ISSUER) and asks an enforcer for AUD for its ACLs:
 * 0 on success (ACLs in *out, or freed when out is NULL), else -1 with the message in *err. */
static int acls_of(const char *token, Acl **out, char **err) {
    const char *issuers[] = {ISSUER, NULL};
    const char *auds[] = {AUD, NULL};
    SciToken parsed = NULL;
    if (scitoken_deserialize(token, &parsed, issuers, err)) return -1;
    Enforcer enf = enforcer_create(ISSUER, auds, err);
    Acl *acls = NULL;
    int rc = enforcer_generate_acls(enf, parsed, &acls, err);
    enforcer_destroy(enf);
    scitoken_destroy(parsed);
    if (rc == 0 && out) *out = acls; else enforcer_acl_free(acls);
    return rc;
}

static long rss_kib(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void audience_and_serialization(SciTokenKey key) {
    char *err = NULL;
    Acl *acls = NULL;

    /* A token without aud is refused by an enforcer that names an audience, whatever its
     * profile (scitokens-cpp does the same; semantics.md §5). */
    char *unbound = mint(key, ISSUER, NULL, "read:/data", 0, -1);
    FAILS_WITH(acls_of(unbound, NULL, &err), err, "aud", "SciTokens 1.0 token without aud");
    free(unbound);

    /* WLCG 1.0 and SciTokens 2.0 without aud are serialized for any audience, as upstream,
     * so our own enforcer accepts our own token. */
    char *wlcg = mint(key, ISSUER, NULL, "storage.read:/store", 0, WLCG_1_0);
    OK(acls_of(wlcg, &acls, &err), err, "WLCG token serialized without aud");
    CHECK(has_acl(acls, "read", "/store"), "WLCG ACLs");
    enforcer_acl_free(acls);
    acls = NULL;
    SciToken parsed = NULL;
    const char *issuers[] = {ISSUER, NULL};
    char *value = NULL;
    OK(scitoken_deserialize(wlcg, &parsed, issuers, &err), err, "deserialize WLCG");
    OK(scitoken_get_claim_string(parsed, "aud", &value, &err), err, "WLCG aud");
    CHECK(value && strcmp(value, "https://wlcg.cern.ch/jwt/v1/any") == 0, "WLCG any: %s", value ? value : "");
    free(value);
    value = NULL;
    scitoken_destroy(parsed);
    free(wlcg);
    char *sci2 = mint(key, ISSUER, NULL, "read:/data", 0, SCITOKENS_2_0);
    OK(acls_of(sci2, &acls, &err), err, "SciTokens 2.0 token serialized without aud");
    enforcer_acl_free(acls);
    acls = NULL;
    OK(scitoken_deserialize(sci2, &parsed, issuers, &err), err, "deserialize 2.0");
    OK(scitoken_get_claim_string(parsed, "aud", &value, &err), err, "2.0 aud");
    CHECK(value && strcmp(value, "ANY") == 0, "2.0 any: %s", value ? value : "");
    free(value);
    scitoken_destroy(parsed);
    free(sci2);

    /* A default-profile token with a claim of our own (groups) reads back: unknown-claim
     * strictness is the Validator API's business. */
    char *groups = mint(key, ISSUER, AUD, "read:/data", 1, -1);
    OK(acls_of(groups, &acls, &err), err, "default-profile token with groups");
    CHECK(has_acl(acls, "read", "/data"), "groups token ACLs");
    enforcer_acl_free(acls);
    free(groups);
}

static void compat_view(SciTokenKey key) {
    char *err = NULL;
    Acl *acls = NULL;
    const char *issuers[] = {ISSUER, NULL};
    const char *auds[] = {AUD, NULL};

    /* ACL paths are percent-decoded (semantics.md §8). */
    char *spaced = mint(key, ISSUER, AUD, "read:/a%20b", 0, SCITOKENS_2_0);
    OK(acls_of(spaced, &acls, &err), err, "token with an escaped path");
    CHECK(has_acl(acls, "read", "/a b"), "read:/a%%20b lists /a b");
    enforcer_acl_free(acls);
    acls = NULL;
    free(spaced);

    /* enforcer_test agrees with the listed entries: condor:/WRITE and below, never /WRITEUP. */
    char *wlcg = mint(key, ISSUER, AUD, "compute.read compute.create compute.modify compute.cancel", 0, WLCG_1_0);
    SciToken parsed = NULL;
    OK(scitoken_deserialize(wlcg, &parsed, issuers, &err), err, "deserialize compute token");
    Enforcer enf = enforcer_create(ISSUER, auds, &err);
    OK(enforcer_generate_acls(enf, parsed, &acls, &err), err, "compute ACLs");
    CHECK(has_acl(acls, "condor", "/WRITE") && has_acl(acls, "condor", "/READ"), "condor entries listed");
    const char *allowed[][2] = {{"condor", "/WRITE"}, {"condor", "/WRITE/sub"}, {"condor", "/READ"},
                                {"condor", "/READ/x"}, {"compute.create", "/"}};
    const char *denied[][2] = {{"condor", "/WRITEUP"}, {"condor", "/READER"}, {"condor", "/ADMIN"}};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        Acl acl = {allowed[i][0], allowed[i][1]};
        OK(enforcer_test(enf, parsed, &acl, &err), err, allowed[i][1]);
    }
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
        Acl acl = {denied[i][0], denied[i][1]};
        CHECK(enforcer_test(enf, parsed, &acl, &err) != 0, "%s:%s denied", denied[i][0], denied[i][1]);
        free(err);
        err = NULL;
    }
    /* Every listed entry is allowed by enforcer_test. */
    for (int i = 0; acls && acls[i].authz; i++) {
        Acl acl = {acls[i].authz, acls[i].resource};
        CHECK(enforcer_test(enf, parsed, &acl, &err) == 0, "listed %s:%s allowed: %s", acls[i].authz,
              acls[i].resource, err ? err : "");
        free(err);
        err = NULL;
    }
    enforcer_acl_free(acls);
    enforcer_destroy(enf);
    scitoken_destroy(parsed);
    free(wlcg);
}

static void key_id_none(const char *keydir) {
    char *err = NULL;
    SciTokenKey key = scitoken_key_create("none", "ES256", slurp(keydir, "es256-public.pem"),
                                          slurp(keydir, "es256-private.pem"), &err);
    CHECK(key != NULL, "key id none: %s", err ? err : "");
    free(err);
    char *token = mint(key, ISSUER, AUD, "read:/", 0, SCITOKENS_2_0);
    printf("NOKID %s\n", token);
    free(token);
    scitoken_key_destroy(key);
}

static void configuration(const char *token) {
    char *err = NULL, *out = NULL;
    const char *issuers[] = {ISSUER, NULL};
    SciToken parsed = NULL;

    /* 0 intervals take scitokens-cpp's meaning and leave the library usable. */
    OK(scitoken_config_set_int("keycache.update_interval_s", 0, &err), err, "update interval 0");
    CHECK(scitoken_config_get_int("keycache.update_interval_s", &err) == 0, "update interval 0 stored");
    OK(scitoken_deserialize(token, &parsed, issuers, &err), err, "deserialize with update interval 0");
    scitoken_destroy(parsed);
    parsed = NULL;
    OK(scitoken_config_set_int("keycache.expiration_interval_s", 0, &err), err, "expiration 0");
    OK(scitoken_config_set_int("keycache.expiration_interval_s", 345600, &err), err, "expiration back");
    OK(scitoken_config_set_int("keycache.update_interval_s", 600, &err), err, "update back");
    CHECK(scitoken_config_set_int("keycache.refresh_interval_ms", 0, &err) != 0, "refresh interval 0 refused");
    free(err);
    err = NULL;
    OK(scitoken_deserialize(token, &parsed, issuers, &err), err, "deserialize after configuration changes");
    scitoken_destroy(parsed);
    parsed = NULL;

    /* keycache.allow_in_memory, as a string and as an int; NULL means "". */
    OK(scitoken_config_set_str("keycache.allow_in_memory", "true", &err), err, "allow_in_memory true");
    OK(scitoken_config_get_str("keycache.allow_in_memory", &out, &err), err, "get allow_in_memory");
    CHECK(out && strcmp(out, "true") == 0, "allow_in_memory: %s", out ? out : "");
    free(out);
    out = NULL;
    CHECK(scitoken_config_get_int("keycache.allow_in_memory", &err) == 1, "allow_in_memory as int");
    OK(scitoken_config_set_str("keycache.allow_in_memory", NULL, &err), err, "allow_in_memory NULL");
    CHECK(scitoken_config_get_int("keycache.allow_in_memory", &err) == 0, "NULL is false");
    CHECK(scitoken_config_set_str("keycache.allow_in_memory", "maybe", &err) != 0, "allow_in_memory maybe refused");
    free(err);
    err = NULL;
    OK(scitoken_config_set_int("keycache.allow_in_memory", 1, &err), err, "allow_in_memory 1");
    OK(scitoken_config_set_str("monitoring.file", NULL, &err), err, "monitoring.file NULL");
    OK(scitoken_config_set_str("tls.ca_file", NULL, &err), err, "tls.ca_file NULL");
    OK(scitoken_config_get_str("tls.ca_file", &out, &err), err, "get tls.ca_file");
    CHECK(out && strcmp(out, "") == 0, "tls.ca_file NULL reads as \"\": %s", out ? out : "");
    free(out);
    OK(scitoken_deserialize(token, &parsed, issuers, &err), err, "deserialize after string settings");
    scitoken_destroy(parsed);
}

static void messages_and_monitoring(SciTokenKey key, const char *token) {
    char *err = NULL, *out = NULL;
    SciToken parsed = NULL;
    const char *others[] = {"https://other.fidelity.example", NULL};

    /* scitokens-cpp's phrases, which consumers match. */
    char *refused = mint(key, "https://refused.fidelity.example", AUD, "read:/", 0, SCITOKENS_2_0);
    FAILS_WITH(scitoken_deserialize(refused, &parsed, others, &err), err,
               "is not in list of allowed issuers", "issuer off the allow-list");
    free(refused);
    char *unreachable = mint(key, "https://127.0.0.1:1/fidelity", AUD, "read:/", 0, SCITOKENS_2_0);
    CHECK(scitoken_deserialize(unreachable, &parsed, NULL, &err) != 0, "unreachable issuer");
    free(err);
    err = NULL;
    FAILS_WITH(scitoken_deserialize(unreachable, &parsed, NULL, &err), err, "negative cache",
               "unreachable issuer, again");
    free(unreachable);

    const char *issuers[] = {ISSUER, NULL};
    OK(scitoken_deserialize(token, &parsed, issuers, &err), err, "deserialize for monitoring");
    scitoken_destroy(parsed);
    OK(scitoken_get_monitoring_json(&out, &err), err, "monitoring json");
    CHECK(out && strstr(out, "\"background_successful_refreshes\"") &&
              strstr(out, "\"background_failed_refreshes\"") && strstr(out, "\"expired_keys\""),
          "upstream monitoring names: %s", out ? out : "");
    CHECK(out && !strstr(out, "refused.fidelity.example"), "a refused issuer leaves no trace");
    free(out);
}

/* keycache_stop_background_refresh returns promptly even while a refresh hangs on an issuer
 * that accepts connections and never answers (the kernel's backlog accepts them). */
static void stop_is_prompt(const char *keydir) {
    char *err = NULL;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 && listen(fd, 8) == 0 &&
              getsockname(fd, (struct sockaddr *)&addr, &len) == 0,
          "a silent listener");
    char iss[64];
    snprintf(iss, sizeof iss, "https://127.0.0.1:%d", ntohs(addr.sin_port));
    OK(scitoken_config_set_int("keycache.update_interval_s", 0, &err), err, "refresh on every use");
    OK(scitoken_config_set_int("keycache.refresh_interval_ms", 10, &err), err, "refresher every 10 ms");
    OK(keycache_set_jwks(iss, slurp(keydir, "issuer.jwks"), &err), err, "keys of the silent issuer");
    OK(keycache_set_background_refresh(1, &err), err, "background refresh on");
    usleep(300 * 1000); /* a refresh of the silent issuer is under way */
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    OK(keycache_stop_background_refresh(&err), err, "background refresh off");
    clock_gettime(CLOCK_MONOTONIC, &end);
    double waited = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    /* The library waits at most 0.5 s; the bound leaves room for a loaded machine and is far
     * below the 30 s the hung request takes. */
    CHECK(waited < 5.0, "stop waited %.2f s", waited);
    OK(keycache_delete_jwks(iss, &err), err, "forget the silent issuer");
    OK(scitoken_config_set_int("keycache.refresh_interval_ms", 60000, &err), err, "refresher back");
    OK(scitoken_config_set_int("keycache.update_interval_s", 600, &err), err, "update interval back");
    close(fd);
}

/* 50,000 made-up issuers with no allow-list: memory flat after the first thousand, the
 * monitoring document under 1 MB, and few network attempts (loopback port 1 refuses). */
static void flood(SciTokenKey key) {
    char *err = NULL, *out = NULL;
    char iss[128];
    long after_first = 0;
    for (int i = 0; i < 50000; i++) {
        snprintf(iss, sizeof iss, "https://127.0.0.1:1/flood/%d", i);
        char *token = mint(key, iss, AUD, "read:/", 0, SCITOKENS_2_0);
        SciToken parsed = NULL;
        CHECK(scitoken_deserialize(token, &parsed, NULL, &err) != 0, "made-up issuer %d refused", i);
        free(err);
        err = NULL;
        free(token);
        if (i == 1000) after_first = rss_kib();
    }
    long after_all = rss_kib();
    printf("flood: RSS %ld KiB after 1,000 issuers, %ld KiB after 50,000\n", after_first, after_all);
    CHECK(after_all - after_first < 4096, "RSS grew %ld KiB from 1,000 to 50,000 issuers",
          after_all - after_first);
    OK(scitoken_get_monitoring_json(&out, &err), err, "monitoring after the flood");
    CHECK(out && strlen(out) < 1000000, "monitoring JSON is %zu bytes", out ? strlen(out) : 0);
    free(out);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s KEYDIR\n", argv[0]);
        return 2;
    }
    char *err = NULL;
    const char *es_public = slurp(argv[1], "es256-public.pem");
    SciTokenKey key = scitoken_key_create("fidelity-kid", "ES256", es_public,
                                          slurp(argv[1], "es256-private.pem"), &err);
    CHECK(key != NULL, "key: %s", err ? err : "");
    free(err);
    err = NULL;
    OK(scitoken_store_public_ec_key(ISSUER, "fidelity-kid", slurp(argv[1], "es256-public.pem"), &err), err,
       "store key");
    char *token = mint(key, ISSUER, AUD, "read:/data", 0, SCITOKENS_2_0);

    audience_and_serialization(key);
    compat_view(key);
    key_id_none(argv[1]);
    configuration(token);
    messages_and_monitoring(key, token);
    stop_is_prompt(argv[1]);
    flood(key);

    free(token);
    scitoken_key_destroy(key);
    printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
