"""The two servers the suite runs against, behind one interface.

Both listen on 127.0.0.1 on a port chosen at run time, keep their data in a
temporary directory and are stopped by their PID. STARTTLS is required by
both; the clients trust the server's certificate as their only CA.
"""

import asyncio
import glob
import os
import pathlib
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile

DOMAIN = "example.test"


class Skip(Exception):
    """The test (or the whole run) cannot run here; the message says why."""


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_certificate(directory):
    """A self-signed EC certificate for DOMAIN (subjectAltName DNS-ID), usable
    as its own CA. Returns (certificate path, key path)."""
    if shutil.which("openssl") is None:
        raise Skip("openssl is not installed (it makes the test certificate)")
    cert = os.path.join(directory, DOMAIN + ".crt")
    key = os.path.join(directory, DOMAIN + ".key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=" + DOMAIN,
         "-addext", "subjectAltName=DNS:" + DOMAIN,
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-keyout", key, "-out", cert],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20)
    return cert, key


class Server:
    """Common part: a process, a log file, a port, a CA file for clients."""

    name = "server"
    # Whether SIGTERM must end the process with status 0.
    exit_status_checked = False
    # Whether the server is expected to keep every acknowledged roster change
    # across a SIGKILL (only xmppim-server is tested for that).
    durable = False

    def __init__(self, workdir):
        self.workdir = workdir
        self.domain = DOMAIN
        self.host = "127.0.0.1"
        self.port = None
        self.ca = None
        self.process = None
        self.exit_status = None
        self.log_path = os.path.join(workdir, "server.log")

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, errors="replace") as log:
                tail = log.readlines()[-lines:]
        except OSError as error:
            return "(no server log: %s)" % error
        return "".join(tail)

    def sanitizer_reports(self):
        """Lines of the log where AddressSanitizer, LeakSanitizer or UBSan
        (which goes on after a report unless told to halt) spoke up."""
        try:
            with open(self.log_path, errors="replace") as log:
                return [line.rstrip() for line in log
                        if "runtime error:" in line or "Sanitizer" in line]
        except OSError:
            return []

    async def stop(self):
        """SIGTERM, then SIGKILL if the process is still there after 5 s."""
        if self.process is None:
            return self.exit_status
        process, self.process = self.process, None
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 5)
            except asyncio.TimeoutError:
                process.kill()
                await asyncio.wait_for(process.wait(), 5)
                raise AssertionError("%s did not stop within 5 s of SIGTERM" % self.name)
        self.exit_status = process.returncode
        return self.exit_status

    async def dispose(self):
        """Ends the server after a test; the clean way unless a subclass
        knows a faster one that loses nothing the tests look at."""
        return await self.stop()

    async def kill9(self):
        if self.process is None:
            return
        process, self.process = self.process, None
        process.kill()
        await asyncio.wait_for(process.wait(), 5)

    async def _wait_port(self, seconds):
        """Until something accepts on self.port, or the process died."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            if self.process.returncode is not None:
                break
            try:
                _, writer = await asyncio.open_connection(self.host, self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.05)
        raise AssertionError("%s did not start listening on port %s\n--- server log\n%s"
                             % (self.name, self.port, self.log_tail()))


class XmppimServer(Server):
    """examples/xmppim-server: it prints 'listening on 127.0.0.1:PORT' on
    stderr and makes its own certificate under its data directory."""

    name = "xmppim-server"
    durable = True
    exit_status_checked = True
    # The server's defaults: TLS 1.3, where it offers no -PLUS mechanism
    # (slixmpp 1.8 would bind it with tls-unique, which TLS 1.3 lacks), so
    # slixmpp logs in with SCRAM-SHA-256. meson.build adds a TLS 1.2 run,
    # where slixmpp binds -PLUS with tls-unique.
    DEFAULT_OPTIONS = ()

    def __init__(self, workdir, exe, options=()):
        super().__init__(workdir)
        self.exe = exe
        self.options = list(options) or list(self.DEFAULT_OPTIONS)
        self.data = os.path.join(workdir, "data")
        os.makedirs(self.data, exist_ok=True)

    async def start(self):
        log = open(self.log_path, "ab")
        try:
            self.process = await asyncio.create_subprocess_exec(
                self.exe, "--domain", self.domain, "--listen", "127.0.0.1:0",
                "--data", self.data, "--log-level", "debug", *self.options,
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        finally:
            log.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        pattern = re.compile(r"listening on 127\.0\.0\.1:(\d+)")
        self.port = None
        while self.port is None:
            if self.process.returncode is not None or loop.time() > deadline:
                raise AssertionError("xmppim-server did not print 'listening on'\n--- server log\n%s"
                                     % self.log_tail())
            await asyncio.sleep(0.05)
            self._read_port(pattern)
        self.ca = self._find_certificate()
        await self._wait_port(5)

    # Where this run's part of the log starts (a restart appends to it).
    _log_offset = 0

    def _read_port(self, pattern):
        with open(self.log_path, "rb") as log:
            log.seek(self._log_offset)
            text = log.read().decode(errors="replace")
        match = pattern.search(text)
        if match:
            self.port = int(match.group(1))

    async def restart(self):
        """Start again on the same data directory (a new port)."""
        with open(self.log_path, "rb") as log:
            self._log_offset = len(log.read())
        await self.start()

    def _find_certificate(self):
        """The certificate the server generated under its data directory."""
        found = sorted(glob.glob(os.path.join(self.data, "**", "*.crt"), recursive=True)
                       + glob.glob(os.path.join(self.data, "**", "*cert*.pem"), recursive=True))
        if not found:
            raise AssertionError("xmppim-server made no certificate (*.crt or *cert*.pem) under %s"
                                 % self.data)
        return found[0]

    async def adduser(self, user, password):
        process = await asyncio.create_subprocess_exec(
            self.exe, "adduser", "%s@%s" % (user, self.domain), "--data", self.data,
            "--domain", self.domain,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out, _ = await asyncio.wait_for(process.communicate((password + "\n").encode()), 10)
        if process.returncode != 0:
            raise AssertionError("xmppim-server adduser %s failed (%d): %s"
                                 % (user, process.returncode, out.decode(errors="replace")))


class ProsodyServer(Server):
    """Debian's Prosody with a throw-away configuration (as in
    tests/interop/prosody-env.sh). Run as user prosody when we are root,
    since it refuses to run as root."""

    name = "prosody"

    def __init__(self, workdir):
        super().__init__(workdir)
        if shutil.which("prosody") is None or shutil.which("prosodyctl") is None:
            raise Skip("prosody is not installed (apt-get install prosody lua-unbound)")
        self.as_prosody = []
        if os.getuid() == 0:
            self.as_prosody = ["runuser", "-u", "prosody", "--"]
        self.config = os.path.join(workdir, "prosody.cfg.lua")

    async def start(self):
        certs = os.path.join(self.workdir, "certs")
        data = os.path.join(self.workdir, "data")
        os.makedirs(certs, exist_ok=True)
        os.makedirs(data, exist_ok=True)
        cert, key = make_certificate(certs)
        self.ca = cert
        self.port = _free_port()
        with open(self.config, "w") as config:
            config.write(_PROSODY_CONFIG.format(dir=self.workdir, port=self.port, domain=self.domain,
                                                cert=cert, key=key, log=self.log_path))
        if os.getuid() == 0:
            user = pwd.getpwnam("prosody")
            for root, dirs, files in os.walk(self.workdir):
                for name in [root] + [os.path.join(root, n) for n in dirs + files]:
                    os.chown(name, user.pw_uid, user.pw_gid)
            os.chmod(self.workdir, 0o755)
            os.chmod(cert, 0o644)
        stdout = open(os.path.join(self.workdir, "stdout.log"), "ab")
        try:
            self.process = await asyncio.create_subprocess_exec(
                *self.as_prosody, "prosody", "--config", self.config,
                stdin=subprocess.DEVNULL, stdout=stdout, stderr=stdout,
                start_new_session=True)
        finally:
            stdout.close()
        await self._wait_port(10)

    async def dispose(self):
        # Prosody takes 2 s to stop on SIGTERM even when idle; after a test
        # its state no longer matters. Its process group (runuser and
        # Prosody, started in a session of their own) gets SIGKILL.
        if self.process is None:
            return self.exit_status
        process, self.process = self.process, None
        if process.returncode is None:
            os.killpg(process.pid, signal.SIGKILL)
            await asyncio.wait_for(process.wait(), 5)
        self.exit_status = process.returncode
        return self.exit_status

    async def adduser(self, user, password):
        process = await asyncio.create_subprocess_exec(
            *self.as_prosody, "prosodyctl", "--config", self.config,
            "register", user, self.domain, password,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out, _ = await asyncio.wait_for(process.communicate(), 20)
        if process.returncode != 0:
            raise AssertionError("prosodyctl register %s failed: %s"
                                 % (user, out.decode(errors="replace")))


_PROSODY_CONFIG = """\
daemonize = false
pidfile = "{dir}/prosody.pid"
data_path = "{dir}/data"
interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {port} }}
c2s_direct_tls_ports = {{ }}
legacy_ssl_ports = {{ }}
s2s_ports = {{ }}
http_ports = {{ }}
https_ports = {{ }}
c2s_require_encryption = true
authentication = "internal_hashed"
log = {{ debug = "{log}" }}
modules_enabled = {{ "roster"; "saslauth"; "tls"; "disco"; "ping"; "presence"; "message"; "offline" }}
modules_disabled = {{ "s2s" }}
VirtualHost "{domain}"
  ssl = {{ certificate = "{cert}"; key = "{key}" }}
"""


def new_workdir():
    return tempfile.mkdtemp(prefix="xmppim-slixmpp.")


def remove_workdir(path):
    shutil.rmtree(pathlib.Path(path), ignore_errors=True)
