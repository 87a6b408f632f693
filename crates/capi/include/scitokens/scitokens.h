/*
 * scitokens.h: the C API of libSciTokens.so.0, as provided by scitokens-rs.
 *
 * Source-compatible with scitokens-cpp's public header (API level 1.4): the same types, names,
 * signatures, return conventions and ownership rules, so XRootD, HTCondor and other consumers
 * build and link against this library unchanged. Behavioural differences (sibling paths,
 * traversal, a clock read per call, stale keys used while an issuer is down, ...) are listed in
 * docs/capi.md.
 *
 * Conventions:
 * - Functions returning int return 0 on success and nonzero (-1) on failure.
 * - On failure, if err_msg is not NULL, *err_msg is set to a malloc'd message the caller
 *   frees with free().
 * - Strings and string lists returned through out-parameters are malloc'd; free strings with
 *   free() and lists with scitoken_free_string_list().
 * - ACL arrays end with {NULL, NULL}, stay valid after enforcer_destroy(), and are freed with
 *   enforcer_acl_free().
 * - A NULL argument where a value is required is an error, never a crash.
 */

#ifndef SCITOKENS_RS_SCITOKENS_H
#define SCITOKENS_RS_SCITOKENS_H

#include <sys/select.h>
#include <time.h>

#ifdef __cplusplus
#include <ctime>
extern "C" {
#endif

/* Opaque handles. */
typedef void *SciTokenKey;
typedef void *SciToken;
typedef void *Validator;
typedef void *Enforcer;
typedef void *SciTokenStatus;
typedef void *Configuration;

/* A claim validator callback: return 0 to accept `value`; otherwise nonzero, optionally
 * setting *err_msg to a malloc'd reason (freed by the library). */
typedef int (*StringValidatorFunction)(const char *value, char **err_msg);

/* One access-control entry. */
typedef struct Acl_s {
    const char *authz;
    const char *resource;
} Acl;

/* Token profiles. COMPAT accepts every profile and, for ACLs, translates WLCG names into
 * SciTokens 1.0 ones (storage.read -> read). */
typedef enum _profile {
    COMPAT = 0,
    SCITOKENS_1_0,
    SCITOKENS_2_0,
    WLCG_1_0,
    AT_JWT
} SciTokenProfile;

/* Keys. The public key may be NULL or empty: it is derived from the private key. */
SciTokenKey scitoken_key_create(const char *key_id, const char *algorithm,
                                const char *public_contents,
                                const char *private_contents, char **err_msg);
void scitoken_key_destroy(SciTokenKey private_key);

/* Tokens. */
SciToken scitoken_create(SciTokenKey private_key);
void scitoken_destroy(SciToken token);
int scitoken_set_claim_string(SciToken token, const char *key,
                              const char *value, char **err_msg);
int scitoken_get_claim_string(const SciToken token, const char *key,
                              char **value, char **err_msg);
int scitoken_get_claim_string_list(const SciToken token, const char *key,
                                   char ***value, char **err_msg);
void scitoken_free_string_list(char **value);
int scitoken_set_claim_string_list(const SciToken token, const char *key,
                                   const char **values, char **err_msg);
int scitoken_get_expiration(const SciToken token, long long *value,
                            char **err_msg);
void scitoken_set_lifetime(SciToken token, int lifetime);
int scitoken_serialize(const SciToken token, char **value, char **err_msg);
void scitoken_set_serialize_profile(SciToken token, SciTokenProfile profile);
void scitoken_set_serialize_mode(SciToken token, SciTokenProfile profile);
void scitoken_set_deserialize_profile(SciToken token, SciTokenProfile profile);
int scitoken_deserialize(const char *value, SciToken *token,
                         char const *const *allowed_issuers, char **err_msg);
int scitoken_deserialize_start(const char *value, SciToken *token,
                               char const *const *allowed_issuers,
                               SciTokenStatus *status, char **err_msg);
int scitoken_deserialize_continue(SciToken *token, SciTokenStatus *status,
                                  char **err_msg);
int scitoken_deserialize_v2(const char *value, SciToken token,
                            char const *const *allowed_issuers, char **err_msg);
int scitoken_store_public_ec_key(const char *issuer, const char *keyid,
                                 const char *value, char **err_msg);

/* Validators. */
Validator validator_create();
void validator_set_token_profile(Validator, SciTokenProfile profile);
int validator_set_time(Validator validator, time_t now, char **err_msg);
int validator_add(Validator validator, const char *claim,
                  StringValidatorFunction validator_func, char **err_msg);
int validator_add_critical_claims(Validator validator, const char **claims,
                                  char **err_msg);
int validator_validate(Validator validator, SciToken scitoken, char **err_msg);
void validator_destroy(Validator validator);

/* Enforcers. */
Enforcer enforcer_create(const char *issuer, const char **audience,
                         char **err_msg);
void enforcer_destroy(Enforcer enforcer);
void enforcer_set_validate_profile(Enforcer, SciTokenProfile profile);
int enforcer_set_time(Enforcer enf, time_t now, char **err_msg);
int enforcer_generate_acls(const Enforcer enf, const SciToken scitokens,
                           Acl **acls, char **err_msg);
int enforcer_generate_acls_start(const Enforcer enf, const SciToken scitokens,
                                 SciTokenStatus *status, Acl **acls,
                                 char **err_msg);
int enforcer_generate_acls_continue(const Enforcer enf, SciTokenStatus *status,
                                    Acl **acls, char **err_msg);
void enforcer_acl_free(Acl *acls);
int enforcer_test(const Enforcer enf, const SciToken sci, const Acl *acl,
                  char **err_msg);

/* Asynchronous status. This library completes every operation in the *_start call and sets
 * *status to NULL; the status functions are provided for source compatibility. */
void scitoken_status_free(SciTokenStatus *status);
int scitoken_status_get_timeout_val(const SciTokenStatus *status,
                                    time_t expiry_time, struct timeval *timeout,
                                    char **err_msg);
int scitoken_status_get_read_fd_set(SciTokenStatus *status,
                                    fd_set **read_fd_set, char **err_msg);
int scitoken_status_get_write_fd_set(SciTokenStatus *status,
                                     fd_set **write_fd_set, char **err_msg);
int scitoken_status_get_exc_fd_set(SciTokenStatus *status, fd_set **exc_fd_set,
                                   char **err_msg);
int scitoken_status_get_max_fd(const SciTokenStatus *status, int *max_fd,
                               char **err_msg);

/* The key cache (shared with scitokens-cpp: same file, same schema). */
int keycache_refresh_jwks(const char *issuer, char **err_msg);
int keycache_get_cached_jwks(const char *issuer, char **jwks, char **err_msg);
int keycache_set_jwks(const char *issuer, const char *jwks, char **err_msg);
int keycache_set_background_refresh(int enabled, char **err_msg);
int keycache_stop_background_refresh(char **err_msg);
int keycache_load_jwks(const char *issuer, char **jwks, char **err_msg);
int keycache_get_jwks_metadata(const char *issuer, char **metadata,
                               char **err_msg);
int keycache_get_location(char **cache_file, int *using_in_memory_fallback,
                          char **err_msg);
int keycache_delete_jwks(const char *issuer, char **err_msg);

/* Configuration (initialised from the SCITOKEN_CONFIG_* environment variables). */
int config_set_int(const char *key, int value, char **err_msg);
int scitoken_config_set_int(const char *key, int value, char **err_msg);
int config_get_int(const char *key, char **err_msg);
int scitoken_config_get_int(const char *key, char **err_msg);
int scitoken_config_set_str(const char *key, const char *value, char **err_msg);
int scitoken_config_get_str(const char *key, char **output, char **err_msg);

/* Monitoring. */
int scitoken_get_monitoring_json(char **json_out, char **err_msg);
int scitoken_reset_monitoring_stats(char **err_msg);

#ifdef __cplusplus
}
#endif

#endif /* SCITOKENS_RS_SCITOKENS_H */
