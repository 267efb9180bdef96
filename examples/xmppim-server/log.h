/*
 * The server's log: one line per event on standard error, with a UTC
 * timestamp and a level, filtered by the level chosen at start.
 */
#ifndef XS_LOG_H
#define XS_LOG_H

typedef enum xs_log_level { XS_LOG_ERROR = 1, XS_LOG_WARN, XS_LOG_INFO, XS_LOG_DEBUG } xs_log_level;

void xs_log_set_level(xs_log_level level);
/* return nonzero when lines of this level are written (to skip costly formatting). */
int xs_log_enabled(xs_log_level level);
/* "error", "warn", "info" or "debug". return 0, or -1 for another name. */
int xs_log_level_from_name(const char *name, xs_log_level *out);

/* Writes one line. Control characters in the text (which may come from a
 * client: a user name, a resource) are shown as '?', so that nobody can
 * forge log lines. */
void xs_log(xs_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* XS_LOG_H */
