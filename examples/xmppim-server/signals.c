#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int pipe_fds[2] = {-1, -1};

static void on_signal(int sig) {
  int saved = errno;
  unsigned char b = (unsigned char)sig;
  /* A full pipe already says "stop": losing this byte is fine. */
  if (write(pipe_fds[1], &b, 1) < 0) {
  }
  errno = saved;
}

int xs_signals_install(void) {
  if (pipe(pipe_fds) != 0) return -1;
  for (int i = 0; i < 2; i++) {
    int fl = fcntl(pipe_fds[i], F_GETFL);
    if (fl < 0 || fcntl(pipe_fds[i], F_SETFL, fl | O_NONBLOCK) != 0 ||
        fcntl(pipe_fds[i], F_SETFD, FD_CLOEXEC) != 0) {
      xs_signals_uninstall();
      return -1;
    }
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  struct sigaction ignore;
  memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0 ||
      sigaction(SIGPIPE, &ignore, NULL) != 0) {
    xs_signals_uninstall();
    return -1;
  }
  return pipe_fds[0];
}

int xs_signals_drain(void) {
  int last = 0;
  unsigned char buf[64];
  ssize_t n;
  while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0) last = buf[n - 1];
  return last;
}

void xs_signals_uninstall(void) {
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  for (int i = 0; i < 2; i++) {
    if (pipe_fds[i] >= 0) close(pipe_fds[i]);
    pipe_fds[i] = -1;
  }
}
