#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static xs_log_level threshold = XS_LOG_INFO;

void xs_log_set_level(xs_log_level level) { threshold = level; }

int xs_log_enabled(xs_log_level level) { return level <= threshold; }

int xs_log_level_from_name(const char *name, xs_log_level *out) {
  static const struct {
    const char *name;
    xs_log_level level;
  } names[] = {{"error", XS_LOG_ERROR}, {"warn", XS_LOG_WARN}, {"info", XS_LOG_INFO}, {"debug", XS_LOG_DEBUG}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (strcmp(name, names[i].name) == 0) {
      *out = names[i].level;
      return 0;
    }
  }
  return -1;
}

static const char *level_tag(xs_log_level level) {
  switch (level) {
  case XS_LOG_ERROR: return "ERROR";
  case XS_LOG_WARN: return "WARN ";
  case XS_LOG_INFO: return "INFO ";
  case XS_LOG_DEBUG: return "DEBUG";
  }
  return "?    ";
}

void xs_log(xs_log_level level, const char *fmt, ...) {
  if (!xs_log_enabled(level)) return;
  char line[2048];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  size_t len = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
  len += (size_t)snprintf(line + len, sizeof line - len, ".%03ldZ %s ", ts.tv_nsec / 1000000L, level_tag(level));
  size_t text_start = len;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line + len, sizeof line - len - 1, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  len += (size_t)n < sizeof line - len - 1 ? (size_t)n : sizeof line - len - 2;
  for (size_t i = text_start; i < len; i++)
    if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) line[i] = '?';
  line[len++] = '\n';
  /* One write per line: lines of concurrent writers do not interleave. */
  const char *p = line;
  while (len > 0) {
    ssize_t w = write(STDERR_FILENO, p, len);
    if (w <= 0) return;
    p += w;
    len -= (size_t)w;
  }
}
