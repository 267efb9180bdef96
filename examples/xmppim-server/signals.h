/*
 * SIGINT and SIGTERM as a readable descriptor (the self-pipe trick): the
 * handler only writes one byte; the event loop polls the read end and does
 * the work outside the handler. SIGPIPE is ignored (a peer that hangs up
 * is an error return, not a death).
 */
#ifndef XS_SIGNALS_H
#define XS_SIGNALS_H

/* return the descriptor to poll for POLLIN, or -1 (errno set). */
int xs_signals_install(void);
/* Reads what is pending. return the last signal number received, or 0. */
int xs_signals_drain(void);
/* Restores the default handlers and closes the pipe. */
void xs_signals_uninstall(void);

#endif /* XS_SIGNALS_H */
