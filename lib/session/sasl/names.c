/* Names of mechanisms and failure conditions (RFC 6120 section 6.5). */
#include <string.h>
#include <xmppim/sasl.h>

/* Indexed by xmppim_sasl_mechanism. */
static const char *const mechanism_names[] = {
  NULL,
  "PLAIN",
  "SCRAM-SHA-1",
  "SCRAM-SHA-1-PLUS",
  "SCRAM-SHA-256",
  "SCRAM-SHA-256-PLUS",
};

#define N_MECHANISMS (sizeof(mechanism_names) / sizeof(mechanism_names[0]))

const char *xmppim_sasl_mechanism_name(xmppim_sasl_mechanism mechanism) {
  if ((unsigned)mechanism >= N_MECHANISMS) return NULL;
  return mechanism_names[mechanism];
}

xmppim_sasl_mechanism xmppim_sasl_mechanism_from_name(const char *name) {
  if (name)
    for (size_t i = 1; i < N_MECHANISMS; i++)
      if (strcmp(mechanism_names[i], name) == 0) return (xmppim_sasl_mechanism)i;
  return XMPPIM_SASL_MECH_UNKNOWN;
}

int xmppim_sasl_mechanism_is_plus(xmppim_sasl_mechanism mechanism) {
  return mechanism == XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS ||
         mechanism == XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS;
}

xmppim_scram_hash xmppim_sasl_mechanism_scram_hash(xmppim_sasl_mechanism mechanism) {
  switch (mechanism) {
  case XMPPIM_SASL_MECH_SCRAM_SHA_1:
  case XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS: return XMPPIM_SCRAM_SHA_1;
  case XMPPIM_SASL_MECH_SCRAM_SHA_256:
  case XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS: return XMPPIM_SCRAM_SHA_256;
  default: return (xmppim_scram_hash)0;
  }
}

size_t xmppim_scram_key_len(xmppim_scram_hash hash) {
  switch (hash) {
  case XMPPIM_SCRAM_SHA_1: return 20;
  case XMPPIM_SCRAM_SHA_256: return 32;
  default: return 0;
  }
}

/* Indexed by xmppim_sasl_condition. */
static const char *const condition_names[] = {
  NULL,
  "aborted",
  "account-disabled",
  "credentials-expired",
  "encryption-required",
  "incorrect-encoding",
  "invalid-authzid",
  "invalid-mechanism",
  "malformed-request",
  "mechanism-too-weak",
  "not-authorized",
  "temporary-auth-failure",
};

#define N_CONDITIONS (sizeof(condition_names) / sizeof(condition_names[0]))

const char *xmppim_sasl_condition_name(xmppim_sasl_condition condition) {
  if ((unsigned)condition >= N_CONDITIONS) return NULL;
  return condition_names[condition];
}

xmppim_sasl_condition xmppim_sasl_condition_from_name(const char *name) {
  if (name)
    for (size_t i = 1; i < N_CONDITIONS; i++)
      if (strcmp(condition_names[i], name) == 0) return (xmppim_sasl_condition)i;
  return XMPPIM_SASL_COND_NOT_AUTHORIZED; /* C6.5-b */
}
