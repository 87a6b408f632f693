/* The C API from C: every exported function, its error paths and ownership rules.
 *
 *   api_test KEYDIR
 *
 * KEYDIR holds the fixture keys (testdata/keys). The key cache lives where
 * $XDG_CACHE_HOME (or keycache.cache_home) says; the test sets neither itself, except through
 * scitoken_config_set_str where the API has it.
 *
 * Built with -DSCITOKENS_CPP_0_7 it uses only what Debian's scitokens-cpp 0.7.3 has and
 * where both libraries behave the same, so the same source checks the ABI against the
 * original. Exit status: 0 if every check passed, 1 otherwise (each failure is printed). */
#include <time.h>
#include "check.h"

/* A denial from enforcer_test: nonzero; we also say why (scitokens-cpp 0.7.3 does not). */
#ifdef SCITOKENS_CPP_0_7
#define DENIED(rc, err, ...) do { CHECK((rc) != 0, __VA_ARGS__); free(err); err = NULL; } while (0)
#else
#define DENIED(rc, err, ...) FAILED(rc, err, __VA_ARGS__)
#endif

static const char *ISSUER = "https://issuer.capi.example";
static const char *AUD = "https://storage.capi.example";

/* Mints a token with `scope` (and aud, sub, the given profile) and returns it (malloc'd). */
static char *mint(SciTokenKey key, const char *issuer, const char *scope, SciTokenProfile profile, int lifetime) {
    char *err = NULL, *value = NULL;
    SciToken t = scitoken_create(key);
    CHECK(t != NULL, "scitoken_create");
    OK(scitoken_set_claim_string(t, "iss", issuer, &err), err, "set iss");
    OK(scitoken_set_claim_string(t, "aud", AUD, &err), err, "set aud");
    OK(scitoken_set_claim_string(t, "sub", "alice", &err), err, "set sub");
    if (scope) OK(scitoken_set_claim_string(t, "scope", scope, &err), err, "set scope");
    scitoken_set_lifetime(t, lifetime);
    scitoken_set_serialize_profile(t, profile);
    OK(scitoken_serialize(t, &value, &err), err, "serialize");
    scitoken_destroy(t);
    return value;
}

__attribute__((unused)) static int sub_is_alice(const char *value, char **err_msg) {
    if (strcmp(value, "alice") == 0) return 0;
    *err_msg = strdup("sub is not alice");
    return 1;
}

static void test_keys_and_tokens(const char *keydir) {
    char *err = NULL;
    const char *es_private = slurp(keydir, "es256-private.pem");
    const char *es_public = slurp(keydir, "es256-public.pem");

#ifndef SCITOKENS_CPP_0_7
    /* Key creation errors (scitokens-cpp 0.7.3 accepts any text here and fails later). */
    CHECK(scitoken_key_create("k", "HS256", es_public, es_private, &err) == NULL, "HS256 key");
    FAILED(1, err, "HS256 key message");
    CHECK(scitoken_key_create("k", "ES256", es_public, "not a pem", &err) == NULL, "bad PEM");
    FAILED(1, err, "bad PEM message");
    CHECK(scitoken_key_create(NULL, "ES256", es_public, es_private, &err) == NULL, "NULL kid");
    FAILED(1, err, "NULL kid message");
    CHECK(scitoken_key_create("k", "ES256", NULL, NULL, NULL) == NULL, "NULL private, NULL err_msg");
#endif
#ifndef SCITOKENS_CPP_0_7 /* scitokens-cpp 0.7.3 crashes on NULL */
    scitoken_key_destroy(NULL);
#endif

    SciTokenKey key = scitoken_key_create("capi-kid", "ES256", es_public, es_private, &err);
    CHECK(key != NULL, "key create: %s", err ? err : "");
    free(err); err = NULL;

    /* Claims: strings, lists, ownership. */
    SciToken t = scitoken_create(key);
    char *value = NULL;
    OK(scitoken_set_claim_string(t, "iss", ISSUER, &err), err, "set iss");
    OK(scitoken_get_claim_string(t, "iss", &value, &err), err, "get iss");
    CHECK(value && strcmp(value, ISSUER) == 0, "iss round trip: %s", value ? value : "(null)");
    free(value); value = NULL;
    FAILED(scitoken_get_claim_string(t, "absent", &value, &err), err, "absent claim");
    const char *groups[] = {"/cms", "/cms/uscms", NULL};
    OK(scitoken_set_claim_string_list(t, "groups", groups, &err), err, "set list");
    char **list = NULL;
    OK(scitoken_get_claim_string_list(t, "groups", &list, &err), err, "get list");
    CHECK(list && list[0] && strcmp(list[0], "/cms") == 0 && list[1] && strcmp(list[1], "/cms/uscms") == 0 && list[2] == NULL,
          "list round trip");
    scitoken_free_string_list(list);
#ifndef SCITOKENS_CPP_0_7 /* scitokens-cpp 0.7.3 crashes on NULL */
    scitoken_free_string_list(NULL);
#endif
    FAILED(scitoken_get_claim_string_list(t, "iss", &list, &err), err, "a string is not a list");
    FAILED(scitoken_get_claim_string(t, "groups", &value, &err), err, "a list is not a string");
#ifndef SCITOKENS_CPP_0_7
    FAILED(scitoken_set_claim_string(NULL, "iss", "x", &err), err, "NULL token");
    FAILED(scitoken_set_claim_string(t, NULL, "x", &err), err, "NULL key");
    FAILED(scitoken_get_claim_string(t, "iss", NULL, &err), err, "NULL out");
    CHECK(scitoken_set_claim_string(t, NULL, "x", NULL) != 0, "NULL err_msg is fine");
#endif
    long long exp = 0;
#ifndef SCITOKENS_CPP_0_7 /* scitokens-cpp 0.7.3 reports success with a meaningless value */
    FAILED(scitoken_get_expiration(t, &exp, &err), err, "no exp before serialization");
#endif
    scitoken_destroy(t);
#ifndef SCITOKENS_CPP_0_7 /* scitokens-cpp 0.7.3 crashes on NULL */
    scitoken_destroy(NULL);
#endif

    /* Serialization, then deserialization through the key cache. */
    OK(scitoken_store_public_ec_key(ISSUER, "capi-kid", es_public, &err), err, "store key");
    time_t minted_after = time(NULL);
    char *token = mint(key, ISSUER, "read:/data write:/data/out", SCITOKENS_2_0, 600);
    CHECK(token != NULL && strlen(token) > 100, "serialized");

    SciToken parsed = NULL;
    const char *issuers[] = {ISSUER, NULL};
    OK(scitoken_deserialize(token, &parsed, issuers, &err), err, "deserialize");
    OK(scitoken_get_claim_string(parsed, "scope", &value, &err), err, "scope");
    CHECK(value && strcmp(value, "read:/data write:/data/out") == 0, "scope value");
    free(value); value = NULL;
    OK(scitoken_get_claim_string(parsed, "ver", &value, &err), err, "ver");
    CHECK(value && strcmp(value, "scitoken:2.0") == 0, "SCITOKENS_2_0 profile sets ver: %s", value ? value : "");
    free(value); value = NULL;
    OK(scitoken_get_expiration(parsed, &exp, &err), err, "exp");
    /* The lifetime was applied: exp is 600 s after the minting, which happened between the two
     * readings of the clock (a minute of slack: this VM's clock has been seen to step). */
    CHECK(exp >= (long long)minted_after + 600 - 60 && exp <= (long long)time(NULL) + 600 + 60,
          "exp %lld, minted after %lld", exp, (long long)minted_after);
    scitoken_destroy(parsed);
    parsed = NULL;

#ifndef SCITOKENS_CPP_0_7
    /* The monitoring file is written (atomically) as tokens are validated. */
    char monitoring[4096];
    snprintf(monitoring, sizeof monitoring, "%s/monitoring.json", getenv("XDG_CACHE_HOME") ? getenv("XDG_CACHE_HOME") : "/tmp");
    OK(scitoken_config_set_int("monitoring.file_interval_s", 0, &err), err, "monitoring interval 0");
    OK(scitoken_config_set_str("monitoring.file", monitoring, &err), err, "monitoring file");
    OK(scitoken_deserialize(token, &parsed, issuers, &err), err, "deserialize (monitored)");
    scitoken_destroy(parsed);
    parsed = NULL;
    FILE *mf = fopen(monitoring, "r");
    CHECK(mf != NULL, "monitoring file written at %s", monitoring);
    if (mf) {
        char doc[8192];
        size_t len = fread(doc, 1, sizeof doc - 1, mf);
        doc[len] = '\0';
        fclose(mf);
        CHECK(strstr(doc, ISSUER) && strstr(doc, "successful_validations"), "monitoring file content: %s", doc);
    }
    OK(scitoken_config_set_str("monitoring.file", "", &err), err, "monitoring file off");
    OK(scitoken_config_set_int("monitoring.file_interval_s", 60, &err), err, "monitoring interval back");
#endif

    const char *others[] = {"https://other.example", NULL};
    FAILED(scitoken_deserialize(token, &parsed, others, &err), err, "issuer not allowed");
    CHECK(parsed == NULL, "no token on failure");
    OK(scitoken_deserialize(token, &parsed, NULL, &err), err, "any issuer");
    scitoken_destroy(parsed);
    parsed = NULL;
    FAILED(scitoken_deserialize("not.a.token", &parsed, NULL, &err), err, "garbage");
    char tampered[8192];
    snprintf(tampered, sizeof tampered, "%s", token);
    tampered[strlen(tampered) - 5] = tampered[strlen(tampered) - 5] == 'A' ? 'B' : 'A';
    FAILED(scitoken_deserialize(tampered, &parsed, NULL, &err), err, "tampered signature");
#ifndef SCITOKENS_CPP_0_7
    FAILED(scitoken_deserialize(NULL, &parsed, NULL, &err), err, "NULL value");
    FAILED(scitoken_deserialize(token, NULL, NULL, &err), err, "NULL out");
#endif

    /* deserialize_v2 into an existing token, with a profile. */
    SciToken v2 = scitoken_create(NULL);
    scitoken_set_deserialize_profile(v2, SCITOKENS_2_0);
    OK(scitoken_deserialize_v2(token, v2, issuers, &err), err, "deserialize_v2");
    scitoken_destroy(v2);
    v2 = scitoken_create(NULL);
    scitoken_set_deserialize_profile(v2, WLCG_1_0);
    FAILED(scitoken_deserialize_v2(token, v2, issuers, &err), err, "profile WLCG refuses a SciTokens 2.0 token");
    scitoken_destroy(v2);

    /* The older name of scitoken_set_serialize_profile. */
    SciToken wl = scitoken_create(key);
    OK(scitoken_set_claim_string(wl, "iss", ISSUER, &err), err, "set iss");
    OK(scitoken_set_claim_string(wl, "aud", AUD, &err), err, "set aud");
    scitoken_set_serialize_mode(wl, WLCG_1_0);
    char *wl_token = NULL;
    OK(scitoken_serialize(wl, &wl_token, &err), err, "serialize WLCG");
    scitoken_destroy(wl);
    OK(scitoken_deserialize(wl_token, &parsed, issuers, &err), err, "deserialize WLCG");
    OK(scitoken_get_claim_string(parsed, "wlcg.ver", &value, &err), err, "wlcg.ver");
    CHECK(value && strcmp(value, "1.0") == 0, "serialize mode WLCG sets wlcg.ver");
    free(value); value = NULL;
    scitoken_destroy(parsed);
    parsed = NULL;
    free(wl_token);

    /* Expired. */
    char *old = mint(key, ISSUER, "read:/", SCITOKENS_2_0, -100);
    FAILED(scitoken_deserialize(old, &parsed, NULL, &err), err, "expired");
    free(old);

#ifndef SCITOKENS_CPP_0_7
    /* The asynchronous API completes at once. */
    SciTokenStatus status = (SciTokenStatus)1;
    OK(scitoken_deserialize_start(token, &parsed, issuers, &status, &err), err, "deserialize_start");
    CHECK(status == NULL, "completed: status NULL");
    CHECK(parsed != NULL, "token set by start");
    OK(scitoken_deserialize_continue(&parsed, &status, &err), err, "continue after completion");
    scitoken_destroy(parsed);
    parsed = NULL;
    FAILED(scitoken_deserialize_start("x", &parsed, NULL, &status, &err), err, "start on garbage");
    struct timeval tv;
    fd_set *fds = NULL;
    int max_fd = 0;
    FAILED(scitoken_status_get_timeout_val(&status, time(NULL) + 5, &tv, &err), err, "no timeout");
    FAILED(scitoken_status_get_read_fd_set(&status, &fds, &err), err, "no read set");
    FAILED(scitoken_status_get_write_fd_set(&status, &fds, &err), err, "no write set");
    FAILED(scitoken_status_get_exc_fd_set(&status, &fds, &err), err, "no exc set");
    FAILED(scitoken_status_get_max_fd(&status, &max_fd, &err), err, "no max fd");
    scitoken_status_free(&status);
    scitoken_status_free(NULL);
#endif

    /* Validators (scitokens-cpp 0.7.3's validator_add crashes: not run against it). */
#ifndef SCITOKENS_CPP_0_7
    OK(scitoken_deserialize(token, &parsed, issuers, &err), err, "deserialize for validator");
    Validator v = validator_create();
    CHECK(v != NULL, "validator_create");
    OK(validator_add(v, "sub", sub_is_alice, &err), err, "validator_add");
    const char *critical[] = {"sub", NULL};
    OK(validator_add_critical_claims(v, critical, &err), err, "critical");
    OK(validator_validate(v, parsed, &err), err, "validate");
    validator_set_token_profile(v, WLCG_1_0);
    FAILED(validator_validate(v, parsed, &err), err, "validator profile WLCG refuses SciTokens 2.0");
    validator_set_token_profile(v, COMPAT);
#ifndef SCITOKENS_CPP_0_7
    OK(validator_set_time(v, time(NULL) + 3600, &err), err, "validator_set_time");
    FAILED(validator_validate(v, parsed, &err), err, "expired at the set time");
    OK(validator_set_time(v, time(NULL), &err), err, "validator_set_time back");
    FAILED(validator_add(v, "sub", NULL, &err), err, "NULL validator function");
    FAILED(validator_validate(NULL, parsed, &err), err, "NULL validator");
#endif
    validator_destroy(v);
    v = validator_create();
    const char *needs_group[] = {"group", NULL};
    OK(validator_add_critical_claims(v, needs_group, &err), err, "critical group");
    FAILED(validator_validate(v, parsed, &err), err, "critical claim without a validator");
    validator_destroy(v);
#ifndef SCITOKENS_CPP_0_7 /* scitokens-cpp 0.7.3 crashes on NULL */
    validator_destroy(NULL);
#endif
    scitoken_destroy(parsed);
    parsed = NULL;
#endif

    /* Enforcers. */
    const char *auds[] = {AUD, NULL};
    Enforcer enf = enforcer_create(ISSUER, auds, &err);
    CHECK(enf != NULL, "enforcer_create: %s", err ? err : "");
    free(err); err = NULL;
    OK(scitoken_deserialize(token, &parsed, issuers, &err), err, "deserialize for enforcer");
    Acl *acls = NULL;
    OK(enforcer_generate_acls(enf, parsed, &acls, &err), err, "generate_acls");
    CHECK(has_acl(acls, "read", "/data"), "read:/data in the ACLs");
    CHECK(has_acl(acls, "write", "/data/out"), "write:/data/out in the ACLs");
    Acl read_file = {"read", "/data/file"};
    OK(enforcer_test(enf, parsed, &read_file, &err), err, "read /data/file allowed");
    Acl write_data = {"write", "/data/file"};
    DENIED(enforcer_test(enf, parsed, &write_data, &err), err, "write /data/file denied");
#ifndef SCITOKENS_CPP_0_7
    /* scitokens-cpp 0.7.3 allows sibling paths; we do not (docs/capi.md). */
    Acl sibling = {"read", "/database"};
    DENIED(enforcer_test(enf, parsed, &sibling, &err), err, "sibling /database denied");
    Acl traversal = {"read", "/data/../etc/passwd"};
    DENIED(enforcer_test(enf, parsed, &traversal, &err), err, "traversal denied");
    OK(enforcer_set_time(enf, time(NULL) + 3600, &err), err, "enforcer_set_time");
    Acl *late = NULL;
    FAILED(enforcer_generate_acls(enf, parsed, &late, &err), err, "expired at the set time");
    OK(enforcer_set_time(enf, time(NULL), &err), err, "enforcer_set_time back");
    SciTokenStatus st = (SciTokenStatus)1;
    Acl *acls2 = NULL;
    OK(enforcer_generate_acls_start(enf, parsed, &st, &acls2, &err), err, "generate_acls_start");
    CHECK(st == NULL && acls2 != NULL && has_acl(acls2, "read", "/data"), "start completed");
    OK(enforcer_generate_acls_continue(enf, &st, &acls2, &err), err, "continue after completion");
    enforcer_acl_free(acls2);
    FAILED(enforcer_generate_acls(NULL, parsed, &acls2, &err), err, "NULL enforcer");
    FAILED(enforcer_generate_acls(enf, NULL, &acls2, &err), err, "NULL token");
    FAILED(enforcer_test(enf, parsed, NULL, &err), err, "NULL acl");
#endif
    /* Wrong audience. */
    const char *other_aud[] = {"https://elsewhere.example", NULL};
    Enforcer other = enforcer_create(ISSUER, other_aud, &err);
    free(err); err = NULL;
    Acl *none = NULL;
    FAILED(enforcer_generate_acls(other, parsed, &none, &err), err, "wrong audience");
    enforcer_destroy(other);
    /* Wrong issuer. */
    Enforcer wrong = enforcer_create("https://other.example", auds, &err);
    free(err); err = NULL;
    FAILED(enforcer_generate_acls(wrong, parsed, &none, &err), err, "wrong issuer");
    enforcer_destroy(wrong);
    /* WLCG, translated in COMPAT mode, native with the WLCG profile. */
    char *wlcg = mint(key, ISSUER, "storage.read:/store storage.modify:/store/out", WLCG_1_0, 600);
    SciToken wt = NULL;
    OK(scitoken_deserialize(wlcg, &wt, issuers, &err), err, "deserialize WLCG");
    Acl *wacls = NULL;
    OK(enforcer_generate_acls(enf, wt, &wacls, &err), err, "WLCG ACLs");
    CHECK(has_acl(wacls, "read", "/store") && has_acl(wacls, "write", "/store/out") && has_acl(wacls, "modify", "/store/out"),
          "storage.* translated in COMPAT mode");
    enforcer_acl_free(wacls);
    enforcer_set_validate_profile(enf, WLCG_1_0);
    OK(enforcer_generate_acls(enf, wt, &wacls, &err), err, "WLCG ACLs, WLCG profile");
#ifndef SCITOKENS_CPP_0_7
    CHECK(has_acl(wacls, "storage.read", "/store"), "native names with the WLCG profile");
#endif
    enforcer_acl_free(wacls);
    enforcer_set_validate_profile(enf, COMPAT);
    scitoken_destroy(wt);
    free(wlcg);

    /* ACLs stay valid after the enforcer is gone. */
    enforcer_destroy(enf);
    CHECK(has_acl(acls, "read", "/data"), "ACLs outlive the enforcer");
    enforcer_acl_free(acls);
#ifndef SCITOKENS_CPP_0_7 /* scitokens-cpp 0.7.3 crashes on NULL */
    enforcer_acl_free(NULL);
    enforcer_destroy(NULL);
#endif
    scitoken_destroy(parsed);
    free(token);
    scitoken_key_destroy(key);
}

#ifndef SCITOKENS_CPP_0_7
static void test_keycache_config_monitoring(const char *keydir) {
    char *err = NULL, *out = NULL;
    const char *jwks = slurp(keydir, "issuer.jwks");
    const char *iss = "https://keycache.capi.example";

    OK(keycache_set_jwks(iss, jwks, &err), err, "keycache_set_jwks");
    OK(keycache_get_cached_jwks(iss, &out, &err), err, "get_cached_jwks");
    CHECK(out && strstr(out, "89f051cc"), "cached jwks has the kid: %s", out ? out : "");
    free(out); out = NULL;
    OK(keycache_load_jwks(iss, &out, &err), err, "load_jwks (fresh: no fetch)");
    CHECK(out && strstr(out, "fb1f167b"), "loaded jwks");
    free(out); out = NULL;
    OK(keycache_get_jwks_metadata(iss, &out, &err), err, "metadata");
    CHECK(out && strstr(out, "\"expires\"") && strstr(out, "\"next_update\""), "metadata fields: %s", out ? out : "");
    free(out); out = NULL;
    int fallback = -1;
    OK(keycache_get_location(&out, &fallback, &err), err, "location");
    CHECK(out && strstr(out, "scitokens_cpp.sqllite") && fallback == 0, "location %s fallback %d", out ? out : "", fallback);
    free(out); out = NULL;
    FAILED(keycache_set_jwks(iss, "{\"keys\": 7}", &err), err, "bad jwks refused");
    FAILED(keycache_set_jwks(iss, "not json", &err), err, "not JSON refused");
    OK(keycache_delete_jwks(iss, &err), err, "delete");
    OK(keycache_delete_jwks(iss, &err), err, "delete again: not an error");
    OK(keycache_get_cached_jwks(iss, &out, &err), err, "get after delete");
    CHECK(out && strcmp(out, "{\"keys\": []}") == 0, "empty after delete: %s", out ? out : "");
    free(out); out = NULL;
    FAILED(keycache_get_jwks_metadata(iss, &out, &err), err, "metadata of an absent issuer");
    FAILED(keycache_refresh_jwks("https://unreachable.invalid", &err), err, "refresh fails without an issuer");
    FAILED(keycache_refresh_jwks(NULL, &err), err, "NULL issuer");
    OK(keycache_set_background_refresh(1, &err), err, "background on");
    OK(keycache_set_background_refresh(1, &err), err, "background on again");
    OK(keycache_stop_background_refresh(&err), err, "background off");
    OK(keycache_set_background_refresh(0, &err), err, "background off again");

    /* Configuration. */
    CHECK(scitoken_config_get_int("keycache.update_interval_s", &err) == 600, "default update interval");
    OK(scitoken_config_set_int("keycache.update_interval_s", 30, &err), err, "set update interval");
    CHECK(scitoken_config_get_int("keycache.update_interval_s", &err) == 30, "update interval set");
    OK(config_set_int("keycache.expiration_interval_s", 3600, &err), err, "old name set");
    CHECK(config_get_int("keycache.expiration_interval_s", &err) == 3600, "old name get");
    OK(scitoken_config_set_int("keycache.refresh_interval_ms", 1000, &err), err, "refresh interval");
    OK(scitoken_config_set_int("keycache.refresh_threshold_ms", 2000, &err), err, "refresh threshold");
    OK(scitoken_config_set_int("monitoring.file_interval_s", 5, &err), err, "monitoring interval");
    CHECK(scitoken_config_get_int("monitoring.file_interval_s", &err) == 5, "monitoring interval set");
    FAILED(scitoken_config_set_int("no.such.key", 1, &err), err, "unknown int key");
    CHECK(scitoken_config_get_int("no.such.key", &err) == -1, "unknown int key get");
    free(err); err = NULL;
    FAILED(scitoken_config_set_int("keycache.update_interval_s", -5, &err), err, "negative refused");
    OK(scitoken_config_get_str("tls.ca_file", &out, &err), err, "get ca file");
    free(out); out = NULL;
    OK(scitoken_config_set_str("tls.ca_file", "", &err), err, "set ca file empty");
    FAILED(scitoken_config_set_str("no.such.key", "x", &err), err, "unknown str key");
    FAILED(scitoken_config_get_str("no.such.key", &out, &err), err, "unknown str key get");
    OK(scitoken_config_set_int("keycache.update_interval_s", 600, &err), err, "restore");
    OK(scitoken_config_set_int("keycache.expiration_interval_s", 345600, &err), err, "restore");

    /* Monitoring. */
    OK(scitoken_get_monitoring_json(&out, &err), err, "monitoring json");
    CHECK(out && strstr(out, "\"issuers\"") && strstr(out, ISSUER) && strstr(out, "successful_validations"),
          "monitoring has the issuer: %s", out ? out : "");
    free(out); out = NULL;
    OK(scitoken_reset_monitoring_stats(&err), err, "reset");
    OK(scitoken_get_monitoring_json(&out, &err), err, "monitoring after reset");
    CHECK(out && !strstr(out, "successful_validations\":1"), "reset cleared counters: %s", out ? out : "");
    free(out); out = NULL;
    FAILED(scitoken_get_monitoring_json(NULL, &err), err, "NULL out");
}
#endif

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s KEYDIR\n", argv[0]);
        return 2;
    }
    test_keys_and_tokens(argv[1]);
#ifndef SCITOKENS_CPP_0_7
    test_keycache_config_monitoring(argv[1]);
#endif
    printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
