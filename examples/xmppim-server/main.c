/*
 * xmppim-server: a small single-domain XMPP server built on libxmppim's
 * public API. The command line: running the server, and the account
 * commands. See usage() for the options.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <xmppim.h>

#include "accounts.h"
#include "c2s.h"
#include "cert.h"
#include "log.h"
#include "signals.h"
#include "store/store.h"

#define DEFAULT_DOMAIN "localhost"
#define DEFAULT_ADDRESS "127.0.0.1"
#define DEFAULT_DATA_DIR "./xmppim-data"
#define DEFAULT_MAX_CONNECTIONS 1024
#define DEFAULT_LOGIN_TIMEOUT_S 30
#define SHUTDOWN_GRACE_MS 2000
#define PATH_CAP 4096

static void usage(FILE *out) {
  fprintf(out,
          "usage: xmppim-server [options]              run the server\n"
          "       xmppim-server adduser JID [options]  add an account (password from standard input)\n"
          "       xmppim-server passwd JID [options]   change an account's password\n"
          "       xmppim-server deluser JID [options]  delete an account and its data\n"
          "       xmppim-server --help | --version\n"
          "\n"
          "options:\n"
          "  --domain D            the XMPP domain served (default " DEFAULT_DOMAIN ")\n"
          "  --listen ADDR:PORT    where clients connect (default " DEFAULT_ADDRESS ":5222; port 0: any free\n"
          "                        port, printed as 'listening on ADDR:PORT'; IPv6 as [::1]:5222)\n"
          "  --data DIR            database and generated certificate (default " DEFAULT_DATA_DIR ")\n"
          "  --cert FILE --key FILE  the TLS certificate chain and key (PEM); without them a\n"
          "                        self-signed certificate for the domain is made in DIR\n"
          "  --tls-priority P      GnuTLS priority string (default: TLS 1.2 and 1.3)\n"
          "  --tls-exporter        offer the -PLUS forms under TLS 1.3 too, bound with\n"
          "                        tls-exporter (RFC 9266); by default they are offered under\n"
          "                        TLS 1.2 only, with tls-unique, since clients that know only\n"
          "                        tls-unique (slixmpp 1.8) would pick them and fail\n"
          "  --no-channel-binding  offer SCRAM without the -PLUS forms at all\n"
          "  --no-plain            offer no PLAIN (by default it is offered, over TLS only, for\n"
          "                        clients without SCRAM; checked against the SCRAM keys)\n"
          "  --log-level L         error, warn, info (default) or debug\n"
          "  --max-connections N   connections open at once (default %d)\n"
          "  --login-timeout S     seconds a client has to log in (default %d)\n"
          "\n"
          "JID is user@domain, in the server's domain. The password is read from standard\n"
          "input: one line when it is not a terminal, else typed twice without echo.\n",
          DEFAULT_MAX_CONNECTIONS, DEFAULT_LOGIN_TIMEOUT_S);
}

typedef struct options {
  const char *command; /* NULL: run the server */
  const char *jid;
  const char *domain, *listen, *data, *cert, *key, *log_level, *tls_priority;
  unsigned long max_connections, login_timeout_s;
  int help, version, no_channel_binding, tls_exporter, no_plain;
} options;

static int parse_number(const char *text, unsigned long max, unsigned long *out) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(text, &end, 10);
  if (errno || end == text || *end || text[0] == '-' || v == 0 || v > max) return -1;
  *out = v;
  return 0;
}

/* return 0, or -1 with a message printed (a usage error). */
static int parse_args(int argc, char **argv, options *o) {
  memset(o, 0, sizeof *o);
  o->max_connections = DEFAULT_MAX_CONNECTIONS;
  o->login_timeout_s = DEFAULT_LOGIN_TIMEOUT_S;
  int i = 1;
  if (argc > 1 && (strcmp(argv[1], "adduser") == 0 || strcmp(argv[1], "deluser") == 0 ||
                   strcmp(argv[1], "passwd") == 0)) {
    o->command = argv[1];
    i = 2;
  }
  for (; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      o->help = 1;
      continue;
    }
    if (strcmp(arg, "--version") == 0) {
      o->version = 1;
      continue;
    }
    if (strcmp(arg, "--no-channel-binding") == 0 && !o->command) {
      o->no_channel_binding = 1;
      continue;
    }
    if (strcmp(arg, "--no-plain") == 0 && !o->command) {
      o->no_plain = 1;
      continue;
    }
    if (strcmp(arg, "--tls-exporter") == 0 && !o->command) {
      o->tls_exporter = 1;
      continue;
    }
    if (arg[0] != '-' && o->command && !o->jid) {
      o->jid = arg;
      continue;
    }
    static const char *const names[] = {"--domain", "--listen", "--data", "--cert", "--key",
                                        "--log-level", "--max-connections", "--login-timeout", "--tls-priority"};
    const char *value = NULL;
    size_t which = sizeof names / sizeof names[0];
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
      size_t len = strlen(names[n]);
      if (strncmp(arg, names[n], len) != 0) continue;
      if (arg[len] == '=') {
        value = arg + len + 1;
      } else if (arg[len] == '\0') {
        if (i + 1 >= argc) {
          fprintf(stderr, "xmppim-server: %s needs a value\n", names[n]);
          return -1;
        }
        value = argv[++i];
      } else {
        continue;
      }
      which = n;
      break;
    }
    switch (which) {
    case 0: o->domain = value; break;
    case 1: o->listen = value; break;
    case 2: o->data = value; break;
    case 3: o->cert = value; break;
    case 4: o->key = value; break;
    case 5: o->log_level = value; break;
    case 6:
      if (parse_number(value, 1000000, &o->max_connections) != 0) {
        fprintf(stderr, "xmppim-server: --max-connections wants a number from 1 to 1000000, not '%s'\n", value);
        return -1;
      }
      break;
    case 7:
      if (parse_number(value, 86400, &o->login_timeout_s) != 0) {
        fprintf(stderr, "xmppim-server: --login-timeout wants seconds from 1 to 86400, not '%s'\n", value);
        return -1;
      }
      break;
    case 8: o->tls_priority = value; break;
    default:
      if (o->command && o->jid && arg[0] != '-')
        fprintf(stderr, "xmppim-server: %s takes one JID; '%s' is one too many\n", o->command, arg);
      else
        fprintf(stderr, "xmppim-server: unknown argument '%s' (see --help)\n", arg);
      return -1;
    }
  }
  if (o->help || o->version) return 0;
  if (o->command && !o->jid) {
    fprintf(stderr, "xmppim-server: %s needs a JID (user@domain)\n", o->command);
    return -1;
  }
  if (o->command && (o->listen || o->cert || o->key || o->tls_priority)) {
    fprintf(stderr, "xmppim-server: %s takes only --data and --domain\n", o->command);
    return -1;
  }
  if (!o->cert != !o->key) {
    fprintf(stderr, "xmppim-server: --cert and --key go together\n");
    return -1;
  }
  return 0;
}

/* "ADDR:PORT" or "[IPv6]:PORT", the address numeric. */
static int parse_listen(const char *text, char *addr, size_t cap, uint16_t *port) {
  const char *colon, *host = text;
  size_t host_len;
  if (text[0] == '[') {
    const char *close = strchr(text, ']');
    if (!close || close[1] != ':') return -1;
    host = text + 1;
    host_len = (size_t)(close - host);
    colon = close + 1;
  } else {
    colon = strrchr(text, ':');
    if (!colon || memchr(text, ':', (size_t)(colon - text))) return -1; /* bare IPv6 needs brackets */
    host_len = (size_t)(colon - text);
  }
  if (host_len == 0 || host_len >= cap) return -1;
  memcpy(addr, host, host_len);
  addr[host_len] = '\0';
  unsigned char bin[16];
  if (inet_pton(AF_INET, addr, bin) != 1 && inet_pton(AF_INET6, addr, bin) != 1) return -1;
  char *end;
  errno = 0;
  unsigned long p = strtoul(colon + 1, &end, 10);
  if (errno || end == colon + 1 || *end || colon[1] == '-' || p > 65535) return -1;
  *port = (uint16_t)p;
  return 0;
}

/* The prepared form of a domain given on the command line. */
static int prepare_domain(const char *text, char *out, size_t cap) {
  xmppim_jid *jid = NULL;
  int rv = xmppim_jid_new(&jid, text, strlen(text), NULL);
  if (rv == 0 && (xmppim_jid_local(jid) || xmppim_jid_resource(jid))) rv = XMPPIM_ERR_INVALID_ARGUMENT;
  if (rv == 0) snprintf(out, cap, "%s", xmppim_jid_domain(jid));
  xmppim_jid_free(jid);
  return rv;
}

static int ensure_data_dir(const char *dir) {
  if (mkdir(dir, 0700) == 0) return 0;
  struct stat sb;
  if (errno == EEXIST && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode)) return 0;
  fprintf(stderr, "xmppim-server: cannot use %s as the data directory: %s\n", dir,
          errno == EEXIST ? "it is not a directory" : strerror(errno));
  return -1;
}

static int join(char *out, size_t cap, const char *dir, const char *name, const char *ext) {
  if ((size_t)snprintf(out, cap, "%s/%s%s", dir, name, ext) >= cap) {
    fprintf(stderr, "xmppim-server: path too long: %s/%s%s\n", dir, name, ext);
    return -1;
  }
  return 0;
}

static int run_server(const options *o, const char *domain, const char *data_dir, const char *db_path) {
  char address[64] = DEFAULT_ADDRESS;
  uint16_t port = XMPPIM_NET_DEFAULT_PORT;
  if (o->listen && parse_listen(o->listen, address, sizeof address, &port) != 0) {
    fprintf(stderr, "xmppim-server: --listen wants a numeric ADDR:PORT such as 127.0.0.1:5222 or [::1]:5222, not '%s'\n",
            o->listen);
    return 2;
  }
  char cert_path[PATH_CAP], key_path[PATH_CAP], err[1024];
  int self_signed = !o->cert;
  if (self_signed) {
    if (join(cert_path, sizeof cert_path, data_dir, domain, ".crt") != 0 ||
        join(key_path, sizeof key_path, data_dir, domain, ".key") != 0)
      return 1;
    int generated = 0;
    if (xs_cert_ensure(domain, cert_path, key_path, &generated, err, sizeof err) != 0) {
      xs_log(XS_LOG_ERROR, "certificate: %s", err);
      return 1;
    }
    if (generated) xs_log(XS_LOG_INFO, "made a self-signed certificate for %s: %s", domain, cert_path);
  } else {
    snprintf(cert_path, sizeof cert_path, "%s", o->cert);
    snprintf(key_path, sizeof key_path, "%s", o->key);
  }
  xs_store *store = NULL;
  if (xs_store_open(&store, db_path, domain, err, sizeof err) != 0) {
    xs_log(XS_LOG_ERROR, "cannot open the database %s: %s", db_path, err);
    return 1;
  }
  /* Each connection is a descriptor: lift the soft limit towards what the
   * connection limit needs (a few more for the listener, database, pipe). */
  struct rlimit nofile;
  rlim_t want = (rlim_t)o->max_connections + 64;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY && nofile.rlim_cur < want) {
    nofile.rlim_cur = nofile.rlim_max == RLIM_INFINITY || nofile.rlim_max > want ? want : nofile.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &nofile) != 0 || nofile.rlim_cur < want)
      xs_log(XS_LOG_WARN, "only %llu descriptors may be open: fewer than %lu connections will fit",
             (unsigned long long)nofile.rlim_cur, o->max_connections);
  }
  int sig_fd = xs_signals_install();
  if (sig_fd < 0) {
    xs_log(XS_LOG_ERROR, "cannot set up signal handling: %s", strerror(errno));
    xs_store_close(store);
    return 1;
  }
  xs_c2s_config cfg = {.domain = domain,
                       .address = address,
                       .port = port,
                       .cert_file = cert_path,
                       .key_file = key_path,
                       .tls_priority = o->tls_priority,
                       .no_channel_binding = o->no_channel_binding,
                       .tls_exporter = o->tls_exporter,
                       .no_plain = o->no_plain,
                       .max_connections = o->max_connections,
                       .login_timeout_ms = (uint64_t)o->login_timeout_s * 1000,
                       .shutdown_grace_ms = SHUTDOWN_GRACE_MS};
  xs_c2s *c2s = NULL;
  if (xs_c2s_new(&c2s, &cfg, store, err, sizeof err) != 0) {
    xs_log(XS_LOG_ERROR, "%s", err);
    xs_signals_uninstall();
    xs_store_close(store);
    return 1;
  }
  const char *fmt = strchr(address, ':') ? "[%s]:%u" : "%s:%u";
  char where[96];
  snprintf(where, sizeof where, fmt, address, xs_c2s_port(c2s));
  /* Unconditional and without a timestamp: scripts wait for this line. */
  fprintf(stderr, "listening on %s\n", where);
  xs_log(XS_LOG_INFO, "serving %s on %s (database %s, libxmppim %s)", domain, where, db_path, xmppim_version(NULL));
  if (xs_log_enabled(XS_LOG_INFO)) {
    int default_data = strcmp(data_dir, DEFAULT_DATA_DIR) == 0, default_domain = strcmp(domain, DEFAULT_DOMAIN) == 0;
    fprintf(stderr,
            "\n  Add an account:   xmppim-server adduser alice@%s%s%s%s%s\n"
            "  Then log in with any XMPP client as alice@%s, server %s\n",
            domain, default_data ? "" : " --data ", default_data ? "" : data_dir, default_domain ? "" : " --domain ",
            default_domain ? "" : domain, domain, where);
    char fingerprint[128];
    if (self_signed && xs_cert_fingerprint(cert_path, fingerprint, sizeof fingerprint) == 0)
      fprintf(stderr,
              "  The certificate is self-signed: the client must be told to accept it.\n"
              "  Its SHA-256 fingerprint: %s\n",
              fingerprint);
    fprintf(stderr, "  Stop with Ctrl-C (or SIGTERM).\n\n");
  }
  int rv = xs_c2s_run(c2s, sig_fd);
  xs_c2s_free(c2s);
  xs_signals_uninstall();
  xs_store_close(store);
  xs_log(XS_LOG_INFO, "stopped");
  return rv == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  options o;
  if (parse_args(argc, argv, &o) != 0) return 2;
  if (o.help) {
    usage(stdout);
    return 0;
  }
  if (o.version) {
    printf("xmppim-server (libxmppim %s)\n", xmppim_version(NULL));
    return 0;
  }
  xs_log_level level = XS_LOG_INFO;
  if (o.log_level && xs_log_level_from_name(o.log_level, &level) != 0) {
    fprintf(stderr, "xmppim-server: --log-level is error, warn, info or debug, not '%s'\n", o.log_level);
    return 2;
  }
  xs_log_set_level(level);
  char domain[XMPPIM_JID_MAX + 1];
  const char *domain_text = o.domain ? o.domain : DEFAULT_DOMAIN;
  int rv = prepare_domain(domain_text, domain, sizeof domain);
  if (rv != 0) {
    fprintf(stderr, "xmppim-server: '%s' is not a domain: %s\n", domain_text,
            rv == XMPPIM_ERR_INVALID_ARGUMENT ? "it has a user or resource part" : xmppim_strerror(rv));
    return 2;
  }
  const char *data_dir = o.data ? o.data : DEFAULT_DATA_DIR;
  char db_path[PATH_CAP];
  if (ensure_data_dir(data_dir) != 0 || join(db_path, sizeof db_path, data_dir, "xmppim", ".db") != 0) return 1;
  if (o.command) return xs_accounts_run(o.command, o.jid, db_path, domain);
  return run_server(&o, domain, data_dir, db_path);
}
