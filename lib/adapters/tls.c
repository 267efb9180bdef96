/*
 * The GnuTLS adapter: TLS over one session's bytes, with GnuTLS reading
 * and writing internal buffers (push/pull functions), so it never blocks
 * and owns no socket. See include/xmppim/tls.h for the contract.
 */
#include <xmppim/tls.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "session/session_impl.h"
#include "util/buf.h"
#include "util/mem.h"

/* Encrypting stops while this much ciphertext waits for the network. */
#define TLS_OUT_HIGH (64 * 1024)
/* Largest TLS record payload. */
#define TLS_RECORD 16384

/* Credentials shared by a config and the adapters made from it. */
typedef struct tls_creds {
  int refs;
  int has_trust; /* a CA file or the system store was loaded */
  int has_cert;  /* a certificate and key were loaded */
  gnutls_certificate_credentials_t cred;
} tls_creds;

struct xmppim_tls_config {
  tls_creds *creds;
  char *priority; /* NULL: the default */
  char *domain;   /* NULL: the session's */
  int skip_verify;
  unsigned bindings; /* XMPPIM_TLS_BINDING_* handed to the session */
  char error[256];
};

typedef enum tls_state {
  T_PLAIN = 0,  /* no TLS yet: bytes pass through */
  T_STARTING,   /* asked for; waiting for the plaintext output to drain */
  T_HANDSHAKE,  /* handshake under way */
  T_ESTABLISHED,
  T_FAILED
} tls_state;

struct xmppim_tls {
  xmppim_mem mem;
  xmppim_session *s;
  tls_creds *creds;
  char *priority;
  char *domain;       /* the XMPP domain as given (UTF-8), for XmppAddr */
  char *domain_ascii; /* its A-label form (IDNA), for SNI, DNS-ID and SRV-ID */
  int server;
  int skip_verify;
  unsigned bindings;
  tls_state state;
  int moved;       /* some byte was fed or written: direct TLS no longer possible */
  int direct;      /* started before any byte moved */
  int closed;      /* xmppim_tls_close() was called */
  int peer_closed; /* close_notify received */
  int last_plain;  /* the last xmppim_tls_output() gave the session's plaintext */
  int nomem;       /* a push ran out of memory */
  int verify_failed;
  int before_record; /* no TLS byte received yet: XML whitespace is skipped */
  int err;
  gnutls_session_t g;
  xmppim_buf in; /* ciphertext not yet read by GnuTLS, from in_off */
  size_t in_off;
  xmppim_buf out; /* ciphertext for the network, from out_off */
  size_t out_off;
  xmppim_buf plain; /* decrypted bytes the session has not taken, from plain_off */
  size_t plain_off;
  char version[16];
  char error[320];
};

/* ---- config ---- */

static void creds_unref(tls_creds *c) {
  if (!c || --c->refs > 0) return;
  gnutls_certificate_free_credentials(c->cred);
  free(c);
}

static int verify_peer(gnutls_session_t g);

int xmppim_tls_config_new(xmppim_tls_config **out) {
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = NULL;
  xmppim_tls_config *cfg = calloc(1, sizeof(*cfg));
  if (!cfg) return XMPPIM_ERR_NOMEM;
  cfg->bindings = XMPPIM_TLS_BINDING_EXPORTER | XMPPIM_TLS_BINDING_UNIQUE;
  cfg->creds = calloc(1, sizeof(*cfg->creds));
  if (!cfg->creds) {
    free(cfg);
    return XMPPIM_ERR_NOMEM;
  }
  int rv = gnutls_certificate_allocate_credentials(&cfg->creds->cred);
  if (rv < 0) {
    free(cfg->creds);
    free(cfg);
    return rv == GNUTLS_E_MEMORY_ERROR ? XMPPIM_ERR_NOMEM : XMPPIM_ERR_TLS;
  }
  cfg->creds->refs = 1;
  gnutls_certificate_set_verify_function(cfg->creds->cred, verify_peer);
  *out = cfg;
  return 0;
}

void xmppim_tls_config_free(xmppim_tls_config *cfg) {
  if (!cfg) return;
  creds_unref(cfg->creds);
  free(cfg->priority);
  free(cfg->domain);
  free(cfg);
}

static int config_fail(xmppim_tls_config *cfg, int code, const char *what, const char *file, int rv) {
  snprintf(cfg->error, sizeof(cfg->error), "%s '%s': %s", what, file ? file : "(null)",
           rv < 0 ? gnutls_strerror(rv) : "no certificate found");
  return code;
}

int xmppim_tls_config_set_ca_file(xmppim_tls_config *cfg, const char *pem_file) {
  if (!cfg) return XMPPIM_ERR_INVALID_ARGUMENT;
  cfg->error[0] = '\0';
  if (!pem_file) return config_fail(cfg, XMPPIM_ERR_INVALID_ARGUMENT, "CA file", pem_file, 0);
  int rv = gnutls_certificate_set_x509_trust_file(cfg->creds->cred, pem_file, GNUTLS_X509_FMT_PEM);
  if (rv == GNUTLS_E_MEMORY_ERROR) return XMPPIM_ERR_NOMEM;
  if (rv <= 0) return config_fail(cfg, XMPPIM_ERR_INVALID_ARGUMENT, "cannot load CA file", pem_file, rv);
  cfg->creds->has_trust = 1;
  return 0;
}

int xmppim_tls_config_set_cert_key_files(xmppim_tls_config *cfg, const char *cert_file,
                                         const char *key_file) {
  if (!cfg) return XMPPIM_ERR_INVALID_ARGUMENT;
  cfg->error[0] = '\0';
  if (!cert_file || !key_file)
    return config_fail(cfg, XMPPIM_ERR_INVALID_ARGUMENT, "certificate or key file missing", cert_file,
                       0);
  int rv = gnutls_certificate_set_x509_key_file(cfg->creds->cred, cert_file, key_file,
                                                GNUTLS_X509_FMT_PEM);
  if (rv == GNUTLS_E_MEMORY_ERROR) return XMPPIM_ERR_NOMEM;
  if (rv < 0)
    return config_fail(cfg, XMPPIM_ERR_INVALID_ARGUMENT, "cannot load certificate and key", cert_file,
                       rv);
  cfg->creds->has_cert = 1;
  return 0;
}

static int replace_string(char **slot, const char *value) {
  char *copy = NULL;
  if (value) {
    copy = strdup(value);
    if (!copy) return XMPPIM_ERR_NOMEM;
  }
  free(*slot);
  *slot = copy;
  return 0;
}

int xmppim_tls_config_set_priority(xmppim_tls_config *cfg, const char *priority) {
  if (!cfg || !priority) return XMPPIM_ERR_INVALID_ARGUMENT;
  cfg->error[0] = '\0';
  gnutls_priority_t p;
  const char *at = NULL;
  int rv = gnutls_priority_init(&p, priority, &at);
  if (rv == GNUTLS_E_MEMORY_ERROR) return XMPPIM_ERR_NOMEM;
  if (rv < 0) {
    snprintf(cfg->error, sizeof(cfg->error), "bad priority string at '%s': %s", at ? at : "",
             gnutls_strerror(rv));
    return XMPPIM_ERR_INVALID_ARGUMENT;
  }
  gnutls_priority_deinit(p);
  return replace_string(&cfg->priority, priority);
}

int xmppim_tls_config_set_channel_bindings(xmppim_tls_config *cfg, unsigned types) {
  if (!cfg || (types & ~(unsigned)(XMPPIM_TLS_BINDING_EXPORTER | XMPPIM_TLS_BINDING_UNIQUE)))
    return XMPPIM_ERR_INVALID_ARGUMENT;
  cfg->bindings = types;
  return 0;
}

int xmppim_tls_config_set_insecure_skip_verify(xmppim_tls_config *cfg, int on) {
  if (!cfg) return XMPPIM_ERR_INVALID_ARGUMENT;
  cfg->skip_verify = on != 0;
  return 0;
}

int xmppim_tls_config_set_domain(xmppim_tls_config *cfg, const char *domain) {
  if (!cfg || (domain && !domain[0])) return XMPPIM_ERR_INVALID_ARGUMENT;
  return replace_string(&cfg->domain, domain);
}

const char *xmppim_tls_config_error_text(const xmppim_tls_config *cfg) {
  return cfg ? cfg->error : "";
}

/* ---- adapter ---- */

static int set_error(xmppim_tls *t, int code, const char *fmt, ...) {
  if (!t->err) {
    t->err = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->error, sizeof(t->error), fmt, ap);
    va_end(ap);
  }
  t->state = T_FAILED;
  return t->err;
}

static int new_adapter(xmppim_tls **out, xmppim_session *session, const xmppim_tls_config *cfg,
                       const xmppim_mem *mem, int server) {
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (!session || !cfg) return XMPPIM_ERR_INVALID_ARGUMENT;
  if ((xmppim_session_role(session) == XMPPIM_ROLE_SERVER) != server)
    return XMPPIM_ERR_INVALID_ARGUMENT;
  if (server && !cfg->creds->has_cert) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (!server && !cfg->skip_verify && !cfg->creds->has_trust) {
    int rv = gnutls_certificate_set_x509_system_trust(cfg->creds->cred);
    if (rv == GNUTLS_E_MEMORY_ERROR) return XMPPIM_ERR_NOMEM;
    if (rv <= 0) return XMPPIM_ERR_TLS;
    cfg->creds->has_trust = 1;
  }
  mem = xmppim_mem_or_default(mem);
  xmppim_tls *t = xmppim_mem_calloc(mem, 1, sizeof(*t));
  if (!t) return XMPPIM_ERR_NOMEM;
  t->mem = *mem;
  t->s = session;
  t->server = server;
  t->skip_verify = cfg->skip_verify;
  t->bindings = cfg->bindings;
  xmppim_buf_init(&t->in, &t->mem, 0);
  xmppim_buf_init(&t->out, &t->mem, 0);
  xmppim_buf_init(&t->plain, &t->mem, 0);
  const char *prio = cfg->priority ? cfg->priority : XMPPIM_TLS_DEFAULT_PRIORITY;
  t->priority = xmppim_mem_strndup(&t->mem, prio, strlen(prio));
  const char *domain = cfg->domain ? cfg->domain : session->domain;
  if (domain) t->domain = xmppim_mem_strndup(&t->mem, domain, strlen(domain));
  int rv = (!t->priority || (domain && !t->domain)) ? XMPPIM_ERR_NOMEM : 0;
  if (!rv && t->domain) {
    int ascii = 1;
    for (const unsigned char *c = (const unsigned char *)t->domain; *c; c++)
      if (*c >= 0x80) ascii = 0;
    if (ascii) {
      t->domain_ascii = xmppim_mem_strndup(&t->mem, t->domain, strlen(t->domain));
      if (!t->domain_ascii) rv = XMPPIM_ERR_NOMEM;
    } else {
      gnutls_datum_t a = {NULL, 0};
      int grv = gnutls_idna_map(t->domain, (unsigned)strlen(t->domain), &a, 0);
      if (grv < 0 || !a.data)
        rv = grv == GNUTLS_E_MEMORY_ERROR ? XMPPIM_ERR_NOMEM : XMPPIM_ERR_INVALID_ARGUMENT;
      else if (!(t->domain_ascii = xmppim_mem_strndup(&t->mem, (const char *)a.data, a.size)))
        rv = XMPPIM_ERR_NOMEM;
      gnutls_free(a.data);
    }
  }
  if (rv) {
    xmppim_mem_free(&t->mem, t->priority);
    xmppim_mem_free(&t->mem, t->domain);
    xmppim_mem_free(&t->mem, t->domain_ascii);
    xmppim_mem_free(&t->mem, t);
    return rv;
  }
  t->creds = cfg->creds;
  t->creds->refs++;
  *out = t;
  return 0;
}

int xmppim_tls_client_new(xmppim_tls **out, xmppim_session *session, const xmppim_tls_config *cfg,
                          const xmppim_mem *mem) {
  return new_adapter(out, session, cfg, mem, 0);
}

int xmppim_tls_server_new(xmppim_tls **out, xmppim_session *session, const xmppim_tls_config *cfg,
                          const xmppim_mem *mem) {
  return new_adapter(out, session, cfg, mem, 1);
}

void xmppim_tls_free(xmppim_tls *t) {
  if (!t) return;
  if (t->g) gnutls_deinit(t->g);
  creds_unref(t->creds);
  xmppim_buf_free(&t->in);
  xmppim_buf_free(&t->out);
  xmppim_buf_free(&t->plain);
  xmppim_mem_free(&t->mem, t->priority);
  xmppim_mem_free(&t->mem, t->domain);
  xmppim_mem_free(&t->mem, t->domain_ascii);
  xmppim_mem_free(&t->mem, t);
}

/* ---- transport: GnuTLS reads `in` and writes `out` ---- */

static ssize_t push(gnutls_transport_ptr_t ptr, const void *data, size_t len) {
  xmppim_tls *t = ptr;
  if (t->out_off && t->out_off == t->out.len) {
    t->out.len = 0;
    t->out_off = 0;
  }
  if (xmppim_buf_append(&t->out, data, len) != 0) {
    t->nomem = 1;
    gnutls_transport_set_errno(t->g, ENOMEM);
    return -1;
  }
  return (ssize_t)len;
}

static ssize_t pull(gnutls_transport_ptr_t ptr, void *data, size_t len) {
  xmppim_tls *t = ptr;
  size_t have = t->in.len - t->in_off;
  if (!have) {
    gnutls_transport_set_errno(t->g, EAGAIN);
    return -1;
  }
  if (len > have) len = have;
  memcpy(data, t->in.data + t->in_off, len);
  t->in_off += len;
  if (t->in_off == t->in.len) t->in.len = t->in_off = 0;
  return (ssize_t)len;
}

static int pull_timeout(gnutls_transport_ptr_t ptr, unsigned ms) {
  (void)ms;
  xmppim_tls *t = ptr;
  return t->in.len > t->in_off ? 1 : 0;
}

/* ---- certificate checks (client) ---- */

/* An otherName value as text: GnuTLS decodes the ones it knows (XmppAddr),
 * others come as DER; a UTF8String or IA5String is unwrapped. */
static int othername_equals(const unsigned char *v, size_t n, const char *want) {
  if (n >= 2 && (v[0] == 0x0c || v[0] == 0x16) && v[1] < 0x80 && (size_t)v[1] + 2 == n) {
    v += 2;
    n -= 2;
  }
  return strlen(want) == n && strncasecmp((const char *)v, want, n) == 0;
}

/* SRV-ID "_xmpp-client.<domain>" (RFC 7590 / 6125) or XmppAddr "<domain>" (RFC 6120 13.7.1.4). */
static int alt_identity_matches(xmppim_tls *t) {
  unsigned n = 0;
  const gnutls_datum_t *certs = gnutls_certificate_get_peers(t->g, &n);
  if (!certs || !n || !t->domain) return 0;
  gnutls_x509_crt_t crt;
  if (gnutls_x509_crt_init(&crt) < 0) return 0;
  int found = 0;
  if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) >= 0) {
    char srv[300];
    snprintf(srv, sizeof(srv), "_xmpp-client.%s", t->domain_ascii);
    for (unsigned i = 0; !found; i++) {
      unsigned char value[512];
      size_t size = sizeof(value);
      int type = gnutls_x509_crt_get_subject_alt_name(crt, i, value, &size, NULL);
      if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
      if (type != GNUTLS_SAN_OTHERNAME && type != GNUTLS_SAN_OTHERNAME_XMPP) continue;
      char oid[64];
      size_t oid_size = sizeof(oid);
      int kind = gnutls_x509_crt_get_subject_alt_othername_oid(crt, i, oid, &oid_size);
      if (kind == GNUTLS_SAN_OTHERNAME_XMPP)
        found = othername_equals(value, size, t->domain);
      else if (kind >= 0 && strcmp(oid, "1.3.6.1.5.5.7.8.7") == 0) /* id-on-dnsSRV */
        found = othername_equals(value, size, srv);
    }
  }
  gnutls_x509_crt_deinit(crt);
  return found;
}

static int verify_peer(gnutls_session_t g) {
  xmppim_tls *t = gnutls_session_get_ptr(g);
  if (!t || t->server || t->skip_verify) return 0;
  unsigned status = 0;
  int rv = gnutls_certificate_verify_peers3(g, t->domain_ascii, &status);
  if (rv < 0) {
    t->verify_failed = 1;
    snprintf(t->error, sizeof(t->error), "certificate verification failed: %s",
             gnutls_strerror(rv));
    return GNUTLS_E_CERTIFICATE_ERROR;
  }
  const unsigned owner_only = GNUTLS_CERT_INVALID | GNUTLS_CERT_UNEXPECTED_OWNER;
  if ((status & GNUTLS_CERT_UNEXPECTED_OWNER) && (status & ~owner_only) == 0 &&
      alt_identity_matches(t))
    status = 0;
  if (!status) return 0;
  t->verify_failed = 1;
  gnutls_datum_t text = {NULL, 0};
  if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) >= 0 &&
      text.data) {
    snprintf(t->error, sizeof(t->error), "certificate verification failed for '%s': %s",
             t->domain ? t->domain : "", (const char *)text.data);
    gnutls_free(text.data);
    /* GnuTLS ends each reason with a space: the text ends with a reason */
    size_t n = strlen(t->error);
    while (n && t->error[n - 1] == ' ') t->error[--n] = '\0';
  } else {
    snprintf(t->error, sizeof(t->error), "certificate verification failed for '%s'",
             t->domain ? t->domain : "");
  }
  return GNUTLS_E_CERTIFICATE_ERROR;
}

/* ---- handshake ---- */

static int gnutls_fail(xmppim_tls *t, int rv, const char *what) {
  if (t->nomem || rv == GNUTLS_E_MEMORY_ERROR)
    return set_error(t, XMPPIM_ERR_NOMEM, "%s: out of memory", what);
  if (t->verify_failed) {
    char text[sizeof(t->error)];
    memcpy(text, t->error, sizeof(text));
    t->error[0] = '\0';
    gnutls_alert_send_appropriate(t->g, rv);
    return set_error(t, XMPPIM_ERR_TLS_VERIFY, "%s", text);
  }
  if (rv == GNUTLS_E_FATAL_ALERT_RECEIVED)
    return set_error(t, XMPPIM_ERR_TLS, "%s: the peer sent a fatal alert: %s", what,
                     gnutls_alert_get_name(gnutls_alert_get(t->g)));
  gnutls_alert_send_appropriate(t->g, rv);
  if (t->nomem) return set_error(t, XMPPIM_ERR_NOMEM, "%s: out of memory", what);
  return set_error(t, XMPPIM_ERR_TLS, "%s: %s", what, gnutls_strerror(rv));
}

static int is_ip_literal(const char *d) {
  if (strchr(d, ':') || d[0] == '[') return 1;
  for (; *d; d++)
    if ((*d < '0' || *d > '9') && *d != '.') return 0;
  return 1;
}

static int begin(xmppim_tls *t) {
  unsigned flags = (t->server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NONBLOCK;
  int rv = gnutls_init(&t->g, flags);
  if (rv < 0) {
    t->g = NULL;
    return set_error(t, rv == GNUTLS_E_MEMORY_ERROR ? XMPPIM_ERR_NOMEM : XMPPIM_ERR_TLS,
                     "TLS initialisation failed: %s", gnutls_strerror(rv));
  }
  gnutls_session_set_ptr(t->g, t);
  const char *at = NULL;
  rv = gnutls_priority_set_direct(t->g, t->priority, &at);
  if (rv < 0) return gnutls_fail(t, rv, "TLS priority");
  rv = gnutls_credentials_set(t->g, GNUTLS_CRD_CERTIFICATE, t->creds->cred);
  if (rv < 0) return gnutls_fail(t, rv, "TLS credentials");
  gnutls_transport_set_ptr(t->g, t);
  gnutls_transport_set_push_function(t->g, push);
  gnutls_transport_set_pull_function(t->g, pull);
  gnutls_transport_set_pull_timeout_function(t->g, pull_timeout);
  gnutls_handshake_set_timeout(t->g, 0); /* time is the caller's */
  if (t->server) {
    gnutls_certificate_server_set_request(t->g, GNUTLS_CERT_IGNORE);
  } else if (t->domain_ascii && !is_ip_literal(t->domain_ascii)) {
    rv = gnutls_server_name_set(t->g, GNUTLS_NAME_DNS, t->domain_ascii, strlen(t->domain_ascii));
    if (rv < 0) return gnutls_fail(t, rv, "TLS server name");
  }
  t->state = T_HANDSHAKE;
  return 0;
}

static int established(xmppim_tls *t) {
  gnutls_protocol_t v = gnutls_protocol_get_version(t->g);
  if (v != GNUTLS_TLS1_2 && v != GNUTLS_TLS1_3) {
    gnutls_alert_send(t->g, GNUTLS_AL_FATAL, GNUTLS_A_PROTOCOL_VERSION);
    return set_error(t, XMPPIM_ERR_TLS, "TLS version %s refused: TLS 1.2 at least",
                     gnutls_protocol_get_name(v) ? gnutls_protocol_get_name(v) : "?");
  }
  snprintf(t->version, sizeof(t->version), "%s", gnutls_protocol_get_name(v));
  unsigned char data[64];
  xmppim_sasl_channel_binding cb = {NULL, data, 0};
  if (v == GNUTLS_TLS1_3 && (t->bindings & XMPPIM_TLS_BINDING_EXPORTER)) {
    static const char label[] = "EXPORTER-Channel-Binding";
    if (gnutls_prf_rfc5705(t->g, sizeof(label) - 1, label, 0, NULL, 32, (char *)data) >= 0) {
      cb.type = "tls-exporter";
      cb.len = 32;
    }
  } else if (v == GNUTLS_TLS1_2 && (t->bindings & XMPPIM_TLS_BINDING_UNIQUE)) {
    gnutls_datum_t d = {NULL, 0};
    if (gnutls_session_channel_binding(t->g, GNUTLS_CB_TLS_UNIQUE, &d) >= 0 && d.data) {
      if (d.size > 0 && d.size <= sizeof(data)) {
        memcpy(data, d.data, d.size);
        cb.type = "tls-unique";
        cb.len = d.size;
      }
      gnutls_free(d.data);
    }
  }
  t->state = T_ESTABLISHED;
  int rv = xmppim_session_tls_established(t->s, cb.type ? &cb : NULL);
  if (rv < 0)
    return set_error(t, rv, "the session refused TLS: %s", xmppim_strerror(rv));
  return 0;
}

static int handshake(xmppim_tls *t) {
  for (int i = 0; i < 16 && t->state == T_HANDSHAKE; i++) {
    int rv = gnutls_handshake(t->g);
    if (rv == GNUTLS_E_SUCCESS) return established(t);
    if (rv == GNUTLS_E_AGAIN || rv == GNUTLS_E_INTERRUPTED) {
      if (t->nomem) return gnutls_fail(t, GNUTLS_E_MEMORY_ERROR, "TLS handshake");
      return 0;
    }
    if (gnutls_error_is_fatal(rv) || t->nomem) return gnutls_fail(t, rv, "TLS handshake failed");
  }
  return 0;
}

/* Starts the handshake once what must go out in plaintext has gone. */
static int advance(xmppim_tls *t) {
  if (t->state == T_STARTING) {
    const char *p;
    if (!t->direct && xmppim_session_output(t->s, &p) > 0) return 0;
    int rv = begin(t);
    if (rv < 0) return rv;
  }
  if (t->state == T_HANDSHAKE) return handshake(t);
  return 0;
}

/* Encrypts the session's output (all of it when `all`, else up to the high-water mark). */
static int encrypt_output_all(xmppim_tls *t, int all) {
  while (t->state == T_ESTABLISHED && !t->closed &&
         (all || t->out.len - t->out_off < TLS_OUT_HIGH)) {
    const char *p;
    size_t n = xmppim_session_output(t->s, &p);
    if (!n) break;
    if (n > TLS_RECORD) n = TLS_RECORD;
    ssize_t w = gnutls_record_send(t->g, p, n);
    if (w < 0 || t->nomem) return gnutls_fail(t, w < 0 ? (int)w : GNUTLS_E_MEMORY_ERROR, "TLS send");
    xmppim_session_consumed(t->s, (size_t)w);
  }
  return 0;
}

static int encrypt_output(xmppim_tls *t) { return encrypt_output_all(t, 0); }

/* Hands decrypted bytes to the session. */
static int deliver(xmppim_tls *t) {
  while (t->plain.len > t->plain_off) {
    long n = xmppim_session_feed(t->s, t->plain.data + t->plain_off, t->plain.len - t->plain_off);
    if (n == XMPPIM_ERR_BACKPRESSURE) return 0;
    if (n < 0) {
      t->plain.len = t->plain_off = 0;
      return (int)n;
    }
    t->plain_off += (size_t)n;
    /* Fewer bytes than given: a callback paused, or the output is full. */
    if (t->plain_off < t->plain.len || !xmppim_session_want_read(t->s)) break;
  }
  if (t->plain_off == t->plain.len || !xmppim_session_want_read(t->s)) {
    t->plain.len = t->plain_off = 0;
    xmppim_buf_shrink(&t->plain);
  }
  return 0;
}

static int decrypt_input(xmppim_tls *t) {
  while (t->state == T_ESTABLISHED && !t->peer_closed && t->plain.len == 0) {
    if (xmppim_buf_reserve(&t->plain, TLS_RECORD) != 0)
      return set_error(t, XMPPIM_ERR_NOMEM, "TLS receive: out of memory");
    ssize_t r = gnutls_record_recv(t->g, t->plain.data, TLS_RECORD);
    if (r > 0) {
      t->plain.len = (size_t)r;
      t->plain_off = 0;
      int rv = deliver(t);
      if (rv < 0) return rv;
      continue;
    }
    if (r == 0) {
      t->peer_closed = 1;
      break;
    }
    if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
      if (t->nomem) return gnutls_fail(t, GNUTLS_E_MEMORY_ERROR, "TLS receive");
      break;
    }
    if (r == GNUTLS_E_REHANDSHAKE) {
      gnutls_alert_send(t->g, GNUTLS_AL_WARNING, GNUTLS_A_NO_RENEGOTIATION);
      continue;
    }
    if (gnutls_error_is_fatal((int)r) || t->nomem) return gnutls_fail(t, (int)r, "TLS receive");
  }
  if (!t->plain.len) xmppim_buf_shrink(&t->plain);
  return 0;
}

int xmppim_tls_start(xmppim_tls *t) {
  if (!t) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (t->state != T_PLAIN || t->closed) return XMPPIM_ERR_INVALID_STATE;
  t->direct = !t->moved;
  t->state = T_STARTING;
  t->before_record = 1;
  return 0;
}

/* Keeps received ciphertext for GnuTLS. Some clients end `<starttls/>` or
 * the stream's last element with a newline written in the same packet as
 * what follows; whitespace between XML elements is allowed (C11.7-a), and
 * no TLS record starts with a whitespace byte (content types are 20-24),
 * so whitespace before the first record is the XML stream's, not TLS's. */
static int keep_cipher(xmppim_tls *t, const char *data, size_t len) {
  if (t->before_record) {
    while (len && (*data == ' ' || *data == '\t' || *data == '\r' || *data == '\n')) data++, len--;
    if (!len) return 0;
    t->before_record = 0;
  }
  return xmppim_buf_append(&t->in, data, len);
}

long xmppim_tls_feed(xmppim_tls *t, const void *data, size_t len) {
  if (!t || (!data && len)) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (t->state == T_FAILED || t->closed) return XMPPIM_ERR_INVALID_STATE;
  if (t->state == T_PLAIN) {
    if (!len) return 0;
    long n = xmppim_session_feed(t->s, data, len);
    if (n < 0) return n;
    t->moved = 1;
    if (t->state != T_STARTING || (size_t)n == len) return n;
    /* What followed <proceed/> is the peer's first TLS record. */
    if (keep_cipher(t, (const char *)data + n, len - (size_t)n) != 0) return n;
    int rv = advance(t);
    return rv < 0 ? rv : (long)len;
  }
  if (t->plain.len > t->plain_off) {
    int rv = deliver(t);
    if (rv < 0) return rv;
    /* Still waiting: take no new input (a resume call took nothing either). */
    if (t->plain.len > t->plain_off) return len ? XMPPIM_ERR_BACKPRESSURE : 0;
  }
  t->moved = 1;
  if (len) {
    if (t->in.len == t->in_off) t->in.len = t->in_off = 0;
    if (keep_cipher(t, data, len) != 0)
      return set_error(t, XMPPIM_ERR_NOMEM, "TLS input: out of memory");
  }
  int rv = advance(t);
  if (rv < 0) return rv;
  rv = decrypt_input(t);
  if (rv < 0) return rv;
  if (t->in.len == t->in_off) { /* idle adapters keep no buffer */
    t->in.len = t->in_off = 0;
    xmppim_buf_shrink(&t->in);
  }
  rv = encrypt_output(t);
  if (rv < 0) return rv;
  return (long)len;
}

size_t xmppim_tls_output(xmppim_tls *t, const char **data) {
  static const char empty[1] = "";
  if (data) *data = empty;
  if (!t || !data) return 0;
  t->last_plain = 0;
  if (t->state == T_PLAIN || (t->state == T_STARTING && !t->direct)) {
    size_t n = xmppim_session_output(t->s, data);
    if (n || t->state == T_PLAIN) {
      t->last_plain = 1;
      return n;
    }
  }
  if (!t->closed) {
    advance(t);
    encrypt_output(t);
  }
  size_t n = t->out.len - t->out_off;
  if (n) *data = t->out.data + t->out_off;
  return n;
}

void xmppim_tls_consumed(xmppim_tls *t, size_t n) {
  if (!t || !n) return;
  t->moved = 1;
  if (t->last_plain) {
    xmppim_session_consumed(t->s, n);
    return;
  }
  size_t have = t->out.len - t->out_off;
  if (n > have) n = have;
  t->out_off += n;
  if (t->out_off == t->out.len) {
    t->out.len = t->out_off = 0;
    xmppim_buf_shrink(&t->out);
  }
}

int xmppim_tls_want_write(xmppim_tls *t) {
  const char *p;
  return xmppim_tls_output(t, &p) > 0;
}

int xmppim_tls_want_read(const xmppim_tls *t) {
  if (!t || t->state == T_FAILED || t->closed || t->peer_closed) return 0;
  if (t->state == T_STARTING || t->state == T_HANDSHAKE) return 1;
  return xmppim_session_want_read(t->s);
}

int xmppim_tls_pending(const xmppim_tls *t) {
  if (!t || t->state == T_FAILED || t->closed) return 0;
  return t->plain.len > t->plain_off || (t->state == T_ESTABLISHED && t->in.len > t->in_off);
}

int xmppim_tls_is_established(const xmppim_tls *t) { return t && t->state == T_ESTABLISHED; }

const char *xmppim_tls_version(const xmppim_tls *t) {
  return t && t->version[0] ? t->version : NULL;
}

int xmppim_tls_close(xmppim_tls *t) {
  if (!t) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (t->closed) return XMPPIM_ERR_INVALID_STATE;
  if (t->state == T_ESTABLISHED) {
    encrypt_output_all(t, 1);
    if (t->state == T_ESTABLISHED) {
      int rv = gnutls_bye(t->g, GNUTLS_SHUT_WR);
      if (rv < 0 && t->nomem) set_error(t, XMPPIM_ERR_NOMEM, "TLS close: out of memory");
    }
  }
  t->closed = 1;
  return 0;
}

const char *xmppim_tls_error_text(const xmppim_tls *t) {
  return t && t->err ? t->error : "";
}
